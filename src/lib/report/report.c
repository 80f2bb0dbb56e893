/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "isa_report.h"
#include "version.h"
#include "names.h"
#include "demangle.h"
#include "target.h"
#include "banned.h"

static bool entry_covers(const struct rmcp_entry *e, const struct rmcp_target_id *q)
{
	struct rmcp_target_id code;
	if (!e->target || !e->target[0] || rmcp_target_id_parse(e->target, strlen(e->target), &code, NULL) < 0)
		return false;
	return rmcp_target_covers(&code, e->have_elf ? e->generic_version : 0, q);
}

enum rmcp_cover rmcp_file_covers(const struct rmcp_file *f, const struct rmcp_target_id *query)
{
	/* A MIOpen .kdb only holds precompiled kernels; without one MIOpen compiles at first
	 * use (slower start, not a failure), so it never counts as missing code. */
	if (!f->n_targets || f->container || f->format == RMCP_FMT_MIOPEN_KDB)
		return RMCP_COVER_NA;
	/* Entries carry the generic version when the ELF header was read; targets alone
	 * (wheels, name-based files) are judged by name. */
	for (size_t i = 0; i < f->n_entries; i++)
		if (entry_covers(&f->entries[i], query))
			return RMCP_COVER_YES;
	for (size_t i = 0; i < f->n_targets; i++) {
		struct rmcp_target_id code;
		if (rmcp_target_id_parse(f->targets[i], strlen(f->targets[i]), &code, NULL) == 0 &&
		    rmcp_target_covers(&code, 0, query))
			return RMCP_COVER_YES;
	}
	return RMCP_COVER_NO;
}

static bool is_member_of(const struct rmcp_file *m, const struct rmcp_file *c)
{
	size_t n = strlen(c->path);
	return strncmp(m->path, c->path, n) == 0 && (strncmp(m->path + n, "!/", 2) == 0 || m->path[n] == '(');
}

enum rmcp_cover rmcp_scan_covers(struct rmcp_file *const *files, size_t n, size_t i,
				 const struct rmcp_target_id *query)
{
	const struct rmcp_file *f = files[i];
	if (!f->container)
		return rmcp_file_covers(f, query);
	/* A wheel or archive runs on the target only if every member with device code does. */
	enum rmcp_cover c = RMCP_COVER_NA;
	for (size_t k = 0; k < n; k++) {
		if (k == i || files[k]->container || !is_member_of(files[k], f))
			continue;
		enum rmcp_cover m = rmcp_file_covers(files[k], query);
		if (m == RMCP_COVER_NO)
			return RMCP_COVER_NO;
		if (m == RMCP_COVER_YES)
			c = RMCP_COVER_YES;
	}
	return c;
}

void rmcp_scan_summarize(struct rmcp_file *const *files, size_t n,
			 const struct rmcp_target_id *query, struct rmcp_scan_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		const struct rmcp_file *f = files[i];
		/* Containers count as files only when they could not be opened at all. */
		if (f->container && !f->error)
			continue;
		if (f->error)
			s->errors++;
		s->files++;
		if (f->n_targets)
			s->with_code++;
		else
			s->without_code++;
		if (query) {
			enum rmcp_cover c = rmcp_file_covers(f, query);
			s->covered += c == RMCP_COVER_YES;
			s->missing += c == RMCP_COVER_NO;
		}
	}
}

/* Target -> number of files, in version order (rmcp_target_cmp). */
struct tcount {
	const char *target;
	size_t files;
};

static int cmp_tcount(const void *a, const void *b)
{
	return rmcp_target_cmp(((const struct tcount *)a)->target, ((const struct tcount *)b)->target);
}

static struct tcount *count_targets(struct rmcp_file *const *files, size_t n, size_t *out_n)
{
	size_t cap = 0, k = 0;
	struct tcount *v = NULL;
	for (size_t i = 0; i < n; i++) {
		if (files[i]->container)
			continue;
		for (size_t t = 0; t < files[i]->n_targets; t++) {
			const char *name = files[i]->targets[t];
			size_t j;
			for (j = 0; j < k && strcmp(v[j].target, name) != 0; j++)
				;
			if (j < k) {
				v[j].files++;
				continue;
			}
			if (k == cap) {
				cap = cap ? cap * 2 : 16;
				struct tcount *nv = realloc(v, cap * sizeof(*nv));
				if (!nv) {
					free(v);
					*out_n = 0;
					return NULL;
				}
				v = nv;
			}
			v[k].target = name;
			v[k].files = 1;
			k++;
		}
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_tcount);
	*out_n = k;
	return v;
}

/* ---- text ---- */

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

static const char *c(const struct rmcp_text_style *st, const char *code)
{
	return st->color ? code : "";
}

