/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/lib/formats/bundle.c: uncompressed clang offload bundles and bundle entry IDs.
 *
 * Layout (research/binaries.md §1.1; clang/docs/ClangOffloadBundler.rst,
 * llvm/lib/Object/OffloadBundle.cpp OffloadBundleFatBin::readEntries), little-endian:
 *   char magic[24] "__CLANG_OFFLOAD_BUNDLE__"; u64 num_entries;
 *   num_entries x { u64 offset; u64 size; u64 id_len; char id[id_len] };
 *   code objects at 4096-aligned offsets relative to the bundle start.
 * Bundles are built in memory by build_bundle() below; expected offsets and sizes come from
 * the builder, not from the parser's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle.h"
#include "error.h"
#include "scan.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN 4096
#define MAX_TEST_ENTRIES 256

/* ---- bundle builder ------------------------------------------------------------------ */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t align_up(uint64_t v)
{
	return (v + ALIGN - 1) / ALIGN * ALIGN;
}

struct built {
	uint8_t *buf;
	size_t len;
	size_t n;
	uint64_t header_size;
	uint64_t offset[MAX_TEST_ENTRIES];
	uint64_t size[MAX_TEST_ENTRIES];
	size_t table_pos[MAX_TEST_ENTRIES];	/* where entry i's {offset,size,id_len} is */
};

/* Byte j of entry i's payload: recognisable, different per entry. */
static uint8_t payload_byte(size_t i, uint64_t j)
{
	return (uint8_t)(0x41 + i * 13 + j * 7);
}

/*
 * Build a bundle: the table, then each entry with data at the next 4096-aligned offset
 * (size-0 entries, like the host entry, get the offset the next entry will use, as in the
 * Debian libraries where host and first device entry share offset 4096).
 */
static void build_bundle(struct built *b, const char *const *ids, const uint64_t *sizes, size_t n)
{
	assert_true(n <= MAX_TEST_ENTRIES);
	memset(b, 0, sizeof(*b));
	b->n = n;
	uint64_t hdr = 24 + 8;
	for (size_t i = 0; i < n; i++)
		hdr += 24 + strlen(ids[i]);
	b->header_size = hdr;
	uint64_t pos = align_up(hdr);
	for (size_t i = 0; i < n; i++) {
		b->offset[i] = pos;
		b->size[i] = sizes[i];
		if (sizes[i])
			pos = align_up(pos + sizes[i]);
	}
	/* The bundle ends right after the last byte of data (no trailing padding). */
	uint64_t end = hdr;
	for (size_t i = 0; i < n; i++)
		if (b->size[i] && b->offset[i] + b->size[i] > end)
			end = b->offset[i] + b->size[i];
	b->len = (size_t)end;
	b->buf = calloc(1, b->len);
	assert_non_null(b->buf);

	memcpy(b->buf, RMCP_BUNDLE_MAGIC, 24);
	put64(b->buf + 24, n);
	size_t t = 32;
	for (size_t i = 0; i < n; i++) {
		size_t idl = strlen(ids[i]);
		b->table_pos[i] = t;
		put64(b->buf + t, b->offset[i]);
		put64(b->buf + t + 8, b->size[i]);
		put64(b->buf + t + 16, idl);
		memcpy(b->buf + t + 24, ids[i], idl);
		t += 24 + idl;
		for (uint64_t j = 0; j < b->size[i]; j++)
			b->buf[b->offset[i] + j] = payload_byte(i, j);
	}
}

static void free_built(struct built *b)
{
	free(b->buf);
	b->buf = NULL;
}

/* Parse from an exactly-sized heap copy of the first `avail` bytes, so ASan catches any
 * read past what the parser was given. */
static int parse_copy(const struct built *b, size_t avail, uint64_t total, struct rmcp_bundle *out,
		      size_t *need, struct rmcp_err *err, uint8_t **keep)
{
	uint8_t *copy = malloc(avail ? avail : 1);
	assert_non_null(copy);
	memcpy(copy, b->buf, avail);
	int rc = rmcp_bundle_parse(copy, avail, total, out, need, err);
	if (keep)
		*keep = copy;
	else
		free(copy);
	return rc;
}

static const char *const std_ids[] = {
	"host-x86_64-unknown-linux",
	"hipv4-amdgcn-amd-amdhsa--gfx1030",
	"hipv4-amdgcn-amd-amdhsa--gfx90a:xnack+",
};
static const uint64_t std_sizes[] = { 0, 5000, 100 };

