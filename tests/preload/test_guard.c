/* SPDX-License-Identifier: MIT */
/*
 * The guard (RMCP_GUARD), end to end: HIP programs compiled by clang-22 with device code for
 * some targets register their images with the test-double runtime, which pretends to be a
 * gfx1010 device; the real GPU comes from a sysroot fixture (tests/fixtures/sysroots, via
 * RMCP_SYSROOT), never from HIP. What must hold (issue 5, docs/guard.md):
 *   - only gfx1030 code on a gfx1010 machine: launches refused under block (the runtime never
 *     sees them), warned under warn (the runtime's own error), silent under off;
 *   - the same with HSA_OVERRIDE_GFX_VERSION=10.3.0: they run, with a foreign-ISA warning;
 *   - gfx1010 code: silent; CCOB-compressed images the same as uncompressed ones;
 *   - one line per kernel naming library, kernel, real GPU, effective ISA, reason and fix.
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

static void guard_run(struct run *r, const char *prog, const char *mode, const char *machine,
		      const char *override, const char *const *ops)
{
	char g[64], o[96];
	snprintf(g, sizeof(g), "RMCP_GUARD=%s", mode);
	snprintf(o, sizeof(o), "HSA_OVERRIDE_GFX_VERSION=%s", override ? override : "");
	/* The per-kernel ISA check has its own test (test_override_isa_check); off here, foreign
	 * kernels stay "not verified" whatever the detectors think of them. */
	const char *env[] = { g, sysroot_env(machine), "RMCP_STATS=1", "RMCP_ISA_CHECK=off", override ? o : NULL, NULL };
	struct run_opts opts = { .prog = prog, .args = ops, .env = env, .preload = true };
	run_prog(&opts, r);
	if (r->r.status != 0)
		run_dump(prog, r);
}

static size_t warnings(const struct run *r)
{
	return count_substr(r->r.err, "warning: guard:");
}

static void test_no_code_block(void **state)
{
	(void)state;
	const char *progs[] = { "ops_1030", "ops_1030z" };	/* uncompressed, CCOB */
	for (size_t p = 0; p < 2; p++) {
		const char *ops[] = { "launch:add", "launch:add", "chevron", "spt:add", "extlaunch:add",
				      "coop:add", "multi:add", "byptr:add", "launch:scale", NULL };
		struct run r;
		guard_run(&r, progs[p], "block", "rx5600xt", NULL, ops);
		assert_int_equal(r.r.status, 0);
		/* every entry point refused with hipErrorInvalidDeviceFunction ... */
		assert_int_equal(count_substr(r.r.out, "rc=98"), 9);
		/* ... the <<<>>> form through hipGetLastError ... */
		assert_non_null(strstr(r.r.out, "chevron rc=98"));
		/* ... and none of them reached the runtime */
		assert_null(strstr(r.record, "kernel=rmcp_"));
		assert_null(strstr(r.record, "hipLaunchKernel_spt"));
		/* one line per kernel, with everything a user needs */
		assert_int_equal(warnings(&r), 2);
		char lib[512];
		snprintf(lib, sizeof(lib), "from %s:", hipbin(progs[p]));
		const char *line[] = { "warning: guard: blocked kernel 'rmcp_add_one'", lib,
				       "no code object for gfx1010 (it has gfx1030)",
				       "real GPU gfx1010 (node 1)", "effective ISA gfx1010;",
				       "fix: use a build of", "with gfx1010 code", NULL };
		if (count_lines_with(r.r.err, line) != 1)
			run_dump(progs[p], &r);
		assert_int_equal(count_lines_with(r.r.err, line), 1);
		const char *scale[] = { "blocked kernel 'rmcp_scale'", NULL };
		assert_int_equal(count_lines_with(r.r.err, scale), 1);
		/* pid and tid on the line */
		assert_non_null(strstr(r.r.err, "rmcp["));
		assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel seen=4 rewritten=0 blocked=4"));
		assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel_spt seen=1 rewritten=0 blocked=1"));
		assert_non_null(strstr(r.r.err, "stats: hipExtLaunchMultiKernelMultiDevice seen=1 rewritten=0 blocked=1"));
		run_free(&r);
	}
}

