/* SPDX-License-Identifier: MIT */
#include "report_md.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buildinfo.h"
#include "version.h"
#include "banned.h"

/* A table cell or list item: '|' would end the cell, a newline the row; backquotes pass. */
static void cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static const char *mfact(const struct rmcp_diagnosis *d, const char *key)
{
	const char *v = rmcp_facts_get(&d->facts, key);
	return v ? v : "";
}

static const char *gfact(const struct rmcp_diag_gpu *g, const char *key)
{
	const char *v = rmcp_facts_get(&g->facts, key);
	return v ? v : "";
}

static void row(FILE *out, const char *name)
{
	fprintf(out, "| %s | ", name);
}

static void rmcp_row(FILE *out)
{
	char feats[128];
	rmcp_build_features_line(feats, sizeof(feats));
	row(out, "rmcp");
	fprintf(out, "%s; built with %s |\n", RMCP_VERSION, feats[0] ? feats : "no optional feature");
	row(out, "data");
	for (unsigned i = 0; i < rmcp_n_data_versions; i++)
		fprintf(out, "%s%s %s", i ? "; " : "", rmcp_data_versions[i].name, rmcp_data_versions[i].version);
	fprintf(out, " |\n");
}

static void machine_rows(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_report_host *h)
{
	const struct rmcp_machine *m = &d->machine;
	row(out, "OS");
	cell(out, h->os && *h->os ? h->os : "unknown");
	fprintf(out, " |\n");
	row(out, "kernel");
	cell(out, m->kernel_release[0] ? m->kernel_release : "unknown");
	fprintf(out, "; amdgpu %s", !m->amdgpu_loaded ? "not loaded" : m->amdgpu_dkms_version[0] ? "dkms " : "in-tree");
	cell(out, m->amdgpu_dkms_version);
	fprintf(out, "; /dev/kfd %s", mfact(d, "machine.kfd_access"));
	if (m->kfd_group[0]) {
		fprintf(out, " (group ");
		cell(out, m->kfd_group);
		fputc(')', out);
	}
	if (m->in_container) {
		fprintf(out, "; in a container (");
		cell(out, m->container_hint);
		fputc(')', out);
	}
	fprintf(out, " |\n");
	row(out, "kernel log");
	fprintf(out, "%s", rmcp_fact_state_name(m->kernel_log));
	if (m->kernel_log_source[0]) {
		fprintf(out, " from ");
		cell(out, m->kernel_log_source);
	}
	if (m->kernel_log_why[0]) {
		fprintf(out, ": ");
		cell(out, m->kernel_log_why);
	}
	fprintf(out, " |\n");
}

static void software_rows(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_report_host *h)
{
	row(out, "Python");
	if (h->python && *h->python) {
		cell(out, h->python);
		if (h->python_version && *h->python_version)
			fprintf(out, " (%s)", h->python_version);
	} else {
		fprintf(out, "not found on PATH");
	}
	fprintf(out, " |\n");
	const struct rmcp_stack *s = d->stack;
	row(out, "PyTorch");
	if (!s || !s->n_torch)
		fprintf(out, "not found");
	for (size_t i = 0; s && i < s->n_torch; i++) {
		const struct rmcp_torch_install *t = &s->torch[i];
		fprintf(out, "%s", i ? "<br>" : "");
		cell(out, t->version[0] ? t->version : "(version unknown)");
		if (t->hip[0]) {
			fprintf(out, ", HIP ");
			cell(out, t->hip);
		} else {
			fprintf(out, ", not a ROCm build");
		}
		fprintf(out, ", at `");
		cell(out, t->path);
		fprintf(out, "`%s%s", t->bundles_rocm ? ", with its own ROCm libraries" : "",
			(int)i == d->torch && s->n_torch > 1 ? " (judged)" : "");
	}
	fprintf(out, " |\n");
	row(out, "ROCm");
	if (!s || !s->n_rocm)
		fprintf(out, "not found");
	for (size_t i = 0; s && i < s->n_rocm; i++) {
		const struct rmcp_rocm_install *r = &s->rocm[i];
		fprintf(out, "%s", i ? "<br>" : "");
		cell(out, r->version[0] ? r->version : "(version unknown)");
		fprintf(out, " at `");
		cell(out, r->path);
		fputc('`', out);
		if (r->hip_version[0]) {
			fprintf(out, ", HIP ");
			cell(out, r->hip_version);
		}
		if (r->distro)
			fprintf(out, " (distribution packages)");
	}
	fprintf(out, " |\n");
	row(out, "environment");
	if (!d->env.n_vars)
		fprintf(out, "no HSA_/HIP_/ROCR_/AMD_/MIOPEN_/PYTORCH_ variable set");
	for (size_t i = 0; i < d->env.n_vars; i++) {
		fprintf(out, "%s`", i ? " " : "");
		cell(out, d->env.vars[i].name);
		fputc('=', out);
		cell(out, d->env.vars[i].value);
		fputc('`', out);
	}
	fprintf(out, " |\n");
}

