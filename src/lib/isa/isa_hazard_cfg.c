/* SPDX-License-Identifier: MIT */
/*
 * Control flow for the gfx10.1 hazard detectors: basic blocks split at pc-relative branch
 * targets and after branches/ends, predecessor and successor lists, the forward dataflow
 * driver and the scratch arena. LLVM's backward search over predecessors
 * (GCNHazardRecognizer.cpp ::getWaitStatesSince, LLVM 19.1.7) is rmcp_hz_search in
 * isa_hazard.h, inline so each caller's test inlines into its loop.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "banned.h"


/* The instruction starting at byte off of the kernel, or UINT32_MAX. */
static uint32_t find_insn(const struct hz_ctx *c, uint32_t off)
{
	/* Lower bound without a branch per step (selects): targets are anywhere. */
	const struct hz_insn *in = c->in;
	size_t lo = 0, len = c->n;
	while (len > 0) {
		size_t half = len / 2;
		size_t less = 0 - (size_t)(in[lo + half].off < off);	/* all ones or zero */
		lo += (half + 1) & less;
		len = ((len - half - 1) & less) | (half & ~less);
	}
	return lo < c->n && in[lo].off == off ? (uint32_t)lo : UINT32_MAX;
}

static bool conditional(const struct hz_insn *in)
{
	return (in->flags & HK_BRANCH) && !(in->flags & HK_END);
}

/* Records as the fast walk would write them, for a caller without them (the oracle engine,
 * the fuzzer). NULL when out of memory. */
static struct rmcp_isa_rec *decode(struct hz_ctx *c, size_t *nrec)
{
	size_t size = c->k->size, n = 0;
	struct rmcp_isa_rec *rec = rmcp_hz_alloc(c, (size / 4 + 1) * sizeof(*rec));
	if (!rec)
		return NULL;
	for (size_t off = 0; off + 4 <= size; n++)
		off += rmcp_isa_fast_record(c->h->fast, c->p + off, size - off, off, &rec[n]);
	*nrec = n;
	return rec;
}

