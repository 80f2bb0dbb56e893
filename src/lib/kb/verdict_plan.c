/* SPDX-License-Identifier: MIT */
/*
 * Making the whole-machine plan (plan.h) from an evaluated machine. The plan is built in the
 * order a person would follow it, each stage on the state the earlier ones leave: remove the
 * overrides that make a GPU run another ISA group's code; install one PyTorch build for the GPUs
 * that lack code (keeping the ones that train served); set the sound overrides that build still
 * needs, globally only when every GPU is in the override's ISA group, else per node; and last,
 * on the re-diagnosed state, hide the GPUs that still cannot train.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"
#include "support.h"
#include "target.h"
#include "verdict_internal.h"
#include "banned.h"

/* ---- helpers shared with verdict_plan_check.c ---- */

const char *plan_fact(const struct rmcp_facts *f, const char *key)
{
	const char *v = f ? rmcp_facts_get(f, key) : NULL;
	return v ? v : "";
}

long plan_num(const struct rmcp_facts *f, const char *key)
{
	const char *v = plan_fact(f, key);
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	return end == v || *end || errno ? -1 : n;
}

bool plan_list_has(const char *list, const char *item)
{
	return rmcp_verdict_list_has(list, item, strlen(item));
}

void plan_env_init(struct plan_env *e, const struct rmcp_facts *m, const struct rmcp_facts *g, size_t n)
{
	memset(e, 0, sizeof(*e));
	e->n = n < PLAN_MAX_GPUS ? n : PLAN_MAX_GPUS;
	if (strcmp(plan_fact(m, "env.override"), "unset") != 0 && *plan_fact(m, "env.override.value") &&
	    !strchr(plan_fact(m, "env.override.value"), '(')) {
		e->global_set = true;
		snprintf(e->global, sizeof(e->global), "%s", plan_fact(m, "env.override.value"));
	}
	for (size_t i = 0; i < e->n; i++) {
		e->node[i] = plan_num(&g[i], "gpu.override_node");
		const char *var = plan_fact(&g[i], "gpu.override_var");
		if (strncmp(var, OVERRIDE_VAR "_", sizeof(OVERRIDE_VAR)) == 0) {
			e->node_set[i] = true;
			snprintf(e->node_val[i], sizeof(e->node_val[i]), "%s", plan_fact(&g[i], "gpu.override_value"));
		}
	}
}

const char *plan_env_value(const struct plan_env *e, size_t i, char *var, size_t cap)
{
	if (e->node_set[i]) {
		if (var)
			snprintf(var, cap, "%s_%ld", OVERRIDE_VAR, e->node[i]);
		return e->node_val[i];
	}
	if (e->global_set) {
		if (var)
			snprintf(var, cap, "%s", OVERRIDE_VAR);
		return e->global;
	}
	if (var && cap)
		var[0] = '\0';
	return NULL;
}

bool plan_env_step(struct plan_env *e, enum rmcp_plan_kind kind, const char *var, const char *value)
{
	bool set = kind == RMCP_PLAN_EXPORT;
	if (strcmp(var, OVERRIDE_VAR) == 0) {
		e->global_set = set;
		snprintf(e->global, sizeof(e->global), "%s", set ? value : "");
		return true;
	}
	if (strncmp(var, OVERRIDE_VAR "_", sizeof(OVERRIDE_VAR)) != 0)
		return false;
	char *end;
	long node = strtol(var + sizeof(OVERRIDE_VAR), &end, 10);
	for (size_t i = 0; i < e->n && !*end; i++)
		if (e->node[i] == node && node >= 0) {
			e->node_set[i] = set;
			snprintf(e->node_val[i], sizeof(e->node_val[i]), "%s", set ? value : "");
		}
	return true;
}

