/* SPDX-License-Identifier: MIT */
/*
 * Python wheels (zip): members are read through libzip, never extracted to disk, and only when
 * their first bytes (or their name) say they can carry GPU code. Every member is held to the
 * decompression budget (budget.h) before a byte of it is inflated.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RMCP_HAVE_LIBZIP
#include <zip.h>
#endif

#include "budget.h"
#include "bundle.h"
#include "ccob.h"
#include "lazylib.h"
#include "scan_internal.h"
#include "banned.h"

#ifdef RMCP_HAVE_LIBZIP
/* libzip is opened on first use (lazylib.h): linked, it loads libcrypto, libbz2 and more at
 * every start of rmcp. The zip_* names used below are redirected to dlsym'ed entry points. */
static struct {
	zip_file_t *(*fopen_index)(zip_t *, zip_uint64_t, zip_flags_t);
	zip_int64_t (*fread)(zip_file_t *, void *, zip_uint64_t);
	int (*fclose)(zip_file_t *);
	const char *(*strerror)(zip_t *);
	const char *(*file_strerror)(zip_file_t *);
	int (*compression_method_supported)(zip_int32_t, int);
	zip_source_t *(*source_buffer_create)(const void *, zip_uint64_t, int, zip_error_t *);
	zip_t *(*open_from_source)(zip_source_t *, int, zip_error_t *);
	void (*source_free)(zip_source_t *);
	void (*error_set)(zip_error_t *, int, int);
	zip_t *(*fdopen)(int, int, int *);
	void (*error_init_with_code)(zip_error_t *, int);
	void (*error_init)(zip_error_t *);
	const char *(*error_strerror)(zip_error_t *);
	void (*error_fini)(zip_error_t *);
	zip_int64_t (*get_num_entries)(zip_t *, zip_flags_t);
	int (*stat_index)(zip_t *, zip_uint64_t, zip_flags_t, zip_stat_t *);
	void (*discard)(zip_t *);
} zip_api;
static const char *const zip_sonames[] = { "libzip.so.4", "libzip.so.5", NULL };
static const char *const zip_symbols[] = {
	"zip_fopen_index", "zip_fread", "zip_fclose", "zip_strerror", "zip_file_strerror",
	"zip_compression_method_supported", "zip_source_buffer_create", "zip_open_from_source",
	"zip_source_free", "zip_error_set", "zip_fdopen", "zip_error_init_with_code",
	"zip_error_init", "zip_error_strerror", "zip_error_fini", "zip_get_num_entries",
	"zip_stat_index", "zip_discard", NULL,
};
static struct rmcp_lazylib zip_lib = {
	.what = "libzip", .sonames = zip_sonames, .symbols = zip_symbols,
	.slots = (void **)&zip_api,
};
_Static_assert(sizeof(zip_api) == 18 * sizeof(void *), "one slot per symbol");
#define zip_fopen_index zip_api.fopen_index
#define zip_fread zip_api.fread
#define zip_fclose zip_api.fclose
#define zip_strerror zip_api.strerror
#define zip_file_strerror zip_api.file_strerror
#define zip_compression_method_supported zip_api.compression_method_supported
#define zip_source_buffer_create zip_api.source_buffer_create
#define zip_open_from_source zip_api.open_from_source
#define zip_source_free zip_api.source_free
#define zip_error_set zip_api.error_set
#define zip_fdopen zip_api.fdopen
#define zip_error_init_with_code zip_api.error_init_with_code
#define zip_error_init zip_api.error_init
#define zip_error_strerror zip_api.error_strerror
#define zip_error_fini zip_api.error_fini
#define zip_get_num_entries zip_api.get_num_entries
#define zip_stat_index zip_api.stat_index
#define zip_discard zip_api.discard
#endif

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

/*
 * Members up to WHOLE_MEMBER bytes are inflated into memory and scanned there; larger ones
 * are scanned through a member stream (a reader that inflates as it goes and keeps only the
 * last 16 MiB (RING_MAX)), so memory stays bounded whatever the member's size (issue 12, item 4).
 * The host-ELF scanner reads the ELF header, then the section headers and names at the end
 * (the names are usually just before the table: served from the ring), then .hip_fatbin's
 * bundle headers in file order: two inflating passes over a 1.3 GB library.
 */
#define WHOLE_MEMBER ((uint64_t)16 << 20)
#define RING_MAX ((size_t)16 << 20)
#define CHUNK ((size_t)256 << 10)
#define MAX_PASSES 4

