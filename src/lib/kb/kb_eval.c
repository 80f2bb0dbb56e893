/* SPDX-License-Identifier: MIT */
/* Running the rules over the machine's and each GPU's facts: findings, the verdict, its
 * summary and the next steps (rmcp_kb_evaluate, kb.h). */
#include "kb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static enum rmcp_verdict worse(enum rmcp_verdict a, enum rmcp_verdict b)
{
	return a > b ? a : b;
}

static int add_finding(struct rmcp_kb_result *r, const struct rmcp_rule *rule, int gpu,
		       const struct rmcp_fact_view *v)
{
	if (r->n_findings == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct rmcp_finding *nf = realloc(r->findings, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->findings = nf;
		r->cap = cap;
	}
	struct rmcp_finding *f = &r->findings[r->n_findings++];
	f->rule = rule;
	f->gpu = gpu;
	/* Truncation is acceptable here: the texts are for people and end visibly cut. */
	(void)rmcp_kb_expand(rule->cause, v, f->cause, sizeof(f->cause));
	(void)rmcp_kb_expand(rule->fix, v, f->fix, sizeof(f->fix));
	f->summary[0] = '\0';
	if (rule->summary)
		(void)rmcp_kb_expand(rule->summary, v, f->summary, sizeof(f->summary));
	return 0;
}

/* Run the rules of one scope over a view; findings are noted in the list fact `seen`
 * (machine.findings or gpu.findings) and the verdict fact, if any, as they fire. */
static int run_scope(const struct rmcp_rule *rules, size_t n_rules, enum rmcp_scope scope, int gpu,
		     struct rmcp_facts *store, const struct rmcp_fact_view *v, const char *seen,
		     const char *verdict_key, enum rmcp_verdict *verdict, struct rmcp_kb_result *r)
{
	for (size_t i = 0; i < n_rules; i++) {
		const struct rmcp_rule *rule = &rules[i];
		if (rule->scope != scope || !rmcp_clauses_hold(rule->when, rule->n_when, v))
			continue;
		int rc = add_finding(r, rule, gpu, v);
		if (rc == 0)
			rc = rmcp_facts_append(store, seen, rule->id);
		if (rc < 0)
			return rc;
		*verdict = worse(*verdict, rule->verdict);
		if (verdict_key && (rc = rmcp_facts_set(store, verdict_key, rmcp_verdict_name(*verdict))) < 0)
			return rc;
	}
	return 0;
}

static bool gpu_visible(const struct rmcp_facts *g)
{
	const char *s = rmcp_facts_get(g, "gpu.visible");
	return s && strcmp(s, "yes") == 0;
}

/* Is finding f part of what the machine verdict rests on (the visible GPUs, or every GPU
 * when none is visible, plus machine and summary findings)? */
static bool in_pool(const struct rmcp_finding *f, struct rmcp_facts *gpus, bool any_visible)
{
	return f->gpu < 0 || !any_visible || gpu_visible(&gpus[f->gpu]);
}

static int summary_facts(struct rmcp_facts *machine, struct rmcp_facts *gpus, size_t n_gpus,
			 const struct rmcp_kb_result *r)
{
	unsigned yes = 0, not_yes = 0;
	int rc = rmcp_facts_set(machine, "machine.yes_hip_indices", "");
	for (size_t g = 0; g < n_gpus && rc == 0; g++) {
		if (!gpu_visible(&gpus[g]))
			continue;
		if (r->gpu_verdict[g] == RMCP_VERDICT_YES) {
			yes++;
			const char *hip = rmcp_facts_get(&gpus[g], "gpu.hip_index");
			rc = rmcp_facts_append(machine, "machine.yes_hip_indices", hip ? hip : "?");
		} else {
			not_yes++;
		}
	}
	if (rc == 0)
		rc = rmcp_facts_setf(machine, "machine.gpus_yes", "%u", yes);
	if (rc == 0)
		rc = rmcp_facts_setf(machine, "machine.gpus_not_yes", "%u", not_yes);
	return rc;
}

static void machine_verdict(struct rmcp_kb_result *r, struct rmcp_facts *gpus, size_t n_gpus,
			    enum rmcp_verdict global, enum rmcp_verdict summary, bool any_visible)
{
	enum rmcp_verdict v = RMCP_VERDICT_NONE;
	if (any_visible) {
		/* The machine can train if one GPU it would use can; the summary rules (mixed
		 * GPUs) decide how much a GPU that cannot spoils that. */
		for (size_t g = 0; g < n_gpus; g++)
			if (gpu_visible(&gpus[g]) && (v == RMCP_VERDICT_NONE || r->gpu_verdict[g] < v))
				v = r->gpu_verdict[g];
	} else {
		v = global;
		for (size_t g = 0; g < n_gpus; g++)
			v = worse(v, r->gpu_verdict[g]);
	}
	v = worse(v, summary);
	r->verdict = v == RMCP_VERDICT_NONE ? RMCP_VERDICT_NO : v;
}

static void pick_summary(struct rmcp_kb_result *r, struct rmcp_facts *gpus, bool any_visible)
{
	r->decisive = -1;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct rmcp_finding *f = &r->findings[i];
		if (f->rule->verdict != r->verdict || !in_pool(f, gpus, any_visible) || !f->summary[0])
			continue;
		if (r->decisive < 0 || f->rule->severity > r->findings[r->decisive].rule->severity)
			r->decisive = (int)i;
	}
	if (r->decisive >= 0) {
		/* Say when more findings stand in the way, so the one line does not hide them. */
		unsigned more = 0;
		for (size_t i = 0; i < r->n_findings; i++)
			more += (int)i != r->decisive && in_pool(&r->findings[i], gpus, any_visible) &&
				r->findings[i].rule->verdict > RMCP_VERDICT_YES && r->verdict > RMCP_VERDICT_YES;
		unsigned yes = 0;
		for (size_t g = 0; g < r->n_gpus; g++)
			yes += r->gpu_verdict[g] == RMCP_VERDICT_YES && (!any_visible || gpu_visible(&gpus[g]));
		/* An error the verdict does not rest on (a GPU the machine would not train on, made
		 * to fault by the environment) is still named: "more problems below" would hide
		 * the one thing that crashes the desktop. */
		int loud = -1;
		for (size_t i = 0; i < r->n_findings && more; i++) {
			const struct rmcp_finding *f = &r->findings[i];
			if ((int)i != r->decisive && in_pool(f, gpus, any_visible) && f->summary[0] &&
			    f->rule->severity == RMCP_SEV_ERROR &&
			    f->rule->severity > r->findings[r->decisive].rule->severity &&
			    f->rule->verdict > RMCP_VERDICT_YES && (loud < 0 || f->rule->severity > r->findings[loud].rule->severity))
				loud = (int)i;
		}
		if (loud >= 0 && more > 1)
			snprintf(r->summary, sizeof(r->summary), "%s; and %s (and %u more problem%s below)",
				 r->findings[r->decisive].summary, r->findings[loud].summary, more - 1,
				 more == 2 ? "" : "s");
		else if (loud >= 0)
			snprintf(r->summary, sizeof(r->summary), "%s; and %s", r->findings[r->decisive].summary,
				 r->findings[loud].summary);
		else if (more)
			snprintf(r->summary, sizeof(r->summary), "%s (and %u more problem%s below)",
				 r->findings[r->decisive].summary, more, more == 1 ? "" : "s");
		else if (r->verdict == RMCP_VERDICT_YES && yes > 1)
			snprintf(r->summary, sizeof(r->summary), "%s (%u GPUs can train)",
				 r->findings[r->decisive].summary, yes);
		else
			snprintf(r->summary, sizeof(r->summary), "%s", r->findings[r->decisive].summary);
	}
	else
		snprintf(r->summary, sizeof(r->summary), "%s",
			 r->verdict == RMCP_VERDICT_NO ? "rmcp found nothing that shows a GPU here can train"
						       : "no finding explains this verdict");
}

