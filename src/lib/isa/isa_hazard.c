/* SPDX-License-Identifier: MIT */
/*
 * gfx10.1 hazard detectors over decoded gfx10 code: one per hardware bug LLVM works around
 * for gfx1010..gfx1013 and not for gfx103x. Each follows the condition LLVM tests, read in
 * LLVM 19.1.7 (llvmorg-19.1.7; cross-read against llvm/llvm-project main, commit d18555214):
 *   GCNHazardRecognizer.cpp  fixVMEMtoScalarWriteHazards, fixSMEMtoVectorWriteHazards,
 *                            fixVcmpxExecWARHazard, fixVcmpxPermlaneHazards,
 *                            fixLdsBranchVmemWARHazard (+ shouldRun...), checkNSAtoVMEMHazard
 *   SIInsertHardClauses.cpp  nsa-clause-bug: MIMG-NSA is HARDCLAUSE_ILLEGAL
 *   AMDGPUAsmBackend.cpp     offset-3f-bug: a SOPP branch with offset 0x3f gets an s_nop
 *   SIInstrInfo.cpp          isLegalFLATOffset: flat-segment-offset-bug (no FLAT offset),
 *                            negative-unaligned-scratch-offset-bug
 *   SIISelLowering.cpp       getPrefLoopAlignment: no s_inst_prefetch with inst-fwd-prefetch-bug;
 *                            allowsMisalignedMemoryAccessesImpl: lds-misaligned-bug (DS wider
 *                            than 32 bits needs natural alignment; GCNSubtarget: WGP mode only)
 * Where LLVM searches back over predecessors, so does rmcp_hz_search (isa_hazard_cfg.c).
 * docs/override.md explains every class with an example.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "banned.h"

/* ---- registers ---- */

static void add(struct hz_regs *r, uint32_t lo, uint32_t n)
{
	uint32_t hi = lo + n > 128 ? 128 : lo + n;
	for (uint32_t w = 0; w < 2; w++) {
		uint32_t a = lo > 64 * w ? lo - 64 * w : 0, b = hi > 64 * w ? hi - 64 * w : 0;
		if (b > 64)
			b = 64;
		if (a < b)
			r->m[w] |= (b - a == 64 ? ~0ull : ((1ull << (b - a)) - 1)) << a;
	}
	r->m[HZ_NULL >> 6] &= ~(1ull << (HZ_NULL & 63));
}

static bool meets(const struct hz_regs *a, const struct hz_regs *b)
{
	return (a->m[0] & b->m[0]) || (a->m[1] & b->m[1]);
}

static const struct hz_regs exec_regs = { { 0, 3ull << (HZ_EXEC_LO - 64) } };

static uint32_t sopp_op(const struct hz_insn *in)
{
	return in->fmt == RMCP_G10_SOPP ? (in->w0 >> 16) & 0x7f : 0xff;
}

static uint32_t sopk_op(const struct hz_insn *in)
{
	return in->fmt == RMCP_G10_SOPK ? (in->w0 >> 23) & 0x1f : 0xff;
}

static uint32_t flat_seg(const struct hz_insn *in)
{
	return (in->w0 >> 14) & 3;
}

/* SGPRs a VMEM/DS/FLAT/EXP instruction reads, EXEC included (implicit use). */
static void mem_reads(const struct hz_insn *in, struct hz_regs *r)
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
static void smem_reads(const struct hz_insn *in, struct hz_regs *r)
{
	if (!(in->flags & HK_SMEM_NOBASE))
		add(r, (in->w0 & 0x3f) * 2, (in->flags & HK_SAMPLE) ? 4 : 2);
	if ((in->w1 >> 25) != HZ_NULL && !(in->flags & HK_SMEM_NOBASE))
		add(r, in->w1 >> 25, 1);
	if (in->flags & HK_SMEM_STORE)
		add(r, (in->w0 >> 6) & 0x7f, in->width);
}

