/* SPDX-License-Identifier: MIT */
/*
 * Facts for the knowledge base, derived from the readers' structs. Every key set here is in
 * data/kb/facts.tsv (tests/unit/kb/test_kb.c checks it), and no rule logic lives here: what a
 * fact means for training is in data/kb/rules.json.
 */
#include "verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "target.h"
#include "verdict_internal.h"
#include "banned.h"

int rmcp_verdict_exit_code(enum rmcp_verdict v)
{
	switch (v) {
	case RMCP_VERDICT_YES:
		return 0;
	case RMCP_VERDICT_WORKAROUND:
		return 1;
	case RMCP_VERDICT_NONE:
	case RMCP_VERDICT_NO:
		break;
	}
	return 3;
}

void rmcp_format_bytes(unsigned long long bytes, char *buf, size_t cap)
{
	if (bytes >= (1ULL << 30))
		snprintf(buf, cap, "%.1f GiB", (double)bytes / (double)(1ULL << 30));
	else if (bytes >= (1ULL << 20))
		snprintf(buf, cap, "%llu MiB", bytes >> 20);
	else if (bytes)
		snprintf(buf, cap, "%llu KiB", bytes >> 10);
	else
		snprintf(buf, cap, "unknown");
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static const char *access_name(int rc)
{
	if (rc == 0)
		return "ok";
	if (rc == 1)
		return "unchecked";
	if (rc == -ENOENT)
		return "absent";
	if (rc == -EACCES || rc == -EPERM)
		return "denied";
	return "error";
}

static const char *visible_name(enum rmcp_visible_state s)
{
	switch (s) {
	case RMCP_VISIBLE_UNSET:
		return "unset";
	case RMCP_VISIBLE_EMPTY:
		return "empty";
	case RMCP_VISIBLE_VALUE:
		return "value";
	}
	return "unset";
}

/* ---- GPUs: effective ISA and what the runtime will enumerate ---- */

static const struct rmcp_target *gpu_target(const struct rmcp_gpu *g)
{
	if (g->target)
		return g->target;
	if (g->gfx_version)
		return rmcp_target_by_version(g->gfx_version);
	return g->gfx[0] ? rmcp_target_by_name(g->gfx, strlen(g->gfx)) : NULL;
}

static uint32_t gpu_version(const struct rmcp_gpu *g)
{
	const struct rmcp_target *t = gpu_target(g);
	if (g->gfx_version)
		return g->gfx_version;
	return t && t->version_known ? t->version : 0;
}

static void set_gfx(struct rmcp_diag_gpu *dg, const struct rmcp_env *env)
{
	const struct rmcp_gpu *g = dg->gpu;
	uint32_t real = gpu_version(g);
	snprintf(dg->gfx, sizeof(dg->gfx), "%s", g->gfx[0] ? g->gfx : "unknown");
	if (!g->gfx[0] && real && rmcp_gfx_name(real, dg->gfx, sizeof(dg->gfx)) < 0)
		snprintf(dg->gfx, sizeof(dg->gfx), "unknown");
	/* The override is keyed by libhsakmt's node id (sysfs.h hsakmt_node); a GPU libhsakmt
	 * drops gets only the global one, which is what the runtime would apply if it saw it. */
	int node = g->hsakmt_node >= 0 ? g->hsakmt_node : -1;
	const struct rmcp_env_override *o = rmcp_env_override_for_node(env, node, &dg->override_source);
	uint32_t eff = rmcp_env_effective_version(env, node, real, NULL);
	dg->override_invalid = o && o->set && !o->valid;
	if (!o || !o->set)
		dg->override_source = NULL;
	snprintf(dg->override_value, sizeof(dg->override_value), "%s", o && o->set ? o->value : "");
	/* An invalid override stops the runtime altogether (a machine finding says so); the
	 * ISA question does not arise, so the effective processor stays the real one. */
	if (eff == real || dg->override_invalid || eff == 0) {
		snprintf(dg->gfx_effective, sizeof(dg->gfx_effective), "%s", dg->gfx);
	} else if (rmcp_gfx_name(eff, dg->gfx_effective, sizeof(dg->gfx_effective)) < 0) {
		snprintf(dg->gfx_effective, sizeof(dg->gfx_effective), "unknown");
	}
}

/* Parse a *_VISIBLE_DEVICES list of indices as clr does (rocdevice.cpp): indices in order,
 * parsing stops at the first entry that is not a valid index. Returns how many were taken;
 * -1 if an entry is not a number at all (a UUID: rmcp cannot resolve it). */
static int parse_visible(const char *s, size_t n_base, int *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = s; *p && n < cap;) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p)
			return n ? (int)n : -1;
		if (errno || v < 0 || (size_t)v >= n_base || (*end && *end != ','))
			break;
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= out[k] == (int)v;
		if (!dup)
			out[n++] = (int)v;
		if (!*end)
			break;
		p = end + 1;
	}
	return (int)n;
}