struct member_stream {
	zip_t *z;
	zip_uint64_t index;
	zip_file_t *zf;
	uint64_t pos;		/* bytes inflated in this pass */
	uint64_t ring_lo;	/* lowest offset the ring still holds */
	uint8_t *ring;		/* byte at offset o is ring[o % ring_size] */
	size_t ring_size;	/* RING_MAX, or the member's size if smaller */
	unsigned passes;
	const struct rmcp_scan_opts *opts;
	const char *path;
	uint64_t base, high;	/* progress: wheel bytes before this member, furthest offset */
	uint64_t total;
};

static int ms_fail(struct member_stream *m, struct rmcp_err *err, const char *what)
{
	const char *why = m->zf ? zip_file_strerror(m->zf) : zip_strerror(m->z);
	return rmcp_err_set(err, -EIO, "%s at byte %llu: %s", what, (unsigned long long)m->pos, why);
}

static int ms_restart(struct member_stream *m, struct rmcp_err *err)
{
	if (m->zf)
		zip_fclose(m->zf);
	m->zf = NULL;
	if (++m->passes > MAX_PASSES)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "member needs more than %d passes", MAX_PASSES);
	m->pos = 0;
	m->ring_lo = 0;
	m->zf = zip_fopen_index(m->z, m->index, 0);
	return m->zf ? 0 : ms_fail(m, err, "cannot open member");
}

/* Inflate n bytes at m->pos into dst (or, with dst NULL, into the ring only). */
static int ms_pull(struct member_stream *m, uint8_t *dst, size_t n, struct rmcp_err *err)
{
	while (n) {
		size_t at = (size_t)(m->pos % m->ring_size), want = n;
		if (want > CHUNK)
			want = CHUNK;
		if (!dst && want > m->ring_size - at)
			want = m->ring_size - at;
		uint8_t *to = dst ? dst : m->ring + at;
		zip_int64_t got = zip_fread(m->zf, to, want);
		if (got < 0)
			return ms_fail(m, err, "inflating member");
		if (got == 0)
			return rmcp_err_set(err, -RMCP_E_TRUNC, "member ends at byte %llu, before the "
					    "size it declares", (unsigned long long)m->pos);
		if (dst) {
			/* Keep what was read for the next reader that looks slightly back. */
			for (size_t k = 0; k < (size_t)got;) {
				size_t o = (size_t)((m->pos + k) % m->ring_size), c = (size_t)got - k;
				if (c > m->ring_size - o)
					c = m->ring_size - o;
				memcpy(m->ring + o, dst + k, c);
				k += c;
			}
			dst += got;
		}
		m->pos += (uint64_t)got;
		if (m->pos - m->ring_lo > m->ring_size)
			m->ring_lo = m->pos - m->ring_size;
		n -= (size_t)got;
		if (m->pos > m->high) {
			m->high = m->pos;
			if (m->opts->progress_bytes)
				m->opts->progress_bytes(m->opts->progress_ctx, m->path,
							m->base + m->high, m->total);
		}
	}
	return 0;
}

static int ms_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err)
{
	struct member_stream *m = r->ctx;
	int rc;
	if (off < m->ring_lo && (rc = ms_restart(m, err)) < 0)
		return rc;
	if (off < m->pos) {
		/* Held in the ring: copy what is there, inflate the rest. */
		size_t have = (size_t)(m->pos - off < n ? m->pos - off : n);
		for (size_t k = 0; k < have;) {
			size_t o = (size_t)((off + k) % m->ring_size), c = have - k;
			if (c > m->ring_size - o)
				c = m->ring_size - o;
			memcpy((uint8_t *)dst + k, m->ring + o, c);
			k += c;
		}
		return ms_pull(m, (uint8_t *)dst + have, n - have, err);
	}
	while (m->pos < off) {
		uint64_t skip = off - m->pos;
		if ((rc = ms_pull(m, NULL, skip < CHUNK ? (size_t)skip : CHUNK, err)) < 0)
			return rc;
	}
	return ms_pull(m, dst, n, err);
}

