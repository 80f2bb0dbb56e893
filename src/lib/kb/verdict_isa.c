/* SPDX-License-Identifier: MIT */
/*
 * Doctor under an override (issue 4): the kernels of the judged PyTorch's libraries checked
 * as the real GPU would run them, with the ISA checker's fast path (isa.h, never LLVM). A
 * gfx1030 kernel that does not decode on a gfx1010 cannot run at all; one that decodes
 * differently computes something else; one with a gfx10.1 hazard (isa_hazard.c) trips over
 * a hardware bug LLVM works around for gfx101x only; the rest are ok, or unverified where
 * the detectors could not decide.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isa.h"
#include "stack_internal.h"
#include "sysroot.h"
#include "verdict_internal.h"
#include "banned.h"

struct isa_sum {
	size_t by[RMCP_ISA_INVALID + 1];
	size_t by_class[RMCP_ISA_HZ_NCLASSES];	/* kernels */
	size_t files;
	char by_lib[512];	/* "lib: N ok, N hazard, N invalid; ..." */
	size_t worst_bad;
	char worst[96];
	char errors[160];
};

/* Only the code objects the runtime would pick: those for the effective processor. */
static void add_file(const struct rmcp_isa_file *file, const struct rmcp_target_id *eff,
		     const char *base, struct isa_sum *sum)
{
	size_t bad = 0, any = 0, lib[RMCP_ISA_INVALID + 1] = { 0 };
	for (size_t i = 0; i < file->n_objects; i++) {
		const struct rmcp_isa_object *o = &file->objects[i];
		struct rmcp_target_id t;
		if (o->skip != RMCP_ISA_CHECKED ||
		    rmcp_target_id_parse(o->target, strlen(o->target), &t, NULL) < 0 ||
		    !rmcp_target_covers(&t, 0, eff))
			continue;
		for (int v = 0; v <= RMCP_ISA_INVALID; v++) {
			sum->by[v] += o->report.kernels_by_verdict[v];
			lib[v] += o->report.kernels_by_verdict[v];
			any += o->report.kernels_by_verdict[v];
		}
		for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
			sum->by_class[c] += o->report.kernels_by_class[c];
		bad += o->report.kernels_by_verdict[RMCP_ISA_INVALID] +
		       o->report.kernels_by_verdict[RMCP_ISA_DIFFERS];
	}
	if (any) {
		sum->files++;
		size_t o = strlen(sum->by_lib);
		if (o + 1 < sizeof(sum->by_lib))
			snprintf(sum->by_lib + o, sizeof(sum->by_lib) - o,
				 "%s%s: %zu ok, %zu hazard, %zu invalid, %zu differ, %zu unverified", o ? "; " : "", base,
				 lib[RMCP_ISA_OK], lib[RMCP_ISA_HAZARD], lib[RMCP_ISA_INVALID], lib[RMCP_ISA_DIFFERS],
				 lib[RMCP_ISA_UNVERIFIED]);
	}
	if (bad > sum->worst_bad) {
		sum->worst_bad = bad;
		snprintf(sum->worst, sizeof(sum->worst), "%s", base);
	}
}

static void check_file(const char *path, const char *base, const struct rmcp_target_id *real,
		       const struct rmcp_target_id *eff, struct isa_sum *sum)
{
	struct rmcp_isa_file file;
	struct rmcp_err err = { 0 };
	if (rmcp_isa_check_path(path, real, RMCP_ISA_FAST_ONLY | RMCP_ISA_NO_TEXT, &file, &err) < 0) {
		snprintf(sum->errors, sizeof(sum->errors), "%s: %s", base, err.msg);
		return;
	}
	add_file(&file, eff, base, sum);
	rmcp_isa_file_release(&file);
}

int rmcp_verdict_isa_facts(struct rmcp_facts *f, const char *sysroot, const struct rmcp_stack *s,
			   const char *torch_path, const char *gfx, const char *gfx_effective,
			   bool (*pick)(const struct rmcp_lib_coverage *l))
{
	struct rmcp_target_id real, eff;
	struct isa_sum sum = { 0 };
	int rc;
	bool applies = s && torch_path && strcmp(gfx, gfx_effective) != 0 &&
		       rmcp_isa_fast_supports(gfx_effective, gfx) &&
		       rmcp_target_id_parse(gfx, strlen(gfx), &real, NULL) == 0 &&
		       rmcp_target_id_parse(gfx_effective, strlen(gfx_effective), &eff, NULL) == 0;
	size_t tl = torch_path ? strlen(torch_path) : 0;
	/* The library paths are on the examined machine: resolved under the sysroot as the
	 * stack reader did when it scanned them (sysroot.h). */
	struct rmcp_path *sr = applies ? rmcp_path_new(sysroot, "/") : NULL;
	applies = applies && sr;
	for (size_t i = 0; applies && i < s->n_libs; i++) {
		const struct rmcp_lib_coverage *l = &s->libs[i];
		if (strcmp(l->owner, "torch") != 0 || strncmp(l->path, torch_path, tl) != 0 ||
		    (l->path[tl] != '/' && l->path[tl] != '\0') || !pick(l))
			continue;
		char path[PATH_MAX];
		if (rmcp_path_host(sr, l->path, path, sizeof(path)) < 0)
			continue;
		const char *base = strrchr(l->path, '/');
		check_file(path, base ? base + 1 : l->path, &real, &eff, &sum);
	}
	rmcp_path_free(sr);
	size_t total = 0;
	for (int v = 0; v <= RMCP_ISA_INVALID; v++)
		total += sum.by[v];
	size_t bad = sum.by[RMCP_ISA_INVALID] + sum.by[RMCP_ISA_DIFFERS];
	char classes[512] = "";
	for (int c = 0, o = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
		if (sum.by_class[c] && (size_t)o + 1 < sizeof(classes))
			o += snprintf(classes + o, sizeof(classes) - (size_t)o, "%s%s (%zu kernel%s)", o ? ", " : "",
				      rmcp_isa_hazard_name((enum rmcp_isa_hazard_class)c), sum.by_class[c],
				      sum.by_class[c] == 1 ? "" : "s");
	/* Round a non-zero share up: "0%" must mean none. */
	size_t pct = total ? (bad * 100 + total - 1) / total : 0;
	if ((rc = rmcp_facts_set(f, "gpu.isa_checked", applies && total ? "yes" : "no")) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_files", "%zu", sum.files)) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_kernels", "%zu", total)) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_invalid", "%zu", sum.by[RMCP_ISA_INVALID])) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_differs", "%zu", sum.by[RMCP_ISA_DIFFERS])) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_unverified", "%zu", sum.by[RMCP_ISA_UNVERIFIED])) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_hazard", "%zu", sum.by[RMCP_ISA_HAZARD])) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_ok", "%zu", sum.by[RMCP_ISA_OK])) < 0 ||
	    (rc = rmcp_facts_set(f, "gpu.isa_hazard_classes", classes)) < 0 ||
	    (rc = rmcp_facts_set(f, "gpu.isa_by_lib", sum.by_lib)) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_bad", "%zu", bad)) < 0 ||
	    (rc = rmcp_facts_setf(f, "gpu.isa_bad_pct", "%zu", pct)) < 0 ||
	    (rc = rmcp_facts_set(f, "gpu.isa_worst_lib", sum.worst)) < 0 ||
	    (rc = rmcp_facts_set(f, "gpu.isa_error", sum.errors)) < 0)
		return rc;
	return 0;
}
