/* SPDX-License-Identifier: MIT */
/*
 * src/lib/kb/ -- judgement: the rule engine (this header, rules in data/kb/), the verdict
 * from facts to findings and next steps (verdict.h), run/env profiles (profile.h) and the
 * cost ranking (advise.h). kb may include every stage below it (core, formats, isa, facts,
 * probe), never report.
 */
/*
 * The knowledge base: conditions over facts -> findings (ARCHITECTURE.md "Knowledge base").
 * Rules, next steps and the fact vocabulary are data (data/kb/rules.json, steps.json,
 * facts.tsv), compiled into kb_table.c by data/gen-kb.py. This module is the generic part: a small store of
 * string facts, the clause evaluator and the {fact} template expander. It knows nothing
 * about GPUs; src/lib/kb/verdict.c turns machine, environment and software facts into a fact
 * store and runs the rules.
 */
#ifndef RMCP_KB_H
#define RMCP_KB_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum rmcp_op {
	RMCP_OP_EQ,		/* string equality (value "@key": another fact) */
	RMCP_OP_NE,
	RMCP_OP_IN,		/* value is a comma list; the fact equals one item */
	RMCP_OP_NOTIN,
	RMCP_OP_PREFIX,
	RMCP_OP_NOTPREFIX,
	RMCP_OP_LT,		/* signed decimal integers; a non-number fact makes the clause false */
	RMCP_OP_LE,
	RMCP_OP_GT,
	RMCP_OP_GE,
	RMCP_OP_HAS,		/* list fact (comma list) contains any item of the value's list */
	RMCP_OP_LACKS,		/* ... contains none of them */
	RMCP_OP_WITHIN,		/* every item of the list fact is in the value's list (empty: true) */
	RMCP_OP_OUTSIDE,	/* some item of the list fact is not in the value's list */
	RMCP_OP_SET,		/* the fact exists and is not empty */
	RMCP_OP_UNSET,		/* the fact is absent or empty */
};

enum rmcp_severity { RMCP_SEV_OK, RMCP_SEV_INFO, RMCP_SEV_WARN, RMCP_SEV_ERROR };

/* Ordered: a worse verdict compares greater. NONE = the finding says nothing about training. */
enum rmcp_verdict { RMCP_VERDICT_NONE, RMCP_VERDICT_YES, RMCP_VERDICT_WORKAROUND, RMCP_VERDICT_NO };

enum rmcp_scope {
	RMCP_SCOPE_MACHINE,	/* once, over machine facts */
	RMCP_SCOPE_GPU,		/* once per GPU, over its facts and the machine facts */
	RMCP_SCOPE_SUMMARY,	/* once, after every GPU has a verdict */
};

const char *rmcp_op_name(enum rmcp_op op);
const char *rmcp_severity_name(enum rmcp_severity s);
const char *rmcp_verdict_name(enum rmcp_verdict v);
const char *rmcp_scope_name(enum rmcp_scope s);

struct rmcp_clause {
	const char *key;
	enum rmcp_op op;
	const char *value;
};

struct rmcp_step_def {
	const char *id;
	int order;			/* shown lowest first */
	const char *text;		/* template */
	const struct rmcp_clause *when;	/* shown only if these hold (for the finding's GPU) */
	size_t n_when;
};

struct rmcp_rule {
	const char *id;
	enum rmcp_scope scope;
	const struct rmcp_clause *when;
	size_t n_when;
	enum rmcp_severity severity;
	enum rmcp_verdict verdict;
	const char *summary;		/* template for the verdict line, NULL if verdict NONE */
	const char *cause, *fix;	/* templates */
	const char *evidence;		/* https link */
	const unsigned short *steps;	/* indices into rmcp_kb_steps */
	size_t n_steps;
};

struct rmcp_fact_def {
	const char *key, *scope, *type, *meaning;
};

/* Generated from data/kb/ (kb_table.c). */
extern const struct rmcp_rule rmcp_kb_rules[];
extern const size_t rmcp_kb_rules_len;
extern const struct rmcp_step_def rmcp_kb_steps[];
extern const size_t rmcp_kb_steps_len;
extern const struct rmcp_fact_def rmcp_kb_facts[];
extern const size_t rmcp_kb_facts_len;
/* "kb-" and 12 hex digits of SHA-256 over facts.tsv, rules.json and steps.json (gen-kb.py). */
extern const char rmcp_kb_version[];

