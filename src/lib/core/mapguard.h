/* SPDX-License-Identifier: MIT */
/*
 * Mapped files that may shrink under us. Reading a page of a MAP_SHARED or MAP_PRIVATE file
 * mapping past the file's current end raises SIGBUS (mmap(2)); a file truncated while rmcp
 * scans it killed rmcp with exit 135 (issue 13, defect 2). Where a parser needs a whole file
 * in memory and the file may be large (the ISA checker, kpack archives), the access runs
 * inside rmcp_map_guarded: a SIGBUS at an address inside that mapping, on that thread, jumps
 * back (siglongjmp from a thread-local jump buffer) and the call returns -RMCP_E_CHANGED.
 * Any other SIGBUS gets the action that was installed before (default: the process dies, as
 * it would without rmcp's handler).
 *
 * What a jump costs: whatever fn allocated and had not yet linked into caller-visible state
 * is leaked (bounded by one file's parse), so fn should keep its results in memory the caller
 * can release. The scan engine proper reads with pread (reader.h) and needs no guard. Not for
 * librmcp.so: the process-wide SIGBUS handler belongs to the application there.
 */
#ifndef RMCP_MAPGUARD_H
#define RMCP_MAPGUARD_H

#include <stddef.h>

#include "error.h"

struct rmcp_map {
	const void *addr;	/* NULL for an empty file */
	size_t len;
};

/* Map fd's first len bytes read-only (len may be 0). 0 or -errno. */
int rmcp_map_file(int fd, size_t len, struct rmcp_map *m);
void rmcp_map_release(struct rmcp_map *m);

/* fn(arg)'s result, or -RMCP_E_CHANGED (err set) if the mapping faulted because the file shrank. */
int rmcp_map_guarded(const struct rmcp_map *m, int (*fn)(void *arg), void *arg,
		     struct rmcp_err *err);

#endif