static void set_visibility(struct rmcp_diagnosis *d)
{
	/* ROCr's agents: GPUs libhsakmt keeps, in order (sysfs.h runtime_index). */
	size_t base[RMCP_MAX_GPUS], n_base = 0;
	for (size_t i = 0; i < d->n_gpus; i++) {
		d->gpus[i].visible = false;
		d->gpus[i].hip_index = -1;
	}
	for (int idx = 0; idx < (int)RMCP_MAX_GPUS; idx++)
		for (size_t i = 0; i < d->n_gpus; i++)
			if (d->gpus[i].gpu->runtime_index == idx && d->gpus[i].gpu->kfd == RMCP_FACT_OK)
				base[n_base++] = i;
	int sel[RMCP_MAX_GPUS];
	size_t n_sel = n_base;
	for (size_t k = 0; k < n_base; k++)
		sel[k] = (int)k;
	/* ROCR_VISIBLE_DEVICES filters first; empty hides every agent. */
	const struct rmcp_visible *rocr = &d->env.rocr_visible;
	if (rocr->state == RMCP_VISIBLE_EMPTY) {
		n_sel = 0;
	} else if (rocr->state == RMCP_VISIBLE_VALUE) {
		int r = parse_visible(rocr->value, n_base, sel, RMCP_MAX_GPUS);
		if (r >= 0)
			n_sel = (size_t)r;
	}
	/* Then HIP_VISIBLE_DEVICES, or CUDA_VISIBLE_DEVICES if HIP's is unset or empty, indexes
	 * into what ROCr left. */
	const struct rmcp_visible *hip = &d->env.hip_visible;
	if (hip->state != RMCP_VISIBLE_VALUE)
		hip = &d->env.cuda_visible;
	if (hip->state == RMCP_VISIBLE_VALUE) {
		int pick[RMCP_MAX_GPUS];
		int r = parse_visible(hip->value, n_sel, pick, RMCP_MAX_GPUS);
		if (r >= 0) {
			int tmp[RMCP_MAX_GPUS];
			for (int k = 0; k < r; k++)
				tmp[k] = sel[pick[k]];
			memcpy(sel, tmp, (size_t)r * sizeof(int));
			n_sel = (size_t)r;
		}
	}
	d->hidden_gpus = (unsigned)(n_base - n_sel);
	for (size_t k = 0; k < n_sel; k++) {
		struct rmcp_diag_gpu *dg = &d->gpus[base[sel[k]]];
		dg->visible = true;
		dg->hip_index = (int)k;
	}
}

/* ---- facts ---- */


static int log_facts(struct rmcp_facts *f, const struct rmcp_machine *m)
{
	static const char *const kinds[] = { "pcie_atomics", "skipped_device", "not_supported", "gpu_hang",
					     "gpu_reset", "memory_fault", "added_device" };
	enum { N_KINDS = sizeof(kinds) / sizeof(kinds[0]) };
	unsigned long long count[N_KINDS] = { 0 };
	int rc;
	SET(f, "log.state", rmcp_fact_state_name(m->kernel_log));
	SET(f, "log.why", m->kernel_log_why);
	SET(f, "machine.dmesg_restrict", m->dmesg_restrict < 0 ? "unknown" : m->dmesg_restrict ? "1" : "0");
	for (size_t i = 0; i < m->n_log; i++) {
		const struct rmcp_log_line *l = &m->log[i];
		char key[RMCP_FACT_KEY_MAX];
		size_t k = 0;
		while (k < N_KINDS && strcmp(kinds[k], l->kind) != 0)
			k++;
		if (k < N_KINDS)
			count[k] += l->count ? l->count : 1;
		/* The first line of each kind, for the findings' text. */
		snprintf(key, sizeof(key), "log.%s.text", l->kind);
		if (!rmcp_facts_get(f, key))
			SET(f, key, l->text);
	}
	/* Counts only where the log was read: an unread log is not a log without problems. */
	for (size_t k = 0; k < N_KINDS && m->kernel_log == RMCP_FACT_OK; k++) {
		char key[RMCP_FACT_KEY_MAX];
		snprintf(key, sizeof(key), "log.%s", kinds[k]);
		SETF(f, key, "%llu", count[k]);
	}
	return 0;
}