bool plan_override_gfx(const char *value, char *gfx, size_t cap)
{
	unsigned long part[3];
	const char *p = value;
	for (int k = 0; k < 3; k++) {
		char *end;
		errno = 0;
		part[k] = strtoul(p, &end, 10);
		if (end == p || errno || (k < 2 && *end != '.') || (k == 2 && *end))
			return false;
		p = end + 1;
	}
	if (part[0] > 63 || part[1] > 255 || part[2] > 255)
		return false;
	return rmcp_gfx_name((uint32_t)(part[0] * 10000 + part[1] * 100 + part[2]), gfx, cap) >= 0;
}

static bool list_covers(const char *list, const char *gfx)
{
	return plan_list_has(list, gfx) || plan_list_has(list, rmcp_isa_group(gfx));
}

bool plan_torch_carries(const struct rmcp_facts *m, const char *gfx)
{
	if (plan_num(m, "torch.rocm") < 1)
		return false;
	const char *lib = plan_fact(m, "torch.targets.libtorch_hip");
	const char *blas = rmcp_facts_get(m, "torch.targets.rocblas");
	return list_covers(lib, gfx) && (!blas || list_covers(blas, gfx));
}

/* ---- making the plan ---- */

struct maker {
	const struct rmcp_facts *m, *g;
	size_t n;
	const struct rmcp_kb_result *r;
	struct rmcp_plan *p;
	struct plan_env env;
	bool installs;			/* a GPU build replaces or adds PyTorch */
	struct rmcp_install inst;
};

static const char *gfx_of(const struct maker *k, size_t i)
{
	return plan_fact(&k->g[i], "gpu.gfx");
}

static struct rmcp_plan_step *add_step(struct rmcp_plan *p, enum rmcp_plan_kind kind, const char *id, int order,
				       int gpu, const char *var, const char *value)
{
	/* One step per variable: a later decision about it replaces the earlier one, so the plan
	 * never exports and unsets the same variable. */
	struct rmcp_plan_step *s = NULL;
	for (size_t i = 0; var && *var && i < p->n && !s; i++)
		if ((p->steps[i].kind == RMCP_PLAN_EXPORT || p->steps[i].kind == RMCP_PLAN_UNSET) &&
		    strcmp(p->steps[i].var, var) == 0)
			s = &p->steps[i];
	if (!s) {
		if (p->n == RMCP_PLAN_MAX_STEPS)
			return NULL;
		s = &p->steps[p->n++];
	}
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->id = id;
	s->order = order;
	s->gpu = gpu;
	snprintf(s->var, sizeof(s->var), "%s", var ? var : "");
	snprintf(s->value, sizeof(s->value), "%s", value ? value : "");
	return s;
}

static bool has_finding(const struct maker *k, size_t i, const char *ids)
{
	const char *f = plan_fact(&k->g[i], "gpu.findings");
	for (const char *p = ids; *p;) {
		size_t len = strcspn(p, ",");
		char id[64];
		snprintf(id, sizeof(id), "%.*s", (int)len, p);
		if (plan_list_has(f, id))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void name_gpu(const struct maker *k, size_t i, char *buf, size_t cap)
{
	snprintf(buf, cap, "GPU %zu (%s, %s)", i, plan_fact(&k->g[i], "gpu.name"), gfx_of(k, i));
}

/* Stage 1: remove overrides that run another ISA group's code or do not parse. */
static void clean_overrides(struct maker *k)
{
	for (size_t i = 0; i < k->env.n; i++) {
		bool bad = strcmp(plan_fact(&k->g[i], "gpu.override"), "invalid") == 0 ||
			   has_finding(k, i, "override-gfx103x-on-rdna1,override-foreign-family,override-isa-cannot-run");
		char var[64];
		const char *val = plan_env_value(&k->env, i, var, sizeof(var));
		if (!bad || !val)
			continue;
		char who[200];
		name_gpu(k, i, who, sizeof(who));
		struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_UNSET, "plan-unset", 1, (int)i, var, NULL);
		if (s && strcmp(plan_fact(&k->g[i], "gpu.override"), "invalid") == 0)
			snprintf(s->text, sizeof(s->text),
				 "unset %s (in your shell, ~/.profile and service files): libhsakmt rejects %s=%s "
				 "(not MAJOR.MINOR.STEP) and then ROCm sees no GPU at all", var, var, val);
		else if (s)
			snprintf(s->text, sizeof(s->text),
				 "unset %s (in your shell, ~/.profile and service files): with %s=%s %s runs %s code, "
				 "another ISA group's instruction set, which faults or hangs", var, var, val, who,
				 plan_fact(&k->g[i], "gpu.gfx_effective"));
		plan_env_step(&k->env, RMCP_PLAN_UNSET, var, NULL);
	}
	if (strcmp(plan_fact(k->m, "env.override"), "invalid") == 0 && k->env.global_set) {
		struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_UNSET, "plan-unset", 1, -1, OVERRIDE_VAR, NULL);
		if (s)
			snprintf(s->text, sizeof(s->text), "unset %s: libhsakmt rejects %s and then sees no GPU",
				 OVERRIDE_VAR, k->env.global);
		plan_env_step(&k->env, RMCP_PLAN_UNSET, OVERRIDE_VAR, NULL);
	}
}

