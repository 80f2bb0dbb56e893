/* SPDX-License-Identifier: MIT */
/* Lookups in the support matrix (support.h; the table is data/support.tsv). */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

const struct rmcp_support *rmcp_support_find(const char *gfx)
{
	for (size_t i = 0; gfx && i < rmcp_support_table_len; i++)
		if (strcmp(rmcp_support_table[i].gfx, gfx) == 0)
			return &rmcp_support_table[i];
	return NULL;
}

/* "2.11.0" -> {2, 11}; only major.minor decide which release carries what. Returns -1 on a
 * string that is not a version (the generator guarantees the table's are). */
static int version_key(const char *v, long out[2])
{
	const char *p = v;
	for (int k = 0; k < 2; k++) {
		char *end;
		errno = 0;
		long n = strtol(p, &end, 10);
		if (end == p || errno || n < 0)
			return -1;
		out[k] = n;
		if (k == 0 && *end != '.')
			return -1;
		p = end + 1;
	}
	return 0;
}

static int version_cmp(const long a[2], const long b[2])
{
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

bool rmcp_support_wheel_has(const struct rmcp_support *s, const char *version)
{
	long v[2], first[2], last[2];
	if (!s || !s->wheel_first || !version || version_key(version, v) < 0 ||
	    version_key(s->wheel_first, first) < 0)
		return false;
	if (version_cmp(v, first) < 0)
		return false;
	if (strcmp(s->wheel_last, "current") == 0)
		return true;
	return version_key(s->wheel_last, last) == 0 && version_cmp(v, last) <= 0;
}

const char *rmcp_override_ok_name(enum rmcp_override_ok o)
{
	switch (o) {
	case RMCP_OVR_NONE:
		return "none";
	case RMCP_OVR_SOUND:
		return "sound";
	case RMCP_OVR_CONTESTED:
		return "contested";
	case RMCP_OVR_UNVERIFIED:
		return "unverified";
	}
	return "none";
}

const char *rmcp_rocm_state_name(enum rmcp_rocm_state r)
{
	switch (r) {
	case RMCP_ROCM_CURRENT:
		return "current";
	case RMCP_ROCM_DEPRECATED:
		return "deprecated";
	case RMCP_ROCM_DROPPED:
		return "dropped";
	case RMCP_ROCM_UNLISTED:
		return "unlisted";
	case RMCP_ROCM_NEVER:
		return "never";
	}
	return "unlisted";
}

void rmcp_support_fw_text(const struct rmcp_support *s, char *buf, size_t cap)
{
	if (!s) {
		snprintf(buf, cap, "unknown");
		return;
	}
	switch (s->fw_kind) {
	case RMCP_FW_NO_KFD:
		snprintf(buf, cap, "n/a");
		return;
	case RMCP_FW_NOT_NEEDED:
		snprintf(buf, cap, "-");
		return;
	case RMCP_FW_NONE:
		snprintf(buf, cap, "none");
		return;
	case RMCP_FW_MEC:
		snprintf(buf, cap, "%u", s->fw);
		return;
	case RMCP_FW_RS64:
		snprintf(buf, cap, "rs64:%u", s->fw);
		return;
	}
	snprintf(buf, cap, "unknown");
}
