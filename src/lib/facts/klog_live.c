/* SPDX-License-Identifier: MIT */
/*
 * The running machine's kernel log, as text: /dev/kmsg, then syslog(2), then the systemd
 * journal. Under kernel.dmesg_restrict=1 (Debian's default) the first two fail with EPERM for
 * a normal user (kernel/printk/printk.c check_syslog_permissions: CAP_SYSLOG needed), while
 * members of adm or systemd-journal may still read the system journal.
 *
 * The journal is read by running `journalctl -k -b -q --no-pager`, not by opening
 * /var/log/journal: the journal file format is documented as internal to systemd (use
 * sd-journal or journalctl), journalctl applies the reader's group rights itself, and a
 * subprocess adds no link-time dependency. A reader without rights gets exit status 0 and no
 * kernel lines (only its own user journal), so "no line at all" counts as not readable: every
 * boot logs kernel messages. The child runs under a deadline and is killed past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysfs_internal.h"
#include "banned.h"

extern char **environ;

#define JOURNAL_DEADLINE_MS 10000
#define JOURNAL_READ_MAX (64u << 20)

int rmcp_klog_kmsg(rmcp_klog_sink sink, void *ctx)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	char rec[8192];
	for (unsigned i = 0; i < (1u << 20); i++) {
		ssize_t r = read(fd, rec, sizeof(rec));
		if (r < 0 && (errno == EPIPE || errno == EINTR))
			continue;	/* EPIPE: the record was overwritten while we read */
		if (r <= 0)
			break;		/* EAGAIN: the end of the buffer */
		/* One record per read: "pri,seq,usec,flags;text\n" then " KEY=value" lines. */
		const char *nl = memchr(rec, '\n', (size_t)r);
		sink(ctx, rec, nl ? (size_t)(nl - rec) : (size_t)r);
	}
	close(fd);
	return 0;
}

int rmcp_klog_syslog(rmcp_klog_sink sink, void *ctx)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	if (size < 0)
		return -errno;
	if (size == 0)
		return 0;
	char *buf = malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	int n = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	int rc = n < 0 ? -errno : 0;
	if (n > 0)
		sink(ctx, buf, (size_t)n);
	free(buf);
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

static int spawn_journalctl(const char *cmd, int out_fd, pid_t *pid)
{
	char *const argv[] = { (char *)cmd, (char *)"-k", (char *)"-b", (char *)"-q", (char *)"--no-pager",
			       NULL };
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return -rc;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawnp(pid, cmd, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

int rmcp_klog_journal(const char *cmd, rmcp_klog_sink sink, void *ctx)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid_t pid;
	int rc = spawn_journalctl(cmd ? cmd : "journalctl", p[1], &pid);
	close(p[1]);
	if (rc < 0) {
		close(p[0]);
		return rc;
	}
	size_t cap = 1u << 16, have = 0, total = 0, lines = 0;
	char *buf = malloc(cap);
	long long deadline = now_ms() + JOURNAL_DEADLINE_MS;
	bool timed_out = false;
	while (buf) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			timed_out = pr == 0;
			break;
		}
		ssize_t r = read(p[0], buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		total += (size_t)r;
		char *last = memrchr(buf, '\n', have);
		size_t done = last ? (size_t)(last - buf) + 1 : (have == cap ? have : 0);
		if (done) {
			lines += count_lines(buf, done);
			sink(ctx, buf, done);
			memmove(buf, buf + done, have - done);
			have -= done;
		}
		if (total >= JOURNAL_READ_MAX)
			break;
	}
	if (buf && have) {
		lines++;
		sink(ctx, buf, have);
	}
	free(buf);
	close(p[0]);
	int status = 0;
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);	/* past the deadline or the size cap */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (!buf)
		return -ENOMEM;
	if (timed_out && !lines)
		return -ETIMEDOUT;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !lines)
		return -ENOENT;	/* posix_spawnp found no journalctl */
	return (int)(lines > (size_t)INT32_MAX ? INT32_MAX : lines);
}

static void add_why(char *why, size_t cap, const char *source, const char *reason)
{
	size_t len = strlen(why);
	if (len < cap)
		snprintf(why + len, cap - len, "%s%s: %s", len ? "; " : "", source, reason);
}

int rmcp_klog_live(const char *journalctl, rmcp_klog_sink sink, void *ctx, char *source, size_t scap,
		   char *why, size_t wcap)
{
	why[0] = '\0';
	source[0] = '\0';
	bool denied = false;
	int rc = rmcp_klog_kmsg(sink, ctx);
	if (rc == 0) {
		snprintf(source, scap, "/dev/kmsg");
		return 0;
	}
	denied |= rc == -EPERM || rc == -EACCES;
	add_why(why, wcap, "/dev/kmsg", strerror(-rc));
	rc = rmcp_klog_syslog(sink, ctx);
	if (rc == 0) {
		snprintf(source, scap, "syslog");
		why[0] = '\0';
		return 0;
	}
	denied |= rc == -EPERM || rc == -EACCES;
	add_why(why, wcap, "syslog", strerror(-rc));
	if (rc == -ENOMEM)
		return rc;
	if (journalctl && !*journalctl)
		return denied ? -EPERM : rc;
	int n = rmcp_klog_journal(journalctl, sink, ctx);
	if (n > 0) {
		snprintf(source, scap, "journal (journalctl -k -b)");
		why[0] = '\0';
		return 0;
	}
	add_why(why, wcap, "journal", n == 0 ? "no kernel messages visible to this user" : strerror(-n));
	if (n == -ENOMEM)
		return n;
	return denied ? -EPERM : rc;
}
