/* SPDX-License-Identifier: MIT */
/*
 * How programs load HIP, and whether the preload still finds the real runtime and still
 * does its job (research/interposer.md §5, §7): direct link, dlopen RTLD_LOCAL from a shared
 * object (as Python loads extension modules: dlsym(RTLD_NEXT) finds nothing there),
 * RTLD_GLOBAL, HIP calls from another library's constructor (before the preload's own
 * constructor has run), 32 threads allocating and launching at once, fork (with another
 * thread inside the hooks) then allocate in the child, hipGetProcAddress, and a process
 * without any HIP runtime. Each case checks both halves: the rewrite or refusal happened,
 * and the calls reached the test-double runtime, not the preload itself.
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

static const char *policy_env[] = { "RMCP_GUARD=block", "RMCP_MEMORY=noncoherent",
				    "RMCP_STATS=1", NULL, NULL };

static void run_policy(struct run *r, const char *prog, const char *const *args, bool log)
{
	policy_env[3] = sysroot_env("rx5600xt");
	struct run_opts o = { .prog = prog, .args = args, .env = policy_env, .preload = true,
			      .log_file = log };
	run_prog(&o, r);
	if (r->r.status != 0)
		run_dump(prog, r);
}

/* The two effects every mode must show: a rewritten allocation, a refused launch. */
static void expect_effects(const struct run *r, size_t n)
{
	if (count_substr(r->record, "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0") != n ||
	    count_substr(r->r.out, "launch add rc=98") != n)
		run_dump("effects", r);
	assert_int_equal(count_substr(r->record, "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0"), n);
	assert_int_equal(count_substr(r->r.out, "launch add rc=98"), n);
	assert_null(strstr(r->record, "kernel=rmcp_add_one"));
	/* the real functions were found: no "cannot find the real" anywhere */
	assert_null(strstr(r->r.err, "cannot find"));
	assert_null(strstr(r->log, "cannot find"));
}

static void test_direct_link(void **state)
{
	(void)state;
	const char *args[] = { "hostmalloc:0", "launch:add", NULL };
	struct run r;
	run_policy(&r, "ops_1030", args, false);
	assert_int_equal(r.r.status, 0);
	expect_effects(&r, 1);
	run_free(&r);
}

static void test_dlopen_local_and_global(void **state)
{
	(void)state;
	const char *modes[] = { "local", "global" };
	for (int i = 0; i < 2; i++) {
		const char *args[] = { hipbin("libops_1030.so"), modes[i], "hostmalloc:0", "launch:add",
				       "chevron", NULL };
		struct run r;
		run_policy(&r, "host_dlopen", args, true);
		assert_int_equal(r.r.status, 0);
		expect_effects(&r, 1);
		assert_non_null(strstr(r.r.out, "chevron rc=98"));
		run_free(&r);
		/* control: without the preload the same program allocates coherent memory and
		 * the runtime fails the launch itself */
		struct run_opts o = { .prog = "host_dlopen", .args = args };
		run_prog(&o, &r);
		assert_int_equal(r.r.status, 0);
		assert_non_null(strstr(r.record, "hipHostMalloc size=4096 flags=0x0 coherent=1 rc=0"));
		assert_non_null(strstr(r.record, "hipLaunchKernel kernel=rmcp_add_one"));
		run_free(&r);
	}
}

/* A wheel's renamed runtime (auditwheel): no soname librmcp.so knows, found among the loaded
 * objects by file name. */
static void test_renamed_runtime(void **state)
{
	(void)state;
	const char *args[] = { hipbin("libops_wheel.so"), "local", "hostmalloc:0", "launch:add", NULL };
	struct run r;
	run_policy(&r, "host_dlopen", args, true);
	assert_int_equal(r.r.status, 0);
	expect_effects(&r, 1);
	run_free(&r);
}

