/* SPDX-License-Identifier: MIT */
/* Where the HIP runtime (and MIOpen) a probe loads is: rmcp_probe_locate (probe.h). */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysroot.h"
#include "banned.h"

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void add_cand(char (*v)[RMCP_PROBE_PATH_MAX], size_t *n, const char *path)
{
	if (*n < RMCP_PROBE_MAX_CANDIDATES)
		snprintf(v[(*n)++], RMCP_PROBE_PATH_MAX, "%s", path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* libamdhip64.so first, then libamdhip64.so.N and auditwheel's libamdhip64-<hash>.so.N. */
static void torch_candidates(const char *lib, struct rmcp_probe_libs *libs)
{
	char path[RMCP_PROBE_PATH_MAX];
	snprintf(path, sizeof(path), "%s/libamdhip64.so", lib);
	if (is_file(path))
		add_cand(libs->hip, &libs->n_hip, path);
	DIR *dir = opendir(lib);
	if (!dir)
		return;
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) && n < 64)
		if (strncmp(de->d_name, "libamdhip64", 11) == 0 && strstr(de->d_name, ".so") &&
		    strcmp(de->d_name, "libamdhip64.so") != 0)
			names[n++] = strdup(de->d_name);
	closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (names[i]) {
			snprintf(path, sizeof(path), "%s/%s", lib, names[i]);
			if (is_file(path))
				add_cand(libs->hip, &libs->n_hip, path);
		}
		free(names[i]);
	}
	static const char *const miopen[] = { "libMIOpen.so", "libMIOpen.so.1" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", lib, miopen[i]);
		add_cand(libs->miopen, &libs->n_miopen, path);
	}
}

static bool dir_candidates(const char *lib, struct rmcp_probe_libs *libs)
{
	static const char *const hip[] = { "libamdhip64.so", "libamdhip64.so.7", "libamdhip64.so.6",
					   "libamdhip64.so.5" };
	char path[RMCP_PROBE_PATH_MAX];
	bool any = false;
	for (size_t i = 0; i < sizeof(hip) / sizeof(hip[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", lib, hip[i]);
		if (is_file(path)) {
			add_cand(libs->hip, &libs->n_hip, path);
			any = true;
		}
	}
	if (any) {
		snprintf(path, sizeof(path), "%s/libMIOpen.so", lib);
		add_cand(libs->miopen, &libs->n_miopen, path);
		snprintf(path, sizeof(path), "%s/libMIOpen.so.1", lib);
		add_cand(libs->miopen, &libs->n_miopen, path);
	}
	return any;
}

int rmcp_probe_locate(const struct rmcp_probe_locate_opts *o, struct rmcp_probe_libs *libs,
		      struct rmcp_err *err)
{
	memset(libs, 0, sizeof(*libs));
	char path[RMCP_PROBE_PATH_MAX];
	if (o->hip) {
		snprintf(libs->source, sizeof(libs->source), "--hip");
		if (!is_file(o->hip))
			return rmcp_err_set(err, -ENOENT, "--hip %s: no such file", o->hip);
		add_cand(libs->hip, &libs->n_hip, o->hip);
		/* MIOpen next to it, as in a ROCm lib directory or torch/lib */
		snprintf(path, sizeof(path), "%s", o->hip);
		char *slash = strrchr(path, '/');
		if (slash) {
			*slash = '\0';
			char m[RMCP_PROBE_PATH_MAX];
			snprintf(m, sizeof(m), "%s/libMIOpen.so", path);
			add_cand(libs->miopen, &libs->n_miopen, m);
			snprintf(m, sizeof(m), "%s/libMIOpen.so.1", path);
			add_cand(libs->miopen, &libs->n_miopen, m);
		} else {
			add_cand(libs->miopen, &libs->n_miopen, "libMIOpen.so.1");
		}
		return 0;
	}
	if (o->torch_dir) {
		snprintf(libs->source, sizeof(libs->source), "torch");
		snprintf(path, sizeof(path), "%s/lib", o->torch_dir);
		torch_candidates(path, libs);
		if (!libs->n_hip)
			return rmcp_err_set(err, -ENOENT, "%s: no libamdhip64 in this torch package",
					    path);
		return 0;
	}
	/* --hip and the torch directory are host paths; the rest are paths on the examined
	 * machine, resolved inside the sysroot (sysroot.h): a captured /opt/rocm ->
	 * /etc/alternatives/rocm must not lead to this machine's ROCm. */
	struct rmcp_path *sr = rmcp_path_new(o->sysroot, "/");
	if (!sr)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	bool live = rmcp_path_is_live(sr);
	snprintf(libs->source, sizeof(libs->source), "rocm");
	int found = rmcp_path_host(sr, "/opt/rocm/lib", path, sizeof(path)) == 0 && dir_candidates(path, libs);
	if (found) {
		rmcp_path_free(sr);
		return 0;
	}
	snprintf(libs->source, sizeof(libs->source), "system");
	if (live) {
		rmcp_path_free(sr);
		/* The dynamic loader's search, as a program linked to HIP would get it. */
		add_cand(libs->hip, &libs->n_hip, "libamdhip64.so.7");
		add_cand(libs->hip, &libs->n_hip, "libamdhip64.so.6");
		add_cand(libs->hip, &libs->n_hip, "libamdhip64.so.5");
		add_cand(libs->miopen, &libs->n_miopen, "libMIOpen.so.1");
		return 0;
	}
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (rmcp_path_host(sr, dirs[i], path, sizeof(path)) == 0 && dir_candidates(path, libs))
			break;
	rmcp_path_free(sr);
	return 0;	/* nothing found: the child reports no runtime */
}