static void probe_row(FILE *out, const struct rmcp_probe_result *p)
{
	row(out, "probe");
	if (!p) {
		fprintf(out, "no cached result for this machine and environment (`rmcp probe` runs one) |\n");
		return;
	}
	fprintf(out, "%s", rmcp_probe_class_text(p->outcome));
	if (p->failed_step >= 0)
		fprintf(out, " at step %s", rmcp_probe_step_name((enum rmcp_probe_step)p->failed_step));
	if (p->gpu_name[0] || p->gpu_arch[0]) {
		fprintf(out, " on ");
		cell(out, p->gpu_name);
		fputc(' ', out);
		cell(out, p->gpu_arch);
	}
	fprintf(out, ", device %d", p->device);
	if (p->cached_at > 0) {
		time_t t = (time_t)p->cached_at;
		struct tm tm;
		char when[32];
		if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm))
			fprintf(out, ", cached result from %s", when);
	}
	fprintf(out, " |\n");
}

static void gpu_table(FILE *out, const struct rmcp_diagnosis *d)
{
	fprintf(out, "\n#### GPUs\n\n");
	if (!d->n_gpus) {
		fprintf(out, "No AMD GPU found.\n");
		return;
	}
	fprintf(out, "| # | name | gfx | PCI | CUs | VRAM | HIP device | verdict |\n"
		     "|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < d->n_gpus; i++) {
		const struct rmcp_diag_gpu *g = &d->gpus[i];
		enum rmcp_verdict v = d->evaluated && i < d->result.n_gpus ? d->result.gpu_verdict[i] : RMCP_VERDICT_NO;
		fprintf(out, "| %zu | ", i);
		cell(out, gfact(g, "gpu.name"));
		fprintf(out, " | %s", g->gfx);
		if (strcmp(g->gfx, g->gfx_effective) != 0) {
			fprintf(out, " (runtime loads %s: ", g->gfx_effective);
			cell(out, g->override_source ? g->override_source : "override");
			fputc('=', out);
			cell(out, g->override_value);
			fputc(')', out);
		}
		fprintf(out, " | %s rev %02x", gfact(g, "gpu.pci_id"), g->gpu->revision);
		if (g->gpu->pci_addr[0])
			fprintf(out, " at %s", g->gpu->pci_addr);
		fprintf(out, " | %u | %s | ", g->gpu->cu_count, g->gpu->vram_bytes ? gfact(g, "gpu.vram") : "?");
		if (g->visible)
			fprintf(out, "%d", g->hip_index);
		else
			fprintf(out, "not visible");
		fprintf(out, " | %s |\n", rmcp_verdict_name(v));
	}
}

static void findings(FILE *out, const struct rmcp_diagnosis *d)
{
	const struct rmcp_kb_result *r = &d->result;
	fprintf(out, "\n#### findings\n\n");
	if (!r->n_findings)
		fprintf(out, "None.\n");
	for (int sev = RMCP_SEV_ERROR; sev >= RMCP_SEV_OK; sev--)
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct rmcp_finding *f = &r->findings[i];
			if ((int)f->rule->severity != sev)
				continue;
			fprintf(out, "- **%s** `%s`", rmcp_severity_name(f->rule->severity), f->rule->id);
			if (f->gpu >= 0)
				fprintf(out, " (GPU %d)", f->gpu);
			fprintf(out, ": ");
			cell(out, f->cause);
			if (f->fix[0]) {
				fprintf(out, "<br>fix: ");
				cell(out, f->fix);
			}
			fputc('\n', out);
		}
	if (r->n_steps)
		fprintf(out, "\n#### next steps\n\n");
	for (size_t i = 0; i < r->n_steps; i++) {
		fprintf(out, "%zu. ", i + 1);
		cell(out, r->steps[i].text);
		fputc('\n', out);
	}
}

