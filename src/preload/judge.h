/* SPDX-License-Identifier: MIT */
/*
 * The guard's judgement of one GPU image (a registered fat binary, or what hipModuleLoad*
 * is given): which code object the runtime will pick for each GPU, and whether that can run.
 * Pure: bytes in, verdict out; no HIP, no sysfs (the GPUs are passed in).
 *
 * Matching follows the runtime (research/binaries.md §2.1): the runtime looks for a code
 * object whose processor equals the agent ISA, which HSA_OVERRIDE_GFX_VERSION replaces (the
 * *effective* ISA), with xnack/sramecc compatibility and generic targets (target.h,
 * rmcp_target_covers). The *real* ISA comes from sysfs.
 */
#ifndef RMCP_PRELOAD_JUDGE_H
#define RMCP_PRELOAD_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "target.h"

#define RMCP_GUARD_MAX_GPUS 8

struct rmcp_guard_gpu {
	int node;			/* KFD topology node */
	struct rmcp_target_id real;	/* the GPU's own ISA (sysfs gfx_target_version) */
	struct rmcp_target_id eff;	/* what the runtime will use (override applied) */
	char override_var[48];		/* the variable that set eff, "" if none */
	char override_value[64];
};

struct rmcp_guard_gpus {
	struct rmcp_guard_gpu gpu[RMCP_GUARD_MAX_GPUS];
	size_t n;
};

/* In increasing severity: the worst over the GPUs is what the guard acts on. */
enum rmcp_guard_verdict {
	RMCP_GV_OK = 0,		/* code object for the effective ISA, which is the real one */
	RMCP_GV_UNKNOWN,		/* image not understood: fail open, never block */
	RMCP_GV_FOREIGN_OK,	/* foreign ISA (override), the ISA checker passed the kernel */
	RMCP_GV_FOREIGN,		/* foreign ISA (override), not verified */
	RMCP_GV_FOREIGN_BAD,	/* foreign ISA, the ISA checker says it will not run right */
	RMCP_GV_NO_CODE,		/* no code object for the effective ISA */
};

const char *rmcp_guard_verdict_name(enum rmcp_guard_verdict v);

enum rmcp_image_kind { RMCP_IMAGE_RAW, RMCP_IMAGE_BUNDLE, RMCP_IMAGE_CCOB };

struct rmcp_judgement {
	enum rmcp_guard_verdict verdict;	/* worst over the GPUs */
	bool every_gpu;			/* ... and it holds for every GPU */
	size_t gpu;			/* index of a GPU with that verdict */
	enum rmcp_image_kind kind;
	char targets[192];		/* device targets in the image, "gfx1030,gfx90a:xnack+" */
	size_t n_code;			/* device code objects in the image */
	bool has_real;			/* some code object covers that GPU's real ISA */
	char chosen[48];		/* target the runtime picks for that GPU, "" if none */
	/* The chosen code object, for the ISA checker: offset and size within the image
	 * (RAW, BUNDLE) or within the decompressed payload (CCOB). */
	uint64_t co_offset, co_size;
};

/*
 * Judge the image at buf; len bytes are known to be readable (more than the image is fine:
 * for a registered fat binary it is the rest of the mapped segment). Returns 0, or a
 * negative code with out->verdict = RMCP_GV_UNKNOWN.
 */
int rmcp_judge_image(const void *buf, size_t len, const struct rmcp_guard_gpus *g,
		     struct rmcp_judgement *out, struct rmcp_err *err);

/*
 * How many bytes from p the image needs, for images handed over without a length
 * (hipModuleLoadData). `mapped(p, n, ctx)` says whether [p, p+n) may be read; nothing is read
 * before it said so. At most `max` bytes. A raw code object reports its ELF extent (section
 * and program headers), a bundle the end of its last entry, a CCOB v2/v3 its total size;
 * CCOB v1 (no size field) is -RMCP_E_UNSUPPORTED.
 */
typedef bool (*rmcp_mapped_fn)(const void *p, size_t n, void *ctx);
int rmcp_image_extent(const void *p, rmcp_mapped_fn mapped, void *ctx, uint64_t max,
		      size_t *out);

#endif
