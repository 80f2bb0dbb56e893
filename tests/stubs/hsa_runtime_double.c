/* SPDX-License-Identifier: MIT */
/*
 * TEST DOUBLE of libhsa-runtime64.so.1 (ROCr), for tests that need an AMD GPU this machine
 * does not have. Same soname, symbol names, signatures (checked against Debian's
 * hsa/hsa.h and hsa/hsa_ext_amd.h, included below) and symbol version (ROCR_1) as the real
 * library. It pretends to be one CPU agent and one GPU agent (gfx1010 unless
 * RMCP_STUB_GFX or HSA_OVERRIDE_GFX_VERSION says otherwise) with the pools ROCr gives a PCIe
 * RDNA card (rocr: amd_cpu_agent.cpp, amd_gpu_agent.cpp InitRegionList), and records every
 * allocation with the pool it came from (stub_record.h).
 */
#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub_record.h"
#include "banned.h"

#define EXPORT __attribute__((visibility("default")))

enum { CPU_AGENT = 0x1000, GPU_AGENT = 0x2000 };

struct pool {
	uint64_t handle, agent;
	uint32_t flags;
	const char *name;
};

/* CPU: fine, kernarg (fine|kernarg), coarse (dGPU systems); GPU: coarse VRAM, and the fine
 * VRAM pool ROCr shows only with HSA_FORCE_FINE_GRAIN_PCIE=1 or XGMI (kept here so the
 * device-side swap can be tested). */
static const struct pool pools[] = {
	{ 0x101, CPU_AGENT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED, "cpu-fine" },
	{ 0x102, CPU_AGENT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED |
				    HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT, "cpu-kernarg" },
	{ 0x103, CPU_AGENT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED, "cpu-coarse" },
	{ 0x201, GPU_AGENT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED, "gpu-coarse" },
	{ 0x202, GPU_AGENT, HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED, "gpu-fine" },
};
#define N_POOLS (sizeof(pools) / sizeof(pools[0]))

static const struct pool *find_pool(uint64_t handle)
{
	for (size_t i = 0; i < N_POOLS; i++)
		if (pools[i].handle == handle)
			return &pools[i];
	return NULL;
}

/* Exported for the HIP double (not part of the real ABI): pool handles by name. */
EXPORT uint64_t rmcp_stub_hsa_pool(const char *name);
EXPORT uint64_t rmcp_stub_hsa_pool(const char *name)
{
	for (size_t i = 0; i < N_POOLS; i++)
		if (strcmp(pools[i].name, name) == 0)
			return pools[i].handle;
	return 0;
}

/* The ISA name the agent reports: what libhsakmt makes of HSA_OVERRIDE_GFX_VERSION. */
EXPORT void rmcp_stub_isa(char *buf, size_t cap);
EXPORT void rmcp_stub_isa(char *buf, size_t cap)
{
	const char *o = getenv("HSA_OVERRIDE_GFX_VERSION");
	unsigned long v[3];
	char *end = (char *)o;
	int n = 0;
	while (o && n < 3) {
		v[n] = strtoul(end, &end, 10);
		if (++n < 3 && *end++ != '.')
			break;
	}
	if (o && n == 3 && *end == '\0' && v[0] < 64 && v[1] < 256 && v[2] < 256) {
		snprintf(buf, cap, "gfx%lu%lx%lx", v[0], v[1], v[2]);
		return;
	}
	const char *g = getenv("RMCP_STUB_GFX");
	snprintf(buf, cap, "%s", g && *g ? g : "gfx1010");
}

/* hsa.h declares these with "()": give them prototypes. */
EXPORT hsa_status_t hsa_init(void);
EXPORT hsa_status_t hsa_shut_down(void);

EXPORT hsa_status_t hsa_init(void)
{
	stub_record("hsa_init");
	return HSA_STATUS_SUCCESS;
}

EXPORT hsa_status_t hsa_shut_down(void)
{
	return HSA_STATUS_SUCCESS;
}

EXPORT hsa_status_t hsa_iterate_agents(hsa_status_t (*callback)(hsa_agent_t agent, void *data),
				       void *data)
{
	stub_record("hsa_iterate_agents");
	const uint64_t agents[] = { CPU_AGENT, GPU_AGENT };
	for (size_t i = 0; i < 2; i++) {
		hsa_status_t st = callback((hsa_agent_t){ agents[i] }, data);
		if (st != HSA_STATUS_SUCCESS)
			return st;
	}
	return HSA_STATUS_SUCCESS;
}