static int env_facts(struct rmcp_facts *f, const struct rmcp_env *e)
{
	int rc;
	SET(f, "env.override", !e->global.set ? "unset" : e->global.valid ? "valid" : "invalid");
	SET(f, "env.override.value", e->global.set ? e->global.value : "");
	SETF(f, "env.override_nodes", "%zu", e->n_per_node);
	const struct {
		const char *key, *vkey;
		const struct rmcp_visible *v;
	} vis[] = {
		{ "env.hip_visible", "env.hip_visible.value", &e->hip_visible },
		{ "env.cuda_visible", "env.cuda_visible.value", &e->cuda_visible },
		{ "env.rocr_visible", "env.rocr_visible.value", &e->rocr_visible },
	};
	for (size_t i = 0; i < sizeof(vis) / sizeof(vis[0]); i++) {
		SET(f, vis[i].key, visible_name(vis[i].v->state));
		SET(f, vis[i].vkey, vis[i].v->value);
	}
	for (size_t i = 0; i < e->n_vars; i++) {
		char key[RMCP_FACT_KEY_MAX];
		int n = snprintf(key, sizeof(key), "env.var.%s", e->vars[i].name);
		if (n > 0 && (size_t)n < sizeof(key))
			SET(f, key, e->vars[i].value);
	}
	/* Per-node overrides that do not parse are as fatal to libhsakmt as a bad global one. */
	for (size_t i = 0; i < e->n_per_node; i++)
		if (e->per_node[i].o.set && !e->per_node[i].o.valid) {
			SET(f, "env.override", "invalid");
			SETF(f, "env.override.value", "%s (HSA_OVERRIDE_GFX_VERSION_%d)", e->per_node[i].o.value,
			     e->per_node[i].node);
		}
	return 0;
}

