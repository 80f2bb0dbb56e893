/* SPDX-License-Identifier: MIT */
#include "kpack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "kpack_internal.h"
#include "msgpack.h"
#include "banned.h"

#define KPACK_MAGIC "KPAK"
#define KPACK_HEADER_SIZE 16
#define KPACK_VERSION 1

void rmcp_kpack_free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Translate a msgpack reader error into a message; `pos` is a file (or section) offset. */
int rmcp_kpack_mp_fail(struct rmcp_err *err, int rc, const char *where, size_t pos)
{
	switch (rc) {
	case -RMCP_E_TRUNC:
		return rmcp_err_set(err, rc, "%s: data ends inside a msgpack item at offset %zu",
				    where, pos);
	case -RMCP_E_LIMIT:
		return rmcp_err_set(err, rc, "%s: msgpack nested deeper than %d at offset %zu",
				    where, RMCP_MP_MAX_DEPTH, pos);
	case -RMCP_E_FORMAT:
		return rmcp_err_set(err, rc, "%s: unexpected msgpack type at offset %zu", where, pos);
	default:
		return rmcp_err_set(err, rc, "%s: msgpack error at offset %zu", where, pos);
	}
}

/* NUL-terminated copy of a msgpack string, refusing over-long strings and embedded NULs. */
int rmcp_kpack_dup_str(const char *s, uint32_t n, size_t max, char **out, struct rmcp_err *err,
		       const char *where, size_t pos)
{
	char *p;

	if (n > max)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "%s: string of %u bytes at offset %zu "
				    "exceeds the %zu-byte limit", where, n, pos, max);
	if (memchr(s, '\0', n))
		return rmcp_err_set(err, -RMCP_E_FORMAT, "%s: string at offset %zu contains a NUL "
				    "byte", where, pos);
	p = malloc((size_t)n + 1);
	if (!p)
		return rmcp_err_set(err, -ENOMEM, "%s: out of memory", where);
	memcpy(p, s, n);
	p[n] = '\0';
	*out = p;
	return 0;
}

/* Grow *v (elements of `size` bytes) so that index `n` fits; limit checked by callers. */
int rmcp_kpack_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* ---- .kpack archive ---------------------------------------------------------------------- */

struct span {
	uint64_t off, size;
};

struct toc_ctx {
	const uint8_t *buf;		/* whole archive */
	size_t len;
	size_t base;			/* file offset of the TOC */
	struct rmcp_mp mp;		/* over buf[base..len) */
	struct rmcp_err *err;
	struct rmcp_kpack *kp;
	size_t toc_pos, blobs_pos;	/* positions of "toc" / "blobs" values, recorded in pass 1 */
	bool have_toc, have_blobs, have_zoff, have_zsize;
	uint64_t zstd_offset, zstd_size;
	struct span *store;		/* stored object of each ordinal */
	size_t n_store;
	size_t cap_binaries, cap_items;
};

static size_t at(const struct toc_ctx *c)
{
	return c->base + c->mp.pos;
}

static int toc_fail(struct toc_ctx *c, int rc, const char *where, size_t pos)
{
	return rmcp_kpack_mp_fail(c->err, rc, where, pos);
}

static int toc_str(struct toc_ctx *c, size_t max, char **out, const char *where)
{
	size_t pos = at(c);
	const char *s;
	uint32_t n;
	int rc = rmcp_mp_read_str(&c->mp, &s, &n);

	if (rc)
		return toc_fail(c, rc, where, pos);
	return rmcp_kpack_dup_str(s, n, max, out, c->err, where, pos);
}

static int toc_uint(struct toc_ctx *c, uint64_t *v, const char *where)
{
	size_t pos = at(c);
	int rc = rmcp_mp_read_uint(&c->mp, v);

	return rc ? toc_fail(c, rc, where, pos) : 0;
}

static int toc_skip(struct toc_ctx *c, const char *where)
{
	size_t pos = at(c);
	int rc = rmcp_mp_skip(&c->mp);

	return rc ? toc_fail(c, rc, where, pos) : 0;
}

