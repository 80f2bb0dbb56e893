/* SPDX-License-Identifier: MIT */
/*
 * The memory policy's flag rules, as pure functions (research/interposer.md §2; the modes are
 * described for users in docs/memory-policy.md). Each returns true and sets *out when the
 * call should be made with different flags; false means "pass the caller's flags unchanged",
 * which is always the answer for a combination the runtime rejects (Coherent|NonCoherent,
 * Uncached with either, unknown bits): the program gets the runtime's own error, never one
 * we caused.
 */
#ifndef RMCP_PRELOAD_POLICY_H
#define RMCP_PRELOAD_POLICY_H

#include <stdbool.h>

#include "preload.h"

/* hipHostMalloc and hipExtHostAlloc (same flag values). */
bool rmcp_policy_host_malloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out);
/* hipHostAlloc: redirected to the real hipHostMalloc with *out when true. */
bool rmcp_policy_host_alloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out);
/* hipExtMallocWithFlags. */
bool rmcp_policy_ext_malloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out);
/* hipMallocManaged: advise SetCoarseGrain after a successful allocation? */
bool rmcp_policy_managed_advise(enum rmcp_mem_mode m);
/* Under "coarse": may the HSA layer move the allocation behind this call to a coarse pool?
 * Never for Uncached (MTYPE_UC on purpose), signal memory or a combination the runtime
 * rejects. */
bool rmcp_policy_host_gate(enum rmcp_mem_mode m, unsigned flags);
bool rmcp_policy_device_gate(enum rmcp_mem_mode m, unsigned flags);
/* HSA pools: is a pool with these GLOBAL_FLAGS one to swap for its agent's coarse pool? */
bool rmcp_policy_pool_swap(enum rmcp_mem_mode m, unsigned pool_flags);

#endif