/* Can the PyTorch this GPU will have (the planned install, else the current one) run it
 * natively? */
static bool carries(const struct maker *k, const char *gfx)
{
	return k->installs ? rmcp_install_carries(&k->inst, gfx) : plan_torch_carries(k->m, gfx);
}

/* The sound (or contested) override that lets the coming PyTorch run this GPU, NULL. */
static const char *sound_override(const struct maker *k, const char *gfx)
{
	const struct rmcp_support *s = rmcp_support_find(gfx);
	if (!s || !s->override || (s->override_ok != RMCP_OVR_SOUND && s->override_ok != RMCP_OVR_CONTESTED))
		return NULL;
	return carries(k, s->override_gfx) ? s->override : NULL;
}

/* A GPU ROCm enumerates: a KFD node libhsakmt keeps (not one dropped for a render node it
 * cannot open or a device cgroup): the others get no install, override or visibility step. */
static bool gpu_usable(const struct maker *k, size_t i)
{
	return strcmp(plan_fact(&k->g[i], "gpu.kfd"), "ok") == 0 && plan_num(&k->g[i], "gpu.override_node") >= 0;
}

/* Stage 2: one PyTorch build for the GPUs the current one (or none) cannot serve. */
static void plan_install(struct maker *k)
{
	bool has_torch = plan_num(k->m, "torch.rocm") >= 1;
	const char *list[PLAN_MAX_GPUS];
	size_t idx[PLAN_MAX_GPUS], nl = 0, n_need = 0;
	unsigned need = 0;
	for (size_t i = 0; i < k->env.n; i++) {
		const char *gfx = gfx_of(k, i);
		bool yes = i < k->r->n_gpus && k->r->gpu_verdict[i] == RMCP_VERDICT_YES;
		/* Without PyTorch every GPU gets install advice (a GPU KFD skips today may come back
		 * after a firmware update); with one, only GPUs KFD serves and it cannot. */
		if (yes || (has_torch && !gpu_usable(k, i)) || strcmp(gfx, "unknown") == 0)
			continue;
		if (has_torch && (plan_torch_carries(k->m, gfx) || sound_override(k, gfx)))
			continue;
		struct rmcp_install one;
		rmcp_install_choose(gfx, &one);
		if (has_torch && strcmp(one.kind, "cpu") == 0)
			continue;
		need |= 1u << i;
		n_need++;
	}
	if (!n_need)
		return;
	for (size_t i = 0; i < k->env.n; i++)
		if (need & (1u << i)) {
			idx[nl] = i;
			list[nl++] = gfx_of(k, i);
		}
	/* The build must also keep every GPU that trains now, or will once stage 1 removed its
	 * override: the ones the current PyTorch serves. */
	for (size_t i = 0; i < k->env.n; i++) {
		if (need & (1u << i))
			continue;
		bool yes = i < k->r->n_gpus && k->r->gpu_verdict[i] == RMCP_VERDICT_YES;
		bool served_now = has_torch && gpu_usable(k, i) &&
				  (plan_torch_carries(k->m, gfx_of(k, i)) || sound_override(k, gfx_of(k, i)));
		if (yes || served_now) {
			idx[nl] = i;
			list[nl++] = gfx_of(k, i);
		}
	}
	struct rmcp_install in;
	unsigned served = 0;
	rmcp_install_machine(list, nl, &in, &served);
	unsigned served_gpus = 0;
	for (size_t j = 0; j < nl; j++)
		if (served & (1u << j))
			served_gpus |= 1u << idx[j];
	unsigned yes_gpus = 0;
	for (size_t j = n_need; j < nl; j++)
		yes_gpus |= 1u << idx[j];
	char who[400] = "";
	for (size_t j = 0; j < n_need; j++) {
		size_t len = strlen(who);
		if (served & (1u << j))
			snprintf(who + len, sizeof(who) - len, "%sGPU %zu (%s)", len ? ", " : "", idx[j], list[j]);
	}
	if (strcmp(in.kind, "cpu") == 0) {
		if (has_torch)
			return;
		struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_INSTALL, "plan-install", 5, -1, NULL, "cpu");
		if (s) {
			snprintf(s->text, sizeof(s->text), "install PyTorch for the CPU: %s (%s)", in.cmd, in.sure);
			snprintf(s->sure, sizeof(s->sure), "%s", in.sure);
		}
		return;
	}
	if ((served_gpus & yes_gpus) != yes_gpus || !(served_gpus & need)) {
		/* No one build keeps the GPUs that train and adds these: say what each needs. */
		for (size_t j = 0; j < n_need; j++) {
			struct rmcp_install one;
			rmcp_install_choose(list[j], &one);
			struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_TEXT, "plan-note", 8, (int)idx[j], NULL, NULL);
			if (s)
				snprintf(s->text, sizeof(s->text),
					 "GPU %zu (%s) needs another PyTorch build than the GPUs that train now; "
					 "in a separate virtual environment: %s (%s)", idx[j], list[j], one.cmd, one.sure);
		}
		return;
	}
	k->installs = true;
	k->inst = in;
	struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_INSTALL, "plan-install", 5, -1, NULL, in.targets);
	if (!s)
		return;
	s->gpus_mask = served_gpus & need;
	snprintf(s->sure, sizeof(s->sure), "%s", in.sure);
	if (has_torch)
		snprintf(s->text, sizeof(s->text),
			 "install PyTorch with code for %s in a new virtual environment (PyTorch %s has none): %s (%s)",
			 who, plan_fact(k->m, "torch.version"), in.cmd, in.sure);
	else
		snprintf(s->text, sizeof(s->text), "install PyTorch with code for %s: %s (%s)", who, in.cmd, in.sure);
}

