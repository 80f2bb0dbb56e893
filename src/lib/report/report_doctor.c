/* SPDX-License-Identifier: MIT */
/* `rmcp doctor`'s text and JSON renderers (report_doctor.h); Prometheus is report_doctor_prom.c. */
#include "report_doctor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "names.h"
#include "banned.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

static const char *col(const struct rmcp_text_style *st, const char *code)
{
	return st && st->color ? code : "";
}

static const char *verdict_colour(enum rmcp_verdict v)
{
	switch (v) {
	case RMCP_VERDICT_YES:
		return C_GREEN;
	case RMCP_VERDICT_WORKAROUND:
		return C_YELLOW;
	case RMCP_VERDICT_NONE:
	case RMCP_VERDICT_NO:
		break;
	}
	return C_RED;
}

static const char *severity_colour(enum rmcp_severity s)
{
	switch (s) {
	case RMCP_SEV_OK:
		return C_GREEN;
	case RMCP_SEV_INFO:
		return C_DIM;
	case RMCP_SEV_WARN:
		return C_YELLOW;
	case RMCP_SEV_ERROR:
		break;
	}
	return C_RED;
}

static const char *verdict_word(enum rmcp_verdict v)
{
	switch (v) {
	case RMCP_VERDICT_YES:
		return "YES";
	case RMCP_VERDICT_WORKAROUND:
		return "WORKAROUND";
	case RMCP_VERDICT_NONE:
	case RMCP_VERDICT_NO:
		break;
	}
	return "NO";
}

static const char *gfact(const struct rmcp_diag_gpu *g, const char *key)
{
	const char *v = rmcp_facts_get(&g->facts, key);
	return v ? v : "";
}

static const char *mfact(const struct rmcp_diagnosis *d, const char *key)
{
	const char *v = rmcp_facts_get(&d->facts, key);
	return v ? v : "";
}

static int finish(FILE *out)
{
	return ferror(out) ? -EIO : 0;
}

/* ---- text ---- */

static void text_gpus(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_text_style *st)
{
	fprintf(out, "\n%sGPUs%s\n", col(st, C_BOLD), col(st, C_OFF));
	if (!d->n_gpus)
		fprintf(out, "  none found\n");
	for (size_t i = 0; i < d->n_gpus; i++) {
		const struct rmcp_diag_gpu *g = &d->gpus[i];
		enum rmcp_verdict v = d->evaluated && i < d->result.n_gpus ? d->result.gpu_verdict[i] : RMCP_VERDICT_NO;
		fprintf(out, "  [%zu] %s  %s  %s", i, gfact(g, "gpu.name"), g->gfx, gfact(g, "gpu.pci_id"));
		if (g->gpu->pci_addr[0])
			fprintf(out, " at %s", g->gpu->pci_addr);
		fprintf(out, "  %s%s%s\n", col(st, verdict_colour(v)), rmcp_verdict_name(v), col(st, C_OFF));
		fprintf(out, "      ");
		if (g->gpu->node >= 0)
			fprintf(out, "KFD node %d", g->gpu->node);
		else
			fprintf(out, "no KFD node");
		if (g->gpu->kfd != RMCP_FACT_OK && g->gpu->node >= 0)
			fprintf(out, " (%s)", gfact(g, "gpu.kfd"));
		/* An APU has no VRAM of its own: the BIOS carve-out is what KFD reports as its
		 * memory bank, and ROCm allocates from system memory as well. */
		if (g->gpu->is_apu)
			fprintf(out, ", APU: shares system memory%s%s%s", g->gpu->vram_bytes ? "; " : "",
				g->gpu->vram_bytes ? gfact(g, "gpu.vram") : "", g->gpu->vram_bytes ? " carve-out" : "");
		else if (g->gpu->vram_bytes)
			fprintf(out, ", %s VRAM", gfact(g, "gpu.vram"));
		if (g->gpu->cu_count)
			fprintf(out, ", %u CU", g->gpu->cu_count);
		if (g->visible)
			fprintf(out, ", HIP device %d", g->hip_index);
		else
			fprintf(out, ", not visible to ROCm");
		fputc('\n', out);
		if (strcmp(g->gfx, g->gfx_effective) != 0)
			fprintf(out, "      the runtime loads %s code (%s=%s)\n", g->gfx_effective,
				g->override_source ? g->override_source : "override", g->override_value);
		const char *torch = gfact(g, "gpu.torch");
		if (*torch && strcmp(torch, "absent") != 0) {
			fprintf(out, "      code in PyTorch: %s", torch);
			if (*gfact(g, "gpu.torch.missing_files")) {
				fprintf(out, " (no %s code in ", g->gfx_effective);
				for (const char *c = gfact(g, "gpu.torch.missing_files"); *c; c++)
					fputs(*c == ',' ? ", " : (char[2]){ *c, 0 }, out);
				fputc(')', out);
			}
			fprintf(out, "; Tensile files: %s\n", gfact(g, "gpu.tensile"));
		}
		/* Every GPU that cannot train yet for want of code gets its own install command, and
		 * how sure it is; one whose PyTorch has its code is not told to install it again. */
		bool has_code = strcmp(gfact(g, "gpu.torch.own"), "yes") == 0;
		if (v != RMCP_VERDICT_YES && !has_code && *gfact(g, "gpu.install"))
			fprintf(out, "      %s%s: %s\n        (%s)\n",
				strcmp(gfact(g, "gpu.install.kind"), "cpu") == 0 ? "no GPU build; for the CPU"
										  : "PyTorch with its code, ",
				strcmp(gfact(g, "gpu.install.kind"), "cpu") == 0 ? "" : g->gfx, gfact(g, "gpu.install"),
				gfact(g, "gpu.install.sure"));
	}
}

