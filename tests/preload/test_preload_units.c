/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the preload's parts that need no process around them: the lock-free map, the
 * flag rules against an independent model of clr's rules, the image judgement and image
 * extent on compiler-built code objects (build-hip.sh), the ISA-checker hook, the
 * configuration parser.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "judge.h"
#include "policy.h"
#include "preload.h"
#include "ptrmap.h"

static const char *need_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "test needs %s (set by meson test)\n", name);
		exit(1);
	}
	return v;
}

static void *read_fixture(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", need_env("RMCP_HIPBIN"), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc((size_t)n);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* ---- ptrmap ---- */

static void test_ptrmap_basic(void **state)
{
	(void)state;
	struct rmcp_ptrmap m = { 0 };
	assert_null(rmcp_ptrmap_get(&m, (void *)0x1000));
	enum { N = 50000 };
	for (uintptr_t i = 1; i <= N; i++)
		assert_int_equal(rmcp_ptrmap_put(&m, (void *)(i * 16), (void *)(i * 3)), 0);
	assert_int_equal(rmcp_ptrmap_count(&m), N);
	for (uintptr_t i = 1; i <= N; i++)
		assert_ptr_equal(rmcp_ptrmap_get(&m, (void *)(i * 16)), (void *)(i * 3));
	assert_null(rmcp_ptrmap_get(&m, (void *)8));
	/* delete every other key, replace some, re-insert some */
	for (uintptr_t i = 1; i <= N; i += 2)
		rmcp_ptrmap_del(&m, (void *)(i * 16));
	for (uintptr_t i = 2; i <= N; i += 4)
		rmcp_ptrmap_put(&m, (void *)(i * 16), (void *)(i * 5));
	for (uintptr_t i = 1; i <= N; i++) {
		void *want = i % 2 ? NULL : (i % 4 == 2 ? (void *)(i * 5) : (void *)(i * 3));
		assert_ptr_equal(rmcp_ptrmap_get(&m, (void *)(i * 16)), want);
	}
	assert_int_equal(rmcp_ptrmap_count(&m), N / 2);
}

/* Readers never see a wrong value while a writer inserts (and the table grows). */
struct reader_arg {
	struct rmcp_ptrmap *m;
	atomic_int *stop;
	long bad, hits;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	while (!atomic_load(a->stop)) {
		for (uintptr_t i = 1; i < 20000; i += 7) {
			void *v = rmcp_ptrmap_get(a->m, (void *)(i * 64));
			if (v && v != (void *)(i ^ 0x5a5a))
				a->bad++;
			a->hits += v != NULL;
		}
	}
	return NULL;
}

static void test_ptrmap_concurrent(void **state)
{
	(void)state;
	struct rmcp_ptrmap m = { 0 };
	atomic_int stop = 0;
	pthread_t th[4];
	struct reader_arg ra[4];
	for (int i = 0; i < 4; i++) {
		ra[i] = (struct reader_arg){ &m, &stop, 0, 0 };
		pthread_create(&th[i], NULL, reader, &ra[i]);
	}
	for (uintptr_t i = 1; i < 20000; i++)
		rmcp_ptrmap_put(&m, (void *)(i * 64), (void *)(i ^ 0x5a5a));
	atomic_store(&stop, 1);
	long bad = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += ra[i].bad;
	}
	assert_int_equal(bad, 0);
	for (uintptr_t i = 1; i < 20000; i++)
		assert_ptr_equal(rmcp_ptrmap_get(&m, (void *)(i * 64)), (void *)(i ^ 0x5a5a));
}

/* ---- flag rules against a model of clr (research/interposer.md §2) ---- */

#define PORT 0x1u
#define MAPD 0x2u
#define WC 0x4u
#define UNC 0x10000000u
#define NUMA 0x20000000u
#define COH 0x40000000u
#define NONCOH 0x80000000u

static bool clr_rejects(unsigned f)
{
	return (f & ~(PORT | MAPD | WC | UNC | NUMA | COH | NONCOH)) || ((f & COH) && (f & NONCOH)) ||
	       ((f & UNC) && (f & (COH | NONCOH)));
}

