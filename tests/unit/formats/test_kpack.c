/* SPDX-License-Identifier: MIT */
/*
 * Tests for the MessagePack reader (msgpack.c) and TheRock kpack support (kpack.c).
 * Archives are built here byte by byte in the layout of rocm-kpack's kpack.py
 * PackedKernelArchive.write(); the fixture test reads the output of tests/fixtures/mkkpack.py
 * from $RMCP_FIXTURES/kpack (set by meson) and is skipped without it.
 */
#define _XOPEN_SOURCE 700	/* mkdtemp, mkfifo, symlink */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "kpack.h"
#include "msgpack.h"

/* ---- a byte buffer and a tiny MessagePack writer --------------------------------------- */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;

	put(b, &c, 1);
}

static void put_be(struct buf *b, uint64_t v, unsigned width)
{
	for (unsigned i = width; i-- > 0;)
		put8(b, (unsigned)(v >> (8 * i)) & 0xffu);
}

static void put_le(struct buf *b, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		put8(b, (unsigned)(v >> (8 * i)) & 0xffu);
}

static void mp_uint(struct buf *b, uint64_t v)
{
	if (v < 0x80) {
		put8(b, (unsigned)v);
	} else if (v <= 0xff) {
		put8(b, 0xcc);
		put_be(b, v, 1);
	} else if (v <= 0xffff) {
		put8(b, 0xcd);
		put_be(b, v, 2);
	} else if (v <= 0xffffffffu) {
		put8(b, 0xce);
		put_be(b, v, 4);
	} else {
		put8(b, 0xcf);
		put_be(b, v, 8);
	}
}

static void mp_strn(struct buf *b, const char *s, size_t n)
{
	if (n < 32) {
		put8(b, 0xa0 | (unsigned)n);
	} else if (n <= 0xff) {
		put8(b, 0xd9);
		put_be(b, n, 1);
	} else if (n <= 0xffff) {
		put8(b, 0xda);
		put_be(b, n, 2);
	} else {
		put8(b, 0xdb);
		put_be(b, n, 4);
	}
	put(b, s, n);
}

static void mp_str(struct buf *b, const char *s)
{
	mp_strn(b, s, strlen(s));
}

static void mp_container(struct buf *b, uint32_t n, unsigned fix, unsigned c16)
{
	if (n < 16) {
		put8(b, fix | n);
	} else if (n <= 0xffff) {
		put8(b, c16);
		put_be(b, n, 2);
	} else {
		put8(b, c16 + 1);
		put_be(b, n, 4);
	}
}

static void mp_map(struct buf *b, uint32_t n)
{
	mp_container(b, n, 0x80, 0xde);
}

static void mp_arr(struct buf *b, uint32_t n)
{
	mp_container(b, n, 0x90, 0xdc);
}

/* Heap copy of exactly n bytes, so ASan catches any read past the end. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* ---- MessagePack reader ------------------------------------------------------------------ */

/* One of every format, wrapped in an array so the whole document is one item. */
static size_t every_type(struct buf *b)
{
	static const char s40[] = "0123456789012345678901234567890123456789";
	char big[300];

	memset(big, 'x', sizeof(big));
	put8(b, 0xdc);		/* array16 */
	put_be(b, 36, 2);
	put8(b, 0xc0);					/* nil */
	put8(b, 0xc2);					/* false */
	put8(b, 0xc3);					/* true */
	put8(b, 0x05);					/* positive fixint */
	put8(b, 0xfd);					/* negative fixint -3 */
	put8(b, 0xcc); put_be(b, 200, 1);		/* uint8 */
	put8(b, 0xcd); put_be(b, 0x1234, 2);		/* uint16 */
	put8(b, 0xce); put_be(b, 0x89abcdefu, 4);	/* uint32 */
	put8(b, 0xcf); put_be(b, UINT64_MAX, 8);	/* uint64 */
	put8(b, 0xd0); put_be(b, 0x9c, 1);		/* int8 -100 */
	put8(b, 0xd1); put_be(b, 0x8000, 2);		/* int16 -32768 */
	put8(b, 0xd2); put_be(b, 0xfffffffeu, 4);	/* int32 -2 */
	put8(b, 0xd3); put_be(b, 0x8000000000000000u, 8); /* int64 min */
	put8(b, 0xca); put_be(b, 0x3fc00000u, 4);	/* float32 1.5 */
	put8(b, 0xcb); put_be(b, 0xc002000000000000u, 8); /* float64 -2.25 */
	put8(b, 0xa3); put(b, "abc", 3);		/* fixstr */
	put8(b, 0xd9); put_be(b, 40, 1); put(b, s40, 40);	/* str8 */
	put8(b, 0xda); put_be(b, 300, 2); put(b, big, 300);	/* str16 */
	put8(b, 0xdb); put_be(b, 2, 4); put(b, "hi", 2);	/* str32 */
	put8(b, 0xc4); put_be(b, 2, 1); put(b, "\x00\x01", 2);	/* bin8 */
	put8(b, 0xc5); put_be(b, 1, 2); put(b, "\xff", 1);	/* bin16 */
	put8(b, 0xc6); put_be(b, 0, 4);				/* bin32 empty */
	put8(b, 0x92); put8(b, 1); put8(b, 2);			/* fixarray */
	put8(b, 0xdc); put_be(b, 0, 2);				/* array16 empty */
	put8(b, 0xdd); put_be(b, 1, 4); put8(b, 0xc0);		/* array32 [nil] */
	put8(b, 0x81); put8(b, 0xa1); put8(b, 'a'); put8(b, 1);	/* fixmap {a:1} */
	put8(b, 0xde); put_be(b, 0, 2);				/* map16 {} */
	put8(b, 0xdf); put_be(b, 1, 4);				/* map32 {k: [1]} */
	put8(b, 0xa1); put8(b, 'k'); put8(b, 0x91); put8(b, 1);
	put8(b, 0xd4); put8(b, 0xff); put8(b, 0xaa);		/* fixext1, type -1 */
	put8(b, 0xd5); put8(b, 2); put(b, "\x01\x02", 2);	/* fixext2 */
	put8(b, 0xd6); put8(b, 3); put(b, "abcd", 4);		/* fixext4 */
	put8(b, 0xd7); put8(b, 4); put(b, "abcdefgh", 8);	/* fixext8 */
	put8(b, 0xd8); put8(b, 5); put(b, "0123456789abcdef", 16); /* fixext16 */
	put8(b, 0xc7); put_be(b, 3, 1); put8(b, 6); put(b, "xyz", 3); /* ext8 */
	put8(b, 0xc8); put_be(b, 1, 2); put8(b, 7); put8(b, 'q');	/* ext16 */
	put8(b, 0xc9); put_be(b, 0, 4); put8(b, 8);			/* ext32 empty */
	return 36;
}

