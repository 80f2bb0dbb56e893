/* SPDX-License-Identifier: MIT */
/* ISA verdicts as text and JSON (schema: docs/scan.schema.json, "isa" objects). */
#include "isa_report.h"

#include <stdio.h>
#include <string.h>

#include "demangle.h"
#include "names.h"
#include "banned.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

static const char *col(bool on, const char *code)
{
	return on ? code : "";
}

static const char *verdict_color(enum rmcp_isa_verdict v)
{
	switch (v) {
	case RMCP_ISA_OK:
		return C_GREEN;
	case RMCP_ISA_UNVERIFIED:
	case RMCP_ISA_HAZARD:
		return C_YELLOW;
	case RMCP_ISA_DIFFERS:
	case RMCP_ISA_INVALID:
		return C_RED;
	}
	return "";
}

static void counts_text(FILE *out, const size_t *by)
{
	fprintf(out, "%zu invalid, %zu differ, %zu hazard, %zu unverified, %zu ok", by[RMCP_ISA_INVALID],
		by[RMCP_ISA_DIFFERS], by[RMCP_ISA_HAZARD], by[RMCP_ISA_UNVERIFIED], by[RMCP_ISA_OK]);
}

static void hex(const uint8_t *b, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i + 4 <= n && o + 10 < size; i += 4)
		o += (size_t)snprintf(buf + o, size - o, "%s%02x%02x%02x%02x", i ? " " : "", b[i + 3], b[i + 2],
				      b[i + 1], b[i]);
	if (o == 0 && size)
		buf[0] = '\0';
}

/* Classes present in a kernel, comma-separated. */
static void class_list(const uint32_t *by, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int c = 0; c < RMCP_ISA_HZ_NCLASSES && o < size; c++)
		if (by[c])
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "",
					      rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c));
}

static void hazard_text(FILE *out, const struct rmcp_isa_kernel *k)
{
	const struct rmcp_isa_hazard *h = &k->hazard;
	char classes[512];
	class_list(k->n_by_class, classes, sizeof(classes));
	fprintf(out, " (%llu instructions)\n        %llu hazard place%s (%llu possible): %s\n",
		(unsigned long long)k->n_insns, (unsigned long long)k->n_hazards, k->n_hazards == 1 ? "" : "s",
		(unsigned long long)k->n_possible, classes);
	fprintf(out, "        first: %s%s at +0x%llx %s", rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)h->cls),
		h->possible ? " (possible)" : "", (unsigned long long)(h->addr - k->addr), h->text);
	if (h->other_addr != h->addr)
		fprintf(out, " after %s at +0x%llx", h->other_text, (unsigned long long)(h->other_addr - k->addr));
	fprintf(out, "; LLVM emits for gfx10.1: %s\n", rmcp_isa_hazard_fix((enum rmcp_isa_hazard_class)h->cls));
}

static void kernel_text(FILE *out, const struct rmcp_isa_kernel *k, const struct rmcp_isa_report *r,
			bool color)
{
	char dm[1024];
	fprintf(out, "      %s%s%s %s ", col(color, verdict_color(k->verdict)), rmcp_isa_verdict_name(k->verdict),
		col(color, C_OFF), k->is_kernel ? "kernel" : "function");
	rmcp_fput_name(out, rmcp_demangle_or_self(k->name, dm, sizeof(dm)));
	if (k->verdict == RMCP_ISA_HAZARD && k->has_hazard) {
		hazard_text(out, k);
		return;
	}
	if (k->verdict == RMCP_ISA_UNVERIFIED && k->reason[0] && !k->has_first) {
		fprintf(out, " (%llu instructions): %s\n", (unsigned long long)k->n_insns, k->reason);
		return;
	}
	if (!k->has_first) {
		fprintf(out, " (%llu instructions)\n", (unsigned long long)k->n_insns);
		return;
	}
	char bytes[48];
	hex(k->first.bytes, k->first.len, bytes, sizeof(bytes));
	fprintf(out, "\n        first %s instruction at 0x%llx (+0x%llx): %s [%s]", rmcp_isa_insn_kind_name(k->first.kind),
		(unsigned long long)k->first.addr, (unsigned long long)(k->first.addr - k->addr),
		k->first.text[0] ? k->first.text : "?", bytes);
	switch (k->first.kind) {
	case RMCP_ISA_INSN_INVALID:
		fprintf(out, "; does not decode on %s", r->real_target);
		break;
	case RMCP_ISA_INSN_DIFFERS:
		fprintf(out, "; %s runs %s", r->real_target, k->first.real_text[0] ? k->first.real_text : "other text");
		break;
	case RMCP_ISA_INSN_UNDECODABLE:
		fprintf(out, "; does not decode for %s either", r->code_target);
		break;
	case RMCP_ISA_INSN_UNKNOWN:
		fputs("; needs the LLVM oracle", out);
		break;
	}
	fprintf(out, "\n        %llu instructions: %llu invalid, %llu differ\n", (unsigned long long)k->n_insns,
		(unsigned long long)k->n_invalid, (unsigned long long)k->n_differs);
}

