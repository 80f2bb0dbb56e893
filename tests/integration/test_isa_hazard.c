/* SPDX-License-Identifier: MIT */
/*
 * The gfx10.1 hazard detectors (src/lib/isa/isa_hazard*.c) against LLVM itself:
 *  - differential: tests/fixtures/isa/hazards.ll compiled by llc-19 for gfx1030 plain and with
 *    -mattr=+<feature> for each gfx10.1 bug feature (build.sh). Where LLVM's instructions for a
 *    kernel differ, LLVM applied a workaround: the detector must report that class in that
 *    kernel of the plain build, nowhere else, and nothing of that class in the +feature build;
 *  - native: the same kernels compiled for gfx1010 (LLVM's workarounds in place) give no
 *    hazard when judged as gfx1030 code on a gfx1010;
 *  - assembly (hazards_gfx1030.s) for the classes LLVM 19 cannot be made to emit from IR:
 *    each hz_* kernel has its class once, each ok_* kernel (LLVM's fix applied) none; the
 *    offset-3f branch once plain and not after llvm-mc-19 -mattr=+offset-3f-bug relaxed it;
 *  - the cache encoding keeps every hazard field;
 *  - Debian's librocrand: the detectors decide most kernels (fewer than all unverified).
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

#define ROCRAND "/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"

/* A whole file in memory (writable: the native test relabels the processor). */
static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: cannot open\n", path);
		fail();
	}
	uint8_t *p = malloc((size_t)st.st_size);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static const char *hz_path(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/isa/hazards/%s", need_env("RMCP_FIXTURES"), name);
	return buf;
}

static void check_file(const char *name, struct rmcp_isa_report *r)
{
	size_t len;
	uint8_t *p = slurp(hz_path(name), &len);
	struct rmcp_target_id g = { 0 };
	snprintf(g.proc, sizeof(g.proc), "gfx1010");
	struct rmcp_err err = { 0 };
	int rc = rmcp_isa_check(p, len, &g, RMCP_ISA_FAST_ONLY, r, &err);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", name, err.msg);
	assert_int_equal(rc, 0);
	assert_true(r->hazards_checked);
	free(p);
}

static void differential(void **state)
{
	(void)state;
	FILE *f = fopen(hz_path("changed.txt"), "r");
	assert_non_null(f);
	char feat[96] = "", kern[128], open_feat[96] = "";
	int changed;
	struct rmcp_isa_report plain, withf = { 0 };
	check_file("plain.co", &plain);
	size_t positives[RMCP_ISA_HZ_NCLASSES] = { 0 }, lines = 0;
	while (fscanf(f, "%95s %127s %d", feat, kern, &changed) == 3) {
		int cls = rmcp_isa_hazard_from_name(feat);
		assert_true(cls >= 0);
		if (strcmp(feat, open_feat) != 0) {
			if (open_feat[0])
				rmcp_isa_report_release(&withf);
			char co[128];
			snprintf(co, sizeof(co), "%s.co", feat);
			check_file(co, &withf);
			snprintf(open_feat, sizeof(open_feat), "%s", feat);
		}
		const struct rmcp_isa_kernel *p = rmcp_isa_find_kernel(&plain, kern);
		const struct rmcp_isa_kernel *q = rmcp_isa_find_kernel(&withf, kern);
		assert_non_null(p);
		assert_non_null(q);
		bool reported = p->n_by_class[cls] > 0;
		if (reported != (changed == 1) || q->n_by_class[cls])
			fprintf(stderr, "%s in %s: LLVM %s, rmcp reports %u (plain) and %u (+feature)\n", feat, kern,
				changed ? "inserted a workaround" : "changed nothing", p->n_by_class[cls],
				q->n_by_class[cls]);
		assert_int_equal(reported, changed == 1);
		assert_int_equal(q->n_by_class[cls], 0);
		positives[cls] += changed == 1;
		lines++;
	}
	fclose(f);
	rmcp_isa_report_release(&withf);
	rmcp_isa_report_release(&plain);
	assert_int_equal(lines, 12 * 8);	/* 12 features x 8 kernels */
	/* the classes LLVM 19 emits from IR; the others are in hazards_gfx1030.s */
	const int from_ir[] = { RMCP_ISA_HZ_VMEM_TO_SCALAR_WRITE, RMCP_ISA_HZ_VCMPX_EXEC_WAR,
				RMCP_ISA_HZ_VCMPX_PERMLANE, RMCP_ISA_HZ_LDS_BRANCH_VMEM_WAR,
				RMCP_ISA_HZ_NSA_CLAUSE, RMCP_ISA_HZ_FLAT_SEGMENT_OFFSET,
				RMCP_ISA_HZ_INST_FWD_PREFETCH, RMCP_ISA_HZ_NEG_UNALIGNED_SCRATCH_OFFSET };
	for (size_t i = 0; i < sizeof(from_ir) / sizeof(from_ir[0]); i++)
		assert_true(positives[from_ir[i]] >= 1);
}

