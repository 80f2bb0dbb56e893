/* SPDX-License-Identifier: MIT */
/*
 * ISA verdict cache: content hash (XXH64), a compact versioned encoding of reports, and
 * files under $XDG_CACHE_HOME/rmcp/isa (XDG Base Directory Specification). Self-contained:
 * librmcp.so's guard links it without LLVM, libelf or json-c.
 *
 * Encoding v2 (v1 had no hazards; its entries are neither found, the key changed, nor
 * decoded, the magic changed), little-endian:
 *   "RMCPISA2" | u8 engine, verdict, flags (1 needs_workarounds, 2 same_isa,
 *   4 hazards_checked), 0
 *   | u64 n_insns, n_invalid, n_differs, n_undecodable, n_unknown
 *   | str code_target, real_target, workarounds | u32 n_kernels | kernels
 *   kernel: str name | u8 flags (1 kernel, 2 wave64, 4 has_first, 8 wgp_mode,
 *           16 hazards_checked, 32 has_hazard), verdict
 *           | u64 addr, size, n_insns, n_invalid, n_differs, n_undecodable, n_unknown
 *           | [has_first: u64 addr, u8 kind, u8 len, bytes[len], str text, str real_text]
 *           | str reason
 *           | [hazards_checked: u64 n_hazards, n_possible, 12 x (u32 n_by_class, first_by_class)]
 *           | [has_hazard: u64 addr, other_addr, u8 class, possible, str text, other_text]
 *   str: u16 length + bytes (no NUL)
 *
 * A cache file holds its key, '\n', then the encoding (rmcp_isa_cache_load). The directory
 * must be the user's and writable by nobody else, each entry a regular file of the user's
 * (fsutil.h): the verdicts decide what librmcp.so's guard lets run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "bytes.h"
#include "isa.h"
#include "banned.h"

#define MAGIC "RMCPISA2"
#define KEY_SALT "rmcp-isa-v2-hazards"
#define MAX_CACHE_FILE (256u << 20)

/* ---- XXH64 (xxHash specification v0.1.1, "XXH64 algorithm description") ---- */

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	return rotl64(acc + in * P2, 31) * P1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	return (acc ^ xround(0, v)) * P1 + P4;
}

