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
 * Where LLVM searches back over predecessors, so does rmcp_hz_search (isa_hazard.h).
 * docs/override.md explains every class with an example.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "banned.h"

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
	const struct hz_fx *x = &c->fx[i];
	if ((x->e & FX_VTS_GEN) && meets(&c->rd[x->rd].reads, arg))
		return HZ_HIT;
	return (x->e & FX_VTS_EXP) ? HZ_EXPIRE : HZ_CONT;
}

static int smem_to_vector(struct hz_ctx *c, const void *arg, uint32_t i)
{
	const struct hz_fx *x = &c->fx[i];
	if (x->e & FX_STV_GEN)
		return meets(&c->rd[x->rd].reads, arg) ? HZ_HIT : HZ_CONT;
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
/* The bit arithmetic of flow_block. */
_Static_assert(FL_CX == 1 && FL_PERM == 2 && TR_CX == FL_CX << 2 && TR_PERM == FL_PERM << 2, "flags");
_Static_assert(FX_CX_HIT >> 4 == FL_CX && FX_PERM_SET >> 4 == FL_PERM && FX_CX_EXP >> 6 == FL_CX &&
	       FX_PERM_EXP >> 6 == FL_PERM, "flag moves");
_Static_assert(FX_T_VTS >> FX_T_SHIFT == TR_VTS && FX_T_STV >> FX_T_SHIFT == TR_STV &&
	       FX_T_CX >> FX_T_SHIFT == TR_CX && FX_T_PERM >> FX_T_SHIFT == TR_PERM, "triggers");

struct flow {
	struct hz_flow *outs;
	uint8_t *tr;
	const uint8_t *stab;	/* rmcp_isa_hz.step */
	uint32_t emask;		/* the events stepped: 0xff when the kernel has both LDS and
				 * VMEM, else 0x0f (the LDS half stays 0) */
};

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

/* The table of the filter's small state, indexed as rmcp_hz_step_table says: the flag moves
 * (f & ~((e >> 6) & 3)) | ((e >> 4) & 3), then lds_step. */
_Static_assert(FX_CX_HIT == 1u << 4 && FX_PERM_SET == 1u << 5 && FX_CX_EXP == 1u << 6 && FX_PERM_EXP == 1u << 7 &&
	       FX_LDS1 == 1u << 8 && FX_LDS2 == 1u << 9 && FX_VSCNT0 == 1u << 10 && FX_BRANCH == 1u << 11,
	       "events");
_Static_assert(FL_LAST1 == 4 && FL_LAST2 == 8 && FL_ARM1 == 16 && FL_ARM2 == 32 && TR_LDS == 0x40 >> 2, "state");

void rmcp_hz_step_table(uint8_t tab[1u << 14])
{
	for (uint32_t st = 0; st < 64; st++)
		for (uint32_t ev = 0; ev < 256; ev++) {
			uint32_t e = ev << 4;
			uint8_t t = 0, f = (uint8_t)((st & ~((e >> 6) & 3u)) | ((e >> 4) & 3u));
			f = lds_step(e, f, &t);
			tab[st << 8 | ev] = (uint8_t)((f & 0x3f) | ((t & TR_LDS) ? 0x40 : 0));
		}
}

/* Two 64-bit words in one vector register (GCC/Clang vector extension): the pending sets
 * live in SSE registers, so the loop below keeps its pointers in general registers. */
typedef uint64_t hz_v2 __attribute__((vector_size(16)));

static inline hz_v2 ld2(const struct hz_regs *r)
{
	hz_v2 v;
	memcpy(&v, r->m, sizeof(v));
	return v;
}

static inline void st2(struct hz_regs *r, hz_v2 v)
{
	memcpy(r->m, &v, sizeof(v));
}

static inline bool any2(hz_v2 x)
{
	return (x[0] | x[1]) != 0;
}

/* The moves of the pending sets by FX bits 0..3 (VTS_GEN, VTS_EXP, STV_GEN, STV_EXP):
 * pending = (pending & keep) | (reads & add). */
_Static_assert(FX_VTS_GEN == 1 && FX_VTS_EXP == 2 && FX_STV_GEN == 4 && FX_STV_EXP == 8, "pending moves");
struct hz_move {
	hz_v2 kv, gv, ks, gs;
};
#define HZ_ALL(x) { (x) ? ~0ull : 0, (x) ? ~0ull : 0 }
#define HZ_MOVE(i) { HZ_ALL(!((i) & 2)), HZ_ALL((i) & 1), HZ_ALL(!((i) & 8)), HZ_ALL((i) & 4) }
static const struct hz_move moves[16] = {
	HZ_MOVE(0), HZ_MOVE(1), HZ_MOVE(2), HZ_MOVE(3), HZ_MOVE(4), HZ_MOVE(5), HZ_MOVE(6), HZ_MOVE(7),
	HZ_MOVE(8), HZ_MOVE(9), HZ_MOVE(10), HZ_MOVE(11), HZ_MOVE(12), HZ_MOVE(13), HZ_MOVE(14), HZ_MOVE(15),
};
#undef HZ_MOVE
#undef HZ_ALL

/*
 * One block of the filter. The state lives in locals for the loop (a store to tr[], a
 * uint8_t, could otherwise alias it and force every field back to memory), and the
 * transfer is branch-free where it is hot: instruction kinds arrive in no predictable order.
 */
static bool flow_block(struct hz_ctx *c, size_t b, void *arg)
{
	struct flow *fl = arg;
	const struct hz_blk *bb = &c->b[b];
	hz_v2 v = { 0, 0 }, s = { 0, 0 };
	uint8_t f = 0;
	for (uint32_t p = 0; p < bb->npred; p++) {
		const struct hz_flow *o = &fl->outs[c->preds[bb->pred + p]];
		v |= ld2(&o->vts);
		s |= ld2(&o->stv);
		f |= o->f;
	}
	const struct hz_fx *restrict fx = c->fx;
	const struct hz_rd *restrict rds = c->rd;
	const uint32_t *restrict list = c->flist;
	uint8_t *restrict tr = fl->tr;
	const uint8_t *restrict stab = fl->stab;
	const uint32_t emask = fl->emask;
	for (uint32_t j = c->fbeg[b], end = c->fbeg[b + 1]; j < end; j++) {
		uint32_t i = list[j];
		uint32_t e = fx[i].e;
		const struct hz_rd *y = &rds[fx[i].rd];
		hz_v2 d = ld2(&y->defs), r = ld2(&y->reads);
		uint32_t mv = any2(d & v), ms = any2(d & s);
		/* FL_CX, FL_PERM are 1, 2 and TR_CX, TR_PERM 4, 8: (f & 3) << 2 pends both. */
		uint8_t t = (uint8_t)((e >> FX_T_SHIFT) & (mv * TR_VTS | ms * TR_STV | (f & 3u) << 2));
		const struct hz_move *m = &moves[e & 15];
		v = (v & m->kv) | (r & m->gv);
		s = (s & m->ks) | (r & m->gs);
		/* The flags: clear (FX_CX_EXP, FX_PERM_EXP), then set (FX_CX_HIT, FX_PERM_SET);
		 * the LDS half: LDS/VMEM events, vscnt waits and branches. One lookup. */
		uint8_t l = stab[(uint32_t)f << 8 | ((e >> 4) & emask)];
		f = (uint8_t)(l & 0x3fu);
		tr[i] = (uint8_t)(t | ((l >> 2) & TR_LDS));
	}
	struct hz_flow *o = &fl->outs[b];
	if (!any2((ld2(&o->vts) ^ v) | (ld2(&o->stv) ^ s)) && o->f == f)
		return false;
	st2(&o->vts, v);
	st2(&o->stv, s);
	o->f = f;
	return true;
}

/* tr[i]: the searches worth running at instruction i (TR_*). */
static int flow(struct hz_ctx *c, bool lds, uint8_t *tr)
{
	struct flow fl = { .outs = rmcp_hz_zalloc(c, (c->nb ? c->nb : 1) * sizeof(struct hz_flow)), .tr = tr,
			   .stab = c->h->step, .emask = lds ? 0xffu : 0x0fu };
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
	uint32_t *cand = c->cand, ncand = c->ncand, all = c->all;
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
			r = rmcp_hz_search(c, 0, i, vmem_to_scalar, &c->rd[x->rd].defs, &hit);
			found(c, r, RMCP_ISA_HZ_VMEM_TO_SCALAR_WRITE, i, hit);
		}
		if (x->e & FX_VSDEF) {
			if (tr[i] & TR_STV) {
				r = rmcp_hz_search(c, 0, i, smem_to_vector, &c->rd[x->rd].defs, &hit);
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

#define HZ_SEED 0x72636d70

bool rmcp_isa_hz_known(struct rmcp_isa_hz *h, const uint8_t *p, size_t size, uint64_t addr,
		       struct rmcp_isa_kernel *k)
{
	if (size > UINT32_MAX)
		return false;
	uint64_t hash = rmcp_xxh64(p, size, HZ_SEED);
	h->last_p = p;
	h->last_size = size;
	h->last_hash = hash;
	const struct hz_memo *m = rmcp_hz_memo_find(h, hash, p, size, k);
	if (!m || !m->clean)
		return false;
	k->n_insns = m->n_insns;
	k->hazards_checked = true;
	rmcp_hz_memo_apply(m, addr, k);
	return true;
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
	uint64_t hash = p == h->last_p && size == h->last_size ? h->last_hash : rmcp_xxh64(p, size, HZ_SEED);
	h->last_p = NULL;
	const struct hz_memo *m = rmcp_hz_memo_find(h, hash, p, size, k);
	if (m) {
		rmcp_hz_memo_apply(m, addr, k);
		return 0;
	}
	int rc = run(&c, rec, nrec);
	rmcp_hz_arena_reset(&h->arena);
	if (rc == 0)
		rmcp_hz_memo_add(h, hash, p, size, addr, k);
	return rc;
}
