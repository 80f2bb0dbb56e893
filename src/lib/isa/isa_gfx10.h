/* SPDX-License-Identifier: MIT */
/*
 * gfx10 (RDNA1/RDNA2) instruction word layout, shared by the fast-path walker (isa_fast.c)
 * and the table generator (tools/gen-isa-table.c), so both split an instruction into the
 * same "key" (encoding format + opcode + the few bits that select a different instruction).
 * Not part of the library API.
 *
 * Facts: AMD "RDNA 1.0" and "RDNA 2" Instruction Set Architecture reference guides, chapter
 * "Microcode Formats" (SOP2 ... EXP field positions), and LLVM's encoding classes in
 * llvm/lib/Target/AMDGPU/{SOPInstructions,VOP1Instructions,VOP2Instructions,VOPCInstructions,
 * VOP3Instructions,VOP3PInstructions,DSInstructions,FLATInstructions,BUFInstructions,
 * MIMGInstructions,SMInstructions,EXPInstructions}.td (the *_gfx10 "Real" definitions).
 * Every key this header computes is checked against LLVM 19's decoder by the generator;
 * a wrong field position shows up there as a length or verdict mismatch, not silently.
 */
#ifndef RMCP_ISA_GFX10_H
#define RMCP_ISA_GFX10_H

#include <stdint.h>

enum rmcp_g10_fmt {
	RMCP_G10_SOP2,
	RMCP_G10_SOPK,
	RMCP_G10_SOP1,
	RMCP_G10_SOPC,
	RMCP_G10_SOPP,
	RMCP_G10_SMEM,
	RMCP_G10_VOP2,
	RMCP_G10_VOP1,
	RMCP_G10_VOPC,
	RMCP_G10_VOP3,
	RMCP_G10_VOP3P,
	RMCP_G10_VINTRP,
	RMCP_G10_DS,
	RMCP_G10_FLAT,
	RMCP_G10_MUBUF,
	RMCP_G10_MTBUF,
	RMCP_G10_MIMG,
	RMCP_G10_EXP,
	RMCP_G10_UNKNOWN,	/* a prefix no gfx10 format uses */
	RMCP_G10_NFMT
};

/* VOP1/VOP2/VOPC src0 values that select an extension dword instead of an operand. */
enum rmcp_g10_variant { RMCP_G10_E32, RMCP_G10_DPP, RMCP_G10_DPP8, RMCP_G10_SDWA };

#define RMCP_G10_SRC_LITERAL 0xff	/* a src field of 255: a 32-bit literal follows */

/* Number of keys per format; keys of a format are 0 .. size-1. */
static inline uint32_t rmcp_g10_fmt_keys(enum rmcp_g10_fmt f)
{
	static const uint32_t n[RMCP_G10_NFMT] = {
		[RMCP_G10_SOP2] = 128,		/* op[29:23] */
		[RMCP_G10_SOPK] = 32,		/* op[27:23] */
		[RMCP_G10_SOP1] = 256,		/* op[15:8] */
		[RMCP_G10_SOPC] = 128,		/* op[22:16] */
		[RMCP_G10_SOPP] = 128,		/* op[22:16] */
		[RMCP_G10_SMEM] = 256,		/* op[25:18] */
		[RMCP_G10_VOP2] = 64 * 4,	/* op[30:25] x variant */
		[RMCP_G10_VOP1] = 256 * 4,	/* op[16:9] x variant */
		[RMCP_G10_VOPC] = 256 * 4,	/* op[24:17] x variant */
		[RMCP_G10_VOP3] = 1024,		/* op[25:16] */
		[RMCP_G10_VOP3P] = 128,		/* op[22:16] */
		[RMCP_G10_VINTRP] = 4,		/* op[17:16] */
		[RMCP_G10_DS] = 256 * 2,	/* op[25:18] x gds[17] */
		[RMCP_G10_FLAT] = 128 * 8,	/* op[24:18] x seg[15:14] x lds[13] */
		[RMCP_G10_MUBUF] = 256 * 2,	/* op[25:18] x lds[16] */
		[RMCP_G10_MTBUF] = 16,		/* op[18:16] + op[3] at bit 53 */
		[RMCP_G10_MIMG] = 256,		/* op[24:18] + op[7] at bit 0 */
		[RMCP_G10_EXP] = 1,
		[RMCP_G10_UNKNOWN] = 1,
	};
	return n[f];
}

