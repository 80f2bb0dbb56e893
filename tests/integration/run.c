/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int run_capture(char *const argv[], const char *err_path, struct run_result *r)
{
	int fds[2];
	memset(r, 0, sizeof(*r));
	if (pipe(fds) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (err_path)
		posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -1;
	}
	size_t cap = 65536;
	r->out = malloc(cap);
	for (;;) {
		if (r->len + 1 >= cap) {
			cap *= 2;
			r->out = realloc(r->out, cap);
		}
		ssize_t n = read(fds[0], r->out + r->len, cap - r->len - 1);
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	r->out[r->len] = '\0';
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

const char *need_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "test needs %s (set by meson test)\n", name);
		exit(1);	/* a missing oracle is a failure, never a silent skip */
	}
	return v;
}

char *run_stderr(char *const argv[], int on_tty)
{
	int master = -1, slave = -1, p[2] = { -1, -1 };
	if (on_tty ? openpty(&master, &slave, NULL, NULL, NULL) != 0 : pipe(p) != 0) {
		perror("run_stderr");
		abort();
	}
	int rd = on_tty ? master : p[0], wr = on_tty ? slave : p[1];
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(wr, 2);
		close(rd);
		execv(argv[0], argv);
		_exit(127);
	}
	close(wr);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	for (;;) {
		ssize_t n = read(rd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* EIO on the pty master once the child has gone */
		len += (size_t)n;
		if (len >= cap - 1)
			break;
	}
	buf[len] = '\0';
	close(rd);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return buf;
}