/* Inflate a small member whole, never past the size it declares. */
static int read_member(zip_t *z, zip_uint64_t i, uint64_t size, uint8_t **out, struct rmcp_err *err)
{
	zip_file_t *zf = zip_fopen_index(z, i, 0);
	if (!zf)
		return rmcp_err_set(err, -EIO, "%s", zip_strerror(z));
	uint8_t *p = malloc(size ? (size_t)size : 1);
	if (!p) {
		zip_fclose(zf);
		return rmcp_err_set(err, -ENOMEM, "out of memory for %llu bytes", (unsigned long long)size);
	}
	uint64_t got = 0;
	while (got < size) {
		zip_int64_t n = zip_fread(zf, p + got, size - got);
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	if (got != size) {
		rmcp_err_set(err, -EIO, "member is %llu bytes, read %llu: %s", (unsigned long long)size,
			     (unsigned long long)got, zip_file_strerror(zf));
		zip_fclose(zf);
		free(p);
		return -EIO;
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

struct wheel_scan {
	zip_t *z;
	const char *zpath;
	const struct rmcp_scan_opts *opts;
	struct rmcp_file *w;
	rmcp_scan_cb cb;
	void *ctx;
	uint64_t done, total;	/* inflated bytes so far / declared sizes of the members read */
};

/* Names under which GPU code ships in wheels (research/binaries.md §3). */
static bool could_carry_code(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t l = strlen(b);
	static const char *const ends[] = { ".hsaco", ".co", ".kpack", ".kdb", ".dat", ".a" };
	for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
		size_t e = strlen(ends[k]);
		if (l > e && strcmp(b + l - e, ends[k]) == 0)
			return true;
	}
	return strstr(b, ".so") != NULL || strncmp(b, "TensileLibrary", 14) == 0;
}

/* A member whose data libzip cannot open: say why (typically a compression method this
 * libzip was built without: Debian 12's reads stored, deflate and bzip2 only). */
static int emit_unreadable(struct wheel_scan *ws, const zip_stat_t *st)
{
	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s!/%s", ws->zpath, st->name);
	struct rmcp_file *m = rmcp_file_new(mpath, RMCP_FMT_UNKNOWN);
	if (!m)
		return -ENOMEM;
	int rc;
	if ((st->valid & ZIP_STAT_COMP_METHOD) &&
	    !zip_compression_method_supported(st->comp_method, 0))
		rc = rmcp_file_set_error(m, "cannot read: compression method %u is not supported by "
					 "this libzip", (unsigned)st->comp_method);
	else
		rc = rmcp_file_set_error(m, "cannot read: %s", zip_strerror(ws->z));
	if (rc < 0) {
		rmcp_file_release(m);
		free(m);
		return rc;
	}
	rmcp_file_emit(m, ws->cb, ws->ctx);
	return 0;
}

static int scan_member(struct wheel_scan *ws, zip_uint64_t i, const zip_stat_t *st,
		       const char *mpath, struct rmcp_file *m)
{
	struct rmcp_err err = { 0 };
	uint64_t max = ws->opts->max_member ? ws->opts->max_member : DEFAULT_MAX_MEMBER;
	uint64_t csize = st->valid & ZIP_STAT_COMP_SIZE ? st->comp_size : 0;
	int rc = rmcp_inflate_budget(csize, st->size, max, "member", &err);
	uint64_t whole = ws->opts->whole_member ? ws->opts->whole_member : WHOLE_MEMBER;
	if (rc == 0 && st->size <= whole) {
		uint8_t *data = NULL;
		if ((rc = read_member(ws->z, i, st->size, &data, &err)) == 0) {
			rc = rmcp_scan_buffer(data, (size_t)st->size, mpath, ws->opts, m);
			free(data);
			return rc;
		}
	} else if (rc == 0) {
		struct member_stream s = { .z = ws->z, .index = i, .opts = ws->opts, .path = ws->zpath,
					   .base = ws->done, .total = ws->total };
		struct rmcp_reader r = { .size = st->size, .read = ms_read, .ctx = &s, .fd = -1 };
		s.ring_size = st->size < RING_MAX ? (size_t)st->size : RING_MAX;
		if (!(s.ring = malloc(s.ring_size)))
			return -ENOMEM;
		if ((rc = ms_restart(&s, &err)) == 0) {
			rc = rmcp_scan_reader(&r, mpath, ws->opts, m);
		}
		if (s.zf)
			zip_fclose(s.zf);
		free(s.ring);
		if (rc == 0 || rc == -ENOMEM)
			return rc;
	}
	if (rc == -ENOMEM)
		return rc;
	if (!m->path && !(m->path = rmcp_strndup(mpath, strlen(mpath))))
		return -ENOMEM;
	return rmcp_file_set_error(m, "%s", err.msg);
}

static int emit_member(struct wheel_scan *ws, zip_uint64_t i, const zip_stat_t *st)
{
	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s!/%s", ws->zpath, st->name);
	struct rmcp_file *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int rc = scan_member(ws, i, st, mpath, m);
	ws->done += st->size;
	if (ws->opts->progress_bytes)
		ws->opts->progress_bytes(ws->opts->progress_ctx, ws->zpath, ws->done, ws->total);
	if (rc < 0 || !m->path) {
		rmcp_file_release(m);
		free(m);
		return -ENOMEM;
	}
	for (size_t t = 0; t < m->n_targets && rc == 0; t++)
		rc = rmcp_file_add_target(ws->w, m->targets[t]);
	if (m->n_targets || m->error) {
		ws->w->bundles += m->bundles;
		ws->cb(ws->ctx, m);
	} else {
		rmcp_file_release(m);
	}
	free(m);
	return rc;
}

static zip_t *open_zip(int fd, const void *buf, size_t len, zip_error_t *zerr)
{
	if (fd < 0) {
		zip_source_t *src = zip_source_buffer_create(buf, len, 0, zerr);
		zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, zerr) : NULL;
		if (!z && src)
			zip_source_free(src);
		return z;
	}
	/* libzip reads through stdio on its own descriptor: a file that shrinks gives read
	 * errors, never SIGBUS. */
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		zip_error_set(zerr, ZIP_ER_OPEN, errno);
		return NULL;
	}
	int ze = 0;
	zip_t *z = zip_fdopen(dfd, ZIP_RDONLY, &ze);
	if (!z) {
		close(dfd);
		zip_error_init_with_code(zerr, ze);
	}
	return z;
}