/* One instruction split into what the tables are indexed by. */
struct rmcp_g10_split {
	enum rmcp_g10_fmt fmt;
	uint32_t key;		/* 0 .. rmcp_g10_fmt_keys(fmt)-1 */
	uint8_t words;		/* dwords before literal/NSA: 1 or 2 (VOP1/2/C DPP/SDWA count 2) */
	uint8_t nsrc;		/* src fields that may hold RMCP_G10_SRC_LITERAL, in src[] */
	uint8_t nsa;		/* MIMG: extra address dwords */
	uint16_t src[3];
};

/*
 * Split the instruction starting with dword w0 (w1 = the next dword, 0 if none). Pure bit
 * arithmetic: which fields exist is the same for every gfx10 processor.
 */
static inline void rmcp_g10_split(uint32_t w0, uint32_t w1, struct rmcp_g10_split *s)
{
	s->nsrc = 0;
	s->nsa = 0;
	s->words = 1;
	if (!(w0 & 0x80000000u)) {
		uint32_t src0 = w0 & 0x1ff, top7 = w0 >> 25, op;
		if (top7 == 0x3f) {
			s->fmt = RMCP_G10_VOP1;
			op = (w0 >> 9) & 0xff;
		} else if (top7 == 0x3e) {
			s->fmt = RMCP_G10_VOPC;
			op = (w0 >> 17) & 0xff;
		} else {
			s->fmt = RMCP_G10_VOP2;
			op = (w0 >> 25) & 0x3f;
		}
		enum rmcp_g10_variant v = RMCP_G10_E32;
		if (src0 == 0xfa)
			v = RMCP_G10_DPP;
		else if (src0 == 0xe9 || src0 == 0xea)
			v = RMCP_G10_DPP8;
		else if (src0 == 0xf9)
			v = RMCP_G10_SDWA;
		s->key = op * 4 + v;
		if (v == RMCP_G10_E32) {
			s->nsrc = 1;
			s->src[0] = (uint16_t)src0;
			if (s->fmt == RMCP_G10_VOP1) {
				/* v_readfirstlane_b32's SGPR destination [24:17]: LLVM 19 reads 255
				 * there as a literal too (found by the generator's probes). */
				s->nsrc = 2;
				s->src[1] = (w0 >> 17) & 0xff;
			}
		} else {
			s->words = 2;
		}
		return;
	}
	if ((w0 >> 30) == 2) {
		uint32_t top9 = w0 >> 23;
		if (top9 == 0x17d) {
			s->fmt = RMCP_G10_SOP1;
			s->key = (w0 >> 8) & 0xff;
			s->nsrc = 1;
			s->src[0] = w0 & 0xff;
		} else if (top9 == 0x17e) {
			s->fmt = RMCP_G10_SOPC;
			s->key = (w0 >> 16) & 0x7f;
			s->nsrc = 2;
			s->src[0] = w0 & 0xff;
			s->src[1] = (w0 >> 8) & 0xff;
		} else if (top9 == 0x17f) {
			s->fmt = RMCP_G10_SOPP;
			s->key = (w0 >> 16) & 0x7f;
		} else if ((w0 >> 28) == 0xb) {
			s->fmt = RMCP_G10_SOPK;
			s->key = (w0 >> 23) & 0x1f;
		} else {
			s->fmt = RMCP_G10_SOP2;
			s->key = (w0 >> 23) & 0x7f;
			s->nsrc = 2;
			s->src[0] = w0 & 0xff;
			s->src[1] = (w0 >> 8) & 0xff;
		}
		return;
	}
	s->words = 2;
	switch (w0 >> 26) {
	case 0x32:
		s->fmt = RMCP_G10_VINTRP;
		s->key = (w0 >> 16) & 3;
		s->words = 1;
		return;
	case 0x33:
		if ((w0 >> 24) != 0xcc)
			break;
		s->fmt = RMCP_G10_VOP3P;
		s->key = (w0 >> 16) & 0x7f;
		goto vop3_srcs;
	case 0x35:
		s->fmt = RMCP_G10_VOP3;
		s->key = (w0 >> 16) & 0x3ff;
	vop3_srcs:
		s->nsrc = 3;
		s->src[0] = w1 & 0x1ff;
		s->src[1] = (w1 >> 9) & 0x1ff;
		s->src[2] = (w1 >> 18) & 0x1ff;
		return;
	case 0x36:
		s->fmt = RMCP_G10_DS;
		s->key = ((w0 >> 18) & 0xff) * 2 + ((w0 >> 17) & 1);
		return;
	case 0x37:
		s->fmt = RMCP_G10_FLAT;
		s->key = ((w0 >> 18) & 0x7f) * 8 + ((w0 >> 14) & 3) * 2 + ((w0 >> 13) & 1);
		return;
	case 0x38:
		s->fmt = RMCP_G10_MUBUF;
		s->key = ((w0 >> 18) & 0xff) * 2 + ((w0 >> 16) & 1);
		goto buf_soffset;
	case 0x3a:
		s->fmt = RMCP_G10_MTBUF;
		s->key = ((w0 >> 16) & 7) | ((w1 >> 21) & 1) << 3;
	buf_soffset:
		/* gfx10 soffset [63:56] may be a literal (found by the generator's probes). */
		s->nsrc = 1;
		s->src[0] = (uint16_t)(w1 >> 24);
		return;
	case 0x3c:
		s->fmt = RMCP_G10_MIMG;
		s->key = ((w0 >> 18) & 0x7f) | (w0 & 1) << 7;
		s->nsa = (uint8_t)((w0 >> 1) & 3);
		return;
	case 0x3d:
		s->fmt = RMCP_G10_SMEM;
		s->key = (w0 >> 18) & 0xff;
		return;
	case 0x3e:
		s->fmt = RMCP_G10_EXP;
		s->key = 0;
		return;
	default:
		break;
	}
	s->fmt = RMCP_G10_UNKNOWN;
	s->key = 0;
	s->words = 1;
}

