/* SPDX-License-Identifier: MIT */
/*
 * The probe's parent side: fork the child into its own process group, watch it, kill the
 * whole group when the watchdog fires, reap it, classify (probe.h).
 *
 * Why a process group: a runtime that hangs may have started helpers (and a test double
 * does, on purpose); killing the group leaves nothing behind. The group is killed while the
 * child is still unreaped (a zombie keeps its pid, so the group id cannot have been reused).
 * Why PR_SET_PDEATHSIG: if rmcp itself is killed the child must not live on, nor its helpers:
 * the parent-death signal is SIGHUP, whose handler in the child kills the child's whole group.
 * Why a subreaper and forwarded signals: see rmcp_probe_run in probe.h (issue 13).
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

/* ---- the parent's signals while the probe runs ---- */

static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
#define N_CAUGHT (sizeof(caught) / sizeof(caught[0]))
static volatile sig_atomic_t group = 0;		/* the child's process group, 0 = none */
static volatile sig_atomic_t interrupted = 0;	/* the signal that arrived */
static int wake[2] = { -1, -1 };		/* the handler wakes poll() through it */

static void on_signal(int sig)
{
	int saved = errno;
	if (!interrupted)
		interrupted = sig;
	if (group > 0)
		kill(-(pid_t)group, sig);	/* the runtime sees what rmcp saw */
	if (wake[1] >= 0) {
		ssize_t w = write(wake[1], "", 1);
		(void)w;
	}
	errno = saved;
}

struct saved_state {
	struct sigaction sa[N_CAUGHT];
	int subreaper;
};

static int catch_signals(struct saved_state *st)
{
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	interrupted = 0;
	st->subreaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &st->subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &sa, &st->sa[i]);
	return 0;
}

static void restore_signals(const struct saved_state *st)
{
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &st->sa[i], NULL);
	prctl(PR_SET_CHILD_SUBREAPER, st->subreaper);
	group = 0;
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
}

int rmcp_probe_interrupted(void)
{
	return interrupted;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* In the child: rmcp died (or sent SIGHUP): take the whole group, helpers included. */
static void on_parent_death(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(128 + SIGKILL);
}

static void child_main(const struct rmcp_probe_opts *o, int rec, int out, pid_t parent)
{
	setpgid(0, 0);
	/* Default dispositions: the parent may ignore or catch signals the runtime relies on. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	signal(SIGHUP, on_parent_death);
	prctl(PR_SET_PDEATHSIG, SIGHUP);
	if (getppid() != parent)
		_exit(125);
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
	struct pollfd p[3] = { { rec, POLLIN, 0 }, { out, POLLIN, 0 }, { wake[0], POLLIN, 0 } };
	struct lines l = { .len = 0 };
	char buf[4096];
	bool grace = false;
	while ((p[0].fd >= 0 || p[1].fd >= 0) && !interrupted) {
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
		int rc = poll(p, 3, (int)(left * 1000) + 1);
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
		if (exited(pid) || interrupted)
			return true;
		if (now_s() >= deadline)
			return false;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Helpers of the child that were reparented to us (the subreaper) while the group was
 * killed: reap them, for at most a second (SIGKILL is not refused, but may take a moment). */
static void reap_group(pid_t pgid)
{
	double until = now_s() + 1.0;
	for (;;) {
		pid_t w = waitpid(-pgid, NULL, WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || now_s() > until)
			return;	/* ECHILD: none left */
		if (w == 0) {
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
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
	struct saved_state saved;
	int src = catch_signals(&saved);
	if (src < 0) {
		close(rec[0]);
		close(rec[1]);
		close(out[0]);
		close(out[1]);
		return rmcp_err_set(err, src, "pipe: %s", strerror(-src));
	}
	fflush(NULL);
	pid_t parent = getpid();
	double start = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		restore_signals(&saved);
		close(rec[0]);
		close(rec[1]);
		close(out[0]);
		close(out[1]);
		return rmcp_err_set(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(rec[0]);
		close(out[0]);
		close(wake[0]);
		close(wake[1]);
		child_main(o, rec[1], out[1], parent);
	}
	setpgid(pid, pid);	/* also here: no window where the group does not exist yet */
	group = pid;
	if (interrupted)	/* arrived before the group existed */
		kill(-pid, interrupted);
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
	reap_group(pid);
	restore_signals(&saved);
	close(rec[0]);
	close(out[0]);
	rmcp_sigscan_end(&scan);
	if (interrupted)
		return rmcp_err_set(err, -EINTR, "the probe was interrupted by %s; its processes were killed",
				    strsignal(interrupted));
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