int rmcp_hz_build(struct hz_ctx *c, const struct rmcp_isa_rec *rec, size_t nrec)
{
	size_t dwords = c->k->size / 4 + 1;
	if (!rec && !(rec = decode(c, &nrec)))
		return -ENOMEM;
	if (nrec > dwords)
		nrec = dwords;
	c->in = rmcp_hz_alloc(c, (nrec ? nrec : 1) * sizeof(*c->in));
	c->fx = rmcp_hz_alloc(c, (nrec ? nrec : 1) * sizeof(*c->fx));
	c->rd = rmcp_hz_alloc(c, (nrec + 1) * sizeof(*c->rd));
	uint8_t *lead = rmcp_hz_alloc(c, nrec + 1);
	uint32_t *branches = rmcp_hz_alloc(c, (nrec ? nrec : 1) * sizeof(uint32_t));
	if (!c->in || !c->fx || !c->rd || !lead || !branches)
		return -ENOMEM;
	size_t nbr;
	lead[0] = 1;
	memset(&c->rd[0], 0, sizeof(c->rd[0]));
	c->nrd = 1;
	c->all = 0;
	c->n = rmcp_hz_fill(c, rec, nrec, lead, branches, &nbr);
	for (size_t j = 0; j < nbr; j++) {
		struct hz_insn *in = &c->in[branches[j]];
		int64_t t = (int64_t)in->off + 4 + 4 * (int64_t)(int16_t)(in->w0 & 0xffff);
		/* Outside the kernel or mid-instruction: no edge (UINT32_MAX). */
		if (t >= 0 && t <= (int64_t)UINT32_MAX && (in->tgt = find_insn(c, (uint32_t)t)) != UINT32_MAX)
			lead[in->tgt] = 1;
	}
	/* Blocks (at most one per instruction), each instruction's block, and the lists. */
	c->b = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(*c->b));
	c->fbeg = rmcp_hz_alloc(c, (c->n + 1) * sizeof(uint32_t));
	c->flist = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	c->cand = rmcp_hz_alloc(c, (c->n ? c->n : 1) * sizeof(uint32_t));
	if (!c->b || !c->fbeg || !c->flist || !c->cand)
		return -ENOMEM;
	const uint32_t ends = FX_VTS_EXP | FX_STV_EXP | FX_CX_EXP | FX_PERM_EXP | FX_LOCAL;
	const uint32_t looks = FX_SCALAR | FX_VSDEF | FX_PERMLANE | FX_LDS1 | FX_LDS2 | FX_LOCAL;
	/* Locals, restrict: the stores would otherwise make every pointer reload. */
	struct hz_blk *restrict blk = c->b;
	struct hz_insn *restrict ins = c->in;
	const struct hz_fx *restrict fx = c->fx;
	uint32_t *restrict cand = c->cand, *restrict flist = c->flist, *restrict fbeg = c->fbeg;
	const uint8_t *restrict ld = lead;
	const size_t n = c->n;
	size_t bi = SIZE_MAX;
	/* killed: the windows ended since the last instruction that acts (adds to the state,
	 * triggers, or moves the LDS half) in this block. Ends commute and repeat to no effect,
	 * so an instruction that only ends windows already ended is left out of flist. */
	uint32_t nl = 0, nc = 0, killed = 0;
	for (size_t i = 0; i < n; i++) {
		if (ld[i]) {
			if (bi != SIZE_MAX)
				blk[bi].last = (uint32_t)i - 1;
			struct hz_blk *nb = &blk[++bi];
			nb->first = (uint32_t)i;
			nb->pred = nb->npred = 0;
			fbeg[bi] = nl;
			killed = 0;
		}
		ins[i].blk = (uint32_t)bi;
		/* Appends without branches: instruction kinds come in no predictable order. */
		uint32_t e = fx[i].e, acts = (e & ~ends) != 0;
		cand[nc] = (uint32_t)i;
		nc += (e & looks) != 0;
		flist[nl] = (uint32_t)i;
		uint32_t kills = e & ends & ~(uint32_t)FX_LOCAL;
		nl += acts | ((kills & ~killed) != 0);
		killed = (killed | kills) & (acts - 1u);
	}
	if (n)
		blk[bi].last = (uint32_t)n - 1;
	c->nb = n ? bi + 1 : 0;
	c->fbeg[c->nb] = nl;
	c->ncand = nc;
	size_t nedges = 2 * c->nb;	/* a block has at most two successors */
	c->preds = rmcp_hz_alloc(c, (nedges ? nedges : 1) * sizeof(*c->preds));
	c->succ = rmcp_hz_alloc(c, (nedges ? nedges : 1) * sizeof(*c->succ));
	c->stamp[0] = rmcp_hz_zalloc(c, (c->nb ? c->nb : 1) * sizeof(uint32_t));
	c->stamp[1] = rmcp_hz_zalloc(c, (c->nb ? c->nb : 1) * sizeof(uint32_t));
	c->stack = rmcp_hz_alloc(c, (2 * c->nb + 1) * sizeof(uint32_t));
	c->memo = rmcp_hz_zalloc(c, c->n ? c->n : 1);
	if (!c->preds || !c->succ || !c->stamp[0] || !c->stamp[1] || !c->stack || !c->memo)
		return -ENOMEM;
	/* Predecessors, counted then filled (CSR). */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t next = 0;
		if (pass == 1) {
			for (size_t b = 0; b < c->nb; b++) {
				uint32_t cnt = c->b[b].npred;
				c->b[b].pred = next;
				c->b[b].npred = 0;
				next += cnt;
			}
		}
		for (size_t b = 0; b < c->nb; b++) {
			const struct hz_insn *last = &c->in[c->b[b].last];
			uint32_t succ[2], ns = 0;
			if ((last->flags & HK_BRANCH) && last->tgt != UINT32_MAX)
				succ[ns++] = c->in[last->tgt].blk;
			if ((!(last->flags & HK_END) || conditional(last)) && b + 1 < c->nb)
				succ[ns++] = (uint32_t)b + 1;
			if (pass == 0) {
				c->succ[2 * b] = ns > 0 ? succ[0] : UINT32_MAX;
				c->succ[2 * b + 1] = ns > 1 ? succ[1] : UINT32_MAX;
			}
			for (uint32_t s = 0; s < ns; s++) {
				struct hz_blk *d = &c->b[succ[s]];
				if (pass == 1)
					c->preds[d->pred + d->npred] = (uint32_t)b;
				d->npred++;
			}
		}
	}
	c->budget = HZ_BUDGET;
	return 0;
}

