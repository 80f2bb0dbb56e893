/* SPDX-License-Identifier: MIT */
/*
 * `rmcp doctor` and `rmcp advise` as a user runs them, on every sysroot fixture
 * (tests/fixtures/sysroots/, assembled with binaries into $RMCP_FIXTURES/sysroots): the facts
 * it reads, the findings, the verdict and the exit code, with a controlled environment (the
 * override cases pass HSA_OVERRIDE_GFX_VERSION like a shell would). Expected values come
 * from the fixtures' files (gfx_target_version, device_id, mem_banks size) and from
 * research/problem.md's pattern matrix, not from rmcp's own output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "kb.h"
#include "run.h"

#define MAX_ARGS 32

/* Set while an unprivileged case runs from a copy (see unpriv_copy). */
static const char *bin_override;

/* Run rmcp in a clean environment: env -i PATH=/usr/bin:/bin HOME=/nonexistent [vars] rmcp args.
 * vars and args are NULL-terminated lists. With unpriv, as nobody (root reads a chmod 000
 * file anyway, so the device-cgroup EPERM of container-eperm needs an ordinary user). */
static struct run_result run_rmcp(const char *const *vars, const char *const *args, bool unpriv)
{
	const char *argv[MAX_ARGS + 16];
	size_t n = 0;
	if (unpriv && geteuid() == 0) {
		argv[n++] = "/usr/bin/setpriv";
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = "/usr/bin/env";
	argv[n++] = "-i";
	argv[n++] = "PATH=/usr/bin:/bin";
	argv[n++] = "HOME=/nonexistent";
	argv[n++] = "NO_COLOR=1";
	for (size_t i = 0; vars && vars[i]; i++)
		argv[n++] = vars[i];
	argv[n++] = bin_override ? bin_override : need_env("RMCP_BIN");
	for (size_t i = 0; args && args[i] && n < MAX_ARGS + 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct run_result r;
	assert_int_equal(run_capture((char *const *)argv, "/dev/null", &r), 0);
	return r;
}

static char *sysroot(const char *name)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/sysroots/%s", need_env("RMCP_FIXTURES"), name);
	struct stat st;
	if (stat(buf, &st) != 0)
		fail_msg("fixture %s missing (tests/fixtures/mksysroots.sh)", buf);
	return strdup(buf);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_string(v) : NULL;
}

static json_object *parse(const struct run_result *r)
{
	json_object *j = json_tokener_parse(r->out);
	if (!j)
		fail_msg("not JSON:\n%s", r->out);
	return j;
}

/* ---- the fixture table ---- */

struct want_gpu {
	const char *gfx, *gfx_effective, *pci_id;
	long long vram_bytes;
	int node;		/* -1: no KFD node (null in JSON) */
	const char *kfd;
	bool visible;
};

struct fixture_case {
	const char *name, *sysroot;
	const char *vars[4];		/* environment, e.g. the override */
	const char *extra[4];		/* extra doctor options */
	bool unpriv;
	int exit_code;
	const char *verdict;
	const char *findings[8];	/* "id" or "id@gpu": the exact set */
	size_t n_gpus;
	struct want_gpu gpus[2];
	const char *summary_has;
	const char *step_has, *step_lacks;
};

#define VENV "--python", "/home/user/venv/bin/python3"

static const struct fixture_case cases[] = {
	{ "RX 5600 XT, official wheel", "rx5600xt", { NULL }, { VENV }, false, 3, "no",
	  { "torch-no-code@0" }, 1,
	  { { "gfx1010", "gfx1010", "1002:731f", 6442450944LL, 1, "ok", true } },
	  "no gfx1010 code", "whl-multi-arch/ \"torch[device-gfx1010]\"", "HSA_OVERRIDE_GFX_VERSION=10.3.0" },
	{ "RX 5600 XT + HSA_OVERRIDE_GFX_VERSION=10.3.0", "rx5600xt", { "HSA_OVERRIDE_GFX_VERSION=10.3.0" }, { VENV },
	  /* the wheel's gfx1030 kernels (plain arithmetic, no dot instructions) all decode on a
	   * gfx1010 and the hazard detectors find no gfx10.1 bug pattern in them: no ISA
	   * finding, only the override's own (tests/integration/test_isa.c hip_dot: ok) */
	  false, 3, "no", { "override-gfx103x-on-rdna1@0" }, 1,
	  { { "gfx1010", "gfx1030", "1002:731f", 6442450944LL, 1, "ok", true } },
	  "unsafe", "unset HSA_OVERRIDE_GFX_VERSION", NULL },
	{ "RX 5500 XT skipped for PCIe atomics", "rx5500xt-noatomics", { NULL }, { NULL }, false, 3, "no",
	  { "gpu-skipped-atomics@0", "no-torch" }, 1,
	  { { "gfx1012", "gfx1012", "1002:7340", 0, -1, "absent", false } },
	  "KFD skipped", "MEC firmware is 145", NULL },
	{ "RX 6700 XT, official wheel", "rx6700xt", { NULL }, { VENV }, false, 1, "workaround",
	  { "needs-override-gfx103x@0" }, 1,
	  { { "gfx1031", "gfx1031", "1002:73df", 12868124672LL, 1, "ok", true } },
	  "the override 10.3.0", "export HSA_OVERRIDE_GFX_VERSION=10.3.0", NULL },
	{ "RX 6700 XT + HSA_OVERRIDE_GFX_VERSION=10.3.0", "rx6700xt", { "HSA_OVERRIDE_GFX_VERSION=10.3.0" }, { VENV },
	  false, 0, "yes", { "override-sound-gfx103x@0", "gpu-ready-override@0" }, 1,
	  { { "gfx1031", "gfx1030", "1002:73df", 12868124672LL, 1, "ok", true } },
	  "sound override", "MIOPEN_DEBUG_CONV_GEMM=0", NULL },
	{ "RX 7900 XTX", "rx7900xtx", { NULL }, { VENV }, false, 0, "yes", { "gpu-ready@0" }, 1,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", true } },
	  "gfx1100 code", NULL, "rmcp advise" },
	{ "MI210", "mi210", { NULL }, { VENV }, false, 0, "yes", { "gpu-ready@0" }, 1,
	  { { "gfx90a", "gfx90a", "1002:740f", 68702699520LL, 1, "ok", true } },
	  "gfx90a code", NULL, NULL },
	{ "Rembrandt APU, no PyTorch", "apu-rembrandt", { NULL }, { NULL }, false, 1, "workaround",
	  { "no-torch", "apu-shared-memory@0" }, 1,
	  { { "gfx1035", "gfx1035", "1002:1681", 536870912LL, 1, "ok", true } },
	  "no PyTorch", "\"torch[device-gfx1035]\"", "pytorch.org" },
	{ "two GPUs of different families", "two-gpus", { NULL }, { VENV }, false, 0, "yes",
	  { "gpu-ready@0", "gpu-ready@1" }, 2,
	  { { "gfx1030", "gfx1030", "1002:73bf", 17163091968LL, 1, "ok", true },
	    { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 2, "ok", true } },
	  "2 GPUs can train", NULL, NULL },
	{ "two GPUs + one global 10.3.0 override", "two-gpus", { "HSA_OVERRIDE_GFX_VERSION=10.3.0" }, { VENV }, false,
	  1, "workaround", { "override-multi-gpu", "gpu-ready@0", "override-foreign-family@1", "mixed-gpus" }, 2,
	  { { "gfx1030", "gfx1030", "1002:73bf", 17163091968LL, 1, "ok", true },
	    { "gfx1100", "gfx1030", "1002:744c", 25753026560LL, 2, "ok", true } },
	  "only some GPUs", "unset HSA_OVERRIDE_GFX_VERSION ", "HIP_VISIBLE_DEVICES" },
	/* The verdict rests on the missing PyTorch (GPU 0 can train once it is installed), but
	 * the headline still names the override that makes GPU 1 fault. */
	{ "two GPUs + one global 10.3.0 override, no PyTorch", "two-gpus", { "HSA_OVERRIDE_GFX_VERSION=10.3.0" },
	  { NULL }, false, 1, "workaround", { "override-multi-gpu", "no-torch", "override-foreign-family@1" }, 2,
	  { { "gfx1030", "gfx1030", "1002:73bf", 17163091968LL, 1, "ok", true },
	    { "gfx1100", "gfx1030", "1002:744c", 25753026560LL, 2, "ok", true } },
	  "RX 7900 XTX (gfx1100) run gfx1030 code from another ISA group", "unset HSA_OVERRIDE_GFX_VERSION ", NULL },
	{ "two GPUs + per-node override on the wrong one", "two-gpus", { "HSA_OVERRIDE_GFX_VERSION_2=10.3.0" },
	  { VENV }, false, 1, "workaround", { "gpu-ready@0", "override-foreign-family@1", "mixed-gpus" }, 2,
	  { { "gfx1030", "gfx1030", "1002:73bf", 17163091968LL, 1, "ok", true },
	    { "gfx1100", "gfx1030", "1002:744c", 25753026560LL, 2, "ok", true } },
	  NULL, "unset HSA_OVERRIDE_GFX_VERSION_2 ", "HIP_VISIBLE_DEVICES" },
	{ "no AMD GPU", "no-amd-gpu", { NULL }, { NULL }, false, 3, "no", { "no-amd-gpu" }, 0, { { 0 } },
	  "no AMD GPU", "rmcp advise", NULL },
	{ "/dev/kfd not accessible", "kfd-denied", { NULL }, { NULL }, false, 1, "workaround", { "kfd-denied", "no-torch" }, 1,
	  { { "gfx1010", "gfx1010", "1002:731f", 8573157376LL, 1, "ok", false } },
	  "more problem", "usermod -aG render", NULL },
	{ "container: second GPU denied by the device cgroup", "container-eperm", { NULL }, { NULL }, true, 0, "yes",
	  { "gpu-ready@0", "gpu-node-denied@1", "torch-no-code@1" }, 2,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", true },
	    { "gfx1101", "gfx1101", "1002:747e", 0, 2, "denied", false } },
	  "gfx1100 code", NULL, NULL },
	{ "invalid override value", "rx7900xtx", { "HSA_OVERRIDE_GFX_VERSION=11" }, { VENV }, false, 3, "no",
	  { "override-invalid", "gpu-ready@0" }, 1,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", true } },
	  "invalid", "libhsakmt rejects HSA_OVERRIDE_GFX_VERSION=11", NULL },
	{ "empty HIP_VISIBLE_DEVICES does not hide the GPU", "rx7900xtx", { "HIP_VISIBLE_DEVICES=" }, { VENV }, false,
	  0, "yes", { "hip-visible-empty", "gpu-ready@0" }, 1,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", true } },
	  NULL, "HIP_VISIBLE_DEVICES=-1", NULL },
	{ "HIP_VISIBLE_DEVICES=-1 hides it: no GPU to train on", "rx7900xtx", { "HIP_VISIBLE_DEVICES=-1" }, { VENV },
	  false, 3, "no", { "gpus-hidden", "gpu-ready@0" }, 1,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", false } },
	  "hides every GPU", NULL, NULL },
	{ "empty ROCR_VISIBLE_DEVICES hides every GPU", "rx7900xtx", { "ROCR_VISIBLE_DEVICES=" }, { VENV }, false, 3, "no",
	  { "rocr-hides-all", "gpu-ready@0" }, 1,
	  { { "gfx1100", "gfx1100", "1002:744c", 25753026560LL, 1, "ok", false } },
	  "hides every GPU", NULL, NULL },
};

