/* SPDX-License-Identifier: MIT */
/*
 * rmcp probe: every classification, against the test-double runtimes (tests/stubs: HIP 6
 * double + MIOpen double, with RMCP_STUB_BEHAVIOUR) and, for "no device", Debian's real
 * libamdhip64.so.5 on this machine without an AMD GPU. Plus the pure parts (record protocol,
 * signature scanner, classification, the convolution reference) fed directly, including
 * random bytes.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "probe.h"
#include "run.h"

#define REAL_HIP "/usr/lib/x86_64-linux-gnu/libamdhip64.so.5"

static char tmp[PATH_MAX], torch[PATH_MAX], cache[PATH_MAX];

static void copy_file(const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(dst, 0755), 0);
}

static void pathf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < cap);
}

/* A PyTorch-like package whose torch/lib holds the test-double runtime and MIOpen, as a
 * wheel bundles them. */
static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/rmcp-test-probe-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	char lib[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	pathf(torch, sizeof(torch), "%s/torch", tmp);
	pathf(lib, sizeof(lib), "%s/lib", torch);
	pathf(cache, sizeof(cache), "%s/cache", tmp);
	if (mkdir(torch, 0755) || mkdir(lib, 0755))
		return -1;
	pathf(src, sizeof(src), "%s/libamdhip64.so.6", need_env("RMCP_STUB_HIP6_DIR"));
	pathf(dst, sizeof(dst), "%s/libamdhip64.so", lib);
	copy_file(src, dst);
	pathf(src, sizeof(src), "%s/libMIOpen.so.1", need_env("RMCP_STUB_MIOPEN_DIR"));
	pathf(dst, sizeof(dst), "%s/libMIOpen.so", lib);
	copy_file(src, dst);
	setenv("XDG_CACHE_HOME", cache, 1);
	/* meson puts the build directories of the test doubles on LD_LIBRARY_PATH (they are
	 * dependencies); each test sets what it means to load instead */
	unsetenv("LD_LIBRARY_PATH");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* The double's own libhsa-runtime64.so.1 must win over Debian's real one. */
static void use_doubles(const char *gfx, const char *behaviour)
{
	setenv("LD_LIBRARY_PATH", need_env("RMCP_STUB_HSA_DIR"), 1);
	if (gfx)
		setenv("RMCP_STUB_GFX", gfx, 1);
	else
		unsetenv("RMCP_STUB_GFX");
	if (behaviour)
		setenv("RMCP_STUB_BEHAVIOUR", behaviour, 1);
	else
		unsetenv("RMCP_STUB_BEHAVIOUR");
}

struct probe_run {
	struct run_result r;
	json_object *j;
};

static struct probe_run probe(const char *a1, const char *a2, const char *a3, const char *a4,
			      const char *a5, const char *a6)
{
	char *argv[10] = { (char *)need_env("RMCP_BIN"), "probe", "--json", (char *)a1, (char *)a2,
			   (char *)a3, (char *)a4, (char *)a5, (char *)a6, NULL };
	struct probe_run p;
	char err[PATH_MAX];
	pathf(err, sizeof(err), "%s/stderr", tmp);
	assert_int_equal(run_capture(argv, err, &p.r), 0);
	p.j = json_tokener_parse(p.r.out);
	if (!p.j)
		fprintf(stderr, "not JSON (exit %d):\n%s\n", p.r.status, p.r.out);
	assert_non_null(p.j);
	return p;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fprintf(stderr, "missing key '%s'\n", key);
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_string(v) : NULL;
}

static void release(struct probe_run *p)
{
	json_object_put(p->j);
	free(p->r.out);
}

/* The outcome, the failing step, every step before it ok and every one after not run. */
static void expect(const struct probe_run *p, const char *outcome, const char *step)
{
	if (strcmp(str(p->j, "outcome"), outcome) != 0)
		fprintf(stderr, "%s\n", p->r.out);
	assert_string_equal(str(p->j, "outcome"), outcome);
	assert_int_equal(p->r.status, strcmp(outcome, "ok") == 0 ? 0 : 3);
	json_object *steps = get(p->j, "steps");
	assert_int_equal(json_object_array_length(steps), RMCP_PROBE_N_STEPS);
	bool past = false;
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *name = str(s, "step"), *status = str(s, "status");
		if (step && strcmp(name, step) == 0) {
			assert_string_equal(status, outcome);
			past = true;
		} else {
			assert_string_equal(status, past ? "not-run" : "ok");
		}
	}
	if (step) {
		assert_true(past);
		assert_string_equal(str(p->j, "failed_step"), step);
	} else {
		assert_null(get(p->j, "failed_step"));
	}
}