static void text_software(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_text_style *st)
{
	const struct rmcp_machine *m = &d->machine;
	fprintf(out, "\n%ssoftware%s\n", col(st, C_BOLD), col(st, C_OFF));
	fprintf(out, "  kernel %s, amdgpu %s", m->kernel_release[0] ? m->kernel_release : "unknown",
		!m->amdgpu_loaded ? "not loaded" : m->amdgpu_dkms_version[0] ? "dkms" : "in-tree");
	if (m->amdgpu_dkms_version[0])
		fprintf(out, " %s", m->amdgpu_dkms_version);
	fprintf(out, ", /dev/kfd %s", mfact(d, "machine.kfd_access"));
	if (m->kfd_group[0])
		fprintf(out, " (group %s)", m->kfd_group);
	if (m->in_container)
		fprintf(out, ", in a container (%s)", m->container_hint);
	fputc('\n', out);
	const struct rmcp_stack *s = d->stack;
	if (!s) {
		fprintf(out, "  ROCm and PyTorch not examined\n");
		return;
	}
	if (!s->n_rocm)
		fprintf(out, "  no ROCm install found\n");
	for (size_t i = 0; i < s->n_rocm; i++)
	{
		fprintf(out, "  ROCm %s at ", s->rocm[i].version[0] ? s->rocm[i].version : "(version unknown)");
		rmcp_fput_name(out, s->rocm[i].path);
		fprintf(out, "%s\n", s->rocm[i].distro ? " (distribution packages)" : "");
	}
	if (!s->n_torch)
		fprintf(out, "  no PyTorch found\n");
	for (size_t i = 0; i < s->n_torch; i++) {
		const struct rmcp_torch_install *t = &s->torch[i];
		fprintf(out, "  PyTorch %s", t->version[0] ? t->version : "(version unknown)");
		if (t->hip[0])
			fprintf(out, " (HIP %s)", t->hip);
		else
			fprintf(out, " (not a ROCm build)");
		fputs(" at ", out);
		rmcp_fput_name(out, t->path);
		fprintf(out, "%s%s\n", t->bundles_rocm ? ", with its own ROCm libraries" : "",
			(int)i == d->torch && s->n_torch > 1 ? " [judged]" : "");
	}
}

static void text_libs(FILE *out, const struct rmcp_diagnosis *d)
{
	for (size_t i = 0; i < d->n_gpus; i++) {
		const struct rmcp_stack *s = d->gpus[i].stack;
		if (!s || !s->n_libs)
			continue;
		fprintf(out, "\n  libraries judged for GPU %zu (%s, runtime loads %s):\n", i, d->gpus[i].gfx,
			d->gpus[i].gfx_effective);
		for (size_t k = 0; k < s->n_libs; k++) {
			const struct rmcp_lib_coverage *l = &s->libs[k];
			fprintf(out, "    %-14s ", rmcp_coverage_name(l->coverage));
			rmcp_fput_name(out, l->path);
			fputs(" [", out);
			rmcp_fput_name(out, l->targets);
			fprintf(out, "]%s", l->error[0] ? " error: " : "");
			rmcp_fput_name(out, l->error);
			fprintf(out, "%s\n", l->cached ? " (cached)" : "");
		}
	}
}

