/* SPDX-License-Identifier: MIT */
/*
 * The memory policy (RMCP_MEMORY), end to end: a HIP program compiled by clang-22 calls the
 * allocators with each flag combination; the test-double runtime records the flags and the
 * HSA pool each call really reached. Expected values are the rules of research/interposer.md
 * §2 (clr's ihipHostMalloc coherence decision, the invalid combinations), written out here
 * independently of src/preload/policy.c.
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

static void run_one(struct run *r, const char *prog, const char *mode, const char *const *ops,
		    const char *extra_env)
{
	char mem[64];
	snprintf(mem, sizeof(mem), "RMCP_MEMORY=%s", mode);
	const char *env[] = { mem, sysroot_env("rx5600xt"), "RMCP_STATS=1", extra_env, NULL };
	struct run_opts o = { .prog = prog, .args = ops, .env = env, .preload = true };
	run_prog(&o, r);
}

static void expect_line(const struct run *r, const char *line)
{
	if (!strstr(r->record, line)) {
		fprintf(stderr, "expected in the record: %s\n", line);
		run_dump("memory", r);
	}
	assert_non_null(strstr(r->record, line));
}

static void expect_no(const struct run *r, const char *text)
{
	if (strstr(r->record, text)) {
		fprintf(stderr, "not expected in the record: %s\n", text);
		run_dump("memory", r);
	}
	assert_null(strstr(r->record, text));
}

struct flag_case {
	const char *prog, *mode, *op;
	const char *expect;	/* a record line the runtime must have received */
	const char *pool;	/* where the user's allocation landed, or NULL */
	int rewritten;		/* the stats line's rewritten= for the hook */
	const char *hook;
};

/* hipHostMalloc: flags 0, Mapped, Coherent, NumaUser are coherent (clr ihipHostMalloc);
 * noncoherent adds NonCoherent and drops Coherent; never with Uncached; illegal left alone. */