static void next_ok(struct rmcp_mp *mp, struct rmcp_mp_item *it, enum rmcp_mp_type type)
{
	assert_int_equal(rmcp_mp_next(mp, it), 0);
	assert_int_equal(it->type, type);
}

static void test_mp_every_type(void **state)
{
	struct buf b = { 0 };
	struct rmcp_mp mp;
	struct rmcp_mp_item it;
	size_t n;

	(void)state;
	n = every_type(&b);
	rmcp_mp_init(&mp, b.p, b.n);
	next_ok(&mp, &it, RMCP_MP_ARRAY);
	assert_int_equal(it.len, n);
	next_ok(&mp, &it, RMCP_MP_NIL);
	next_ok(&mp, &it, RMCP_MP_BOOL);
	assert_false(it.v.b);
	next_ok(&mp, &it, RMCP_MP_BOOL);
	assert_true(it.v.b);
	next_ok(&mp, &it, RMCP_MP_UINT);
	assert_int_equal(it.v.u, 5);
	next_ok(&mp, &it, RMCP_MP_INT);
	assert_int_equal(it.v.i, -3);
	next_ok(&mp, &it, RMCP_MP_UINT);
	assert_int_equal(it.v.u, 200);
	next_ok(&mp, &it, RMCP_MP_UINT);
	assert_int_equal(it.v.u, 0x1234);
	next_ok(&mp, &it, RMCP_MP_UINT);
	assert_int_equal(it.v.u, 0x89abcdefu);
	next_ok(&mp, &it, RMCP_MP_UINT);
	assert_true(it.v.u == UINT64_MAX);
	next_ok(&mp, &it, RMCP_MP_INT);
	assert_int_equal(it.v.i, -100);
	next_ok(&mp, &it, RMCP_MP_INT);
	assert_int_equal(it.v.i, -32768);
	next_ok(&mp, &it, RMCP_MP_INT);
	assert_int_equal(it.v.i, -2);
	next_ok(&mp, &it, RMCP_MP_INT);
	assert_true(it.v.i == INT64_MIN);
	next_ok(&mp, &it, RMCP_MP_FLOAT);
	assert_true(it.v.f == 1.5);
	next_ok(&mp, &it, RMCP_MP_FLOAT);
	assert_true(it.v.f == -2.25);
	next_ok(&mp, &it, RMCP_MP_STR);
	assert_true(rmcp_mp_str_eq(&it, "abc"));
	next_ok(&mp, &it, RMCP_MP_STR);
	assert_int_equal(it.len, 40);
	assert_memory_equal(it.data, "0123456789", 10);
	next_ok(&mp, &it, RMCP_MP_STR);
	assert_int_equal(it.len, 300);
	next_ok(&mp, &it, RMCP_MP_STR);
	assert_true(rmcp_mp_str_eq(&it, "hi"));
	assert_false(rmcp_mp_str_eq(&it, "h"));
	next_ok(&mp, &it, RMCP_MP_BIN);
	assert_int_equal(it.len, 2);
	assert_memory_equal(it.data, "\x00\x01", 2);
	next_ok(&mp, &it, RMCP_MP_BIN);
	assert_int_equal(it.len, 1);
	next_ok(&mp, &it, RMCP_MP_BIN);
	assert_int_equal(it.len, 0);
	next_ok(&mp, &it, RMCP_MP_ARRAY);
	assert_int_equal(it.len, 2);
	assert_int_equal(rmcp_mp_skip(&mp), 0);		/* the two elements, one at a time */
	assert_int_equal(rmcp_mp_skip(&mp), 0);
	next_ok(&mp, &it, RMCP_MP_ARRAY);
	assert_int_equal(it.len, 0);
	assert_int_equal(rmcp_mp_skip(&mp), 0);		/* array32 [nil] as a whole */
	next_ok(&mp, &it, RMCP_MP_MAP);
	assert_int_equal(it.len, 1);
	next_ok(&mp, &it, RMCP_MP_STR);
	next_ok(&mp, &it, RMCP_MP_UINT);
	next_ok(&mp, &it, RMCP_MP_MAP);
	assert_int_equal(it.len, 0);
	assert_int_equal(rmcp_mp_skip(&mp), 0);		/* map32 {k: [1]} */
	next_ok(&mp, &it, RMCP_MP_EXT);
	assert_int_equal(it.ext_type, -1);
	assert_int_equal(it.len, 1);
	assert_int_equal(it.data[0], 0xaa);
	for (unsigned w = 2; w <= 16; w *= 2) {
		next_ok(&mp, &it, RMCP_MP_EXT);
		assert_int_equal(it.len, w);
	}
	next_ok(&mp, &it, RMCP_MP_EXT);
	assert_int_equal(it.ext_type, 6);
	assert_memory_equal(it.data, "xyz", 3);
	next_ok(&mp, &it, RMCP_MP_EXT);
	assert_int_equal(it.ext_type, 7);
	assert_int_equal(it.len, 1);
	next_ok(&mp, &it, RMCP_MP_EXT);
	assert_int_equal(it.ext_type, 8);
	assert_int_equal(it.len, 0);
	assert_int_equal(rmcp_mp_remaining(&mp), 0);
	assert_int_equal(rmcp_mp_next(&mp, &it), -RMCP_E_TRUNC);

	/* the same document skipped in one call */
	rmcp_mp_init(&mp, b.p, b.n);
	assert_int_equal(rmcp_mp_skip(&mp), 0);
	assert_int_equal(mp.pos, b.n);
	free(b.p);
}

/* Every proper prefix of a valid document must fail, without reading past it (ASan). */
static void test_mp_truncation(void **state)
{
	struct buf b = { 0 };

	(void)state;
	every_type(&b);
	for (size_t len = 0; len < b.n; len++) {
		uint8_t *p = exact(b.p, len);
		struct rmcp_mp mp;
		struct rmcp_mp_item it;
		int rc;

		rmcp_mp_init(&mp, p, len);
		rc = rmcp_mp_skip(&mp);
		assert_int_equal(rc, -RMCP_E_TRUNC);
		assert_int_equal(mp.pos, 0);
		/* a flat walk must also stop with an error, never run past len */
		rmcp_mp_init(&mp, p, len);
		while ((rc = rmcp_mp_next(&mp, &it)) == 0)
			assert_true(mp.pos <= len);
		assert_int_equal(rc, -RMCP_E_TRUNC);
		free(p);
	}
	free(b.p);
}

static void nested(struct buf *b, size_t depth)
{
	for (size_t i = 0; i + 1 < depth; i++)
		put8(b, 0x91);		/* [ ... */
	put8(b, 0x90);			/* innermost [] */
}

