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

static void copy_path(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;	/* a longer path cannot be opened anyway; open() then fails */
	memcpy(dst, src, n);
	dst[n] = '\0';
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
			copy_path(c->log_path, sizeof(c->log_path), v);
	}
	/* Per-kernel ISA verdicts are cached by code-object hash so a PyTorch start-up does not
	 * re-check gigabytes (issue 4); RMCP_ISA_CACHE=off or a directory overrides the XDG one. */
	v = get("RMCP_ISA_CACHE");
	if (v && strcmp(v, "off") == 0)
		c->isa_cache[0] = '\0';
	else if (v && *v)
		copy_path(c->isa_cache, sizeof(c->isa_cache), v);
	else if (rmcp_isa_cache_dir(get("XDG_CACHE_HOME"), get("HOME"), c->isa_cache,
				    sizeof(c->isa_cache)) < 0)
		c->isa_cache[0] = '\0';
	v = get("RMCP_STATS");
	if (v && *v) {
		if (strcmp(v, "1") == 0)
			c->stats = true;
		else if (strcmp(v, "0") != 0)
			note_bad(c, "RMCP_STATS", v);
	}
	v = get("RMCP_SYSROOT");
	if (v && *v)
		copy_path(c->sysroot, sizeof(c->sysroot), v);
}
