/* SPDX-License-Identifier: MIT */
/*
 * Software facts for the knowledge base (split out of verdict.c): what the judged PyTorch and
 * the system ROCm hold for each GPU, from the stack reader's coverage (stack.h). No rule logic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"
#include "verdict_internal.h"
#include "banned.h"

/* ---- software: what the judged PyTorch and the system ROCm hold for a GPU ---- */

static bool has_prefix_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0' || path[n] == '!');
}

enum lib_kind { LIB_CODE, LIB_TENSILE, LIB_SKIP };

/* Component names come from stack.h (rmcp_stack_read). */
static enum lib_kind lib_kind(const struct rmcp_lib_coverage *l)
{
	if (l->coverage == RMCP_COVERAGE_NO_DEVICE_CODE)
		return LIB_SKIP;
	/* MIOpen kernel databases are optional precompiled kernels: without one MIOpen
	 * compiles at first use (report.c rmcp_file_covers makes the same call). */
	if (strcmp(l->component, "miopen-kdb") == 0)
		return LIB_SKIP;
	/* rocBLAS Tensile files are what "Cannot read TensileLibrary.dat" is about. hipBLASLt
	 * ships kernels for few processors and PyTorch falls back to rocBLAS elsewhere, so a
	 * hipBLASLt directory without this GPU is normal, not a failure. */
	if (strcmp(l->component, "rocblas-tensile") == 0)
		return LIB_TENSILE;
	if (strstr(l->component, "-tensile"))
		return LIB_SKIP;
	return LIB_CODE;
}

/* Can the runtime load code from this library on a GPU whose agent claims the effective
 * processor? (stack.h: effective_covered equals real_covered without an override.) */
static bool lib_loads(const struct rmcp_lib_coverage *l)
{
	return l->effective_covered;
}

struct coverage {
	unsigned libs, ok, missing, unknown;
	unsigned tensile_files, tensile_ok;
	char missing_list[RMCP_FACT_VALUE_MAX];	/* file names */
	char missing_comps[RMCP_FACT_VALUE_MAX];	/* stack.h component names */
};

void rmcp_verdict_list_add(char *list, size_t cap, const char *item)
{
	size_t n = strlen(list);
	if (n + strlen(item) + 2 >= cap)
		return;
	snprintf(list + n, cap - n, "%s%s", n ? "," : "", item);
}

/* Is item one of the comma-separated items of list? */
bool rmcp_verdict_list_has(const char *list, const char *item, size_t len)
{
	for (const char *q = list; *q;) {
		size_t ql = strcspn(q, ",");
		if (ql == len && strncmp(q, item, len) == 0)
			return true;
		q += ql + (q[ql] == ',');
	}
	return false;
}

static void coverage_of(const struct rmcp_stack *s, const char *owner, const char *dir, struct coverage *cov)
{
	memset(cov, 0, sizeof(*cov));
	if (!s)
		return;
	for (size_t i = 0; i < s->n_libs; i++) {
		const struct rmcp_lib_coverage *l = &s->libs[i];
		if (strcmp(l->owner, owner) != 0 || (dir && !has_prefix_dir(l->path, dir)))
			continue;
		enum lib_kind k = lib_kind(l);
		if (k == LIB_SKIP)
			continue;
		bool loads = lib_loads(l);
		if (k == LIB_TENSILE) {
			cov->tensile_files++;
			cov->tensile_ok += loads;
			continue;
		}
		cov->libs++;
		const char *base = strrchr(l->path, '/');
		base = base ? base + 1 : l->path;
		if (l->coverage == RMCP_COVERAGE_UNKNOWN && !l->targets[0]) {
			cov->unknown++;
		} else if (loads) {
			cov->ok++;
		} else {
			cov->missing++;
			rmcp_verdict_list_add(cov->missing_list, sizeof(cov->missing_list), base);
			if (l->component[0] && !rmcp_verdict_list_has(cov->missing_comps, l->component, strlen(l->component)))
				rmcp_verdict_list_add(cov->missing_comps, sizeof(cov->missing_comps), l->component);
		}
	}
}

