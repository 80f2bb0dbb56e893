/* SPDX-License-Identifier: MIT */
/*
 * The whole-machine plan (plan.h) over a generated matrix, not hand-picked cases: every
 * processor of the support matrix (data/support.tsv) x {no PyTorch, an official wheel without
 * its code, a wheel with its code, TheRock's native wheel} x {no override, its sound override,
 * a foreign override, a per-node override} x {one GPU, plus an iGPU of another ISA group, plus
 * a second dGPU of another group}. Each cell is a machine's facts built the way verdict.c
 * derives them; the knowledge base runs, the plan is made, and each cell asserts: the plan
 * passes its re-diagnosis check; no GPU is told to install what it already has; no override
 * the plan sets crosses ISA groups; a GPU with a build gets to train; the headline is the worst
 * finding's. A second pass per processor checks the firmware step's threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb.h"
#include "plan.h"
#include "support.h"
#include "target.h"
#include "verdict_internal.h"

/* An official wheel of the kind users have (torch 2.5.1+rocm6.2's PYTORCH_ROCM_ARCH). */
#define OLD_WHEEL "gfx900,gfx906,gfx908,gfx90a,gfx942,gfx1030,gfx1100"

enum torch_state { T_NONE, T_OFFICIAL_WITHOUT, T_WITH, T_THEROCK, T_N };
enum ovr_state { O_NONE, O_SOUND, O_FOREIGN, O_NODE, O_N };
enum machine_kind { M_ONE, M_IGPU, M_DGPU, M_N };

static const char *const torch_name[] = { "no PyTorch", "official wheel without its code", "wheel with its code",
					  "TheRock native wheel" };
static const char *const ovr_name[] = { "no override", "sound override", "foreign override", "per-node override" };
static const char *const machine_name[] = { "one GPU", "+ iGPU of another group", "+ second dGPU" };

struct gpu_spec {
	const char *gfx;
	const char *override;	/* value applying to it, NULL */
	bool per_node;
	bool kfd;		/* KFD drives it */
	bool igpu;
};

struct cell {
	enum torch_state torch;
	char targets[RMCP_FACT_VALUE_MAX];
	const char *global;		/* HSA_OVERRIDE_GFX_VERSION, NULL */
	struct gpu_spec gpus[3];
	size_t n;
	char what[200];
};

static void set(struct rmcp_facts *f, const char *k, const char *v)
{
	assert_int_equal(rmcp_facts_set(f, k, v), 0);
}

static bool has_item(const char *list, const char *item)
{
	return rmcp_verdict_list_has(list, item, strlen(item));
}

static const char *family(const char *gfx)
{
	const struct rmcp_target *t = rmcp_target_by_name(gfx, strlen(gfx));
	return t && t->family ? t->family : "unknown";
}

/* "10.3.0" -> "gfx1030" as libhsakmt names it. */
static void override_gfx(const char *value, char *out, size_t cap)
{
	unsigned a = 0, b = 0, c = 0;
	const char *p = value;
	a = (unsigned)strtoul(p, (char **)&p, 10);
	b = (unsigned)strtoul(p + 1, (char **)&p, 10);
	c = (unsigned)strtoul(p + 1, NULL, 10);
	assert_true(rmcp_gfx_name(a * 10000 + b * 100 + c, out, cap) > 0);
}

