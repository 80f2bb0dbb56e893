/* SPDX-License-Identifier: MIT */
/*
 * The knowledge base: the clause language, templates and the fact store, and the real rules
 * (data/kb/rules.json) against the cases in tests/unit/kb/kb_cases.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "error.h"
#include "kb.h"
#include "plan.h"
#include "verdict.h"
#include "verdict_internal.h"

/* ---- clause language ---- */

static bool holds(const struct rmcp_facts *local, const struct rmcp_facts *global, const char *key,
		  enum rmcp_op op, const char *value)
{
	struct rmcp_clause c = { key, op, value };
	struct rmcp_fact_view v = { local, global };
	return rmcp_clause_holds(&c, &v);
}

static void clause_ops(void **state)
{
	(void)state;
	struct rmcp_facts f;
	rmcp_facts_init(&f);
	assert_int_equal(rmcp_facts_set(&f, "gpu.gfx", "gfx1031"), 0);
	assert_int_equal(rmcp_facts_set(&f, "gpu.mec_fw", "123"), 0);
	assert_int_equal(rmcp_facts_set(&f, "gpu.findings", "a,bb,c-d"), 0);
	assert_int_equal(rmcp_facts_set(&f, "gpu.empty", ""), 0);
	assert_int_equal(rmcp_facts_set(&f, "gpu.other", "gfx1031"), 0);

	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_EQ, "gfx1031"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_EQ, "gfx103"));
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_NE, "gfx1030"));
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_IN, "gfx1030,gfx1031"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_IN, "gfx1030,gfx10311"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_IN, "gfx103"));	/* whole items only */
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_NOTIN, "gfx1010,gfx1012"));
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_PREFIX, "gfx103"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_PREFIX, "gfx101"));
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_NOTPREFIX, "gfx101"));
	/* Numbers compare as numbers, not strings ("123" < "145" either way; "99" > "145" as text). */
	assert_true(holds(&f, NULL, "gpu.mec_fw", RMCP_OP_LT, "145"));
	assert_false(holds(&f, NULL, "gpu.mec_fw", RMCP_OP_LT, "99"));
	assert_true(holds(&f, NULL, "gpu.mec_fw", RMCP_OP_GE, "123"));
	assert_true(holds(&f, NULL, "gpu.mec_fw", RMCP_OP_LE, "123"));
	assert_true(holds(&f, NULL, "gpu.mec_fw", RMCP_OP_GT, "-5"));
	/* A non-number never compares. */
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_GT, "0"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_LT, "0"));
	assert_true(holds(&f, NULL, "gpu.findings", RMCP_OP_HAS, "x,bb"));
	assert_false(holds(&f, NULL, "gpu.findings", RMCP_OP_HAS, "b,c"));
	assert_true(holds(&f, NULL, "gpu.findings", RMCP_OP_LACKS, "b,c,d"));
	assert_false(holds(&f, NULL, "gpu.findings", RMCP_OP_LACKS, "c-d"));
	assert_true(holds(&f, NULL, "gpu.empty", RMCP_OP_LACKS, "a"));
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_SET, ""));
	assert_false(holds(&f, NULL, "gpu.empty", RMCP_OP_SET, ""));
	assert_true(holds(&f, NULL, "gpu.empty", RMCP_OP_UNSET, ""));
	assert_true(holds(&f, NULL, "gpu.nothing", RMCP_OP_UNSET, ""));
	/* '@fact' compares two facts. */
	assert_true(holds(&f, NULL, "gpu.gfx", RMCP_OP_EQ, "@gpu.other"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_NE, "@gpu.other"));
	assert_false(holds(&f, NULL, "gpu.gfx", RMCP_OP_NE, "@gpu.nothing"));
	/* A clause on an absent fact is false, whatever the operator (except unset). */
	static const enum rmcp_op ops[] = { RMCP_OP_EQ, RMCP_OP_NE, RMCP_OP_IN, RMCP_OP_NOTIN, RMCP_OP_PREFIX,
					    RMCP_OP_NOTPREFIX, RMCP_OP_LT, RMCP_OP_GE, RMCP_OP_HAS, RMCP_OP_LACKS,
					    RMCP_OP_SET };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		assert_false(holds(&f, NULL, "gpu.nothing", ops[i], "x"));

	/* Local facts shadow global ones. */
	struct rmcp_facts g;
	rmcp_facts_init(&g);
	assert_int_equal(rmcp_facts_set(&g, "gpu.gfx", "gfx900"), 0);
	assert_int_equal(rmcp_facts_set(&g, "machine.gpus", "2"), 0);
	assert_true(holds(&f, &g, "gpu.gfx", RMCP_OP_EQ, "gfx1031"));
	assert_true(holds(&f, &g, "machine.gpus", RMCP_OP_EQ, "2"));
	assert_true(holds(NULL, &g, "gpu.gfx", RMCP_OP_EQ, "gfx900"));
	rmcp_facts_release(&f);
	rmcp_facts_release(&g);
}

