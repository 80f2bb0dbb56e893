/* SPDX-License-Identifier: MIT */
/*
 * Address alignment for lds-misaligned-bug: which DS accesses wider than a dword have an
 * address the code proves naturally aligned? A forward dataflow over the kernel's blocks
 * tracks, per VGPR and SGPR, a lower bound of its trailing zero bits (0 = unknown, 32 =
 * zero), through moves, adds, ands/ors, shifts left and multiplies; anything else, loads
 * and function entry give 0. Meet is the minimum over predecessors, iterated to a fixed
 * point. It assumes the lanes that access LDS were active when their address was computed
 * (as in any compiler-built code); unknown alignment is reported as a possible hazard.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "banned.h"

#define NV 256
#define NS 106
#define NST (NV + NS)
#define TOP 0xff
#define MAX_ROUNDS 64
#define MAX_STATE (64u << 20)

static uint8_t ctz32(uint32_t v)
{
	if (!v)
		return 32;
	uint8_t n = 0;
	while (!(v & 1)) {
		v >>= 1;
		n++;
	}
	return n;
}

static uint8_t cap(unsigned v)
{
	return (uint8_t)(v > 32 ? 32 : v);
}

/* Trailing zeros of a 9-bit source operand (SALU's 8-bit codes are the same below 256). */
static uint8_t src_tz(const uint8_t *st, uint32_t code, uint32_t lit)
{
	if (code < NS)
		return st[NV + code];
	if (code >= 256)
		return st[code - 256];
	if (code >= 128 && code <= 192)
		return ctz32(code - 128);
	if (code >= 193 && code <= 208)
		return ctz32((uint32_t)-(int32_t)(code - 192));
	if (code == 255)
		return ctz32(lit);
	return 0;
}

/* Constant value of a source (shift amounts); false if not a constant. */
static bool src_val(uint32_t code, uint32_t lit, uint32_t *v)
{
	if (code >= 128 && code <= 192)
		*v = code - 128;
	else if (code == 255)
		*v = lit;
	else
		return false;
	return true;
}

static uint8_t alu(uint8_t kind, const uint8_t *st, const uint32_t *s, uint32_t lit)
{
	uint8_t a = src_tz(st, s[0], lit), b = src_tz(st, s[1], lit), d = src_tz(st, s[2], lit);
	uint32_t k;
	switch (kind) {
	case HA_MOV:
		return a;
	case HA_ADD:
	case HA_OR:
	case HA_CND:
		return a < b ? a : b;
	case HA_AND:
		return a > b ? a : b;
	case HA_SHLREV:	/* src1 << src0 */
		return src_val(s[0], lit, &k) ? cap(b + (k & 31)) : b;
	case HA_SHL:	/* src0 << src1 */
		return src_val(s[1], lit, &k) ? cap(a + (k & 31)) : a;
	case HA_SHL_ADD:
	case HA_SHL_OR: {
		uint8_t x = src_val(s[1], lit, &k) ? cap(a + (k & 31)) : a;
		return x < d ? x : d;
	}
	case HA_MUL:
		return cap((unsigned)a + b);
	case HA_MAD: {
		uint8_t x = cap((unsigned)a + b);
		return x < d ? x : d;
	}
	case HA_ADD3: {
		uint8_t x = a < b ? a : b;
		return x < d ? x : d;
	}
	case HA_AND_OR: {
		uint8_t x = a > b ? a : b;
		return x < d ? x : d;
	}
	default:
		return 0;
	}
}

static void kill(uint8_t *st, uint32_t lo, uint32_t n, uint32_t limit, uint32_t base)
{
	for (uint32_t i = lo; i < lo + n && i < limit; i++)
		st[base + i] = 0;
}

