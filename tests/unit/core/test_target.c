/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/lib/core/target.c and the generated processor table (data/targets.tsv).
 *
 * Expected values come from sources independent of the code under test:
 *  - EF_AMDGPU_MACH values: llvm/include/llvm/BinaryFormat/ELF.h, as listed in
 *    research/binaries.md §2.
 *  - KFD gfx_target_version values and their names: linux kfd_device.c kgd2kfd_probe and
 *    libhsakmt's "gfx%d%x%x" naming, research/detect.md §1.3.
 *  - Generic processor membership: llvm/docs/AMDGPUUsage.rst "Generic processors",
 *    research/binaries.md §2.
 *  - Target ID syntax: AMDGPUUsage "Target ID" (features in alphabetical order, ':' separated,
 *    '+'/'-' suffix; only xnack and sramecc are target-ID features).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "target.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------------------- */

/* Parse `s` from an exactly-sized heap copy, so ASan sees any read past `len`. */
static int parse_exact(const char *s, struct rmcp_target_id *out, struct rmcp_err *err)
{
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, s, len);
	int rc = rmcp_target_id_parse(copy, len, out, err);
	free(copy);
	return rc;
}

static struct rmcp_target_id tid(const char *s)
{
	struct rmcp_target_id id;
	struct rmcp_err err = { 0 };
	int rc = parse_exact(s, &id, &err);
	if (rc != 0)
		fail_msg("parsing '%s' failed: %s", s, err.msg);
	return id;
}

static bool covers(const char *code, unsigned generic_version, const char *gpu)
{
	struct rmcp_target_id c = tid(code), g = tid(gpu);
	return rmcp_target_covers(&c, generic_version, &g);
}

/* ---- table integrity ----------------------------------------------------------------- */

static void test_table_not_empty(void **state)
{
	(void)state;
	/* The tsv has rows for gfx6 through gfx12 plus generics: dozens, not a handful. */
	assert_true(rmcp_target_table_len >= 50);
}

static void test_table_names_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		assert_non_null(rmcp_target_table[i].name);
		assert_true(strlen(rmcp_target_table[i].name) < RMCP_PROC_MAX);
		for (size_t j = i + 1; j < rmcp_target_table_len; j++)
			if (strcmp(rmcp_target_table[i].name, rmcp_target_table[j].name) == 0)
				fail_msg("duplicate target name %s (rows %zu and %zu)",
					 rmcp_target_table[i].name, i, j);
	}
}

static void test_table_mach_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		/* EF_AMDGPU_MACH is the low byte of e_flags (mask 0x0ff) and 0 means "none". */
		assert_in_range(rmcp_target_table[i].mach, 1, 0xff);
		for (size_t j = i + 1; j < rmcp_target_table_len; j++)
			if (rmcp_target_table[i].mach == rmcp_target_table[j].mach)
				fail_msg("MACH 0x%x used by %s and %s", rmcp_target_table[i].mach,
					 rmcp_target_table[i].name, rmcp_target_table[j].name);
	}
}

static void test_table_versions_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *a = &rmcp_target_table[i];
		if (!a->version_known)
			continue;
		for (size_t j = i + 1; j < rmcp_target_table_len; j++) {
			const struct rmcp_target *b = &rmcp_target_table[j];
			if (b->version_known && a->version == b->version)
				fail_msg("gfx_target_version %u used by %s and %s", a->version,
					 a->name, b->name);
		}
	}
}

static void test_table_generic_column(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		/* Generic rows end in "-generic" (AMDGPUUsage naming) and have no KFD version. */
		size_t n = strlen(t->name);
		bool named_generic = n > 8 && strcmp(t->name + n - 8, "-generic") == 0;
		if (t->is_generic != named_generic)
			fail_msg("%s: is_generic=%d disagrees with its name", t->name, t->is_generic);
		if (t->is_generic && t->version_known)
			fail_msg("generic target %s has a KFD version", t->name);
		if (t->is_generic && t->generic)
			fail_msg("generic target %s itself names a generic", t->name);
		if (!t->generic)
			continue;
		const struct rmcp_target *g = rmcp_target_by_name(t->generic, strlen(t->generic));
		if (!g)
			fail_msg("%s: generic target %s is not in the table", t->name, t->generic);
		if (!g->is_generic)
			fail_msg("%s: generic column names %s, which is not a generic row", t->name,
				 t->generic);
		if (t->generic_min < 1)
			fail_msg("%s: generic_min is %u; generic versions start at 1", t->name,
				 t->generic_min);
	}
}

