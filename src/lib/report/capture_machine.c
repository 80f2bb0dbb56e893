/* SPDX-License-Identifier: MIT */
/*
 * rmcp capture, the machine's side (capture_internal.h): the sysfs/procfs subset the machine
 * reader uses, the user's ids (only root's and the user's etc/passwd lines), Secure Boot and
 * the amdgpu module, /dev access as rmcp-snapshot/dev.stat, and the kernel log's amdgpu/KFD
 * lines (or why it could not be read).
 */
#include "capture_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sysfs.h"
#include "banned.h"

/* A machine file (sysfs, procfs, etc) copied with its contents; absent files are skipped,
 * unreadable ones kept as mode-000 empty files (what the doctor then sees as denied). */
static void copy_file(struct rmcp_capture *c, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	if (capture_host_path(c, rel, path, sizeof(path)) < 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	char *data;
	ssize_t n = capture_slurp(path, &data, COPY_MAX);
	if (n == -EACCES || n == -EPERM) {
		capture_add(c, rel, RMCP_CAP_FILE, 0, "", 0);
		return;
	}
	if (n < 0)
		return;
	/* sysfs reports 4096 bytes for every attribute: keep the mode, not the size */
	capture_add(c, rel, RMCP_CAP_FILE, st.st_mode & 0777 ? st.st_mode : 0644, data, (size_t)n);
	free(data);
}

/* Every regular file under dir (following links, as sysfs needs), depth-limited. */
static void copy_tree(struct rmcp_capture *c, const char *dir, int depth)
{
	char path[PATH_MAX];
	if (depth < 0 || capture_host_path(c, dir, path, sizeof(path)) < 0)
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	capture_add(c, dir, RMCP_CAP_DIR, 0755, "", 0);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "caches") == 0 || strcmp(de->d_name, "perf") == 0)
			continue;
		char rel[PATH_MAX], host[PATH_MAX];
		struct stat st;
		snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
		if (capture_host_path(c, rel, host, sizeof(host)) < 0 || stat(host, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			copy_tree(c, rel, depth - 1);
		else if (S_ISREG(st.st_mode))
			copy_file(c, rel);
	}
	closedir(d);
}

/* ---- the machine's side ------------------------------------------------------------------ */

static void machine_files(struct rmcp_capture *c)
{
	static const char *const files[] = {
		"/proc/sys/kernel/osrelease", "/proc/sys/kernel/dmesg_restrict", "/proc/1/cgroup",
		"/proc/self/status", "/.dockerenv", "/run/.containerenv", "/run/systemd/container",
		"/etc/os-release", "/usr/lib/os-release", "/usr/share/libdrm/amdgpu.ids",
		"/opt/amdgpu/share/libdrm/amdgpu.ids", "/sys/module/amdgpu/initstate",
		"/sys/module/amdgpu/version",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		copy_file(c, files[i]);
	char path[PATH_MAX];
	struct stat st;
	if (capture_host_path(c, "/sys/module/amdgpu", path, sizeof(path)) == 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		capture_add(c, "/sys/module/amdgpu", RMCP_CAP_DIR, 0755, "", 0);
		copy_tree(c, "/sys/module/amdgpu/parameters", 0);
	}
	/* KFD topology: libhsakmt's path first; both are the same tree on a live machine. */
	if (capture_host_path(c, "/sys/class/kfd/kfd/topology", path, sizeof(path)) == 0 && stat(path, &st) == 0)
		copy_tree(c, "/sys/class/kfd/kfd/topology", 5);
	else
		copy_tree(c, "/sys/devices/virtual/kfd/kfd/topology", 5);
	static const char *const pci[] = { "vendor", "device", "revision", "class", "subsystem_vendor",
					   "subsystem_device" };
	DIR *d = capture_host_path(c, "/sys/bus/pci/devices", path, sizeof(path)) == 0 ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof(pci) / sizeof(pci[0]); i++) {
			char rel[PATH_MAX];
			snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/%s", de->d_name, pci[i]);
			copy_file(c, rel);
		}
	}
	if (d)
		closedir(d);
}

