/* SPDX-License-Identifier: MIT */
/* rmcp capture: collect what the doctor reads (capture.h). */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buildinfo.h"
#include "cache.h"
#include "stack.h"
#include "sysfs.h"
#include "verdict.h"
#include "version.h"
#include "banned.h"

#define COPY_MAX (1u << 20)	/* text files larger than this become stand-ins */

struct scan_rec {
	char *rel;
	struct rmcp_cached_scan r;
};

struct rmcp_capture {
	char root[PATH_MAX];	/* host prefix of the examined machine, "" for "/" */
	char top[128];
	long long when;
	struct rmcp_capture_entry *e;
	size_t n, cap;
	char **paths;		/* touched by the stack reader */
	size_t n_paths, cap_paths;
	struct scan_rec *scans;
	size_t n_scans, cap_scans;
	int oom;
	struct rmcp_capture_stats *st;
};

/* ---- the entry list --------------------------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static void add(struct rmcp_capture *c, const char *rel, enum rmcp_capture_type type, unsigned mode,
		const char *data, size_t len)
{
	while (*rel == '/')
		rel++;
	if (!*rel || c->oom)
		return;
	if (grow((void **)&c->e, &c->cap, c->n, sizeof(*c->e)) < 0) {
		c->oom = 1;
		return;
	}
	struct rmcp_capture_entry *e = &c->e[c->n];
	e->rel = strdup(rel);
	e->data = malloc(len + 1);
	if (!e->rel || !e->data) {
		free(e->rel);
		free(e->data);
		c->oom = 1;
		return;
	}
	if (len)
		memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	e->type = type;
	e->mode = mode & 07777;
	e->seq = c->n;
	c->n++;
}

static void add_text(struct rmcp_capture *c, const char *rel, const char *text)
{
	add(c, rel, RMCP_CAP_FILE, 0644, text, strlen(text));
}

static int host_path(const struct rmcp_capture *c, const char *rel, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s%s", c->root, rel[0] == '/' ? "" : "/", rel);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Read a host file (at most max bytes). Returns the length, or -errno. */
static ssize_t slurp(const char *path, char **out, size_t max)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (len == cap) {
			if (cap >= max)
				break;
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

/* A machine file (sysfs, procfs, etc) copied with its contents; absent files are skipped,
 * unreadable ones kept as mode-000 empty files (what the doctor then sees as denied). */
static void copy_file(struct rmcp_capture *c, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	if (host_path(c, rel, path, sizeof(path)) < 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	char *data;
	ssize_t n = slurp(path, &data, COPY_MAX);
	if (n == -EACCES || n == -EPERM) {
		add(c, rel, RMCP_CAP_FILE, 0, "", 0);
		return;
	}
	if (n < 0)
		return;
	/* sysfs reports 4096 bytes for every attribute: keep the mode, not the size */
	add(c, rel, RMCP_CAP_FILE, st.st_mode & 0777 ? st.st_mode : 0644, data, (size_t)n);
	free(data);
}

/* Every regular file under dir (following links, as sysfs needs), depth-limited. */
static void copy_tree(struct rmcp_capture *c, const char *dir, int depth)
{
	char path[PATH_MAX];
	if (depth < 0 || host_path(c, dir, path, sizeof(path)) < 0)
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	add(c, dir, RMCP_CAP_DIR, 0755, "", 0);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "caches") == 0 || strcmp(de->d_name, "perf") == 0)
			continue;
		char rel[PATH_MAX], host[PATH_MAX];
		struct stat st;
		snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
		if (host_path(c, rel, host, sizeof(host)) < 0 || stat(host, &st) != 0)
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
	if (host_path(c, "/sys/module/amdgpu", path, sizeof(path)) == 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		add(c, "/sys/module/amdgpu", RMCP_CAP_DIR, 0755, "", 0);
		copy_tree(c, "/sys/module/amdgpu/parameters", 0);
	}
	/* KFD topology: libhsakmt's path first; both are the same tree on a live machine. */
	if (host_path(c, "/sys/class/kfd/kfd/topology", path, sizeof(path)) == 0 && stat(path, &st) == 0)
		copy_tree(c, "/sys/class/kfd/kfd/topology", 5);
	else
		copy_tree(c, "/sys/devices/virtual/kfd/kfd/topology", 5);
	static const char *const pci[] = { "vendor", "device", "revision", "class", "subsystem_vendor",
					   "subsystem_device" };
	DIR *d = host_path(c, "/sys/bus/pci/devices", path, sizeof(path)) == 0 ? opendir(path) : NULL;
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
	DIR *d = c->n == before && host_path(c, efivars, path, sizeof(path)) == 0 ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			add(c, "/sys/firmware/efi/efivars/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c",
			    RMCP_CAP_FILE, 0644, "", 0);
			break;
		}
	if (d)
		closedir(d);
	if (m->amdgpu_module[0] && host_path(c, m->amdgpu_module, path, sizeof(path)) == 0 && stat(path, &st) == 0) {
		add(c, m->amdgpu_module, RMCP_CAP_FILE, st.st_mode, "", 0);
		c->st->stand_ins++;
	}
}