/* Explicit SGPR definitions of a SALU or SMEM instruction (LLVM's MI->defs()). */
static void scalar_defs(const struct hz_insn *in, struct hz_regs *r)
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
static bool valu_sdef(const struct hz_ctx *c, const struct hz_insn *in, struct hz_regs *r, bool *sdst_or_implicit)
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

/* ---- recording ---- */

static void note(struct hz_ctx *c, int cls, uint32_t i, uint32_t other, bool possible)
{
	struct rmcp_isa_kernel *k = c->k;
	k->n_hazards++;
	k->n_possible += possible;
	k->n_by_class[cls]++;
	if (!k->first_by_class[cls])
		k->first_by_class[cls] = c->in[i].off + 1;
	if (k->has_hazard && (possible || !k->hazard.possible))
		return;
	struct rmcp_isa_hazard *h = &k->hazard;
	k->has_hazard = true;
	memset(h, 0, sizeof(*h));
	h->cls = (uint8_t)cls;
	h->possible = possible;
	h->addr = c->addr + c->in[i].off;
	h->other_addr = c->addr + c->in[other].off;
	const struct rmcp_isa_fast *f = c->h->fast;
	size_t n1 = strlen(rmcp_isa_fast_key_mnemonic(f, c->in[i].gkey));
	size_t n2 = strlen(rmcp_isa_fast_key_mnemonic(f, c->in[other].gkey));
	if (n1 < sizeof(h->text))
		memcpy(h->text, rmcp_isa_fast_key_mnemonic(f, c->in[i].gkey), n1 + 1);
	if (n2 < sizeof(h->other_text))
		memcpy(h->other_text, rmcp_isa_fast_key_mnemonic(f, c->in[other].gkey), n2 + 1);
}

/* A search result: 1 hazard, -1 over budget (reported as possible), 0 none. */
static void found(struct hz_ctx *c, int r, int cls, uint32_t i, uint32_t hit)
{
	if (r > 0)
		note(c, cls, i, hit, false);
	else if (r < 0)
		note(c, cls, i, i, true);
}

/* ---- what each instruction does, once (struct hz_fx) ---- */

/* vmem_to_scalar's expiry: a VALU, s_waitcnt 0, or s_waitcnt_depctr with vm_vsrc(0). */
static bool vts_expires(const struct hz_insn *in)
{
	return (in->flags & HK_VALU) || (sopp_op(in) == 0x0c && (in->w0 & 0xffff) == 0) ||
	       (sopp_op(in) == 0x23 && ((in->w0 >> 2) & 7) == 0);
}

/* smem_to_vector's expiry for anything but SMEM. */
static bool stv_expires(const struct hz_insn *in)
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

static bool salu_reads_exec(const struct hz_insn *in)
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

static int lds_type(const struct hz_insn *in)
{
	if (in->flags & HK_DS)
		return 1;
	if ((in->flags & HK_VMEM) || ((in->flags & HK_FLAT) && flat_seg(in)))
		return 2;
	return 0;
}

static bool vscnt_zero(const struct hz_insn *in)
{
	return sopk_op(in) == 0x17 && ((in->w0 >> 16) & 0x7f) == HZ_NULL && (in->w0 & 0xffff) == 0;
}

/* Does one of the single-instruction checks of run() apply to this instruction? */
static bool local_check(const struct hz_insn *in)
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

