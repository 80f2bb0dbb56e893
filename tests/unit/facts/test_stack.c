/* SPDX-License-Identifier: MIT */
/*
 * Tests for the software-stack reader (src/lib/facts/stack.c, stack_torch.c, stack_cov.c) and the
 * scan cache (src/lib/formats/cache.c).
 *
 * Real parts: the coverage tests run the real scan engine over binaries clang-22 built at test
 * time (tests/fixtures/mksysroots.sh puts them into $RMCP_FIXTURES/sysroots/<name>); the
 * expected target lists are the --offload-arch lists those binaries were built with, not rmcp's
 * output. The distribution-ROCm test reads this machine's Debian 12 ROCm packages and checks
 * the version against dpkg-query. version.py texts follow research/detect.md §5.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "stack.h"

/* mksysroots.sh: the wheel-like libtorch_hip.so / librocblas.so are built for exactly these. */
#define WHEEL_TARGETS "gfx900 gfx906 gfx908 gfx90a gfx942 gfx1030 gfx1100"
#define VENV_SITE "/home/user/venv/lib/python3.11/site-packages"

static char fixtures[PATH_MAX];
static char source_root[PATH_MAX];

static const char *sysroot(const char *name)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sysroots/%s", fixtures, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	char dir[PATH_MAX], cmd[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static char *make_tmp(const char *what)
{
	char tmpl[64];
	snprintf(tmpl, sizeof(tmpl), "/tmp/rmcp-%s-XXXXXX", what);
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static char *copy_sysroot(const char *name)
{
	char *dir = make_tmp("stack");
	char cmd[PATH_MAX * 2 + 32];
	snprintf(cmd, sizeof(cmd), "cp -RP '%s/.' '%s/'", sysroot(name), dir);
	assert_int_equal(system(cmd), 0);
	return dir;
}

static void remove_tree(char *dir)
{
	char cmd[PATH_MAX + 48];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwX '%s'; rm -rf '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static struct rmcp_stack *read_stack(const struct rmcp_stack_opts *o)
{
	struct rmcp_stack *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	struct rmcp_err err = { 0 };
	int rc = rmcp_stack_read(o, s, &err);
	if (rc != 0)
		fail_msg("rmcp_stack_read: %d %s", rc, err.msg);
	return s;
}

static const struct rmcp_lib_coverage *lib(const struct rmcp_stack *s, const char *owner, const char *component)
{
	for (size_t i = 0; i < s->n_libs; i++)
		if (strcmp(s->libs[i].owner, owner) == 0 && strcmp(s->libs[i].component, component) == 0)
			return &s->libs[i];
	fail_msg("no library %s/%s", owner, component);
	return NULL;
}

/* ---- torch/version.py --------------------------------------------------------------------- */

static int parse_exact(const char *text, struct rmcp_torch_install *t)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(t, 0, sizeof(*t));
	int n = rmcp_torch_version_parse(copy, len, t);
	free(copy);
	return n;
}

static void test_version_py(void **state)
{
	(void)state;
	struct rmcp_torch_install t;
	/* A real vendored file (detect.md §5). */
	assert_int_equal(parse_exact("from typing import Optional\n\n"
				     "__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
				     "__version__ = '2.3.0.dev20240308+rocm6.0'\ndebug = False\n"
				     "cuda: Optional[str] = None\ngit_version = 'abc'\n"
				     "hip: Optional[str] = '6.0.32830-d62f6a171'\n", &t), 3);
	assert_string_equal(t.version, "2.3.0.dev20240308+rocm6.0");
	assert_string_equal(t.hip, "6.0.32830-d62f6a171");
	assert_string_equal(t.cuda, "");
	assert_string_equal(t.rocm, "");
	/* Old wheels: plain `hip = '...'`. */
	assert_int_equal(parse_exact("__version__ = '1.13.1+rocm5.2'\ncuda = None\nhip = '5.2.21151-afdc89f8'\n", &t), 3);
	assert_string_equal(t.version, "1.13.1+rocm5.2");
	assert_string_equal(t.hip, "5.2.21151-afdc89f8");
	/* Newer wheels add rocm (seen: torch 2.13.0+rocm10.0.0 with hip 7.15.26333). */
	assert_int_equal(parse_exact("__version__ = '2.13.0+rocm10.0.0'\nhip: Optional[str] = '7.15.26333'\n"
				     "rocm: Optional[str] = '10.0.0'\ncuda: Optional[str] = None\n", &t), 4);
	assert_string_equal(t.rocm, "10.0.0");
	assert_string_equal(t.hip, "7.15.26333");
	/* CUDA and CPU builds. */
	assert_int_equal(parse_exact("__version__ = \"2.4.0+cu121\"\ncuda: Optional[str] = \"12.1\"\n"
				     "hip: Optional[str] = None\n", &t), 3);
	assert_string_equal(t.version, "2.4.0+cu121");
	assert_string_equal(t.cuda, "12.1");
	assert_string_equal(t.hip, "");
	/* Not assignments, or not top-level: ignored. The last assignment wins. */
	assert_int_equal(parse_exact("hip == 'x'\n    hip = 'indented'\nhipx = 'other'\nhip = 'first'\n"
				     "hip = 'second'\nhip = 'unterminated\n__version__ = 1\n", &t), 1);
	assert_string_equal(t.hip, "second");
	assert_string_equal(t.version, "");
	/* Long values are cut to the field. */
	char longv[200];
	snprintf(longv, sizeof(longv), "hip = '%0150d'\n", 7);
	assert_int_equal(parse_exact(longv, &t), 1);
	assert_int_equal(strlen(t.hip), sizeof(t.hip) - 1);
	assert_int_equal(parse_exact("", &t), 0);
	assert_int_equal(parse_exact("hip", &t), 0);
	assert_int_equal(parse_exact("hip:", &t), 0);
	assert_int_equal(parse_exact("hip = '", &t), 0);
}

/* ---- ROCm installs ------------------------------------------------------------------------ */

static void test_rocm_fixture(void **state)
{
	(void)state;
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s/tests/fixtures/sysroots/rx5600xt", source_root);
	struct rmcp_stack_opts o = { .sysroot = src };
	struct rmcp_stack *s = read_stack(&o);
	assert_int_equal(s->n_rocm, 1);	/* /opt/rocm is a link to /opt/rocm-6.2.4: one install */
	const struct rmcp_rocm_install *r = &s->rocm[0];
	assert_string_equal(r->path, "/opt/rocm-6.2.4");
	assert_true(r->is_default);
	assert_false(r->distro);
	assert_string_equal(r->version, "6.2.4");
	assert_string_equal(r->version_source, ".info/version");
	assert_string_equal(r->version_raw, "6.2.4-120");
	assert_string_equal(r->hip_version, "6.2.41134");
	assert_string_equal(r->hip_version_source, "bin/.hipVersion");
	assert_int_equal(s->n_libs, 0);	/* no real_gfx: nothing scanned */
	free(s);
}

static void test_rocm_variants(void **state)
{
	(void)state;
	char *root = make_tmp("rocm");
	char p[PATH_MAX];
	/* An absolute link chain as deb installs make it: /opt/rocm -> /etc/alternatives/rocm
	 * -> /opt/rocm-5.7.1, resolved inside the sysroot. Version only in the old header. */
	snprintf(p, sizeof(p), "%s/opt/rocm-5.7.1/include/rocm_version.h", root);
	write_file(p, "#define ROCM_VERSION_MAJOR 5\n#define ROCM_VERSION_MINOR 7\n#define ROCM_VERSION_PATCH 1\n");
	snprintf(p, sizeof(p), "%s/opt/rocm-5.7.1/include/hip/hip_version.h", root);
	write_file(p, "#define HIP_VERSION_MAJOR 5\n#define HIP_VERSION_MINOR 7\n#define HIP_VERSION_PATCH 31921\n");
	snprintf(p, sizeof(p), "%s/etc/alternatives/placeholder", root);
	write_file(p, "");	/* creates etc/alternatives */
	snprintf(p, sizeof(p), "%s/etc/alternatives/rocm", root);
	assert_int_equal(symlink("/opt/rocm-5.7.1", p), 0);
	snprintf(p, sizeof(p), "%s/opt/rocm", root);
	assert_int_equal(symlink("/etc/alternatives/rocm", p), 0);
	/* A second install known only by its directory name and the libamdhip64 file name. */
	snprintf(p, sizeof(p), "%s/opt/rocm-6.1.2/lib/libamdhip64.so.6.1.40091", root);
	write_file(p, "");
	/* TheRock: version in core-<VER>/.info/version. */
	snprintf(p, sizeof(p), "%s/opt/rocm-7.0/core-7.14.0/.info/version", root);
	write_file(p, "7.14.0\n");
	struct rmcp_stack_opts o = { .sysroot = root };
	struct rmcp_stack *s = read_stack(&o);
	assert_int_equal(s->n_rocm, 3);
	const struct rmcp_rocm_install *r = NULL;
	for (size_t i = 0; i < s->n_rocm; i++)
		if (strcmp(s->rocm[i].path, "/opt/rocm-5.7.1") == 0)
			r = &s->rocm[i];
	assert_non_null(r);
	assert_true(r->is_default);
	assert_string_equal(r->version, "5.7.1");
	assert_string_equal(r->version_source, "rocm_version.h");
	assert_string_equal(r->hip_version, "5.7.31921");
	assert_string_equal(r->hip_version_source, "hip_version.h");
	for (size_t i = 0; i < s->n_rocm; i++) {
		if (strcmp(s->rocm[i].path, "/opt/rocm-6.1.2") == 0) {
			assert_string_equal(s->rocm[i].version, "6.1.2");
			assert_string_equal(s->rocm[i].version_source, "dirname");
			assert_string_equal(s->rocm[i].hip_version, "6.1.40091");
			assert_string_equal(s->rocm[i].hip_version_source, "soname");
			assert_false(s->rocm[i].is_default);
		} else if (strcmp(s->rocm[i].path, "/opt/rocm-7.0") == 0) {
			assert_string_equal(s->rocm[i].version, "7.14.0");
			assert_string_equal(s->rocm[i].version_source, "core/.info/version");
		} else {
			assert_ptr_equal(&s->rocm[i], r);
		}
	}
	free(s);

	/* A distribution's ROCm: Debian's soname and dpkg entry. */
	snprintf(p, sizeof(p), "%s/usr/lib/x86_64-linux-gnu/libamdhip64.so.5.2.21153", root);
	write_file(p, "");
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", root);
	write_file(p, "Package: libamdhip64-4\nStatus: deinstall ok config-files\nVersion: 4.5.2-1\n\n"
		      "Package: libamdhip64-5\nStatus: install ok installed\nArchitecture: amd64\n"
		      "Version: 5.2.3-8\n\nPackage: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n");
	s = read_stack(&o);
	r = &s->rocm[s->n_rocm - 1];
	assert_true(r->distro);
	assert_string_equal(r->path, "/usr");
	assert_string_equal(r->version, "5.2.3");
	assert_string_equal(r->version_raw, "5.2.3-8");
	assert_string_equal(r->version_source, "dpkg");
	assert_string_equal(r->hip_version, "5.2.21153");
	free(s);
	remove_tree(root);

	/* AMD's repo packages, /opt/rocm a plain directory without version files. */
	root = make_tmp("rocm");
	snprintf(p, sizeof(p), "%s/opt/rocm/lib/placeholder", root);
	write_file(p, "");
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", root);
	write_file(p, "Package: rocm-core\nStatus: install ok installed\nVersion: 6.3.3.60303-74~22.04\n\n"
		      "Package: hip-runtime-amd\nStatus: install ok installed\nVersion: 6.3.42133.60303-74~22.04\n");
	o.sysroot = root;
	s = read_stack(&o);
	assert_int_equal(s->n_rocm, 1);
	r = &s->rocm[0];
	assert_string_equal(r->path, "/opt/rocm");
	assert_true(r->is_default);
	assert_string_equal(r->version, "6.3.3");
	assert_string_equal(r->version_raw, "6.3.3.60303-74~22.04");
	assert_string_equal(r->version_source, "dpkg");
	assert_string_equal(r->hip_version, "6.3.42133");
	assert_string_equal(r->hip_version_source, "dpkg");
	free(s);
	remove_tree(root);
}

/* This machine's Debian ROCm, against dpkg-query. */
static void test_rocm_this_machine(void **state)
{
	(void)state;
	FILE *p = popen("dpkg-query -W -f '${Version}' libamdhip64-5 2>/dev/null", "r");
	assert_non_null(p);
	char want[64] = "";
	char *got_line = fgets(want, sizeof(want), p);
	int st = pclose(p);
	if (!got_line || st != 0)
		fail_msg("libamdhip64-5 is not installed (scripts/deps.txt lists it for the tests)");
	struct rmcp_stack_opts o = { .sysroot = "/" };
	struct rmcp_stack *s = read_stack(&o);
	const struct rmcp_rocm_install *r = NULL;
	for (size_t i = 0; i < s->n_rocm; i++)
		if (s->rocm[i].distro)
			r = &s->rocm[i];
	assert_non_null(r);
	assert_string_equal(r->version_raw, want);
	assert_string_equal(r->version_source, "dpkg");
	assert_int_equal(strncmp(r->hip_version, "5.", 2), 0);
	free(s);
}

/* ---- torch installs ------------------------------------------------------------------------ */

static void test_torch_discovery(void **state)
{
	(void)state;
	struct rmcp_stack_opts o = { .sysroot = sysroot("rx5600xt"), .path_env = "/usr/local/bin:/home/user/venv/bin:/usr/bin" };
	struct rmcp_stack *s = read_stack(&o);
	assert_string_equal(s->python, "/home/user/venv/bin/python3");
	assert_int_equal(s->n_torch, 1);
	const struct rmcp_torch_install *t = &s->torch[0];
	assert_string_equal(t->path, VENV_SITE "/torch");
	assert_string_equal(t->found_by, "python");
	assert_string_equal(t->version, "2.5.1+rocm6.2");
	assert_string_equal(t->dist_version, "2.5.1+rocm6.2");
	assert_string_equal(t->hip, "6.2.41133-dd7f95766");
	assert_true(t->bundles_rocm);
	free(s);

	/* No python on PATH: nothing found, unless told where. */
	o.path_env = "/usr/local/bin:relative/bin:";
	s = read_stack(&o);
	assert_string_equal(s->python, "");
	assert_int_equal(s->n_torch, 0);
	free(s);
	const char *const pythons[] = { "/home/user/venv/bin/python3", NULL };
	o.python_paths = pythons;
	s = read_stack(&o);
	assert_int_equal(s->n_torch, 1);
	assert_string_equal(s->torch[0].found_by, "--python");
	free(s);
	/* --torch: the package itself or its site directory, deduplicated. */
	const char *const dirs[] = { VENV_SITE, VENV_SITE "/torch", NULL };
	o.python_paths = NULL;
	o.torch_dirs = dirs;
	s = read_stack(&o);
	assert_int_equal(s->n_torch, 1);
	assert_string_equal(s->torch[0].found_by, "--torch");
	free(s);

	/* Debian's python3 in a container: /usr/local/lib/python3.X/dist-packages. */
	struct rmcp_stack_opts c = { .sysroot = sysroot("container-eperm"), .path_env = "/usr/local/bin:/usr/bin" };
	s = read_stack(&c);
	assert_string_equal(s->python, "/usr/bin/python3");
	assert_int_equal(s->n_torch, 1);
	assert_string_equal(s->torch[0].path, "/usr/local/lib/python3.10/dist-packages/torch");
	assert_string_equal(s->torch[0].version, "2.4.1+rocm6.1");
	assert_string_equal(s->torch[0].dist_version, "");
	free(s);
}

static void test_torch_venv_and_user_site(void **state)
{
	(void)state;
	char *root = make_tmp("torch");
	char p[PATH_MAX];
	/* A venv made with --system-site-packages sees the base's torch; the user site too. */
	snprintf(p, sizeof(p), "%s/srv/env/pyvenv.cfg", root);
	write_file(p, "home = /opt/py/bin\ninclude-system-site-packages = true\n");
	snprintf(p, sizeof(p), "%s/srv/env/bin/python", root);
	write_file(p, "");
	snprintf(p, sizeof(p), "%s/opt/py/lib/python3.12/site-packages/torch/version.py", root);
	write_file(p, "__version__ = '2.6.0+rocm6.2.4'\nhip: Optional[str] = '6.2.41134-65d174c3e'\n");
	snprintf(p, sizeof(p), "%s/home/ann/.local/lib/python3.12/site-packages/torch/version.py", root);
	write_file(p, "__version__ = '2.6.0+cpu'\nhip = None\n");
	/* The base python is a link that moves the prefix: /usr/local/bin/python3 -> /opt/py/bin. */
	snprintf(p, sizeof(p), "%s/opt/py/bin/python3.12", root);
	write_file(p, "");
	struct rmcp_stack_opts o = { .sysroot = root, .path_env = "/srv/env/bin", .home = "/home/ann" };
	struct rmcp_stack *s = read_stack(&o);
	assert_string_equal(s->python, "/srv/env/bin/python");
	assert_int_equal(s->n_torch, 2);
	assert_string_equal(s->torch[0].path, "/opt/py/lib/python3.12/site-packages/torch");
	assert_string_equal(s->torch[0].found_by, "python");
	assert_string_equal(s->torch[0].hip, "6.2.41134-65d174c3e");
	assert_false(s->torch[0].bundles_rocm);
	assert_string_equal(s->torch[1].found_by, "user-site");
	assert_string_equal(s->torch[1].version, "2.6.0+cpu");
	free(s);

	snprintf(p, sizeof(p), "%s/usr/local/bin", root);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/usr/local/bin/python3", root);
	assert_int_equal(symlink("/opt/py/bin/python3.12", p), 0);
	struct rmcp_stack_opts b = { .sysroot = root, .path_env = "/usr/local/bin" };
	s = read_stack(&b);
	assert_string_equal(s->python, "/usr/local/bin/python3");
	assert_int_equal(s->n_torch, 1);
	assert_string_equal(s->torch[0].path, "/opt/py/lib/python3.12/site-packages/torch");
	free(s);
	remove_tree(root);
}

/* ---- coverage ---------------------------------------------------------------------------- */

static void test_coverage_rx5600xt(void **state)
{
	(void)state;
	struct rmcp_stack_opts o = { .sysroot = sysroot("rx5600xt"), .path_env = "/home/user/venv/bin:/usr/bin",
				     .real_gfx = "gfx1010" };
	struct rmcp_stack *s = read_stack(&o);
	/* The official-style wheel has no gfx1010 code anywhere. */
	const struct rmcp_lib_coverage *l = lib(s, "torch", "libtorch_hip");
	assert_string_equal(l->path, VENV_SITE "/torch/lib/libtorch_hip.so");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NONE);
	assert_string_equal(l->targets, WHEEL_TARGETS);
	assert_false(l->real_covered);
	assert_int_equal(lib(s, "torch", "rocblas")->coverage, RMCP_COVERAGE_NONE);
	l = lib(s, "torch", "rocblas-tensile");
	assert_string_equal(l->path, VENV_SITE "/torch/lib/rocblas/library");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NONE);	/* no TensileLibrary for gfx1010 */
	assert_string_equal(l->targets, WHEEL_TARGETS);
	l = lib(s, "torch", "miopen-kdb");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NONE);
	assert_string_equal(l->targets, "gfx90a gfx1030");
	assert_int_equal(lib(s, "torch", "amdhip64")->coverage, RMCP_COVERAGE_NO_DEVICE_CODE);
	/* libc10.so has no device code and no ROCm name: not listed. */
	for (size_t i = 0; i < s->n_libs; i++)
		assert_null(strstr(s->libs[i].path, "libc10"));
	/* The system ROCm 6.2.4 rocBLAS (ccob_v3.so: gfx1010 gfx1030 gfx1100) has it. */
	l = lib(s, "rocm", "rocblas");
	assert_string_equal(l->path, "/opt/rocm-6.2.4/lib/librocblas.so.4.2.60204");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NATIVE);
	assert_string_equal(l->targets, "gfx1010 gfx1030 gfx1100");
	assert_int_equal(lib(s, "rocm", "rocblas-tensile")->coverage, RMCP_COVERAGE_NATIVE);
	assert_int_equal(lib(s, "rocm", "amdhip64")->coverage, RMCP_COVERAGE_NO_DEVICE_CODE);
	assert_int_equal(s->n_libs, 8);
	assert_false(s->libs_truncated);
	free(s);

	/* HSA_OVERRIDE_GFX_VERSION=10.3.0: the runtime loads the gfx1030 code. */
	o.effective_gfx = "gfx1030";
	s = read_stack(&o);
	l = lib(s, "torch", "libtorch_hip");
	assert_int_equal(l->coverage, RMCP_COVERAGE_EFFECTIVE_ONLY);
	assert_false(l->real_covered);
	assert_true(l->effective_covered);
	assert_int_equal(lib(s, "torch", "rocblas-tensile")->coverage, RMCP_COVERAGE_EFFECTIVE_ONLY);
	l = lib(s, "rocm", "rocblas");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NATIVE);
	assert_true(l->effective_covered);
	free(s);

	struct rmcp_err err = { 0 };
	struct rmcp_stack *bad = calloc(1, sizeof(*bad));
	o.real_gfx = "gfx1010:bogus+";
	assert_int_equal(rmcp_stack_read(&o, bad, &err), -RMCP_E_FORMAT);
	assert_non_null(strstr(err.msg, "bogus"));
	free(bad);
}

