/* SPDX-License-Identifier: MIT */
/*
 * The ISA checker against real parts:
 *  - synthetic kernels (tests/fixtures/isa/classes_*.s, assembled by llvm-mc-19 at test time), one
 *    per instruction class of research/binaries.md §4.2: the expected verdict is in the
 *    kernel's name, the expected offender is the kernel's first instruction in the source,
 *    and the number of invalid instructions is what llvm-mc-19 itself refuses to assemble
 *    for the other processor (rejected.txt, written by build.sh);
 *  - HIP kernels compiled by clang-22 (dot products);
 *  - instruction counts per kernel against llvm-objdump-19's disassembly;
 *  - the fast path against the LLVM oracle, instruction by instruction, over every gfx1030
 *    code object in Debian's librocsparse (about 6.8 M instructions in kernel ranges);
 *  - rmcp's XXH64 against Debian's xxhsum;
 *  - the committed table against a fresh run of tools/gen-isa-table (RMCP_GEN_ISA_TABLE).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "isa.h"
#include "run.h"

#define ROCSPARSE "/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1"

struct map {
	void *p;
	size_t len;
};

static struct map map_file(const char *path)
{
	struct map m = { 0 };
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: cannot open\n", path);
		fail();
	}
	m.len = (size_t)st.st_size;
	m.p = mmap(NULL, m.len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(m.p != MAP_FAILED);
	return m;
}

static char *fixture(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/isa/%s", need_env("RMCP_FIXTURES"), name);
	return buf;
}

static struct rmcp_target_id gpu(const char *name)
{
	struct rmcp_target_id g;
	assert_int_equal(rmcp_target_id_parse(name, strlen(name), &g, NULL), 0);
	return g;
}

/* First instruction of kernel `name` in an assembly source, and its mnemonic. */
static void source_first(const char *src, const char *name, char *mnem, size_t size)
{
	char path[4096], line[512], want[128];
	snprintf(path, sizeof(path), "%s/tests/fixtures/isa/%s", need_env("RMCP_SOURCE_ROOT"), src);
	snprintf(want, sizeof(want), "kernel %s\n", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	bool in = false;
	mnem[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, want) == 0) {
			in = true;
			continue;
		}
		if (in && strncmp(line, "  ", 2) == 0) {
			size_t n = strcspn(line + 2, " \n");
			snprintf(mnem, size, "%.*s", (int)n, line + 2);
			break;
		}
	}
	fclose(f);
	assert_true(mnem[0] != '\0');
}