static int toc_arches(struct toc_ctx *c)
{
	struct rmcp_kpack *kp = c->kp;
	size_t cap = 0;
	uint32_t n;
	size_t pos = at(c);
	int rc = rmcp_mp_read_array(&c->mp, &n);

	if (rc)
		return toc_fail(c, rc, "kpack: gfx_arches", pos);
	if (n > RMCP_KPACK_MAX_ITEMS)
		return rmcp_err_set(c->err, -RMCP_E_LIMIT, "kpack: gfx_arches has %u entries, "
				    "limit %d", n, RMCP_KPACK_MAX_ITEMS);
	for (uint32_t i = 0; i < n; i++) {
		if (rmcp_kpack_grow((void **)&kp->arches, &cap, kp->n_arches, sizeof(char *)))
			return rmcp_err_set(c->err, -ENOMEM, "kpack: out of memory");
		rc = toc_str(c, RMCP_KPACK_MAX_NAME, &kp->arches[kp->n_arches], "kpack: gfx_arches");
		if (rc)
			return rc;
		kp->n_arches++;
	}
	return 0;
}

enum top_key {
	K_FORMAT_VERSION, K_GROUP, K_FAMILY, K_ARCHES, K_SCHEME, K_BLOBS, K_ZOFF, K_ZSIZE, K_TOC,
	K_COUNT
};

static const char *const top_keys[K_COUNT] = {
	[K_FORMAT_VERSION] = "format_version", [K_GROUP] = "group_name",
	[K_FAMILY] = "gfx_arch_family", [K_ARCHES] = "gfx_arches",
	[K_SCHEME] = "compression_scheme", [K_BLOBS] = "blobs", [K_ZOFF] = "zstd_offset",
	[K_ZSIZE] = "zstd_size", [K_TOC] = "toc",
};

static int top_value(struct toc_ctx *c, enum top_key k)
{
	uint64_t v;
	int rc;

	switch (k) {
	case K_FORMAT_VERSION:
		rc = toc_uint(c, &v, "kpack: format_version");
		if (rc)
			return rc;
		if (v != KPACK_VERSION)	/* kpack.py FORMAT_VERSION */
			return rmcp_err_set(c->err, -RMCP_E_UNSUPPORTED, "kpack: toc format_version "
					    "%llu, only %d is known", (unsigned long long)v,
					    KPACK_VERSION);
		c->kp->format_version = (uint32_t)v;
		return 0;
	case K_GROUP:
		return toc_str(c, RMCP_KPACK_MAX_NAME, &c->kp->group_name, "kpack: group_name");
	case K_FAMILY:
		return toc_str(c, RMCP_KPACK_MAX_NAME, &c->kp->arch_family,
			       "kpack: gfx_arch_family");
	case K_ARCHES:
		return toc_arches(c);
	case K_SCHEME:
		return toc_str(c, RMCP_KPACK_MAX_NAME, &c->kp->compression,
			       "kpack: compression_scheme");
	case K_ZOFF:
		c->have_zoff = true;
		return toc_uint(c, &c->zstd_offset, "kpack: zstd_offset");
	case K_ZSIZE:
		c->have_zsize = true;
		return toc_uint(c, &c->zstd_size, "kpack: zstd_size");
	case K_BLOBS:
		/* "toc" precedes "blobs" in files written by kpack.py write(): resolve later */
		c->have_blobs = true;
		c->blobs_pos = c->mp.pos;
		return toc_skip(c, "kpack: blobs");
	case K_TOC:
		c->have_toc = true;
		c->toc_pos = c->mp.pos;
		return toc_skip(c, "kpack: toc");
	case K_COUNT:
		break;
	}
	return 0;
}

/* Pass 1 over the top-level map: scalars now, positions of "blobs" and "toc" for later. */
static int toc_top(struct toc_ctx *c)
{
	unsigned seen = 0;
	uint32_t n;
	size_t pos = at(c);
	int rc = rmcp_mp_read_map(&c->mp, &n);

	if (rc == -RMCP_E_FORMAT)
		return rmcp_err_set(c->err, rc, "kpack: toc at offset %zu is not a msgpack map",
				    pos);
	if (rc)
		return toc_fail(c, rc, "kpack: toc", pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_mp_item key;
		int k;

		pos = at(c);
		rc = rmcp_mp_next(&c->mp, &key);
		if (rc)
			return toc_fail(c, rc, "kpack: toc", pos);
		for (k = 0; k < K_COUNT; k++)
			if (rmcp_mp_str_eq(&key, top_keys[k]))
				break;
		if (k == K_COUNT) {
			rc = toc_skip(c, "kpack: toc");
		} else if (seen & (1u << k)) {
			rc = rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: toc key %s appears twice",
					  top_keys[k]);
		} else {
			seen |= 1u << k;
			rc = top_value(c, (enum top_key)k);
		}
		if (rc)
			return rc;
	}
	if (!c->have_toc)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: toc has no \"toc\" map");
	return 0;
}

