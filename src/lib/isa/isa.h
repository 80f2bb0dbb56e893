/* SPDX-License-Identifier: MIT */
/*
 * src/lib/isa/ -- per-kernel ISA verdicts: the table-driven gfx10 fast path, the LLVM oracle,
 * the verdict cache and the code-object walk (isa_*.c). isa may include core and formats.
 */
/*
 * Per-kernel ISA check: can code built for one AMD GPU run on another?
 *
 * HSA_OVERRIDE_GFX_VERSION=10.3.0 makes a gfx1010 load gfx1030 code (research/binaries.md
 * §2.1, §4). This module decodes a code object's kernels as the real GPU would and gives a
 * verdict per kernel:
 *   invalid     an instruction does not decode for the real GPU (v_dot*, *_addtid, BVH ...)
 *   differs     an instruction decodes to other text (v_fmac_legacy_f32 runs as
 *               v_mac_legacy_f32, hwreg(HW_REG_SHADER_CYCLES) reads hwreg 29, ...)
 *   hazard      decodes identically, but contains a pattern one of the real GPU's hardware
 *               bugs trips over and its compiler would have worked around (gfx10.1 code
 *               running gfx10.3 code: isa_hazard.c, one detector per LLVM bug feature)
 *   unverified  decodes identically, but something could not be decided: an instruction
 *               could not be judged (n_undecodable, n_unknown), or no hazard detector exists
 *               for this pair of GPUs (see the kernel's reason)
 *   ok          decodes identically and no known hazard: none of the real GPU's workarounds
 *               is missing, or the detectors found no place that needs one
 *
 * Two engines give the same verdicts: the LLVM-C disassembler (LLVM 19, the oracle; only
 * when rmcp is built with LLVM) and a table-driven gfx10 walker (the fast path; tables in
 * data/isa/gfx10_table.c, generated from the oracle by tools/gen-isa-table.c). The fast
 * path needs no LLVM and no allocation per instruction, so librmcp.so can use it.
 *
 * Typical use (doctor, the librmcp.so guard):
 *
 *	struct rmcp_target_id gpu;		// the real GPU, e.g. from sysfs: gfx1010
 *	struct rmcp_isa_report rep;
 *	struct rmcp_err err;
 *	if (rmcp_isa_check(co, co_len, &gpu, 0, &rep, &err) == 0) {
 *		for (size_t i = 0; i < rep.n_kernels; i++)
 *			if (rep.kernels[i].verdict == RMCP_ISA_INVALID) ...refuse rep.kernels[i].name
 *		rmcp_isa_report_release(&rep);
 *	}
 *
 * Results can be cached by code object content (rmcp_isa_cache_key, rmcp_isa_report_encode /
 * _decode, rmcp_isa_cache_load / _store): see the end of this header.
 */
#ifndef RMCP_ISA_H
#define RMCP_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "target.h"

/* Ordered by severity: a code object's verdict is its worst kernel's. */
enum rmcp_isa_verdict {
	RMCP_ISA_OK,
	RMCP_ISA_UNVERIFIED,
	RMCP_ISA_HAZARD,
	RMCP_ISA_DIFFERS,
	RMCP_ISA_INVALID,
};

const char *rmcp_isa_verdict_name(enum rmcp_isa_verdict v);

enum rmcp_isa_engine {
	RMCP_ISA_ENGINE_FAST,	/* table-driven walker (isa_fast.c) */
	RMCP_ISA_ENGINE_ORACLE,	/* LLVM-C disassembler (isa_llvm.c) */
};

const char *rmcp_isa_engine_name(enum rmcp_isa_engine e);

/* What is wrong with one instruction, in increasing severity. */
enum rmcp_isa_insn_kind {
	RMCP_ISA_INSN_UNKNOWN,		/* the fast path has no rule and LLVM is not built in */
	RMCP_ISA_INSN_UNDECODABLE,	/* does not decode even for the code's own target */
	RMCP_ISA_INSN_DIFFERS,
	RMCP_ISA_INSN_INVALID,
};

const char *rmcp_isa_insn_kind_name(enum rmcp_isa_insn_kind k);

