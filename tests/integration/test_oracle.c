/* SPDX-License-Identifier: MIT */
/*
 * rmcp scan against LLVM's own tools, on compiler-built fixtures and Debian's real ROCm
 * libraries. The oracles:
 *   llvm-readobj-22 --offloading FILE         host ELF files: every entry, offset, size
 *   clang-offload-bundler-22 --list --type=o  bundle/CCOB files and -fgpu-rdc objects: IDs
 *   llvm-readobj-22 --file-headers            raw code objects: EF_AMDGPU_MACH + features
 * Every list must agree exactly.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "demangle.h"
#include "run.h"
#include "scan.h"

struct strlist {
	char **v;
	size_t n;
};

static void sl_add(struct strlist *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = strdup(s);
}

static int cmp_s(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_sort(struct strlist *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_s);
}

static void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void sl_assert_equal(const char *what, struct strlist *want, struct strlist *got)
{
	sl_sort(want);
	sl_sort(got);
	bool same = want->n == got->n;
	for (size_t i = 0; same && i < want->n; i++)
		same = strcmp(want->v[i], got->v[i]) == 0;
	if (!same) {
		fprintf(stderr, "%s: oracle (%zu) vs rmcp (%zu) differ\n", what, want->n, got->n);
		for (size_t i = 0; i < want->n || i < got->n; i++)
			fprintf(stderr, "  %-60s | %s\n", i < want->n ? want->v[i] : "",
				i < got->n ? got->v[i] : "");
	}
	assert_true(same);
}

static char *fixture(const char *name)
{
	static char buf[4096];
	if (name[0] == '/')
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "%s/%s", need_env("RMCP_FIXTURES"), name);
	return buf;
}

struct first {
	struct rmcp_file f;
	int n;
};

static void first_cb(void *ctx, struct rmcp_file *f)
{
	struct first *c = ctx;
	if (c->n++ == 0)
		c->f = *f;
	else
		rmcp_file_release(f);
}

static struct rmcp_file scan_one(const char *path, bool verbose)
{
	struct first c = { 0 };
	struct rmcp_scan_opts o = { .verbose = verbose, .kernels = verbose };
	assert_int_equal(rmcp_scan_path(path, false, &o, first_cb, &c), 0);
	assert_int_equal(c.n, 1);
	return c.f;
}

/* llvm-readobj --offloading: "<id>\tfile://<path>#offset=N&size=M" per entry. */
static struct strlist readobj_entries(const char *path)
{
	char *argv[] = { (char *)need_env("RMCP_READOBJ"), "--offloading", (char *)path, NULL };
	struct run_result r;
	struct strlist l = { 0 };
	assert_int_equal(run_capture(argv, NULL, &r), 0);
	assert_int_equal(r.status, 0);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t'), *off = strstr(line, "#offset="), *sz = strstr(line, "&size=");
		if (!tab || !off || !sz)
			continue;	/* header lines */
		*tab = '\0';
		char e[512];
		snprintf(e, sizeof(e), "%s offset=%llu size=%llu", line, strtoull(off + 8, NULL, 10),
			 strtoull(sz + 6, NULL, 10));
		sl_add(&l, e);
	}
	free(r.out);
	return l;
}

/* llvm-readobj --offloading's lines as printed ("<id>\tfile://...#offset=N&size=M"). */
static struct strlist readobj_lines(const char *path)
{
	char *argv[] = { (char *)need_env("RMCP_READOBJ"), "--offloading", (char *)path, NULL };
	struct run_result r;
	struct strlist l = { 0 };
	assert_int_equal(run_capture(argv, NULL, &r), 0);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "\tfile://"))
			sl_add(&l, line);
	free(r.out);
	return l;
}

/* Issue 12: every code-object URI rmcp gives is, character for character, the one
 * llvm-readobj --offloading prints for that entry. Returns how many were compared. */
