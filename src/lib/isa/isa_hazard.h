/* SPDX-License-Identifier: MIT */
/*
 * Private to the gfx10.1 hazard detectors: isa_hazard.c (the searches and checks, per kernel),
 * isa_hazard_cfg.c (blocks, dataflow driver, scratch arena; the backward search is here, inline),
 * isa_hazard_fx.c (what each instruction does), isa_hazard_align.c (DS address alignment),
 * isa_hazard_keys.c (per-key properties), isa_hazard_memo.c (kernels judged before).
 * Not part of the library API.
 */
#ifndef RMCP_ISA_HAZARD_H
#define RMCP_ISA_HAZARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isa_gfx10.h"
#include "isa_internal.h"

/* Per-key properties (derived once from the table's mnemonic and format). */
enum {
	HK_VALU = 1u << 0,
	HK_SALU = 1u << 1,
	HK_SMEM = 1u << 2,
	HK_VMEM = 1u << 3,	/* MUBUF, MTBUF, MIMG: LLVM's isVMEM */
	HK_FLAT = 1u << 4,	/* FLAT, GLOBAL, SCRATCH: LLVM's isFLAT */
	HK_DS = 1u << 5,
	HK_SDEF = 1u << 6,	/* SALU/SMEM with an explicit SGPR definition */
	HK_BRANCH = 1u << 7,	/* s_branch, s_cbranch_* (SOPP, pc-relative) */
	HK_CMP = 1u << 8,	/* VOPC, or a VOPC opcode in VOP3 encoding */
	HK_CMPX = 1u << 9,	/* v_cmpx_*: writes EXEC */
	HK_VOP3B = 1u << 10,	/* VOP3 with an sdst at [14:8] (carry out, div_scale, mad_u64) */
	HK_VCC_CARRY = 1u << 11,	/* VOP2 e32/DPP/SDWA carry ops: write VCC implicitly */
	HK_EXEC_READ = 1u << 12,	/* reads EXEC implicitly (saveexec, wrexec, cbranch_exec*) */
	HK_M0 = 1u << 13,	/* DS op that reads M0 (GWS, ordered count, append, addtid) */
	HK_LOADS = 1u << 14,	/* writes its vector destination (load, atomic return, ...) */
	HK_END = 1u << 15,	/* no fall-through: s_branch, s_endpgm*, s_setpc_b64, s_code_end */
	HK_EXP = 1u << 16,
	HK_SAMPLE = 1u << 17,	/* MIMG with a sampler */
	HK_SMEM_NOBASE = 1u << 18,	/* s_memtime, s_dcache_inv, ...: no SGPR operands */
	HK_SMEM_STORE = 1u << 19,	/* reads its sdata */
	HK_SMEM_ATOMIC = 1u << 20,	/* defines sdata only with GLC */
	HK_VNOP = 1u << 21,
	HK_PERMLANE = 1u << 22,
	HK_READLANE = 1u << 23,	/* v_readlane_b32, v_readfirstlane_b32: SGPR "vdst" */
	HK_WIDE64 = 1u << 24,	/* 64-bit result (two destination registers) */
};

/* Alignment transfer for isa_hazard_align.c: what the instruction computes. */
enum hz_alu {
	HA_NONE, HA_MOV, HA_ADD, HA_AND, HA_OR, HA_SHL, HA_SHL_ADD, HA_SHL_OR, HA_MUL, HA_MAD,
	HA_ADD3, HA_AND_OR, HA_CND, HA_SHLREV, HA_MOVK
};

struct hz_key {
	uint32_t flags;
	uint8_t width;		/* SGPR defs (SALU/SMEM), or DS natural alignment (bytes) */
	uint8_t alu;		/* enum hz_alu */
	uint32_t fx;		/* a VALU that writes no SGPR: its FX_* bits (the same for every
				 * instruction of the key), else 0 */
};

/* Scratch memory for one kernel's analysis: bump allocation, all of it released at once
 * when the next kernel starts. It lives as long as the detectors (one code object), so
 * after the first kernels no analysis calls malloc and its memory is warm in the cache. */
struct hz_chunk;
struct hz_arena {
	struct hz_chunk *head;	/* newest first; after a reset, at most one */
};

/* A kernel already judged in this code object, by the hash of its bytes (isa_hazard.c):
 * template instantiations often compile to the same code, and branches are pc-relative,
 * so the same bytes give the same hazards at the same offsets. */
struct hz_memo {
	uint64_t hash;
	const uint8_t *p;	/* its bytes (the code object's, or the table's own copy) */
	size_t size;
	bool wave64, wgp;
	bool owned;		/* p is the table's own copy */
	uint8_t c, r;		/* the fast pair's ISA classes */
	uint64_t n_hazards, n_possible;
	uint32_t n_by_class[RMCP_ISA_HZ_NCLASSES], first_by_class[RMCP_ISA_HZ_NCLASSES];
	bool has_hazard;
	struct rmcp_isa_hazard hazard;	/* addresses relative to the kernel */
	uint64_t n_insns;	/* the walk's count; */
	bool clean;		/* and it found nothing wrong (nothing invalid, differing, ...) */
};

