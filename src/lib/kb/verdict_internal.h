/* SPDX-License-Identifier: MIT */
/* Pieces of the verdict split out of verdict.c (not part of the library API). */
#ifndef RMCP_VERDICT_INTERNAL_H
#define RMCP_VERDICT_INTERNAL_H

#include <stdbool.h>

#include "kb.h"
#include "stack.h"

/*
 * gpu.isa_* facts: under an override within one generation (gfx1010 running gfx1030 code),
 * the kernels of the libraries of the PyTorch at torch_path that pick() selects, checked as
 * the real GPU would run them. gpu.isa_checked = "no" when nothing applies.
 */
int rmcp_verdict_isa_facts(struct rmcp_facts *f, const char *sysroot, const struct rmcp_stack *s,
			   const char *torch_path, const char *gfx, const char *gfx_effective,
			   bool (*pick)(const struct rmcp_lib_coverage *l));

#endif