static size_t check_uris(const char *path, const struct rmcp_file *f)
{
	struct strlist lines = readobj_lines(path);
	size_t n = 0;
	for (size_t i = 0; i < f->n_entries; i++) {
		char uri[8192], want[8600];
		if (rmcp_entry_uri(f, &f->entries[i], uri, sizeof(uri)) <= 0)
			continue;
		snprintf(want, sizeof(want), "%s\t%s", f->entries[i].id, uri);
		bool found = false;
		for (size_t k = 0; k < lines.n; k++)
			found |= strcmp(lines.v[k], want) == 0;
		if (!found)
			fprintf(stderr, "%s: rmcp's '%s' is not among llvm-readobj's lines\n", path, want);
		assert_true(found);
		n++;
	}
	sl_free(&lines);
	return n;
}

static struct strlist rmcp_entries(const struct rmcp_file *f)
{
	struct strlist l = { 0 };
	for (size_t i = 0; i < f->n_entries; i++) {
		char e[512];
		snprintf(e, sizeof(e), "%s offset=%llu size=%llu", f->entries[i].id,
			 (unsigned long long)f->entries[i].offset, (unsigned long long)f->entries[i].size);
		sl_add(&l, e);
	}
	return l;
}

static void check_readobj(void **state)
{
	const char *path = fixture(*state);
	struct strlist want = readobj_entries(path);
	struct rmcp_file f = scan_one(path, true);
	assert_null(f.error);
	struct strlist got = rmcp_entries(&f);
	sl_assert_equal(path, &want, &got);
	size_t uris = check_uris(path, &f);
	bool any_plain = false;
	for (size_t i = 0; i < f.n_entries; i++)
		any_plain |= f.entries[i].target && !f.entries[i].compressed && f.entries[i].size;
	assert_true(!any_plain || uris > 0);	/* uncompressed device code has URIs */
	/* Every non-host entry's target is among the file's targets, and vice versa. */
	struct strlist t1 = { 0 }, t2 = { 0 };
	for (size_t i = 0; i < f.n_entries; i++)
		if (f.entries[i].target) {
			bool dup = false;
			for (size_t k = 0; k < t1.n; k++)
				dup |= strcmp(t1.v[k], f.entries[i].target) == 0;
			if (!dup)
				sl_add(&t1, f.entries[i].target);
		}
	for (size_t i = 0; i < f.n_targets; i++)
		sl_add(&t2, f.targets[i]);
	sl_assert_equal("targets", &t1, &t2);
	/* Where the ELF header was read, it names the same target as the bundle ID. */
	for (size_t i = 0; i < f.n_entries; i++)
		if (f.entries[i].have_elf)
			assert_string_equal(f.entries[i].elf_target, f.entries[i].target);
	sl_free(&want);
	sl_free(&got);
	sl_free(&t1);
	sl_free(&t2);
	rmcp_file_release(&f);
}

/* clang-offload-bundler --list prints one ID per line, in hash order. */
static void check_bundler(void **state)
{
	const char *path = fixture(*state);
	char input[4200];
	snprintf(input, sizeof(input), "--input=%s", path);
	char *argv[] = { (char *)need_env("RMCP_BUNDLER"), "--list", "--type=o", input, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, NULL, &r), 0);
	assert_int_equal(r.status, 0);
	struct strlist want = { 0 }, got = { 0 };
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		sl_add(&want, line);
	free(r.out);
	struct rmcp_file f = scan_one(path, true);
	assert_null(f.error);
	for (size_t i = 0; i < f.n_entries; i++)
		sl_add(&got, f.entries[i].id);
	sl_assert_equal(path, &want, &got);
	sl_free(&want);
	sl_free(&got);
	rmcp_file_release(&f);
}

