/* SPDX-License-Identifier: MIT */
/* Files and directories: open, sniff, recurse. The only part of the scan engine that
 * touches the file system (besides the kpack archive search). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "ccob.h"
#include "scan_internal.h"
#include "banned.h"

#define MAX_DEPTH 64

static int report_error(const char *path, enum rmcp_format fmt, int errnum, rmcp_scan_cb cb, void *ctx)
{
	struct rmcp_file *f = rmcp_file_new(path, fmt);
	if (!f)
		return -ENOMEM;
	if (rmcp_file_set_error(f, "%s", rmcp_strerror(errnum)) < 0) {
		rmcp_file_release(f);
		free(f);
		return -ENOMEM;
	}
	rmcp_file_emit(f, cb, ctx);
	return 0;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* In a directory walk, only files that can carry GPU code are opened in full. */
static bool worth_scanning(const uint8_t *head, size_t n, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (n >= 4 && (memcmp(head, "\177ELF", 4) == 0 || memcmp(head, "CCOB", 4) == 0 ||
		       memcmp(head, "KPAK", 4) == 0))
		return true;
	if (rmcp_is_bundle(head, n) || (n >= 8 && memcmp(head, "!<arch>\n", 8) == 0))
		return true;
	if (rmcp_is_zip(head, n))
		return has_suffix(b, ".whl") || has_suffix(b, ".zip");
	return has_suffix(b, ".kdb") || strncmp(b, "TensileLibrary", 14) == 0;
}

/* A directory walk reports what carries (or fails to show) GPU code, not every host library
 * or static archive; a file named on the command line is always reported. */
static bool worth_reporting(const struct rmcp_file *f)
{
	return f->n_targets || f->n_entries || f->error || (f->note && !f->container);
}

struct dir_filter {
	rmcp_scan_cb cb;
	void *ctx;
};

static void dir_filter_cb(void *vctx, struct rmcp_file *f)
{
	struct dir_filter *d = vctx;
	if (worth_reporting(f))
		d->cb(d->ctx, f);
	else
		rmcp_file_release(f);
}

static int scan_open(const char *path, int fd, uint64_t size, bool in_dir,
		     const struct rmcp_scan_opts *opts, rmcp_scan_cb cb, void *ctx)
{
	struct dir_filter filter = { cb, ctx };
	struct rmcp_reader r;
	uint8_t head[64];
	size_t hn;
	struct rmcp_err err = { 0 };
	rmcp_reader_fd(&r, fd, size);
	int rc = rmcp_reader_head(&r, 0, head, sizeof(head), &hn, &err);
	if (rc < 0)
		return report_error(path, RMCP_FMT_UNKNOWN, -rc, cb, ctx);
	if (in_dir && !worth_scanning(head, hn, path))
		return 0;
	bool zip = rmcp_is_zip(head, hn), ar = rmcp_is_ar(head, hn);
	if (in_dir && (zip || ar)) {
		cb = dir_filter_cb;
		ctx = &filter;
	}
	if (zip)
		return rmcp_scan_zip(fd, NULL, 0, path, opts, cb, ctx);
	if (ar)
		return rmcp_scan_ar(&r, path, opts, cb, ctx);
	struct rmcp_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	rc = rmcp_scan_reader(&r, path, opts, f);
	if (rc < 0) {
		rmcp_file_release(f);
		free(f);
		return rc;
	}
	if (in_dir && !worth_reporting(f)) {
		rmcp_file_release(f);
		free(f);
		return 0;
	}
	f->on_disk = true;	/* the bytes of path itself (zip and ar members return above) */
	cb(ctx, f);
	free(f);
	return 0;
}

/* Files are read with pread, never mapped here: a file that shrinks while it is scanned
 * gives "file changed while being read" for that file (reader.h), not SIGBUS. */
static int scan_regular(const char *path, int fd, const struct stat *st, bool in_dir,
			const struct rmcp_scan_opts *opts, rmcp_scan_cb cb, void *ctx)
{
	if (opts->progress)
		opts->progress(opts->progress_ctx, path, (uint64_t)st->st_size);
	return scan_open(path, fd, (uint64_t)st->st_size, in_dir, opts, cb, ctx);
}

static int scan_at(const char *path, bool in_dir, int depth, const struct rmcp_scan_opts *opts,
		   rmcp_scan_cb cb, void *ctx);

static int filter_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int scan_dir(const char *path, int depth, const struct rmcp_scan_opts *opts, rmcp_scan_cb cb,
		    void *ctx)
{
	struct dirent **names;
	if (depth > MAX_DEPTH)
		return report_error(path, RMCP_FMT_UNKNOWN, ELOOP, cb, ctx);
	/* Sorted, so output is the same on every run and machine. */
	int n = scandir(path, &names, filter_dots, alphasort);
	if (n < 0)
		return report_error(path, RMCP_FMT_UNKNOWN, errno, cb, ctx);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			char child[4096];
			int l = snprintf(child, sizeof(child), "%s%s%s", path,
					 has_suffix(path, "/") ? "" : "/", names[i]->d_name);
			if (l < 0 || (size_t)l >= sizeof(child))
				rc = report_error(names[i]->d_name, RMCP_FMT_UNKNOWN, ENAMETOOLONG, cb, ctx);
			else
				rc = scan_at(child, true, depth + 1, opts, cb, ctx);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int scan_at(const char *path, bool in_dir, int depth, const struct rmcp_scan_opts *opts,
		   rmcp_scan_cb cb, void *ctx)
{
	struct stat st;
	/* In a walk, symlinks are not followed: they point at files the walk sees anyway
	 * (libfoo.so -> libfoo.so.1) or out of the tree. Named paths are followed. */
	if ((in_dir ? lstat(path, &st) : stat(path, &st)) != 0)
		return report_error(path, RMCP_FMT_UNKNOWN, errno, cb, ctx);
	if (S_ISLNK(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		return scan_dir(path, depth, opts, cb, ctx);
	if (!S_ISREG(st.st_mode))
		return in_dir ? 0 : report_error(path, RMCP_FMT_UNKNOWN, EINVAL, cb, ctx);
	/* The path may be swapped between stat and open (a symlink flipped to a FIFO would
	 * block open forever): open without blocking, then judge what was opened. In a walk,
	 * a symlink swapped in is not followed. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (in_dir ? O_NOFOLLOW : 0));
	if (fd < 0)
		return in_dir && errno == ELOOP ? 0 : report_error(path, RMCP_FMT_UNKNOWN, errno, cb, ctx);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		close(fd);
		if (in_dir)
			return 0;
		return report_error(path, RMCP_FMT_UNKNOWN, S_ISREG(st.st_mode) ? e : EINVAL, cb, ctx);
	}
	int rc = scan_regular(path, fd, &st, in_dir, opts, cb, ctx);
	close(fd);
	return rc;
}

int rmcp_scan_path(const char *path, bool in_dir, const struct rmcp_scan_opts *opts,
		   rmcp_scan_cb cb, void *ctx)
{
	static const struct rmcp_scan_opts defaults;
	return scan_at(path, in_dir, 0, opts ? opts : &defaults, cb, ctx);
}