static const struct flag_case cases[] = {
	{ "ops_1010", "noncoherent", "hostmalloc:0", "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x1", "hipHostMalloc size=4096 flags=0x80000001 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x2", "hipHostMalloc size=4096 flags=0x80000002 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x4", "hipHostMalloc size=4096 flags=0x80000004 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x20000000", "hipHostMalloc size=4096 flags=0xa0000000 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x40000000", "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x40000002", "hipHostMalloc size=4096 flags=0x80000002 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	/* already non-coherent */
	{ "ops_1010", "noncoherent", "hostmalloc:0x80000000", "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 0, "hipHostMalloc" },
	/* never with Uncached (HIP 7.0 MTYPE_UC) */
	{ "ops_1010", "noncoherent", "hostmalloc:0x10000000", "hipHostMalloc size=4096 flags=0x10000000 coherent=1 rc=0", NULL, 0, "hipHostMalloc" },
	/* illegal: the runtime's own InvalidValue, with the caller's flags */
	{ "ops_1010", "noncoherent", "hostmalloc:0xc0000000", "hipHostMalloc size=4096 flags=0xc0000000 coherent=0 rc=1", NULL, 0, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x50000000", "hipHostMalloc size=4096 flags=0x50000000 coherent=0 rc=1", NULL, 0, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x90000000", "hipHostMalloc size=4096 flags=0x90000000 coherent=0 rc=1", NULL, 0, "hipHostMalloc" },
	{ "ops_1010", "noncoherent", "hostmalloc:0x100", "hipHostMalloc size=4096 flags=0x100 coherent=0 rc=1", NULL, 0, "hipHostMalloc" },
	/* hipHostAlloc: through the real hipHostMalloc with NonCoherent; flags > 7 left alone */
	{ "ops_1010", "noncoherent", "hostalloc:0", "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 1, "hipHostAlloc" },
	{ "ops_1010", "noncoherent", "hostalloc:0x2", "hipHostMalloc size=4096 flags=0x80000002 coherent=0 rc=0", "cpu-coarse", 1, "hipHostAlloc" },
	{ "ops_1010", "noncoherent", "hostalloc:0x5", "hipHostMalloc size=4096 flags=0x80000005 coherent=0 rc=0", "cpu-coarse", 1, "hipHostAlloc" },
	{ "ops_1010", "noncoherent", "hostalloc:0x8", "hipHostAlloc size=4096 flags=0x8 rc=1", NULL, 0, "hipHostAlloc" },
	{ "ops_1010", "noncoherent", "hostalloc:0x80000000", "hipHostAlloc size=4096 flags=0x80000000 rc=1", NULL, 0, "hipHostAlloc" },
	/* hipExtHostAlloc: the 6.x runtime has it; on 5.x the same allocation is hipHostMalloc */
	{ "ops_1010_v6", "noncoherent", "exthostalloc:0", "hipExtHostAlloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 1, "hipExtHostAlloc" },
	{ "ops_1010_v6", "noncoherent", "exthostalloc:0x10000000", "hipExtHostAlloc size=4096 flags=0x10000000 coherent=1 rc=0", NULL, 0, "hipExtHostAlloc" },
	{ "ops_1010_v6", "noncoherent", "exthostalloc:0xc0000000", "hipExtHostAlloc size=4096 flags=0xc0000000 coherent=0 rc=1", NULL, 0, "hipExtHostAlloc" },
	{ "ops_1010", "noncoherent", "exthostalloc:0", "hipHostMalloc size=4096 flags=0x80000000 coherent=0 rc=0", "cpu-coarse", 1, "hipExtHostAlloc" },
	/* hipExtMallocWithFlags: compared with ==; Finegrained/Uncached -> Default, never Signal */
	{ "ops_1010", "noncoherent", "extmalloc:1", "hipExtMallocWithFlags size=4096 flags=0x0 rc=0", "gpu-coarse", 1, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:3", "hipExtMallocWithFlags size=4096 flags=0x0 rc=0", "gpu-coarse", 1, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:0", "hipExtMallocWithFlags size=4096 flags=0x0 rc=0", "gpu-coarse", 0, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:4", "hipExtMallocWithFlags size=4096 flags=0x4 rc=0", "gpu-coarse", 0, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:2:8", "hipExtMallocWithFlags size=8 flags=0x2 rc=0", "cpu-fine", 0, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:2:16", "hipExtMallocWithFlags size=16 flags=0x2 rc=1", NULL, 0, "hipExtMallocWithFlags" },
	{ "ops_1010", "noncoherent", "extmalloc:7", "hipExtMallocWithFlags size=4096 flags=0x7 rc=1", NULL, 0, "hipExtMallocWithFlags" },
	/* coarse includes every noncoherent rule */
	{ "ops_1010", "coarse", "hostmalloc:0x2", "hipHostMalloc size=4096 flags=0x80000002 coherent=0 rc=0", "cpu-coarse", 1, "hipHostMalloc" },
	{ "ops_1010", "coarse", "extmalloc:1", "hipExtMallocWithFlags size=4096 flags=0x0 rc=0", "gpu-coarse", 1, "hipExtMallocWithFlags" },
	{ "ops_1010", "coarse", "extmalloc:2:8", "hipExtMallocWithFlags size=8 flags=0x2 rc=0", "cpu-fine", 0, "hipExtMallocWithFlags" },
	/* default changes nothing */
	{ "ops_1010", "default", "hostmalloc:0", "hipHostMalloc size=4096 flags=0x0 coherent=1 rc=0", NULL, 0, "hipHostMalloc" },
	{ "ops_1010", "default", "hostalloc:0x2", "hipHostAlloc size=4096 flags=0x2 coherent=1 rc=0", NULL, 0, "hipHostAlloc" },
	{ "ops_1010", "default", "extmalloc:1", "hipExtMallocWithFlags size=4096 flags=0x1 rc=0", "gpu-fine", 0, "hipExtMallocWithFlags" },
};

static void test_flag_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct flag_case *c = &cases[i];
		const char *ops[] = { c->op, NULL };
		struct run r;
		run_one(&r, c->prog, c->mode, ops, NULL);
		fprintf(stderr, "case %s %s %s\n", c->prog, c->mode, c->op);
		assert_int_equal(r.r.status, 0);
		expect_line(&r, c->expect);
		if (c->pool) {
			/* the HSA allocation the runtime made for the call is the line before
			 * the runtime's own record of it */
			const char *at = strstr(r.record, c->expect);
			const char *prev = at > r.record ? at - 1 : at;
			while (prev > r.record && prev[-1] != '\n')
				prev--;
			char want[96];
			snprintf(want, sizeof(want), "pool=%s ", c->pool);
			void *hit = at > r.record ? memmem(prev, (size_t)(at - prev), want, strlen(want)) : NULL;
			if (!hit)
				run_dump(c->op, &r);
			assert_non_null(hit);
		}
		char stats[160];
		snprintf(stats, sizeof(stats), "stats: %s seen=1 rewritten=%d blocked=0", c->hook,
			 c->rewritten);
		if (!strstr(r.r.err, stats))
			run_dump(c->op, &r);
		assert_non_null(strstr(r.r.err, stats));
		/* hipHostAlloc redirected: the runtime never saw a hipHostAlloc call */
		if (strncmp(c->op, "hostalloc", 9) == 0 && c->rewritten)
			expect_no(&r, "hipHostAlloc ");
		run_free(&r);
	}
}

/* RMCP_MEMORY=default and no preload at all: the runtime receives exactly the same calls. */
static void test_default_is_transparent(void **state)
{
	(void)state;
	const char *ops[] = { "hostmalloc:0", "hostmalloc:0x2", "hostalloc:0", "extmalloc:1",
			      "extmalloc:2:8", "managed:1", "register:0", "mallochost",
			      "hostmalloc:0xc0000000", "launch:add", NULL };
	struct run with, without;
	run_one(&with, "ops_1010", "default", ops, NULL);
	struct run_opts o = { .prog = "ops_1010", .args = ops };
	run_prog(&o, &without);
	assert_int_equal(with.r.status, 0);
	assert_int_equal(without.r.status, 0);
	assert_string_equal(with.r.out, without.r.out);
	if (strcmp(with.record, without.record) != 0) {
		run_dump("with preload", &with);
		run_dump("without", &without);
	}
	assert_string_equal(with.record, without.record);
	run_free(&with);
	run_free(&without);
}

/* coarse: hipMallocManaged gets hipMemAdvise(SetCoarseGrain); registered memory is locked to
 * the CPU's coarse pool; the runtime's own buffers (init, kernarg) stay where they were. */
static void test_coarse(void **state)
{
	(void)state;
	const char *ops[] = { "hostmalloc:0", "managed:1", "managed:2", "managed:4", "register:0",
			      "hostmalloc:0x10000000", "launch:add", NULL };
	struct run r;
	run_one(&r, "ops_1010", "coarse", ops, NULL);
	assert_int_equal(r.r.status, 0);
	/* runtime init: its fine-grained 4 KiB buffer, not moved although it has the size of the
	 * first user allocation (hipInit runs before the gate opens) */
	const char *init = strstr(r.record, "hip_runtime_init");
	assert_non_null(init);
	const char *user = strstr(r.record, "hipHostMalloc size=4096 flags=0x80000000");
	assert_non_null(user);
	const char *fine = strstr(init, "hsa_amd_memory_pool_allocate pool=cpu-fine size=4096");
	assert_non_null(fine);
	assert_true(fine < user);
	expect_line(&r, "hipMallocManaged size=4096 flags=0x1 rc=0\nhipMemAdvise size=4096 advice=100 device=0 rc=0");
	expect_line(&r, "hipMallocManaged size=4096 flags=0x2 rc=0\nhipMemAdvise size=4096 advice=100 device=0 rc=0");
	expect_line(&r, "hipMallocManaged size=4096 flags=0x4 rc=1\n");
	assert_int_equal(count_substr(r.record, "hipMemAdvise"), 2);
	expect_line(&r, "hsa_amd_memory_lock_to_pool pool=cpu-coarse size=8192 agents=1 flags=0x0 rc=0\nhipHostRegister size=8192 flags=0x0 rc=0");
	/* Uncached stays fine at the HSA level too */
	expect_line(&r, "hsa_amd_memory_pool_allocate pool=cpu-fine size=4096 flags=0x0 rc=0\nhipHostMalloc size=4096 flags=0x10000000 coherent=1 rc=0");
	/* kernarg of the launch */
	expect_line(&r, "hsa_amd_memory_pool_allocate pool=cpu-kernarg size=256 flags=0x0 rc=0\nhipLaunchKernel kernel=rmcp_add_one");
	assert_non_null(strstr(r.r.err, "stats: hipMallocManaged seen=3 rewritten=2 blocked=0"));
	assert_non_null(strstr(r.r.err, "stats: hsa_amd_memory_lock_to_pool seen=1 rewritten=1 blocked=0"));
	run_free(&r);
}

/* noncoherent has no HSA layer: registration keeps its fine pool, managed memory no advice. */
static void test_noncoherent_has_no_hsa_layer(void **state)
{
	(void)state;
	const char *ops[] = { "register:0", "managed:1", NULL };
	struct run r;
	run_one(&r, "ops_1010", "noncoherent", ops, NULL);
	expect_line(&r, "hsa_amd_memory_lock_to_pool pool=cpu-fine size=8192");
	expect_no(&r, "hipMemAdvise");
	run_free(&r);
}

/* HIP_HOST_COHERENT=1 makes Portable coherent in clr; noncoherent still wins. */
static void test_host_coherent_env(void **state)
{
	(void)state;
	const char *ops[] = { "hostmalloc:0x1", NULL };
	struct run r;
	run_one(&r, "ops_1010", "default", ops, "HIP_HOST_COHERENT=1");
	expect_line(&r, "hipHostMalloc size=4096 flags=0x1 coherent=1 rc=0");
	run_free(&r);
	run_one(&r, "ops_1010", "noncoherent", ops, "HIP_HOST_COHERENT=1");
	expect_line(&r, "hipHostMalloc size=4096 flags=0x80000001 coherent=0 rc=0");
	run_free(&r);
}

/* A value the preload does not know is reported and the default used. */
static void test_bad_mode(void **state)
{
	(void)state;
	const char *ops[] = { "hostmalloc:0", NULL };
	struct run r;
	run_one(&r, "ops_1010", "coherent-please", ops, NULL);
	assert_int_equal(r.r.status, 0);
	assert_non_null(strstr(r.r.err, "ignoring RMCP_MEMORY=coherent-please"));
	expect_line(&r, "hipHostMalloc size=4096 flags=0x0 coherent=1 rc=0");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flag_rules),
		cmocka_unit_test(test_default_is_transparent),
		cmocka_unit_test(test_coarse),
		cmocka_unit_test(test_noncoherent_has_no_hsa_layer),
		cmocka_unit_test(test_host_coherent_env),
		cmocka_unit_test(test_bad_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