static void test_mp_depth(void **state)
{
	struct rmcp_mp mp;
	struct buf b = { 0 };

	(void)state;
	nested(&b, RMCP_MP_MAX_DEPTH);
	rmcp_mp_init(&mp, b.p, b.n);
	assert_int_equal(rmcp_mp_skip(&mp), 0);
	assert_int_equal(mp.pos, b.n);
	b.n = 0;
	nested(&b, RMCP_MP_MAX_DEPTH + 1);
	rmcp_mp_init(&mp, b.p, b.n);
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_LIMIT);
	assert_int_equal(mp.pos, 0);
	/* very deep input: refused, no recursion to blow the stack */
	b.n = 0;
	nested(&b, 1000000);
	rmcp_mp_init(&mp, b.p, b.n);
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_LIMIT);
	/* maps nest too: {k: {k: ...}} */
	b.n = 0;
	for (int i = 0; i < RMCP_MP_MAX_DEPTH + 1; i++) {
		put8(&b, 0x81);
		put8(&b, 0x01);
	}
	put8(&b, 0xc0);
	rmcp_mp_init(&mp, b.p, b.n);
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_LIMIT);
	free(b.p);
}

static void test_mp_bad_input(void **state)
{
	static const uint8_t reserved[] = { 0xc1 };
	static const uint8_t huge_array[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 };
	static const uint8_t huge_map[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0 };
	static const uint8_t huge_str[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t huge_ext[] = { 0xc9, 0xff, 0xff, 0xff, 0xff, 1, 'a' };
	static const uint8_t int8_pos[] = { 0xd0, 0x05 };
	static const uint8_t int8_neg[] = { 0xd0, 0xfb };
	struct rmcp_mp mp;
	struct rmcp_mp_item it;
	const char *s;
	uint32_t n;
	uint64_t v;

	(void)state;
	rmcp_mp_init(&mp, reserved, sizeof(reserved));
	assert_int_equal(rmcp_mp_next(&mp, &it), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_FORMAT);
	rmcp_mp_init(&mp, huge_array, sizeof(huge_array));
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_TRUNC);
	rmcp_mp_init(&mp, huge_map, sizeof(huge_map));
	assert_int_equal(rmcp_mp_skip(&mp), -RMCP_E_TRUNC);
	rmcp_mp_init(&mp, huge_str, sizeof(huge_str));
	assert_int_equal(rmcp_mp_next(&mp, &it), -RMCP_E_TRUNC);
	rmcp_mp_init(&mp, huge_ext, sizeof(huge_ext));
	assert_int_equal(rmcp_mp_next(&mp, &it), -RMCP_E_TRUNC);
	rmcp_mp_init(&mp, NULL, 10);
	assert_int_equal(rmcp_mp_next(&mp, &it), -RMCP_E_TRUNC);

	/* typed reads: wrong type leaves the cursor alone */
	rmcp_mp_init(&mp, int8_pos, sizeof(int8_pos));
	assert_int_equal(rmcp_mp_read_str(&mp, &s, &n), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_mp_read_map(&mp, &n), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_mp_read_array(&mp, &n), -RMCP_E_FORMAT);
	assert_int_equal(mp.pos, 0);
	assert_int_equal(rmcp_mp_read_uint(&mp, &v), 0);
	assert_int_equal(v, 5);
	rmcp_mp_init(&mp, int8_neg, sizeof(int8_neg));
	assert_int_equal(rmcp_mp_read_uint(&mp, &v), -RMCP_E_FORMAT);
	assert_int_equal(mp.pos, 0);
	assert_int_equal(rmcp_mp_peek(&mp, &it), 0);
	assert_int_equal(it.v.i, -5);
	assert_int_equal(mp.pos, 0);
}

/* ---- kpack archives ---------------------------------------------------------------------- */

struct kobj {
	const char *key, *arch, *data;
};

enum { NONE, ZSTD };

/*
 * Archive in the layout of kpack.py PackedKernelArchive.write(): header, pad to 64, blob,
 * TOC {format_version, group_name, gfx_arch_family, gfx_arches, toc, compression_scheme,
 * blobs | zstd_offset + zstd_size}. Objects with the same key must be adjacent.
 */
static struct buf make_kpack(int scheme, const char *group, const struct kobj *o, size_t n)
{
	struct buf b = { 0 }, blob = { 0 };
	size_t nbin = 0, narch = 0;
	const char *arches[16];

	if (scheme == ZSTD)
		put_le(&blob, n, 4);
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (scheme == ZSTD)
			put_le(&blob, strlen(o[i].data), 4);
		put(&blob, o[i].data, strlen(o[i].data));
		if (i == 0 || strcmp(o[i].key, o[i - 1].key) != 0)
			nbin++;
		for (j = 0; j < narch && strcmp(arches[j], o[i].arch) != 0; j++)
			;
		if (j == narch)
			arches[narch++] = o[i].arch;
	}
	put(&b, "KPAK", 4);
	put_le(&b, 1, 4);
	put_le(&b, 64 + blob.n, 8);
	while (b.n < 64)
		put8(&b, 0);
	put(&b, blob.p, blob.n);
	mp_map(&b, 7);
	mp_str(&b, "format_version");
	mp_uint(&b, 1);
	mp_str(&b, "group_name");
	mp_str(&b, group);
	mp_str(&b, "gfx_arch_family");
	mp_str(&b, "gfx10X");
	mp_str(&b, "gfx_arches");
	mp_arr(&b, (uint32_t)narch);
	for (size_t j = 0; j < narch; j++)
		mp_str(&b, arches[j]);
	mp_str(&b, "toc");
	mp_map(&b, (uint32_t)nbin);
	for (size_t i = 0; i < n;) {
		size_t k = i;

		while (k < n && strcmp(o[k].key, o[i].key) == 0)
			k++;
		mp_str(&b, o[i].key);
		mp_map(&b, (uint32_t)(k - i));
		for (; i < k; i++) {
			mp_str(&b, o[i].arch);
			mp_map(&b, 4);
			mp_str(&b, "type");
			mp_str(&b, "hsaco");
			mp_str(&b, "ordinal");
			mp_uint(&b, i);
			mp_str(&b, "original_size");
			mp_uint(&b, strlen(o[i].data));
			mp_str(&b, "metadata");
			mp_map(&b, 1);
			mp_str(&b, "target");
			mp_str(&b, "hipv4-amdgcn-amd-amdhsa--gfx");
		}
	}
	mp_str(&b, "compression_scheme");
	if (scheme == NONE) {
		size_t off = 64;

		mp_str(&b, "none");
		mp_str(&b, "blobs");
		mp_arr(&b, (uint32_t)n);
		for (size_t i = 0; i < n; i++) {
			mp_map(&b, 2);
			mp_str(&b, "offset");
			mp_uint(&b, off);
			mp_str(&b, "size");
			mp_uint(&b, strlen(o[i].data));
			off += strlen(o[i].data);
		}
	} else {
		/* one key short of 7 entries: add zstd_offset + zstd_size as the 7th/8th */
		b.p[64 + blob.n] = 0x88;
		mp_str(&b, "zstd-per-kernel");
		mp_str(&b, "zstd_offset");
		mp_uint(&b, 64);
		mp_str(&b, "zstd_size");
		mp_uint(&b, blob.n);
	}
	free(blob.p);
	return b;
}

