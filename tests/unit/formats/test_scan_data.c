/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/lib/formats/scan_data.c (data files recognised by name) and a robustness test
 * of rmcp_scan_buffer on random bytes.
 *
 * Naming facts (research/binaries.md §3):
 *  - rocBLAS/hipBLASLt: library/TensileLibrary_*_gfxNNNN.dat (also .yaml), ':' written as
 *    '-' in file names (gfx906-xnack-), newer layout library/<arch>/TensileLibrary.dat.
 *  - MIOpen kernel databases: <arch>_<CU>.kdb when CU <= 64, else <arch><hexCU>.kdb
 *    (MIOpen handle.hpp GetDbBasename): gfx1030_36, gfx90a6e (110 CU), gfx90878 (120),
 *    gfx942130 (304), gfx942e4 (228). A .kdb is an SQLite database, whose files begin with
 *    the 16-byte header "SQLite format 3\0" (sqlite.org/fileformat.html).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"
#include "scan_internal.h"
#include "target.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longer runs for bug hunting: -DFUZZ_ITERS=200000 */
#ifndef FUZZ_ITERS
#define FUZZ_ITERS 2000
#endif

static const char sqlite_magic[16] = "SQLite format 3";	/* includes the NUL */

/* Scan a small buffer under a name. The buffer is an exact-size heap copy (ASan). */
static void scan_named(const char *path, const void *data, size_t len, struct rmcp_file *f)
{
	uint8_t *d = malloc(len ? len : 1);
	assert_non_null(d);
	memcpy(d, data, len);
	int rc = rmcp_scan_buffer(d, len, path, NULL, f);
	free(d);
	if (rc != 0)
		fail_msg("%s: rmcp_scan_buffer returned %d", path, rc);
	assert_non_null(f->path);
	assert_string_equal(f->path, path);
}

/* Tensile data files: the content (MessagePack or YAML) is not read. */
static const uint8_t tensile_bytes[] = { 0x82, 0xa7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01 };

static void expect_tensile(const char *path, const char *target)
{
	struct rmcp_file f;
	scan_named(path, tensile_bytes, sizeof(tensile_bytes), &f);
	if (f.format != RMCP_FMT_TENSILE)
		fail_msg("%s: format %s", path, rmcp_format_name(f.format));
	if (f.error)
		fail_msg("%s: error %s", path, f.error);
	if (target) {
		if (f.n_targets != 1)
			fail_msg("%s: %zu targets, want %s", path, f.n_targets, target);
		if (strcmp(f.targets[0], target) != 0)
			fail_msg("%s: target %s, want %s", path, f.targets[0], target);
	} else {
		if (f.n_targets != 0)
			fail_msg("%s: target %s, want none", path, f.targets[0]);
		if (!f.note)
			fail_msg("%s: no target and no note", path);
	}
	assert_false(rmcp_file_has_device_code(&f) != (target != NULL));
	rmcp_file_release(&f);
}

static void test_tensile_names(void **state)
{
	(void)state;
	expect_tensile("lib/rocblas/library/TensileLibrary_lazy_gfx1030.dat", "gfx1030");
	expect_tensile("TensileLibrary_Type_HH_Contraction_l_Ailk_Bljk_Cijk_Dijk_gfx90a.dat",
		       "gfx90a");
	expect_tensile("/opt/rocm/lib/hipblaslt/library/"
		       "TensileLibrary_HH_HH_HA_Bias_SAV_Type_HH_HPA_Contraction_l_Alik_Bljk_Cijk_Dijk_gfx942.dat",
		       "gfx942");
	expect_tensile("library/TensileLibrary_lazy_gfx1100.yaml", "gfx1100");
	expect_tensile("library/TensileLibrary_lazy_gfx1151.yml", "gfx1151");
	/* Newer layout: the arch is the directory. */
	expect_tensile("library/gfx1101/TensileLibrary.dat", "gfx1101");
	expect_tensile("/usr/lib/rocblas/library/gfx1030/TensileLibrary.dat", "gfx1030");
	/* ':' written as '-' in file names. */
	expect_tensile("TensileLibrary_gfx906-xnack-.dat", "gfx906:xnack-");
	expect_tensile("lib/rocblas/library/TensileLibrary_lazy_gfx90a-xnack+.dat", "gfx90a:xnack+");
	expect_tensile("TensileLibrary_gfx90a-sramecc+-xnack-.dat", "gfx90a:sramecc+:xnack-");
	/* No arch anywhere: a shared index. */
	expect_tensile("TensileLibrary.dat", NULL);
	expect_tensile("lib/rocblas/library/TensileLibrary.dat", NULL);
	expect_tensile("/TensileLibrary.dat", NULL);
}

