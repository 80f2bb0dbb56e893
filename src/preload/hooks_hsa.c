/* SPDX-License-Identifier: MIT */
/*
 * The HSA layer of RMCP_MEMORY=coarse. clr turns hipHostRegister into
 * hsa_amd_memory_lock_to_pool(..., system fine pool, ...) whatever the flags
 * (rocclr/device/rocm/rocmemory.cpp), and picks fine pools for coherent host and fine-grained
 * device memory (rocdevice.cpp Device::hostAlloc); only here can those become coarse.
 * Inside the gate (hooks_mem.h) a fine or extended-fine pool that is not a kernarg pool is
 * replaced by the coarse pool of the same agent, if that agent has one. Pool properties are
 * read with the real hsa_amd_memory_pool_get_info, which is never hooked: what the runtime
 * is told about pools stays true (clr's pool discovery abort()s on inconsistent flags).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "hooks_mem.h"
#include "policy.h"
#include "preload.h"

#include "banned.h"

#define MAX_POOLS 64

struct pool_info {
	uint64_t pool, agent;
	uint32_t flags;
	uint32_t device_type;	/* HSA_DEVICE_TYPE_CPU / _GPU of the agent */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool_info pools[MAX_POOLS];
static size_t n_pools;
static int pools_state;		/* 0 not read, 1 read, -1 failed */

void rmcp_hsa_atfork_prepare(void);
void rmcp_hsa_atfork_release(void);

void rmcp_hsa_atfork_prepare(void)
{
	pthread_mutex_lock(&pool_lock);
}

void rmcp_hsa_atfork_release(void)
{
	pthread_mutex_unlock(&pool_lock);
}

struct walk {
	rmcp_hsa_agent_t agent;
	uint32_t device_type;
	rmcp_fn_hsa_agent_get_info agent_info;
	rmcp_fn_hsa_amd_memory_pool_get_info get_info;
	rmcp_fn_hsa_amd_agent_iterate_memory_pools iterate_pools;
};

static rmcp_hsa_status_t pool_cb(rmcp_hsa_pool_t pool, void *data)
{
	struct walk *w = data;
	uint32_t segment = 0, flags = 0;
	if (w->get_info(pool, RMCP_HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &segment) !=
	    RMCP_HSA_STATUS_SUCCESS || segment != RMCP_HSA_AMD_SEGMENT_GLOBAL)
		return RMCP_HSA_STATUS_SUCCESS;
	if (w->get_info(pool, RMCP_HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS, &flags) !=
	    RMCP_HSA_STATUS_SUCCESS)
		return RMCP_HSA_STATUS_SUCCESS;
	if (n_pools == MAX_POOLS)
		return RMCP_HSA_STATUS_INFO_BREAK;
	pools[n_pools++] = (struct pool_info){ pool.handle, w->agent.handle, flags, w->device_type };
	return RMCP_HSA_STATUS_SUCCESS;
}

static rmcp_hsa_status_t agent_cb(rmcp_hsa_agent_t agent, void *data)
{
	struct walk *w = data;
	w->agent = agent;
	w->device_type = UINT32_MAX;
	if (!w->agent_info || w->agent_info(agent, RMCP_HSA_AGENT_INFO_DEVICE, &w->device_type) != RMCP_HSA_STATUS_SUCCESS)
		return RMCP_HSA_STATUS_SUCCESS;	/* an agent we cannot classify keeps its pools */
	rmcp_hsa_status_t st = w->iterate_pools(agent, pool_cb, w);
	return st == RMCP_HSA_STATUS_INFO_BREAK ? st : RMCP_HSA_STATUS_SUCCESS;
}

/* Caller holds pool_lock; the functions were resolved before it was taken (resolving may need
 * the loader lock, see resolve.c). */
static void read_pools(struct walk *wk, rmcp_fn_hsa_iterate_agents iterate_agents)
{
	struct walk w = *wk;
	pools_state = -1;
	if (!w.get_info || !w.iterate_pools || !iterate_agents)
		return;
	n_pools = 0;
	rmcp_hsa_status_t st = iterate_agents(agent_cb, &w);
	if (st == RMCP_HSA_STATUS_SUCCESS || st == RMCP_HSA_STATUS_INFO_BREAK)
		pools_state = 1;
}

enum pool_answer {
	POOL_NOT_USERS,		/* unknown pool or another agent type: not the user's allocation */
	POOL_KEEP,		/* the user's allocation; stays where it is */
	POOL_SWAP,		/* the user's allocation; *out is the coarse pool to use */
};

