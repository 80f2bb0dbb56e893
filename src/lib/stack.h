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
};

struct rmcp_torch_install {
	char path[256];		/* .../site-packages/torch */
	char version[64];	/* __version__, "2.5.1+rocm6.2" */
	char hip[64];		/* version.hip, "" for CPU/CUDA builds */
	char rocm[32];		/* version.rocm (newer wheels), "" */
	char cuda[32];		/* version.cuda, "" */
	bool bundles_rocm;	/* torch/lib holds its own libamdhip64 (wheels), so system ROCm is unused */
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
};

struct rmcp_stack {
	struct rmcp_rocm_install rocm[RMCP_MAX_ROCM];
	size_t n_rocm;
	struct rmcp_torch_install torch[RMCP_MAX_TORCH];
	size_t n_torch;
	struct rmcp_lib_coverage libs[RMCP_MAX_LIBS];
	size_t n_libs;
	char python[256];	/* python found on PATH (not run), "" */
};

struct rmcp_stack_opts {
	const char *sysroot;		/* NULL = "/" */
	const char *const *torch_dirs;	/* extra torch package dirs (--torch DIR), NULL-terminated */
	const char *const *python_paths;	/* extra pythons (--python), NULL-terminated */
	const char *path_env;		/* PATH to search for python, NULL = none */
	const char *real_gfx;		/* the GPU's processor ("gfx1010"), NULL = no coverage scan */
	const char *effective_gfx;	/* what the runtime will load (override), NULL = real_gfx */
	const char *cache_dir;		/* NULL = no cache; else XDG cache dir for scan results */
};

int rmcp_stack_read(const struct rmcp_stack_opts *opts, struct rmcp_stack *s, struct rmcp_err *err);

#endif