uint64_t rmcp_xxh64(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf, *end = p + len;
	uint64_t h;
	if (len >= 32) {
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
		while ((size_t)(end - p) >= 32) {
			v1 = xround(v1, rmcp_le64(p));
			v2 = xround(v2, rmcp_le64(p + 8));
			v3 = xround(v3, rmcp_le64(p + 16));
			v4 = xround(v4, rmcp_le64(p + 24));
			p += 32;
		}
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(h, v1);
		h = xmerge(h, v2);
		h = xmerge(h, v3);
		h = xmerge(h, v4);
	} else {
		h = seed + P5;
	}
	h += (uint64_t)len;
	while ((size_t)(end - p) >= 8) {
		h ^= xround(0, rmcp_le64(p));
		h = rotl64(h, 27) * P1 + P4;
		p += 8;
	}
	if ((size_t)(end - p) >= 4) {
		h ^= (uint64_t)rmcp_le32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= *p++ * P5;
		h = rotl64(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

int rmcp_isa_cache_key(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
		       unsigned flags, char key[RMCP_ISA_KEY_LEN])
{
	char tid[64];
	if (rmcp_target_id_format(real_gpu, tid, sizeof(tid)) < 0)
		return -RMCP_E_LIMIT;
	/* The real GPU, flags and table version are part of the key: another GPU or a new
	 * table must not reuse an old verdict. */
	uint64_t salt = rmcp_xxh64(tid, strlen(tid), flags);
	const char *tv = rmcp_isa_table_version();
	salt = rmcp_xxh64(tv, strlen(tv), salt);
	salt = rmcp_xxh64(KEY_SALT, strlen(KEY_SALT), salt);
	uint64_t a = rmcp_xxh64(codeobj, len, salt), b = rmcp_xxh64(codeobj, len, ~salt);
	int n = snprintf(key, RMCP_ISA_KEY_LEN, "%016llx%016llx%016llx", (unsigned long long)a,
			 (unsigned long long)b, (unsigned long long)len);
	return n == RMCP_ISA_KEY_LEN - 1 ? 0 : -RMCP_E_LIMIT;
}

/* ---- encoding ---- */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (n > w->cap - w->n) {
		size_t cap = w->cap ? w->cap : 256;
		while (n > cap - w->n)
			cap *= 2;
		uint8_t *np = realloc(w->p, cap);
		if (!np) {
			w->oom = true;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void put_u8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(w, &b, 1);
}

static void put_le(struct wbuf *w, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, (size_t)bytes);
}

static void put_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);
	if (n > 0xffff)
		n = 0xffff;
	put_le(w, n, 2);
	put(w, s, n);
}

int rmcp_isa_report_encode(const struct rmcp_isa_report *r, void **buf, size_t *len)
{
	struct wbuf w = { 0 };
	put(&w, MAGIC, 8);
	put_u8(&w, r->engine);
	put_u8(&w, r->verdict);
	put_u8(&w, (r->needs_workarounds ? 1u : 0u) | (r->same_isa ? 2u : 0u) | (r->hazards_checked ? 4u : 0u));
	put_u8(&w, 0);
	const uint64_t counts[] = { r->n_insns, r->n_invalid, r->n_differs, r->n_undecodable, r->n_unknown };
	for (size_t i = 0; i < 5; i++)
		put_le(&w, counts[i], 8);
	put_str(&w, r->code_target);
	put_str(&w, r->real_target);
	put_str(&w, r->workarounds);
	put_le(&w, r->n_kernels, 4);
	for (size_t i = 0; i < r->n_kernels; i++) {
		const struct rmcp_isa_kernel *k = &r->kernels[i];
		put_str(&w, k->name);
		put_u8(&w, (k->is_kernel ? 1u : 0u) | (k->wave64 ? 2u : 0u) | (k->has_first ? 4u : 0u) |
				   (k->wgp_mode ? 8u : 0u) | (k->hazards_checked ? 16u : 0u) | (k->has_hazard ? 32u : 0u));
		put_u8(&w, k->verdict);
		const uint64_t kc[] = { k->addr, k->size, k->n_insns, k->n_invalid, k->n_differs,
					k->n_undecodable, k->n_unknown };
		for (size_t j = 0; j < 7; j++)
			put_le(&w, kc[j], 8);
		if (k->has_first) {
			put_le(&w, k->first.addr, 8);
			put_u8(&w, k->first.kind);
			put_u8(&w, k->first.len);
			put(&w, k->first.bytes, k->first.len);
			put_str(&w, k->first.text);
			put_str(&w, k->first.real_text);
		}
		put_str(&w, k->reason);
		if (k->hazards_checked) {
			put_le(&w, k->n_hazards, 8);
			put_le(&w, k->n_possible, 8);
			for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++) {
				put_le(&w, k->n_by_class[c], 4);
				put_le(&w, k->first_by_class[c], 4);
			}
		}
		if (k->has_hazard) {
			put_le(&w, k->hazard.addr, 8);
			put_le(&w, k->hazard.other_addr, 8);
			put_u8(&w, k->hazard.cls);
			put_u8(&w, k->hazard.possible);
			put_str(&w, k->hazard.text);
			put_str(&w, k->hazard.other_text);
		}
	}
	if (w.oom) {
		free(w.p);
		return -ENOMEM;
	}
	*buf = w.p;
	*len = w.n;
	return 0;
}

/* ---- decoding: every read checks what is left first ---- */

