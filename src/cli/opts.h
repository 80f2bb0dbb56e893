/* SPDX-License-Identifier: MIT */
/*
 * One table of options per command (curl's habit: each option documented once). A command
 * describes itself in a struct rmcp_cmd_help: synopsis lines, the text before and after the
 * options, and a table of options with their help. From that one description come the
 * getopt_long input, `rmcp CMD --help` / `rmcp help CMD`, -h for every command, and the
 * usage errors ("option '--x' needs a value", "unknown option", "unexpected argument").
 */
#ifndef RMCP_OPTS_H
#define RMCP_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct rmcp_opt {
	int key;		/* the short letter, also what rmcp_opt_next returns */
	const char *name;	/* the long name, without "--" */
	const char *arg;	/* the argument's name in the help ("DIR"), NULL for a flag */
	const char *help;	/* '\n' starts a continuation line */
	bool long_only;		/* key is not accepted as a short option */
};

struct rmcp_cmd_help {
	const char *name;		/* "scan" */
	const char *const *usage;	/* synopsis lines, NULL-terminated (the man page test) */
	const char *about;		/* text before the options, ending with their title line */
	const struct rmcp_opt *opts;	/* ends with { 0 }; -h/--help is added to every command */
	const char *after;		/* text after the options: exit statuses */
	int column;			/* where option help starts; 0 = 22 */
	int usage_status;		/* exit status of a usage error; 0 = RMCP_EXIT_USAGE */
	bool operands;			/* takes operands (PATH..., CMD); else one is an error */
	bool stop_at_operand;		/* options end at the first operand (rmcp run CMD -x) */
};

/* Table rows: RMCP_OPT('s', "sysroot", "DIR", "help") accepts -s and --sysroot;
 * RMCP_LONG_OPT('P', "probe-timeout", "S", "help") only --probe-timeout. */
#define RMCP_OPT(k, n, a, h) { .key = (k), .name = (n), .arg = (a), .help = (h) }
#define RMCP_LONG_OPT(k, n, a, h) { .key = (k), .name = (n), .arg = (a), .help = (h), .long_only = true }

enum { RMCP_OPT_MAX = 32 };

struct rmcp_optparse {
	const struct rmcp_cmd_help *cmd;
	int argc;
	char **argv;
	int ind;		/* after RMCP_OPT_END: the first operand */
	const char *arg;	/* the argument of the option just returned, or NULL */
	int status;		/* after RMCP_OPT_EXIT: the command's exit status */
	struct option longopts[RMCP_OPT_MAX + 2];
	char shortopts[3 * RMCP_OPT_MAX + 8];
};

enum {
	RMCP_OPT_END = -1,	/* no more options: operands start at p->ind */
	RMCP_OPT_EXIT = -2,	/* help printed or usage error reported: return p->status */
};

/* Start parsing argv (argv[0] is the command's name). */
void rmcp_opt_init(struct rmcp_optparse *p, const struct rmcp_cmd_help *cmd, int argc, char **argv);
/* The next option's key (its argument in p->arg), RMCP_OPT_END or RMCP_OPT_EXIT. */
int rmcp_opt_next(struct rmcp_optparse *p);

/* The full help: "usage: ..." lines, about, the options, after. */
void rmcp_cmd_print_help(const struct rmcp_cmd_help *cmd, FILE *out);
/* "rmcp: CMD: message" and "usage: <first synopsis line>" on stderr; returns the command's
 * usage exit status. */
int rmcp_cmd_usage_error(const struct rmcp_cmd_help *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The long name for key ("budget" for 'b'), for messages; "?" if the table has no such key. */
const char *rmcp_cmd_option_name(const struct rmcp_cmd_help *cmd, int key);

/* Levenshtein distance of a and b, capped at cap (for "did you mean"). */
unsigned rmcp_edit_distance(const char *a, const char *b, unsigned cap);

#endif
