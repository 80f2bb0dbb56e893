/* SPDX-License-Identifier: MIT */
/* Pieces of the verdict split out of verdict.c (not part of the library API). */
#ifndef RMCP_VERDICT_INTERNAL_H
#define RMCP_VERDICT_INTERNAL_H

#include <stdbool.h>

#include "kb.h"
#include "stack.h"
#include "verdict.h"

/*
 * gpu.isa_* facts: under an override within one generation (gfx1010 running gfx1030 code),
 * the kernels of the libraries of the PyTorch at torch_path that pick() selects, checked as
 * the real GPU would run them. gpu.isa_checked = "no" when nothing applies.
 */
int rmcp_verdict_isa_facts(struct rmcp_facts *f, const char *sysroot, const struct rmcp_stack *s,
			   const char *torch_path, const char *gfx, const char *gfx_effective,
			   bool (*pick)(const struct rmcp_lib_coverage *l));

/* Set a fact or return the error from the enclosing function (which declares int rc). */
#define SET(f, k, v)                                   \
	do {                                           \
		if ((rc = rmcp_facts_set((f), (k), (v))) < 0) \
			return rc;                     \
	} while (0)
#define SETF(f, k, ...)                                          \
	do {                                                     \
		if ((rc = rmcp_facts_setf((f), (k), __VA_ARGS__)) < 0) \
			return rc;                               \
	} while (0)

/* verdict_software.c: torch.*, rocm.* facts; per-GPU gpu.torch*, gpu.tensile*, gpu.rocm*, gpu.isa_*
 * facts; the PyTorch install to judge (index into d->stack->torch, -1). */
int rmcp_verdict_software_facts(struct rmcp_facts *f, const struct rmcp_diagnosis *d);
int rmcp_verdict_coverage_facts(struct rmcp_diagnosis *d, struct rmcp_diag_gpu *dg);
int rmcp_verdict_pick_torch(const struct rmcp_diagnosis *d);

/* Comma-separated lists for facts: append an item (dropped when it does not fit); membership. */
void rmcp_verdict_list_add(char *list, size_t cap, const char *item);
bool rmcp_verdict_list_has(const char *list, const char *item, size_t len);

/*
 * gpu.* facts from the support matrix (verdict_support.c): gpu.group, gpu.group_effective,
 * gpu.wheels, gpu.therock_extra, gpu.override_known, gpu.override_ok, gpu.kfd_support,
 * gpu.rocm_support, gpu.fw_atomics(_kind), gpu.install(.kind, .sure). fw_required: the
 * threshold KFD printed for this GPU, 0 if none.
 */
int rmcp_verdict_support_facts(struct rmcp_facts *f, const char *gfx, const char *gfx_effective,
			       unsigned fw_required);

#endif