static void build_std(struct built *b)
{
	build_bundle(b, std_ids, std_sizes, ARRAY_SIZE(std_ids));
}

/* Patch a u64 field of entry i: 0 offset, 8 size, 16 id_len. */
static void patch_entry(struct built *b, size_t i, size_t field, uint64_t v)
{
	put64(b->buf + b->table_pos[i] + field, v);
}

static void expect_parse_fails(struct built *b, int want)
{
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	int rc = parse_copy(b, b->len, b->len, &out, NULL, &err, NULL);
	if (want ? rc != want : rc >= 0)
		fail_msg("parse returned %d (%s), want %d", rc, err.msg, want);
	assert_int_equal(err.code, rc);
	assert_true(err.msg[0] != '\0');
	/* A failed parse leaves nothing to release. */
	assert_null(out.entries);
	assert_int_equal(out.n_entries, 0);
}

/* ---- parsing ------------------------------------------------------------------------- */

static void test_parse_ok(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	uint8_t *copy;
	size_t need = 12345;
	int rc = parse_copy(&b, b.len, b.len, &out, &need, &err, &copy);
	if (rc != 0)
		fail_msg("parse failed: %s", err.msg);
	assert_int_equal(err.code, 0);
	assert_int_equal(out.n_entries, 3);
	assert_int_equal(out.header_size, b.header_size);
	/* 32 + (24+25) + (24+32) + (24+38) */
	assert_int_equal(out.header_size, 199);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(out.entries[i].offset, b.offset[i]);
		assert_int_equal(out.entries[i].size, b.size[i]);
		assert_int_equal(out.entries[i].id_len, strlen(std_ids[i]));
		assert_memory_equal(out.entries[i].id, std_ids[i], strlen(std_ids[i]));
		/* id points into the parsed buffer (bundle.h) */
		assert_true((const uint8_t *)out.entries[i].id > copy &&
			    (const uint8_t *)out.entries[i].id < copy + out.header_size);
		for (uint64_t j = 0; j < out.entries[i].size; j++)
			if (copy[out.entries[i].offset + j] != payload_byte(i, j))
				fail_msg("entry %zu byte %llu differs", i, (unsigned long long)j);
	}
	assert_int_equal(out.entries[1].offset, 4096);
	assert_int_equal(out.entries[2].offset, 12288);
	assert_int_equal(out.end, 12288 + 100);
	assert_int_equal(out.end, b.len);
	rmcp_bundle_release(&out);
	assert_null(out.entries);
	assert_int_equal(out.n_entries, 0);
	rmcp_bundle_release(&out);	/* twice is harmless */
	free(copy);
	free_built(&b);
}

static void test_parse_zero_entries(void **state)
{
	(void)state;
	struct built b;
	build_bundle(&b, NULL, NULL, 0);
	assert_int_equal(b.len, 32);
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	assert_int_equal(parse_copy(&b, b.len, b.len, &out, NULL, &err, NULL), 0);
	assert_int_equal(out.n_entries, 0);
	assert_int_equal(out.header_size, 32);
	assert_int_equal(out.end, 32);
	rmcp_bundle_release(&out);
	free_built(&b);
}

static void test_parse_bigger_total(void **state)
{
	(void)state;
	/* A bundle in a .hip_fatbin is followed by padding: total may exceed the data. */
	struct built b;
	build_std(&b);
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	assert_int_equal(parse_copy(&b, b.len, b.len + 5000, &out, NULL, &err, NULL), 0);
	assert_int_equal(out.end, b.len);
	rmcp_bundle_release(&out);
	free_built(&b);
}

static void test_is_bundle(void **state)
{
	(void)state;
	assert_true(rmcp_is_bundle(RMCP_BUNDLE_MAGIC, 24));
	assert_false(rmcp_is_bundle(RMCP_BUNDLE_MAGIC, 23));
	assert_false(rmcp_is_bundle("__CLANG_OFFLOAD_BUNDLE_X", 24));
	assert_false(rmcp_is_bundle("", 0));
}

static void test_bad_magic(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	b.buf[0] = 'X';
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);
}