static void test_tensile_no_false_target(void **state)
{
	(void)state;
	/* "gfx10300" is not gfx1030, and "xgfx1030" is not a gfx name. */
	expect_tensile("library/TensileLibrary_gfx10300.dat", NULL);
	expect_tensile("library/TensileLibrary_xgfx1030.dat", NULL);
	/* Only the arch directory directly above the file counts. */
	expect_tensile("gfx1030/library/TensileLibrary.dat", NULL);
}

static void test_not_tensile(void **state)
{
	(void)state;
	static const char *const names[] = {
		"README.txt",
		"gfx1030.txt",
		"lib/rocblas/library/TensileManifest.txt",
		"TensileLibrary_gfx1030.dat.bak",
		"lib/libfoo.so",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct rmcp_file f;
		scan_named(names[i], tensile_bytes, sizeof(tensile_bytes), &f);
		if (f.format != RMCP_FMT_UNKNOWN)
			fail_msg("'%s': format %s, want unknown", names[i], rmcp_format_name(f.format));
		assert_int_equal(f.n_targets, 0);
		assert_null(f.error);
		rmcp_file_release(&f);
	}
}

static void expect_kdb(const char *path, const char *target)
{
	uint8_t db[100];
	memset(db, 0, sizeof(db));
	memcpy(db, sqlite_magic, sizeof(sqlite_magic));
	db[16] = 0x10;	/* page size 4096, big-endian */
	struct rmcp_file f;
	scan_named(path, db, sizeof(db), &f);
	if (f.format != RMCP_FMT_MIOPEN_KDB)
		fail_msg("%s: format %s", path, rmcp_format_name(f.format));
	if (f.error)
		fail_msg("%s: error %s", path, f.error);
	if (target) {
		if (f.n_targets != 1 || strcmp(f.targets[0], target) != 0)
			fail_msg("%s: %zu targets (%s), want %s", path, f.n_targets,
				 f.n_targets ? f.targets[0] : "-", target);
	} else {
		assert_int_equal(f.n_targets, 0);
		assert_non_null(f.note);
	}
	rmcp_file_release(&f);
}

static void test_miopen_kdb(void **state)
{
	(void)state;
	expect_kdb("gfx1030_36.kdb", "gfx1030");
	expect_kdb("gfx90a6e.kdb", "gfx90a");
	expect_kdb("gfx90878.kdb", "gfx908");
	expect_kdb("gfx942130.kdb", "gfx942");
	expect_kdb("gfx942e4.kdb", "gfx942");
	expect_kdb("share/miopen/db/gfx906_60.kdb", "gfx906");
	expect_kdb("torch/share/miopen/db/gfx1100_48.kdb", "gfx1100");
	/* No known processor in the name. */
	expect_kdb("share/miopen/db/gfx000_1.kdb", NULL);
	expect_kdb("kernels.kdb", NULL);
}

static void test_miopen_kdb_not_sqlite(void **state)
{
	(void)state;
	static const char junk[64] = "this is not a database";
	struct rmcp_file f;
	scan_named("share/miopen/db/gfx1030_36.kdb", junk, sizeof(junk), &f);
	assert_int_equal(f.format, RMCP_FMT_MIOPEN_KDB);
	assert_non_null(f.error);
	assert_int_equal(f.n_targets, 0);
	rmcp_file_release(&f);

	/* Shorter than the SQLite header. */
	scan_named("gfx1030_36.kdb", sqlite_magic, 15, &f);
	assert_int_equal(f.format, RMCP_FMT_MIOPEN_KDB);
	assert_non_null(f.error);
	rmcp_file_release(&f);

	scan_named("gfx1030_36.kdb", "", 0, &f);
	assert_int_equal(f.format, RMCP_FMT_MIOPEN_KDB);
	assert_non_null(f.error);
	rmcp_file_release(&f);
}

/* Content wins over name: a code object named like a Tensile index is a code object. */
static void test_content_before_name(void **state)
{
	(void)state;
	uint8_t h[64];
	memset(h, 0, sizeof(h));
	memcpy(h, "\177ELF\2\1\1\100\2", 9);	/* ELF64 LSB, HSA, ABI version 2 (V4) */
	h[16] = 3;				/* ET_DYN */
	h[18] = 224;				/* EM_AMDGPU */
	h[48] = 0x36;				/* gfx1030 */
	struct rmcp_file f;
	scan_named("library/TensileLibrary_gfx90a.dat", h, sizeof(h), &f);
	assert_int_equal(f.format, RMCP_FMT_CODE_OBJECT);
	assert_int_equal(f.n_targets, 1);
	assert_string_equal(f.targets[0], "gfx1030");
	rmcp_file_release(&f);
}