/* etc/passwd: only root's and the user's lines (the rest names other people). */
static void passwd_file(struct rmcp_capture *c, const struct rmcp_machine *m)
{
	char path[PATH_MAX], *text;
	if (host_path(c, "/etc/passwd", path, sizeof(path)) < 0 || slurp(path, &text, COPY_MAX) < 0)
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
		add(c, "/etc/passwd", RMCP_CAP_FILE, 0644, out, len);
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
	bool have_old = host_path(c, "/rmcp-snapshot/dev.stat", path, sizeof(path)) == 0 &&
			slurp(path, &old, COPY_MAX) >= 0;
	if (have_old) {
		fputs(old, mem);
		free(old);
	}
	const char *names[2 + 64];
	char renders[64][32];
	size_t n = 0;
	names[n++] = "/dev/kfd";
	DIR *d = host_path(c, "/dev/dri", path, sizeof(path)) == 0 ? opendir(path) : NULL;
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
		if (host_path(c, names[i], path, sizeof(path)) < 0 || stat(path, &st) != 0)
			continue;
		add(c, names[i], RMCP_CAP_FILE, st.st_mode & 0777, "", 0);
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
		add(c, "/rmcp-snapshot/dev.stat", RMCP_CAP_FILE, 0644, devstat, len);
	free(devstat);
}

