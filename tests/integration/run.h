/* SPDX-License-Identifier: MIT */
/* Test helper: run a program and capture its standard output. */
#ifndef RMCP_TEST_RUN_H
#define RMCP_TEST_RUN_H

#include <stddef.h>

struct run_result {
	char *out;	/* stdout, NUL-terminated (free()) */
	size_t len;
	int status;	/* exit status, or 128+signal */
};

/* argv[0] is looked up in PATH unless it contains '/'. stdin is /dev/null; stderr goes to
 * err_path if non-NULL, else is inherited. Returns 0, or -1 if the program could not run. */
int run_capture(char *const argv[], const char *err_path, struct run_result *r);

/* Run argv with stdin and stdout on /dev/null and stderr on a pseudo-terminal (on_tty) or a
 * pipe; returns everything written to stderr (NUL-terminated, free()). Fails the test if the
 * program cannot be started. */
char *run_stderr(char *const argv[], int on_tty);

/* Environment variable that must be set for the test to make sense. */
const char *need_env(const char *name);

#endif