/* ---- rmcp_target_prefix -------------------------------------------------------------- */

static void expect_prefix(const char *s, size_t len, const char *want, size_t want_used)
{
	size_t used = 12345;
	const char *t = rmcp_target_prefix(s, len, &used);
	if (want == NULL) {
		if (t)
			fail_msg("'%.*s': got %s, want none", (int)len, s, t);
		assert_int_equal(used, 0);
		return;
	}
	if (!t || strcmp(t, want) != 0)
		fail_msg("'%.*s': got %s, want %s", (int)len, s, t ? t : "none", want);
	assert_int_equal(used, want_used);
}

static void test_target_prefix(void **state)
{
	(void)state;
	const char *s = "gfx90a6e.kdb";
	expect_prefix(s, strlen(s), "gfx90a", 6);
	s = "gfx942130.kdb";
	expect_prefix(s, strlen(s), "gfx942", 6);
	s = "gfx1030_36";
	expect_prefix(s, strlen(s), "gfx1030", 7);
	s = "gfx1151";
	expect_prefix(s, strlen(s), "gfx1151", 7);
	/* Longest match: "gfx10-3-generic" over anything shorter. */
	s = "gfx10-3-generic.co";
	expect_prefix(s, strlen(s), "gfx10-3-generic", 15);
	s = "gfx9-4-generic";
	expect_prefix(s, strlen(s), "gfx9-4-generic", 14);
	/* len bounds the match. */
	expect_prefix("gfx1030", 6, NULL, 0);
	expect_prefix("gfx1030", 0, NULL, 0);
	expect_prefix("gfx", 3, NULL, 0);
	expect_prefix("xgfx1030", 8, NULL, 0);
	expect_prefix("GFX1030", 7, NULL, 0);
	/* used may be NULL. */
	assert_non_null(rmcp_target_prefix("gfx906", 6, NULL));
}

/* Every processor in the table is found as its own prefix, and within a longer name. */
static void test_target_prefix_whole_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const char *name = rmcp_target_table[i].name;
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "%s_36.kdb", name);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		expect_prefix(buf, (size_t)n, name, strlen(name));
	}
}

/* ---- rmcp_scan_buffer on random bytes ------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void put_le(uint8_t *p, size_t len, size_t at, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes && at + (size_t)i < len; i++)
		p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

enum fuzz_mode {
	FZ_RANDOM, FZ_ELF, FZ_BUNDLE, FZ_CCOB, FZ_KPAK,
	FZ_AMDGPU_ELF,		/* ELF64 LSB EM_AMDGPU header, random rest */
	FZ_CCOB_VALID_HDR,	/* CCOB with a known version/method */
	FZ_BUNDLE_SMALL_COUNT,	/* bundle with a plausible entry count */
	FZ_MODES
};

static void fuzz_fill(uint8_t *p, size_t len, enum fuzz_mode mode)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng();
	/* Sometimes mostly zeros: small counts, lengths and offsets are more interesting. */
	if (rng() % 3 == 0)
		for (size_t i = 0; i < len; i++)
			if (rng() % 4)
				p[i] = 0;
	static const char *const magic[FZ_MODES] = {
		[FZ_ELF] = "\177ELF", [FZ_BUNDLE] = "__CLANG_OFFLOAD_BUNDLE__", [FZ_CCOB] = "CCOB",
		[FZ_KPAK] = "KPAK", [FZ_AMDGPU_ELF] = "\177ELF\2\1\1\100",
		[FZ_CCOB_VALID_HDR] = "CCOB", [FZ_BUNDLE_SMALL_COUNT] = "__CLANG_OFFLOAD_BUNDLE__",
	};
	if (magic[mode]) {
		size_t m = strlen(magic[mode]);
		memcpy(p, magic[mode], m < len ? m : len);
	}
	switch (mode) {
	case FZ_AMDGPU_ELF:
		put_le(p, len, 8, rng() % 6, 1);		/* EI_ABIVERSION */
		put_le(p, len, 18, 224, 2);			/* EM_AMDGPU */
		break;
	case FZ_CCOB_VALID_HDR:
		put_le(p, len, 4, 1 + rng() % 3, 2);
		put_le(p, len, 6, rng() % 2, 2);
		break;
	case FZ_BUNDLE_SMALL_COUNT:
		put_le(p, len, 24, rng() % 5, 8);
		/* first entry: small offset/size/id_len */
		put_le(p, len, 32, rng() % (len + 1), 8);
		put_le(p, len, 40, rng() % (len + 1), 8);
		put_le(p, len, 48, rng() % 64, 8);
		break;
	default:
		break;
	}
}

