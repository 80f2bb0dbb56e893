/* SPDX-License-Identifier: MIT */
/*
 * The software stack, part 1: the orchestration of rmcp_stack_read (research/detect.md §5)
 * and ROCm library paths for `rmcp scan`. ROCm installs are in stack_rocm.c, torch installs
 * in stack_torch.c, library coverage in stack_cov.c. Everything is read from files under the
 * sysroot (sysroot.h); nothing is run.
 */
#include "stack.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack_internal.h"
#include "banned.h"

struct strv {
	char **v;
	size_t n;
};

static int strv_add(struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 0;
	char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	size_t l = strlen(str);
	if (!(s->v[s->n] = malloc(l + 1)))
		return -ENOMEM;
	memcpy(s->v[s->n++], str, l + 1);
	return 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Library name prefixes of ROCm components that carry device code (or, for libamdhip64,
 * that users expect to see listed). */
bool rmcp_rocm_lib_name(const char *n)
{
	static const char *const pre[] = { "librocblas", "librocsparse", "librocrand", "librocfft",
					   "librocsolver", "librocprim", "libhipblas", "libhipsparse",
					   "libhipfft", "libhiprand", "libhipsolver", "libMIOpen",
					   "librccl", "libamdhip64", "libhipcub", "libcomposable_kernel" };
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(n, pre[i], strlen(pre[i])) == 0)
			return strstr(n, ".so") != NULL;
	return false;
}

static int add_opt_rocm(const char *sysroot, struct strv *s)
{
	char opt[PATH_MAX];
	snprintf(opt, sizeof(opt), "%s/opt", sysroot);
	DIR *d = opendir(opt);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	struct strv real = { 0 };
	while ((de = readdir(d)) != NULL && rc == 0) {
		if (strncmp(de->d_name, "rocm", 4) != 0)
			continue;
		char lib[PATH_MAX], rp[PATH_MAX];
		int l = snprintf(lib, sizeof(lib), "%s/%s/lib", opt, de->d_name);
		if (l < 0 || (size_t)l >= sizeof(lib) || !is_dir(lib) || !realpath(lib, rp))
			continue;
		/* /opt/rocm is usually a link to /opt/rocm-X.Y.Z: scan each install once. */
		size_t before = real.n;
		rc = strv_add(&real, rp);
		if (rc == 0 && real.n > before)
			rc = strv_add(s, lib);
	}
	closedir(d);
	rmcp_strv_free(real.v, real.n);
	return rc;
}

static int add_multiarch(const char *sysroot, struct strv *s)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
					    "/usr/lib64", "/usr/lib" };
	int rc = 0;
	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; k++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s%s", strcmp(sysroot, "/") ? sysroot : "", dirs[k]);
		struct dirent **names;
		int n = scandir(dir, &names, NULL, alphasort);
		if (n < 0)
			continue;
		for (int i = 0; i < n; i++) {
			char p[PATH_MAX];
			struct stat st;
			int l = snprintf(p, sizeof(p), "%s/%s", dir, names[i]->d_name);
			if (rc == 0 && l > 0 && (size_t)l < sizeof(p) && rmcp_rocm_lib_name(names[i]->d_name) && lstat(p, &st) == 0 &&
			    S_ISREG(st.st_mode))
				rc = strv_add(s, p);
			free(names[i]);
		}
		free(names);
	}
	return rc;
}

int rmcp_stack_rocm_lib_paths(const char *sysroot, char ***out)
{
	struct strv s = { 0 };
	if (!sysroot || !*sysroot)
		sysroot = "/";
	int rc = add_opt_rocm(sysroot, &s);
	if (rc == 0)
		rc = add_multiarch(sysroot, &s);
	if (rc < 0) {
		rmcp_strv_free(s.v, s.n);
		return rc;
	}
	*out = s.v;
	return (int)s.n;
}

/* ---- the whole stack ---------------------------------------------------------------------- */

const char *rmcp_coverage_name(enum rmcp_coverage c)
{
	switch (c) {
	case RMCP_COVERAGE_UNKNOWN:
		return "unknown";
	case RMCP_COVERAGE_NONE:
		return "none";
	case RMCP_COVERAGE_NATIVE:
		return "native";
	case RMCP_COVERAGE_EFFECTIVE_ONLY:
		return "effective-only";
	case RMCP_COVERAGE_NO_DEVICE_CODE:
		return "no-device-code";
	}
	return "unknown";
}

static bool versioned_dir(const char *n)
{
	return isdigit((unsigned char)n[0]) != 0;
}

