/* SPDX-License-Identifier: MIT */
/* Little-endian loads from unaligned bytes: every on-disk format rmcp reads is little-endian
 * (clang OffloadBundle, CCOB, ELF64 LSB, zip, kpack). */
#ifndef RMCP_BYTES_H
#define RMCP_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t rmcp_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t rmcp_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t rmcp_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)rmcp_le32(b) | (uint64_t)rmcp_le32(b + 4) << 32;
}

static inline uint64_t rmcp_align_up(uint64_t v, uint64_t a)
{
	return (v + (a - 1)) & ~(a - 1);
}

#endif
