/* SPDX-License-Identifier: MIT */
/*
 * Environment facts: what the ROCm runtime will do with this process's environment.
 * research/detect.md §2.1 (HSA_OVERRIDE_GFX_VERSION, per-node _N), research/problem.md §4
 * (variables and their real semantics, the empty *_VISIBLE_DEVICES pitfall).
 *
 * Contract shared by doctor (issue 3), librmcp.so (issue 5) and run/env (issue 6): fields may
 * be added, never renamed or removed. Pure: reads the envp array it is given, no getenv.
 */
#ifndef RMCP_ENV_H
#define RMCP_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RMCP_ENV_MAX_VARS 64
#define RMCP_ENV_MAX_NODE_OVERRIDES 16

/*
 * Parse an HSA_OVERRIDE_GFX_VERSION value as libhsakmt does (topology.c: exactly three
 * decimal fields "%u.%u.%u", major <= 63, minor and stepping <= 255). On success *version =
 * major*10000 + minor*100 + stepping (the KFD gfx_target_version encoding). An invalid value
 * is -RMCP_E_FORMAT: libhsakmt then fails topology init (no GPU at all).
 */
int rmcp_override_parse(const char *s, uint32_t *version);

enum rmcp_visible_state {
	RMCP_VISIBLE_UNSET = 0,
	RMCP_VISIBLE_EMPTY,	/* set to "": HIP treats it as unset (all GPUs visible); ROCr hides all */
	RMCP_VISIBLE_VALUE,
};

struct rmcp_visible {
	enum rmcp_visible_state state;
	char value[128];
};

struct rmcp_env_override {
	bool set;
	char value[64];
	bool valid;
	uint32_t version;	/* valid only if valid */
};

struct rmcp_env_var {
	char name[64];
	char value[192];
};

struct rmcp_env {
	struct rmcp_env_override global;	/* HSA_OVERRIDE_GFX_VERSION */
	struct {
		int node;			/* the N of HSA_OVERRIDE_GFX_VERSION_N (libhsakmt's node id) */
		struct rmcp_env_override o;
	} per_node[RMCP_ENV_MAX_NODE_OVERRIDES];
	size_t n_per_node;
	struct rmcp_visible hip_visible, cuda_visible, rocr_visible, gpu_device_ordinal;
	/* Every HSA_*, HIP_*, ROCR_*, AMD_*, MIOPEN_*, PYTORCH_*, HCC_*, RMCP_* variable, sorted. */
	struct rmcp_env_var vars[RMCP_ENV_MAX_VARS];
	size_t n_vars;
};

/* Collect environment facts from envp (NULL-terminated "NAME=value" strings). */
int rmcp_env_read(char *const *envp, struct rmcp_env *e, struct rmcp_err *err);

/*
 * The gfx_target_version the runtime will use for KFD node `node` whose real version is
 * `real`: a valid per-node override, else a valid global override, else `real`.
 * *source (optional) is set to the variable's name or NULL when no override applies.
 */
uint32_t rmcp_env_effective_version(const struct rmcp_env *e, int node, uint32_t real,
				    const char **source);

/* Value of a collected variable, or NULL. */
const char *rmcp_env_get(const struct rmcp_env *e, const char *name);

#endif
