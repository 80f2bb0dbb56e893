/* SPDX-License-Identifier: MIT */
/* The rmcp command table: one file per command, each owning its options and usage text. */
#ifndef RMCP_CMD_H
#define RMCP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit statuses shared by all commands (documented in rmcp(1)). */
enum {
	RMCP_EXIT_OK = 0,
	RMCP_EXIT_FINDING = 1,	/* the command's question was answered "no" (e.g. target missing) */
	RMCP_EXIT_USAGE = 2,
	RMCP_EXIT_NO = 3,	/* doctor: the GPU cannot train (0 yes and 1 workaround come first) */
	RMCP_EXIT_IO = 4,	/* input could not be read, or output could not be written */
};

struct rmcp_cmd_help;

struct rmcp_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const struct rmcp_cmd_help *help;	/* synopsis, options and help text (opts.h) */
};

/* Each command's file defines cmd_<name> and its description rmcp_<name>_help, whose
 * option table drives its parsing, `rmcp <name> --help` and `rmcp help <name>`. */
extern const struct rmcp_cmd_help rmcp_scan_help;
int cmd_scan(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_doctor_help;
int cmd_doctor(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_advise_help;
int cmd_advise(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_probe_help;
int cmd_probe(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_run_help;
int cmd_run(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_env_help;
int cmd_env(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_report_help;
int cmd_report(int argc, char **argv);
extern const struct rmcp_cmd_help rmcp_capture_help;
int cmd_capture(int argc, char **argv);

/* A NULL-terminated list of borrowed strings (repeated options such as --torch DIR). */
struct rmcp_strlist {
	const char **v;
	size_t n;
	char **own;		/* strings the list allocated (made absolute), freed with it */
	size_t n_own;
};
int rmcp_strlist_add(struct rmcp_strlist *l, const char *s);	/* 0 or -ENOMEM */
void rmcp_strlist_free(struct rmcp_strlist *l);

/*
 * --torch DIR and --python PATH name paths on the examined machine, so they are looked up
 * under --sysroot like every other path (symlinks resolved inside it, sysroot.h). On the
 * running machine a relative path is relative to the current directory and is made absolute
 * in the list. A path that is not there (or a --torch that is not a directory) is
 * "rmcp: <cmd>: --torch <path>: not found under --sysroot <root> (looked for <host path>)",
 * plus a hint when it exists on this machine instead; returns -1. 0 if all are there.
 */
int rmcp_check_machine_paths(const char *cmd, const char *sysroot, struct rmcp_strlist *torch,
			     struct rmcp_strlist *python);

/*
 * The options that name the machine doctor, advise, report and capture examine:
 * -s/--sysroot DIR, -t/--torch DIR..., -p/--python PATH..., -d/--dmesg FILE.
 * rmcp_machine_arg stores option opt: 0; not one of them: -1; no memory: the exit status,
 * after saying so on stderr.
 */
struct rmcp_machine_args {
	const char *sysroot, *dmesg_file;
	struct rmcp_strlist torch, python;
};
int rmcp_machine_arg(const char *cmd, struct rmcp_machine_args *m, int opt, const char *arg);
void rmcp_machine_args_release(struct rmcp_machine_args *m);
/* --sysroot is a readable directory, --dmesg a readable file, --torch/--python are there
 * (rmcp_check_machine_paths); else says why on stderr and returns -1. */
int rmcp_machine_args_check(const char *cmd, struct rmcp_machine_args *m);

/*
 * What rmcp run and rmcp env share (rmcp env prints what rmcp run applies): the device mode,
 * the preload's modes and the machine the profile is computed for. RMCP_PROFILE_OPT_ROWS are
 * their common option-table rows (opts.h); rmcp_profile_arg parses those rows and --device,
 * --memory and --guard.
 */
struct rmcp_profile_args {
	int mode;			/* enum rmcp_device_mode, RMCP_DEVICE_AUTO by default */
	const char *memory, *guard, *sysroot;
	struct rmcp_strlist torch, python;
	double timeout;			/* the probe's watchdog, seconds */
	bool no_cache;
};
#define RMCP_PROFILE_OPT_ROWS                                                              \
	RMCP_OPT('s', "sysroot", "DIR", "read the machine under DIR instead of /"),         \
	RMCP_OPT('t', "torch", "DIR",                                                       \
		 "also judge the PyTorch package in DIR (as rmcp doctor --torch)"),         \
	RMCP_OPT('p', "python", "PATH",                                                     \
		 "also look in this python's site-packages (as rmcp doctor)"),              \
	RMCP_LONG_OPT('P', "probe-timeout", "S", "the probe's watchdog in seconds (default 120)"), \
	RMCP_OPT('n', "no-cache", NULL, "probe again instead of using a cached probe")
void rmcp_profile_args_init(struct rmcp_profile_args *a);
void rmcp_profile_args_release(struct rmcp_profile_args *a);
/* Store option opt of cmd ('d', 'm', 'g' and the RMCP_PROFILE_OPT_ROWS keys) in a: 0; not one
 * of them: -1; a bad value or no memory: the exit status, after saying why on stderr. */
int rmcp_profile_arg(const struct rmcp_cmd_help *cmd, struct rmcp_profile_args *a, int opt,
		     const char *arg);

/* dir exists and is a directory (--sysroot, --torch); else "rmcp: <cmd>: <opt> <dir>: why"
 * on stderr and -1. */
int rmcp_check_dir(const char *cmd, const char *opt, const char *dir);

/*
 * The user's cache directory (cache.h: $XDG_CACHE_HOME/rmcp) if there is one rmcp may use:
 * absent (created when first written) or a directory of the user's that nobody else can
 * write (fsutil.h). Otherwise one warning on stderr, the first time only, and false: the
 * command runs without the cache.
 */
bool rmcp_cli_cache_dir(const char *cmd, char *buf, size_t cap);

/* If a probe was interrupted by SIGINT, SIGTERM or SIGHUP (probe.h), end rmcp with that
 * signal, as the shell expects of an interrupted command; else return. */
void rmcp_cli_end_if_interrupted(void);

/* Print "rmcp: <cmd>: message" to stderr. */
void rmcp_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where the document docs/NAME is: installed (a schema under $datadir/rmcp/schemas, any other
 * doc under $datadir/doc/rmcp, or NAME.gz there as Debian compresses it) if this rmcp's
 * installed copy exists, else "docs/NAME" as in the source tree. Returns buf. */
const char *rmcp_doc_path(const char *name, char *buf, size_t cap);

/* Rewrite every "docs/NAME" in text (cap bytes) to rmcp_doc_path(NAME): help and fix texts
 * cite the files the user has. Text that would not fit is left as it was. */
void rmcp_doc_cite(char *text, size_t cap);

/* rmcp_doc_cite over a diagnosis' summary, findings and next steps (fix texts cite
 * docs/root-cause.md and the like). */
struct rmcp_kb_result;
void rmcp_doc_cite_result(struct rmcp_kb_result *r);

/* fputs(text, out) after rmcp_doc_cite: every command's --help goes through here. */
void rmcp_help_print(FILE *out, const char *text);

/* The probe's progress on stderr when it is a terminal (issue 12): pass rmcp_progress_step
 * and the struct as rmcp_probe_opts.progress/progress_ctx; end clears the line. */
struct rmcp_progress {
	const char *cmd;
	double timeout_s;
	int tty, shown;
};
void rmcp_progress_init(struct rmcp_progress *p, const char *cmd, double timeout_s);
void rmcp_progress_step(void *ctx, int step, double elapsed_s);
void rmcp_progress_end(struct rmcp_progress *p);

/* Flush stdout and report a write error (git's "check stdout at exit"). */
int rmcp_finish_stdout(const char *cmd, int status);

#endif
