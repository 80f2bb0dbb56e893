/* SPDX-License-Identifier: MIT */
/*
 * hipGetProcAddress and hipGetDriverEntryPoint look symbols up with dlsym on the runtime's
 * own handle (clr hip_device.cpp, hip_platform.cpp), which bypasses an LD_PRELOAD. When what
 * they return is exactly the real function behind one of our hooks, the caller gets the hook
 * instead (HAMi-core does the same for cuGetProcAddress). Anything else (another version of
 * the symbol, a name we do not hook) is handed back untouched.
 */
#include "preload.h"

#include "banned.h"

static rmcp_vfn our_hook_for(rmcp_vfn fn)
{
	for (int id = 0; id < RMCP_REAL_FIRST_HSA; id++) {
		rmcp_vfn hook = rmcp_hook_addr((enum rmcp_real)id);
		if (hook && rmcp_real((enum rmcp_real)id) == fn)
			return hook;
	}
	return NULL;
}

static void substitute(void **pfn, enum rmcp_hook h)
{
	if (!pfn || !*pfn)
		return;
	rmcp_vfn hook = our_hook_for(rmcp_fn_from_ptr(*pfn));
	if (hook) {
		*pfn = rmcp_ptr_from_fn(hook);
		RMCP_REWRITTEN(h);
	}
}

RMCP_EXPORT rmcp_hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hipVersion,
					      uint64_t flags, void *symbolStatus)
{
	rmcp_fn_hipGetProcAddress real = RMCP_REAL(hipGetProcAddress);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipGetProcAddress);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(symbol, pfn, hipVersion, flags, symbolStatus);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipGetProcAddress);
		if (rc == RMCP_hipSuccess)
			substitute(pfn, RMCP_HOOK_hipGetProcAddress);
	}
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipGetDriverEntryPoint(const char *symbol, void **funcPtr,
						   unsigned long long flags, void *status)
{
	rmcp_fn_hipGetDriverEntryPoint real = RMCP_REAL(hipGetDriverEntryPoint);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipGetDriverEntryPoint);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(symbol, funcPtr, flags, status);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipGetDriverEntryPoint);
		if (rc == RMCP_hipSuccess)
			substitute(funcPtr, RMCP_HOOK_hipGetDriverEntryPoint);
	}
	rmcp_leave();
	return rc;
}