static json_object *step_obj(const struct probe_run *p, const char *name)
{
	json_object *steps = get(p->j, "steps");
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		if (strcmp(str(s, "step"), name) == 0)
			return s;
	}
	fail();
	return NULL;
}

/* ---- against the test doubles ---- */

static void ok_on_a_gpu_with_code(void **state)
{
	(void)state;
	use_doubles("gfx1030", NULL);
	struct probe_run p = probe("--no-cache", "--torch", torch, NULL, NULL, NULL);
	expect(&p, "ok", NULL);
	json_object *rt = get(p.j, "runtime"), *gpu = get(p.j, "gpu");
	assert_string_equal(str(rt, "source"), "torch");
	char want[PATH_MAX];
	pathf(want, sizeof(want), "%s/lib/libamdhip64.so", torch);
	assert_string_equal(str(rt, "hip"), want);
	pathf(want, sizeof(want), "%s/lib/libMIOpen.so", torch);
	assert_string_equal(str(rt, "miopen"), want);
	assert_string_equal(str(gpu, "arch"), "gfx1030");
	assert_int_equal(json_object_get_int(get(gpu, "count")), 1);
	assert_non_null(strstr(str(step_obj(&p, "conv2d"), "detail"), "equal the CPU reference"));
	assert_non_null(strstr(str(step_obj(&p, "memory-managed"), "detail"), "identical"));
	assert_false(json_object_get_boolean(get(p.j, "cached")));
	release(&p);
}

/* The official wheel's MIOpen has no gfx1010 code: the HIP double refuses to load it. */
static void no_code_object_on_gfx1010(void **state)
{
	(void)state;
	use_doubles(NULL, NULL);
	struct probe_run p = probe("--no-cache", "--torch", torch, NULL, NULL, NULL);
	expect(&p, "no-code-object", "conv2d");
	assert_int_equal(json_object_get_int(get(step_obj(&p, "conv2d"), "hip_error")),
			 RMCP_HIP_ERROR_NO_BINARY_FOR_GPU);
	assert_string_equal(str(get(p.j, "gpu"), "arch"), "gfx1010");
	release(&p);
	/* the same runtime with the 10.3.0 override loads gfx1030 code: the classes differ by
	 * the environment alone */
	setenv("HSA_OVERRIDE_GFX_VERSION", "10.3.0", 1);
	p = probe("--no-cache", "--torch", torch, NULL, NULL, NULL);
	unsetenv("HSA_OVERRIDE_GFX_VERSION");
	expect(&p, "ok", NULL);
	release(&p);
}

struct behaviour_case {
	const char *behaviour, *outcome, *step, *detail;
};

