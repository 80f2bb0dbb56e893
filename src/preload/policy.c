/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include "banned.h"

/* Every hipHostMalloc flag any HIP release defines (interposer.md §1); a flag outside this
 * set has a meaning we do not know, so such calls are never rewritten. */
#define HOST_KNOWN \
	(RMCP_hipHostMallocPortable | RMCP_hipHostMallocMapped | \
	 RMCP_hipHostMallocWriteCombined | RMCP_hipHostMallocUncached | \
	 RMCP_hipHostMallocNumaUser | RMCP_hipHostMallocCoherent | RMCP_hipHostMallocNonCoherent)

bool rmcp_policy_host_malloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out)
{
	if (m == RMCP_MEM_DEFAULT)
		return false;
	if (flags & ~HOST_KNOWN)
		return false;
	/* Uncached is MTYPE_UC on purpose; with (Non)Coherent it is InvalidValue in 7.x. */
	if (flags & RMCP_hipHostMallocUncached)
		return false;
	/* Already non-coherent, or the illegal Coherent|NonCoherent: leave both alone. */
	if (flags & RMCP_hipHostMallocNonCoherent)
		return false;
	/*
	 * Coherent when (clr hipamd/src/hip_memory.cpp ihipHostMalloc): flags == 0, or any of
	 * Coherent|Mapped|NumaUser, or HIP_HOST_COHERENT=1 without NonCoherent. Adding
	 * NonCoherent (and dropping Coherent) clears SVM_ATOMICS in every one of those cases,
	 * and changes nothing for a request that was non-coherent already.
	 */
	*out = (flags & ~RMCP_hipHostMallocCoherent) | RMCP_hipHostMallocNonCoherent;
	return *out != flags;
}

bool rmcp_policy_host_alloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out)
{
	/* clr hipHostAlloc: flags > 7 is InvalidValue; leave such calls to the runtime. */
	if (flags > (RMCP_hipHostMallocPortable | RMCP_hipHostMallocMapped |
		     RMCP_hipHostMallocWriteCombined))
		return false;
	return rmcp_policy_host_malloc(m, flags, out);
}

bool rmcp_policy_ext_malloc(enum rmcp_mem_mode m, unsigned flags, unsigned *out)
{
	if (m == RMCP_MEM_DEFAULT)
		return false;
	/* Compared with ==: Finegrained (1) and Uncached (3) become Default; Signal (2) must
	 * stay fine-grained (it is an HSA signal), Contiguous (4) and anything else stay. */
	if (flags == RMCP_hipDeviceMallocFinegrained || flags == RMCP_hipDeviceMallocUncached) {
		*out = RMCP_hipDeviceMallocDefault;
		return true;
	}
	return false;
}

bool rmcp_policy_host_gate(enum rmcp_mem_mode m, unsigned flags)
{
	if (m != RMCP_MEM_COARSE || (flags & ~HOST_KNOWN) || (flags & RMCP_hipHostMallocUncached))
		return false;
	return (flags & (RMCP_hipHostMallocCoherent | RMCP_hipHostMallocNonCoherent)) !=
	       (RMCP_hipHostMallocCoherent | RMCP_hipHostMallocNonCoherent);
}

bool rmcp_policy_device_gate(enum rmcp_mem_mode m, unsigned flags)
{
	return m == RMCP_MEM_COARSE &&
	       (flags == RMCP_hipDeviceMallocDefault || flags == RMCP_hipDeviceMallocFinegrained ||
		flags == RMCP_hipDeviceMallocUncached || flags == RMCP_hipDeviceMallocContiguous);
}

bool rmcp_policy_managed_advise(enum rmcp_mem_mode m)
{
	return m == RMCP_MEM_COARSE;
}

bool rmcp_policy_pool_swap(enum rmcp_mem_mode m, unsigned pool_flags)
{
	if (m != RMCP_MEM_COARSE)
		return false;
	/* Kernarg pools are fine|kernarg and must stay what they are. */
	if (pool_flags & RMCP_HSA_POOL_FLAG_KERNARG_INIT)
		return false;
	if (pool_flags & RMCP_HSA_POOL_FLAG_COARSE_GRAINED)
		return false;
	return (pool_flags & (RMCP_HSA_POOL_FLAG_FINE_GRAINED |
			      RMCP_HSA_POOL_FLAG_EXTENDED_SCOPE_FINE_GRAINED)) != 0;
}