/* Which of the libraries with device code have code the runtime can load; which libraries
 * matter is the rules' business (data/kb/rules.json), not this function's. */
static const char *coverage_word(const struct coverage *c)
{
	if (c->libs == 0)
		return "unknown";
	if (c->missing && c->ok)
		return "partial";
	if (c->missing)
		return "none";
	if (c->unknown)
		return "unknown";
	return "complete";
}

static const char *tensile_word(const struct coverage *c)
{
	if (!c->tensile_files)
		return "absent";
	return c->tensile_ok ? "present" : "none";
}

/* The PyTorch to judge: a ROCm build with the fewest libraries lacking code for the first
 * GPU (the one a user most likely means); the first install if none is a ROCm build. */
int rmcp_verdict_pick_torch(const struct rmcp_diagnosis *d)
{
	const struct rmcp_stack *s = d->stack;
	if (!s || !s->n_torch)
		return -1;
	int best = -1;
	unsigned best_missing = ~0u;
	for (size_t t = 0; t < s->n_torch; t++) {
		if (!s->torch[t].hip[0])
			continue;
		unsigned missing = 0;
		if (d->n_gpus && d->gpus[0].stack) {
			struct coverage c;
			coverage_of(d->gpus[0].stack, "torch", s->torch[t].path, &c);
			missing = c.missing + (c.tensile_files && !c.tensile_ok);
		}
		if (best < 0 || missing < best_missing) {
			best = (int)t;
			best_missing = missing;
		}
	}
	return best >= 0 ? best : 0;
}

/* prefix + component ('-' -> '_', the key alphabet) = processors named in its targets. */
static int component_targets(struct rmcp_facts *f, const char *prefix, const struct rmcp_lib_coverage *l)
{
	char key[RMCP_FACT_KEY_MAX];
	int n = snprintf(key, sizeof(key), "%s%s", prefix, l->component);
	if (n < 0 || (size_t)n >= sizeof(key))
		return 0;
	for (char *k = key + strlen(prefix); *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
			*k = '_';
	char list[RMCP_FACT_VALUE_MAX];
	const char *old = rmcp_facts_get(f, key);
	snprintf(list, sizeof(list), "%s", old ? old : "");
	for (const char *p = l->targets; *p;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " "), pl = strcspn(p, ": ");
		char proc[RMCP_PROC_MAX];
		if (pl && pl <= len && pl < sizeof(proc) && !rmcp_verdict_list_has(list, p, pl)) {
			memcpy(proc, p, pl);
			proc[pl] = '\0';
			rmcp_verdict_list_add(list, sizeof(list), proc);
		}
		p += len;
	}
	return rmcp_facts_set(f, key, list);
}

int rmcp_verdict_software_facts(struct rmcp_facts *f, const struct rmcp_diagnosis *d)
{
	int rc;
	const struct rmcp_stack *s = d->stack;
	unsigned rocm_torch = 0;
	for (size_t t = 0; s && t < s->n_torch; t++)
		rocm_torch += s->torch[t].hip[0] != '\0';
	SETF(f, "torch.installs", "%zu", s ? s->n_torch : 0);
	SETF(f, "torch.rocm", "%u", rocm_torch);
	if (s && d->torch >= 0) {
		const struct rmcp_torch_install *t = &s->torch[d->torch];
		SET(f, "torch.path", t->path);
		SET(f, "torch.version", t->version[0] ? t->version : "unknown");
		SET(f, "torch.hip", t->hip);
		SET(f, "torch.bundles_rocm", t->bundles_rocm ? "yes" : "no");
	}
	if (s && d->torch >= 0 && d->n_gpus) {
		/* Processors per component of the judged PyTorch (any GPU's stack lists the same
		 * files and targets; coverage is what differs per GPU). */
		const struct rmcp_stack *gs = d->gpus[0].stack ? d->gpus[0].stack : s;
		for (size_t i = 0; i < gs->n_libs; i++) {
			const struct rmcp_lib_coverage *l = &gs->libs[i];
			if (strcmp(l->owner, "torch") != 0 || !has_prefix_dir(l->path, s->torch[d->torch].path) ||
			    !l->component[0] || l->coverage == RMCP_COVERAGE_NO_DEVICE_CODE)
				continue;
			if ((rc = component_targets(f, "torch.targets.", l)) < 0)
				return rc;
		}
	}
	SETF(f, "rocm.installs", "%zu", s ? s->n_rocm : 0);
	if (s && d->rocm >= 0) {
		SET(f, "rocm.version", s->rocm[d->rocm].version);
		SET(f, "rocm.path", s->rocm[d->rocm].path);
	}
	return 0;
}

