/* SPDX-License-Identifier: MIT */
/*
 * Types of the generated gfx10 instruction table (data/isa/gfx10_table.c, written by
 * tools/gen-isa-table.c from LLVM 19's disassembler). Private to isa_fast.c and the generator.
 *
 * The table answers, for each instruction key (isa_gfx10.h) and each ISA class (a set of
 * processors LLVM decodes identically): does it decode, how long is it, which source fields
 * take a literal, what is its mnemonic, and which classes print it the same way. A few keys
 * print differently depending on one operand field (hwreg ids, s_waitcnt_depctr fields,
 * scratch ST mode); those carry "sub" rules: per class pair, cubes of field values (value &
 * mask == bits) that get another verdict. Keys whose verdict the generator could not reduce
 * to a rule are flagged ORACLE: the fast path defers them to LLVM.
 */
#ifndef RMCP_ISA_TABLE_H
#define RMCP_ISA_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "isa_gfx10.h"

/* Per (key, class) cell, packed in a uint32_t. */
#define RMCP_G10_CELL_DEC	0x1u		/* decodes for this class */
#define RMCP_G10_CELL_KLIT	0x2u		/* carries a mandatory literal (+4 bytes) */
#define RMCP_G10_CELL_LIT_SHIFT	2		/* 3 bits: src fields where 255 = literal */
#define RMCP_G10_CELL_SIG_SHIFT	5		/* 3 bits: classes with equal sig print equally */
#define RMCP_G10_CELL_MN_SHIFT	8		/* 12 bits: index into rmcp_g10_mnemonics */
#define RMCP_G10_CELL_SUB	(1u << 20)	/* verdict depends on a field: see subs */
#define RMCP_G10_CELL_ORACLE	(1u << 21)	/* no rule found: ask LLVM */

/* Per-instruction verdict of code built for class C running on class R. */
enum rmcp_g10_verdict {
	RMCP_G10_OK,		/* decodes, same text */
	RMCP_G10_DIFFERS,	/* decodes to other text */
	RMCP_G10_INVALID,	/* does not decode for R */
	RMCP_G10_UNDECODABLE,	/* does not decode for C, its own target */
	RMCP_G10_ASK_ORACLE,	/* the table has no rule: LLVM must decide */
};

struct rmcp_g10_proc {
	const char *name;
	uint8_t cls;
};

/* Key with a field-dependent verdict: [shift, shift+width) of the 64-bit w0 | w1 << 32. */
struct rmcp_g10_sub {
	uint16_t key;		/* global key index */
	uint8_t shift, width;
};

/* Verdict for class pair (c, r) of a sub key: `verdict` when (field & mask) == bits. A
 * cube with mask 0 is the pair's default. Cubes of a key are listed default-last. */
struct rmcp_g10_cube {
	uint16_t key;
	uint8_t c, r, verdict;
	uint16_t mask, bits;
};

extern const char rmcp_g10_llvm_version[];
extern const unsigned rmcp_g10_nclasses;
extern const struct rmcp_g10_proc rmcp_g10_procs[];
extern const size_t rmcp_g10_nprocs;
extern const uint16_t rmcp_g10_fmt_base[RMCP_G10_NFMT + 1];	/* global key = base[fmt] + key */
extern const uint32_t rmcp_g10_cells[];		/* [global key * nclasses + class] */
extern const char *const rmcp_g10_mnemonics[];
extern const size_t rmcp_g10_nmnemonics;
extern const struct rmcp_g10_sub rmcp_g10_subs[];
extern const size_t rmcp_g10_nsubs;
extern const struct rmcp_g10_cube rmcp_g10_cubes[];
extern const size_t rmcp_g10_ncubes;

#endif