int rmcp_hz_fixpoint(struct hz_ctx *c, uint32_t rounds, hz_step_fn step, void *arg)
{
	/* stale[b]: a predecessor's output changed since b was last stepped (every block
	 * before the first round). A change marks the successors, so a round visits each
	 * block once and steps only the stale ones, in address order. */
	uint8_t *stale = rmcp_hz_alloc(c, c->nb ? c->nb : 1);
	if (!stale)
		return -ENOMEM;
	memset(stale, 1, c->nb);
	bool again = true;
	for (uint32_t round = 1; again && round <= rounds; round++) {
		again = false;
		for (size_t b = 0; b < c->nb; b++) {
			if (!stale[b])
				continue;
			stale[b] = 0;
			if (step(c, b, arg)) {
				uint32_t s0 = c->succ[2 * b], s1 = c->succ[2 * b + 1];
				if (s0 != UINT32_MAX)
					stale[s0] = 1;
				if (s1 != UINT32_MAX)
					stale[s1] = 1;
				again = true;
			}
		}
	}
	return again ? 1 : 0;
}

/* ---- scratch ---- */

struct hz_chunk {
	struct hz_chunk *next;
	size_t cap, used;
	max_align_t data[];
};

#define HZ_CHUNK_MIN (256u << 10)

void *rmcp_hz_alloc(struct hz_ctx *c, size_t n)
{
	struct hz_arena *a = c->arena;
	size_t need = (n + 15) & ~(size_t)15;
	if (need < n)
		return NULL;
	struct hz_chunk *h = a->head;
	if (!h || h->cap - h->used < need) {
		size_t cap = h && h->cap > need / 2 ? 2 * h->cap : 2 * need;
		if (cap < HZ_CHUNK_MIN)
			cap = HZ_CHUNK_MIN;
		if (cap < need || cap > SIZE_MAX - sizeof(*h))
			return NULL;
		struct hz_chunk *nh = malloc(sizeof(*nh) + cap);
		if (!nh)
			return NULL;
		nh->next = h;
		nh->cap = cap;
		nh->used = 0;
		a->head = h = nh;
	}
	void *p = (char *)h->data + h->used;
	h->used += need;
	return p;
}

void *rmcp_hz_zalloc(struct hz_ctx *c, size_t n)
{
	void *p = rmcp_hz_alloc(c, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void rmcp_hz_arena_reset(struct hz_arena *a)
{
	struct hz_chunk *h = a->head;
	if (!h)
		return;
	if (h->next) {	/* the kernel outgrew one block: next time, one block of it all */
		size_t total = 0;
		for (struct hz_chunk *x = h; x; x = x->next)
			total += x->cap;
		rmcp_hz_arena_release(a);
		struct hz_chunk *nh = total <= SIZE_MAX - sizeof(*nh) ? malloc(sizeof(*nh) + total) : NULL;
		if (nh) {
			nh->next = NULL;
			nh->cap = total;
			nh->used = 0;
			a->head = nh;
		}
		return;
	}
	h->used = 0;
}

void rmcp_hz_arena_release(struct hz_arena *a)
{
	for (struct hz_chunk *h = a->head, *next; h; h = next) {
		next = h->next;
		free(h);
	}
	a->head = NULL;
}