static void text_findings(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_text_style *st)
{
	const struct rmcp_kb_result *r = &d->result;
	fprintf(out, "\n%sfindings%s\n", col(st, C_BOLD), col(st, C_OFF));
	if (!r->n_findings)
		fprintf(out, "  none\n");
	/* Worst first; within a severity, in rule order. */
	for (int sev = RMCP_SEV_ERROR; sev >= RMCP_SEV_OK; sev--)
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct rmcp_finding *f = &r->findings[i];
			if ((int)f->rule->severity != sev)
				continue;
			fprintf(out, "  %s%-5s%s %s", col(st, severity_colour(f->rule->severity)),
				rmcp_severity_name(f->rule->severity), col(st, C_OFF), f->rule->id);
			if (f->gpu >= 0 && d->n_gpus > 1)
				fprintf(out, " (GPU %d)", f->gpu);
			fputs("\n        ", out);
			rmcp_fput_name(out, f->cause);	/* facts interpolated: paths, names */
			fputc('\n', out);
			if (f->rule->severity >= RMCP_SEV_WARN || (st && st->verbose)) {
				fputs("        fix: ", out);
				rmcp_fput_name(out, f->fix);
				fputc('\n', out);
			}
			fprintf(out, "        %s%s%s\n", col(st, C_DIM), f->rule->evidence, col(st, C_OFF));
		}
}

int rmcp_report_doctor_text(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_text_style *st)
{
	const struct rmcp_kb_result *r = &d->result;
	/* The one line a person reads first: can this machine train on its GPU now, and why. */
	fprintf(out, "GPU training: %s%s%s%s: %s\n", col(st, C_BOLD), col(st, verdict_colour(r->verdict)),
		verdict_word(r->verdict), col(st, C_OFF), r->summary);
	if (r->n_steps) {
		fprintf(out, "\n%snext steps%s\n", col(st, C_BOLD), col(st, C_OFF));
		for (size_t i = 0; i < r->n_steps; i++)
			fprintf(out, "  %zu. %s\n", i + 1, r->steps[i].text);
	}
	text_gpus(out, d, st);
	text_software(out, d, st);
	if (st && st->verbose)
		text_libs(out, d);
	text_findings(out, d, st);
	if (st && st->verbose) {
		fprintf(out, "\n%sfacts%s\n", col(st, C_BOLD), col(st, C_OFF));
		for (size_t i = 0; i < d->facts.n; i++)
		{
			fprintf(out, "  %s = ", d->facts.v[i].key);
			rmcp_fput_name(out, d->facts.v[i].value);
			fputc('\n', out);
		}
		for (size_t g = 0; g < d->n_gpus; g++)
			for (size_t i = 0; i < d->gpus[g].facts.n; i++)
			{
				fprintf(out, "  [%zu] %s = ", g, d->gpus[g].facts.v[i].key);
				rmcp_fput_name(out, d->gpus[g].facts.v[i].value);
				fputc('\n', out);
			}
	}
	return finish(out);
}

/* ---- JSON ---- */

static json_object *jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *facts_json(const struct rmcp_facts *f)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < f->n; i++)
		json_object_object_add(o, f->v[i].key, json_object_new_string(f->v[i].value));
	return o;
}

/* "gfx1010 gfx1030" -> ["gfx1010", "gfx1030"]: an array, as in rmcp scan --json. */
static json_object *words_json(const char *s)
{
	json_object *a = json_object_new_array();
	while (a && *s) {
		size_t n = strcspn(s, " ");
		if (n)
			json_object_array_add(a, json_object_new_string_len(s, (int)n));
		s += n;
		s += strspn(s, " ");
	}
	return a;
}

