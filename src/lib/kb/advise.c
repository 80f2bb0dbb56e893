/* SPDX-License-Identifier: MIT */
#include "advise.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

#include "banned.h"

/* Hours in the longest month: nobody trains more than this per month on one machine. */
#define HOURS_PER_MONTH_MAX 744.0
#define AMOUNT_MAX 1e9

void rmcp_advise_defaults(struct rmcp_advise_in *in)
{
	memset(in, 0, sizeof(*in));
	in->budget = 500;		/* enough for the GPU below after selling the old one */
	in->hours_per_month = 20;
	in->cloud_rate = 1.00;		/* 2025: $0.50-2.00 per hour for a 16-24 GB GPU */
	in->gpu_price = 400;		/* 2025: RX 7700 XT (gfx1101, in the official wheels) */
	in->resale = 200;		/* 2025: used RX 5600 XT */
	in->speedup = 15;		/* 10-20x GPU over CPU for small CNNs, unless measured */
	in->cpu_hours_max = 200;	/* a desktop left training ~7 hours a day */
	in->months = 12;
	in->verdict = RMCP_VERDICT_NO;
}

const char *rmcp_advise_option_name(enum rmcp_advise_option o)
{
	switch (o) {
	case RMCP_ADVISE_GPU_NOW:
		return "gpu-now";
	case RMCP_ADVISE_WORKAROUND:
		return "gpu-workaround";
	case RMCP_ADVISE_NATIVE:
		return "native-build";
	case RMCP_ADVISE_NEW_GPU:
		return "new-gpu";
	case RMCP_ADVISE_CLOUD:
		return "cloud";
	case RMCP_ADVISE_CPU:
		return "cpu";
	case RMCP_ADVISE_N_OPTIONS:
		break;
	}
	return "?";
}

int rmcp_advise_parse_amount(const char *s, double *out)
{
	if (!s || !*s)
		return -RMCP_E_FORMAT;
	/* Digits and at most one '.': strtod alone would take "nan", "inf", "0x1p3", "1e400"
	 * and leading blanks or signs. */
	size_t dots = 0, digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return -RMCP_E_FORMAT;
	}
	if (dots > 1 || digits == 0 || digits > 16)
		return -RMCP_E_FORMAT;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > AMOUNT_MAX)
		return -RMCP_E_FORMAT;
	*out = v;
	return 0;
}

static int check(const char *name, double v, double lo, double hi, struct rmcp_err *err)
{
	if (!isfinite(v) || v < lo || v > hi)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "%s must be between %g and %g", name, lo, hi);
	return 0;
}

static int validate(const struct rmcp_advise_in *in, struct rmcp_err *err)
{
	int rc;
	if ((rc = check("--budget", in->budget, 0, AMOUNT_MAX, err)) < 0 ||
	    (rc = check("--hours-per-month", in->hours_per_month, 0, HOURS_PER_MONTH_MAX, err)) < 0 ||
	    (rc = check("--cloud-rate", in->cloud_rate, 0, 1000, err)) < 0 ||
	    (rc = check("--gpu-price", in->gpu_price, 0, AMOUNT_MAX, err)) < 0 ||
	    (rc = check("--resale", in->resale, 0, AMOUNT_MAX, err)) < 0 ||
	    (rc = check("--speedup", in->speedup, 1, 1000, err)) < 0 ||
	    (rc = check("--cpu-hours", in->cpu_hours_max, 0, HOURS_PER_MONTH_MAX, err)) < 0 ||
	    (rc = check("--months", in->months, 1, 120, err)) < 0)
		return rc;
	return 0;
}

static struct rmcp_advise_row *add(struct rmcp_advise_out *out, enum rmcp_advise_option o, double upfront,
				   double monthly, double hours, const struct rmcp_advise_in *in)
{
	struct rmcp_advise_row *r = &out->rows[out->n++];
	memset(r, 0, sizeof(*r));
	r->option = o;
	r->feasible = true;
	r->upfront = upfront;
	r->monthly = monthly;
	r->total = upfront + in->months * monthly;
	r->break_even = -1;
	r->hours = hours;
	return r;
}