static void fact_store(void **state)
{
	(void)state;
	struct rmcp_facts f;
	rmcp_facts_init(&f);
	char key[RMCP_FACT_KEY_MAX + 8];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(rmcp_facts_set(&f, key, "x"), -RMCP_E_LIMIT);
	char big[2000];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(rmcp_facts_set(&f, "a", big), 0);
	const char *v = rmcp_facts_get(&f, "a");
	assert_int_equal(strlen(v), RMCP_FACT_VALUE_MAX - 1);
	assert_string_equal(v + strlen(v) - 3, "...");
	/* Replace keeps one entry; many keys grow the store. */
	assert_int_equal(rmcp_facts_set(&f, "a", "1"), 0);
	assert_string_equal(rmcp_facts_get(&f, "a"), "1");
	for (int i = 0; i < 500; i++) {
		char k[32];
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(rmcp_facts_setf(&f, k, "%d", i * 7), 0);
	}
	assert_int_equal(f.n, 501);
	assert_string_equal(rmcp_facts_get(&f, "k499"), "3493");
	assert_int_equal(rmcp_facts_append(&f, "list", "x"), 0);
	assert_int_equal(rmcp_facts_append(&f, "list", "y"), 0);
	assert_string_equal(rmcp_facts_get(&f, "list"), "x,y");
	assert_null(rmcp_facts_get(&f, "nope"));
	rmcp_facts_release(&f);
	assert_int_equal(f.n, 0);
}

static void templates(void **state)
{
	(void)state;
	struct rmcp_facts f;
	rmcp_facts_init(&f);
	assert_int_equal(rmcp_facts_set(&f, "gpu.gfx", "gfx1010"), 0);
	assert_int_equal(rmcp_facts_set(&f, "gpu.empty", ""), 0);
	struct rmcp_fact_view v = { &f, NULL };
	char out[64];
	assert_int_equal(rmcp_kb_expand("run {gpu.gfx} code", &v, out, sizeof(out)), 16);
	assert_string_equal(out, "run gfx1010 code");
	/* Unknown or empty facts show as "?", so a missing fact is visible, not silent. */
	assert_true(rmcp_kb_expand("{gpu.none}/{gpu.empty}", &v, out, sizeof(out)) > 0);
	assert_string_equal(out, "?/?");
	/* Braces that are not a placeholder are kept. */
	assert_true(rmcp_kb_expand("a { b {} {gpu.gfx", &v, out, sizeof(out)) > 0);
	assert_string_equal(out, "a { b {} {gpu.gfx");
	assert_true(rmcp_kb_expand("{{gpu.gfx}}", &v, out, sizeof(out)) > 0);
	assert_string_equal(out, "{gfx1010}");
	/* Truncation is reported and the output stays terminated. */
	char small[8];
	assert_int_equal(rmcp_kb_expand("{gpu.gfx}{gpu.gfx}", &v, small, sizeof(small)), -RMCP_E_LIMIT);
	assert_string_equal(small, "gfx1010");
	assert_int_equal(rmcp_kb_expand("x", &v, small, 0), -RMCP_E_LIMIT);
	rmcp_facts_release(&f);
}