static int machine_facts(struct rmcp_diagnosis *d)
{
	const struct rmcp_machine *m = &d->machine;
	struct rmcp_facts *f = &d->facts;
	int rc;
	SET(f, "machine.sysroot", m->sysroot[0] ? m->sysroot : "/");
	SET(f, "machine.kernel", m->kernel_release);
	SET(f, "machine.amdgpu", yesno(m->amdgpu_loaded));
	SET(f, "machine.amdgpu_dkms", m->amdgpu_dkms_version);
	SET(f, "machine.amdgpu_module_installed", yesno(m->amdgpu_module[0] != '\0'));
	SET(f, "machine.amdgpu_module", m->amdgpu_module);
	SET(f, "machine.secure_boot", m->secure_boot == RMCP_SECURE_BOOT_ENABLED ? "enabled"
				      : m->secure_boot == RMCP_SECURE_BOOT_DISABLED ? "disabled" : "unknown");
	SET(f, "machine.kfd_topology", rmcp_fact_state_name(m->kfd_topology));
	SET(f, "machine.kfd_access", access_name(m->kfd_access));
	SET(f, "machine.kfd_group", m->kfd_group);
	SET(f, "machine.kfd_group_member", yesno(m->kfd_group_member));
	SET(f, "machine.kfd_group_listed", yesno(m->kfd_group_listed));
	SET(f, "machine.user", m->user);
	SET(f, "machine.container", yesno(m->in_container));
	SET(f, "machine.container_hint", m->container_hint);
	SET(f, "machine.hsakmt_init_fails", yesno(m->hsakmt_init_fails));
	SET(f, "machine.hsakmt_fail_reason", m->hsakmt_fail_reason);

	unsigned kfd_gpus = 0, visible = 0, distinct = 0;
	char seen_gfx[RMCP_FACT_VALUE_MAX] = "", families[RMCP_FACT_VALUE_MAX] = "";
	for (size_t i = 0; i < d->n_gpus; i++) {
		const struct rmcp_diag_gpu *g = &d->gpus[i];
		kfd_gpus += g->gpu->kfd == RMCP_FACT_OK;
		visible += g->visible;
		if (!rmcp_verdict_list_has(seen_gfx, g->gfx, strlen(g->gfx))) {
			distinct++;
			rmcp_verdict_list_add(seen_gfx, sizeof(seen_gfx), g->gfx);
		}
		const struct rmcp_target *t = gpu_target(g->gpu);
		const char *fam = t && t->family ? t->family : "unknown";
		if (!rmcp_verdict_list_has(families, fam, strlen(fam)))
			rmcp_verdict_list_add(families, sizeof(families), fam);
	}
	SETF(f, "machine.gpus", "%zu", d->n_gpus);
	SETF(f, "machine.kfd_gpus", "%u", kfd_gpus);
	SETF(f, "machine.visible_gpus", "%u", visible);
	SETF(f, "machine.hidden_gpus", "%u", d->hidden_gpus);
	SETF(f, "machine.gfx_distinct", "%u", distinct);
	SET(f, "machine.families", families);
	/* The one PyTorch build rmcp would install for this machine's GPUs (plan.h). */
	const char *gfx_list[32];
	size_t n_gfx = 0;
	for (size_t i = 0; i < d->n_gpus && n_gfx < 32; i++)
		if (strcmp(d->gpus[i].gfx, "unknown") != 0)
			gfx_list[n_gfx++] = d->gpus[i].gfx;
	struct rmcp_install in;
	unsigned served = 0;
	rmcp_install_machine(gfx_list, n_gfx, &in, &served);
	SET(f, "machine.install", in.cmd);
	SET(f, "machine.install_kind", in.kind);
	SET(f, "machine.install_sure", in.sure);
	if ((rc = log_facts(f, m)) < 0 || (rc = env_facts(f, &d->env)) < 0 || (rc = rmcp_verdict_software_facts(f, d)) < 0)
		return rc;
	for (size_t i = 0; i < m->n_params; i++) {
		char key[RMCP_FACT_KEY_MAX];
		int n = snprintf(key, sizeof(key), "param.%s", m->params[i].name);
		if (n > 0 && (size_t)n < sizeof(key))
			SET(f, key, m->params[i].value);
	}
	return 0;
}

static const char *kfd_word(enum rmcp_fact_state s, int node)
{
	if (node < 0)
		return "absent";
	return rmcp_fact_state_name(s);
}

static int gpu_facts(struct rmcp_diagnosis *d, size_t i)
{
	struct rmcp_diag_gpu *dg = &d->gpus[i];
	const struct rmcp_gpu *g = dg->gpu;
	struct rmcp_facts *f = &dg->facts;
	const struct rmcp_target *t = gpu_target(g);
	const struct rmcp_target *te = rmcp_target_by_name(dg->gfx_effective, strlen(dg->gfx_effective));
	char buf[64];
	int rc;
	SETF(f, "gpu.index", "%zu", i);
	SETF(f, "gpu.node", "%d", g->node);
	SETF(f, "gpu.hip_index", "%d", dg->hip_index);
	SET(f, "gpu.kfd", kfd_word(g->kfd, g->node));
	SET(f, "gpu.visible", yesno(dg->visible));
	SET(f, "gpu.gfx", dg->gfx);
	SET(f, "gpu.gfx_known", yesno(t != NULL));
	SET(f, "gpu.gfx_source", g->gfx_source);
	SET(f, "gpu.target_id", g->target_id[0] ? g->target_id : dg->gfx);
	SET(f, "gpu.family", t && t->family ? t->family : "unknown");
	SET(f, "gpu.gfx_effective", dg->gfx_effective);
	SET(f, "gpu.family_effective", te && te->family ? te->family : "unknown");
	const char *ov = "none";
	if (dg->override_invalid)
		ov = "invalid";
	else if (dg->override_source)
		ov = strcmp(dg->override_source, "HSA_OVERRIDE_GFX_VERSION") == 0 ? "global" : "node";
	SET(f, "gpu.override", ov);
	SET(f, "gpu.override_value", dg->override_value);
	SET(f, "gpu.override_var", dg->override_source ? dg->override_source : "");
	SETF(f, "gpu.override_node", "%d", g->hsakmt_node);
	SETF(f, "gpu.pci_id", "%04x:%04x", g->vendor_id ? g->vendor_id : 0x1002, g->device_id);
	if (g->name[0])
		SET(f, "gpu.name", g->name);
	else
		SETF(f, "gpu.name", "AMD GPU %04x:%04x", g->vendor_id ? g->vendor_id : 0x1002, g->device_id);
	SET(f, "gpu.pci_addr", g->pci_addr);
	SET(f, "gpu.asic", g->asic);
	SET(f, "gpu.apu", yesno(g->is_apu));
	SETF(f, "gpu.vram_bytes", "%llu", (unsigned long long)g->vram_bytes);
	rmcp_format_bytes(g->vram_bytes, buf, sizeof(buf));
	SET(f, "gpu.vram", buf);
	SETF(f, "gpu.cu", "%u", g->cu_count);
	SET(f, "gpu.large_bar", yesno(g->large_bar));
	SETF(f, "gpu.mec_fw", "%u", g->mec_fw);
	SETF(f, "gpu.atomics_fw_required", "%u", g->atomics_fw_required);
	SET(f, "gpu.atomics", !g->io_links_known ? "unknown" : (g->no_atomics_32 || g->no_atomics_64) ? "missing" : "ok");
	SET(f, "gpu.render_access", access_name(g->render_access));
	SET(f, "gpu.log_skipped", yesno(g->log_skipped_atomics));
	if ((rc = rmcp_verdict_support_facts(f, dg->gfx, dg->gfx_effective, g->atomics_fw_required)) < 0)
		return rc;
	return rmcp_verdict_coverage_facts(d, dg);
}