static void gpu_facts(struct rmcp_facts *g, const struct cell *c, size_t i, int hip_index)
{
	const struct gpu_spec *s = &c->gpus[i];
	char eff[24], buf[64];
	snprintf(eff, sizeof(eff), "%s", s->gfx);
	/* libhsakmt applies the global override to every GPU, one it drops today included (its
	 * facts say so: verdict.c set_gfx); a per-node one needs a node. */
	bool ov = s->override && (s->kfd || !s->per_node);
	if (ov)
		override_gfx(s->override, eff, sizeof(eff));
	rmcp_facts_init(g);
	snprintf(buf, sizeof(buf), "%zu", i);
	set(g, "gpu.index", buf);
	snprintf(buf, sizeof(buf), "%d", s->kfd ? (int)i + 1 : -1);
	set(g, "gpu.node", buf);
	set(g, "gpu.override_node", buf);
	snprintf(buf, sizeof(buf), "%d", hip_index);
	set(g, "gpu.hip_index", buf);
	set(g, "gpu.kfd", s->kfd ? "ok" : "absent");
	set(g, "gpu.visible", s->kfd ? "yes" : "no");
	set(g, "gpu.gfx", s->gfx);
	set(g, "gpu.gfx_known", "yes");
	set(g, "gpu.gfx_source", s->kfd ? "kfd" : "pci-table");
	set(g, "gpu.target_id", s->gfx);
	set(g, "gpu.family", family(s->gfx));
	set(g, "gpu.gfx_effective", eff);
	set(g, "gpu.family_effective", family(eff));
	set(g, "gpu.override", !ov ? "none" : s->per_node ? "node" : "global");
	set(g, "gpu.override_value", ov ? s->override : "");
	snprintf(buf, sizeof(buf), "HSA_OVERRIDE_GFX_VERSION_%zu", i + 1);
	set(g, "gpu.override_var", !ov ? "" : s->per_node ? buf : "HSA_OVERRIDE_GFX_VERSION");
	snprintf(buf, sizeof(buf), "matrix GPU %zu", i);
	set(g, "gpu.name", buf);
	set(g, "gpu.pci_id", "1002:ffff");
	set(g, "gpu.pci_addr", "0000:03:00.0");
	set(g, "gpu.asic", "");
	set(g, "gpu.apu", s->igpu ? "yes" : "no");
	set(g, "gpu.vram_bytes", "8589934592");
	set(g, "gpu.vram", "8.0 GiB");
	set(g, "gpu.cu", "32");
	set(g, "gpu.large_bar", "no");
	set(g, "gpu.mec_fw", "0");
	set(g, "gpu.atomics_fw_required", "0");
	set(g, "gpu.atomics", "ok");
	set(g, "gpu.render_access", "ok");
	set(g, "gpu.log_skipped", "no");
	set(g, "gpu.isa_checked", "no");
	set(g, "gpu.torch.isa", strcmp(eff, s->gfx) == 0 ? "native" : "override");
	assert_int_equal(rmcp_verdict_support_facts(g, s->gfx, eff, 0), 0);
	/* What the judged PyTorch holds for the processor the runtime loads code for. */
	if (c->torch == T_NONE) {
		set(g, "gpu.torch", "absent");
		set(g, "gpu.torch.libs", "0");
		set(g, "gpu.torch.missing", "");
		set(g, "gpu.torch.missing_files", "");
		set(g, "gpu.torch.missing_count", "0");
		set(g, "gpu.tensile", "absent");
	} else {
		bool has = has_item(c->targets, eff);
		set(g, "gpu.torch", has ? "complete" : "none");
		set(g, "gpu.torch.libs", "2");
		set(g, "gpu.torch.missing", has ? "" : "libtorch_hip,rocblas");
		set(g, "gpu.torch.missing_files", has ? "" : "libtorch_hip.so,librocblas.so");
		set(g, "gpu.torch.missing_count", has ? "0" : "2");
		set(g, "gpu.tensile", has ? "present" : "none");
	}
	set(g, "gpu.tensile_rocm", "unknown");
	set(g, "gpu.rocm", "absent");
	set(g, "gpu.rocm.missing", "");
	set(g, "gpu.rocm.missing_files", "");
}

