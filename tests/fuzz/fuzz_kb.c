/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what the doctor parses at run time: fact values (numbers, lists) in
 * the rules' clauses, {fact} templates, the renderers' escaping (text, JSON, Prometheus) and
 * advise's number parser. Input: lines "key=value"; a line "--" starts the next GPU's facts
 * (at most 4). The whole input is also tried as a template and as an amount.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "kb.h"
#include "report_doctor.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FUZZ_GPUS 4

static FILE *sink(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void load_facts(const char *text, struct rmcp_diagnosis *d)
{
	struct rmcp_facts *cur = &d->facts;
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			char *eq = strchr(line, '=');
			if (strcmp(line, "--") == 0 && d->n_gpus < MAX_FUZZ_GPUS) {
				cur = &d->gpus[d->n_gpus].facts;
				d->gpus[d->n_gpus].gpu = &d->machine.gpus[d->n_gpus];
				d->gpus[d->n_gpus].hip_index = (int)d->n_gpus;
				d->n_gpus++;
			} else if (eq) {
				*eq = '\0';
				(void)rmcp_facts_set(cur, line, eq + 1);
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *text = malloc(size + 1);
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!text || !d) {
		free(text);
		free(d);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';

	load_facts(text, d);
	for (size_t i = 0; i < d->n_gpus; i++) {
		const char *gfx = rmcp_facts_get(&d->gpus[i].facts, "gpu.gfx");
		snprintf(d->gpus[i].gfx, sizeof(d->gpus[i].gfx), "%s", gfx ? gfx : "unknown");
		snprintf(d->gpus[i].gfx_effective, sizeof(d->gpus[i].gfx_effective), "%s", d->gpus[i].gfx);
		const char *vis = rmcp_facts_get(&d->gpus[i].facts, "gpu.visible");
		d->gpus[i].visible = vis && strcmp(vis, "yes") == 0;
	}
	struct rmcp_facts gf[MAX_FUZZ_GPUS];
	for (size_t i = 0; i < d->n_gpus; i++)
		gf[i] = d->gpus[i].facts;
	if (rmcp_kb_evaluate(NULL, 0, &d->facts, gf, d->n_gpus, &d->result) == 0) {
		d->evaluated = true;
		for (size_t i = 0; i < d->n_gpus; i++)
			d->gpus[i].facts = gf[i];
		FILE *out = sink();
		if (out) {
			struct rmcp_text_style st = { .color = size & 1, .verbose = true };
			(void)rmcp_report_doctor_text(out, d, &st);
			(void)rmcp_report_doctor_json(out, d);
			(void)rmcp_report_doctor_prometheus(out, d);
		}
	} else {
		for (size_t i = 0; i < d->n_gpus; i++)
			d->gpus[i].facts = gf[i];
	}

	/* The input as a template over the facts, and as an amount. */
	struct rmcp_fact_view v = { d->n_gpus ? &d->gpus[0].facts : NULL, &d->facts };
	char out[256], esc[128];
	(void)rmcp_kb_expand(text, &v, out, sizeof(out));
	(void)rmcp_kb_expand(text, &v, out, 3);
	(void)rmcp_prom_escape(text, esc, sizeof(esc));
	double amount;
	if (rmcp_advise_parse_amount(text, &amount) == 0 && (amount < 0 || amount != amount))
		abort();	/* the parser promised a non-negative finite number */

	rmcp_diagnosis_release(d);
	free(d);
	free(text);
	return 0;
}
