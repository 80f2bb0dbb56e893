/* SPDX-License-Identifier: MIT */
/*
 * The memory policy at the HIP level (RMCP_MEMORY, docs/memory-policy.md): flags are changed
 * before the real call, per policy.c; nothing else about the call changes. Under "coarse"
 * each user allocation also opens the thread-local gate that lets hooks_hsa.c move the one
 * HSA allocation the runtime makes for it to a coarse-grained pool.
 */
#include "hooks_mem.h"

#include "policy.h"
#include "preload.h"

#include "banned.h"

RMCP_TLS struct rmcp_alloc_gate rmcp_gate;

/*
 * The runtime initialises itself on its first call (clr HIP_INIT_API -> hip::init: devices,
 * kernarg pools, signals), allocating fine-grained memory on the way. That must not happen
 * inside the gate, so before the first gate opens the runtime is initialised with hipInit(0):
 * a HIP call made from a hook on behalf of a HIP call the program made, never from a
 * constructor of ours.
 */
static void runtime_initialised(void)
{
	static atomic_int done;
	if (atomic_load_explicit(&done, memory_order_acquire))
		return;
	rmcp_fn_hipInit init = RMCP_REAL(hipInit);
	if (init)
		init(0);
	atomic_store_explicit(&done, 1, memory_order_release);
}

static void gate_open(bool allowed, size_t size, enum rmcp_gate_kind kind)
{
	if (!allowed)
		return;
	runtime_initialised();
	rmcp_gate.active = 1;
	rmcp_gate.used = 0;
	rmcp_gate.kind = kind;
	rmcp_gate.size = size;
}

static void gate_close(void)
{
	rmcp_gate.active = 0;
}

static void log_rewrite(enum rmcp_hook h, size_t size, unsigned from, unsigned to,
			const char *via)
{
	if (!rmcp_log_verbose())
		return;
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_INFO);
	rmcp_line_str(&l, "memory: ");
	rmcp_line_str(&l, rmcp_hook_name(h));
	rmcp_line_str(&l, "(size ");
	rmcp_line_u64(&l, size);
	rmcp_line_str(&l, ", flags ");
	rmcp_line_hex(&l, from);
	rmcp_line_str(&l, ") -> ");
	if (via)
		rmcp_line_str(&l, via);
	rmcp_line_str(&l, "flags ");
	rmcp_line_hex(&l, to);
	rmcp_line_emit(&l, RMCP_INFO);
}