/* Truncation at every prefix length must fail cleanly (ASan checks the reads). */
static void test_truncated_every_prefix(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	for (size_t len = 0; len < b.len; len++) {
		struct rmcp_bundle out;
		struct rmcp_err err = { 0 };
		size_t need = 0;
		int rc = parse_copy(&b, len, len, &out, &need, &err, NULL);
		if (rc >= 0)
			fail_msg("prefix of %zu bytes of %zu parsed", len, b.len);
		if (err.code != rc)
			fail_msg("prefix %zu: rc %d but err.code %d", len, rc, err.code);
		/* Nothing beyond the data can be worth asking for. */
		if (need > len)
			fail_msg("prefix %zu (whole input): need %zu", len, need);
		assert_null(out.entries);
	}
	free_built(&b);
}

/* With the true total known, only a prefix that cuts the entry table is short. */
static void test_truncated_prefix_known_total(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	for (size_t avail = 0; avail <= b.len; avail++) {
		struct rmcp_bundle out;
		struct rmcp_err err = { 0 };
		size_t need = 0;
		int rc = parse_copy(&b, avail, b.len, &out, &need, &err, NULL);
		if (avail < b.header_size) {
			if (rc != -RMCP_E_TRUNC)
				fail_msg("avail %zu: rc %d (%s), want -RMCP_E_TRUNC", avail, rc, err.msg);
			if (need <= avail || need > b.len)
				fail_msg("avail %zu: need %zu", avail, need);
		} else {
			if (rc != 0)
				fail_msg("avail %zu >= table: rc %d (%s)", avail, rc, err.msg);
			assert_int_equal(out.n_entries, 3);
			rmcp_bundle_release(&out);
		}
	}
	free_built(&b);
}

static void test_entry_past_end(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	patch_entry(&b, 2, 8, 101);	/* one byte past the end */
	expect_parse_fails(&b, -RMCP_E_TRUNC);
	free_built(&b);

	build_std(&b);
	patch_entry(&b, 2, 0, b.len + 1);	/* offset itself past the end, size 0 */
	patch_entry(&b, 2, 8, 0);
	expect_parse_fails(&b, 0);
	free_built(&b);

	build_std(&b);
	patch_entry(&b, 1, 0, UINT64_MAX);
	expect_parse_fails(&b, 0);
	free_built(&b);
}

static void test_entry_wraps(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	/* offset + size == 2^64 + 0: wraps to 0 in 64-bit arithmetic. */
	patch_entry(&b, 1, 0, 4096);
	patch_entry(&b, 1, 8, UINT64_MAX - 4095);
	expect_parse_fails(&b, 0);
	free_built(&b);

	build_std(&b);
	/* offset + size wraps to a small in-range value (4096 + 2^64 - 1 = 4095). */
	patch_entry(&b, 1, 8, UINT64_MAX);
	expect_parse_fails(&b, 0);
	free_built(&b);
}

static void test_entries_overlap(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	/* gfx90a starts inside gfx1030's data. */
	patch_entry(&b, 2, 0, 4096 + 4999);
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	build_std(&b);
	/* Same offset, both with data. */
	patch_entry(&b, 2, 0, 4096);
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	/* One entry containing another, with a third in between in table order. */
	static const char *const ids[] = { "hipv4-amdgcn-amd-amdhsa--gfx1030",
					   "hipv4-amdgcn-amd-amdhsa--gfx1031",
					   "hipv4-amdgcn-amd-amdhsa--gfx1032" };
	static const uint64_t sizes[] = { 100, 100, 100 };
	build_bundle(&b, ids, sizes, 3);
	patch_entry(&b, 0, 8, b.len - 4096);	/* [4096, end) covers the other two */
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	/* Touching is not overlapping. */
	build_bundle(&b, ids, sizes, 3);
	patch_entry(&b, 0, 8, 4096);
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	assert_int_equal(parse_copy(&b, b.len, b.len, &out, NULL, &err, NULL), 0);
	rmcp_bundle_release(&out);
	free_built(&b);
}

static void test_entry_overlaps_table(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	patch_entry(&b, 2, 0, 16);
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	build_std(&b);
	patch_entry(&b, 2, 0, b.header_size - 1);	/* last table byte */
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	build_std(&b);
	patch_entry(&b, 2, 0, b.header_size);	/* right after the table: allowed */
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	assert_int_equal(parse_copy(&b, b.len, b.len, &out, NULL, &err, NULL), 0);
	rmcp_bundle_release(&out);
	free_built(&b);
}

