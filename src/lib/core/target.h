/* SPDX-License-Identifier: MIT */
/*
 * AMDGPU processors and target IDs.
 * The table itself is data (data/targets.tsv, generated into target_table.c at build time);
 * this module answers lookups and the one question every command asks: does code built for
 * target X run on processor Y? Facts: research/binaries.md §2 and §2.1, detect.md §1.3.
 */
#ifndef RMCP_TARGET_H
#define RMCP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum rmcp_cap { RMCP_CAP_NO, RMCP_CAP_YES, RMCP_CAP_UNKNOWN };

/* dGPU or APU (AMDGPUUsage "AMDGPU Processors"; data/targets.tsv column apu). */
enum rmcp_apu {
	RMCP_APU_UNKNOWN,	/* no row in AMDGPUUsage yet, or a generic target */
	RMCP_APU_NO,		/* dGPU */
	RMCP_APU_YES,		/* APU: shares system memory with the CPU */
	RMCP_APU_MIXED,		/* both kinds (gfx942: MI300A APU, MI300X dGPU): ask KFD */
};

enum rmcp_target_status {
	RMCP_TARGET_CURRENT,	/* known to LLVM 22 */
	RMCP_TARGET_REMOVED,	/* reserved in LLVM 22 (gfx940, gfx941) */
	RMCP_TARGET_NEWER,	/* added after LLVM 22 */
};

struct rmcp_target {
	const char *name;		/* "gfx1010", "gfx10-1-generic" */
	uint32_t version;		/* KFD gfx_target_version; valid if version_known */
	bool version_known;
	uint16_t mach;			/* EF_AMDGPU_MACH_* */
	const char *family;		/* "RDNA1" ... */
	const char *generic;		/* generic target covering this processor, or NULL */
	uint8_t generic_min;		/* lowest generic version that covers it */
	enum rmcp_cap xnack, sramecc;
	enum rmcp_apu apu;
	enum rmcp_target_status status;
	bool is_generic;
	const char *chips;		/* products, for people; may be NULL */
};

extern const struct rmcp_target rmcp_target_table[];
extern const size_t rmcp_target_table_len;

const struct rmcp_target *rmcp_target_by_name(const char *name, size_t len);
const struct rmcp_target *rmcp_target_by_mach(unsigned mach);
const struct rmcp_target *rmcp_target_by_version(uint32_t version);

/*
 * Name a KFD gfx_target_version the way libhsakmt does: "gfx%d%x%x" of major, minor,
 * stepping (minor and stepping are hex digits: 90010 -> gfx90a). Works for versions the
 * table does not know. Returns the length written, or -RMCP_E_FORMAT if a field is out of
 * range: major > 63 (libhsakmt's limit), or minor/stepping > 15, which the one-hex-digit
 * naming cannot express unambiguously (10.1.16 and 10.11.0 would both read gfx10110).
 */
int rmcp_gfx_name(uint32_t version, char *buf, size_t len);

/*
 * Order two target IDs (or "target@version" tokens) for people: by the processor's
 * gfx_target_version from the table, so gfx900 < gfx90a < gfx1010 < gfx1100 (text order
 * puts gfx1100 before gfx900); a generic target right after the first processor it covers;
 * processors the table does not know last; ties and unknowns by text. strcmp-like result,
 * usable with qsort through a wrapper.
 */
int rmcp_target_cmp(const char *a, const char *b);

/* A feature setting in a target ID or code object (AMDGPUUsage "Target Features"). */
enum rmcp_feature {
	RMCP_FEAT_UNSPEC,	/* not mentioned: "any" for code, "unknown mode" for a GPU */
	RMCP_FEAT_OFF,		/* feature- */
	RMCP_FEAT_ON,		/* feature+ */
};

#define RMCP_PROC_MAX 32

/* A parsed target ID such as "gfx90a:sramecc+:xnack-" (AMDGPUUsage "Target ID"). */
struct rmcp_target_id {
	char proc[RMCP_PROC_MAX];		/* processor name as written */
	enum rmcp_feature xnack, sramecc;
	const struct rmcp_target *target;	/* NULL if the processor is unknown */
};

/*
 * Parse a target ID: processor, then ":feature+" / ":feature-" items. Unknown processors
 * parse (target = NULL: reported as unknown, never guessed); unknown features and
 * malformed text are -RMCP_E_FORMAT.
 */
int rmcp_target_id_parse(const char *s, size_t len, struct rmcp_target_id *out,
			 struct rmcp_err *err);

/* Canonical text: processor then features in alphabetical order. Returns length or < 0. */
int rmcp_target_id_format(const struct rmcp_target_id *id, char *buf, size_t len);

/*
 * Does code built for `code` run on a GPU of processor `gpu`? Same processor with
 * compatible features (a feature the GPU's mode is unspecified for matches either
 * setting), or a generic target that covers the processor. generic_version is the
 * code object's EF_AMDGPU_GENERIC_VERSION when known, else 0 (assumed to be 1, the first
 * and so far only version of every generic target).
 */
bool rmcp_target_covers(const struct rmcp_target_id *code, unsigned generic_version,
			const struct rmcp_target_id *gpu);

#endif