/* Libraries whose code the runtime loads under the override: checked by verdict_isa.c. */
static bool isa_pick(const struct rmcp_lib_coverage *l)
{
	return lib_kind(l) == LIB_CODE && lib_loads(l);
}

int rmcp_verdict_coverage_facts(struct rmcp_diagnosis *d, struct rmcp_diag_gpu *dg)
{
	struct rmcp_facts *f = &dg->facts;
	int rc;
	/* Whether the judged PyTorch has code for the GPU's own processor, whatever an override
	 * makes the runtime load (a GPU with its code is never told to install it). */
	const char *own = rmcp_facts_get(&d->facts, "torch.targets.libtorch_hip");
	SET(f, "gpu.torch.own", own && rmcp_verdict_list_has(own, dg->gfx, strlen(dg->gfx)) ? "yes" : "no");
	SET(f, "gpu.torch.isa", strcmp(dg->gfx, dg->gfx_effective) == 0 ? "native" : "override");
	const struct rmcp_stack *s = dg->stack;
	struct coverage c;
	bool rocm_torch = d->stack && d->torch >= 0 && d->stack->torch[d->torch].hip[0];
	if (!s && rocm_torch) {
		/* A ROCm PyTorch exists but this GPU's processor is unknown: nothing was judged. */
		SET(f, "gpu.torch", "unknown");
		SET(f, "gpu.torch.libs", "0");
		SET(f, "gpu.torch.missing", "");
		SET(f, "gpu.torch.missing_files", "");
		SET(f, "gpu.torch.missing_count", "0");
		SET(f, "gpu.tensile", "unknown");
	} else if (!s || !rocm_torch) {
		SET(f, "gpu.torch", "absent");
		SET(f, "gpu.torch.libs", "0");
		SET(f, "gpu.torch.missing", "");
		SET(f, "gpu.torch.missing_files", "");
		SET(f, "gpu.torch.missing_count", "0");
		SET(f, "gpu.tensile", "absent");
	} else {
		const struct rmcp_torch_install *t = &s->torch[d->torch];
		coverage_of(s, "torch", t->path, &c);
		SET(f, "gpu.torch", coverage_word(&c));
		SETF(f, "gpu.torch.libs", "%u", c.libs);
		SET(f, "gpu.torch.missing", c.missing_comps);
		SET(f, "gpu.torch.missing_files", c.missing_list);
		SETF(f, "gpu.torch.missing_count", "%u", c.missing);
		if (c.tensile_files || t->bundles_rocm) {
			SET(f, "gpu.tensile", tensile_word(&c));
		} else {
			/* A PyTorch without its own rocBLAS loads the system's, Tensile files too. */
			struct coverage r;
			coverage_of(s, "rocm", NULL, &r);
			SET(f, "gpu.tensile", tensile_word(&r));
		}
	}
	rc = rmcp_verdict_isa_facts(f, d->machine.sysroot, s, rocm_torch && s ? s->torch[d->torch].path : NULL,
				    dg->gfx, dg->gfx_effective, isa_pick);
	if (rc < 0)
		return rc;
	coverage_of(s, "rocm", NULL, &c);
	SET(f, "gpu.tensile_rocm", s ? tensile_word(&c) : "unknown");
	SET(f, "gpu.rocm", !d->stack || !d->stack->n_rocm ? "absent" : s ? coverage_word(&c) : "unknown");
	SET(f, "gpu.rocm.missing", c.missing_comps);
	SET(f, "gpu.rocm.missing_files", c.missing_list);
	return 0;
}