/* Code LLVM built for gfx1010 has its workarounds: relabelled gfx1030 (e_flags' EF_AMDGPU_MACH,
 * byte 48 of the ELF header), the detectors find nothing in it. */
static void native_gfx1010(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = slurp(hz_path("gfx1010.co"), &len);
	assert_true(len > 64);
	assert_int_equal(p[48], 0x33);	/* EF_AMDGPU_MACH_AMDGCN_GFX1010 */
	p[48] = 0x36;			/* ... now GFX1030 */
	struct rmcp_target_id g = { 0 };
	snprintf(g.proc, sizeof(g.proc), "gfx1010");
	struct rmcp_isa_report r;
	assert_int_equal(rmcp_isa_check(p, len, &g, RMCP_ISA_FAST_ONLY, &r, NULL), 0);
	assert_true(r.hazards_checked);
	assert_int_equal(r.n_kernels, 8);
	for (size_t i = 0; i < r.n_kernels; i++) {
		if (r.kernels[i].n_hazards)
			fprintf(stderr, "native gfx1010 %s: %s\n", r.kernels[i].name,
				rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)r.kernels[i].hazard.cls));
		assert_int_equal(r.kernels[i].n_hazards, 0);
		assert_true(r.kernels[i].hazards_checked);
	}
	rmcp_isa_report_release(&r);
	free(p);
}

static void assembly(void **state)
{
	(void)state;
	static const struct {
		const char *kernel;
		int cls;
	} pos[] = {
		{ "hz_smem_to_vector", RMCP_ISA_HZ_SMEM_TO_VECTOR_WRITE },
		{ "hz_nsa_to_vmem", RMCP_ISA_HZ_NSA_TO_VMEM },
		{ "hz_lds_misaligned", RMCP_ISA_HZ_LDS_MISALIGNED },
		{ "offset3f", RMCP_ISA_HZ_OFFSET_3F },
	};
	struct rmcp_isa_report r, r3f;
	check_file("asm.co", &r);
	check_file("asm_3f.co", &r3f);
	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		const struct rmcp_isa_kernel *k = rmcp_isa_find_kernel(&r, pos[i].kernel);
		assert_non_null(k);
		assert_int_equal(k->verdict, RMCP_ISA_HAZARD);
		assert_int_equal(k->n_hazards, 1);
		assert_int_equal(k->n_by_class[pos[i].cls], 1);
		assert_true(k->has_hazard);
		assert_int_equal(k->hazard.cls, pos[i].cls);
		assert_false(k->hazard.possible);
		assert_true(k->hazard.addr > k->addr || pos[i].cls == RMCP_ISA_HZ_OFFSET_3F);
		assert_non_null(rmcp_isa_hazard_fix((enum rmcp_isa_hazard_class)k->hazard.cls));
	}
	/* the instructions involved: the VALU write after the SMEM read */
	const struct rmcp_isa_kernel *sv = rmcp_isa_find_kernel(&r, "hz_smem_to_vector");
	assert_string_equal(sv->hazard.text, "v_cmp_eq_u32_e64");
	assert_string_equal(sv->hazard.other_text, "s_load_dword");
	assert_int_equal(sv->hazard.other_addr, sv->addr);
	static const char *const neg[] = { "ok_smem_to_vector", "ok_nsa_to_vmem", "ok_lds_misaligned" };
	for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		const struct rmcp_isa_kernel *k = rmcp_isa_find_kernel(&r, neg[i]);
		assert_non_null(k);
		assert_int_equal(k->n_hazards, 0);
		assert_int_equal(k->verdict, RMCP_ISA_OK);
	}
	/* llvm-mc-19's own offset-3f relaxation: the padded branch is no hazard */
	const struct rmcp_isa_kernel *b = rmcp_isa_find_kernel(&r3f, "offset3f");
	assert_non_null(b);
	assert_int_equal(b->n_hazards, 0);
	assert_true(b->size == rmcp_isa_find_kernel(&r, "offset3f")->size + 4);
	rmcp_isa_report_release(&r);
	rmcp_isa_report_release(&r3f);
}