static bool clr_coherent(unsigned f, bool host_coherent_env)
{
	bool c = f == 0 || (f & (COH | MAPD | NUMA)) || (!(f & NONCOH) && host_coherent_env);
	if (f & NONCOH)
		c = false;
	if (f & UNC)
		c = true;
	return c;
}

static void test_policy_model(void **state)
{
	(void)state;
	const unsigned bits[] = { PORT, MAPD, WC, UNC, NUMA, COH, NONCOH, 0x100 };
	for (unsigned combo = 0; combo < 256; combo++) {
		unsigned f = 0;
		for (int b = 0; b < 8; b++)
			if (combo & (1u << b))
				f |= bits[b];
		unsigned out = 0xdeadbeef;
		bool def = rmcp_policy_host_malloc(RMCP_MEM_DEFAULT, f, &out);
		assert_false(def);
		bool rw = rmcp_policy_host_malloc(RMCP_MEM_NONCOHERENT, f, &out);
		if (clr_rejects(f) || (f & UNC)) {
			/* illegal or Uncached: never touched */
			assert_false(rw);
			continue;
		}
		unsigned eff = rw ? out : f;
		/* never an illegal result, never coherent afterwards, whatever HIP_HOST_COHERENT */
		assert_false(clr_rejects(eff));
		assert_false(clr_coherent(eff, false));
		assert_false(clr_coherent(eff, true));
		/* nothing but the coherence bits changes */
		assert_int_equal(eff & ~(COH | NONCOH), f & ~(COH | NONCOH));
		/* rewritten exactly when the caller had not asked for NonCoherent */
		assert_int_equal(rw, !(f & NONCOH));
		/* coarse applies the same rule */
		unsigned out2 = 0;
		assert_int_equal(rmcp_policy_host_malloc(RMCP_MEM_COARSE, f, &out2), rw);
		if (rw)
			assert_int_equal(out2, out);
		/* hipHostAlloc: the same for flags <= 7, untouched above */
		unsigned out3 = 0;
		bool ha = rmcp_policy_host_alloc(RMCP_MEM_NONCOHERENT, f, &out3);
		assert_int_equal(ha, f <= 7 && rw);
	}
	/* hipExtMallocWithFlags, by value */
	for (unsigned f = 0; f < 16; f++) {
		unsigned out = 99;
		bool rw = rmcp_policy_ext_malloc(RMCP_MEM_NONCOHERENT, f, &out);
		assert_int_equal(rw, f == 1 || f == 3);
		if (rw)
			assert_int_equal(out, 0);
		assert_false(rmcp_policy_ext_malloc(RMCP_MEM_DEFAULT, f, &out));
		assert_int_equal(rmcp_policy_device_gate(RMCP_MEM_COARSE, f), f <= 4 && f != 2);
	}
	/* HSA pools: fine and extended-fine, never kernarg, never coarse, only under coarse */
	assert_true(rmcp_policy_pool_swap(RMCP_MEM_COARSE, 2));
	assert_true(rmcp_policy_pool_swap(RMCP_MEM_COARSE, 8));
	assert_false(rmcp_policy_pool_swap(RMCP_MEM_COARSE, 2 | 1));
	assert_false(rmcp_policy_pool_swap(RMCP_MEM_COARSE, 4));
	assert_false(rmcp_policy_pool_swap(RMCP_MEM_NONCOHERENT, 2));
	assert_true(rmcp_policy_host_gate(RMCP_MEM_COARSE, 0));
	assert_false(rmcp_policy_host_gate(RMCP_MEM_COARSE, UNC));
	assert_false(rmcp_policy_host_gate(RMCP_MEM_COARSE, COH | NONCOH));
	assert_false(rmcp_policy_host_gate(RMCP_MEM_NONCOHERENT, 0));
}

/* ---- judgement of compiler-built images ---- */

static struct rmcp_guard_gpu gpu(const char *real, const char *eff)
{
	struct rmcp_guard_gpu g;
	memset(&g, 0, sizeof(g));
	g.node = 1;
	assert_int_equal(rmcp_target_id_parse(real, strlen(real), &g.real, NULL), 0);
	assert_int_equal(rmcp_target_id_parse(eff, strlen(eff), &g.eff, NULL), 0);
	if (strcmp(real, eff) != 0)
		snprintf(g.override_var, sizeof(g.override_var), "HSA_OVERRIDE_GFX_VERSION");
	return g;
}

