/* SPDX-License-Identifier: MIT */
/*
 * Machine facts, part 3: the amdgpu module and its parameters, the kernel release, container
 * hints, and who may open /dev/kfd and the render nodes (research/detect.md §4.3-§4.5).
 * For sysroot "/" access comes from the kernel (faccessat, stat, the process's groups); for a
 * snapshot it is judged from the snapshot (sysfs.h, rmcp_machine_read).
 */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs_internal.h"
#include "banned.h"

/* ---- amdgpu module ----------------------------------------------------------------------- */

/* The parameters that change compute behaviour (detect.md §4.3, problem.md §1e and §2). */
static const char *const amdgpu_params[] = {
	"noretry",		/* -1 auto; decides XNACK (detect.md §2.3) */
	"cwsr_enable",		/* compute wave save/restore; 0 is a hang workaround */
	"sched_policy",		/* 0 HWS, 1 HWS without over-subscription, 2 no HWS */
	"hws_max_conc_proc",
	"max_num_of_queues_per_device",
	"mtype_local",		/* MI300 only; no effect on RDNA (problem.md §2) */
	"mes",
	"uni_mes",
	"mes_kiq",
	"vm_fragment_size",
	"vm_update_mode",
	"ppfeaturemask",
	"gttsize",		/* deprecated in favour of ttm.pages_limit */
	"exp_hw_support",
	"ras_enable",
	"si_support",
	"cik_support",
	"use_xgmi_p2p",
	"hws_gws_support",
	"no_system_mem_limit",
	"runpm",
	"dpm",
	"aspm",
	"pcie_gen_cap",
};
_Static_assert(sizeof(amdgpu_params) / sizeof(amdgpu_params[0]) <= RMCP_MAX_PARAMS,
	       "rmcp_machine.params holds every parameter we read");

void rmcp_read_module(struct rmcp_path *root, struct rmcp_machine *m)
{
	struct stat st;
	char buf[64];
	m->amdgpu_loaded = rmcp_path_stat(root, &st, "sys/module/amdgpu") == 0 && S_ISDIR(st.st_mode);
	if (!m->amdgpu_loaded)
		return;
	/* rocminfo c6f7a17: a built-in module has no initstate; its absence is not a failure. */
	m->amdgpu_builtin = rmcp_path_read(root, buf, sizeof(buf), "sys/module/amdgpu/initstate") == -ENOENT;
	/* Only the out-of-tree amdgpu-dkms driver has a version. */
	int rc = rmcp_path_read(root, buf, sizeof(buf), "sys/module/amdgpu/version");
	if (rc > 0)
		rmcp_copy_trimmed(m->amdgpu_dkms_version, sizeof(m->amdgpu_dkms_version), buf, (size_t)rc);
	for (size_t i = 0; i < sizeof(amdgpu_params) / sizeof(amdgpu_params[0]); i++) {
		rc = rmcp_path_read(root, buf, sizeof(buf), "sys/module/amdgpu/parameters/%s", amdgpu_params[i]);
		if (rc < 0 || m->n_params >= RMCP_MAX_PARAMS)
			continue;
		struct rmcp_param *p = &m->params[m->n_params++];
		snprintf(p->name, sizeof(p->name), "%s", amdgpu_params[i]);
		rmcp_copy_trimmed(p->value, sizeof(p->value), buf, (size_t)rc);
	}
}

/* ---- firmware and installed modules --------------------------------------------------------- */

/*
 * efivarfs file of the EFI global variable SecureBoot (UEFI spec 3.3 "Globally Defined
 * Variables", EFI_GLOBAL_VARIABLE GUID): 4 bytes of attributes, then the 1-byte value
 * (1 enabled, 0 disabled), as mokutil --sb-state reads it.
 */
#define EFIVARS "sys/firmware/efi/efivars"
#define SECURE_BOOT_VAR EFIVARS "/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

static void read_secure_boot(struct rmcp_path *root, struct rmcp_machine *m)
{
	char buf[64];
	int rc = rmcp_path_read(root, buf, sizeof(buf), SECURE_BOOT_VAR);
	if (rc == 5) {
		m->secure_boot = buf[4] == 1 ? RMCP_SECURE_BOOT_ENABLED
			       : buf[4] == 0 ? RMCP_SECURE_BOOT_DISABLED : RMCP_SECURE_BOOT_UNKNOWN;
		return;
	}
	if (rc != -ENOENT)
		return;
	/* efivarfs mounted (it always lists some variable, Boot0000, BootOrder, ...) and no
	 * SecureBoot among them: EFI firmware without Secure Boot. An empty or missing
	 * directory is a BIOS boot or efivarfs not mounted: unknown. */
	char dir[PATH_MAX];
	DIR *d = rmcp_path_abs(root, dir, sizeof(dir), EFIVARS) ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			m->secure_boot = RMCP_SECURE_BOOT_DISABLED;
			break;
		}
	closedir(d);
}