static void machine_facts(struct rmcp_facts *m, const struct cell *c)
{
	rmcp_facts_init(m);
	static const char *const fixed[][2] = {
		{ "machine.sysroot", "/" }, { "machine.kernel", "6.8.0" }, { "machine.amdgpu", "yes" },
		{ "machine.amdgpu_dkms", "" }, { "machine.kfd_topology", "ok" }, { "machine.kfd_access", "ok" },
		{ "machine.kfd_group", "render" }, { "machine.kfd_group_member", "yes" }, { "machine.kfd_group_listed", "no" },
		{ "machine.user", "user" }, { "machine.container", "no" }, { "machine.container_hint", "" },
		{ "machine.hsakmt_init_fails", "no" }, { "machine.hsakmt_fail_reason", "" }, { "machine.hidden_gpus", "0" },
		{ "log.state", "ok" }, { "log.pcie_atomics", "0" }, { "log.skipped_device", "0" }, { "log.not_supported", "0" },
		{ "log.gpu_hang", "0" }, { "log.gpu_reset", "0" }, { "log.memory_fault", "0" },
		{ "env.hip_visible", "unset" }, { "env.hip_visible.value", "" }, { "env.cuda_visible", "unset" },
		{ "env.cuda_visible.value", "" }, { "env.rocr_visible", "unset" }, { "env.rocr_visible.value", "" },
		{ "rocm.installs", "0" },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		set(m, fixed[i][0], fixed[i][1]);
	char buf[RMCP_FACT_VALUE_MAX] = "", fam[RMCP_FACT_VALUE_MAX] = "", gfxs[RMCP_FACT_VALUE_MAX] = "";
	unsigned kfd = 0, distinct = 0, nodes = 0;
	const char *list[3];
	for (size_t i = 0; i < c->n; i++) {
		kfd += c->gpus[i].kfd;
		nodes += c->gpus[i].per_node && c->gpus[i].override;
		list[i] = c->gpus[i].gfx;
		if (!has_item(gfxs, c->gpus[i].gfx)) {
			distinct++;
			size_t l = strlen(gfxs);
			snprintf(gfxs + l, sizeof(gfxs) - l, "%s%s", l ? "," : "", c->gpus[i].gfx);
		}
		if (!has_item(fam, family(c->gpus[i].gfx))) {
			size_t l = strlen(fam);
			snprintf(fam + l, sizeof(fam) - l, "%s%s", l ? "," : "", family(c->gpus[i].gfx));
		}
	}
	snprintf(buf, sizeof(buf), "%zu", c->n);
	set(m, "machine.gpus", buf);
	snprintf(buf, sizeof(buf), "%u", kfd);
	set(m, "machine.kfd_gpus", buf);
	set(m, "machine.visible_gpus", buf);
	snprintf(buf, sizeof(buf), "%u", distinct);
	set(m, "machine.gfx_distinct", buf);
	set(m, "machine.families", fam);
	set(m, "env.override", c->global ? "valid" : "unset");
	set(m, "env.override.value", c->global ? c->global : "");
	snprintf(buf, sizeof(buf), "%u", nodes);
	set(m, "env.override_nodes", buf);
	struct rmcp_install in;
	unsigned served;
	assert_int_equal(rmcp_install_machine(list, c->n, &in, &served), 0);
	set(m, "machine.install", in.cmd);
	set(m, "machine.install_kind", in.kind);
	set(m, "machine.install_sure", in.sure);
	bool torch = c->torch != T_NONE;
	set(m, "torch.installs", torch ? "1" : "0");
	set(m, "torch.rocm", torch ? "1" : "0");
	if (torch) {
		set(m, "torch.path", "/home/user/venv/lib/python3.12/site-packages/torch");
		set(m, "torch.version", c->torch == T_THEROCK ? "2.13.0+rocm7.14.0" : "2.5.1+rocm6.2");
		set(m, "torch.hip", "6.2.41133");
		set(m, "torch.bundles_rocm", "yes");
		set(m, "torch.targets.libtorch_hip", c->targets);
		set(m, "torch.targets.rocblas", c->targets);
		set(m, "torch.targets.rocblas_tensile", c->targets);
	}
}

/* A processor of another ISA group to pair with gfx: an iGPU, or a discrete one. */
static const char *other_igpu(const char *gfx)
{
	return strcmp(rmcp_isa_group(gfx), "gfx10-3-generic") == 0 ? "gfx1103" : "gfx1036";
}

static const char *other_dgpu(const char *gfx)
{
	return strcmp(rmcp_isa_group(gfx), "gfx908") == 0 ? "gfx1100" : "gfx908";
}

/* An override value from another ISA group than gfx's. */
static const char *foreign_override(const char *gfx)
{
	return strcmp(rmcp_isa_group(gfx), "gfx10-3-generic") == 0 ? "11.0.0" : "10.3.0";
}

struct stats {
	unsigned cells, installs, overrides_set, overrides_unset, hides, yes_after;
};

static void fail_cell(const struct cell *c, const struct rmcp_plan *p, const char *why)
{
	fprintf(stderr, "cell [%s]: %s\n", c->what, why);
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  step %zu (%s): %s\n", i + 1, p->steps[i].id, p->steps[i].text);
	for (size_t i = 0; i < p->n_problems && i < RMCP_PLAN_MAX_PROBLEMS; i++)
		fprintf(stderr, "  problem: %s\n", p->problems[i]);
	fail_msg("cell [%s]: %s", c->what, why);
}

static void run_cell(const struct cell *c, struct stats *st)
{
	struct rmcp_facts m, g[3];
	machine_facts(&m, c);
	int hip = 0;
	for (size_t i = 0; i < c->n; i++)
		gpu_facts(&g[i], c, i, c->gpus[i].kfd ? hip++ : -1);
	struct rmcp_kb_result r;
	assert_int_equal(rmcp_kb_evaluate(NULL, 0, &m, g, c->n, &r), 0);
	struct rmcp_plan *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	assert_int_equal(rmcp_plan_make(&m, g, c->n, &r, p), 0);
	enum rmcp_verdict after[3];
	assert_int_equal(rmcp_plan_check(&m, g, c->n, &r, p, after), 0);
	st->cells++;
	if (!p->checked || p->n_problems)
		fail_cell(c, p, "the plan fails its re-diagnosis check");
	/* The headline is the worst finding's: it names the real blocker. */
	if (r.decisive >= 0 && r.findings[r.decisive].rule->verdict != r.verdict)
		fail_cell(c, p, "the headline is not the finding that decides the verdict");
	for (size_t k = 0; k < p->n; k++) {
		const struct rmcp_plan_step *s = &p->steps[k];
		if (s->kind == RMCP_PLAN_INSTALL) {
			st->installs++;
			for (size_t i = 0; i < c->n; i++)
				if ((s->gpus_mask & (1u << i)) &&
				    strcmp(rmcp_facts_get(&g[i], "gpu.torch"), "complete") == 0 &&
				    strcmp(rmcp_facts_get(&g[i], "gpu.torch.isa"), "native") == 0)
					fail_cell(c, p, "a GPU is told to install code it already has");
		}
		bool ovr = strncmp(s->var, "HSA_OVERRIDE_GFX_VERSION", 24) == 0;
		if (ovr && s->kind == RMCP_PLAN_UNSET)
			st->overrides_unset++;
		if (ovr && s->kind == RMCP_PLAN_EXPORT) {
			st->overrides_set++;
			char proc[24];
			override_gfx(s->value, proc, sizeof(proc));
			for (size_t i = 0; i < c->n; i++) {
				char node_var[64];
				snprintf(node_var, sizeof(node_var), "HSA_OVERRIDE_GFX_VERSION_%zu", i + 1);
				bool applies = strcmp(s->var, "HSA_OVERRIDE_GFX_VERSION") == 0 ? c->gpus[i].kfd
									       : strcmp(s->var, node_var) == 0;
				if (applies && strcmp(rmcp_isa_group(proc), rmcp_isa_group(c->gpus[i].gfx)) != 0)
					fail_cell(c, p, "the plan sets an override across ISA groups");
			}
		}
		if (strcmp(s->var, "HIP_VISIBLE_DEVICES") == 0)
			st->hides++;
	}
	/* A GPU KFD drives and a build exists for ends up able to train (yes, or workaround for a
	 * contested or unverified override the user chose). */
	struct rmcp_install in;
	rmcp_install_choose(c->gpus[0].gfx, &in);
	if (c->gpus[0].kfd && strcmp(in.kind, "cpu") != 0 && after[0] == RMCP_VERDICT_NO)
		fail_cell(c, p, "the primary GPU has a build but cannot train after the plan");
	st->yes_after += after[0] == RMCP_VERDICT_YES;
	rmcp_kb_result_release(&r);
	free(p);
	rmcp_facts_release(&m);
	for (size_t i = 0; i < c->n; i++)
		rmcp_facts_release(&g[i]);
}

static bool make_cell(struct cell *c, const struct rmcp_support *s, enum torch_state t, enum ovr_state o,
		      enum machine_kind mk)
{
	memset(c, 0, sizeof(*c));
	const char *gfx = s->gfx;
	bool kfd = s->kfd == RMCP_KFD_YES;
	c->torch = t;
	switch (t) {
	case T_NONE:
		break;
	case T_OFFICIAL_WITHOUT:
		if (has_item(OLD_WHEEL, gfx))
			return false;	/* that wheel has its code: the next state covers it */
		snprintf(c->targets, sizeof(c->targets), "%s", OLD_WHEEL);
		break;
	case T_WITH:
		snprintf(c->targets, sizeof(c->targets), "%s%s%s", OLD_WHEEL, has_item(OLD_WHEEL, gfx) ? "" : ",",
			 has_item(OLD_WHEEL, gfx) ? "" : gfx);
		break;
	case T_THEROCK:
		if (!s->therock)
			return false;
		snprintf(c->targets, sizeof(c->targets), "%s", gfx);
		break;
	case T_N:
		return false;
	}
	c->gpus[0] = (struct gpu_spec){ .gfx = gfx, .kfd = kfd };
	c->n = 1;
	if (mk == M_IGPU)
		c->gpus[c->n++] = (struct gpu_spec){ .gfx = other_igpu(gfx), .kfd = true, .igpu = true };
	if (mk == M_DGPU)
		c->gpus[c->n++] = (struct gpu_spec){ .gfx = other_dgpu(gfx), .kfd = true };
	/* The second GPU's code is in every wheel but TheRock's single-device one. */
	if (mk != M_ONE && (t == T_OFFICIAL_WITHOUT || t == T_WITH)) {
		size_t l = strlen(c->targets);
		if (!has_item(c->targets, c->gpus[1].gfx))
			snprintf(c->targets + l, sizeof(c->targets) - l, ",%s", c->gpus[1].gfx);
	}
	switch (o) {
	case O_NONE:
		break;
	case O_SOUND:
		if (!s->override)
			return false;
		c->global = s->override;
		break;
	case O_FOREIGN:
		c->global = foreign_override(gfx);
		break;
	case O_NODE:
		c->gpus[0].override = s->override ? s->override : foreign_override(gfx);
		c->gpus[0].per_node = true;
		break;
	case O_N:
		return false;
	}
	for (size_t i = 0; c->global && i < c->n; i++)
		if (!c->gpus[i].override)
			c->gpus[i].override = c->global;
	snprintf(c->what, sizeof(c->what), "%s, %s, %s, %s", gfx, torch_name[t], ovr_name[o], machine_name[mk]);
	return true;
}

static void plan_matrix(void **state)
{
	(void)state;
	struct stats st = { 0 };
	struct cell c;
	for (size_t k = 0; k < rmcp_support_table_len; k++)
		for (int t = 0; t < T_N; t++)
			for (int o = 0; o < O_N; o++)
				for (int mk = 0; mk < M_N; mk++)
					if (make_cell(&c, &rmcp_support_table[k], t, o, mk))
						run_cell(&c, &st);
	printf("plan matrix: %u cells checked over %zu processors (%u installs, %u overrides set, %u unset, "
	       "%u visible-device lists; primary GPU trains after the plan in %u)\n",
	       st.cells, rmcp_support_table_len, st.installs, st.overrides_set, st.overrides_unset, st.hides,
	       st.yes_after);
	assert_true(st.cells > 1000);
	assert_true(st.installs > 0 && st.overrides_set > 0 && st.overrides_unset > 0 && st.hides > 0);
}

/* KFD skipped the GPU for PCIe atomics: the firmware step carries its generation's threshold,
 * or says plainly that no firmware helps. */
static void firmware_steps(void **state)
{
	(void)state;
	unsigned checked = 0;
	for (size_t k = 0; k < rmcp_support_table_len; k++) {
		const struct rmcp_support *s = &rmcp_support_table[k];
		if (s->kfd != RMCP_KFD_YES)
			continue;
		struct cell c;
		assert_true(make_cell(&c, s, T_WITH, O_NONE, M_ONE));
		struct rmcp_facts m, g;
		machine_facts(&m, &c);
		gpu_facts(&g, &c, 0, -1);
		set(&m, "machine.kfd_gpus", "0");
		set(&m, "machine.visible_gpus", "0");
		set(&m, "log.skipped_device", "1");
		set(&m, "log.skipped_device.text", "kfd kfd: amdgpu: skipped device 1002:ffff, PCI rejects atomics");
		set(&g, "gpu.kfd", "absent");
		set(&g, "gpu.node", "-1");
		set(&g, "gpu.visible", "no");
		set(&g, "gpu.log_skipped", "yes");
		struct rmcp_kb_result r;
		assert_int_equal(rmcp_kb_evaluate(NULL, 0, &m, &g, 1, &r), 0);
		char want[64] = "";
		const char *id = NULL;
		if (s->fw_kind == RMCP_FW_MEC) {
			id = "firmware-mec";
			snprintf(want, sizeof(want), "MEC firmware is %u or newer", s->fw);
		} else if (s->fw_kind == RMCP_FW_RS64) {
			id = "firmware-rs64";
			snprintf(want, sizeof(want), "MEC %u or newer", s->fw);
		} else if (s->fw_kind == RMCP_FW_NONE) {
			id = "atomics-required";
			snprintf(want, sizeof(want), "no firmware lifts it");
		}
		bool found = false, other = false;
		for (size_t i = 0; i < r.n_steps; i++) {
			const char *sid = r.steps[i].def->id;
			bool fw = strcmp(sid, "firmware-mec") == 0 || strcmp(sid, "firmware-rs64") == 0 ||
				  strcmp(sid, "atomics-required") == 0;
			if (fw && id && strcmp(sid, id) == 0 && strstr(r.steps[i].text, want))
				found = true;
			else if (fw)
				other = true;
		}
		if ((id && !found) || other)
			fail_msg("%s: firmware step wrong (want %s '%s')", s->gfx, id ? id : "none", want);
		checked++;
		rmcp_kb_result_release(&r);
		rmcp_facts_release(&m);
		rmcp_facts_release(&g);
	}
	printf("firmware steps: %u processors checked\n", checked);
	assert_true(checked > 40);
}

static struct rmcp_plan_step *step(struct rmcp_plan *p, enum rmcp_plan_kind kind, const char *var, const char *value)
{
	struct rmcp_plan_step *s = &p->steps[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->id = "plan-note";
	s->gpu = -1;
	snprintf(s->var, sizeof(s->var), "%s", var ? var : "");
	snprintf(s->value, sizeof(s->value), "%s", value ? value : "");
	snprintf(s->text, sizeof(s->text), "a hand-made step");
	return s;
}

/* The check is not vacuous: plans with each kind of mistake fail it. The machine: an RX 6800
 * (gfx1030) and an RX 7900 XTX (gfx1100), both with code in the wheel, both training. */
static void check_catches_bad_plans(void **state)
{
	(void)state;
	struct cell c;
	assert_true(make_cell(&c, rmcp_support_find("gfx1030"), T_WITH, O_NONE, M_ONE));
	c.gpus[c.n++] = (struct gpu_spec){ .gfx = "gfx1100", .kfd = true };
	struct rmcp_facts m, g[2];
	machine_facts(&m, &c);
	gpu_facts(&g[0], &c, 0, 0);
	gpu_facts(&g[1], &c, 1, 1);
	struct rmcp_kb_result r;
	assert_int_equal(rmcp_kb_evaluate(NULL, 0, &m, g, 2, &r), 0);
	assert_int_equal(r.verdict, RMCP_VERDICT_YES);
	struct rmcp_plan *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	const char *want[] = { "global HSA_OVERRIDE_GFX_VERSION while gfx1100", "sets HIP_VISIBLE_DEVICES twice",
			       "the plan hides gfx1100", "is told to install" };
	for (int k = 0; k < 4; k++) {
		memset(p, 0, sizeof(*p));
		if (k == 0)
			step(p, RMCP_PLAN_EXPORT, "HSA_OVERRIDE_GFX_VERSION", "10.3.0");
		if (k == 1) {
			step(p, RMCP_PLAN_EXPORT, "HIP_VISIBLE_DEVICES", "0,1");
			step(p, RMCP_PLAN_UNSET, "HIP_VISIBLE_DEVICES", NULL);
		}
		if (k == 2)
			step(p, RMCP_PLAN_EXPORT, "HIP_VISIBLE_DEVICES", "0");
		if (k == 3)
			step(p, RMCP_PLAN_INSTALL, NULL, "gfx1030,gfx1100")->gpus_mask = 3;
		assert_int_equal(rmcp_plan_check(&m, g, 2, &r, p, NULL), 0);
		bool found = false;
		for (size_t i = 0; i < p->n_problems && i < RMCP_PLAN_MAX_PROBLEMS; i++)
			found |= strstr(p->problems[i], want[k]) != NULL;
		if (!found)
			fail_msg("bad plan %d passed the check (want a problem with '%s')", k, want[k]);
	}
	/* And the plan rmcp makes for it is empty and passes. */
	assert_int_equal(rmcp_plan_make(&m, g, 2, &r, p), 0);
	assert_int_equal(p->n, 0);
	assert_int_equal(p->n_problems, 0);
	free(p);
	rmcp_kb_result_release(&r);
	rmcp_facts_release(&m);
	rmcp_facts_release(&g[0]);
	rmcp_facts_release(&g[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_catches_bad_plans),
		cmocka_unit_test(plan_matrix),
		cmocka_unit_test(firmware_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
