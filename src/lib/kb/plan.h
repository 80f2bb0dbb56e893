/* SPDX-License-Identifier: MIT */
/*
 * The whole-machine plan: the doctor's next steps computed for the machine, not per GPU, and
 * checked by applying them to a copy of the facts and running the knowledge base again.
 *
 * A plan is a list of steps with an effect (export or unset a variable, install a PyTorch
 * build) and steps that are only text (firmware, groups, ...: from data/kb/steps.json). Each
 * step is chosen on the state the earlier steps leave. rmcp_plan_check applies the effects and
 * re-diagnoses: no GPU that could train before is worse, no step contradicts another, no
 * global override while a visible GPU of another ISA group would run it, no visible-devices
 * list hides a GPU that trains, no GPU is told to install what it already has, no override
 * crosses ISA groups. A failing check is a bug (the tests assert it on every cell of a
 * generated matrix). `rmcp doctor` prints the plan; `rmcp run` / `rmcp env` apply its
 * environment steps (profile.h).
 */
#ifndef RMCP_PLAN_H
#define RMCP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "kb.h"

/* One install command for a GPU (data/support.tsv): official, therock, override or cpu. */
struct rmcp_install {
	char kind[16];
	char cmd[320];
	char sure[200];		/* how sure: release vs nightly, sound vs contested override */
	char targets[64];	/* what it carries: "pin:2.11.0" (official release), or the gfx */
	char override[16];	/* kind override: the HSA_OVERRIDE_GFX_VERSION it needs */
};

/* The install rmcp gives a processor ("gfx1031"); always fills `in` (kind cpu at worst). */
int rmcp_install_choose(const char *gfx, struct rmcp_install *in);

/* Does the build `in` names carry code for processor gfx? */
bool rmcp_install_carries(const struct rmcp_install *in, const char *gfx);

/*
 * One build for several GPUs (processors gfx[0..n-1], n <= 32): TheRock's nightly with every
 * device extra when one of them needs it, else the official release; kind cpu when none has a
 * GPU build. *served gets a bit per processor the build runs (natively or, for kind override
 * processors, through their sound override). 0.
 */
int rmcp_install_machine(const char *const *gfx, size_t n, struct rmcp_install *out, unsigned *served);

/* A processor's ISA group: its generic target (targets.tsv), else itself; "unknown". */
const char *rmcp_isa_group(const char *gfx);

enum rmcp_plan_kind {
	RMCP_PLAN_EXPORT,	/* var=value */
	RMCP_PLAN_UNSET,	/* var */
	RMCP_PLAN_INSTALL,	/* value = what the build carries ("pin:2.11.0", "gfx1010,gfx1030") */
	RMCP_PLAN_TEXT,		/* no effect rmcp can model (firmware, groups, ...) */
};

#define RMCP_PLAN_MAX_STEPS 24
#define RMCP_PLAN_MAX_PROBLEMS 8

struct rmcp_plan_step {
	enum rmcp_plan_kind kind;
	const char *id;			/* steps.json id the step's order comes from */
	int order;
	int gpu;			/* the GPU it is for, -1 for the machine */
	unsigned gpus_mask;		/* INSTALL: the GPUs it is for (bit per GPU index) */
	char var[64];
	char value[128];
	char text[RMCP_KB_TEXT_MAX];	/* for people, describes the state after earlier steps */
	char sure[200];			/* how sure, "" for steps that need no caveat */
};

struct rmcp_plan {
	struct rmcp_plan_step steps[RMCP_PLAN_MAX_STEPS];
	size_t n;
	bool checked;
	size_t n_problems;		/* what the check found (0 = passed) */
	char problems[RMCP_PLAN_MAX_PROBLEMS][200];
	enum rmcp_verdict verdict_after;	/* the machine's verdict after the plan */
	char summary_after[RMCP_KB_TEXT_MAX];
};

/*
 * Compute the plan for an evaluated machine: machine facts, one store per GPU, the result of
 * rmcp_kb_evaluate over them. The stores are not changed. Returns 0 or -ENOMEM.
 */
int rmcp_plan_make(const struct rmcp_facts *machine, const struct rmcp_facts *gpus, size_t n_gpus,
		   const struct rmcp_kb_result *r, struct rmcp_plan *p);

/*
 * Apply the plan's effects to copies of the facts and run the knowledge base again; fills
 * p->checked, p->problems, p->verdict_after. Returns 0 (the check ran, whatever it found) or
 * -ENOMEM. `after` (optional, n_gpus entries) receives each GPU's verdict after the plan.
 */
int rmcp_plan_check(const struct rmcp_facts *machine, const struct rmcp_facts *gpus, size_t n_gpus,
		    const struct rmcp_kb_result *r, struct rmcp_plan *p, enum rmcp_verdict *after);

/*
 * The same effects on copies of the stores (the check's first half, for tests): the copies
 * hold the facts after the plan, not yet evaluated. 0 or -ENOMEM.
 */
int rmcp_plan_apply(const struct rmcp_plan *p, struct rmcp_facts *machine, struct rmcp_facts *gpus,
		    size_t n_gpus);

/* Replace r's next steps with the plan's (text steps of the KB kept, by order). */
void rmcp_plan_to_steps(const struct rmcp_plan *p, struct rmcp_kb_result *r);

#endif