/*
 * Is this instruction one that LLVM 19's disassembler must not be shown? An SDWA selector
 * (dst_sel [10:8], src0_sel [18:16], src1_sel [26:24] of the SDWA dword) of 7 is reserved,
 * and LLVM 19.1.7 crashes printing it (out-of-bounds read, found by tools/gen-isa-table.c's
 * random probes: v_cndmask_b32_sdwa 0x020002f9 0x00000701 segfaults in LLVMDisasmInstruction).
 * Both the oracle and the fast path treat such words as undecodable without asking LLVM.
 * VOPC's SDWA dword has no dst_sel: [14:8] is its SGPR destination and [15] says it is there
 * (LLVM's VOPC_SDWA9e), so 7 in [10:8] is s7, s15, s23, ... and LLVM prints it
 * (`v_cmp_eq_u16_sdwa s23, v21, v28 ...`, 145 of them in Debian's librocsparse for gfx1030).
 */
static inline int rmcp_g10_llvm_unsafe(const struct rmcp_g10_split *s, uint32_t w1)
{
	if ((s->fmt == RMCP_G10_VOP1 || s->fmt == RMCP_G10_VOP2 || s->fmt == RMCP_G10_VOPC) &&
	    (s->key & 3) == RMCP_G10_SDWA)
		return (s->fmt != RMCP_G10_VOPC && ((w1 >> 8) & 7) == 7) || ((w1 >> 16) & 7) == 7 ||
		       ((w1 >> 24) & 7) == 7;
	return 0;
}

