/* SPDX-License-Identifier: MIT */
/* rmcp probe: does the GPU compute correctly? HIP + MIOpen in a child under a watchdog. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cache.h"
#include "cmd.h"
#include "opts.h"
#include "report_probe.h"
#include "sysfs.h"
#include "report.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_probe_usage[] = {
	"rmcp probe [--json] [--timeout S] [--device N] [--torch DIR] [--hip LIB] [--sysroot DIR]",
	"           [--no-cache]",
	NULL,
};

static const struct rmcp_opt probe_opts[] = {
	RMCP_OPT('j', "json", NULL,
	  "print JSON (schema: docs/probe.schema.json)"),
	RMCP_OPT('t', "timeout", "S",
	  "the watchdog for the whole probe, in seconds (default 120; the\n"
	  "first MIOpen run may compile kernels for a while)"),
	RMCP_OPT('d', "device", "N",
	  "the HIP device to probe (default 0, PyTorch's cuda:0)"),
	RMCP_LONG_OPT('T', "torch", "DIR",
	  "probe the runtime this PyTorch package bundles (DIR/lib)"),
	RMCP_LONG_OPT('H', "hip", "LIB",
	  "probe this libamdhip64 file (MIOpen is looked for next to it)\n"
	  "(default: /opt/rocm/lib, else the system's libamdhip64.so.7/6/5)"),
	RMCP_OPT('s', "sysroot", "DIR",
	  "look for the runtime under DIR instead of /"),
	RMCP_OPT('n', "no-cache", NULL,
	  "probe again even if a cached result matches"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_probe_help = {
	.name = "probe",
	.usage = rmcp_probe_usage,
	.about =
	"Prove that the GPU computes correctly. In a child process (its own process group,\n"
	"under a watchdog) rmcp loads the HIP runtime your stack would load and runs, step by\n"
	"step: hipInit; device count, name and gcnArchName; a 1 MiB copy round trip through\n"
	"device memory, coherent and non-coherent pinned host memory and managed memory, checked\n"
	"byte for byte; then MIOpen: a small Conv2d forward compared with a CPU reference.\n"
	"Each step is ok, no-runtime, no-device, no-code-object, gpu-memory-fault, hang,\n"
	"wrong-result or error (with the runtime's message). Results are cached per GPU,\n"
	"driver, runtime files and environment ($XDG_CACHE_HOME/rmcp/probe-*.txt).\n"
	"\n"
	"options:\n",
	.opts = probe_opts,
	.after =
	"\n"
	"exit status: 0 the GPU computes correctly; 3 it does not (the outcome says why);\n"
	"2 usage error; 4 the probe could not be run or the output not written.\n",
};

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_probe_help, __VA_ARGS__)

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_index(const char *s, int *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > 1023)
		return -1;
	*out = (int)v;
	return 0;
}

static void print_text(const struct rmcp_probe_result *r)
{
	if (r->outcome == RMCP_PROBE_OK)
		printf("GPU probe: ok: %s (%s) computes correctly\n", r->gpu_name[0] ? r->gpu_name : "the GPU",
		       r->gpu_arch[0] ? r->gpu_arch : "?");
	else
		printf("GPU probe: NO: %s at step %s: %s\n", rmcp_probe_class_text(r->outcome),
		       r->failed_step >= 0 ? rmcp_probe_step_name((enum rmcp_probe_step)r->failed_step) : "?",
		       r->failed_step >= 0 ? r->steps[r->failed_step].detail : "");
	printf("\nruntime  %s: %s\n", r->source[0] ? r->source : "?", r->hip_path[0] ? r->hip_path : "(not loaded)");
	if (r->miopen_path[0])
		printf("MIOpen   %s%s%s\n", r->miopen_path, r->miopen_version[0] ? " " : "", r->miopen_version);
	if (r->gpu_arch[0])
		printf("device   %d of %d: %s (%s)\n", r->device, r->device_count, r->gpu_name, r->gpu_arch);
	printf("\n%-24s %-17s %9s  %s\n", "step", "result", "ms", "detail");
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		const struct rmcp_probe_step_result *st = &r->steps[i];
		char ms[32] = "-";
		if (st->ended)
			snprintf(ms, sizeof(ms), "%.1f", st->ms);
		printf("%-24s %-17s %9s  %s\n", rmcp_probe_step_name((enum rmcp_probe_step)i),
		       rmcp_probe_class_name(st->cls), ms, st->detail);
	}
	if (r->signature[0])
		printf("\nthe runtime printed: %s\n", r->signature);
	if (r->cached) {
		char when[64] = "?";
		time_t t = (time_t)r->cached_at;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("\ncached result from %s; rmcp probe --no-cache runs it again\n", when);
	}
}

int cmd_probe(int argc, char **argv)
{
	bool json = false, no_cache = false;
	double timeout = 120;
	int device = 0, opt;
	const char *torch = NULL, *hip = NULL, *sysroot = NULL;
	struct rmcp_optparse op;
	rmcp_opt_init(&op, &rmcp_probe_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		switch (opt) {
		case RMCP_OPT_EXIT:
			return op.status;
		case 'j':
			json = true;
			break;
		case 't':
			if (parse_seconds(op.arg, &timeout) < 0)
				return usage_error("--timeout '%s': expected seconds, more than 0", op.arg);
			break;
		case 'd':
			if (parse_index(op.arg, &device) < 0)
				return usage_error("--device '%s': expected a HIP device index", op.arg);
			break;
		case 'T':
			torch = op.arg;
			break;
		case 'H':
			hip = op.arg;
			break;
		case 's':
			sysroot = op.arg;
			break;
		case 'n':
			no_cache = true;
			break;
		}
	}
	if (torch && hip)
		return usage_error("--torch and --hip both name the runtime: give one");
	if (sysroot && rmcp_check_dir("probe", "--sysroot", sysroot) < 0)
		return RMCP_EXIT_USAGE;
	char torch_dir[4096];
	if (torch) {
		/* like rmcp doctor --torch: a path on the examined machine */
		bool live = !sysroot || strcmp(sysroot, "/") == 0;
		snprintf(torch_dir, sizeof(torch_dir), "%s%s", live ? "" : sysroot, torch);
		if (rmcp_check_dir("probe", "--torch", torch_dir) < 0)
			return RMCP_EXIT_USAGE;
	}
	struct rmcp_progress prog;
	rmcp_progress_init(&prog, "probe", timeout);
	struct rmcp_probe_opts po = { .device = device, .timeout_s = timeout, .progress = rmcp_progress_step,
				      .progress_ctx = &prog };
	struct rmcp_probe_locate_opts lo = { .sysroot = sysroot, .hip = hip, .torch_dir = torch ? torch_dir : NULL };
	struct rmcp_err err = { 0 }, lerr = { 0 };
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	struct rmcp_probe_result *r = calloc(1, sizeof(*r));
	int status = RMCP_EXIT_IO;
	if (!m || !r) {
		rmcp_error("probe", "out of memory");
		goto out;
	}
	if (rmcp_probe_locate(&lo, &po.libs, &lerr) < 0) {
		/* nothing to load is an answer (no runtime), not a usage error */
		rmcp_probe_result_init(r);
		r->device = device;
		r->timeout_s = timeout;
		snprintf(r->source, sizeof(r->source), "%s", po.libs.source);
		rmcp_probe_result_no_runtime(r, lerr.msg);
		goto render;
	}
	struct rmcp_machine_opts mo = { .sysroot = sysroot, .no_live_log = true };
	struct rmcp_err merr = { 0 };
	bool have_m = rmcp_machine_read(&mo, m, &merr) == 0;
	char cache[4096];
	bool have_cache = rmcp_cli_cache_dir("probe", cache, sizeof(cache));
	int prc = rmcp_probe_cached(&po, have_m ? m : NULL, have_cache ? cache : NULL, !no_cache, r, &err);
	rmcp_progress_end(&prog);
	if (prc < 0) {
		rmcp_error("probe", "%s", err.msg[0] ? err.msg : rmcp_strerror(err.code));
		rmcp_cli_end_if_interrupted();
		goto out;
	}
render:
	status = r->outcome == RMCP_PROBE_OK ? RMCP_EXIT_OK : RMCP_EXIT_NO;
	if (json) {
		json_object *j = rmcp_probe_json(r);
		if (!j) {
			rmcp_error("probe", "out of memory");
			status = RMCP_EXIT_IO;
			goto out;
		}
		rmcp_report_json(stdout, j);	/* a write error is rmcp_finish_stdout's to report */
	} else {
		print_text(r);
	}
	status = rmcp_finish_stdout("probe", status);
out:
	free(m);
	free(r);
	return status;
}