static const struct kobj objs[] = {
	{ "p/lib/libx.so#0", "gfx1010", "CODE-1010-0" },
	{ "p/lib/libx.so#0", "gfx1030", "CODE-1030-0-longer" },
	{ "p/lib/libx.so#1", "gfx1030", "CODE-1030-1" },
	{ "p/lib/liby.so#0", "gfx942:xnack+", "Y" },
};

static void check_objs(const struct buf *a, const struct rmcp_kpack *kp, int scheme)
{
	assert_int_equal(kp->version, 1);
	assert_int_equal(kp->format_version, 1);
	assert_string_equal(kp->group_name, "grp");
	assert_string_equal(kp->arch_family, "gfx10X");
	assert_int_equal(kp->n_arches, 3);
	assert_string_equal(kp->arches[2], "gfx942:xnack+");
	assert_int_equal(kp->n_binaries, 3);
	assert_int_equal(kp->n_items, 4);
	assert_int_equal(kp->scheme, scheme);
	assert_string_equal(kp->compression, scheme == NONE ? "none" : "zstd-per-kernel");
	for (size_t i = 0; i < 4; i++) {
		const struct rmcp_kpack_item *it = &kp->items[i];
		size_t len = strlen(objs[i].data);

		assert_string_equal(it->binary, objs[i].key);
		assert_string_equal(it->arch, objs[i].arch);
		assert_string_equal(it->type, "hsaco");
		assert_int_equal(it->ordinal, i);
		assert_int_equal(it->original_size, len);
		assert_int_equal(it->size, len);
		assert_true(it->offset <= a->n && it->size <= a->n - it->offset);
		assert_memory_equal(a->p + it->offset, objs[i].data, len);
	}
	assert_ptr_equal(kp->items[0].binary, kp->items[1].binary);	/* shared key */
}

static void test_kpack_none(void **state)
{
	struct buf a = make_kpack(NONE, "grp", objs, 4);
	struct rmcp_kpack kp;
	struct rmcp_err e;

	(void)state;
	rmcp_err_clear(&e);
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, &e), 0);
	assert_int_equal(e.code, 0);
	check_objs(&a, &kp, NONE);
	rmcp_kpack_release(&kp);
	rmcp_kpack_release(&kp);	/* idempotent */
	free(a.p);
}

static void test_kpack_zstd(void **state)
{
	struct buf a = make_kpack(ZSTD, "grp", objs, 4);
	struct rmcp_kpack kp;

	(void)state;
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), 0);
	check_objs(&a, &kp, ZSTD);
	assert_int_equal(kp.items[0].offset, 64 + 4 + 4);
	rmcp_kpack_release(&kp);
	free(a.p);
}

/* Truncation at every length, and every single-byte corruption: errors, never overreads. */
static void test_kpack_truncate_and_mutate(void **state)
{
	(void)state;
	for (int scheme = NONE; scheme <= ZSTD; scheme++) {
		struct buf a = make_kpack(scheme, "grp", objs, 4);

		for (size_t len = 0; len < a.n; len++) {
			uint8_t *p = exact(a.p, len);
			struct rmcp_kpack kp;
			struct rmcp_err e;

			rmcp_err_clear(&e);
			assert_true(rmcp_kpack_parse(p, len, &kp, &e) < 0);
			assert_true(e.code < 0);
			assert_true(strncmp(e.msg, "kpack", 5) == 0);
			assert_null(kp.items);
			free(p);
		}
		for (size_t i = 0; i < a.n; i++) {
			static const uint8_t flips[] = { 0x01, 0x80, 0xff };

			for (size_t f = 0; f < sizeof(flips); f++) {
				uint8_t *p = exact(a.p, a.n);
				struct rmcp_kpack kp;

				p[i] ^= flips[f];
				if (rmcp_kpack_parse(p, a.n, &kp, NULL) == 0) {
					for (size_t k = 0; k < kp.n_items; k++)
						assert_true(kp.items[k].offset <= a.n &&
							    kp.items[k].size <= a.n - kp.items[k].offset);
					rmcp_kpack_release(&kp);
				}
				free(p);
			}
		}
		free(a.p);
	}
}

/* Archive around a hand-written TOC; blob = 8 bytes at 64. */
static struct buf wrap(const struct buf *toc)
{
	struct buf b = { 0 };

	put(&b, "KPAK", 4);
	put_le(&b, 1, 4);
	put_le(&b, 72, 8);
	while (b.n < 64)
		put8(&b, 0);
	put(&b, "ABCDEFGH", 8);
	put(&b, toc->p, toc->n);
	return b;
}

static int parse_toc(const struct buf *toc, char *msg, size_t msgsz)
{
	struct buf a = wrap(toc);
	struct rmcp_kpack kp;
	struct rmcp_err e;
	int rc;

	rmcp_err_clear(&e);
	rc = rmcp_kpack_parse(a.p, a.n, &kp, &e);
	if (rc == 0)
		rmcp_kpack_release(&kp);
	else
		assert_int_equal(e.code, rc);
	if (msg)
		snprintf(msg, msgsz, "%s", e.msg);
	free(a.p);
	return rc;
}

/* {toc: {K: {A: {ordinal: ORD}}}, blobs: [{offset: OFF, size: SIZE}]} plus extra pairs. */
static void toc_one(struct buf *t, uint32_t extra, const char *key, const char *arch,
		    uint64_t ord, uint64_t off, uint64_t size)
{
	mp_map(t, 2 + extra);
	mp_str(t, "toc");
	mp_map(t, 1);
	mp_str(t, key);
	mp_map(t, 1);
	mp_str(t, arch);
	mp_map(t, 1);
	mp_str(t, "ordinal");
	mp_uint(t, ord);
	mp_str(t, "blobs");
	mp_arr(t, 1);
	mp_map(t, 2);
	mp_str(t, "offset");
	mp_uint(t, off);
	mp_str(t, "size");
	mp_uint(t, size);
}

