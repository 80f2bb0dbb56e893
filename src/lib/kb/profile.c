/* SPDX-License-Identifier: MIT */
/* The run/env profile: data/profiles.tsv rules over the doctor's findings (profile.h); the
 * environment it changes, and applying it to the user's, is profile_env.c. */
#include "profile_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "plan.h"
#include "sysroot.h"
#include "target.h"
#include "verdict.h"
#include "banned.h"

#define OVERRIDE_VAR "HSA_OVERRIDE_GFX_VERSION"
#define FAMILY_EVIDENCE "https://github.com/ROCm/ROCm/issues/2527"
/* The plan's overrides are judged by ISA group (LLVM's generic targets in data/targets.tsv). */
#define PLAN_EVIDENCE "https://llvm.org/docs/AMDGPUUsage.html#generic-processors"

const char *rmcp_profile_kind_name(enum rmcp_profile_kind k)
{
	switch (k) {
	case RMCP_PROFILE_GPU:
		return "gpu";
	case RMCP_PROFILE_CPU:
		return "cpu";
	}
	return "?";
}

const char *rmcp_profile_stage_name(enum rmcp_profile_stage s)
{
	switch (s) {
	case RMCP_STAGE_CLEAN:
		return "clean";
	case RMCP_STAGE_FIX:
		return "fix";
	case RMCP_STAGE_TUNE:
		return "tune";
	case RMCP_STAGE_ALWAYS:
		return "always";
	}
	return "?";
}

const char *rmcp_profile_op_name(enum rmcp_profile_op op)
{
	switch (op) {
	case RMCP_PROFILE_SET:
		return "set";
	case RMCP_PROFILE_UNSET:
		return "unset";
	}
	return "?";
}

const char *rmcp_device_mode_name(enum rmcp_device_mode m)
{
	switch (m) {
	case RMCP_DEVICE_AUTO:
		return "auto";
	case RMCP_DEVICE_GPU:
		return "gpu";
	case RMCP_DEVICE_CPU:
		return "cpu";
	}
	return "?";
}

