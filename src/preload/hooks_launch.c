/* SPDX-License-Identifier: MIT */
/*
 * Launch entry points. The hot path: resolve (one acquire load), enter (thread-local
 * counter), probe the guard's map (one acquire load; empty unless some registered kernel
 * cannot run), call the real function. PyTorch launches tens of thousands of kernels a
 * second; bench/preload.sh measures what this adds.
 *
 * hipLaunchKernelGGL reaches hipLaunchKernel (HIP-Clang: <<<>>> and the template form,
 * amd_hip_runtime.h); the older functional form reaches hip_impl::hipLaunchKernelGGLImpl.
 */
#include "guard.h"
#include "preload.h"

#include "banned.h"

/* hipGetLastError returns and clears the last error: ours if a launch was refused since the
 * last call (the runtime's is cleared too, so the next call starts clean), else the runtime's. */
RMCP_EXPORT rmcp_hipError_t hipGetLastError(void)
{
	rmcp_fn_hipGetLastError real = RMCP_REAL(hipGetLastError);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipGetLastError);
	rmcp_hipError_t mine = rmcp_refused_error;
	rmcp_depth++;
	rmcp_hipError_t rc = real();
	rmcp_depth--;
	if (RMCP_UNLIKELY(mine != RMCP_hipSuccess)) {
		rmcp_refused_error = RMCP_hipSuccess;
		return mine;
	}
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipPeekAtLastError(void)
{
	rmcp_fn_hipPeekAtLastError real = RMCP_REAL(hipPeekAtLastError);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipPeekAtLastError);
	if (RMCP_UNLIKELY(rmcp_refused_error != RMCP_hipSuccess))
		return rmcp_refused_error;
	rmcp_depth++;
	rmcp_hipError_t rc = real();
	rmcp_depth--;
	return rc;
}

/* The body of every launch hook: check the kernel `key`, then call the real entry point. */
#define RMCP_LAUNCH_BODY(ret, name, args, key) \
	{ \
		rmcp_fn_##name real = RMCP_REAL(name); \
		if (RMCP_UNLIKELY(!real)) \
			return rmcp_missing_hip(RMCP_REAL_##name); \
		if (rmcp_enter()) { \
			RMCP_SEEN(RMCP_HOOK_##name); \
			rmcp_hipError_t refuse = rmcp_guard_launch((const void *)(key), RMCP_HOOK_##name); \
			if (RMCP_UNLIKELY(refuse != RMCP_hipSuccess)) { \
				rmcp_leave(); \
				return refuse; \
			} \
		} \
		ret rc = real args; \
		rmcp_leave(); \
		return rc; \
	}

/* A hook for a launch whose kernel is `key`. */
#define RMCP_LAUNCH_HOOK(ret, name, params, args, key) \
	RMCP_EXPORT ret name params \
	RMCP_LAUNCH_BODY(ret, name, args, key)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchKernel,
	(const void *function_address, rmcp_dim3 numBlocks, rmcp_dim3 dimBlocks, void **args,
	 size_t sharedMemBytes, rmcp_hipStream_t stream),
	(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream), function_address)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchKernel_spt,
	(const void *function_address, rmcp_dim3 numBlocks, rmcp_dim3 dimBlocks, void **args,
	 size_t sharedMemBytes, rmcp_hipStream_t stream),
	(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream), function_address)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipExtLaunchKernel,
	(const void *function_address, rmcp_dim3 numBlocks, rmcp_dim3 dimBlocks, void **args,
	 size_t sharedMemBytes, rmcp_hipStream_t stream, rmcp_hipEvent_t startEvent,
	 rmcp_hipEvent_t stopEvent, int flags),
	(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream, startEvent,
	 stopEvent, flags), function_address)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchCooperativeKernel,
	(const void *f, rmcp_dim3 gridDim, rmcp_dim3 blockDimX, void **kernelParams,
	 unsigned int sharedMemBytes, rmcp_hipStream_t stream),
	(f, gridDim, blockDimX, kernelParams, sharedMemBytes, stream), f)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchCooperativeKernel_spt,
	(const void *f, rmcp_dim3 gridDim, rmcp_dim3 blockDim, void **kernelParams,
	 uint32_t sharedMemBytes, rmcp_hipStream_t hStream),
	(f, gridDim, blockDim, kernelParams, sharedMemBytes, hStream), f)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchByPtr, (const void *func), (func), func)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipModuleLaunchKernel,
	(rmcp_hipFunction_t f, unsigned int gridDimX, unsigned int gridDimY,
	 unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
	 unsigned int blockDimZ, unsigned int sharedMemBytes, rmcp_hipStream_t stream,
	 void **kernelParams, void **extra),
	(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, stream,
	 kernelParams, extra), f)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipModuleLaunchCooperativeKernel,
	(rmcp_hipFunction_t f, unsigned int gridDimX, unsigned int gridDimY,
	 unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
	 unsigned int blockDimZ, unsigned int sharedMemBytes, rmcp_hipStream_t stream,
	 void **kernelParams),
	(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, stream,
	 kernelParams), f)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipLaunchKernelExC,
	(const void *config, const void *fPtr, void **args), (config, fPtr, args), fPtr)

