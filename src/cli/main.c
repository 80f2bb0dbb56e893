/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildinfo.h"
#include "cmd.h"
#include "opts.h"
#include "version.h"
#include "names.h"
#include "report.h"
#include "banned.h"

static const struct rmcp_cmd commands[] = {
	{ "scan", cmd_scan, "list the AMD GPU targets that files, wheels and ROCm installs contain code for",
	  &rmcp_scan_help },
	{ "doctor", cmd_doctor, "say whether this machine can train PyTorch on its AMD GPU now, why, and what next",
	  &rmcp_doctor_help },
	{ "advise", cmd_advise, "rank this GPU, a native build, a new GPU, the cloud and the CPU by cost",
	  &rmcp_advise_help },
	{ "probe", cmd_probe, "prove the GPU computes: HIP memory round trips and a MIOpen convolution, under a watchdog",
	  &rmcp_probe_help },
	{ "run", cmd_run, "run a command with the environment the diagnosis calls for, on the CPU if the GPU cannot work",
	  &rmcp_run_help },
	{ "env", cmd_env, "print the environment `rmcp run` applies, as shell export/unset lines or JSON",
	  &rmcp_env_help },
	{ "report", cmd_report, "print the diagnosis as Markdown to paste into a ROCm or PyTorch issue",
	  &rmcp_report_help },
	{ "capture", cmd_capture, "pack what doctor reads into a .tar.gz that doctor --sysroot reads back",
	  &rmcp_capture_help },
};

/* Messages name paths and other input: one line, control characters escaped (names.h). */
void rmcp_error(const char *cmd, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	fprintf(stderr, "rmcp: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rmcp_fput_name(stderr, msg);
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

/* The first line stays "rmcp VERSION" for scripts; then what the results depend on. */
static void version(FILE *out)
{
	const struct rmcp_build_feature *f;
	size_t n = rmcp_build_features(&f);
	fprintf(out, "rmcp %s\nbuild features:\n", RMCP_VERSION);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-11s %-3s  %s\n", f[i].name, f[i].built_in ? "yes" : "no", f[i].what);
	fprintf(out, "data:\n");
	for (unsigned i = 0; i < rmcp_n_data_versions; i++)
		fprintf(out, "  %-11s %s (%s)\n", rmcp_data_versions[i].name, rmcp_data_versions[i].version,
			rmcp_data_versions[i].what);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: rmcp <command> [options] [args]\n\n"
		     "rmcp reads your machine, your ROCm and PyTorch installs and the GPU code inside\n"
		     "them, and says what will fail on older AMD GPUs and why.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nrun 'rmcp help <command>' or 'rmcp <command> --help' for a command's options;\n"
		     "see rmcp(1).\n");
}

static const struct rmcp_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* git's "did you mean": the commands within two typos of name (a swap of neighbours is one). */
static int unknown_command(const char *name)
{
	unsigned best = 3;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		unsigned d = rmcp_edit_distance(name, commands[i].name, 3);
		if (d < best)
			best = d;
	}
	/* Two typos in a three-letter word is a different word ("run" vs "fun" is fine). */
	if (best == 3 || best * 2 > strlen(name)) {
		rmcp_error(NULL, "'%s' is not a command; run 'rmcp --help'", name);
		return RMCP_EXIT_USAGE;
	}
	rmcp_error(NULL, "'%s' is not a command; did you mean:", name);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (rmcp_edit_distance(name, commands[i].name, 3) == best)
			fprintf(stderr, "  rmcp %s\n", commands[i].name);
	return RMCP_EXIT_USAGE;
}

/* rmcp help [CMD]: the top-level help, or CMD's own (the same text as rmcp CMD --help). */
static int help(int argc, char **argv)
{
	if (argc < 3) {
		usage(stdout);
		return rmcp_finish_stdout(NULL, RMCP_EXIT_OK);
	}
	if (argc > 3) {
		rmcp_error("help", "unexpected argument '%s'", argv[3]);
		fprintf(stderr, "usage: rmcp help [COMMAND]\n");
		return RMCP_EXIT_USAGE;
	}
	const struct rmcp_cmd *c = find_command(argv[2]);
	if (!c)
		return unknown_command(argv[2]);
	rmcp_cmd_print_help(c->help, stdout);
	return rmcp_finish_stdout(c->name, RMCP_EXIT_OK);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RMCP_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return rmcp_finish_stdout(NULL, RMCP_EXIT_OK);
	}
	if (strcmp(name, "help") == 0)
		return help(argc, argv);
	if (strcmp(name, "--version") == 0) {
		version(stdout);
		return rmcp_finish_stdout(NULL, RMCP_EXIT_OK);
	}
	const struct rmcp_cmd *c = find_command(name);
	/* One command, one document, then exit: the OS frees it faster than json-c would. */
	rmcp_report_json_keep(true);
	if (c)
		return c->fn(argc - 1, argv + 1);
	return unknown_command(name);
}
