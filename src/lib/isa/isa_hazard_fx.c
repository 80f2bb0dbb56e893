/* SPDX-License-Identifier: MIT */
/*
 * What each instruction does for the gfx10.1 hazard searches (struct hz_fx), worked out once
 * per instruction: the SGPRs it reads and defines, and whether it starts, ends or triggers
 * each pattern of isa_hazard.c. The conditions are LLVM 19.1.7's (GCNHazardRecognizer.cpp,
 * SIInstrInfo.h; see isa_hazard.c's header for the functions each class follows).
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "isa_hazard.h"
#include "banned.h"

/* ---- registers ---- */

/* r |= registers [lo, lo + n) below 128, null excluded (n <= 32: no operand is wider).
 * Without branches: lo is anywhere. */
static inline void add(struct hz_regs *r, uint32_t lo, uint32_t n)
{
	uint64_t m = (1ull << (n > 32 ? 32 : n)) - 1;
	uint32_t sh = lo & 63;
	uint64_t a = m << sh, b = (m >> 1) >> (63 - sh);	/* b: what crosses into the next word */
	uint64_t low = 0 - (uint64_t)(lo < 64), in = 0 - (uint64_t)(lo < 128);
	r->m[0] |= a & low;
	r->m[1] |= ((b & low) | (a & ~low)) & in;
	r->m[HZ_NULL >> 6] &= ~(1ull << (HZ_NULL & 63));
}

static const struct hz_regs exec_regs = { { 0, 3ull << (HZ_EXEC_LO - 64) } };


static inline uint32_t sopk_op(const struct hz_insn *in)
{
	return in->fmt == RMCP_G10_SOPK ? (in->w0 >> 23) & 0x1f : 0xff;
}


/* SGPRs a VMEM/DS/FLAT/EXP instruction reads, EXEC included (implicit use). */
static inline void mem_reads(const struct hz_insn *in, struct hz_regs *r)
{
	add(r, HZ_EXEC_LO, 2);
	switch (in->fmt) {
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
		add(r, ((in->w1 >> 16) & 0x1f) * 4, 4);
		if ((in->w1 >> 24) < 128)
			add(r, in->w1 >> 24, 1);
		break;
	case RMCP_G10_MIMG:
		add(r, ((in->w1 >> 16) & 0x1f) * 4, (in->w0 >> 15) & 1 ? 4 : 8);
		if (in->flags & HK_SAMPLE)
			add(r, ((in->w1 >> 21) & 0x1f) * 4, 4);
		break;
	case RMCP_G10_FLAT: {
		uint32_t saddr = (in->w1 >> 16) & 0x7f;
		if (flat_seg(in) && saddr != HZ_NULL && saddr != 0x7f)
			add(r, saddr, flat_seg(in) == 2 ? 2 : 1);
		break;
	}
	case RMCP_G10_DS:
		if ((in->flags & HK_M0) || ((in->w0 >> 17) & 1))
			add(r, HZ_M0, 1);
		break;
	default:
		break;
	}
}

/* SGPRs an SMEM instruction reads. */
static inline void smem_reads(const struct hz_insn *in, struct hz_regs *r)
{
	if (!(in->flags & HK_SMEM_NOBASE))
		add(r, (in->w0 & 0x3f) * 2, (in->flags & HK_SAMPLE) ? 4 : 2);
	if ((in->w1 >> 25) != HZ_NULL && !(in->flags & HK_SMEM_NOBASE))
		add(r, in->w1 >> 25, 1);
	if (in->flags & HK_SMEM_STORE)
		add(r, (in->w0 >> 6) & 0x7f, in->width);
}

/* Explicit SGPR definitions of a SALU or SMEM instruction (LLVM's MI->defs()). */
static inline void scalar_defs(const struct hz_insn *in, struct hz_regs *r)
{
	if (in->flags & HK_SALU) {
		if (in->flags & HK_SDEF)
			add(r, (in->w0 >> 16) & 0x7f, in->width);
	} else if (in->flags & HK_SMEM) {
		if ((in->flags & HK_SDEF) || ((in->flags & HK_SMEM_ATOMIC) && ((in->w0 >> 16) & 1)))
			add(r, (in->w0 >> 6) & 0x7f, in->width);
	}
}

/* SGPR a VALU instruction writes, as fixSMEMtoVectorWriteHazards picks it: v_readlane's
 * and v_readfirstlane's vdst, else the named sdst, else the first implicit SGPR def.
 * *sdst_or_implicit: it has a named sdst or an implicit SGPR def (fixVcmpxExecWARHazard's
 * expiry). Returns false if it writes no SGPR. */