static void prepare_gpus(struct rmcp_diagnosis *d)
{
	d->n_gpus = d->machine.n_gpus < RMCP_MAX_GPUS ? d->machine.n_gpus : RMCP_MAX_GPUS;
	for (size_t i = 0; i < d->n_gpus; i++) {
		d->gpus[i].gpu = &d->machine.gpus[i];
		set_gfx(&d->gpus[i], &d->env);
	}
	set_visibility(d);
}

int rmcp_diagnosis_evaluate(struct rmcp_diagnosis *d, struct rmcp_err *err)
{
	if (!d->n_gpus && d->machine.n_gpus)
		prepare_gpus(d);
	if (!d->stack && d->n_stacks)
		d->stack = d->stacks[0];
	/* A GPU keeps only the stack read for its own processor: coverage judged for another
	 * GPU would say nothing true about it (its coverage facts are then "unknown"). */
	d->torch = rmcp_verdict_pick_torch(d);
	d->rocm = d->stack && d->stack->n_rocm ? 0 : -1;
	rmcp_facts_release(&d->facts);
	int rc = machine_facts(d);
	for (size_t i = 0; i < d->n_gpus && rc == 0; i++) {
		rmcp_facts_release(&d->gpus[i].facts);
		rc = gpu_facts(d, i);
	}
	if (rc < 0)
		return rmcp_err_set(err, rc, "collecting facts: %s", rmcp_strerror(rc));
	struct rmcp_facts *gf = NULL;
	if (d->n_gpus && !(gf = calloc(d->n_gpus, sizeof(*gf))))
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	/* The evaluator takes an array of stores; the GPUs' stores move there and back. */
	for (size_t i = 0; i < d->n_gpus; i++)
		gf[i] = d->gpus[i].facts;
	if (d->evaluated)
		rmcp_kb_result_release(&d->result);
	rc = rmcp_kb_evaluate(NULL, 0, &d->facts, gf, d->n_gpus, &d->result);
	for (size_t i = 0; i < d->n_gpus; i++)
		d->gpus[i].facts = gf[i];
	free(gf);
	if (rc < 0)
		return rmcp_err_set(err, rc, "evaluating the knowledge base: %s", rmcp_strerror(rc));
	d->evaluated = true;
	/* The next steps are the whole-machine plan, checked by re-diagnosing after it. */
	gf = NULL;
	if (d->n_gpus && !(gf = calloc(d->n_gpus, sizeof(*gf))))
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n_gpus; i++)
		gf[i] = d->gpus[i].facts;
	rc = rmcp_plan_make(&d->facts, gf, d->n_gpus, &d->result, &d->plan);
	free(gf);
	if (rc < 0)
		return rmcp_err_set(err, rc, "checking the plan: %s", rmcp_strerror(rc));
	rmcp_plan_to_steps(&d->plan, &d->result);
	return 0;
}