static void find_amdgpu_module(struct rmcp_path *root, struct rmcp_machine *m)
{
	/* dkms.conf of amdgpu-dkms installs to /updates/dkms (DEST_MODULE_LOCATION, the
	 * Debian/Ubuntu default; some distributions use extra/); the in-tree module lives at
	 * kernel/drivers/gpu/drm/amd/amdgpu. kmod accepts .ko, .ko.xz and .ko.zst. */
	static const char *const dirs[] = { "updates/dkms", "updates", "extra",
					    "kernel/drivers/gpu/drm/amd/amdgpu" };
	static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
	if (!m->kernel_release[0] || strchr(m->kernel_release, '/'))
		return;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++) {
			char rel[sizeof(m->amdgpu_module)];
			struct stat st;
			int n = snprintf(rel, sizeof(rel), "/lib/modules/%s/%s/amdgpu.ko%s",
					 m->kernel_release, dirs[d], exts[e]);
			if (n < 0 || (size_t)n >= sizeof(rel))
				return;
			if (rmcp_path_stat(root, &st, "%s", rel) == 0 && S_ISREG(st.st_mode)) {
				snprintf(m->amdgpu_module, sizeof(m->amdgpu_module), "%s", rel);
				return;
			}
		}
}

/* ---- kernel and container ---------------------------------------------------------------- */

static void set_hint(struct rmcp_machine *m, const char *hint)
{
	if (!m->in_container)
		snprintf(m->container_hint, sizeof(m->container_hint), "%s", hint);
	m->in_container = true;
}

void rmcp_read_host(struct rmcp_path *root, struct rmcp_machine *m)
{
	char buf[4096];
	int rc = rmcp_path_read(root, buf, sizeof(buf), "proc/sys/kernel/osrelease");
	if (rc > 0)
		rmcp_copy_trimmed(m->kernel_release, sizeof(m->kernel_release), buf, (size_t)rc);
	read_secure_boot(root, m);
	find_amdgpu_module(root, m);
	/* kernel.dmesg_restrict=1: only CAP_SYSLOG reads the kernel log (Documentation/
	 * admin-guide/sysctl/kernel.rst); says why an unreadable log is unreadable. */
	uint64_t restrict_val;
	m->dmesg_restrict = rmcp_path_read_u64(root, &restrict_val, "proc/sys/kernel/dmesg_restrict") == 0
				    ? (int)(restrict_val != 0)
				    : -1;

	struct stat st;
	/* Docker writes /.dockerenv, podman /run/.containerenv, systemd-nspawn and others
	 * /run/systemd/container (systemd's container interface). */
	if (rmcp_path_stat(root, &st, ".dockerenv") == 0)
		set_hint(m, "/.dockerenv");
	if (rmcp_path_stat(root, &st, "run/.containerenv") == 0)
		set_hint(m, "/run/.containerenv");
	rc = rmcp_path_read(root, buf, sizeof(buf), "run/systemd/container");
	if (rc > 0) {
		char name[40], hint[64];
		rmcp_copy_trimmed(name, sizeof(name), buf, (size_t)rc);
		snprintf(hint, sizeof(hint), "container: %s", name);
		set_hint(m, hint);
	}
	/* Cgroup v1 paths name the engine; v2 inside a cgroup namespace shows "0::/". */
	rc = rmcp_path_read(root, buf, sizeof(buf), "proc/1/cgroup");
	if (rc > 0) {
		static const char *const engines[] = { "docker", "kubepods", "containerd", "libpod", "lxc" };
		for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
			if (strstr(buf, engines[i])) {
				char hint[64];
				snprintf(hint, sizeof(hint), "cgroup: %s", engines[i]);
				set_hint(m, hint);
				break;
			}
		}
	}
}

/* ---- who is asking ------------------------------------------------------------------------ */

#define MAX_USER_GROUPS 4096	/* more than any real account has; NGROUPS_MAX is 65536 */

struct who {
	bool known, live;
	bool no_nss;		/* names unknown rather than asking NSS (librmcp.so) */
	uint32_t uid, gid;
	uint32_t groups[MAX_USER_GROUPS];
	size_t n_groups;
	char name[64];
};