static void test_no_code_warn_and_off(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", "launch:add", NULL };
	struct run r;
	/* warn (the default): the launch goes to the runtime, which fails it itself */
	guard_run(&r, "ops_1030", "warn", "rx5600xt", NULL, ops);
	assert_int_equal(count_substr(r.r.out, "launch add rc=98"), 2);
	assert_int_equal(count_substr(r.record, "hipLaunchKernel kernel=rmcp_add_one"), 2);
	assert_int_equal(warnings(&r), 1);
	const char *line[] = { "guard: kernel 'rmcp_add_one'", "cannot run: no code object for gfx1010",
			       "fix:", NULL };
	assert_int_equal(count_lines_with(r.r.err, line), 1);
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel seen=2 rewritten=0 blocked=0"));
	run_free(&r);
	/* the default is warn */
	const char *env[] = { sysroot_env("rx5600xt"), NULL };
	struct run_opts o = { .prog = "ops_1030", .args = ops, .env = env, .preload = true };
	run_prog(&o, &r);
	assert_int_equal(warnings(&r), 1);
	assert_int_equal(count_substr(r.record, "hipLaunchKernel kernel=rmcp_add_one"), 2);
	run_free(&r);
	/* off: nothing */
	guard_run(&r, "ops_1030", "off", "rx5600xt", NULL, ops);
	assert_int_equal(count_substr(r.record, "hipLaunchKernel kernel=rmcp_add_one"), 2);
	assert_null(strstr(r.r.err, "guard"));
	run_free(&r);
}

static void test_override_foreign(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", "launch:add", "props", NULL };
	struct run r;
	guard_run(&r, "ops_1030", "block", "rx5600xt", "10.3.0", ops);
	/* loads and runs: the runtime now believes the GPU is a gfx1030 */
	assert_int_equal(count_substr(r.r.out, "launch add rc=0"), 2);
	assert_non_null(strstr(r.r.out, "props rc=0 arch=gfx1030"));
	assert_int_equal(count_substr(r.record, "hipLaunchKernel kernel=rmcp_add_one"), 2);
	const char *line[] = { "warning: guard: kernel 'rmcp_add_one'", "runs gfx1030 code on a gfx1010 GPU",
			       "foreign ISA, not verified", "real GPU gfx1010 (node 1)",
			       "effective ISA gfx1030 (HSA_OVERRIDE_GFX_VERSION=10.3.0)",
			       "unset HSA_OVERRIDE_GFX_VERSION", NULL };
	if (count_lines_with(r.r.err, line) != 1)
		run_dump("override", &r);
	assert_int_equal(count_lines_with(r.r.err, line), 1);
	assert_int_equal(warnings(&r), 1);
	assert_null(strstr(r.r.err, "blocked kernel"));
	run_free(&r);
	/* the library has gfx1010 code, but the override makes the runtime pick gfx1030 */
	guard_run(&r, "ops_1010", "block", "rx5600xt", "10.3.0", ops);
	const char *fix[] = { "runs gfx1030 code on a gfx1010 GPU",
			      "fix: unset HSA_OVERRIDE_GFX_VERSION: the library has gfx1010 code", NULL };
	assert_int_equal(count_lines_with(r.r.err, fix), 1);
	run_free(&r);
	/* an override to what the GPU is anyway changes nothing */
	guard_run(&r, "ops_1010", "block", "rx5600xt", "10.1.0", ops);
	assert_int_equal(warnings(&r), 0);
	run_free(&r);
}

