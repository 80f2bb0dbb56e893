/* SPDX-License-Identifier: MIT */
/*
 * The fast path: a table-driven gfx10 instruction walker. Per instruction it splits the
 * first dword into a key (isa_gfx10.h), looks up one byte prepared for the (code class,
 * real class) pair from the generated table (data/isa/gfx10_table.c), and computes the
 * length from the format, the literal fields and MIMG NSA words. It gives exactly the
 * oracle's per-instruction verdicts on compiler-built code (tests/integration/test_isa.c
 * runs both over Debian's librocsparse); keys the generator could not reduce to a rule are
 * handed to the oracle through `ask`, or counted as unknown without LLVM.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "isa_internal.h"
#include "isa_table.h"
#include "banned.h"

/* Prepared byte per key: verdict (3 bits), KLIT, literal mask (3 bits), SUB. */
#define P_VERDICT 0x07u
#define P_KLIT 0x08u
#define P_LIT_SHIFT 4
#define P_SUB 0x80u

struct rmcp_isa_fast {
	uint8_t c, r;		/* classes */
	const uint8_t *prep;	/* [global key]: shared per class pair (prepared), or owned */
	uint8_t *owned;
	size_t nkeys;
};

static int class_of(const char *proc)
{
	for (size_t i = 0; i < rmcp_g10_nprocs; i++)
		if (strcmp(rmcp_g10_procs[i].name, proc) == 0)
			return rmcp_g10_procs[i].cls;
	return -1;
}

bool rmcp_isa_fast_supports(const char *code_proc, const char *real_proc)
{
	return class_of(code_proc) >= 0 && class_of(real_proc) >= 0;
}

const char *rmcp_isa_table_version(void)
{
	return rmcp_g10_llvm_version;
}

static uint8_t cell_verdict(uint32_t cc, uint32_t cr)
{
	if (cc & RMCP_G10_CELL_ORACLE)
		return RMCP_G10_ASK_ORACLE;
	if (!(cc & RMCP_G10_CELL_DEC))
		return RMCP_G10_UNDECODABLE;
	if (!(cr & RMCP_G10_CELL_DEC))
		return RMCP_G10_INVALID;
	uint32_t sig = 7u << RMCP_G10_CELL_SIG_SHIFT;
	return (cc & sig) == (cr & sig) ? RMCP_G10_OK : RMCP_G10_DIFFERS;
}

/* The prepared bytes of a class pair: the same for every code object, so built once per
 * process and kept (a scan opens one per bundle entry); publishing is one compare-and-swap,
 * so threads (the guard's) may race to build them. */
#define PREP_CLASSES 8
static _Atomic(uint8_t *) prepared[PREP_CLASSES][PREP_CLASSES];

static uint8_t *prepare(int c, int r, size_t nkeys)
{
	uint8_t *prep = malloc(nkeys);
	if (!prep)
		return NULL;
	for (size_t k = 0; k < nkeys; k++) {
		uint32_t cc = rmcp_g10_cells[k * rmcp_g10_nclasses + (size_t)c];
		uint32_t cr = rmcp_g10_cells[k * rmcp_g10_nclasses + (size_t)r];
		uint8_t b = cell_verdict(cc, cr);
		if (cc & RMCP_G10_CELL_KLIT)
			b |= P_KLIT;
		b |= (uint8_t)(((cc >> RMCP_G10_CELL_LIT_SHIFT) & 7u) << P_LIT_SHIFT);
		if ((cc & RMCP_G10_CELL_SUB) && c != r)
			b |= P_SUB;
		prep[k] = b;
	}
	return prep;
}

int rmcp_isa_fast_open(const char *code_proc, const char *real_proc, struct rmcp_isa_fast **out)
{
	int c = class_of(code_proc), r = class_of(real_proc);
	*out = NULL;
	if (c < 0 || r < 0)
		return -RMCP_E_UNSUPPORTED;
	struct rmcp_isa_fast *f = calloc(1, sizeof(*f));
	size_t nkeys = rmcp_g10_fmt_base[RMCP_G10_NFMT];
	if (!f)
		return -ENOMEM;
	f->c = (uint8_t)c;
	f->r = (uint8_t)r;
	f->nkeys = nkeys;
	bool cached = c < PREP_CLASSES && r < PREP_CLASSES;
	uint8_t *prep = cached ? atomic_load(&prepared[c][r]) : NULL;
	if (!prep) {
		if (!(prep = prepare(c, r, nkeys))) {
			free(f);
			return -ENOMEM;
		}
		uint8_t *none = NULL;
		if (!cached)
			f->owned = prep;
		else if (!atomic_compare_exchange_strong(&prepared[c][r], &none, prep)) {
			free(prep);	/* another thread published first: use its bytes */
			prep = none;
		}
	}
	f->prep = prep;
	*out = f;
	return 0;
}

void rmcp_isa_fast_close(struct rmcp_isa_fast *f)
{
	if (f) {
		free(f->owned);
		free(f);
	}
}

bool rmcp_isa_fast_same_class(const struct rmcp_isa_fast *f)
{
	return f->c == f->r;
}

