/* SPDX-License-Identifier: MIT */
/*
 * Compressed offload bundles, magic "CCOB" (research/binaries.md §1.2; llvm/lib/Object/
 * OffloadBundle.cpp CompressedOffloadBundle::RawCompressedBundleHeader, getHeaderSize,
 * tryParse; clang/lib/Driver/OffloadBundler.cpp has the same code).
 *
 *   common: char magic[4] = "CCOB"; u16 version; u16 method (0 zlib, 1 zstd)
 *   v1 (20 B): common; u32 uncompressed_size; u64 hash      (payload runs to the stream end)
 *   v2 (24 B): common; u32 total_size; u32 uncompressed_size; u64 hash
 *   v3 (32 B): common; u64 total_size; u64 uncompressed_size; u64 hash
 *
 * The payload decompresses to an uncompressed bundle (bundle.h). A listing decompresses
 * only the entry table; decompression never allocates from a declared size it has not
 * checked against the compressed size (decompression bombs are an error, not an OOM).
 */
#ifndef RMCP_CCOB_H
#define RMCP_CCOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "bundle.h"
#include "error.h"

#define RMCP_CCOB_MAGIC "CCOB"
/* Highest uncompressed:compressed ratio accepted: the budget every compressed input shares
 * (budget.h). Code objects compress 5-20x with zstd; a bundle claiming more is a bomb. */
#define RMCP_CCOB_MAX_RATIO RMCP_INFLATE_MAX_RATIO
#define RMCP_CCOB_MAX_UNCOMPRESSED (64ULL << 30)

enum rmcp_ccob_method { RMCP_CCOB_ZLIB = 0, RMCP_CCOB_ZSTD = 1 };

struct rmcp_ccob_hdr {
	uint16_t version;
	uint16_t method;
	size_t header_size;
	uint64_t total_size;		/* header + payload; for v1 found by reading the stream */
	uint64_t uncompressed_size;
	uint64_t hash;
};

bool rmcp_is_ccob(const void *buf, size_t len);

/*
 * Parse and check the header of a CCOB at the start of buf (len bytes available; for v2/v3
 * total_size must fit in len). For v1, total_size is found from the compressed stream's own
 * framing, which may read the stream (zlib) or its block headers (zstd).
 */
int rmcp_ccob_header(const void *buf, size_t len, struct rmcp_ccob_hdr *hdr, struct rmcp_err *err);

/* A streaming decompressor over one CCOB payload, bounded by the declared uncompressed size. */
struct rmcp_ccob_stream;

int rmcp_ccob_stream_open(struct rmcp_ccob_stream **out, const void *buf, size_t len,
			  const struct rmcp_ccob_hdr *hdr, struct rmcp_err *err);
/* Read up to n bytes. Returns bytes read (0 = end of stream) or a negative code. */
long long rmcp_ccob_stream_read(struct rmcp_ccob_stream *s, void *dst, size_t n,
				struct rmcp_err *err);
/* Discard n bytes of output. */
int rmcp_ccob_stream_skip(struct rmcp_ccob_stream *s, uint64_t n, struct rmcp_err *err);
uint64_t rmcp_ccob_stream_pos(const struct rmcp_ccob_stream *s);
void rmcp_ccob_stream_close(struct rmcp_ccob_stream *s);

/*
 * Decompress just enough to parse the bundle's entry table. On success *prefix holds the
 * decompressed prefix (free() it; entries' id pointers point into it) and out the table.
 */
int rmcp_ccob_list(const void *buf, size_t len, const struct rmcp_ccob_hdr *hdr,
		   struct rmcp_bundle *out, void **prefix, struct rmcp_err *err);

/* Decompress the whole payload into a new buffer (free() it). */
int rmcp_ccob_decompress(const void *buf, size_t len, const struct rmcp_ccob_hdr *hdr,
			 void **out, size_t *out_len, struct rmcp_err *err);

#endif