/* llvm-readobj --file-headers: EF_AMDGPU_MACH_AMDGCN_GFX90A and feature flag names. */
static void check_codeobj(void **state)
{
	const char *path = fixture(*state);
	char *argv[] = { (char *)need_env("RMCP_READOBJ"), "--file-headers", (char *)path, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, NULL, &r), 0);
	assert_int_equal(r.status, 0);
	char proc[64] = "", want[96];
	const char *xn = "", *sr = "";
	char *m = strstr(r.out, "EF_AMDGPU_MACH_AMDGCN_");
	assert_non_null(m);
	m += strlen("EF_AMDGPU_MACH_AMDGCN_");
	size_t i = 0;
	for (; m[i] && m[i] != ' ' && i < sizeof(proc) - 1; i++)
		proc[i] = m[i] == '_' ? '-' : (char)tolower((unsigned char)m[i]);
	proc[i] = '\0';
	if (strstr(r.out, "XNACK_ON_V4"))
		xn = ":xnack+";
	if (strstr(r.out, "XNACK_OFF_V4"))
		xn = ":xnack-";
	if (strstr(r.out, "SRAMECC_ON_V4"))
		sr = ":sramecc+";
	if (strstr(r.out, "SRAMECC_OFF_V4"))
		sr = ":sramecc-";
	snprintf(want, sizeof(want), "%s%s%s", proc, sr, xn);
	free(r.out);
	struct rmcp_file f = scan_one(path, true);
	assert_null(f.error);
	assert_int_equal(f.format, RMCP_FMT_CODE_OBJECT);
	assert_int_equal(f.n_targets, 1);
	assert_string_equal(f.targets[0], want);
	assert_true(f.n_kernels >= 2);	/* rmcp_add_one, rmcp_scale */
	rmcp_file_release(&f);
}

static void real_rocsparse(void **state)
{
	(void)state;
	const char *path = "/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1";
	struct rmcp_file f = scan_one(path, false);
	/* research/binaries.md §6: 111 uncompressed bundles x 8 entries, 7 device targets. */
	assert_int_equal(f.bundles, 111);
	assert_int_equal(f.n_entries, 888);
	assert_int_equal(f.n_targets, 7);
	rmcp_file_release(&f);
}

static void real_amdhip(void **state)
{
	(void)state;
	/* The magic string is in .rodata; there is no .hip_fatbin: no device code. */
	const char *path = "/usr/lib/x86_64-linux-gnu/libamdhip64.so.5";
	struct strlist want = readobj_entries(path);
	assert_int_equal(want.n, 0);
	struct rmcp_file f = scan_one(path, true);
	assert_null(f.error);
	assert_int_equal(f.format, RMCP_FMT_ELF);
	assert_int_equal(f.n_entries, 0);
	assert_int_equal(f.n_targets, 0);
	sl_free(&want);
	rmcp_file_release(&f);
}

/* A kpack'd binary (split with --gpu-targets gfx1010,gfx1030): its targets are the original
 * binary's bundle targets, as readobj lists them, restricted to the split's targets. */
static void kpack_binary(void **state)
{
	(void)state;
	struct strlist want = readobj_entries(fixture("multi_lld.so")), wt = { 0 }, got = { 0 };
	size_t dropped = 0;
	for (size_t i = 0; i < want.n; i++) {
		const char *g = strstr(want.v[i], "--gfx");
		if (!g)
			continue;
		char t[64];
		snprintf(t, sizeof(t), "%.*s", (int)strcspn(g + 2, " "), g + 2);
		if (strcmp(t, "gfx1010") == 0 || strcmp(t, "gfx1030") == 0)
			sl_add(&wt, t);
		else
			dropped++;
	}
	assert_int_equal(wt.n, 2);
	assert_int_equal(dropped, 1);	/* gfx90a:xnack+ was not split out */
	struct rmcp_file f = scan_one(fixture("kpack/lib/libkp.so"), false);
	assert_null(f.error);
	assert_non_null(f.note);
	for (size_t i = 0; i < f.n_targets; i++)
		sl_add(&got, f.targets[i]);
	sl_assert_equal("kpack targets", &wt, &got);
	sl_free(&want);
	sl_free(&wt);
	sl_free(&got);
	rmcp_file_release(&f);
}