/* What instruction i does (c->fx[i]); returns its FX_* bits. */
static uint32_t effect(struct hz_ctx *c, size_t i)
{
	{
		const struct hz_insn *in = &c->in[i];
		struct hz_fx *x = &c->fx[i];
		uint32_t f = in->flags, e = 0;
		x->reads.m[0] = x->reads.m[1] = x->defs.m[0] = x->defs.m[1] = 0;
		/* Half of all code: a VALU that writes no SGPR. What follows gives it exactly this
		 * (no memory, no SALU, no compare, no field-dependent check), without the tests. */
		if ((f & HK_VALU) && !(f & (HK_CMP | HK_CMPX | HK_VOP3B | HK_VCC_CARRY | HK_READLANE))) {
			e = FX_VTS_EXP | ((f & HK_VNOP) ? 0 : FX_PERM_EXP) | ((f & HK_PERMLANE) ? FX_PERMLANE : 0);
			x->e = e;
			return e;
		}
		if (f & (HK_VMEM | HK_DS | HK_FLAT)) {
			mem_reads(in, &x->reads);
			e |= FX_VTS_GEN;
		} else if (f & HK_SMEM) {
			smem_reads(in, &x->reads);
			e |= FX_STV_GEN;
		}
		if (vts_expires(in))
			e |= FX_VTS_EXP;
		if (!(f & HK_SMEM) && stv_expires(in))
			e |= FX_STV_EXP;
		if (f & (HK_SALU | HK_SMEM)) {
			scalar_defs(in, &x->defs);
			e |= FX_SCALAR;
		}
		if (f & HK_VALU) {
			bool named;
			if (valu_sdef(c, in, &x->defs, &named)) {
				e |= FX_VSDEF;
				if (meets(&x->defs, &exec_regs))
					e |= FX_DEF_EXEC;
			}
			e |= named ? FX_CX_EXP : 0;	/* vcmpx-exec-war ends at a named SGPR write */
			if ((f & HK_CMP) && (e & FX_DEF_EXEC))
				e |= FX_PERM_SET;
			else if (!(f & HK_VNOP))
				e |= FX_PERM_EXP;
			if (f & HK_PERMLANE)
				e |= FX_PERMLANE;
		} else if ((f & (HK_VMEM | HK_DS | HK_FLAT | HK_EXP)) || ((f & HK_SALU) && salu_reads_exec(in))) {
			e |= FX_CX_HIT;
		} else if (sopp_op(in) == 0x23 && (in->w0 & 1) == 0) {
			e |= FX_CX_EXP;
		}
		int t = lds_type(in);
		e |= t == 1 ? FX_LDS1 : t == 2 ? FX_LDS2 : 0;
		if (vscnt_zero(in))
			e |= FX_VSCNT0;
		if (local_check(in))
			e |= FX_LOCAL;
		if (f & HK_BRANCH)
			e |= FX_BRANCH;
		if (!(x->defs.m[0] | x->defs.m[1]))
			e &= ~(uint32_t)FX_SCALAR;	/* no SGPR written: nothing for TR_VTS to test */
		x->e = e;
		return e;
	}
}

/*
 * Every instruction's effects (c->fx), and two lists in instruction order: the ones the
 * forward filter must step through (c->flist, per block from c->fbeg) and the ones run()
 * must look at (*cand: triggers of a search or of a single-instruction check). The filter
 * skips repeats: an instruction that only ends windows (FX_*_EXP, as every plain VALU does)
 * does nothing the same one just before it has not done, and the filter has nothing to
 * flag there. Returns the union of all FX_* bits, or 0 with *cand NULL when out of memory.
 */
static uint32_t effects(struct hz_ctx *c, uint32_t **cand, uint32_t *ncand)
{
	const uint32_t ends = FX_VTS_EXP | FX_STV_EXP | FX_CX_EXP | FX_PERM_EXP | FX_LOCAL;
	const uint32_t looks = FX_SCALAR | FX_VSDEF | FX_PERMLANE | FX_LDS1 | FX_LDS2 | FX_LOCAL;
	c->flist = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	c->fbeg = rmcp_hz_alloc(c, (c->nb + 1) * sizeof(uint32_t));
	*cand = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	if (!c->flist || !c->fbeg || !*cand) {
		*cand = NULL;
		return 0;
	}
	uint32_t all = 0, nl = 0, nc = 0;
	for (size_t b = 0; b < c->nb; b++) {
		c->fbeg[b] = nl;
		uint32_t prev = UINT32_MAX;
		for (uint32_t i = c->b[b].first; i <= c->b[b].last; i++) {
			uint32_t e = effect(c, i);
			all |= e;
			if (e & looks)
				(*cand)[nc++] = i;
			if ((e & ~ends) || (e & ~(uint32_t)FX_LOCAL) != prev)
				c->flist[nl++] = i;
			prev = (e & ~ends) ? UINT32_MAX : e & ~(uint32_t)FX_LOCAL;
		}
	}
	c->fbeg[c->nb] = nl;
	*ncand = nc;
	return all;
}

