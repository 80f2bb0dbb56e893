/* SPDX-License-Identifier: MIT */
/*
 * Renderers for `rmcp doctor`: text for people (verdict first, then GPUs, software,
 * findings), JSON (docs/doctor.schema.json) and the Prometheus text exposition format for
 * node_exporter's textfile collector (report_doctor_prom.c). They never read the machine.
 */
#ifndef RMCP_REPORT_DOCTOR_H
#define RMCP_REPORT_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"
#include "verdict.h"

/* style->verbose: also list ok findings' causes, per-library coverage and every fact. */
int rmcp_report_doctor_text(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_text_style *style);
int rmcp_report_doctor_json(FILE *out, const struct rmcp_diagnosis *d);
int rmcp_report_doctor_prometheus(FILE *out, const struct rmcp_diagnosis *d);

/* Escape a Prometheus label value (backslash, double quote, newline) into buf; returns the
 * length, or -RMCP_E_LIMIT if it did not fit (buf then holds a terminated prefix). */
int rmcp_prom_escape(const char *s, char *buf, size_t cap);

#endif