static bool finding_expected(const struct fixture_case *c, const char *id, int gpu)
{
	char want[96];
	if (gpu >= 0)
		snprintf(want, sizeof(want), "%s@%d", id, gpu);
	else
		snprintf(want, sizeof(want), "%s", id);
	for (size_t i = 0; i < 8 && c->findings[i]; i++)
		if (strcmp(c->findings[i], want) == 0)
			return true;
	return false;
}

/* nobody must be able to reach the binary and the fixture, and the build tree may sit under a
 * directory only root can traverse (/root is 0700): copy both to a fresh directory in /tmp.
 * cp -a keeps the fixture's chmod 000 node. Returns the directory (free and remove it). */
static char *unpriv_copy(const char *root, char **new_root)
{
	char *dir = strdup("/tmp/rmcp-doctor-unpriv-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s/sysroot' && cp '%s' '%s/rmcp' && chmod 0755 '%s/rmcp'", root, dir,
		 need_env("RMCP_BIN"), dir, dir);
	assert_int_equal(system(cmd), 0);
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/sysroot", dir);
	*new_root = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/rmcp", dir);
	bin_override = strdup(buf);
	return dir;
}

static void unpriv_cleanup(char *dir)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free((char *)bin_override);
	bin_override = NULL;
	free(dir);
}