static void behaviours(void **state)
{
	(void)state;
	static const struct behaviour_case cases[] = {
		{ "fault:hipMemcpy", "gpu-memory-fault", "memory-device",
		  "Memory access fault by GPU node-1 (Agent handle: 0x" },
		{ "aperture:miopenConvolutionForward", "gpu-memory-fault", "conv2d",
		  "HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION" },
		{ "wrong:miopenConvolutionForward", "wrong-result", "conv2d", "differ from the CPU reference" },
		{ "error=209:hipMalloc", "no-code-object", "memory-device", "hipErrorNoBinaryForGpu (209)" },
		{ "error=98:miopenFindConvolutionForwardAlgorithm", "error", "conv2d", "(98)" },
		{ "error=2:hipHostMalloc", "error", "memory-host-coherent", "hipErrorOutOfMemory (2)" },
		{ "error=2:hipMallocManaged", "error", "memory-managed", "hipMallocManaged" },
		{ "error=100:hipGetDeviceCount", "no-device", "device", "hipErrorNoDevice" },
		{ "error=101:hipInit", "no-device", "hip-init", "hipInit" },
		{ "error=999:hipSetDevice", "error", "device", "hipSetDevice" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct behaviour_case *c = &cases[i];
		use_doubles("gfx1030", c->behaviour);
		struct probe_run p = probe("--no-cache", "--torch", torch, NULL, NULL, NULL);
		fprintf(stderr, "%s -> %s at %s\n", c->behaviour, str(p.j, "outcome"),
			json_object_get_string(get(p.j, "failed_step")));
		expect(&p, c->outcome, c->step);
		const char *detail = str(p.j, "detail");
		if (!strstr(detail, c->detail))
			fprintf(stderr, "detail: %s\n", detail);
		assert_non_null(strstr(detail, c->detail));
		if (strcmp(c->outcome, "gpu-memory-fault") == 0) {
			json_object *child = get(p.j, "child");
			assert_int_equal(json_object_get_int(get(child, "signal")), SIGABRT);
			assert_non_null(strstr(str(child, "signature"), c->detail));
		}
		release(&p);
	}
}

static bool gone(pid_t pid)
{
	/* killed and reaped by init: poll, it takes a moment */
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A runtime that never answers: the watchdog fires on time and nothing of the child's
 * process group survives, helpers included. */
static void hang_kills_the_group(void **state)
{
	(void)state;
	static const char *const where[][2] = { { "hang:hipMemcpy", "memory-device" },
						{ "hang:miopenConvolutionForward", "conv2d" } };
	char pidfile[PATH_MAX];
	pathf(pidfile, sizeof(pidfile), "%s/helper.pid", tmp);
	for (size_t i = 0; i < 2; i++) {
		unlink(pidfile);
		setenv("RMCP_STUB_PIDFILE", pidfile, 1);
		use_doubles("gfx1030", where[i][0]);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct probe_run p = probe("--no-cache", "--timeout", "1.5", "--torch", torch, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		unsetenv("RMCP_STUB_PIDFILE");
		double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		expect(&p, "hang", where[i][1]);
		assert_true(took >= 1.4 && took < 3.0);
		assert_true(json_object_get_boolean(get(get(p.j, "child"), "timed_out")));
		FILE *f = fopen(pidfile, "r");
		assert_non_null(f);
		char line[32] = "";
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		char *end;
		long helper = strtol(line, &end, 10);
		assert_true(end != line && helper > 1);
		assert_true(gone((pid_t)helper));
		release(&p);
	}
}

static void no_runtime(void **state)
{
	(void)state;
	use_doubles(NULL, NULL);
	/* a torch package without a bundled runtime */
	char empty[PATH_MAX], lib[PATH_MAX];
	pathf(empty, sizeof(empty), "%s/empty-torch", tmp);
	pathf(lib, sizeof(lib), "%s/lib", empty);
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_int_equal(mkdir(lib, 0755), 0);
	struct probe_run p = probe("--no-cache", "--torch", empty, NULL, NULL, NULL);
	expect(&p, "no-runtime", "load-runtime");
	release(&p);
	/* a file named libamdhip64.so that is not a HIP runtime (the fixtures' host-only one) */
	char fake[PATH_MAX];
	pathf(fake, sizeof(fake), "%s/sysroots/rx5600xt/opt/rocm-6.2.4/lib/libamdhip64.so.6.2.41134",
	      need_env("RMCP_FIXTURES"));
	p = probe("--no-cache", "--hip", fake, NULL, NULL, NULL);
	expect(&p, "no-runtime", "load-runtime");
	assert_non_null(strstr(str(p.j, "detail"), "not a HIP runtime: no hipInit"));
	release(&p);
	/* the fixture machine's /opt/rocm is found through --sysroot */
	char root[PATH_MAX];
	pathf(root, sizeof(root), "%s/sysroots/rx5600xt", need_env("RMCP_FIXTURES"));
	p = probe("--no-cache", "--sysroot", root, NULL, NULL, NULL);
	expect(&p, "no-runtime", "load-runtime");
	assert_string_equal(str(get(p.j, "runtime"), "source"), "rocm");
	release(&p);
}

/* Debian's real HIP runtime, on a machine without an AMD GPU. */
static void real_runtime_no_device(void **state)
{
	(void)state;
	unsetenv("LD_LIBRARY_PATH");	/* its own libhsa-runtime64, not the double */
	unsetenv("RMCP_STUB_BEHAVIOUR");
	struct probe_run p = probe("--no-cache", "--hip", REAL_HIP, NULL, NULL, NULL);
	assert_string_equal(str(p.j, "outcome"), "no-device");
	assert_int_equal(p.r.status, 3);
	const char *step = str(p.j, "failed_step");
	assert_true(strcmp(step, "hip-init") == 0 || strcmp(step, "device") == 0);
	json_object *rt = get(p.j, "runtime");
	int v = json_object_get_int(get(rt, "hip_runtime_version"));
	assert_true(v >= 50000000 && v < 60000000);	/* Debian 12: HIP 5.2 */
	assert_string_equal(str(step_obj(&p, "load-runtime"), "status"), "ok");
	assert_string_equal(str(rt, "hip"), REAL_HIP);
	release(&p);
}

static void caching(void **state)
{
	(void)state;
	use_doubles("gfx1030", NULL);
	struct probe_run a = probe("--no-cache", "--torch", torch, NULL, NULL, NULL);
	struct probe_run b = probe("--torch", torch, NULL, NULL, NULL, NULL);
	expect(&a, "ok", NULL);
	expect(&b, "ok", NULL);
	assert_false(json_object_get_boolean(get(a.j, "cached")));
	assert_true(json_object_get_boolean(get(b.j, "cached")));
	assert_string_equal(str(a.j, "fingerprint"), str(b.j, "fingerprint"));
	assert_string_equal(str(get(b.j, "gpu"), "arch"), "gfx1030");
	/* another environment is another fingerprint: probed again, with its own result (a
	 * MIOPEN_* variable no earlier test set, so nothing cached matches) */
	use_doubles("gfx1030", "wrong:miopenConvolutionForward");
	setenv("MIOPEN_LOG_LEVEL", "2", 1);
	struct probe_run c = probe("--torch", torch, NULL, NULL, NULL, NULL);
	assert_false(json_object_get_boolean(get(c.j, "cached")));
	assert_string_not_equal(str(a.j, "fingerprint"), str(c.j, "fingerprint"));
	expect(&c, "wrong-result", "conv2d");
	struct probe_run d = probe("--torch", torch, NULL, NULL, NULL, NULL);
	unsetenv("MIOPEN_LOG_LEVEL");
	assert_true(json_object_get_boolean(get(d.j, "cached")));
	expect(&d, "wrong-result", "conv2d");
	release(&a);
	release(&b);
	release(&c);
	release(&d);
	/* a hang recorded under a 1 s watchdog answers another 1 s probe, not a longer one */
	use_doubles("gfx1030", "hang:hipInit");
	struct probe_run e = probe("--timeout", "1", "--torch", torch, NULL, NULL);
	struct probe_run f = probe("--timeout", "1", "--torch", torch, NULL, NULL);
	struct probe_run f2 = probe("--timeout", "1.3", "--torch", torch, NULL, NULL);
	expect(&e, "hang", "hip-init");
	assert_true(json_object_get_boolean(get(f.j, "cached")));
	assert_false(json_object_get_boolean(get(f2.j, "cached")));
	expect(&f2, "hang", "hip-init");
	release(&e);
	release(&f);
	release(&f2);
	/* a corrupt cache file is a miss, never a crash */
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "for f in '%s'/rmcp/probe-*.txt; do head -c 100 /dev/urandom > \"$f\"; done", cache);
	assert_int_equal(system(cmd), 0);
	use_doubles("gfx1030", NULL);
	struct probe_run g = probe("--torch", torch, NULL, NULL, NULL, NULL);
	assert_false(json_object_get_boolean(get(g.j, "cached")));
	expect(&g, "ok", NULL);
	release(&g);
}

static void text_output(void **state)
{
	(void)state;
	use_doubles(NULL, NULL);
	char *argv[] = { (char *)need_env("RMCP_BIN"), "probe", "--no-cache", "--torch", torch, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, "/dev/null", &r), 0);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "GPU probe: NO: no code object at step conv2d"));
	assert_non_null(strstr(r.out, "memory-host-noncoherent  ok"));
	free(r.out);
	char *bad[] = { (char *)need_env("RMCP_BIN"), "probe", "--timeout", "-3", NULL };
	assert_int_equal(run_capture(bad, "/dev/null", &r), 0);
	assert_int_equal(r.status, 2);
	free(r.out);
	char *bad2[] = { (char *)need_env("RMCP_BIN"), "probe", "--device", "x", NULL };
	assert_int_equal(run_capture(bad2, "/dev/null", &r), 0);
	assert_int_equal(r.status, 2);
	free(r.out);
}