static void names_and_exit_codes(void **state)
{
	(void)state;
	assert_string_equal(rmcp_verdict_name(RMCP_VERDICT_WORKAROUND), "workaround");
	assert_string_equal(rmcp_severity_name(RMCP_SEV_WARN), "warn");
	assert_string_equal(rmcp_op_name(RMCP_OP_LACKS), "lacks");
	assert_string_equal(rmcp_scope_name(RMCP_SCOPE_SUMMARY), "summary");
	assert_int_equal(rmcp_verdict_exit_code(RMCP_VERDICT_YES), 0);
	assert_int_equal(rmcp_verdict_exit_code(RMCP_VERDICT_WORKAROUND), 1);
	assert_int_equal(rmcp_verdict_exit_code(RMCP_VERDICT_NO), 3);
	assert_int_equal(rmcp_verdict_exit_code(RMCP_VERDICT_NONE), 3);
	char b[32];
	rmcp_format_bytes(6442450944ULL, b, sizeof(b));
	assert_string_equal(b, "6.0 GiB");
	rmcp_format_bytes(536870912ULL, b, sizeof(b));
	assert_string_equal(b, "512 MiB");
	rmcp_format_bytes(0, b, sizeof(b));
	assert_string_equal(b, "unknown");
}

/* The vocabulary: families match one key component. */
static void vocabulary(void **state)
{
	(void)state;
	assert_non_null(rmcp_kb_fact_def("gpu.gfx"));
	assert_non_null(rmcp_kb_fact_def("log.gpu_hang"));
	assert_non_null(rmcp_kb_fact_def("log.gpu_hang.text"));
	assert_non_null(rmcp_kb_fact_def("param.mtype_local"));
	assert_non_null(rmcp_kb_fact_def("env.var.HSA_ENABLE_SDMA"));
	assert_null(rmcp_kb_fact_def("log."));
	assert_null(rmcp_kb_fact_def("gpu.nonsense"));
	assert_null(rmcp_kb_fact_def("param.a.b"));
	/* Every rule has an https evidence link, a cause, a fix; verdict rules a summary. */
	for (size_t i = 0; i < rmcp_kb_rules_len; i++) {
		const struct rmcp_rule *r = &rmcp_kb_rules[i];
		assert_int_equal(strncmp(r->evidence, "https://", 8), 0);
		assert_true(strlen(r->cause) > 20 && strlen(r->fix) > 5);
		if (r->verdict != RMCP_VERDICT_NONE)
			assert_non_null(r->summary);
		for (size_t k = 0; k < r->n_steps; k++)
			assert_true(r->steps[k] < rmcp_kb_steps_len);
	}
}

/* ---- the engine with hand-made rules ---- */

static const struct rmcp_clause c_yes[] = { { "gpu.ok", RMCP_OP_EQ, "yes" } };
static const struct rmcp_clause c_warn[] = { { "gpu.bad", RMCP_OP_EQ, "yes" } };
static const unsigned short s_both[] = { 1, 0 };

