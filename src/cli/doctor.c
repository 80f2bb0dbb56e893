/* SPDX-License-Identifier: MIT */
/* rmcp doctor: can this machine train PyTorch on its AMD GPU now, why, and what next? */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cmd.h"
#include "fsutil.h"
#include "opts.h"
#include "report_doctor.h"
#include "verdict.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_doctor_usage[] = {
	"rmcp doctor [--sysroot DIR] [--torch DIR]... [--python PATH]... [--dmesg FILE]",
	"            [--json | --format text|json|prometheus] [--output FILE] [--no-cache] [--verbose]",
	NULL,
};

static const struct rmcp_opt doctor_opts[] = {
	RMCP_OPT('s', "sysroot", "DIR",
	  "read the machine under DIR instead of / (a captured snapshot, such\n"
	  "as build/examples/rx5600xt); the live kernel log is then not read"),
	RMCP_OPT('t', "torch", "DIR",
	  "also judge the PyTorch package in DIR (.../site-packages/torch);\n"
	  "may be repeated; with --sysroot, a path inside the sysroot"),
	RMCP_OPT('p', "python", "PATH",
	  "also look in the site-packages of this python (not run); may be\n"
	  "repeated; with --sysroot, a path inside the sysroot"),
	RMCP_OPT('d', "dmesg", "FILE",
	  "read kernel messages from FILE (saved `dmesg` output) instead of\n"
	  "the live kernel log (/dev/kmsg, syslog, then journalctl -k -b);\n"
	  "when none is readable the finding log-unreadable says so"),
	RMCP_OPT('j', "json", NULL,
	  "print JSON (schema: docs/doctor.schema.json); same as --format json"),
	RMCP_OPT('f', "format", "FMT",
	  "text (default), json, or prometheus (node_exporter textfile format)"),
	RMCP_OPT('o', "output", "FILE",
	  "write the report to FILE atomically (temporary file, then rename),\n"
	  "as node_exporter's textfile collector needs; FILE must be absent\n"
	  "or a regular file (not a link, device or FIFO); - is stdout"),
	RMCP_OPT('n', "no-cache", NULL,
	  "scan every library again instead of using the scan cache\n"
	  "($XDG_CACHE_HOME/rmcp, keyed by path, size and mtime)"),
	RMCP_OPT('v', "verbose", NULL,
	  "text: also every library judged, every fix, and every fact"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_doctor_help = {
	.name = "doctor",
	.usage = rmcp_doctor_usage,
	.about =
	"Say whether this machine can train PyTorch on its AMD GPU now (yes, workaround or no),\n"
	"why, and what to do next. Reads sysfs, /dev access, the kernel log, the environment\n"
	"(HSA_OVERRIDE_GFX_VERSION, *_VISIBLE_DEVICES, ...), the installed ROCm and PyTorch and\n"
	"the GPU code inside them. Needs no GPU runtime and never opens /dev/kfd.\n"
	"\n"
	"options:\n",
	.opts = doctor_opts,
	.after =
	"\n"
	"exit status: 0 yes, the GPU can train now; 1 workaround, it can after the next steps;\n"
	"2 usage error; 3 no; 4 the machine or the output could not be read or written.\n",
};

enum format { FMT_TEXT, FMT_JSON, FMT_PROMETHEUS };

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_doctor_help, __VA_ARGS__)

static int render(FILE *out, enum format fmt, const struct rmcp_diagnosis *d, bool verbose)
{
	if (fmt == FMT_JSON)
		return rmcp_report_doctor_json(out, d);
	if (fmt == FMT_PROMETHEUS)
		return rmcp_report_doctor_prometheus(out, d);
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	struct rmcp_text_style st = {
		.color = out == stdout && isatty(STDOUT_FILENO) && !(nc && *nc) &&
			 !(term && strcmp(term, "dumb") == 0),
		.verbose = verbose,
	};
	return rmcp_report_doctor_text(out, d, &st);
}

/* Finish a report opened with rmcp_safe_open (fsutil.h: a temporary file in the target's
 * directory, fsync, rename), so a collector never reads half a file. */
static int render_file(struct rmcp_safe_file *sf, const char *path, enum format fmt,
		       const struct rmcp_diagnosis *d, bool verbose)
{
	int rc = render(sf->f, fmt, d, verbose);
	if (rc < 0)
		rmcp_safe_abort(sf);
	else
		rc = rmcp_safe_commit(sf);
	if (rc < 0)
		rmcp_error("doctor", "writing %s: %s", path, rmcp_strerror(rc));
	return rc;
}

static int parse_format(const char *s, enum format *fmt)
{
	if (strcmp(s, "text") == 0)
		*fmt = FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*fmt = FMT_JSON;
	else if (strcmp(s, "prometheus") == 0)
		*fmt = FMT_PROMETHEUS;
	else
		return -1;
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	struct rmcp_diag_opts o = { .envp = environ };
	struct rmcp_machine_args m = { 0 };
	enum format fmt = FMT_TEXT;
	bool json_flag = false, format_set = false, no_cache = false, verbose = false;
	const char *output = NULL;
	int opt, status = RMCP_EXIT_USAGE;

	struct rmcp_optparse op;
	rmcp_opt_init(&op, &rmcp_doctor_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		int taken = rmcp_machine_arg("doctor", &m, opt, op.arg);
		if (taken == 0)
			continue;
		if (taken > 0) {
			status = taken;
			goto out;
		}
		switch (opt) {
		case RMCP_OPT_EXIT:
			status = op.status;
			goto out;
		case 'j':
			json_flag = true;
			break;
		case 'f':
			if (parse_format(op.arg, &fmt) < 0) {
				status = usage_error("--format '%s': expected text, json or prometheus", op.arg);
				goto out;
			}
			format_set = true;
			break;
		case 'o':
			output = op.arg;
			break;
		case 'n':
			no_cache = true;
			break;
		case 'v':
			verbose = true;
			break;
		}
	}
	o.sysroot = m.sysroot;
	o.dmesg_file = m.dmesg_file;
	if (json_flag && format_set && fmt != FMT_JSON) {
		status = usage_error("--json and --format %s conflict", fmt == FMT_TEXT ? "text" : "prometheus");
		goto out;
	}
	if (json_flag)
		fmt = FMT_JSON;
	if (rmcp_machine_args_check("doctor", &m) < 0) {
		status = RMCP_EXIT_USAGE;
		goto out;
	}
	char cache[4096];
	o.cache_dir = !no_cache && rmcp_cli_cache_dir("doctor", cache, sizeof(cache)) ? cache : NULL;
	o.torch_dirs = m.torch.v;
	o.python_paths = m.python.v;

	/* The output is checked (and its temporary file made) before minutes of scanning. */
	struct rmcp_safe_file sf;
	int rc;
	if (output && (rc = rmcp_safe_open(&sf, output, 0666, true)) < 0) {
		rmcp_error("doctor", "--output %s: %s", output, rmcp_strerror(rc));
		status = RMCP_EXIT_IO;
		goto out;
	}
	/* Tens of KiB of facts: on the heap (sysfs.h). */
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!d) {
		rmcp_error("doctor", "out of memory");
		status = RMCP_EXIT_IO;
		if (output)
			rmcp_safe_abort(&sf);
		goto out;
	}
	struct rmcp_err err = { 0 };
	rc = rmcp_diagnose(&o, d, &err);
	if (rc < 0) {
		if (output)
			rmcp_safe_abort(&sf);
		rmcp_error("doctor", "%s", err.msg[0] ? err.msg : rmcp_strerror(rc));
		status = RMCP_EXIT_IO;
	} else {
		/* The scan cache is an optimisation: one line when it could not be used. */
		for (size_t i = 0; i < d->n_stacks; i++)
			if (d->stacks[i] && d->stacks[i]->cache_error[0]) {
				rmcp_error("doctor", "warning: %s", d->stacks[i]->cache_error);
				break;
			}
		status = rmcp_verdict_exit_code(d->result.verdict);
		rmcp_doc_cite_result(&d->result);
		if (output) {
			if (render_file(&sf, output, fmt, d, verbose) < 0)
				status = RMCP_EXIT_IO;
		} else if (render(stdout, fmt, d, verbose) < 0) {
			status = RMCP_EXIT_IO;
		}
		status = rmcp_finish_stdout("doctor", status);
	}
	rmcp_diagnosis_release(d);
	free(d);
out:
	rmcp_machine_args_release(&m);
	return status;
}
