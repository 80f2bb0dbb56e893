/* SPDX-License-Identifier: MIT */
/*
 * The slice of the HIP and HSA ABI that librmcp.so hooks or calls, declared here so the
 * preload builds without ROCm headers and links no ROCm library.
 *
 * Sources: hip/hip_runtime_api.h and hip/hip_ext.h of ROCm 5.2 (Debian libamdhip64-dev),
 * ROCm/rocm-systems projects/hip/include/hip/hip_runtime_api.h (6.x/7.x additions:
 * hipGetProcAddress, hipGetDriverEntryPoint, hipExtHostAlloc, hipModuleLaunchCooperativeKernel,
 * hipLaunchKernelExC, hipDrvLaunchKernelEx), hsa/hsa.h and hsa/hsa_ext_amd.h (Debian
 * libhsa-runtime-dev), and the compiler interface (__hipRegisterFatBinary & co.) as clang's
 * CGCUDANV.cpp emits it. research/interposer.md §1 lists the flag values.
 *
 * tests/preload/test_abi.c includes the real headers, defines RMCP_ABI_REAL and checks every
 * prototype below against them with __builtin_types_compatible_p, and every constant.
 */
#ifndef RMCP_PRELOAD_HIPABI_H
#define RMCP_PRELOAD_HIPABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef RMCP_ABI_REAL
typedef hipError_t rmcp_hipError_t;
typedef dim3 rmcp_dim3;
typedef hipMemoryAdvise rmcp_hipMemoryAdvise;
typedef hipJitOption rmcp_hipJitOption;
typedef hipLaunchParams rmcp_hipLaunchParams;
typedef hsa_status_t rmcp_hsa_status_t;
typedef hsa_agent_t rmcp_hsa_agent_t;
typedef hsa_amd_memory_pool_t rmcp_hsa_pool_t;
typedef hsa_amd_memory_pool_info_t rmcp_hsa_pool_info_t;
typedef hsa_agent_info_t rmcp_hsa_agent_info_t;
#else
typedef int rmcp_hipError_t;			/* enum hipError_t */
typedef struct { uint32_t x, y, z; } rmcp_dim3;
typedef int rmcp_hipMemoryAdvise;		/* enum hipMemoryAdvise */
typedef int rmcp_hipJitOption;			/* enum hipJitOption */
typedef struct {
	void *func;
	rmcp_dim3 gridDim, blockDim;
	void **args;
	size_t sharedMem;
	struct ihipStream_t *stream;
} rmcp_hipLaunchParams;
typedef int rmcp_hsa_status_t;			/* enum hsa_status_t */
typedef struct { uint64_t handle; } rmcp_hsa_agent_t;
typedef struct { uint64_t handle; } rmcp_hsa_pool_t;
typedef int rmcp_hsa_pool_info_t;		/* enum hsa_amd_memory_pool_info_t */
typedef int rmcp_hsa_agent_info_t;		/* enum hsa_agent_info_t */
#endif

/* Opaque handles: the same struct tags as the real headers, so the types are identical. */
typedef struct ihipStream_t *rmcp_hipStream_t;
typedef struct ihipEvent_t *rmcp_hipEvent_t;
typedef struct ihipModule_t *rmcp_hipModule_t;
typedef struct ihipModuleSymbol_t *rmcp_hipFunction_t;

/* hipError_t values (hip_runtime_api.h) */
#define RMCP_hipSuccess 0
#define RMCP_hipErrorInvalidValue 1
#define RMCP_hipErrorNotInitialized 3
#define RMCP_hipErrorInvalidDeviceFunction 98
#define RMCP_hipErrorNotSupported 801

/* hipHostMalloc / hipHostAlloc / hipExtHostAlloc flags (interposer.md §1) */
#define RMCP_hipHostMallocDefault 0x0u
#define RMCP_hipHostMallocPortable 0x1u
#define RMCP_hipHostMallocMapped 0x2u
#define RMCP_hipHostMallocWriteCombined 0x4u
#define RMCP_hipHostMallocUncached 0x10000000u	/* HIP 7.0+ */
#define RMCP_hipHostMallocNumaUser 0x20000000u
#define RMCP_hipHostMallocCoherent 0x40000000u
#define RMCP_hipHostMallocNonCoherent 0x80000000u
/* hipExtMallocWithFlags: compared with ==, not a bitmask */
#define RMCP_hipDeviceMallocDefault 0u
#define RMCP_hipDeviceMallocFinegrained 1u
#define RMCP_hipMallocSignalMemory 2u
#define RMCP_hipDeviceMallocUncached 3u		/* HIP 5.5+ */
#define RMCP_hipDeviceMallocContiguous 4u	/* HIP 6.2+ */
/* hipMemoryAdvise */
#define RMCP_hipMemAdviseSetCoarseGrain 100