static bool check_case(const struct fixture_case *c)
{
	char *root = sysroot(c->sysroot), *copy_dir = NULL;
	if (c->unpriv && geteuid() == 0) {
		char *copied;
		copy_dir = unpriv_copy(root, &copied);
		free(root);
		root = copied;
	}
	const char *args[16] = { "doctor", "--json", "--no-cache", "--sysroot", root };
	size_t n = 5;
	for (size_t i = 0; i < 4 && c->extra[i]; i++)
		args[n++] = c->extra[i];
	args[n] = NULL;
	struct run_result r = run_rmcp(c->vars, args, c->unpriv);
	bool ok = true;
#define CHECK(cond, ...)                                        \
	do {                                                    \
		if (!(cond)) {                                  \
			fprintf(stderr, "%s: ", c->name);       \
			fprintf(stderr, __VA_ARGS__);           \
			fputc('\n', stderr);                    \
			ok = false;                             \
		}                                               \
	} while (0)
	CHECK(r.status == c->exit_code, "exit %d, want %d", r.status, c->exit_code);
	json_object *j = parse(&r);
	json_object *v = get(j, "verdict");
	CHECK(strcmp(str(v, "gpu_training"), c->verdict) == 0, "verdict %s, want %s", str(v, "gpu_training"),
	      c->verdict);
	CHECK(json_object_get_int(get(v, "exit_code")) == c->exit_code, "JSON exit_code disagrees with the status");
	const char *summary = str(v, "summary");
	CHECK(!c->summary_has || strstr(summary, c->summary_has), "summary '%s' lacks '%s'", summary, c->summary_has);
	json_object *steps = get(v, "next_steps");
	bool has = !c->step_has, lacks = true;
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(steps, i));
		has |= c->step_has && strstr(s, c->step_has);
		lacks &= !c->step_lacks || !strstr(s, c->step_lacks);
	}
	CHECK(has, "no next step mentions '%s'", c->step_has);
	CHECK(lacks, "a next step mentions '%s'", c->step_lacks);

	/* Findings: exactly the expected set. */
	json_object *fs = get(j, "findings");
	size_t want_n = 0;
	while (want_n < 8 && c->findings[want_n])
		want_n++;
	CHECK(json_object_array_length(fs) == want_n, "%zu findings, want %zu", json_object_array_length(fs), want_n);
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		json_object *f = json_object_array_get_idx(fs, i);
		json_object *g = get(f, "gpu");
		int gpu = g ? json_object_get_int(g) : -1;
		CHECK(finding_expected(c, str(f, "id"), gpu), "unexpected finding %s (gpu %d): %s", str(f, "id"), gpu,
		      str(f, "cause"));
		CHECK(strncmp(str(f, "evidence"), "https://", 8) == 0, "evidence not a link");
	}

	/* GPU facts as the fixture's files state them. */
	json_object *gpus = get(j, "gpus");
	CHECK(json_object_array_length(gpus) == c->n_gpus, "%zu GPUs, want %zu", json_object_array_length(gpus),
	      c->n_gpus);
	for (size_t i = 0; i < c->n_gpus && i < json_object_array_length(gpus); i++) {
		const struct want_gpu *w = &c->gpus[i];
		json_object *g = json_object_array_get_idx(gpus, i);
		CHECK(strcmp(str(g, "gfx"), w->gfx) == 0, "GPU %zu gfx %s, want %s", i, str(g, "gfx"), w->gfx);
		CHECK(strcmp(str(g, "gfx_effective"), w->gfx_effective) == 0, "GPU %zu gfx_effective %s, want %s", i,
		      str(g, "gfx_effective"), w->gfx_effective);
		CHECK(strcmp(str(g, "pci_id"), w->pci_id) == 0, "GPU %zu pci_id %s", i, str(g, "pci_id"));
		if (w->vram_bytes)
			CHECK(json_object_get_int64(get(g, "vram_bytes")) == w->vram_bytes, "GPU %zu vram %lld", i,
			      (long long)json_object_get_int64(get(g, "vram_bytes")));
		json_object *node = get(g, "node");
		CHECK(w->node < 0 ? node == NULL : (node && json_object_get_int(node) == w->node), "GPU %zu node", i);
		CHECK(strcmp(str(g, "kfd"), w->kfd) == 0, "GPU %zu kfd %s, want %s", i, str(g, "kfd"), w->kfd);
		CHECK(json_object_get_boolean(get(g, "visible")) == w->visible, "GPU %zu visible", i);
		CHECK(strlen(str(g, "name")) > 0, "GPU %zu has no name", i);
	}
	/* Every fact the doctor derived is in the vocabulary the rules are checked against
	 * (data/kb/facts.tsv), so no rule can silently test a fact that is never set. */
	json_object *facts[1 + 2] = { get(j, "facts") };
	size_t nf = 1;
	for (size_t i = 0; i < json_object_array_length(gpus) && nf < 3; i++)
		facts[nf++] = get(json_object_array_get_idx(gpus, i), "facts");
	for (size_t k = 0; k < nf; k++) {
		json_object_object_foreach(facts[k], key, val)
		{
			(void)val;
			CHECK(rmcp_kb_fact_def(key) != NULL, "fact %s is not in data/kb/facts.tsv", key);
		}
	}
	if (!ok)
		fprintf(stderr, "%s: output was:\n%s\n", c->name, r.out);
	json_object_put(j);
	free(r.out);
	free(root);
	if (copy_dir)
		unpriv_cleanup(copy_dir);
	return ok;