int rmcp_scan_zip(int fd, const void *buf, size_t len, const char *path,
		  const struct rmcp_scan_opts *opts, rmcp_scan_cb cb, void *ctx)
{
	static const struct rmcp_scan_opts defaults;
	if (!opts)
		opts = &defaults;
	struct rmcp_file *w = rmcp_file_new(path, RMCP_FMT_WHEEL);
	if (!w)
		return -ENOMEM;
	if (rmcp_lazylib_load(&zip_lib) < 0) {
		int rc = rmcp_file_set_error(w, "wheels cannot be read: %s", zip_lib.why);
		rmcp_file_emit(w, cb, ctx);
		return rc;
	}
	zip_error_t zerr;
	zip_error_init(&zerr);
	zip_t *z = open_zip(fd, buf, len, &zerr);
	int rc = 0;
	if (!z) {
		rc = rmcp_file_set_error(w, "zip: %s", zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
		rmcp_file_emit(w, cb, ctx);
		return rc;
	}
	zip_error_fini(&zerr);
	struct wheel_scan ws = { .z = z, .zpath = path, .opts = opts, .w = w, .cb = cb, .ctx = ctx };
	/* Members are delivered as they are read; the wheel's own record, which sums them up,
	 * comes last (renderers sort by path, so it is shown first). */
	zip_int64_t n = zip_get_num_entries(z, 0);
	size_t members = 0, unreadable = 0;
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
			ws.total += st.size;
	}
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
		if (member_head(z, (zip_uint64_t)i, head, sizeof(head), &hn) != 0) {
			/* Never silently: a library we cannot open may be the one without code. */
			ws.done += st.size;
			if (!could_carry_code(st.name)) {
				unreadable++;
				continue;
			}
			members++;
			rc = emit_unreadable(&ws, &st);
			continue;
		}
		if (!worth_reading(head, hn, st.name)) {
			ws.done += st.size;
			continue;
		}
		members++;
		rc = emit_member(&ws, (zip_uint64_t)i, &st);
	}
	zip_discard(z);
	if (rc == 0 && unreadable)
		rc = rmcp_file_set_note(w, "%zu member(s) that can carry GPU code; %zu other member(s) "
					"could not be read", members, unreadable);
	else if (rc == 0)
		rc = rmcp_file_set_note(w, "%zu member(s) that can carry GPU code", members);
	rmcp_file_emit(w, cb, ctx);
	return rc;
}

#else

int rmcp_scan_zip(int fd, const void *buf, size_t len, const char *path,
		  const struct rmcp_scan_opts *opts, rmcp_scan_cb cb, void *ctx)
{
	(void)fd;
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
