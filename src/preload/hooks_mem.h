/* SPDX-License-Identifier: MIT */
/*
 * The gate between the HIP memory hooks and the HSA ones (research/interposer.md §0.4, §8):
 * under RMCP_MEMORY=coarse, a user HIP allocation opens it for the duration of the real call,
 * and the HSA hooks move at most one pool allocation or lock, of the user's size, to a
 * coarse-grained pool. The runtime's own buffers (kernarg, signals, hostcall/printf,
 * multi-grid sync) are allocated outside the gate, or have other sizes, or live in the
 * kernarg pool, and stay fine-grained.
 */
#ifndef RMCP_PRELOAD_HOOKS_MEM_H
#define RMCP_PRELOAD_HOOKS_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "preload.h"

enum rmcp_gate_kind { RMCP_GATE_HOST, RMCP_GATE_DEVICE };

struct rmcp_alloc_gate {
	int active;
	int used;		/* the one allocation was already moved */
	enum rmcp_gate_kind kind;	/* the pool's agent must be a CPU (host) or a GPU (device) */
	size_t size;		/* what the user asked for */
};

extern RMCP_TLS struct rmcp_alloc_gate rmcp_gate;

static inline size_t rmcp_align_size(size_t v, size_t a)
{
	return v > SIZE_MAX - (a - 1) ? v : (v + (a - 1)) & ~(a - 1);
}

/* A runtime allocation of `size` is the user's: the request itself, or rounded up to the
 * page (system pools) or to the 2 MiB fragment (VRAM pools). */
static inline int rmcp_gate_matches(size_t size)
{
	size_t want = rmcp_gate.size;
	return rmcp_gate.active && !rmcp_gate.used &&
	       (size == want || size == rmcp_align_size(want, 4096) ||
		size == rmcp_align_size(want, (size_t)2 << 20));
}

#endif
