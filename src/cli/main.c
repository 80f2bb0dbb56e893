/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "version.h"
#include "banned.h"

static const struct rmcp_cmd commands[] = {
	{ "scan", cmd_scan, "list the AMD GPU targets that files, wheels and ROCm installs contain code for",
	  rmcp_scan_usage },
	{ "doctor", cmd_doctor, "say whether this machine can train PyTorch on its AMD GPU now, why, and what next",
	  rmcp_doctor_usage },
	{ "advise", cmd_advise, "rank this GPU, a native build, a new GPU, the cloud and the CPU by cost",
	  rmcp_advise_usage },
	{ "probe", cmd_probe, "prove the GPU computes: HIP memory round trips and a MIOpen convolution, under a watchdog",
	  rmcp_probe_usage },
	{ "run", cmd_run, "run a command with the environment the diagnosis calls for, on the CPU if the GPU cannot work",
	  rmcp_run_usage },
	{ "env", cmd_env, "print the environment `rmcp run` applies, as shell export/unset lines or JSON",
	  rmcp_env_usage },
};

void rmcp_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rmcp: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int rmcp_finish_stdout(const char *cmd, int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rmcp_error(cmd, "error writing output: %s", strerror(errno ? errno : EIO));
		return RMCP_EXIT_IO;
	}
	return status;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: rmcp <command> [options] [args]\n\n"
		     "rmcp reads your machine, your ROCm and PyTorch installs and the GPU code inside\n"
		     "them, and says what will fail on older AMD GPUs and why.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nrun 'rmcp <command> --help' for a command's options; see rmcp(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RMCP_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return rmcp_finish_stdout(NULL, RMCP_EXIT_OK);
	}
	if (strcmp(name, "--version") == 0) {
		printf("rmcp %s\n", RMCP_VERSION);
		return rmcp_finish_stdout(NULL, RMCP_EXIT_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	rmcp_error(NULL, "'%s' is not a command; run 'rmcp --help'", name);
	return RMCP_EXIT_USAGE;
}