/* The fact state an errno gives (as the machine reader maps it). */
static enum rmcp_fact_state state_of(int rc)
{
	if (rc == 0)
		return RMCP_FACT_OK;
	if (rc == -ENOENT || rc == -ENOTDIR)
		return RMCP_FACT_ABSENT;
	if (rc == -EPERM || rc == -EACCES)
		return RMCP_FACT_DENIED;
	return RMCP_FACT_ERROR;
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
		ssize_t n = slurp(o->dmesg_file, &text, 64u << 20);
		rc = n < 0 ? (int)n : 0;
		if (n >= 0)
			log_sink(&b, text, (size_t)n);
		snprintf(source, sizeof(source), "--dmesg %s", o->dmesg_file);
	} else if (c->root[0]) {
		static const char *const files[] = { "/var/log/dmesg", "/var/log/kern.log" };
		for (size_t i = 0; i < 2 && rc == -ENOENT; i++) {
			ssize_t n = host_path(c, files[i], path, sizeof(path)) == 0 ? slurp(path, &text, 64u << 20)
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
	snprintf(c->st->kernel_log, sizeof(c->st->kernel_log), "%s", rmcp_fact_state_name(state_of(rc)));
	if (rc == 0) {
		add(c, "/var/log/dmesg", RMCP_CAP_FILE, 0644, b.text ? b.text : "", b.len);
	} else if (c->root[0] && rc == -ENOENT) {
		/* A snapshot without a log may still say why (a capture of a capture). */
		copy_file(c, "/rmcp-snapshot/kernel-log");
		snprintf(c->st->kernel_log, sizeof(c->st->kernel_log), "%s", rmcp_fact_state_name(m->kernel_log));
	} else {
		char state[320];
		snprintf(state, sizeof(state), "%s\n%s\n", rmcp_fact_state_name(state_of(rc)),
			 why[0] ? why : strerror(-rc));
		add_text(c, "/rmcp-snapshot/kernel-log", state);
	}
	free(b.text);
}

/* ---- the software side: what the stack reader touched ----------------------------------- */

static void rec_path(void *ctx, const char *rel)
{
	struct rmcp_capture *c = ctx;
	if (grow((void **)&c->paths, &c->cap_paths, c->n_paths, sizeof(*c->paths)) < 0 ||
	    !(c->paths[c->n_paths] = strdup(rel))) {
		c->oom = 1;
		return;
	}
	c->n_paths++;
}

static void rec_scan(void *ctx, const char *rel, const struct rmcp_cached_scan *r)
{
	struct rmcp_capture *c = ctx;
	if (strpbrk(rel, "\t\n"))
		return;
	for (size_t i = 0; i < c->n_scans; i++)
		if (strcmp(c->scans[i].rel, rel) == 0)
			return;
	if (grow((void **)&c->scans, &c->cap_scans, c->n_scans, sizeof(*c->scans)) < 0 ||
	    !(c->scans[c->n_scans].rel = strdup(rel))) {
		c->oom = 1;
		return;
	}
	c->scans[c->n_scans++].r = *r;
}

static bool scanned(const struct rmcp_capture *c, const char *rel)
{
	for (size_t i = 0; i < c->n_scans; i++)
		if (strcmp(c->scans[i].rel, rel) == 0)
			return true;
	return false;
}

/* dpkg's status file: only the stanzas of GPU-stack packages (the doctor asks for rocm-core,
 * hip-runtime-amd, libamdhip64-*). */
static void dpkg_status(struct rmcp_capture *c, const char *rel, const char *text, unsigned mode)
{
	static const char *const keys[] = { "rocm", "hip", "amd", "miopen", "hsa", "rocblas", "torch" };
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	for (const char *para = text; mem && *para;) {
		const char *end = strstr(para, "\n\n");
		size_t pl = end ? (size_t)(end - para) : strlen(para);
		const char *pkg = strncmp(para, "Package: ", 9) == 0 ? para + 9 : NULL;
		size_t nl = pkg ? strcspn(pkg, "\n") : 0;
		bool keep = false;
		for (size_t i = 0; pkg && i < sizeof(keys) / sizeof(keys[0]); i++)
			keep |= memmem(pkg, nl, keys[i], strlen(keys[i])) != NULL;
		if (keep) {
			fwrite(para, 1, pl, mem);
			fputs("\n\n", mem);
		}
		para += pl;
		while (*para == '\n')
			para++;
	}
	if (!mem || fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	add(c, rel, RMCP_CAP_FILE, mode, out, len);
	free(out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void software_files(struct rmcp_capture *c)
{
	if (c->n_paths)
		qsort(c->paths, c->n_paths, sizeof(*c->paths), cmp_str);
	for (size_t i = 0; i < c->n_paths; i++) {
		const char *rel = c->paths[i];
		if ((i && strcmp(rel, c->paths[i - 1]) == 0) || strncmp(rel, "/proc/", 6) == 0 ||
		    strncmp(rel, "/sys/", 5) == 0 || strncmp(rel, "/dev/", 5) == 0 || strcmp(rel, "/") == 0)
			continue;
		char path[PATH_MAX];
		struct stat st;
		if (host_path(c, rel, path, sizeof(path)) < 0 || lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			add(c, rel, RMCP_CAP_DIR, st.st_mode, "", 0);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(path, target, sizeof(target) - 1);
			if (n > 0)
				add(c, rel, RMCP_CAP_LINK, 0777, target, (size_t)n);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			ssize_t n = -EFBIG;
			if (!scanned(c, rel) && (size_t)st.st_size <= COPY_MAX)
				n = slurp(path, &data, COPY_MAX);
			/* Binaries (ELF, archives, databases) and big files: an empty stand-in. */
			if (n > 0 && (memcmp(data, "\x7f" "ELF", n >= 4 ? 4 : (size_t)n) == 0 || memchr(data, '\0', (size_t)n)))
				n = -EFBIG;
			if (n >= 0 && strcmp(rel, "/var/lib/dpkg/status") == 0)
				dpkg_status(c, rel, data, st.st_mode);
			else if (n >= 0)
				add(c, rel, RMCP_CAP_FILE, st.st_mode, data, (size_t)n);
			else {
				add(c, rel, RMCP_CAP_FILE, n == -EACCES ? 0 : st.st_mode, "", 0);
				c->st->stand_ins++;
			}
			free(data);
		}
	}
}

static void scan_tsv(struct rmcp_capture *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	if (!mem) {
		c->oom = 1;
		return;
	}
	fprintf(mem, "# rmcp capture: scan results of the files replaced by empty stand-ins (docs/capture.md)\n"
		     "# path\tformat\tdevice code\ttargets\terror\n");
	for (size_t i = 0; i < c->n_scans; i++) {
		const struct rmcp_cached_scan *r = &c->scans[i].r;
		char error[sizeof(r->error)];
		snprintf(error, sizeof(error), "%s", r->error);
		for (char *p = error; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		fprintf(mem, "%s\t%d\t%d\t%s\t%s\n", c->scans[i].rel, r->format, r->device_code ? 1 : 0, r->targets,
			error);
	}
	if (fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	add(c, "/rmcp-snapshot/scan.tsv", RMCP_CAP_FILE, 0644, out, len);
	c->st->scans = c->n_scans;
	free(out);
}

static void about(struct rmcp_capture *c, const struct rmcp_diagnosis *d)
{
	char *out = NULL, feats[128], when[40];
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	if (!mem) {
		c->oom = 1;
		return;
	}
	time_t t = (time_t)c->when;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "%lld", c->when);
	rmcp_build_features_line(feats, sizeof(feats));
	fprintf(mem, "rmcp %s capture, %s\nsource %s\nfeatures %s\n", RMCP_VERSION, when,
		c->root[0] ? "a snapshot" : "this machine", feats);
	for (unsigned i = 0; i < rmcp_n_data_versions; i++)
		fprintf(mem, "data %s %s\n", rmcp_data_versions[i].name, rmcp_data_versions[i].version);
	fprintf(mem, "verdict %s\n", rmcp_verdict_name(d->result.verdict));
	for (size_t i = 0; i < d->result.n_findings; i++)
		fprintf(mem, "finding %s %d\n", d->result.findings[i].rule->id, d->result.findings[i].gpu);
	/* The environment the verdict was given under: doctor --sysroot judges its own. */
	for (size_t i = 0; i < d->env.n_vars; i++)
		fprintf(mem, "env %s=%s\n", d->env.vars[i].name, d->env.vars[i].value);
	if (fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	add(c, "/rmcp-snapshot/capture", RMCP_CAP_FILE, 0644, out, len);
	free(out);
	add_text(c, "/rmcp-snapshot/README",
		 "A machine captured by `rmcp capture` for `rmcp doctor --sysroot DIR` (docs/capture.md).\n"
		 "capture    rmcp version, time, build, the verdict and findings it gave, the environment\n"
		 "dev.stat   `stat -L -c '%a %u %g %n' /dev/kfd /dev/dri/renderD*` of the captured machine\n"
		 "scan.tsv   scan results of the libraries, which are empty stand-ins here\n"
		 "kernel-log (only when the kernel log was not readable) its state and why\n");
}

/* ---- putting it together ---------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const struct rmcp_capture_entry *x = a, *y = b;
	int r = strcmp(x->rel, y->rel);
	return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Add every missing parent directory, sort, and keep the first entry added for a path
 * (machine files win over the same path touched by the software reader). */
static void finish(struct rmcp_capture *c)
{
	size_t n0 = c->n;
	for (size_t i = 0; i < n0 && !c->oom; i++) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", c->e[i].rel);
		for (char *s = strrchr(parent, '/'); s && !c->oom; s = strrchr(parent, '/')) {
			*s = '\0';
			add(c, parent, RMCP_CAP_DIR, 0755, "", 0);
		}
	}
	if (c->oom || !c->n)
		return;
	qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
	size_t w = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (w && strcmp(c->e[w - 1].rel, c->e[i].rel) == 0) {
			free(c->e[i].rel);
			free(c->e[i].data);
			continue;
		}
		c->e[w++] = c->e[i];
	}
	c->n = w;
	for (size_t i = 0; i < c->n; i++) {
		struct rmcp_capture_entry *e = &c->e[i];
		c->st->files += e->type == RMCP_CAP_FILE;
		c->st->dirs += e->type == RMCP_CAP_DIR;
		c->st->links += e->type == RMCP_CAP_LINK;
		c->st->bytes += e->type == RMCP_CAP_FILE ? e->len : 0;
	}
}

int rmcp_capture_collect(const struct rmcp_capture_opts *o, struct rmcp_capture **out,
			 struct rmcp_capture_stats *st, struct rmcp_err *err)
{
	static struct rmcp_capture_stats dummy;
	*out = NULL;
	struct rmcp_capture *c = calloc(1, sizeof(*c));
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!c || !d) {
		free(c);
		free(d);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	c->st = st ? st : &dummy;
	memset(c->st, 0, sizeof(*c->st));
	bool live = !o->sysroot || !*o->sysroot || strcmp(o->sysroot, "/") == 0;
	snprintf(c->root, sizeof(c->root), "%s", live ? "" : o->sysroot);
	for (size_t l = strlen(c->root); l && c->root[l - 1] == '/';)
		c->root[--l] = '\0';
	snprintf(c->top, sizeof(c->top), "%s", o->top && *o->top ? o->top : "capture");
	c->when = (long long)time(NULL);
	struct rmcp_stack_recorder rec = { .path = rec_path, .scan = rec_scan, .ctx = c };
	struct rmcp_diag_opts dopts = {
		.sysroot = o->sysroot,
		.dmesg_file = o->dmesg_file,
		.envp = o->envp,
		.torch_dirs = o->torch_dirs,
		.python_paths = o->python_paths,
		.recorder = &rec,
		.journalctl = o->journalctl,
		/* the live log is read below, once, with the reasons kept */
		.no_live_log = true,
	};
	int rc = rmcp_diagnose(&dopts, d, err);
	if (rc == 0) {
		machine_files(c);
		passwd_file(c, &d->machine);
		firmware_files(c, &d->machine);
		copy_file(c, "/etc/group");
		dev_files(c);
		kernel_log(c, o, &d->machine);
		software_files(c);
		scan_tsv(c);
		about(c, d);
		finish(c);
		if (c->oom)
			rc = rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	rmcp_diagnosis_release(d);
	free(d);
	if (rc < 0) {
		rmcp_capture_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void rmcp_capture_free(struct rmcp_capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].rel);
		free(c->e[i].data);
	}
	free(c->e);
	for (size_t i = 0; i < c->n_paths; i++)
		free(c->paths[i]);
	free(c->paths);
	for (size_t i = 0; i < c->n_scans; i++)
		free(c->scans[i].rel);
	free(c->scans);
	free(c);
}

size_t rmcp_capture_entries(const struct rmcp_capture *c, const struct rmcp_capture_entry **out)
{
	*out = c->e;
	return c->n;
}

const char *rmcp_capture_top(const struct rmcp_capture *c)
{
	return c->top;
}

long long rmcp_capture_time(const struct rmcp_capture *c)
{
	return c->when;
}
