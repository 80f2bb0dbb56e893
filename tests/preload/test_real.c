/* SPDX-License-Identifier: MIT */
/*
 * Coexistence with the REAL runtime: Debian 12's libamdhip64.so.5 and libhsa-runtime64.so.1
 * (no GPU here, so they answer hipErrorNoDevice / hipErrorOutOfMemory-style errors) under a
 * HIP program compiled by clang-22 (ops_real) and under rocminfo. With and without the
 * preload, every byte of output and the exit status must be the same: the preload fails
 * open. The sanitizer variant (librmcp-asan.so, everything it links built with ASan) runs the
 * same programs and the test-double ones with every feature on; neither AddressSanitizer nor
 * LeakSanitizer may report anything. ASan's runtime has to be the first object in the
 * process, so it is preloaded ahead of the preload: LD_PRELOAD="<libasan> librmcp-asan.so".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prun.h"

static const char *real_ops[] = { "count", "props", "hostmalloc:0", "hostmalloc:0x2",
				  "hostalloc:0", "extmalloc:1", "managed:1", "register:0",
				  "launch:add", "chevron", "coop:add", NULL };

static void same(const struct run *a, const struct run *b, const char *what)
{
	if (a->r.status != b->r.status || strcmp(a->r.out, b->r.out) || strcmp(a->r.err, b->r.err)) {
		fprintf(stderr, "%s: runs differ\n", what);
		run_dump("without preload", a);
		run_dump("with preload", b);
	}
	assert_int_equal(a->r.status, b->r.status);
	assert_string_equal(a->r.out, b->r.out);
	assert_string_equal(a->r.err, b->r.err);
}

static void no_sanitizer_report(const struct run *r)
{
	if (strstr(r->r.err, "Sanitizer") || strstr(r->r.err, "runtime error"))
		run_dump("sanitizer", r);
	assert_null(strstr(r->r.err, "Sanitizer"));
	assert_null(strstr(r->r.err, "runtime error"));
}

static const char *asan_preload(void)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf), "%s %s", need("RMCP_ASAN_RUNTIME"), need("RMCP_PRELOAD_ASAN_LIB"));
	return buf;
}

/* The program itself: the real runtime finds no GPU and says so, the same way each time. */
static void test_program_same_output(void **state)
{
	(void)state;
	struct run base, pre, all, asan;
	struct run_opts o = { .prog = "ops_real", .args = real_ops };
	run_prog(&o, &base);
	/* the runtime really ran: no device */
	assert_non_null(strstr(base.r.out, "count rc=100 n=0"));
	o.preload = true;
	run_prog(&o, &pre);
	same(&base, &pre, "default");
	const char *env[] = { "RMCP_GUARD=block", "RMCP_MEMORY=coarse", NULL };
	o.env = env;
	run_prog(&o, &all);
	same(&base, &all, "block+coarse");
	o.preload = false;
	o.preload_value = asan_preload();
	run_prog(&o, &asan);
	same(&base, &asan, "asan block+coarse");
	run_free(&base);
	run_free(&pre);
	run_free(&all);
	run_free(&asan);
}

static void test_rocminfo_same_output(void **state)
{
	(void)state;
	struct run base, pre, asan;
	struct run_opts o = { .prog = need("RMCP_ROCMINFO") };
	run_prog(&o, &base);
	/* rocminfo ran and reached its own verdict (no KFD here) */
	assert_true(base.r.status != 127 && base.r.status < 128);
	assert_true(strlen(base.r.out) + strlen(base.r.err) > 0);
	o.preload = true;
	run_prog(&o, &pre);
	same(&base, &pre, "rocminfo");
	o.preload = false;
	o.preload_value = asan_preload();
	run_prog(&o, &asan);
	same(&base, &asan, "rocminfo asan");
	run_free(&base);
	run_free(&pre);
	run_free(&asan);
}

/* The guard reading a sysroot and judging the real program's bundle, under ASan, in warn
 * mode: the program's output is unchanged, the warning is there, no sanitizer report. */
static void test_real_runtime_guard_asan(void **state)
{
	(void)state;
	struct run base, asan;
	struct run_opts o = { .prog = "ops_real", .args = real_ops };
	run_prog(&o, &base);
	const char *env[] = { sysroot_env("rx5600xt"), "RMCP_MEMORY=coarse", "RMCP_STATS=1", NULL };
	o.env = env;
	o.preload_value = asan_preload();
	run_prog(&o, &asan);
	assert_int_equal(base.r.status, asan.r.status);
	assert_string_equal(base.r.out, asan.r.out);
	assert_non_null(strstr(asan.r.err, "guard: kernel 'rmcp_add_one'"));
	assert_non_null(strstr(asan.r.err, "stats: hipHostMalloc seen=2 rewritten=2"));
	no_sanitizer_report(&asan);
	run_free(&base);
	run_free(&asan);
}

/* Every path of the preload under ASan/LSan against the test double: registration of plain
 * and compressed bundles, module loads of all image kinds, rewrites, HSA swaps, threads, fork. */
static void test_asan_all_paths(void **state)
{
	(void)state;
	char a[512], b[512], c[512];
	snprintf(a, sizeof(a), "modload:%s", hipbin("kz1030.co"));
	snprintf(b, sizeof(b), "moddata:%s", hipbin("kraw1030.co"));
	snprintf(c, sizeof(c), "modext:%s", hipbin("kb.co"));
	struct { const char *prog; const char *override; const char *ops[12]; } runs[] = {
		{ "ops_1030z", NULL, { "hostmalloc:0", "register:0", "managed:1", "extmalloc:1",
				       "launch:add", "chevron", "multi:add", "threads:8:200", "fork",
				       "hostmalloc:0x2", "launch:add", NULL } },
		{ "ops_1010", "10.3.0", { a, b, c, "launch:add", "threads:8:100", NULL } },
		{ "ops_1010_v6", NULL, { "procaddr:hipHostMalloc", "exthostalloc:0", NULL } },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char ov[64];
		snprintf(ov, sizeof(ov), "HSA_OVERRIDE_GFX_VERSION=%s", runs[i].override ? runs[i].override : "");
		const char *env[] = { sysroot_env("rx5600xt"), "RMCP_GUARD=block", "RMCP_MEMORY=coarse",
				      "RMCP_STATS=1", runs[i].override ? ov : NULL, NULL };
		struct run_opts o = { .prog = runs[i].prog, .args = runs[i].ops, .env = env,
				      .preload_value = asan_preload(), .log_file = true,
				      .timeout_s = 120 };
		struct run r;
		run_prog(&o, &r);
		if (r.r.status != 0)
			run_dump(runs[i].prog, &r);
		assert_int_equal(r.r.status, 0);
		no_sanitizer_report(&r);
		/* it did its work: stats were printed at exit, nothing unknown */
		assert_non_null(strstr(r.log, "stats: "));
		assert_null(strstr(r.r.out, "unknown op"));
		run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_same_output),
		cmocka_unit_test(test_rocminfo_same_output),
		cmocka_unit_test(test_real_runtime_guard_asan),
		cmocka_unit_test(test_asan_all_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
