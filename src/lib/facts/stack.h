/* SPDX-License-Identifier: MIT */
/*
 * The installed software stack, read from files only (research/detect.md §5): ROCm installs,
 * HIP version, PyTorch installs (torch/version.py, no Python run), and per-library GPU code
 * coverage for a given GPU through the scan engine (scan.h), cached on disk.
 *
 * Contract shared by doctor (issue 3) and run (issue 6): fields may be added, never renamed
 * or removed.
 */
#ifndef RMCP_STACK_H
#define RMCP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Paths where installed ROCm libraries and their GPU code live, under sysroot ("/" or a
 * captured tree): /opt/rocm-X.Y.Z/lib and /opt/rocm/lib (deduplicated by real path) and a
 * distribution's ROCm in the multiarch library directory (Debian: libroc*.so.*, ...).
 * Returns the number of paths (>= 0) in a new array of new strings, or a negative code.
 */
int rmcp_stack_rocm_lib_paths(const char *sysroot, char ***out);
void rmcp_strv_free(char **v, size_t n);

#define RMCP_MAX_ROCM 8
#define RMCP_MAX_TORCH 8
#define RMCP_MAX_LIBS 128

struct rmcp_rocm_install {
	char path[256];		/* "/opt/rocm-6.2.4", "/usr" for a distribution's ROCm */
	char version[32];	/* "6.2.4", "" if unknown */
	char version_source[32];	/* ".info/version", "rocm_version.h", "dpkg", "soname" */
	char hip_version[32];	/* "6.2.41134", "" if unknown */
	bool distro;		/* Debian/Ubuntu/Fedora packages rather than AMD's /opt tree */
	/* ---- added for issue 3 ---- */
	char version_raw[48];	/* the source's text: "6.2.4-120", "5.2.3-8" (dpkg), "" */
	char hip_version_source[24];	/* "bin/.hipVersion", "hip_version.h", "soname", "" */
	bool is_default;	/* /opt/rocm (the usual link) resolves to this install */
};

struct rmcp_torch_install {
	char path[256];		/* .../site-packages/torch */
	char version[64];	/* __version__, "2.5.1+rocm6.2" */
	char hip[64];		/* version.hip, "" for CPU/CUDA builds */
	char rocm[32];		/* version.rocm (newer wheels), "" */
	char cuda[32];		/* version.cuda, "" */
	bool bundles_rocm;	/* torch/lib holds its own libamdhip64 (wheels), so system ROCm is unused */
	/* ---- added for issue 3 ---- */
	char dist_version[64];	/* Version: of torch-*.dist-info/METADATA next to it, "" */
	char found_by[16];	/* "python" (on PATH), "--python", "--torch", "user-site" */
};

enum rmcp_coverage {
	RMCP_COVERAGE_UNKNOWN = 0,	/* not scanned, or unreadable */
	RMCP_COVERAGE_NONE,		/* the library has device code, none for the GPU */
	RMCP_COVERAGE_NATIVE,		/* code for the GPU's own processor (or a covering generic) */
	RMCP_COVERAGE_EFFECTIVE_ONLY,	/* only for the overridden ISA (e.g. gfx1030 code on gfx1010) */
	RMCP_COVERAGE_NO_DEVICE_CODE,	/* a host-only library: nothing to judge */
};

struct rmcp_lib_coverage {
	char path[512];
	char component[32];	/* "libtorch_hip", "rocblas", "rocblas-tensile", "miopen-kdb", ... */
	char owner[16];		/* "torch" (inside a torch install) or "rocm" */
	enum rmcp_coverage coverage;
	char targets[256];	/* space-separated target IDs found, for messages */
	char error[160];	/* scan error, "" */
	bool cached;		/* came from the on-disk cache */
	/* ---- added for issue 3 ---- */
	bool real_covered;	/* code that runs on real_gfx (own processor or covering generic) */
	bool effective_covered;	/* code the runtime would load for effective_gfx */
};

