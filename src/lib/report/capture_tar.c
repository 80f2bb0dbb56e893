/* SPDX-License-Identifier: MIT */
/* rmcp capture's archive: a gzip-compressed pax tar written with libarchive. */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef RMCP_HAVE_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>
#endif

#include "lazylib.h"
#include "banned.h"

#ifdef RMCP_HAVE_LIBARCHIVE
/* libarchive is opened on first use (lazylib.h): linked, it loads libxml2, ICU, libstdc++,
 * libzstd, libbz2, liblzma and more at every start of rmcp, for one command. The
 * archive_* names below are redirected to dlsym'ed entry points. */
static struct {
	void (*entry_clear)(struct archive_entry *);
	void (*entry_free)(struct archive_entry *);
	struct archive_entry *(*entry_new)(void);
	void (*entry_set_filetype)(struct archive_entry *, unsigned int);
	void (*entry_set_gid)(struct archive_entry *, la_int64_t);
	void (*entry_set_mtime)(struct archive_entry *, time_t, long);
	void (*entry_set_pathname)(struct archive_entry *, const char *);
	void (*entry_set_perm)(struct archive_entry *, mode_t);
	void (*entry_set_size)(struct archive_entry *, la_int64_t);
	void (*entry_set_symlink)(struct archive_entry *, const char *);
	void (*entry_set_uid)(struct archive_entry *, la_int64_t);
	const char *(*error_string)(struct archive *);
	int (*write_add_filter_gzip)(struct archive *);
	int (*write_close)(struct archive *);
	la_ssize_t (*write_data)(struct archive *, const void *, size_t);
	int (*write_free)(struct archive *);
	int (*write_header)(struct archive *, struct archive_entry *);
	struct archive *(*write_new)(void);
	int (*write_open_fd)(struct archive *, int);
	int (*write_set_format_pax_restricted)(struct archive *);
} archive_api;
static const char *const archive_sonames[] = { "libarchive.so.13", NULL };
static const char *const archive_symbols[] = {
	"archive_entry_clear", "archive_entry_free", "archive_entry_new", "archive_entry_set_filetype",
	"archive_entry_set_gid", "archive_entry_set_mtime", "archive_entry_set_pathname",
	"archive_entry_set_perm", "archive_entry_set_size", "archive_entry_set_symlink",
	"archive_entry_set_uid", "archive_error_string", "archive_write_add_filter_gzip",
	"archive_write_close", "archive_write_data", "archive_write_free", "archive_write_header",
	"archive_write_new", "archive_write_open_fd", "archive_write_set_format_pax_restricted",
	NULL,
};
static struct rmcp_lazylib archive_lib = {
	.what = "libarchive", .sonames = archive_sonames, .symbols = archive_symbols,
	.slots = (void **)&archive_api,
};
_Static_assert(sizeof(archive_api) == 20 * sizeof(void *), "one slot per symbol");
#define archive_entry_clear archive_api.entry_clear
#define archive_entry_free archive_api.entry_free
#define archive_entry_new archive_api.entry_new
#define archive_entry_set_filetype archive_api.entry_set_filetype
#define archive_entry_set_gid archive_api.entry_set_gid
#define archive_entry_set_mtime archive_api.entry_set_mtime
#define archive_entry_set_pathname archive_api.entry_set_pathname
#define archive_entry_set_perm archive_api.entry_set_perm
#define archive_entry_set_size archive_api.entry_set_size
#define archive_entry_set_symlink archive_api.entry_set_symlink
#define archive_entry_set_uid archive_api.entry_set_uid
#define archive_error_string archive_api.error_string
#define archive_write_add_filter_gzip archive_api.write_add_filter_gzip
#define archive_write_close archive_api.write_close
#define archive_write_data archive_api.write_data
#define archive_write_free archive_api.write_free
#define archive_write_header archive_api.write_header
#define archive_write_new archive_api.write_new
#define archive_write_open_fd archive_api.write_open_fd
#define archive_write_set_format_pax_restricted archive_api.write_set_format_pax_restricted

static int entry_write(struct archive *a, struct archive_entry *ae, const char *top,
		       const struct rmcp_capture_entry *e, long long when)
{
	char name[8192];
	int n = snprintf(name, sizeof(name), "%s/%s", top, e->rel);
	if (n < 0 || (size_t)n >= sizeof(name))
		return -ENAMETOOLONG;
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, name);
	archive_entry_set_mtime(ae, (time_t)when, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	switch (e->type) {
	case RMCP_CAP_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, e->mode ? e->mode | 0700 : 0755);
		archive_entry_set_size(ae, 0);
		break;
	case RMCP_CAP_LINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_set_symlink(ae, e->data);
		archive_entry_set_size(ae, 0);
		break;
	case RMCP_CAP_FILE:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, e->mode);
		archive_entry_set_size(ae, (la_int64_t)e->len);
		break;
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return -EIO;
	if (e->type == RMCP_CAP_FILE && e->len &&
	    archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
		return -EIO;
	return 0;
}
#endif

int rmcp_capture_write_tgz(const struct rmcp_capture *c, int fd, const char *path, struct rmcp_err *err)
{
#ifdef RMCP_HAVE_LIBARCHIVE
	if (rmcp_lazylib_load(&archive_lib) < 0)
		return rmcp_err_set(err, -RMCP_E_NOLIB, "capture cannot write %s: %s", path, archive_lib.why);
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	if (!a || !ae) {
		archive_write_free(a);
		archive_entry_free(ae);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	int rc = 0;
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = rmcp_err_set(err, -EIO, "%s: %s", path, archive_error_string(a) ? archive_error_string(a) : "cannot write");
		goto out;
	}
	const struct rmcp_capture_entry *e;
	size_t n = rmcp_capture_entries(c, &e);
	/* the top directory itself first, so an unpacker creates it with a sane mode */
	struct rmcp_capture_entry top = { .rel = (char *)"", .type = RMCP_CAP_DIR, .mode = 0755, .data = (char *)"" };
	char topname[160];
	snprintf(topname, sizeof(topname), "%s/", rmcp_capture_top(c));
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, topname);
	archive_entry_set_filetype(ae, AE_IFDIR);
	archive_entry_set_perm(ae, top.mode);
	archive_entry_set_mtime(ae, (time_t)rmcp_capture_time(c), 0);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		rc = -EIO;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = entry_write(a, ae, rmcp_capture_top(c), &e[i], rmcp_capture_time(c));
	if (rc < 0)
		rc = rmcp_err_set(err, rc, "%s: %s", path, archive_error_string(a) ? archive_error_string(a) : strerror(-rc));
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = rmcp_err_set(err, -EIO, "%s: %s", path, archive_error_string(a) ? archive_error_string(a) : "write error");
out:
	archive_entry_free(ae);
	archive_write_free(a);
	return rc;
#else
	(void)c;
	(void)fd;
	return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "rmcp was built without libarchive: capture cannot write %s",
			    path);
#endif
}
