/* SPDX-License-Identifier: MIT */
/*
 * Random-access byte sources for the scan engine: memory, a file read with pread, a window
 * of another reader, or a stream (a wheel member inflating as it is read; scan_zip.c).
 *
 * Why not mmap: a file that shrinks while it is mapped raises SIGBUS on the next access to a
 * page past its new end (issue 13, defect 2), and a 1.3 GB library scanned through a map
 * faults in ~1,000 pages where a few hundred small reads of bundle and code-object headers do
 * (issue 11, item 5). A reader returns -RMCP_E_CHANGED when the file ends before its size at
 * open: "file changed while being read", for that file only.
 */
#ifndef RMCP_READER_H
#define RMCP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct rmcp_reader {
	uint64_t size;
	const uint8_t *mem;	/* the whole content when it is in memory, else NULL */
	/* Copy n bytes at off (off + n <= size, checked by rmcp_reader_read) into dst. */
	int (*read)(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err);
	void *ctx;
	int fd;
	uint64_t base;			/* windows: offset in the parent */
	struct rmcp_reader *parent;	/* windows */
};

void rmcp_reader_mem(struct rmcp_reader *r, const void *buf, size_t len);
/* fd stays the caller's; size is the size at open (fstat). */
void rmcp_reader_fd(struct rmcp_reader *r, int fd, uint64_t size);
/* [off, off + len) of parent, which must outlive r; the caller checks the range. */
void rmcp_reader_window(struct rmcp_reader *r, struct rmcp_reader *parent, uint64_t off,
			uint64_t len);

/* Exactly n bytes at off, or -RMCP_E_TRUNC (past size) / -RMCP_E_CHANGED / -errno. */
int rmcp_reader_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n,
		     struct rmcp_err *err);
/* Up to n bytes at off (fewer at the end): *got set. */
int rmcp_reader_head(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, size_t *got,
		     struct rmcp_err *err);
/*
 * Bytes [off, off + n) as a pointer: into r->mem, or a heap copy returned in *owned too
 * (free() it; NULL when nothing was copied). n is bounded by the caller's own limits.
 */
int rmcp_reader_view(struct rmcp_reader *r, uint64_t off, size_t n, const uint8_t **p,
		     void **owned, struct rmcp_err *err);

#endif