static void test_count_huge(void **state)
{
	(void)state;
	static const uint64_t counts[] = { 1ULL << 63, UINT64_MAX, 1ULL << 32,
					   RMCP_BUNDLE_MAX_ENTRIES + 1 };
	for (size_t k = 0; k < ARRAY_SIZE(counts); k++) {
		struct built b;
		build_std(&b);
		put64(b.buf + 24, counts[k]);
		/* Must be refused before anything the size of the count is allocated. */
		expect_parse_fails(&b, -RMCP_E_LIMIT);
		free_built(&b);
	}

	/* One over RMCP_BUNDLE_MAX_ENTRIES in a buffer large enough to hold that many table
	 * rows: the entry-count limit itself must refuse it. */
	struct built b;
	memset(&b, 0, sizeof(b));
	b.len = 32 + (RMCP_BUNDLE_MAX_ENTRIES + 1) * (24 + 8);
	b.buf = calloc(1, b.len);
	assert_non_null(b.buf);
	memcpy(b.buf, RMCP_BUNDLE_MAGIC, 24);
	put64(b.buf + 24, RMCP_BUNDLE_MAX_ENTRIES + 1);
	for (size_t i = 0, t = 32; i < RMCP_BUNDLE_MAX_ENTRIES + 1; i++, t += 32) {
		put64(b.buf + t + 16, 8);
		memcpy(b.buf + t + 24, "host-x86", 8);
	}
	expect_parse_fails(&b, -RMCP_E_LIMIT);
	free_built(&b);
}

static void test_count_exceeds_data(void **state)
{
	(void)state;
	struct built b;
	build_std(&b);
	/* Four entries declared, three present: the fourth would start in the payload of the
	 * first (zeros: id_len 0) or run past the end. */
	put64(b.buf + 24, 4);
	expect_parse_fails(&b, 0);
	free_built(&b);

	/* More entries than 24-byte table rows fit in the whole bundle. */
	build_std(&b);
	put64(b.buf + 24, (b.len - 32) / 24 + 1);
	expect_parse_fails(&b, 0);
	free_built(&b);

	/* A bare header claiming one entry. */
	uint8_t hdr[32];
	memcpy(hdr, RMCP_BUNDLE_MAGIC, 24);
	put64(hdr + 24, 1);
	struct rmcp_bundle out;
	struct rmcp_err err = { 0 };
	assert_true(rmcp_bundle_parse(hdr, sizeof(hdr), sizeof(hdr), &out, NULL, &err) < 0);
}

static void test_id_len_bad(void **state)
{
	(void)state;
	static const uint64_t lens[] = { 0, RMCP_BUNDLE_MAX_ID + 1, 1ULL << 40, UINT64_MAX,
					 UINT64_MAX - 23 };
	for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
		struct built b;
		build_std(&b);
		patch_entry(&b, 1, 16, lens[k]);
		expect_parse_fails(&b, 0);
		free_built(&b);
	}
	/* id_len 0 is malformed, not truncated. */
	struct built b;
	build_std(&b);
	patch_entry(&b, 0, 16, 0);
	expect_parse_fails(&b, -RMCP_E_FORMAT);
	free_built(&b);

	/* An ID running past the end of the data: a host-only bundle ends with its table. */
	static const char *const host[] = { "host-x86_64-unknown-linux" };
	static const uint64_t zero[] = { 0 };
	build_bundle(&b, host, zero, 1);
	assert_int_equal(b.len, b.header_size);
	patch_entry(&b, 0, 16, strlen(host[0]) + 1);
	expect_parse_fails(&b, -RMCP_E_TRUNC);
	free_built(&b);
}