/* The ISA check (issue 4's fast path, issue 10's hazard detectors) under an override: the
 * dot-product kernel cannot decode on the real gfx1010 and the hazard kernel trips gfx10.1
 * bugs: both are refused, with the reason in the one line; the plain kernel decodes
 * identically with no known hazard: checked ok, silent. A warn run names the class too. */
static void test_override_isa_check(void **state)
{
	(void)state;
	char dir[] = "/tmp/rmcp-isa-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cache[160];
	snprintf(cache, sizeof(cache), "RMCP_ISA_CACHE=%s", dir);
	const char *ops[] = { "launch:dot", "launch:add", "launch:hazard", NULL };
	for (int pass = 0; pass < 3; pass++) {	/* pass 1 reads the cached verdicts; 2 warns */
		const char *env[] = { pass == 2 ? "RMCP_GUARD=warn" : "RMCP_GUARD=block", sysroot_env("rx5600xt"),
				      "HSA_OVERRIDE_GFX_VERSION=10.3.0", cache, NULL };
		struct run_opts opts = { .prog = "ops_dot_1030", .args = ops, .env = env, .preload = true };
		struct run r;
		run_prog(&opts, &r);
		const char *line[] = { pass == 2 ? "guard: kernel 'rmcp_dot'" : "guard: blocked kernel 'rmcp_dot'",
				       "gfx1030 code on a gfx1010 GPU fails the ISA check", "undecodable instruction", NULL };
		const char *hline[] = { pass == 2 ? "guard: kernel 'rmcp_hazard'" : "guard: blocked kernel 'rmcp_hazard'",
					"gfx10.1 hazard ", "-hazard", "at kernel offset 0x", NULL };
		if (count_lines_with(r.r.err, line) != 1 || count_lines_with(r.r.err, hline) != 1)
			run_dump("isa", &r);
		assert_int_equal(count_lines_with(r.r.err, line), 1);
		assert_int_equal(count_lines_with(r.r.err, hline), 1);
		if (pass < 2) {	/* refused before reaching the runtime */
			assert_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_dot"));
			assert_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_hazard"));
		} else {
			assert_non_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_hazard"));
		}
		/* the plain kernel runs and, checked ok, is not reported */
		assert_non_null(strstr(r.r.out, "launch add rc=0"));
		assert_null(strstr(r.r.err, "kernel 'rmcp_add_one'"));
		run_free(&r);
	}
	/* the verdicts were cached: one file for the one code object */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test \"$(ls '%s' | wc -l)\" -eq 1 && rm -rf '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
}

static void test_native_code_is_silent(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", "chevron", "coop:add", "launch:scale", NULL };
	struct run r;
	guard_run(&r, "ops_1010", "block", "rx5600xt", NULL, ops);
	assert_int_equal(count_substr(r.r.out, "rc=0"), 4);
	assert_null(strstr(r.r.err, "warning"));
	assert_null(strstr(r.r.err, "guard"));
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel seen=3 rewritten=0 blocked=0"));
	run_free(&r);
}

/* two-gpus: gfx1030 and gfx1100. gfx1030-only code cannot run on the second GPU but can on
 * the first; the guard cannot know which one a launch goes to, so it warns and never blocks. */
static void test_some_gpus(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", NULL };
	struct run r;
	const char *env[] = { "RMCP_GUARD=block", sysroot_env("two-gpus"), "RMCP_STUB_GFX=gfx1030", NULL };
	struct run_opts o = { .prog = "ops_1030", .args = ops, .env = env, .preload = true };
	run_prog(&o, &r);
	assert_non_null(strstr(r.r.out, "launch add rc=0"));
	const char *line[] = { "guard: kernel 'rmcp_add_one'", "no code object for gfx1100",
			       "(on some of the GPUs)", "real GPU gfx1100", NULL };
	if (count_lines_with(r.r.err, line) != 1)
		run_dump("two-gpus", &r);
	assert_int_equal(count_lines_with(r.r.err, line), 1);
	run_free(&r);
}

