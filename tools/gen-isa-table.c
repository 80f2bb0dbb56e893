/* SPDX-License-Identifier: MIT */
/*
 * gen-isa-table: write data/isa/gfx10_table.c, the fast path's instruction table, by asking
 * LLVM 19's AMDGPU disassembler (LLVM-C API) about every gfx10 instruction key.
 *
 *   build/tools/gen-isa-table data/isa/gfx10_table.c      (meson builds it when LLVM 19 is found)
 *
 * For every key of every format (src/lib/isa/isa_gfx10.h) and every gfx10 processor LLVM knows:
 *  1. a probe with neutral operands: does it decode, its length, its mnemonic and text;
 *  2. one probe per source field set to 255: does a literal dword follow;
 *  3. SAMPLES random probes (operand bytes biased towards special register encodings):
 *     the length must match the formula the fast path uses, and for every processor pair
 *     (C code, R real GPU) the verdict LLVM gives (ok / differs / invalid) must be the one
 *     the key predicts. A key whose verdict depends on an operand field is searched for
 *     that field (list per format below): the field is enumerated and the exceptions are
 *     written as cubes (value & mask == bits). A key no field explains, or whose length
 *     does not follow the formula, is flagged ORACLE and the fast path defers to LLVM.
 * Processors whose every answer is identical form one class. The PRNG has a fixed seed, so
 * the output is a function of the LLVM version only: regenerating with the same LLVM gives
 * the same file (tests/integration/test_isa.c checks it).
 */
#include <llvm-c/Core.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_gfx10.h"
#include "isa_table.h"

#define SAMPLES 256
#define TEXT 160

static const char *const procs[] = {
	"gfx1010", "gfx1011", "gfx1012", "gfx1013", "gfx1030", "gfx1031", "gfx1032",
	"gfx1033", "gfx1034", "gfx1035", "gfx1036", "gfx10-1-generic", "gfx10-3-generic",
};
#define NP (sizeof(procs) / sizeof(procs[0]))

static LLVMDisasmContextRef dc[NP];
static uint64_t proc_hash[NP];	/* every answer of a processor, hashed: equal hash = same class */