static void test_kpack_minimal_and_errors(void **state)
{
	struct buf t = { 0 }, a;
	struct rmcp_kpack kp;
	char msg[256];

	(void)state;
	/* minimal valid: no scheme means "none" (compression.py create_compressor_from_toc) */
	toc_one(&t, 0, "k#0", "gfx1010", 0, 64, 8);
	a = wrap(&t);
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), 0);
	assert_string_equal(kp.compression, "none");
	assert_null(kp.group_name);
	assert_int_equal(kp.n_items, 1);
	assert_int_equal(kp.items[0].offset, 64);
	assert_null(kp.items[0].type);
	rmcp_kpack_release(&kp);

	/* header errors */
	a.p[0] = 'X';
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), -RMCP_E_FORMAT);
	a.p[0] = 'K';
	a.p[4] = 2;
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), -RMCP_E_UNSUPPORTED);
	a.p[4] = 1;
	a.p[8] = 8;		/* toc offset 8: inside the header */
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), -RMCP_E_FORMAT);
	memset(a.p + 8, 0xff, 8);	/* toc offset past the end */
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, NULL), -RMCP_E_TRUNC);
	assert_int_equal(rmcp_kpack_parse(a.p, 15, &kp, NULL), -RMCP_E_TRUNC);
	assert_int_equal(rmcp_kpack_parse(NULL, 0, &kp, NULL), -RMCP_E_TRUNC);
	free(a.p);

	/* blob past the end of the archive */
	t.n = 0;
	toc_one(&t, 0, "k#0", "gfx1010", 0, 70, 100);
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_TRUNC);
	assert_non_null(strstr(msg, "blob 0"));
	t.n = 0;
	toc_one(&t, 0, "k#0", "gfx1010", 0, UINT64_MAX, 2);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_TRUNC);
	/* ordinal out of range */
	t.n = 0;
	toc_one(&t, 0, "k#0", "gfx1010", 1, 64, 8);
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_FORMAT);
	assert_non_null(strstr(msg, "ordinal 1"));
	/* unsupported format_version and scheme, duplicate key, toc not a map */
	t.n = 0;
	toc_one(&t, 1, "k#0", "gfx1010", 0, 64, 8);
	mp_str(&t, "format_version");
	mp_uint(&t, 2);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_UNSUPPORTED);
	t.n = 0;
	toc_one(&t, 1, "k#0", "gfx1010", 0, 64, 8);
	mp_str(&t, "compression_scheme");
	mp_str(&t, "lz4");
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_UNSUPPORTED);
	assert_non_null(strstr(msg, "lz4"));
	t.n = 0;
	toc_one(&t, 2, "k#0", "gfx1010", 0, 64, 8);
	mp_str(&t, "group_name");
	mp_str(&t, "a");
	mp_str(&t, "group_name");
	mp_str(&t, "b");
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_FORMAT);
	assert_non_null(strstr(msg, "twice"));
	t.n = 0;
	mp_arr(&t, 0);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_FORMAT);
	/* no "toc" at all */
	t.n = 0;
	mp_map(&t, 0);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_FORMAT);
	/* entry without ordinal */
	t.n = 0;
	mp_map(&t, 2);
	mp_str(&t, "blobs");
	mp_arr(&t, 0);
	mp_str(&t, "toc");
	mp_map(&t, 1);
	mp_str(&t, "k");
	mp_map(&t, 1);
	mp_str(&t, "gfx1010");
	mp_map(&t, 1);
	mp_str(&t, "type");
	mp_str(&t, "hsaco");
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_FORMAT);
	/* zstd: frame size runs past the zstd blob; blob past the end */
	t.n = 0;
	toc_one(&t, 3, "k#0", "gfx1010", 0, 64, 8);
	mp_str(&t, "compression_scheme");
	mp_str(&t, "zstd-per-kernel");
	mp_str(&t, "zstd_offset");
	mp_uint(&t, 64);
	mp_str(&t, "zstd_size");
	mp_uint(&t, 8);		/* "ABCD" = count 0x44434241: over the limit */
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_LIMIT);
	t.n = 0;
	toc_one(&t, 3, "k#0", "gfx1010", 0, 64, 8);
	mp_str(&t, "compression_scheme");
	mp_str(&t, "zstd-per-kernel");
	mp_str(&t, "zstd_offset");
	mp_uint(&t, 64);
	mp_str(&t, "zstd_size");
	mp_uint(&t, 4096);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_TRUNC);
	free(t.p);
}

static void test_kpack_zstd_frames(void **state)
{
	struct buf a = { 0 };
	struct rmcp_kpack kp;
	char msg[256];
	struct rmcp_err e;

	(void)state;
	/* count 2, frame of 3 bytes, frame of 100 bytes in a 15-byte blob */
	put(&a, "KPAK", 4);
	put_le(&a, 1, 4);
	put_le(&a, 64 + 15, 8);
	while (a.n < 64)
		put8(&a, 0);
	put_le(&a, 2, 4);
	put_le(&a, 3, 4);
	put(&a, "abc", 3);
	put_le(&a, 100, 4);
	mp_map(&a, 4);
	mp_str(&a, "compression_scheme");
	mp_str(&a, "zstd-per-kernel");
	mp_str(&a, "zstd_offset");
	mp_uint(&a, 64);
	mp_str(&a, "zstd_size");
	mp_uint(&a, 15);
	mp_str(&a, "toc");
	mp_map(&a, 0);
	rmcp_err_clear(&e);
	assert_int_equal(rmcp_kpack_parse(a.p, a.n, &kp, &e), -RMCP_E_TRUNC);
	snprintf(msg, sizeof(msg), "%s", e.msg);
	assert_non_null(strstr(msg, "frame 1"));
	free(a.p);
}

