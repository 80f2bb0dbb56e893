/* SPDX-License-Identifier: MIT */
/*
 * The environment a profile changes (profile_internal.h): a growable NAME=value array, one
 * variable set or unset in it, and a whole profile applied to the user's environment
 * (rmcp_profile_apply, profile.h). Building the profile is profile.c.
 */
#include "profile_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void profile_env_free(struct profile_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

static int profile_env_push(struct profile_env *e, char *s)
{
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **v = realloc(e->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	return 0;
}

int profile_env_from(struct profile_env *e, char *const *envp)
{
	memset(e, 0, sizeof(*e));
	if (profile_env_push(e, NULL) < 0)	/* room for the terminator even when envp is empty */
		return -ENOMEM;
	e->n = 0;
	for (size_t i = 0; envp && envp[i]; i++) {
		char *s = strdup(envp[i]);
		if (!s || profile_env_push(e, s) < 0) {
			profile_env_free(e);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool env_entry_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

const char *profile_env_get(const struct profile_env *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (env_entry_is(e->v[i], name))
			return e->v[i] + strlen(name) + 1;
	return NULL;
}

static void profile_env_unset(struct profile_env *e, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < e->n; i++) {
		if (env_entry_is(e->v[i], name))
			free(e->v[i]);
		else
			e->v[k++] = e->v[i];
	}
	e->n = k;
	e->v[k] = NULL;
}

static int profile_env_set(struct profile_env *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *s = malloc(len);
	if (!s)
		return -ENOMEM;
	snprintf(s, len, "%s=%s", name, value);
	for (size_t i = 0; i < e->n; i++)
		if (env_entry_is(e->v[i], name)) {
			free(e->v[i]);
			e->v[i] = s;
			return 0;
		}
	return profile_env_push(e, s);
}

void rmcp_envp_free(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

int profile_env_apply(struct profile_env *e, const struct rmcp_profile_var *v)
{
	if (v->op == RMCP_PROFILE_UNSET) {
		profile_env_unset(e, v->name);
		return 0;
	}
	return profile_env_set(e, v->name, v->value);
}

int rmcp_profile_apply(const struct rmcp_profile *p, char *const *envp, char ***out)
{
	struct profile_env e;
	int rc = profile_env_from(&e, envp);
	for (size_t i = 0; rc == 0 && i < p->n_vars; i++)
		rc = profile_env_apply(&e, &p->vars[i]);
	if (rc < 0) {
		profile_env_free(&e);
		return rc;
	}
	*out = e.v;
	return 0;
}