struct dres {
	int len;
	char text[TEXT];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Operand bytes: mostly random, often one of the encodings where decoders special-case. */
static uint32_t rnd_word(void)
{
	static const uint8_t special[] = { 0x00, 0x6a, 0x6b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0xc1,
					   0xe9, 0xea, 0xf0, 0xf9, 0xfa, 0xfd, 0xfe, 0xff };
	uint32_t w = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t b = rnd32();
		if ((b & 3) == 0)
			b = special[(b >> 2) % sizeof(special)];
		w |= (b & 0xff) << (8 * i);
	}
	return w;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void decode_all(const uint32_t w[6], struct dres r[NP])
{
	struct rmcp_g10_split s;
	rmcp_g10_split(w[0], w[1], &s);
	bool unsafe = rmcp_g10_llvm_unsafe(&s, w[1]);
	for (size_t p = 0; p < NP; p++) {
		r[p].len = unsafe ? 0 :
			(int)LLVMDisasmInstruction(dc[p], (uint8_t *)(uintptr_t)w, 24, 0x1000, r[p].text, TEXT);
		if (!r[p].len)
			r[p].text[0] = '\0';
		proc_hash[p] = fnv(proc_hash[p], &r[p].len, sizeof(r[p].len));
		proc_hash[p] = fnv(proc_hash[p], r[p].text, strlen(r[p].text));
	}
}

static bool is_vop(enum rmcp_g10_fmt f)
{
	return f == RMCP_G10_VOP1 || f == RMCP_G10_VOP2 || f == RMCP_G10_VOPC;
}

/*
 * Neutral operands: v0/s0 everywhere, "off" where a field can be off, a valid DPP/SDWA word.
 * LLVM rejects an encoding whose unused fields are not zero (a 2-source VOP3 with src2 set),
 * so later variants clear more fields; the first variant that decodes anywhere is the base.
 */
#define NEUTRAL_VARIANTS 4

static void neutral_variant(enum rmcp_g10_fmt f, uint32_t key, uint32_t w[6], int variant)
{
	static const uint32_t vop3_srcs[NEUTRAL_VARIANTS] = {
		0x100 | 0x101 << 9 | 0x102 << 18, 0x100 | 0x101 << 9, 0x100, 0,
	};
	memset(w, 0, 6 * sizeof(*w));
	switch (f) {
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC:
		if ((key & 3) == RMCP_G10_DPP)
			w[1] = 0xff00e401;	/* v1, quad_perm:[0,1,2,3], row/bank mask 0xf */
		else if ((key & 3) == RMCP_G10_SDWA)
			w[1] = 0x00060601;	/* v1, all selectors DWORD */
		break;
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P:
		w[1] = vop3_srcs[variant];	/* v0, v1, v2; then fewer */
		break;
	case RMCP_G10_FLAT:
		if (variant < 2)
			w[1] = 0x7du << 16;	/* saddr off */
		break;
	case RMCP_G10_MIMG: {
		/* dmask 1; dmask 0xf; + unorm and r128 (image_bvh*_intersect_ray needs them) */
		static const uint32_t mimg[NEUTRAL_VARIANTS] = { 0x100, 0xf00, 0x9f00, 0x1f00 };
		w[0] = mimg[variant];
		break;
	}
	default:
		break;
	}
	if (variant == NEUTRAL_VARIANTS - 1 && f != RMCP_G10_MIMG && !is_vop(f))
		memset(w, 0, 6 * sizeof(*w));
	rmcp_g10_set_key(f, key, w);
}

static void neutral(enum rmcp_g10_fmt f, uint32_t key, uint32_t w[6])
{
	neutral_variant(f, key, w, 0);
}

static void set_src(enum rmcp_g10_fmt f, uint32_t w[6], int k, uint32_t v)
{
	switch (f) {
	case RMCP_G10_SOP2:
	case RMCP_G10_SOPC:
		w[0] = (w[0] & ~(0xffu << (8 * k))) | v << (8 * k);
		break;
	case RMCP_G10_SOP1:
		w[0] = (w[0] & ~0xffu) | v;
		break;
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC:
		if (k == 0)
			w[0] = (w[0] & ~0x1ffu) | v;
		else
			w[0] = (w[0] & ~(0xffu << 17)) | v << 17;
		break;
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P:
		w[1] = (w[1] & ~(0x1ffu << (9 * k))) | v << (9 * k);
		break;
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
		w[1] = (w[1] & 0x00ffffffu) | v << 24;
		break;
	default:
		break;
	}
}

static uint64_t get_field(const uint32_t w[6], int shift, int width)
{
	uint64_t q = w[0] | (uint64_t)w[1] << 32;
	return (q >> shift) & ((1ull << width) - 1);
}

static void put_field(uint32_t w[6], int shift, int width, uint64_t v)
{
	uint64_t q = w[0] | (uint64_t)w[1] << 32, m = ((1ull << width) - 1) << shift;
	q = (q & ~m) | (v << shift & m);
	w[0] = (uint32_t)q;
	w[1] = (uint32_t)(q >> 32);
}

/* Operand fields that may change how an instruction prints, per format: (shift, width). */
struct field {
	int shift, width;
};

static const struct field *candidates(enum rmcp_g10_fmt f, size_t *n)
{
	static const struct field sop2[] = { { 0, 8 }, { 8, 8 }, { 16, 7 } };
	static const struct field sopk[] = { { 0, 16 }, { 16, 7 } };
	static const struct field sop1[] = { { 0, 8 }, { 16, 7 } };
	static const struct field sopc[] = { { 0, 8 }, { 8, 8 } };
	static const struct field sopp[] = { { 0, 16 } };
	static const struct field smem[] = { { 0, 6 }, { 6, 7 }, { 57, 7 } };
	static const struct field vop[] = { { 0, 9 }, { 9, 8 }, { 17, 8 }, { 32, 8 }, { 40, 9 }, { 48, 8 }, { 56, 8 } };
	static const struct field vop3[] = { { 32, 9 }, { 41, 9 }, { 50, 9 }, { 0, 8 }, { 8, 7 } };
	static const struct field ds[] = { { 56, 8 }, { 32, 8 }, { 40, 8 }, { 48, 8 } };
	static const struct field flat[] = { { 48, 7 }, { 32, 8 }, { 40, 8 }, { 56, 8 }, { 12, 1 } };
	static const struct field buf[] = { { 56, 8 }, { 48, 5 }, { 32, 8 }, { 40, 8 } };
	static const struct field mimg[] = { { 3, 3 }, { 62, 2 }, { 1, 2 }, { 8, 4 } };
	static const struct field exp[] = { { 0, 16 } };
#define RET(a) do { *n = sizeof(a) / sizeof(a[0]); return a; } while (0)
	switch (f) {
	case RMCP_G10_SOP2: RET(sop2);
	case RMCP_G10_SOPK: RET(sopk);
	case RMCP_G10_SOP1: RET(sop1);
	case RMCP_G10_SOPC: RET(sopc);
	case RMCP_G10_SOPP: RET(sopp);
	case RMCP_G10_SMEM: RET(smem);
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC: RET(vop);
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P: RET(vop3);
	case RMCP_G10_DS: RET(ds);
	case RMCP_G10_FLAT: RET(flat);
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF: RET(buf);
	case RMCP_G10_MIMG: RET(mimg);
	case RMCP_G10_EXP: RET(exp);
	case RMCP_G10_VINTRP:
	case RMCP_G10_UNKNOWN:
	case RMCP_G10_NFMT:
		break;
	}
#undef RET
	*n = 0;
	return NULL;
}

struct cube {
	uint8_t c, r, verdict;	/* class indices */
	uint16_t mask, bits;
};

struct keyinfo {
	enum rmcp_g10_fmt fmt;
	uint32_t key;
	bool used;		/* split() can produce this key */
	uint32_t w[6];		/* the base probe */
	struct dres base[NP];
	uint8_t klit[NP], lit[NP];
	bool oracle, sub;
	int sub_shift, sub_width;
	struct cube *cubes;
	size_t ncubes;
};

/* Classes (filled after phase 1): representative processor of each class. */
static size_t rep[NP], ncls;
static uint8_t cls_of[NP];

static void decode_reps(const uint32_t w[6], struct dres r[NP])
{
	struct rmcp_g10_split s;
	rmcp_g10_split(w[0], w[1], &s);
	bool unsafe = rmcp_g10_llvm_unsafe(&s, w[1]);
	for (size_t c = 0; c < ncls; c++) {
		r[c].len = unsafe ? 0 :
			(int)LLVMDisasmInstruction(dc[rep[c]], (uint8_t *)(uintptr_t)w, 24, 0x1000, r[c].text, TEXT);
		if (!r[c].len)
			r[c].text[0] = '\0';
	}
}

static uint8_t verdict_of(const struct dres *rs, size_t c, size_t r)
{
	if (!rs[c].len)
		return RMCP_G10_UNDECODABLE;
	if (!rs[r].len)
		return RMCP_G10_INVALID;
	return strcmp(rs[c].text, rs[r].text) ? RMCP_G10_DIFFERS : RMCP_G10_OK;
}

/* Default verdict of class pair (c, r): from the base probe, as the fast path computes it. */
static uint8_t base_verdict(const struct keyinfo *k, size_t c, size_t r)
{
	const struct dres *b = k->base;
	if (!b[rep[c]].len)
		return RMCP_G10_UNDECODABLE;
	if (!b[rep[r]].len)
		return RMCP_G10_INVALID;
	return strcmp(b[rep[c]].text, b[rep[r]].text) ? RMCP_G10_DIFFERS : RMCP_G10_OK;
}

static uint8_t predict(const struct keyinfo *k, size_t c, size_t r, const uint32_t w[6])
{
	if (k->sub) {
		uint64_t v = get_field(w, k->sub_shift, k->sub_width);
		for (size_t i = 0; i < k->ncubes; i++) {
			const struct cube *q = &k->cubes[i];
			if (q->c == c && q->r == r && (v & q->mask) == q->bits)
				return q->verdict;
		}
	}
	return base_verdict(k, c, r);
}

static int predicted_len(const struct keyinfo *k, size_t p, const uint32_t w[6])
{
	struct rmcp_g10_split s;
	rmcp_g10_split(w[0], w[1], &s);
	int len = 4 * s.words + 4 * s.nsa + 4 * k->klit[p];
	for (int i = 0; i < s.nsrc; i++)
		if ((k->lit[p] >> i & 1) && s.src[i] == RMCP_G10_SRC_LITERAL) {
			len += 4;
			break;
		}
	return len;
}

static void random_probe(const struct keyinfo *k, uint32_t w[6])
{
	for (int i = 0; i < 6; i++)
		w[i] = rnd_word();
	rmcp_g10_set_key(k->fmt, k->key, w);
	if (is_vop(k->fmt)) {
		uint32_t v = k->key & 3, s0 = w[0] & 0x1ff;
		if (v == RMCP_G10_E32 && (s0 == 0xfa || s0 == 0xe9 || s0 == 0xea || s0 == 0xf9))
			w[0] = (w[0] & ~0x1ffu) | 0x100;
		if (v == RMCP_G10_DPP8 && (rnd32() & 1))
			w[0] = (w[0] & ~0x1ffu) | 0xea;
	}
}

/*
 * Phase 1, every processor: base probe, literal probes, and random probes whose lengths
 * must follow the formula. The answers also feed proc_hash, which decides the classes.
 */
static void phase1(struct keyinfo *k)
{
	uint32_t *w = k->w;
	bool any = false;
	for (int variant = 0; variant < NEUTRAL_VARIANTS && !any; variant++) {
		neutral_variant(k->fmt, k->key, w, variant);
		decode_all(w, k->base);
		for (size_t p = 0; p < NP; p++)
			any |= k->base[p].len > 0;
	}
	/* Neutral operands may be invalid for some instructions: take a random probe that
	 * decodes somewhere (with no literal and no NSA words) as the base instead. */
	for (int tries = 0; !any && tries < 4 * SAMPLES; tries++) {
		struct rmcp_g10_split s;
		random_probe(k, w);
		rmcp_g10_split(w[0], w[1], &s);
		bool plain = s.nsa == 0;
		for (int i = 0; i < s.nsrc; i++)
			plain &= s.src[i] != RMCP_G10_SRC_LITERAL;
		if (!plain)
			continue;
		decode_all(w, k->base);
		for (size_t p = 0; p < NP; p++)
			any |= k->base[p].len > 0;
	}
	if (!any)
		return;	/* undecodable everywhere: the all-zero cell says so */
	struct rmcp_g10_split s;
	rmcp_g10_split(w[0], w[1], &s);
	for (size_t p = 0; p < NP; p++) {
		int extra = k->base[p].len - 4 * s.words - 4 * s.nsa;
		if (k->base[p].len && extra != 0 && extra != 4) {
			/* e.g. v_nop with a DPP marker: LLVM ignores the missing src0 */
			if (!k->oracle)
				fprintf(stderr, "gen-isa-table: fmt %d key %u on %s: base length %d (%s)\n",
					k->fmt, k->key, procs[p], k->base[p].len, k->base[p].text);
			k->oracle = true;
			continue;
		}
		k->klit[p] = (uint8_t)(extra / 4);
	}
	for (int i = 0; i < s.nsrc; i++) {
		uint32_t w2[6];
		struct dres rs[NP];
		memcpy(w2, w, sizeof(w2));
		set_src(k->fmt, w2, i, RMCP_G10_SRC_LITERAL);
		decode_all(w2, rs);
		for (size_t p = 0; p < NP; p++)
			if (k->base[p].len && rs[p].len == k->base[p].len + 4)
				k->lit[p] |= (uint8_t)(1u << i);
	}
	for (int n = 0; n < SAMPLES && !k->oracle; n++) {
		uint32_t v[6];
		struct dres rs[NP];
		random_probe(k, v);
		decode_all(v, rs);
		for (size_t p = 0; p < NP; p++) {
			/* Not decodable for a processor: operand values the table does not model
			 * (garbage); the fast path may call it decodable. */
			if (rs[p].len && (!k->base[p].len || predicted_len(k, p, v) != rs[p].len)) {
				fprintf(stderr, "gen-isa-table: fmt %d key %u on %s: length %d, formula %d: %08x %08x %s\n",
					k->fmt, k->key, procs[p], rs[p].len, k->base[p].len ? predicted_len(k, p, v) : 0,
					v[0], v[1], rs[p].text);
				k->oracle = true;
				break;
			}
		}
	}
}

/* Phase 2 check: random probes against the key's verdict rule, class representatives only. */
static int check_samples(const struct keyinfo *k, bool verbose)
{
	int bad = 0;
	for (int n = 0; n < SAMPLES; n++) {
		uint32_t w[6];
		struct dres rs[NP];
		random_probe(k, w);
		decode_reps(w, rs);
		for (size_t c = 0; c < ncls; c++) {
			if (!rs[c].len)
				continue;
			for (size_t r = 0; r < ncls; r++) {
				if (r == c || predict(k, c, r, w) == verdict_of(rs, c, r))
					continue;
				if (verbose && bad < 4)
					fprintf(stderr, "  fmt %d key %u class %zu on %zu: rule %d, LLVM %d: %08x %08x\n    %s\n    %s\n",
						k->fmt, k->key, c, r, predict(k, c, r, w), verdict_of(rs, c, r), w[0], w[1],
						rs[c].text, rs[r].text);
				bad++;
			}
		}
	}
	return bad;
}

/*
 * Exceptions of one verdict as cubes (value & mask == bits), greedily: grow a cube around
 * each uncovered exception one free bit at a time while every value it covers is an
 * exception of the same verdict or a don't-care (undecodable for the code's own class).
 */
static int add_cubes(struct keyinfo *k, size_t c, size_t r, uint8_t verdict, const uint8_t *vv,
		     size_t nv, int width)
{
	uint32_t all = (1u << width) - 1;
	uint8_t *covered = calloc(nv, 1);
	size_t added = 0;
	if (!covered)
		abort();
	for (size_t x = 0; x < nv; x++) {
		if (vv[x] != verdict || covered[x])
			continue;
		uint32_t free_ = 0, bits = (uint32_t)x;
		for (int b = 0; b < width; b++) {
			uint32_t flip = bits ^ (1u << b);
			bool fits = true;
			uint32_t sub = 0;
			do {	/* every subset of the free bits */
				uint32_t y = (flip & ~free_) | sub;
				if (vv[y] != verdict && vv[y] != RMCP_G10_UNDECODABLE)
					fits = false;
				sub = (sub - free_) & free_;
			} while (sub && fits);
			if (fits)
				free_ |= 1u << b;
		}
		uint32_t mask = all & ~free_, sub = 0;
		do {
			covered[(bits & mask) | sub] = 1;
			sub = (sub - free_) & free_;
		} while (sub);
		if (++added > 64) {
			free(covered);
			return -1;
		}
		k->cubes = realloc(k->cubes, (k->ncubes + 1) * sizeof(*k->cubes));
		if (!k->cubes)
			abort();
		k->cubes[k->ncubes++] = (struct cube){ (uint8_t)c, (uint8_t)r, verdict, (uint16_t)mask,
						       (uint16_t)(bits & mask) };
	}
	free(covered);
	return 0;
}

/* Verdicts of every class pair for every value of a field (neutral other operands).
 * Returns true if some pair's verdict changes with the value (don't-cares aside). */
static bool field_verdicts(const struct keyinfo *k, struct field fd, uint8_t *v)
{
	size_t nv = (size_t)1 << fd.width;
	bool varies = false;
	for (size_t x = 0; x < nv; x++) {
		uint32_t w[6];
		struct dres rs[NP];
		memcpy(w, k->w, sizeof(w));
		put_field(w, fd.shift, fd.width, x);
		struct rmcp_g10_split s;
		rmcp_g10_split(w[0], w[1], &s);
		if (s.fmt != k->fmt || s.key != k->key)
			return false;	/* the field overlaps the key */
		decode_reps(w, rs);
		for (size_t c = 0; c < ncls; c++)
			for (size_t r = 0; r < ncls; r++) {
				uint8_t a = verdict_of(rs, c, r);
				/* A literal marker in the field makes the probe too short: don't care. */
				if (rs[c].len && rs[c].len != predicted_len(k, rep[c], w))
					a = RMCP_G10_UNDECODABLE;
				v[(x * ncls + c) * ncls + r] = a;
				if (c != r && a != RMCP_G10_UNDECODABLE && x > 0) {
					for (size_t y = 0; y < x; y++) {
						uint8_t b = v[(y * ncls + c) * ncls + r];
						if (b != RMCP_G10_UNDECODABLE) {
							varies |= b != a;
							break;
						}
					}
				}
			}
	}
	return varies;
}

static bool build_rule(struct keyinfo *k, struct field fd, const uint8_t *v)
{
	size_t nv = (size_t)1 << fd.width;
	uint8_t *vv = malloc(nv);
	if (!vv)
		abort();
	k->sub = true;
	k->sub_shift = fd.shift;
	k->sub_width = fd.width;
	bool ok = true;
	for (size_t c = 0; c < ncls && ok; c++) {
		for (size_t r = 0; r < ncls && ok; r++) {
			if (c == r)
				continue;
			size_t count[RMCP_G10_UNDECODABLE] = { 0 };
			for (size_t x = 0; x < nv; x++) {
				vv[x] = v[(x * ncls + c) * ncls + r];
				if (vv[x] < RMCP_G10_UNDECODABLE)
					count[vv[x]]++;
			}
			uint8_t maj = RMCP_G10_OK;
			for (uint8_t d = 0; d < RMCP_G10_UNDECODABLE; d++)
				if (count[d] > count[maj])
					maj = d;
			for (uint8_t d = 0; d < RMCP_G10_UNDECODABLE && ok; d++)
				if (d != maj && count[d] && add_cubes(k, c, r, d, vv, nv, fd.width) < 0)
					ok = false;
			if (ok && maj != base_verdict(k, c, r)) {
				/* the pair's default, listed after its exceptions */
				k->cubes = realloc(k->cubes, (k->ncubes + 1) * sizeof(*k->cubes));
				k->cubes[k->ncubes++] = (struct cube){ (uint8_t)c, (uint8_t)r, maj, 0, 0 };
			}
		}
	}
	free(vv);
	return ok;
}

/* Phase 2, class representatives: find the operand field a verdict depends on. */
static void phase2(struct keyinfo *k)
{
	size_t nc;
	const struct field *fd = candidates(k->fmt, &nc);
	int found = -1;
	uint8_t *found_v = NULL;
	for (size_t i = 0; i < nc; i++) {
		uint8_t *v = malloc(((size_t)1 << fd[i].width) * ncls * ncls);
		if (!v)
			abort();
		if (field_verdicts(k, fd[i], v)) {
			if (found >= 0 && !(fd[i].shift == fd[found].shift && fd[i].width > fd[found].width)) {
				fprintf(stderr, "gen-isa-table: fmt %d key %u (%s): verdict depends on two fields\n",
					k->fmt, k->key, k->base[rep[0]].text);
				k->oracle = true;
				free(v);
				break;
			}
			if (found < 0 || fd[i].width > fd[found].width) {
				free(found_v);
				found_v = v;
				found = (int)i;
				continue;
			}
		}
		free(v);
	}
	if (!k->oracle && found >= 0 && !build_rule(k, fd[found], found_v))
		k->oracle = true;
	free(found_v);
	if (!k->oracle && check_samples(k, false) != 0) {
		fprintf(stderr, "gen-isa-table: fmt %d key %u (%s): random probes break the rule\n", k->fmt,
			k->key, k->base[rep[0]].text);
		check_samples(k, true);
		k->oracle = true;
	}
	if (k->oracle) {
		k->sub = false;
		free(k->cubes);
		k->cubes = NULL;
		k->ncubes = 0;
	}
}

/* ---- output ---- */

static char **mnems;
static size_t nmnems;

static unsigned mnemonic_id(const char *text)
{
	char m[64];
	size_t i = 0;
	while (*text == '\t' || *text == ' ')
		text++;
	while (text[i] && text[i] != ' ' && i < sizeof(m) - 1) {
		m[i] = text[i];
		i++;
	}
	m[i] = '\0';
	for (size_t j = 0; j < nmnems; j++)
		if (strcmp(mnems[j], m) == 0)
			return (unsigned)j;
	mnems = realloc(mnems, (nmnems + 1) * sizeof(*mnems));
	mnems[nmnems] = strdup(m);
	return (unsigned)nmnems++;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-isa-table OUTPUT.c\n");
		return 2;
	}
	LLVMInitializeAMDGPUTargetInfo();
	LLVMInitializeAMDGPUTargetMC();
	LLVMInitializeAMDGPUDisassembler();
	for (size_t p = 0; p < NP; p++) {
		dc[p] = LLVMCreateDisasmCPUFeatures("amdgcn-amd-amdhsa", procs[p], "", NULL, 0, NULL, NULL);
		if (!dc[p]) {
			fprintf(stderr, "gen-isa-table: LLVM does not know %s\n", procs[p]);
			return 1;
		}
		proc_hash[p] = 0xcbf29ce484222325ull;
	}