static void engine_when_in_doubt(void **state)
{
	(void)state;
	/* No catch-all rule: a GPU no rule speaks about is still "no". */
	const struct rmcp_rule rules[] = {
		{ .id = "ok", .scope = RMCP_SCOPE_GPU, .when = c_yes, .n_when = 1, .severity = RMCP_SEV_OK,
		  .verdict = RMCP_VERDICT_YES, .summary = "fine {gpu.name}", .cause = "c", .fix = "f",
		  .evidence = "https://x" },
		{ .id = "bad", .scope = RMCP_SCOPE_GPU, .when = c_warn, .n_when = 1, .severity = RMCP_SEV_WARN,
		  .verdict = RMCP_VERDICT_NONE, .cause = "c", .fix = "f", .evidence = "https://x", .steps = s_both,
		  .n_steps = 2 },
	};
	struct rmcp_facts m, g[2];
	rmcp_facts_init(&m);
	rmcp_facts_init(&g[0]);
	rmcp_facts_init(&g[1]);
	assert_int_equal(rmcp_facts_set(&g[0], "gpu.visible", "yes"), 0);
	assert_int_equal(rmcp_facts_set(&g[1], "gpu.visible", "yes"), 0);
	struct rmcp_kb_result r;
	assert_int_equal(rmcp_kb_evaluate(rules, 2, &m, g, 2, &r), 0);
	assert_int_equal(r.n_findings, 0);
	assert_int_equal(r.verdict, RMCP_VERDICT_NO);
	assert_int_equal(r.gpu_verdict[0], RMCP_VERDICT_NO);
	assert_int_equal(r.decisive, -1);
	rmcp_kb_result_release(&r);

	/* One GPU yes: the machine can train on it (no summary rule spoils it here); steps come
	 * sorted by order, each once. */
	assert_int_equal(rmcp_facts_set(&g[1], "gpu.ok", "yes"), 0);
	assert_int_equal(rmcp_facts_set(&g[1], "gpu.name", "B"), 0);
	assert_int_equal(rmcp_facts_set(&g[1], "gpu.bad", "yes"), 0);
	assert_int_equal(rmcp_facts_set(&g[0], "gpu.bad", "yes"), 0);
	assert_int_equal(rmcp_kb_evaluate(rules, 2, &m, g, 2, &r), 0);
	assert_int_equal(r.n_findings, 3);
	assert_int_equal(r.verdict, RMCP_VERDICT_YES);
	assert_string_equal(r.summary, "fine B");
	assert_string_equal(rmcp_facts_get(&g[1], "gpu.findings"), "ok,bad");
	assert_string_equal(rmcp_facts_get(&g[1], "gpu.verdict"), "yes");
	assert_string_equal(rmcp_facts_get(&m, "machine.gpus_yes"), "1");
	assert_string_equal(rmcp_facts_get(&m, "machine.gpus_not_yes"), "1");
	assert_true(r.n_steps >= 2);
	for (size_t i = 1; i < r.n_steps; i++)
		assert_true(r.steps[i - 1].def->order <= r.steps[i].def->order);
	for (size_t i = 0; i < r.n_steps; i++)
		for (size_t k = i + 1; k < r.n_steps; k++)
			assert_string_not_equal(r.steps[i].text, r.steps[k].text);
	rmcp_kb_result_release(&r);

	/* Not visible: its yes does not count, and the invisible-only machine takes the worst. */
	assert_int_equal(rmcp_facts_set(&g[1], "gpu.visible", "no"), 0);
	assert_int_equal(rmcp_kb_evaluate(rules, 2, &m, g, 2, &r), 0);
	assert_int_equal(r.verdict, RMCP_VERDICT_NO);
	rmcp_kb_result_release(&r);

	/* No GPU and no rule: no. */
	assert_int_equal(rmcp_kb_evaluate(rules, 2, &m, NULL, 0, &r), 0);
	assert_int_equal(r.verdict, RMCP_VERDICT_NO);
	rmcp_kb_result_release(&r);
	rmcp_facts_release(&m);
	rmcp_facts_release(&g[0]);
	rmcp_facts_release(&g[1]);
}

/* ---- the real rules against tests/unit/kb/kb_cases.json ---- */

static json_object *cases_doc;

static int load_cases(void **state)
{
	(void)state;
	const char *root = getenv("RMCP_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/unit/kb/kb_cases.json", root ? root : ".");
	cases_doc = json_object_from_file(path);
	if (!cases_doc)
		fprintf(stderr, "cannot read %s (set RMCP_SOURCE_ROOT)\n", path);
	return cases_doc ? 0 : -1;
}