static bool parse_uint(const char *s, size_t len, uint32_t *out)
{
	char tmp[16];
	if (len == 0 || len >= sizeof(tmp) || !isdigit((unsigned char)s[0]))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	unsigned long long v = strtoull(tmp, &end, 10);
	if (errno == ERANGE || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Numbers separated by blanks, from s up to the end of its line. */
static size_t parse_uint_list(const char *s, uint32_t *out, size_t cap)
{
	size_t n = 0;
	while (*s && *s != '\n' && n < cap) {
		while (*s == ' ' || *s == '\t')
			s++;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (e == s || !parse_uint(s, (size_t)(e - s), &out[n]))
			break;
		n++;
		s = e;
	}
	return n;
}

static const char *status_field(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, kl) == 0)
			return l + kl;
	return NULL;
}

/* etc/passwd or etc/group line "name:x:id:..." whose id (field 3) is `id`; the line is copied
 * to line (NUL-terminated). */
static bool colon_file_find(const char *text, uint32_t id, char *line, size_t cap)
{
	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		const char *c1 = memchr(l, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - l)) : NULL;
		if (c2) {
			const char *c3 = memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - l));
			const char *ie = c3 ? c3 : l + len;
			uint32_t v;
			if (parse_uint(c2 + 1, (size_t)(ie - c2 - 1), &v) && v == id && len < cap) {
				memcpy(line, l, len);
				line[len] = '\0';
				return true;
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return false;
}

static void who_snapshot(struct rmcp_path *root, struct who *w, char *buf, size_t cap)
{
	int rc = rmcp_path_read(root, buf, cap, "proc/self/status");
	if (rc <= 0)
		return;
	const char *uid = status_field(buf, "Uid:"), *gid = status_field(buf, "Gid:");
	const char *groups = status_field(buf, "Groups:");
	uint32_t ids[4];
	/* Uid:/Gid: real, effective, saved, filesystem: open(2) checks the fs ids. */
	if (!uid || !gid || parse_uint_list(uid, ids, 4) != 4)
		return;
	w->uid = ids[3];
	if (parse_uint_list(gid, ids, 4) != 4)
		return;
	w->gid = ids[3];
	w->n_groups = groups ? parse_uint_list(groups, w->groups, MAX_USER_GROUPS) : 0;
	w->known = true;
	char line[512];
	rc = rmcp_path_read(root, buf, cap, "etc/passwd");
	if (rc > 0 && colon_file_find(buf, w->uid, line, sizeof(line))) {
		char *c = strchr(line, ':');
		if (c)
			*c = '\0';
		snprintf(w->name, sizeof(w->name), "%s", line);
	}
}