/*
 * gfx10.1 hardware bugs LLVM works around when compiling for gfx1010..gfx1013 and not for
 * gfx103x (AMDGPU.td, LLVM 19.1.7: FeatureISAVersion10_1_Common). Names are LLVM's
 * subtarget feature names; docs/override.md explains each one.
 */
enum rmcp_isa_hazard_class {
	RMCP_ISA_HZ_VMEM_TO_SCALAR_WRITE,
	RMCP_ISA_HZ_SMEM_TO_VECTOR_WRITE,
	RMCP_ISA_HZ_VCMPX_EXEC_WAR,
	RMCP_ISA_HZ_VCMPX_PERMLANE,
	RMCP_ISA_HZ_LDS_BRANCH_VMEM_WAR,
	RMCP_ISA_HZ_NSA_TO_VMEM,
	RMCP_ISA_HZ_NSA_CLAUSE,
	RMCP_ISA_HZ_OFFSET_3F,
	RMCP_ISA_HZ_FLAT_SEGMENT_OFFSET,
	RMCP_ISA_HZ_INST_FWD_PREFETCH,
	RMCP_ISA_HZ_NEG_UNALIGNED_SCRATCH_OFFSET,
	RMCP_ISA_HZ_LDS_MISALIGNED,
	RMCP_ISA_HZ_NCLASSES
};

/* LLVM feature name ("vmem-to-scalar-write-hazard"); NULL outside the enum. */
const char *rmcp_isa_hazard_name(enum rmcp_isa_hazard_class c);
/* What LLVM emits for gfx10.1 at that place instead (one line). */
const char *rmcp_isa_hazard_fix(enum rmcp_isa_hazard_class c);
/* Class of a feature name, or -1. */
int rmcp_isa_hazard_from_name(const char *name);

/* One hazard place: the instruction LLVM would have changed or preceded with a fix, and
 * the earlier instruction that makes it a hazard (the same one for single-instruction
 * classes). possible: the pattern depends on run-time values or on control flow the
 * detector could not follow (lds-misaligned with an address of unknown alignment, a search
 * over its budget); reported, never dropped. */
struct rmcp_isa_hazard {
	uint64_t addr, other_addr;	/* ELF virtual addresses */
	uint8_t cls;			/* enum rmcp_isa_hazard_class */
	bool possible;
	char text[48], other_text[48];	/* mnemonics */
};

#define RMCP_ISA_TEXT_MAX 128

struct rmcp_isa_insn {
	uint64_t addr;			/* ELF virtual address, as llvm-objdump prints it */
	uint8_t bytes[16];
	uint8_t len;			/* bytes used in bytes[] */
	enum rmcp_isa_insn_kind kind;
	char text[RMCP_ISA_TEXT_MAX];	/* as the code's own target decodes it ("" if it cannot);
					 * the fast path without LLVM gives the mnemonic only */
	char real_text[RMCP_ISA_TEXT_MAX]; /* as the real GPU decodes it ("" if it cannot) */
};

struct rmcp_isa_kernel {
	char *name;			/* symbol name, without ".kd" */
	bool is_kernel;			/* has a kernel descriptor; false: a device function */
	bool wave64;			/* from the kernel descriptor (gfx10 runs wave32 or wave64) */
	bool wgp_mode;			/* COMPUTE_PGM_RSRC1.WGP_MODE (true for functions) */
	uint64_t addr, size;		/* code range: ELF virtual address and length */
	uint64_t n_insns;
	uint64_t n_invalid, n_differs, n_undecodable, n_unknown;
	enum rmcp_isa_verdict verdict;
	bool has_first;			/* first is set: the first offending instruction */
	struct rmcp_isa_insn first;
	/* Hazard detectors (when the real GPU needs workarounds the code's target lacks). */
	bool hazards_checked;
	uint64_t n_hazards, n_possible;	/* places; n_possible of them not proven */
	uint32_t n_by_class[RMCP_ISA_HZ_NCLASSES];
	uint32_t first_by_class[RMCP_ISA_HZ_NCLASSES];	/* offset + 1 of each class's first place */
	bool has_hazard;		/* hazard: the first place (a proven one if any) */
	struct rmcp_isa_hazard hazard;
	char reason[96];		/* unverified: why ("" otherwise) */
};