static void transfer(const struct hz_insn *in, uint8_t *st)
{
	uint32_t f = in->flags, w0 = in->w0, w1 = in->w1, s[3] = { 0, 0, 0 };
	if (f & HK_VALU) {
		bool e32 = true;
		uint32_t vdst;
		if (in->fmt == RMCP_G10_VOP1 || in->fmt == RMCP_G10_VOP2 || in->fmt == RMCP_G10_VOPC) {
			uint32_t s0 = w0 & 0x1ff;
			e32 = s0 != 0xfa && s0 != 0xf9 && s0 != 0xe9 && s0 != 0xea;
			vdst = (w0 >> 17) & 0xff;
			s[0] = s0;
			s[1] = 256 + ((w0 >> 9) & 0xff);
			s[2] = 128;
		} else if (in->fmt == RMCP_G10_VINTRP) {
			st[(w0 >> 18) & 0xff] = 0;
			return;
		} else {
			vdst = w0 & 0xff;
			s[0] = w1 & 0x1ff;
			s[1] = (w1 >> 9) & 0x1ff;
			s[2] = (w1 >> 18) & 0x1ff;
		}
		if (f & HK_READLANE) {
			kill(st, vdst, 1, NS, NV);
			return;
		}
		if (f & HK_VOP3B)
			kill(st, (w0 >> 8) & 0x7f, 2, NS, NV);
		if (f & (HK_CMP | HK_CMPX)) {
			if (in->fmt == RMCP_G10_VOP3)
				kill(st, vdst, 2, NS, NV);
			return;
		}
		uint8_t r = e32 || in->fmt == RMCP_G10_VOP3 ? alu(in->alu, st, s, in->lit) : 0;
		if (f & HK_WIDE64)
			r = 0;
		st[vdst] = r;
		if ((f & HK_WIDE64) && vdst + 1 < NV)
			st[vdst + 1] = 0;
		return;
	}
	if ((f & HK_SALU) && (f & HK_SDEF)) {
		uint32_t sdst = (w0 >> 16) & 0x7f;
		uint8_t r = 0;
		if (in->width == 1) {
			if (in->alu == HA_MOVK)
				r = ctz32((uint32_t)(int32_t)(int16_t)(w0 & 0xffff));
			else if (in->fmt == RMCP_G10_SOP1 || in->fmt == RMCP_G10_SOP2) {
				s[0] = w0 & 0xff;
				s[1] = in->fmt == RMCP_G10_SOP2 ? (w0 >> 8) & 0xff : 128;
				r = alu(in->alu, st, s, in->lit);
			}
		}
		kill(st, sdst, in->width, NS, NV);
		if (sdst < NS)
			st[NV + sdst] = r;
		return;
	}
	if ((f & HK_SMEM) && (f & (HK_SDEF | HK_SMEM_ATOMIC))) {
		kill(st, (w0 >> 6) & 0x7f, in->width, NS, NV);
		return;
	}
	if (f & HK_LOADS) {
		uint32_t vd = (in->fmt == RMCP_G10_DS || in->fmt == RMCP_G10_FLAT) ? w1 >> 24 : (w1 >> 8) & 0xff;
		kill(st, vd, 5, NV, 0);
	}
}

int rmcp_hz_align(struct hz_ctx *c, uint8_t *out)
{
	if (!c->nb || c->nb > MAX_STATE / NST)
		return 0;	/* out stays 0: every wide access is "possible" */
	uint8_t *outs = malloc(c->nb * NST), st[NST];
	uint32_t *chg = calloc(c->nb, sizeof(uint32_t));	/* round in which out[b] last changed */
	if (!outs || !chg) {
		free(outs);
		free(chg);
		return -ENOMEM;
	}
	memset(outs, TOP, c->nb * NST);
	bool changed = true;
	for (uint32_t round = 1; changed && round <= MAX_ROUNDS; round++) {
		changed = false;
		for (size_t b = 0; b < c->nb; b++) {
			const struct hz_blk *bb = &c->b[b];
			bool need = round == 1;	/* later rounds: only below a changed predecessor */
			for (uint32_t p = 0; !need && p < bb->npred; p++)
				need = chg[c->preds[bb->pred + p]] + 1 >= round;
			if (!need)
				continue;
			memset(st, b == 0 ? 0 : TOP, NST);
			for (uint32_t p = 0; p < bb->npred; p++) {
				const uint8_t *po = outs + (size_t)c->preds[bb->pred + p] * NST;
				for (size_t r = 0; r < NST; r++)
					if (po[r] < st[r])
						st[r] = po[r];
			}
			for (uint32_t i = bb->first; i <= bb->last; i++) {
				if ((c->in[i].flags & HK_DS) && c->in[i].width)
					out[i] = st[c->in[i].w1 & 0xff];
				transfer(&c->in[i], st);
			}
			uint8_t *o = outs + b * NST;
			if (memcmp(o, st, NST) != 0) {
				memcpy(o, st, NST);
				chg[b] = round;
				changed = true;
			}
		}
	}
	if (changed)	/* no fixed point within the bound: claim nothing */
		for (size_t i = 0; i < c->n; i++)
			out[i] = 0;
	free(outs);
	free(chg);
	return 0;
}
