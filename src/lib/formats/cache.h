/* SPDX-License-Identifier: MIT */
/*
 * On-disk cache of scan results, so a second `rmcp doctor` does not re-read gigabytes of
 * libraries. One text file per cache directory (scan-cache-v1), loaded whole, written back
 * atomically (temporary file in the same directory, fsync, rename) when something changed.
 *
 * Trust (issue 13): the directory must be the user's and writable by nobody else, and the
 * file a regular file of the user's (fsutil.h), or there is no cache. An entry is used only if the file's size, mtime and ctime (nanoseconds), inode and
 * device all equal what was recorded, the file header names this rmcp version, and the
 * entry's own FNV-1a checksum and every field parse; anything else is ignored (and dropped at
 * the next write). ctime is in the key because `touch -d` can put mtime back, never ctime.
 */
#ifndef RMCP_CACHE_H
#define RMCP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* What the stack reader needs to judge a file for any GPU, independent of the GPU. */
struct rmcp_cached_scan {
	int format;		/* enum rmcp_format */
	bool device_code;	/* rmcp_file_has_device_code */
	/* Space-separated target IDs with code, each optionally "@<generic version>" when the
	 * code object's ELF header gave it ("gfx1030 gfx10-3-generic@1"). */
	char targets[512];
	char error[160];	/* scan error, "" */
};

struct rmcp_cache;

/* Open (and load) the cache in dir; a missing, unreadable or foreign file is an empty cache.
 * Returns 0, -ENOMEM, or (no cache at all) -RMCP_E_UNTRUSTED when dir is not owned by the
 * user or is writable by others, -ENOTDIR, or another -errno of stat(dir) but ENOENT.
 * Nothing is created until rmcp_cache_close writes. */
int rmcp_cache_open(const char *dir, struct rmcp_cache **out);

/* The entry for path if its recorded identity equals st (from stat(2) of path). */
bool rmcp_cache_get(struct rmcp_cache *c, const char *path, const struct stat *st,
		    struct rmcp_cached_scan *out);

/* Record (or replace) the entry for path. Paths with a tab or newline are not cached. */
int rmcp_cache_put(struct rmcp_cache *c, const char *path, const struct stat *st,
		   const struct rmcp_cached_scan *in);

/* Write the cache back if it changed (creating dir with mode 0700), then free it.
 * Returns 0 or -errno of the write (the cache is an optimisation: callers may ignore it). */
int rmcp_cache_close(struct rmcp_cache *c);

/* Number of entries loaded from disk that passed every check (for tests). */
size_t rmcp_cache_loaded(const struct rmcp_cache *c);

/*
 * The default cache directory per the XDG Base Directory spec: $XDG_CACHE_HOME/rmcp if that
 * is an absolute path, else $HOME/.cache/rmcp. Reads envp (NULL-terminated), not getenv.
 * Returns 0, or -ENOENT when neither variable helps.
 */
int rmcp_cache_default_dir(char *const *envp, char *buf, size_t cap);

#endif