static void test_library_constructor(void **state)
{
	(void)state;
	const char *args[] = { "hostmalloc:0", "launch:add", NULL };
	const char *env[] = { "RMCP_GUARD=block", "RMCP_MEMORY=noncoherent", sysroot_env("rx5600xt"),
			      "RMCP_TEST_CTOR_OPS=hostmalloc:0 launch:add", NULL };
	struct run_opts o = { .prog = "prog_ctor", .args = args, .env = env, .preload = true };
	struct run r;
	run_prog(&o, &r);
	assert_int_equal(r.r.status, 0);
	/* the constructor's calls and main's */
	const char *ctor = strstr(r.r.out, "ctor begin\nhostmalloc flags=0x0 rc=0\nlaunch add rc=98\nctor end");
	if (!ctor)
		run_dump("ctor", &r);
	assert_non_null(ctor);
	expect_effects(&r, 2);
	run_free(&r);
}

static void test_threads(void **state)
{
	(void)state;
	const char *args[] = { "threads:32:400", NULL };
	struct run r;
	run_policy(&r, "ops_1030", args, false);
	assert_int_equal(r.r.status, 0);
	assert_non_null(strstr(r.r.out, "threads n=32 iters=400 fails=0 launch98=12800"));
	assert_int_equal(count_substr(r.record, "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0"), 12800);
	assert_null(strstr(r.record, "kernel=rmcp_add_one"));
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel seen=12800 rewritten=0 blocked=12800"));
	assert_non_null(strstr(r.r.err, "stats: hipHostMalloc seen=12800 rewritten=12800 blocked=0"));
	/* one warning for the kernel, however many threads hit it */
	assert_int_equal(count_substr(r.r.err, "blocked kernel"), 1);
	run_free(&r);
}

static void test_fork(void **state)
{
	(void)state;
	/* a second thread keeps calling hooks while the main thread forks */
	const char *args[] = { "hostmalloc:0", "forkbusy", "hostmalloc:0x2", "launch:add", NULL };
	struct run r;
	run_policy(&r, "ops_1030", args, true);
	assert_int_equal(r.r.status, 0);
	if (!strstr(r.r.out, "hostmalloc flags=0x2 rc=0\nlaunch add rc=98\nchild exit=0"))
		run_dump("fork", &r);
	assert_non_null(strstr(r.r.out, "hostmalloc flags=0x2 rc=0\nlaunch add rc=98\nchild exit=0"));
	/* the child's allocation was rewritten too */
	assert_int_equal(count_substr(r.record, "hipHostMalloc size=4096 flags=0x80000002 coherent=0 rc=0"), 1);
	assert_null(strstr(r.record, "kernel=rmcp_add_one"));
	/* the child logged under its own pid: two different "rmcp[pid/" prefixes in the log */
	const char *a = strstr(r.log, "rmcp[");
	assert_non_null(a);
	char first[32];
	snprintf(first, sizeof(first), "%.*s", (int)(strchr(a, '/') - a), a);
	int other = 0;
	for (const char *p = a; (p = strstr(p, "rmcp[")) != NULL; p++)
		if (strncmp(p, first, strlen(first)) != 0 || p[strlen(first)] != '/')
			other = 1;
	assert_true(other);
	run_free(&r);
}

/* hipGetProcAddress (HIP 6.x): hooked names come back as the preload's hooks, others as the
 * runtime's functions; without the preload, all are the runtime's. */