/* Entries in order of arrival; an open-addressing index over them (entry + 1, 0 empty),
 * capacity a power of two, at most half full. Small slots keep the index's pages few. */
struct rmcp_isa_memo {
	struct hz_memo *entry;
	size_t n, room;
	uint32_t *slot;
	size_t cap;
	bool copies;		/* keeps a copy of each kernel's bytes (shared across code objects) */
	const uint8_t *stable;	/* ... except of bytes inside [stable, stable + stable_len): the */
	size_t stable_len;	/* file's own mapping, there as long as the table */
};

struct rmcp_isa_hz {
	const struct rmcp_isa_fast *fast;
	struct hz_arena arena;
	struct rmcp_isa_memo own;	/* this code object's kernels (pointers into it) */
	const uint8_t *last_p;		/* rmcp_isa_hz_known's hash of [last_p, + last_size), */
	size_t last_size;		/* for the rmcp_isa_hz_kernel call that follows it */
	uint64_t last_hash;
	struct rmcp_isa_memo *memo;	/* &own, or one shared by a whole file */
	const struct hz_key *keys;	/* [global key], and [nkeys] all zero: shared per code class */
	struct hz_key *owned;		/* keys, when not shared */
	size_t nkeys;
	const uint8_t *step;		/* the filter's small-state steps (rmcp_hz_step_table), shared */
};

struct hz_insn {
	uint32_t off, w0, w1, lit;	/* lit: the dword after the instruction words, if any */
	uint32_t flags;			/* hz_key.flags */
	uint16_t gkey;
	uint8_t fmt, width, alu;
	uint32_t blk;
	uint32_t tgt;			/* HK_BRANCH: target instruction, or UINT32_MAX */
};

/* Register sets over the 128 scalar operand codes (s0..s105, vcc, ttmp, m0, null, exec). */
struct hz_regs {
	uint64_t m[2];
};

/* What an instruction does for the pattern searches, worked out once per instruction
 * (isa_hazard.c) so the forward filter and the backward searches only test bits. */
enum {
	FX_VTS_GEN = 1u << 0,	/* vector memory/DS/FLAT: `reads` are its SGPR reads */
	FX_VTS_EXP = 1u << 1,	/* ends a vmem-to-scalar-write window */
	FX_STV_GEN = 1u << 2,	/* SMEM: `reads` are its SGPR reads */
	FX_STV_EXP = 1u << 3,	/* ends a smem-to-vector-write window */
	/* The filter's flags move as (f & ~((e >> 6) & 3)) | ((e >> 4) & 3): keep the order. */
	FX_CX_HIT = 1u << 4,	/* vcmpx-exec-war: reads EXEC (the earlier half) */
	FX_PERM_SET = 1u << 5,	/* a compare that writes EXEC */
	FX_CX_EXP = 1u << 6,
	FX_PERM_EXP = 1u << 7,	/* a VALU other than v_nop */
	/* Bits 4..11 are the events of the filter's small state (flow_block's table). */
	FX_LDS1 = 1u << 8,	/* lds-branch-vmem-war types: 1 DS, 2 VMEM/FLAT global/scratch */
	FX_LDS2 = 1u << 9,
	FX_VSCNT0 = 1u << 10,	/* s_waitcnt_vscnt null, 0 */
	FX_BRANCH = 1u << 11,	/* HK_BRANCH */
	FX_SCALAR = 1u << 12,	/* SALU/SMEM: `defs` are its explicit SGPR definitions */
	FX_VSDEF = 1u << 13,	/* VALU writing an SGPR: `defs` as fixSMEMtoVectorWriteHazards picks */
	FX_DEF_EXEC = 1u << 14,	/* FX_VSDEF and `defs` include EXEC */
	FX_PERMLANE = 1u << 15,
	FX_LOCAL = 1u << 16,	/* a single-instruction check applies (nsa, clause, offsets, ...) */
	/* The searches this instruction may trigger, as the filter's TR_* bits at (e >> 20). */
	FX_T_SHIFT = 20,
	FX_T_VTS = 1u << 20,	/* FX_SCALAR: TR_VTS */
	FX_T_STV = 1u << 21,	/* FX_VSDEF: TR_STV */
	FX_T_CX = 1u << 22,	/* FX_DEF_EXEC: TR_CX */
	FX_T_PERM = 1u << 23,	/* FX_PERMLANE: TR_PERM */
};