/* Secure Boot and the installed amdgpu module (issue 9 facts): the SecureBoot variable as is;
 * an efivarfs without it as one placeholder variable (the doctor only asks "any entry?"); the
 * module as an empty stand-in at the path the doctor found. */
static void firmware_files(struct rmcp_capture *c, const struct rmcp_machine *m)
{
	static const char efivars[] = "/sys/firmware/efi/efivars";
	char path[PATH_MAX];
	struct stat st;
	size_t before = c->n;
	copy_file(c, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");
	DIR *d = c->n == before && capture_host_path(c, efivars, path, sizeof(path)) == 0 ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			capture_add(c, "/sys/firmware/efi/efivars/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c",
			    RMCP_CAP_FILE, 0644, "", 0);
			break;
		}
	if (d)
		closedir(d);
	if (m->amdgpu_module[0] && capture_host_path(c, m->amdgpu_module, path, sizeof(path)) == 0 && stat(path, &st) == 0) {
		capture_add(c, m->amdgpu_module, RMCP_CAP_FILE, st.st_mode, "", 0);
		c->st->stand_ins++;
	}
}

/* etc/passwd: only root's and the user's lines (the rest names other people). */
static void passwd_file(struct rmcp_capture *c, const struct rmcp_machine *m)
{
	char path[PATH_MAX], *text;
	if (capture_host_path(c, "/etc/passwd", path, sizeof(path)) < 0 || capture_slurp(path, &text, COPY_MAX) < 0)
		return;
	size_t cap = strlen(text) + 1, len = 0;
	char *out = malloc(cap);
	for (char *line = text, *next; out && line && *line; line = next) {
		next = strchr(line, '\n');
		size_t ll = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		const char *uid = memchr(line, ':', ll);
		uid = uid ? memchr(uid + 1, ':', ll - (size_t)(uid + 1 - line)) : NULL;
		if (!uid)
			continue;
		unsigned long u = strtoul(uid + 1, NULL, 10);
		if (u == 0 || (m->user_known && u == m->uid)) {
			memcpy(out + len, line, ll);
			len += ll;
			out[len++] = '\n';
		}
	}
	if (out)
		capture_add(c, "/etc/passwd", RMCP_CAP_FILE, 0644, out, len);
	free(out);
	free(text);
}

/* /dev access: modes and owners as rmcp-snapshot/dev.stat (git and some unpackers keep
 * neither), plus empty stand-ins so the entries exist. */
static void dev_files(struct rmcp_capture *c)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	char *devstat = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&devstat, &len);
	if (!mem) {
		c->oom = 1;
		return;
	}
	char *old;
	bool have_old = capture_host_path(c, "/rmcp-snapshot/dev.stat", path, sizeof(path)) == 0 &&
			capture_slurp(path, &old, COPY_MAX) >= 0;
	if (have_old) {
		fputs(old, mem);
		free(old);
	}
	const char *names[2 + 64];
	char renders[64][32];
	size_t n = 0;
	names[n++] = "/dev/kfd";
	DIR *d = capture_host_path(c, "/dev/dri", path, sizeof(path)) == 0 ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0]))
		if (strncmp(de->d_name, "renderD", 7) == 0 && strlen(de->d_name) < 20) {
			snprintf(renders[n - 1], sizeof(renders[0]), "/dev/dri/%s", de->d_name);
			names[n] = renders[n - 1];
			n++;
		}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (capture_host_path(c, names[i], path, sizeof(path)) < 0 || stat(path, &st) != 0)
			continue;
		capture_add(c, names[i], RMCP_CAP_FILE, st.st_mode & 0777, "", 0);
		if (!have_old) {
			snprintf(line, sizeof(line), "%o %u %u %s\n", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				 (unsigned)st.st_gid, names[i]);
			fputs(line, mem);
		}
	}
	if (fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	if (len)
		capture_add(c, "/rmcp-snapshot/dev.stat", RMCP_CAP_FILE, 0644, devstat, len);
	free(devstat);
}

