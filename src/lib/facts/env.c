/* SPDX-License-Identifier: MIT */
/*
 * Environment facts (env.h). The override rules are libhsakmt's, from ROCm/ROCR-Runtime
 * libhsakmt/src/topology.c topology_sysfs_get_node_props (same code in the older
 * ROCT-Thunk-Interface):
 *
 *	snprintf(per_node_override, ..., "HSA_OVERRIDE_GFX_VERSION_%d", node_id);
 *	if ((envvar = getenv(per_node_override)) || (envvar = getenv("HSA_OVERRIDE_GFX_VERSION"))) {
 *		if ((sscanf(envvar, "%u.%u.%u%c", &major, &minor, &step, &dummy) != 3) ||
 *		    (major > 63 || minor > 255 || step > 255)) {
 *			pr_err("HSA_OVERRIDE_GFX_VERSION %s is invalid\n", envvar);
 *			ret = HSAKMT_STATUS_ERROR;	(topology snapshot fails: no agents at all)
 *
 * node_id is libhsakmt's *user* node id: the index into map_user_to_sysfs_node_id, which
 * lists the CPU nodes and the GPU nodes that survive topology_sysfs_check_node_supported
 * (gpu_id readable, render node opens), in sysfs order. It equals the KFD sysfs node number
 * unless an earlier node was dropped; with one CPU node the first GPU is _1 (hence "1-based
 * GPU index" in user reports). rmcp_gpu.hsakmt_node (sysfs.h) is that id.
 * The per-node variable, when set, wins even if invalid (getenv succeeds, parsing fails).
 * ROCr (amd_gpu_agent.cpp) uses the override only when OverrideEngineId.Value != 0, so
 * "0.0.0" parses but changes nothing.
 */
#include "env.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define OVERRIDE "HSA_OVERRIDE_GFX_VERSION"

/*
 * One "%u" conversion as glibc's scanf does it: leading white space skipped, an optional
 * sign, decimal digits, the value computed as strtoul (saturating at ULONG_MAX, negated when
 * '-') and stored into an unsigned int (truncated). Returns the end, or NULL if no digits.
 */
static const char *scan_u(const char *s, unsigned *out)
{
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	const char *digits = p + (*p == '+' || *p == '-');
	if (!isdigit((unsigned char)*digits))
		return NULL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);	/* the conversion glibc's %u uses */
	*out = (unsigned)v;
	return end;
}

int rmcp_override_parse(const char *s, uint32_t *version)
{
	unsigned f[3];
	const char *p = s;
	for (int i = 0; i < 3; i++) {
		p = scan_u(p, &f[i]);
		if (!p)
			return -RMCP_E_FORMAT;
		/* The literal '.' must follow at once (no white-space skip before it). */
		if (i < 2) {
			if (*p != '.')
				return -RMCP_E_FORMAT;
			p++;
		}
	}
	/* "%c" after the third number: any character at all (a blank, a newline) is a 4th
	 * conversion and makes the value invalid. */
	if (*p != '\0')
		return -RMCP_E_FORMAT;
	if (f[0] > 63 || f[1] > 255 || f[2] > 255)
		return -RMCP_E_FORMAT;
	*version = f[0] * 10000u + f[1] * 100u + f[2];
	return 0;
}

static void set_override(struct rmcp_env_override *o, const char *value)
{
	o->set = true;
	snprintf(o->value, sizeof(o->value), "%s", value);
	/* A value longer than the struct keeps is still parsed in full. */
	o->valid = rmcp_override_parse(value, &o->version) == 0;
	if (!o->valid)
		o->version = 0;
}

static void set_visible(struct rmcp_visible *v, const char *value)
{
	/* clr rocdevice.cpp: HIP_ (then CUDA_) VISIBLE_DEVICES set to "" is treated as unset
	 * (all GPUs visible); ROCr's ROCR_VISIBLE_DEVICES="" hides every agent
	 * (research/problem.md §4, §5). */
	v->state = *value ? RMCP_VISIBLE_VALUE : RMCP_VISIBLE_EMPTY;
	snprintf(v->value, sizeof(v->value), "%s", value);
}

/* "HSA_OVERRIDE_GFX_VERSION_<N>" with N exactly as snprintf("%d") writes it. */
static bool per_node_id(const char *name, size_t nlen, int *node)
{
	size_t pl = strlen(OVERRIDE "_");
	if (nlen <= pl || strncmp(name, OVERRIDE "_", pl) != 0)
		return false;
	const char *d = name + pl;
	size_t dl = nlen - pl;
	if (dl > 9 || (dl > 1 && d[0] == '0'))
		return false;	/* "_01" is never the name getenv is asked for */
	int v = 0;
	for (size_t i = 0; i < dl; i++) {
		if (d[i] < '0' || d[i] > '9')
			return false;
		v = v * 10 + (d[i] - '0');
	}
	*node = v;
	return true;
}