static int fx_lds(const struct hz_fx *x)
{
	return (x->e & FX_LDS1) ? 1 : (x->e & FX_LDS2) ? 2 : 0;
}

/* ---- searches (the IsHazard/IsExpired pairs of GCNHazardRecognizer.cpp) ---- */

static int vmem_to_scalar(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_fx *x = &c->fx[i];
	if ((x->e & FX_VTS_GEN) && meets(&x->reads, arg))
		return HZ_HIT;
	return (x->e & FX_VTS_EXP) ? HZ_EXPIRE : HZ_CONT;
}

static int smem_to_vector(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_fx *x = &c->fx[i];
	if (x->e & FX_STV_GEN)
		return meets(&x->reads, arg) ? HZ_HIT : HZ_CONT;
	return (x->e & FX_STV_EXP) ? HZ_EXPIRE : HZ_CONT;
}

static int vcmpx_exec(struct hz_ctx *c, const void *arg, uint32_t i)
{
	(void)arg;
	uint32_t e = c->fx[i].e;
	return (e & FX_CX_HIT) ? HZ_HIT : (e & FX_CX_EXP) ? HZ_EXPIRE : HZ_CONT;
}

static int vcmpx_permlane(struct hz_ctx *c, const void *arg, uint32_t i)
{
	(void)arg;
	uint32_t e = c->fx[i].e;
	return (e & FX_PERM_SET) ? HZ_HIT : (e & FX_PERM_EXP) ? HZ_EXPIRE : HZ_CONT;
}

static int lds_inner(struct hz_ctx *c, const void *arg, uint32_t i)
{
	int t = *(const int *)arg, t2 = fx_lds(&c->fx[i]);
	if (t2 && t2 != t)
		return HZ_HIT;
	return t2 == t || (c->fx[i].e & FX_VSCNT0) ? HZ_EXPIRE : HZ_CONT;
}

static int lds_outer(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_insn *in = &c->in[i];
	if (in->flags & HK_BRANCH) {
		int t = *(const int *)arg;
		uint8_t done = (uint8_t)(t == 1 ? 1 : 4), yes = (uint8_t)(done << 1);
		if (!(c->memo[i] & done)) {
			uint32_t hit;
			int r = rmcp_hz_search(c, 1, i, lds_inner, arg, &hit);
			c->memo[i] |= (uint8_t)(done | (r != 0 ? yes : 0));
		}
		if (c->memo[i] & yes)
			return HZ_HIT;
	}
	return (c->fx[i].e & (FX_LDS1 | FX_LDS2 | FX_VSCNT0)) ? HZ_EXPIRE : HZ_CONT;
}

static bool nsa16(const struct hz_insn *in)
{
	/* MIMGEncGfx10NSA and getInstSizeInBytes >= 16: two or more NSA address dwords. */
	return in->fmt == RMCP_G10_MIMG && ((in->w0 >> 1) & 3) >= 2;
}

/* checkNSAtoVMEMHazard: one wait state back, i.e. the previous instruction on any path. */
static void nsa_to_vmem(struct hz_ctx *c, uint32_t i)
{
	const struct hz_blk *b = &c->b[c->in[i].blk];
	if (i > b->first) {
		if (nsa16(&c->in[i - 1]))
			note(c, RMCP_ISA_HZ_NSA_TO_VMEM, i, i - 1, false);
		return;
	}
	for (uint32_t p = 0; p < b->npred; p++) {
		uint32_t last = c->b[c->preds[b->pred + p]].last;
		if (nsa16(&c->in[last])) {
			note(c, RMCP_ISA_HZ_NSA_TO_VMEM, i, last, false);
			return;
		}
	}
}

