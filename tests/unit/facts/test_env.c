/* SPDX-License-Identifier: MIT */
/*
 * Tests for the environment reader (src/lib/facts/env.c).
 *
 * rmcp_override_parse must accept exactly what libhsakmt accepts. libhsakmt's check is
 * (ROCR-Runtime libhsakmt/src/topology.c topology_sysfs_get_node_props):
 *	sscanf(envvar, "%u.%u.%u%c", &major, &minor, &step, &dummy) != 3 ||
 *	major > 63 || minor > 255 || step > 255   -> invalid
 * so this test uses that very expression, run by this machine's glibc, as the oracle: over the
 * edge cases below and over a few hundred thousand generated strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "env.h"
#include "target.h"

/* libhsakmt's expression, verbatim (the oracle). */
static bool libhsakmt_accepts(const char *envvar, uint32_t *version)
{
	unsigned major = 0, minor = 0, step = 0;
	char dummy = '\0';
	if ((sscanf(envvar, "%u.%u.%u%c", &major, &minor, &step, &dummy) != 3) ||
	    (major > 63 || minor > 255 || step > 255))
		return false;
	*version = major * 10000 + minor * 100 + step;
	return true;
}

static void check_same(const char *s)
{
	uint32_t want = 0, got = 0;
	bool ok = libhsakmt_accepts(s, &want);
	int rc = rmcp_override_parse(s, &got);
	if (ok != (rc == 0) || (ok && want != got))
		fail_msg("override '%s': libhsakmt %s (%u), rmcp %d (%u)", s, ok ? "accepts" : "rejects", want,
			 rc, got);
}