/* Does the override value leave GPU i running what it should: `want`, or its own code? */
static bool value_fits(const struct maker *k, size_t i, const char *cur, const char *want)
{
	if (want[0])
		return cur && strcmp(cur, want) == 0;
	char proc[24];
	return !cur || (plan_override_gfx(cur, proc, sizeof(proc)) && strcmp(proc, gfx_of(k, i)) == 0);
}

static void override_text(const struct maker *k, struct rmcp_plan_step *e, size_t i, const char *var,
			  const char *value, bool global)
{
	char who[200], proc[24] = "";
	name_gpu(k, i, who, sizeof(who));
	(void)plan_override_gfx(value, proc, sizeof(proc));
	const struct rmcp_support *s = rmcp_support_find(gfx_of(k, i));
	const char *ok = s && s->override && strcmp(s->override, value) == 0 ? rmcp_override_ok_name(s->override_ok)
									    : "unverified";
	if (global)
		snprintf(e->text, sizeof(e->text),
			 "export %s=%s before starting Python (rmcp run sets it): %s then runs %s code, the same "
			 "ISA group (%s override)", var, value, who, proc, ok);
	else
		snprintf(e->text, sizeof(e->text),
			 "export %s=%s (ROCm 6.2 and later; rmcp run sets it): only %s runs %s code, the same "
			 "ISA group (%s override); the other GPUs keep their own", var, value, who, proc, ok);
	snprintf(e->sure, sizeof(e->sure), "%s override", ok);
}

