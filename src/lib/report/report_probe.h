/* SPDX-License-Identifier: MIT */
/* Renderer for a probe result (probe/probe.h). */
#ifndef RMCP_REPORT_PROBE_H
#define RMCP_REPORT_PROBE_H

#include "probe.h"

struct json_object;

/* docs/probe.schema.json. NULL on allocation failure. */
struct json_object *rmcp_probe_json(const struct rmcp_probe_result *r);

#endif