void rmcp_isa_text_file(FILE *out, const struct rmcp_isa_file *f, const struct rmcp_isa_view *v,
			bool color)
{
	char gpu[64];
	size_t skipped[RMCP_ISA_SKIP_ERROR + 1] = { 0 }, kernels = 0;
	rmcp_target_id_format(v->gpu, gpu, sizeof(gpu));
	for (size_t i = 0; i < f->n_objects; i++)
		skipped[f->objects[i].skip]++;
	for (int i = 0; i <= RMCP_ISA_INVALID; i++)
		kernels += f->kernels_by_verdict[i];
	fprintf(out, "    isa on %s: ", gpu);
	if (f->error) {
		fprintf(out, "%snot checked: ", col(color, C_RED));
		rmcp_fput_name(out, f->error);
		fprintf(out, "%s\n", col(color, C_OFF));
		return;
	}
	if (!f->checked) {
		fprintf(out, "nothing to check (%zu native, %zu other generation, %zu bitcode, %zu unreadable)\n",
			skipped[RMCP_ISA_SKIP_NATIVE], skipped[RMCP_ISA_SKIP_OTHER_FAMILY],
			skipped[RMCP_ISA_SKIP_BITCODE], skipped[RMCP_ISA_SKIP_ERROR]);
	} else {
		fprintf(out, "%s%s%s: %zu code object%s checked, %zu kernels and functions: ",
			col(color, verdict_color(f->verdict)), rmcp_isa_verdict_name(f->verdict), col(color, C_OFF),
			f->checked, f->checked == 1 ? "" : "s", kernels);
		counts_text(out, f->kernels_by_verdict);
		fputc('\n', out);
	}
	const char *last_wa = NULL;
	for (size_t i = 0; i < f->n_objects; i++) {
		const struct rmcp_isa_object *o = &f->objects[i];
		if (o->skip == RMCP_ISA_SKIP_ERROR) {
			fprintf(out, "      %serror%s in %s code object (bundle %u): ", col(color, C_RED), col(color, C_OFF),
				o->target[0] ? o->target : "a", o->bundle);
			rmcp_fput_name(out, o->error ? o->error : "?");
			fputc('\n', out);
			continue;
		}
		if (o->skip != RMCP_ISA_CHECKED)
			continue;
		const struct rmcp_isa_report *r = &o->report;
		if (r->needs_workarounds && (!last_wa || strcmp(last_wa, r->code_target) != 0)) {
			fprintf(out, "      %s needs workarounds that %s code lacks: %s\n", r->real_target, r->code_target,
				r->workarounds);
			last_wa = r->code_target;
		}
		if (r->hazards_checked) {
			size_t any = 0;
			for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
				any += r->kernels_by_class[c];
			if (any) {
				fprintf(out, "    %s[%u] hazards (kernels/places):", col(color, C_DIM), o->bundle);
				for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
					if (r->kernels_by_class[c])
						fprintf(out, " %s %zu/%llu", rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c),
							r->kernels_by_class[c], (unsigned long long)r->hazards_by_class[c]);
				fprintf(out, "%s\n", col(color, C_OFF));
			}
		}
		bool header = false;
		for (size_t k = 0; k < r->n_kernels; k++) {
			const struct rmcp_isa_kernel *kn = &r->kernels[k];
			if (!v->verbose && kn->verdict < RMCP_ISA_HAZARD && !kn->n_unknown && !kn->n_undecodable)
				continue;
			if (!header) {
				fprintf(out, "    %s[%u] %s, %s: %llu instructions%s\n", col(color, C_DIM), o->bundle,
					r->code_target, rmcp_isa_engine_name(r->engine), (unsigned long long)r->n_insns,
					col(color, C_OFF));
				header = true;
			}
			kernel_text(out, kn, r, color);
		}
	}
}

