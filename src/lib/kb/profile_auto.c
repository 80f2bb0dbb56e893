/* SPDX-License-Identifier: MIT */
/* Choosing the device for `rmcp run` / `rmcp env`: --device auto asks the probe (profile.h). */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "probe.h"
#include "sysfs.h"
#include "version.h"
#include "banned.h"

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

static bool regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int rmcp_preload_find(char *const *envp, char *buf, size_t cap)
{
	const char *env = env_get(envp, "RMCP_PRELOAD");
	if (env && *env) {
		if (!regular(env))
			return -ENOENT;
		snprintf(buf, cap, "%s", env);
		return 0;
	}
	/* meson's build tree: build/rmcp and build/src/preload/librmcp.so */
	if (rmcp_installed_file("src/preload", NULL, "librmcp.so", buf, cap) == 0)
		return 0;
	/* installed: <prefix>/<libdir>/rmcp/librmcp.so, a private directory (meson.build), from
	 * <prefix>/bin/rmcp */
	const char *rel = RMCP_PKGLIBDIR[0] == '/' ? NULL : "../" RMCP_PKGLIBDIR;
	return rmcp_installed_file(rel, RMCP_PKGLIBDIR_ABS, "librmcp.so", buf, cap) == 0 ? 0 : -ENOENT;
}

static void cpu_reason_from_probe(struct rmcp_profile *p, const struct rmcp_probe_result *r)
{
	char reason[512];
	const char *step = r->failed_step >= 0
				   ? rmcp_probe_step_name((enum rmcp_probe_step)r->failed_step) : "?";
	const char *detail = r->failed_step >= 0 ? r->steps[r->failed_step].detail : "";
	snprintf(reason, sizeof(reason),
		 "the GPU probe found %s at step %s (%.200s)%s; running on the CPU with every GPU hidden",
		 rmcp_probe_class_text(r->outcome), step, detail, r->cached ? " [cached probe]" : "");
	rmcp_profile_make_cpu(p, reason);
}

static int probe_gpu(const struct rmcp_profile_opts *o, const struct rmcp_profile_auto *a,
		     const struct rmcp_profile *p, struct rmcp_probe_result *r, struct rmcp_err *err)
{
	struct rmcp_probe_opts po = { .device = a->device, .timeout_s = a->timeout_s, .progress = a->progress,
				      .progress_ctx = a->progress_ctx };
	struct rmcp_probe_locate_opts lo = {
		.sysroot = o->sysroot,
		.torch_dir = p->torch_bundles_rocm && p->torch_dir[0] ? p->torch_dir : NULL,
	};
	rmcp_probe_result_init(r);
	r->device = a->device;
	r->timeout_s = a->timeout_s;
	struct rmcp_err lerr = { 0 };
	if (rmcp_probe_locate(&lo, &po.libs, &lerr) < 0) {
		snprintf(r->source, sizeof(r->source), "%s", po.libs.source);
		rmcp_probe_result_no_runtime(r, lerr.msg);
		return 0;
	}
	char **envp = NULL;
	int rc = rmcp_profile_apply(p, o->envp, &envp);
	if (rc < 0)
		return rmcp_err_set(err, rc, "out of memory");
	po.envp = envp;
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	struct rmcp_machine_opts mo = { .sysroot = o->sysroot, .no_live_log = true };
	if (!m) {
		rmcp_envp_free(envp);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	struct rmcp_err merr = { 0 };
	bool have_m = rmcp_machine_read(&mo, m, &merr) == 0;
	rc = rmcp_probe_cached(&po, have_m ? m : NULL, a->cache_dir, a->use_cache, r, err);
	free(m);
	rmcp_envp_free(envp);
	return rc;
}

int rmcp_profile_resolve(const struct rmcp_profile_opts *o, const struct rmcp_profile_auto *a,
			 struct rmcp_profile *p, struct rmcp_probe_result *probe, bool *probed,
			 struct rmcp_err *err)
{
	if (probed)
		*probed = false;
	if (a->mode == RMCP_DEVICE_CPU) {
		memset(p, 0, sizeof(*p));
		rmcp_profile_make_cpu(p, "--device cpu");
		return 0;
	}
	int rc = rmcp_profile_build_gpu(o, p, err);
	if (rc < 0 || a->mode == RMCP_DEVICE_GPU)
		return rc;
	if (p->n_gpus == 0) {
		rmcp_profile_make_cpu(p, "no AMD GPU on this machine (rmcp doctor); running on the CPU");
		return 0;
	}
	struct rmcp_probe_result local;
	struct rmcp_probe_result *r = probe ? probe : &local;
	if ((rc = probe_gpu(o, a, p, r, err)) < 0)
		return rc;
	if (probed)
		*probed = true;
	if (r->outcome != RMCP_PROBE_OK) {
		cpu_reason_from_probe(p, r);
		return 0;
	}
	snprintf(p->reason, sizeof(p->reason),
		 "the GPU probe passed on HIP device %d (%s): memory round trips and a MIOpen "
		 "convolution are correct%s", a->device, r->gpu_arch[0] ? r->gpu_arch : "?",
		 r->cached ? " [cached probe]" : "");
	return 0;
}
