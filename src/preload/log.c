/* SPDX-License-Identifier: MIT */
/*
 * The preload's log and statistics: lines built in a fixed buffer and written with one
 * write(2), so a hook never allocates or calls stdio (CONVENTIONS.md, mimalloc). Each line
 * carries pid and tid: a training run forks data-loader workers and runs many threads.
 */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "banned.h"

struct rmcp_stat rmcp_stats[RMCP_HOOK_COUNT];

static int log_fd = 2;
/* Guard warnings are capped so a library without code for the GPU cannot flood stderr;
 * RMCP_LOG=FILE records every one. */
#define RMCP_WARN_CAP 200
static atomic_uint warn_count;

static const char *const hook_names[RMCP_HOOK_COUNT] = {
#define RMCP_HOOK_NAME(ret, name, params, args) #name,
#define RMCP_HOOK_NAME_CXX(ret, name, sym, params, args) #name,
	RMCP_HOOKS_HIP(RMCP_HOOK_NAME)
	RMCP_HOOKS_HIP_CXX(RMCP_HOOK_NAME_CXX)
	RMCP_HOOKS_HSA(RMCP_HOOK_NAME)
#undef RMCP_HOOK_NAME
#undef RMCP_HOOK_NAME_CXX
};

const char *rmcp_hook_name(enum rmcp_hook h)
{
	return (unsigned)h < RMCP_HOOK_COUNT ? hook_names[h] : "?";
}

void rmcp_line_strn(struct rmcp_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->n;	/* keep one byte for the newline */
	if (n > room)
		n = room;
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

void rmcp_line_str(struct rmcp_line *l, const char *s)
{
	rmcp_line_strn(l, s ? s : "(null)", strlen(s ? s : "(null)"));
}

void rmcp_line_u64(struct rmcp_line *l, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rmcp_line_strn(l, tmp + i, sizeof(tmp) - i);
}

void rmcp_line_hex(struct rmcp_line *l, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	rmcp_line_strn(l, tmp + i, sizeof(tmp) - i);
}

void rmcp_line_start(struct rmcp_line *l, enum rmcp_level level)
{
	l->n = 0;
	rmcp_line_str(l, "rmcp[");
	rmcp_line_u64(l, (unsigned long long)getpid());
	rmcp_line_str(l, "/");
	rmcp_line_u64(l, (unsigned long long)syscall(SYS_gettid));
	rmcp_line_str(l, level == RMCP_WARN ? "] warning: " : "] ");
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;	/* a log that cannot be written must not stop the program */
		}
		p += w;
		n -= (size_t)w;
	}
}

void rmcp_line_emit(struct rmcp_line *l, enum rmcp_level level)
{
	if (level == RMCP_INFO && !rmcp_cfg.verbose)
		return;
	if (level == RMCP_WARN && !rmcp_cfg.log_path[0]) {
		unsigned n = atomic_fetch_add_explicit(&warn_count, 1, memory_order_relaxed);
		if (n == RMCP_WARN_CAP) {
			struct rmcp_line cap;
			rmcp_line_start(&cap, RMCP_WARN);
			rmcp_line_str(&cap, "further warnings suppressed; RMCP_LOG=FILE records all");
			cap.buf[cap.n++] = '\n';
			write_all(log_fd, cap.buf, cap.n);
		}
		if (n >= RMCP_WARN_CAP)
			return;
	}
	int saved = errno;	/* a hook must not change errno behind the program's back */
	l->buf[l->n++] = '\n';
	write_all(log_fd, l->buf, l->n);
	l->n--;
	errno = saved;
}

void rmcp_log(enum rmcp_level level, const char *a, const char *b, const char *c)
{
	if (level == RMCP_INFO && !rmcp_cfg.verbose)
		return;
	struct rmcp_line l;
	rmcp_line_start(&l, level);
	rmcp_line_str(&l, a);
	if (b)
		rmcp_line_str(&l, b);
	if (c)
		rmcp_line_str(&l, c);
	rmcp_line_emit(&l, level);
}

void rmcp_log_open(void)
{
	if (!rmcp_cfg.log_path[0])
		return;
	/* O_NONBLOCK while opening: a FIFO without a reader must not hang every preloaded
	 * process (issue 13); then only a regular file, not through a link (fsutil.h). */
	int saved = errno;
	int fd = rmcp_open_append_regular(rmcp_cfg.log_path);
	errno = saved;
	if (fd < 0) {
		char path[sizeof(rmcp_cfg.log_path)];
		memcpy(path, rmcp_cfg.log_path, sizeof(path));
		rmcp_cfg.log_path[0] = '\0';	/* warnings go to stderr from now on */
		struct rmcp_line l;
		rmcp_line_start(&l, RMCP_WARN);
		rmcp_line_str(&l, "cannot open RMCP_LOG=");
		rmcp_line_str(&l, path);
		rmcp_line_str(&l, ": ");
		rmcp_line_str(&l, fd == -RMCP_E_NOTREG ? "not a regular file" : strerror(-fd));
		rmcp_line_str(&l, "; logging to stderr");
		rmcp_line_emit(&l, RMCP_WARN);
		return;
	}
	/* Keep the descriptor away from 0-2 so a program that closes and reopens its standard
	 * streams does not find our log there. */
	if (fd <= 2) {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (hi >= 0) {
			close(fd);
			fd = hi;
		}
	}
	log_fd = fd;
}

void rmcp_stats_print(void)
{
	struct rmcp_line l;
	bool any = false;
	for (int h = 0; h < RMCP_HOOK_COUNT; h++) {
		unsigned long long seen = atomic_load(&rmcp_stats[h].seen);
		if (!seen)
			continue;
		any = true;
		rmcp_line_start(&l, RMCP_INFO);
		rmcp_line_str(&l, "stats: ");
		rmcp_line_str(&l, rmcp_hook_name((enum rmcp_hook)h));
		rmcp_line_str(&l, " seen=");
		rmcp_line_u64(&l, seen);
		rmcp_line_str(&l, " rewritten=");
		rmcp_line_u64(&l, atomic_load(&rmcp_stats[h].rewritten));
		rmcp_line_str(&l, " blocked=");
		rmcp_line_u64(&l, atomic_load(&rmcp_stats[h].blocked));
		l.buf[l.n++] = '\n';
		write_all(log_fd, l.buf, l.n);
	}
	if (!any) {
		rmcp_line_start(&l, RMCP_INFO);
		rmcp_line_str(&l, "stats: no hooked call seen\n");
		write_all(log_fd, l.buf, l.n);
	}
}