#undef CHECK
}

static void fixtures_table(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += !check_case(&cases[i]);
	if (failed)
		fail_msg("%zu of %zu fixture cases failed", failed, sizeof(cases) / sizeof(cases[0]));
}

/* ---- text, the cache, output files, usage ---- */

static void text_report(void **state)
{
	(void)state;
	char *root = sysroot("rx5600xt");
	const char *args[] = { "doctor", "--no-cache", "--sysroot", root, VENV, NULL };
	struct run_result r = run_rmcp(NULL, args, false);
	assert_int_equal(r.status, 3);
	/* The verdict is the first line; then GPUs, software, findings, in that order. */
	assert_int_equal(strncmp(r.out, "GPU training: NO: ", 18), 0);
	const char *gpus = strstr(r.out, "\nGPUs\n"), *sw = strstr(r.out, "\nsoftware\n"),
		   *fi = strstr(r.out, "\nfindings\n"), *steps = strstr(r.out, "\nnext steps\n");
	assert_non_null(gpus);
	assert_non_null(sw);
	assert_non_null(fi);
	assert_non_null(steps);
	assert_true(steps < gpus && gpus < sw && sw < fi);
	/* NO_COLOR (set by run_rmcp) and not a terminal: no escape sequences. */
	assert_null(strchr(r.out, '\033'));
	/* No wall of text. */
	size_t lines = 0;
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	assert_true(lines < 40);
	assert_non_null(strstr(r.out, "RX 5600 XT"));
	free(r.out);
	free(root);
}

