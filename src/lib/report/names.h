/* SPDX-License-Identifier: MIT */
/*
 * Names from inputs are data (issue 13, defect 4). File names, bundle entry IDs, kernel names
 * and paths come from files and directories anyone can craft: they may be invalid UTF-8
 * (so not JSON strings) or carry newlines and terminal escape sequences (so fake report
 * lines or drive the terminal). Every renderer writes them through these two functions:
 *  - text: rmcp_fput_name escapes C0/C1 control characters, DEL, backslash and bytes that are
 *    not UTF-8 as \xNN (backslash as \\), so what is printed is one line, unambiguous, inert;
 *  - JSON: rmcp_json_sanitize, run by rmcp_report_json (report.c) on every document just
 *    before it is written, replaces every invalid UTF-8 sequence in a string with U+FFFD and
 *    records the raw bytes next to it as "<key>_raw" (lowercase hex); for an array of
 *    strings, "<key>_raw" is an array with the hex of each replaced element and null for
 *    the others. Documented in the schemas ($defs/raw_bytes).
 */
#ifndef RMCP_NAMES_H
#define RMCP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if s[0..n) does not start one. Overlong
 * forms, surrogates and code points past U+10FFFF are invalid (RFC 3629 §3-4). */
size_t rmcp_utf8_seq(const unsigned char *s, size_t n);
bool rmcp_utf8_valid(const char *s, size_t n);

/* Write s escaped for a terminal. Returns the number of bytes written, or -1 on error. */
int rmcp_fput_name(FILE *out, const char *s);
/* The same into a buffer (always NUL-terminated, cut with "..." when too long). */
size_t rmcp_name_escape(char *dst, size_t cap, const char *s);

/* Make every string in the tree valid UTF-8, adding "<key>_raw" members. 0 or -ENOMEM. */
int rmcp_json_sanitize(struct json_object *root);

#endif