	size_t nkeys = 0;
	uint16_t base[RMCP_G10_NFMT + 1];
	for (int f = 0; f < RMCP_G10_NFMT; f++) {
		base[f] = (uint16_t)nkeys;
		nkeys += rmcp_g10_fmt_keys((enum rmcp_g10_fmt)f);
	}
	base[RMCP_G10_NFMT] = (uint16_t)nkeys;
	struct keyinfo *keys = calloc(nkeys, sizeof(*keys));
	if (!keys)
		return 1;
	for (int f = 0; f < RMCP_G10_NFMT; f++) {
		for (uint32_t key = 0; key < rmcp_g10_fmt_keys((enum rmcp_g10_fmt)f); key++) {
			struct keyinfo *k = &keys[base[f] + key];
			uint32_t w[6];
			struct rmcp_g10_split s;
			k->fmt = (enum rmcp_g10_fmt)f;
			k->key = key;
			neutral(k->fmt, key, w);
			rmcp_g10_split(w[0], w[1], &s);
			k->used = s.fmt == k->fmt && s.key == key;
			if (k->used)
				phase1(k);
		}
	}

	/* Classes: processors with identical answers to every phase-1 probe. */
	uint8_t *cls = cls_of;
	for (size_t p = 0; p < NP; p++) {
		size_t c;
		for (c = 0; c < ncls && proc_hash[rep[c]] != proc_hash[p]; c++)
			;
		if (c == ncls)
			rep[ncls++] = p;
		cls[p] = (uint8_t)c;
	}
	for (size_t i = 0; i < nkeys; i++) {
		bool any = false;
		for (size_t p = 0; p < NP; p++)
			any |= keys[i].base[p].len > 0;
		if (keys[i].used && any && !keys[i].oracle)
			phase2(&keys[i]);
	}