static void who_live(struct who *w)
{
	w->live = w->known = true;
	w->uid = (uint32_t)geteuid();
	w->gid = (uint32_t)getegid();
	gid_t *g = malloc(MAX_USER_GROUPS * sizeof(*g));
	int n = g ? getgroups(MAX_USER_GROUPS, g) : -1;
	for (int i = 0; i < n; i++)
		w->groups[w->n_groups++] = (uint32_t)g[i];
	free(g);
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (!w->no_nss && getpwuid_r((uid_t)w->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(w->name, sizeof(w->name), "%s", pw.pw_name);
}

static bool has_group(const struct who *w, uint32_t gid)
{
	if (w->gid == gid)
		return true;
	for (size_t i = 0; i < w->n_groups; i++)
		if (w->groups[i] == gid)
			return true;
	return false;
}

/* Name of group gid and whether w's user is listed as a member (etc/group or NSS). */
static void group_info(struct rmcp_path *root, const struct who *w, uint32_t gid, char *name,
		       size_t cap, bool *listed, char *buf, size_t bcap)
{
	*listed = false;
	name[0] = '\0';
	if (w->live) {
		struct group gr, *res = NULL;
		char gbuf[16384];
		if (w->no_nss || getgrgid_r((gid_t)gid, &gr, gbuf, sizeof(gbuf), &res) != 0 || !res)
			return;
		snprintf(name, cap, "%s", gr.gr_name);
		for (char **mem = gr.gr_mem; mem && *mem; mem++)
			if (w->name[0] && strcmp(*mem, w->name) == 0)
				*listed = true;
		return;
	}
	char line[4096];
	int rc = rmcp_path_read(root, buf, bcap, "etc/group");
	if (rc <= 0 || !colon_file_find(buf, gid, line, sizeof(line)))
		return;
	char *c = strchr(line, ':');
	if (c)
		*c = '\0';
	snprintf(name, cap, "%s", line);
	/* Fourth field: comma-separated member names. */
	char *f = c ? strchr(c + 1, ':') : NULL;
	f = f ? strchr(f + 1, ':') : NULL;
	for (char *tok = f ? f + 1 : NULL; tok && *tok && w->name[0];) {
		char *comma = strchr(tok, ',');
		size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
		if (len == strlen(w->name) && strncmp(tok, w->name, len) == 0)
			*listed = true;
		tok = comma ? comma + 1 : NULL;
	}
}

/* ---- /dev entries ------------------------------------------------------------------------- */

struct devmeta {
	unsigned mode;
	uint32_t uid, gid;
};

/* <sysroot>/rmcp-snapshot/dev.stat: "%a %u %g %n" lines (stat -L -c on the captured machine). */
static int devstat_lookup(const char *text, const char *dev, struct devmeta *out)
{
	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		char line[PATH_MAX];
		if (len < sizeof(line)) {
			memcpy(line, l, len);
			line[len] = '\0';
			char *f[4];
			size_t nf = 0;
			for (char *t = line; nf < 4 && *t;) {
				while (*t == ' ' || *t == '\t')
					t++;
				if (!*t)
					break;
				f[nf++] = t;
				if (nf == 4)
					break;
				while (*t && *t != ' ' && *t != '\t')
					t++;
				if (*t)
					*t++ = '\0';
			}
			char *end;
			if (nf == 4 && strcmp(f[3], dev) == 0) {
				errno = 0;
				unsigned long long mode = strtoull(f[0], &end, 8);
				if (errno || *end || end == f[0] || mode > 07777 ||
				    !parse_uint(f[1], strlen(f[1]), &out->uid) ||
				    !parse_uint(f[2], strlen(f[2]), &out->gid))
					return -RMCP_E_FORMAT;
				out->mode = (unsigned)mode;
				return 0;
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return -ENOENT;
}

static int dev_meta(struct rmcp_path *root, const char *dev, const char *devstat, struct devmeta *out)
{
	if (devstat && devstat_lookup(devstat, dev, out) == 0)
		return 0;
	struct stat st;
	int rc = rmcp_path_stat(root, &st, "%s", dev);
	if (rc < 0)
		return rc;
	out->mode = (unsigned)st.st_mode & 07777;
	out->uid = (uint32_t)st.st_uid;
	out->gid = (uint32_t)st.st_gid;
	return 0;
}

/* Can w open dev read-write? 0, -errno, or 1 when the user is unknown. */
static int judge_access(struct rmcp_path *root, const struct who *w, const char *dev,
			const char *devstat, struct devmeta *meta, int *meta_rc)
{
	*meta_rc = dev_meta(root, dev, devstat, meta);
	if (w->live) {
		/* The kernel answers for the running machine (faccessat with AT_EACCESS). */
		return rmcp_path_access(root, R_OK | W_OK, "%s", dev);
	}
	if (*meta_rc < 0)
		return *meta_rc;
	if (!w->known)
		return 1;
	if (w->uid == 0)
		return 0;	/* CAP_DAC_OVERRIDE */
	unsigned bits = w->uid == meta->uid ? meta->mode >> 6 : has_group(w, meta->gid) ? meta->mode >> 3 : meta->mode;
	return (bits & 6) == 6 ? 0 : -EACCES;
}

void rmcp_read_access(struct rmcp_path *root, struct rmcp_machine *m, bool no_nss)
{
	size_t cap = 1u << 20;
	char *buf = malloc(cap), *devstat = malloc(cap);
	struct who *w = calloc(1, sizeof(*w));
	if (!buf || !devstat || !w)
		goto out;
	w->no_nss = no_nss;
	if (rmcp_path_is_live(root))
		who_live(w);
	else
		who_snapshot(root, w, buf, cap);
	m->user_known = w->known;
	m->uid = w->uid;
	m->gid = w->gid;
	snprintf(m->user, sizeof(m->user), "%s", w->name);
	bool have_devstat = !rmcp_path_is_live(root) &&
			    rmcp_path_read(root, devstat, cap, "rmcp-snapshot/dev.stat") >= 0;

	struct devmeta meta;
	int meta_rc;
	m->kfd_access = judge_access(root, w, "/dev/kfd", have_devstat ? devstat : NULL, &meta, &meta_rc);
	if (meta_rc == 0) {
		bool listed;
		group_info(root, w, meta.gid, m->kfd_group, sizeof(m->kfd_group), &listed, buf, cap);
		m->kfd_group_member = w->known && (w->uid == 0 || has_group(w, meta.gid));
		m->kfd_group_listed = listed && !m->kfd_group_member;
	}
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct rmcp_gpu *g = &m->gpus[i];
		if (!g->drm_render_minor)
			continue;
		char dev[64];
		snprintf(dev, sizeof(dev), "/dev/dri/renderD%u", g->drm_render_minor);
		g->render_access = judge_access(root, w, dev, have_devstat ? devstat : NULL, &meta, &meta_rc);
	}
out:
	free(w);
	free(devstat);
	free(buf);
}