static int scan_rocm_coverage(const struct rmcp_path *sr, struct rmcp_cov *c, const struct rmcp_stack *s)
{
	int rc = 0;
	char rel[PATH_MAX];
	for (size_t i = 0; i < s->n_rocm && rc == 0; i++) {
		const struct rmcp_rocm_install *r = &s->rocm[i];
		if (r->distro)
			continue;
		snprintf(rel, sizeof(rel), "%s/lib", r->path);
		rc = rmcp_cov_lib_dir(c, rel, "rocm", false);
		snprintf(rel, sizeof(rel), "%s/lib/rocblas/library", r->path);
		if (rc == 0)
			rc = rmcp_cov_tensile_dir(c, rel, "rocblas-tensile", "rocm");
		snprintf(rel, sizeof(rel), "%s/lib/hipblaslt/library", r->path);
		if (rc == 0)
			rc = rmcp_cov_tensile_dir(c, rel, "hipblaslt-tensile", "rocm");
		snprintf(rel, sizeof(rel), "%s/share/miopen/db", r->path);
		if (rc == 0)
			rc = rmcp_cov_kdb_dir(c, rel, "rocm");
	}
	/* A distribution's ROCm: its libraries sit among every other library. */
	for (size_t d = 0; d < RMCP_N_MULTIARCH && rc == 0; d++) {
		char **names = NULL;
		int n = rmcp_path_list(sr, rmcp_multiarch_dirs[d], rmcp_rocm_lib_name, &names);
		for (int i = 0; i < n && rc == 0; i++) {
			snprintf(rel, sizeof(rel), "%s/%s", rmcp_multiarch_dirs[d], names[i]);
			/* The real files only, not the soname links to them. */
			if (rmcp_path_is_file(sr, rel))
				rc = rmcp_cov_lib_file(c, rel, "rocm");
		}
		if (n > 0)
			rmcp_strv_free(names, (size_t)n);
		/* Debian: <multiarch>/rocblas/<version>/library */
		snprintf(rel, sizeof(rel), "%s/rocblas", rmcp_multiarch_dirs[d]);
		n = rmcp_path_list(sr, rel, versioned_dir, &names);
		for (int i = 0; i < n && rc == 0; i++) {
			char lib[PATH_MAX];
			snprintf(lib, sizeof(lib), "%s/rocblas/%s/library", rmcp_multiarch_dirs[d], names[i]);
			rc = rmcp_cov_tensile_dir(c, lib, "rocblas-tensile", "rocm");
		}
		if (n > 0)
			rmcp_strv_free(names, (size_t)n);
	}
	if (rc == 0)
		rc = rmcp_cov_kdb_dir(c, "/usr/share/miopen/db", "rocm");
	return rc;
}

static int scan_torch_coverage(struct rmcp_cov *c, const struct rmcp_stack *s)
{
	int rc = 0;
	char rel[PATH_MAX];
	for (size_t i = 0; i < s->n_torch && rc == 0; i++) {
		const char *t = s->torch[i].path;
		snprintf(rel, sizeof(rel), "%s/lib", t);
		rc = rmcp_cov_lib_dir(c, rel, "torch", false);
		snprintf(rel, sizeof(rel), "%s/lib/rocblas/library", t);
		if (rc == 0)
			rc = rmcp_cov_tensile_dir(c, rel, "rocblas-tensile", "torch");
		snprintf(rel, sizeof(rel), "%s/lib/hipblaslt/library", t);
		if (rc == 0)
			rc = rmcp_cov_tensile_dir(c, rel, "hipblaslt-tensile", "torch");
		snprintf(rel, sizeof(rel), "%s/share/miopen/db", t);
		if (rc == 0)
			rc = rmcp_cov_kdb_dir(c, rel, "torch");
	}
	return rc;
}

int rmcp_stack_read(const struct rmcp_stack_opts *opts, struct rmcp_stack *s, struct rmcp_err *err)
{
	static const struct rmcp_stack_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(s, 0, sizeof(*s));
	struct rmcp_path *sr = rmcp_path_new(opts->sysroot, "/");
	if (!sr)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	if (opts->recorder && opts->recorder->path)
		rmcp_path_set_recorder(sr, opts->recorder->path, opts->recorder->ctx);
	if (!rmcp_path_is_dir(sr, "/")) {
		rmcp_path_free(sr);
		return rmcp_err_set(err, -ENOTDIR, "sysroot %s is not a directory", opts->sysroot);
	}
	size_t cap = 1u << 22;	/* dpkg's status file is the largest text read (a few MiB) */
	char *buf = malloc(cap);
	int rc = buf ? rmcp_stack_find_rocm(sr, s, buf, cap) : -ENOMEM;
	if (rc == 0)
		rc = rmcp_stack_find_torch(sr, opts, s);
	free(buf);
	if (rc < 0) {
		rmcp_path_free(sr);
		return rmcp_err_set(err, rc, "reading the software stack: %s", rmcp_strerror(rc));
	}
	if (!opts->real_gfx) {
		rmcp_path_free(sr);
		return 0;
	}
	struct rmcp_cov *c;
	rc = rmcp_cov_begin(sr, opts, s, err, &c);
	if (rc == 0) {
		rc = scan_torch_coverage(c, s);
		if (rc == 0)
			rc = scan_rocm_coverage(sr, c, s);
		rmcp_cov_end(c);
		if (rc < 0)
			rc = rmcp_err_set(err, rc, "scanning libraries: %s", rmcp_strerror(rc));
	}
	rmcp_path_free(sr);
	return rc;
}
