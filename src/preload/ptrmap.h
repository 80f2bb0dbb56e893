/* SPDX-License-Identifier: MIT */
/*
 * A pointer-keyed map for the launch hook: lookups are lock-free (two acquire loads and a
 * short linear probe), inserts are serialised by the caller's lock. Open addressing, load
 * factor <= 1/2, grown by publishing a new table with a release store; old tables are kept
 * on a list (never freed while the process runs) because a reader may still be probing one.
 * Removal stores a NULL value (a tombstone): the key stays until the next growth.
 */
#ifndef RMCP_PRELOAD_PTRMAP_H
#define RMCP_PRELOAD_PTRMAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct rmcp_ptrmap_slot {
	_Atomic(uintptr_t) key;		/* 0 = empty */
	_Atomic(void *) value;		/* NULL = removed */
};

struct rmcp_ptrmap_table {
	struct rmcp_ptrmap_table *older;	/* retired tables, kept for late readers */
	size_t mask;			/* capacity - 1, capacity a power of two */
	unsigned shift;			/* 64 - log2(capacity) */
	size_t used;			/* slots with a key (live or tombstone) */
	size_t live;
	struct rmcp_ptrmap_slot slots[];
};

struct rmcp_ptrmap {
	_Atomic(struct rmcp_ptrmap_table *) table;	/* NULL until the first insert */
};

static inline size_t rmcp_ptrmap_hash(uintptr_t key, unsigned shift)
{
	/* Fibonacci hashing: code addresses and heap pointers differ mostly in middle bits. */
	return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> shift);
}

/* Lock-free; NULL if absent. key must not be 0. */
static inline void *rmcp_ptrmap_get(struct rmcp_ptrmap *m, const void *key)
{
	struct rmcp_ptrmap_table *t = atomic_load_explicit(&m->table, memory_order_acquire);
	if (!t)
		return NULL;
	uintptr_t k = (uintptr_t)key;
	for (size_t i = rmcp_ptrmap_hash(k, t->shift);; i = (i + 1) & t->mask) {
		uintptr_t s = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
		if (s == k)
			return atomic_load_explicit(&t->slots[i].value, memory_order_acquire);
		if (s == 0)
			return NULL;
	}
}

/* Insert or replace (value non-NULL). Caller holds the writers' lock. 0 or -ENOMEM. */
int rmcp_ptrmap_put(struct rmcp_ptrmap *m, const void *key, void *value);
/* Remove (tombstone). Caller holds the writers' lock. */
void rmcp_ptrmap_del(struct rmcp_ptrmap *m, const void *key);
/* Number of live entries (writers' lock). */
size_t rmcp_ptrmap_count(struct rmcp_ptrmap *m);

#endif
