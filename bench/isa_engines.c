/* SPDX-License-Identifier: MIT */
/*
 * bench/isa_engines FILE [GPU [RUNS [ORACLE_RUNS]]]: the ISA check itself, in one process,
 * without start-up, rendering or output: rmcp_isa_check_buffer over FILE (mapped and read
 * once before timing) for GPU (default gfx1010) with
 *   - the LLVM 19 oracle, decoding only (RMCP_ISA_USE_ORACLE | RMCP_ISA_NO_HAZARDS): the
 *     baseline, as `rmcp scan --isa GPU --isa-oracle --isa-no-hazards`;
 *   - the fast path, decoding only (RMCP_ISA_NO_HAZARDS);
 *   - the fast path and the gfx10.1 hazard detectors (no flags): the whole check.
 * Every mode is the same call with the same text flags; each time is the median of its runs
 * (RUNS for the fast modes, ORACLE_RUNS for the oracle), the modes interleaved run by run.
 * ORACLE_RUNS 0 skips the oracle (no ratios): for comparing two builds of the fast modes.
 * RMCP_BENCH_CLOCK=cpu times with the process's CPU clock instead of the monotonic clock.
 * Prints the medians, instructions per second and the ratios to the oracle; with
 * RMCP_BENCH_JSON=path, writes them there too. bench/isa.sh runs it after the CLI timings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "isa.h"
#include "target.h"

enum { ORACLE, FAST, FULL, NMODES };
static const char *const mode_name[NMODES] = { "oracle (LLVM 19 LLVM-C, decoding), baseline",
					       "fast path, decoding only", "fast path + hazard detectors" };
static const unsigned mode_flags[NMODES] = { RMCP_ISA_USE_ORACLE | RMCP_ISA_NO_HAZARDS, RMCP_ISA_NO_HAZARDS, 0 };

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
	struct timespec t;
	clock_gettime(clock_id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One timed check; *insns: instructions judged. Exits on error (a benchmark, not a tool). */
static double one(const void *buf, size_t len, const struct rmcp_target_id *gpu, int mode, unsigned long long *insns)
{
	struct rmcp_isa_file f;
	double t0 = now();
	int rc = rmcp_isa_check_buffer(buf, len, gpu, mode_flags[mode], &f);
	double t = now() - t0;
	if (rc < 0 || f.error) {
		fprintf(stderr, "isa_engines: %s: %s\n", mode_name[mode], f.error ? f.error : strerror(-rc));
		exit(1);
	}
	*insns = 0;
	for (size_t i = 0; i < f.n_objects; i++)
		*insns += f.objects[i].report.n_insns;
	rmcp_isa_file_release(&f);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: isa_engines FILE [GPU [RUNS [ORACLE_RUNS]]]\n");
		return 2;
	}
	const char *clk = getenv("RMCP_BENCH_CLOCK");
	if (clk && strcmp(clk, "cpu") == 0)
		clock_id = CLOCK_PROCESS_CPUTIME_ID;
	const char *gpu_name = argc > 2 ? argv[2] : "gfx1010";
	int runs = argc > 3 ? atoi(argv[3]) : 10, oracle_runs = argc > 4 ? atoi(argv[4]) : 3;
	if (runs < 1 || runs > 1000 || oracle_runs < 0 || oracle_runs > runs) {
		fprintf(stderr, "isa_engines: 0 <= ORACLE_RUNS <= RUNS <= 1000 (0: no oracle, for A/B runs)\n");
		return 2;
	}
	struct rmcp_target_id gpu;
	if (rmcp_target_id_parse(gpu_name, strlen(gpu_name), &gpu, NULL) < 0) {
		fprintf(stderr, "isa_engines: %s: not a GPU target\n", gpu_name);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "isa_engines: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	size_t len = (size_t)st.st_size;
	const unsigned char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "isa_engines: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	static double t[NMODES][1000];
	unsigned long long insns[NMODES] = { 0 };
	one(buf, len, &gpu, FULL, &insns[FULL]);	/* warm: caches, tables, libLLVM */
	if (oracle_runs)
		one(buf, len, &gpu, ORACLE, &insns[ORACLE]);
	else
		insns[ORACLE] = insns[FULL];
	for (int r = 0; r < runs; r++) {
		t[FAST][r] = one(buf, len, &gpu, FAST, &insns[FAST]);
		t[FULL][r] = one(buf, len, &gpu, FULL, &insns[FULL]);
		if (r < oracle_runs)
			t[ORACLE][r] = one(buf, len, &gpu, ORACLE, &insns[ORACLE]);
	}
	double med[NMODES];
	for (int m = 0; m < NMODES; m++)
		med[m] = m == ORACLE && !oracle_runs ? 0 : median(t[m], m == ORACLE ? oracle_runs : runs);
	printf("%s as %s, in process (rmcp_isa_check_buffer), medians of %d runs (oracle %d):\n", argv[1], gpu_name,
	       runs, oracle_runs);
	for (int m = 0; m < NMODES; m++) {
		if (m == ORACLE && !oracle_runs) {
			printf("  %-46s (not run)\n", mode_name[m]);
			continue;
		}
		printf("  %-46s %9.3f s  %8.2f M inst/s", mode_name[m], med[m], (double)insns[m] / med[m] / 1e6);
		if (oracle_runs)
			printf("  %6.1fx faster than the oracle", med[ORACLE] / med[m]);
		putchar('\n');
	}
	printf("  hazard detectors alone (difference)            %9.3f s\n", med[FULL] - med[FAST]);
	if (insns[FAST] != insns[ORACLE] || insns[FULL] != insns[FAST])
		printf("  note: instruction counts differ: %llu %llu %llu\n", insns[ORACLE], insns[FAST], insns[FULL]);
	const char *json = getenv("RMCP_BENCH_JSON");
	if (json && json[0]) {
		FILE *o = fopen(json, "w");
		if (!o) {
			fprintf(stderr, "isa_engines: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(o, "{\"file\": \"%s\", \"gpu\": \"%s\", \"instructions\": %llu, \"runs\": %d, \"oracle_runs\": %d, "
			   "\"oracle_s\": %.6f, \"fast_s\": %.6f, \"full_s\": %.6f, \"ratio_fast\": %.2f, \"ratio_full\": %.2f}\n",
			argv[1], gpu_name, insns[FAST], runs, oracle_runs, med[ORACLE], med[FAST], med[FULL],
			med[ORACLE] / med[FAST], med[ORACLE] / med[FULL]);
		if (fclose(o) != 0)
			return 1;
	}
	munmap((void *)buf, len);
	return 0;
}
