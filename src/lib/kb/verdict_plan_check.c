/* SPDX-License-Identifier: MIT */
/*
 * Checking the whole-machine plan (plan.h): apply each step's effect to copies of the facts
 * (override variables per libhsakmt's rule, HIP_VISIBLE_DEVICES per clr's, the installed
 * PyTorch's code per data/support.tsv), derive the facts the rules read again, re-run the
 * knowledge base, and compare. The derivations mirror verdict.c for what a step can change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"
#include "support.h"
#include "target.h"
#include "banned.h"

static int copy_facts(struct rmcp_facts *dst, const struct rmcp_facts *src, const char *skip_prefix)
{
	rmcp_facts_init(dst);
	for (size_t i = 0; src && i < src->n; i++) {
		if (skip_prefix && strncmp(src->v[i].key, skip_prefix, strlen(skip_prefix)) == 0)
			continue;
		int rc = rmcp_facts_set(dst, src->v[i].key, src->v[i].value);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The processors a planned build carries ("pin:2.11.0" expands through the support matrix). */
static void carried_list(const char *targets, char *out, size_t cap)
{
	out[0] = '\0';
	if (strncmp(targets, "pin:", 4) != 0) {
		snprintf(out, cap, "%s", targets);
		return;
	}
	for (size_t i = 0; i < rmcp_support_table_len; i++)
		if (rmcp_support_wheel_has(&rmcp_support_table[i], targets + 4)) {
			size_t l = strlen(out);
			snprintf(out + l, cap - l, "%s%s", l ? "," : "", rmcp_support_table[i].gfx);
		}
}

static int install_torch(struct rmcp_facts *m, const char *targets)
{
	struct rmcp_facts tmp;
	int rc = copy_facts(&tmp, m, "torch.");
	if (rc < 0) {
		rmcp_facts_release(&tmp);
		return rc;
	}
	rmcp_facts_release(m);
	*m = tmp;
	bool cpu = strcmp(targets, "cpu") == 0;
	char list[RMCP_FACT_VALUE_MAX];
	carried_list(targets, list, sizeof(list));
	static const char *const comps[] = { "torch.targets.libtorch_hip", "torch.targets.rocblas",
					     "torch.targets.rocblas_tensile", "torch.targets.miopen" };
	if ((rc = rmcp_facts_set(m, "torch.installs", "1")) < 0 ||
	    (rc = rmcp_facts_set(m, "torch.rocm", cpu ? "0" : "1")) < 0 ||
	    (rc = rmcp_facts_set(m, "torch.version", cpu ? "planned (CPU)" : "planned")) < 0 ||
	    (rc = rmcp_facts_set(m, "torch.path", "(the planned install)")) < 0 ||
	    (rc = rmcp_facts_set(m, "torch.hip", cpu ? "" : "planned")) < 0 ||
	    (rc = rmcp_facts_set(m, "torch.bundles_rocm", "yes")) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]) && !cpu; i++)
		if ((rc = rmcp_facts_set(m, comps[i], list)) < 0)
			return rc;
	return 0;
}

static bool covers(const char *list, const char *gfx)
{
	return plan_list_has(list, gfx) || plan_list_has(list, rmcp_isa_group(gfx));
}

/* gpu.torch* and gpu.tensile for the effective processor, from the torch.targets.* lists. */
static int coverage(struct rmcp_facts *g, const struct rmcp_facts *m, const char *eff)
{
	int rc;
	if (plan_num(m, "torch.rocm") < 1) {
		const char *keys[] = { "gpu.torch", "gpu.torch.libs", "gpu.torch.missing", "gpu.torch.missing_files",
				       "gpu.torch.missing_count", "gpu.tensile" };
		const char *vals[] = { "absent", "0", "", "", "0", "absent" };
		for (size_t i = 0; i < 6; i++)
			if ((rc = rmcp_facts_set(g, keys[i], vals[i])) < 0)
				return rc;
		return 0;
	}
	unsigned libs = 0, ok = 0, tensile = 0, tensile_ok = 0;
	char missing[RMCP_FACT_VALUE_MAX] = "";
	const char *prefix = "torch.targets.";
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->v[i].key;
		if (strncmp(k, prefix, strlen(prefix)) != 0)
			continue;
		const char *comp = k + strlen(prefix);
		bool has = covers(m->v[i].value, eff);
		if (strcmp(comp, "rocblas_tensile") == 0) {
			tensile++;
			tensile_ok += has;
			continue;
		}
		if (strstr(comp, "_tensile") || strcmp(comp, "miopen_kdb") == 0)
			continue;
		libs++;
		if (has) {
			ok++;
		} else {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? "," : "", comp);
		}
	}
	const char *word = !libs ? "unknown" : ok == libs ? "complete" : ok ? "partial" : "none";
	if ((rc = rmcp_facts_set(g, "gpu.torch", word)) < 0 || (rc = rmcp_facts_setf(g, "gpu.torch.libs", "%u", libs)) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.torch.missing", missing)) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.torch.missing_files", missing)) < 0 ||
	    (rc = rmcp_facts_setf(g, "gpu.torch.missing_count", "%u", libs - ok)) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.tensile", !tensile ? "absent" : tensile_ok ? "present" : "none")) < 0)
		return rc;
	return 0;
}

