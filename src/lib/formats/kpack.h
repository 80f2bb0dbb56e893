/* SPDX-License-Identifier: MIT */
/*
 * TheRock "kpack" split artifacts (rocm-kpack: github.com/ROCm/rocm-systems shared/kpack,
 * formerly ROCm/rocm-kpack and stellaraccident/rocm-kpack).
 *
 * A kpack'd host binary keeps its host code but no device code: `.hip_fatbin` is zero-paged
 * (SHT_NOBITS), every `__CudaFatBinaryWrapper` in `.hipFatBinSegment` has magic "HIPK"
 * (RMCP_KPACK_HIPK_MAGIC) instead of "HIPF", its binary pointer points at a new
 * `.rocm_kpack_ref` section, and its reserved word (offset 16) holds the wrapper index
 * ("co_index"). `.rocm_kpack_ref` is MessagePack {kpack_search_paths: [str], kernel_name: str}.
 * The code objects live in `.kpack` archives found through the search paths; the archive TOC is
 * keyed by "<kernel_name>#<co_index>" and then by architecture. Details and sources: kpack.c.
 *
 * The parsers take bytes (fuzzable, no I/O); rmcp_kpack_find is the only function touching the
 * filesystem. Errors follow error.h.
 */
#ifndef RMCP_KPACK_H
#define RMCP_KPACK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* __CudaFatBinaryWrapper magics, little-endian u32 at offset 0 of each 24-byte wrapper. */
#define RMCP_KPACK_HIPF_MAGIC 0x48495046u	/* "HIPF": embedded fat binary */
#define RMCP_KPACK_HIPK_MAGIC 0x4B504948u	/* "HIPK": code lives in .kpack archives */
#define RMCP_KPACK_REF_SECTION ".rocm_kpack_ref"

/* Safety limits against hostile input; exceeding one is -RMCP_E_LIMIT. */
#define RMCP_KPACK_MAX_ITEMS 65536		/* TOC entries, blobs, zstd frames, binaries, arches */
#define RMCP_KPACK_MAX_PATH 4096		/* binary keys, search paths, kernel_name */
#define RMCP_KPACK_MAX_NAME 256			/* arch, type, group, family, scheme */
#define RMCP_KPACK_MAX_SEARCH_PATHS 64
#define RMCP_KPACK_MAX_ARCHIVES 4096		/* archives rmcp_kpack_find opens per call */

/* Parsed `.rocm_kpack_ref` section. All strings are owned, NUL-terminated. */
struct rmcp_kpack_ref {
	char **search_paths;	/* relative to the binary's directory; may hold "@GFXARCH@" */
	size_t n_search_paths;
	char *kernel_name;	/* TOC key without the "#<co_index>" suffix */
};

/*
 * Parse the MessagePack marker. Trailing bytes after the map are ignored, because the runtime
 * reads it through a fixed window with no length (loader.cpp kpack_load_code_object).
 */
int rmcp_kpack_ref_parse(const void *buf, size_t len, struct rmcp_kpack_ref *out,
			 struct rmcp_err *err);
void rmcp_kpack_ref_release(struct rmcp_kpack_ref *ref);

enum rmcp_kpack_scheme {
	RMCP_KPACK_SCHEME_NONE,			/* "none": raw code objects */
	RMCP_KPACK_SCHEME_ZSTD_PER_KERNEL,	/* "zstd-per-kernel": one zstd frame per object */
};

/* One TOC entry: the code object of one binary key for one architecture. */
struct rmcp_kpack_item {
	char *binary;		/* TOC key, e.g. "math-libs/BLAS/rocBLAS/stage/lib/librocblas.so.5#0";
				 * borrowed from rmcp_kpack.binaries[] */
	char *arch;		/* "gfx1030", "gfx942:xnack+" (owned) */
	char *type;		/* "hsaco" (owned) */
	uint32_t ordinal;	/* index into the blob table / zstd frames */
	uint64_t original_size;	/* uncompressed size from the TOC, 0 if absent */
	uint64_t offset, size;	/* where the stored bytes are in the archive: the raw code object
				 * ("none") or its zstd frame ("zstd-per-kernel"); bounds-checked */
};

struct rmcp_kpack {
	uint32_t version;		/* header version (1) */
	uint32_t format_version;	/* TOC "format_version" (1), 0 if absent */
	char *group_name;		/* "blas_lib", NULL if absent */
	char *arch_family;		/* "gfx1030" or "gfx100X", NULL if absent */
	char *compression;		/* "none" / "zstd-per-kernel" */
	enum rmcp_kpack_scheme scheme;
	char **arches;			/* TOC "gfx_arches" */
	size_t n_arches;
	char **binaries;		/* distinct TOC keys, owned */
	size_t n_binaries;
	struct rmcp_kpack_item *items;
	size_t n_items;
};

/* Parse a whole `.kpack` archive held in memory (header, TOC, blob/frame bounds). */
int rmcp_kpack_parse(const void *buf, size_t len, struct rmcp_kpack *out, struct rmcp_err *err);
void rmcp_kpack_release(struct rmcp_kpack *kp);

/*
 * True if TOC key `key` belongs to the binary whose ref names `kernel_name`: the key is
 * kernel_name itself or kernel_name "#" digits (kpack.cpp find_kernel_entries).
 */
int rmcp_kpack_key_matches(const char *key, const char *kernel_name);

/*
 * Filesystem helper: for a kpack'd binary at binary_path whose ref is `ref`, resolve each
 * search path against the directory of the binary's real path (symlinks resolved, as the
 * runtime sees it through /proc/self/maps), find the archives it names ("@GFXARCH@" matches
 * any architecture; an older ".kpm" manifest path or a directory means every *.kpack beside
 * the manifest or in the directory), parse each, and call cb once per archive and
 * architecture holding code for ref->kernel_name (arch != NULL, archive_err == NULL).
 * A broken archive or unreadable search directory is reported as cb(ctx, path, NULL, err) and
 * the search goes on; a missing archive is not an error. Each archive is read once even when
 * several search paths name it.
 * Returns the number of archives parsed successfully, or a negative error.
 */
typedef void (*rmcp_kpack_cb)(void *ctx, const char *kpack_path, const char *arch,
			      const struct rmcp_err *archive_err);
int rmcp_kpack_find(const char *binary_path, const struct rmcp_kpack_ref *ref, rmcp_kpack_cb cb,
		    void *ctx, struct rmcp_err *err);

#endif
