/* SPDX-License-Identifier: MIT */
#include "stack.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void rmcp_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Library name prefixes of ROCm components that carry device code (or, for libamdhip64,
 * that users expect to see listed). */
static bool rocm_lib_name(const char *n)
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
			if (rc == 0 && l > 0 && (size_t)l < sizeof(p) && rocm_lib_name(names[i]->d_name) && lstat(p, &st) == 0 &&
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