/* Verdict of a key whose verdict depends on an operand field (generated cubes). */
static uint8_t sub_verdict(const struct rmcp_isa_fast *f, size_t gkey, uint32_t w0, uint32_t w1,
			   uint8_t dflt)
{
	size_t lo = 0, hi = rmcp_g10_nsubs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rmcp_g10_subs[mid].key < gkey)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == rmcp_g10_nsubs || rmcp_g10_subs[lo].key != gkey)
		return dflt;
	uint64_t q = w0 | (uint64_t)w1 << 32;
	uint32_t v = (uint32_t)(q >> rmcp_g10_subs[lo].shift) & ((1u << rmcp_g10_subs[lo].width) - 1);
	for (size_t i = 0; i < rmcp_g10_ncubes; i++) {
		const struct rmcp_g10_cube *q2 = &rmcp_g10_cubes[i];
		if (q2->key == gkey && q2->c == f->c && q2->r == f->r && (v & q2->mask) == q2->bits)
			return q2->verdict;
	}
	return dflt;
}

static enum rmcp_isa_insn_kind kind_of(uint8_t v)
{
	switch (v) {
	case RMCP_G10_DIFFERS:
		return RMCP_ISA_INSN_DIFFERS;
	case RMCP_G10_INVALID:
		return RMCP_ISA_INSN_INVALID;
	case RMCP_G10_UNDECODABLE:
		return RMCP_ISA_INSN_UNDECODABLE;
	default:
		return RMCP_ISA_INSN_UNKNOWN;
	}
}

/* One instruction: length and verdict; *s: its split, *gk: its global key, *lit_at: where
 * a literal would start (avail >= 4). */
static inline uint8_t fast_split_step(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
				      uint32_t *len, struct rmcp_g10_split *s, size_t *gk, uint32_t *lit_at)
{
	uint32_t w0 = rmcp_le32(p), w1 = avail >= 8 ? rmcp_le32(p + 4) : 0;
	rmcp_g10_split(w0, w1, s);
	size_t gkey = (size_t)rmcp_g10_fmt_base[s->fmt] + s->key;
	*gk = gkey;
	uint8_t b = f->prep[gkey], v = b & P_VERDICT;
	/* A literal dword follows when the key always has one, or when a source that may hold
	 * one (of the first nsrc, per the key's mask) is 255. Without branches: which holds
	 * varies from one instruction to the next. s->src[] past nsrc are zero or ignored. */
	uint32_t lit = (uint32_t)(s->src[0] == RMCP_G10_SRC_LITERAL) | (uint32_t)(s->src[1] == RMCP_G10_SRC_LITERAL) << 1 |
		       (uint32_t)(s->src[2] == RMCP_G10_SRC_LITERAL) << 2;
	lit &= (uint32_t)(b >> P_LIT_SHIFT) & 7u & ((1u << s->nsrc) - 1);
	uint32_t at = 4u * s->words + 4u * s->nsa, n = at + ((b & P_KLIT) || lit ? 4u : 0u);
	*lit_at = at;
	if (v == RMCP_G10_UNDECODABLE || n > avail || rmcp_g10_llvm_unsafe(s, w1)) {
		*len = 4;
		return RMCP_G10_UNDECODABLE;
	}
	*len = n;
	if (b & P_SUB)
		v = sub_verdict(f, gkey, w0, w1, v);
	return v;
}

static inline uint8_t fast_step(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
				uint32_t *len)
{
	struct rmcp_g10_split s = { .fmt = RMCP_G10_UNKNOWN };
	size_t gkey;
	uint32_t lit_at;
	return fast_split_step(f, p, avail, len, &s, &gkey, &lit_at);
}

/* A length LLVM gave, as a record holds it: whole dwords, 4 to 252 bytes. */
static inline uint32_t rec_len(uint32_t len)
{
	len &= ~3u;
	return len < 4 || len > 252 ? 4 : len;
}

/* The record of one instruction at off that the walk advances len bytes past (len: the
 * fast path's, already whole dwords of 4 to 252 bytes, or rec_len's). */
static inline void put_rec(struct rmcp_isa_rec *r, size_t off, uint32_t len, const struct rmcp_g10_split *s,
			   size_t gkey, uint32_t lit_at, uint8_t v)
{
	r->off = (uint32_t)off;
	r->gkey = (uint16_t)gkey;
	r->len = (uint8_t)len;
	r->fmt = (uint8_t)s->fmt;
	r->lit_at = (uint8_t)lit_at;
	r->decodes = v != RMCP_G10_UNDECODABLE;
}

uint32_t rmcp_isa_fast_record(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail, size_t off,
			      struct rmcp_isa_rec *r)
{
	struct rmcp_g10_split s = { .fmt = RMCP_G10_UNKNOWN };
	uint32_t len = 4, lit_at;
	size_t gkey;
	uint8_t v = fast_split_step(f, p, avail, &len, &s, &gkey, &lit_at);
	if (v == RMCP_G10_ASK_ORACLE)
		len = 4;	/* without the oracle's length, one dword */
	put_rec(r, off, len, &s, gkey, lit_at, v);
	return r->len;
}