int rmcp_report_markdown(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_report_host *h)
{
	static const struct rmcp_report_host none;
	if (!h)
		h = &none;
	const struct rmcp_kb_result *r = &d->result;
	fprintf(out, "### rmcp report\n\n**GPU training: %s**", rmcp_verdict_name(r->verdict));
	if (r->summary[0]) {
		fprintf(out, ": ");
		cell(out, r->summary);
	}
	fprintf(out, "\n\n| | |\n|---|---|\n");
	rmcp_row(out);
	machine_rows(out, d, h);
	software_rows(out, d, h);
	probe_row(out, h->probe);
	gpu_table(out, d);
	findings(out, d);
	fprintf(out, "\n<sub>`rmcp report`; `rmcp doctor --json` has every fact.</sub>\n");
	return ferror(out) ? -EIO : 0;
}

void rmcp_python_version_from_path(const char *path, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	for (const char *p = path; p && (p = strstr(p, "python")) != NULL; p += 6) {
		const char *v = p + 6;
		size_t n = 0;
		while (isdigit((unsigned char)v[n]) || (v[n] == '.' && n && isdigit((unsigned char)v[n + 1])))
			n++;
		if (n >= 3 && memchr(v, '.', n) && n < cap) {
			memcpy(out, v, n);
			out[n] = '\0';
		}
	}
}

void rmcp_os_release_name(const char *text, size_t len, char *out, size_t cap)
{
	char name[128] = "", ver[64] = "", pretty[160] = "";
	static const struct { const char *key; size_t off; } keys[] = { { "PRETTY_NAME=", 0 }, { "NAME=", 1 },
									   { "VERSION_ID=", 2 } };
	char *dst[] = { pretty, name, ver };
	size_t caps[] = { sizeof(pretty), sizeof(name), sizeof(ver) };
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].key);
			if (ll < kl || strncmp(line, keys[k].key, kl) != 0)
				continue;
			const char *v = line + kl;
			size_t vl = ll - kl;
			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
				v++;
				vl -= 2;
			}
			if (vl >= caps[keys[k].off])
				vl = caps[keys[k].off] - 1;
			memcpy(dst[keys[k].off], v, vl);
			dst[keys[k].off][vl] = '\0';
		}
		pos += ll + 1;
	}
	if (pretty[0])
		snprintf(out, cap, "%s", pretty);
	else if (name[0])
		snprintf(out, cap, "%s%s%s", name, ver[0] ? " " : "", ver);
	else if (cap)
		out[0] = '\0';
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* Replace each match of needle accepted by ok() with rep; returns a new string. */
static char *replace(const char *text, const char *needle, const char *rep,
		     bool (*ok)(const char *text, const char *at, size_t n))
{
	size_t nl = strlen(needle), rl = strlen(rep), tl = strlen(text);
	size_t count = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += nl)
		count += ok(text, p, nl);
	size_t cap = tl + 1 + (rl > nl ? count * (rl - nl) : 0);
	char *out = malloc(cap), *o = out;
	if (!out)
		return NULL;
	const char *p = text;
	for (const char *q; (q = strstr(p, needle)) != NULL;) {
		size_t keep = (size_t)(q - p);
		memcpy(o, p, keep);
		o += keep;
		if (ok(text, q, nl)) {
			memcpy(o, rep, rl);
			o += rl;
		} else {
			memcpy(o, q, nl);
			o += nl;
		}
		p = q + nl;
	}
	size_t rest = strlen(p);
	memcpy(o, p, rest + 1);
	return out;
}

static bool whole_word(const char *text, const char *at, size_t n)
{
	return (at == text || !word_char(at[-1])) && !word_char(at[n]);
}

static bool path_prefix(const char *text, const char *at, size_t n)
{
	(void)text;
	char c = at[n];
	return c == '/' || c == '\0' || c == '`' || c == ' ' || c == '\n' || c == ':' || c == ',' || c == ')' ||
	       c == '\'' || c == '"' || c == ';' || c == '|' || c == '<';
}

char *rmcp_redact(const char *text, const char *home, const char *user, const char *host)
{
	char *cur = strdup(text);
	const struct { const char *needle, *rep; bool (*ok)(const char *, const char *, size_t); } subs[] = {
		{ home, "~", path_prefix },
		{ user, "<user>", whole_word },
		{ host, "<host>", whole_word },
	};
	for (size_t i = 0; cur && i < sizeof(subs) / sizeof(subs[0]); i++) {
		const char *n = subs[i].needle;
		/* "/" as a home, or one-letter names, would redact everything. */
		if (!n || strlen(n) < 2 || strcmp(n, "/") == 0)
			continue;
		char *next = replace(cur, n, subs[i].rep, subs[i].ok);
		free(cur);
		cur = next;
	}
	return cur;
}