static inline bool valu_sdef(const struct hz_ctx *c, const struct hz_insn *in, struct hz_regs *r, bool *sdst_or_implicit)
{
	uint32_t mw = c->wave64 ? 2 : 1;
	uint32_t f = in->flags;
	*sdst_or_implicit = true;
	if (f & HK_READLANE) {
		*sdst_or_implicit = false;
		add(r, in->fmt == RMCP_G10_VOP1 ? (in->w0 >> 17) & 0xff : in->w0 & 0xff, 1);
		return true;
	}
	if (f & HK_CMPX) {
		add(r, HZ_EXEC_LO, mw);	/* gfx10 v_cmpx writes EXEC only (the _nosdst forms) */
		return true;
	}
	if (f & HK_CMP) {
		if (in->fmt == RMCP_G10_VOP3)
			add(r, in->w0 & 0xff, mw);
		else if ((in->w0 & 0x1ff) == 0xf9 && ((in->w1 >> 15) & 1))
			add(r, (in->w1 >> 8) & 0x7f, mw);	/* SDWA with sdst */
		else
			add(r, HZ_VCC_LO, mw);
		return true;
	}
	if (f & HK_VOP3B) {
		add(r, (in->w0 >> 8) & 0x7f, mw);
		return true;
	}
	if (f & HK_VCC_CARRY) {
		add(r, HZ_VCC_LO, mw);
		return true;
	}
	*sdst_or_implicit = false;
	return false;
}

/* ---- what each instruction does, once (struct hz_fx) ---- */

/* vmem_to_scalar's expiry: a VALU, s_waitcnt 0, or s_waitcnt_depctr with vm_vsrc(0). */
static inline bool vts_expires(const struct hz_insn *in)
{
	return (in->flags & HK_VALU) || (sopp_op(in) == 0x0c && (in->w0 & 0xffff) == 0) ||
	       (sopp_op(in) == 0x23 && ((in->w0 >> 2) & 7) == 0);
}

/* smem_to_vector's expiry for anything but SMEM. */
static inline bool stv_expires(const struct hz_insn *in)
{
	if (!(in->flags & HK_SALU))
		return false;
	switch (sopk_op(in)) {
	case 0x01: /* s_version */
	case 0x17: /* s_waitcnt_vscnt */
	case 0x18: /* s_waitcnt_vmcnt */
	case 0x19: /* s_waitcnt_expcnt */
		return false;
	case 0x1a: /* s_waitcnt_lgkmcnt null, 0 */
		return (in->w0 & 0xffff) == 0 && ((in->w0 >> 16) & 0x7f) == HZ_NULL;
	default:
		break;
	}
	if (in->fmt == RMCP_G10_SOPP)	/* s_waitcnt lgkmcnt(0) [13:8]; other SOPPs do not */
		return sopp_op(in) == 0x0c && ((in->w0 >> 8) & 0x3f) == 0;
	return true;
}

static inline bool salu_reads_exec(const struct hz_insn *in)
{
	if (in->flags & HK_EXEC_READ)
		return true;
	uint32_t s0 = in->w0 & 0xff, s1 = (in->w0 >> 8) & 0xff;
	switch (in->fmt) {
	case RMCP_G10_SOP2:
	case RMCP_G10_SOPC:
		return s0 == 126 || s0 == 127 || s1 == 126 || s1 == 127;
	case RMCP_G10_SOP1:
		return s0 == 126 || s0 == 127;
	default:
		return false;
	}
}

static inline bool vscnt_zero(const struct hz_insn *in)
{
	return sopk_op(in) == 0x17 && ((in->w0 >> 16) & 0x7f) == HZ_NULL && (in->w0 & 0xffff) == 0;
}

/* Does one of the single-instruction checks of run() apply to this instruction? */
static inline bool local_check(const struct hz_insn *in)
{
	switch (in->fmt) {
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
		return (in->w0 & 6) != 0;
	case RMCP_G10_SOPP:
		return sopp_op(in) == 0x21 || sopp_op(in) == 0x20 ||
		       ((in->flags & HK_BRANCH) && (in->w0 & 0xffff) == 0x3f);
	case RMCP_G10_FLAT:
		return (in->flags & HK_FLAT) != 0;
	case RMCP_G10_DS:
		return (in->flags & HK_DS) && in->width;
	default:
		return false;
	}
}

/* A VALU's FX bits past FX_VTS_EXP; *defs: the SGPRs it writes (valu_sdef). */
static inline uint32_t valu_bits(const struct hz_ctx *c, const struct hz_insn *in, struct hz_regs *defs)
{
	uint32_t f = in->flags, e = 0;
	bool named;
	if (valu_sdef(c, in, defs, &named)) {
		e |= FX_VSDEF;
		if (meets(defs, &exec_regs))
			e |= FX_DEF_EXEC;
	}
	e |= named ? FX_CX_EXP : 0;	/* vcmpx-exec-war ends at a named SGPR write */
	if ((f & HK_CMP) && (e & FX_DEF_EXEC))
		e |= FX_PERM_SET;
	else if (!(f & HK_VNOP))
		e |= FX_PERM_EXP;
	if (f & HK_PERMLANE)
		e |= FX_PERMLANE;
	return e;
}