static void test_kpack_limits(void **state)
{
	struct buf t = { 0 };
	char msg[256];
	char *big = malloc(RMCP_KPACK_MAX_PATH + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', RMCP_KPACK_MAX_PATH + 1);
	big[RMCP_KPACK_MAX_PATH + 1] = '\0';
	/* binary key one byte over the path limit */
	toc_one(&t, 0, big, "gfx1010", 0, 64, 8);
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_LIMIT);
	assert_non_null(strstr(msg, "limit"));
	/* exactly at the limit is fine */
	big[RMCP_KPACK_MAX_PATH] = '\0';
	t.n = 0;
	toc_one(&t, 0, big, "gfx1010", 0, 64, 8);
	assert_int_equal(parse_toc(&t, NULL, 0), 0);
	/* arch name over the name limit */
	big[RMCP_KPACK_MAX_NAME + 1] = '\0';
	t.n = 0;
	toc_one(&t, 0, "k", big, 0, 64, 8);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_LIMIT);
	/* NUL inside a key */
	t.n = 0;
	mp_map(&t, 1);
	mp_str(&t, "group_name");
	mp_strn(&t, "a\0b", 3);
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_FORMAT);
	assert_non_null(strstr(msg, "NUL"));
	/* declared counts over the limits are refused before allocating */
	t.n = 0;
	mp_map(&t, 1);
	mp_str(&t, "toc");
	mp_map(&t, RMCP_KPACK_MAX_ITEMS + 1);
	assert_true(parse_toc(&t, NULL, 0) < 0);
	t.n = 0;
	mp_map(&t, 1);
	mp_str(&t, "gfx_arches");
	mp_arr(&t, RMCP_KPACK_MAX_ITEMS + 1);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_LIMIT);
	t.n = 0;
	mp_map(&t, 2);
	mp_str(&t, "toc");
	mp_map(&t, 0);
	mp_str(&t, "blobs");
	mp_arr(&t, RMCP_KPACK_MAX_ITEMS + 1);
	assert_true(parse_toc(&t, NULL, 0) < 0);
	/* more TOC entries than the limit (one binary, 65537 arch entries) */
	t.n = 0;
	mp_map(&t, 2);
	mp_str(&t, "blobs");
	mp_arr(&t, 1);
	mp_map(&t, 2);
	mp_str(&t, "offset");
	mp_uint(&t, 64);
	mp_str(&t, "size");
	mp_uint(&t, 8);
	mp_str(&t, "toc");
	mp_map(&t, 1);
	mp_str(&t, "k");
	mp_map(&t, RMCP_KPACK_MAX_ITEMS + 1);
	for (int i = 0; i < RMCP_KPACK_MAX_ITEMS + 1; i++) {
		mp_str(&t, "g");
		mp_map(&t, 1);
		mp_str(&t, "ordinal");
		mp_uint(&t, 0);
	}
	assert_int_equal(parse_toc(&t, msg, sizeof(msg)), -RMCP_E_LIMIT);
	assert_non_null(strstr(msg, "65536"));
	/* metadata nested deeper than the msgpack depth limit */
	t.n = 0;
	mp_map(&t, 2);
	mp_str(&t, "toc");
	mp_map(&t, 0);
	mp_str(&t, "metadata");
	nested(&t, 40);
	assert_int_equal(parse_toc(&t, NULL, 0), -RMCP_E_LIMIT);
	free(t.p);
	free(big);
}

static void test_kpack_key_matches(void **state)
{
	(void)state;
	assert_true(rmcp_kpack_key_matches("a/lib/x.so#0", "a/lib/x.so"));
	assert_true(rmcp_kpack_key_matches("a/lib/x.so#12", "a/lib/x.so"));
	assert_true(rmcp_kpack_key_matches("a/lib/x.so", "a/lib/x.so"));
	assert_false(rmcp_kpack_key_matches("a/lib/x.so#", "a/lib/x.so"));
	assert_false(rmcp_kpack_key_matches("a/lib/x.so#1a", "a/lib/x.so"));
	assert_false(rmcp_kpack_key_matches("a/lib/x.so.1#0", "a/lib/x.so"));
	assert_false(rmcp_kpack_key_matches("a/lib/x.s", "a/lib/x.so"));
}

/* ---- .rocm_kpack_ref --------------------------------------------------------------------- */

static struct buf make_ref(const char *kernel_name, uint32_t npaths, const char *path)
{
	struct buf b = { 0 };

	/* same key order as kpack_transform.py add_kpack_ref_section() */
	mp_map(&b, 2);
	mp_str(&b, "kpack_search_paths");
	mp_arr(&b, npaths);
	for (uint32_t i = 0; i < npaths; i++)
		mp_str(&b, path);
	mp_str(&b, "kernel_name");
	mp_str(&b, kernel_name);
	return b;
}

static void test_ref_parse(void **state)
{
	struct buf b = make_ref("p/lib/libx.so", 1, "../.kpack/grp_@GFXARCH@.kpack");
	struct rmcp_kpack_ref ref;
	struct rmcp_err e;

	(void)state;
	put(&b, "\xc1 trailing garbage is ignored", 28);
	rmcp_err_clear(&e);
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, &e), 0);
	assert_string_equal(ref.kernel_name, "p/lib/libx.so");
	assert_int_equal(ref.n_search_paths, 1);
	assert_string_equal(ref.search_paths[0], "../.kpack/grp_@GFXARCH@.kpack");
	rmcp_kpack_ref_release(&ref);
	rmcp_kpack_ref_release(&ref);
	b.n -= 28;
	/* every proper prefix fails */
	for (size_t len = 0; len < b.n; len++) {
		uint8_t *p = exact(b.p, len);

		assert_true(rmcp_kpack_ref_parse(p, len, &ref, NULL) < 0);
		assert_null(ref.kernel_name);
		free(p);
	}
	free(b.p);

	/* non-string paths are skipped (loader.cpp parse_hipk_metadata), unknown keys too */
	b = (struct buf){ 0 };
	mp_map(&b, 3);
	mp_str(&b, "extra");
	mp_arr(&b, 2);
	mp_uint(&b, 1);
	mp_uint(&b, 2);
	mp_str(&b, "kpack_search_paths");
	mp_arr(&b, 3);
	mp_uint(&b, 7);
	mp_str(&b, "a.kpack");
	mp_map(&b, 0);
	mp_str(&b, "kernel_name");
	mp_str(&b, "k");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), 0);
	assert_int_equal(ref.n_search_paths, 1);
	assert_string_equal(ref.search_paths[0], "a.kpack");
	rmcp_kpack_ref_release(&ref);
	free(b.p);
}