	FILE *out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	unsigned maj, min, patch;
	LLVMGetVersion(&maj, &min, &patch);
	size_t n_dec = 0, n_oracle = 0, n_sub = 0, n_cubes = 0;
	for (size_t i = 0; i < nkeys; i++) {
		bool dec = false;
		for (size_t p = 0; p < NP; p++)
			dec |= keys[i].base[p].len > 0;
		n_dec += dec;
		n_oracle += keys[i].oracle;
		n_sub += keys[i].sub;
	}
	fprintf(out,
		"/* SPDX-License-Identifier: MIT */\n"
		"/*\n"
		" * GENERATED FILE, do not edit: written by tools/gen-isa-table.c from LLVM %u.%u.%u's\n"
		" * AMDGPU disassembler (LLVM-C API). Regenerate after changing src/lib/isa/isa_gfx10.h or\n"
		" * moving to another LLVM (the oracle must stay LLVM 19: research/binaries.md, Addendum):\n"
		" *     meson setup build && meson compile -C build gen-isa-table\n"
		" *     build/gen-isa-table data/isa/gfx10_table.c\n"
		" * %zu keys, %zu decode for some processor, %zu ISA classes, %zu keys with a field rule,\n"
		" * %zu keys left to the oracle.\n"
		" */\n"
		"#include \"isa_table.h\"\n\n"
		"const char rmcp_g10_llvm_version[] = \"%u.%u.%u\";\n"
		"const unsigned rmcp_g10_nclasses = %zu;\n\n",
		maj, min, patch, nkeys, n_dec, ncls, n_sub, n_oracle, maj, min, patch, ncls);
	fprintf(out, "const struct rmcp_g10_proc rmcp_g10_procs[] = {\n");
	for (size_t p = 0; p < NP; p++)
		fprintf(out, "\t{ \"%s\", %u },\n", procs[p], cls[p]);
	fprintf(out, "};\nconst size_t rmcp_g10_nprocs = %zu;\n\n", NP);
	fprintf(out, "const uint16_t rmcp_g10_fmt_base[RMCP_G10_NFMT + 1] = {");
	for (int f = 0; f <= RMCP_G10_NFMT; f++)
		fprintf(out, "%s%u", f ? ", " : " ", base[f]);
	fprintf(out, " };\n\n");