RMCP_LAUNCH_HOOK(rmcp_hipError_t, hipDrvLaunchKernelEx,
	(const void *config, rmcp_hipFunction_t f, void **params, void **extra),
	(config, f, params, extra), f)

/* The C++ entry points, under their mangled names (hipabi.h). */
#define RMCP_LAUNCH_HOOK_CXX(ret, name, sym, params, args, key) \
	RMCP_EXPORT ret rmcp_hook_##name params __asm__(sym); \
	RMCP_EXPORT ret rmcp_hook_##name params \
	RMCP_LAUNCH_BODY(ret, name, args, key)

RMCP_LAUNCH_HOOK_CXX(rmcp_hipError_t, hipExtModuleLaunchKernel_cxx,
	"_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j",
	(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY,
	 uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY,
	 uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream,
	 void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent,
	 uint32_t flags),
	(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, localWorkSizeY,
	 localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, startEvent, stopEvent, flags),
	f)

RMCP_LAUNCH_HOOK_CXX(rmcp_hipError_t, hipHccModuleLaunchKernel_cxx,
	"_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_",
	(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY,
	 uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY,
	 uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream,
	 void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent),
	(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, localWorkSizeY,
	 localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, startEvent, stopEvent), f)

/*
 * The extern "C" spellings some releases export besides (or instead of) the mangled ones.
 * When the runtime has only the mangled symbol, call that: both are the same function.
 */