struct judge_case {
	const char *file;
	const char *real, *eff, *real2, *eff2;	/* second GPU optional */
	enum rmcp_guard_verdict verdict;
	bool every, has_real;
	const char *chosen;
	enum rmcp_image_kind kind;
};

static const struct judge_case jcases[] = {
	{ "k1030.co", "gfx1010", "gfx1010", NULL, NULL, RMCP_GV_NO_CODE, true, false, "", RMCP_IMAGE_BUNDLE },
	{ "kz1030.co", "gfx1010", "gfx1010", NULL, NULL, RMCP_GV_NO_CODE, true, false, "", RMCP_IMAGE_CCOB },
	{ "kraw1030.co", "gfx1010", "gfx1010", NULL, NULL, RMCP_GV_NO_CODE, true, false, "", RMCP_IMAGE_RAW },
	{ "kb.co", "gfx1010", "gfx1010", NULL, NULL, RMCP_GV_OK, true, true, "gfx1010", RMCP_IMAGE_BUNDLE },
	{ "k1030.co", "gfx1010", "gfx1030", NULL, NULL, RMCP_GV_FOREIGN, true, false, "gfx1030", RMCP_IMAGE_BUNDLE },
	{ "kz1030.co", "gfx1010", "gfx1030", NULL, NULL, RMCP_GV_FOREIGN, true, false, "gfx1030", RMCP_IMAGE_CCOB },
	{ "kraw1030.co", "gfx1010", "gfx1030", NULL, NULL, RMCP_GV_FOREIGN, true, false, "gfx1030", RMCP_IMAGE_RAW },
	{ "kb.co", "gfx1010", "gfx1030", NULL, NULL, RMCP_GV_FOREIGN, true, true, "gfx1030", RMCP_IMAGE_BUNDLE },
	{ "k1030.co", "gfx1030", "gfx1030", NULL, NULL, RMCP_GV_OK, true, true, "gfx1030", RMCP_IMAGE_BUNDLE },
	/* two GPUs: code for one of them */
	{ "k1030.co", "gfx1030", "gfx1030", "gfx1100", "gfx1100", RMCP_GV_NO_CODE, false, false, "", RMCP_IMAGE_BUNDLE },
	{ "kb.co", "gfx1010", "gfx1010", "gfx1030", "gfx1030", RMCP_GV_OK, true, true, "gfx1010", RMCP_IMAGE_BUNDLE },
};

static void test_judge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(jcases) / sizeof(jcases[0]); i++) {
		const struct judge_case *c = &jcases[i];
		size_t len;
		void *img = read_fixture(c->file, &len);
		struct rmcp_guard_gpus g = { .n = 1 };
		g.gpu[0] = gpu(c->real, c->eff);
		if (c->real2) {
			g.gpu[1] = gpu(c->real2, c->eff2);
			g.n = 2;
		}
		struct rmcp_judgement j;
		struct rmcp_err err = { 0 };
		assert_int_equal(rmcp_judge_image(img, len, &g, &j, &err), 0);
		fprintf(stderr, "%s real %s eff %s -> %s every=%d chosen=%s targets=%s\n", c->file,
			c->real, c->eff, rmcp_guard_verdict_name(j.verdict), j.every_gpu, j.chosen,
			j.targets);
		assert_int_equal(j.verdict, c->verdict);
		assert_int_equal(j.every_gpu, c->every);
		assert_int_equal(j.has_real, c->has_real);
		assert_string_equal(j.chosen, c->chosen);
		assert_int_equal(j.kind, c->kind);
		assert_non_null(strstr(j.targets, "gfx1030"));
		assert_int_equal(strstr(j.targets, "gfx1010") != NULL, strcmp(c->file, "kb.co") == 0);
		if (j.chosen[0] && j.kind != RMCP_IMAGE_CCOB) {
			/* the chosen code object is an AMDGPU ELF inside the image */
			assert_true(j.co_offset <= len && j.co_size <= len - j.co_offset);
			assert_memory_equal((char *)img + j.co_offset, "\177ELF", 4);
		}
		/* every prefix of the image: an error or a verdict, never a read past it (ASan) */
		for (size_t cut = 0; cut < len; cut += len / 61 + 1) {
			void *part = malloc(cut ? cut : 1);
			memcpy(part, img, cut);
			struct rmcp_judgement jp;
			rmcp_judge_image(part, cut, &g, &jp, NULL);
			free(part);
		}
		free(img);
	}
}