static int gpu_after(struct rmcp_facts *g, const struct rmcp_facts *m, const struct plan_env *e, size_t i,
		     bool torch_changed)
{
	char var[64], eff[24];
	const char *gfx = plan_fact(g, "gpu.gfx");
	const char *val = plan_env_value(e, i, var, sizeof(var));
	if (!val || !plan_override_gfx(val, eff, sizeof(eff)))
		snprintf(eff, sizeof(eff), "%s", gfx);
	if (!torch_changed && strcmp(eff, plan_fact(g, "gpu.gfx_effective")) == 0 &&
	    strcmp(val ? val : "", plan_fact(g, "gpu.override_value")) == 0)
		return 0;	/* nothing this GPU sees changed: keep the facts read from disk */
	const struct rmcp_target *t = rmcp_target_by_name(eff, strlen(eff));
	int rc;
	if ((rc = rmcp_facts_set(g, "gpu.gfx_effective", eff)) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.family_effective", t && t->family ? t->family : "unknown")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.group_effective", rmcp_isa_group(eff))) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.override", !val ? "none" : strcmp(var, OVERRIDE_VAR) == 0 ? "global" : "node")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.override_value", val ? val : "")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.override_var", val ? var : "")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.torch.isa", strcmp(eff, gfx) == 0 ? "native" : "override")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.isa_checked", "no")) < 0 ||
	    (rc = rmcp_facts_set(g, "gpu.torch.own", plan_list_has(plan_fact(m, "torch.targets.libtorch_hip"), gfx)
							     ? "yes" : "no")) < 0)
		return rc;
	return coverage(g, m, eff);
}

/* HIP_VISIBLE_DEVICES over the GPUs ROCr enumerates (KFD node ok, in GPU order), as clr parses it. */
static int visibility(struct rmcp_facts *m, struct rmcp_facts *g, size_t n, const char *list)
{
	size_t base[PLAN_MAX_GPUS], nb = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(plan_fact(&g[i], "gpu.kfd"), "ok") == 0)
			base[nb++] = i;
	int rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = rmcp_facts_set(&g[i], "gpu.visible", "no")) < 0 || (rc = rmcp_facts_set(&g[i], "gpu.hip_index", "-1")) < 0)
			return rc;
	unsigned shown = 0;
	for (const char *p = list; p && *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || (size_t)v >= nb)
			break;
		if ((rc = rmcp_facts_set(&g[base[v]], "gpu.visible", "yes")) < 0 ||
		    (rc = rmcp_facts_setf(&g[base[v]], "gpu.hip_index", "%u", shown++)) < 0)
			return rc;
		if (*end != ',')
			break;
		p = end + 1;
	}
	for (size_t k = 0; !list && k < nb; k++)
		if ((rc = rmcp_facts_set(&g[base[k]], "gpu.visible", "yes")) < 0 ||
		    (rc = rmcp_facts_setf(&g[base[k]], "gpu.hip_index", "%zu", k)) < 0)
			return rc;
	if (!list)
		shown = (unsigned)nb;
	if ((rc = rmcp_facts_setf(m, "machine.visible_gpus", "%u", shown)) < 0 ||
	    (rc = rmcp_facts_setf(m, "machine.hidden_gpus", "%zu", nb - shown)) < 0 ||
	    (rc = rmcp_facts_set(m, "env.hip_visible", list ? "value" : "unset")) < 0 ||
	    (rc = rmcp_facts_set(m, "env.hip_visible.value", list ? list : "")) < 0)
		return rc;
	return 0;
}

