/* SPDX-License-Identifier: MIT */
/* rmcp advise: what to do to train PyTorch, with costs: this GPU, a native build, a new
 * GPU, the cloud or the CPU, ranked from the doctor's verdict and the user's figures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_advise.h"
#include "cache.h"
#include "cmd.h"
#include "opts.h"
#include "verdict.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_advise_usage[] = {
	"rmcp advise [--budget USD] [--hours-per-month H] [--cloud-rate USD] [--gpu-price USD]",
	"            [--resale USD] [--speedup X] [--cpu-hours H] [--months N] [--json]",
	"            [--sysroot DIR] [--torch DIR]... [--python PATH]... [--dmesg FILE] [--no-doctor]",
	"            [--no-cache]",
	NULL,
};

static const struct rmcp_opt advise_opts[] = {
	RMCP_OPT('b', "budget", "USD",
	  "money for hardware now (500)"),
	RMCP_OPT('H', "hours-per-month", "H",
	  "training hours a month on a working GPU (20)"),
	RMCP_OPT('c', "cloud-rate", "USD",
	  "cloud price per GPU-hour; 2025: 0.50-2.00 (1.00)"),
	RMCP_OPT('g', "gpu-price", "USD",
	  "a supported GPU, e.g. RX 7700 XT (400)"),
	RMCP_OPT('r', "resale", "USD",
	  "what your current GPU sells for, e.g. RX 5600 XT (200)"),
	RMCP_OPT('x', "speedup", "X",
	  "how much faster a GPU trains than your CPU; 10-20 unless\n"
	  "measured (15)"),
	RMCP_OPT('C', "cpu-hours", "H",
	  "CPU hours a month you can give to training (200)"),
	RMCP_OPT('m', "months", "N",
	  "horizon for the total cost (12)"),
	RMCP_OPT('j', "json", NULL,
	  "print JSON (schema: docs/advise.schema.json)"),
	RMCP_OPT('s', "sysroot", "DIR",
	  "run the doctor on a snapshot instead of this machine"),
	RMCP_OPT('t', "torch", "DIR",
	  "also judge this PyTorch package; may be repeated"),
	RMCP_OPT('p', "python", "PATH",
	  "also look in this python's site-packages; may be repeated"),
	RMCP_OPT('d', "dmesg", "FILE",
	  "kernel messages for the doctor from FILE"),
	RMCP_OPT('N', "no-doctor", NULL,
	  "do not look at this machine: rank new GPU, cloud and CPU only"),
	RMCP_OPT('n', "no-cache", NULL,
	  "do not use the scan cache"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_advise_help = {
	.name = "advise",
	.usage = rmcp_advise_usage,
	.about =
	"Rank what to do to train PyTorch: use this GPU now, apply the doctor's workaround, install\n"
	"a native build, buy a supported GPU, rent cloud GPUs or train on the CPU, with upfront and\n"
	"monthly cost, total over the horizon and break-even months. Runs `rmcp doctor` first\n"
	"with the machine, PyTorch and kernel-log options below; a free native-build path ranks\n"
	"first when the doctor points to one. Amounts are plain decimals (400, 0.75).\n"
	"\n"
	"options (defaults are 2025 figures):\n",
	.opts = advise_opts,
	.after =
	"\n"
	"exit status: 0 ok; 2 usage error (a negative, non-numeric or out-of-range figure);\n"
	"4 the machine or the output could not be read or written.\n",
	.column = 28,
};

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_advise_help, __VA_ARGS__)

static int amount(const char *opt, const char *arg, double *out)
{
	if (rmcp_advise_parse_amount(arg, out) < 0) {
		usage_error("--%s '%s': expected a non-negative number such as 400 or 0.75", opt, arg);
		return -1;
	}
	return 0;
}

static bool wants_native(const struct rmcp_kb_result *r)
{
	for (size_t i = 0; i < r->n_steps; i++)
		if (strncmp(r->steps[i].def->id, "native-", 7) == 0)
			return true;
	return false;
}

/* Run the doctor and keep what advise needs. Returns 0 or an exit status. */
static int run_doctor(struct rmcp_diag_opts *o, struct rmcp_advise_in *in)
{
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!d) {
		rmcp_error("advise", "out of memory");
		return RMCP_EXIT_IO;
	}
	struct rmcp_err err = { 0 };
	int rc = rmcp_diagnose(o, d, &err);
	if (rc < 0) {
		rmcp_error("advise", "doctor: %s", err.msg[0] ? err.msg : rmcp_strerror(rc));
		rmcp_diagnosis_release(d);
		free(d);
		return RMCP_EXIT_IO;
	}
	in->have_doctor = true;
	in->verdict = d->result.verdict;
	in->have_gpu = d->n_gpus > 0;
	in->native_path = wants_native(&d->result);
	snprintf(in->summary, sizeof(in->summary), "%s", d->result.summary);
	if (d->n_gpus) {
		const char *name = rmcp_facts_get(&d->gpus[0].facts, "gpu.name");
		snprintf(in->gpu, sizeof(in->gpu), "%s (%s)%s", name ? name : "AMD GPU", d->gpus[0].gfx,
			 d->n_gpus > 1 ? " and more" : "");
	}
	rmcp_diagnosis_release(d);
	free(d);
	return 0;
}