static bool collected(const char *name)
{
	static const char *const prefixes[] = { "HSA_", "HIP_", "ROCR_", "AMD_", "MIOPEN_",
						"PYTORCH_", "HCC_", "RMCP_" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return strcmp(name, "CUDA_VISIBLE_DEVICES") == 0 || strcmp(name, "GPU_DEVICE_ORDINAL") == 0;
}

static int cmp_var(const void *a, const void *b)
{
	return strcmp(((const struct rmcp_env_var *)a)->name, ((const struct rmcp_env_var *)b)->name);
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncmp(name, want, nlen) == 0;
}

static bool seen_before(char *const *envp, size_t upto, const char *name, size_t nlen)
{
	/* getenv returns the first match; later duplicates are invisible to the runtime. */
	for (size_t i = 0; i < upto; i++)
		if (strncmp(envp[i], name, nlen) == 0 && envp[i][nlen] == '=')
			return true;
	return false;
}

int rmcp_env_read(char *const *envp, struct rmcp_env *e, struct rmcp_err *err)
{
	memset(e, 0, sizeof(*e));
	if (!envp)
		return 0;
	for (size_t i = 0; envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		if (!eq || eq == envp[i])
			continue;
		const char *name = envp[i], *value = eq + 1;
		size_t nlen = (size_t)(eq - name);
		if (seen_before(envp, i, name, nlen))
			continue;
		int node;
		if (name_is(name, nlen, OVERRIDE)) {
			set_override(&e->global, value);
		} else if (per_node_id(name, nlen, &node)) {
			if (e->n_per_node < RMCP_ENV_MAX_NODE_OVERRIDES) {
				e->per_node[e->n_per_node].node = node;
				snprintf(e->per_node[e->n_per_node].name, sizeof(e->per_node[0].name),
					 "%.*s", (int)nlen, name);
				set_override(&e->per_node[e->n_per_node].o, value);
				e->n_per_node++;
			} else {
				e->n_dropped++;
			}
		} else if (name_is(name, nlen, "HIP_VISIBLE_DEVICES")) {
			set_visible(&e->hip_visible, value);
		} else if (name_is(name, nlen, "CUDA_VISIBLE_DEVICES")) {
			set_visible(&e->cuda_visible, value);
		} else if (name_is(name, nlen, "ROCR_VISIBLE_DEVICES")) {
			set_visible(&e->rocr_visible, value);
		} else if (name_is(name, nlen, "GPU_DEVICE_ORDINAL")) {
			set_visible(&e->gpu_device_ordinal, value);
		}
		char nm[sizeof(e->vars[0].name)];
		if (nlen >= sizeof(nm)) {
			if (collected(name))
				e->n_dropped++;
			continue;
		}
		memcpy(nm, name, nlen);
		nm[nlen] = '\0';
		if (!collected(nm))
			continue;
		if (e->n_vars >= RMCP_ENV_MAX_VARS) {
			e->n_dropped++;
			continue;
		}
		struct rmcp_env_var *v = &e->vars[e->n_vars++];
		memcpy(v->name, nm, nlen + 1);
		snprintf(v->value, sizeof(v->value), "%s", value);
		v->truncated = strlen(value) >= sizeof(v->value);
	}
	qsort(e->vars, e->n_vars, sizeof(e->vars[0]), cmp_var);
	(void)err;
	return 0;
}

const struct rmcp_env_override *rmcp_env_override_for_node(const struct rmcp_env *e, int node,
							   const char **name)
{
	for (size_t i = 0; i < e->n_per_node; i++) {
		if (e->per_node[i].node == node) {
			if (name)
				*name = e->per_node[i].name;
			return &e->per_node[i].o;
		}
	}
	if (e->global.set) {
		if (name)
			*name = OVERRIDE;
		return &e->global;
	}
	if (name)
		*name = NULL;
	return NULL;
}

uint32_t rmcp_env_effective_version(const struct rmcp_env *e, int node, uint32_t real,
				    const char **source)
{
	const char *name;
	const struct rmcp_env_override *o = node >= 0 ? rmcp_env_override_for_node(e, node, &name) : NULL;
	if (source)
		*source = NULL;
	if (!o)
		return real;
	if (!o->valid) {
		/* libhsakmt fails topology init: the runtime sees no GPU at all. */
		if (source)
			*source = name;
		return 0;
	}
	if (o->version == 0)
		return real;	/* ROCr ignores an all-zero OverrideEngineId */
	if (source)
		*source = name;
	return o->version;
}

const char *rmcp_env_get(const struct rmcp_env *e, const char *name)
{
	for (size_t i = 0; i < e->n_vars; i++)
		if (strcmp(e->vars[i].name, name) == 0)
			return e->vars[i].value;
	return NULL;
}

const char *rmcp_visible_state_name(enum rmcp_visible_state s)
{
	switch (s) {
	case RMCP_VISIBLE_UNSET:
		return "unset";
	case RMCP_VISIBLE_EMPTY:
		return "empty";
	case RMCP_VISIBLE_VALUE:
		return "value";
	}
	return "unset";
}