/* SGPRs an instruction reads (vector memory/DS/FLAT, or SMEM) and defines (SALU/SMEM
 * explicit definitions, or the VALU write fixSMEMtoVectorWriteHazards picks). */
struct hz_rd {
	struct hz_regs reads, defs;
};

struct hz_fx {
	uint32_t e;		/* FX_* */
	uint32_t rd;		/* index into hz_ctx.rd; 0: reads and defines none (rd[0] is empty) */
};

struct hz_blk {
	uint32_t first, last;	/* instruction indices */
	uint32_t pred, npred;	/* into hz_ctx.preds */
};

struct hz_ctx {
	const struct rmcp_isa_hz *h;
	struct hz_arena *arena;
	const uint8_t *p;
	uint64_t addr;
	bool wave64, wgp;
	struct hz_insn *in;
	struct hz_fx *fx;		/* [n], filled by isa_hazard.c before any search */
	struct hz_rd *rd;		/* [1 + instructions with SGPR reads or defs] */
	uint32_t nrd;
	uint32_t *flist, *fbeg;		/* the forward filter's instructions; fbeg[b]: block b's first */
	uint32_t *cand, ncand;		/* what run() looks at: triggers and single-instruction checks */
	uint32_t all;			/* union of every instruction's FX_* bits */
	size_t n;
	struct hz_blk *b;
	size_t nb;
	uint32_t *preds;
	uint32_t *succ;			/* [2 * b], [2 * b + 1]: block b's successors, or UINT32_MAX */
	uint32_t *stamp[2], gen[2];	/* visited marks per search level */
	uint32_t *stack;
	uint8_t *memo;			/* lds-branch inner search results per branch */
	uint64_t budget;		/* instructions a kernel's searches may still scan */
	bool over_budget;
	struct rmcp_isa_kernel *k;
};

#define HZ_VCC_LO 106
#define HZ_M0 124
#define HZ_NULL 125
#define HZ_EXEC_LO 126

/* n bytes of the current kernel's scratch, 16-byte aligned, uninitialised (zeroed:
 * rmcp_hz_zalloc); NULL when out of memory. Freed by rmcp_hz_arena_reset. */
void *rmcp_hz_alloc(struct hz_ctx *c, size_t n);
void *rmcp_hz_zalloc(struct hz_ctx *c, size_t n);
/* Start a kernel: forget every allocation, keeping (one block of) the memory. */
void rmcp_hz_arena_reset(struct hz_arena *a);
void rmcp_hz_arena_release(struct hz_arena *a);

/* Build instructions (from the fast walk's records, or decoded here if rec is NULL) with
 * their effects, blocks, predecessors, and the lists of struct hz_ctx: flist/fbeg (the
 * forward filter steps through all but repeats: an instruction that only ends windows, as
 * every plain VALU does, does nothing if the windows it ends were all ended since the last
 * instruction that adds or triggers anything in its block) and cand (isa_hazard_cfg.c).
 * 0 or -ENOMEM. */
int rmcp_hz_build(struct hz_ctx *c, const struct rmcp_isa_rec *rec, size_t nrec);

/* Forward dataflow over the blocks (isa_hazard_cfg.c): step(c, b, arg) recomputes block b
 * from its predecessors' outputs and returns whether b's output changed. Blocks are
 * stepped in address order, and again only once a predecessor's output has changed since
 * the block was last stepped (a loop-free kernel takes one pass). Returns 0 at a fixed
 * point, 1 if none was reached within `rounds` passes, -ENOMEM. */
typedef bool (*hz_step_fn)(struct hz_ctx *c, size_t b, void *arg);
int rmcp_hz_fixpoint(struct hz_ctx *c, uint32_t rounds, hz_step_fn step, void *arg);

/* Upper bound of instructions all searches of one kernel may scan; past it the remaining
 * searches answer "possible" (a crafted kernel cannot make the check quadratic). */
#define HZ_BUDGET (64u << 20)

/* LLVM's ::getWaitStatesSince(IsHazard, MI, IsExpired) over predecessors: does some path
 * back from instruction `from` reach a HIT before an EXPIRE? *hit: that instruction.
 * Returns 1 yes, 0 no, -1 over budget (the caller reports "possible"). */
enum { HZ_CONT, HZ_HIT, HZ_EXPIRE };
typedef int (*hz_fn)(struct hz_ctx *c, const void *arg, uint32_t i);
/* Here, static inline: each caller passes a constant fn, which the compiler then inlines
 * into the scan loop (the searches call it once per instruction they look at). */
