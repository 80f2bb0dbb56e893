/* SPDX-License-Identifier: MIT */
/*
 * The environment profile `rmcp run` and `rmcp env` apply: which variables to set or remove
 * so a command runs the way the doctor's findings call for (docs/run.md). Rules are data
 * (data/profiles.tsv, compiled into profile_table.c by data/gen-profiles.py): finding or
 * processor -> set/unset a variable, with a reason and an evidence link. This module runs the
 * doctor (verdict.h) on the user's environment, applies the rules in three stages (clean,
 * fix, tune: profiles.tsv), and checks the result: whatever the table says, no GPU is left
 * running another ISA group's code (HSA_OVERRIDE_GFX_VERSION=10.3.0 on a gfx101x). The clean and
 * fix stages start from the doctor's whole-machine plan (plan.h): the same steps `rmcp doctor`
 * prints, checked there by re-diagnosing.
 * Never prints; its renderers (shell lines, JSON) are report/report_profile.c.
 */
#ifndef RMCP_PROFILE_H
#define RMCP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "kb.h"
#include "sysfs.h"

struct rmcp_env;

enum rmcp_profile_kind { RMCP_PROFILE_GPU, RMCP_PROFILE_CPU };
enum rmcp_profile_stage { RMCP_STAGE_CLEAN, RMCP_STAGE_FIX, RMCP_STAGE_TUNE, RMCP_STAGE_ALWAYS };
enum rmcp_profile_cond { RMCP_COND_ALWAYS, RMCP_COND_FINDING, RMCP_COND_GFX };
enum rmcp_profile_op { RMCP_PROFILE_SET, RMCP_PROFILE_UNSET };

/* One row of data/profiles.tsv. */
struct rmcp_profile_rule {
	const char *id;
	enum rmcp_profile_kind kind;
	enum rmcp_profile_stage stage;
	enum rmcp_profile_cond cond;
	const char *cond_arg;	/* finding ids separated by '|', or gfx names separated by ',' */
	enum rmcp_profile_op op;
	const char *name;	/* variable, or "{override_source}" */
	const char *value;	/* for set ("" is the empty string) */
	const char *why;
	const char *evidence;
};

extern const struct rmcp_profile_rule rmcp_profile_rules[];
extern const size_t rmcp_profile_rules_len;

const char *rmcp_profile_kind_name(enum rmcp_profile_kind k);	/* "gpu", "cpu" */
const char *rmcp_profile_stage_name(enum rmcp_profile_stage s);
const char *rmcp_profile_op_name(enum rmcp_profile_op op);	/* "set", "unset" */

/* --device auto|gpu|cpu */
enum rmcp_device_mode { RMCP_DEVICE_AUTO, RMCP_DEVICE_GPU, RMCP_DEVICE_CPU };
const char *rmcp_device_mode_name(enum rmcp_device_mode m);
int rmcp_device_mode_parse(const char *s, enum rmcp_device_mode *out);	/* 0 or -EINVAL */

#define RMCP_PROFILE_MAX_VARS 32
#define RMCP_PROFILE_VALUE_MAX 4096

struct rmcp_profile_var {
	char name[64];
	enum rmcp_profile_op op;
	char value[RMCP_PROFILE_VALUE_MAX];	/* set only */
	char rule[48];		/* profiles.tsv id, or "preload", "guard", "memory", "sysroot",
				 * "family-check" (the code-level override check) */
	char why[320];
	char evidence[200];	/* https link, "" */
	int gpu;		/* the GPU (index into gpus[]) the rule fired for, -1 */
};

struct rmcp_profile_gpu {
	char name[128];		/* marketing name, "" */
	char gfx[24];		/* real processor, "unknown" */
	char gfx_effective[24];	/* what the runtime loads code for under the profile */
	int hip_index;		/* under the profile, -1 if not visible */
	enum rmcp_verdict verdict;		/* the doctor's, under the user's environment */
	enum rmcp_verdict verdict_profile;	/* the doctor's, under the profile (GPU profile) */
};

struct rmcp_profile {
	enum rmcp_profile_kind kind;
	char reason[512];	/* one line: why this kind (printed by `run` on a fallback) */
	struct rmcp_profile_var vars[RMCP_PROFILE_MAX_VARS];
	size_t n_vars;
	size_t n_dropped;	/* rule outcomes not kept (RMCP_PROFILE_MAX_VARS) */
	struct rmcp_profile_gpu gpus[RMCP_MAX_GPUS];
	size_t n_gpus;
	bool diagnosed;		/* the doctor ran (GPU profile); verdicts and summaries valid */
	enum rmcp_verdict verdict, verdict_profile;
	char summary[RMCP_KB_TEXT_MAX], summary_profile[RMCP_KB_TEXT_MAX];
	/* The PyTorch the doctor judged, as a path on this machine (sysroot included), and
	 * whether it bundles its own ROCm (then its torch/lib runtime is the one to probe). */
	char torch_dir[512];
	bool torch_bundles_rocm;
	char preload[RMCP_PROFILE_VALUE_MAX];	/* librmcp.so preloaded, "" */
};

