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

#include "bytes.h"
#include "isa_hazard.h"
#include "banned.h"

#define NV 256
#define NS 106
#define NST (NV + NS)
#define TOP 0xff
#define MAX_ROUNDS 64
#define MAX_STATE (64u << 20)

static inline uint8_t ctz32(uint32_t v)
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

static inline uint8_t cap(unsigned v)
{
	return (uint8_t)(v > 32 ? 32 : v);
}

/* Constant value of a source (shift amounts); false if not a constant. */
static inline bool src_val(uint32_t code, uint32_t lit, uint32_t *v)
{
	if (code >= 128 && code <= 192)
		*v = code - 128;
	else if (code == 255)
		*v = lit;
	else
		return false;
	return true;
}

/*
 * Only registers that can reach a wide DS address matter: the slice. A register is tracked
 * when it is such an address, or a source of an instruction that writes a tracked register
 * (closed over the whole kernel, ignoring control flow, so it is a superset). The state
 * holds tracked registers only, and a block steps only through instructions that write a
 * tracked register or read a wide DS address; the others cannot change what is reported.
 */
#define UNTRACKED 0xffffu

struct align {
	uint16_t map[NST];	/* register -> state index, or UNTRACKED */
	uint8_t tb[NST / 8 + 5];	/* the tracked registers as bits, a byte per 8 (hits() reads 4) */
	size_t m;		/* tracked registers */
	size_t mp;		/* m rounded up to 16: a state's stride, so meet() has no scalar tail */
	uint32_t *rel, *relb;	/* relevant instructions; relb[b]..relb[b+1] those of block b */
	struct effect *eff;	/* [n] what each instruction writes */
	uint32_t *use;		/* instructions whose result alu() computes */
	uint8_t *outs;		/* [nb * m] */
	uint8_t *out;		/* the caller's: trailing zeros of each wide DS address */
};

static inline uint8_t get(const struct align *a, const uint8_t *st, uint32_t reg)
{
	uint16_t x = a->map[reg];
	return x == UNTRACKED ? 0 : st[x];
}

static inline void set(const struct align *a, uint8_t *st, uint32_t reg, uint8_t v)
{
	uint16_t x = a->map[reg];
	if (x != UNTRACKED)
		st[x] = v;
}

/* Register (state numbering) of a 9-bit source operand, or NST for a constant. */
static inline uint32_t src_reg(uint32_t code)
{
	return code < NS ? NV + code : code >= 256 ? code - 256 : NST;
}

/* Trailing zeros of a 9-bit source operand (SALU's 8-bit codes are the same below 256). */
static inline uint8_t src_tz(const struct align *a, const uint8_t *st, uint32_t code, uint32_t lit)
{
	uint32_t r = src_reg(code);
	if (r < NST)
		return get(a, st, r);
	if (code >= 128 && code <= 192)
		return ctz32(code - 128);
	if (code >= 193 && code <= 208)
		return ctz32((uint32_t)-(int32_t)(code - 192));
	if (code == 255)
		return ctz32(lit);
	return 0;
}