int rmcp_plan_apply(const struct rmcp_plan *p, struct rmcp_facts *m, struct rmcp_facts *g, size_t n)
{
	struct plan_env e;
	plan_env_init(&e, m, g, n);
	bool torch_changed = false, vis_changed = false;
	const char *vis = NULL;
	int rc;
	for (size_t k = 0; k < p->n; k++) {
		const struct rmcp_plan_step *s = &p->steps[k];
		if (s->kind == RMCP_PLAN_INSTALL) {
			if ((rc = install_torch(m, s->value)) < 0)
				return rc;
			torch_changed = true;
		} else if (s->kind == RMCP_PLAN_EXPORT || s->kind == RMCP_PLAN_UNSET) {
			if (plan_env_step(&e, s->kind, s->var, s->value))
				continue;
			if (strcmp(s->var, "HIP_VISIBLE_DEVICES") == 0) {
				vis_changed = true;
				vis = s->kind == RMCP_PLAN_EXPORT ? s->value : NULL;
			}
		}
	}
	if ((rc = rmcp_facts_set(m, "env.override", e.global_set ? "valid" : "unset")) < 0 ||
	    (rc = rmcp_facts_set(m, "env.override.value", e.global_set ? e.global : "")) < 0)
		return rc;
	unsigned nodes = 0;
	for (size_t i = 0; i < e.n; i++)
		nodes += e.node_set[i];
	if ((rc = rmcp_facts_setf(m, "env.override_nodes", "%u", nodes)) < 0)
		return rc;
	for (size_t i = 0; i < e.n; i++)
		if ((rc = gpu_after(&g[i], m, &e, i, torch_changed)) < 0)
			return rc;
	if (vis_changed && (rc = visibility(m, g, e.n, vis)) < 0)
		return rc;
	return 0;
}

static void problem(struct rmcp_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct rmcp_plan *p, const char *fmt, ...)
{
	if (p->n_problems < RMCP_PLAN_MAX_PROBLEMS) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->problems[p->n_problems], sizeof(p->problems[0]), fmt, ap);
		va_end(ap);
	}
	p->n_problems++;
}

/* The properties that do not need the re-diagnosis: one decision per variable, no global
 * override across ISA groups. */
static void static_checks(struct rmcp_plan *p, const struct rmcp_facts *g, size_t n, const struct rmcp_kb_result *r)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t k = i + 1; k < p->n; k++)
			if (p->steps[i].var[0] && strcmp(p->steps[i].var, p->steps[k].var) == 0)
				problem(p, "the plan sets %s twice (%s)", p->steps[i].var,
					p->steps[i].kind != p->steps[k].kind ? "export and unset" : "two values");
	for (size_t i = 0; i < p->n; i++) {
		const struct rmcp_plan_step *s = &p->steps[i];
		char proc[24];
		if (s->kind == RMCP_PLAN_EXPORT && strcmp(s->var, OVERRIDE_VAR) == 0 &&
		    plan_override_gfx(s->value, proc, sizeof(proc)))
			for (size_t j = 0; j < n; j++)
				if (strcmp(plan_fact(&g[j], "gpu.kfd"), "ok") == 0 &&
				    strcmp(rmcp_isa_group(plan_fact(&g[j], "gpu.gfx")), rmcp_isa_group(proc)) != 0)
					problem(p, "a global %s while %s of another ISA group is visible", s->var,
						plan_fact(&g[j], "gpu.gfx"));
		for (size_t j = 0; s->kind == RMCP_PLAN_INSTALL && j < n && j < r->n_gpus && j < 32; j++)
			if ((s->gpus_mask & (1u << j)) && r->gpu_verdict[j] == RMCP_VERDICT_YES)
				problem(p, "%s is told to install %s though it trains", plan_fact(&g[j], "gpu.gfx"), s->value);
	}
}