static void lds_misaligned(struct hz_ctx *c, uint32_t i, uint8_t tz)
{
	const struct hz_insn *in = &c->in[i];
	uint32_t align = in->width & 0x7f, need = align == 16 ? 4 : 3;
	if (tz < need)
		note(c, RMCP_ISA_HZ_LDS_MISALIGNED, i, i, true);
	else if (!(in->width & 0x80) && (in->w0 & 0xffff) % align)
		note(c, RMCP_ISA_HZ_LDS_MISALIGNED, i, i, false);
}


/* ---- forward filter ----
 * The searches above ask "does some path back from this trigger reach a hazard before an
 * expiry?". The same question, asked forward for every instruction at once: per block, the
 * union over paths of what is still pending (SGPRs read by vector memory / SMEM since the
 * last expiry, an EXEC reader, an EXEC-writing compare, the LDS/VMEM state around branches),
 * iterated to a fixed point. Only triggers the filter flags are searched (for the earlier
 * instruction of the pair); without it, VALU-heavy kernels made the smem-to-vector searches
 * quadratic. Without a fixed point within the bound every trigger is searched, as before. */
struct hz_flow {
	struct hz_regs vts, stv;	/* vmem-to-scalar, smem-to-vector pending SGPRs */
	uint8_t f;
};

enum { FL_CX = 1, FL_PERM = 2, FL_LAST1 = 4, FL_LAST2 = 8, FL_ARM1 = 16, FL_ARM2 = 32 };
enum { TR_VTS = 1, TR_STV = 2, TR_CX = 4, TR_PERM = 8, TR_LDS = 16, TR_ALL = 31 };

struct flow {
	struct hz_flow *outs;
	uint8_t *tr;
	bool lds;
};

/* All ones when bit `b` of e is set, else zero. */
static inline uint64_t when(uint32_t e, uint32_t b)
{
	return (uint64_t)0 - (uint64_t)((e & b) != 0);
}

/* The LDS half of the filter's state (FL_LAST*, FL_ARM*): events and branches. */
static inline uint8_t lds_step(uint32_t e, uint8_t f, uint8_t *tr)
{
	int t = (e & FX_LDS1) ? 1 : (e & FX_LDS2) ? 2 : 0;
	if (t && (f & (t == 1 ? FL_ARM1 : FL_ARM2)))
		*tr |= TR_LDS;
	uint8_t arm = (uint8_t)(f & (FL_ARM1 | FL_ARM2));
	if (e & FX_BRANCH)	/* armed for T when the last event may be the other type */
		arm |= (uint8_t)(((f & FL_LAST2) ? FL_ARM1 : 0) | ((f & FL_LAST1) ? FL_ARM2 : 0));
	if (t || (e & FX_VSCNT0)) {
		arm = 0;
		f &= (uint8_t)~(FL_LAST1 | FL_LAST2);
		f |= (uint8_t)(t == 1 ? FL_LAST1 : t == 2 ? FL_LAST2 : 0);
	}
	return (uint8_t)((f & ~(FL_ARM1 | FL_ARM2)) | arm);
}

/*
 * One block of the filter. The state lives in locals for the loop (a store to tr[], a
 * uint8_t, could otherwise alias it and force every field back to memory), and the
 * transfer is branch-free where it is hot: instruction kinds arrive in no predictable order.
 */