/* What a word without properties does: one the code's class cannot decode (data), whose
 * format's field tests can still match (a SOPP s_waitcnt 0 or s_waitcnt_depctr, a SOPK
 * s_waitcnt_vscnt null, 0, a MUBUF/MTBUF offset with bit 1 or 2 set, a SOPP s_clause or
 * s_inst_prefetch).
 * It reads and writes no SGPR. */
static uint32_t effect_unflagged(const struct hz_insn *in, struct hz_fx *x)
{
	uint32_t e = (vts_expires(in) ? FX_VTS_EXP : 0) | (vscnt_zero(in) ? FX_VSCNT0 : 0) |
		     (local_check(in) ? FX_LOCAL : 0);
	if (sopp_op(in) == 0x23 && (in->w0 & 1) == 0)
		e |= FX_CX_EXP;
	x->rd = 0;
	x->e = e;
	return e;
}

/* The FX_* bits of every instruction of a key that is a VALU writing no SGPR (they do not
 * depend on the operands), else 0 (isa_hazard_keys.c keeps them in hz_key.fx). */
uint32_t rmcp_hz_key_fx(uint32_t f)
{
	if (!(f & HK_VALU) || (f & (HK_CMP | HK_CMPX | HK_VOP3B | HK_VCC_CARRY | HK_READLANE)))
		return 0;
	return FX_VTS_EXP | ((f & HK_VNOP) ? 0 : FX_PERM_EXP) | ((f & HK_PERMLANE) ? FX_PERMLANE | FX_T_PERM : 0);
}

/* The searches a finished effect triggers (FX_T_*), its rd slot kept if it has sets. */
static inline uint32_t finish(struct hz_ctx *c, struct hz_fx *x, const struct hz_rd *y, uint32_t e)
{
	bool defs = (y->defs.m[0] | y->defs.m[1]) != 0;
	if (!defs)
		e &= ~(uint32_t)FX_SCALAR;	/* no SGPR written: nothing for TR_VTS to test */
	if (defs || (y->reads.m[0] | y->reads.m[1]))
		x->rd = c->nrd++;
	e |= ((e & FX_SCALAR) ? FX_T_VTS : 0) | ((e & FX_VSDEF) ? FX_T_STV : 0) |
	     ((e & FX_DEF_EXEC) ? FX_T_CX : 0) | ((e & FX_PERMLANE) ? FX_T_PERM : 0);
	x->e = e;
	return e;
}

/*
 * What instruction i does (c->fx[i]); returns its FX_* bits. A decoded instruction's
 * format fixes its category (isa_hazard_keys.c gives every key of a format the same one),
 * so each format takes only the tests that can apply to it.
 */
