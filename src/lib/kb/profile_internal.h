/* SPDX-License-Identifier: MIT */
/* Shared by profile.c (building the profile) and profile_env.c (the environment it changes). */
#ifndef RMCP_PROFILE_INTERNAL_H
#define RMCP_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"

/* A growable environment: NAME=value strings, v NULL-terminated (envp-shaped). */
struct profile_env {
	char **v;
	size_t n, cap;
};

/* A copy of envp (NULL: empty); 0 or -ENOMEM (e is then empty and freed). */
int profile_env_from(struct profile_env *e, char *const *envp);
void profile_env_free(struct profile_env *e);
/* The value of name, NULL if unset. */
const char *profile_env_get(const struct profile_env *e, const char *name);
/* Apply one profile variable (set replaces or adds, unset removes); 0 or -ENOMEM. */
int profile_env_apply(struct profile_env *e, const struct rmcp_profile_var *v);

#endif