static inline uint8_t alu(const struct align *al, uint8_t kind, const uint8_t *st, const uint32_t *s, uint32_t lit)
{
	uint8_t a = src_tz(al, st, s[0], lit), b = src_tz(al, st, s[1], lit), d = src_tz(al, st, s[2], lit);
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

/*
 * What an instruction writes (up to two register ranges, state numbering) and, when it
 * computes its result from operands (alu() applies), the source operand codes. Returns
 * the number of ranges. One description shared by the slice and the transfer, so the two
 * cannot disagree about which registers an instruction touches.
 */
struct effect {
	uint16_t lo[2];		/* written ranges (n[k] 0 past nr) */
	uint8_t n[2], nr;
	bool uses;		/* dst takes alu() of s */
	bool wide;		/* a wide DS access: reads its address */
	uint16_t dst;		/* the register alu() writes, or NST: all writes are zero */
	uint16_t s[3];		/* alu()'s source codes (9-bit operand codes) */
};

static void effect_of(const struct hz_insn *in, struct effect *e)
{
	uint32_t f = in->flags, w0 = in->w0, w1 = in->w1;
	unsigned nr = 0;
	e->dst = NST;
	e->uses = false;
	e->wide = (f & HK_DS) && in->width;
	e->nr = 0;
	e->n[0] = e->n[1] = 0;
	e->lo[0] = e->lo[1] = 0;
#define RANGE(l, cnt, limit, base)                                              \
	do {                                                                     \
		uint32_t l_ = (l), c_ = (cnt);                                   \
		if (l_ < (limit)) {                                              \
			e->lo[nr] = (uint16_t)((base) + l_);                     \
			e->n[nr++] = (uint8_t)(l_ + c_ > (limit) ? (limit) - l_ : c_); \
			e->nr = (uint8_t)nr;                                     \
		}                                                                \
	} while (0)
	/* A decoded instruction's format fixes its category (isa_hazard_keys.c); an
	 * undecodable word (no flags) writes nothing. */
	if (!f)
		return;
	switch (in->fmt) {
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC:
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P: {
		bool e32 = true;
		uint32_t vdst;
		if (in->fmt == RMCP_G10_VOP1 || in->fmt == RMCP_G10_VOP2 || in->fmt == RMCP_G10_VOPC) {
			uint32_t s0 = w0 & 0x1ff;
			e32 = s0 != 0xfa && s0 != 0xf9 && s0 != 0xe9 && s0 != 0xea;
			vdst = (w0 >> 17) & 0xff;
			e->s[0] = (uint16_t)s0;
			e->s[1] = (uint16_t)(256 + ((w0 >> 9) & 0xff));
			e->s[2] = 128;
		} else {
			vdst = w0 & 0xff;
			e->s[0] = (uint16_t)(w1 & 0x1ff);
			e->s[1] = (uint16_t)((w1 >> 9) & 0x1ff);
			e->s[2] = (uint16_t)((w1 >> 18) & 0x1ff);
		}
		if (f & HK_READLANE) {
			RANGE(vdst, 1, NS, NV);
			return;
		}
		if (f & HK_VOP3B)
			RANGE((w0 >> 8) & 0x7f, 2, NS, NV);
		if (f & (HK_CMP | HK_CMPX)) {
			if (in->fmt == RMCP_G10_VOP3)
				RANGE(vdst, 2, NS, NV);
			return;
		}
		RANGE(vdst, (f & HK_WIDE64) ? 2 : 1, NV, 0);
		if (!(f & HK_WIDE64) && (e32 || in->fmt == RMCP_G10_VOP3) && in->alu != HA_NONE) {
			e->dst = (uint16_t)vdst;
			e->uses = true;
		}
		return;
	}
	case RMCP_G10_VINTRP:
		RANGE((w0 >> 18) & 0xff, 1, NV, 0);
		return;
	case RMCP_G10_SOP1:
	case RMCP_G10_SOP2:
	case RMCP_G10_SOPK:
		if (f & HK_SDEF) {
			uint32_t sdst = (w0 >> 16) & 0x7f;
			RANGE(sdst, in->width, NS, NV);
			if (in->width == 1 && sdst < NS && in->alu != HA_NONE &&
			    (in->alu == HA_MOVK || in->fmt == RMCP_G10_SOP1 || in->fmt == RMCP_G10_SOP2)) {
				e->dst = (uint16_t)(NV + sdst);
				e->uses = in->alu != HA_MOVK;
				e->s[0] = (uint16_t)(w0 & 0xff);
				e->s[1] = (uint16_t)(in->fmt == RMCP_G10_SOP2 ? (w0 >> 8) & 0xff : 128);
				e->s[2] = 128;
			}
		}
		return;
	case RMCP_G10_SMEM:
		if (f & (HK_SDEF | HK_SMEM_ATOMIC))
			RANGE((w0 >> 6) & 0x7f, in->width, NS, NV);
		return;
	case RMCP_G10_DS:
	case RMCP_G10_FLAT:
		if (f & HK_LOADS)
			RANGE(w1 >> 24, 5, NV, 0);
		return;
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
	case RMCP_G10_MIMG:
		if (f & HK_LOADS)
			RANGE((w1 >> 8) & 0xff, 5, NV, 0);
		return;
	default:	/* SOPC, SOPP, EXP: no register written */
		return;
	}
#undef RANGE
}

static inline void transfer(const struct align *a, const struct hz_insn *in, const struct effect *e, uint8_t *st)
{
	uint8_t r = 0;
	if (e->dst < NST && a->map[e->dst] != UNTRACKED) {
		uint32_t s[3] = { e->s[0], e->s[1], e->s[2] };
		if (in->alu == HA_MOVK)
			r = ctz32((uint32_t)(int32_t)(int16_t)(in->w0 & 0xffff));
		else
			r = alu(a, in->alu, st, s, in->lit);
	}
	for (unsigned k = 0; k < e->nr; k++)
		for (uint32_t i = 0; i < e->n[k]; i++)
			set(a, st, e->lo[k] + i, 0);
	if (e->dst < NST)
		set(a, st, e->dst, r);
}

static inline bool track(struct align *a, uint32_t reg)
{
	if (reg >= NST || a->map[reg] != UNTRACKED)
		return false;
	a->map[reg] = 0;	/* numbered once the slice is closed */
	a->tb[reg >> 3] |= (uint8_t)(1u << (reg & 7));
	return true;
}

/* Is a register of [lo, lo + n) tracked? n <= 16, lo + n <= NST (0 when n is 0). */
static inline bool hits(const struct align *a, uint32_t lo, uint32_t n)
{
	return ((rmcp_le32(a->tb + (lo >> 3)) >> (lo & 7)) & ((1u << n) - 1)) != 0;
}

/* The slice (struct align.map) and the relevant instructions per block, with what each
 * writes (struct align.eff). 0 or -ENOMEM. */
static int slice(struct hz_ctx *c, struct align *a)
{
	size_t nuse = 0;
	a->eff = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(*a->eff));
	a->use = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	a->rel = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	a->relb = rmcp_hz_alloc(c, (c->nb + 1) * sizeof(uint32_t));
	if (!a->eff || !a->use || !a->rel || !a->relb)
		return -ENOMEM;
	for (size_t r = 0; r < NST; r++)
		a->map[r] = UNTRACKED;
	memset(a->tb, 0, sizeof(a->tb));
	for (size_t i = 0; i < c->n; i++) {
		effect_of(&c->in[i], &a->eff[i]);
		a->use[nuse] = (uint32_t)i;
		nuse += a->eff[i].uses;
		if (a->eff[i].wide)
			track(a, c->in[i].w1 & 0xff);
	}
	/* Close over "dst tracked -> its sources tracked", backwards (uses follow defs, so
	 * one pass usually suffices; the next confirms). */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t j = nuse; j-- > 0;) {
			const struct effect *e = &a->eff[a->use[j]];
			if (a->map[e->dst] == UNTRACKED)
				continue;
			for (int k = 0; k < 3; k++)
				grew |= track(a, src_reg(e->s[k]));
		}
	}
	a->m = 0;
	for (size_t r = 0; r < NST; r++)
		if (a->map[r] != UNTRACKED)
			a->map[r] = (uint16_t)a->m++;
	size_t nrel = 0;
	for (size_t b = 0; b < c->nb; b++) {
		a->relb[b] = (uint32_t)nrel;
		for (uint32_t i = c->b[b].first; i <= c->b[b].last; i++) {
			const struct effect *e = &a->eff[i];
			a->rel[nrel] = i;	/* kept if relevant: no branch to mispredict */
			nrel += (unsigned)e->wide | (unsigned)hits(a, e->lo[0], e->n[0]) |
				(unsigned)(e->n[1] && hits(a, e->lo[1], e->n[1]));
		}
	}
	a->relb[c->nb] = (uint32_t)nrel;
	return 0;
}