void rmcp_isa_text_summary(FILE *out, const struct rmcp_isa_view *v, size_t n, bool color)
{
	size_t files = 0, objects = 0, by[RMCP_ISA_INVALID + 1] = { 0 };
	enum rmcp_isa_verdict worst = RMCP_ISA_OK;
	char gpu[64];
	rmcp_target_id_format(v->gpu, gpu, sizeof(gpu));
	for (size_t i = 0; i < n; i++) {
		const struct rmcp_isa_file *f = v->files[i];
		if (!f || !f->checked)
			continue;
		files++;
		objects += f->checked;
		for (int k = 0; k <= RMCP_ISA_INVALID; k++)
			by[k] += f->kernels_by_verdict[k];
		if (f->verdict > worst)
			worst = f->verdict;
	}
	if (!files) {
		fprintf(out, "isa on %s: no code object an override could run there was found\n", gpu);
		return;
	}
	fprintf(out, "%sisa on %s: %s%s: %zu file%s, %zu code object%s; kernels and functions: ",
		col(color, verdict_color(worst)), gpu, rmcp_isa_verdict_name(worst), col(color, C_OFF), files,
		files == 1 ? "" : "s", objects, objects == 1 ? "" : "s");
	counts_text(out, by);
	fputc('\n', out);
}

/* ---- JSON ---- */

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *jcounts(const size_t *by)
{
	json_object *o = json_object_new_object();
	for (int v = 0; v <= RMCP_ISA_INVALID; v++)
		json_object_object_add(o, rmcp_isa_verdict_name((enum rmcp_isa_verdict)v),
				       json_object_new_int64((int64_t)by[v]));
	return o;
}

static json_object *jinsn(const struct rmcp_isa_kernel *k)
{
	char bytes[48];
	json_object *o = json_object_new_object();
	hex(k->first.bytes, k->first.len, bytes, sizeof(bytes));
	json_object_object_add(o, "address", json_object_new_uint64(k->first.addr));
	json_object_object_add(o, "offset", json_object_new_uint64(k->first.addr - k->addr));
	json_object_object_add(o, "bytes", json_object_new_string(bytes));
	json_object_object_add(o, "kind", json_object_new_string(rmcp_isa_insn_kind_name(k->first.kind)));
	json_object_object_add(o, "text", json_object_new_string(k->first.text));
	json_object_object_add(o, "real_text", json_object_new_string(k->first.real_text));
	return o;
}

static json_object *jkernel(const struct rmcp_isa_kernel *k)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(k->name));
	char dm[1024];
	json_object_object_add(o, "demangled", json_object_new_string(rmcp_demangle_or_self(k->name, dm, sizeof(dm))));
	json_object_object_add(o, "kind", json_object_new_string(k->is_kernel ? "kernel" : "function"));
	json_object_object_add(o, "address", json_object_new_uint64(k->addr));
	json_object_object_add(o, "size", json_object_new_uint64(k->size));
	json_object_object_add(o, "verdict", json_object_new_string(rmcp_isa_verdict_name(k->verdict)));
	json_object_object_add(o, "instructions", json_object_new_uint64(k->n_insns));
	json_object_object_add(o, "invalid", json_object_new_uint64(k->n_invalid));
	json_object_object_add(o, "differs", json_object_new_uint64(k->n_differs));
	json_object_object_add(o, "undecodable", json_object_new_uint64(k->n_undecodable));
	json_object_object_add(o, "unknown", json_object_new_uint64(k->n_unknown));
	json_object_object_add(o, "first", k->has_first ? jinsn(k) : NULL);
	json_object_object_add(o, "reason", k->reason[0] ? json_object_new_string(k->reason) : NULL);
	if (!k->hazards_checked) {
		json_object_object_add(o, "hazards", NULL);
		return o;
	}
	json_object *hz = json_object_new_object();
	json_object_object_add(hz, "places", json_object_new_uint64(k->n_hazards));
	json_object_object_add(hz, "possible", json_object_new_uint64(k->n_possible));
	json_object *by = json_object_new_object();
	for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
		if (k->n_by_class[c])
			json_object_object_add(by, rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c),
					       json_object_new_uint64(k->n_by_class[c]));
	json_object_object_add(hz, "classes", by);
	json_object *fo = json_object_new_object();
	for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
		if (k->first_by_class[c])
			json_object_object_add(fo, rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c),
					       json_object_new_uint64(k->first_by_class[c] - 1));
	json_object_object_add(hz, "first_offsets", fo);
	json_object *first = NULL;
	if (k->has_hazard) {
		const struct rmcp_isa_hazard *h = &k->hazard;
		first = json_object_new_object();
		json_object_object_add(first, "class", json_object_new_string(rmcp_isa_hazard_name(h->cls)));
		json_object_object_add(first, "certainty", json_object_new_string(h->possible ? "possible" : "definite"));
		json_object_object_add(first, "address", json_object_new_uint64(h->addr));
		json_object_object_add(first, "offset", json_object_new_uint64(h->addr - k->addr));
		json_object_object_add(first, "instruction", json_object_new_string(h->text));
		json_object_object_add(first, "other_offset", json_object_new_uint64(h->other_addr - k->addr));
		json_object_object_add(first, "other_instruction", json_object_new_string(h->other_text));
		json_object_object_add(first, "llvm_fix", json_object_new_string(rmcp_isa_hazard_fix(h->cls)));
	}
	json_object_object_add(hz, "first", first);
	json_object_object_add(o, "hazards", hz);
	return o;
}

