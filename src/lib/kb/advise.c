/* SPDX-License-Identifier: MIT */
#include "advise.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
long long rmcp_advise_units(double v, double scale)
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
	long long ca = rmcp_advise_units(a->total, 100), cb = rmcp_advise_units(b->total, 100);
	if (ca != cb)
		return ca < cb ? -1 : 1;
	long long ha = rmcp_advise_units(a->hours, 10), hb = rmcp_advise_units(b->hours, 10);
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
			 "free: TheRock nightly wheels, torch[device-gfx1010] (an hour) or rocm_sdk_builder (5-10 h build); "
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