int cmd_advise(int argc, char **argv)
{
	struct rmcp_advise_in in;
	rmcp_advise_defaults(&in);
	struct rmcp_diag_opts o = { .envp = environ };
	struct rmcp_machine_args m = { 0 };
	bool json = false, no_doctor = false, no_cache = false;
	int opt, status = RMCP_EXIT_OK;

	struct rmcp_optparse op;
	rmcp_opt_init(&op, &rmcp_advise_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		int taken = rmcp_machine_arg("advise", &m, opt, op.arg);
		if (taken == 0)
			continue;
		if (taken > 0) {
			status = taken;
			goto out;
		}
		double *target = NULL;
		switch (opt) {
		case RMCP_OPT_EXIT:
			status = op.status;
			goto out;
		case 'b':
			target = &in.budget;
			break;
		case 'H':
			target = &in.hours_per_month;
			break;
		case 'c':
			target = &in.cloud_rate;
			break;
		case 'g':
			target = &in.gpu_price;
			break;
		case 'r':
			target = &in.resale;
			break;
		case 'x':
			target = &in.speedup;
			break;
		case 'C':
			target = &in.cpu_hours_max;
			break;
		case 'm':
			target = &in.months;
			break;
		case 'j':
			json = true;
			break;
		case 'N':
			no_doctor = true;
			break;
		case 'n':
			no_cache = true;
			break;
		}
		if (target && amount(rmcp_cmd_option_name(&rmcp_advise_help, opt), op.arg, target) < 0) {
			status = RMCP_EXIT_USAGE;
			goto out;
		}
	}
	o.sysroot = m.sysroot;
	o.dmesg_file = m.dmesg_file;
	/* Ranges first: a bad figure is a usage error before any machine is read. */
	struct rmcp_advise_out res;
	struct rmcp_err err = { 0 };
	if (rmcp_advise_compute(&in, &res, &err) < 0) {
		status = usage_error("%s", err.msg);
		goto out;
	}
	if (rmcp_machine_args_check("advise", &m) < 0) {
		status = RMCP_EXIT_USAGE;
		goto out;
	}
	if (!no_doctor) {
		char cache[4096];
		o.cache_dir = !no_cache && rmcp_cli_cache_dir("advise", cache, sizeof(cache)) ? cache : NULL;
		o.torch_dirs = m.torch.v;
		o.python_paths = m.python.v;
		if ((status = run_doctor(&o, &in)) != 0)
			goto out;
		if (rmcp_advise_compute(&in, &res, &err) < 0) {
			rmcp_error("advise", "%s", err.msg);
			status = RMCP_EXIT_IO;
			goto out;
		}
	}
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	bool color = isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
	if ((json ? rmcp_advise_json(stdout, &in, &res) : rmcp_advise_text(stdout, &in, &res, color)) < 0)
		status = RMCP_EXIT_IO;
	status = rmcp_finish_stdout("advise", status);
out:
	rmcp_machine_args_release(&m);
	return status;
}