/* A variable of the judged environment (PATH to find python, HOME for ~/.local). */
static const char *env_value(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

static int read_stacks(const struct rmcp_diag_opts *o, struct rmcp_diagnosis *d, struct rmcp_err *err)
{
	bool live = !o->sysroot || !*o->sysroot || strcmp(o->sysroot, "/") == 0;
	char home[128] = "";
	/* A snapshot's user is the one its proc/self/status names (sysfs.h user); their home
	 * is assumed to be the usual one. */
	if (!live && d->machine.user[0])
		snprintf(home, sizeof(home), d->machine.uid == 0 ? "/root" : "/home/%s", d->machine.user);
	struct rmcp_stack_opts so = {
		.sysroot = o->sysroot,
		.torch_dirs = o->torch_dirs,
		.python_paths = o->python_paths,
		.path_env = env_value(o->envp, "PATH"),
		.cache_dir = o->cache_dir,
		.home = live ? env_value(o->envp, "HOME") : (home[0] ? home : NULL),
		.recorder = o->recorder,
	};
	/* One read per distinct (real target, effective) pair: coverage depends on both. */
	const char *keys[RMCP_DIAG_MAX_STACKS][2];
	for (size_t i = 0; i < d->n_gpus; i++) {
		struct rmcp_diag_gpu *dg = &d->gpus[i];
		if (strcmp(dg->gfx, "unknown") == 0)
			continue;
		const char *real = dg->gpu->target_id[0] ? dg->gpu->target_id : dg->gfx;
		for (size_t k = 0; k < d->n_stacks && !dg->stack; k++)
			if (strcmp(keys[k][0], real) == 0 && strcmp(keys[k][1], dg->gfx_effective) == 0)
				dg->stack = d->stacks[k];
		if (dg->stack || d->n_stacks == RMCP_DIAG_MAX_STACKS)
			continue;
		struct rmcp_stack *s = calloc(1, sizeof(*s));
		if (!s)
			return rmcp_err_set(err, -ENOMEM, "out of memory");
		so.real_gfx = real;
		so.effective_gfx = strcmp(dg->gfx_effective, "unknown") ? dg->gfx_effective : NULL;
		int rc = rmcp_stack_read(&so, s, err);
		if (rc < 0) {
			free(s);
			return rc;
		}
		keys[d->n_stacks][0] = real;
		keys[d->n_stacks][1] = dg->gfx_effective;
		d->stacks[d->n_stacks++] = s;
		dg->stack = s;
	}
	if (!d->n_stacks) {
		struct rmcp_stack *s = calloc(1, sizeof(*s));
		if (!s)
			return rmcp_err_set(err, -ENOMEM, "out of memory");
		int rc = rmcp_stack_read(&so, s, err);
		if (rc < 0) {
			free(s);
			return rc;
		}
		d->stacks[d->n_stacks++] = s;
	}
	d->stack = d->stacks[0];
	return 0;
}

int rmcp_diagnose(const struct rmcp_diag_opts *o, struct rmcp_diagnosis *d, struct rmcp_err *err)
{
	static char *const empty_env[] = { NULL };
	bool live = !o->sysroot || !*o->sysroot || strcmp(o->sysroot, "/") == 0;
	struct rmcp_machine_opts mo = {
		.sysroot = o->sysroot,
		.dmesg_file = o->dmesg_file,
		/* The live kernel log belongs to this machine, never to a snapshot. */
		.no_live_log = o->no_live_log || !live,
		.journalctl = o->journalctl,
	};
	int rc = rmcp_machine_read(&mo, &d->machine, err);
	if (rc < 0)
		return rc;
	rc = rmcp_env_read(o->envp ? o->envp : empty_env, &d->env, err);
	if (rc < 0)
		return rc;
	prepare_gpus(d);
	if (!o->skip_software && (rc = read_stacks(o, d, err)) < 0)
		return rc;
	return rmcp_diagnosis_evaluate(d, err);
}

void rmcp_diagnosis_release(struct rmcp_diagnosis *d)
{
	for (size_t i = 0; i < d->n_stacks; i++)
		free(d->stacks[i]);
	d->n_stacks = 0;
	d->stack = NULL;
	rmcp_facts_release(&d->facts);
	for (size_t i = 0; i < d->n_gpus; i++)
		rmcp_facts_release(&d->gpus[i].facts);
	if (d->evaluated)
		rmcp_kb_result_release(&d->result);
	d->evaluated = false;
}
