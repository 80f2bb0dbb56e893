/* SPDX-License-Identifier: MIT */
/*
 * File-system helpers shared by every writer: the on-disk caches (scan, ISA verdicts, probe
 * results), `--output FILE` of the commands, and librmcp.so's log (issue 13); and the lookup
 * of rmcp's own installed files.
 *
 * The rule they enforce: nothing rmcp writes can replace a file it did not create as a
 * regular file. A target that exists must be a regular file (not a device node, FIFO,
 * socket, directory, or symbolic link: rmcp does not write through a link, because whoever
 * can plant the link decides where root's report lands). The new content goes to a
 * temporary file created with O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name in the
 * target's own directory (opened once, every later step relative to it), is fsync'ed, and
 * renamed over the target, so a reader sees the old file or the new one, never half of one.
 */
#ifndef RMCP_FSUTIL_H
#define RMCP_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* mkdir -p with mode 0700 (caches are per user). Returns 0, -ENAMETOOLONG, -EINVAL for an
 * empty path, or the -errno of the mkdir that failed. */
int rmcp_mkdir_p(const char *dir);

/* An atomic replacement in progress (rmcp_safe_open ... rmcp_safe_commit or _abort). */
struct rmcp_safe_file {
	int fd;			/* write here (or through f) */
	FILE *f;		/* stdio stream on fd, made by rmcp_safe_open */
	int dirfd;		/* the target's directory, -1 when writing to stdout */
	char name[256];		/* the target's name in dirfd */
	char tmp[256];		/* the temporary file's name in dirfd */
};

/*
 * Start replacing path. mode is the new file's mode before the umask (0644 for reports, 0600
 * for caches). With allow_stdout, "-", "/dev/stdout" and "/dev/fd/1" mean standard output:
 * written directly (no rename; there is nothing to replace). Returns 0 or:
 *   -RMCP_E_NOTREG   path exists and is not a regular file (or is a symbolic link)
 *   -ENAMETOOLONG    a name does not fit
 *   -errno           of opening the directory or creating the temporary file
 */
int rmcp_safe_open(struct rmcp_safe_file *sf, const char *path, mode_t mode, bool allow_stdout);

/* Flush, fsync, check the target is still not something other than a regular file, rename.
 * Always releases sf. Returns 0, -RMCP_E_NOTREG, or the -errno of the step that failed (the
 * temporary file is then removed and the target left as it was). */
int rmcp_safe_commit(struct rmcp_safe_file *sf);

/* Give up: remove the temporary file, release sf. */
void rmcp_safe_abort(struct rmcp_safe_file *sf);

/* Write len bytes to path through rmcp_safe_open/commit (caches). */
int rmcp_safe_write(const char *path, const void *buf, size_t len, mode_t mode);

/*
 * May a cache live in dir? It must be a directory (a symbolic link to one is followed: a
 * user's ~/.cache may be one), owned by the effective user, and writable by nobody else
 * (no group or other write bit): anyone else who can write there can plant entries.
 * Returns 0, -ENOENT when dir does not exist (the caller may create it with rmcp_mkdir_p),
 * -RMCP_E_UNTRUSTED, or another -errno of stat.
 */
int rmcp_cache_dir_check(const char *dir);

/* rmcp_mkdir_p, then rmcp_cache_dir_check. */
int rmcp_cache_dir_prepare(const char *dir);

/*
 * Open a cache entry for reading: O_NOFOLLOW|O_NONBLOCK, then it must be a regular file owned
 * by the effective user and not writable by others. Returns the descriptor (blocking again),
 * or -errno / -RMCP_E_NOTREG / -RMCP_E_UNTRUSTED.
 */
int rmcp_cache_entry_open(const char *path);

/*
 * Open path for appending log lines (librmcp.so's RMCP_LOG): created 0644 if missing;
 * O_NONBLOCK while opening, so a FIFO without a reader fails (ENXIO) instead of hanging;
 * O_NOFOLLOW; then it must be a regular file. Returns the descriptor (blocking again) or
 * -errno / -RMCP_E_NOTREG. Allocation-free: safe in librmcp.so's constructor.
 */
int rmcp_open_append_regular(const char *path);

/* One of rmcp's own files (librmcp.so, a schema, a doc): first <reldir>/<name> relative to
 * the directory of /proc/self/exe (the build tree, or a tree installed with
 * `meson install --destdir` or moved as a whole), then <absdir>/<name>, where the build
 * installs it. Either directory may be NULL; an absolute reldir is ignored.
 * Returns 0 and the resolved path in buf, -ENOENT if neither is a regular file, or
 * -ENAMETOOLONG. */
int rmcp_installed_file(const char *reldir, const char *absdir, const char *name, char *buf, size_t cap);

#endif