static void test_coverage_other_gpus(void **state)
{
	(void)state;
	struct rmcp_stack_opts o = { .sysroot = sysroot("rx6700xt"), .path_env = "/home/user/venv/bin",
				     .real_gfx = "gfx1031" };
	struct rmcp_stack *s = read_stack(&o);
	assert_int_equal(lib(s, "torch", "libtorch_hip")->coverage, RMCP_COVERAGE_NONE);
	free(s);
	o.effective_gfx = "gfx1030";
	s = read_stack(&o);
	assert_int_equal(lib(s, "torch", "libtorch_hip")->coverage, RMCP_COVERAGE_EFFECTIVE_ONLY);
	assert_int_equal(lib(s, "torch", "miopen-kdb")->coverage, RMCP_COVERAGE_EFFECTIVE_ONLY);
	free(s);

	struct rmcp_stack_opts x = { .sysroot = sysroot("rx7900xtx"), .path_env = "/home/user/venv/bin",
				     .real_gfx = "gfx1100" };
	s = read_stack(&x);
	assert_int_equal(lib(s, "torch", "libtorch_hip")->coverage, RMCP_COVERAGE_NATIVE);
	assert_int_equal(lib(s, "torch", "rocblas-tensile")->coverage, RMCP_COVERAGE_NATIVE);
	free(s);

	/* MI210 with sramecc on: code built for plain gfx90a (feature "any") loads. */
	struct rmcp_stack_opts m = { .sysroot = sysroot("mi210"), .path_env = "/home/user/venv/bin",
				     .real_gfx = "gfx90a:sramecc+" };
	s = read_stack(&m);
	assert_int_equal(lib(s, "torch", "libtorch_hip")->coverage, RMCP_COVERAGE_NATIVE);
	assert_int_equal(lib(s, "torch", "miopen-kdb")->coverage, RMCP_COVERAGE_NATIVE);
	free(s);
	/* The effective ISA named without features is the same GPU, not an override. */
	m.effective_gfx = "gfx90a";
	s = read_stack(&m);
	const struct rmcp_lib_coverage *l = lib(s, "torch", "libtorch_hip");
	assert_int_equal(l->coverage, RMCP_COVERAGE_NATIVE);
	assert_true(l->effective_covered);
	free(s);
}

