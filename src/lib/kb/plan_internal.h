/* SPDX-License-Identifier: MIT */
/* Shared by verdict_plan.c (making the plan) and verdict_plan_check.c (applying, checking). */
#ifndef RMCP_PLAN_INTERNAL_H
#define RMCP_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "sysfs.h"

#define OVERRIDE_VAR "HSA_OVERRIDE_GFX_VERSION"
#define PLAN_MAX_GPUS (RMCP_MAX_GPUS < 32 ? RMCP_MAX_GPUS : 32)

/* The override variables as libhsakmt reads them, for the GPUs of one machine. */
struct plan_env {
	bool global_set;
	char global[32];
	bool node_set[PLAN_MAX_GPUS];	/* HSA_OVERRIDE_GFX_VERSION_<node of GPU i> */
	char node_val[PLAN_MAX_GPUS][32];
	long node[PLAN_MAX_GPUS];	/* libhsakmt node id of GPU i, -1 if it drops it */
	size_t n;
};

const char *plan_fact(const struct rmcp_facts *f, const char *key);
long plan_num(const struct rmcp_facts *f, const char *key);
bool plan_list_has(const char *list, const char *item);

void plan_env_init(struct plan_env *e, const struct rmcp_facts *m, const struct rmcp_facts *g, size_t n);
/* The value applying to GPU i, NULL if none; *var (optional) the variable it comes from. */
const char *plan_env_value(const struct plan_env *e, size_t i, char *var, size_t cap);
/* Apply export/unset of an override variable to the model; false if var is no override. */
bool plan_env_step(struct plan_env *e, enum rmcp_plan_kind kind, const char *var, const char *value);

/* "10.3.0" -> "gfx1030"; false if it does not parse the way libhsakmt reads it. */
bool plan_override_gfx(const char *value, char *gfx, size_t cap);

/* Does the current PyTorch (machine facts) carry code the runtime loads for processor gfx? */
bool plan_torch_carries(const struct rmcp_facts *m, const char *gfx);

#endif
