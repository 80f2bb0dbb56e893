/* SPDX-License-Identifier: MIT */
/* rmcp advise's renderers (report_advise.h); the ranking is kb/advise.c. */
#include "report_advise.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

#include "banned.h"


static void money(char *buf, size_t cap, double v)
{
	if (v == 0)
		snprintf(buf, cap, "$0");
	else if (v < 100)
		snprintf(buf, cap, "$%.2f", v);
	else
		snprintf(buf, cap, "$%.0f", v);
}

int rmcp_advise_text(FILE *out, const struct rmcp_advise_in *in, const struct rmcp_advise_out *res, bool color)
{
	const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
	if (in->have_doctor)
		fprintf(out, "%sdoctor:%s %s%s%s: %s\n", bold, off, in->gpu[0] ? in->gpu : "", in->gpu[0] ? ": " : "",
			rmcp_verdict_name(in->verdict), in->summary);
	else
		fprintf(out, "%sdoctor:%s not run (--no-doctor): nothing is assumed about a GPU here\n", bold, off);
	fprintf(out,
		"%sinputs:%s %.0f training hours/month, cloud $%.2f/h, new GPU $%.0f, resale $%.0f, GPU %.0fx "
		"faster than CPU, budget $%.0f, %.0f months\n\n",
		bold, off, in->hours_per_month, in->cloud_rate, in->gpu_price, in->resale, in->speedup, in->budget,
		in->months);
	fprintf(out, "%s%-4s %-15s %9s %10s %11s %11s %8s%s\n", bold, "rank", "option", "upfront", "per month",
		"total", "break-even", "h/month", off);
	for (size_t i = 0; i < res->n; i++) {
		const struct rmcp_advise_row *r = &res->rows[i];
		char up[32], mo[32], tot[32], be[32];
		money(up, sizeof(up), r->upfront);
		money(mo, sizeof(mo), r->monthly);
		money(tot, sizeof(tot), r->total);
		if (r->break_even >= 0)
			snprintf(be, sizeof(be), "%.1f mo", r->break_even);
		else
			snprintf(be, sizeof(be), "-");
		fprintf(out, "%s%-4zu %-15s %9s %10s %11s %11s %8.0f%s\n", r->feasible ? "" : dim, i + 1,
			rmcp_advise_option_name(r->option), up, mo, tot, be, r->hours, r->feasible ? "" : off);
		fprintf(out, "     %s%s%s%s\n", dim, r->feasible ? "" : "not possible: ", r->note, off);
	}
	fprintf(out, "\ntotal = upfront + %.0f months x per month; h/month = wall-clock training time.\n", in->months);
	return ferror(out) ? -EIO : 0;
}

static json_object *num(double v)
{
	return json_object_new_double((double)rmcp_advise_units(v, 100) / 100);
}

int rmcp_advise_json(FILE *out, const struct rmcp_advise_in *in, const struct rmcp_advise_out *res)
{
	json_object *root = json_object_new_object(), *inputs = json_object_new_object();
	json_object_object_add(inputs, "budget_usd", num(in->budget));
	json_object_object_add(inputs, "hours_per_month", num(in->hours_per_month));
	json_object_object_add(inputs, "cloud_rate_usd_per_hour", num(in->cloud_rate));
	json_object_object_add(inputs, "gpu_price_usd", num(in->gpu_price));
	json_object_object_add(inputs, "resale_usd", num(in->resale));
	json_object_object_add(inputs, "speedup", num(in->speedup));
	json_object_object_add(inputs, "cpu_hours_max", num(in->cpu_hours_max));
	json_object_object_add(inputs, "months", num(in->months));
	json_object_object_add(root, "inputs", inputs);
	json_object *doc = NULL;
	if (in->have_doctor) {
		doc = json_object_new_object();
		json_object_object_add(doc, "gpu_training", json_object_new_string(rmcp_verdict_name(in->verdict)));
		json_object_object_add(doc, "summary", json_object_new_string(in->summary));
		json_object_object_add(doc, "gpu", in->gpu[0] ? json_object_new_string(in->gpu) : NULL);
		json_object_object_add(doc, "native_build", json_object_new_boolean(in->native_path));
	}
	json_object_object_add(root, "doctor", doc);
	json_object *opts = json_object_new_array();
	for (size_t i = 0; i < res->n; i++) {
		const struct rmcp_advise_row *r = &res->rows[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rank", json_object_new_int((int)i + 1));
		json_object_object_add(o, "option", json_object_new_string(rmcp_advise_option_name(r->option)));
		json_object_object_add(o, "feasible", json_object_new_boolean(r->feasible));
		json_object_object_add(o, "upfront_usd", num(r->upfront));
		json_object_object_add(o, "monthly_usd", num(r->monthly));
		json_object_object_add(o, "total_usd", num(r->total));
		json_object_object_add(o, "break_even_months", r->break_even >= 0 ? num(r->break_even) : NULL);
		json_object_object_add(o, "hours_per_month", num(r->hours));
		json_object_object_add(o, "note", json_object_new_string(r->note));
		json_object_array_add(opts, o);
	}
	json_object_object_add(root, "options", opts);
	return rmcp_report_json(out, root);
}