static void scan_cache(void **state)
{
	(void)state;
	char dir[] = "/tmp/rmcp-doctor-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char xdg[128];
	snprintf(xdg, sizeof(xdg), "XDG_CACHE_HOME=%s", dir);
	const char *vars[] = { xdg, NULL };
	char *root = sysroot("rx5600xt");
	const char *args[] = { "doctor", "--json", "--sysroot", root, VENV, NULL };
	const char *verdicts[2];
	json_object *runs[2];
	for (int k = 0; k < 2; k++) {
		struct run_result r = run_rmcp(vars, args, false);
		assert_int_equal(r.status, 3);
		runs[k] = parse(&r);
		verdicts[k] = str(get(runs[k], "verdict"), "summary");
		json_object *libs = get(json_object_array_get_idx(get(runs[k], "gpus"), 0), "libraries");
		size_t cached = 0, n = json_object_array_length(libs);
		for (size_t i = 0; i < n; i++)
			cached += json_object_get_boolean(get(json_object_array_get_idx(libs, i), "cached"));
		assert_true(n >= 4);
		/* First run: nothing cached; second: the files with device code come from the cache. */
		if (k == 0)
			assert_int_equal(cached, 0);
		else
			assert_true(cached >= 3);
		free(r.out);
	}
	assert_string_equal(verdicts[0], verdicts[1]);
	json_object_put(runs[0]);
	json_object_put(runs[1]);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static void output_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/rmcp-doctor-out-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], bad[256];
	snprintf(path, sizeof(path), "%s/rmcp.prom", dir);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/rmcp.prom", dir);
	char *root = sysroot("rx7900xtx");
	const char *args[] = { "doctor", "--no-cache", "--format", "prometheus", "--sysroot", root, VENV, "--output", path,
			       NULL };
	struct run_result r = run_rmcp(NULL, args, false);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.len, 0);	/* everything went to the file */
	free(r.out);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	bool verdict = false;
	static const char want[] = "rmcp_doctor_verdict{verdict=\"yes\"";
	while (fgets(line, sizeof(line), f))
		verdict |= strncmp(line, want, strlen(want)) == 0;
	fclose(f);
	assert_true(verdict);
	/* Nothing left behind but the file (the temporary was renamed). */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	args[9] = bad;
	r = run_rmcp(NULL, args, false);
	assert_int_equal(r.status, 4);
	free(r.out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);

	/* stdout that cannot be written: exit 4, not a verdict. */
	snprintf(cmd, sizeof(cmd), "'%s' doctor --no-cache --sysroot '%s' >/dev/full 2>/dev/null", need_env("RMCP_BIN"),
		 root);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
	free(root);
}