/* HSA (hsa.h, hsa_ext_amd.h) */
#define RMCP_HSA_STATUS_SUCCESS 0x0
#define RMCP_HSA_STATUS_INFO_BREAK 0x1
#define RMCP_HSA_STATUS_ERROR_NOT_INITIALIZED 0x100B
#define RMCP_HSA_AMD_MEMORY_POOL_INFO_SEGMENT 0
#define RMCP_HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS 1
#define RMCP_HSA_AMD_SEGMENT_GLOBAL 0
#define RMCP_HSA_AGENT_INFO_DEVICE 17
#define RMCP_HSA_DEVICE_TYPE_CPU 0
#define RMCP_HSA_DEVICE_TYPE_GPU 1
#define RMCP_HSA_POOL_FLAG_KERNARG_INIT 1u
#define RMCP_HSA_POOL_FLAG_FINE_GRAINED 2u
#define RMCP_HSA_POOL_FLAG_COARSE_GRAINED 4u
#define RMCP_HSA_POOL_FLAG_EXTENDED_SCOPE_FINE_GRAINED 8u	/* ROCm 5.7+ */

/* __CudaFatBinaryWrapper in .hipFatBinSegment (binaries.md §1.3; clr hip_platform.cpp). */
#define RMCP_HIP_FATBIN_MAGIC 0x48495046u	/* "HIPF" */
struct rmcp_fatbin_wrapper {
	uint32_t magic;
	uint32_t version;
	const void *binary;
	void *dummy;
};

/*
 * Every hooked entry point: X(ret, name, params, args). The list drives the real-symbol
 * slots, their names, and the hipGetProcAddress substitution table; the hooks themselves are
 * written out by hand in the hooks_*.c files.
 */