static void add_step(struct rmcp_kb_result *r, const struct rmcp_step_def *def, const struct rmcp_fact_view *v)
{
	if (!rmcp_clauses_hold(def->when, def->n_when, v))
		return;
	char text[RMCP_KB_TEXT_MAX];
	(void)rmcp_kb_expand(def->text, v, text, sizeof(text));
	for (size_t i = 0; i < r->n_steps; i++)
		if (strcmp(r->steps[i].text, text) == 0)
			return;
	/* Insert by order, after steps of the same order (first asked, first shown). */
	size_t at = r->n_steps;
	while (at > 0 && r->steps[at - 1].def->order > def->order)
		at--;
	if (r->n_steps == RMCP_KB_MAX_STEPS) {
		if (at == RMCP_KB_MAX_STEPS)
			return;
		r->n_steps--;
	}
	memmove(&r->steps[at + 1], &r->steps[at], (r->n_steps - at) * sizeof(r->steps[0]));
	r->steps[at].def = def;
	memcpy(r->steps[at].text, text, sizeof(text));
	r->n_steps++;
}

static void collect_steps(struct rmcp_kb_result *r, struct rmcp_facts *machine, struct rmcp_facts *gpus,
			  bool any_visible)
{
	r->n_steps = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct rmcp_finding *f = &r->findings[i];
		if (!in_pool(f, gpus, any_visible))
			continue;
		/* When the machine cannot train now, the steps are what changes that: those of the
		 * findings that carry a verdict. Other findings keep their fix in the report. When
		 * it can, the caveats (solver bugs, BatchNorm, hangs) are the steps. */
		if (r->verdict != RMCP_VERDICT_YES && f->rule->verdict == RMCP_VERDICT_NONE)
			continue;
		struct rmcp_fact_view v = { f->gpu >= 0 ? &gpus[f->gpu] : NULL, machine };
		for (size_t k = 0; k < f->rule->n_steps; k++)
			if (f->rule->steps[k] < rmcp_kb_steps_len)
				add_step(r, &rmcp_kb_steps[f->rule->steps[k]], &v);
	}
}