struct rbuf {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rbuf *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t get_le(struct rbuf *r, int bytes)
{
	const uint8_t *p = take(r, (size_t)bytes);
	uint64_t v = 0;
	for (int i = 0; p && i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A string into a fixed buffer (must fit) or a new allocation (fixed == NULL). */
static char *get_str(struct rbuf *r, char *fixed, size_t size)
{
	size_t n = (size_t)get_le(r, 2);
	const uint8_t *p = take(r, n);
	if (!p || memchr(p, '\0', n))
		goto bad;
	char *d = fixed;
	if (fixed) {
		if (n >= size)
			goto bad;
	} else if (!(d = malloc(n + 1))) {
		goto bad;
	}
	memcpy(d, p, n);
	d[n] = '\0';
	return d;
bad:
	r->bad = true;
	return NULL;
}

int rmcp_isa_report_decode(const void *buf, size_t len, struct rmcp_isa_report *out,
			   struct rmcp_err *err)
{
	struct rbuf r = { buf, len, false };
	memset(out, 0, sizeof(*out));
	rmcp_err_clear(err);
	const uint8_t *m = take(&r, 8);
	if (!m || memcmp(m, MAGIC, 8) != 0)
		return rmcp_err_set(err, len < 8 ? -RMCP_E_TRUNC : -RMCP_E_FORMAT, "not an rmcp ISA cache entry");
	unsigned engine = (unsigned)get_le(&r, 1), verdict = (unsigned)get_le(&r, 1);
	unsigned flags = (unsigned)get_le(&r, 1), reserved = (unsigned)get_le(&r, 1);
	if (engine > RMCP_ISA_ENGINE_ORACLE || verdict > RMCP_ISA_INVALID || flags > 7 || reserved)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "ISA cache entry: bad header field");
	out->engine = (enum rmcp_isa_engine)engine;
	out->verdict = (enum rmcp_isa_verdict)verdict;
	out->needs_workarounds = flags & 1;
	out->same_isa = flags & 2;
	out->hazards_checked = flags & 4;
	uint64_t *counts[] = { &out->n_insns, &out->n_invalid, &out->n_differs, &out->n_undecodable, &out->n_unknown };
	for (size_t i = 0; i < 5; i++)
		*counts[i] = get_le(&r, 8);
	get_str(&r, out->code_target, sizeof(out->code_target));
	get_str(&r, out->real_target, sizeof(out->real_target));
	get_str(&r, out->workarounds, sizeof(out->workarounds));
	uint64_t nk = get_le(&r, 4);
	/* Each kernel takes at least 60 bytes: a count larger than the rest is a lie. */
	if (r.bad || nk > r.left / 60)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "ISA cache entry truncated");
	out->kernels = calloc(nk ? nk : 1, sizeof(*out->kernels));
	if (!out->kernels)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < nk && !r.bad; i++) {
		struct rmcp_isa_kernel *k = &out->kernels[i];
		k->name = get_str(&r, NULL, 0);
		if (!k->name)
			break;
		out->n_kernels++;
		unsigned kf = (unsigned)get_le(&r, 1), kv = (unsigned)get_le(&r, 1);
		if (kf > 63 || kv > RMCP_ISA_INVALID)
			r.bad = true;
		k->is_kernel = kf & 1;
		k->wave64 = kf & 2;
		k->has_first = kf & 4;
		k->wgp_mode = kf & 8;
		k->hazards_checked = kf & 16;
		k->has_hazard = kf & 32;
		k->verdict = (enum rmcp_isa_verdict)kv;
		uint64_t *kc[] = { &k->addr, &k->size, &k->n_insns, &k->n_invalid, &k->n_differs,
				   &k->n_undecodable, &k->n_unknown };
		for (size_t j = 0; j < 7; j++)
			*kc[j] = get_le(&r, 8);
		if (k->has_first) {
			k->first.addr = get_le(&r, 8);
			unsigned kind = (unsigned)get_le(&r, 1), n = (unsigned)get_le(&r, 1);
			const uint8_t *b = n <= sizeof(k->first.bytes) ? take(&r, n) : NULL;
			if (kind > RMCP_ISA_INSN_INVALID || !b) {
				r.bad = true;
				break;
			}
			k->first.kind = (enum rmcp_isa_insn_kind)kind;
			k->first.len = (uint8_t)n;
			memcpy(k->first.bytes, b, n);
			get_str(&r, k->first.text, sizeof(k->first.text));
			get_str(&r, k->first.real_text, sizeof(k->first.real_text));
		}
		get_str(&r, k->reason, sizeof(k->reason));
		if (k->hazards_checked) {
			k->n_hazards = get_le(&r, 8);
			k->n_possible = get_le(&r, 8);
			for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++) {
				k->n_by_class[c] = (uint32_t)get_le(&r, 4);
				k->first_by_class[c] = (uint32_t)get_le(&r, 4);
			}
		}
		if (k->has_hazard) {
			k->hazard.addr = get_le(&r, 8);
			k->hazard.other_addr = get_le(&r, 8);
			unsigned cls = (unsigned)get_le(&r, 1), pos = (unsigned)get_le(&r, 1);
			if (cls >= RMCP_ISA_HZ_NCLASSES || pos > 1)
				r.bad = true;
			k->hazard.cls = (uint8_t)cls;
			k->hazard.possible = pos;
			get_str(&r, k->hazard.text, sizeof(k->hazard.text));
			get_str(&r, k->hazard.other_text, sizeof(k->hazard.other_text));
		}
		if (!r.bad) {
			out->kernels_by_verdict[k->verdict]++;
			for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++) {
				out->hazards_by_class[c] += k->n_by_class[c];
				out->kernels_by_class[c] += k->n_by_class[c] != 0;
			}
		}
	}
	if (r.bad || r.left) {
		bool trunc = r.bad && !r.left;
		rmcp_isa_report_release(out);
		return rmcp_err_set(err, trunc ? -RMCP_E_TRUNC : -RMCP_E_FORMAT, "ISA cache entry malformed");
	}
	return 0;
}