/* Is `key` in the vocabulary (data/kb/facts.tsv, "a.*" families included)? */
const struct rmcp_fact_def *rmcp_kb_fact_def(const char *key);

/* ---- fact store ---- */

#define RMCP_FACT_KEY_MAX 64
#define RMCP_FACT_VALUE_MAX 320

struct rmcp_fact {
	char key[RMCP_FACT_KEY_MAX];
	char value[RMCP_FACT_VALUE_MAX];
};

/* A small growable set of key -> string facts, in insertion order. */
struct rmcp_facts {
	struct rmcp_fact *v;
	size_t n, cap;
};

void rmcp_facts_init(struct rmcp_facts *f);
void rmcp_facts_release(struct rmcp_facts *f);
/* Set (or replace) a fact. Keys and values longer than the limits are -RMCP_E_LIMIT
 * (values: truncated with "..." instead, since they are for people). -ENOMEM. */
int rmcp_facts_set(struct rmcp_facts *f, const char *key, const char *value);
int rmcp_facts_setf(struct rmcp_facts *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append an item to a comma-separated list fact (created if absent). */
int rmcp_facts_append(struct rmcp_facts *f, const char *key, const char *item);
const char *rmcp_facts_get(const struct rmcp_facts *f, const char *key);

/*
 * A view for evaluation: facts are looked up in `local` first (a GPU's), then `global`
 * (the machine's). Either may be NULL.
 */
struct rmcp_fact_view {
	const struct rmcp_facts *local, *global;
};

const char *rmcp_view_get(const struct rmcp_fact_view *v, const char *key);
bool rmcp_clause_holds(const struct rmcp_clause *c, const struct rmcp_fact_view *v);
bool rmcp_clauses_hold(const struct rmcp_clause *c, size_t n, const struct rmcp_fact_view *v);

/*
 * Expand {key} placeholders in `tmpl` from the view into out (always NUL-terminated when
 * cap > 0). An unknown fact expands to "?"; "{" without a closing "}" is copied as is.
 * Returns the length written, or -RMCP_E_LIMIT if the output was truncated.
 */
int rmcp_kb_expand(const char *tmpl, const struct rmcp_fact_view *v, char *out, size_t cap);

/* ---- evaluation ---- */

#define RMCP_KB_TEXT_MAX 640
#define RMCP_KB_MAX_STEPS 12

struct rmcp_finding {
	const struct rmcp_rule *rule;
	int gpu;				/* index of the GPU, -1 for machine and summary rules */
	char summary[RMCP_KB_TEXT_MAX];		/* expanded; "" when the rule has none */
	char cause[RMCP_KB_TEXT_MAX];
	char fix[RMCP_KB_TEXT_MAX];
};

struct rmcp_next_step {
	const struct rmcp_step_def *def;
	char text[RMCP_KB_TEXT_MAX];
};

struct rmcp_kb_result {
	struct rmcp_finding *findings;		/* machine, then per GPU, then summary; rule order */
	size_t n_findings, cap;
	enum rmcp_verdict *gpu_verdict;		/* per GPU, never NONE after evaluation */
	size_t n_gpus;
	enum rmcp_verdict verdict;		/* the machine's: can it train on its GPU now? */
	int decisive;				/* index of the finding the summary comes from, -1 */
	char summary[RMCP_KB_TEXT_MAX];
	struct rmcp_next_step steps[RMCP_KB_MAX_STEPS];
	size_t n_steps;
};

/*
 * Run the rules over a machine's facts and its GPUs' facts (each GPU's store must hold
 * gpu.visible "yes"/"no" and gpu.hip_index). Adds the facts the rules read as they go
 * (machine.findings, gpu.findings, gpu.verdict, machine.gpus_yes, ...), so the stores are
 * modified. The verdict is never "yes" without a rule saying so: a GPU no rule gave a
 * verdict is "no", and a machine with no visible GPU takes the worst verdict found.
 * rules may be NULL for the generated table (tests pass their own). Returns 0 or -ENOMEM.
 */
int rmcp_kb_evaluate(const struct rmcp_rule *rules, size_t n_rules, struct rmcp_facts *machine,
		     struct rmcp_facts *gpus, size_t n_gpus, struct rmcp_kb_result *r);
void rmcp_kb_result_release(struct rmcp_kb_result *r);

#endif
