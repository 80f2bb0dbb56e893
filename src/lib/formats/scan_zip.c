/* SPDX-License-Identifier: MIT */
/*
 * Python wheels (zip): members are read in memory through libzip, never extracted to disk.
 * A member is read whole only when its first bytes (or its name) say it can carry GPU code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RMCP_HAVE_LIBZIP
#include <zip.h>
#endif

#include "bundle.h"
#include "ccob.h"
#include "scan_internal.h"
#include "banned.h"

#define DEFAULT_MAX_MEMBER (8ULL << 30)

bool rmcp_is_zip(const void *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "PK\003\004", 4) == 0;
}

#ifdef RMCP_HAVE_LIBZIP

static bool worth_reading(const uint8_t *head, size_t n, const char *name)
{
	if (n >= 4 && (memcmp(head, "\177ELF", 4) == 0 || memcmp(head, "CCOB", 4) == 0 ||
		       memcmp(head, "KPAK", 4) == 0))
		return true;
	if (rmcp_is_bundle(head, n))
		return true;
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t l = strlen(b);
	return (l > 4 && strcmp(b + l - 4, ".kdb") == 0) || strncmp(b, "TensileLibrary", 14) == 0;
}

static int read_member(zip_t *z, zip_uint64_t i, uint64_t size, uint8_t **out, char *why, size_t whylen)
{
	zip_file_t *zf = zip_fopen_index(z, i, 0);
	if (!zf) {
		snprintf(why, whylen, "%s", zip_strerror(z));
		return -1;
	}
	uint8_t *p = malloc(size ? (size_t)size : 1);
	if (!p) {
		zip_fclose(zf);
		snprintf(why, whylen, "out of memory for %llu bytes", (unsigned long long)size);
		return -ENOMEM;
	}
	uint64_t got = 0;
	while (got < size) {
		zip_int64_t n = zip_fread(zf, p + got, size - got);
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	if (got != size) {
		snprintf(why, whylen, "member is %llu bytes, read %llu: %s", (unsigned long long)size,
			 (unsigned long long)got, zip_file_strerror(zf));
		zip_fclose(zf);
		free(p);
		return -1;
	}
	zip_fclose(zf);
	*out = p;
	return 0;
}

static int member_head(zip_t *z, zip_uint64_t i, uint8_t *head, size_t cap, size_t *n)
{
	*n = 0;
	zip_file_t *zf = zip_fopen_index(z, i, 0);
	if (!zf)
		return -1;
	zip_int64_t r = zip_fread(zf, head, cap);
	zip_fclose(zf);
	if (r < 0)
		return -1;
	*n = (size_t)r;
	return 0;
}

static int emit_member(zip_t *z, zip_uint64_t i, const char *zpath, const char *name, uint64_t size,
		       const struct rmcp_scan_opts *opts, struct rmcp_file *wheel, rmcp_scan_cb cb,
		       void *ctx)
{
	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s!/%s", zpath, name);
	struct rmcp_file *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	uint64_t max = opts->max_member ? opts->max_member : DEFAULT_MAX_MEMBER;
	uint8_t *data = NULL;
	char why[300];
	int rc = 0;
	if (size > max || size > SIZE_MAX) {
		m->path = rmcp_strndup(mpath, strlen(mpath));
		rc = rmcp_file_set_error(m, "member of %llu bytes is over the %llu-byte limit",
					 (unsigned long long)size, (unsigned long long)max);
	} else if ((rc = read_member(z, i, size, &data, why, sizeof(why))) != 0) {
		m->path = rmcp_strndup(mpath, strlen(mpath));
		rc = rc == -ENOMEM ? -ENOMEM : rmcp_file_set_error(m, "%s", why);
	} else {
		rc = rmcp_scan_buffer(data, (size_t)size, mpath, opts, m);
		free(data);
	}
	if (rc < 0 || !m->path) {
		rmcp_file_release(m);
		free(m);
		return -ENOMEM;
	}
	for (size_t t = 0; t < m->n_targets && rc == 0; t++)
		rc = rmcp_file_add_target(wheel, m->targets[t]);
	if (m->n_targets || m->error) {
		wheel->bundles += m->bundles;
		cb(ctx, m);
	} else {
		rmcp_file_release(m);
	}
	free(m);
	return rc;
}

int rmcp_scan_zip(const void *buf, size_t len, const char *path, const struct rmcp_scan_opts *opts,
		  rmcp_scan_cb cb, void *ctx)
{
	static const struct rmcp_scan_opts defaults;
	if (!opts)
		opts = &defaults;
	struct rmcp_file *w = rmcp_file_new(path, RMCP_FMT_WHEEL);
	if (!w)
		return -ENOMEM;
	zip_error_t zerr;
	zip_error_init(&zerr);
	zip_source_t *src = zip_source_buffer_create(buf, len, 0, &zerr);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
	int rc = 0;
	if (!z) {
		rc = rmcp_file_set_error(w, "zip: %s", zip_error_strerror(&zerr));
		if (src)
			zip_source_free(src);
		zip_error_fini(&zerr);
		rmcp_file_emit(w, cb, ctx);
		return rc;
	}
	zip_error_fini(&zerr);
	/* Members are delivered as they are read; the wheel's own record, which sums them up,
	 * comes last (renderers sort by path, so it is shown first). */
	zip_int64_t n = zip_get_num_entries(z, 0);
	size_t members = 0;
	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE))
			continue;
		size_t nl = strlen(st.name);
		if (nl && st.name[nl - 1] == '/')
			continue;
		uint8_t head[64];
		size_t hn;
		if (member_head(z, (zip_uint64_t)i, head, sizeof(head), &hn) != 0 ||
		    !worth_reading(head, hn, st.name))
			continue;
		members++;
		rc = emit_member(z, (zip_uint64_t)i, path, st.name, st.size, opts, w,
				 cb, ctx);
	}
	zip_discard(z);
	if (rc == 0)
		rc = rmcp_file_set_note(w, "%zu member(s) that can carry GPU code", members);
	rmcp_file_emit(w, cb, ctx);
	return rc;
}

#else

int rmcp_scan_zip(const void *buf, size_t len, const char *path, const struct rmcp_scan_opts *opts,
		  rmcp_scan_cb cb, void *ctx)
{
	(void)buf;
	(void)len;
	(void)opts;
	struct rmcp_file *w = rmcp_file_new(path, RMCP_FMT_WHEEL);
	if (!w)
		return -ENOMEM;
	int rc = rmcp_file_set_error(w, "rmcp was built without libzip: wheels cannot be read");
	rmcp_file_emit(w, cb, ctx);
	return rc;
}

#endif