/* The `need` protocol: parse a growing prefix until the table fits. */
static void test_need_protocol(void **state)
{
	(void)state;
	static char idbuf[200][80];
	const char *ids[200];
	uint64_t sizes[200];
	for (size_t i = 0; i < 200; i++) {
		/* Long IDs so the table (about 20 KiB) is much larger than a first read. */
		snprintf(idbuf[i], sizeof(idbuf[i]),
			 "hipv4-amdgcn-amd-amdhsa--gfx1030:xnack-%040zu", i);
		ids[i] = idbuf[i];
		sizes[i] = i % 3 ? 64 : 0;
	}
	struct built b;
	build_bundle(&b, ids, sizes, 200);
	assert_true(b.header_size > 16000);

	size_t avail = 1, rounds = 0;
	int rc;
	struct rmcp_bundle out;
	for (;;) {
		struct rmcp_err err = { 0 };
		size_t need = 0;
		rc = parse_copy(&b, avail, b.len, &out, &need, &err, NULL);
		if (rc != -RMCP_E_TRUNC)
			break;
		if (need <= avail)
			fail_msg("avail %zu of %zu: need %zu does not grow", avail, b.len, need);
		if (need > b.len)
			fail_msg("avail %zu: need %zu is past the bundle (%zu)", avail, need, b.len);
		avail = need;
		if (++rounds > 64)
			fail_msg("need protocol does not converge");
	}
	assert_int_equal(rc, 0);
	assert_true(rounds >= 2);
	assert_true(avail >= b.header_size);
	assert_int_equal(out.n_entries, 200);
	for (size_t i = 0; i < 200; i++) {
		assert_int_equal(out.entries[i].offset, b.offset[i]);
		assert_int_equal(out.entries[i].size, b.size[i]);
	}
	rmcp_bundle_release(&out);

	/* need is optional. */
	struct rmcp_err err = { 0 };
	assert_int_equal(parse_copy(&b, 100, b.len, &out, NULL, &err, NULL), -RMCP_E_TRUNC);
	free_built(&b);
}

/* ---- bundle entry IDs ---------------------------------------------------------------- */

struct id_case {
	const char *id;
	const char *kind;
	bool host, amdgcn;
	const char *target;
	const char *triple;	/* triple without trailing '-' separators (exact for host:
				 * bundle.h's example is "x86_64-unknown-linux-gnu") */
};

/* binaries.md §1.1 and observed IDs (clang-19, clang-22, rdc, bundler tests). */
static const struct id_case id_cases[] = {
	{ "host-x86_64-unknown-linux", "host", true, false, "", "x86_64-unknown-linux" },
	{ "host-x86_64-unknown-linux--", "host", true, false, "", "x86_64-unknown-linux" },
	{ "host-x86_64-unknown-linux-gnu-", "host", true, false, "", "x86_64-unknown-linux-gnu" },
	{ "host-x86_64-pc-linux-gnu-", "host", true, false, "", "x86_64-pc-linux-gnu" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx1030", "hipv4", false, true, "gfx1030", "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx900:xnack-", "hipv4", false, true, "gfx900:xnack-",
	  "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx90a:xnack+", "hipv4", false, true, "gfx90a:xnack+",
	  "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx908:sramecc+:xnack-", "hipv4", false, true,
	  "gfx908:sramecc+:xnack-", "amdgcn-amd-amdhsa" },
	{ "hip-amdgcn-amd-amdhsa--gfx1010", "hip", false, true, "gfx1010", "amdgcn-amd-amdhsa" },
	{ "hip-amdgcn-amd-amdhsa--gfx1030", "hip", false, true, "gfx1030", "amdgcn-amd-amdhsa" },
	{ "openmp-amdgcn-amd-amdhsa-gfx906", "openmp", false, true, "gfx906", "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx10-3-generic", "hipv4", false, true, "gfx10-3-generic",
	  "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa-gfx10-3-generic", "hipv4", false, true, "gfx10-3-generic",
	  "amdgcn-amd-amdhsa" },
	{ "hipv4-amdgcn-amd-amdhsa--gfx9-4-generic:sramecc+:xnack-", "hipv4", false, true,
	  "gfx9-4-generic:sramecc+:xnack-", "amdgcn-amd-amdhsa" },
	{ "openmp-nvptx64-nvidia-cuda-sm_70", "openmp", false, false, "", NULL },
};

static void strip_dashes(char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == '-')
		s[--n] = '\0';
}