RMCP_EXPORT rmcp_hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
	rmcp_fn_hipHostMalloc real = RMCP_REAL(hipHostMalloc);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipHostMalloc);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(ptr, size, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipHostMalloc);
	unsigned f = flags;
	if (rmcp_policy_host_malloc(rmcp_cfg.memory, flags, &f)) {
		RMCP_REWRITTEN(RMCP_HOOK_hipHostMalloc);
		log_rewrite(RMCP_HOOK_hipHostMalloc, size, flags, f, NULL);
	}
	gate_open(rmcp_policy_host_gate(rmcp_cfg.memory, flags), size, RMCP_GATE_HOST);
	rmcp_hipError_t rc = real(ptr, size, f);
	gate_close();
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	rmcp_fn_hipHostAlloc real = RMCP_REAL(hipHostAlloc);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipHostAlloc);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(ptr, size, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipHostAlloc);
	unsigned f = flags;
	rmcp_hipError_t rc;
	rmcp_fn_hipHostMalloc hm;
	gate_open(flags <= 7 && rmcp_policy_host_gate(rmcp_cfg.memory, flags), size, RMCP_GATE_HOST);
	/* hipHostAlloc takes no NonCoherent flag (flags > 7 is InvalidValue), but it is
	 * ihipHostMalloc underneath (clr hip_memory.cpp): the same allocation through
	 * hipHostMalloc with NonCoherent added. */
	if (rmcp_policy_host_alloc(rmcp_cfg.memory, flags, &f) &&
	    (hm = RMCP_REAL(hipHostMalloc)) != NULL) {
		RMCP_REWRITTEN(RMCP_HOOK_hipHostAlloc);
		log_rewrite(RMCP_HOOK_hipHostAlloc, size, flags, f, "hipHostMalloc ");
		rc = hm(ptr, size, f);
	} else {
		rc = real(ptr, size, flags);
	}
	gate_close();
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipExtHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	/* HIP 6.3+ (symbol hip_6.3); newer clr tables may leave it NULL. Where the runtime lacks
	 * it, the same allocation is hipHostMalloc with the same flag values. */
	rmcp_fn_hipExtHostAlloc real = RMCP_REAL(hipExtHostAlloc);
	if (!real)
		real = (rmcp_fn_hipExtHostAlloc)RMCP_REAL(hipHostMalloc);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipExtHostAlloc);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(ptr, size, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipExtHostAlloc);
	unsigned f = flags;
	if (rmcp_policy_host_malloc(rmcp_cfg.memory, flags, &f)) {
		RMCP_REWRITTEN(RMCP_HOOK_hipExtHostAlloc);
		log_rewrite(RMCP_HOOK_hipExtHostAlloc, size, flags, f, NULL);
	}
	gate_open(rmcp_policy_host_gate(rmcp_cfg.memory, flags), size, RMCP_GATE_HOST);
	rmcp_hipError_t rc = real(ptr, size, f);
	gate_close();
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes,
						  unsigned int flags)
{
	rmcp_fn_hipExtMallocWithFlags real = RMCP_REAL(hipExtMallocWithFlags);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipExtMallocWithFlags);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(ptr, sizeBytes, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipExtMallocWithFlags);
	unsigned f = flags;
	if (rmcp_policy_ext_malloc(rmcp_cfg.memory, flags, &f)) {
		RMCP_REWRITTEN(RMCP_HOOK_hipExtMallocWithFlags);
		log_rewrite(RMCP_HOOK_hipExtMallocWithFlags, sizeBytes, flags, f, NULL);
	}
	/* Signal memory is an HSA signal and stays fine-grained: no gate. */
	gate_open(rmcp_policy_device_gate(rmcp_cfg.memory, flags), sizeBytes, RMCP_GATE_DEVICE);
	rmcp_hipError_t rc = real(ptr, sizeBytes, f);
	gate_close();
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
	rmcp_fn_hipMallocManaged real = RMCP_REAL(hipMallocManaged);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipMallocManaged);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(dev_ptr, size, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipMallocManaged);
	gate_open(rmcp_cfg.memory == RMCP_MEM_COARSE, size, RMCP_GATE_HOST);
	rmcp_hipError_t rc = real(dev_ptr, size, flags);
	gate_close();
	if (rc == RMCP_hipSuccess && dev_ptr && *dev_ptr &&
	    rmcp_policy_managed_advise(rmcp_cfg.memory)) {
		/* clr hipMemAdvise(SetCoarseGrain) -> hsa_amd_svm_attributes_set(GLOBAL_FLAG,
		 * COARSE_GRAINED) (rocdevice.cpp). Its failure leaves the memory as allocated. */
		rmcp_fn_hipMemAdvise advise = RMCP_REAL(hipMemAdvise);
		rmcp_fn_hipGetDevice getdev = RMCP_REAL(hipGetDevice);
		int dev = 0;
		if (getdev && getdev(&dev) != RMCP_hipSuccess)
			dev = 0;
		rmcp_hipError_t arc = advise ? advise(*dev_ptr, size, RMCP_hipMemAdviseSetCoarseGrain, dev)
					     : RMCP_hipErrorNotSupported;
		if (arc == RMCP_hipSuccess) {
			RMCP_REWRITTEN(RMCP_HOOK_hipMallocManaged);
			if (rmcp_log_verbose()) {
				struct rmcp_line l;
				rmcp_line_start(&l, RMCP_INFO);
				rmcp_line_str(&l, "memory: hipMallocManaged(size ");
				rmcp_line_u64(&l, size);
				rmcp_line_str(&l, ") -> hipMemAdvise(SetCoarseGrain)");
				rmcp_line_emit(&l, RMCP_INFO);
			}
		} else {
			static atomic_int warned;
			if (atomic_exchange(&warned, 1))
				goto out;
			struct rmcp_line l;
			rmcp_line_start(&l, RMCP_WARN);
			rmcp_line_str(&l, "memory: hipMemAdvise(SetCoarseGrain) after hipMallocManaged "
					  "failed with ");
			rmcp_line_u64(&l, (unsigned long long)arc);
			rmcp_line_str(&l, "; managed memory is left as allocated");
			rmcp_line_emit(&l, RMCP_WARN);
		}
	}
out:
	rmcp_leave();
	return rc;
}

RMCP_EXPORT rmcp_hipError_t hipHostRegister(void *hostPtr, size_t sizeBytes, unsigned int flags)
{
	rmcp_fn_hipHostRegister real = RMCP_REAL(hipHostRegister);
	if (RMCP_UNLIKELY(!real))
		return rmcp_missing_hip(RMCP_REAL_hipHostRegister);
	if (!rmcp_enter()) {
		rmcp_hipError_t rc = real(hostPtr, sizeBytes, flags);
		rmcp_leave();
		return rc;
	}
	RMCP_SEEN(RMCP_HOOK_hipHostRegister);
	/* Flags unchanged: registration is always SVM_ATOMICS in clr; only the HSA-level pool
	 * swap (coarse) can change it. */
	gate_open(rmcp_cfg.memory == RMCP_MEM_COARSE, sizeBytes, RMCP_GATE_HOST);
	rmcp_hipError_t rc = real(hostPtr, sizeBytes, flags);
	gate_close();
	rmcp_leave();
	return rc;
}