struct rmcp_profile_opts {
	const char *sysroot;		/* NULL = "/" */
	char *const *envp;		/* the user's environment (NULL-terminated) */
	const char *const *torch_dirs;	/* --torch DIR..., NULL-terminated, may be NULL */
	const char *const *python_paths;	/* --python PATH..., may be NULL */
	const char *cache_dir;		/* doctor's scan cache, NULL = none */
	const char *preload;		/* librmcp.so to preload, NULL = none found */
	const char *guard;		/* RMCP_GUARD for the preload, NULL = "block"; "off" = no preload */
	const char *memory;		/* RMCP_MEMORY, NULL = not set by the profile */
};

/*
 * The GPU profile for this machine: runs the doctor on o->envp, then the profiles.tsv rules
 * (clean on that diagnosis, fix on the diagnosis after clean, tune on the diagnosis of the
 * final environment), then the family check, then the preload variables. p is overwritten
 * (it is large: allocate it). Returns 0 or a negative code (err says why).
 */
int rmcp_profile_build_gpu(const struct rmcp_profile_opts *o, struct rmcp_profile *p,
			   struct rmcp_err *err);

/*
 * Turn p into the CPU profile (the cpu rows of profiles.tsv), keeping what the doctor said
 * about the GPUs; reason (one line) says why. p may be zeroed (--device cpu: no doctor).
 */
void rmcp_profile_make_cpu(struct rmcp_profile *p, const char *reason);

/* envp with the profile applied (set replaces or adds, unset removes), as a new
 * NULL-terminated array of new strings; *out freed with rmcp_envp_free. 0 or -ENOMEM. */
int rmcp_profile_apply(const struct rmcp_profile *p, char *const *envp, char ***out);
void rmcp_envp_free(char **envp);

/*
 * The family check: for every GPU of m whose processor is known, the gfx the runtime would
 * load code for under e (libhsakmt's rule, env.h) must be the GPU's own or one of the same
 * ISA group (the generic column of data/targets.tsv), never another group's (10.3.0 on a
 * gfx101x; 11.0.0 on a gfx1151 stays within gfx11-generic). Returns the
 * number of GPUs that fail; for the first, *var (optional) is the variable responsible and
 * why (optional) says what would happen.
 */
int rmcp_override_family_check(const struct rmcp_machine *m, const struct rmcp_env *e,
			       const char **var, char *why, size_t cap);

/* ---- choosing the device (profile_auto.c) ---- */

struct rmcp_probe_result;

struct rmcp_profile_auto {
	enum rmcp_device_mode mode;
	int device;		/* the HIP device the probe checks (PyTorch's cuda:0 is 0) */
	double timeout_s;	/* the probe's watchdog */
	bool use_cache;		/* a cached probe for the same fingerprint is good enough */
	const char *cache_dir;	/* probe cache, NULL = none */
	/* ---- added for issue 12 ---- */
	void (*progress)(void *ctx, int step, double elapsed_s);	/* rmcp_probe_opts.progress */
	void *progress_ctx;
};

/*
 * The profile for --device: cpu is the CPU profile (no doctor); gpu is the GPU profile;
 * auto is the GPU profile if the probe, run under the GPU profile's environment against the
 * runtime the user's stack loads (the judged PyTorch's torch/lib when it bundles ROCm, else
 * ROCm's, else the system's), passes on a.device; otherwise (or with no AMD GPU at all) the
 * CPU profile, whose reason says why. *probed says whether probe was filled in (it may be
 * NULL). Returns 0 or a negative code.
 */
int rmcp_profile_resolve(const struct rmcp_profile_opts *o, const struct rmcp_profile_auto *a,
			 struct rmcp_profile *p, struct rmcp_probe_result *probe, bool *probed,
			 struct rmcp_err *err);

/*
 * librmcp.so for the preload: $RMCP_PRELOAD if set (from envp), else next to this rmcp
 * (/proc/self/exe): the build tree's src/preload/librmcp.so, then the installed
 * ../<libdir>/rmcp/librmcp.so, then <prefix>/<libdir>/rmcp/librmcp.so. Returns 0 and the path,
 * or -ENOENT.
 */
int rmcp_preload_find(char *const *envp, char *buf, size_t cap);

/* ---- rendering ---- */

enum rmcp_shell { RMCP_SHELL_SH, RMCP_SHELL_FISH };
int rmcp_shell_parse(const char *s, enum rmcp_shell *out);	/* "sh", "fish": 0 or -EINVAL */

/* The renderers (shell lines, JSON) are in report_profile.h. */

#endif