static bool flow_block(struct hz_ctx *c, size_t b, void *arg)
{
	struct flow *fl = arg;
	const struct hz_blk *bb = &c->b[b];
	uint64_t v0 = 0, v1 = 0, s0 = 0, s1 = 0;
	uint8_t f = 0;
	for (uint32_t p = 0; p < bb->npred; p++) {
		const struct hz_flow *o = &fl->outs[c->preds[bb->pred + p]];
		v0 |= o->vts.m[0];
		v1 |= o->vts.m[1];
		s0 |= o->stv.m[0];
		s1 |= o->stv.m[1];
		f |= o->f;
	}
	const struct hz_fx *restrict fx = c->fx;
	const uint32_t *restrict list = c->flist;
	uint8_t *restrict tr = fl->tr;
	const bool lds = fl->lds;
	for (uint32_t j = c->fbeg[b], end = c->fbeg[b + 1]; j < end; j++) {
		uint32_t i = list[j];
		const struct hz_fx *x = &fx[i];
		uint32_t e = x->e;
		uint64_t d0 = x->defs.m[0], d1 = x->defs.m[1], r0 = x->reads.m[0], r1 = x->reads.m[1];
		bool mv = ((d0 & v0) | (d1 & v1)) != 0, ms = ((d0 & s0) | (d1 & s1)) != 0;
		uint8_t t = (uint8_t)((((e & FX_SCALAR) != 0) & mv) * TR_VTS | (((e & FX_VSDEF) != 0) & ms) * TR_STV |
				      (((e & FX_DEF_EXEC) != 0) & ((f & FL_CX) != 0)) * TR_CX |
				      (((e & FX_PERMLANE) != 0) & ((f & FL_PERM) != 0)) * TR_PERM);
		/* pending = (expired ? nothing : pending) | what this instruction adds */
		uint64_t kv = ~when(e, FX_VTS_EXP), gv = when(e, FX_VTS_GEN);
		uint64_t ks = ~when(e, FX_STV_EXP), gs = when(e, FX_STV_GEN);
		v0 = (v0 & kv) | (r0 & gv);
		v1 = (v1 & kv) | (r1 & gv);
		s0 = (s0 & ks) | (r0 & gs);
		s1 = (s1 & ks) | (r1 & gs);
		/* FX_CX_EXP and FX_CX_HIT never come together (effect()). */
		f = (uint8_t)((f & ~(((e & FX_CX_EXP) != 0) * FL_CX)) | (((e & FX_CX_HIT) != 0) * FL_CX));
		f = (uint8_t)((f & ~(((e & FX_PERM_EXP) != 0) * FL_PERM)) | (((e & FX_PERM_SET) != 0) * FL_PERM));
		if (lds)
			f = lds_step(e, f, &t);
		tr[i] = t;
	}
	struct hz_flow *o = &fl->outs[b];
	if (o->vts.m[0] == v0 && o->vts.m[1] == v1 && o->stv.m[0] == s0 && o->stv.m[1] == s1 && o->f == f)
		return false;
	o->vts.m[0] = v0;
	o->vts.m[1] = v1;
	o->stv.m[0] = s0;
	o->stv.m[1] = s1;
	o->f = f;
	return true;
}

/* tr[i]: the searches worth running at instruction i (TR_*). */
static int flow(struct hz_ctx *c, bool lds, uint8_t *tr)
{
	struct flow fl = { .outs = rmcp_hz_zalloc(c, (c->nb ? c->nb : 1) * sizeof(struct hz_flow)), .tr = tr, .lds = lds };
	if (!fl.outs)
		return -ENOMEM;
	int r = rmcp_hz_fixpoint(c, 64, flow_block, &fl);
	if (r < 0)
		return r;
	if (r > 0)	/* no fixed point within the bound: search at every trigger */
		memset(tr, TR_ALL, c->n);
	return 0;
}

