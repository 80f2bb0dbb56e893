/* SPDX-License-Identifier: MIT */
/*
 * `rmcp doctor --format prometheus` (report_doctor.h): the verdict, findings and GPUs as
 * gauges in the Prometheus text exposition format, for node_exporter's textfile collector.
 * Labels are versions, ids and enums only. The text and JSON renderers are report_doctor.c.
 */
#include "report_doctor.h"

#include <errno.h>
#include <string.h>

#include "names.h"
#include "banned.h"

static const char *gfact(const struct rmcp_diag_gpu *g, const char *key)
{
	const char *v = rmcp_facts_get(&g->facts, key);
	return v ? v : "";
}

int rmcp_prom_escape(const char *s, char *buf, size_t cap)
{
	if (!cap)
		return -RMCP_E_LIMIT;
	size_t o = 0;
	for (; *s; s++) {
		const char *rep = NULL;
		char one[2] = { *s, '\0' };
		/* The exposition format escapes exactly these three in label values. */
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '"')
			rep = "\\\"";
		else if (*s == '\n')
			rep = "\\n";
		else
			rep = one;
		size_t l = strlen(rep);
		if (l >= cap - o) {
			buf[o] = '\0';
			return -RMCP_E_LIMIT;
		}
		memcpy(buf + o, rep, l);
		o += l;
	}
	buf[o] = '\0';
	return (int)o;
}

static void family(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The labels that identify a GPU in every per-GPU series. */
static void gpu_labels(const struct rmcp_diag_gpu *g, size_t i, char *buf, size_t cap)
{
	char name[512], addr[64];
	rmcp_prom_escape(g->gfx, name, sizeof(name));
	rmcp_prom_escape(g->gpu->pci_addr, addr, sizeof(addr));
	snprintf(buf, cap, "gpu=\"%zu\",gfx=\"%s\",pci_addr=\"%s\"", i, name, addr);
}

static int verdict_value(enum rmcp_verdict v)
{
	switch (v) {
	case RMCP_VERDICT_YES:
		return 2;
	case RMCP_VERDICT_WORKAROUND:
		return 1;
	case RMCP_VERDICT_NONE:
	case RMCP_VERDICT_NO:
		break;
	}
	return 0;
}

int rmcp_report_doctor_prometheus(FILE *out, const struct rmcp_diagnosis *d)
{
	const struct rmcp_kb_result *r = &d->result;
	char lab[768], a[512], b[512], c[512];
	struct rmcp_envelope env;
	rmcp_envelope_now(&env);
	/* Labels are versions, ids and enums only: free text (the verdict's summary) would start
	 * a new series whenever its wording changed. */
	family(out, "rmcp_build_info", "rmcp's version and knowledge-base data version (value 1).");
	rmcp_prom_escape(env.version, a, sizeof(a));
	fprintf(out, "rmcp_build_info{version=\"%s\",rules=\"%s\"} 1\n", a, rmcp_kb_version);
	family(out, "rmcp_last_run_timestamp_seconds", "When rmcp doctor wrote this, in seconds since the Unix epoch.");
	fprintf(out, "rmcp_last_run_timestamp_seconds %lld\n", (long long)env.time);
	family(out, "rmcp_doctor_verdict", "Can this machine train PyTorch on its GPU now: 2 yes, 1 workaround, 0 no.");
	fprintf(out, "rmcp_doctor_verdict{verdict=\"%s\"} %d\n", rmcp_verdict_name(r->verdict), verdict_value(r->verdict));
	family(out, "rmcp_doctor_findings", "Findings of rmcp doctor by severity.");
	for (int s = RMCP_SEV_OK; s <= RMCP_SEV_ERROR; s++) {
		unsigned n = 0;
		for (size_t i = 0; i < r->n_findings; i++)
			n += (int)r->findings[i].rule->severity == s;
		fprintf(out, "rmcp_doctor_findings{severity=\"%s\"} %u\n", rmcp_severity_name((enum rmcp_severity)s), n);
	}
	family(out, "rmcp_doctor_finding", "One series per finding (value 1), labelled with its rule id.");
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct rmcp_finding *f = &r->findings[i];
		char gpu[16] = "";
		if (f->gpu >= 0)
			snprintf(gpu, sizeof(gpu), "%d", f->gpu);
		fprintf(out, "rmcp_doctor_finding{id=\"%s\",severity=\"%s\",gpu=\"%s\"} 1\n", f->rule->id,
			rmcp_severity_name(f->rule->severity), gpu);
	}
	family(out, "rmcp_gpu_info", "AMD GPU identity as rmcp doctor sees it (value 1).");
	for (size_t i = 0; i < d->n_gpus; i++) {
		const struct rmcp_diag_gpu *g = &d->gpus[i];
		gpu_labels(g, i, lab, sizeof(lab));
		rmcp_prom_escape(gfact(g, "gpu.name"), a, sizeof(a));
		rmcp_prom_escape(g->gfx_effective, b, sizeof(b));
		rmcp_prom_escape(gfact(g, "gpu.pci_id"), c, sizeof(c));
		fprintf(out, "rmcp_gpu_info{%s,gfx_effective=\"%s\",name=\"%s\",pci_id=\"%s\",node=\"%d\"} 1\n", lab, b, a,
			c, g->gpu->node);
	}
	static const struct {
		const char *name, *help;
	} per_gpu[] = {
		{ "rmcp_gpu_training", "Can PyTorch train on this GPU now: 2 yes, 1 workaround, 0 no." },
		{ "rmcp_gpu_visible", "1 if the ROCm runtime would use this GPU." },
		{ "rmcp_gpu_vram_bytes", "VRAM in bytes (0 if unknown)." },
		{ "rmcp_gpu_compute_units", "Compute units (0 if unknown)." },
		{ "rmcp_gpu_override", "1 if HSA_OVERRIDE_GFX_VERSION makes the runtime load another processor's code." },
	};
	for (size_t k = 0; k < sizeof(per_gpu) / sizeof(per_gpu[0]); k++) {
		family(out, per_gpu[k].name, per_gpu[k].help);
		for (size_t i = 0; i < d->n_gpus; i++) {
			const struct rmcp_diag_gpu *g = &d->gpus[i];
			gpu_labels(g, i, lab, sizeof(lab));
			unsigned long long v = 0;
			switch (k) {
			case 0:
				v = (unsigned)verdict_value(i < r->n_gpus ? r->gpu_verdict[i] : RMCP_VERDICT_NO);
				break;
			case 1:
				v = g->visible;
				break;
			case 2:
				v = g->gpu->vram_bytes;
				break;
			case 3:
				v = g->gpu->cu_count;
				break;
			default:
				v = strcmp(g->gfx, g->gfx_effective) != 0;
				break;
			}
			fprintf(out, "%s{%s} %llu\n", per_gpu[k].name, lab, v);
		}
	}
	family(out, "rmcp_gpu_findings", "Findings about this GPU by severity (machine-wide ones not included).");
	for (size_t i = 0; i < d->n_gpus; i++) {
		gpu_labels(&d->gpus[i], i, lab, sizeof(lab));
		for (int s = RMCP_SEV_OK; s <= RMCP_SEV_ERROR; s++) {
			unsigned n = 0;
			for (size_t k = 0; k < r->n_findings; k++)
				n += r->findings[k].gpu == (int)i && (int)r->findings[k].rule->severity == s;
			fprintf(out, "rmcp_gpu_findings{%s,severity=\"%s\"} %u\n", lab,
				rmcp_severity_name((enum rmcp_severity)s), n);
		}
	}
	return ferror(out) ? -EIO : 0;
}