EXPORT hsa_status_t hsa_agent_get_info(hsa_agent_t agent, hsa_agent_info_t attribute, void *value)
{
	if (agent.handle != CPU_AGENT && agent.handle != GPU_AGENT)
		return HSA_STATUS_ERROR_INVALID_AGENT;
	switch ((int)attribute) {
	case HSA_AGENT_INFO_NAME: {
		char name[64] = { 0 };
		if (agent.handle == CPU_AGENT)
			snprintf(name, sizeof(name), "Test Double CPU");
		else
			rmcp_stub_isa(name, sizeof(name));
		memcpy(value, name, sizeof(name));
		return HSA_STATUS_SUCCESS;
	}
	case HSA_AGENT_INFO_DEVICE:
		*(hsa_device_type_t *)value = agent.handle == CPU_AGENT ? HSA_DEVICE_TYPE_CPU
									: HSA_DEVICE_TYPE_GPU;
		return HSA_STATUS_SUCCESS;
	default:
		return HSA_STATUS_ERROR_INVALID_ARGUMENT;
	}
}

EXPORT hsa_status_t hsa_amd_agent_iterate_memory_pools(
	hsa_agent_t agent, hsa_status_t (*callback)(hsa_amd_memory_pool_t memory_pool, void *data),
	void *data)
{
	for (size_t i = 0; i < N_POOLS; i++) {
		if (pools[i].agent != agent.handle)
			continue;
		hsa_status_t st = callback((hsa_amd_memory_pool_t){ pools[i].handle }, data);
		if (st != HSA_STATUS_SUCCESS)
			return st;
	}
	return HSA_STATUS_SUCCESS;
}

EXPORT hsa_status_t hsa_amd_memory_pool_get_info(hsa_amd_memory_pool_t memory_pool,
						 hsa_amd_memory_pool_info_t attribute, void *value)
{
	const struct pool *p = find_pool(memory_pool.handle);
	if (!p)
		return HSA_STATUS_ERROR_INVALID_ARGUMENT;
	switch (attribute) {
	case HSA_AMD_MEMORY_POOL_INFO_SEGMENT:
		*(hsa_amd_segment_t *)value = HSA_AMD_SEGMENT_GLOBAL;
		return HSA_STATUS_SUCCESS;
	case HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS:
		*(uint32_t *)value = p->flags;
		return HSA_STATUS_SUCCESS;
	default:
		return HSA_STATUS_ERROR_INVALID_ARGUMENT;
	}
}

EXPORT hsa_status_t hsa_amd_memory_pool_allocate(hsa_amd_memory_pool_t memory_pool, size_t size,
						 uint32_t flags, void **ptr)
{
	const struct pool *p = find_pool(memory_pool.handle);
	hsa_status_t st = HSA_STATUS_SUCCESS;
	if (!p || !ptr || size == 0)
		st = HSA_STATUS_ERROR_INVALID_ARGUMENT;
	else if (!(*ptr = calloc(1, size)))
		st = HSA_STATUS_ERROR_OUT_OF_RESOURCES;
	stub_record("hsa_amd_memory_pool_allocate pool=%s size=%zu flags=0x%x rc=%d",
		    p ? p->name : "invalid", size, flags, (int)st);
	return st;
}

EXPORT hsa_status_t hsa_amd_memory_pool_free(void *ptr)
{
	free(ptr);
	return HSA_STATUS_SUCCESS;
}

EXPORT hsa_status_t hsa_amd_memory_lock_to_pool(void *host_ptr, size_t size, hsa_agent_t *agents,
						int num_agent, hsa_amd_memory_pool_t pool,
						uint32_t flags, void **agent_ptr)
{
	const struct pool *p = find_pool(pool.handle);
	hsa_status_t st = HSA_STATUS_SUCCESS;
	/* ROCr: lock_to_pool takes a system (CPU) pool. */
	if (!p || p->agent != CPU_AGENT || !host_ptr || size == 0)
		st = HSA_STATUS_ERROR_INVALID_ARGUMENT;
	else if (agent_ptr)
		*agent_ptr = host_ptr;
	stub_record("hsa_amd_memory_lock_to_pool pool=%s size=%zu agents=%d flags=0x%x rc=%d",
		    p ? p->name : "invalid", size, num_agent, flags, (int)st);
	(void)agents;
	return st;
}

EXPORT hsa_status_t hsa_amd_memory_unlock(void *host_ptr)
{
	(void)host_ptr;
	return HSA_STATUS_SUCCESS;
}
