/* SPDX-License-Identifier: MIT */
/* Pieces of the ISA checker shared between its files (not part of the library API). */
#ifndef RMCP_ISA_INTERNAL_H
#define RMCP_ISA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "isa.h"

/* ---- ELF64 LSB over bytes (isa_elf.c) ---- */

struct rmcp_elf {
	const uint8_t *buf;
	size_t len;
	uint64_t shoff;
	uint16_t shnum, shentsize, shstrndx;
};

struct rmcp_elf_sec {
	const char *name;	/* "" if the name is out of bounds */
	uint32_t type;
	uint64_t flags, addr, off, size, entsize;
	uint32_t link;
	bool nobits;		/* SHT_NOBITS: no bytes in the file */
};

/* Header and section table checked: every section lies within the buffer (or is NOBITS). */
int rmcp_elf_open(const void *buf, size_t len, struct rmcp_elf *e, struct rmcp_err *err);
int rmcp_elf_section(const struct rmcp_elf *e, size_t i, struct rmcp_elf_sec *s);
/* Index of the first section named `name`, or -1. */
long rmcp_elf_find(const struct rmcp_elf *e, const char *name, struct rmcp_elf_sec *s);

/* A code range to walk: a kernel or device function. */
struct rmcp_isa_range {
	char *name;
	bool is_kernel, wave64, wgp_mode;
	uint64_t addr, size, off;	/* off: file offset of addr */
};

/* Kernels and functions of a code object, from STT_FUNC symbols and "<name>.kd" kernel
 * descriptors; sorted by address, disjoint, inside executable sections. */
int rmcp_isa_ranges(const void *buf, size_t len, struct rmcp_isa_range **out, size_t *n,
		    struct rmcp_err *err);
void rmcp_isa_ranges_free(struct rmcp_isa_range *r, size_t n);

/* ---- engines ---- */

/* The per-instruction result both engines produce. */
struct rmcp_isa_step {
	uint32_t len;			/* bytes to advance */
	enum rmcp_isa_insn_kind kind;
	bool bad;			/* kind is a finding (else: ok) */
};

/* Fast path (isa_fast.c). A pair is prepared once per (code class, real class). */
struct rmcp_isa_fast;
int rmcp_isa_fast_open(const char *code_proc, const char *real_proc, struct rmcp_isa_fast **out);
void rmcp_isa_fast_close(struct rmcp_isa_fast *f);
bool rmcp_isa_fast_same_class(const struct rmcp_isa_fast *f);
/* Walk [p, p+size): counts into k, k->first for the first finding. ask(ctx, ...) resolves
 * instructions the table leaves to LLVM; NULL counts them as unknown. */
typedef int (*rmcp_isa_ask_fn)(void *ctx, const uint8_t *p, size_t avail, uint64_t addr,
			       struct rmcp_isa_step *st);
/* One whole instruction word as the walk saw it, kept for the hazard detectors so they
 * need not decode the kernel a second time. */
struct rmcp_isa_rec {
	uint32_t off;		/* from the range's start */
	uint16_t gkey;		/* global key (isa_table.h) */
	uint8_t len;		/* bytes, a multiple of 4, <= what is left of the range */
	uint8_t fmt;		/* enum rmcp_g10_fmt */
	uint8_t lit_at;		/* where a trailing literal would start (after words and NSA) */
	bool decodes;		/* false: a word the code's class cannot decode (data) */
};
/* rec: NULL, or room for size / 4 records; *nrec: how many were written. */
void rmcp_isa_fast_walk(const struct rmcp_isa_fast *f, const uint8_t *p, size_t size,
			uint64_t addr, struct rmcp_isa_kernel *k, rmcp_isa_ask_fn ask, void *ctx,
			struct rmcp_isa_rec *rec, size_t *nrec);
/* The record of the instruction at p (avail >= 4), at offset off, as the walk would write it
 * without the oracle (a key left to LLVM counts one dword). Returns its length. */
uint32_t rmcp_isa_fast_record(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail, size_t off,
			      struct rmcp_isa_rec *r);
/* One instruction (avail >= 1): a key left to LLVM comes back as kind UNKNOWN, bad. */
void rmcp_isa_fast_step(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
			struct rmcp_isa_step *st);