/* ---- the pure parts ---- */

static void records_round_trip(void **state)
{
	(void)state;
	char buf[1024];
	struct rmcp_probe_result r;
	rmcp_probe_result_init(&r);
	int n = rmcp_probe_record_end(buf, sizeof(buf), RMCP_STEP_CONV, RMCP_PROBE_WRONG_RESULT, 209, 12.5,
				      "tab\there\nnewline");
	assert_true(n > 0);
	assert_int_equal(rmcp_probe_record_parse(buf, (size_t)n, &r), 0);
	assert_int_equal(r.steps[RMCP_STEP_CONV].cls, RMCP_PROBE_WRONG_RESULT);
	assert_int_equal(r.steps[RMCP_STEP_CONV].hip_error, 209);
	assert_string_equal(r.steps[RMCP_STEP_CONV].detail, "tab here newline");
	n = rmcp_probe_record_fact(buf, sizeof(buf), "gpu_arch", "gfx1010:xnack-");
	assert_int_equal(rmcp_probe_record_parse(buf, (size_t)n, &r), 0);
	assert_string_equal(r.gpu_arch, "gfx1010:xnack-");
	static const char *const bad[] = {
		"", "B", "B\tno-such-step", "E\tconv2d\tok\t0\t1.0", "E\tconv2d\tnope\t0\t1\tx",
		"E\tconv2d\tok\tx\t1\tx", "E\tconv2d\tok\t0\t-1\tx", "E\tconv2d\tok\t0\tnan\tx",
		"Q\tx", "F\t\tv", "F\tdevice_count\tmany", "X\t2\t0\t0\t0", "D\textra", "BB\tconv2d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rmcp_probe_record_parse(bad[i], strlen(bad[i]), &r), -RMCP_E_FORMAT);
	assert_int_equal(rmcp_probe_record_begin(buf, 4, RMCP_STEP_CONV), -RMCP_E_LIMIT);
}

static void garbage_never_crashes(void **state)
{
	(void)state;
	uint32_t x = 12345;
	char buf[300];
	struct rmcp_probe_result r;
	struct rmcp_sigscan s;
	rmcp_probe_result_init(&r);
	rmcp_sigscan_init(&s);
	for (int it = 0; it < 20000; it++) {
		size_t n = (x >> 7) % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* mostly record-like bytes, so parsing gets past the first field */
			static const char alpha[] = "BEFDXS\t\n0123456789.-conv2dhip-initokerror";
			buf[i] = (x & 3) ? alpha[x % (sizeof(alpha) - 1)] : (char)x;
		}
		rmcp_probe_record_parse(buf, n, &r);
		rmcp_sigscan_feed(&s, buf, n);
		rmcp_probe_classify(&r, &s);
	}
	rmcp_sigscan_end(&s);
	assert_true(r.outcome >= RMCP_PROBE_OK && r.outcome <= RMCP_PROBE_ERROR);
}