struct rmcp_isa_report {
	char code_target[64];		/* target ID the code object states */
	char real_target[64];		/* the GPU it was checked for */
	enum rmcp_isa_engine engine;
	bool same_isa;			/* decoding is identical by construction: nothing walked */
	bool needs_workarounds;		/* the real GPU has hazards the code's target does not */
	char workarounds[384];		/* their LLVM feature names, space-separated */
	struct rmcp_isa_kernel *kernels;	/* sorted by name */
	size_t n_kernels;
	uint64_t n_insns, n_invalid, n_differs, n_undecodable, n_unknown;
	size_t kernels_by_verdict[RMCP_ISA_INVALID + 1];
	enum rmcp_isa_verdict verdict;	/* worst kernel */
	bool hazards_checked;		/* the detectors ran (gfx10.3 code on a gfx10.1 GPU) */
	uint64_t hazards_by_class[RMCP_ISA_HZ_NCLASSES];	/* places */
	size_t kernels_by_class[RMCP_ISA_HZ_NCLASSES];		/* kernels with >= 1 place */
	/* RMCP_ISA_CROSSCHECK: instructions where the engines disagree (length or kind). */
	uint64_t n_disagree;
	uint64_t first_disagree;	/* its address */
};

/* rmcp_isa_check flags */
#define RMCP_ISA_USE_ORACLE	0x1u	/* decode with LLVM instead of the fast path */
#define RMCP_ISA_NO_TEXT	0x2u	/* fast path: do not ask LLVM for offenders' full text */
#define RMCP_ISA_FAST_ONLY	0x8u	/* never call LLVM (librmcp.so): keys the table leaves to
					 * the oracle count as unknown, texts are mnemonics */
#define RMCP_ISA_NO_HAZARDS	0x10u	/* skip the hazard detectors (benchmarks): kernels that
					 * need workarounds stay unverified */
#define RMCP_ISA_CROSSCHECK	0x4u	/* also step the oracle in lockstep with the fast path and
					 * count disagreements per instruction (n_disagree) */

/* Was rmcp built with the LLVM-C oracle? */
bool rmcp_isa_have_oracle(void);

/* LLVM version of the oracle ("19.1.7"), or NULL without it; and of the fast path's table. */
const char *rmcp_isa_oracle_version(void);
const char *rmcp_isa_table_version(void);

/* Can the fast path check code for `code` on `real` (both gfx10 processors it knows)? */
bool rmcp_isa_fast_supports(const char *code_proc, const char *real_proc);

/*
 * Check every kernel (and device function) of one code object for the GPU `real_gpu`.
 * Returns 0 and fills *out (release with rmcp_isa_report_release), or a negative code:
 * -RMCP_E_FORMAT/-RMCP_E_TRUNC for a malformed code object, -RMCP_E_UNSUPPORTED when
 * neither engine can decode this pair (e.g. gfx90a code without LLVM), -RMCP_E_NOLIB for
 * RMCP_ISA_USE_ORACLE without LLVM. Never prints; safe on any bytes.
 */
int rmcp_isa_check(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
		   unsigned flags, struct rmcp_isa_report *out, struct rmcp_err *err);
void rmcp_isa_report_release(struct rmcp_isa_report *r);

/* The kernel named `name` in a report, or NULL (binary search: kernels are sorted). */
const struct rmcp_isa_kernel *rmcp_isa_find_kernel(const struct rmcp_isa_report *r,
						   const char *name);

/* ---- code objects inside files ---- */

/* Why a code object in a file was not walked. */
enum rmcp_isa_skip {
	RMCP_ISA_CHECKED,
	RMCP_ISA_SKIP_NATIVE,		/* built for the real GPU (or a generic target covering it) */
	RMCP_ISA_SKIP_OTHER_FAMILY,	/* another generation: never an override candidate */
	RMCP_ISA_SKIP_BITCODE,		/* -fgpu-rdc bitcode, not machine code */
	RMCP_ISA_SKIP_ERROR,		/* could not be read or checked: see error */
};

const char *rmcp_isa_skip_name(enum rmcp_isa_skip s);