/* ---- files ---- */

int rmcp_isa_cache_dir(const char *xdg_cache_home, const char *home, char *buf, size_t size)
{
	int n;
	/* XDG: a relative $XDG_CACHE_HOME is invalid and must be ignored. */
	if (xdg_cache_home && xdg_cache_home[0] == '/')
		n = snprintf(buf, size, "%s/rmcp/isa", xdg_cache_home);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.cache/rmcp/isa", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= size ? -RMCP_E_LIMIT : n;
}

static int entry_path(const char *dir, const char key[RMCP_ISA_KEY_LEN], char *buf, size_t size)
{
	if (strnlen(key, RMCP_ISA_KEY_LEN) != RMCP_ISA_KEY_LEN - 1 || strspn(key, "0123456789abcdef") != RMCP_ISA_KEY_LEN - 1)
		return -EINVAL;
	int n = snprintf(buf, size, "%s/%s.isa", dir, key);
	return n < 0 || (size_t)n >= size ? -RMCP_E_LIMIT : 0;
}

/*
 * A cache file is the key it was stored under, a newline, then the encoded report. The key
 * is the code object's content hash (with the GPU, flags and table version): an entry whose
 * first line is not the key asked for is ignored, so a file copied or renamed to another
 * key, or written by another rmcp, never speaks for a code object it was not made from.
 */
int rmcp_isa_cache_load(const char *dir, const char key[RMCP_ISA_KEY_LEN],
			struct rmcp_isa_report *out, struct rmcp_err *err)
{
	char path[4096];
	int rc = entry_path(dir, key, path, sizeof(path));
	memset(out, 0, sizeof(*out));
	rmcp_err_clear(err);
	if (rc < 0)
		return rmcp_err_set(err, rc, "bad ISA cache key or directory");
	if ((rc = rmcp_cache_dir_check(dir)) < 0)
		return rmcp_err_set(err, rc, "%s: %s", dir, rmcp_strerror(rc));
	int fd = rmcp_cache_entry_open(path);
	if (fd < 0)
		return rmcp_err_set(err, fd, "%s: %s", path, rmcp_strerror(fd));
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < RMCP_ISA_KEY_LEN || (uint64_t)st.st_size > MAX_CACHE_FILE) {
		close(fd);
		return rmcp_err_set(err, -RMCP_E_LIMIT, "%s: not a plausible cache entry", path);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n);
	if (!b) {
		close(fd);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	while (got < n) {
		ssize_t k = read(fd, b + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	const size_t head = RMCP_ISA_KEY_LEN;	/* 48 hex digits and '\n' */
	if (got != n)
		rc = rmcp_err_set(err, -EIO, "%s: short read", path);
	else if (memcmp(b, key, head - 1) != 0 || b[head - 1] != '\n')
		rc = rmcp_err_set(err, -RMCP_E_FORMAT, "%s: entry made for another key", path);
	else
		rc = rmcp_isa_report_decode(b + head, n - head, out, err);
	free(b);
	if (rc < 0)
		rmcp_err_prefix(err, "%s", path);
	return rc;
}

int rmcp_isa_cache_store(const char *dir, const char key[RMCP_ISA_KEY_LEN],
			 const struct rmcp_isa_report *r, struct rmcp_err *err)
{
	char path[4096];
	void *buf;
	size_t len;
	int rc = entry_path(dir, key, path, sizeof(path));
	rmcp_err_clear(err);
	if (rc < 0)
		return rmcp_err_set(err, rc, "bad ISA cache key or directory");
	if ((rc = rmcp_cache_dir_prepare(dir)) < 0)
		return rmcp_err_set(err, rc, "%s: %s", dir, rmcp_strerror(rc));
	if ((rc = rmcp_isa_report_encode(r, &buf, &len)) < 0)
		return rmcp_err_set(err, rc, "out of memory");
	uint8_t *file = malloc(RMCP_ISA_KEY_LEN + len);
	if (!file) {
		free(buf);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(file, key, RMCP_ISA_KEY_LEN - 1);
	file[RMCP_ISA_KEY_LEN - 1] = '\n';
	memcpy(file + RMCP_ISA_KEY_LEN, buf, len);
	free(buf);
	rc = rmcp_safe_write(path, file, RMCP_ISA_KEY_LEN + len, 0600);
	free(file);
	if (rc < 0)
		return rmcp_err_set(err, rc, "%s: %s", path, rmcp_strerror(rc));
	return 0;
}