static void text_entries(FILE *out, const struct rmcp_file *f, const struct rmcp_text_style *st)
{
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct rmcp_entry *e = &f->entries[i];
		fprintf(out, "    %s[%u]%s ", c(st, C_DIM), e->bundle, c(st, C_OFF));
		int w = rmcp_fput_name(out, e->id ? e->id : (e->target ? e->target : "-"));
		fprintf(out, "%*s offset %llu size %llu", w < 44 ? 44 - w : 0, "",
			(unsigned long long)e->offset, (unsigned long long)e->size);
		if (e->compressed)
			fputs(" compressed", out);
		if (e->bitcode)
			fputs(" bitcode", out);
		if (e->have_elf) {
			fprintf(out, " (code object v%u, e_flags 0x%x", e->co_version, e->e_flags);
			if (e->elf_target && e->target && strcmp(e->elf_target, e->target) != 0) {
				fputs(", ELF header says ", out);
				rmcp_fput_name(out, e->elf_target);
			}
			fputc(')', out);
		}
		char uri[PATH_MAX + 96];
		if (rmcp_entry_uri(f, e, uri, sizeof(uri)) > 0)
			fprintf(out, "\n        %s", uri);	/* for roc-obj-extract, llvm-objdump */
		fputc('\n', out);
	}
	for (size_t i = 0; i < f->n_kernels; i++) {
		char dm[1024];
		/* people read the demangled name; JSON keeps both */
		fputs("    kernel ", out);
		rmcp_fput_name(out, rmcp_demangle_or_self(f->kernels[i], dm, sizeof(dm)));
		fputc('\n', out);
	}
}

static void text_file(FILE *out, struct rmcp_file *const *files, size_t n, size_t idx,
		      const struct rmcp_target_id *q, const char *qname, const struct rmcp_text_style *st,
		      const struct rmcp_isa_view *isa)
{
	const struct rmcp_file *f = files[idx];
	fputs(c(st, C_BOLD), out);
	rmcp_fput_name(out, f->path);
	fprintf(out, "%s: %s", c(st, C_OFF), rmcp_format_name(f->format));
	if (f->bundles)
		fprintf(out, ", %u bundle%s", f->bundles, f->bundles == 1 ? "" : "s");
	if (f->n_targets) {
		fputc(':', out);
		for (size_t i = 0; i < f->n_targets; i++) {
			fputc(' ', out);
			rmcp_fput_name(out, f->targets[i]);
		}
	} else if (!f->error) {
		fputs(": no device code", out);
	}
	fputc('\n', out);
	enum rmcp_cover cv = q ? rmcp_scan_covers(files, n, idx, q) : RMCP_COVER_NA;
	if (cv == RMCP_COVER_YES)
		fprintf(out, "    %s%s %s%s\n", c(st, C_GREEN), f->container ? "every member with device code has code for" : "has code for",
			qname, c(st, C_OFF));
	else if (cv == RMCP_COVER_NO)
		fprintf(out, "    %s%s %s%s\n", c(st, C_RED), f->container ? "some members have NO code for" : "NO code for",
			qname, c(st, C_OFF));
	else if (q && f->format == RMCP_FMT_MIOPEN_KDB && rmcp_file_covers(f, q) == RMCP_COVER_NA &&
		 f->n_targets && strcmp(f->targets[0], qname) != 0)
		fprintf(out, "    %sno precompiled MIOpen kernels for %s here: MIOpen compiles them at first use%s\n",
			c(st, C_DIM), qname, c(st, C_OFF));
	if (f->note) {
		fprintf(out, "    %snote:%s ", c(st, C_DIM), c(st, C_OFF));
		rmcp_fput_name(out, f->note);
		fputc('\n', out);
	}
	if (f->error) {
		fprintf(out, "    %serror:%s ", c(st, C_RED), c(st, C_OFF));
		rmcp_fput_name(out, f->error);
		fputc('\n', out);
	}
	if (st->verbose)
		text_entries(out, f, st);
	if (isa && isa->files[idx])
		rmcp_isa_text_file(out, isa->files[idx], isa, st->color);
}

int rmcp_report_scan_text(FILE *out, struct rmcp_file *const *files, size_t n,
			  const struct rmcp_target_id *query, const struct rmcp_text_style *style)
{
	return rmcp_report_scan_text_isa(out, files, n, query, style, NULL);
}