static inline uint32_t effect(struct hz_ctx *c, size_t i, const struct hz_key *kk)
{
	const struct hz_insn *in = &c->in[i];
	struct hz_fx *x = &c->fx[i];
	uint32_t f = in->flags, e;
	x->rd = 0;
	/* Half of all code: a VALU that writes no SGPR, all worked out for its key. */
	if (kk->fx) {
		x->e = kk->fx;
		return kk->fx;
	}
	if (!f)
		return effect_unflagged(in, x);
	struct hz_rd *y = &c->rd[c->nrd];
	y->reads.m[0] = y->reads.m[1] = y->defs.m[0] = y->defs.m[1] = 0;
	switch (in->fmt) {
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC:
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P:
	case RMCP_G10_VINTRP: {	/* a VALU writing an SGPR */
		return finish(c, x, y, FX_VTS_EXP | valu_bits(c, in, &y->defs));
	}
	case RMCP_G10_SOP1:
	case RMCP_G10_SOP2:
	case RMCP_G10_SOPK:
	case RMCP_G10_SOPC:
		e = FX_SCALAR | (stv_expires(in) ? FX_STV_EXP : 0) | (salu_reads_exec(in) ? FX_CX_HIT : 0) |
		    (vscnt_zero(in) ? FX_VSCNT0 : 0);
		scalar_defs(in, &y->defs);
		return finish(c, x, y, e);
	case RMCP_G10_SOPP: {	/* no SGPR definitions: FX_SCALAR would be dropped */
		uint32_t op = (in->w0 >> 16) & 0x7f, imm = in->w0 & 0xffff;
		e = (vts_expires(in) ? FX_VTS_EXP : 0) | (stv_expires(in) ? FX_STV_EXP : 0) |
		    ((f & HK_BRANCH) ? FX_BRANCH : 0);
		if (f & HK_EXEC_READ)
			e |= FX_CX_HIT;
		else if (op == 0x23 && (in->w0 & 1) == 0)
			e |= FX_CX_EXP;
		if (op == 0x21 || op == 0x20 || ((f & HK_BRANCH) && imm == 0x3f))
			e |= FX_LOCAL;
		x->e = e;
		return e;
	}
	case RMCP_G10_SMEM:
		smem_reads(in, &y->reads);
		scalar_defs(in, &y->defs);
		return finish(c, x, y, FX_STV_GEN | FX_SCALAR);
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
		mem_reads(in, &y->reads);
		return finish(c, x, y, FX_VTS_GEN | FX_CX_HIT | FX_LDS2 | ((in->w0 & 6) ? FX_LOCAL : 0));
	case RMCP_G10_MIMG:
		mem_reads(in, &y->reads);
		return finish(c, x, y, FX_VTS_GEN | FX_CX_HIT | FX_LDS2);
	case RMCP_G10_DS:
		mem_reads(in, &y->reads);
		return finish(c, x, y, FX_VTS_GEN | FX_CX_HIT | FX_LDS1 | (in->width ? FX_LOCAL : 0));
	case RMCP_G10_FLAT:
		mem_reads(in, &y->reads);
		return finish(c, x, y, FX_VTS_GEN | FX_CX_HIT | FX_LOCAL | (flat_seg(in) ? FX_LDS2 : 0));
	case RMCP_G10_EXP:
		x->e = FX_CX_HIT;
		return FX_CX_HIT;
	default:	/* no decoded key has another format (isa_hazard_keys.c) */
		return effect_unflagged(in, x);
	}
}


/*
 * One pass over the records: instructions with their key properties and what each does,
 * and the leaders (the entry, whatever follows a branch or an end; targets are added once
 * every instruction is known). Here, with effect(), so that is inlined into the loop.
 */
size_t rmcp_hz_fill(struct hz_ctx *c, const struct rmcp_isa_rec *rec, size_t nrec, uint8_t *lead,
		    uint32_t *branches, size_t *nbranches)
{
	/* Locals, restrict: a store to lead[] (bytes) could otherwise alias every pointer.
	 * 32-bit offsets: rmcp_isa_hz_kernel takes no range over 4 GiB. */
	const size_t nkeys = c->h->nkeys;
	const uint32_t size = c->k->size >= 4 && c->k->size <= UINT32_MAX ? (uint32_t)c->k->size : 0;
	const struct hz_key *restrict keys = c->h->keys;	/* keys[nkeys]: all zero */
	const uint8_t *restrict code = c->p;
	struct hz_insn *ins = c->in;	/* effect() reads it too */
	uint8_t *restrict leads = lead;
	uint32_t *restrict br = branches, all = 0, next = 0;
	size_t nb = 0, n = 0;
	for (size_t j = 0; j < nrec && size; j++) {
		const struct rmcp_isa_rec *r = &rec[j];
		uint32_t off = r->off;
		if (off < next || off > size - 4)
			break;	/* records come from the walk: in order, inside the range */
		uint32_t avail = size - off, lit_at = r->lit_at;
		const uint8_t *p = code + off;
		uint32_t len = r->len > avail ? avail & ~3u : r->len;
		bool has_lit = len >= lit_at + 4;
		next = off + 4;
		struct hz_insn *in = &ins[n];
		in->off = off;
		in->w0 = rmcp_le32(p);
		in->w1 = avail >= 8 ? rmcp_le32(p + 4) : 0;
		in->fmt = r->fmt;
		/* Read in range either way, then select: no branch on whether it has one. */
		uint32_t lit = rmcp_le32(p + (has_lit ? lit_at : 0));
		in->lit = has_lit ? lit : 0;
		in->tgt = UINT32_MAX;
		/* Only decodable instructions carry properties: an undecodable word is data. */
		size_t g = r->decodes && r->gkey < nkeys ? r->gkey : nkeys;
		const struct hz_key *kk = &keys[g];
		in->gkey = (uint16_t)(g < nkeys ? g : 0);
		in->flags = kk->flags;
		in->width = kk->width;
		in->alu = kk->alu;
		leads[n + 1] = (kk->flags & (HK_BRANCH | HK_END)) != 0;
		if (kk->flags & HK_BRANCH)
			br[nb++] = (uint32_t)n;
		all |= effect(c, n, kk);	/* while the instruction is at hand */
		n++;
	}
	c->all |= all;
	*nbranches = nb;
	return n;
}