static void test_id_parse_real_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(id_cases); i++) {
		const struct id_case *c = &id_cases[i];
		size_t len = strlen(c->id);
		/* Not NUL-terminated in a bundle: give the parser an exact copy. */
		char *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, c->id, len);
		struct rmcp_bundle_id out;
		struct rmcp_err err = { 0 };
		int rc = rmcp_bundle_id_parse(copy, len, &out, &err);
		free(copy);
		if (rc != 0)
			fail_msg("%s: %s", c->id, err.msg);
		if (strcmp(out.kind, c->kind) != 0)
			fail_msg("%s: kind '%s'", c->id, out.kind);
		if (out.host != c->host || out.amdgcn != c->amdgcn)
			fail_msg("%s: host %d amdgcn %d", c->id, out.host, out.amdgcn);
		if (strcmp(out.target, c->target) != 0)
			fail_msg("%s: target '%s', want '%s'", c->id, out.target, c->target);
		if (c->host && strcmp(out.triple, c->triple) != 0)
			fail_msg("%s: host triple '%s', want '%s'", c->id, out.triple, c->triple);
		if (c->triple) {
			char t[sizeof(out.triple)];
			memcpy(t, out.triple, sizeof(t));
			strip_dashes(t);
			if (strcmp(t, c->triple) != 0)
				fail_msg("%s: triple '%s'", c->id, out.triple);
		}
	}
}

static void test_id_parse_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"host",				/* no '-' at all */
		"-amdgcn-amd-amdhsa--gfx1030",	/* empty kind */
		"hipv4-amdgcn-amd-amdhsa-",	/* AMD triple, no target ID */
		"averyveryverylongkindname-amdgcn-amd-amdhsa--gfx1030",	/* kind > 15 chars */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct rmcp_bundle_id out;
		struct rmcp_err err = { 0 };
		size_t len = strlen(bad[i]);
		char *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, bad[i], len);
		int rc = rmcp_bundle_id_parse(copy, len, &out, &err);
		free(copy);
		if (rc >= 0)
			fail_msg("'%s' parsed (kind '%s' target '%s')", bad[i], out.kind, out.target);
		assert_int_equal(err.code, rc);
	}

	/* A target ID longer than the field must be refused, not truncated. */
	char longid[300];
	int n = snprintf(longid, sizeof(longid), "hipv4-amdgcn-amd-amdhsa--gfx");
	memset(longid + n, '1', 200);
	struct rmcp_bundle_id out;
	struct rmcp_err err = { 0 };
	assert_true(rmcp_bundle_id_parse(longid, (size_t)n + 200, &out, &err) < 0);
}

/*
 * An AMD GPU device entry must name its processor: CLR and ROCr match code objects to a GPU
 * by processor name (binaries.md §2.1), and the §1.1 parse rule has the target ID follow the
 * amdgcn-amd-amdhsa triple. "hipv4-amdgcn-amd-amdhsa-" was always refused ("has no target
 * ID"); the spellings below are the same defect. They used to parse with success, the first
 * and third as amdgcn entries with target "" (so a file holding only such entries read as
 * "no device code"), the second as a non-AMD triple.
 */
static void test_id_parse_amdgcn_without_target(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"hipv4-amdgcn-amd-amdhsa--",	/* empty env, empty target ID */
		"hipv4-amdgcn-amd-amdhsa",	/* no separator, no target ID */
		"hipv4-amdgcn-amd-amdhsa-foo-",	/* env "foo", empty target ID */
	};
	size_t accepted = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct rmcp_bundle_id out;
		struct rmcp_err err = { 0 };
		int rc = rmcp_bundle_id_parse(bad[i], strlen(bad[i]), &out, &err);
		if (rc >= 0) {
			print_error("'%s' parsed: amdgcn=%d target='%s' (want an error, as for "
				    "'hipv4-amdgcn-amd-amdhsa-')\n", bad[i], out.amdgcn, out.target);
			accepted++;
		}
	}
	if (accepted)
		fail_msg("%zu of %zu AMD device IDs without a target ID were accepted", accepted,
			 ARRAY_SIZE(bad));
}

static void test_id_parse_uses_len(void **state)
{
	(void)state;
	/* len ends the ID even when more text follows (IDs are not NUL-terminated). */
	const char *s = "hipv4-amdgcn-amd-amdhsa--gfx1030hipv4-amdgcn";
	struct rmcp_bundle_id out;
	struct rmcp_err err = { 0 };
	assert_int_equal(rmcp_bundle_id_parse(s, 32, &out, &err), 0);
	assert_string_equal(out.target, "gfx1030");
}

/* ---- through the scanner ------------------------------------------------------------- */

