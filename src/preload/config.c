/* SPDX-License-Identifier: MIT */
/*
 * RMCP_* configuration, read once (mimalloc's option table habit). Documented in
 * docs/guard.md, docs/memory-policy.md and rmcp(1) "LIBRMCP.SO".
 */
#include "isa.h"
#include "preload.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

struct rmcp_config rmcp_cfg = { .guard = RMCP_GUARD_WARN, .memory = RMCP_MEM_DEFAULT };

const char *rmcp_guard_mode_name(enum rmcp_guard_mode m)
{
	switch (m) {
	case RMCP_GUARD_OFF:
		return "off";
	case RMCP_GUARD_WARN:
		return "warn";
	case RMCP_GUARD_BLOCK:
		return "block";
	}
	return "?";
}

const char *rmcp_mem_mode_name(enum rmcp_mem_mode m)
{
	switch (m) {
	case RMCP_MEM_DEFAULT:
		return "default";
	case RMCP_MEM_NONCOHERENT:
		return "noncoherent";
	case RMCP_MEM_COARSE:
		return "coarse";
	}
	return "?";
}

static void note_bad(struct rmcp_config *c, const char *name, const char *value)
{
	if (c->n_bad >= sizeof(c->bad) / sizeof(c->bad[0]))
		return;
	snprintf(c->bad[c->n_bad++], sizeof(c->bad[0]), "%s=%.48s", name, value);
}

/* A path that does not fit is refused whole, never cut: the first 511 bytes of a longer path
 * name another file (issue 13). Returns false, noting name for a warning, when it does not. */
static bool copy_path(struct rmcp_config *c, char *dst, size_t cap, const char *name, const char *src)
{
	size_t n = strnlen(src, cap);
	dst[0] = '\0';
	if (n >= cap) {
		if (c->n_too_long < sizeof(c->too_long) / sizeof(c->too_long[0]))
			c->too_long[c->n_too_long++] = name;
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

void rmcp_config_parse(struct rmcp_config *c, const char *(*get)(const char *name))
{
	memset(c, 0, sizeof(*c));
	c->guard = RMCP_GUARD_WARN;	/* plain LD_PRELOAD; `rmcp run` sets block */
	c->memory = RMCP_MEM_DEFAULT;

	const char *v = get("RMCP_GUARD");
	if (v && *v) {
		if (strcmp(v, "off") == 0)
			c->guard = RMCP_GUARD_OFF;
		else if (strcmp(v, "warn") == 0)
			c->guard = RMCP_GUARD_WARN;
		else if (strcmp(v, "block") == 0)
			c->guard = RMCP_GUARD_BLOCK;
		else
			note_bad(c, "RMCP_GUARD", v);
	}
	v = get("RMCP_MEMORY");
	if (v && *v) {
		if (strcmp(v, "default") == 0)
			c->memory = RMCP_MEM_DEFAULT;
		else if (strcmp(v, "noncoherent") == 0)
			c->memory = RMCP_MEM_NONCOHERENT;
		else if (strcmp(v, "coarse") == 0)
			c->memory = RMCP_MEM_COARSE;
		else
			note_bad(c, "RMCP_MEMORY", v);
	}
	v = get("RMCP_LOG");
	if (v && *v) {
		c->verbose = true;
		if (strcmp(v, "stderr") != 0)
			copy_path(c, c->log_path, sizeof(c->log_path), "RMCP_LOG", v);	/* else stderr */
	}
	/* Per-kernel ISA verdicts are cached by code-object hash so a PyTorch start-up does not
	 * re-check gigabytes (issue 4); RMCP_ISA_CACHE=off or a directory overrides the XDG one. */
	v = get("RMCP_ISA_CACHE");
	if (v && strcmp(v, "off") == 0)
		c->isa_cache[0] = '\0';
	else if (v && *v)
		copy_path(c, c->isa_cache, sizeof(c->isa_cache), "RMCP_ISA_CACHE", v);	/* else none */
	else if (rmcp_isa_cache_dir(get("XDG_CACHE_HOME"), get("HOME"), c->isa_cache,
				    sizeof(c->isa_cache)) < 0)
		c->isa_cache[0] = '\0';
	/* RMCP_ISA_CHECK=off: no per-kernel ISA check (kernels under an override stay "foreign
	 * ISA, not verified"), e.g. to take it out of a measurement. */
	v = get("RMCP_ISA_CHECK");
	if (v && *v) {
		if (strcmp(v, "off") == 0)
			c->isa_check_off = true;
		else if (strcmp(v, "on") != 0)
			note_bad(c, "RMCP_ISA_CHECK", v);
	}
	v = get("RMCP_STATS");
	if (v && *v) {
		if (strcmp(v, "1") == 0)
			c->stats = true;
		else if (strcmp(v, "0") != 0)
			note_bad(c, "RMCP_STATS", v);
	}
	/* A sysroot that cannot be held would make the guard judge another machine: it is off. */
	v = get("RMCP_SYSROOT");
	if (v && *v && !copy_path(c, c->sysroot, sizeof(c->sysroot), "RMCP_SYSROOT", v))
		c->guard = RMCP_GUARD_OFF;
}