/* Round a non-negative amount to units of 1/scale (no libm needed: amounts are >= 0). */
static long long units(double v, double scale)
{
	return (long long)(v * scale + 0.5);
}

/* Fixed preference among equals: using what you have beats buying, buying beats renting
 * (you keep the card), renting beats the CPU. */
static int preference(enum rmcp_advise_option o)
{
	return (int)o;
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct rmcp_advise_row *a = pa, *b = pb;
	if (a->feasible != b->feasible)
		return a->feasible ? -1 : 1;
	/* Cents, so that float noise does not reorder equal costs. */
	long long ca = units(a->total, 100), cb = units(b->total, 100);
	if (ca != cb)
		return ca < cb ? -1 : 1;
	long long ha = units(a->hours, 10), hb = units(b->hours, 10);
	if (ha != hb)
		return ha < hb ? -1 : 1;
	return preference(a->option) - preference(b->option);
}

int rmcp_advise_compute(const struct rmcp_advise_in *in, struct rmcp_advise_out *out, struct rmcp_err *err)
{
	memset(out, 0, sizeof(*out));
	int rc = validate(in, err);
	if (rc < 0)
		return rc;
	double h = in->hours_per_month, cloud_month = h * in->cloud_rate;
	struct rmcp_advise_row *r;

	if (in->have_doctor && in->verdict == RMCP_VERDICT_YES) {
		r = add(out, RMCP_ADVISE_GPU_NOW, 0, 0, h, in);
		snprintf(r->note, sizeof(r->note), "rmcp doctor says your GPU can train now");
	}
	if (in->have_doctor && in->verdict == RMCP_VERDICT_WORKAROUND) {
		r = add(out, RMCP_ADVISE_WORKAROUND, 0, 0, h, in);
		snprintf(r->note, sizeof(r->note), "follow rmcp doctor's next steps, then train on your GPU");
	}
	if (in->have_doctor && in->verdict != RMCP_VERDICT_YES && in->native_path) {
		r = add(out, RMCP_ADVISE_NATIVE, 0, 0, h, in);
		snprintf(r->note, sizeof(r->note),
			 "free: TheRock gfx101X-dgpu nightly wheels (an hour) or rocm_sdk_builder (5-10 h build); "
			 "community-tested, not release-tested");
	}

	/* A new supported GPU: pay the difference after selling the current one. */
	double upfront = in->gpu_price - (in->have_gpu || !in->have_doctor ? in->resale : 0);
	if (upfront < 0)
		upfront = 0;
	r = add(out, RMCP_ADVISE_NEW_GPU, upfront, 0, h, in);
	if (cloud_month > 0)
		r->break_even = upfront / cloud_month;
	if (upfront > in->budget) {
		r->feasible = false;
		snprintf(r->note, sizeof(r->note), "over budget: needs $%.0f, budget $%.0f", upfront, in->budget);
	} else if (r->break_even >= 0) {
		snprintf(r->note, sizeof(r->note), "costs less than the cloud after %.1f months", r->break_even);
	} else {
		snprintf(r->note, sizeof(r->note), "no cloud cost to recover");
	}

	r = add(out, RMCP_ADVISE_CLOUD, 0, cloud_month, h, in);
	snprintf(r->note, sizeof(r->note), "%.0f h x $%.2f per GPU-hour; nothing to buy", h, in->cloud_rate);

	double cpu_hours = h * in->speedup;
	r = add(out, RMCP_ADVISE_CPU, 0, 0, cpu_hours, in);
	if (cpu_hours > in->cpu_hours_max) {
		r->feasible = false;
		snprintf(r->note, sizeof(r->note), "needs %.0f CPU hours a month, more than the %.0f you can spare",
			 cpu_hours, in->cpu_hours_max);
	} else {
		snprintf(r->note, sizeof(r->note), "free, %.0fx slower: rmcp run --device cpu -- CMD", in->speedup);
	}
	qsort(out->rows, out->n, sizeof(out->rows[0]), cmp_rows);
	return 0;
}

/* ---- renderers ---- */

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
	return json_object_new_double((double)units(v, 100) / 100);
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