#define RMCP_LAUNCH_HOOK_C_OR_CXX(name, params, args) \
	RMCP_EXPORT rmcp_hipError_t name params \
	{ \
		rmcp_fn_##name real = (rmcp_fn_##name)rmcp_real(RMCP_REAL_##name); \
		if (!real) \
			real = (rmcp_fn_##name)rmcp_real(RMCP_REAL_##name##_cxx); \
		if (RMCP_UNLIKELY(!real)) \
			return rmcp_missing_hip(RMCP_REAL_##name); \
		if (rmcp_enter()) { \
			RMCP_SEEN(RMCP_HOOK_##name); \
			rmcp_hipError_t refuse = rmcp_guard_launch((const void *)f, RMCP_HOOK_##name); \
			if (RMCP_UNLIKELY(refuse != RMCP_hipSuccess)) { \
				rmcp_leave(); \
				return refuse; \
			} \
		} \
		rmcp_hipError_t rc = real args; \
		rmcp_leave(); \
		return rc; \
	}

RMCP_LAUNCH_HOOK_C_OR_CXX(hipExtModuleLaunchKernel,
	(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY,
	 uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY,
	 uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream,
	 void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent,
	 uint32_t flags),
	(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, localWorkSizeY,
	 localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, startEvent, stopEvent, flags))

RMCP_LAUNCH_HOOK_C_OR_CXX(hipHccModuleLaunchKernel,
	(rmcp_hipFunction_t f, uint32_t globalWorkSizeX, uint32_t globalWorkSizeY,
	 uint32_t globalWorkSizeZ, uint32_t localWorkSizeX, uint32_t localWorkSizeY,
	 uint32_t localWorkSizeZ, size_t sharedMemBytes, rmcp_hipStream_t hStream,
	 void **kernelParams, void **extra, rmcp_hipEvent_t startEvent, rmcp_hipEvent_t stopEvent),
	(f, globalWorkSizeX, globalWorkSizeY, globalWorkSizeZ, localWorkSizeX, localWorkSizeY,
	 localWorkSizeZ, sharedMemBytes, hStream, kernelParams, extra, startEvent, stopEvent))

/* Multi-device launches: refused as a whole if any of their kernels is. */
#define RMCP_LAUNCH_HOOK_MULTI(name) \
	RMCP_EXPORT rmcp_hipError_t name(rmcp_hipLaunchParams *launchParamsList, int numDevices, \
					 unsigned int flags) \
	{ \
		rmcp_fn_##name real = RMCP_REAL(name); \
		if (RMCP_UNLIKELY(!real)) \
			return rmcp_missing_hip(RMCP_REAL_##name); \
		if (rmcp_enter()) { \
			RMCP_SEEN(RMCP_HOOK_##name); \
			for (int i = 0; launchParamsList && i < numDevices; i++) { \
				rmcp_hipError_t refuse = rmcp_guard_launch( \
					launchParamsList[i].func, RMCP_HOOK_##name); \
				if (refuse != RMCP_hipSuccess) { \
					rmcp_leave(); \
					return refuse; \
				} \
			} \
		} \
		rmcp_hipError_t rc = real(launchParamsList, numDevices, flags); \
		rmcp_leave(); \
		return rc; \
	}

RMCP_LAUNCH_HOOK_MULTI(hipLaunchCooperativeKernelMultiDevice)
RMCP_LAUNCH_HOOK_MULTI(hipExtLaunchMultiKernelMultiDevice)

/* hip_impl::hipLaunchKernelGGLImpl returns nothing: a refused launch is dropped and logged
 * (the same line as every refusal); there is no error code to hand back. */
RMCP_EXPORT void rmcp_hook_hipLaunchKernelGGLImpl_cxx(uintptr_t function_address,
						      const rmcp_dim3 *numBlocks,
						      const rmcp_dim3 *dimBlocks,
						      uint32_t sharedMemBytes,
						      rmcp_hipStream_t stream, void **kernarg)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");
RMCP_EXPORT void rmcp_hook_hipLaunchKernelGGLImpl_cxx(uintptr_t function_address,
						      const rmcp_dim3 *numBlocks,
						      const rmcp_dim3 *dimBlocks,
						      uint32_t sharedMemBytes,
						      rmcp_hipStream_t stream, void **kernarg)
{
	rmcp_fn_hipLaunchKernelGGLImpl_cxx real = RMCP_REAL(hipLaunchKernelGGLImpl_cxx);
	if (RMCP_UNLIKELY(!real)) {
		rmcp_missing_hip(RMCP_REAL_hipLaunchKernelGGLImpl_cxx);
		return;
	}
	if (rmcp_enter()) {
		RMCP_SEEN(RMCP_HOOK_hipLaunchKernelGGLImpl_cxx);
		if (rmcp_guard_launch((const void *)function_address,
				      RMCP_HOOK_hipLaunchKernelGGLImpl_cxx) != RMCP_hipSuccess) {
			rmcp_leave();
			return;
		}
	}
	real(function_address, numBlocks, dimBlocks, sharedMemBytes, stream, kernarg);
	rmcp_leave();
}
