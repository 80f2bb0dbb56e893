/* SPDX-License-Identifier: MIT */
#include "prun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *need(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "test needs %s (set by meson test)\n", name);
		exit(1);	/* a missing input is a failure, never a silent skip */
	}
	return v;
}

static char *rot_buf(void)
{
	static char bufs[8][4096];
	static int i;
	return bufs[i++ & 7];
}

const char *hipbin(const char *name)
{
	char *b = rot_buf();
	if (name[0] == '/')
		snprintf(b, 4096, "%s", name);
	else
		snprintf(b, 4096, "%s/%s", need("RMCP_HIPBIN"), name);
	return b;
}

const char *sysroot_env(const char *name)
{
	char *b = rot_buf();
	snprintf(b, 4096, "RMCP_SYSROOT=%s/%s", need("RMCP_SYSROOTS"), name);
	return b;
}

char *slurp(const char *path)
{
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (!f)
		return strdup("");
	size_t cap = 65536, len = 0;
	char *p = malloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			p = realloc(p, cap *= 2);
		size_t n = fread(p + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	p[len] = '\0';
	fclose(f);
	return p;
}

size_t count_substr(const char *text, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += l)
		n++;
	return n;
}

size_t count_lines_with(const char *text, const char *const *needles)
{
	size_t n = 0;
	const char *line = text;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		bool all = true;
		for (size_t i = 0; needles[i]; i++)
			if (!strstr(copy, needles[i]))
				all = false;
		n += all;
		free(copy);
		line += len + (end ? 1 : 0);
	}
	return n;
}

static void drain(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*len + 4096 >= *cap) {
		*cap = *cap * 2 + 8192;
		*buf = realloc(*buf, *cap);
	}
	ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
	if (n > 0)
		*len += (size_t)n;
}

int spawn_run(char *const argv[], char *const env[], int timeout_s, struct proc_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	size_t ol = 0, oc = 0, el = 0, ec = 0;
	char *ob = NULL, *eb = NULL;
	drain(-1, &ob, &ol, &oc);
	drain(-1, &eb, &el, &ec);
	if (rc == 0) {
		time_t deadline = time(NULL) + (timeout_s > 0 ? timeout_s : 60);
		bool open_o = true, open_e = true, killed = false;
		while (open_o || open_e) {
			struct pollfd p[2] = { { open_o ? po[0] : -1, POLLIN, 0 },
					       { open_e ? pe[0] : -1, POLLIN, 0 } };
			int n = poll(p, 2, 1000);
			if (n < 0 && errno != EINTR)
				break;
			if (time(NULL) > deadline && !killed) {
				kill(pid, SIGKILL);
				killed = true;
			}
			for (int i = 0; i < 2; i++) {
				if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				char **b = i ? &eb : &ob;
				size_t *l = i ? &el : &ol, *c = i ? &ec : &oc;
				size_t before = *l;
				drain(p[i].fd, b, l, c);
				if (*l == before) {
					if (i)
						open_e = false;
					else
						open_o = false;
				}
			}
		}
		int st;
		waitpid(pid, &st, 0);
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	close(po[0]);
	close(pe[0]);
	ob[ol] = '\0';
	eb[el] = '\0';
	r->out = ob;
	r->err = eb;
	return rc == 0 ? 0 : -1;
}

void proc_result_free(struct proc_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static char *tmp_path(const char *tag)
{
	char *p = malloc(256);
	snprintf(p, 256, "/tmp/rmcp-preload-%s-XXXXXX", tag);
	int fd = mkstemp(p);
	if (fd >= 0)
		close(fd);
	unlink(p);	/* the programs create it (O_APPEND); absent = nothing written */
	return p;
}

void run_prog(const struct run_opts *o, struct run *out)
{
	memset(out, 0, sizeof(*out));
	char *record = tmp_path("record"), *log = o->log_file ? tmp_path("log") : NULL;
	char *env[64];
	int n = 0;
	char path_env[4096], rec_env[512], log_env[512], pre_env[4096];
	snprintf(path_env, sizeof(path_env), "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env[n++] = path_env;
	env[n++] = (char *)"LC_ALL=C";
	snprintf(rec_env, sizeof(rec_env), "RMCP_STUB_RECORD=%s", record);
	env[n++] = rec_env;
	if (log) {
		snprintf(log_env, sizeof(log_env), "RMCP_LOG=%s", log);
		env[n++] = log_env;
	}
	if (o->preload || o->preload_value) {
		snprintf(pre_env, sizeof(pre_env), "LD_PRELOAD=%s",
			 o->preload_value ? o->preload_value : need("RMCP_PRELOAD_LIB"));
		env[n++] = pre_env;
	}
	for (size_t i = 0; o->env && o->env[i] && n < 62; i++)
		env[n++] = (char *)o->env[i];
	env[n] = NULL;

	char *argv[64];
	int a = 0;
	argv[a++] = (char *)hipbin(o->prog);
	for (size_t i = 0; o->args && o->args[i] && a < 63; i++)
		argv[a++] = (char *)o->args[i];
	argv[a] = NULL;
	spawn_run(argv, env, o->timeout_s ? o->timeout_s : 60, &out->r);
	out->record = slurp(record);
	out->log = log ? slurp(log) : strdup("");
	unlink(record);
	if (log)
		unlink(log);
	free(record);
	free(log);
}

void run_free(struct run *r)
{
	proc_result_free(&r->r);
	free(r->record);
	free(r->log);
}

void run_dump(const char *what, const struct run *r)
{
	fprintf(stderr, "---- %s: exit %d\n-- stdout:\n%s-- stderr:\n%s-- record:\n%.4000s-- log:\n%.4000s----\n",
		what, r->r.status, r->r.out ? r->r.out : "", r->r.err ? r->r.err : "",
		r->record ? r->record : "", r->log ? r->log : "");
}