static json_object *jobject(const struct rmcp_isa_object *ob)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "bundle", json_object_new_int64(ob->bundle));
	json_object_object_add(o, "id", jstr(ob->id));
	json_object_object_add(o, "target", ob->target[0] ? json_object_new_string(ob->target) : NULL);
	json_object_object_add(o, "status", json_object_new_string(rmcp_isa_skip_name(ob->skip)));
	json_object_object_add(o, "error", jstr(ob->error));
	if (ob->skip != RMCP_ISA_CHECKED)
		return o;
	const struct rmcp_isa_report *r = &ob->report;
	json_object_object_add(o, "engine", json_object_new_string(rmcp_isa_engine_name(r->engine)));
	json_object_object_add(o, "verdict", json_object_new_string(rmcp_isa_verdict_name(r->verdict)));
	json_object_object_add(o, "instructions", json_object_new_uint64(r->n_insns));
	json_object_object_add(o, "invalid_instructions", json_object_new_uint64(r->n_invalid));
	json_object_object_add(o, "differing_instructions", json_object_new_uint64(r->n_differs));
	json_object_object_add(o, "undecodable_instructions", json_object_new_uint64(r->n_undecodable));
	json_object_object_add(o, "unknown_instructions", json_object_new_uint64(r->n_unknown));
	json_object_object_add(o, "needs_workarounds", json_object_new_boolean(r->needs_workarounds));
	json_object *wa = json_object_new_array();
	char tmp[sizeof(r->workarounds)];
	snprintf(tmp, sizeof(tmp), "%s", r->workarounds);
	for (char *save = NULL, *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_object_array_add(wa, json_object_new_string(t));
	json_object_object_add(o, "workarounds", wa);
	json_object_object_add(o, "kernel_verdicts", jcounts(r->kernels_by_verdict));
	json_object_object_add(o, "hazards_checked", json_object_new_boolean(r->hazards_checked));
	json_object *hc = json_object_new_object();
	for (int c = 0; r->hazards_checked && c < RMCP_ISA_HZ_NCLASSES; c++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "kernels", json_object_new_uint64(r->kernels_by_class[c]));
		json_object_object_add(e, "places", json_object_new_uint64(r->hazards_by_class[c]));
		json_object_object_add(hc, rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c), e);
	}
	json_object_object_add(o, "hazard_classes", hc);
	json_object *ks = json_object_new_array();
	for (size_t i = 0; i < r->n_kernels; i++)
		json_object_array_add(ks, jkernel(&r->kernels[i]));
	json_object_object_add(o, "kernels", ks);
	return o;
}

json_object *rmcp_isa_json_file(const struct rmcp_isa_file *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "verdict", f->checked ? json_object_new_string(rmcp_isa_verdict_name(f->verdict)) : NULL);
	json_object_object_add(o, "checked", json_object_new_int64((int64_t)f->checked));
	json_object_object_add(o, "kernel_verdicts", jcounts(f->kernels_by_verdict));
	json_object_object_add(o, "error", jstr(f->error));
	json_object *objs = json_object_new_array();
	for (size_t i = 0; i < f->n_objects; i++)
		json_object_array_add(objs, jobject(&f->objects[i]));
	json_object_object_add(o, "objects", objs);
	return o;
}

json_object *rmcp_isa_json_summary(const struct rmcp_isa_view *v, size_t n)
{
	char gpu[64];
	size_t files = 0, objects = 0, by[RMCP_ISA_INVALID + 1] = { 0 };
	rmcp_target_id_format(v->gpu, gpu, sizeof(gpu));
	for (size_t i = 0; i < n; i++) {
		const struct rmcp_isa_file *f = v->files[i];
		if (!f || !f->checked)
			continue;
		files++;
		objects += f->checked;
		for (int k = 0; k <= RMCP_ISA_INVALID; k++)
			by[k] += f->kernels_by_verdict[k];
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "gpu", json_object_new_string(gpu));
	json_object_object_add(o, "table_llvm_version", json_object_new_string(rmcp_isa_table_version()));
	json_object_object_add(o, "oracle_llvm_version", jstr(rmcp_isa_oracle_version()));
	json_object_object_add(o, "files", json_object_new_int64((int64_t)files));
	json_object_object_add(o, "code_objects", json_object_new_int64((int64_t)objects));
	json_object_object_add(o, "kernel_verdicts", jcounts(by));
	return o;
}