	fprintf(out, "const uint32_t rmcp_g10_cells[%zu] = {\n", nkeys * ncls);
	for (size_t i = 0; i < nkeys; i++) {
		struct keyinfo *k = &keys[i];
		uint32_t cell[NP];
		bool any = false;
		uint8_t sig[NP];
		size_t nsig = 0;
		for (size_t c = 0; c < ncls; c++) {
			size_t p = rep[c];
			uint32_t v = 0;
			if (k->base[p].len) {
				size_t s;
				for (s = 0; s < c && strcmp(k->base[rep[s]].text, k->base[p].text) != 0; s++)
					;
				sig[c] = (uint8_t)(s < c ? sig[s] : nsig++);
				v = RMCP_G10_CELL_DEC | (k->klit[p] ? RMCP_G10_CELL_KLIT : 0) |
				    (uint32_t)k->lit[p] << RMCP_G10_CELL_LIT_SHIFT |
				    (uint32_t)sig[c] << RMCP_G10_CELL_SIG_SHIFT |
				    mnemonic_id(k->base[p].text) << RMCP_G10_CELL_MN_SHIFT;
			} else {
				sig[c] = 7;
			}
			if (k->sub)
				v |= RMCP_G10_CELL_SUB;
			if (k->oracle)
				v |= RMCP_G10_CELL_ORACLE;
			cell[c] = v;
			any |= v != 0;
		}
		if (nsig > 7) {
			fprintf(stderr, "gen-isa-table: key %zu has %zu distinct texts\n", i, nsig);
			return 1;
		}
		if (!any)
			continue;
		fprintf(out, "\t[%zu] =", i * ncls);
		for (size_t c = 0; c < ncls; c++)
			fprintf(out, " 0x%06x,", cell[c]);
		fprintf(out, "\n");
	}
	fprintf(out, "};\n\n");

