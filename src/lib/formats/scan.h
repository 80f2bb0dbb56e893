/* SPDX-License-Identifier: MIT */
/*
 * src/lib/formats/ -- files to code objects: offload bundles (bundle.h), compressed bundles
 * (ccob.h), AMDGPU code objects (codeobj.h), TheRock kpack (kpack.h, msgpack.h), the ELF, zip
 * and ar walkers and the scan engine (this header, scan_*.c), the byte sources it reads
 * through (reader.h: memory, pread, wheel-member streams), the decompression budget every
 * compressed input shares (budget.h), and the scan cache (cache.h).
 * Parsers take (buf, len). formats may include core only.
 */
/*
 * The scan engine: which GPU targets does a file hold code for?
 * Sniffs each input by content (ELF, offload bundle, CCOB, zip, kpack) and by name (Tensile
 * library files, MIOpen kernel databases), and produces one plain result per file. It never
 * prints; src/lib/report/report.c renders results.
 */
#ifndef RMCP_SCAN_H
#define RMCP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum rmcp_format {
	RMCP_FMT_UNKNOWN,	/* not a format that carries GPU code */
	RMCP_FMT_ELF,		/* host ELF (executable, shared library, object) */
	RMCP_FMT_BUNDLE,	/* uncompressed clang offload bundle file */
	RMCP_FMT_CCOB,		/* compressed offload bundle file */
	RMCP_FMT_CODE_OBJECT,	/* raw AMDGPU code object (.hsaco, .co) */
	RMCP_FMT_KPACK,		/* TheRock .kpack archive */
	RMCP_FMT_TENSILE,	/* rocBLAS/hipBLASLt Tensile library data file */
	RMCP_FMT_MIOPEN_KDB,	/* MIOpen kernel database */
	RMCP_FMT_WHEEL,		/* Python wheel / zip: members are reported as their own files */
	RMCP_FMT_ARCHIVE,	/* static library (ar): members are reported as their own files */
};

const char *rmcp_format_name(enum rmcp_format f);

struct rmcp_entry {
	uint32_t bundle;	/* index of the bundle within the file */
	char *id;		/* bundle entry ID, NULL when there is no bundle */
	char *target;		/* target ID, NULL for host entries */
	uint64_t offset;	/* file offset; for compressed bundles, offset in the decompressed bundle */
	uint64_t size;
	bool compressed;
	bool bitcode;		/* LLVM bitcode (-fgpu-rdc objects), not machine code */
	/* From the code object's ELF header, when read (--verbose, or uncompressed entries). */
	bool have_elf;
	unsigned co_version;
	unsigned generic_version;
	uint32_t e_flags;
	char *elf_target;	/* target ID the ELF header states, if it was read */
};

struct rmcp_file {
	char *path;
	enum rmcp_format format;
	uint32_t bundles;
	char **targets;		/* sorted, unique device target IDs */
	size_t n_targets;
	struct rmcp_entry *entries;
	size_t n_entries;
	char **kernels;		/* raw code objects with want_kernels */
	size_t n_kernels;
	char *note;		/* extra fact for people (kpack location, rdc, ...), or NULL */
	char *error;		/* NULL, or why the file could not be read completely */
	bool container;		/* a wheel or archive: its members follow as their own results */
	/* ---- added for issue 12 ---- */
	bool on_disk;		/* path names a file on disk whose bytes were scanned (not a wheel
				 * or archive member): uncompressed entries' offsets count from its
				 * start, so they have code-object URIs (rmcp_entry_uri) */
};

struct rmcp_scan_opts {
	bool verbose;		/* read every code object's ELF header, even compressed ones */
	bool kernels;		/* list kernel names of raw code objects */
	uint64_t max_member;	/* largest wheel member scanned (0 = default 8 GiB; streamed) */
	uint64_t whole_member;	/* wheel members up to this size are inflated whole, larger ones
				 * streamed (0 = default 16 MiB; tests and fuzzers lower it) */
	/* Called for every file examined (also the ones skipped as not carrying GPU code). */
	void (*progress)(void *ctx, const char *path, uint64_t size);
	/* Called as a container's members are inflated: bytes done of the declared total. */
	void (*progress_bytes)(void *ctx, const char *path, uint64_t done, uint64_t total);
	void *progress_ctx;
};

typedef void (*rmcp_scan_cb)(void *ctx, struct rmcp_file *f);

/*
 * The code-object URI of an entry, the form ROCm's loader, roc-obj and llvm-objdump /
 * llvm-readobj --offloading use (AMDGPUUsage "Loaded Code Object Path Uniform Resource
 * Identifier"): "file://" PATH "#offset=" N "&size=" M, PATH URI-encoded (every byte outside
 * [a-zA-Z0-9/_.~-] as %XX). Only for device code with bytes of its own in a file on disk: not
 * for host entries, compressed bundles (offsets are in the decompressed data), wheel or
 * archive members, kpack references. Returns the length, -ENOENT when none applies,
 * -RMCP_E_LIMIT when buf is too small.
 */
int rmcp_entry_uri(const struct rmcp_file *f, const struct rmcp_entry *e, char *buf, size_t cap);

/*
 * Scan bytes in memory as if they were the file `path` (used for files, wheel members and
 * fuzzing). Fills *out; out->error set on failure. Returns 0, or a negative code for
 * resource failures (out of memory) that are not about the file.
 */
int rmcp_scan_buffer(const void *buf, size_t len, const char *path,
		     const struct rmcp_scan_opts *opts, struct rmcp_file *out);

/*
 * Scan one file by path. Results (one, or for a wheel the wheel and then each member with
 * device code or an error) go to cb, which takes ownership (rmcp_file_release).
 * in_dir: the file was found by walking a directory, so formats that cannot carry GPU
 * code are skipped silently instead of being reported as "unknown".
 */
int rmcp_scan_path(const char *path, bool in_dir, const struct rmcp_scan_opts *opts,
		   rmcp_scan_cb cb, void *ctx);

void rmcp_file_release(struct rmcp_file *f);

/* Add a target ID to f->targets, keeping it sorted and unique. */
int rmcp_file_add_target(struct rmcp_file *f, const char *target);

/* Does this file carry GPU code (any target, or a format that must)? */
bool rmcp_file_has_device_code(const struct rmcp_file *f);

#endif