static void signatures_across_chunks(void **state)
{
	(void)state;
	static const char text[] =
		"HIP runtime starting\n"
		"Memory access fault by GPU node-1 (Agent handle: 0x5) on address 0x7f. Reason: Page not present or supervisor privilege.\n"
		"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!\n"
		"Aborted";
	struct rmcp_sigscan s;
	rmcp_sigscan_init(&s);
	for (size_t i = 0; i < sizeof(text) - 1; i++)	/* one byte at a time */
		rmcp_sigscan_feed(&s, text + i, 1);
	rmcp_sigscan_end(&s);
	assert_non_null(strstr(s.fault, "Memory access fault by GPU node-1"));
	assert_non_null(strstr(s.nocode, "Unable to find code object"));
	assert_string_equal(s.last, "Aborted");
	/* a signature in the middle of a line longer than the scanner's window */
	rmcp_sigscan_init(&s);
	char longline[3000];
	memset(longline, 'x', sizeof(longline));
	const char *sig = "HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION";
	memcpy(longline + 1000, sig, strlen(sig));
	for (size_t i = 0; i < sizeof(longline); i += 7)
		rmcp_sigscan_feed(&s, longline + i, sizeof(longline) - i < 7 ? sizeof(longline) - i : 7);
	rmcp_sigscan_feed(&s, "\n", 1);
	assert_true(s.fault[0] != '\0');
	assert_int_equal(rmcp_signature_of_line("RuntimeError: HIP error: invalid device function", 48),
			 RMCP_SIG_NO_CODE);
	assert_int_equal(rmcp_signature_of_line("all fine", 8), RMCP_SIG_NONE);
}

