/* SPDX-License-Identifier: MIT */
/*
 * src/lib/core/ -- what every stage shares: the error convention (this header), byte readers
 * (bytes.h), small file helpers (fsutil.h), the SIGBUS guard for mapped files that may shrink
 * (mapguard.h, not linked into librmcp.so), the gfx target table (target.h) and banned.h.
 * core includes only the C library and itself; every other folder may include it.
 */
/*
 * One error convention for the whole core (CONVENTIONS.md, "one error convention per layer"):
 * functions return 0 (or a count) on success and a negative code on failure: -errno, or
 * -RMCP_E_* from the private range below. When the caller passes a struct rmcp_err, the
 * failing function also leaves a one-line message naming what was wrong and where.
 * The core never prints and never exits: it is linked into librmcp.so.
 */
#ifndef RMCP_ERROR_H
#define RMCP_ERROR_H

#include <stddef.h>

enum rmcp_errcode {
	RMCP_E_BASE = 4096,
	RMCP_E_TRUNC = RMCP_E_BASE,	/* data ends before a structure it declares */
	RMCP_E_FORMAT,			/* bad magic, bad field value, inconsistent structure */
	RMCP_E_UNSUPPORTED,		/* well-formed, but a version/method we do not read */
	RMCP_E_LIMIT,			/* exceeds a safety limit (counts, sizes, ratio) */
	RMCP_E_DECOMPRESS,		/* the compressed stream is corrupt */
	RMCP_E_NOLIB,			/* an optional library needed for this input is missing */
	RMCP_E_CHANGED,			/* the file shrank or vanished while it was being read */
	RMCP_E_NOTREG,			/* a file rmcp would write exists and is not a regular file */
	RMCP_E_UNTRUSTED,		/* a cache not owned by the user, or writable by others */
	RMCP_E_END
};

struct rmcp_err {
	int code;		/* negative code, 0 if no error */
	char msg[256];		/* human-readable, lowercase, no trailing newline */
};

/* Text for a negative code (either -errno or -RMCP_E_*). Never NULL. */
const char *rmcp_strerror(int code);

/*
 * Record an error and return `code` (negative), so parsers can write
 *	return rmcp_err_set(err, -RMCP_E_TRUNC, "bundle entry %zu: size past end", i);
 * err may be NULL. The first error recorded wins: context added by callers goes through
 * rmcp_err_prefix, so the innermost cause is never overwritten.
 */
int rmcp_err_set(struct rmcp_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "context: " to an already-recorded message. Returns err->code. */
int rmcp_err_prefix(struct rmcp_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void rmcp_err_clear(struct rmcp_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

#endif