static void cache_keeps_hazards(void **state)
{
	(void)state;
	struct rmcp_isa_report r, d;
	check_file("plain.co", &r);
	void *buf;
	size_t len;
	assert_int_equal(rmcp_isa_report_encode(&r, &buf, &len), 0);
	assert_int_equal(rmcp_isa_report_decode(buf, len, &d, NULL), 0);
	assert_true(d.hazards_checked);
	assert_int_equal(d.n_kernels, r.n_kernels);
	for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++) {
		assert_int_equal(d.hazards_by_class[c], r.hazards_by_class[c]);
		assert_int_equal(d.kernels_by_class[c], r.kernels_by_class[c]);
	}
	for (size_t i = 0; i < r.n_kernels; i++) {
		const struct rmcp_isa_kernel *a = &r.kernels[i], *b = &d.kernels[i];
		assert_int_equal(a->n_hazards, b->n_hazards);
		assert_int_equal(a->has_hazard, b->has_hazard);
		assert_int_equal(a->wgp_mode, b->wgp_mode);
		assert_memory_equal(a->n_by_class, b->n_by_class, sizeof(a->n_by_class));
		if (a->has_hazard) {
			assert_int_equal(a->hazard.addr, b->hazard.addr);
			assert_int_equal(a->hazard.cls, b->hazard.cls);
			assert_string_equal(a->hazard.text, b->hazard.text);
		}
	}
	/* every truncation is an error, never a crash */
	for (size_t cut = 0; cut < len; cut += 7) {
		struct rmcp_isa_report t;
		assert_true(rmcp_isa_report_decode(buf, cut, &t, NULL) < 0);
	}
	free(buf);
	rmcp_isa_report_release(&d);
	rmcp_isa_report_release(&r);
}

/* Debian's librocrand, gfx1030 code judged as gfx1010: the detectors decide (ok or hazard)
 * where the checker used to say unverified for every kernel. */
static void rocrand_decided(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = slurp(ROCRAND, &len);
	struct rmcp_target_id g = { 0 };
	snprintf(g.proc, sizeof(g.proc), "gfx1010");
	struct rmcp_isa_file f;
	assert_int_equal(rmcp_isa_check_buffer(p, len, &g, RMCP_ISA_FAST_ONLY | RMCP_ISA_NO_TEXT, &f), 0);
	assert_int_equal(f.checked, 1);
	size_t total = 0;
	for (int v = 0; v <= RMCP_ISA_INVALID; v++)
		total += f.kernels_by_verdict[v];
	fprintf(stderr, "librocrand gfx1030 on gfx1010: %zu kernels, %zu ok, %zu hazard, %zu unverified\n", total,
		f.kernels_by_verdict[RMCP_ISA_OK], f.kernels_by_verdict[RMCP_ISA_HAZARD],
		f.kernels_by_verdict[RMCP_ISA_UNVERIFIED]);
	assert_true(total > 50);
	assert_true(f.kernels_by_verdict[RMCP_ISA_UNVERIFIED] < total);
	assert_true(f.kernels_by_verdict[RMCP_ISA_HAZARD] > 0);
	rmcp_isa_file_release(&f);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(differential),
		cmocka_unit_test(native_gfx1010),
		cmocka_unit_test(assembly),
		cmocka_unit_test(cache_keeps_hazards),
		cmocka_unit_test(rocrand_decided),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
