/* SPDX-License-Identifier: MIT */
/*
 * Where GPU code enters the process: the compiler's registration calls (clang emits a module
 * constructor that calls __hipRegisterFatBinary with the __CudaFatBinaryWrapper, then
 * __hipRegisterFunction per kernel: CGCUDANV.cpp) and the module API (hipModuleLoad*, used by
 * rocBLAS/Tensile, MIOpen, hipRTC users). The real call runs first, unchanged; the guard
 * judges afterwards, so an image the guard cannot read is simply not judged (fail open).
 */
#include "guard.h"
#include "preload.h"

#include "banned.h"

RMCP_EXPORT void **__hipRegisterFatBinary(const void *data)
{
	rmcp_fn___hipRegisterFatBinary real = RMCP_REAL(__hipRegisterFatBinary);
	if (RMCP_UNLIKELY(!real)) {
		rmcp_missing_hip(RMCP_REAL___hipRegisterFatBinary);
		return NULL;
	}
	bool top = rmcp_enter();
	void **handle = real(data);
	if (top) {
		RMCP_SEEN(RMCP_HOOK___hipRegisterFatBinary);
		rmcp_guard_fatbin(data, handle);
	}
	rmcp_leave();
	return handle;
}

RMCP_EXPORT void __hipRegisterFunction(void **modules, const void *hostFunction,
				       char *deviceFunction, const char *deviceName,
				       unsigned int threadLimit, void *tid, void *bid,
				       rmcp_dim3 *blockDim, rmcp_dim3 *gridDim, int *wSize)
{
	rmcp_fn___hipRegisterFunction real = RMCP_REAL(__hipRegisterFunction);
	if (RMCP_UNLIKELY(!real)) {
		rmcp_missing_hip(RMCP_REAL___hipRegisterFunction);
		return;
	}
	bool top = rmcp_enter();
	real(modules, hostFunction, deviceFunction, deviceName, threadLimit, tid, bid, blockDim,
	     gridDim, wSize);
	if (top) {
		RMCP_SEEN(RMCP_HOOK___hipRegisterFunction);
		rmcp_guard_function(modules, hostFunction, deviceName);
	}
	rmcp_leave();
}

RMCP_EXPORT void __hipUnregisterFatBinary(void **modules)
{
	rmcp_fn___hipUnregisterFatBinary real = RMCP_REAL(__hipUnregisterFatBinary);
	if (RMCP_UNLIKELY(!real)) {
		rmcp_missing_hip(RMCP_REAL___hipUnregisterFatBinary);
		return;
	}
	/* Forget first: after this call the host stubs may be unmapped and their addresses
	 * reused by the next library. */
	if (rmcp_enter()) {
		RMCP_SEEN(RMCP_HOOK___hipUnregisterFatBinary);
		rmcp_guard_forget(modules);
	}
	real(modules);
	rmcp_leave();
}

RMCP_EXPORT rmcp_hipError_t hipModuleLoad(rmcp_hipModule_t *module, const char *fname)
{
	rmcp_fn_hipModuleLoad real = RMCP_REAL(hipModuleLoad);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipModuleLoad);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(module, fname);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipModuleLoad);
		if (rc == RMCP_hipSuccess && module)
			rmcp_guard_module_file(*module, fname);
	}
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipModuleLoadData(rmcp_hipModule_t *module, const void *image)
{
	rmcp_fn_hipModuleLoadData real = RMCP_REAL(hipModuleLoadData);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipModuleLoadData);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(module, image);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipModuleLoadData);
		if (rc == RMCP_hipSuccess && module)
			rmcp_guard_module_memory(*module, image, __builtin_return_address(0));
	}
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipModuleLoadDataEx(rmcp_hipModule_t *module, const void *image,
						unsigned int numOptions,
						rmcp_hipJitOption *options, void **optionValues)
{
	rmcp_fn_hipModuleLoadDataEx real = RMCP_REAL(hipModuleLoadDataEx);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipModuleLoadDataEx);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(module, image, numOptions, options, optionValues);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipModuleLoadDataEx);
		if (rc == RMCP_hipSuccess && module)
			rmcp_guard_module_memory(*module, image, __builtin_return_address(0));
	}
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipModuleUnload(rmcp_hipModule_t module)
{
	rmcp_fn_hipModuleUnload real = RMCP_REAL(hipModuleUnload);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipModuleUnload);
	if (rmcp_enter()) {
		RMCP_SEEN(RMCP_HOOK_hipModuleUnload);
		rmcp_guard_forget(module);
	}
	rmcp_hipError_t rc = real(module);
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipModuleGetFunction(rmcp_hipFunction_t *function,
						 rmcp_hipModule_t module, const char *kname)
{
	rmcp_fn_hipModuleGetFunction real = RMCP_REAL(hipModuleGetFunction);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipModuleGetFunction);
	bool top = rmcp_enter();
	rmcp_hipError_t rc = real(function, module, kname);
	if (top) {
		RMCP_SEEN(RMCP_HOOK_hipModuleGetFunction);
		if (rc == RMCP_hipSuccess && function)
			rmcp_guard_module_function(module, *function, kname);
	}
	rmcp_leave();
	return rc;
}
