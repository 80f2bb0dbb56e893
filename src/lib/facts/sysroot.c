/* SPDX-License-Identifier: MIT */
/*
 * The sysroot context (sysroot.h): paths on the examined machine, resolved inside --sysroot.
 * One implementation for every reader; it replaced the sysfs reader's rmcp_path (a plain
 * prefix join) and the stack reader's rmcp_sr (chroot-style symlink resolution), which had
 * let --torch be resolved on the host while the rest was read under the sysroot (issue 11).
 */
#include "sysroot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "banned.h"

struct rmcp_path {
	char sysroot[PATH_MAX];	/* "" for "/", else the prefix without a trailing '/' */
	char dir[PATH_MAX];	/* the context's directory within the sysroot, "/" at least */
	bool live;
	void (*rec)(void *ctx, const char *rel);	/* NULL, or where touched paths go */
	void *rec_ctx;
};

void rmcp_path_set_recorder(struct rmcp_path *p, void (*fn)(void *ctx, const char *rel), void *ctx)
{
	p->rec = fn;
	p->rec_ctx = ctx;
}

static void record(const struct rmcp_path *p, const char *rel)
{
	if (p->rec)
		p->rec(p->rec_ctx, rel);
}

static void strip_slashes(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

struct rmcp_path *rmcp_path_new(const char *sysroot, const char *dir)
{
	struct rmcp_path *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (!sysroot || !*sysroot)
		sysroot = "/";
	if (!dir || !*dir)
		dir = "/";
	int n = snprintf(p->sysroot, sizeof(p->sysroot), "%s", sysroot);
	int m = snprintf(p->dir, sizeof(p->dir), "%s%s", dir[0] == '/' ? "" : "/", dir);
	if (n < 0 || (size_t)n >= sizeof(p->sysroot) || m < 0 || (size_t)m >= sizeof(p->dir)) {
		free(p);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strip_slashes(p->sysroot);
	p->live = p->sysroot[0] == '\0';
	return p;
}

void rmcp_path_free(struct rmcp_path *p)
{
	free(p);
}

bool rmcp_path_is_live(const struct rmcp_path *p)
{
	return p->live;
}

const char *rmcp_path_sysroot(const struct rmcp_path *p)
{
	return p->sysroot[0] ? p->sysroot : "/";
}

/* ---- resolution ------------------------------------------------------------------------- */

/* Append component c (len n) to the path in out (within the sysroot, "/" at least). */
static int push_comp(char *out, size_t cap, const char *c, size_t n)
{
	size_t l = strlen(out);
	if (l + 1 + n >= cap)
		return -ENAMETOOLONG;
	if (l > 1 || out[0] != '/')
		out[l++] = '/';
	memcpy(out + l, c, n);
	out[l + n] = '\0';
	return 0;
}

static void pop_comp(char *out)
{
	char *slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
	else
		out[1] = '\0';
}

/* The host path of a path already within the sysroot (no resolution). */
static int join_host(const struct rmcp_path *p, const char *in, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s%s", p->sysroot, in[0] == '/' ? "" : "/", in);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Walk `pending` component by component from out (within the sysroot), following links;
 * the last component's too when follow_last. */
static int walk(const struct rmcp_path *p, char *pending, char *out, size_t cap, bool follow_last)
{
	char next[PATH_MAX];
	unsigned hops = 0;
	char *c = pending;
	while (*c) {
		while (*c == '/')
			c++;
		if (!*c)
			break;
		char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 1 && c[0] == '.') {
			c += len;
			continue;
		}
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			pop_comp(out);	/* ".." at the root stays at the root, as chroot does */
			c += len;
			continue;
		}
		char saved[PATH_MAX];
		snprintf(saved, sizeof(saved), "%s", out);
		int rc = push_comp(out, cap, c, len);
		if (rc < 0)
			return rc;
		c += len;
		bool last = true;
		for (const char *k = c; *k; k++)
			if (*k != '/') {
				last = false;
				break;
			}
		if (last && !follow_last)
			break;
		char host[PATH_MAX], target[PATH_MAX];
		struct stat st;
		record(p, out);	/* every component: the links followed on the way are part of it */
		if (join_host(p, out, host, sizeof(host)) < 0 || lstat(host, &st) != 0 || !S_ISLNK(st.st_mode))
			continue;
		if (++hops > 40)
			return -ELOOP;
		ssize_t tl = readlink(host, target, sizeof(target) - 1);
		if (tl < 0)
			return -errno;
		target[tl] = '\0';
		/* Replace the link: its target, then whatever was left to walk. */
		int n = snprintf(next, sizeof(next), "%s/%s", target, c);
		if (n < 0 || (size_t)n >= sizeof(next))
			return -ENAMETOOLONG;
		memcpy(pending, next, (size_t)n + 1);
		c = pending;
		if (target[0] == '/') {
			out[0] = '/';
			out[1] = '\0';
		} else {
			snprintf(out, cap, "%s", saved);
		}
	}
	return 0;
}

static int resolve(const struct rmcp_path *p, const char *rel, char *out, size_t cap, bool follow_last)
{
	char pending[PATH_MAX];
	if (cap < 2)
		return -ENAMETOOLONG;
	int n = snprintf(pending, sizeof(pending), "%s/%s", p->dir, rel);
	if (n < 0 || (size_t)n >= sizeof(pending))
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = '\0';
	return walk(p, pending, out, cap, follow_last);
}

int rmcp_path_resolve(const struct rmcp_path *p, const char *rel, char *out, size_t cap)
{
	return resolve(p, rel, out, cap, true);
}

static int host_path(const struct rmcp_path *p, const char *rel, char *out, size_t cap, bool follow_last)
{
	if (p->live) {
		/* The running machine: the kernel resolves; only join, as open(2) would see it. */
		while (*rel == '/')
			rel++;
		int n = snprintf(out, cap, "%s%s%s", p->dir, strcmp(p->dir, "/") ? "/" : "", rel);
		if (n < 0 || (size_t)n >= cap)
			return -ENAMETOOLONG;
		record(p, out);
		return 0;
	}
	char in[PATH_MAX];
	int rc = resolve(p, rel, in, sizeof(in), follow_last);
	if (rc == 0)
		record(p, in);
	return rc < 0 ? rc : join_host(p, in, out, cap);
}

int rmcp_path_host(const struct rmcp_path *p, const char *rel, char *out, size_t cap)
{
	return host_path(p, rel, out, cap, true);
}

const char *rmcp_path_abs(const struct rmcp_path *p, char *buf, size_t cap, const char *rel)
{
	return rmcp_path_host(p, rel ? rel : "", buf, cap) == 0 ? buf : NULL;
}

__attribute__((format(printf, 4, 0)))
static int vhost(const struct rmcp_path *p, char *out, size_t cap, const char *fmt, va_list ap)
{
	char rel[PATH_MAX];
	int n = vsnprintf(rel, sizeof(rel), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return rmcp_path_host(p, rel, out, cap);
}

/* ---- reading ----------------------------------------------------------------------------- */

static int read_fd(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (int)got;
}

static int read_abs(const char *path, char *buf, size_t cap)
{
	/* O_NONBLOCK: a snapshot could hold a FIFO where a sysfs file belongs. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;	/* sysfs, procfs and snapshot files are regular files */
	}
	/* KFD's device cgroup check fails the read, not the open (node_show returns -EPERM). */
	int rc = read_fd(fd, buf, cap);
	close(fd);
	return rc;
}

int rmcp_path_read(const struct rmcp_path *p, char *buf, size_t cap, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	if (cap == 0 || cap > INT_MAX)
		return -EINVAL;
	buf[0] = '\0';
	va_start(ap, fmt);
	int rc = vhost(p, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	return read_abs(path, buf, cap);
}

int rmcp_parse_u64(const char *s, size_t len, int base, uint64_t *out)
{
	char tmp[32];
	if (len == 0 || len >= sizeof(tmp))
		return -RMCP_E_FORMAT;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	/* strtoull accepts a sign and leading blanks; sysfs numbers have neither. */
	if (!isxdigit((unsigned char)tmp[0]))
		return -RMCP_E_FORMAT;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(tmp, &end, base);
	if (errno == ERANGE || end != tmp + len)
		return -RMCP_E_FORMAT;
	*out = v;
	return 0;
}

__attribute__((format(printf, 4, 0)))
static int read_number(const struct rmcp_path *p, uint64_t *out, int base, const char *fmt, va_list ap)
{
	char path[PATH_MAX], buf[64];
	int rc = vhost(p, path, sizeof(path), fmt, ap);
	if (rc < 0)
		return rc;
	rc = read_abs(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	size_t len = (size_t)rc;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	const char *s = buf;
	if (base == 16 && len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	return rmcp_parse_u64(s, len, base, out);
}

int rmcp_path_read_u64(const struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = read_number(p, out, 10, fmt, ap);
	va_end(ap);
	return rc;
}

int rmcp_path_read_hex(const struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = read_number(p, out, 16, fmt, ap);
	va_end(ap);
	return rc;
}

int rmcp_path_access(const struct rmcp_path *p, int mode, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int rc = vhost(p, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	/* Effective ids, as open(2) by the runtime would use. */
	return faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0 ? 0 : -errno;
}

int rmcp_path_stat(const struct rmcp_path *p, struct stat *st, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int rc = vhost(p, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	return stat(path, st) == 0 ? 0 : -errno;
}

bool rmcp_path_is_dir(const struct rmcp_path *p, const char *rel)
{
	struct stat st;
	return rmcp_path_stat(p, &st, "%s", rel) == 0 && S_ISDIR(st.st_mode);
}

bool rmcp_path_is_file(const struct rmcp_path *p, const char *rel)
{
	char host[PATH_MAX];
	struct stat st;
	return host_path(p, rel, host, sizeof(host), false) == 0 && lstat(host, &st) == 0 && S_ISREG(st.st_mode);
}

bool rmcp_path_exists(const struct rmcp_path *p, const char *rel)
{
	char host[PATH_MAX];
	struct stat st;
	return host_path(p, rel, host, sizeof(host), false) == 0 && lstat(host, &st) == 0;
}

/* ---- directories ------------------------------------------------------------------------- */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

int rmcp_path_list_numeric(const struct rmcp_path *p, unsigned *out, size_t cap, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	int rc = vhost(p, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc < 0)
		return rc;
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < cap) {
		uint64_t v;
		if (rmcp_parse_u64(de->d_name, strlen(de->d_name), 10, &v) == 0 && v <= 0xffffu)
			out[n++] = (unsigned)v;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), cmp_unsigned);
	return (int)n;
}

void rmcp_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int filter_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int rmcp_path_list(const struct rmcp_path *p, const char *rel, bool (*filter)(const char *name),
		   char ***out)
{
	char host[PATH_MAX];
	int rc = rmcp_path_host(p, rel, host, sizeof(host));
	if (rc < 0)
		return rc;
	struct dirent **names;
	int n = scandir(host, &names, filter_dots, alphasort);
	if (n < 0)
		return -errno;
	char **v = calloc((size_t)n + 1, sizeof(*v));
	size_t k = 0;
	rc = v ? 0 : -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && (!filter || filter(names[i]->d_name))) {
			v[k] = strdup(names[i]->d_name);
			if (!v[k])
				rc = -ENOMEM;
			else
				k++;
			/* A listed name can matter without being opened (a soname gives a version). */
			if (rc == 0 && p->rec) {
				char child[PATH_MAX];
				int cn = snprintf(child, sizeof(child), "%s/%s", strcmp(rel, "/") ? rel : "",
						  names[i]->d_name);
				if (cn > 0 && (size_t)cn < sizeof(child))
					record(p, child);
			}
		}
		free(names[i]);
	}
	free(names);
	if (rc < 0) {
		rmcp_strv_free(v, k);
		return rc;
	}
	*out = v;
	return (int)k;
}
