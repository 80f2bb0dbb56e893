/* SPDX-License-Identifier: MIT */
/*
 * bench/preload.c: the time one hooked call takes, run with and without librmcp.so by
 * bench/preload.sh (the baseline is the same binary without the preload, in the same run).
 * Linked against the test-double runtime (tests/stubs), whose calls do almost nothing, so
 * what the preload adds is not hidden behind real work.
 *
 *   bench_preload launch N   hipLaunchKernel of a registered kernel that can run, N times
 *   bench_preload alloc N    hipHostMalloc(4096) + hipHostFree, N times
 *
 * Before measuring it registers, the way clang's module constructor does, one image with
 * code for gfx1010 (the launched kernel) and one with gfx1030 code only whose 2000 kernels
 * cannot run on the gfx1010 machine of RMCP_SYSROOT: the guard's table is then not empty and
 * every launch pays a real probe. Prints the best of 7 repetitions in ns per call.
 */
#define __HIP_PLATFORM_AMD__ 1
#include <hip/hip_runtime_api.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void **__hipRegisterFatBinary(const void *data);
void __hipRegisterFunction(void **modules, const void *hostFunction, char *deviceFunction,
			   const char *deviceName, unsigned int threadLimit, void *tid, void *bid,
			   dim3 *blockDim, dim3 *gridDim, int *wSize);

/* An offload bundle with one code object for `gfx`: just its ELF header, which is all the
 * judgement reads (EF_AMDGPU_MACH at e_flags). */
static unsigned char *make_bundle(const char *gfx, unsigned mach)
{
	char id[64];
	int idlen = snprintf(id, sizeof(id), "hipv4-amdgcn-amd-amdhsa--%s", gfx);
	size_t off = 4096, size = 64;
	unsigned char *b = calloc(1, off + size);
	memcpy(b, "__CLANG_OFFLOAD_BUNDLE__", 24);
	uint64_t v[3] = { 1, 0, 0 };
	memcpy(b + 24, &v[0], 8);
	v[0] = off;
	v[1] = size;
	v[2] = (uint64_t)idlen;
	memcpy(b + 32, v, 24);
	memcpy(b + 56, id, (size_t)idlen);
	unsigned char *e = b + off;
	memcpy(e, "\177ELF\2\1\1\100\3", 9);	/* ELF64 LSB, OSABI HSA, ABI v5 */
	e[16] = 3;				/* ET_DYN */
	e[18] = 224;				/* EM_AMDGPU */
	uint32_t flags = 0x100 | mach;		/* xnack any */
	memcpy(e + 48, &flags, 4);
	return b;
}

struct wrapper {
	uint32_t magic, version;
	const void *binary;
	void *dummy;
};

static char stubs[2001];	/* distinct host-function addresses */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_preload launch|alloc N\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	static struct wrapper good, bad;
	good = (struct wrapper){ 0x48495046u, 1, make_bundle("gfx1010", 0x33), NULL };
	bad = (struct wrapper){ 0x48495046u, 1, make_bundle("gfx1030", 0x36), NULL };
	void **hg = __hipRegisterFatBinary(&good);
	void **hb = __hipRegisterFatBinary(&bad);
	__hipRegisterFunction(hg, &stubs[0], NULL, "bench_ok", 0, NULL, NULL, NULL, NULL, NULL);
	for (int i = 1; i <= 2000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "bench_nocode_%d", i);
		__hipRegisterFunction(hb, &stubs[i], NULL, name, 0, NULL, NULL, NULL, NULL, NULL);
	}
	double best = 1e30;
	for (int rep = 0; rep < 7; rep++) {
		double t0 = now_ns();
		if (strcmp(argv[1], "launch") == 0) {
			dim3 g = { 1, 1, 1 }, b = { 64, 1, 1 };
			for (long i = 0; i < n; i++)
				if (hipLaunchKernel(&stubs[0], g, b, NULL, 0, NULL) != hipSuccess)
					return 1;
		} else {
			for (long i = 0; i < n; i++) {
				void *p;
				if (hipHostMalloc(&p, 4096, 0) != hipSuccess)
					return 1;
				hipHostFree(p);
			}
		}
		double ns = (now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	printf("%.2f\n", best);
	return 0;
}