struct rmcp_isa_object {
	uint32_t bundle;		/* bundle index in the file (0 for raw code objects) */
	char *id;			/* bundle entry ID, or NULL for a raw code object */
	char target[64];		/* target ID of the code object */
	enum rmcp_isa_skip skip;
	char *error;			/* with RMCP_ISA_SKIP_ERROR */
	struct rmcp_isa_report report;	/* with RMCP_ISA_CHECKED */
};

struct rmcp_isa_file {
	struct rmcp_isa_object *objects;
	size_t n_objects;
	size_t checked;			/* objects with a report */
	size_t kernels_by_verdict[RMCP_ISA_INVALID + 1];
	enum rmcp_isa_verdict verdict;	/* worst checked object; OK if none */
	char *error;			/* the file as a whole could not be walked */
	bool not_on_disk;		/* error is only that: a wheel/archive member (CLI) */
};

/*
 * Find every code object in a host ELF (.hip_fatbin), offload bundle, compressed bundle or
 * raw code object, and check those an override could make `real_gpu` run: same generation
 * (gfx10.x for a gfx10.x GPU), not natively compatible. Native and other-family objects are
 * listed as skipped. Returns 0 (problems are in out->error / objects[i].error) or -ENOMEM.
 */
int rmcp_isa_check_buffer(const void *buf, size_t len, const struct rmcp_target_id *real_gpu,
			  unsigned flags, struct rmcp_isa_file *out);
void rmcp_isa_file_release(struct rmcp_isa_file *f);
/*
 * rmcp_isa_check_buffer on the file at path (rmcpcore only, not librmcp.so: isa_path.c).
 * 0 with out filled (release it), or negative with err set: the file cannot be opened or
 * mapped, or -RMCP_E_CHANGED "file changed while being read" when it shrank meanwhile.
 */
int rmcp_isa_check_path(const char *path, const struct rmcp_target_id *real_gpu, unsigned flags,
			struct rmcp_isa_file *out, struct rmcp_err *err);

/* ---- result cache (for librmcp.so's guard: do not re-check gigabytes at each start) ---- */

/*
 * Cache key: a content hash of the code object (XXH64 with two seeds, 128 bits) plus its
 * length, the real GPU and the flags, as 48 lowercase hex digits + NUL (a file name).
 */
#define RMCP_ISA_KEY_LEN 49
int rmcp_isa_cache_key(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
		       unsigned flags, char key[RMCP_ISA_KEY_LEN]);

/* XXH64 of buf (the reference algorithm, https://github.com/Cyan4973/xxHash, spec v0.1.1). */
uint64_t rmcp_xxh64(const void *buf, size_t len, uint64_t seed);

/*
 * Compact serialisation of a report (little-endian, versioned, names included). encode
 * returns 0 and a malloc'd buffer; decode is bounds-checked (a parser over bytes: fuzzed by
 * tests/fuzz/fuzz_isa.c) and fails with -RMCP_E_FORMAT/-RMCP_E_TRUNC on anything else.
 */
int rmcp_isa_report_encode(const struct rmcp_isa_report *r, void **buf, size_t *len);
int rmcp_isa_report_decode(const void *buf, size_t len, struct rmcp_isa_report *out,
			   struct rmcp_err *err);

/*
 * Cache directory per the XDG base directory spec: $XDG_CACHE_HOME/rmcp/isa, else
 * $HOME/.cache/rmcp/isa. Values are passed in (the preload must not call getenv in a hook).
 * Returns the length, or -RMCP_E_LIMIT / -ENOENT (neither variable set).
 */
int rmcp_isa_cache_dir(const char *xdg_cache_home, const char *home, char *buf, size_t size);

/* Load a cached report (-ENOENT if absent; a corrupt entry, or one whose recorded key is not
 * key, is an error, not a crash; -RMCP_E_UNTRUSTED for a directory or entry not the user's
 * alone) or store one (mkdir -p, a temporary file by fsutil.h's rmcp_safe_write, rename:
 * readers never see half a file). */
int rmcp_isa_cache_load(const char *dir, const char key[RMCP_ISA_KEY_LEN],
			struct rmcp_isa_report *out, struct rmcp_err *err);
int rmcp_isa_cache_store(const char *dir, const char key[RMCP_ISA_KEY_LEN],
			 const struct rmcp_isa_report *r, struct rmcp_err *err);

#endif