#define RMCP_HOOKS_HIP(X) \
	X(void **, __hipRegisterFatBinary, (const void *data), (data)) \
	X(void, __hipRegisterFunction, (void **modules, const void *hostFunction, \
		char *deviceFunction, const char *deviceName, unsigned int threadLimit, void *tid, \
		void *bid, rmcp_dim3 *blockDim, rmcp_dim3 *gridDim, int *wSize), \
		(modules, hostFunction, deviceFunction, deviceName, threadLimit, tid, bid, blockDim, \
		 gridDim, wSize)) \
	X(void, __hipUnregisterFatBinary, (void **modules), (modules)) \
	X(rmcp_hipError_t, hipModuleLoad, (rmcp_hipModule_t *module, const char *fname), \
		(module, fname)) \
	X(rmcp_hipError_t, hipModuleLoadData, (rmcp_hipModule_t *module, const void *image), \
		(module, image)) \
	X(rmcp_hipError_t, hipModuleLoadDataEx, (rmcp_hipModule_t *module, const void *image, \
		unsigned int numOptions, rmcp_hipJitOption *options, void **optionValues), \
		(module, image, numOptions, options, optionValues)) \
	X(rmcp_hipError_t, hipModuleUnload, (rmcp_hipModule_t module), (module)) \
	X(rmcp_hipError_t, hipModuleGetFunction, (rmcp_hipFunction_t *function, \
		rmcp_hipModule_t module, const char *kname), (function, module, kname)) \
	X(rmcp_hipError_t, hipLaunchKernel, (const void *function_address, rmcp_dim3 numBlocks, \
		rmcp_dim3 dimBlocks, void **args, size_t sharedMemBytes, rmcp_hipStream_t stream), \
		(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream)) \
	X(rmcp_hipError_t, hipLaunchKernel_spt, (const void *function_address, \
		rmcp_dim3 numBlocks, rmcp_dim3 dimBlocks, void **args, size_t sharedMemBytes, \
		rmcp_hipStream_t stream), \
		(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream)) \
	X(rmcp_hipError_t, hipExtLaunchKernel, (const void *function_address, \
		rmcp_dim3 numBlocks, rmcp_dim3 dimBlocks, void **args, size_t sharedMemBytes, \
		rmcp_hipStream_t stream, rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent, \
		int flags), (function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream, \
		startEvent, stopEvent, flags)) \
	X(rmcp_hipError_t, hipLaunchCooperativeKernel, (const void *f, rmcp_dim3 gridDim, \
		rmcp_dim3 blockDimX, void **kernelParams, unsigned int sharedMemBytes, \
		rmcp_hipStream_t stream), (f, gridDim, blockDimX, kernelParams, sharedMemBytes, \
		stream)) \
	X(rmcp_hipError_t, hipLaunchCooperativeKernel_spt, (const void *f, rmcp_dim3 gridDim, \
		rmcp_dim3 blockDim, void **kernelParams, uint32_t sharedMemBytes, \
		rmcp_hipStream_t hStream), (f, gridDim, blockDim, kernelParams, sharedMemBytes, \
		hStream)) \
	X(rmcp_hipError_t, hipLaunchCooperativeKernelMultiDevice, \
		(rmcp_hipLaunchParams *launchParamsList, int numDevices, unsigned int flags), \
		(launchParamsList, numDevices, flags)) \
	X(rmcp_hipError_t, hipExtLaunchMultiKernelMultiDevice, \
		(rmcp_hipLaunchParams *launchParamsList, int numDevices, unsigned int flags), \
		(launchParamsList, numDevices, flags)) \
	X(rmcp_hipError_t, hipLaunchByPtr, (const void *func), (func)) \
	X(rmcp_hipError_t, hipModuleLaunchKernel, (rmcp_hipFunction_t f, unsigned int gridDimX, \
		unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, \
		unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, \
		rmcp_hipStream_t stream, void **kernelParams, void **extra), \
		(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
		 stream, kernelParams, extra)) \
	X(rmcp_hipError_t, hipModuleLaunchCooperativeKernel, (rmcp_hipFunction_t f, \
		unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
		unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, \
		unsigned int sharedMemBytes, rmcp_hipStream_t stream, void **kernelParams), \
		(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
		 stream, kernelParams)) \
	X(rmcp_hipError_t, hipExtModuleLaunchKernel, (rmcp_hipFunction_t f, \
		uint32_t globalWorkSizeX, uint32_t globalWorkSizeY, uint32_t globalWorkSizeZ, \
		uint32_t localWorkSizeX, uint32_t localWorkSizeY, uint32_t localWorkSizeZ, \
		size_t sharedMemBytes, rmcp_hipStream_t hStream, void **kernelParams, void **extra, \
		rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent, uint32_t flags), \
		(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, \
		 localWorkSizeY, localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, \
		 startEvent, stopEvent, flags)) \
	X(rmcp_hipError_t, hipHccModuleLaunchKernel, (rmcp_hipFunction_t f, \
		uint32_t globalWorkSizeX, uint32_t globalWorkSizeY, uint32_t globalWorkSizeZ, \
		uint32_t localWorkSizeX, uint32_t localWorkSizeY, uint32_t localWorkSizeZ, \
		size_t sharedMemBytes, rmcp_hipStream_t hStream, void **kernelParams, void **extra, \
		rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent), \
		(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, \
		 localWorkSizeY, localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, \
		 startEvent, stopEvent)) \
	X(rmcp_hipError_t, hipLaunchKernelExC, (const void *config, const void *fPtr, \
		void **args), (config, fPtr, args)) \
	X(rmcp_hipError_t, hipDrvLaunchKernelEx, (const void *config, rmcp_hipFunction_t f, \
		void **params, void **extra), (config, f, params, extra)) \
	X(rmcp_hipError_t, hipGetLastError, (void), ()) \
	X(rmcp_hipError_t, hipPeekAtLastError, (void), ()) \
	X(rmcp_hipError_t, hipHostMalloc, (void **ptr, size_t size, unsigned int flags), \
		(ptr, size, flags)) \
	X(rmcp_hipError_t, hipHostAlloc, (void **ptr, size_t size, unsigned int flags), \
		(ptr, size, flags)) \
	X(rmcp_hipError_t, hipExtHostAlloc, (void **ptr, size_t size, unsigned int flags), \
		(ptr, size, flags)) \
	X(rmcp_hipError_t, hipExtMallocWithFlags, (void **ptr, size_t sizeBytes, \
		unsigned int flags), (ptr, sizeBytes, flags)) \
	X(rmcp_hipError_t, hipMallocManaged, (void **dev_ptr, size_t size, unsigned int flags), \
		(dev_ptr, size, flags)) \
	X(rmcp_hipError_t, hipHostRegister, (void *hostPtr, size_t sizeBytes, \
		unsigned int flags), (hostPtr, sizeBytes, flags)) \
	X(rmcp_hipError_t, hipGetProcAddress, (const char *symbol, void **pfn, int hipVersion, \
		uint64_t flags, void *symbolStatus), (symbol, pfn, hipVersion, flags, symbolStatus)) \
	X(rmcp_hipError_t, hipGetDriverEntryPoint, (const char *symbol, void **funcPtr, \
		unsigned long long flags, void *status), (symbol, funcPtr, flags, status))

