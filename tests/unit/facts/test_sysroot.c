/* SPDX-License-Identifier: MIT */
/*
 * The one sysroot context (src/lib/facts/sysroot.c) on a real directory tree made here: symlinks,
 * absolute ones included, resolve inside the sysroot as chroot(2) would; ".." cannot leave
 * it; reads, lists and stats go through the same resolution; the running machine ("/") is
 * joined, not resolved. The "outside" directory next to the sysroot holds a file with the
 * same name as one inside, so escaping it would read different bytes.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "sysroot.h"

static char top[PATH_MAX], root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	char dir[PATH_MAX * 2];
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void link_at(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/rmcp-sysroot-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(top, sizeof(top), "%s", tmpl);
	snprintf(root, sizeof(root), "%s/root", top);
	put("outside/etc/alternatives/rocm/version", "host\n");
	put("root/etc/alternatives/rocm/version", "snapshot\n");
	put("root/opt/rocm-6.2.4/.info/version", "6.2.4\n");
	put("root/usr/lib/libfoo.so.1", "elf\n");
	put("root/sys/devices/virtual/kfd/kfd/topology/generation_id", "7\n");
	put("root/sys/bus/pci/devices/0000:03:00.0/vendor", "0x1002\n");
	/* The shapes real machines have: absolute links (alternatives), relative ones (sysfs),
	 * soname links, a chain, a dangling link, a loop. */
	link_at("/etc/alternatives/rocm", "root/opt/rocm");
	link_at("/opt/rocm-6.2.4", "root/etc/alternatives/rocm-versioned");
	put("root/sys/class/kfd/.keep", "");
	link_at("../../devices/virtual/kfd/kfd", "root/sys/class/kfd/kfd");
	link_at("libfoo.so.1", "root/usr/lib/libfoo.so");
	link_at("/../../../../outside/etc", "root/escape-abs");
	link_at("../../outside/etc", "root/escape-rel");
	link_at("/nowhere", "root/dangling");
	link_at("loop-b", "root/loop-a");
	link_at("loop-a", "root/loop-b");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