static void usage_errors(void **state)
{
	(void)state;
	static const char *const bad[][8] = {
		{ "doctor", "--format", "xml" },
		{ "doctor", "--json", "--format", "prometheus" },
		{ "doctor", "--sysroot", "/nonexistent/rmcp-sysroot" },
		{ "doctor", "--dmesg", "/nonexistent/dmesg.txt" },
		{ "doctor", "--torch", "/nonexistent/torch" },
		{ "doctor", "--no-such-option" },
		{ "doctor", "extra-argument" },
		{ "doctor", "--sysroot" },
		{ "advise", "--budget", "-5" },
		{ "advise", "--budget", "nan" },
		{ "advise", "--cloud-rate", "inf" },
		{ "advise", "--hours-per-month", "abc" },
		{ "advise", "--hours-per-month", "1e3" },
		{ "advise", "--hours-per-month", "800" },
		{ "advise", "--speedup", "0.5" },
		{ "advise", "--months", "0" },
		{ "advise", "--gpu-price", "" },
		{ "advise", "--resale", "1.2.3" },
		{ "advise", "--budget" },
		{ "advise", "--no-doctor", "surplus" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r = run_rmcp(NULL, bad[i], false);
		if (r.status != 2)
			fprintf(stderr, "rmcp %s %s %s: exit %d, want 2\n", bad[i][0], bad[i][1],
				bad[i][2] ? bad[i][2] : "", r.status);
		assert_int_equal(r.status, 2);
		free(r.out);
	}
	static const char *const help[][3] = { { "doctor", "--help" }, { "advise", "--help" } };
	for (size_t i = 0; i < 2; i++) {
		struct run_result r = run_rmcp(NULL, help[i], false);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "usage: rmcp "));
		free(r.out);
	}
}