/* What to do with an allocation from `pool` inside the gate. */
static enum pool_answer pool_decide(rmcp_hsa_pool_t pool, rmcp_hsa_pool_t *out,
				    uint32_t *from_flags)
{
	enum pool_answer ans = POOL_NOT_USERS;
	struct walk w = { .get_info = RMCP_REAL(hsa_amd_memory_pool_get_info),
			  .iterate_pools = RMCP_REAL(hsa_amd_agent_iterate_memory_pools),
			  .agent_info = RMCP_REAL(hsa_agent_get_info) };
	rmcp_fn_hsa_iterate_agents iterate_agents = RMCP_REAL(hsa_iterate_agents);
	pthread_mutex_lock(&pool_lock);
	if (pools_state == 0)
		read_pools(&w, iterate_agents);
	const struct pool_info *p = NULL;
	for (size_t i = 0; pools_state == 1 && i < n_pools; i++)
		if (pools[i].pool == pool.handle)
			p = &pools[i];
	uint32_t want = rmcp_gate.kind == RMCP_GATE_HOST ? RMCP_HSA_DEVICE_TYPE_CPU
							  : RMCP_HSA_DEVICE_TYPE_GPU;
	if (!p || p->device_type != want)
		goto out;
	ans = POOL_KEEP;
	if (!rmcp_policy_pool_swap(rmcp_cfg.memory, p->flags))
		goto out;
	for (size_t i = 0; i < n_pools; i++) {
		const struct pool_info *q = &pools[i];
		if (q->agent == p->agent && (q->flags & RMCP_HSA_POOL_FLAG_COARSE_GRAINED) &&
		    !(q->flags & (RMCP_HSA_POOL_FLAG_FINE_GRAINED | RMCP_HSA_POOL_FLAG_KERNARG_INIT))) {
			out->handle = q->pool;
			*from_flags = p->flags;
			ans = POOL_SWAP;
			break;
		}
	}
out:
	pthread_mutex_unlock(&pool_lock);
	return ans;
}

static void log_swap(enum rmcp_hook h, size_t size, uint32_t flags, uint64_t from, uint64_t to)
{
	if (!rmcp_log_verbose())
		return;
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_INFO);
	rmcp_line_str(&l, "memory: ");
	rmcp_line_str(&l, rmcp_hook_name(h));
	rmcp_line_str(&l, "(size ");
	rmcp_line_u64(&l, size);
	rmcp_line_str(&l, ") pool ");
	rmcp_line_hex(&l, from);
	rmcp_line_str(&l, " (global flags ");
	rmcp_line_hex(&l, flags);
	rmcp_line_str(&l, ") -> coarse pool ");
	rmcp_line_hex(&l, to);
	rmcp_line_emit(&l, RMCP_INFO);
}

/*
 * These hooks are reached from inside the runtime (our HIP hook is the outer call), so the
 * depth test of the HIP hooks does not apply: the gate says whether this is the user's
 * allocation. The depth counter still goes up so nothing below re-enters the policy.
 */
static bool maybe_swap(enum rmcp_hook h, size_t size, rmcp_hsa_pool_t *pool)
{
	/* depth 2: this hook, right under the one HIP hook that opened the gate. */
	if (!rmcp_gate_matches(size) || rmcp_depth != 2 ||
	    !atomic_load_explicit(&rmcp_ready, memory_order_acquire))
		return false;
	rmcp_hsa_pool_t coarse;
	uint32_t flags;
	int saved = errno;
	enum pool_answer ans = pool_decide(*pool, &coarse, &flags);
	errno = saved;
	if (ans == POOL_NOT_USERS)
		return false;
	rmcp_gate.used = 1;
	if (ans == POOL_KEEP)
		return false;
	log_swap(h, size, flags, pool->handle, coarse.handle);
	*pool = coarse;
	return true;
}

RMCP_EXPORT rmcp_hsa_status_t hsa_amd_memory_pool_allocate(rmcp_hsa_pool_t memory_pool,
							   size_t size, uint32_t flags, void **ptr)
{
	rmcp_fn_hsa_amd_memory_pool_allocate real = RMCP_REAL(hsa_amd_memory_pool_allocate);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hsa(RMCP_REAL_hsa_amd_memory_pool_allocate);
	rmcp_depth++;
	if (atomic_load_explicit(&rmcp_ready, memory_order_acquire)) {
		RMCP_SEEN(RMCP_HOOK_hsa_amd_memory_pool_allocate);
		if (RMCP_UNLIKELY(rmcp_gate.active) &&
		    maybe_swap(RMCP_HOOK_hsa_amd_memory_pool_allocate, size, &memory_pool))
			RMCP_REWRITTEN(RMCP_HOOK_hsa_amd_memory_pool_allocate);
	}
	rmcp_hsa_status_t st = real(memory_pool, size, flags, ptr);
	rmcp_depth--;
	return st;
}

RMCP_EXPORT rmcp_hsa_status_t hsa_amd_memory_lock_to_pool(void *host_ptr, size_t size,
							  rmcp_hsa_agent_t *agents,
							  int num_agent, rmcp_hsa_pool_t pool,
							  uint32_t flags, void **agent_ptr)
{
	rmcp_fn_hsa_amd_memory_lock_to_pool real = RMCP_REAL(hsa_amd_memory_lock_to_pool);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hsa(RMCP_REAL_hsa_amd_memory_lock_to_pool);
	rmcp_depth++;
	if (atomic_load_explicit(&rmcp_ready, memory_order_acquire)) {
		RMCP_SEEN(RMCP_HOOK_hsa_amd_memory_lock_to_pool);
		if (RMCP_UNLIKELY(rmcp_gate.active) &&
		    maybe_swap(RMCP_HOOK_hsa_amd_memory_lock_to_pool, size, &pool))
			RMCP_REWRITTEN(RMCP_HOOK_hsa_amd_memory_lock_to_pool);
	}
	rmcp_hsa_status_t st = real(host_ptr, size, agents, num_agent, pool, flags, agent_ptr);
	rmcp_depth--;
	return st;
}
