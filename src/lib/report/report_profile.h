/* SPDX-License-Identifier: MIT */
/* Renderers for the run/env profile (kb/profile.h): shell lines and JSON. */
#ifndef RMCP_REPORT_PROFILE_H
#define RMCP_REPORT_PROFILE_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

struct json_object;

/*
 * Quote value for the shell so it reads back as exactly those bytes: POSIX sh single quotes
 * ('\'' for a quote), fish single quotes (\\ and \' escaped). Returns the length, or
 * -RMCP_E_LIMIT if cap is too small.
 */
int rmcp_shell_quote(enum rmcp_shell sh, const char *value, char *buf, size_t cap);

/* `export NAME='value'` / `unset NAME` lines (fish: set -gx / set -e), each preceded by a
 * comment with the rule and the reason. Returns 0 or -EIO. */
int rmcp_profile_write_shell(FILE *out, const struct rmcp_profile *p, enum rmcp_shell sh);

/* The profile as JSON (docs/run.schema.json "profile"). NULL on allocation failure. */
struct json_object *rmcp_profile_json(const struct rmcp_profile *p);

#endif
