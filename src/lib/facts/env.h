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
	bool truncated;		/* added: the value was longer than `value` holds */
};

struct rmcp_env {
	struct rmcp_env_override global;	/* HSA_OVERRIDE_GFX_VERSION */
	struct {
		int node;			/* the N of HSA_OVERRIDE_GFX_VERSION_N (libhsakmt's node id) */
		struct rmcp_env_override o;
		char name[40];			/* added: "HSA_OVERRIDE_GFX_VERSION_1" */
	} per_node[RMCP_ENV_MAX_NODE_OVERRIDES];
	size_t n_per_node;
	struct rmcp_visible hip_visible, cuda_visible, rocr_visible, gpu_device_ordinal;
	/* Every HSA_*, HIP_*, ROCR_*, AMD_*, MIOPEN_*, PYTORCH_*, HCC_*, RMCP_* variable, sorted. */
	struct rmcp_env_var vars[RMCP_ENV_MAX_VARS];
	size_t n_vars;
	size_t n_dropped;	/* added: variables not kept (limits above, over-long names) */
};

/* Collect environment facts from envp (NULL-terminated "NAME=value" strings). */
int rmcp_env_read(char *const *envp, struct rmcp_env *e, struct rmcp_err *err);

/*
 * The gfx_target_version the runtime will use for the GPU whose libhsakmt node id is `node`
 * (rmcp_gpu.hsakmt_node; equal to the KFD node number unless libhsakmt dropped an earlier
 * node) and whose real version is `real`. libhsakmt's rule (topology.c): the per-node
 * variable if it is set, else the global one; the chosen value is then parsed, and if it is
 * invalid topology init fails. So: no override set -> `real`; the applicable override
 * invalid -> 0 (the runtime sees no GPU at all), with *source naming it; "0.0.0" -> `real`
 * (ROCr ignores an all-zero override); else the override's version. *source (optional) is the
 * variable's name, or NULL when the real version is used. node < 0 -> `real`.
 */
uint32_t rmcp_env_effective_version(const struct rmcp_env *e, int node, uint32_t real,
				    const char **source);

/* The override libhsakmt applies to node `node` (per-node first, even if invalid, then the
 * global one), or NULL; *name (optional) is its variable name. Added for issue 3. */
const struct rmcp_env_override *rmcp_env_override_for_node(const struct rmcp_env *e, int node,
							   const char **name);

/* "unset", "empty", "value". */
const char *rmcp_visible_state_name(enum rmcp_visible_state s);

/* Value of a collected variable, or NULL. */
const char *rmcp_env_get(const struct rmcp_env *e, const char *name);

#endif