int rmcp_kb_evaluate(const struct rmcp_rule *rules, size_t n_rules, struct rmcp_facts *machine,
		     struct rmcp_facts *gpus, size_t n_gpus, struct rmcp_kb_result *r)
{
	memset(r, 0, sizeof(*r));
	r->decisive = -1;
	if (!rules) {
		rules = rmcp_kb_rules;
		n_rules = rmcp_kb_rules_len;
	}
	if (n_gpus && !(r->gpu_verdict = calloc(n_gpus, sizeof(*r->gpu_verdict))))
		return -ENOMEM;
	r->n_gpus = n_gpus;

	enum rmcp_verdict global = RMCP_VERDICT_NONE, summary = RMCP_VERDICT_NONE;
	struct rmcp_fact_view mv = { NULL, machine };
	int rc = rmcp_facts_set(machine, "machine.findings", "");
	if (rc == 0)
		rc = run_scope(rules, n_rules, RMCP_SCOPE_MACHINE, -1, machine, &mv, "machine.findings", NULL,
			       &global, r);
	bool any_visible = false;
	for (size_t g = 0; g < n_gpus && rc == 0; g++) {
		/* A GPU starts from the machine's verdict and sees the machine's findings. */
		enum rmcp_verdict v = global;
		rc = rmcp_facts_set(&gpus[g], "gpu.findings", rmcp_facts_get(machine, "machine.findings"));
		if (rc == 0)
			rc = rmcp_facts_set(&gpus[g], "gpu.verdict", rmcp_verdict_name(v));
		struct rmcp_fact_view gv = { &gpus[g], machine };
		if (rc == 0)
			rc = run_scope(rules, n_rules, RMCP_SCOPE_GPU, (int)g, &gpus[g], &gv, "gpu.findings",
				       "gpu.verdict", &v, r);
		/* When in doubt, not yes: no rule said anything about this GPU. */
		r->gpu_verdict[g] = v == RMCP_VERDICT_NONE ? RMCP_VERDICT_NO : v;
		if (rc == 0)
			rc = rmcp_facts_set(&gpus[g], "gpu.verdict", rmcp_verdict_name(r->gpu_verdict[g]));
		any_visible |= gpu_visible(&gpus[g]);
	}
	if (rc == 0)
		rc = summary_facts(machine, gpus, n_gpus, r);
	if (rc == 0)
		rc = run_scope(rules, n_rules, RMCP_SCOPE_SUMMARY, -1, machine, &mv, "machine.findings", NULL,
			       &summary, r);
	if (rc < 0) {
		rmcp_kb_result_release(r);
		return rc;
	}
	machine_verdict(r, gpus, n_gpus, global, summary, any_visible);
	pick_summary(r, gpus, any_visible);
	collect_steps(r, machine, gpus, any_visible);
	return 0;
}

void rmcp_kb_result_release(struct rmcp_kb_result *r)
{
	free(r->findings);
	free(r->gpu_verdict);
	r->findings = NULL;
	r->gpu_verdict = NULL;
	r->n_findings = r->cap = r->n_gpus = 0;
}