/* Wheel members are scanned in memory: entries equal readobj's on the same bytes on disk. */
struct all {
	struct rmcp_file *v;
	size_t n;
};

static void all_cb(void *ctx, struct rmcp_file *f)
{
	struct all *a = ctx;
	a->v = realloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n++] = *f;
}

static void wheel_members(void **state)
{
	(void)state;
	struct all a = { 0 };
	struct rmcp_scan_opts o = { 0 };
	char *whl = strdup(fixture("wheel/torch-2.5.1+rocm6.2-cp311-cp311-linux_x86_64.whl"));
	assert_int_equal(rmcp_scan_path(whl, false, &o, all_cb, &a), 0);
	const char *pairs[][2] = { { "torch/lib/libtorch_hip.so", "two_tu.so" },
				   { "torch/lib/librocblas.so", "ccob_v3.so" } };
	for (size_t p = 0; p < 2; p++) {
		char member[4400];
		snprintf(member, sizeof(member), "%s!/%s", whl, pairs[p][0]);
		struct rmcp_file *m = NULL;
		for (size_t i = 0; i < a.n; i++)
			if (strcmp(a.v[i].path, member) == 0)
				m = &a.v[i];
		assert_non_null(m);
		struct strlist want = readobj_entries(fixture(pairs[p][1])), got = rmcp_entries(m);
		sl_assert_equal(member, &want, &got);
		sl_free(&want);
		sl_free(&got);
	}
	/* The wheel record sums up its members and comes with a note. */
	bool saw_wheel = false;
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].format == RMCP_FMT_WHEEL) {
			saw_wheel = true;
			assert_true(a.v[i].container);
			assert_int_equal(a.v[i].n_targets, 4);	/* gfx1010 gfx1030 gfx1100 gfx906 */
		}
		rmcp_file_release(&a.v[i]);
	}
	assert_true(saw_wheel);
	free(a.v);
	free(whl);
}

/* Static archives: members reported as "lib.a(member.o)", entries as readobj lists them. */
static void static_archive(void **state)
{
	(void)state;
	char *path = strdup(fixture("static.a"));
	struct strlist want = readobj_entries(path), got = { 0 };
	struct all a = { 0 };
	struct rmcp_scan_opts o = { 0 };
	assert_int_equal(rmcp_scan_path(path, false, &o, all_cb, &a), 0);
	size_t members = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (!a.v[i].container) {
			members++;
			assert_non_null(strstr(a.v[i].path, "static.a(static_"));
			struct strlist m = rmcp_entries(&a.v[i]);
			for (size_t k = 0; k < m.n; k++)
				sl_add(&got, m.v[k]);
			sl_free(&m);
		}
		rmcp_file_release(&a.v[i]);
	}
	assert_int_equal(members, 2);
	sl_assert_equal(path, &want, &got);
	sl_free(&want);
	sl_free(&got);
	free(a.v);
	free(path);
}

/* What a demangler program prints for one name (c++filt, llvm-cxxfilt-22). */
static char *cxxfilt(const char *prog, const char *name)
{
	char *argv[] = { (char *)prog, (char *)name, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, NULL, &r), 0);
	assert_int_equal(r.status, 0);
	r.out[strcspn(r.out, "\n")] = '\0';
	return r.out;
}

/* Issue 12: names shown demangled are what GNU c++filt and llvm-cxxfilt-22 print, for the
 * kernels of compiler-built code objects and for template-heavy names like rocBLAS's and
 * PyTorch's; names that are not mangled are left alone by all three. */