/* st = min(st, po), bytewise: restrict, so it vectorizes. */
static void meet(uint8_t *restrict st, const uint8_t *restrict po, size_t m)
{
	for (size_t r = 0; r < m; r++)
		st[r] = po[r] < st[r] ? po[r] : st[r];
}

static bool align_block(struct hz_ctx *c, size_t b, void *arg)
{
	struct align *a = arg;
	const struct hz_blk *bb = &c->b[b];
	uint8_t st[(NST + 15) & ~15];
	/* The padding past m is merged with the rest but never read, compared or stepped. */
	memset(st, b == 0 ? 0 : TOP, a->mp);
	for (uint32_t p = 0; p < bb->npred; p++)
		meet(st, a->outs + (size_t)c->preds[bb->pred + p] * a->mp, a->mp);
	for (uint32_t j = a->relb[b]; j < a->relb[b + 1]; j++) {
		const struct hz_insn *in = &c->in[a->rel[j]];
		const struct effect *e = &a->eff[a->rel[j]];
		if (e->wide)
			a->out[a->rel[j]] = get(a, st, in->w1 & 0xff);
		transfer(a, in, e, st);
	}
	uint8_t *o = a->outs + b * a->mp;
	if (memcmp(o, st, a->m) == 0)
		return false;
	memcpy(o, st, a->m);
	return true;
}

int rmcp_hz_align(struct hz_ctx *c, uint8_t *out)
{
	struct align a = { .out = out };
	int rc = 0;
	if (!c->nb)
		return 0;	/* out stays 0: every wide access is "possible" */
	if ((rc = slice(c, &a)) < 0)
		goto done;
	a.mp = (a.m + 15) & ~(size_t)15;
	if (!a.m || c->nb > MAX_STATE / a.mp)
		goto done;
	if (!(a.outs = rmcp_hz_alloc(c, c->nb * a.mp))) {
		rc = -ENOMEM;
		goto done;
	}
	memset(a.outs, TOP, c->nb * a.mp);
	if ((rc = rmcp_hz_fixpoint(c, MAX_ROUNDS, align_block, &a)) > 0)
		memset(out, 0, c->n);	/* no fixed point within the bound: claim nothing */
	rc = rc < 0 ? rc : 0;
done:
	return rc;
}
