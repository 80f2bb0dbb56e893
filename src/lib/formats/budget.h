/* SPDX-License-Identifier: MIT */
/*
 * One decompression budget for every compressed input rmcp reads: CCOB payloads (ccob.c) and
 * zip members of every method libzip reads (scan_zip.c: stored, deflate, bzip2, xz, zstd, ...).
 * A member or payload may declare at most RMCP_INFLATE_MAX_RATIO times its compressed size
 * and at most an absolute cap, and is never inflated past what it declares; members are
 * streamed, so what it declares bounds time, not memory. Code objects compress 5-20x with
 * zstd, whole wheels of ROCm libraries about 4-10x with deflate; a 957-byte bzip2 member
 * declaring 1 GB (ratio ~10^6) is a bomb (issue 13, defect 3).
 */
#ifndef RMCP_BUDGET_H
#define RMCP_BUDGET_H

#include <stdint.h>

#include "error.h"

#define RMCP_INFLATE_MAX_RATIO 1024

/* 0, or -RMCP_E_LIMIT with err naming `what`, the sizes and the limit that was hit. */
static inline int rmcp_inflate_budget(uint64_t compressed, uint64_t declared, uint64_t cap,
				      const char *what, struct rmcp_err *err)
{
	if (declared > cap)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "%s declares %llu bytes, over the %llu-byte "
				    "limit", what, (unsigned long long)declared,
				    (unsigned long long)cap);
	if (declared / RMCP_INFLATE_MAX_RATIO > compressed)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "%s declares %llu bytes from %llu compressed "
				    "bytes, over the %d:1 ratio limit (decompression bomb?)", what,
				    (unsigned long long)declared, (unsigned long long)compressed,
				    RMCP_INFLATE_MAX_RATIO);
	return 0;
}

#endif