/* Every non-generic row with a known KFD version must be named exactly as libhsakmt names
 * that version: a typo in either tsv column shows up here. */
static void test_table_version_roundtrip(void **state)
{
	(void)state;
	size_t checked = 0;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		if (t->is_generic || !t->version_known)
			continue;
		char buf[32];
		int n = rmcp_gfx_name(t->version, buf, sizeof(buf));
		if (n < 0)
			fail_msg("%s: version %u does not format (%d)", t->name, t->version, n);
		if (strcmp(buf, t->name) != 0)
			fail_msg("%s: version %u names %s", t->name, t->version, buf);
		assert_int_equal(n, strlen(buf));
		assert_ptr_equal(rmcp_target_by_version(t->version), t);
		checked++;
	}
	assert_true(checked >= 40);
}

static void test_table_lookups_consistent(void **state)
{
	(void)state;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		assert_ptr_equal(rmcp_target_by_name(t->name, strlen(t->name)), t);
		assert_ptr_equal(rmcp_target_by_mach(t->mach), t);
	}
}

/* binaries.md §2 (llvm ELF.h EF_AMDGPU_MACH_AMDGCN_*). */
static const struct {
	const char *name;
	unsigned mach;
} elf_h_mach[] = {
	{ "gfx803", 0x02a }, { "gfx900", 0x02c }, { "gfx902", 0x02d }, { "gfx904", 0x02e },
	{ "gfx906", 0x02f }, { "gfx908", 0x030 }, { "gfx909", 0x031 }, { "gfx90c", 0x032 },
	{ "gfx90a", 0x03f }, { "gfx942", 0x04c }, { "gfx950", 0x04f },
	{ "gfx1010", 0x033 }, { "gfx1011", 0x034 }, { "gfx1012", 0x035 }, { "gfx1013", 0x042 },
	{ "gfx1030", 0x036 }, { "gfx1031", 0x037 }, { "gfx1032", 0x038 }, { "gfx1033", 0x039 },
	{ "gfx1034", 0x03e }, { "gfx1035", 0x03d }, { "gfx1036", 0x045 },
	{ "gfx1100", 0x041 }, { "gfx1101", 0x046 }, { "gfx1102", 0x047 }, { "gfx1103", 0x044 },
	{ "gfx1150", 0x043 }, { "gfx1151", 0x04a }, { "gfx1152", 0x055 }, { "gfx1153", 0x058 },
	{ "gfx1200", 0x048 }, { "gfx1201", 0x04e }, { "gfx1250", 0x049 }, { "gfx1251", 0x05a },
	{ "gfx9-generic", 0x051 }, { "gfx10-1-generic", 0x052 }, { "gfx10-3-generic", 0x053 },
	{ "gfx11-generic", 0x054 }, { "gfx12-generic", 0x059 }, { "gfx9-4-generic", 0x05f },
	{ "gfx940", 0x040 }, { "gfx941", 0x04b },
};

static void test_table_mach_matches_elf_h(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(elf_h_mach); i++) {
		const struct rmcp_target *t = rmcp_target_by_name(elf_h_mach[i].name,
								  strlen(elf_h_mach[i].name));
		if (!t)
			fail_msg("%s missing from the table", elf_h_mach[i].name);
		if (t->mach != elf_h_mach[i].mach)
			fail_msg("%s: MACH 0x%x, ELF.h says 0x%x", t->name, t->mach,
				 elf_h_mach[i].mach);
	}
}

/* detect.md §1.3 (kfd_device.c kgd2kfd_probe). */
static const struct {
	uint32_t version;
	const char *name;
} kfd_versions[] = {
	{ 70000, "gfx700" }, { 70001, "gfx701" }, { 80001, "gfx801" }, { 80002, "gfx802" },
	{ 80003, "gfx803" }, { 90000, "gfx900" }, { 90002, "gfx902" }, { 90004, "gfx904" },
	{ 90006, "gfx906" }, { 90008, "gfx908" }, { 90010, "gfx90a" }, { 90012, "gfx90c" },
	{ 90400, "gfx940" }, { 90401, "gfx941" }, { 90402, "gfx942" }, { 90500, "gfx950" },
	{ 100100, "gfx1010" }, { 100101, "gfx1011" }, { 100102, "gfx1012" }, { 100103, "gfx1013" },
	{ 100300, "gfx1030" }, { 100301, "gfx1031" }, { 100302, "gfx1032" }, { 100303, "gfx1033" },
	{ 100304, "gfx1034" }, { 100305, "gfx1035" }, { 100306, "gfx1036" },
	{ 110000, "gfx1100" }, { 110001, "gfx1101" }, { 110002, "gfx1102" }, { 110003, "gfx1103" },
	{ 110500, "gfx1150" }, { 110501, "gfx1151" }, { 110502, "gfx1152" },
	{ 120000, "gfx1200" }, { 120001, "gfx1201" },
};