static void test_ref_errors(void **state)
{
	struct rmcp_kpack_ref ref;
	struct rmcp_err e;
	struct buf b;
	char *big = malloc(RMCP_KPACK_MAX_PATH + 2);

	(void)state;
	assert_non_null(big);
	b = make_ref("k", 0, "x");			/* no usable search path */
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_FORMAT);
	free(b.p);
	b = make_ref("k", RMCP_KPACK_MAX_SEARCH_PATHS + 1, "x");
	rmcp_err_clear(&e);
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, &e), -RMCP_E_LIMIT);
	assert_non_null(strstr(e.msg, "paths"));
	assert_null(ref.search_paths);
	free(b.p);
	memset(big, 'a', RMCP_KPACK_MAX_PATH + 1);
	big[RMCP_KPACK_MAX_PATH + 1] = '\0';
	b = make_ref(big, 1, "x");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_LIMIT);
	free(b.p);
	b = make_ref("k", 1, big);
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_LIMIT);
	free(b.p);

	b = (struct buf){ 0 };
	mp_map(&b, 1);				/* no kernel_name */
	mp_str(&b, "kpack_search_paths");
	mp_arr(&b, 1);
	mp_str(&b, "x");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_FORMAT);
	b.n = 0;
	mp_map(&b, 2);				/* kernel_name of the wrong type */
	mp_str(&b, "kernel_name");
	mp_uint(&b, 3);
	mp_str(&b, "kpack_search_paths");
	mp_arr(&b, 1);
	mp_str(&b, "x");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_FORMAT);
	b.n = 0;
	mp_map(&b, 2);				/* paths not an array */
	mp_str(&b, "kernel_name");
	mp_str(&b, "k");
	mp_str(&b, "kpack_search_paths");
	mp_str(&b, "x");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_FORMAT);
	b.n = 0;
	mp_arr(&b, 0);				/* not a map */
	rmcp_err_clear(&e);
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, &e), -RMCP_E_FORMAT);
	assert_non_null(strstr(e.msg, "not a msgpack map"));
	b.n = 0;
	mp_map(&b, 3);				/* duplicate kernel_name */
	mp_str(&b, "kernel_name");
	mp_str(&b, "k");
	mp_str(&b, "kernel_name");
	mp_str(&b, "j");
	mp_str(&b, "kpack_search_paths");
	mp_arr(&b, 1);
	mp_str(&b, "x");
	assert_int_equal(rmcp_kpack_ref_parse(b.p, b.n, &ref, NULL), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_kpack_ref_parse(NULL, 0, &ref, NULL), -RMCP_E_TRUNC);
	free(b.p);
	free(big);
}

/* ---- rmcp_kpack_find --------------------------------------------------------------------- */

struct seen {
	char arches[16][64];
	size_t n_arches;
	char errors[16][256];
	size_t n_errors;
};