/* ---- the kernel log: only the lines that matter (amdgpu, KFD, DRM, what the doctor classifies) */

struct logbuf {
	char *text;
	size_t len;
	FILE *mem;
	size_t lines;
};

static bool log_line_wanted(const char *s, size_t n)
{
	static const char *const keys[] = { "amdgpu", "kfd", "drm", "AMD-Vi", "atomic" };
	if (rmcp_log_classify(s, n))
		return true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (memmem(s, n, keys[i], strlen(keys[i])))
			return true;
	return false;
}

static void log_sink(void *ctx, const char *buf, size_t len)
{
	struct logbuf *b = ctx;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		if (ll && log_line_wanted(buf + pos, ll)) {
			fwrite(buf + pos, 1, ll, b->mem);
			fputc('\n', b->mem);
			b->lines++;
		}
		pos += ll + 1;
	}
}

static void kernel_log(struct rmcp_capture *c, const struct rmcp_capture_opts *o, const struct rmcp_machine *m)
{
	struct logbuf b = { 0 };
	b.mem = open_memstream(&b.text, &b.len);
	if (!b.mem) {
		c->oom = 1;
		return;
	}
	char path[PATH_MAX], *text = NULL, source[160] = "", why[256] = "";
	int rc = -ENOENT;
	if (o->dmesg_file) {
		ssize_t n = capture_slurp(o->dmesg_file, &text, 64u << 20);
		rc = n < 0 ? (int)n : 0;
		if (n >= 0)
			log_sink(&b, text, (size_t)n);
		snprintf(source, sizeof(source), "--dmesg %s", o->dmesg_file);
	} else if (c->root[0]) {
		static const char *const files[] = { "/var/log/dmesg", "/var/log/kern.log" };
		for (size_t i = 0; i < 2 && rc == -ENOENT; i++) {
			ssize_t n = capture_host_path(c, files[i], path, sizeof(path)) == 0 ? capture_slurp(path, &text, 64u << 20)
										      : -ENAMETOOLONG;
			rc = n < 0 ? (int)n : 0;
			if (n >= 0) {
				log_sink(&b, text, (size_t)n);
				snprintf(source, sizeof(source), "%s", files[i] + 1);
			}
			if (rc < 0 && rc != -ENOENT)
				snprintf(why, sizeof(why), "%s: %s", files[i] + 1, strerror(-rc));
			free(text);
			text = NULL;
		}
	} else {
		rc = rmcp_klog_live(o->journalctl, log_sink, &b, source, sizeof(source), why, sizeof(why));
	}
	free(text);
	if (fclose(b.mem) != 0) {
		c->oom = 1;
		return;
	}
	c->st->log_lines = b.lines;
	snprintf(c->st->kernel_log, sizeof(c->st->kernel_log), "%s",
		 rmcp_fact_state_name(rmcp_state_from_rc(rc)));
	if (rc == 0) {
		capture_add(c, "/var/log/dmesg", RMCP_CAP_FILE, 0644, b.text ? b.text : "", b.len);
	} else if (c->root[0] && rc == -ENOENT) {
		/* A snapshot without a log may still say why (a capture of a capture). */
		copy_file(c, "/rmcp-snapshot/kernel-log");
		snprintf(c->st->kernel_log, sizeof(c->st->kernel_log), "%s", rmcp_fact_state_name(m->kernel_log));
	} else {
		char state[320];
		snprintf(state, sizeof(state), "%s\n%s\n", rmcp_fact_state_name(rmcp_state_from_rc(rc)),
			 why[0] ? why : strerror(-rc));
		capture_add_text(c, "/rmcp-snapshot/kernel-log", state);
	}
	free(b.text);
}

void capture_machine(struct rmcp_capture *c, const struct rmcp_capture_opts *o, const struct rmcp_machine *m)
{
	machine_files(c);
	passwd_file(c, m);
	firmware_files(c, m);
	copy_file(c, "/etc/group");
	dev_files(c);
	kernel_log(c, o, m);
}