int rmcp_plan_check(const struct rmcp_facts *machine, const struct rmcp_facts *gpus, size_t n_gpus,
		    const struct rmcp_kb_result *r, struct rmcp_plan *p, enum rmcp_verdict *after)
{
	p->n_problems = 0;
	p->checked = false;
	size_t n = n_gpus < PLAN_MAX_GPUS ? n_gpus : PLAN_MAX_GPUS;
	struct rmcp_facts m;
	struct rmcp_facts *g = calloc(n ? n : 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	int rc = copy_facts(&m, machine, NULL);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = copy_facts(&g[i], &gpus[i], NULL);
	if (rc == 0)
		rc = rmcp_plan_apply(p, &m, g, n);
	struct rmcp_kb_result r2;
	if (rc == 0)
		rc = rmcp_kb_evaluate(NULL, 0, &m, g, n, &r2);
	if (rc == 0) {
		static_checks(p, gpus, n, r);
		for (size_t i = 0; i < n; i++) {
			enum rmcp_verdict before = i < r->n_gpus ? r->gpu_verdict[i] : RMCP_VERDICT_NO;
			const char *gfx = plan_fact(&gpus[i], "gpu.gfx");
			if (after)
				after[i] = r2.gpu_verdict[i];
			if (before == RMCP_VERDICT_YES && r2.gpu_verdict[i] != RMCP_VERDICT_YES)
				problem(p, "%s could train before the plan and cannot after it (%s)", gfx,
					rmcp_verdict_name(r2.gpu_verdict[i]));
			if (before == RMCP_VERDICT_YES && strcmp(plan_fact(&gpus[i], "gpu.visible"), "yes") == 0 &&
			    strcmp(plan_fact(&g[i], "gpu.visible"), "yes") != 0)
				problem(p, "the plan hides %s, which trains", gfx);
			if (strcmp(plan_fact(&g[i], "gpu.override"), "none") != 0 &&
			    strcmp(plan_fact(&g[i], "gpu.group_effective"), plan_fact(&g[i], "gpu.group")) != 0)
				problem(p, "after the plan %s still runs %s code", gfx, plan_fact(&g[i], "gpu.gfx_effective"));
		}
		if (r->verdict != RMCP_VERDICT_NONE && r2.verdict > r->verdict)
			problem(p, "the machine is worse after the plan (%s, before %s)", rmcp_verdict_name(r2.verdict),
				rmcp_verdict_name(r->verdict));
		p->verdict_after = r2.verdict;
		snprintf(p->summary_after, sizeof(p->summary_after), "%s", r2.summary);
		p->checked = true;
		rmcp_kb_result_release(&r2);
	}
	rmcp_facts_release(&m);
	for (size_t i = 0; i < n; i++)
		rmcp_facts_release(&g[i]);
	free(g);
	return rc;
}

/* KB steps the plan computes itself for the whole machine. */
static bool plan_owned(const char *id)
{
	static const char *const owned[] = { "override-unset", "fix-override-value", "override-1010", "override-1030",
					     "per-node-override", "hide-gpus", "install-torch", "native-therock",
					     "native-generic" };
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcmp(owned[i], id) == 0)
			return true;
	return false;
}

static const struct rmcp_step_def *step_def(const char *id)
{
	for (size_t i = 0; id && i < rmcp_kb_steps_len; i++)
		if (strcmp(rmcp_kb_steps[i].id, id) == 0)
			return &rmcp_kb_steps[i];
	return NULL;
}

void rmcp_plan_to_steps(const struct rmcp_plan *p, struct rmcp_kb_result *r)
{
	struct rmcp_next_step out[RMCP_KB_MAX_STEPS];
	size_t n = 0;
	/* Merge by order: the plan's steps and the KB's remaining text steps are both sorted. */
	size_t a = 0, b = 0;
	const struct rmcp_plan_step *ps[RMCP_PLAN_MAX_STEPS];
	size_t np = 0;
	for (size_t i = 0; i < p->n; i++)
		if (step_def(p->steps[i].id))
			ps[np++] = &p->steps[i];
	for (size_t i = 1; i < np; i++)	/* insertion sort by order, stable */
		for (size_t k = i; k > 0 && ps[k - 1]->order > ps[k]->order; k--) {
			const struct rmcp_plan_step *t = ps[k];
			ps[k] = ps[k - 1];
			ps[k - 1] = t;
		}
	while (n < RMCP_KB_MAX_STEPS && (a < np || b < r->n_steps)) {
		/* Once the plan makes the machine train, the CPU and new hardware are no next step. */
		if (b < r->n_steps && (plan_owned(r->steps[b].def->id) ||
				       (p->checked && p->verdict_after == RMCP_VERDICT_YES && r->verdict != RMCP_VERDICT_YES &&
					(strcmp(r->steps[b].def->id, "cpu-fallback") == 0 ||
					 strcmp(r->steps[b].def->id, "hardware") == 0)))) {
			b++;
			continue;
		}
		bool take_plan = a < np && (b >= r->n_steps || ps[a]->order <= r->steps[b].def->order);
		if (take_plan) {
			out[n].def = step_def(ps[a]->id);
			snprintf(out[n].text, sizeof(out[n].text), "%s", ps[a]->text);
			a++;
		} else {
			out[n] = r->steps[b++];
		}
		n++;
	}
	memcpy(r->steps, out, n * sizeof(out[0]));
	r->n_steps = n;
}