/* Write a 64-byte AMDGPU ELF header (binaries.md §2) at p. */
static void put_amdgpu_ehdr(uint8_t *p, uint8_t abi, uint32_t flags)
{
	memset(p, 0, 64);
	memcpy(p, "\177ELF", 4);
	p[4] = 2;		/* ELFCLASS64 */
	p[5] = 1;		/* ELFDATA2LSB */
	p[6] = 1;		/* EV_CURRENT */
	p[7] = 64;		/* ELFOSABI_AMDGPU_HSA */
	p[8] = abi;
	p[16] = 3;		/* ET_DYN */
	p[18] = 224;		/* EM_AMDGPU */
	for (int i = 0; i < 4; i++)
		p[48 + i] = (uint8_t)(flags >> (8 * i));
}

static void test_scan_bundle_file(void **state)
{
	(void)state;
	static const char *const ids[] = {
		"host-x86_64-unknown-linux",
		"hipv4-amdgcn-amd-amdhsa--gfx90a:xnack+",
		"hipv4-amdgcn-amd-amdhsa--gfx1030",
		"hipv4-amdgcn-amd-amdhsa--gfx1030",	/* duplicate target: reported once */
	};
	static const uint64_t sizes[] = { 0, 128, 128, 128 };
	struct built b;
	build_bundle(&b, ids, sizes, 4);
	put_amdgpu_ehdr(b.buf + b.offset[1], 2, 0x73f);	/* gfx90a:xnack+ (V4) */
	put_amdgpu_ehdr(b.buf + b.offset[2], 2, 0x036);	/* gfx1030 (V4) */
	put_amdgpu_ehdr(b.buf + b.offset[3], 2, 0x036);

	/* Two bundles back to back at 4096-byte alignment, as in .hip_fatbin. */
	size_t second = (size_t)align_up(b.len);
	size_t len = second + b.len;
	uint8_t *file = calloc(1, len);
	assert_non_null(file);
	memcpy(file, b.buf, b.len);
	memcpy(file + second, b.buf, b.len);

	struct rmcp_file f;
	assert_int_equal(rmcp_scan_buffer(file, len, "x.bundle", NULL, &f), 0);
	if (f.error)
		fail_msg("scan error: %s", f.error);
	assert_int_equal(f.format, RMCP_FMT_BUNDLE);
	assert_int_equal(f.bundles, 2);
	assert_int_equal(f.n_targets, 2);
	assert_string_equal(f.targets[0], "gfx90a:xnack+");	/* version order */
	assert_string_equal(f.targets[1], "gfx1030");
	assert_int_equal(f.n_entries, 8);
	assert_int_equal(f.entries[1].offset, b.offset[1]);
	assert_int_equal(f.entries[5].offset, second + b.offset[1]);
	assert_int_equal(f.entries[5].bundle, 1);
	assert_null(f.entries[0].target);	/* host */
	assert_true(f.entries[1].have_elf);
	assert_string_equal(f.entries[1].elf_target, "gfx90a:xnack+");
	assert_string_equal(f.entries[2].elf_target, "gfx1030");
	rmcp_file_release(&f);

	/* Truncated in the second bundle: an error, not a crash, and not a silent success. */
	for (size_t cut = second + 24; cut < len; cut += 97) {
		uint8_t *t = malloc(cut);
		assert_non_null(t);
		memcpy(t, file, cut);
		assert_int_equal(rmcp_scan_buffer(t, cut, "x.bundle", NULL, &f), 0);
		if (!f.error)
			fail_msg("bundle file cut at %zu of %zu scanned without error", cut, len);
		rmcp_file_release(&f);
		free(t);
	}
	free(file);
	free_built(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_zero_entries),
		cmocka_unit_test(test_parse_bigger_total),
		cmocka_unit_test(test_is_bundle),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_truncated_every_prefix),
		cmocka_unit_test(test_truncated_prefix_known_total),
		cmocka_unit_test(test_entry_past_end),
		cmocka_unit_test(test_entry_wraps),
		cmocka_unit_test(test_entries_overlap),
		cmocka_unit_test(test_entry_overlaps_table),
		cmocka_unit_test(test_count_huge),
		cmocka_unit_test(test_count_exceeds_data),
		cmocka_unit_test(test_id_len_bad),
		cmocka_unit_test(test_need_protocol),
		cmocka_unit_test(test_id_parse_real_forms),
		cmocka_unit_test(test_id_parse_malformed),
		cmocka_unit_test(test_id_parse_amdgcn_without_target),
		cmocka_unit_test(test_id_parse_uses_len),
		cmocka_unit_test(test_scan_bundle_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
