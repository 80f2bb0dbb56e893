/* SPDX-License-Identifier: MIT */
/* rmcp env: the profile `rmcp run` applies, as shell lines or JSON (src/lib/kb/profile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache.h"
#include "cmd.h"
#include "opts.h"
#include "report_probe.h"
#include "report_profile.h"
#include "report.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_env_usage[] = {
	"rmcp env [--device auto|gpu|cpu] [--json] [--shell sh|fish] [--memory MODE] [--guard MODE]",
	"         [--sysroot DIR] [--torch DIR] [--python PATH] [--probe-timeout S] [--no-cache]",
	NULL,
};

static const struct rmcp_opt env_opts[] = {
	RMCP_OPT('d', "device", "MODE",
	  "auto (default): probe the GPU under the profile (cached) and\n"
	  "print the CPU profile if it fails; gpu; cpu (as rmcp run)"),
	RMCP_OPT('j', "json", NULL,
	  "print JSON (schema: docs/run.schema.json)"),
	RMCP_OPT('S', "shell", "SHELL",
	  "sh (default: POSIX sh, bash, zsh) or fish"),
	RMCP_OPT('m', "memory", "MODE",
	  "librmcp.so memory policy: default, noncoherent or coarse"),
	RMCP_OPT('g', "guard", "MODE",
	  "librmcp.so guard: block (default), warn, or off (no preload)"),
	RMCP_PROFILE_OPT_ROWS,
	{ 0 },
};

const struct rmcp_cmd_help rmcp_env_help = {
	.name = "env",
	.usage = rmcp_env_usage,
	.about =
	"Print the environment `rmcp run` would give a command, as shell lines for your own\n"
	"scripts, job scripts and shell prologs (Slurm): `export NAME='value'` and\n"
	"`unset NAME` (fish: set -gx / set -e), each after a comment with the rule and why.\n"
	"Values are computed from the environment rmcp env runs in (LD_PRELOAD keeps what\n"
	"was there). Usage: eval \"$(rmcp env)\". In a systemd unit, let rmcp apply it:\n"
	"ExecStart=/usr/bin/rmcp run -- CMD.\n"
	"\n"
	"options:\n",
	.opts = env_opts,
	.after =
	"\n"
	"exit status: 0 printed; 2 usage error; 4 the machine could not be read or the output\n"
	"not written.\n",
};

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_env_help, __VA_ARGS__)

static int print_json(const struct rmcp_profile *p, enum rmcp_device_mode mode,
		      const struct rmcp_probe_result *probe)
{
	json_object *j = json_object_new_object();
	json_object *prof = rmcp_profile_json(p);
	json_object *pj = probe ? rmcp_probe_json(probe) : NULL;
	if (!j || !prof || (probe && !pj)) {
		json_object_put(j);
		json_object_put(prof);
		json_object_put(pj);
		return -ENOMEM;
	}
	json_object_object_add(j, "device_requested", json_object_new_string(rmcp_device_mode_name(mode)));
	json_object_object_add(j, "profile", prof);
	json_object_object_add(j, "probe", pj);
	return rmcp_report_json(stdout, j);
}

int cmd_env(int argc, char **argv)
{
	enum rmcp_shell shell = RMCP_SHELL_SH;
	bool json = false;
	struct rmcp_profile_args args;
	rmcp_profile_args_init(&args);
	int opt, status = RMCP_EXIT_USAGE;
	struct rmcp_profile *p = NULL;
	struct rmcp_probe_result *probe = NULL;
	struct rmcp_optparse op;
	rmcp_opt_init(&op, &rmcp_env_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		switch (opt) {
		case RMCP_OPT_EXIT:
			status = op.status;
			goto out;
		case 'j':
			json = true;
			break;
		case 'S':
			if (rmcp_shell_parse(op.arg, &shell) < 0) {
				status = usage_error("--shell '%s': expected sh or fish", op.arg);
				goto out;
			}
			break;
		default: {
			int rc = rmcp_profile_arg(&rmcp_env_help, &args, opt, op.arg);
			if (rc > 0) {
				status = rc;
				goto out;
			}
			break;
		}
		}
	}
	if (args.sysroot && rmcp_check_dir("env", "--sysroot", args.sysroot) < 0)
		goto out;
	if (rmcp_check_machine_paths("env", args.sysroot, &args.torch, &args.python) < 0)
		goto out;
	char preload[4096], cache[4096];
	bool have_preload = rmcp_preload_find(environ, preload, sizeof(preload)) == 0;
	bool have_cache = rmcp_cli_cache_dir("env", cache, sizeof(cache));
	struct rmcp_profile_opts po = {
		.sysroot = args.sysroot,
		.envp = environ,
		.torch_dirs = args.torch.v,
		.python_paths = args.python.v,
		.cache_dir = have_cache ? cache : NULL,
		.preload = have_preload ? preload : NULL,
		.guard = args.guard,
		.memory = args.memory,
	};
	struct rmcp_profile_auto pa = {
		.mode = (enum rmcp_device_mode)args.mode,
		.timeout_s = args.timeout,
		.use_cache = !args.no_cache,
		.cache_dir = have_cache ? cache : NULL,
		.progress = rmcp_progress_step,
	};
	struct rmcp_progress prog;
	rmcp_progress_init(&prog, "env", args.timeout);
	pa.progress_ctx = &prog;
	p = calloc(1, sizeof(*p));
	probe = calloc(1, sizeof(*probe));
	status = RMCP_EXIT_IO;
	if (!p || !probe) {
		rmcp_error("env", "out of memory");
		goto out;
	}
	struct rmcp_err err = { 0 };
	bool probed = false;
	int rrc = rmcp_profile_resolve(&po, &pa, p, probe, &probed, &err);
	rmcp_progress_end(&prog);
	if (rrc < 0) {
		rmcp_error("env", "%s", err.msg[0] ? err.msg : rmcp_strerror(err.code));
		rmcp_cli_end_if_interrupted();
		goto out;
	}
	if (p->kind == RMCP_PROFILE_GPU && !have_preload && (!args.guard || strcmp(args.guard, "off") != 0))
		rmcp_error("env", "librmcp.so not found next to rmcp (set RMCP_PRELOAD): no LD_PRELOAD line");
	for (size_t i = 0; i < p->n_vars; i++)	/* "(docs/memory-policy.md)": where it is installed */
		rmcp_doc_cite(p->vars[i].why, sizeof(p->vars[i].why));
	int rc = json ? print_json(p, (enum rmcp_device_mode)args.mode, probed ? probe : NULL) : rmcp_profile_write_shell(stdout, p, shell);
	if (rc < 0) {
		rmcp_error("env", "%s", rmcp_strerror(rc));
		goto out;
	}
	status = rmcp_finish_stdout("env", RMCP_EXIT_OK);
out:
	free(p);
	free(probe);
	rmcp_profile_args_release(&args);
	return status;
}
