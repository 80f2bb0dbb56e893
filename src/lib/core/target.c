/* SPDX-License-Identifier: MIT */
#include "target.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

const struct rmcp_target *rmcp_target_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		/* strncmp stops at the table name's end; then its length must be len. */
		if (strncmp(t->name, name, len) == 0 && t->name[len] == '\0')
			return t;
	}
	return NULL;
}

const struct rmcp_target *rmcp_target_by_mach(unsigned mach)
{
	for (size_t i = 0; i < rmcp_target_table_len; i++)
		if (rmcp_target_table[i].mach == mach)
			return &rmcp_target_table[i];
	return NULL;
}

const struct rmcp_target *rmcp_target_by_version(uint32_t version)
{
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		if (t->version_known && t->version == version)
			return t;
	}
	return NULL;
}

int rmcp_gfx_name(uint32_t version, char *buf, size_t len)
{
	/* libhsakmt HSA_GET_GFX_VERSION_{MAJOR,MINOR,STEP}: /10000 %100, /100 %100, %100. */
	unsigned major = version / 10000, minor = version / 100 % 100, step = version % 100;

	if (major == 0 || major > 63)
		return -RMCP_E_FORMAT;
	/* Minor and stepping are printed as one hex digit each (rocm_agent_enumerator). */
	if (minor > 15 || step > 15)
		return -RMCP_E_FORMAT;
	int n = snprintf(buf, len, "gfx%u%x%x", major, minor, step);
	if (n < 0 || (size_t)n >= len)
		return -RMCP_E_LIMIT;
	return n;
}

static int parse_feature(const char *s, size_t len, struct rmcp_target_id *out,
			 struct rmcp_err *err)
{
	if (len < 2 || (s[len - 1] != '+' && s[len - 1] != '-'))
		return rmcp_err_set(err, -RMCP_E_FORMAT,
				    "target feature '%.*s' lacks a '+' or '-'", (int)len, s);
	enum rmcp_feature v = s[len - 1] == '+' ? RMCP_FEAT_ON : RMCP_FEAT_OFF;
	size_t n = len - 1;
	enum rmcp_feature *slot;

	if (n == 5 && memcmp(s, "xnack", 5) == 0)
		slot = &out->xnack;
	else if (n == 7 && memcmp(s, "sramecc", 7) == 0)
		slot = &out->sramecc;
	else
		return rmcp_err_set(err, -RMCP_E_FORMAT, "unknown target feature '%.*s'",
				    (int)n, s);
	if (*slot != RMCP_FEAT_UNSPEC)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "target feature '%.*s' given twice",
				    (int)n, s);
	*slot = v;
	return 0;
}

static bool valid_proc_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int rmcp_target_id_parse(const char *s, size_t len, struct rmcp_target_id *out,
			 struct rmcp_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *colon = memchr(s, ':', len);
	size_t plen = colon ? (size_t)(colon - s) : len;

	if (plen == 0 || plen >= RMCP_PROC_MAX)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "bad processor name in target ID '%.*s'",
				    (int)(len > 64 ? 64 : len), s);
	for (size_t i = 0; i < plen; i++)
		if (!valid_proc_char(s[i]))
			return rmcp_err_set(err, -RMCP_E_FORMAT,
					    "bad character in target ID '%.*s'",
					    (int)(len > 64 ? 64 : len), s);
	memcpy(out->proc, s, plen);
	out->proc[plen] = '\0';
	out->target = rmcp_target_by_name(s, plen);

	size_t pos = plen;
	while (pos < len) {
		size_t start = pos + 1;	/* skip ':' */
		const char *next = start < len ? memchr(s + start, ':', len - start) : NULL;
		size_t end = next ? (size_t)(next - s) : len;
		int rc = parse_feature(s + start, end - start, out, err);
		if (rc < 0)
			return rc;
		pos = end;
	}
	return 0;
}

int rmcp_target_id_format(const struct rmcp_target_id *id, char *buf, size_t len)
{
	/* Features in alphabetical order, as clang writes target IDs. */
	int n = snprintf(buf, len, "%s%s%s", id->proc,
			 id->sramecc == RMCP_FEAT_UNSPEC ? "" :
			 id->sramecc == RMCP_FEAT_ON ? ":sramecc+" : ":sramecc-",
			 id->xnack == RMCP_FEAT_UNSPEC ? "" :
			 id->xnack == RMCP_FEAT_ON ? ":xnack+" : ":xnack-");
	if (n < 0 || (size_t)n >= len)
		return -RMCP_E_LIMIT;
	return n;
}

static bool feature_compatible(enum rmcp_feature code, enum rmcp_feature gpu)
{
	/* ROCr Isa::IsCompatible: a code object feature set on/off must equal the agent's;
	 * "any" matches either. An unspecified GPU mode cannot rule code out. */
	return code == RMCP_FEAT_UNSPEC || gpu == RMCP_FEAT_UNSPEC || code == gpu;
}

bool rmcp_target_covers(const struct rmcp_target_id *code, unsigned generic_version,
			const struct rmcp_target_id *gpu)
{
	if (!feature_compatible(code->xnack, gpu->xnack) ||
	    !feature_compatible(code->sramecc, gpu->sramecc))
		return false;
	if (strcmp(code->proc, gpu->proc) == 0)
		return true;
	/* AMDGPUUsage "Generic processors": a generic object runs on a member if its generic
	 * version is at least the version in which that member was added. */
	const struct rmcp_target *g = gpu->target;
	if (!g || !g->generic || strcmp(g->generic, code->proc) != 0)
		return false;
	unsigned have = generic_version ? generic_version : 1;
	return have >= g->generic_min;
}

/* Sort key of a processor name (up to ':' or '@'): its version; a generic target's is the
 * lowest version it covers, plus one so it follows that processor; unknown: UINT32_MAX. */
static uint32_t order_key(const char *s)
{
	size_t len = strcspn(s, ":@ ");
	const struct rmcp_target *t = rmcp_target_by_name(s, len);
	if (!t)
		return UINT32_MAX;
	if (!t->is_generic)
		return t->version_known ? t->version * 2 : UINT32_MAX - 1;
	uint32_t best = UINT32_MAX - 1;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *p = &rmcp_target_table[i];
		if (p->generic && strcmp(p->generic, t->name) == 0 && p->version_known && p->version * 2 + 1 < best)
			best = p->version * 2 + 1;
	}
	return best;
}

int rmcp_target_cmp(const char *a, const char *b)
{
	uint32_t ka = order_key(a), kb = order_key(b);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return strcmp(a, b);
}