unsigned rmcp_isa_fast_code_class(const struct rmcp_isa_fast *f)
{
	return f->c;
}

unsigned rmcp_isa_fast_real_class(const struct rmcp_isa_fast *f)
{
	return f->r;
}

void rmcp_isa_fast_step(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
			struct rmcp_isa_step *st)
{
	uint8_t v = RMCP_G10_UNDECODABLE;
	st->len = (uint32_t)(avail < 4 ? avail : 4);
	if (avail >= 4)
		v = fast_step(f, p, avail, &st->len);
	if (v == RMCP_G10_ASK_ORACLE)
		st->len = 4;
	st->bad = v != RMCP_G10_OK;
	st->kind = kind_of(v);
}

/* The walk, with records (with_rec) or without: a constant in each call below, so each
 * gets its own loop. */
static inline __attribute__((always_inline)) void
walk(const struct rmcp_isa_fast *f, const uint8_t *p, size_t size, uint64_t addr, struct rmcp_isa_kernel *k,
     rmcp_isa_ask_fn ask, void *ctx, struct rmcp_isa_rec *rec, size_t *nrec, bool with_rec)
{
	size_t off = 0, nr = 0;
	uint64_t n = 0;
	/* Instructions are dword-granular; a trailing partial dword is one undecodable. */
	while (off < size) {
		size_t avail = size - off;
		struct rmcp_isa_step st = { .len = 4, .kind = RMCP_ISA_INSN_UNKNOWN };
		struct rmcp_g10_split s = { .fmt = RMCP_G10_UNKNOWN };
		size_t gkey = 0;
		uint32_t lit_at = 4, rlen;
		uint8_t v;
		if (avail < 4) {
			st.len = (uint32_t)avail;
			v = RMCP_G10_UNDECODABLE;
		} else {
			v = fast_split_step(f, p + off, avail, &st.len, &s, &gkey, &lit_at);
		}
		n++;
		rlen = st.len;
		if (v != RMCP_G10_OK) {
			if (v == RMCP_G10_ASK_ORACLE) {
				st.len = 4;
				if (!ask || ask(ctx, p + off, avail, addr + off, &st) < 0) {
					st.kind = RMCP_ISA_INSN_UNKNOWN;
					st.bad = true;
				}
				rlen = rec_len(st.len);
			} else {
				st.kind = kind_of(v);
				st.bad = true;
			}
			if (st.bad)
				rmcp_isa_note(k, p + off, avail, addr + off, &st);
		}
		if (with_rec && avail >= 4)	/* the length the walk advances by (LLVM's, for a key left to it) */
			put_rec(&rec[nr++], off, rlen, &s, gkey, lit_at, v);
		off += st.len;
	}
	k->n_insns += n;
	if (nrec)
		*nrec = nr;
}

void rmcp_isa_fast_walk(const struct rmcp_isa_fast *f, const uint8_t *p, size_t size,
			uint64_t addr, struct rmcp_isa_kernel *k, rmcp_isa_ask_fn ask, void *ctx,
			struct rmcp_isa_rec *rec, size_t *nrec)
{
	if (rec)
		walk(f, p, size, addr, k, ask, ctx, rec, nrec, true);
	else
		walk(f, p, size, addr, k, ask, ctx, NULL, nrec, false);
}

const char *rmcp_isa_fast_mnemonic(const struct rmcp_isa_fast *f, const uint8_t *p, size_t avail,
				   bool real)
{
	if (avail < 4)
		return "";
	struct rmcp_g10_split s;
	uint32_t w1 = avail >= 8 ? rmcp_le32(p + 4) : 0;
	rmcp_g10_split(rmcp_le32(p), w1, &s);
	size_t gkey = (size_t)rmcp_g10_fmt_base[s.fmt] + s.key;
	uint32_t cell = rmcp_g10_cells[gkey * rmcp_g10_nclasses + (real ? f->r : f->c)];
	if (!(cell & RMCP_G10_CELL_DEC) || rmcp_g10_llvm_unsafe(&s, w1))
		return "";
	size_t mn = (cell >> RMCP_G10_CELL_MN_SHIFT) & 0xfff;
	return mn < rmcp_g10_nmnemonics ? rmcp_g10_mnemonics[mn] : "";
}

const char *rmcp_isa_fast_key_mnemonic(const struct rmcp_isa_fast *f, size_t gkey)
{
	if (gkey >= f->nkeys)
		return "";
	uint32_t cell = rmcp_g10_cells[gkey * rmcp_g10_nclasses + f->c];
	if (!(cell & RMCP_G10_CELL_DEC))
		return "";
	size_t mn = (cell >> RMCP_G10_CELL_MN_SHIFT) & 0xfff;
	return mn < rmcp_g10_nmnemonics ? rmcp_g10_mnemonics[mn] : "";
}

size_t rmcp_isa_fast_nkeys(const struct rmcp_isa_fast *f)
{
	return f->nkeys;
}