static int check_span(struct toc_ctx *c, uint64_t off, uint64_t size, const char *what,
		      size_t idx)
{
	if (off > c->len || size > c->len - off)
		return rmcp_err_set(c->err, -RMCP_E_TRUNC, "kpack: %s %zu (offset %llu, size %llu) "
				    "lies past the end of the %zu-byte archive", what, idx,
				    (unsigned long long)off, (unsigned long long)size, c->len);
	return 0;
}

/* One element of "blobs": {offset, size} (compression.py NoOpCompressor.finalize). */
static int blob_entry(struct toc_ctx *c, struct span *s, size_t idx)
{
	bool have_off = false, have_size = false;
	uint32_t n;
	size_t pos = at(c);
	int rc = rmcp_mp_read_map(&c->mp, &n);

	if (rc)
		return toc_fail(c, rc, "kpack: blobs entry", pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_mp_item key;

		pos = at(c);
		rc = rmcp_mp_next(&c->mp, &key);
		if (rc)
			return toc_fail(c, rc, "kpack: blobs entry", pos);
		if (rmcp_mp_str_eq(&key, "offset")) {
			have_off = true;
			rc = toc_uint(c, &s->off, "kpack: blob offset");
		} else if (rmcp_mp_str_eq(&key, "size")) {
			have_size = true;
			rc = toc_uint(c, &s->size, "kpack: blob size");
		} else {
			rc = toc_skip(c, "kpack: blobs entry");
		}
		if (rc)
			return rc;
	}
	if (!have_off || !have_size)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: blob %zu lacks offset or size",
				    idx);
	return check_span(c, s->off, s->size, "blob", idx);
}

static int store_none(struct toc_ctx *c)
{
	uint32_t n;
	size_t pos;
	int rc;

	if (!c->have_blobs)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: scheme \"none\" without blobs");
	c->mp.pos = c->blobs_pos;
	pos = at(c);
	rc = rmcp_mp_read_array(&c->mp, &n);
	if (rc)
		return toc_fail(c, rc, "kpack: blobs", pos);
	if (n > RMCP_KPACK_MAX_ITEMS)
		return rmcp_err_set(c->err, -RMCP_E_LIMIT, "kpack: %u blobs, limit %d", n,
				    RMCP_KPACK_MAX_ITEMS);
	/* each entry takes >= 1 byte, so n is bounded by the TOC size before allocating */
	if (n > rmcp_mp_remaining(&c->mp))
		return rmcp_err_set(c->err, -RMCP_E_TRUNC, "kpack: blobs declares %u entries in "
				    "%zu bytes", n, rmcp_mp_remaining(&c->mp));
	c->store = calloc(n ? n : 1, sizeof(*c->store));
	if (!c->store)
		return rmcp_err_set(c->err, -ENOMEM, "kpack: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		rc = blob_entry(c, &c->store[i], i);
		if (rc)
			return rc;
		c->n_store++;
	}
	return 0;
}

/* zstd blob: u32 num_kernels, then {u32 size, frame} per kernel (ZstdCompressor.finalize). */
static int store_zstd(struct toc_ctx *c)
{
	uint64_t end, p;
	uint32_t n;
	int rc;

	if (!c->have_zoff || !c->have_zsize)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: scheme \"zstd-per-kernel\" "
				    "without zstd_offset/zstd_size");
	rc = check_span(c, c->zstd_offset, c->zstd_size, "zstd blob", 0);
	if (rc)
		return rc;
	end = c->zstd_offset + c->zstd_size;		/* checked above: <= len */
	if (c->zstd_size < 4)
		return rmcp_err_set(c->err, -RMCP_E_TRUNC, "kpack: zstd blob of %llu bytes has no "
				    "kernel count", (unsigned long long)c->zstd_size);
	n = rmcp_le32(c->buf + c->zstd_offset);
	if (n > RMCP_KPACK_MAX_ITEMS)
		return rmcp_err_set(c->err, -RMCP_E_LIMIT, "kpack: zstd blob holds %u frames, "
				    "limit %d", n, RMCP_KPACK_MAX_ITEMS);
	c->store = calloc(n ? n : 1, sizeof(*c->store));
	if (!c->store)
		return rmcp_err_set(c->err, -ENOMEM, "kpack: out of memory");
	p = c->zstd_offset + 4;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t fsz;

		if (end - p < 4)
			return rmcp_err_set(c->err, -RMCP_E_TRUNC, "kpack: zstd frame %u: size "
					    "field past the end of the zstd blob", i);
		fsz = rmcp_le32(c->buf + p);
		p += 4;
		if (fsz > end - p)
			return rmcp_err_set(c->err, -RMCP_E_TRUNC, "kpack: zstd frame %u of %u "
					    "bytes at offset %llu runs past the zstd blob", i, fsz,
					    (unsigned long long)p);
		c->store[i].off = p;
		c->store[i].size = fsz;
		p += fsz;
		c->n_store++;
	}
	return 0;
}