static int free_cases(void **state)
{
	(void)state;
	json_object_put(cases_doc);
	return 0;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void apply(struct rmcp_facts *f, json_object *base, json_object *delta)
{
	/* Rebuild without removed keys: a null in delta deletes. */
	json_object_object_foreach(base, k, v)
	{
		json_object *d = delta ? get(delta, k) : NULL;
		if (delta && json_object_object_get_ex(delta, k, NULL) && !d)
			continue;
		assert_int_equal(rmcp_facts_set(f, k, json_object_get_string(d ? d : v)), 0);
	}
	if (delta) {
		json_object_object_foreach(delta, k2, v2)
		{
			if (v2 && !get(base, k2))
				assert_int_equal(rmcp_facts_set(f, k2, json_object_get_string(v2)), 0);
		}
	}
}

static bool set_has(json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return true;
	return false;
}

static bool has_step(const struct rmcp_kb_result *r, const char *id)
{
	for (size_t i = 0; i < r->n_steps; i++)
		if (strcmp(r->steps[i].def->id, id) == 0)
			return true;
	return false;
}

/* The facts verdict.c derives from gpu.gfx through the support matrix (verdict_support.c),
 * and the override variable facts, derived the same way here unless a case sets them, so a
 * case about gfx1031 says only gpu.gfx. */
static void derive(struct rmcp_facts *m, struct rmcp_facts *g, size_t n)
{
	const char *gfx[32];
	for (size_t i = 0; i < n && i < 32; i++) {
		const char *real = rmcp_facts_get(&g[i], "gpu.gfx"), *eff = rmcp_facts_get(&g[i], "gpu.gfx_effective");
		gfx[i] = real;
		const char *fw = rmcp_facts_get(&g[i], "gpu.atomics_fw_required");
		if (!rmcp_facts_get(&g[i], "gpu.group"))
			assert_int_equal(rmcp_verdict_support_facts(&g[i], real, eff ? eff : real,
								    fw ? (unsigned)strtoul(fw, NULL, 10) : 0), 0);
		const char *ov = rmcp_facts_get(&g[i], "gpu.override"), *node = rmcp_facts_get(&g[i], "gpu.node");
		if (!rmcp_facts_get(&g[i], "gpu.override_node"))
			assert_int_equal(rmcp_facts_set(&g[i], "gpu.override_node", node ? node : "-1"), 0);
		if (!rmcp_facts_get(&g[i], "gpu.override_var")) {
			char var[64] = "";
			if (ov && strcmp(ov, "global") == 0)
				snprintf(var, sizeof(var), "HSA_OVERRIDE_GFX_VERSION");
			else if (ov && (strcmp(ov, "node") == 0 || strcmp(ov, "invalid") == 0))
				snprintf(var, sizeof(var), "HSA_OVERRIDE_GFX_VERSION_%s", node ? node : "0");
			assert_int_equal(rmcp_facts_set(&g[i], "gpu.override_var", var), 0);
		}
	}
	if (!rmcp_facts_get(m, "machine.install")) {
		struct rmcp_install in;
		unsigned served;
		assert_int_equal(rmcp_install_machine(gfx, n < 32 ? n : 32, &in, &served), 0);
		assert_int_equal(rmcp_facts_set(m, "machine.install", in.cmd), 0);
		assert_int_equal(rmcp_facts_set(m, "machine.install_kind", in.kind), 0);
		assert_int_equal(rmcp_facts_set(m, "machine.install_sure", in.sure), 0);
	}
}

static void run_case(json_object *c, json_object *seen)
{
	const char *name = json_object_get_string(get(c, "name"));
	struct rmcp_facts m;
	rmcp_facts_init(&m);
	apply(&m, get(cases_doc, "base_machine"), get(c, "machine"));
	json_object *gpus = get(c, "gpus");
	size_t n = gpus ? json_object_array_length(gpus) : 1;
	struct rmcp_facts *g = calloc(n ? n : 1, sizeof(*g));
	assert_non_null(g);
	for (size_t i = 0; i < n; i++)
		apply(&g[i], get(cases_doc, "base_gpu"), gpus ? json_object_array_get_idx(gpus, i) : NULL);
	derive(&m, g, n);
	/* Every fact a case uses is in the vocabulary, so cases cannot test facts the doctor never sets. */
	for (size_t i = 0; i < m.n; i++)
		if (!rmcp_kb_fact_def(m.v[i].key))
			fail_msg("%s: '%s' is not in data/kb/facts.tsv", name, m.v[i].key);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < g[k].n; i++)
			if (!rmcp_kb_fact_def(g[k].v[i].key))
				fail_msg("%s: '%s' is not in data/kb/facts.tsv", name, g[k].v[i].key);

	struct rmcp_kb_result r;
	assert_int_equal(rmcp_kb_evaluate(NULL, 0, &m, g, n, &r), 0);

	json_object *want = get(c, "findings");
	bool ok = true;
	for (size_t i = 0; i < r.n_findings; i++) {
		const char *id = r.findings[i].rule->id;
		json_object_object_add(seen, id, json_object_new_boolean(1));
		if (!set_has(want, id)) {
			fprintf(stderr, "%s: unexpected finding %s: %s\n", name, id, r.findings[i].cause);
			ok = false;
		}
		/* Templates were filled: no placeholder left, and no fact was missing. */
		bool missing_ok = get(c, "allow_missing_facts") && json_object_get_boolean(get(c, "allow_missing_facts"));
		if (strchr(r.findings[i].cause, '{') ||
		    (!missing_ok && (strstr(r.findings[i].cause, "?)") || strstr(r.findings[i].cause, " ?") ||
				     strstr(r.findings[i].cause, "?;") || strstr(r.findings[i].cause, "?,")))) {
			fprintf(stderr, "%s: %s: unexpanded cause: %s\n", name, id, r.findings[i].cause);
			ok = false;
		}
	}
	for (size_t k = 0; want && k < json_object_array_length(want); k++) {
		const char *id = json_object_get_string(json_object_array_get_idx(want, k));
		bool found = false;
		for (size_t i = 0; i < r.n_findings; i++)
			found |= strcmp(r.findings[i].rule->id, id) == 0;
		if (!found) {
			fprintf(stderr, "%s: expected finding %s missing\n", name, id);
			ok = false;
		}
	}
	const char *verdict = json_object_get_string(get(c, "verdict"));
	if (strcmp(rmcp_verdict_name(r.verdict), verdict) != 0) {
		fprintf(stderr, "%s: verdict %s, want %s (%s)\n", name, rmcp_verdict_name(r.verdict), verdict,
			r.summary);
		ok = false;
	}
	json_object *gv = get(c, "gpu_verdicts");
	for (size_t i = 0; gv && i < json_object_array_length(gv); i++) {
		const char *w = json_object_get_string(json_object_array_get_idx(gv, i));
		if (strcmp(rmcp_verdict_name(r.gpu_verdict[i]), w) != 0) {
			fprintf(stderr, "%s: GPU %zu verdict %s, want %s\n", name, i,
				rmcp_verdict_name(r.gpu_verdict[i]), w);
			ok = false;
		}
	}
	json_object *steps = get(c, "steps"), *no_steps = get(c, "no_steps");
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(steps, i));
		if (!has_step(&r, id)) {
			fprintf(stderr, "%s: step %s missing\n", name, id);
			ok = false;
		}
	}
	for (size_t i = 0; no_steps && i < json_object_array_length(no_steps); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(no_steps, i));
		if (has_step(&r, id)) {
			fprintf(stderr, "%s: step %s should not be there\n", name, id);
			ok = false;
		}
	}
	const char *st = get(c, "step_text") ? json_object_get_string(get(c, "step_text")) : NULL;
	if (st) {
		bool found = false;
		for (size_t i = 0; i < r.n_steps; i++)
			found |= strstr(r.steps[i].text, st) != NULL;
		if (!found) {
			fprintf(stderr, "%s: no step says '%s'\n", name, st);
			ok = false;
		}
	}
	const char *sh = get(c, "summary_has") ? json_object_get_string(get(c, "summary_has")) : NULL;
	if (sh && !strstr(r.summary, sh)) {
		fprintf(stderr, "%s: summary '%s' lacks '%s'\n", name, r.summary, sh);
		ok = false;
	}
	/* A summary always exists and never carries a placeholder. */
	assert_true(r.summary[0] != '\0');
	assert_null(strchr(r.summary, '{'));
	if (!ok)
		fail_msg("case '%s' failed", name);
	rmcp_kb_result_release(&r);
	rmcp_facts_release(&m);
	for (size_t i = 0; i < n; i++)
		rmcp_facts_release(&g[i]);
	free(g);
}

static void rule_cases(void **state)
{
	(void)state;
	json_object *cases = get(cases_doc, "cases");
	assert_non_null(cases);
	json_object *seen = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(cases); i++)
		run_case(json_object_array_get_idx(cases, i), seen);
	/* Every rule is exercised by some case: a new rule comes with its test. */
	for (size_t i = 0; i < rmcp_kb_rules_len; i++)
		if (!get(seen, rmcp_kb_rules[i].id))
			fail_msg("rule %s has no case in tests/unit/kb/kb_cases.json", rmcp_kb_rules[i].id);
	json_object_put(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clause_ops),
		cmocka_unit_test(fact_store),
		cmocka_unit_test(templates),
		cmocka_unit_test(names_and_exit_codes),
		cmocka_unit_test(vocabulary),
		cmocka_unit_test(engine_when_in_doubt),
		cmocka_unit_test(rule_cases),
	};
	return cmocka_run_group_tests(tests, load_cases, free_cases);
}
