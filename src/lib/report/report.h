/* SPDX-License-Identifier: MIT */
/*
 * src/lib/report/ -- renderers: scan results (this header), ISA verdicts (isa_report.h) and
 * the doctor's verdict (report_doctor.h) as text, JSON and Prometheus; names from inputs are
 * written through names.h (escaped text, valid JSON). They read no files and
 * no machine; report may include every stage below it. Only src/cli includes report.
 */
/* Renderers: results to text for people or JSON for programs. They never read the machine. */
#ifndef RMCP_REPORT_H
#define RMCP_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "scan.h"
#include "target.h"

/* Per-file answer to "does it run on the query target?" */
enum rmcp_cover { RMCP_COVER_NA, RMCP_COVER_YES, RMCP_COVER_NO };

struct rmcp_scan_summary {
	size_t files, with_code, without_code, errors, covered, missing;
};

/* Does the file carry code that runs on `query`? NA for files without device code,
 * containers and MIOpen kernel databases (optional precompiled kernels). */
enum rmcp_cover rmcp_file_covers(const struct rmcp_file *f, const struct rmcp_target_id *query);

/* The same for files[i], judging a container (wheel, archive) by its members in files. */
enum rmcp_cover rmcp_scan_covers(struct rmcp_file *const *files, size_t n, size_t i,
				 const struct rmcp_target_id *query);

void rmcp_scan_summarize(struct rmcp_file *const *files, size_t n,
			 const struct rmcp_target_id *query, struct rmcp_scan_summary *s);

struct rmcp_text_style {
	bool color;
	bool verbose;
};

/* Both return 0 or -EIO if the stream reported a write error. */
int rmcp_report_scan_text(FILE *out, struct rmcp_file *const *files, size_t n,
			  const struct rmcp_target_id *query, const struct rmcp_text_style *style);
int rmcp_report_scan_json(FILE *out, struct rmcp_file *const *files, size_t n,
			  const struct rmcp_target_id *query);

/* ISA verdicts (rmcp scan --isa) shown with the scan results: files[i] is paired with
 * isa->files[i] (NULL when nothing was checked for that file). */
struct rmcp_isa_file;
struct rmcp_isa_view {
	const struct rmcp_isa_file *const *files;
	const struct rmcp_target_id *gpu;
	bool verbose;		/* list every kernel, not only invalid/differing ones */
};

int rmcp_report_scan_text_isa(FILE *out, struct rmcp_file *const *files, size_t n,
			      const struct rmcp_target_id *query, const struct rmcp_text_style *style,
			      const struct rmcp_isa_view *isa);
int rmcp_report_scan_json_isa(FILE *out, struct rmcp_file *const *files, size_t n,
			      const struct rmcp_target_id *query, const struct rmcp_isa_view *isa);

/* The fleet envelope every JSON document rmcp prints starts with (docs/json.md): the rmcp
 * version, when it ran and where. Filled once per run so JSON and Prometheus agree. */
struct rmcp_envelope {
	const char *version;	/* RMCP_VERSION */
	time_t time;		/* seconds since the epoch */
	char timestamp[32];	/* RFC 3339, UTC: 2026-12-03T07:40:17Z */
	char hostname[256];	/* gethostname(2): the machine rmcp ran on, not a --sysroot's */
};

/* Now and this host. The one place that reads the clock and the host name for reports. */
void rmcp_envelope_now(struct rmcp_envelope *e);

/* Print root as rmcp's JSON: the envelope's members first, then root's own, pretty-printed,
 * one trailing newline. Every --json output goes through here. Takes ownership of root.
 * Returns 0, -ENOMEM (nothing printed) or -EIO if the stream reported a write error. */
struct json_object;
int rmcp_report_json(FILE *out, struct json_object *root);
/* For a program that prints its document and ends (the rmcp CLI): keep the last document
 * instead of freeing it. Freeing a tree of thousands of json-c objects costs about as much
 * as building it (a third of `rmcp scan --json` of librocsparse); the process is about to
 * end, and the kept tree stays reachable, so leak checkers do not report it. */
void rmcp_report_json_keep(bool keep);

#endif