static void test_table_versions_match_kfd(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kfd_versions); i++) {
		const struct rmcp_target *t = rmcp_target_by_version(kfd_versions[i].version);
		if (!t)
			fail_msg("no row for KFD version %u", kfd_versions[i].version);
		if (strcmp(t->name, kfd_versions[i].name) != 0)
			fail_msg("KFD version %u: table says %s, kfd_device.c says %s",
				 kfd_versions[i].version, t->name, kfd_versions[i].name);
	}
}

/* The members of a generic target, exactly: AMDGPUUsage "Generic processors". */
static void check_generic_members(const char *generic, const char *const *members, size_t n)
{
	size_t found = 0;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		if (!t->generic || strcmp(t->generic, generic) != 0)
			continue;
		bool listed = false;
		for (size_t k = 0; k < n; k++)
			listed |= strcmp(members[k], t->name) == 0;
		if (!listed)
			fail_msg("%s lists %s, AMDGPUUsage does not", generic, t->name);
		found++;
	}
	if (found != n)
		fail_msg("%s has %zu members in the table, AMDGPUUsage lists %zu", generic, found, n);
}

static void test_table_generic_members(void **state)
{
	(void)state;
	static const char *const g9[] = { "gfx900", "gfx902", "gfx904", "gfx906", "gfx909", "gfx90c" };
	static const char *const g101[] = { "gfx1010", "gfx1011", "gfx1012", "gfx1013" };
	static const char *const g103[] = { "gfx1030", "gfx1031", "gfx1032", "gfx1033",
					    "gfx1034", "gfx1035", "gfx1036" };
	static const char *const g12[] = { "gfx1200", "gfx1201" };
	check_generic_members("gfx9-generic", g9, ARRAY_SIZE(g9));
	check_generic_members("gfx10-1-generic", g101, ARRAY_SIZE(g101));
	check_generic_members("gfx10-3-generic", g103, ARRAY_SIZE(g103));
	check_generic_members("gfx12-generic", g12, ARRAY_SIZE(g12));

	/* gfx11-generic: at least 1100..1103 and 1150..1152 (gfx1153 was added later). */
	static const char *const g11[] = { "gfx1100", "gfx1101", "gfx1102", "gfx1103",
					   "gfx1150", "gfx1151", "gfx1152" };
	for (size_t i = 0; i < ARRAY_SIZE(g11); i++) {
		const struct rmcp_target *t = rmcp_target_by_name(g11[i], strlen(g11[i]));
		assert_non_null(t);
		assert_non_null(t->generic);
		assert_string_equal(t->generic, "gfx11-generic");
	}
	/* gfx908 and gfx90a have no generic target (AMDGPUUsage). */
	assert_null(rmcp_target_by_name("gfx908", 6)->generic);
	assert_null(rmcp_target_by_name("gfx90a", 6)->generic);
}

static void test_table_features(void **state)
{
	(void)state;
	/* ROCr isa.cpp: gfx1030 lists xnack as unsupported (binaries.md §2.1); gfx101x and
	 * gfx90a support it; gfx90a and gfx906 support sramecc, gfx1010 does not. */
	assert_int_equal(rmcp_target_by_name("gfx1030", 7)->xnack, RMCP_CAP_NO);
	assert_int_equal(rmcp_target_by_name("gfx1010", 7)->xnack, RMCP_CAP_YES);
	assert_int_equal(rmcp_target_by_name("gfx90a", 6)->xnack, RMCP_CAP_YES);
	assert_int_equal(rmcp_target_by_name("gfx90a", 6)->sramecc, RMCP_CAP_YES);
	assert_int_equal(rmcp_target_by_name("gfx906", 6)->sramecc, RMCP_CAP_YES);
	assert_int_equal(rmcp_target_by_name("gfx1010", 7)->sramecc, RMCP_CAP_NO);
}

