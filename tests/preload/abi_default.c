/* SPDX-License-Identifier: MIT */
/* The preload's own ABI types (hipabi.h without the real headers), measured for test_abi.c. */
#include <stddef.h>

#include "hipabi.h"
#include "abi_default.h"

size_t abi_default_layout(int what)
{
	switch (what) {
	case ABI_DIM3_SIZE: return sizeof(rmcp_dim3);
	case ABI_DIM3_Z: return offsetof(rmcp_dim3, z);
	case ABI_LP_SIZE: return sizeof(rmcp_hipLaunchParams);
	case ABI_LP_GRID: return offsetof(rmcp_hipLaunchParams, gridDim);
	case ABI_LP_BLOCK: return offsetof(rmcp_hipLaunchParams, blockDim);
	case ABI_LP_ARGS: return offsetof(rmcp_hipLaunchParams, args);
	case ABI_LP_SHMEM: return offsetof(rmcp_hipLaunchParams, sharedMem);
	case ABI_LP_STREAM: return offsetof(rmcp_hipLaunchParams, stream);
	case ABI_ERROR_SIZE: return sizeof(rmcp_hipError_t);
	case ABI_HSA_STATUS_SIZE: return sizeof(rmcp_hsa_status_t);
	case ABI_POOL_SIZE: return sizeof(rmcp_hsa_pool_t);
	case ABI_AGENT_SIZE: return sizeof(rmcp_hsa_agent_t);
	case ABI_ADVISE_SIZE: return sizeof(rmcp_hipMemoryAdvise);
	case ABI_POOL_INFO_SIZE: return sizeof(rmcp_hsa_pool_info_t);
	default: return 0;
	}
}