/* Stage 3: the overrides the coming PyTorch needs, and none it does not. */
static void plan_overrides(struct maker *k)
{
	char want[PLAN_MAX_GPUS][32];
	const char *value = NULL;
	char proc[24] = "";
	bool mixed = false;
	for (size_t i = 0; i < k->env.n; i++) {
		want[i][0] = '\0';
		if (!gpu_usable(k, i))
			continue;
		const char *gfx = gfx_of(k, i), *cur = plan_env_value(&k->env, i, NULL, 0);
		const char *ovr = carries(k, gfx) ? NULL : sound_override(k, gfx);
		/* An override the user chose within the GPU's group, which the plan replaces neither
		 * with native code nor with a known-sound one, stays (the findings judge it). */
		if (!ovr && cur && !carries(k, gfx) && !k->installs)
			ovr = cur;
		if (!ovr)
			continue;
		snprintf(want[i], sizeof(want[i]), "%s", ovr);
		mixed |= value && strcmp(value, ovr) != 0;
		value = value ? value : want[i];
	}
	/* A global override only when every GPU libhsakmt sees either wants it or is the processor
	 * it names: any other GPU would run that code too. */
	bool global_ok = value && !mixed && plan_override_gfx(value, proc, sizeof(proc));
	for (size_t i = 0; i < k->env.n && global_ok; i++)
		if (gpu_usable(k, i) && !want[i][0] && strcmp(gfx_of(k, i), proc) != 0)
			global_ok = false;
	char var[64];
	if (global_ok) {
		for (size_t i = 0; i < k->env.n; i++)
			if (gpu_usable(k, i) && k->env.node_set[i] && strcmp(k->env.node_val[i], value) != 0) {
				snprintf(var, sizeof(var), "%s_%ld", OVERRIDE_VAR, k->env.node[i]);
				struct rmcp_plan_step *u = add_step(k->p, RMCP_PLAN_UNSET, "plan-override", 6, (int)i, var, NULL);
				if (u)
					snprintf(u->text, sizeof(u->text), "unset %s: %s=%s covers that GPU", var,
						 OVERRIDE_VAR, value);
				plan_env_step(&k->env, RMCP_PLAN_UNSET, var, NULL);
			}
		if (!k->env.global_set || strcmp(k->env.global, value) != 0) {
			size_t who = 0;
			while (who < k->env.n && strcmp(want[who], value) != 0)
				who++;
			struct rmcp_plan_step *e = add_step(k->p, RMCP_PLAN_EXPORT, "plan-override", 6, (int)who,
							    OVERRIDE_VAR, value);
			if (e)
				override_text(k, e, who, OVERRIDE_VAR, value, true);
			plan_env_step(&k->env, RMCP_PLAN_EXPORT, OVERRIDE_VAR, value);
		}
		return;
	}
	/* Per node: first the global one goes if it runs the wrong code on a GPU without its own. */
	for (size_t i = 0; i < k->env.n && k->env.global_set; i++) {
		if (!gpu_usable(k, i) || k->env.node_set[i] || value_fits(k, i, k->env.global, want[i]))
			continue;
		char who[200];
		name_gpu(k, i, who, sizeof(who));
		struct rmcp_plan_step *u = add_step(k->p, RMCP_PLAN_UNSET, "plan-override", 6, (int)i, OVERRIDE_VAR, NULL);
		char gproc[24] = "";
		(void)plan_override_gfx(k->env.global, gproc, sizeof(gproc));
		if (u && k->installs && !want[i][0])
			snprintf(u->text, sizeof(u->text), "unset %s: %s gets native code from the PyTorch above, and "
				 "%s=%s would make ROCm load %s code instead", OVERRIDE_VAR, who, OVERRIDE_VAR,
				 k->env.global, gproc);
		else if (u)
			snprintf(u->text, sizeof(u->text), "unset %s: it applies to every GPU, and %s must not run "
				 "%s code", OVERRIDE_VAR, who, gproc);
		plan_env_step(&k->env, RMCP_PLAN_UNSET, OVERRIDE_VAR, NULL);
	}
	for (size_t i = 0; i < k->env.n; i++) {
		if (!gpu_usable(k, i))
			continue;
		const char *cur = plan_env_value(&k->env, i, NULL, 0);
		if (value_fits(k, i, cur, want[i]) || k->env.node[i] < 0)
			continue;
		snprintf(var, sizeof(var), "%s_%ld", OVERRIDE_VAR, k->env.node[i]);
		if (want[i][0]) {
			struct rmcp_plan_step *e = add_step(k->p, RMCP_PLAN_EXPORT, "plan-override", 6, (int)i, var, want[i]);
			if (e)
				override_text(k, e, i, var, want[i], false);
			plan_env_step(&k->env, RMCP_PLAN_EXPORT, var, want[i]);
		} else if (k->env.node_set[i]) {
			char who[200];
			name_gpu(k, i, who, sizeof(who));
			struct rmcp_plan_step *u = add_step(k->p, RMCP_PLAN_UNSET, "plan-override", 6, (int)i, var, NULL);
			if (u)
				snprintf(u->text, sizeof(u->text), "unset %s: %s %s", var, who,
					 k->installs ? "gets native code from the new PyTorch" : "has native code");
			plan_env_step(&k->env, RMCP_PLAN_UNSET, var, NULL);
		}
	}
}