int rmcp_report_scan_text_isa(FILE *out, struct rmcp_file *const *files, size_t n,
			      const struct rmcp_target_id *query, const struct rmcp_text_style *style,
			      const struct rmcp_isa_view *isa)
{
	char qname[64] = "";
	if (query)
		rmcp_target_id_format(query, qname, sizeof(qname));
	for (size_t i = 0; i < n; i++)
		text_file(out, files, n, i, query, qname, style, isa);

	struct rmcp_scan_summary s;
	rmcp_scan_summarize(files, n, query, &s);
	fprintf(out, "\n%s%zu file%s%s, %zu with device code", c(style, C_BOLD), s.files,
		s.files == 1 ? "" : "s", c(style, C_OFF), s.with_code);
	if (s.errors)
		fprintf(out, ", %s%zu unreadable%s", c(style, C_RED), s.errors, c(style, C_OFF));
	fputc('\n', out);
	size_t nt;
	struct tcount *tc = count_targets(files, n, &nt);
	if (nt)
		fprintf(out, "%-20s %s\n", "target", "files");
	for (size_t i = 0; i < nt; i++) {
		struct rmcp_target_id t;
		bool hit = query && rmcp_target_id_parse(tc[i].target, strlen(tc[i].target), &t, NULL) == 0 &&
			   rmcp_target_covers(&t, 0, query);
		fputs(hit ? c(style, C_GREEN) : "", out);
		int w = rmcp_fput_name(out, tc[i].target);
		fprintf(out, "%*s %zu%s\n", w < 20 ? 20 - w : 0, "", tc[i].files, hit ? c(style, C_OFF) : "");
	}
	free(tc);
	if (query) {
		size_t judged = s.covered + s.missing;
		if (s.missing)
			fprintf(out, "%s%s: %zu of %zu file%s with device code %s no code for it%s\n",
				c(style, C_RED), qname, s.missing, judged, judged == 1 ? "" : "s",
				s.missing == 1 ? "has" : "have", c(style, C_OFF));
		else if (judged)
			fprintf(out, "%s%s: every file with device code has code for it%s\n",
				c(style, C_GREEN), qname, c(style, C_OFF));
		else
			fprintf(out, "%s: no file with device code was found\n", qname);
		if (s.errors)
			fprintf(out, "%s%zu file%s could not be read, so %s not checked%s\n", c(style, C_RED),
				s.errors, s.errors == 1 ? "" : "s", s.errors == 1 ? "it was" : "they were",
				c(style, C_OFF));
	}
	if (isa)
		rmcp_isa_text_summary(out, isa, n, style->color);
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---- */

void rmcp_envelope_now(struct rmcp_envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->version = RMCP_VERSION;
	e->time = time(NULL);
	struct tm tm;
	if (e->time == (time_t)-1 || !gmtime_r(&e->time, &tm) ||
	    !strftime(e->timestamp, sizeof(e->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(e->timestamp, sizeof(e->timestamp), "1970-01-01T00:00:00Z");
	/* POSIX leaves a truncated name unterminated; the last byte stays the memset's 0. */
	if (gethostname(e->hostname, sizeof(e->hostname) - 1) != 0)
		e->hostname[0] = '\0';
}

static bool keep_last;
static json_object *kept;

void rmcp_report_json_keep(bool keep)
{
	keep_last = keep;
}

int rmcp_report_json(FILE *out, json_object *root)
{
	struct rmcp_envelope env;
	rmcp_envelope_now(&env);
	json_object *doc = json_object_new_object();
	if (!doc || !root) {
		json_object_put(doc);
		json_object_put(root);
		return -ENOMEM;
	}
	json_object_object_add(doc, "rmcp_version", json_object_new_string(env.version));
	json_object_object_add(doc, "timestamp", json_object_new_string(env.timestamp));
	json_object_object_add(doc, "hostname", json_object_new_string(env.hostname));
	json_object_object_foreach(root, key, val)
		json_object_object_add(doc, key, json_object_get(val));
	json_object_put(root);
	/* Names from inputs are data: strings that are not UTF-8 become valid JSON here, for
	 * every document rmcp prints (names.h). */
	if (rmcp_json_sanitize(doc) < 0) {
		json_object_put(doc);
		return -ENOMEM;
	}
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		fputs(s, out);
		fputc('\n', out);
	}
	if (keep_last) {
		json_object_put(kept);	/* a second document: the first one goes */
		kept = doc;
	} else {
		json_object_put(doc);
	}
	if (!s)
		return -ENOMEM;
	return ferror(out) ? -EIO : 0;
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;	/* NULL is JSON null */
}

static json_object *json_entry(const struct rmcp_file *f, const struct rmcp_entry *e)
{
	json_object *o = json_object_new_object();
	char uri[PATH_MAX + 96];
	if (rmcp_entry_uri(f, e, uri, sizeof(uri)) > 0)
		json_object_object_add(o, "uri", json_object_new_string(uri));
	json_object_object_add(o, "bundle", json_object_new_int64(e->bundle));
	json_object_object_add(o, "id", jstr(e->id));
	json_object_object_add(o, "target", jstr(e->target));
	json_object_object_add(o, "offset", json_object_new_uint64(e->offset));
	json_object_object_add(o, "size", json_object_new_uint64(e->size));
	json_object_object_add(o, "compressed", json_object_new_boolean(e->compressed));
	if (e->bitcode)
		json_object_object_add(o, "bitcode", json_object_new_boolean(true));
	if (e->have_elf) {
		json_object_object_add(o, "code_object_version", json_object_new_int64(e->co_version));
		json_object_object_add(o, "e_flags", json_object_new_int64(e->e_flags));
		if (e->generic_version)
			json_object_object_add(o, "generic_version", json_object_new_int64(e->generic_version));
		json_object_object_add(o, "elf_target", jstr(e->elf_target));
	}
	return o;
}

static json_object *json_file(struct rmcp_file *const *files, size_t n, size_t idx,
			      const struct rmcp_target_id *q, const struct rmcp_isa_view *isa)
{
	const struct rmcp_file *f = files[idx];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "format", json_object_new_string(rmcp_format_name(f->format)));
	json_object_object_add(o, "bundles", json_object_new_int64(f->bundles));
	json_object *t = json_object_new_array();
	for (size_t i = 0; i < f->n_targets; i++)
		json_object_array_add(t, json_object_new_string(f->targets[i]));
	json_object_object_add(o, "targets", t);
	json_object *en = json_object_new_array();
	for (size_t i = 0; i < f->n_entries; i++)
		json_object_array_add(en, json_entry(f, &f->entries[i]));
	json_object_object_add(o, "entries", en);
	if (f->n_kernels) {
		json_object *k = json_object_new_array();
		json_object *kd = json_object_new_array();
		for (size_t i = 0; i < f->n_kernels; i++) {
			char dm[1024];
			json_object_array_add(k, json_object_new_string(f->kernels[i]));
			json_object_array_add(kd, json_object_new_string(rmcp_demangle_or_self(f->kernels[i], dm, sizeof(dm))));
		}
		json_object_object_add(o, "kernels", k);
		json_object_object_add(o, "kernels_demangled", kd);
	}
	if (f->container)
		json_object_object_add(o, "container", json_object_new_boolean(true));
	if (q) {
		enum rmcp_cover cv = rmcp_scan_covers(files, n, idx, q);
		json_object_object_add(o, "covers", cv == RMCP_COVER_NA ? NULL :
				       json_object_new_boolean(cv == RMCP_COVER_YES));
	}
	json_object_object_add(o, "note", jstr(f->note));
	json_object_object_add(o, "error", jstr(f->error));
	if (isa && isa->files[idx])
		json_object_object_add(o, "isa", rmcp_isa_json_file(isa->files[idx]));
	return o;
}

int rmcp_report_scan_json(FILE *out, struct rmcp_file *const *files, size_t n,
			  const struct rmcp_target_id *query)
{
	return rmcp_report_scan_json_isa(out, files, n, query, NULL);
}

int rmcp_report_scan_json_isa(FILE *out, struct rmcp_file *const *files, size_t n,
			      const struct rmcp_target_id *query, const struct rmcp_isa_view *isa)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_file(files, n, i, query, isa));
	json_object_object_add(root, "files", arr);

	size_t nt;
	struct tcount *tc = count_targets(files, n, &nt);
	json_object *targets = json_object_new_object();
	for (size_t i = 0; i < nt; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "files", json_object_new_int64((int64_t)tc[i].files));
		json_object_object_add(targets, tc[i].target, o);
	}
	free(tc);
	json_object_object_add(root, "targets", targets);

	struct rmcp_scan_summary s;
	rmcp_scan_summarize(files, n, query, &s);
	json_object *sum = json_object_new_object();
	json_object_object_add(sum, "files", json_object_new_int64((int64_t)s.files));
	json_object_object_add(sum, "with_device_code", json_object_new_int64((int64_t)s.with_code));
	json_object_object_add(sum, "errors", json_object_new_int64((int64_t)s.errors));
	json_object_object_add(root, "summary", sum);
	if (query) {
		char qn[64];
		rmcp_target_id_format(query, qn, sizeof(qn));
		json_object *q = json_object_new_object();
		json_object_object_add(q, "target", json_object_new_string(qn));
		json_object_object_add(q, "covered", json_object_new_int64((int64_t)s.covered));
		json_object_object_add(q, "missing", json_object_new_int64((int64_t)s.missing));
		json_object_object_add(root, "query", q);
	}
	if (isa)
		json_object_object_add(root, "isa", rmcp_isa_json_summary(isa, n));
	return rmcp_report_json(out, root);
}
