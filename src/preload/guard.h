/* SPDX-License-Identifier: MIT */
/*
 * The guard: sees every GPU image the program registers or loads, judges it against the real
 * GPU (sysfs) and the effective ISA (HSA_OVERRIDE_GFX_VERSION*), and keeps a verdict for each
 * kernel that cannot run or runs foreign code. Launch hooks look kernels up lock-free; kernels
 * that can run are not in the table at all, so the common launch costs one probe that misses.
 * docs/guard.md is the user's description.
 */
#ifndef RMCP_PRELOAD_GUARD_H
#define RMCP_PRELOAD_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "judge.h"
#include "preload.h"
#include "ptrmap.h"

/* ---- per-kernel ISA verdicts (the ISA checker of issue 4 plugs in here) ---- */

enum rmcp_kernel_isa {
	RMCP_KISA_UNVERIFIED,	/* no opinion: the kernel stays "foreign ISA, not verified" */
	RMCP_KISA_OK,		/* decodes as intended on the real GPU */
	RMCP_KISA_BAD,		/* will not run right on the real GPU (invalid, differs, a
				 * gfx10.1 hazard: `why` names the class and offset) */
};

/*
 * Judge one kernel of a code object built for another ISA (override) as the real GPU would
 * run it. `co` is the whole code object; `why` receives a short reason for BAD. Called under
 * the guard's registration lock, at registration time, never at launch.
 */
typedef enum rmcp_kernel_isa (*rmcp_isa_check_fn)(const void *co, size_t len,
						  const char *kernel,
						  const struct rmcp_target_id *real, char *why,
						  size_t why_len, void *ctx);

/* Install (or remove, fn NULL) the checker; before any image is registered. */
void rmcp_guard_set_isa_checker(rmcp_isa_check_fn fn, void *ctx);

/* Install issue 4's fast-path checker (isa_adapter.c), cached by code-object hash. */
void rmcp_preload_isa_install(void);

/* ---- registry ---- */

struct rmcp_module_rec;

struct rmcp_kernel_rec {
	struct rmcp_kernel_rec *next;		/* in its module */
	const void *key;			/* host stub or hipFunction_t */
	struct rmcp_module_rec *mod;
	enum rmcp_guard_verdict verdict;
	bool block;				/* refused under RMCP_GUARD=block */
	atomic_int reported;
	char why[96];				/* ISA checker's reason, "" */
	/* The kernel's name: the compiler's string in the registering object (valid while it is
	 * loaded, and its records are forgotten before it is unloaded), or name_copy. */
	const char *name;
	char name_copy[];
};

/* Kernels with something to say, keyed by host function or hipFunction_t. */
extern struct rmcp_ptrmap rmcp_guard_kernels;

/* Use these GPUs instead of reading sysfs and the environment (tests). */
void rmcp_guard_init_with(const struct rmcp_guard_gpus *g);
/* The GPUs the guard works with (reads sysfs on first use); NULL when the guard is off. */
const struct rmcp_guard_gpus *rmcp_guard_gpus(void);

/* __hipRegisterFatBinary(wrapper) returned `handle`. */
void rmcp_guard_fatbin(const void *wrapper, const void *handle);
/* __hipRegisterFunction(handle, host_fn, ..., device_name, ...). */
void rmcp_guard_function(const void *handle, const void *host_fn, const char *device_name);
/* hipModuleLoad*: image (len 0 = unknown, found from the bytes) loaded as `module`. */
void rmcp_guard_module(const void *module, const void *image, size_t len, const char *library);
/* hipModuleLoadData*: an image of unknown length, from a loaded object or handed over in
 * memory by the code at `caller` (a return address). */
void rmcp_guard_module_memory(const void *module, const void *image, const void *caller);
/* hipModuleLoad(fname): the file is mapped and judged. */
void rmcp_guard_module_file(const void *module, const char *path);
/* hipModuleGetFunction(module, kname) returned `fn`. */
void rmcp_guard_module_function(const void *module, const void *fn, const char *kname);
/* __hipUnregisterFatBinary / hipModuleUnload: forget the image and its kernels. */
void rmcp_guard_forget(const void *handle);

/* Slow path of a launch that found a record: log once, count; returns true to refuse. */
bool rmcp_guard_refuse(struct rmcp_kernel_rec *k, enum rmcp_hook hook);

/*
 * A refused launch is also the thread's last error, as a failed launch is in the runtime:
 * kernel<<<...>>>() discards hipLaunchKernel's result and programs ask hipGetLastError
 * (PyTorch's C10_HIP_KERNEL_LAUNCH_CHECK). hooks_launch.c answers hipGetLastError and
 * hipPeekAtLastError from here first.
 */
extern RMCP_TLS rmcp_hipError_t rmcp_refused_error;

/*
 * The launch check: 0 to go ahead, hipErrorInvalidDeviceFunction to refuse. Call only from
 * the outermost hook (rmcp_enter() returned true).
 */
static inline rmcp_hipError_t rmcp_guard_launch(const void *key, enum rmcp_hook hook)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !key)
		return RMCP_hipSuccess;
	struct rmcp_kernel_rec *k = rmcp_ptrmap_get(&rmcp_guard_kernels, key);
	if (RMCP_LIKELY(k == NULL))
		return RMCP_hipSuccess;
	if (!rmcp_guard_refuse(k, hook))
		return RMCP_hipSuccess;
	rmcp_refused_error = RMCP_hipErrorInvalidDeviceFunction;
	return RMCP_hipErrorInvalidDeviceFunction;
}

/* Fork: hold the registration lock across fork() so the child never inherits it held. */
void rmcp_guard_atfork_prepare(void);
void rmcp_guard_atfork_parent(void);
void rmcp_guard_atfork_child(void);

#endif
