/* SPDX-License-Identifier: MIT */
/*
 * Private to the gfx10.1 hazard detectors (isa_hazard.c, isa_hazard_cfg.c,
 * isa_hazard_align.c): decoded instructions, basic blocks and the per-key properties the
 * detectors test. Not part of the library API.
 */
#ifndef RMCP_ISA_HAZARD_H
#define RMCP_ISA_HAZARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
};

struct rmcp_isa_hz {
	const struct rmcp_isa_fast *fast;
	struct hz_key *keys;	/* [global key] */
	size_t nkeys;
};

struct hz_insn {
	uint32_t off, w0, w1, lit;	/* lit: the dword after the instruction words, if any */
	uint32_t flags;			/* hz_key.flags */
	uint16_t gkey;
	uint8_t len, fmt, width, alu;
	uint32_t blk;
};

struct hz_blk {
	uint32_t first, last;	/* instruction indices */
	uint32_t pred, npred;	/* into hz_ctx.preds */
};

struct hz_ctx {
	const struct rmcp_isa_hz *h;
	const uint8_t *p;
	uint64_t addr;
	bool wave64, wgp;
	struct hz_insn *in;
	size_t n;
	struct hz_blk *b;
	size_t nb;
	uint32_t *preds;
	uint32_t *stamp[2], gen[2];	/* visited marks per search level */
	uint32_t *stack;
	uint8_t *memo;			/* lds-branch inner search results per branch */
	uint64_t budget;		/* instructions a kernel's searches may still scan */
	bool over_budget;
	struct rmcp_isa_kernel *k;
};

/* Register sets over the 128 scalar operand codes (s0..s105, vcc, ttmp, m0, null, exec). */
struct hz_regs {
	uint64_t m[2];
};

#define HZ_VCC_LO 106
#define HZ_M0 124
#define HZ_NULL 125
#define HZ_EXEC_LO 126

/* Build instructions, blocks, predecessors (isa_hazard_cfg.c). 0 or -ENOMEM. */
int rmcp_hz_build(struct hz_ctx *c);
void rmcp_hz_free(struct hz_ctx *c);

/* LLVM's ::getWaitStatesSince(IsHazard, MI, IsExpired) over predecessors: does some path
 * back from instruction `from` reach a HIT before an EXPIRE? *hit: that instruction.
 * Returns 1 yes, 0 no, -1 over budget (the caller reports "possible"). */
enum { HZ_CONT, HZ_HIT, HZ_EXPIRE };
typedef int (*hz_fn)(struct hz_ctx *c, const void *arg, uint32_t i);
int rmcp_hz_search(struct hz_ctx *c, int level, uint32_t from, hz_fn fn, const void *arg,
		   uint32_t *hit);

/* Alignment (known trailing zero bits) of each DS multi-dword access's address, by
 * forward dataflow over the blocks (isa_hazard_align.c). out[i] for instruction i with
 * HK_DS and width > 4; 0 elsewhere. 0 or -ENOMEM. */
int rmcp_hz_align(struct hz_ctx *c, uint8_t *out);

#endif