static json_object *libs_json(const struct rmcp_stack *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; s && i < s->n_libs; i++) {
		const struct rmcp_lib_coverage *l = &s->libs[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(l->path));
		json_object_object_add(o, "component", json_object_new_string(l->component));
		json_object_object_add(o, "owner", json_object_new_string(l->owner));
		json_object_object_add(o, "coverage", json_object_new_string(rmcp_coverage_name(l->coverage)));
		json_object_object_add(o, "targets", words_json(l->targets));
		json_object_object_add(o, "error", jstr_or_null(l->error));
		json_object_object_add(o, "cached", json_object_new_boolean(l->cached));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *gpu_json(const struct rmcp_diagnosis *d, size_t i)
{
	const struct rmcp_diag_gpu *g = &d->gpus[i];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "index", json_object_new_int((int)i));
	json_object_object_add(o, "node", g->gpu->node >= 0 ? json_object_new_int(g->gpu->node) : NULL);
	json_object_object_add(o, "gfx", json_object_new_string(g->gfx));
	json_object_object_add(o, "gfx_effective", json_object_new_string(g->gfx_effective));
	json_object_object_add(o, "name", json_object_new_string(gfact(g, "gpu.name")));
	json_object_object_add(o, "pci_id", json_object_new_string(gfact(g, "gpu.pci_id")));
	json_object_object_add(o, "pci_addr", jstr_or_null(g->gpu->pci_addr));
	json_object_object_add(o, "vram_bytes", json_object_new_int64((int64_t)g->gpu->vram_bytes));
	json_object_object_add(o, "cu_count", json_object_new_int((int)g->gpu->cu_count));
	json_object_object_add(o, "apu", json_object_new_boolean(g->gpu->is_apu));
	json_object_object_add(o, "kfd", json_object_new_string(gfact(g, "gpu.kfd")));
	json_object_object_add(o, "visible", json_object_new_boolean(g->visible));
	json_object_object_add(o, "hip_index", g->visible ? json_object_new_int(g->hip_index) : NULL);
	json_object *ov = NULL;
	if (g->override_source) {
		ov = json_object_new_object();
		json_object_object_add(ov, "variable", json_object_new_string(g->override_source));
		json_object_object_add(ov, "value", json_object_new_string(g->override_value));
		json_object_object_add(ov, "valid", json_object_new_boolean(!g->override_invalid));
	}
	json_object_object_add(o, "override", ov);
	enum rmcp_verdict v = d->evaluated && i < d->result.n_gpus ? d->result.gpu_verdict[i] : RMCP_VERDICT_NO;
	json_object_object_add(o, "gpu_training", json_object_new_string(rmcp_verdict_name(v)));
	json_object_object_add(o, "libraries", libs_json(g->stack));
	json_object_object_add(o, "facts", facts_json(&g->facts));
	return o;
}

static json_object *software_json(const struct rmcp_diagnosis *d)
{
	json_object *o = json_object_new_object();
	json_object *rocm = json_object_new_array(), *torch = json_object_new_array();
	const struct rmcp_stack *s = d->stack;
	for (size_t i = 0; s && i < s->n_rocm; i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "path", json_object_new_string(s->rocm[i].path));
		json_object_object_add(r, "version", jstr_or_null(s->rocm[i].version));
		json_object_object_add(r, "version_source", jstr_or_null(s->rocm[i].version_source));
		json_object_object_add(r, "hip_version", jstr_or_null(s->rocm[i].hip_version));
		json_object_object_add(r, "distro", json_object_new_boolean(s->rocm[i].distro));
		json_object_array_add(rocm, r);
	}
	for (size_t i = 0; s && i < s->n_torch; i++) {
		const struct rmcp_torch_install *t = &s->torch[i];
		json_object *r = json_object_new_object();
		json_object_object_add(r, "path", json_object_new_string(t->path));
		json_object_object_add(r, "version", jstr_or_null(t->version));
		json_object_object_add(r, "hip", jstr_or_null(t->hip));
		json_object_object_add(r, "rocm", jstr_or_null(t->rocm));
		json_object_object_add(r, "bundles_rocm", json_object_new_boolean(t->bundles_rocm));
		json_object_object_add(r, "judged", json_object_new_boolean((int)i == d->torch));
		json_object_array_add(torch, r);
	}
	json_object_object_add(o, "examined", json_object_new_boolean(s != NULL));
	json_object_object_add(o, "rocm", rocm);
	json_object_object_add(o, "torch", torch);
	json_object_object_add(o, "python", jstr_or_null(s ? s->python : NULL));
	return o;
}