/* Scan instructions [lo, hi] of a block backwards: HIT, EXPIRE or CONT (block done). */
static inline int hz_scan(struct hz_ctx *c, uint32_t lo, int64_t hi, hz_fn fn, const void *arg, uint32_t *hit)
{
	for (int64_t i = hi; i >= (int64_t)lo; i--) {
		if (!c->budget) {
			c->over_budget = true;
			return -1;
		}
		c->budget--;
		int r = fn(c, arg, (uint32_t)i);
		if (r == HZ_HIT) {
			*hit = (uint32_t)i;
			return HZ_HIT;
		}
		if (r == HZ_EXPIRE)
			return HZ_EXPIRE;
	}
	return HZ_CONT;
}

static inline int rmcp_hz_search(struct hz_ctx *c, int level, uint32_t from, hz_fn fn, const void *arg,
				 uint32_t *hit)
{
	uint32_t g = ++c->gen[level];
	if (g == 0) {
		memset(c->stamp[level], 0, c->nb * sizeof(uint32_t));
		g = c->gen[level] = 1;
	}
	/* A block is marked when pushed (LLVM inserts it into Visited before recursing), so
	 * each is scanned at most once and the stack never holds more than nb entries. The
	 * trigger's own block is not marked: reached again through a back edge, it is
	 * scanned whole, as LLVM does. The nested search (level 1) has its own stack. */
	uint32_t *stack = c->stack + (level ? c->nb : 0), sp = 0;
	uint32_t *mark = c->stamp[level];
	const struct hz_blk *b0 = &c->b[c->in[from].blk];
	int r = hz_scan(c, b0->first, (int64_t)from - 1, fn, arg, hit);
	const struct hz_blk *bb = b0;
	while (r == HZ_CONT || r == HZ_EXPIRE) {
		if (r == HZ_CONT)
			for (uint32_t i = 0; i < bb->npred; i++) {
				uint32_t pb = c->preds[bb->pred + i];
				if (mark[pb] != g) {
					mark[pb] = g;
					stack[sp++] = pb;
				}
			}
		if (!sp)
			break;
		bb = &c->b[stack[--sp]];
		r = hz_scan(c, bb->first, bb->last, fn, arg, hit);
	}
	if (r == HZ_HIT)
		return 1;
	return r < 0 ? -1 : 0;
}

/* Alignment (known trailing zero bits) of each DS multi-dword access's address, by
 * forward dataflow over the blocks (isa_hazard_align.c). out[i] for instruction i with
 * HK_DS and width > 4; 0 elsewhere. 0 or -ENOMEM. */
int rmcp_hz_align(struct hz_ctx *c, uint8_t *out);

/* ---- small decoders shared by the detectors ---- */

static inline bool meets(const struct hz_regs *a, const struct hz_regs *b)
{
	return (a->m[0] & b->m[0]) || (a->m[1] & b->m[1]);
}

static inline uint32_t sopp_op(const struct hz_insn *in)
{
	return in->fmt == RMCP_G10_SOPP ? (in->w0 >> 16) & 0x7f : 0xff;
}

static inline uint32_t flat_seg(const struct hz_insn *in)
{
	return (in->w0 >> 14) & 3;
}

/* lds-branch-vmem-war type: 1 DS, 2 VMEM or FLAT global/scratch, 0 neither. */
static inline int fx_lds(const struct hz_fx *x)
{
	return (x->e & FX_LDS1) ? 1 : (x->e & FX_LDS2) ? 2 : 0;
}

/* The forward filter's small state (the EXEC-reader and EXEC-compare flags, the LDS/VMEM
 * state around branches: 6 bits) as a table, so the filter steps it without branches
 * (isa_hazard.c): [state << 8 | FX bits 4..11] -> new state, | 0x40 when the step triggers
 * the lds-branch-vmem-war search. */
void rmcp_hz_step_table(uint8_t tab[1u << 14]);

/* hz_key.fx for key flags f (isa_hazard_fx.c): never 0 for a VALU writing no SGPR. */
uint32_t rmcp_hz_key_fx(uint32_t f);

/* The instructions of a kernel from the fast walk's records (isa_hazard_fx.c): c->in[0..n)
 * with their key properties and effects (c->fx, c->rd: rd[0] must be empty and c->nrd >= 1),
 * lead[i + 1] set after a branch or an end, branches[0..*nbranches) the branches' indices.
 * Stops at the first record out of order or out of range. Returns n. */
size_t rmcp_hz_fill(struct hz_ctx *c, const struct rmcp_isa_rec *rec, size_t nrec, uint8_t *lead,
		    uint32_t *branches, size_t *nbranches);

/* Kernels judged before (isa_hazard_memo.c); hash: XXH64 of the kernel's bytes. */
const struct hz_memo *rmcp_hz_memo_find(const struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p,
					size_t size, const struct rmcp_isa_kernel *k);
void rmcp_hz_memo_add(struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p, size_t size, uint64_t addr,
		      const struct rmcp_isa_kernel *k);
void rmcp_hz_memo_apply(const struct hz_memo *m, uint64_t addr, struct rmcp_isa_kernel *k);

#endif
