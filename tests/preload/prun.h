/* SPDX-License-Identifier: MIT */
/*
 * Running the test programs of the librmcp.so tests: a fixed, explicit environment (nothing
 * of the caller's leaks in, least of all LD_PRELOAD), stdout and stderr captured separately,
 * the test double's call record and the preload's log read back, a timeout (a hang is a
 * failure, not a stuck test).
 */
#ifndef RMCP_TEST_PRUN_H
#define RMCP_TEST_PRUN_H

#include <stdbool.h>
#include <stddef.h>

struct proc_result {
	char *out, *err;	/* NUL-terminated, free() */
	int status;		/* exit status, 128+signal, or -1 if it could not run */
};

/* Run argv[0] (a path) with exactly env. */
int spawn_run(char *const argv[], char *const env[], int timeout_s, struct proc_result *r);
void proc_result_free(struct proc_result *r);

/* A test run: program, operations, environment. */
struct run {
	struct proc_result r;
	char *record;		/* RMCP_STUB_RECORD contents ("" if none) */
	char *log;		/* RMCP_LOG file contents when log_file was asked for */
};

struct run_opts {
	const char *prog;		/* file name in RMCP_HIPBIN, or an absolute path */
	const char *const *args;	/* NULL-terminated */
	const char *const *env;		/* extra "NAME=value", NULL-terminated, may be NULL */
	bool preload;			/* LD_PRELOAD=librmcp.so */
	const char *preload_value;	/* LD_PRELOAD value instead of librmcp.so */
	bool log_file;			/* RMCP_LOG=<temp file> */
	int timeout_s;			/* 0 = 60 */
};

void run_prog(const struct run_opts *o, struct run *out);
void run_free(struct run *r);

/* Helpers */
const char *need(const char *name);	/* env var that must be set (exit 1 otherwise) */
const char *hipbin(const char *name);	/* path in RMCP_HIPBIN (static buffer, rotates 8) */
const char *sysroot_env(const char *name);	/* "RMCP_SYSROOT=<fixtures>/<name>" (rotates) */
char *slurp(const char *path);		/* whole file or "" (free()) */
size_t count_substr(const char *text, const char *needle);
/* Number of lines of text containing every one of the NULL-terminated needles. */
size_t count_lines_with(const char *text, const char *const *needles);
/* Print a run for the test log when an assertion is about to fail. */
void run_dump(const char *what, const struct run *r);

#endif