/* Instructions of kernel `name` that llvm-mc-19 refused for the other processor. */
static size_t rejected_count(const char *src_proc, const char *src, const char *name)
{
	char path[4096], line[512], want[128];
	snprintf(path, sizeof(path), "%s/tests/fixtures/isa/%s", need_env("RMCP_SOURCE_ROOT"), src);
	snprintf(want, sizeof(want), "kernel %s\n", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char insns[32][256];
	size_t n = 0;
	bool in = false;
	while (fgets(line, sizeof(line), f) && n < 32) {
		if (strcmp(line, want) == 0)
			in = true;
		else if (in && strncmp(line, "endk", 4) == 0)
			break;
		else if (in && strncmp(line, "  ", 2) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(insns[n++], sizeof(insns[0]), "%s\t%s", src_proc, line + 2);
		}
	}
	fclose(f);
	FILE *r = fopen(fixture("rejected.txt"), "r");
	assert_non_null(r);
	size_t hits = 0;
	while (fgets(line, sizeof(line), r)) {
		line[strcspn(line, "\n")] = '\0';
		for (size_t i = 0; i < n; i++)
			hits += strcmp(line, insns[i]) == 0;
	}
	fclose(r);
	return hits;
}

static void check_classes(const char *co, const char *src, const char *src_proc, const char *real,
			  unsigned flags)
{
	struct map m = map_file(fixture(co));
	struct rmcp_target_id g = gpu(real);
	struct rmcp_isa_report r;
	struct rmcp_err err = { 0 };
	int rc = rmcp_isa_check(m.p, m.len, &g, flags, &r, &err);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", co, err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(r.engine, (flags & RMCP_ISA_USE_ORACLE) ? RMCP_ISA_ENGINE_ORACLE : RMCP_ISA_ENGINE_FAST);
	assert_true(r.n_kernels >= 6);
	for (size_t i = 0; i < r.n_kernels; i++) {
		const struct rmcp_isa_kernel *k = &r.kernels[i];
		enum rmcp_isa_verdict want = RMCP_ISA_OK;
		if (strncmp(k->name, "invalid_", 8) == 0)
			want = RMCP_ISA_INVALID;
		else if (strncmp(k->name, "differs_", 8) == 0)
			want = RMCP_ISA_DIFFERS;
		else if (strncmp(k->name, "hazard_", 7) == 0)
			want = RMCP_ISA_HAZARD;	/* s_inst_prefetch, SALU writes after VMEM */
		else if (strncmp(k->name, "ok_", 3) == 0)
			want = RMCP_ISA_OK;
		else
			fail_msg("unexpected kernel %s", k->name);
		if (k->verdict != want)
			fprintf(stderr, "%s: %s on %s is %s\n", co, k->name, real, rmcp_isa_verdict_name(k->verdict));
		assert_int_equal(k->verdict, want);
		assert_true(k->is_kernel);
		assert_int_equal(k->n_undecodable, 0);
		assert_int_equal(k->n_unknown, 0);
		if (want == RMCP_ISA_INVALID)
			assert_int_equal(k->n_invalid, rejected_count(src_proc, src, k->name));
		if (want < RMCP_ISA_DIFFERS) {
			assert_false(k->has_first);
			continue;
		}
		/* the kernel's first source instruction is the reported one, at its start */
		char mnem[64];
		source_first(src, k->name, mnem, sizeof(mnem));
		assert_true(k->has_first);
		assert_true(k->first.addr == k->addr);
		if (strncmp(k->first.text, mnem, strlen(mnem)) != 0)
			fail_msg("%s: first offender '%s', source says '%s'", k->name, k->first.text, mnem);
		if (want == RMCP_ISA_DIFFERS)
			assert_true(k->first.real_text[0] && strcmp(k->first.real_text, k->first.text) != 0);
	}
	rmcp_isa_report_release(&r);
	munmap(m.p, m.len);
}

static void classes_gfx1030_fast(void **state)
{
	(void)state;
	check_classes("classes_gfx1030.co", "classes_gfx1030.s", "gfx1030", "gfx1010", 0);
}

static void classes_gfx1030_oracle(void **state)
{
	(void)state;
	check_classes("classes_gfx1030.co", "classes_gfx1030.s", "gfx1030", "gfx1010", RMCP_ISA_USE_ORACLE);
}

static void classes_gfx1010_fast(void **state)
{
	(void)state;
	check_classes("classes_gfx1010.co", "classes_gfx1010.s", "gfx1010", "gfx1030", 0);
}

static void classes_gfx1010_oracle(void **state)
{
	(void)state;
	check_classes("classes_gfx1010.co", "classes_gfx1010.s", "gfx1010", "gfx1030", RMCP_ISA_USE_ORACLE);
}

/* The fixtures, both ways, instruction by instruction. */
static void classes_crosscheck(void **state)
{
	(void)state;
	static const char *const cos[] = { "classes_gfx1030.co", "classes_gfx1010.co", "dot_gfx1030.co" };
	static const char *const gpus[] = { "gfx1010", "gfx1011", "gfx1013", "gfx1030", "gfx1036" };
	for (size_t i = 0; i < 3; i++) {
		struct map m = map_file(fixture(cos[i]));
		for (size_t j = 0; j < 5; j++) {
			struct rmcp_target_id g = gpu(gpus[j]);
			struct rmcp_isa_report r;
			assert_int_equal(rmcp_isa_check(m.p, m.len, &g, RMCP_ISA_CROSSCHECK, &r, NULL), 0);
			if (r.n_disagree)
				fprintf(stderr, "%s on %s: %llu disagreements, first at 0x%llx\n", cos[i], gpus[j],
					(unsigned long long)r.n_disagree, (unsigned long long)r.first_disagree);
			assert_int_equal(r.n_disagree, 0);
			assert_true(r.n_insns > 0);
			rmcp_isa_report_release(&r);
		}
		munmap(m.p, m.len);
	}
}

static void hip_dot(void **state)
{
	(void)state;
	struct map m = map_file(fixture("dot_gfx1030.co"));
	struct rmcp_target_id g = gpu("gfx1010");
	for (int oracle = 0; oracle < 2; oracle++) {
		struct rmcp_isa_report r;
		assert_int_equal(rmcp_isa_check(m.p, m.len, &g, oracle ? RMCP_ISA_USE_ORACLE : 0, &r, NULL), 0);
		const struct rmcp_isa_kernel *i8 = rmcp_isa_find_kernel(&r, "rmcp_int8_dot");
		const struct rmcp_isa_kernel *f16 = rmcp_isa_find_kernel(&r, "rmcp_half_dot");
		const struct rmcp_isa_kernel *ax = rmcp_isa_find_kernel(&r, "rmcp_saxpy");
		assert_non_null(i8);
		assert_non_null(f16);
		assert_non_null(ax);
		assert_int_equal(i8->verdict, RMCP_ISA_INVALID);
		assert_int_equal(f16->verdict, RMCP_ISA_INVALID);
		/* __builtin_amdgcn_sdot4 / fdot2 compile to v_dot4* / v_dot2* */
		assert_non_null(strstr(i8->first.text, "v_dot4"));
		assert_non_null(strstr(f16->first.text, "v_dot2"));
		/* no gfx10.1 hazard in clang-22's saxpy: the detectors decide, nothing is left */
		assert_int_equal(ax->verdict, RMCP_ISA_OK);
		assert_true(r.needs_workarounds);
		assert_true(r.hazards_checked);
		rmcp_isa_report_release(&r);
	}
	/* gfx1030 code on gfx1031 (same ISA, no workarounds missing): ok */
	struct rmcp_target_id g31 = gpu("gfx1031");
	struct rmcp_isa_report r;
	assert_int_equal(rmcp_isa_check(m.p, m.len, &g31, 0, &r, NULL), 0);
	assert_int_equal(r.verdict, RMCP_ISA_OK);
	assert_int_equal(r.kernels_by_verdict[RMCP_ISA_OK], r.n_kernels);
	rmcp_isa_report_release(&r);
	munmap(m.p, m.len);
}

/* Per-kernel instruction counts against llvm-objdump-19 (lines inside each symbol). */
static void objdump_counts(void **state)
{
	(void)state;
	static const char *const cos[] = { "classes_gfx1030.co", "dot_gfx1030.co" };
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = { "llvm-objdump-19", "-d", "--mcpu=gfx1030", fixture(cos[i]), NULL };
		struct run_result out;
		assert_int_equal(run_capture(argv, NULL, &out), 0);
		assert_int_equal(out.status, 0);
		struct map m = map_file(fixture(cos[i]));
		struct rmcp_target_id g = gpu("gfx1010");
		struct rmcp_isa_report r;
		assert_int_equal(rmcp_isa_check(m.p, m.len, &g, 0, &r, NULL), 0);
		size_t checked = 0;
		for (size_t k = 0; k < r.n_kernels; k++) {
			uint64_t count = 0;
			for (char *line = strtok(out.out, "\n"); line; line = strtok(NULL, "\n")) {
				char *c = strstr(line, "// ");
				if (line[0] != '\t' || !c)
					continue;
				unsigned long long a = strtoull(c + 3, NULL, 16);
				count += a >= r.kernels[k].addr && a < r.kernels[k].addr + r.kernels[k].size;
			}
			/* strtok consumed the buffer: run again for the next kernel */
			free(out.out);
			assert_int_equal(run_capture(argv, NULL, &out), 0);
			if (count != r.kernels[k].n_insns)
				fprintf(stderr, "%s %s: objdump %llu, rmcp %llu\n", cos[i], r.kernels[k].name,
					(unsigned long long)count, (unsigned long long)r.kernels[k].n_insns);
			assert_int_equal(count, r.kernels[k].n_insns);
			checked++;
		}
		assert_true(checked >= 3);
		free(out.out);
		rmcp_isa_report_release(&r);
		munmap(m.p, m.len);
	}
}