static int run(struct hz_ctx *c, const struct rmcp_isa_rec *rec, size_t nrec)
{
	int rc = rmcp_hz_build(c, rec, nrec);
	if (rc < 0)
		return rc;
	uint32_t *cand, ncand;
	uint32_t all = effects(c, &cand, &ncand);
	if (!cand)
		return -ENOMEM;
	bool has_ds = all & FX_LDS1, has_vm = all & FX_LDS2, has_wide = false;
	for (uint32_t j = 0; j < ncand && !has_wide; j++)
		has_wide = (c->in[cand[j]].flags & HK_DS) && c->in[cand[j]].width;
	uint8_t *tr = rmcp_hz_zalloc(c, c->n ? c->n : 1), *tz = NULL;
	if (!tr || (rc = flow(c, has_ds && has_vm, tr)) < 0)
		return -ENOMEM;
	if (has_wide && c->wgp) {
		if (!(tz = rmcp_hz_zalloc(c, c->n)))
			return -ENOMEM;
		if ((rc = rmcp_hz_align(c, tz)) < 0)
			return rc;
	}
	for (uint32_t j = 0; j < ncand; j++) {
		uint32_t i = cand[j];
		const struct hz_insn *in = &c->in[i];
		const struct hz_fx *x = &c->fx[i];
		uint32_t f = in->flags, hit = i;
		int r;
		if (!tr[i] && !(x->e & FX_LOCAL))
			continue;	/* nothing to search, nothing to check */
		if ((tr[i] & TR_VTS) && (f & (HK_SDEF | HK_SMEM_ATOMIC))) {
			r = rmcp_hz_search(c, 0, i, vmem_to_scalar, &x->defs, &hit);
			found(c, r, RMCP_ISA_HZ_VMEM_TO_SCALAR_WRITE, i, hit);
		}
		if (x->e & FX_VSDEF) {
			if (tr[i] & TR_STV) {
				r = rmcp_hz_search(c, 0, i, smem_to_vector, &x->defs, &hit);
				found(c, r, RMCP_ISA_HZ_SMEM_TO_VECTOR_WRITE, i, hit);
			}
			if ((tr[i] & TR_CX) && (x->e & FX_DEF_EXEC)) {
				r = rmcp_hz_search(c, 0, i, vcmpx_exec, NULL, &hit);
				found(c, r, RMCP_ISA_HZ_VCMPX_EXEC_WAR, i, hit);
			}
		}
		if ((tr[i] & TR_PERM) && (x->e & FX_PERMLANE) && in->fmt == RMCP_G10_VOP3) {
			r = rmcp_hz_search(c, 0, i, vcmpx_permlane, NULL, &hit);
			found(c, r, RMCP_ISA_HZ_VCMPX_PERMLANE, i, hit);
		}
		int t = fx_lds(x);
		if (t && has_ds && has_vm && (tr[i] & TR_LDS)) {
			r = rmcp_hz_search(c, 0, i, lds_outer, &t, &hit);
			found(c, r, RMCP_ISA_HZ_LDS_BRANCH_VMEM_WAR, i, hit);
		}
		if ((in->fmt == RMCP_G10_MUBUF || in->fmt == RMCP_G10_MTBUF) && (in->w0 & 6))
			nsa_to_vmem(c, i);
		if (sopp_op(in) == 0x21)	/* s_clause: the next simm16[5:0] + 1 instructions */
			for (uint32_t m = i + 1; m <= i + 1 + (in->w0 & 0x3f) && m < c->n; m++)
				if (c->in[m].fmt == RMCP_G10_MIMG && ((c->in[m].w0 >> 1) & 3))
					note(c, RMCP_ISA_HZ_NSA_CLAUSE, m, i, false);
		if ((f & HK_BRANCH) && (in->w0 & 0xffff) == 0x3f)
			note(c, RMCP_ISA_HZ_OFFSET_3F, i, i, false);
		if ((f & HK_FLAT) && flat_seg(in) == 0 && (in->w0 & 0xfff))
			note(c, RMCP_ISA_HZ_FLAT_SEGMENT_OFFSET, i, i, false);
		if (sopp_op(in) == 0x20)
			note(c, RMCP_ISA_HZ_INST_FWD_PREFETCH, i, i, false);
		if ((f & HK_FLAT) && flat_seg(in) == 1) {
			int32_t off = (int32_t)(in->w0 << 20) >> 20;
			if (off < 0 && off % 4)
				note(c, RMCP_ISA_HZ_NEG_UNALIGNED_SCRATCH_OFFSET, i, i, false);
		}
		if (tz && (f & HK_DS) && in->width)
			lds_misaligned(c, i, tz[i]);
	}
	return 0;
}

