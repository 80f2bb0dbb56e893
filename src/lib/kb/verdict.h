/* SPDX-License-Identifier: MIT */
/*
 * The doctor's pipeline: read the machine (sysfs.h), the environment (env.h) and the software
 * (stack.h), turn them into the knowledge base's facts (data/kb/facts.tsv), run the rules
 * (kb.h) and keep everything a renderer (report_doctor.h) or `rmcp advise` needs. Never
 * prints; never opens /dev/kfd; never starts HIP.
 */
#ifndef RMCP_VERDICT_H
#define RMCP_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "env.h"
#include "error.h"
#include "kb.h"
#include "plan.h"
#include "stack.h"
#include "sysfs.h"

struct rmcp_diag_opts {
	const char *sysroot;		/* NULL or "/" = this machine */
	const char *dmesg_file;		/* a saved kernel log (--dmesg FILE) */
	bool no_live_log;		/* never read /dev/kmsg or syslog (forced for a snapshot sysroot) */
	char *const *envp;		/* the environment to judge (NULL-terminated); NULL = empty */
	const char *const *torch_dirs;	/* --torch DIR..., NULL-terminated, may be NULL */
	const char *const *python_paths;	/* --python PATH..., NULL-terminated, may be NULL */
	const char *cache_dir;		/* scan cache directory, NULL = no cache */
	bool skip_software;		/* do not look for ROCm/PyTorch (advise with --no-doctor) */
	/* ---- added for issue 12 ---- */
	const struct rmcp_stack_recorder *recorder;	/* rmcp capture: what the stack reader touched */
	const char *journalctl;		/* rmcp_machine_opts.journalctl */
};

/* One GPU as the doctor sees it. */
struct rmcp_diag_gpu {
	const struct rmcp_gpu *gpu;	/* into rmcp_diagnosis.machine */
	char gfx[24];			/* real processor, "unknown" */
	char gfx_effective[24];		/* what the runtime loads code for, "unknown" */
	const char *override_source;	/* variable name, NULL if none */
	char override_value[64];	/* its value, "" */
	bool override_invalid;		/* set but not MAJOR.MINOR.STEP: the runtime fails */
	bool visible;			/* the runtime would use it */
	int hip_index;			/* HIP device index, -1 if not visible */
	const struct rmcp_stack *stack;	/* software with coverage for this GPU, NULL if none read */
	struct rmcp_facts facts;	/* gpu.* facts (after evaluation: gpu.findings, gpu.verdict) */
};

#define RMCP_DIAG_MAX_STACKS 8

struct rmcp_diagnosis {
	struct rmcp_machine machine;
	struct rmcp_env env;
	struct rmcp_stack *stacks[RMCP_DIAG_MAX_STACKS];	/* one per distinct (gfx, effective) */
	size_t n_stacks;
	const struct rmcp_stack *stack;	/* the first: installs for the software section, or NULL */
	int torch;			/* index of the judged PyTorch in stack->torch, -1 */
	int rocm;			/* index of the ROCm install reported, -1 */
	struct rmcp_facts facts;	/* machine.* and the other global facts */
	struct rmcp_diag_gpu gpus[RMCP_MAX_GPUS];
	size_t n_gpus;
	unsigned hidden_gpus;		/* usable GPUs that *_VISIBLE_DEVICES filter out */
	struct rmcp_kb_result result;	/* next steps: the plan's (plan.h), merged with the KB's text steps */
	struct rmcp_plan plan;		/* the whole-machine plan and its check */
	bool evaluated;
};

/*
 * Read facts and run the knowledge base. d must be zeroed (it is large: allocate it).
 * Per-fact failures are facts (states), not errors; returns 0, or a negative code for
 * resource errors and for a software scan that could not run at all (err says which).
 */
int rmcp_diagnose(const struct rmcp_diag_opts *opts, struct rmcp_diagnosis *d, struct rmcp_err *err);

/*
 * The same from facts already read (tests, and librmcp.so later): d->machine and d->env
 * filled in, stacks[] optional. Derives the facts and evaluates the rules.
 */
int rmcp_diagnosis_evaluate(struct rmcp_diagnosis *d, struct rmcp_err *err);

void rmcp_diagnosis_release(struct rmcp_diagnosis *d);

/* Exit status of `rmcp doctor` for a verdict: 0 yes, 1 workaround, 3 no. */
int rmcp_verdict_exit_code(enum rmcp_verdict v);

/* "6.0 GiB" for people. */
void rmcp_format_bytes(unsigned long long bytes, char *buf, size_t cap);

#endif
