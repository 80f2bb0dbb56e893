/* SPDX-License-Identifier: MIT */
#include "ptrmap.h"

#include <errno.h>
#include <stdlib.h>

#include "banned.h"

static struct rmcp_ptrmap_table *table_new(unsigned bits)
{
	size_t cap = (size_t)1 << bits;
	struct rmcp_ptrmap_table *t = calloc(1, sizeof(*t) + cap * sizeof(t->slots[0]));
	if (!t)
		return NULL;
	t->mask = cap - 1;
	t->shift = 64 - bits;
	return t;
}

/* Insert into a table that is not published yet or whose slot is known free. */
static void place(struct rmcp_ptrmap_table *t, uintptr_t k, void *v)
{
	size_t i = rmcp_ptrmap_hash(k, t->shift);
	for (;; i = (i + 1) & t->mask) {
		uintptr_t s = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
		if (s == k) {
			if (!atomic_load_explicit(&t->slots[i].value, memory_order_relaxed))
				t->live++;
			atomic_store_explicit(&t->slots[i].value, v, memory_order_release);
			return;
		}
		if (s == 0) {
			/* Value first, then the key with release: a reader that sees the key sees
			 * the value. */
			atomic_store_explicit(&t->slots[i].value, v, memory_order_relaxed);
			atomic_store_explicit(&t->slots[i].key, k, memory_order_release);
			t->used++;
			t->live++;
			return;
		}
	}
}

static int grow(struct rmcp_ptrmap *m, struct rmcp_ptrmap_table *old)
{
	unsigned bits = 8;
	/* Room for twice the live entries: the load factor stays between 1/4 and 1/2, so a
	 * lookup that misses (the common launch) probes about two slots. */
	size_t need = old ? old->live + 1 : 1;
	while (((size_t)1 << bits) < need * 2 + 2)
		bits++;
	struct rmcp_ptrmap_table *t = table_new(bits);
	if (!t)
		return -ENOMEM;
	if (old) {
		for (size_t i = 0; i <= old->mask; i++) {
			uintptr_t k = atomic_load_explicit(&old->slots[i].key, memory_order_relaxed);
			void *v = atomic_load_explicit(&old->slots[i].value, memory_order_relaxed);
			if (k && v)
				place(t, k, v);
		}
	}
	t->older = old;
	atomic_store_explicit(&m->table, t, memory_order_release);
	return 0;
}

int rmcp_ptrmap_put(struct rmcp_ptrmap *m, const void *key, void *value)
{
	struct rmcp_ptrmap_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	if (!t || (t->used + 1) * 2 > t->mask + 1) {
		int rc = grow(m, t);
		if (rc < 0)
			return rc;
		t = atomic_load_explicit(&m->table, memory_order_relaxed);
	}
	place(t, (uintptr_t)key, value);
	return 0;
}

void rmcp_ptrmap_del(struct rmcp_ptrmap *m, const void *key)
{
	struct rmcp_ptrmap_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	if (!t)
		return;
	uintptr_t k = (uintptr_t)key;
	for (size_t i = rmcp_ptrmap_hash(k, t->shift);; i = (i + 1) & t->mask) {
		uintptr_t s = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
		if (s == k) {
			if (atomic_exchange_explicit(&t->slots[i].value, NULL, memory_order_release))
				t->live--;
			return;
		}
		if (s == 0)
			return;
	}
}

size_t rmcp_ptrmap_count(struct rmcp_ptrmap *m)
{
	struct rmcp_ptrmap_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	return t ? t->live : 0;
}