/* The fast path and the oracle over every gfx1030 code object of Debian's librocsparse. */
static void rocsparse_agreement(void **state)
{
	(void)state;
	struct map m = map_file(ROCSPARSE);
	struct rmcp_target_id g = gpu("gfx1010");
	struct rmcp_isa_file f;
	assert_int_equal(rmcp_isa_check_buffer(m.p, m.len, &g, RMCP_ISA_CROSSCHECK | RMCP_ISA_NO_TEXT | RMCP_ISA_NO_HAZARDS,
					       &f), 0);
	assert_null(f.error);
	uint64_t insns = 0, disagree = 0, objects = 0, undecodable = 0;
	for (size_t i = 0; i < f.n_objects; i++) {
		const struct rmcp_isa_object *o = &f.objects[i];
		if (o->error)
			fprintf(stderr, "object %zu: %s\n", i, o->error);
		assert_true(o->skip != RMCP_ISA_SKIP_ERROR);
		if (o->skip != RMCP_ISA_CHECKED)
			continue;
		assert_string_equal(o->target, "gfx1030");
		objects++;
		insns += o->report.n_insns;
		disagree += o->report.n_disagree;
		undecodable += o->report.n_undecodable;
		if (o->report.n_disagree)
			fprintf(stderr, "bundle %u: %llu disagreements, first at 0x%llx\n", o->bundle,
				(unsigned long long)o->report.n_disagree, (unsigned long long)o->report.first_disagree);
	}
	fprintf(stderr, "librocsparse: %llu gfx1030 code objects, %llu instructions, %llu disagreements\n",
		(unsigned long long)objects, (unsigned long long)insns, (unsigned long long)disagree);
	/* research/binaries.md §6: 111 bundles, each with a gfx1030 entry */
	assert_int_equal(objects, 111);
	assert_true(insns > 6000000);
	assert_int_equal(disagree, 0);
	/* Every instruction decodes, including the 145 VOPC SDWA compares whose SGPR destination
	 * puts 7 in [10:8] (s23: 0x7d5438f9 0x06009715), once wrongly kept from LLVM as if that
	 * were a reserved dst_sel (isa_gfx10.h rmcp_g10_llvm_unsafe). */
	assert_int_equal(undecodable, 0);
	rmcp_isa_file_release(&f);
	munmap(m.p, m.len);
}