/* ---- lookups ------------------------------------------------------------------------- */

static void test_by_name_uses_len(void **state)
{
	(void)state;
	/* len, not NUL, ends the name: "gfx1030" inside a longer string. */
	const struct rmcp_target *t = rmcp_target_by_name("gfx1030_36.kdb", 7);
	assert_non_null(t);
	assert_string_equal(t->name, "gfx1030");
	assert_null(rmcp_target_by_name("gfx1030", 6));	/* "gfx103" is not a processor */
	assert_null(rmcp_target_by_name("gfx1030", 0));
	assert_null(rmcp_target_by_name("gfx9999", 7));
}

static void test_by_mach(void **state)
{
	(void)state;
	const struct rmcp_target *t;

	t = rmcp_target_by_mach(0x33);
	assert_non_null(t);
	assert_string_equal(t->name, "gfx1010");
	t = rmcp_target_by_mach(0x3f);
	assert_non_null(t);
	assert_string_equal(t->name, "gfx90a");
	t = rmcp_target_by_mach(0x53);
	assert_non_null(t);
	assert_string_equal(t->name, "gfx10-3-generic");
	assert_true(t->is_generic);
	/* gfx940 is reserved in LLVM 22 (binaries.md §2 "Removed"). */
	t = rmcp_target_by_mach(0x40);
	assert_non_null(t);
	assert_string_equal(t->name, "gfx940");
	assert_int_equal(t->status, RMCP_TARGET_REMOVED);
	t = rmcp_target_by_mach(0x4b);
	assert_non_null(t);
	assert_int_equal(t->status, RMCP_TARGET_REMOVED);
	assert_int_equal(rmcp_target_by_mach(0x36)->status, RMCP_TARGET_CURRENT);

	assert_null(rmcp_target_by_mach(0xff));
	assert_null(rmcp_target_by_mach(0));
	/* A full e_flags word is not a MACH value: callers must mask with 0xff first. */
	assert_null(rmcp_target_by_mach(0x133));
}

static void test_by_version(void **state)
{
	(void)state;
	assert_null(rmcp_target_by_version(0));
	assert_null(rmcp_target_by_version(100107));
	assert_string_equal(rmcp_target_by_version(100306)->name, "gfx1036");
}

/* ---- rmcp_gfx_name ------------------------------------------------------------------- */

