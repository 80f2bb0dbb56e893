/* SPDX-License-Identifier: MIT */
/*
 * The preload's view of the HIP/HSA ABI against the real thing:
 *   - at compile time, every hooked or called function in src/preload/hipabi.h has exactly the
 *     type of its declaration in Debian's hip/hip_runtime_api.h, hsa/hsa.h and
 *     hsa/hsa_ext_amd.h (functions those 5.2 headers do not declare are exercised against the
 *     test double instead), and every flag value matches;
 *   - the preload's own struct layouts (used without the real headers) match the real ones;
 *   - librmcp.so exports exactly the hooks (nm -D) and needs no ROCm library (readelf -d).
 */
#define __HIP_PLATFORM_AMD__ 1
#include <hip/hip_runtime_api.h>
#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>

#define RMCP_ABI_REAL 1
#include "hipabi.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "abi_default.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define SAME_TYPE(name) \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&name), rmcp_fn_##name), \
		       #name " differs from the real declaration");
SAME_TYPE(hipModuleLoad)
SAME_TYPE(hipModuleLoadData)
SAME_TYPE(hipModuleLoadDataEx)
SAME_TYPE(hipModuleUnload)
SAME_TYPE(hipModuleGetFunction)
SAME_TYPE(hipLaunchKernel)
SAME_TYPE(hipLaunchKernel_spt)
SAME_TYPE(hipExtLaunchKernel)
SAME_TYPE(hipLaunchCooperativeKernel)
SAME_TYPE(hipLaunchCooperativeKernel_spt)
SAME_TYPE(hipLaunchCooperativeKernelMultiDevice)
SAME_TYPE(hipExtLaunchMultiKernelMultiDevice)
SAME_TYPE(hipLaunchByPtr)
SAME_TYPE(hipModuleLaunchKernel)
SAME_TYPE(hipGetLastError)
SAME_TYPE(hipPeekAtLastError)
SAME_TYPE(hipHostMalloc)
SAME_TYPE(hipHostAlloc)
SAME_TYPE(hipExtMallocWithFlags)
SAME_TYPE(hipMallocManaged)
SAME_TYPE(hipHostRegister)
SAME_TYPE(hipMemAdvise)
SAME_TYPE(hipGetDevice)
SAME_TYPE(hipInit)
SAME_TYPE(hsa_amd_memory_pool_allocate)
SAME_TYPE(hsa_amd_memory_lock_to_pool)
SAME_TYPE(hsa_iterate_agents)
SAME_TYPE(hsa_amd_agent_iterate_memory_pools)
SAME_TYPE(hsa_amd_memory_pool_get_info)
SAME_TYPE(hsa_agent_get_info)

#define SAME_VALUE(ours, real) _Static_assert((ours) == (real), #ours " != " #real);
SAME_VALUE(RMCP_hipSuccess, hipSuccess)
SAME_VALUE(RMCP_hipErrorInvalidValue, hipErrorInvalidValue)
SAME_VALUE(RMCP_hipErrorNotInitialized, hipErrorNotInitialized)
SAME_VALUE(RMCP_hipErrorInvalidDeviceFunction, hipErrorInvalidDeviceFunction)
SAME_VALUE(RMCP_hipErrorNotSupported, hipErrorNotSupported)
SAME_VALUE(RMCP_hipHostMallocDefault, hipHostMallocDefault)
SAME_VALUE(RMCP_hipHostMallocPortable, hipHostMallocPortable)
SAME_VALUE(RMCP_hipHostMallocMapped, hipHostMallocMapped)
SAME_VALUE(RMCP_hipHostMallocWriteCombined, hipHostMallocWriteCombined)
SAME_VALUE(RMCP_hipHostMallocNumaUser, hipHostMallocNumaUser)
SAME_VALUE(RMCP_hipHostMallocCoherent, hipHostMallocCoherent)
SAME_VALUE(RMCP_hipHostMallocNonCoherent, hipHostMallocNonCoherent)
SAME_VALUE(RMCP_hipDeviceMallocDefault, hipDeviceMallocDefault)
SAME_VALUE(RMCP_hipDeviceMallocFinegrained, hipDeviceMallocFinegrained)
SAME_VALUE(RMCP_hipMallocSignalMemory, hipMallocSignalMemory)
SAME_VALUE(RMCP_hipMemAdviseSetCoarseGrain, hipMemAdviseSetCoarseGrain)
SAME_VALUE(RMCP_HSA_STATUS_SUCCESS, HSA_STATUS_SUCCESS)
SAME_VALUE(RMCP_HSA_STATUS_INFO_BREAK, HSA_STATUS_INFO_BREAK)
SAME_VALUE(RMCP_HSA_STATUS_ERROR_NOT_INITIALIZED, HSA_STATUS_ERROR_NOT_INITIALIZED)
SAME_VALUE(RMCP_HSA_AMD_MEMORY_POOL_INFO_SEGMENT, HSA_AMD_MEMORY_POOL_INFO_SEGMENT)
SAME_VALUE(RMCP_HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS, HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS)
SAME_VALUE(RMCP_HSA_AMD_SEGMENT_GLOBAL, HSA_AMD_SEGMENT_GLOBAL)
SAME_VALUE(RMCP_HSA_AGENT_INFO_DEVICE, HSA_AGENT_INFO_DEVICE)
SAME_VALUE(RMCP_HSA_DEVICE_TYPE_CPU, HSA_DEVICE_TYPE_CPU)
SAME_VALUE(RMCP_HSA_DEVICE_TYPE_GPU, HSA_DEVICE_TYPE_GPU)
SAME_VALUE(RMCP_HSA_POOL_FLAG_KERNARG_INIT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT)
SAME_VALUE(RMCP_HSA_POOL_FLAG_FINE_GRAINED, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED)
SAME_VALUE(RMCP_HSA_POOL_FLAG_COARSE_GRAINED, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED)

