/* SPDX-License-Identifier: MIT */
/* Rendering of ISA verdicts for report.c (rmcp scan --isa). Not part of the library API. */
#ifndef RMCP_ISA_REPORT_H
#define RMCP_ISA_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "isa.h"
#include "report.h"

void rmcp_isa_text_file(FILE *out, const struct rmcp_isa_file *f, const struct rmcp_isa_view *v,
			bool color);
void rmcp_isa_text_summary(FILE *out, const struct rmcp_isa_view *v, size_t n, bool color);
json_object *rmcp_isa_json_file(const struct rmcp_isa_file *f);
json_object *rmcp_isa_json_summary(const struct rmcp_isa_view *v, size_t n);

#endif
