/* SPDX-License-Identifier: MIT */
/*
 * A small bounds-checked MessagePack reader over (const void *buf, size_t len).
 *
 * Used for TheRock kpack archives and `.rocm_kpack_ref` sections (kpack.c), and meant to be
 * reused for AMDGPU code-object metadata notes (NT_AMDGPU_METADATA is MessagePack too,
 * llvm/docs/AMDGPUUsage.rst "Code Object V3 and Above Metadata").
 *
 * Format: https://github.com/msgpack/msgpack/blob/master/spec.md. All multi-byte values are
 * big-endian. The reader never copies payloads: strings, binaries and ext payloads are returned
 * as (pointer, length) into the caller's buffer, not NUL-terminated.
 *
 * Cursor model: rmcp_mp_next() reads one item header. Scalars, str, bin and ext are consumed
 * whole (their payload is bounds-checked). For an array or a map only the header is consumed:
 * its len elements (arrays) or len key/value pairs (maps) follow and are read with further
 * calls, or skipped with rmcp_mp_skip().
 *
 * Errors (negative, error.h): -RMCP_E_TRUNC when the buffer ends inside an item,
 * -RMCP_E_FORMAT for the reserved byte 0xc1 or a type the caller did not expect,
 * -RMCP_E_LIMIT when nesting exceeds RMCP_MP_MAX_DEPTH while skipping. On error the cursor does
 * not move. No global state; nothing is printed.
 */
#ifndef RMCP_MSGPACK_H
#define RMCP_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Containers nested deeper than this are refused by rmcp_mp_skip (no recursion is used). */
#define RMCP_MP_MAX_DEPTH 32

enum rmcp_mp_type {
	RMCP_MP_NIL,
	RMCP_MP_BOOL,
	RMCP_MP_UINT,	/* positive fixint, uint 8/16/32/64: value in v.u */
	RMCP_MP_INT,	/* negative fixint, int 8/16/32/64: value in v.i (may be >= 0) */
	RMCP_MP_FLOAT,	/* float 32/64: value in v.f */
	RMCP_MP_STR,	/* data/len: UTF-8 bytes, not NUL-terminated */
	RMCP_MP_BIN,	/* data/len */
	RMCP_MP_ARRAY,	/* len elements follow */
	RMCP_MP_MAP,	/* len key/value pairs follow */
	RMCP_MP_EXT,	/* data/len payload, ext_type */
};

struct rmcp_mp_item {
	enum rmcp_mp_type type;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double f;
	} v;
	uint32_t len;		/* STR/BIN/EXT: payload bytes; ARRAY: elements; MAP: pairs */
	const uint8_t *data;	/* STR/BIN/EXT payload inside the buffer, else NULL */
	int8_t ext_type;	/* EXT only */
};

struct rmcp_mp {
	const uint8_t *buf;
	size_t len;
	size_t pos;		/* next byte to read, always <= len */
};

void rmcp_mp_init(struct rmcp_mp *mp, const void *buf, size_t len);

/* Bytes not yet consumed. */
static inline size_t rmcp_mp_remaining(const struct rmcp_mp *mp)
{
	return mp->len - mp->pos;
}

/* Read the next item header (see the cursor model above). */
int rmcp_mp_next(struct rmcp_mp *mp, struct rmcp_mp_item *it);

/* Read the next item header without consuming it. */
int rmcp_mp_peek(const struct rmcp_mp *mp, struct rmcp_mp_item *it);

/* Skip one complete item, including every nested element. Iterative, depth-limited. */
int rmcp_mp_skip(struct rmcp_mp *mp);

/*
 * Typed reads: consume the next item if it has the expected type, else -RMCP_E_FORMAT and the
 * cursor does not move.
 */
int rmcp_mp_read_str(struct rmcp_mp *mp, const char **s, uint32_t *n);
int rmcp_mp_read_array(struct rmcp_mp *mp, uint32_t *n);
int rmcp_mp_read_map(struct rmcp_mp *mp, uint32_t *n);
/* Any integer format holding a value >= 0 (encoders may use signed formats for small values). */
int rmcp_mp_read_uint(struct rmcp_mp *mp, uint64_t *v);

/* True if `it` is a STR equal to the NUL-terminated `s`. */
bool rmcp_mp_str_eq(const struct rmcp_mp_item *it, const char *s);

#endif