static bool within(const void *p, size_t n, void *ctx)
{
	const size_t *bounds = ctx;	/* [start, len] */
	uintptr_t s = bounds[0], l = bounds[1], a = (uintptr_t)p;
	return a >= s && a - s <= l && n <= l - (a - s);
}

static void test_image_extent(void **state)
{
	(void)state;
	const char *files[] = { "k1030.co", "kb.co", "kz1030.co", "kraw1030.co" };
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		void *img = read_fixture(files[i], &len);
		size_t bounds[2] = { (size_t)(uintptr_t)img, len };
		size_t ext = 0;
		assert_int_equal(rmcp_image_extent(img, within, bounds, 1ull << 32, &ext), 0);
		/* the image's own headers account for the whole file clang wrote */
		assert_int_equal(ext, len);
		/* one byte less readable: never claims more than it may read */
		bounds[1] = len - 1;
		size_t ext2 = 0;
		int rc = rmcp_image_extent(img, within, bounds, 1ull << 32, &ext2);
		assert_true(rc < 0 || ext2 <= len - 1);
		free(img);
	}
}

/* ---- the ISA checker's place ---- */

static int checker_calls;

static enum rmcp_kernel_isa fake_checker(const void *co, size_t len, const char *kernel,
					 const struct rmcp_target_id *real, char *why,
					 size_t why_len, void *ctx)
{
	(void)ctx;
	checker_calls++;
	/* it gets the code object the runtime will load (gfx1030, EF_AMDGPU_MACH 0x36) and the
	 * real processor */
	assert_true(len > 64);
	assert_memory_equal(co, "\177ELF", 4);
	assert_int_equal(((const unsigned char *)co)[48], 0x36);
	assert_string_equal(real->proc, "gfx1010");
	if (strcmp(kernel, "bad_kernel") == 0) {
		snprintf(why, why_len, "s_fake_instruction at 0x100");
		return RMCP_KISA_BAD;
	}
	return strcmp(kernel, "good_kernel") == 0 ? RMCP_KISA_OK : RMCP_KISA_UNVERIFIED;
}

static void test_isa_checker_hook(void **state)
{
	(void)state;
	rmcp_cfg.guard = RMCP_GUARD_BLOCK;
	struct rmcp_guard_gpus g = { .n = 1 };
	g.gpu[0] = gpu("gfx1010", "gfx1030");
	rmcp_guard_init_with(&g);
	const char *files[] = { "k1030.co", "kz1030.co", "kraw1030.co" };
	for (int withcheck = 0; withcheck < 2; withcheck++) {
		rmcp_guard_set_isa_checker(withcheck ? fake_checker : NULL, NULL);
		for (size_t i = 0; i < 3; i++) {
			size_t len;
			void *img = read_fixture(files[i], &len);
			struct rmcp_fatbin_wrapper w = { RMCP_HIP_FATBIN_MAGIC, 1, img, NULL };
			/* distinct addresses stand in for the handle and the host stubs */
			static char space[64];
			char *handle = &space[(i * 2 + (size_t)withcheck) * 4];
			char *k_bad = handle + 1, *k_good = handle + 2, *k_unv = handle + 3;
			checker_calls = 0;
			rmcp_guard_fatbin(&w, handle);
			rmcp_guard_function(handle, k_bad, "bad_kernel");
			rmcp_guard_function(handle, k_good, "good_kernel");
			rmcp_guard_function(handle, k_unv, "other_kernel");
			assert_int_equal(checker_calls, withcheck ? 3 : 0);
			/* bad: refused only when the checker says so; good: silent; unverified: warned */
			assert_int_equal(rmcp_guard_launch(k_bad, RMCP_HOOK_hipLaunchKernel),
					 withcheck ? RMCP_hipErrorInvalidDeviceFunction : RMCP_hipSuccess);
			assert_int_equal(rmcp_guard_launch(k_good, RMCP_HOOK_hipLaunchKernel), RMCP_hipSuccess);
			assert_int_equal(rmcp_guard_launch(k_unv, RMCP_HOOK_hipLaunchKernel), RMCP_hipSuccess);
			assert_int_equal(rmcp_ptrmap_get(&rmcp_guard_kernels, k_good) == NULL, withcheck);
			assert_non_null(rmcp_ptrmap_get(&rmcp_guard_kernels, k_unv));
			rmcp_guard_forget(handle);
			assert_null(rmcp_ptrmap_get(&rmcp_guard_kernels, k_bad));
			assert_null(rmcp_ptrmap_get(&rmcp_guard_kernels, k_unv));
			assert_int_equal(rmcp_guard_launch(k_bad, RMCP_HOOK_hipLaunchKernel), RMCP_hipSuccess);
			free(img);
		}
	}
	rmcp_guard_set_isa_checker(NULL, NULL);
}