/* ---- kernels seen before ---- */

static struct hz_memo *memo_find(struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p, size_t size,
				 const struct rmcp_isa_kernel *k)
{
	if (!h->capmemo)
		return NULL;
	for (size_t at = hash & (h->capmemo - 1);; at = (at + 1) & (h->capmemo - 1)) {
		struct hz_memo *m = &h->memo[at];
		if (!m->hash)
			return NULL;
		if (m->hash == hash && m->size == size && m->wave64 == k->wave64 && m->wgp == k->wgp_mode &&
		    memcmp(m->p, p, size) == 0)
			return m;
	}
}

/* Remember k's result (best effort: without memory, the next copy is simply judged again). */
static void memo_add(struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p, size_t size, uint64_t addr,
		     const struct rmcp_isa_kernel *k)
{
	if (2 * (h->nmemo + 1) > h->capmemo) {
		size_t cap = h->capmemo ? 2 * h->capmemo : 256;
		struct hz_memo *t = calloc(cap, sizeof(*t));
		if (!t)
			return;
		for (size_t i = 0; i < h->capmemo; i++) {
			if (!h->memo[i].hash)
				continue;
			size_t at = h->memo[i].hash & (cap - 1);
			while (t[at].hash)
				at = (at + 1) & (cap - 1);
			t[at] = h->memo[i];
		}
		free(h->memo);
		h->memo = t;
		h->capmemo = cap;
	}
	size_t at = hash & (h->capmemo - 1);
	while (h->memo[at].hash)
		at = (at + 1) & (h->capmemo - 1);
	struct hz_memo *m = &h->memo[at];
	m->hash = hash;
	m->p = p;
	m->size = size;
	m->wave64 = k->wave64;
	m->wgp = k->wgp_mode;
	m->n_hazards = k->n_hazards;
	m->n_possible = k->n_possible;
	memcpy(m->n_by_class, k->n_by_class, sizeof(m->n_by_class));
	memcpy(m->first_by_class, k->first_by_class, sizeof(m->first_by_class));
	m->has_hazard = k->has_hazard;
	m->hazard = k->hazard;
	m->hazard.addr -= addr;
	m->hazard.other_addr -= addr;
	h->nmemo++;
}

static void memo_apply(const struct hz_memo *m, uint64_t addr, struct rmcp_isa_kernel *k)
{
	k->n_hazards = m->n_hazards;
	k->n_possible = m->n_possible;
	memcpy(k->n_by_class, m->n_by_class, sizeof(k->n_by_class));
	memcpy(k->first_by_class, m->first_by_class, sizeof(k->first_by_class));
	k->has_hazard = m->has_hazard;
	k->hazard = m->hazard;
	k->hazard.addr += addr;
	k->hazard.other_addr += addr;
}

int rmcp_isa_hz_kernel(struct rmcp_isa_hz *h, const uint8_t *p, size_t size, uint64_t addr,
		       struct rmcp_isa_kernel *k, const struct rmcp_isa_rec *rec, size_t nrec)
{
	struct hz_ctx c;
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.arena = &h->arena;
	c.p = p;
	c.addr = addr;
	c.wave64 = k->wave64;
	c.wgp = k->wgp_mode;
	c.k = k;
	k->hazards_checked = true;
	if (size > UINT32_MAX) {
		snprintf(k->reason, sizeof(k->reason), "code range over 4 GiB: not searched for hazards");
		k->hazards_checked = false;
		return 0;
	}
	uint64_t hash = rmcp_xxh64(p, size, 0x72636d70) | 1;	/* 0 marks an empty slot */
	const struct hz_memo *m = memo_find(h, hash, p, size, k);
	if (m) {
		memo_apply(m, addr, k);
		return 0;
	}
	int rc = run(&c, rec, nrec);
	rmcp_hz_arena_reset(&h->arena);
	if (rc == 0)
		memo_add(h, hash, p, size, addr, k);
	return rc;
}