static void test_get_proc_address(void **state)
{
	(void)state;
	const char *args[] = { "procaddr:hipHostMalloc", "procaddr:hipLaunchKernel",
			       "procaddr:hipMalloc", "exthostalloc:0", "entrypoint:hipHostMalloc",
			       "entrypoint:hipFree", NULL };
	struct run r;
	run_policy(&r, "ops_1010_v6", args, false);
	assert_non_null(strstr(r.r.out, "procaddr hipHostMalloc rc=0 in=librmcp.so"));
	assert_non_null(strstr(r.r.out, "procaddr hipLaunchKernel rc=0 in=librmcp.so"));
	assert_non_null(strstr(r.r.out, "procaddr hipMalloc rc=0 in=libamdhip64.so.6"));
	assert_non_null(strstr(r.record, "hipExtHostAlloc size=4096 flags=0x80000000 coherent=0 rc=0"));
	assert_non_null(strstr(r.r.err, "stats: hipGetProcAddress seen=3 rewritten=2 blocked=0"));
	assert_non_null(strstr(r.r.out, "entrypoint hipHostMalloc rc=0 in=librmcp.so"));
	assert_non_null(strstr(r.r.out, "entrypoint hipFree rc=0 in=libamdhip64.so.6"));
	assert_non_null(strstr(r.r.err, "stats: hipGetDriverEntryPoint seen=2 rewritten=1 blocked=0"));
	run_free(&r);
	struct run_opts o = { .prog = "ops_1010_v6", .args = args };
	run_prog(&o, &r);
	assert_non_null(strstr(r.r.out, "procaddr hipHostMalloc rc=0 in=libamdhip64.so.6"));
	assert_non_null(strstr(r.r.out, "procaddr hipLaunchKernel rc=0 in=libamdhip64.so.6"));
	assert_non_null(strstr(r.r.out, "entrypoint hipHostMalloc rc=0 in=libamdhip64.so.6"));
	run_free(&r);
}

/* A real function that does not exist: an error code and one warning, never a call through
 * NULL. hipGetProcAddress is not in the 5.x runtime (hipErrorNotSupported); with no runtime
 * loaded at all, hipErrorNotInitialized. */
static void test_missing_real(void **state)
{
	(void)state;
	const char *args[] = { "procaddr:hipHostMalloc", "procaddr:hipLaunchKernel", NULL };
	struct run r;
	run_policy(&r, "ops_1010", args, false);
	assert_int_equal(r.r.status, 0);
	assert_int_equal(count_substr(r.r.out, "rc=801"), 2);
	assert_int_equal(count_substr(r.r.err, "cannot find the real hipGetProcAddress"), 1);
	run_free(&r);
	struct run_opts o = { .prog = "nohip", .preload = true };
	run_prog(&o, &r);
	assert_int_equal(r.r.status, 0);
	assert_non_null(strstr(r.r.out, "hipHostMalloc rc=3"));
	assert_non_null(strstr(r.r.err, "cannot find the real hipHostMalloc: libamdhip64 is not loaded"));
	run_free(&r);
}

/* The preload never resolves to itself: with the runtime's symbols versioned (hip_4.2) and
 * ours not, every call still lands in the test double once (no loop, no double count). */
static void test_versioned_symbols_and_no_self_loop(void **state)
{
	(void)state;
	const char *args[] = { "hostmalloc:0", "spt:add", NULL };
	const char *env[] = { sysroot_env("rx5600xt"), "RMCP_STATS=1", NULL };
	struct run_opts o = { .prog = "ops_1010", .args = args, .env = env, .preload = true };
	struct run r;
	run_prog(&o, &r);
	assert_int_equal(r.r.status, 0);
	assert_int_equal(count_substr(r.record, "hipHostMalloc size=4096"), 1);
	/* hipLaunchKernel_spt calls hipLaunchKernel through the runtime's PLT: the inner call is
	 * passed through (depth guard), so only the outer one is seen */
	assert_int_equal(count_substr(r.record, "hipLaunchKernel_spt"), 1);
	assert_int_equal(count_substr(r.record, "hipLaunchKernel kernel=rmcp_add_one"), 1);
	assert_non_null(strstr(r.r.err, "stats: hipLaunchKernel_spt seen=1 "));
	assert_null(strstr(r.r.err, "stats: hipLaunchKernel seen="));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_link),
		cmocka_unit_test(test_dlopen_local_and_global),
		cmocka_unit_test(test_renamed_runtime),
		cmocka_unit_test(test_library_constructor),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_get_proc_address),
		cmocka_unit_test(test_missing_real),
		cmocka_unit_test(test_versioned_symbols_and_no_self_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