/* ---- configuration ---- */

static const char *const *cfg_table;

static const char *table_get(const char *name)
{
	for (size_t i = 0; cfg_table[i]; i += 2)
		if (strcmp(cfg_table[i], name) == 0)
			return cfg_table[i + 1];
	return NULL;
}

static void test_config(void **state)
{
	(void)state;
	struct rmcp_config c;
	const char *const none[] = { NULL };
	cfg_table = none;
	rmcp_config_parse(&c, table_get);
	assert_int_equal(c.guard, RMCP_GUARD_WARN);
	assert_int_equal(c.memory, RMCP_MEM_DEFAULT);
	assert_false(c.verbose);
	assert_false(c.stats);
	assert_int_equal(c.n_bad, 0);
	const char *const all[] = { "RMCP_GUARD", "block", "RMCP_MEMORY", "coarse", "RMCP_LOG",
				    "/tmp/x.log", "RMCP_STATS", "1", "RMCP_SYSROOT", "/snap", NULL };
	cfg_table = all;
	rmcp_config_parse(&c, table_get);
	assert_int_equal(c.guard, RMCP_GUARD_BLOCK);
	assert_int_equal(c.memory, RMCP_MEM_COARSE);
	assert_true(c.verbose);
	assert_string_equal(c.log_path, "/tmp/x.log");
	assert_true(c.stats);
	assert_string_equal(c.sysroot, "/snap");
	const char *const bad[] = { "RMCP_GUARD", "Block", "RMCP_MEMORY", "fine", "RMCP_LOG", "stderr",
				    "RMCP_STATS", "yes", NULL };
	cfg_table = bad;
	rmcp_config_parse(&c, table_get);
	assert_int_equal(c.guard, RMCP_GUARD_WARN);
	assert_int_equal(c.memory, RMCP_MEM_DEFAULT);
	assert_true(c.verbose);
	assert_string_equal(c.log_path, "");
	assert_false(c.stats);
	assert_int_equal(c.n_bad, 3);
	assert_string_equal(c.bad[0], "RMCP_GUARD=Block");
	/* issue 13: a path longer than its buffer is refused whole, never cut; a sysroot that
	 * cannot be held turns the guard off rather than judging another machine */
	static char longp[600];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	const char *const toolong[] = { "RMCP_GUARD", "block", "RMCP_LOG", longp, "RMCP_ISA_CACHE", longp,
					"RMCP_SYSROOT", longp, NULL };
	cfg_table = toolong;
	rmcp_config_parse(&c, table_get);
	assert_string_equal(c.log_path, "");
	assert_string_equal(c.isa_cache, "");
	assert_string_equal(c.sysroot, "");
	assert_int_equal(c.guard, RMCP_GUARD_OFF);
	assert_int_equal(c.n_too_long, 3);
	assert_string_equal(c.too_long[2], "RMCP_SYSROOT");
	longp[511] = '\0';	/* 511 bytes fit */
	rmcp_config_parse(&c, table_get);
	assert_int_equal(c.n_too_long, 0);
	assert_int_equal(strlen(c.sysroot), 511);
	assert_int_equal(c.guard, RMCP_GUARD_BLOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ptrmap_basic),
		cmocka_unit_test(test_ptrmap_concurrent),
		cmocka_unit_test(test_policy_model),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_image_extent),
		cmocka_unit_test(test_isa_checker_hook),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
