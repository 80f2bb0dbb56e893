/* SPDX-License-Identifier: MIT */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "banned.h"

int rmcp_mkdir_p(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	/* Each prefix ending at a '/' (after the first character), then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -errno;
		p[i] = c;
	}
	return 0;
}

/* ---- atomic replacement ---- */

static bool is_stdout(const char *path)
{
	return strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0 ||
	       strcmp(path, "/dev/fd/1") == 0 || strcmp(path, "/proc/self/fd/1") == 0;
}

/* The target, if it exists, must be a regular file, looked at without following a link. */
static int target_ok(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISREG(st.st_mode) ? 0 : -RMCP_E_NOTREG;
}

static void release(struct rmcp_safe_file *sf)
{
	if (sf->f)
		fclose(sf->f);
	else if (sf->fd >= 0)
		close(sf->fd);
	if (sf->dirfd >= 0)
		close(sf->dirfd);
	sf->f = NULL;
	sf->fd = sf->dirfd = -1;
}

static int open_stdout(struct rmcp_safe_file *sf)
{
	sf->fd = STDOUT_FILENO;
	sf->f = stdout;
	return 0;
}

static int create_tmp(struct rmcp_safe_file *sf, mode_t mode)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t r = 0;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&r ^ (uint64_t)tries;
		int n = snprintf(sf->tmp, sizeof(sf->tmp), ".%.200s.%016llx.tmp", sf->name,
				 (unsigned long long)r);
		if (n < 0 || (size_t)n >= sizeof(sf->tmp))
			return -ENAMETOOLONG;
		int fd = openat(sf->dirfd, sf->tmp,
				O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int rmcp_safe_open(struct rmcp_safe_file *sf, const char *path, mode_t mode, bool allow_stdout)
{
	memset(sf, 0, sizeof(*sf));
	sf->fd = sf->dirfd = -1;
	if (allow_stdout && is_stdout(path))
		return open_stdout(sf);
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	char dir[4096];
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -RMCP_E_NOTREG;	/* names a directory */
	if (strlen(name) >= sizeof(sf->name) || dlen >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(sf->name, name, strlen(name) + 1);
	if (!slash)
		memcpy(dir, ".", 2);
	else if (dlen == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	sf->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dirfd < 0)
		return -errno;
	int rc = target_ok(sf->dirfd, sf->name);
	if (rc == 0 && (rc = create_tmp(sf, mode)) >= 0) {
		sf->fd = rc;
		rc = (sf->f = fdopen(sf->fd, "w")) ? 0 : -errno;
		if (rc < 0)
			unlinkat(sf->dirfd, sf->tmp, 0);
	}
	if (rc < 0)
		release(sf);
	return rc;
}

void rmcp_safe_abort(struct rmcp_safe_file *sf)
{
	if (sf->dirfd >= 0)
		unlinkat(sf->dirfd, sf->tmp, 0);
	release(sf);
}

int rmcp_safe_commit(struct rmcp_safe_file *sf)
{
	if (sf->dirfd < 0) {	/* standard output: the caller's stream, only flushed */
		int rc = sf->f && fflush(sf->f) != 0 ? -errno : 0;
		sf->f = NULL;
		sf->fd = -1;
		return rc;
	}
	int rc = fflush(sf->f) == 0 && fsync(sf->fd) == 0 ? 0 : -errno;
	if (fclose(sf->f) != 0 && rc == 0)
		rc = -errno;
	sf->f = NULL;
	sf->fd = -1;
	/* Checked again just before the rename: something may have been put there meanwhile. */
	if (rc == 0)
		rc = target_ok(sf->dirfd, sf->name);
	if (rc == 0 && renameat(sf->dirfd, sf->tmp, sf->dirfd, sf->name) != 0)
		rc = -errno;
	if (rc == 0)
		(void)fsync(sf->dirfd);	/* the rename itself survives a crash */
	else
		unlinkat(sf->dirfd, sf->tmp, 0);
	release(sf);
	return rc;
}

int rmcp_safe_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	struct rmcp_safe_file sf;
	int rc = rmcp_safe_open(&sf, path, mode, false);
	if (rc < 0)
		return rc;
	if (len && fwrite(buf, 1, len, sf.f) != len) {
		rc = errno ? -errno : -EIO;
		rmcp_safe_abort(&sf);
		return rc;
	}
	return rmcp_safe_commit(&sf);
}

/* ---- caches ---- */

static int trusted(const struct stat *st)
{
	if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return -RMCP_E_UNTRUSTED;
	return 0;
}

int rmcp_cache_dir_check(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return trusted(&st);
}

int rmcp_cache_dir_prepare(const char *dir)
{
	int rc = rmcp_cache_dir_check(dir);
	if (rc == -ENOENT && (rc = rmcp_mkdir_p(dir)) == 0)
		rc = rmcp_cache_dir_check(dir);
	return rc;
}

int rmcp_cache_entry_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) != 0 ? -errno : !S_ISREG(st.st_mode) ? -RMCP_E_NOTREG : trusted(&st);
	if (rc == 0 && fcntl(fd, F_SETFL, O_RDONLY) != 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- logs ---- */

int rmcp_open_append_regular(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			    O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) != 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -RMCP_E_NOTREG;
	if (rc == 0 && fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- rmcp's own files ---- */

static bool regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int rmcp_installed_file(const char *reldir, const char *absdir, const char *name, char *buf, size_t cap)
{
	char cand[PATH_MAX], real[PATH_MAX];
	if (reldir && reldir[0] != '/') {
		ssize_t n = readlink("/proc/self/exe", cand, sizeof(cand) - 1);
		char *slash = n > 0 ? (cand[n] = '\0', strrchr(cand, '/')) : NULL;
		if (slash) {
			size_t used = (size_t)(slash - cand);
			int w = snprintf(cand + used, sizeof(cand) - used, "/%s/%s", reldir, name);
			if (w > 0 && (size_t)w < sizeof(cand) - used && regular_file(cand) && realpath(cand, real))
				goto found;
		}
	}
	if (absdir) {
		int w = snprintf(cand, sizeof(cand), "%s/%s", absdir, name);
		if (w > 0 && (size_t)w < sizeof(cand) && regular_file(cand) && realpath(cand, real))
			goto found;
	}
	return -ENOENT;
found:
	if (strlen(real) >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, real, strlen(real) + 1);
	return 0;
}