/* Generic code objects (clang-22 --offload-arch=gfx10-1-generic/gfx10-3-generic). */
static void test_coverage_generic(void **state)
{
	(void)state;
	char *root = make_tmp("generic");
	char p[PATH_MAX], cmd[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/site/torch/version.py", root);
	write_file(p, "__version__ = '2.9.0+rocm7.0'\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/site/torch/lib' && cp '%s/generic.so' '%s/site/torch/lib/libtorch_hip.so'",
		 root, fixtures, root);
	assert_int_equal(system(cmd), 0);
	const char *const dirs[] = { "/site/torch", NULL };
	static const struct {
		const char *gpu;
		enum rmcp_coverage want;
	} cases[] = {
		{ "gfx1010", RMCP_COVERAGE_NATIVE }, { "gfx1012", RMCP_COVERAGE_NATIVE },
		{ "gfx1031", RMCP_COVERAGE_NATIVE }, { "gfx1100", RMCP_COVERAGE_NONE },
		{ "gfx90a", RMCP_COVERAGE_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rmcp_stack_opts o = { .sysroot = root, .torch_dirs = dirs, .real_gfx = cases[i].gpu };
		struct rmcp_stack *s = read_stack(&o);
		const struct rmcp_lib_coverage *l = lib(s, "torch", "libtorch_hip");
		if (l->coverage != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].gpu, l->coverage, cases[i].want);
		assert_string_equal(l->targets, "gfx10-1-generic gfx10-3-generic");
		free(s);
	}
	remove_tree(root);
}

/* ---- the cache ---------------------------------------------------------------------------- */

static void set_times(const char *path, time_t sec)
{
	struct timespec ts[2] = { { .tv_sec = sec, .tv_nsec = 0 }, { .tv_sec = sec, .tv_nsec = 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_cache(void **state)
{
	(void)state;
	char *root = copy_sysroot("rx5600xt");
	char *cache = make_tmp("cache");
	char cdir[PATH_MAX];
	snprintf(cdir, sizeof(cdir), "%s/sub/rmcp", cache);	/* created on first write */
	struct rmcp_stack_opts o = { .sysroot = root, .path_env = "/home/user/venv/bin", .real_gfx = "gfx1010",
				     .cache_dir = cdir };
	struct rmcp_stack *cold = read_stack(&o);
	assert_int_equal(cold->cache_hits, 0);
	assert_true(cold->cache_misses >= 7);
	assert_string_equal(cold->cache_error, "");
	for (size_t i = 0; i < cold->n_libs; i++)
		assert_false(cold->libs[i].cached);
	char cfile[PATH_MAX + 32];
	snprintf(cfile, sizeof(cfile), "%s/scan-cache-v1", cdir);
	struct stat st;
	assert_int_equal(stat(cfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(cfile, sizeof(cfile), "%s", cdir);
	assert_int_equal(stat(cfile, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* Warm: every file from the cache, the same answers. */
	struct rmcp_stack *warm = read_stack(&o);
	assert_int_equal(warm->cache_misses, 0);
	assert_int_equal(warm->cache_hits, cold->cache_misses);
	assert_int_equal(warm->n_libs, cold->n_libs);
	for (size_t i = 0; i < warm->n_libs; i++) {
		assert_string_equal(warm->libs[i].path, cold->libs[i].path);
		assert_int_equal(warm->libs[i].coverage, cold->libs[i].coverage);
		assert_string_equal(warm->libs[i].targets, cold->libs[i].targets);
		/* Tensile/kdb directories are judged by names each time; files are cached. */
		if (strcmp(warm->libs[i].component, "rocblas-tensile") != 0 &&
		    strcmp(warm->libs[i].component, "miopen-kdb") != 0)
			assert_true(warm->libs[i].cached);
	}
	free(warm);

	/* touch: a new mtime (and ctime) invalidates that one file. */
	char torch_hip[PATH_MAX];
	snprintf(torch_hip, sizeof(torch_hip), "%s" VENV_SITE "/torch/lib/libtorch_hip.so", root);
	set_times(torch_hip, 1000000000);
	warm = read_stack(&o);
	assert_int_equal(warm->cache_misses, 1);
	assert_false(lib(warm, "torch", "libtorch_hip")->cached);
	assert_true(lib(warm, "torch", "rocblas")->cached);
	free(warm);

	/* Rewritten with gfx1010 code (ccob_v3.so) and its old mtime put back: ctime still
	 * changed, so the stale "none" is not trusted. */
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "cp '%s/ccob_v3.so' '%s'", fixtures, torch_hip);
	assert_int_equal(system(cmd), 0);
	set_times(torch_hip, 1000000000);
	warm = read_stack(&o);
	assert_int_equal(warm->cache_misses, 1);
	const struct rmcp_lib_coverage *l = lib(warm, "torch", "libtorch_hip");
	assert_false(l->cached);
	assert_int_equal(l->coverage, RMCP_COVERAGE_NATIVE);
	assert_string_equal(l->targets, "gfx1010 gfx1030 gfx1100");
	free(warm);

	/* A corrupted entry is ignored (that file is scanned again), the others still hit. */
	snprintf(cfile, sizeof(cfile), "%s/scan-cache-v1", cdir);
	FILE *f = fopen(cfile, "r+");
	assert_non_null(f);
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	char *e = strstr(text, "librocblas.so.4.2.60204");
	assert_non_null(e);
	char *line = e;
	while (line > text && line[-1] != '\n')
		line--;
	char *tab = strchr(line, '\t');
	assert_non_null(tab);
	tab[1] = tab[1] == '9' ? '8' : '9';	/* the file size, digit changed: checksum fails */
	rewind(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	warm = read_stack(&o);
	assert_int_equal(warm->cache_misses, 1);
	assert_false(lib(warm, "rocm", "rocblas")->cached);
	assert_int_equal(lib(warm, "rocm", "rocblas")->coverage, RMCP_COVERAGE_NATIVE);
	assert_true(lib(warm, "torch", "libtorch_hip")->cached);
	free(warm);

	/* Another rmcp version's cache is not ours. */
	f = fopen(cfile, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	char other[sizeof(text) + 64];
	snprintf(other, sizeof(other), "rmcp-scan-cache\t1\t0.0.0-other%s", nl);
	write_file(cfile, other);
	warm = read_stack(&o);
	assert_int_equal(warm->cache_hits, 0);
	free(warm);
	/* Garbage of any kind is an empty cache, never a crash. */
	write_file(cfile, "\x01\x02 not a cache\n\n\t\t\t\n");
	warm = read_stack(&o);
	assert_int_equal(warm->cache_hits, 0);
	assert_int_equal(warm->cache_misses, cold->cache_misses);
	free(warm);

	/* An unwritable cache location: results unchanged, the reason recorded. */
	struct rmcp_stack_opts u = o;
	u.cache_dir = "/proc/rmcp-cannot-create";
	warm = read_stack(&u);
	assert_int_not_equal(warm->cache_error[0], '\0');
	assert_int_equal(lib(warm, "torch", "libtorch_hip")->coverage, RMCP_COVERAGE_NATIVE);
	free(warm);
	free(cold);
	remove_tree(cache);
	remove_tree(root);
}

static void test_cache_default_dir(void **state)
{
	(void)state;
	char buf[PATH_MAX];
	char *xdg[] = { "HOME=/home/u", "XDG_CACHE_HOME=/var/cache/u", NULL };
	assert_int_equal(rmcp_cache_default_dir(xdg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/cache/u/rmcp");
	char *rel[] = { "XDG_CACHE_HOME=relative", "HOME=/home/u", NULL };	/* XDG: ignore relative */
	assert_int_equal(rmcp_cache_default_dir(rel, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.cache/rmcp");
	char *none[] = { "PATH=/bin", NULL };
	assert_int_equal(rmcp_cache_default_dir(none, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(rmcp_cache_default_dir(xdg, buf, 8), -ENAMETOOLONG);
}

int main(void)
{
	const char *fx = getenv("RMCP_FIXTURES"), *src = getenv("RMCP_SOURCE_ROOT");
	if (!fx || !src) {
		fprintf(stderr, "RMCP_FIXTURES / RMCP_SOURCE_ROOT not set (run through meson test)\n");
		return 1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s", fx);
	snprintf(source_root, sizeof(source_root), "%s", src);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_py),
		cmocka_unit_test(test_rocm_fixture),
		cmocka_unit_test(test_rocm_variants),
		cmocka_unit_test(test_rocm_this_machine),
		cmocka_unit_test(test_torch_discovery),
		cmocka_unit_test(test_torch_venv_and_user_site),
		cmocka_unit_test(test_coverage_rx5600xt),
		cmocka_unit_test(test_coverage_other_gpus),
		cmocka_unit_test(test_coverage_generic),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_default_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