static void classify_cases(void **state)
{
	(void)state;
	struct rmcp_probe_result r;
	struct rmcp_sigscan s;
	/* died in the managed-memory step with ROCr's fault text */
	rmcp_probe_result_init(&r);
	rmcp_sigscan_init(&s);
	for (int i = RMCP_STEP_RUNTIME; i < RMCP_STEP_MEM_MANAGED; i++) {
		r.steps[i].begun = r.steps[i].ended = true;
		r.steps[i].cls = RMCP_PROBE_OK;
	}
	r.steps[RMCP_STEP_MEM_MANAGED].begun = true;
	r.signal = SIGABRT;
	const char *f = "Memory access fault by GPU node-2 (Agent handle: 0x1) on address 0x0. Reason: Unknown.\n";
	rmcp_sigscan_feed(&s, f, strlen(f));
	rmcp_probe_classify(&r, &s);
	assert_int_equal(r.outcome, RMCP_PROBE_GPU_FAULT);
	assert_int_equal(r.failed_step, RMCP_STEP_MEM_MANAGED);
	assert_int_equal(r.steps[RMCP_STEP_CONV].cls, RMCP_PROBE_NOT_RUN);
	/* died with no text: an error naming the signal */
	rmcp_probe_result_init(&r);
	rmcp_sigscan_init(&s);
	r.steps[RMCP_STEP_RUNTIME].begun = true;
	r.signal = SIGSEGV;
	rmcp_probe_classify(&r, &s);
	assert_int_equal(r.outcome, RMCP_PROBE_ERROR);
	assert_int_equal(r.failed_step, RMCP_STEP_RUNTIME);
	assert_non_null(strstr(r.steps[RMCP_STEP_RUNTIME].detail, "signal 11"));
	/* old HIP: prints hipErrorNoBinaryForGpu and aborts during hipInit */
	rmcp_probe_result_init(&r);
	rmcp_sigscan_init(&s);
	r.steps[RMCP_STEP_RUNTIME].begun = r.steps[RMCP_STEP_RUNTIME].ended = true;
	r.steps[RMCP_STEP_RUNTIME].cls = RMCP_PROBE_OK;
	r.steps[RMCP_STEP_INIT].begun = true;
	r.signal = SIGABRT;
	f = "\"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!\"\n";
	rmcp_sigscan_feed(&s, f, strlen(f));
	rmcp_probe_classify(&r, &s);
	assert_int_equal(r.outcome, RMCP_PROBE_NO_CODE);
	assert_int_equal(r.failed_step, RMCP_STEP_INIT);
	/* a timeout between two steps is a hang of the next one */
	rmcp_probe_result_init(&r);
	r.steps[RMCP_STEP_RUNTIME].begun = r.steps[RMCP_STEP_RUNTIME].ended = true;
	r.steps[RMCP_STEP_RUNTIME].cls = RMCP_PROBE_OK;
	r.timed_out = true;
	r.timeout_s = 5;
	rmcp_probe_classify(&r, NULL);
	assert_int_equal(r.outcome, RMCP_PROBE_HANG);
	assert_int_equal(r.failed_step, RMCP_STEP_INIT);
	/* a library error while the runtime printed why: no code object */
	rmcp_probe_result_init(&r);
	rmcp_sigscan_init(&s);
	for (int i = RMCP_STEP_RUNTIME; i < RMCP_STEP_CONV; i++) {
		r.steps[i].begun = r.steps[i].ended = true;
		r.steps[i].cls = RMCP_PROBE_OK;
	}
	r.steps[RMCP_STEP_CONV].begun = r.steps[RMCP_STEP_CONV].ended = true;
	r.steps[RMCP_STEP_CONV].cls = RMCP_PROBE_ERROR;
	r.done = r.exited = true;
	f = "MIOpen Error: ... hipErrorNoBinaryForGpu\n";
	rmcp_sigscan_feed(&s, f, strlen(f));
	rmcp_probe_classify(&r, &s);
	assert_int_equal(r.outcome, RMCP_PROBE_NO_CODE);
	/* codes */
	assert_int_equal(rmcp_probe_class_for_hip(RMCP_STEP_CONV, 98), RMCP_PROBE_NO_CODE);
	assert_int_equal(rmcp_probe_class_for_hip(RMCP_STEP_INIT, 101), RMCP_PROBE_NO_DEVICE);
	assert_int_equal(rmcp_probe_class_for_hip(RMCP_STEP_MEM_DEVICE, 101), RMCP_PROBE_ERROR);
	assert_int_equal(rmcp_probe_class_for_hip(RMCP_STEP_DEVICE, 35), RMCP_PROBE_NO_DEVICE);
}