static void demangle_matches_cxxfilt(void **state)
{
	(void)state;
	static const char *const names[] = {
		"_Z13vector_squarePfS_m",
		"_ZN2at6native29vectorized_elementwise_kernelILi4ENS0_11FillFunctorIfEENS_6detail5ArrayIPcLi1EEEEEviT0_T1_",
		"_ZN7rocprim6detail17block_reduce_implILj256ELj1EfN6hipcub3SumEEEvPT1_",
		"_Z29Cijk_Ailk_Bljk_SB_MT64x64x16PKfS0_Pfiii",
		"__ocml_sqrt_f32", "kernel_without_mangling", "_Znot_really_mangled(",
	};
	size_t compared = 0;
	struct rmcp_file f = scan_one(fixture("raw_gfx1030.hsaco"), true);
	assert_true(f.n_kernels > 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) + f.n_kernels; i++) {
		const char *n = i < sizeof(names) / sizeof(names[0]) ? names[i] : f.kernels[i - sizeof(names) / sizeof(names[0])];
		char buf[4096];
		const char *ours = rmcp_demangle_or_self(n, buf, sizeof(buf));
		char *gnu = cxxfilt("c++filt", n), *llvm = cxxfilt("llvm-cxxfilt-22", n);
		/* LLVM writes nested template closers C++11-style (">>"), GNU as "> >": the same name */
		char ours11[4096];
		size_t o = 0;
		for (const char *c = ours; *c && o + 1 < sizeof(ours11); c++)
			if (!(c[0] == ' ' && c > ours && c[-1] == '>' && c[1] == '>'))
				ours11[o++] = *c;
		ours11[o] = '\0';
		if (strcmp(ours, gnu) != 0 || strcmp(ours11, llvm) != 0)
			fprintf(stderr, "%s: rmcp '%s', c++filt '%s', llvm-cxxfilt '%s'\n", n, ours, gnu, llvm);
		assert_string_equal(ours, gnu);
		assert_string_equal(ours11, llvm);
		compared++;
		free(gnu);
		free(llvm);
	}
	char buf[64];
	assert_int_equal(rmcp_demangle("_Z13vector_squarePfS_m", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vector_square(float*, float*, unsigned long)");
	assert_int_equal(rmcp_demangle("plain", buf, sizeof(buf)), -EINVAL);
	assert_true(compared >= 8);
	rmcp_file_release(&f);
}

#define READOBJ(name) cmocka_unit_test_prestate(check_readobj, name)
#define BUNDLER(name) cmocka_unit_test_prestate(check_bundler, name)
#define CODEOBJ(name) cmocka_unit_test_prestate(check_codeobj, name)

int main(void)
{
	const struct CMUnitTest tests[] = {
		READOBJ("multi_lld.so"),
		READOBJ("multi_bfd.so"),
		READOBJ("generic.so"),
		READOBJ("ccob_v2.so"),
		READOBJ("ccob_v3.so"),
		READOBJ("ccob_concat.so"),
		READOBJ("two_tu.so"),
		READOBJ("rdc.so"),
		READOBJ("/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1"),
		READOBJ("/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"),
		BUNDLER("bundle.co"),
		BUNDLER("ccob_v2.co"),
		BUNDLER("ccob_v3.co"),
		BUNDLER("ccob_v1_zlib.co"),
		BUNDLER("ccob_v2_zlib.co"),
		BUNDLER("ccob_v3_zlib.co"),
		BUNDLER("ccob_v1_zstd.co"),
		BUNDLER("rdc.o"),
		CODEOBJ("raw_gfx1030.hsaco"),
		CODEOBJ("raw_gfx1010_cov5.hsaco"),
		CODEOBJ("raw_gfx90a_xnack.hsaco"),
		cmocka_unit_test(real_rocsparse),
		cmocka_unit_test(real_amdhip),
		cmocka_unit_test(kpack_binary),
		cmocka_unit_test(wheel_members),
		cmocka_unit_test(static_archive),
		cmocka_unit_test(demangle_matches_cxxfilt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