/* Stage 4, on the diagnosis after the earlier stages: hide the GPUs that still cannot train. */
static int plan_hide(struct maker *k)
{
	enum rmcp_verdict after[PLAN_MAX_GPUS];
	int rc = rmcp_plan_check(k->m, k->g, k->env.n, k->r, k->p, after);
	if (rc < 0)
		return rc;
	if (strcmp(plan_fact(k->m, "env.rocr_visible"), "value") == 0)
		return 0;	/* indices would be relative to the user's ROCr list: leave it */
	char list[128] = "", keep[300] = "", drop[300] = "";
	int pos = 0;
	bool hide = false;
	for (size_t i = 0; i < k->env.n; i++) {
		if (!gpu_usable(k, i))
			continue;
		char who[200];
		name_gpu(k, i, who, sizeof(who));
		if (after[i] == RMCP_VERDICT_YES) {
			size_t l = strlen(list), w = strlen(keep);
			snprintf(list + l, sizeof(list) - l, "%s%d", l ? "," : "", pos);
			snprintf(keep + w, sizeof(keep) - w, "%s%s", w ? ", " : "", who);
		} else {
			size_t w = strlen(drop);
			snprintf(drop + w, sizeof(drop) - w, "%s%s", w ? ", " : "", who);
			hide = true;
		}
		pos++;
	}
	if (!hide || !list[0])
		return 0;
	struct rmcp_plan_step *s = add_step(k->p, RMCP_PLAN_EXPORT, "plan-hide", 7, -1, "HIP_VISIBLE_DEVICES", list);
	if (s)
		snprintf(s->text, sizeof(s->text),
			 "export HIP_VISIBLE_DEVICES=%s (rmcp run sets it): PyTorch then uses %s and not %s, "
			 "which cannot train", list, keep, drop);
	return 0;
}

int rmcp_plan_make(const struct rmcp_facts *machine, const struct rmcp_facts *gpus, size_t n_gpus,
		   const struct rmcp_kb_result *r, struct rmcp_plan *p)
{
	memset(p, 0, sizeof(*p));
	struct maker k = { .m = machine, .g = gpus, .n = n_gpus, .r = r, .p = p };
	plan_env_init(&k.env, machine, gpus, n_gpus);
	clean_overrides(&k);
	plan_install(&k);
	plan_overrides(&k);
	int rc = plan_hide(&k);
	if (rc < 0)
		return rc;
	return rmcp_plan_check(machine, gpus, n_gpus, r, p, NULL);
}