/* On this machine: whatever it has, the report is well formed; without an AMD device on the
 * PCI bus the verdict must be no-amd-gpu. */
static void live_machine(void **state)
{
	(void)state;
	const char *args[] = { "doctor", "--json", "--no-cache", NULL };
	struct run_result r = run_rmcp(NULL, args, false);
	assert_true(r.status == 0 || r.status == 1 || r.status == 3);
	json_object *j = parse(&r);
	int amd = system("grep -qil 0x1002 /sys/bus/pci/devices/*/vendor 2>/dev/null");
	if (WIFEXITED(amd) && WEXITSTATUS(amd) != 0) {
		assert_int_equal(r.status, 3);
		json_object *fs = get(j, "findings");
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(fs); i++)
			found |= strcmp(str(json_object_array_get_idx(fs, i), "id"), "no-amd-gpu") == 0;
		assert_true(found);
	}
	json_object_put(j);
	free(r.out);
}

/* ---- advise ---- */

static json_object *advise(const char *const *args, int want_status)
{
	struct run_result r = run_rmcp(NULL, args, false);
	if (r.status != want_status)
		fprintf(stderr, "advise: exit %d\n%s\n", r.status, r.out);
	assert_int_equal(r.status, want_status);
	json_object *j = parse(&r);
	free(r.out);
	return j;
}

static json_object *option(json_object *j, const char *name, int *rank)
{
	json_object *opts = get(j, "options");
	for (size_t i = 0; i < json_object_array_length(opts); i++) {
		json_object *o = json_object_array_get_idx(opts, i);
		if (strcmp(str(o, "option"), name) == 0) {
			if (rank)
				*rank = json_object_get_int(get(o, "rank"));
			return o;
		}
	}
	return NULL;
}

static bool near(double a, double b)
{
	return a - b < 0.011 && b - a < 0.011;
}