/*
 * Put key `key` of format `fmt` into instruction words (the inverse of rmcp_g10_split for
 * the key bits; other bits are left as in w[]). Used by the generator to build probes.
 */
static inline void rmcp_g10_set_key(enum rmcp_g10_fmt fmt, uint32_t key, uint32_t w[2])
{
	static const uint32_t src0_of_variant[4] = { 0x100, 0xfa, 0xe9, 0xf9 };
	switch (fmt) {
	case RMCP_G10_SOP2:
		w[0] = (w[0] & 0x007fffffu) | 0x80000000u | (key & 0x7f) << 23;
		break;
	case RMCP_G10_SOPK:
		w[0] = (w[0] & 0x007fffffu) | 0xb0000000u | (key & 0x1f) << 23;
		break;
	case RMCP_G10_SOP1:
		w[0] = (w[0] & 0x007f00ffu) | 0x17du << 23 | (key & 0xff) << 8;
		break;
	case RMCP_G10_SOPC:
		w[0] = (w[0] & 0x0000ffffu) | 0x17eu << 23 | (key & 0x7f) << 16;
		break;
	case RMCP_G10_SOPP:
		w[0] = (w[0] & 0x0000ffffu) | 0x17fu << 23 | (key & 0x7f) << 16;
		break;
	case RMCP_G10_SMEM:
		w[0] = (w[0] & 0x0003ffffu) | 0x3du << 26 | (key & 0xff) << 18;
		break;
	case RMCP_G10_VOP2:
		w[0] = (w[0] & 0x01fffe00u) | (key >> 2 & 0x3f) << 25 | src0_of_variant[key & 3];
		break;
	case RMCP_G10_VOP1:
		w[0] = (w[0] & 0x01fe0000u) | 0x3fu << 25 | (key >> 2 & 0xff) << 9 | src0_of_variant[key & 3];
		break;
	case RMCP_G10_VOPC:
		w[0] = (w[0] & 0x0001fe00u) | 0x3eu << 25 | (key >> 2 & 0xff) << 17 | src0_of_variant[key & 3];
		break;
	case RMCP_G10_VOP3:
		w[0] = (w[0] & 0x0000ffffu) | 0x35u << 26 | (key & 0x3ff) << 16;
		break;
	case RMCP_G10_VOP3P:
		w[0] = (w[0] & 0x0080ffffu) | 0xccu << 24 | (key & 0x7f) << 16;
		break;
	case RMCP_G10_VINTRP:
		w[0] = (w[0] & 0x03fcffffu) | 0x32u << 26 | (key & 3) << 16;
		break;
	case RMCP_G10_DS:
		w[0] = (w[0] & 0x0001ffffu) | 0x36u << 26 | (key >> 1 & 0xff) << 18 | (key & 1) << 17;
		break;
	case RMCP_G10_FLAT:
		w[0] = (w[0] & 0x02001fffu) | 0x37u << 26 | (key >> 3 & 0x7f) << 18 | (key >> 1 & 3) << 14 |
		       (key & 1) << 13;
		break;
	case RMCP_G10_MUBUF:
		w[0] = (w[0] & 0x0002ffffu) | 0x38u << 26 | (key >> 1 & 0xff) << 18 | (key & 1) << 16;
		break;
	case RMCP_G10_MTBUF:
		w[0] = (w[0] & 0x03f8ffffu) | 0x3au << 26 | (key & 7) << 16;
		w[1] = (w[1] & ~(1u << 21)) | (key >> 3 & 1) << 21;
		break;
	case RMCP_G10_MIMG:
		w[0] = (w[0] & 0x0203fffeu) | 0x3cu << 26 | (key & 0x7f) << 18 | (key >> 7 & 1);
		break;
	case RMCP_G10_EXP:
		w[0] = (w[0] & 0x03ffffffu) | 0x3eu << 26;
		break;
	case RMCP_G10_UNKNOWN:
	case RMCP_G10_NFMT:
		break;
	}
}

#endif