/* The code's and the real GPU's ISA classes (indices of the generated table). */
unsigned rmcp_isa_fast_code_class(const struct rmcp_isa_fast *f);
unsigned rmcp_isa_fast_real_class(const struct rmcp_isa_fast *f);
/* Mnemonic of the instruction at p as class `code` (or real) decodes it; "" if none. */
const char *rmcp_isa_fast_mnemonic(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
				   bool real);

/* Mnemonic of a global key (fmt base + key) for the code's class; "" if it does not decode. */
const char *rmcp_isa_fast_key_mnemonic(const struct rmcp_isa_fast *f, size_t gkey);
size_t rmcp_isa_fast_nkeys(const struct rmcp_isa_fast *f);

/* gfx10.1 hazard detectors (isa_hazard.c). Prepared once per fast pair (key properties). */
struct rmcp_isa_hz;
int rmcp_isa_hz_open(const struct rmcp_isa_fast *f, struct rmcp_isa_hz **out);
void rmcp_isa_hz_close(struct rmcp_isa_hz *h);
/* Forget the kernels judged so far (their bytes may go away after this). */
void rmcp_isa_hz_forget(struct rmcp_isa_hz *h);

/* Kernels judged before, shared by every code object of one file (rmcp_isa_check_buffer):
 * it keeps a copy of each kernel's bytes that lies outside [stable, stable + stable_len)
 * (the file's buffer, which outlives the table), so decompressed code objects may go. */
struct rmcp_isa_memo;
struct rmcp_isa_memo *rmcp_isa_memo_new(const void *stable, size_t stable_len);
void rmcp_isa_memo_free(struct rmcp_isa_memo *m);
/* Use m instead of the detectors' own per-code-object memory (NULL: back to their own). */
void rmcp_isa_hz_share(struct rmcp_isa_hz *h, struct rmcp_isa_memo *m);
/* rmcp_isa_check with a shared memory of kernels (NULL: none beyond the code object). */
int rmcp_isa_check_memo(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
			unsigned flags, struct rmcp_isa_memo *memo, struct rmcp_isa_report *out,
			struct rmcp_err *err);
/* Is [p, p+size) a kernel judged before (same bytes, same fast pair, wave size and WGP mode)
 * whose walk found nothing wrong? Then k gets that walk's count and those hazards, and
 * neither the walk nor rmcp_isa_hz_kernel need run for it. Otherwise false, and its hash is
 * kept for the rmcp_isa_hz_kernel call on the same range that follows. */
bool rmcp_isa_hz_known(struct rmcp_isa_hz *h, const uint8_t *p, size_t size, uint64_t addr,
		       struct rmcp_isa_kernel *k);
/* Run every detector over one kernel's code [p, p+size) at addr; fills k's hazard fields.
 * Reads only [p, p+size), and the bytes of kernels judged before: a kernel whose bytes
 * equal an earlier one's gets its result without a second analysis, so every p handed in
 * must stay valid until rmcp_isa_hz_forget or rmcp_isa_hz_close. rec/nrec: the fast walk's
 * records of this range (the same fast pair), or NULL to decode here. 0, or -ENOMEM. */
int rmcp_isa_hz_kernel(struct rmcp_isa_hz *h, const uint8_t *p, size_t size, uint64_t addr,
		       struct rmcp_isa_kernel *k, const struct rmcp_isa_rec *rec, size_t nrec);

/* Oracle (isa_llvm.c; stubs without LLVM). */
struct rmcp_isa_oracle;
int rmcp_isa_oracle_open(const char *code_proc, const char *real_proc,
			 struct rmcp_isa_oracle **out, struct rmcp_err *err);
void rmcp_isa_oracle_close(struct rmcp_isa_oracle *o);
int rmcp_isa_oracle_step(void *oracle, const uint8_t *p, size_t avail, uint64_t addr,
			 struct rmcp_isa_step *st);
void rmcp_isa_oracle_walk(struct rmcp_isa_oracle *o, const uint8_t *p, size_t size, uint64_t addr,
			  struct rmcp_isa_kernel *k);
/* Text of one instruction for the code's target (real = false) or the real GPU. */
void rmcp_isa_oracle_text(struct rmcp_isa_oracle *o, const uint8_t *p, size_t avail, uint64_t addr,
			  bool real, char *buf, size_t size);

/* Record a finding in k (first one kept, with bytes). */
void rmcp_isa_note(struct rmcp_isa_kernel *k, const uint8_t *p, size_t avail, uint64_t addr,
		   const struct rmcp_isa_step *st);

#endif