static void expect_gfx_name(uint32_t v, const char *want)
{
	char buf[32];
	memset(buf, 'X', sizeof(buf));
	int n = rmcp_gfx_name(v, buf, sizeof(buf));
	if (n < 0)
		fail_msg("rmcp_gfx_name(%u) failed: %d", v, n);
	if (strcmp(buf, want) != 0)
		fail_msg("rmcp_gfx_name(%u) = %s, want %s", v, buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_gfx_name_detect_md(void **state)
{
	(void)state;
	/* detect.md §1.3: minor and stepping are hex digits. */
	expect_gfx_name(100100, "gfx1010");	/* not gfx10100 */
	expect_gfx_name(90010, "gfx90a");
	expect_gfx_name(90012, "gfx90c");
	expect_gfx_name(110501, "gfx1151");
	expect_gfx_name(90402, "gfx942");
	expect_gfx_name(100306, "gfx1036");
	expect_gfx_name(80100, "gfx810");
	/* Unknown to the table, still nameable (the function must not need the table). */
	expect_gfx_name(100107, "gfx1017");
	expect_gfx_name(90015, "gfx90f");
	expect_gfx_name(631515, "gfx63ff");	/* largest major libhsakmt accepts */
	expect_gfx_name(10000, "gfx100");
}

static void test_gfx_name_out_of_range(void **state)
{
	(void)state;
	char buf[32];
	/* major 0 is not a GPU; libhsakmt limits major to 63 (binaries.md §2.1). */
	assert_true(rmcp_gfx_name(0, buf, sizeof(buf)) < 0);
	assert_true(rmcp_gfx_name(42, buf, sizeof(buf)) < 0);
	assert_true(rmcp_gfx_name(640000, buf, sizeof(buf)) < 0);
	assert_true(rmcp_gfx_name(UINT32_MAX, buf, sizeof(buf)) < 0);
	/* A minor or stepping of 16+ needs two hex digits, and "gfx%d%x%x" would become
	 * ambiguous (10.1.16 and 10.11.0 both give gfx10110): must be refused. */
	assert_true(rmcp_gfx_name(100116, buf, sizeof(buf)) < 0);
	assert_true(rmcp_gfx_name(101600, buf, sizeof(buf)) < 0);
	assert_true(rmcp_gfx_name(109999, buf, sizeof(buf)) < 0);
}

static void test_gfx_name_small_buffer(void **state)
{
	(void)state;
	char buf[8];
	/* "gfx1010" needs 8 bytes with the NUL; 7 is too small and must not be written past. */
	memset(buf, 'Z', sizeof(buf));
	assert_true(rmcp_gfx_name(100100, buf, 7) < 0);
	assert_int_equal(buf[7], 'Z');
	assert_int_equal(rmcp_gfx_name(100100, buf, 8), 7);
	assert_string_equal(buf, "gfx1010");
}

/* ---- target ID parse / format -------------------------------------------------------- */

static void expect_roundtrip(const char *in, const char *canonical)
{
	struct rmcp_target_id id = tid(in);
	char buf[64];
	int n = rmcp_target_id_format(&id, buf, sizeof(buf));
	if (n < 0)
		fail_msg("formatting '%s' failed: %d", in, n);
	if (strcmp(buf, canonical) != 0)
		fail_msg("'%s' formats as '%s', want '%s'", in, buf, canonical);
	assert_int_equal(n, strlen(canonical));
}

static void test_tid_parse_fields(void **state)
{
	(void)state;
	struct rmcp_target_id id = tid("gfx90a:sramecc+:xnack-");
	assert_string_equal(id.proc, "gfx90a");
	assert_int_equal(id.sramecc, RMCP_FEAT_ON);
	assert_int_equal(id.xnack, RMCP_FEAT_OFF);
	assert_non_null(id.target);
	assert_string_equal(id.target->name, "gfx90a");

	id = tid("gfx1030");
	assert_string_equal(id.proc, "gfx1030");
	assert_int_equal(id.xnack, RMCP_FEAT_UNSPEC);
	assert_int_equal(id.sramecc, RMCP_FEAT_UNSPEC);
	assert_ptr_equal(id.target, rmcp_target_by_name("gfx1030", 7));

	id = tid("gfx10-3-generic");
	assert_string_equal(id.proc, "gfx10-3-generic");
	assert_non_null(id.target);
	assert_true(id.target->is_generic);
}

static void test_tid_roundtrip(void **state)
{
	(void)state;
	expect_roundtrip("gfx90a:sramecc+:xnack-", "gfx90a:sramecc+:xnack-");
	expect_roundtrip("gfx90a:xnack+", "gfx90a:xnack+");
	expect_roundtrip("gfx906:sramecc-", "gfx906:sramecc-");
	expect_roundtrip("gfx1030", "gfx1030");
	expect_roundtrip("gfx10-1-generic", "gfx10-1-generic");
	/* Order normalisation: AMDGPUUsage writes features in alphabetical order. */
	expect_roundtrip("gfx90a:xnack-:sramecc+", "gfx90a:sramecc+:xnack-");
	expect_roundtrip("gfx908:xnack+:sramecc-", "gfx908:sramecc-:xnack+");
}

static void test_tid_format_small_buffer(void **state)
{
	(void)state;
	struct rmcp_target_id id = tid("gfx90a:sramecc+:xnack-");
	char buf[32];
	memset(buf, 'Z', sizeof(buf));
	/* 22 characters: 22 bytes is one too few. */
	assert_true(rmcp_target_id_format(&id, buf, 22) < 0);
	assert_int_equal(buf[22], 'Z');
	assert_int_equal(rmcp_target_id_format(&id, buf, 23), 22);
}

static void test_tid_uses_len(void **state)
{
	(void)state;
	/* The ID is a slice: nothing after len is part of it. */
	const char text[] = "gfx90a:xnack+:sramecc-";
	struct rmcp_target_id id;
	struct rmcp_err err = { 0 };
	char *copy = malloc(13);
	assert_non_null(copy);
	memcpy(copy, text, 13);	/* "gfx90a:xnack+", no NUL */
	assert_int_equal(rmcp_target_id_parse(copy, 13, &id, &err), 0);
	free(copy);
	assert_string_equal(id.proc, "gfx90a");
	assert_int_equal(id.xnack, RMCP_FEAT_ON);
	assert_int_equal(id.sramecc, RMCP_FEAT_UNSPEC);
}

static void expect_parse_error(const char *s)
{
	struct rmcp_target_id id;
	struct rmcp_err err = { 0 };
	int rc = parse_exact(s, &id, &err);
	if (rc != -RMCP_E_FORMAT)
		fail_msg("'%s': rc %d, want -RMCP_E_FORMAT", s, rc);
	assert_int_equal(err.code, -RMCP_E_FORMAT);
	assert_true(err.msg[0] != '\0');
}

static void test_tid_errors(void **state)
{
	(void)state;
	expect_parse_error("");				/* empty */
	expect_parse_error(":xnack+");			/* no processor */
	expect_parse_error("gfx90a:xnack");		/* no +/- */
	expect_parse_error("gfx90a:sramecc");
	expect_parse_error("gfx90a:+");			/* feature name empty */
	expect_parse_error("gfx90a:");			/* trailing ':' */
	expect_parse_error("gfx90a::xnack+");		/* empty item */
	expect_parse_error("gfx90a:foo+");		/* unknown feature */
	expect_parse_error("gfx90a:XNACK+");
	expect_parse_error("gfx90a:xnack+:xnack-");	/* feature twice */
	expect_parse_error("gfx90a:xnack+:xnack+");
	expect_parse_error("gfx90a:sramecc+:xnack-:sramecc+");
	/* 40-character processor name */
	expect_parse_error("gfx0123456789012345678901234567890123456");
	/* bad characters */
	expect_parse_error("GFX90A");
	expect_parse_error("gfx 90a");
	expect_parse_error("gfx90a;xnack+");
	expect_parse_error("gfx90a/xnack+");
	expect_parse_error("gfx\xc3\xa9");
}

static void test_tid_unknown_processor(void **state)
{
	(void)state;
	/* Unknown processors parse and are reported as unknown, never guessed. */
	struct rmcp_target_id id = tid("gfx9999:xnack-");
	assert_string_equal(id.proc, "gfx9999");
	assert_null(id.target);
	assert_int_equal(id.xnack, RMCP_FEAT_OFF);
	id = tid("gfx103");	/* a prefix of real names is not one of them */
	assert_null(id.target);
	char buf[32];
	id = tid("gfx9999:xnack-:sramecc+");
	assert_true(rmcp_target_id_format(&id, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "gfx9999:sramecc+:xnack-");
}

/* ---- rmcp_target_covers -------------------------------------------------------------- */

static void test_covers_same_processor(void **state)
{
	(void)state;
	assert_true(covers("gfx1030", 0, "gfx1030"));
	assert_true(covers("gfx90a", 0, "gfx90a:sramecc+:xnack-"));
	/* ROCr Isa::IsCompatible needs exact major.minor.stepping equality. */
	assert_false(covers("gfx1030", 0, "gfx1010"));
	assert_false(covers("gfx1010", 0, "gfx1030"));
	assert_false(covers("gfx1030", 0, "gfx1031"));
	assert_false(covers("gfx906", 0, "gfx908"));
}

static void test_covers_xnack(void **state)
{
	(void)state;
	/* A feature set on/off in the code must equal the agent's; "any" matches either. */
	assert_true(covers("gfx90a:xnack+", 0, "gfx90a:xnack+"));
	assert_false(covers("gfx90a:xnack+", 0, "gfx90a:xnack-"));
	assert_false(covers("gfx90a:xnack-", 0, "gfx90a:xnack+"));
	assert_true(covers("gfx90a", 0, "gfx90a:xnack-"));
	assert_true(covers("gfx90a", 0, "gfx90a:xnack+"));
	assert_false(covers("gfx90a:sramecc-:xnack+", 0, "gfx90a:sramecc+:xnack+"));
	assert_true(covers("gfx90a:sramecc+:xnack+", 0, "gfx90a:sramecc+:xnack+"));
}

static void test_covers_unspecified_gpu_mode(void **state)
{
	(void)state;
	/* A GPU whose mode is unknown cannot rule code out (target.h). */
	assert_true(covers("gfx90a:xnack+", 0, "gfx90a"));
	assert_true(covers("gfx90a:xnack-", 0, "gfx90a"));
	assert_true(covers("gfx90a:sramecc-:xnack-", 0, "gfx90a:xnack-"));
	/* ...but does not make a different processor match. */
	assert_false(covers("gfx908:xnack+", 0, "gfx90a"));
}

static void test_covers_generic(void **state)
{
	(void)state;
	/* AMDGPUUsage "Generic processors" (binaries.md §2). */
	static const char *const g101[] = { "gfx1010", "gfx1011", "gfx1012", "gfx1013" };
	for (size_t i = 0; i < ARRAY_SIZE(g101); i++) {
		if (!covers("gfx10-1-generic", 1, g101[i]))
			fail_msg("gfx10-1-generic does not cover %s", g101[i]);
		if (!covers("gfx10-1-generic", 0, g101[i]))
			fail_msg("gfx10-1-generic (version unknown) does not cover %s", g101[i]);
	}
	assert_false(covers("gfx10-1-generic", 1, "gfx1030"));
	assert_true(covers("gfx10-3-generic", 1, "gfx1031"));
	assert_true(covers("gfx10-3-generic", 1, "gfx1036"));
	assert_false(covers("gfx10-3-generic", 1, "gfx1010"));
	assert_true(covers("gfx11-generic", 1, "gfx1151"));
	assert_false(covers("gfx11-generic", 1, "gfx1030"));
	assert_true(covers("gfx9-generic", 1, "gfx906"));
	assert_true(covers("gfx9-generic", 1, "gfx90c"));
	assert_false(covers("gfx9-generic", 1, "gfx90a"));
	assert_false(covers("gfx9-generic", 1, "gfx908"));
	assert_true(covers("gfx12-generic", 1, "gfx1201"));
	/* Generic code with features still obeys the feature rule. */
	assert_false(covers("gfx9-generic:xnack-", 1, "gfx906:xnack+"));
	assert_true(covers("gfx9-generic:xnack-", 1, "gfx906:xnack-"));
	/* Coverage is one way: a processor's code does not run on "the generic". */
	assert_false(covers("gfx1030", 0, "gfx10-3-generic"));
	/* An unknown GPU is covered only by its own name. */
	assert_false(covers("gfx10-3-generic", 1, "gfx1039"));
	assert_true(covers("gfx1039", 0, "gfx1039"));
}

/* Issue 12: lists for people are in gfx_target_version order, not text order. */
static void test_target_cmp(void **state)
{
	(void)state;
	static const char *const order[] = { "gfx803", "gfx900", "gfx906", "gfx90a:xnack+", "gfx942", "gfx1010",
					     "gfx10-1-generic", "gfx1011", "gfx1030", "gfx10-3-generic",
					     "gfx1100", "gfx1101", "gfx1201", "gfx9999" };
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++) {
			int c = rmcp_target_cmp(order[i], order[k]);
			if ((i < k && c >= 0) || (i > k && c <= 0) || (i == k && c != 0))
				fail_msg("%s vs %s: %d", order[i], order[k], c);
		}
	/* a token with a generic version sorts as its processor; ties by text */
	assert_true(rmcp_target_cmp("gfx1030", "gfx1030@1") < 0);
	assert_true(rmcp_target_cmp("gfx90a:xnack-", "gfx90a:xnack+") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_cmp),
		cmocka_unit_test(test_table_not_empty),
		cmocka_unit_test(test_table_names_unique),
		cmocka_unit_test(test_table_mach_unique),
		cmocka_unit_test(test_table_versions_unique),
		cmocka_unit_test(test_table_generic_column),
		cmocka_unit_test(test_table_version_roundtrip),
		cmocka_unit_test(test_table_lookups_consistent),
		cmocka_unit_test(test_table_mach_matches_elf_h),
		cmocka_unit_test(test_table_versions_match_kfd),
		cmocka_unit_test(test_table_generic_members),
		cmocka_unit_test(test_table_features),
		cmocka_unit_test(test_by_name_uses_len),
		cmocka_unit_test(test_by_mach),
		cmocka_unit_test(test_by_version),
		cmocka_unit_test(test_gfx_name_detect_md),
		cmocka_unit_test(test_gfx_name_out_of_range),
		cmocka_unit_test(test_gfx_name_small_buffer),
		cmocka_unit_test(test_tid_parse_fields),
		cmocka_unit_test(test_tid_roundtrip),
		cmocka_unit_test(test_tid_format_small_buffer),
		cmocka_unit_test(test_tid_uses_len),
		cmocka_unit_test(test_tid_errors),
		cmocka_unit_test(test_tid_unknown_processor),
		cmocka_unit_test(test_covers_same_processor),
		cmocka_unit_test(test_covers_xnack),
		cmocka_unit_test(test_covers_unspecified_gpu_mode),
		cmocka_unit_test(test_covers_generic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
