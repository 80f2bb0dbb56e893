/* SPDX-License-Identifier: MIT */
/*
 * The guard's ISA checker (issue 4's fast path, never LLVM) for kernels of code objects built
 * for another ISA than the real GPU's (an override). One report per code object, cached in
 * memory for the kernels that follow and on disk by content hash (RMCP_ISA_CACHE), so a
 * PyTorch start-up does not re-check gigabytes. Runs at registration, under the guard's
 * registration lock (guard.h), never at launch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "guard.h"
#include "isa.h"
#include "preload.h"

#include "banned.h"

static struct {
	bool have;
	const void *co;
	size_t len;
	char real[64];
	int rc;
	struct rmcp_isa_report r;
} last;

static void judge_object(const void *co, size_t len, const struct rmcp_target_id *real, const char *rt)
{
	const unsigned flags = RMCP_ISA_FAST_ONLY | RMCP_ISA_NO_TEXT;
	if (last.have && last.rc == 0)
		rmcp_isa_report_release(&last.r);
	memset(&last, 0, sizeof(last));
	last.have = true;
	last.co = co;
	last.len = len;
	snprintf(last.real, sizeof(last.real), "%s", rt);

	char key[RMCP_ISA_KEY_LEN];
	bool cache = rmcp_cfg.isa_cache[0] && rmcp_isa_cache_key(co, len, real, flags, key) == 0;
	int lrc = cache ? rmcp_isa_cache_load(rmcp_cfg.isa_cache, key, &last.r, NULL) : -ENOENT;
	if (lrc == 0)
		return;
	/* A directory others can write to could hold planted verdicts: say so once, then
	 * judge every object without the cache (issue 13). */
	if (lrc == -RMCP_E_UNTRUSTED || lrc == -ENOTDIR) {
		rmcp_log(RMCP_WARN, "ISA verdict cache ", rmcp_cfg.isa_cache,
			 lrc == -ENOTDIR ? ": not a directory; not used"
					 : ": not owned by this user or writable by others; not used");
		rmcp_cfg.isa_cache[0] = '\0';
		cache = false;
	}
	last.rc = rmcp_isa_check(co, len, real, flags, &last.r, NULL);
	if (last.rc == 0 && cache)
		(void)rmcp_isa_cache_store(rmcp_cfg.isa_cache, key, &last.r, NULL);
}

static enum rmcp_kernel_isa check(const void *co, size_t len, const char *kernel,
				  const struct rmcp_target_id *real, char *why, size_t why_len, void *ctx)
{
	(void)ctx;
	char rt[64];
	if (rmcp_target_id_format(real, rt, sizeof(rt)) < 0)
		return RMCP_KISA_UNVERIFIED;
	if (!last.have || last.co != co || last.len != len || strcmp(last.real, rt) != 0)
		judge_object(co, len, real, rt);
	if (last.rc < 0)
		return RMCP_KISA_UNVERIFIED;	/* fail open: no opinion */
	const struct rmcp_isa_kernel *k = rmcp_isa_find_kernel(&last.r, kernel);
	if (!k)
		return RMCP_KISA_UNVERIFIED;
	switch (k->verdict) {
	case RMCP_ISA_OK:
		return RMCP_KISA_OK;
	case RMCP_ISA_INVALID:
	case RMCP_ISA_DIFFERS:
		if (k->has_first)
			snprintf(why, why_len, "%s instruction %s at 0x%llx on %s",
				 k->verdict == RMCP_ISA_INVALID ? "undecodable" : "differently decoded",
				 k->first.text[0] ? k->first.text : "?", (unsigned long long)k->first.addr, rt);
		else
			snprintf(why, why_len, "%s on %s", rmcp_isa_verdict_name(k->verdict), rt);
		return RMCP_KISA_BAD;
	case RMCP_ISA_HAZARD:
		/* A gfx10.1 bug pattern (isa_hazard.c): refused like an undecodable kernel, with
		 * the class and the offset in the guard's one line. */
		if (k->has_hazard)
			snprintf(why, why_len, "gfx10.1 hazard %s%s at kernel offset 0x%llx (%s) on %s",
				 rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)k->hazard.cls),
				 k->hazard.possible ? " (possible)" : "",
				 (unsigned long long)(k->hazard.addr - k->addr),
				 k->hazard.text[0] ? k->hazard.text : "?", rt);
		else
			snprintf(why, why_len, "gfx10.1 hazard on %s", rt);
		return RMCP_KISA_BAD;
	case RMCP_ISA_UNVERIFIED:
		break;
	}
	return RMCP_KISA_UNVERIFIED;
}

void rmcp_preload_isa_install(void)
{
	rmcp_guard_set_isa_checker(check, NULL);
}