static void test_override_cases(void **state)
{
	(void)state;
	uint32_t v;
	assert_int_equal(rmcp_override_parse("10.3.0", &v), 0);
	assert_int_equal(v, 100300);
	assert_int_equal(rmcp_override_parse("10.1.0", &v), 0);
	assert_int_equal(v, 100100);
	assert_int_equal(rmcp_override_parse("11.0.0", &v), 0);
	assert_int_equal(v, 110000);
	/* Decimal fields: 9.0.10 is 90010, which libhsakmt names gfx90a. */
	assert_int_equal(rmcp_override_parse("9.0.10", &v), 0);
	assert_int_equal(v, 90010);
	char name[16];
	assert_true(rmcp_gfx_name(v, name, sizeof(name)) > 0);
	assert_string_equal(name, "gfx90a");
	assert_int_equal(rmcp_override_parse("10.3", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("10.3.0.1", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("64.0.0", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("63.255.255", &v), 0);
	assert_int_equal(v, 655755);
	assert_int_equal(rmcp_override_parse("10.256.0", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("gfx1030", &v), -RMCP_E_FORMAT);
	/* White space: skipped before each number, fatal after the last one (%c reads it). */
	assert_int_equal(rmcp_override_parse(" 10.3.0", &v), 0);
	assert_int_equal(rmcp_override_parse("10. 3.0", &v), 0);
	assert_int_equal(rmcp_override_parse("10.3.0 ", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("10.3.0\n", &v), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_override_parse("10 .3.0", &v), -RMCP_E_FORMAT);

	static const char *const cases[] = {
		"10.3.0", "10.3", "10.3.0.1", "64.0.0", "9.0.10", " 10.3.0", "\t10.3.0", "10.3.0 ", "10.3.0\n",
		"10. 3.0", "10 .3.0", "+10.3.0", "-0.3.0", "-1.3.0", "10.+3.0", "10.3.-", "4294967296.3.0",
		"4294967359.0.0", "18446744073709551616.1.1", "-4294967296.0.0", "0x1.0.0", "1e1.0.0",
		"010.03.00", "0.0.0", ".3.0", "10..0", "10.3.", "...", "", " ", "10.3.0x", "٣.0.0", "10.3.0\v",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_same(cases[i]);
}

/* Differential test against glibc: strings built from the characters that matter. */
static void test_override_matches_libhsakmt(void **state)
{
	(void)state;
	static const char alphabet[] = "0123456789..+- \t\nx9";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char s[24];
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t len = (size_t)(x % 14);
		uint64_t y = x;
		for (size_t k = 0; k < len; k++) {
			s[k] = alphabet[y % (sizeof(alphabet) - 1)];
			y = y / 7 + (y << 3) + k;
		}
		s[len] = '\0';
		check_same(s);
	}
	/* Every in-range and just-out-of-range triple with varied spellings. */
	for (unsigned a = 0; a <= 66; a += 3)
		for (unsigned b = 0; b <= 258; b += 43)
			for (unsigned c = 250; c <= 257; c++) {
				snprintf(s, sizeof(s), "%u.%u.%u", a, b, c);
				check_same(s);
				snprintf(s, sizeof(s), "%02u.%u.+%u", a, b, c);
				check_same(s);
			}
}

static void test_env_overrides(void **state)
{
	(void)state;
	char *envp[] = {
		"PATH=/usr/bin",
		"HSA_OVERRIDE_GFX_VERSION=10.3.0",
		"HSA_OVERRIDE_GFX_VERSION_1=10.1.0",
		"HSA_OVERRIDE_GFX_VERSION_3=10.3",	/* invalid: wins for node 3 anyway */
		"HSA_OVERRIDE_GFX_VERSION_5=0.0.0",
		"HSA_OVERRIDE_GFX_VERSION_07=11.0.0",	/* not a name libhsakmt asks for */
		"HSA_OVERRIDE_GFX_VERSION=9.0.0",	/* a duplicate: getenv sees the first */
		NULL,
	};
	struct rmcp_env e;
	assert_int_equal(rmcp_env_read(envp, &e, NULL), 0);
	assert_true(e.global.set);
	assert_true(e.global.valid);
	assert_int_equal(e.global.version, 100300);
	assert_string_equal(e.global.value, "10.3.0");
	assert_int_equal(e.n_per_node, 3);
	const char *src;
	/* Per-node first. */
	assert_int_equal(rmcp_env_effective_version(&e, 1, 100100, &src), 100100);
	assert_string_equal(src, "HSA_OVERRIDE_GFX_VERSION_1");
	/* Node 2 has no per-node variable: the global one. */
	assert_int_equal(rmcp_env_effective_version(&e, 2, 100100, &src), 100300);
	assert_string_equal(src, "HSA_OVERRIDE_GFX_VERSION");
	/* Node 3's own variable is invalid: libhsakmt fails, it does not fall back to the global. */
	assert_int_equal(rmcp_env_effective_version(&e, 3, 100100, &src), 0);
	assert_string_equal(src, "HSA_OVERRIDE_GFX_VERSION_3");
	const char *name;
	const struct rmcp_env_override *o = rmcp_env_override_for_node(&e, 3, &name);
	assert_non_null(o);
	assert_false(o->valid);
	assert_string_equal(name, "HSA_OVERRIDE_GFX_VERSION_3");
	/* 0.0.0 parses, and ROCr ignores an all-zero override. */
	assert_int_equal(rmcp_env_effective_version(&e, 5, 100301, &src), 100301);
	assert_null(src);
	/* _07 is not node 7's variable. */
	assert_int_equal(rmcp_env_effective_version(&e, 7, 110001, &src), 100300);
	assert_string_equal(src, "HSA_OVERRIDE_GFX_VERSION");
	assert_non_null(rmcp_env_get(&e, "HSA_OVERRIDE_GFX_VERSION_07"));
	assert_string_equal(rmcp_env_get(&e, "HSA_OVERRIDE_GFX_VERSION"), "10.3.0");
	assert_int_equal(rmcp_env_effective_version(&e, -1, 100100, &src), 100100);

	char *none[] = { "HOME=/root", NULL };
	assert_int_equal(rmcp_env_read(none, &e, NULL), 0);
	assert_false(e.global.set);
	assert_int_equal(rmcp_env_effective_version(&e, 1, 100100, &src), 100100);
	assert_null(src);
	assert_null(rmcp_env_override_for_node(&e, 1, NULL));
	assert_int_equal(e.n_vars, 0);

	char *global_bad[] = { "HSA_OVERRIDE_GFX_VERSION=10.3.0 ", NULL };
	assert_int_equal(rmcp_env_read(global_bad, &e, NULL), 0);
	assert_true(e.global.set);
	assert_false(e.global.valid);
	assert_int_equal(rmcp_env_effective_version(&e, 1, 100100, &src), 0);
	assert_string_equal(src, "HSA_OVERRIDE_GFX_VERSION");
}

static void test_env_visible(void **state)
{
	(void)state;
	char *envp[] = { "HIP_VISIBLE_DEVICES=", "ROCR_VISIBLE_DEVICES=0,1", "CUDA_VISIBLE_DEVICES=-1", NULL };
	struct rmcp_env e;
	assert_int_equal(rmcp_env_read(envp, &e, NULL), 0);
	/* Empty HIP_VISIBLE_DEVICES: set, but HIP treats it as unset (every GPU stays visible). */
	assert_int_equal(e.hip_visible.state, RMCP_VISIBLE_EMPTY);
	assert_string_equal(rmcp_visible_state_name(e.hip_visible.state), "empty");
	assert_int_equal(e.rocr_visible.state, RMCP_VISIBLE_VALUE);
	assert_string_equal(e.rocr_visible.value, "0,1");
	assert_int_equal(e.cuda_visible.state, RMCP_VISIBLE_VALUE);
	assert_string_equal(e.cuda_visible.value, "-1");
	assert_int_equal(e.gpu_device_ordinal.state, RMCP_VISIBLE_UNSET);
	assert_string_equal(rmcp_visible_state_name(e.gpu_device_ordinal.state), "unset");
}

static void test_env_collect(void **state)
{
	(void)state;
	static char longval[400];
	memset(longval, 'x', sizeof(longval) - 1);
	memcpy(longval, "MIOPEN_USER_DB_PATH=", 20);
	char *envp[] = {
		"PYTORCH_HIP_ALLOC_CONF=expandable_segments:True", "HSA_ENABLE_SDMA=0", "PATH=/usr/bin",
		"AMD_LOG_LEVEL=3", "MIOPEN_DEBUG_CONV_GEMM=0", "RMCP_TRACE=1", "HCC_AMDGPU_TARGET=gfx1010",
		"ROCR_VISIBLE_DEVICES=0", "HIP_VISIBLE_DEVICES=0", "CUDA_VISIBLE_DEVICES=0", "LANG=C",
		"HSA_=", "noequals", "=novalue", longval, NULL,
	};
	struct rmcp_env e;
	assert_int_equal(rmcp_env_read(envp, &e, NULL), 0);
	static const char *const want[] = { "AMD_LOG_LEVEL", "CUDA_VISIBLE_DEVICES", "HCC_AMDGPU_TARGET",
					    "HIP_VISIBLE_DEVICES", "HSA_", "HSA_ENABLE_SDMA",
					    "MIOPEN_DEBUG_CONV_GEMM", "MIOPEN_USER_DB_PATH",
					    "PYTORCH_HIP_ALLOC_CONF", "RMCP_TRACE", "ROCR_VISIBLE_DEVICES" };
	assert_int_equal(e.n_vars, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < e.n_vars; i++)
		assert_string_equal(e.vars[i].name, want[i]);	/* sorted by name */
	assert_string_equal(rmcp_env_get(&e, "HSA_ENABLE_SDMA"), "0");
	assert_null(rmcp_env_get(&e, "PATH"));
	const char *db = rmcp_env_get(&e, "MIOPEN_USER_DB_PATH");
	assert_non_null(db);
	assert_int_equal(strlen(db), sizeof(e.vars[0].value) - 1);
	for (size_t i = 0; i < e.n_vars; i++)
		assert_int_equal(e.vars[i].truncated, strcmp(e.vars[i].name, "MIOPEN_USER_DB_PATH") == 0);

	/* More variables than the struct holds are counted, not lost silently. */
	static char many[100][32];
	char *big[101];
	for (int i = 0; i < 100; i++) {
		snprintf(many[i], sizeof(many[i]), "HSA_VAR_%03d=1", i);
		big[i] = many[i];
	}
	big[100] = NULL;
	assert_int_equal(rmcp_env_read(big, &e, NULL), 0);
	assert_int_equal(e.n_vars, RMCP_ENV_MAX_VARS);
	assert_int_equal(e.n_dropped, 100 - RMCP_ENV_MAX_VARS);
	assert_int_equal(rmcp_env_read(NULL, &e, NULL), 0);
	assert_int_equal(e.n_vars, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_override_cases),
		cmocka_unit_test(test_override_matches_libhsakmt),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_env_visible),
		cmocka_unit_test(test_env_collect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