static void test_layouts(void **state)
{
	(void)state;
	assert_int_equal(abi_default_layout(ABI_DIM3_SIZE), sizeof(dim3));
	assert_int_equal(abi_default_layout(ABI_DIM3_Z), offsetof(dim3, z));
	assert_int_equal(abi_default_layout(ABI_LP_SIZE), sizeof(hipLaunchParams));
	assert_int_equal(abi_default_layout(ABI_LP_GRID), offsetof(hipLaunchParams, gridDim));
	assert_int_equal(abi_default_layout(ABI_LP_BLOCK), offsetof(hipLaunchParams, blockDim));
	assert_int_equal(abi_default_layout(ABI_LP_ARGS), offsetof(hipLaunchParams, args));
	assert_int_equal(abi_default_layout(ABI_LP_SHMEM), offsetof(hipLaunchParams, sharedMem));
	assert_int_equal(abi_default_layout(ABI_LP_STREAM), offsetof(hipLaunchParams, stream));
	assert_int_equal(abi_default_layout(ABI_ERROR_SIZE), sizeof(hipError_t));
	assert_int_equal(abi_default_layout(ABI_HSA_STATUS_SIZE), sizeof(hsa_status_t));
	assert_int_equal(abi_default_layout(ABI_POOL_SIZE), sizeof(hsa_amd_memory_pool_t));
	assert_int_equal(abi_default_layout(ABI_AGENT_SIZE), sizeof(hsa_agent_t));
	assert_int_equal(abi_default_layout(ABI_ADVISE_SIZE), sizeof(hipMemoryAdvise));
	assert_int_equal(abi_default_layout(ABI_POOL_INFO_SIZE), sizeof(hsa_amd_memory_pool_info_t));
}

static char *capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0)
		len += n;
	buf[len] = '\0';
	assert_int_equal(WEXITSTATUS(pclose(p)), 0);
	return buf;
}

static const char *const expected_exports[] = {
#define RMCP_NAME(ret, name, params, args) #name,
#define RMCP_NAME_CXX(ret, name, sym, params, args) sym,
	RMCP_HOOKS_HIP(RMCP_NAME)
	RMCP_HOOKS_HIP_CXX(RMCP_NAME_CXX)
	RMCP_HOOKS_HSA(RMCP_NAME)
#undef RMCP_NAME
#undef RMCP_NAME_CXX
};

/* The hooks the issue asks for, by name: the X-list above must contain them. */
static const char *const required[] = {
	"__hipRegisterFatBinary", "__hipRegisterFunction", "hipModuleLoad", "hipModuleLoadData",
	"hipModuleLoadDataEx", "hipModuleGetFunction", "hipLaunchKernel", "hipModuleLaunchKernel",
	"hipExtModuleLaunchKernel", "hipLaunchCooperativeKernel", "hipExtLaunchKernel",
	"hipHostMalloc", "hipHostAlloc", "hipExtHostAlloc", "hipExtMallocWithFlags",
	"hipMallocManaged", "hsa_amd_memory_lock_to_pool", "hsa_amd_memory_pool_allocate",
	"hipGetProcAddress", "hipGetDriverEntryPoint",
	"_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j",
};

static void test_exports(void **state)
{
	(void)state;
	const char *lib = getenv("RMCP_PRELOAD_LIB");
	assert_non_null(lib);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s -D --defined-only --format=posix '%s'", getenv("RMCP_NM"), lib);
	char *out = capture(cmd);
	size_t n = sizeof(expected_exports) / sizeof(expected_exports[0]);
	size_t seen = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (!sp || sp[1] != 'T')
			continue;
		*sp = '\0';
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= strcmp(line, expected_exports[i]) == 0;
		if (!known)
			fprintf(stderr, "unexpected export: %s\n", line);
		assert_true(known);
		seen++;
	}
	assert_int_equal(seen, n);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		bool in = false;
		for (size_t j = 0; j < n; j++)
			in |= strcmp(required[i], expected_exports[j]) == 0;
		if (!in)
			fprintf(stderr, "missing hook: %s\n", required[i]);
		assert_true(in);
	}
	/* never an answer about pools that differs from the runtime's: not hooked at all */
	for (size_t j = 0; j < n; j++)
		assert_string_not_equal(expected_exports[j], "hsa_amd_memory_pool_get_info");
	free(out);
	snprintf(cmd, sizeof(cmd), "%s -dW '%s'", getenv("RMCP_READELF"), lib);
	out = capture(cmd);
	assert_non_null(strstr(out, "(NEEDED)"));
	assert_null(strstr(out, "amdhip"));
	assert_null(strstr(out, "hsa-runtime"));
	assert_null(strstr(out, "hsakmt"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_exports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
