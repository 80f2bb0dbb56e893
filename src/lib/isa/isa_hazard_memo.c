/* SPDX-License-Identifier: MIT */
/*
 * Kernels judged before (struct rmcp_isa_memo): a kernel whose bytes, wave size, WGP mode
 * and ISA pair equal an earlier one's gets the earlier hazards moved to its address.
 * Template instantiations often compile to the same code, and branches are pc-relative, so
 * the same bytes give the same hazards at the same offsets. Per code object the table
 * points into the code object; shared by a file's code objects, it keeps copies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "banned.h"

const struct hz_memo *rmcp_hz_memo_find(const struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p,
					size_t size, const struct rmcp_isa_kernel *k)
{
	const struct rmcp_isa_memo *t = h->memo;
	unsigned cc = rmcp_isa_fast_code_class(h->fast), rc = rmcp_isa_fast_real_class(h->fast);
	if (!t->cap)
		return NULL;
	for (size_t at = hash & (t->cap - 1); t->slot[at]; at = (at + 1) & (t->cap - 1)) {
		const struct hz_memo *m = &t->entry[t->slot[at] - 1];
		if (m->hash == hash && m->size == size && m->wave64 == k->wave64 && m->wgp == k->wgp_mode &&
		    m->c == cc && m->r == rc && memcmp(m->p, p, size) == 0)
			return m;
	}
	return NULL;
}

/* Put entry index + 1 in the first free slot from hash on (linear probing). */
static void slot_put(uint32_t *slot, size_t cap, uint64_t hash, uint32_t v)
{
	size_t at = hash & (cap - 1);
	while (slot[at])
		at = (at + 1) & (cap - 1);
	slot[at] = v;
}

/* Room for one more entry and its slot; false without memory. */
static bool grow(struct rmcp_isa_memo *t)
{
	if (t->n >= UINT32_MAX - 1)
		return false;
	if (t->n == t->room) {
		size_t room = t->room ? 2 * t->room : 64;
		struct hz_memo *e = realloc(t->entry, room * sizeof(*e));
		if (!e)
			return false;
		t->entry = e;
		t->room = room;
	}
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		uint32_t *slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return false;
		for (size_t i = 0; i < t->n; i++)
			slot_put(slot, cap, t->entry[i].hash, (uint32_t)i + 1);
		free(t->slot);
		t->slot = slot;
		t->cap = cap;
	}
	return true;
}

/* Remember k's result (best effort: without memory, the next copy is simply judged again). */
void rmcp_hz_memo_add(struct rmcp_isa_hz *h, uint64_t hash, const uint8_t *p, size_t size, uint64_t addr,
		      const struct rmcp_isa_kernel *k)
{
	struct rmcp_isa_memo *t = h->memo;
	if (!grow(t))
		return;
	uint8_t *copy = NULL;
	uintptr_t rel = (uintptr_t)p - (uintptr_t)t->stable;	/* checked before use */
	bool stable = t->stable && (uintptr_t)p >= (uintptr_t)t->stable && rel <= t->stable_len &&
		      size <= t->stable_len - rel;
	if (t->copies && !stable) {
		if (!(copy = malloc(size ? size : 1)))
			return;
		memcpy(copy, p, size);
	}
	struct hz_memo *m = &t->entry[t->n];
	m->hash = hash;
	m->p = copy ? copy : p;
	m->owned = copy != NULL;
	m->size = size;
	m->wave64 = k->wave64;
	m->wgp = k->wgp_mode;
	m->c = (uint8_t)rmcp_isa_fast_code_class(h->fast);
	m->r = (uint8_t)rmcp_isa_fast_real_class(h->fast);
	m->n_hazards = k->n_hazards;
	m->n_possible = k->n_possible;
	memcpy(m->n_by_class, k->n_by_class, sizeof(m->n_by_class));
	memcpy(m->first_by_class, k->first_by_class, sizeof(m->first_by_class));
	m->has_hazard = k->has_hazard;
	m->hazard = k->hazard;
	m->hazard.addr -= addr;
	m->hazard.other_addr -= addr;
	m->n_insns = k->n_insns;
	m->clean = !(k->n_invalid | k->n_differs | k->n_undecodable | k->n_unknown) && !k->has_first;
	slot_put(t->slot, t->cap, hash, (uint32_t)++t->n);
}

void rmcp_hz_memo_apply(const struct hz_memo *m, uint64_t addr, struct rmcp_isa_kernel *k)
{
	k->n_hazards = m->n_hazards;
	k->n_possible = m->n_possible;
	memcpy(k->n_by_class, m->n_by_class, sizeof(k->n_by_class));
	memcpy(k->first_by_class, m->first_by_class, sizeof(k->first_by_class));
	k->has_hazard = m->has_hazard;
	k->hazard = m->hazard;
	k->hazard.addr += addr;
	k->hazard.other_addr += addr;
}

static void memo_clear(struct rmcp_isa_memo *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].owned)
			free((void *)t->entry[i].p);
	if (t->cap)
		memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->n = 0;
}

struct rmcp_isa_memo *rmcp_isa_memo_new(const void *stable, size_t stable_len)
{
	struct rmcp_isa_memo *t = calloc(1, sizeof(*t));
	if (t) {
		t->copies = true;
		t->stable = stable;
		t->stable_len = stable ? stable_len : 0;
	}
	return t;
}

void rmcp_isa_memo_free(struct rmcp_isa_memo *t)
{
	if (t) {
		memo_clear(t);
		free(t->slot);
		free(t->entry);
		free(t);
	}
}

void rmcp_isa_hz_share(struct rmcp_isa_hz *h, struct rmcp_isa_memo *t)
{
	h->memo = t ? t : &h->own;
}

void rmcp_isa_hz_forget(struct rmcp_isa_hz *h)
{
	if (h)
		memo_clear(h->memo);
}

