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
	for (uint32_t i = lo; i < lo + n && i < 128; i++)
		if (i != HZ_NULL)
			r->m[i >> 6] |= 1ull << (i & 63);
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

/* ---- searches (the IsHazard/IsExpired pairs of GCNHazardRecognizer.cpp) ---- */

static int vmem_to_scalar(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_insn *in = &c->in[i];
	if (in->flags & (HK_VMEM | HK_DS | HK_FLAT)) {
		struct hz_regs r = { { 0, 0 } };
		mem_reads(in, &r);
		if (meets(&r, arg))
			return HZ_HIT;
	}
	if ((in->flags & HK_VALU) || (sopp_op(in) == 0x0c && (in->w0 & 0xffff) == 0) ||
	    (sopp_op(in) == 0x23 && ((in->w0 >> 2) & 7) == 0))
		return HZ_EXPIRE;
	return HZ_CONT;
}

static int smem_to_vector(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_insn *in = &c->in[i];
	if (in->flags & HK_SMEM) {
		struct hz_regs r = { { 0, 0 } };
		smem_reads(in, &r);
		return meets(&r, arg) ? HZ_HIT : HZ_CONT;
	}
	if (!(in->flags & HK_SALU))
		return HZ_CONT;
	switch (sopk_op(in)) {
	case 0x01: /* s_version */
	case 0x17: /* s_waitcnt_vscnt */
	case 0x18: /* s_waitcnt_vmcnt */
	case 0x19: /* s_waitcnt_expcnt */
		return HZ_CONT;
	case 0x1a: /* s_waitcnt_lgkmcnt null, 0 */
		return (in->w0 & 0xffff) == 0 && ((in->w0 >> 16) & 0x7f) == HZ_NULL ? HZ_EXPIRE : HZ_CONT;
	default:
		break;
	}
	if (in->fmt == RMCP_G10_SOPP)	/* s_waitcnt lgkmcnt(0) [13:8]; other SOPPs do not */
		return sopp_op(in) == 0x0c && ((in->w0 >> 8) & 0x3f) == 0 ? HZ_EXPIRE : HZ_CONT;
	return HZ_EXPIRE;
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

static int vcmpx_exec(struct hz_ctx *c, const void *arg, uint32_t i)
{
	(void)arg;
	const struct hz_insn *in = &c->in[i];
	if (in->flags & HK_VALU) {
		struct hz_regs r = { { 0, 0 } };
		bool named;
		valu_sdef(c, in, &r, &named);
		return named ? HZ_EXPIRE : HZ_CONT;
	}
	if ((in->flags & (HK_VMEM | HK_DS | HK_FLAT | HK_EXP)) || ((in->flags & HK_SALU) && salu_reads_exec(in)))
		return HZ_HIT;
	if (sopp_op(in) == 0x23 && (in->w0 & 1) == 0)
		return HZ_EXPIRE;
	return HZ_CONT;
}

static int vcmpx_permlane(struct hz_ctx *c, const void *arg, uint32_t i)
{
	(void)arg;
	const struct hz_insn *in = &c->in[i];
	if (in->flags & HK_CMP) {
		struct hz_regs r = { { 0, 0 } };
		bool named;
		valu_sdef(c, in, &r, &named);
		if (meets(&r, &exec_regs))
			return HZ_HIT;
	}
	return (in->flags & HK_VALU) && !(in->flags & HK_VNOP) ? HZ_EXPIRE : HZ_CONT;
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

static int lds_inner(struct hz_ctx *c, const void *arg, uint32_t i)
{
	int t = *(const int *)arg, t2 = lds_type(&c->in[i]);
	if (t2 && t2 != t)
		return HZ_HIT;
	return t2 == t || vscnt_zero(&c->in[i]) ? HZ_EXPIRE : HZ_CONT;
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
	return lds_type(in) || vscnt_zero(in) ? HZ_EXPIRE : HZ_CONT;
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

static uint8_t flow_step(struct hz_ctx *c, uint32_t i, struct hz_flow *s, bool lds)
{
	const struct hz_insn *in = &c->in[i];
	uint32_t f = in->flags;
	uint8_t tr = 0;
	struct hz_regs d = { { 0, 0 } };
	bool named = false, sdef = false;
	if (f & (HK_SALU | HK_SMEM)) {
		scalar_defs(in, &d);
		if (meets(&d, &s->vts))
			tr |= TR_VTS;
	}
	if (f & HK_VALU) {
		sdef = valu_sdef(c, in, &d, &named);
		if (sdef && meets(&d, &s->stv))
			tr |= TR_STV;
		if (sdef && meets(&d, &exec_regs) && (s->f & FL_CX))
			tr |= TR_CX;
		if ((f & HK_PERMLANE) && (s->f & FL_PERM))
			tr |= TR_PERM;
	}
	int t = lds_type(in);
	if (lds && t && (s->f & (t == 1 ? FL_ARM1 : FL_ARM2)))
		tr |= TR_LDS;
	/* transfer: pending = (expired ? nothing : pending) | what this instruction adds */
	if (vmem_to_scalar(c, &s->vts, i) == HZ_EXPIRE)
		s->vts.m[0] = s->vts.m[1] = 0;
	if (f & (HK_VMEM | HK_DS | HK_FLAT))
		mem_reads(in, &s->vts);
	if (!(f & HK_SMEM) && smem_to_vector(c, &s->stv, i) == HZ_EXPIRE)
		s->stv.m[0] = s->stv.m[1] = 0;
	if (f & HK_SMEM)
		smem_reads(in, &s->stv);
	int r = vcmpx_exec(c, NULL, i);
	if (r == HZ_EXPIRE)
		s->f &= (uint8_t)~FL_CX;
	else if (r == HZ_HIT)
		s->f |= FL_CX;
	if ((f & HK_VALU) && !(f & HK_VNOP))
		s->f &= (uint8_t)~FL_PERM;
	if ((f & HK_CMP) && sdef && meets(&d, &exec_regs))
		s->f |= FL_PERM;
	if (lds) {
		uint8_t arm = (uint8_t)(s->f & (FL_ARM1 | FL_ARM2));
		if (f & HK_BRANCH)	/* armed for T when the last event may be the other type */
			arm |= (uint8_t)(((s->f & FL_LAST2) ? FL_ARM1 : 0) | ((s->f & FL_LAST1) ? FL_ARM2 : 0));
		if (t || vscnt_zero(in)) {
			arm = 0;
			s->f &= (uint8_t)~(FL_LAST1 | FL_LAST2);
			s->f |= (uint8_t)(t == 1 ? FL_LAST1 : t == 2 ? FL_LAST2 : 0);
		}
		s->f = (uint8_t)((s->f & ~(FL_ARM1 | FL_ARM2)) | arm);
	}
	return tr;
}

static void flow_in(const struct hz_ctx *c, size_t b, const struct hz_flow *outs, struct hz_flow *s)
{
	memset(s, 0, sizeof(*s));
	const struct hz_blk *bb = &c->b[b];
	for (uint32_t p = 0; p < bb->npred; p++) {
		const struct hz_flow *o = &outs[c->preds[bb->pred + p]];
		s->vts.m[0] |= o->vts.m[0];
		s->vts.m[1] |= o->vts.m[1];
		s->stv.m[0] |= o->stv.m[0];
		s->stv.m[1] |= o->stv.m[1];
		s->f |= o->f;
	}
}

/* tr[i]: the searches worth running at instruction i (TR_*). */
static int flow(struct hz_ctx *c, bool lds, uint8_t *tr)
{
	struct hz_flow *outs = calloc(c->nb ? c->nb : 1, sizeof(*outs)), s;
	uint32_t *chg = calloc(c->nb ? c->nb : 1, sizeof(uint32_t));
	if (!outs || !chg) {
		free(outs);
		free(chg);
		return -ENOMEM;
	}
	bool changed = true;
	for (uint32_t round = 1; changed && round <= 64; round++) {
		changed = false;
		for (size_t b = 0; b < c->nb; b++) {
			const struct hz_blk *bb = &c->b[b];
			bool need = round == 1;	/* later rounds: only below a changed predecessor */
			for (uint32_t p = 0; !need && p < bb->npred; p++)
				need = chg[c->preds[bb->pred + p]] + 1 >= round;
			if (!need)
				continue;
			flow_in(c, b, outs, &s);
			for (uint32_t i = c->b[b].first; i <= c->b[b].last; i++)
				tr[i] = flow_step(c, i, &s, lds);
			if (memcmp(&s, &outs[b], sizeof(s)) != 0) {
				outs[b] = s;
				chg[b] = round;
				changed = true;
			}
		}
	}
	if (changed)
		memset(tr, TR_ALL, c->n);
	free(outs);
	free(chg);
	return 0;
}

static int run(struct hz_ctx *c)
{
	int rc = rmcp_hz_build(c);
	if (rc < 0)
		return rc;
	bool has_ds = false, has_vm = false, has_wide = false;
	for (size_t i = 0; i < c->n; i++) {
		int t = lds_type(&c->in[i]);
		has_ds |= t == 1;
		has_vm |= t == 2;
		has_wide |= (c->in[i].flags & HK_DS) && c->in[i].width;
	}
	uint8_t *tr = malloc(c->n ? c->n : 1), *tz = NULL;
	if (!tr || (rc = flow(c, has_ds && has_vm, tr)) < 0) {
		free(tr);
		return -ENOMEM;
	}
	if (has_wide && c->wgp) {
		if (!(tz = calloc(c->n, 1))) {
			free(tr);
			return -ENOMEM;
		}
		if ((rc = rmcp_hz_align(c, tz)) < 0) {
			free(tz);
			free(tr);
			return rc;
		}
	}
	for (uint32_t i = 0; i < c->n; i++) {
		const struct hz_insn *in = &c->in[i];
		uint32_t f = in->flags, hit = i;
		int r;
		if ((f & (HK_SALU | HK_SMEM)) && (f & (HK_SDEF | HK_SMEM_ATOMIC))) {
			struct hz_regs d = { { 0, 0 } };
			scalar_defs(in, &d);
			if ((tr[i] & TR_VTS) && (d.m[0] || d.m[1])) {
				r = rmcp_hz_search(c, 0, i, vmem_to_scalar, &d, &hit);
				found(c, r, RMCP_ISA_HZ_VMEM_TO_SCALAR_WRITE, i, hit);
			}
		}
		if (f & HK_VALU) {
			struct hz_regs d = { { 0, 0 } };
			bool named;
			if (valu_sdef(c, in, &d, &named)) {
				if (tr[i] & TR_STV) {
					r = rmcp_hz_search(c, 0, i, smem_to_vector, &d, &hit);
					found(c, r, RMCP_ISA_HZ_SMEM_TO_VECTOR_WRITE, i, hit);
				}
				if ((tr[i] & TR_CX) && meets(&d, &exec_regs)) {
					r = rmcp_hz_search(c, 0, i, vcmpx_exec, NULL, &hit);
					found(c, r, RMCP_ISA_HZ_VCMPX_EXEC_WAR, i, hit);
				}
			}
			if ((tr[i] & TR_PERM) && (f & HK_PERMLANE) && in->fmt == RMCP_G10_VOP3) {
				r = rmcp_hz_search(c, 0, i, vcmpx_permlane, NULL, &hit);
				found(c, r, RMCP_ISA_HZ_VCMPX_PERMLANE, i, hit);
			}
		}
		int t = lds_type(in);
		if (t && has_ds && has_vm && (tr[i] & TR_LDS)) {
			r = rmcp_hz_search(c, 0, i, lds_outer, &t, &hit);
			found(c, r, RMCP_ISA_HZ_LDS_BRANCH_VMEM_WAR, i, hit);
		}
		if ((in->fmt == RMCP_G10_MUBUF || in->fmt == RMCP_G10_MTBUF) && (in->w0 & 6))
			nsa_to_vmem(c, i);
		if (sopp_op(in) == 0x21)	/* s_clause: the next simm16[5:0] + 1 instructions */
			for (uint32_t j = i + 1; j <= i + 1 + (in->w0 & 0x3f) && j < c->n; j++)
				if (c->in[j].fmt == RMCP_G10_MIMG && ((c->in[j].w0 >> 1) & 3))
					note(c, RMCP_ISA_HZ_NSA_CLAUSE, j, i, false);
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
	free(tz);
	free(tr);
	return 0;
}

int rmcp_isa_hz_kernel(struct rmcp_isa_hz *h, const uint8_t *p, size_t size, uint64_t addr,
		       struct rmcp_isa_kernel *k)
{
	struct hz_ctx c;
	memset(&c, 0, sizeof(c));
	c.h = h;
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
	int rc = run(&c);
	rmcp_hz_free(&c);
	return rc;
}