static const char *plan_kind_name(enum rmcp_plan_kind k)
{
	switch (k) {
	case RMCP_PLAN_EXPORT:
		return "export";
	case RMCP_PLAN_UNSET:
		return "unset";
	case RMCP_PLAN_INSTALL:
		return "install";
	case RMCP_PLAN_TEXT:
		break;
	}
	return "text";
}

/* The whole-machine plan behind next_steps, with its re-diagnosis check (plan.h). */
static json_object *plan_json(const struct rmcp_plan *p)
{
	json_object *o = json_object_new_object(), *steps = json_object_new_array(), *problems = json_object_new_array();
	for (size_t i = 0; i < p->n; i++) {
		const struct rmcp_plan_step *s = &p->steps[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "kind", json_object_new_string(plan_kind_name(s->kind)));
		json_object_object_add(j, "variable", jstr_or_null(s->var));
		json_object_object_add(j, "value", jstr_or_null(s->value));
		json_object_object_add(j, "gpu", s->gpu >= 0 ? json_object_new_int(s->gpu) : NULL);
		json_object_object_add(j, "text", json_object_new_string(s->text));
		json_object_object_add(j, "sure", jstr_or_null(s->sure));
		json_object_array_add(steps, j);
	}
	for (size_t i = 0; i < p->n_problems && i < RMCP_PLAN_MAX_PROBLEMS; i++)
		json_object_array_add(problems, json_object_new_string(p->problems[i]));
	json_object_object_add(o, "steps", steps);
	json_object_object_add(o, "checked", json_object_new_boolean(p->checked));
	json_object_object_add(o, "problems", problems);
	json_object_object_add(o, "verdict_after", json_object_new_string(rmcp_verdict_name(p->verdict_after)));
	json_object_object_add(o, "summary_after", json_object_new_string(p->summary_after));
	return o;
}

int rmcp_report_doctor_json(FILE *out, const struct rmcp_diagnosis *d)
{
	const struct rmcp_kb_result *r = &d->result;
	json_object *root = json_object_new_object();
	json_object *verdict = json_object_new_object();
	json_object_object_add(verdict, "gpu_training", json_object_new_string(rmcp_verdict_name(r->verdict)));
	json_object_object_add(verdict, "summary", json_object_new_string(r->summary));
	json_object *steps = json_object_new_array();
	for (size_t i = 0; i < r->n_steps; i++)
		json_object_array_add(steps, json_object_new_string(r->steps[i].text));
	json_object_object_add(verdict, "next_steps", steps);
	json_object_object_add(verdict, "decided_by",
			       r->decisive >= 0 ? json_object_new_string(r->findings[r->decisive].rule->id) : NULL);
	json_object_object_add(verdict, "exit_code", json_object_new_int(rmcp_verdict_exit_code(r->verdict)));
	json_object_object_add(root, "verdict", verdict);

	json_object *gpus = json_object_new_array();
	for (size_t i = 0; i < d->n_gpus; i++)
		json_object_array_add(gpus, gpu_json(d, i));
	json_object_object_add(root, "gpus", gpus);

	json_object *findings = json_object_new_array();
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct rmcp_finding *f = &r->findings[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(f->rule->id));
		json_object_object_add(o, "severity", json_object_new_string(rmcp_severity_name(f->rule->severity)));
		json_object_object_add(o, "gpu", f->gpu >= 0 ? json_object_new_int(f->gpu) : NULL);
		json_object_object_add(o, "verdict", json_object_new_string(rmcp_verdict_name(f->rule->verdict)));
		json_object_object_add(o, "cause", json_object_new_string(f->cause));
		json_object_object_add(o, "fix", json_object_new_string(f->fix));
		json_object_object_add(o, "evidence", json_object_new_string(f->rule->evidence));
		json_object_array_add(findings, o);
	}
	json_object_object_add(root, "findings", findings);
	json_object_object_add(root, "plan", plan_json(&d->plan));
	json_object_object_add(root, "software", software_json(d));
	json_object_object_add(root, "facts", facts_json(&d->facts));

	return rmcp_report_json(out, root);
}
