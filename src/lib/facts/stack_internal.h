/* SPDX-License-Identifier: MIT */
/* Helpers shared by the stack reader's files (stack.c, stack_torch.c, stack_cov.c). */
#ifndef RMCP_STACK_INTERNAL_H
#define RMCP_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cache.h"
#include "stack.h"

/* A path on the examined machine and the same path on this one. */
struct rmcp_sr {
	const char *root;	/* "" for "/", else the sysroot without a trailing '/' */
	const struct rmcp_stack_recorder *rec;	/* NULL, or where touched paths are reported */
};

/* Point sr at sysroot (NULL or "" = "/"), normalised into buf (trailing '/' dropped). */
void rmcp_sr_init(struct rmcp_sr *sr, char *buf, size_t cap, const char *sysroot);

/* Host path of `rel` (absolute within the sysroot). 0 or -ENAMETOOLONG. */
int rmcp_sr_host(const struct rmcp_sr *sr, const char *rel, char *out, size_t cap);

/*
 * realpath(3) inside the sysroot: every symlink, absolute ones included, is resolved against
 * the sysroot (a captured /opt/rocm -> /etc/alternatives/rocm must not lead to this machine's
 * /etc). Components that do not exist are kept as written. out is within the sysroot.
 */
int rmcp_sr_resolve(const struct rmcp_sr *sr, const char *rel, char *out, size_t cap);

/* Read a small regular file (rel within the sysroot) into buf, NUL-terminated; length or
 * -errno. */
int rmcp_sr_read(const struct rmcp_sr *sr, const char *rel, char *buf, size_t cap);

bool rmcp_sr_is_dir(const struct rmcp_sr *sr, const char *rel);
bool rmcp_sr_exists(const struct rmcp_sr *sr, const char *rel);

/* Names in directory rel (within the sysroot), sorted, "." entries skipped; each passes
 * filter (NULL = all). Returns the count (names in *out, free with rmcp_strv_free) or -errno. */
int rmcp_sr_list(const struct rmcp_sr *sr, const char *rel, bool (*filter)(const char *name),
		 char ***out);

/* Names of ROCm libraries with device code (librocblas, libMIOpen, ...). */
bool rmcp_rocm_lib_name(const char *n);

/* Torch installs (stack_torch.c). */
int rmcp_stack_find_torch(const struct rmcp_sr *sr, const struct rmcp_stack_opts *opts,
			  struct rmcp_stack *s);

/* Coverage (stack_cov.c). */
struct rmcp_cov;
int rmcp_cov_begin(const struct rmcp_sr *sr, const struct rmcp_stack_opts *opts,
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
