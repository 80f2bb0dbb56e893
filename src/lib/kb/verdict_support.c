/* SPDX-License-Identifier: MIT */
/*
 * gpu.* facts from the support matrix (support.h, data/support.tsv): the GPU's ISA group, what
 * PyTorch builds carry its code, the override within its group and how sure that is, the
 * PCIe-atomics firmware threshold of its generation, and the one install command rmcp gives it
 * (the order is docs/support.md's: official wheel, TheRock nightly, official wheel plus a sound
 * override, CPU). No rule logic: what these mean for training is in data/kb/rules.json.
 */
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "support.h"
#include "target.h"
#include "verdict_internal.h"
#include "banned.h"

#define OFFICIAL_INDEX "https://download.pytorch.org/whl/"
#define THEROCK_INDEX "https://rocm.nightlies.amd.com/whl-multi-arch/"

const char *rmcp_isa_group(const char *gfx)
{
	const struct rmcp_target *t = gfx ? rmcp_target_by_name(gfx, strlen(gfx)) : NULL;
	if (!t)
		return "unknown";
	return t->generic ? t->generic : t->name;
}

int rmcp_install_choose(const char *gfx, struct rmcp_install *in)
{
	memset(in, 0, sizeof(*in));
	const struct rmcp_support *s = rmcp_support_find(gfx);
	snprintf(in->kind, sizeof(in->kind), "cpu");
	snprintf(in->cmd, sizeof(in->cmd), "pip install torch --index-url %scpu", OFFICIAL_INDEX);
	if (!s) {
		snprintf(in->sure, sizeof(in->sure), "rmcp's support matrix has no row for %s", gfx ? gfx : "?");
		return 0;
	}
	if (s->kfd == RMCP_KFD_NO) {
		snprintf(in->sure, sizeof(in->sure), "ROCm cannot use a %s: the kernel's KFD never supported it", gfx);
		return 0;
	}
	if (s->rocm == RMCP_ROCM_DROPPED || s->rocm == RMCP_ROCM_NEVER) {
		snprintf(in->sure, sizeof(in->sure), "ROCm dropped %s from its user space: no current build runs on it",
			 gfx);
		return 0;
	}
	if (s->wheel_pin) {
		snprintf(in->kind, sizeof(in->kind), "official");
		snprintf(in->cmd, sizeof(in->cmd), "pip install torch==%s --index-url %s%s", s->wheel_pin,
			 OFFICIAL_INDEX, s->wheel_index);
		snprintf(in->sure, sizeof(in->sure), "a release wheel with %s code", gfx);
		snprintf(in->targets, sizeof(in->targets), "pin:%s", s->wheel_pin);
		return 0;
	}
	if (s->therock) {
		snprintf(in->kind, sizeof(in->kind), "therock");
		snprintf(in->cmd, sizeof(in->cmd), "pip install --index-url %s \"torch[%s]\"", THEROCK_INDEX,
			 s->therock);
		if (s->therock_tested)
			snprintf(in->sure, sizeof(in->sure),
				 "a nightly wheel, not a release: TheRock lists %s release-ready on Linux", gfx);
		else
			snprintf(in->sure, sizeof(in->sure),
				 "a nightly wheel, not a release: TheRock builds %s but has not tested it", gfx);
		snprintf(in->targets, sizeof(in->targets), "%s", gfx);
		return 0;
	}
	const struct rmcp_support *o = s->override_gfx ? rmcp_support_find(s->override_gfx) : NULL;
	if (o && o->wheel_pin && (s->override_ok == RMCP_OVR_SOUND || s->override_ok == RMCP_OVR_CONTESTED)) {
		snprintf(in->kind, sizeof(in->kind), "override");
		snprintf(in->cmd, sizeof(in->cmd),
			 "pip install torch==%s --index-url %s%s, then train through rmcp run -- python train.py "
			 "(it sets HSA_OVERRIDE_GFX_VERSION=%s for this GPU)",
			 o->wheel_pin, OFFICIAL_INDEX, o->wheel_index, s->override);
		snprintf(in->sure, sizeof(in->sure), "a release wheel with %s code and a %s override", o->gfx,
			 rmcp_override_ok_name(s->override_ok));
		snprintf(in->targets, sizeof(in->targets), "pin:%s", o->wheel_pin);
		snprintf(in->override, sizeof(in->override), "%s", s->override);
		return 0;
	}
	snprintf(in->sure, sizeof(in->sure), "no PyTorch build rmcp knows of has %s code%s", gfx,
		 s->override ? " and its override is not known to be sound" : "");
	return 0;
}