static void resolve_inside(void **state)
{
	(void)state;
	struct rmcp_path *p = rmcp_path_new(root, "/");
	assert_non_null(p);
	char out[PATH_MAX], buf[64];
	/* An absolute link resolves against the sysroot, not this machine's /etc. */
	assert_int_equal(rmcp_path_resolve(p, "/opt/rocm/version", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/alternatives/rocm/version");
	assert_int_equal(rmcp_path_read(p, buf, sizeof(buf), "/opt/rocm/version"), 9);
	assert_string_equal(buf, "snapshot\n");
	/* A chain of absolute links. */
	assert_int_equal(rmcp_path_resolve(p, "/etc/alternatives/rocm-versioned/.info/version", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/opt/rocm-6.2.4/.info/version");
	/* Relative links, as sysfs has them. */
	assert_int_equal(rmcp_path_resolve(p, "sys/class/kfd/kfd/topology", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/devices/virtual/kfd/kfd/topology");
	uint64_t v;
	assert_int_equal(rmcp_path_read_u64(p, &v, "sys/class/kfd/kfd/topology/generation_id"), 0);
	assert_int_equal(v, 7);
	/* Missing components are kept as written. */
	assert_int_equal(rmcp_path_resolve(p, "/opt/rocm/lib/none", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/alternatives/rocm/lib/none");
	assert_int_equal(rmcp_path_resolve(p, "/loop-a", out, sizeof(out)), -ELOOP);
	rmcp_path_free(p);
}

static void no_escape(void **state)
{
	(void)state;
	struct rmcp_path *p = rmcp_path_new(root, "/sys");
	assert_non_null(p);
	char out[PATH_MAX], host[PATH_MAX], buf[64];
	/* ".." stops at the sysroot's root, from a context's dir too. */
	assert_int_equal(rmcp_path_resolve(p, "../../../../etc/alternatives/rocm/version", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/alternatives/rocm/version");
	assert_int_equal(rmcp_path_read(p, buf, sizeof(buf), "../../../../etc/alternatives/rocm/version"), 9);
	assert_string_equal(buf, "snapshot\n");
	/* Links whose targets climb out, absolutely or relatively, stay inside. */
	assert_int_equal(rmcp_path_resolve(p, "../escape-abs/alternatives/rocm/version", out, sizeof(out)), 0);
	assert_string_equal(out, "/outside/etc/alternatives/rocm/version");
	assert_int_equal(rmcp_path_read(p, buf, sizeof(buf), "../escape-abs/alternatives/rocm/version"), -ENOENT);
	assert_int_equal(rmcp_path_read(p, buf, sizeof(buf), "../escape-rel/alternatives/rocm/version"), -ENOENT);
	/* Every host path starts with the sysroot. */
	assert_int_equal(rmcp_path_host(p, "../../escape-rel/x", host, sizeof(host)), 0);
	assert_int_equal(strncmp(host, root, strlen(root)), 0);
	assert_non_null(rmcp_path_abs(p, host, sizeof(host), "../opt/rocm"));
	snprintf(out, sizeof(out), "%s/etc/alternatives/rocm", root);
	assert_string_equal(host, out);
	rmcp_path_free(p);
}

static void entries(void **state)
{
	(void)state;
	struct rmcp_path *p = rmcp_path_new(root, "/");
	assert_non_null(p);
	/* The soname link is no real file; its target is. */
	assert_true(rmcp_path_is_file(p, "/usr/lib/libfoo.so.1"));
	assert_false(rmcp_path_is_file(p, "/usr/lib/libfoo.so"));
	assert_true(rmcp_path_exists(p, "/usr/lib/libfoo.so"));
	assert_true(rmcp_path_exists(p, "/dangling"));	/* the link is there */
	assert_false(rmcp_path_is_dir(p, "/dangling"));
	assert_false(rmcp_path_exists(p, "/absent"));
	assert_true(rmcp_path_is_dir(p, "/opt/rocm"));	/* through the absolute link */
	char **names = NULL;
	int n = rmcp_path_list(p, "/opt/rocm", NULL, &names);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "version");
	rmcp_strv_free(names, (size_t)n);
	assert_int_equal(rmcp_path_list(p, "/absent", NULL, &names), -ENOENT);
	unsigned ids[4];
	assert_int_equal(rmcp_path_list_numeric(p, ids, 4, "sys/class/kfd"), 0);	/* "kfd" only */
	struct stat st;
	assert_int_equal(rmcp_path_stat(p, &st, "/opt/rocm/version"), 0);
	assert_true(S_ISREG(st.st_mode));
	rmcp_path_free(p);
}

static void live_machine(void **state)
{
	(void)state;
	/* "/" and "" are the running machine: paths are joined and left to the kernel. */
	struct rmcp_path *p = rmcp_path_new("", "/proc");
	assert_non_null(p);
	assert_true(rmcp_path_is_live(p));
	assert_string_equal(rmcp_path_sysroot(p), "/");
	char host[PATH_MAX];
	assert_int_equal(rmcp_path_host(p, "self/status", host, sizeof(host)), 0);
	assert_string_equal(host, "/proc/self/status");
	char buf[64];
	assert_true(rmcp_path_read(p, buf, sizeof(buf), "self/status") > 0);
	rmcp_path_free(p);
	p = rmcp_path_new(root, NULL);
	assert_false(rmcp_path_is_live(p));
	assert_string_equal(rmcp_path_sysroot(p), root);
	rmcp_path_free(p);
	/* Over-long names are errors, not truncations. */
	char longdir[PATH_MAX + 8];
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_null(rmcp_path_new(longdir, "/"));
	assert_int_equal(errno, ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolve_inside),
		cmocka_unit_test(no_escape),
		cmocka_unit_test(entries),
		cmocka_unit_test(live_machine),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