/* No AMD GPU in the sysroot (or in this machine's /sys): nothing to judge, nothing said. */
static void test_no_gpu(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", NULL };
	struct run r;
	guard_run(&r, "ops_1030", "block", "no-amd-gpu", NULL, ops);
	assert_non_null(strstr(r.r.out, "launch add rc=98"));	/* the runtime's answer */
	assert_non_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_add_one"));
	assert_null(strstr(r.r.err, "guard"));
	run_free(&r);
}

/* The module API: hipModuleLoad (raw, bundle, CCOB), hipModuleLoadData, hipExtModuleLaunchKernel. */
static void test_modules(void **state)
{
	(void)state;
	char a[512], b[512], c[512], d[512];
	snprintf(a, sizeof(a), "modload:%s", hipbin("k1030.co"));
	snprintf(b, sizeof(b), "moddata:%s", hipbin("kz1030.co"));
	snprintf(c, sizeof(c), "modext:%s", hipbin("kraw1030.co"));
	snprintf(d, sizeof(d), "modload:%s", hipbin("kb.co"));
	const char *ops[] = { a, b, c, d, NULL };
	struct run r;
	/* no override: the runtime itself refuses gfx1030-only images (hipErrorNoBinaryForGpu);
	 * the bundle with gfx1010 code loads and runs; nothing to warn about */
	guard_run(&r, "ops_1010", "block", "rx5600xt", NULL, ops);
	assert_int_equal(count_substr(r.r.out, "load rc=209"), 3);
	assert_non_null(strstr(r.r.out, "modload launch rc=0"));
	assert_int_equal(warnings(&r), 0);
	run_free(&r);
	/* override: all load; each is foreign code, named by file or by its loader */
	guard_run(&r, "ops_1010", "block", "rx5600xt", "10.3.0", ops);
	assert_int_equal(count_substr(r.r.out, "launch rc=0"), 4);
	assert_int_equal(warnings(&r), 4);
	const char *l1[] = { "from ", "k1030.co runs gfx1030 code on a gfx1010 GPU", NULL };
	const char *l2[] = { "from an image in memory loaded by ", "ops_1010 runs gfx1030 code", NULL };
	const char *l3[] = { "kraw1030.co runs gfx1030 code", NULL };
	const char *l4[] = { "kb.co runs gfx1030 code", "the library has gfx1010 code", NULL };
	assert_int_equal(count_lines_with(r.r.err, l1), 1);
	assert_int_equal(count_lines_with(r.r.err, l2), 1);
	assert_int_equal(count_lines_with(r.r.err, l3), 1);
	assert_int_equal(count_lines_with(r.r.err, l4), 1);
	/* only the outermost call is checked: hipModuleLoad reaches hipModuleLoadData through
	 * the runtime's own PLT, which the preload sees and passes through */
	assert_non_null(strstr(r.r.err, "stats: hipModuleLoad seen=3 "));
	assert_non_null(strstr(r.r.err, "stats: hipModuleLoadData seen=1 "));
	assert_non_null(strstr(r.r.err, "stats: hipExtModuleLaunchKernel_cxx seen=1 "));
	run_free(&r);
}

/* The HIP 6.x entry points, hip_impl::hipLaunchKernelGGLImpl (returns nothing: a refused
 * launch is dropped), and the module launchers reached by C name, C++ name or HIP 6.x name. */