int rmcp_device_mode_parse(const char *s, enum rmcp_device_mode *out)
{
	static const enum rmcp_device_mode all[] = { RMCP_DEVICE_AUTO, RMCP_DEVICE_GPU, RMCP_DEVICE_CPU };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, rmcp_device_mode_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

int rmcp_shell_parse(const char *s, enum rmcp_shell *out)
{
	if (strcmp(s, "sh") == 0)
		*out = RMCP_SHELL_SH;
	else if (strcmp(s, "fish") == 0)
		*out = RMCP_SHELL_FISH;
	else
		return -EINVAL;
	return 0;
}

/* ---- the profile's variables ---- */

static void one_line(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
	for (char *q = dst; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
}

/* Add (or replace: a later stage wins) the outcome for a variable. */
static struct rmcp_profile_var *profile_put(struct rmcp_profile *p, const char *name,
					    enum rmcp_profile_op op, const char *value,
					    const char *rule, const char *why, const char *evidence,
					    int gpu)
{
	struct rmcp_profile_var *v = NULL;
	for (size_t i = 0; i < p->n_vars && !v; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			v = &p->vars[i];
	if (!v) {
		if (p->n_vars == RMCP_PROFILE_MAX_VARS) {
			p->n_dropped++;
			return NULL;
		}
		v = &p->vars[p->n_vars++];
	}
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->op = op;
	if (op == RMCP_PROFILE_SET)
		snprintf(v->value, sizeof(v->value), "%s", value ? value : "");
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	one_line(v->why, sizeof(v->why), why);
	snprintf(v->evidence, sizeof(v->evidence), "%s", evidence ? evidence : "");
	v->gpu = gpu;
	return v;
}

struct build {
	const struct rmcp_profile_opts *o;
	struct rmcp_profile *p;
	struct profile_env env;		/* the user's environment with the profile so far */
	struct rmcp_diagnosis *d;	/* the diagnosis the current stage reads */
	bool changed;			/* env changed since d was made */
	int rc;
};

static void put_and_apply(struct build *b, const char *name, enum rmcp_profile_op op,
			  const char *value, const char *rule, const char *why,
			  const char *evidence, int gpu)
{
	const struct rmcp_profile_var *v = profile_put(b->p, name, op, value, rule, why, evidence, gpu);
	if (!v)
		return;
	const char *now = profile_env_get(&b->env, name);
	bool same = op == RMCP_PROFILE_UNSET ? now == NULL : now && strcmp(now, v->value) == 0;
	if (!same)
		b->changed = true;
	int rc = profile_env_apply(&b->env, v);
	if (rc < 0)
		b->rc = rc;
}

static bool list_has(const char *list, char sep, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, item, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* An override for one GPU on a machine whose GPUs differ must name that GPU's node
 * (HSA_OVERRIDE_GFX_VERSION_<node>, libhsakmt since ROCm 6.2), or it would change the
 * others too (research/problem.md §1c). */
static bool needs_per_node(const struct rmcp_diagnosis *d, int gpu)
{
	for (size_t j = 0; j < d->n_gpus; j++)
		if ((int)j != gpu && d->gpus[j].gpu->hsakmt_node >= 0 &&
		    strcmp(d->gpus[j].gfx, d->gpus[gpu].gfx) != 0)
			return true;
	return false;
}

static void fire(struct build *b, const struct rmcp_profile_rule *r, int gpu)
{
	const struct rmcp_diagnosis *d = b->d;
	if (strcmp(r->name, "{override_source}") == 0) {
		if (gpu >= 0) {
			if (d->gpus[gpu].override_source)
				put_and_apply(b, d->gpus[gpu].override_source, r->op, r->value, r->id,
					      r->why, r->evidence, gpu);
			return;
		}
		bool any = false;
		for (size_t i = 0; i < d->n_gpus; i++)
			if (d->gpus[i].override_invalid && d->gpus[i].override_source) {
				put_and_apply(b, d->gpus[i].override_source, r->op, r->value, r->id,
					      r->why, r->evidence, -1);
				any = true;
			}
		if (!any)
			put_and_apply(b, OVERRIDE_VAR, r->op, r->value, r->id, r->why, r->evidence, -1);
		return;
	}
	if (r->op == RMCP_PROFILE_SET && strcmp(r->name, OVERRIDE_VAR) == 0 && gpu >= 0 &&
	    needs_per_node(d, gpu)) {
		int node = d->gpus[gpu].gpu->hsakmt_node;
		if (node < 0)
			return;	/* libhsakmt drops this GPU: no variable can reach it */
		char name[64];
		snprintf(name, sizeof(name), "%s_%d", OVERRIDE_VAR, node);
		put_and_apply(b, name, r->op, r->value, r->id, r->why, r->evidence, gpu);
		return;
	}
	put_and_apply(b, r->name, r->op, r->value, r->id, r->why, r->evidence, gpu);
}

static void run_stage(struct build *b, enum rmcp_profile_kind kind, enum rmcp_profile_stage st)
{
	for (size_t k = 0; k < rmcp_profile_rules_len && b->rc == 0; k++) {
		const struct rmcp_profile_rule *r = &rmcp_profile_rules[k];
		if (r->kind != kind || r->stage != st)
			continue;
		switch (r->cond) {
		case RMCP_COND_ALWAYS:
			fire(b, r, -1);
			break;
		case RMCP_COND_FINDING:
			for (size_t i = 0; b->d && i < b->d->result.n_findings; i++) {
				const struct rmcp_finding *f = &b->d->result.findings[i];
				if (list_has(r->cond_arg, '|', f->rule->id))
					fire(b, r, f->gpu);
			}
			break;
		case RMCP_COND_GFX:
			for (size_t i = 0; b->d && i < b->d->n_gpus; i++)
				if (list_has(r->cond_arg, ',', b->d->gpus[i].gfx))
					fire(b, r, (int)i);
			break;
		}
	}
}

static void diagnosis_free(struct rmcp_diagnosis *d)
{
	if (d) {
		rmcp_diagnosis_release(d);
		free(d);
	}
}

static int diagnose(struct build *b, struct rmcp_err *err)
{
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!d)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	struct rmcp_diag_opts dopt = {
		.sysroot = b->o->sysroot,
		.envp = b->env.v,
		.torch_dirs = b->o->torch_dirs,
		.python_paths = b->o->python_paths,
		.cache_dir = b->o->cache_dir,
	};
	int rc = rmcp_diagnose(&dopt, d, err);
	if (rc < 0) {
		diagnosis_free(d);
		return rc;
	}
	diagnosis_free(b->d);
	b->d = d;
	b->changed = false;
	return 0;
}

static uint32_t real_version(const struct rmcp_gpu *g)
{
	if (g->gfx_version)
		return g->gfx_version;
	return g->target && g->target->version_known ? g->target->version : 0;
}

int rmcp_override_family_check(const struct rmcp_machine *m, const struct rmcp_env *e,
			       const char **var, char *why, size_t cap)
{
	int bad = 0;
	if (var)
		*var = NULL;
	/* A GPU KFD made no node for (skipped for PCIe atomics, amdgpu not bound) would get the
	 * next node number after the ones there are, in PCI order. */
	int next_node = (int)m->cpu_nodes;
	for (size_t i = 0; i < m->n_gpus; i++)
		if (m->gpus[i].node >= next_node)
			next_node = m->gpus[i].node + 1;
	for (size_t i = 0; i < m->n_gpus; i++) {
		const struct rmcp_gpu *g = &m->gpus[i];
		/* libhsakmt's rule for a node it keeps. A GPU it drops today (no access, no
		 * atomics) gets its overrides the day it comes back: the per-node one under its
		 * KFD node number (the id it then gets when the CPU nodes come first), else the
		 * global one. */
		int node = g->hsakmt_node >= 0 ? g->hsakmt_node : g->node >= 0 ? g->node : next_node++;
		uint32_t real = real_version(g);
		const struct rmcp_target *t = rmcp_target_by_version(real);
		if (!real || !t)
			continue;
		const char *src = NULL;
		uint32_t eff = rmcp_env_effective_version(e, node, real, &src);
		if (eff == 0 || eff == real)
			continue;	/* invalid (no GPU at all: the clean stage's business) or none */
		const struct rmcp_target *te = rmcp_target_by_version(eff);
		/* Judged by ISA group (targets.tsv's generic column), never by marketing family:
		 * gfx1151 under 11.0.0 stays in gfx11-generic, gfx1010 under 10.3.0 leaves
		 * gfx10-1-generic. */
		const char *group = t->generic ? t->generic : t->name;
		if (te && strcmp(te->generic ? te->generic : te->name, group) == 0)
			continue;
		if (bad++ == 0) {
			char name[24] = "";
			if (rmcp_gfx_name(eff, name, sizeof(name)) < 0)
				snprintf(name, sizeof(name), "%u", eff);
			if (var)
				*var = src;
			if (why && cap)
				snprintf(why, cap,
					 "with %s the %s GPU %s would run %s code (%s): another ISA group's "
					 "instruction set, never a sound override",
					 src ? src : "an override", group, t->name, name,
					 te ? (te->generic ? te->generic : te->name) : "unknown group");
		}
	}
	return bad;
}

/* The code-level guarantee: remove whatever override would make a GPU run another family's
 * code, whatever the rules did. */
static int family_check(struct build *b, struct rmcp_err *err)
{
	struct rmcp_env *e = calloc(1, sizeof(*e));
	if (!e)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	for (int round = 0; round < 2 + RMCP_ENV_MAX_NODE_OVERRIDES && rc == 0; round++) {
		const char *var = NULL;
		char why[320];
		if ((rc = rmcp_env_read(b->env.v, e, err)) < 0)
			break;
		if (rmcp_override_family_check(&b->d->machine, e, &var, why, sizeof(why)) == 0)
			break;
		if (!var) {
			rc = rmcp_err_set(err, -RMCP_E_FORMAT, "%s", why);
			break;
		}
		char name[64];
		snprintf(name, sizeof(name), "%s", var);	/* var points into e */
		put_and_apply(b, name, RMCP_PROFILE_UNSET, NULL, "family-check", why, FAMILY_EVIDENCE, -1);
		rc = b->rc;
	}
	free(e);
	return rc;
}

static void add_preload(struct build *b)
{
	const struct rmcp_profile_opts *o = b->o;
	const char *guard = o->guard ? o->guard : "block";
	if (strcmp(guard, "off") == 0 || !o->preload || !*o->preload)
		return;
	char value[RMCP_PROFILE_VALUE_MAX];
	const char *old = profile_env_get(&b->env, "LD_PRELOAD");
	/* ld.so takes colon- or space-separated names; keep the user's, ours first. */
	bool present = false;
	if (old) {
		size_t n = strlen(o->preload);
		for (const char *q = strstr(old, o->preload); q; q = strstr(q + 1, o->preload))
			if ((q == old || q[-1] == ':' || q[-1] == ' ') &&
			    (q[n] == '\0' || q[n] == ':' || q[n] == ' '))
				present = true;
	}
	int w = present ? snprintf(value, sizeof(value), "%s", old)
		: old && *old ? snprintf(value, sizeof(value), "%s:%s", o->preload, old)
			      : snprintf(value, sizeof(value), "%s", o->preload);
	if (w < 0 || (size_t)w >= sizeof(value))
		return;	/* a longer LD_PRELOAD than ld.so itself would accept: leave it */
	snprintf(b->p->preload, sizeof(b->p->preload), "%s", o->preload);
	put_and_apply(b, "LD_PRELOAD", RMCP_PROFILE_SET, value, "preload",
		      "librmcp.so checks every kernel the program registers against the real GPU "
		      "and stops the ones that cannot run on it", "", -1);
	put_and_apply(b, "RMCP_GUARD", RMCP_PROFILE_SET, guard, "guard",
		      strcmp(guard, "block") == 0
			      ? "a kernel with no code for this GPU fails with a message naming the "
				"library, the kernel and the fix, instead of a crash or a hang"
			      : "the guard mode asked for with --guard", "", -1);
	if (o->memory)
		put_and_apply(b, "RMCP_MEMORY", RMCP_PROFILE_SET, o->memory, "memory",
			      "the memory policy asked for with --memory (docs/memory-policy.md)", "", -1);
	if (o->sysroot && *o->sysroot && strcmp(o->sysroot, "/") != 0) {
		/* absolute: the command may change directory before HIP starts */
		char abs[RMCP_PROFILE_VALUE_MAX];
		char *real = realpath(o->sysroot, NULL);
		snprintf(abs, sizeof(abs), "%s", real ? real : o->sysroot);
		free(real);
		put_and_apply(b, "RMCP_SYSROOT", RMCP_PROFILE_SET, abs, "sysroot",
			      "the preload reads the same machine (--sysroot) as the profile", "", -1);
	}
}

static void record_gpus(struct rmcp_profile *p, const struct rmcp_diagnosis *d, bool first)
{
	if (first) {
		p->n_gpus = d->n_gpus;
		p->verdict = d->result.verdict;
		one_line(p->summary, sizeof(p->summary), d->result.summary);
		const struct rmcp_stack *s = d->stack;
		if (s && d->torch >= 0 && (size_t)d->torch < s->n_torch) {
			/* The install's path on this machine: resolved inside the sysroot. */
			struct rmcp_path *sr = rmcp_path_new(d->machine.sysroot, "/");
			if (!sr || rmcp_path_host(sr, s->torch[d->torch].path, p->torch_dir, sizeof(p->torch_dir)) < 0)
				p->torch_dir[0] = '\0';
			rmcp_path_free(sr);
			p->torch_bundles_rocm = s->torch[d->torch].bundles_rocm;
		}
	}
	p->verdict_profile = d->result.verdict;
	one_line(p->summary_profile, sizeof(p->summary_profile), d->result.summary);
	for (size_t i = 0; i < d->n_gpus && i < RMCP_MAX_GPUS; i++) {
		struct rmcp_profile_gpu *g = &p->gpus[i];
		const struct rmcp_diag_gpu *dg = &d->gpus[i];
		enum rmcp_verdict v = i < d->result.n_gpus ? d->result.gpu_verdict[i] : RMCP_VERDICT_NO;
		if (first) {
			snprintf(g->name, sizeof(g->name), "%s", dg->gpu->name);
			snprintf(g->gfx, sizeof(g->gfx), "%s", dg->gfx);
			g->verdict = v;
		}
		snprintf(g->gfx_effective, sizeof(g->gfx_effective), "%s", dg->gfx_effective);
		g->hip_index = dg->hip_index;
		g->verdict_profile = v;
	}
}

/* The clean and fix stages are the doctor's whole-machine plan (plan.h): the variables it
 * exports and unsets, checked there by re-diagnosing the machine after them. */
static void apply_plan(struct build *b)
{
	const struct rmcp_plan *pl = &b->d->plan;
	for (size_t i = 0; i < pl->n && b->rc == 0; i++) {
		const struct rmcp_plan_step *s = &pl->steps[i];
		if (s->kind != RMCP_PLAN_EXPORT && s->kind != RMCP_PLAN_UNSET)
			continue;
		put_and_apply(b, s->var, s->kind == RMCP_PLAN_EXPORT ? RMCP_PROFILE_SET : RMCP_PROFILE_UNSET, s->value,
			      s->id, s->text, PLAN_EVIDENCE, s->gpu);
	}
}

int rmcp_profile_build_gpu(const struct rmcp_profile_opts *o, struct rmcp_profile *p,
			   struct rmcp_err *err)
{
	memset(p, 0, sizeof(*p));
	p->kind = RMCP_PROFILE_GPU;
	struct build b = { .o = o, .p = p };
	int rc = profile_env_from(&b.env, o->envp);
	if (rc < 0)
		return rmcp_err_set(err, rc, "out of memory");
	static const enum rmcp_profile_stage stages[] = { RMCP_STAGE_CLEAN, RMCP_STAGE_FIX,
							   RMCP_STAGE_TUNE };
	for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		/* Each stage reads the diagnosis of the environment the earlier ones left. */
		if ((!b.d || b.changed) && (rc = diagnose(&b, err)) < 0)
			goto out;
		if (s == 0) {
			record_gpus(p, b.d, true);
			p->diagnosed = true;
		}
		if (stages[s] == RMCP_STAGE_CLEAN)
			apply_plan(&b);
		run_stage(&b, RMCP_PROFILE_GPU, stages[s]);
		if ((rc = b.rc) < 0) {
			rmcp_err_set(err, rc, "out of memory");
			goto out;
		}
	}
	if ((rc = family_check(&b, err)) < 0)
		goto out;
	if (b.changed && (rc = diagnose(&b, err)) < 0)
		goto out;
	record_gpus(p, b.d, false);
	add_preload(&b);
	if ((rc = b.rc) < 0) {
		rmcp_err_set(err, rc, "out of memory");
		goto out;
	}
	snprintf(p->reason, sizeof(p->reason), "the GPU profile for %s",
		 p->n_gpus ? "this machine's GPUs" : "this machine (no AMD GPU found)");
out:
	diagnosis_free(b.d);
	profile_env_free(&b.env);
	return rc;
}

void rmcp_profile_make_cpu(struct rmcp_profile *p, const char *reason)
{
	p->kind = RMCP_PROFILE_CPU;
	p->n_vars = 0;
	p->n_dropped = 0;
	p->preload[0] = '\0';
	one_line(p->reason, sizeof(p->reason), reason);
	for (size_t k = 0; k < rmcp_profile_rules_len; k++) {
		const struct rmcp_profile_rule *r = &rmcp_profile_rules[k];
		if (r->kind == RMCP_PROFILE_CPU)
			profile_put(p, r->name, r->op, r->value, r->id, r->why, r->evidence, -1);
	}
	for (size_t i = 0; i < p->n_gpus; i++)
		p->gpus[i].hip_index = -1;
}