struct rmcp_stack {
	struct rmcp_rocm_install rocm[RMCP_MAX_ROCM];
	size_t n_rocm;
	struct rmcp_torch_install torch[RMCP_MAX_TORCH];
	size_t n_torch;
	struct rmcp_lib_coverage libs[RMCP_MAX_LIBS];
	size_t n_libs;
	char python[256];	/* python found on PATH (not run), "" */
	/* ---- added for issue 3 ---- */
	bool libs_truncated;	/* more libraries than RMCP_MAX_LIBS */
	size_t cache_hits, cache_misses;	/* files judged from / scanned into the cache */
	char cache_error[160];	/* why the cache could not be written, "" (not fatal) */
};

struct rmcp_cached_scan;

/*
 * What the stack reader touched, for `rmcp capture`: every path it looked at (within the
 * sysroot: files read, directories listed and the names they listed, links followed, files
 * stat'ed) and the scan result of every file it judged by its GPU code. Either may be NULL.
 */
struct rmcp_stack_recorder {
	void (*path)(void *ctx, const char *rel);
	void (*scan)(void *ctx, const char *rel, const struct rmcp_cached_scan *r);
	void *ctx;
};

struct rmcp_stack_opts {
	const char *sysroot;		/* NULL = "/" */
	const char *const *torch_dirs;	/* extra torch package dirs (--torch DIR), NULL-terminated */
	const char *const *python_paths;	/* extra pythons (--python), NULL-terminated */
	const char *path_env;		/* PATH to search for python, NULL = none */
	const char *real_gfx;		/* the GPU's processor ("gfx1010"), NULL = no coverage scan */
	const char *effective_gfx;	/* what the runtime will load (override), NULL = real_gfx */
	const char *cache_dir;		/* NULL = no cache; else XDG cache dir for scan results */
	/* ---- added for issue 3 ---- */
	const char *home;		/* the user's home within the sysroot, for ~/.local site-packages */
	/* ---- added for issue 12 ---- */
	const struct rmcp_stack_recorder *recorder;	/* NULL: nothing recorded */
};

/*
 * Read the software stack. Every path in opts (torch_dirs, python_paths, PATH entries, home)
 * and every path in the result (rocm[].path, torch[].path, libs[].path, python) is a path on
 * the examined machine, i.e. within opts->sysroot; symlinks are resolved inside the sysroot.
 * Python is never run: site-packages candidates come from the interpreter's prefix
 * (bin/python3 -> lib/python3.* /site-packages and dist-packages, a venv's pyvenv.cfg home).
 * real_gfx / effective_gfx are target IDs ("gfx1010", "gfx90a:sramecc+", rmcp_gpu.target_id);
 * with real_gfx NULL no library is scanned. Coverage: every shared library in torch/lib that
 * carries device code (and libtorch_hip and ROCm-named ones even without), one entry per
 * Tensile library directory (rocblas-tensile, hipblaslt-tensile: the archs of its
 * TensileLibrary files; none for the GPU means rocBLAS/hipBLASLt cannot run on it) and per
 * MIOpen kdb directory (miopen-kdb; optional precompiled kernels), then the same for each
 * ROCm install. The struct is large: allocate it.
 *
 * A snapshot sysroot may carry rmcp-snapshot/scan.tsv (written by `rmcp capture`, which
 * replaces libraries by empty stand-ins): a file listed there is judged by its recorded scan
 * result instead of its bytes. Lines: path within the sysroot, format number, device code
 * (0/1), targets (space-separated, as struct rmcp_cached_scan), error; tab-separated, '#'
 * comments.
 */
int rmcp_stack_read(const struct rmcp_stack_opts *opts, struct rmcp_stack *s, struct rmcp_err *err);

/* "unknown", "none", "native", "effective-only", "no-device-code". */
const char *rmcp_coverage_name(enum rmcp_coverage c);

/*
 * Parse torch/version.py text (research/detect.md §5) without running Python: top-level
 * assignments `name = 'v'`, `name: Optional[str] = 'v'` (any annotation) or `= None`, single or
 * double quotes, for __version__, hip (old wheels: `hip = '...'`), rocm (newer wheels) and cuda;
 * the last assignment wins, as in Python. Fills those fields of t (others untouched).
 * Returns the number of fields found.
 */
int rmcp_torch_version_parse(const char *buf, size_t len, struct rmcp_torch_install *t);

#endif
