/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked MessagePack reader; see msgpack.h. Type bytes and layouts follow the
 * MessagePack specification (msgpack/msgpack spec.md, "Formats"). Every length read from the
 * input is checked against the bytes left by subtraction (`n > avail - used`), never by adding
 * to a position, so no check can wrap.
 */
#include "msgpack.h"

#include <string.h>

#include "error.h"
#include "banned.h"

void rmcp_mp_init(struct rmcp_mp *mp, const void *buf, size_t len)
{
	mp->buf = buf;
	mp->len = buf ? len : 0;
	mp->pos = 0;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Fixed-size argument of `n` bytes after the type byte. */
static int arg(const uint8_t *p, size_t avail, size_t n, uint64_t *v)
{
	if (n > avail - 1)
		return -RMCP_E_TRUNC;
	*v = be(p + 1, n);
	return 0;
}

/*
 * Payload of `n` bytes starting `hdr` bytes into p (str/bin/ext). `hdr <= avail` is
 * guaranteed by the caller's earlier arg() check.
 */
static int payload(const uint8_t *p, size_t avail, size_t hdr, uint64_t n,
		   struct rmcp_mp_item *it, size_t *used)
{
	if (n > avail - hdr)
		return -RMCP_E_TRUNC;
	it->len = (uint32_t)n;		/* every length field is at most 32 bits wide */
	it->data = p + hdr;
	*used = hdr + (size_t)n;
	return 0;
}

static int decode_ext(const uint8_t *p, size_t avail, uint8_t c, struct rmcp_mp_item *it,
		      size_t *used)
{
	uint64_t n;
	size_t w;
	int rc;

	it->type = RMCP_MP_EXT;
	if (c >= 0xd4 && c <= 0xd8) {		/* fixext 1/2/4/8/16: type byte, then data */
		if (avail < 2)
			return -RMCP_E_TRUNC;
		it->ext_type = (int8_t)p[1];
		return payload(p, avail, 2, (uint64_t)1 << (c - 0xd4), it, used);
	}
	w = (size_t)1 << (c - 0xc7);		/* ext 8/16/32: length, type byte, data */
	rc = arg(p, avail, w, &n);
	if (rc)
		return rc;
	if (avail - 1 - w < 1)
		return -RMCP_E_TRUNC;
	it->ext_type = (int8_t)p[1 + w];
	return payload(p, avail, 2 + w, n, it, used);
}

static int decode_int(const uint8_t *p, size_t avail, uint8_t c, struct rmcp_mp_item *it,
		      size_t *used)
{
	size_t w;
	uint64_t u;
	int rc;

	if (c >= 0xcc && c <= 0xcf) {		/* uint 8/16/32/64 */
		w = (size_t)1 << (c - 0xcc);
		rc = arg(p, avail, w, &u);
		if (rc)
			return rc;
		it->type = RMCP_MP_UINT;
		it->v.u = u;
	} else {				/* int 8/16/32/64: two's complement */
		w = (size_t)1 << (c - 0xd0);
		rc = arg(p, avail, w, &u);
		if (rc)
			return rc;
		if (w < 8 && (u >> (8 * w - 1)))	/* sign-extend */
			u |= ~(uint64_t)0 << (8 * w);
		it->type = RMCP_MP_INT;
		memcpy(&it->v.i, &u, sizeof(u));
	}
	*used = 1 + w;
	return 0;
}

static int decode_float(const uint8_t *p, size_t avail, uint8_t c, struct rmcp_mp_item *it,
			size_t *used)
{
	uint64_t u;
	int rc;

	it->type = RMCP_MP_FLOAT;
	if (c == 0xca) {
		uint32_t u32;
		float f;

		rc = arg(p, avail, 4, &u);
		if (rc)
			return rc;
		u32 = (uint32_t)u;
		memcpy(&f, &u32, sizeof(f));
		it->v.f = f;
		*used = 5;
	} else {
		rc = arg(p, avail, 8, &u);
		if (rc)
			return rc;
		memcpy(&it->v.f, &u, sizeof(u));
		*used = 9;
	}
	return 0;
}

/* str/bin/array/map with an explicit 8/16/32-bit length or count. */
static int decode_sized(const uint8_t *p, size_t avail, enum rmcp_mp_type type, size_t w,
			struct rmcp_mp_item *it, size_t *used)
{
	uint64_t n;
	int rc = arg(p, avail, w, &n);

	if (rc)
		return rc;
	it->type = type;
	if (type == RMCP_MP_STR || type == RMCP_MP_BIN)
		return payload(p, avail, 1 + w, n, it, used);
	it->len = (uint32_t)n;
	*used = 1 + w;
	return 0;
}

/* Decode the item at p (avail >= 1 bytes available). */
static int decode(const uint8_t *p, size_t avail, struct rmcp_mp_item *it, size_t *used)
{
	uint8_t c = p[0];

	memset(it, 0, sizeof(*it));
	*used = 1;
	if (c <= 0x7f) {
		it->type = RMCP_MP_UINT;
		it->v.u = c;
		return 0;
	}
	if (c >= 0xe0) {
		it->type = RMCP_MP_INT;
		it->v.i = (int64_t)c - 256;
		return 0;
	}
	if (c <= 0x8f) {
		it->type = RMCP_MP_MAP;
		it->len = c & 0x0fu;
		return 0;
	}
	if (c <= 0x9f) {
		it->type = RMCP_MP_ARRAY;
		it->len = c & 0x0fu;
		return 0;
	}
	if (c <= 0xbf) {
		it->type = RMCP_MP_STR;
		return payload(p, avail, 1, c & 0x1fu, it, used);
	}
	switch (c) {
	case 0xc0:
		it->type = RMCP_MP_NIL;
		return 0;
	case 0xc1:				/* "never used" in the spec */
		return -RMCP_E_FORMAT;
	case 0xc2:
	case 0xc3:
		it->type = RMCP_MP_BOOL;
		it->v.b = c == 0xc3;
		return 0;
	case 0xc4: case 0xc5: case 0xc6:
		return decode_sized(p, avail, RMCP_MP_BIN, (size_t)1 << (c - 0xc4), it, used);
	case 0xc7: case 0xc8: case 0xc9:
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		return decode_ext(p, avail, c, it, used);
	case 0xca: case 0xcb:
		return decode_float(p, avail, c, it, used);
	case 0xd9: case 0xda: case 0xdb:
		return decode_sized(p, avail, RMCP_MP_STR, (size_t)1 << (c - 0xd9), it, used);
	case 0xdc: case 0xdd:
		return decode_sized(p, avail, RMCP_MP_ARRAY, (size_t)2 << (c - 0xdc), it, used);
	case 0xde: case 0xdf:
		return decode_sized(p, avail, RMCP_MP_MAP, (size_t)2 << (c - 0xde), it, used);
	default:				/* 0xcc..0xd3 */
		return decode_int(p, avail, c, it, used);
	}
}

int rmcp_mp_peek(const struct rmcp_mp *mp, struct rmcp_mp_item *it)
{
	size_t used;

	if (mp->pos >= mp->len)
		return -RMCP_E_TRUNC;
	return decode(mp->buf + mp->pos, mp->len - mp->pos, it, &used);
}

int rmcp_mp_next(struct rmcp_mp *mp, struct rmcp_mp_item *it)
{
	size_t used;
	int rc;

	if (mp->pos >= mp->len)
		return -RMCP_E_TRUNC;
	rc = decode(mp->buf + mp->pos, mp->len - mp->pos, it, &used);
	if (rc)
		return rc;
	mp->pos += used;
	return 0;
}

/*
 * left[d] counts the items still to read at nesting level d, so nesting costs a fixed array
 * instead of C stack. Every item consumes at least one byte, so the loop ends within
 * len iterations whatever the declared counts say.
 */
int rmcp_mp_skip(struct rmcp_mp *mp)
{
	uint64_t left[RMCP_MP_MAX_DEPTH + 1];
	size_t start = mp->pos;
	unsigned d = 0;
	struct rmcp_mp_item it;
	int rc;

	left[0] = 1;
	for (;;) {
		while (left[d] == 0) {
			if (d == 0)
				return 0;
			d--;
		}
		left[d]--;
		rc = rmcp_mp_next(mp, &it);
		if (rc)
			goto fail;
		if (it.type != RMCP_MP_ARRAY && it.type != RMCP_MP_MAP)
			continue;
		if (d == RMCP_MP_MAX_DEPTH) {
			rc = -RMCP_E_LIMIT;
			goto fail;
		}
		d++;
		left[d] = it.type == RMCP_MP_MAP ? 2 * (uint64_t)it.len : it.len;
		/* cheap early out for absurd counts: each element needs >= 1 byte */
		if (left[d] > rmcp_mp_remaining(mp)) {
			rc = -RMCP_E_TRUNC;
			goto fail;
		}
	}
fail:
	mp->pos = start;
	return rc;
}

static int read_typed(struct rmcp_mp *mp, enum rmcp_mp_type type, struct rmcp_mp_item *it)
{
	int rc = rmcp_mp_peek(mp, it);

	if (rc)
		return rc;
	if (it->type != type)
		return -RMCP_E_FORMAT;
	return rmcp_mp_next(mp, it);
}

int rmcp_mp_read_str(struct rmcp_mp *mp, const char **s, uint32_t *n)
{
	struct rmcp_mp_item it;
	int rc = read_typed(mp, RMCP_MP_STR, &it);

	if (rc)
		return rc;
	*s = (const char *)it.data;
	*n = it.len;
	return 0;
}

int rmcp_mp_read_array(struct rmcp_mp *mp, uint32_t *n)
{
	struct rmcp_mp_item it;
	int rc = read_typed(mp, RMCP_MP_ARRAY, &it);

	if (rc)
		return rc;
	*n = it.len;
	return 0;
}

int rmcp_mp_read_map(struct rmcp_mp *mp, uint32_t *n)
{
	struct rmcp_mp_item it;
	int rc = read_typed(mp, RMCP_MP_MAP, &it);

	if (rc)
		return rc;
	*n = it.len;
	return 0;
}

int rmcp_mp_read_uint(struct rmcp_mp *mp, uint64_t *v)
{
	struct rmcp_mp_item it;
	int rc = rmcp_mp_peek(mp, &it);

	if (rc)
		return rc;
	if (it.type == RMCP_MP_UINT)
		*v = it.v.u;
	else if (it.type == RMCP_MP_INT && it.v.i >= 0)
		*v = (uint64_t)it.v.i;
	else
		return -RMCP_E_FORMAT;
	return rmcp_mp_next(mp, &it);
}

bool rmcp_mp_str_eq(const struct rmcp_mp_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->type == RMCP_MP_STR && it->len == n && memcmp(it->data, s, n) == 0;
}
