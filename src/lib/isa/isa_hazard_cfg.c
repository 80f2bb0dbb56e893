/* SPDX-License-Identifier: MIT */
/*
 * Decoding and control flow for the gfx10.1 hazard detectors: instruction lengths from the
 * fast path, basic blocks split at pc-relative branch targets and after branches/ends,
 * predecessor lists, and LLVM's backward search over predecessors (GCNHazardRecognizer.cpp
 * ::getWaitStatesSince, LLVM 19.1.7): a block is scanned from its end, each predecessor
 * once per search, the search's own block first from the instruction before the trigger.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "isa_hazard.h"
#include "isa_table.h"
#include "banned.h"

/* Upper bound of instructions all searches of one kernel may scan; past it the remaining
 * searches answer "possible" (a crafted kernel cannot make the check quadratic). */
#define HZ_BUDGET (64u << 20)

static uint32_t find_insn(const struct hz_ctx *c, uint32_t off)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->in[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->in[lo].off == off ? (uint32_t)lo : UINT32_MAX;
}

/* Branch target instruction index, or UINT32_MAX (outside the kernel or mid-instruction). */
static uint32_t target_of(const struct hz_ctx *c, uint32_t i)
{
	const struct hz_insn *in = &c->in[i];
	int64_t t = (int64_t)in->off + 4 + 4 * (int64_t)(int16_t)(in->w0 & 0xffff);
	if (t < 0 || t > (int64_t)UINT32_MAX)
		return UINT32_MAX;
	return find_insn(c, (uint32_t)t);
}

static bool conditional(const struct hz_insn *in)
{
	return (in->flags & HK_BRANCH) && !(in->flags & HK_END);
}

int rmcp_hz_build(struct hz_ctx *c)
{
	size_t size = c->k->size, cap = size / 4 + 1;
	const struct rmcp_isa_fast *f = c->h->fast;
	c->in = malloc(cap * sizeof(*c->in));
	if (!c->in)
		return -ENOMEM;
	c->n = 0;
	for (size_t off = 0; off + 4 <= size && c->n < cap;) {
		struct rmcp_isa_step st;
		size_t avail = size - off;
		rmcp_isa_fast_step(f, c->p + off, avail, &st);
		struct hz_insn *in = &c->in[c->n++];
		memset(in, 0, sizeof(*in));
		in->off = (uint32_t)off;
		in->w0 = rmcp_le32(c->p + off);
		in->w1 = avail >= 8 ? rmcp_le32(c->p + off + 4) : 0;
		uint32_t len = st.len < 4 ? 4 : st.len;
		if (len > avail)
			len = (uint32_t)(avail & ~(size_t)3);
		in->len = (uint8_t)len;
		struct rmcp_g10_split s;
		rmcp_g10_split(in->w0, in->w1, &s);
		in->fmt = (uint8_t)s.fmt;
		if (len > 4u * s.words && len >= 4u * s.words + 4)
			in->lit = rmcp_le32(c->p + off + 4u * s.words + 4u * s.nsa);
		/* Only decodable instructions carry properties: an undecodable word is data. */
		if (st.kind != RMCP_ISA_INSN_UNDECODABLE || !st.bad) {
			size_t g = (size_t)rmcp_g10_fmt_base[s.fmt] + s.key;
			if (g < c->h->nkeys) {
				in->gkey = (uint16_t)g;
				in->flags = c->h->keys[g].flags;
				in->width = c->h->keys[g].width;
				in->alu = c->h->keys[g].alu;
			}
		}
		off += len;
	}
	/* Leaders: the entry, branch targets, and whatever follows a branch or an end. */
	uint8_t *lead = calloc(c->n + 1, 1);
	if (!lead)
		return -ENOMEM;
	lead[0] = 1;
	size_t nedges = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct hz_insn *in = &c->in[i];
		if (in->flags & (HK_BRANCH | HK_END))
			lead[i + 1] = 1;
		if (in->flags & HK_BRANCH) {
			uint32_t t = target_of(c, (uint32_t)i);
			if (t != UINT32_MAX)
				lead[t] = 1;
			nedges++;
		}
		nedges++;
	}
	c->nb = 0;
	for (size_t i = 0; i < c->n; i++)
		c->nb += lead[i];
	c->b = calloc(c->nb ? c->nb : 1, sizeof(*c->b));
	c->preds = malloc((nedges ? nedges : 1) * sizeof(*c->preds));
	c->stamp[0] = calloc(c->nb ? c->nb : 1, sizeof(uint32_t));
	c->stamp[1] = calloc(c->nb ? c->nb : 1, sizeof(uint32_t));
	c->stack = malloc((2 * c->nb + 1) * sizeof(uint32_t));
	c->memo = calloc(c->n ? c->n : 1, 1);
	if (!c->b || !c->preds || !c->stamp[0] || !c->stamp[1] || !c->stack || !c->memo) {
		free(lead);
		return -ENOMEM;
	}
	size_t bi = SIZE_MAX;
	for (size_t i = 0; i < c->n; i++) {
		if (lead[i])
			c->b[++bi].first = (uint32_t)i;
		c->b[bi].last = (uint32_t)i;
		c->in[i].blk = (uint32_t)bi;
	}
	free(lead);
	/* Predecessors, counted then filled (CSR). */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t at = 0;
		if (pass == 1) {
			for (size_t b = 0; b < c->nb; b++) {
				uint32_t cnt = c->b[b].npred;
				c->b[b].pred = at;
				c->b[b].npred = 0;
				at += cnt;
			}
		}
		for (size_t b = 0; b < c->nb; b++) {
			const struct hz_insn *last = &c->in[c->b[b].last];
			uint32_t succ[2], ns = 0;
			if (last->flags & HK_BRANCH) {
				uint32_t t = target_of(c, c->b[b].last);
				if (t != UINT32_MAX)
					succ[ns++] = c->in[t].blk;
			}
			if ((!(last->flags & HK_END) || conditional(last)) && b + 1 < c->nb)
				succ[ns++] = (uint32_t)b + 1;
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

void rmcp_hz_free(struct hz_ctx *c)
{
	free(c->in);
	free(c->b);
	free(c->preds);
	free(c->stamp[0]);
	free(c->stamp[1]);
	free(c->stack);
	free(c->memo);
}

/* Scan instructions [lo, hi] of a block backwards: HIT, EXPIRE or CONT (block done). */
static int scan(struct hz_ctx *c, uint32_t lo, int64_t hi, hz_fn fn, const void *arg, uint32_t *hit)
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

int rmcp_hz_search(struct hz_ctx *c, int level, uint32_t from, hz_fn fn, const void *arg, uint32_t *hit)
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
	int r = scan(c, b0->first, (int64_t)from - 1, fn, arg, hit);
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
		r = scan(c, bb->first, bb->last, fn, arg, hit);
	}
	if (r == HZ_HIT)
		return 1;
	return r < 0 ? -1 : 0;
}