/* {type, ordinal, original_size, metadata} for one (binary, arch) (kpack.py add_kernel). */
static int toc_entry(struct toc_ctx *c, struct rmcp_kpack_item *it)
{
	bool have_ord = false;
	uint64_t ord = 0;
	uint32_t n;
	size_t pos = at(c);
	int rc = rmcp_mp_read_map(&c->mp, &n);

	if (rc)
		return toc_fail(c, rc, "kpack: toc entry", pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_mp_item key;

		pos = at(c);
		rc = rmcp_mp_next(&c->mp, &key);
		if (rc)
			return toc_fail(c, rc, "kpack: toc entry", pos);
		if (rmcp_mp_str_eq(&key, "type") && !it->type) {
			rc = toc_str(c, RMCP_KPACK_MAX_NAME, &it->type, "kpack: toc entry type");
		} else if (rmcp_mp_str_eq(&key, "ordinal")) {
			have_ord = true;
			rc = toc_uint(c, &ord, "kpack: toc entry ordinal");
		} else if (rmcp_mp_str_eq(&key, "original_size")) {
			rc = toc_uint(c, &it->original_size, "kpack: toc entry original_size");
		} else {
			rc = toc_skip(c, "kpack: toc entry");
		}
		if (rc)
			return rc;
	}
	if (!have_ord)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: toc entry %s @ %s has no "
				    "ordinal", it->binary, it->arch);
	if (ord >= c->n_store)
		return rmcp_err_set(c->err, -RMCP_E_FORMAT, "kpack: toc entry %s @ %s: ordinal "
				    "%llu, but the archive stores %zu objects", it->binary,
				    it->arch, (unsigned long long)ord, c->n_store);
	it->ordinal = (uint32_t)ord;
	it->offset = c->store[ord].off;
	it->size = c->store[ord].size;
	return 0;
}

/* {<arch>: entry} for one binary key. */
static int toc_binary(struct toc_ctx *c, char *binary)
{
	struct rmcp_kpack *kp = c->kp;
	uint32_t n;
	size_t pos = at(c);
	int rc = rmcp_mp_read_map(&c->mp, &n);

	if (rc)
		return toc_fail(c, rc, "kpack: toc binary", pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_kpack_item *it;

		if (kp->n_items == RMCP_KPACK_MAX_ITEMS)
			return rmcp_err_set(c->err, -RMCP_E_LIMIT, "kpack: more than %d toc entries",
					    RMCP_KPACK_MAX_ITEMS);
		if (rmcp_kpack_grow((void **)&kp->items, &c->cap_items, kp->n_items, sizeof(*kp->items)))
			return rmcp_err_set(c->err, -ENOMEM, "kpack: out of memory");
		it = &kp->items[kp->n_items];
		memset(it, 0, sizeof(*it));
		it->binary = binary;
		kp->n_items++;		/* counted now so release() frees a half-read entry */
		rc = toc_str(c, RMCP_KPACK_MAX_NAME, &it->arch, "kpack: toc arch");
		if (rc)
			return rc;
		rc = toc_entry(c, it);
		if (rc)
			return rc;
	}
	return 0;
}

static int toc_map(struct toc_ctx *c)
{
	struct rmcp_kpack *kp = c->kp;
	uint32_t n;
	size_t pos;
	int rc;

	c->mp.pos = c->toc_pos;
	pos = at(c);
	rc = rmcp_mp_read_map(&c->mp, &n);
	if (rc)
		return toc_fail(c, rc, "kpack: toc", pos);
	if (n > RMCP_KPACK_MAX_ITEMS)
		return rmcp_err_set(c->err, -RMCP_E_LIMIT, "kpack: toc has %u binaries, limit %d",
				    n, RMCP_KPACK_MAX_ITEMS);
	for (uint32_t i = 0; i < n; i++) {
		if (rmcp_kpack_grow((void **)&kp->binaries, &c->cap_binaries, kp->n_binaries, sizeof(char *)))
			return rmcp_err_set(c->err, -ENOMEM, "kpack: out of memory");
		rc = toc_str(c, RMCP_KPACK_MAX_PATH, &kp->binaries[kp->n_binaries],
			     "kpack: toc binary");
		if (rc)
			return rc;
		kp->n_binaries++;
		rc = toc_binary(c, kp->binaries[kp->n_binaries - 1]);
		if (rc)
			return rc;
	}
	return 0;
}