static void xxh64_vs_xxhsum(void **state)
{
	(void)state;
	char *argv[] = { "xxhsum", "-H1", fixture("dot_gfx1030.co"), fixture("classes_gfx1030.co"), NULL };
	struct run_result out;
	assert_int_equal(run_capture(argv, NULL, &out), 0);
	assert_int_equal(out.status, 0);
	size_t n = 0;
	for (char *line = strtok(out.out, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strstr(line, "  ");
		assert_non_null(sp);
		*sp = '\0';
		char *path = sp + 2;
		path[strcspn(path, " ")] = '\0';
		struct map m = map_file(path);
		char mine[17];
		snprintf(mine, sizeof(mine), "%016llx", (unsigned long long)rmcp_xxh64(m.p, m.len, 0));
		assert_string_equal(mine, line);
		munmap(m.p, m.len);
		n++;
	}
	assert_int_equal(n, 2);
	free(out.out);
}

/* The committed table is what the generator writes with this LLVM. */
static void table_is_generated(void **state)
{
	(void)state;
	const char *gen = need_env("RMCP_GEN_ISA_TABLE");
	char out[] = "/tmp/rmcp-isa-table-XXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	char *argv[] = { (char *)gen, out, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, "/dev/null", &r), 0);
	assert_int_equal(r.status, 0);
	free(r.out);
	char committed[4096];
	snprintf(committed, sizeof(committed), "%s/data/isa/gfx10_table.c", need_env("RMCP_SOURCE_ROOT"));
	char *cmp[] = { "cmp", committed, out, NULL };
	assert_int_equal(run_capture(cmp, NULL, &r), 0);
	if (r.status != 0)
		fprintf(stderr, "data/isa/gfx10_table.c differs from a fresh tools/gen-isa-table run (%s)\n", out);
	assert_int_equal(r.status, 0);
	free(r.out);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classes_gfx1030_fast),
		cmocka_unit_test(classes_gfx1030_oracle),
		cmocka_unit_test(classes_gfx1010_fast),
		cmocka_unit_test(classes_gfx1010_oracle),
		cmocka_unit_test(classes_crosscheck),
		cmocka_unit_test(hip_dot),
		cmocka_unit_test(objdump_counts),
		cmocka_unit_test(xxh64_vs_xxhsum),
		cmocka_unit_test(rocsparse_agreement),
		cmocka_unit_test(table_is_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
