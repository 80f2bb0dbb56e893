/* SPDX-License-Identifier: MIT */
/* Helpers shared by the stack reader's files (stack.c, stack_torch.c, stack_cov.c). */
#ifndef RMCP_STACK_INTERNAL_H
#define RMCP_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cache.h"
#include "stack.h"
#include "sysroot.h"

/* Paths on the examined machine: the sysroot context (sysroot.h), shared with every reader. */

/* Names of ROCm libraries with device code (librocblas, libMIOpen, ...). */
bool rmcp_rocm_lib_name(const char *n);

/* ROCm installs (stack_rocm.c): /opt/rocm*, then a distribution's; buf is scratch space. */
int rmcp_stack_find_rocm(const struct rmcp_path *sr, struct rmcp_stack *s, char *buf, size_t cap);
/* Where distributions put shared libraries (Debian multiarch first). */
#define RMCP_N_MULTIARCH 4
extern const char *const rmcp_multiarch_dirs[RMCP_N_MULTIARCH];

/* Torch installs (stack_torch.c). */
int rmcp_stack_find_torch(const struct rmcp_path *sr, const struct rmcp_stack_opts *opts,
			  struct rmcp_stack *s);

/* Coverage (stack_cov.c). */
struct rmcp_cov;
int rmcp_cov_begin(const struct rmcp_path *sr, const struct rmcp_stack_opts *opts,
		   struct rmcp_stack *s, struct rmcp_err *err, struct rmcp_cov **out);
/* Libraries directly in dir (not recursing), owner "torch" or "rocm"; all = list host-only
 * ones too (else only ROCm-named ones and those with device code or errors). */
int rmcp_cov_lib_dir(struct rmcp_cov *c, const char *dir, const char *owner, bool all);
int rmcp_cov_lib_file(struct rmcp_cov *c, const char *file, const char *owner);
int rmcp_cov_tensile_dir(struct rmcp_cov *c, const char *dir, const char *component,
			 const char *owner);
int rmcp_cov_kdb_dir(struct rmcp_cov *c, const char *dir, const char *owner);
void rmcp_cov_end(struct rmcp_cov *c);

#endif
