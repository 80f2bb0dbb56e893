/* SPDX-License-Identifier: MIT */
/* Renderers for `rmcp advise`: the ranked table for people, JSON (docs/advise.schema.json). */
#ifndef RMCP_REPORT_ADVISE_H
#define RMCP_REPORT_ADVISE_H

#include <stdbool.h>
#include <stdio.h>

#include "advise.h"

int rmcp_advise_text(FILE *out, const struct rmcp_advise_in *in, const struct rmcp_advise_out *res, bool color);
int rmcp_advise_json(FILE *out, const struct rmcp_advise_in *in, const struct rmcp_advise_out *res);

#endif
