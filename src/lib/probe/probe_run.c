/* SPDX-License-Identifier: MIT */
/*
 * The probe's parent side: fork the child into its own process group, watch it, kill the
 * whole group when the watchdog fires, reap it, classify (probe.h).
 *
 * Why a process group: a runtime that hangs may have started helpers (and a test double
 * does, on purpose); killing the group leaves nothing behind. The group is killed while the
 * child is still unreaped (a zombie keeps its pid, so the group id cannot have been reused).
 * Why PR_SET_PDEATHSIG: if rmcp itself is killed (Ctrl-C) the child must not live on.
 * This is the one place in src/lib that forks; the child calls _exit, never exit, so
 * nothing of the parent's (stdio buffers, atexit handlers) runs twice.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

extern char **environ;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void child_main(const struct rmcp_probe_opts *o, int rec, int out, pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
	/* Default dispositions: the parent may ignore or catch signals the runtime relies on. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0);
	/* The runtime reports faults on stderr, some libraries on stdout: both are watched. */
	dup2(out, 1);
	dup2(out, 2);
	if (o->envp)
		environ = (char **)o->envp;
	rmcp_probe_child(&o->libs, o->device, rec);
	_exit(0);
}

struct lines {
	char buf[2048];
	size_t len;
	bool overlong;
};

static void feed_records(struct lines *l, const char *data, size_t n, struct rmcp_probe_result *r)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			if (!l->overlong)
				rmcp_probe_record_parse(l->buf, l->len, r);	/* a bad record is dropped */
			l->len = 0;
			l->overlong = false;
		} else if (l->len + 1 < sizeof(l->buf)) {
			l->buf[l->len++] = data[i];
		} else {
			l->overlong = true;
		}
	}
}

static bool exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Read both pipes until both are closed or the deadline passes. Returns true on timeout.
 * Once the records are closed and the child has exited, its output gets a short grace
 * period: a helper it left behind may hold the output pipe open forever. */
/* The step under way: the last one begun and not ended, else the one after the last ended. */
static int current_step(const struct rmcp_probe_result *r)
{
	int cur = -1;
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		if (r->steps[i].begun && !r->steps[i].ended)
			return i;
		if (r->steps[i].ended)
			cur = i + 1 < RMCP_PROBE_N_STEPS ? i + 1 : i;
	}
	return cur;
}

static bool watch(const struct rmcp_probe_opts *o, pid_t pid, int rec, int out, double start, double deadline,
		  struct rmcp_probe_result *r, struct rmcp_sigscan *scan)
{
	struct pollfd p[2] = { { rec, POLLIN, 0 }, { out, POLLIN, 0 } };
	struct lines l = { .len = 0 };
	char buf[4096];
	bool grace = false;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (!grace && p[0].fd < 0 && exited(pid)) {
			grace = true;
			if (deadline > now_s() + 0.2)
				deadline = now_s() + 0.2;
		}
		double left = deadline - now_s();
		if (left <= 0)
			return !grace;
		if (p[0].fd < 0 && !grace && left > 0.05)
			left = 0.05;	/* look at the child again soon */
		if (o->progress) {
			o->progress(o->progress_ctx, current_step(r), now_s() - start);
			if (left > 0.25)
				left = 0.25;
		}
		int rc = poll(p, 2, (int)(left * 1000) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return false;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				continue;
			}
			if (i == 0)
				feed_records(&l, buf, (size_t)n, r);
			else
				rmcp_sigscan_feed(scan, buf, (size_t)n);
		}
	}
	return false;
}

/* Wait for the child to end, without reaping it, until the deadline. */
static bool wait_exit(pid_t pid, double deadline)
{
	for (;;) {
		if (exited(pid))
			return true;
		if (now_s() >= deadline)
			return false;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int rmcp_probe_run(const struct rmcp_probe_opts *o, struct rmcp_probe_result *r,
		   struct rmcp_err *err)
{
	rmcp_probe_result_init(r);
	r->device = o->device;
	r->timeout_s = o->timeout_s;
	snprintf(r->source, sizeof(r->source), "%s", o->libs.source);
	int rec[2], out[2];
	if (pipe2(rec, O_CLOEXEC) != 0)
		return rmcp_err_set(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) != 0) {
		int e = errno;
		close(rec[0]);
		close(rec[1]);
		return rmcp_err_set(err, -e, "pipe: %s", strerror(e));
	}
	fflush(NULL);
	pid_t parent = getpid();
	double start = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(rec[0]);
		close(rec[1]);
		close(out[0]);
		close(out[1]);
		return rmcp_err_set(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(rec[0]);
		close(out[0]);
		child_main(o, rec[1], out[1], parent);
	}
	setpgid(pid, pid);	/* also here: no window where the group does not exist yet */
	close(rec[1]);
	close(out[1]);
	double deadline = start + (o->timeout_s > 0 ? o->timeout_s : 1e9);
	struct rmcp_sigscan scan;
	rmcp_sigscan_init(&scan);
	bool timed_out = watch(o, pid, rec[0], out[0], start, deadline, r, &scan);
	if (!timed_out)
		timed_out = !wait_exit(pid, deadline);
	/* Whatever happened, nothing of the group survives the probe. */
	kill(-pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(rec[0]);
	close(out[0]);
	rmcp_sigscan_end(&scan);
	r->elapsed_s = now_s() - start;
	r->timed_out = timed_out;
	r->exited = WIFEXITED(st);
	r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	if (timed_out)
		r->done = false;
	rmcp_probe_classify(r, &scan);
	return 0;
}
