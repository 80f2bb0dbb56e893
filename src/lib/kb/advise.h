/* SPDX-License-Identifier: MIT */
/*
 * `rmcp advise`: the decision tree and cost-benefit of "what should an owner of an older AMD
 * GPU do to train PyTorch", as numbers. Pure computation plus renderers; the doctor's verdict
 * comes in as input (the CLI runs the doctor). Defaults are 2025 figures (docs/advise.md):
 * cloud $0.50-2.00 per GPU-hour (1.00), a supported new GPU such as the RX 7700 XT ~$400,
 * an RX 5600 XT resells for ~$200, a GPU trains 10-20x faster than a CPU (15) unless measured.
 */
#ifndef RMCP_ADVISE_H
#define RMCP_ADVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "kb.h"

struct rmcp_advise_in {
	double budget;			/* USD available for hardware now */
	double hours_per_month;		/* training hours per month on a working GPU */
	double cloud_rate;		/* USD per cloud GPU-hour */
	double gpu_price;		/* USD for a supported GPU */
	double resale;			/* USD the current GPU sells for (0 without one) */
	double speedup;			/* how many times faster a GPU trains than this CPU (>= 1) */
	double cpu_hours_max;		/* CPU hours per month you can give to training */
	double months;			/* horizon for the total cost */
	/* From `rmcp doctor` (have_doctor false: nothing is known about the GPU here). */
	bool have_doctor;
	enum rmcp_verdict verdict;
	bool have_gpu;			/* an AMD GPU was found */
	bool native_path;		/* the doctor recommends a native build for this GPU */
	char gpu[160];			/* "AMD Radeon RX 5600 XT (gfx1010)", "" */
	char summary[RMCP_KB_TEXT_MAX];	/* the doctor's verdict summary */
};

enum rmcp_advise_option {
	RMCP_ADVISE_GPU_NOW,		/* the doctor says yes */
	RMCP_ADVISE_WORKAROUND,		/* the doctor's next steps make it work */
	RMCP_ADVISE_NATIVE,		/* a native build for this GPU (free, unsupported) */
	RMCP_ADVISE_NEW_GPU,
	RMCP_ADVISE_CLOUD,
	RMCP_ADVISE_CPU,
	RMCP_ADVISE_N_OPTIONS
};

const char *rmcp_advise_option_name(enum rmcp_advise_option o);

struct rmcp_advise_row {
	enum rmcp_advise_option option;
	bool feasible;
	double upfront;			/* USD now */
	double monthly;			/* USD per month */
	double total;			/* upfront + months * monthly */
	double break_even;		/* months until it costs less than the alternative, < 0: none */
	double hours;			/* wall-clock training hours per month */
	char note[256];
};

struct rmcp_advise_out {
	struct rmcp_advise_row rows[RMCP_ADVISE_N_OPTIONS];	/* ranked, best first */
	size_t n;
};

void rmcp_advise_defaults(struct rmcp_advise_in *in);

/*
 * A user amount: a plain non-negative decimal ("400", "0.5", "1e3" is refused), finite, at
 * most 1e9. strtod with end-pointer and range checks. Returns 0 or -RMCP_E_FORMAT.
 */
int rmcp_advise_parse_amount(const char *s, double *out);

/* Check the inputs' ranges (err names the bad one) and rank the options. */
int rmcp_advise_compute(const struct rmcp_advise_in *in, struct rmcp_advise_out *out, struct rmcp_err *err);

/* v rounded to whole 1/scale units (cents: 100), so the ranking and the JSON agree. */
long long rmcp_advise_units(double v, double scale);

/* The renderers are in report_advise.h. */

#endif