/* The reference against a hand-computed case, and the comparison's tolerance. */
static void conv_reference(void **state)
{
	(void)state;
	/* 1x1x3x3 input 1..9, one 3x3 filter of ones, padding 1: sums of 3x3 windows */
	struct rmcp_conv_shape sh = { .n = 1, .c = 1, .h = 3, .w = 3, .k = 1, .r = 3, .s = 3,
				      .pad = 1, .stride = 1 };
	float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[9], y[9];
	for (int i = 0; i < 9; i++)
		w[i] = 1;
	int oh, ow;
	assert_int_equal(rmcp_conv_out_dim(&sh, &oh, &ow), 1);
	assert_int_equal(oh, 3);
	assert_int_equal(ow, 3);
	rmcp_conv_reference(&sh, x, w, y);
	const float want[9] = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };
	for (int i = 0; i < 9; i++)
		assert_true(y[i] == want[i]);
	size_t first = 99;
	float got[9];
	memcpy(got, want, sizeof(got));
	assert_int_equal(rmcp_conv_compare(got, want, 9, &first), 0);
	got[4] = 45.1f;	/* off by more than 1e-3 + 1e-3 * 45 */
	got[7] = (float)NAN;
	assert_int_equal(rmcp_conv_compare(got, want, 9, &first), 2);
	assert_int_equal(first, 4);
	sh.stride = 0;
	assert_int_equal(rmcp_conv_out_dim(&sh, &oh, &ow), 0);
	float v[1000];
	rmcp_conv_fill(v, 1000, 7);
	for (int i = 0; i < 1000; i++)
		assert_true(v[i] >= -1.0f && v[i] < 1.0f);
}

/* Issue 12: a probe that takes longer than 1 s says on a terminal which step it is in; on a
 * pipe it prints no progress line (run --device auto: tests/integration/test_run.c). */
static void progress_on_a_terminal(void **state)
{
	(void)state;
	use_doubles("gfx1030", "hang:hipMemcpy");
	char *probe_argv[] = { (char *)need_env("RMCP_BIN"), "probe", "--no-cache", "--timeout", "2.5", "--torch",
			       torch, NULL };
	char *tty = run_stderr(probe_argv, true);
	assert_non_null(strstr(tty, "\033[Krmcp: probe: probing the GPU: memory-device (step 4 of 9), "));
	assert_non_null(strstr(tty, " s of 2 s"));	/* the 2.5 s watchdog, as %.0f prints it */
	assert_non_null(strstr(tty, "\r\033[K"));	/* the line is cleared at the end */
	free(tty);
	char *pipe_out = run_stderr(probe_argv, false);
	assert_null(strstr(pipe_out, "probing the GPU"));
	assert_null(strchr(pipe_out, '\r'));
	free(pipe_out);
	use_doubles("gfx1030", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_round_trip),
		cmocka_unit_test(garbage_never_crashes),
		cmocka_unit_test(signatures_across_chunks),
		cmocka_unit_test(classify_cases),
		cmocka_unit_test(conv_reference),
		cmocka_unit_test(ok_on_a_gpu_with_code),
		cmocka_unit_test(no_code_object_on_gfx1010),
		cmocka_unit_test(behaviours),
		cmocka_unit_test(hang_kills_the_group),
		cmocka_unit_test(no_runtime),
		cmocka_unit_test(real_runtime_no_device),
		cmocka_unit_test(caching),
		cmocka_unit_test(text_output),
		cmocka_unit_test(progress_on_a_terminal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