	fprintf(out, "const char *const rmcp_g10_mnemonics[] = {\n");
	for (size_t i = 0; i < nmnems; i++)
		fprintf(out, "\t\"%s\",\n", mnems[i]);
	fprintf(out, "};\nconst size_t rmcp_g10_nmnemonics = %zu;\n\n", nmnems);

	fprintf(out, "const struct rmcp_g10_sub rmcp_g10_subs[] = {\n");
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].sub)
			fprintf(out, "\t{ %zu, %d, %d },\t/* %s */\n", i, keys[i].sub_shift, keys[i].sub_width,
				mnems[mnemonic_id(keys[i].base[rep[0]].len ? keys[i].base[rep[0]].text :
						  keys[i].base[rep[ncls - 1]].text)]);
	fprintf(out, "};\nconst size_t rmcp_g10_nsubs = %zu;\n\n", n_sub);

		fprintf(out, "const struct rmcp_g10_cube rmcp_g10_cubes[] = {\n");
	for (size_t i = 0; i < nkeys; i++) {
		struct keyinfo *k = &keys[i];
		for (size_t q = 0; q < k->ncubes; q++) {
			const struct cube *cb = &k->cubes[q];
			fprintf(out, "\t{ %zu, %u, %u, %u, 0x%04x, 0x%04x },\n", i, cb->c, cb->r,
				cb->verdict, cb->mask, cb->bits);
			n_cubes++;
		}
	}
	fprintf(out, "};\nconst size_t rmcp_g10_ncubes = %zu;\n", n_cubes);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	fprintf(stderr, "gen-isa-table: %zu keys, %zu decodable, %zu classes, %zu field rules (%zu cubes), %zu oracle-only\n",
		nkeys, n_dec, ncls, n_sub, n_cubes, n_oracle);
	for (size_t c = 0; c < ncls; c++) {
		fprintf(stderr, "  class %zu:", c);
		for (size_t p = 0; p < NP; p++)
			if (cls[p] == c)
				fprintf(stderr, " %s", procs[p]);
		fprintf(stderr, "\n");
	}
	return 0;
}