static int kpack_header(const uint8_t *p, size_t len, struct rmcp_kpack *kp, uint64_t *toc,
			struct rmcp_err *err)
{
	if (len < KPACK_HEADER_SIZE)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "kpack: %zu bytes, the header needs %d",
				    len, KPACK_HEADER_SIZE);
	if (memcmp(p, KPACK_MAGIC, 4) != 0)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack: bad magic (want \"KPAK\")");
	kp->version = rmcp_le32(p + 4);
	if (kp->version != KPACK_VERSION)
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "kpack: version %u, only %d is known",
				    kp->version, KPACK_VERSION);
	*toc = rmcp_le64(p + 8);
	/* archive.cpp/toc_parser.cpp: the TOC must start inside the file; it cannot overlap
	 * the header either */
	if (*toc >= len)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "kpack: toc offset %llu is past the end "
				    "of the %zu-byte archive", (unsigned long long)*toc, len);
	if (*toc < KPACK_HEADER_SIZE)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack: toc offset %llu overlaps the "
				    "header", (unsigned long long)*toc);
	return 0;
}

static int kpack_parse(const uint8_t *p, size_t len, struct rmcp_kpack *kp,
		       struct toc_ctx *c)
{
	uint64_t toc = 0;
	const char *scheme;
	int rc = kpack_header(p, len, kp, &toc, c->err);

	if (rc)
		return rc;
	c->base = (size_t)toc;
	rmcp_mp_init(&c->mp, p + toc, len - (size_t)toc);
	rc = toc_top(c);
	if (rc)
		return rc;
	/* no compression_scheme means "none" (compression.py create_compressor_from_toc) */
	scheme = kp->compression ? kp->compression : "none";
	if (strcmp(scheme, "none") == 0) {
		kp->scheme = RMCP_KPACK_SCHEME_NONE;
		rc = store_none(c);
	} else if (strcmp(scheme, "zstd-per-kernel") == 0) {
		kp->scheme = RMCP_KPACK_SCHEME_ZSTD_PER_KERNEL;
		rc = store_zstd(c);
	} else {
		rc = rmcp_err_set(c->err, -RMCP_E_UNSUPPORTED, "kpack: compression scheme \"%s\" "
				  "is not known", scheme);
	}
	if (!rc && !kp->compression)
		rc = rmcp_kpack_dup_str("none", 4, RMCP_KPACK_MAX_NAME, &kp->compression, c->err, "kpack", 0);
	if (rc)
		return rc;
	return toc_map(c);
}

int rmcp_kpack_parse(const void *buf, size_t len, struct rmcp_kpack *out, struct rmcp_err *err)
{
	struct toc_ctx c;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!buf)
		len = 0;
	c.buf = buf;
	c.len = len;
	c.err = err;
	c.kp = out;
	rc = kpack_parse(buf, len, out, &c);
	free(c.store);
	if (rc)
		rmcp_kpack_release(out);
	return rc;
}

void rmcp_kpack_release(struct rmcp_kpack *kp)
{
	if (!kp)
		return;
	for (size_t i = 0; i < kp->n_items; i++) {
		free(kp->items[i].arch);
		free(kp->items[i].type);
	}
	free(kp->items);
	rmcp_kpack_free_strv(kp->binaries, kp->n_binaries);
	rmcp_kpack_free_strv(kp->arches, kp->n_arches);
	free(kp->group_name);
	free(kp->arch_family);
	free(kp->compression);
	memset(kp, 0, sizeof(*kp));
}

int rmcp_kpack_key_matches(const char *key, const char *kernel_name)
{
	size_t n = strlen(kernel_name);
	const char *p;

	if (strncmp(key, kernel_name, n) != 0)
		return 0;
	p = key + n;
	if (*p == '\0')
		return 1;
	if (*p++ != '#' || *p == '\0')
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}