/* C++-mangled entry points (hip_ext.h / functional_grid_launch.hpp declare them without
 * extern "C"): X(ret, c_name, symbol, params, args). */
#define RMCP_HOOKS_HIP_CXX(X) \
	X(rmcp_hipError_t, hipExtModuleLaunchKernel_cxx, \
		"_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j", \
		(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY, \
		uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY, \
		uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream, \
		void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, \
		rmcp_hipEvent_t stopEvent, uint32_t flags), \
		(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, \
		 localWorkSizeY, localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, \
		 startEvent, stopEvent, flags)) \
	X(rmcp_hipError_t, hipHccModuleLaunchKernel_cxx, \
		"_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_", \
		(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY, \
		uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY, \
		uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream, \
		void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, \
		rmcp_hipEvent_t stopEvent), \
		(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, \
		 localWorkSizeY, localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, \
		 startEvent, stopEvent)) \
	X(void, hipLaunchKernelGGLImpl_cxx, \
		"_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv", \
		(uintptr_t function_address, const rmcp_dim3 *numBlocks, const rmcp_dim3 *dimBlocks, \
		uint32_t sharedMemBytes, rmcp_hipStream_t stream, void **kernarg), \
		(function_address, numBlocks, dimBlocks, sharedMemBytes, stream, kernarg))

/* Real functions the preload calls but does not hook. */
#define RMCP_CALLS_HIP(X) \
	X(rmcp_hipError_t, hipMemAdvise, (const void *dev_ptr, size_t count, \
		rmcp_hipMemoryAdvise advice, int device), (dev_ptr, count, advice, device)) \
	X(rmcp_hipError_t, hipGetDevice, (int *deviceId), (deviceId)) \
	X(rmcp_hipError_t, hipInit, (unsigned int flags), (flags))

#define RMCP_HOOKS_HSA(X) \
	X(rmcp_hsa_status_t, hsa_amd_memory_pool_allocate, (rmcp_hsa_pool_t memory_pool, \
		size_t size, uint32_t flags, void **ptr), (memory_pool, size, flags, ptr)) \
	X(rmcp_hsa_status_t, hsa_amd_memory_lock_to_pool, (void *host_ptr, size_t size, \
		rmcp_hsa_agent_t *agents, int num_agent, rmcp_hsa_pool_t pool, uint32_t flags, \
		void **agent_ptr), (host_ptr, size, agents, num_agent, pool, flags, agent_ptr))

#define RMCP_CALLS_HSA(X) \
	X(rmcp_hsa_status_t, hsa_iterate_agents, (rmcp_hsa_status_t (*callback)( \
		rmcp_hsa_agent_t agent, void *data), void *data), (callback, data)) \
	X(rmcp_hsa_status_t, hsa_amd_agent_iterate_memory_pools, (rmcp_hsa_agent_t agent, \
		rmcp_hsa_status_t (*callback)(rmcp_hsa_pool_t memory_pool, void *data), void *data), \
		(agent, callback, data)) \
	X(rmcp_hsa_status_t, hsa_amd_memory_pool_get_info, (rmcp_hsa_pool_t memory_pool, \
		rmcp_hsa_pool_info_t attribute, void *value), (memory_pool, attribute, value)) \
	X(rmcp_hsa_status_t, hsa_agent_get_info, (rmcp_hsa_agent_t agent, \
		rmcp_hsa_agent_info_t attribute, void *value), (agent, attribute, value))

/* Function pointer types rmcp_fn_<name>. */
#define RMCP_FN_TYPE(ret, name, params, args) typedef ret(*rmcp_fn_##name) params;
#define RMCP_FN_TYPE_CXX(ret, name, sym, params, args) typedef ret(*rmcp_fn_##name) params;
RMCP_HOOKS_HIP(RMCP_FN_TYPE)
RMCP_HOOKS_HIP_CXX(RMCP_FN_TYPE_CXX)
RMCP_CALLS_HIP(RMCP_FN_TYPE)
RMCP_HOOKS_HSA(RMCP_FN_TYPE)
RMCP_CALLS_HSA(RMCP_FN_TYPE)
#undef RMCP_FN_TYPE
#undef RMCP_FN_TYPE_CXX

#endif