static void test_other_entry_points(void **state)
{
	(void)state;
	const char *ops[] = { "exc:add", "ggl:add", "ggl:scale", NULL };
	struct run r;
	guard_run(&r, "ops_1030_v6", "block", "rx5600xt", NULL, ops);
	assert_non_null(strstr(r.r.out, "exc rc=98"));
	assert_int_equal(count_substr(r.r.out, "ggl done"), 2);
	assert_null(strstr(r.record, "kernel=rmcp_"));
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernelExC seen=1 rewritten=0 blocked=1"));
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernelGGLImpl_cxx seen=2 rewritten=0 blocked=2"));
	run_free(&r);
	/* the same entry points pass a kernel that can run */
	guard_run(&r, "ops_1010_v6", "block", "rx5600xt", NULL, ops);
	assert_non_null(strstr(r.r.out, "exc rc=0"));
	assert_int_equal(count_substr(r.record, "hipLaunchKernelExC kernel=rmcp_add_one"), 1);
	assert_int_equal(count_substr(r.record, "hipLaunchKernelGGLImpl kernel=rmcp_"), 2);
	run_free(&r);

	char a[5][512];
	const char *how[] = { "modhcc", "modextc", "modcoop", "moddrv", "moddataex" };
	const char *mops[6];
	for (int i = 0; i < 5; i++) {
		snprintf(a[i], sizeof(a[i]), "%s:%s", how[i], hipbin(i == 4 ? "kz1030.co" : "k1030.co"));
		mops[i] = a[i];
	}
	mops[5] = NULL;
	guard_run(&r, "ops_1010_v6", "block", "rx5600xt", "10.3.0", mops);
	assert_int_equal(count_substr(r.r.out, "launch rc=0"), 5);
	assert_int_equal(warnings(&r), 5);
	assert_non_null(strstr(r.r.err, "stats: hipHccModuleLaunchKernel_cxx seen=1 "));
	assert_non_null(strstr(r.r.err, "stats: hipExtModuleLaunchKernel seen=1 "));
	assert_non_null(strstr(r.r.err, "stats: hipModuleLaunchCooperativeKernel seen=1 "));
	assert_non_null(strstr(r.r.err, "stats: hipDrvLaunchKernelEx seen=1 "));
	assert_non_null(strstr(r.r.err, "stats: hipModuleLoadDataEx seen=1 "));
	/* the extern "C" hipExtModuleLaunchKernel reached the runtime's C++ one */
	assert_non_null(strstr(r.record, "hipExtModuleLaunchKernel kernel=rmcp_add_one"));
	run_free(&r);
}

/* After hipModuleUnload the function handle is forgotten: a new module with code for the GPU
 * must not inherit the old verdict even if the runtime reuses the address. */
static void test_unload_forgets(void **state)
{
	(void)state;
	char a[512], b[512];
	snprintf(a, sizeof(a), "modload:%s", hipbin("k1030.co"));
	snprintf(b, sizeof(b), "modload:%s", hipbin("kb.co"));
	const char *ops[] = { a, b, a, b, NULL };
	struct run r;
	guard_run(&r, "ops_1010", "block", "rx5600xt", "10.3.0", ops);
	assert_int_equal(count_substr(r.r.out, "launch rc=0"), 4);
	/* one warning per kernel record, each reported once: k1030 twice (two loads) and kb twice */
	assert_int_equal(warnings(&r), 4);
	run_free(&r);
}

static void test_bad_values(void **state)
{
	(void)state;
	const char *ops[] = { "launch:add", NULL };
	struct run r;
	guard_run(&r, "ops_1030", "maybe", "rx5600xt", NULL, ops);
	assert_non_null(strstr(r.r.err, "ignoring RMCP_GUARD=maybe"));
	/* the default (warn) applies */
	assert_non_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_add_one"));
	assert_int_equal(warnings(&r), 1);
	run_free(&r);
	/* an invalid override: libhsakmt fails topology init, the runtime sees no GPU; the
	 * guard has nothing to judge against */
	guard_run(&r, "ops_1030", "block", "rx5600xt", "ten", ops);
	assert_int_equal(warnings(&r), 0);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_code_block),
		cmocka_unit_test(test_no_code_warn_and_off),
		cmocka_unit_test(test_override_foreign),
		cmocka_unit_test(test_override_isa_check),
		cmocka_unit_test(test_native_code_is_silent),
		cmocka_unit_test(test_some_gpus),
		cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_other_entry_points),
		cmocka_unit_test(test_unload_forgets),
		cmocka_unit_test(test_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