static void check_result(const struct rmcp_file *f, const char *path, size_t len,
			 enum fuzz_mode mode, unsigned iter)
{
	assert_string_equal(f->path, path);
	/* The magic decides the format (content is sniffed before names). */
	bool bad = false;
	switch (mode) {
	case FZ_BUNDLE:
	case FZ_BUNDLE_SMALL_COUNT:
		bad = len >= 24 && f->format != RMCP_FMT_BUNDLE;
		break;
	case FZ_CCOB:
	case FZ_CCOB_VALID_HDR:
		bad = len >= 4 && f->format != RMCP_FMT_CCOB;
		break;
	case FZ_KPAK:
		bad = len >= 4 && f->format != RMCP_FMT_KPACK;
		break;
	case FZ_ELF:
		bad = len >= 4 && f->format != RMCP_FMT_ELF && f->format != RMCP_FMT_CODE_OBJECT;
		break;
	case FZ_AMDGPU_ELF:
		bad = len >= 64 && f->format != RMCP_FMT_CODE_OBJECT;
		break;
	default:
		break;
	}
	if (bad)
		fail_msg("iteration %u: mode %d len %zu: format %s", iter, mode, len,
			 rmcp_format_name(f->format));
	if (f->error && !f->error[0])
		fail_msg("iteration %u: empty error message", iter);
	/* Targets: non-empty, sorted, unique. */
	for (size_t i = 0; i < f->n_targets; i++) {
		assert_non_null(f->targets[i]);
		assert_true(f->targets[i][0] != '\0');
		if (i && strcmp(f->targets[i - 1], f->targets[i]) >= 0)
			fail_msg("iteration %u: targets not sorted/unique", iter);
	}
	for (size_t i = 0; i < f->n_entries; i++)
		if (f->entries[i].target && f->entries[i].size > 0 && !f->entries[i].compressed &&
		    f->format == RMCP_FMT_BUNDLE &&
		    (f->entries[i].offset > len || f->entries[i].size > len - f->entries[i].offset))
			fail_msg("iteration %u: entry %zu lies outside the buffer", iter, i);
}

static void test_scan_random_bytes(void **state)
{
	(void)state;
	static const char *const paths[] = {
		"fuzz.bin",
		"lib/rocblas/library/TensileLibrary_lazy_gfx1030.dat",
		"share/miopen/db/gfx90a6e.kdb",
		"k.hsaco",
	};
	unsigned counts[FZ_MODES] = { 0 };
	for (unsigned iter = 0; iter < FUZZ_ITERS; iter++) {
		size_t len = (size_t)(rng() % 8193);
		enum fuzz_mode mode = (enum fuzz_mode)(iter % FZ_MODES);
		uint8_t *p = malloc(len ? len : 1);
		assert_non_null(p);
		fuzz_fill(p, len, mode);
		const char *path = paths[rng() % ARRAY_SIZE(paths)];
		struct rmcp_scan_opts opts = { .verbose = rng() % 2, .kernels = rng() % 2 };
		struct rmcp_file f;
		int rc = rmcp_scan_buffer(p, len, path, &opts, &f);
		if (rc != 0)
			fail_msg("iteration %u: rc %d", iter, rc);
		check_result(&f, path, len, mode, iter);
		rmcp_file_release(&f);
		free(p);
		counts[mode]++;
	}
	for (int m = 0; m < FZ_MODES; m++)
		assert_true(counts[m] >= FUZZ_ITERS / FZ_MODES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tensile_names),
		cmocka_unit_test(test_tensile_no_false_target),
		cmocka_unit_test(test_not_tensile),
		cmocka_unit_test(test_miopen_kdb),
		cmocka_unit_test(test_miopen_kdb_not_sqlite),
		cmocka_unit_test(test_content_before_name),
		cmocka_unit_test(test_target_prefix),
		cmocka_unit_test(test_target_prefix_whole_table),
		cmocka_unit_test(test_scan_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