static void collect(void *ctx, const char *kpack_path, const char *arch,
		    const struct rmcp_err *archive_err)
{
	struct seen *s = ctx;

	assert_non_null(kpack_path);
	if (archive_err) {
		assert_null(arch);
		assert_true(archive_err->code < 0);
		assert_true(s->n_errors < 16);
		snprintf(s->errors[s->n_errors++], 256, "%s", archive_err->msg);
		return;
	}
	assert_non_null(arch);
	assert_true(s->n_arches < 16);
	snprintf(s->arches[s->n_arches++], 64, "%s", arch);
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void write_kpack(const char *dir, const char *name, const char *group,
			const struct kobj *o, size_t n, int scheme)
{
	struct buf a = make_kpack(scheme, group, o, n);

	write_file(dir, name, a.p, a.n);
	free(a.p);
}

static void rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int find(const char *bin, const char *kernel_name, const char *sp1, const char *sp2,
		struct seen *s)
{
	char *paths[2] = { (char *)sp1, (char *)sp2 };
	struct rmcp_kpack_ref ref = { paths, sp2 ? 2 : 1, (char *)kernel_name };
	struct rmcp_err e;
	int rc;

	memset(s, 0, sizeof(*s));
	rmcp_err_clear(&e);
	rc = rmcp_kpack_find(bin, &ref, collect, s, &e);
	if (rc < 0)
		assert_int_equal(e.code, rc);
	return rc;
}

static void test_find_tree(void **state)
{
	static const struct kobj a1010[] = { { "p/lib/libx.so#0", "gfx1010", "A" } };
	static const struct kobj a1030[] = {
		{ "p/lib/libx.so#0", "gfx1030", "B" },
		{ "p/lib/libx.so#1", "gfx1030", "C" },
	};
	static const struct kobj a900[] = { { "p/lib/libother.so#0", "gfx900", "D" } };
	static const struct kobj legacy[] = {
		{ "stage/lib/libx.so", "gfx1100", "E" }, { "stage/lib/libx.so", "gfx1101", "F" },
	};
	char root[] = "/tmp/rmcp-kpack-XXXXXX";
	char dir[256], bin[512], link[512];
	struct seen s;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/lib", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(dir, "libx.so", "not elf", 7);
	snprintf(bin, sizeof(bin), "%s/libx.so", dir);
	snprintf(dir, sizeof(dir), "%s/.kpack", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_kpack(dir, "grp_gfx1010.kpack", "grp", a1010, 1, NONE);
	write_kpack(dir, "grp_gfx1030.kpack", "grp", a1030, 2, ZSTD);
	write_kpack(dir, "grp_gfx900.kpack", "grp", a900, 1, NONE);	/* other binary only */
	write_file(dir, "grp_broken.kpack", "KPAK\1\0\0\0garbage", 15);
	write_kpack(dir, "old_gfx1100.kpack", "old", legacy, 2, NONE);
	write_file(dir, "grp_.kpack", "not matched: empty @GFXARCH@", 29);

	rc = find(bin, "p/lib/libx.so", "../.kpack/grp_@GFXARCH@.kpack", NULL, &s);
	assert_int_equal(rc, 3);			/* 1010, 1030, 900; broken reported */
	assert_int_equal(s.n_arches, 2);
	assert_string_equal(s.arches[0], "gfx1010");
	assert_string_equal(s.arches[1], "gfx1030");
	assert_int_equal(s.n_errors, 1);
	assert_non_null(strstr(s.errors[0], "grp_broken.kpack"));

	/* the same archives named twice are read once; a directory takes every *.kpack */
	rc = find(bin, "p/lib/libx.so", "../.kpack/grp_@GFXARCH@.kpack", "../.kpack", &s);
	assert_int_equal(rc, 4);			/* + old_gfx1100, which has no match */
	assert_int_equal(s.n_arches, 2);
	assert_int_equal(s.n_errors, 2);		/* grp_broken once, grp_.kpack */

	/* a direct archive path, absolute */
	snprintf(link, sizeof(link), "%s/.kpack/grp_gfx1030.kpack", root);
	rc = find(bin, "p/lib/libx.so", link, NULL, &s);
	assert_int_equal(rc, 1);
	assert_int_equal(s.n_arches, 1);
	assert_string_equal(s.arches[0], "gfx1030");

	/* older layout: ".kpm" manifest path, kernel_name = artifact = group_name */
	rc = find(bin, "old", "../.kpack/old.kpm", NULL, &s);
	assert_int_equal(rc, 4);
	assert_int_equal(s.n_arches, 2);
	assert_string_equal(s.arches[0], "gfx1100");
	assert_string_equal(s.arches[1], "gfx1101");

	/* missing archives and directories are not errors */
	rc = find(bin, "p/lib/libx.so", "../nowhere/grp_@GFXARCH@.kpack", "../.kpack/none.kpack",
		  &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.n_arches + s.n_errors, 0);

	/* placeholder in a directory name is reported, not guessed */
	rc = find(bin, "p/lib/libx.so", "../@GFXARCH@/x.kpack", NULL, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.n_errors, 1);

	/* a symlink elsewhere resolves to the real file's directory, as the loader sees it */
	snprintf(link, sizeof(link), "%s/elsewhere", root);
	assert_int_equal(mkdir(link, 0755), 0);
	snprintf(link, sizeof(link), "%s/elsewhere/libx.so", root);
	assert_int_equal(symlink(bin, link), 0);
	rc = find(link, "p/lib/libx.so", "../.kpack/grp_@GFXARCH@.kpack", NULL, &s);
	assert_int_equal(rc, 3);
	assert_int_equal(s.n_arches, 2);

	/* a FIFO named like an archive is reported, not opened for a blocking read */
	snprintf(link, sizeof(link), "%s/.kpack/zz_fifo.kpack", root);
	assert_int_equal(mkfifo(link, 0644), 0);
	rc = find(bin, "p/lib/libx.so", "../.kpack/zz_@GFXARCH@.kpack", NULL, &s);
	assert_int_equal(rc, 0);
	assert_int_equal(s.n_errors, 1);
	assert_non_null(strstr(s.errors[0], "regular file"));

	/* the binary itself must exist */
	snprintf(link, sizeof(link), "%s/lib/missing.so", root);
	rc = find(link, "p/lib/libx.so", "../.kpack", NULL, &s);
	assert_int_equal(rc, -ENOENT);
	rm_rf(root);
}

/* ---- fixture built by tests/fixtures/mkkpack.py ------------------------------------------ */

struct elf_sec {
	uint64_t addr, off, size;
	uint32_t type;
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* Minimal ELF64 section lookup, enough for the fixture (tests only). */
static int elf_section(const uint8_t *p, size_t n, const char *name, struct elf_sec *out)
{
	uint64_t shoff, stroff;
	unsigned shentsize, shnum, shstrndx;

	if (n < 64 || memcmp(p, "\177ELF\2\1", 6) != 0)
		return -1;
	shoff = rd(p + 0x28, 8);
	shentsize = (unsigned)rd(p + 0x3a, 2);
	shnum = (unsigned)rd(p + 0x3c, 2);
	shstrndx = (unsigned)rd(p + 0x3e, 2);
	if (shentsize != 64 || shoff > n || (uint64_t)shnum * 64 > n - shoff || shstrndx >= shnum)
		return -1;
	stroff = rd(p + shoff + 64 * shstrndx + 24, 8);
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *sh = p + shoff + 64 * i;
		uint64_t nm = stroff + rd(sh, 4);

		if (nm >= n || strncmp((const char *)p + nm, name, n - nm) != 0)
			continue;
		out->type = (uint32_t)rd(sh + 4, 4);
		out->addr = rd(sh + 16, 8);
		out->off = rd(sh + 24, 8);
		out->size = rd(sh + 32, 8);
		if (out->type != 8 && (out->off > n || out->size > n - out->off))
			return -1;
		return 0;
	}
	return -1;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long sz;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	p = malloc((size_t)sz + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return p;
}

static void test_fixture(void **state)
{
	const char *dir = getenv("RMCP_FIXTURES");
	struct elf_sec ref_sec, seg, fb;
	struct rmcp_kpack_ref ref;
	struct rmcp_err e;
	struct seen s;
	char bin[4096];
	uint8_t *p;
	size_t n = 0;
	int rc;

	(void)state;
	if (!dir || !*dir) {
		print_message("RMCP_FIXTURES is not set: run through meson to build "
			      "tests/fixtures/mkkpack.py output\n");
		skip();
	}
	snprintf(bin, sizeof(bin), "%s/kpack/lib/libkp.so", dir);
	p = slurp(bin, &n);
	if (!p)
		fail_msg("cannot read %s", bin);

	/* the kpack'd binary: .hip_fatbin zero-paged, wrappers HIPK -> .rocm_kpack_ref */
	assert_int_equal(elf_section(p, n, ".hip_fatbin", &fb), 0);
	assert_int_equal(fb.type, 8);		/* SHT_NOBITS (zero_page.py) */
	assert_int_equal(elf_section(p, n, RMCP_KPACK_REF_SECTION, &ref_sec), 0);
	assert_int_equal(elf_section(p, n, ".hipFatBinSegment", &seg), 0);
	assert_int_equal(seg.size % 24, 0);
	assert_true(seg.size >= 24);
	for (uint64_t i = 0; i < seg.size / 24; i++) {
		const uint8_t *w = p + seg.off + 24 * i;

		assert_int_equal(rd(w, 4), RMCP_KPACK_HIPK_MAGIC);
		assert_int_equal(rd(w + 4, 4), 1);
		assert_int_equal(rd(w + 8, 8), ref_sec.addr);
		assert_int_equal(rd(w + 16, 4), i);		/* co_index */
	}

	rmcp_err_clear(&e);
	rc = rmcp_kpack_ref_parse(p + ref_sec.off, (size_t)ref_sec.size, &ref, &e);
	assert_int_equal(rc, 0);
	assert_string_equal(ref.kernel_name, "rmcp/stage/lib/libkp.so");
	assert_int_equal(ref.n_search_paths, 1);
	assert_string_equal(ref.search_paths[0], "../.kpack/rmcp_lib_@GFXARCH@.kpack");

	memset(&s, 0, sizeof(s));
	rc = rmcp_kpack_find(bin, &ref, collect, &s, &e);
	if (rc < 0)
		fail_msg("rmcp_kpack_find: %s", e.msg);
	for (size_t i = 0; i < s.n_errors; i++)
		print_message("archive error: %s\n", s.errors[i]);
	for (size_t i = 0; i < s.n_arches; i++)
		print_message("arch with code: %s\n", s.arches[i]);
	/* mkkpack.py must be run with --gpu-targets gfx1010,gfx1030 on a wider input */
	assert_int_equal(s.n_errors, 0);
	assert_int_equal(rc, 2);
	assert_int_equal(s.n_arches, 2);
	/* one archive per arch, visited in name order */
	assert_string_equal(s.arches[0], "gfx1010");
	assert_string_equal(s.arches[1], "gfx1030");
	rmcp_kpack_ref_release(&ref);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mp_every_type),
		cmocka_unit_test(test_mp_truncation),
		cmocka_unit_test(test_mp_depth),
		cmocka_unit_test(test_mp_bad_input),
		cmocka_unit_test(test_kpack_none),
		cmocka_unit_test(test_kpack_zstd),
		cmocka_unit_test(test_kpack_truncate_and_mutate),
		cmocka_unit_test(test_kpack_minimal_and_errors),
		cmocka_unit_test(test_kpack_zstd_frames),
		cmocka_unit_test(test_kpack_limits),
		cmocka_unit_test(test_kpack_key_matches),
		cmocka_unit_test(test_ref_parse),
		cmocka_unit_test(test_ref_errors),
		cmocka_unit_test(test_find_tree),
		cmocka_unit_test(test_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