int rmcp_verdict_support_facts(struct rmcp_facts *f, const char *gfx, const char *gfx_effective,
			       unsigned fw_required)
{
	int rc;
	const struct rmcp_support *s = rmcp_support_find(gfx);
	SET(f, "gpu.group", rmcp_isa_group(gfx));
	SET(f, "gpu.group_effective", rmcp_isa_group(gfx_effective));
	char buf[64];
	if (s && s->wheel_first)
		snprintf(buf, sizeof(buf), "%s to %s", s->wheel_first, s->wheel_last);
	else
		buf[0] = '\0';
	SET(f, "gpu.wheels", buf);
	SET(f, "gpu.therock_extra", s && s->therock ? s->therock : "");
	SET(f, "gpu.override_known", s && s->override ? s->override : "");
	SET(f, "gpu.override_ok", s ? rmcp_override_ok_name(s->override_ok) : "none");
	SET(f, "gpu.kfd_support", !s ? "unknown" : s->kfd == RMCP_KFD_NO ? "no"
			       : s->kfd == RMCP_KFD_EXPERIMENTAL ? "experimental" : "yes");
	SET(f, "gpu.rocm_support", s ? rmcp_rocm_state_name(s->rocm) : "unknown");
	/* The threshold KFD itself printed ("123<145") beats the table's for this generation. */
	const char *kind = "unknown";
	if (s) {
		switch (s->fw_kind) {
		case RMCP_FW_NO_KFD:
			kind = "no-kfd";
			break;
		case RMCP_FW_NOT_NEEDED:
			kind = "not-needed";
			break;
		case RMCP_FW_NONE:
			kind = "none";
			break;
		case RMCP_FW_MEC:
			kind = "mec";
			break;
		case RMCP_FW_RS64:
			kind = "rs64";
			break;
		}
	}
	if (fw_required && strcmp(kind, "rs64") != 0)
		kind = "mec";
	SET(f, "gpu.fw_atomics_kind", kind);
	if (fw_required)
		snprintf(buf, sizeof(buf), "%u", fw_required);
	else if (s && (s->fw_kind == RMCP_FW_MEC || s->fw_kind == RMCP_FW_RS64))
		snprintf(buf, sizeof(buf), "%u", s->fw);
	else
		buf[0] = '\0';
	SET(f, "gpu.fw_atomics", buf);
	struct rmcp_install in;
	rmcp_install_choose(gfx, &in);
	SET(f, "gpu.install", in.cmd);
	SET(f, "gpu.install.kind", in.kind);
	SET(f, "gpu.install.sure", in.sure);
	return 0;
}

/* Does the build an install names carry code for processor gfx? */
bool rmcp_install_carries(const struct rmcp_install *in, const char *gfx)
{
	if (strncmp(in->targets, "pin:", 4) == 0)
		return rmcp_support_wheel_has(rmcp_support_find(gfx), in->targets + 4);
	size_t n = strlen(gfx);
	for (const char *p = in->targets; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, gfx, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

int rmcp_install_machine(const char *const *gfx, size_t n, struct rmcp_install *out, unsigned *served)
{
	struct rmcp_install each;
	bool therock = false, official = false;
	const char *pin = NULL;
	*served = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && i < 32; i++) {
		rmcp_install_choose(gfx[i], &each);
		therock |= strcmp(each.kind, "therock") == 0;
		if ((strcmp(each.kind, "official") == 0 || strcmp(each.kind, "override") == 0) && !pin) {
			official = true;
			pin = rmcp_support_find(gfx[i])->wheel_pin ? rmcp_support_find(gfx[i])->wheel_pin
								    : each.targets + 4;
		}
	}
	if (therock) {
		/* One nightly build with every GPU's device extra serves them all. */
		char extras[200] = "";
		for (size_t i = 0; i < n && i < 32; i++) {
			const struct rmcp_support *s = rmcp_support_find(gfx[i]);
			if (!s || !s->therock || s->kfd == RMCP_KFD_NO || strstr(extras, s->therock))
				continue;
			size_t len = strlen(extras);
			snprintf(extras + len, sizeof(extras) - len, "%s%s", len ? "," : "", s->therock);
			size_t tl = strlen(out->targets);
			snprintf(out->targets + tl, sizeof(out->targets) - tl, "%s%s", tl ? "," : "", s->gfx);
		}
		snprintf(out->kind, sizeof(out->kind), "therock");
		snprintf(out->cmd, sizeof(out->cmd), "pip install --index-url %s \"torch[%s]\"", THEROCK_INDEX, extras);
		bool tested = true;
		for (size_t i = 0; i < n && i < 32; i++) {
			const struct rmcp_support *s = rmcp_support_find(gfx[i]);
			tested &= !s || !s->therock || s->therock_tested;
		}
		if (tested)
			snprintf(out->sure, sizeof(out->sure),
				 "a nightly wheel, not a release: TheRock lists %s release-ready on Linux",
				 n > 1 ? "these GPUs" : "this GPU");
		else
			snprintf(out->sure, sizeof(out->sure),
				 "a nightly wheel, not a release: TheRock does not list every one of these GPUs as release-ready on Linux");
	} else if (official && pin) {
		const struct rmcp_support *s = NULL;
		for (size_t i = 0; i < rmcp_support_table_len && !s; i++)
			if (rmcp_support_table[i].wheel_pin && strcmp(rmcp_support_table[i].wheel_pin, pin) == 0)
				s = &rmcp_support_table[i];
		snprintf(out->kind, sizeof(out->kind), "official");
		snprintf(out->cmd, sizeof(out->cmd), "pip install torch==%s --index-url %s%s", pin, OFFICIAL_INDEX,
			 s ? s->wheel_index : "rocm");
		if (n == 1)
			snprintf(out->sure, sizeof(out->sure), "a release wheel with %s code", gfx[0]);
		else
			snprintf(out->sure, sizeof(out->sure), "a release wheel with code for these GPUs");
		snprintf(out->targets, sizeof(out->targets), "pin:%s", pin);
	} else {
		rmcp_install_choose(n ? gfx[0] : NULL, out);
		snprintf(out->kind, sizeof(out->kind), "cpu");
		return 0;
	}
	for (size_t i = 0; i < n && i < 32; i++) {
		rmcp_install_choose(gfx[i], &each);
		const struct rmcp_support *s = rmcp_support_find(gfx[i]);
		bool ok = strcmp(each.kind, "cpu") != 0 && rmcp_install_carries(out, gfx[i]);
		/* A GPU served through a sound override: the build carries the processor it names. */
		if (!ok && strcmp(each.kind, "override") == 0 && s && s->override_gfx)
			ok = rmcp_install_carries(out, s->override_gfx);
		if (ok)
			*served |= 1u << i;
	}
	return 0;
}