static void advise_ranking(void **state)
{
	(void)state;
	char *rx5600 = sysroot("rx5600xt"), *rx6700 = sysroot("rx6700xt"), *rx7900 = sysroot("rx7900xtx");
	int rank;

	/* RX 5600 XT with the official wheel: the doctor says no and points to native builds,
	 * which cost nothing and rank first. Defaults: 20 h/month, $1.00/h, $400 GPU, $200 resale. */
	const char *a1[] = { "advise", "--json", "--no-cache", "--sysroot", rx5600, VENV, NULL };
	json_object *j = advise(a1, 0);
	assert_string_equal(str(get(j, "doctor"), "gpu_training"), "no");
	assert_true(json_object_get_boolean(get(get(j, "doctor"), "native_build")));
	assert_non_null(option(j, "native-build", &rank));
	assert_int_equal(rank, 1);
	json_object *gpu = option(j, "new-gpu", &rank);
	assert_non_null(gpu);
	assert_true(near(json_object_get_double(get(gpu, "upfront_usd")), 400 - 200));
	assert_true(near(json_object_get_double(get(gpu, "break_even_months")), (400.0 - 200) / (20 * 1.00)));
	json_object *cloud = option(j, "cloud", NULL);
	assert_true(near(json_object_get_double(get(cloud, "monthly_usd")), 20 * 1.00));
	assert_true(near(json_object_get_double(get(cloud, "total_usd")), 12 * 20 * 1.00));
	/* 20 h x 15 = 300 CPU hours > the 200 a month one can spare: not possible, ranked last. */
	json_object *cpu = option(j, "cpu", &rank);
	assert_false(json_object_get_boolean(get(cpu, "feasible")));
	assert_int_equal(rank, (int)json_object_array_length(get(j, "options")));
	assert_null(option(j, "gpu-now", NULL));
	json_object_put(j);

	/* Light use: 4 h/month, cloud $2.00/h, GPU $700 resale $0, over 24 months. */
	const char *a2[] = { "advise", "--json", "--no-doctor", "--hours-per-month", "4", "--cloud-rate", "2",
			     "--gpu-price", "700", "--resale", "0", "--months", "24", "--budget", "1000", NULL };
	j = advise(a2, 0);
	assert_true(json_object_is_type(get(j, "doctor"), json_type_null));
	assert_int_equal(json_object_array_length(get(j, "options")), 3);
	cpu = option(j, "cpu", &rank);
	assert_true(json_object_get_boolean(get(cpu, "feasible")));	/* 60 CPU hours */
	assert_int_equal(rank, 1);					/* $0 */
	gpu = option(j, "new-gpu", NULL);
	assert_true(near(json_object_get_double(get(gpu, "break_even_months")), 700.0 / (4 * 2.0)));
	cloud = option(j, "cloud", &rank);
	assert_true(near(json_object_get_double(get(cloud, "total_usd")), 24 * 4 * 2.0));	/* 192 < 700 */
	assert_int_equal(rank, 2);
	json_object_put(j);

	/* Over budget: the new GPU is not possible. */
	const char *a3[] = { "advise", "--json", "--no-doctor", "--budget", "100", NULL };
	j = advise(a3, 0);
	assert_false(json_object_get_boolean(get(option(j, "new-gpu", NULL), "feasible")));
	json_object_put(j);

	/* A GPU that can train ranks first; one with a sound workaround too. */
	const char *a4[] = { "advise", "--json", "--no-cache", "--sysroot", rx7900, VENV, NULL };
	j = advise(a4, 0);
	assert_non_null(option(j, "gpu-now", &rank));
	assert_int_equal(rank, 1);
	assert_null(option(j, "native-build", NULL));
	json_object_put(j);
	const char *a5[] = { "advise", "--json", "--no-cache", "--sysroot", rx6700, VENV, NULL };
	j = advise(a5, 0);
	assert_non_null(option(j, "gpu-workaround", &rank));
	assert_int_equal(rank, 1);
	json_object_put(j);

	/* Text for people names every option. */
	const char *a6[] = { "advise", "--no-doctor", NULL };
	struct run_result r = run_rmcp(NULL, a6, false);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "new-gpu"));
	assert_non_null(strstr(r.out, "cloud"));
	assert_non_null(strstr(r.out, "break-even"));
	free(r.out);
	free(rx5600);
	free(rx6700);
	free(rx7900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixtures_table),
		cmocka_unit_test(text_report),
		cmocka_unit_test(scan_cache),
		cmocka_unit_test(output_file),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(live_machine),
		cmocka_unit_test(advise_ranking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
