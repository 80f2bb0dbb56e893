/* SPDX-License-Identifier: MIT */
/*
 * The software stack, part 2: ROCm installs and their versions (research/detect.md §5):
 * /opt/rocm* (.info/version, rocm_version.h, rocm-core, .hipVersion), a distribution's ROCm in
 * the multiarch library directory (the libamdhip64 soname, dpkg's status file). Read from
 * files under the sysroot; nothing is run.
 */
#include "stack.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"
#include "banned.h"

/* ---- small text formats ------------------------------------------------------------------ */

/* "#define NAME value" -> value (first token). */
static bool find_define(const char *text, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		const char *p = l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, "define", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
				p += 6;
				while (*p == ' ' || *p == '\t')
					p++;
				if (strncmp(p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '\t')) {
					p += nl;
					while (*p == ' ' || *p == '\t')
						p++;
					size_t n = 0;
					while (p[n] && !isspace((unsigned char)p[n]))
						n++;
					if (n && n < cap) {
						memcpy(out, p, n);
						out[n] = '\0';
						return true;
					}
				}
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return false;
}

/* "KEY=value" -> value (bin/.hipVersion). */
static bool find_kv(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == '=') {
			const char *v = l + kl + 1;
			size_t vl = len - kl - 1;
			while (vl && isspace((unsigned char)v[vl - 1]))
				vl--;
			if (vl && vl < cap) {
				memcpy(out, v, vl);
				out[vl] = '\0';
				return true;
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return false;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* dpkg's Version without epoch and Debian revision: "1:5.2.3-8" -> "5.2.3". */
static void upstream_version(const char *v, char *out, size_t cap)
{
	const char *colon = strchr(v, ':');
	if (colon)
		v = colon + 1;
	size_t n = strcspn(v, "-~+");
	snprintf(out, cap, "%.*s", (int)n, v);
}

/* AMD's repo encodes the release as X.Y.Z.XXYYZZ ("6.3.3.60303-74~22.04"): keep X.Y.Z. */
static void first_three(char *v)
{
	char *p = v;
	for (int dots = 0; *p; p++)
		if (*p == '.' && ++dots == 3) {
			*p = '\0';
			break;
		}
}

/* Version of an installed package in var/lib/dpkg/status; pkg may end in '*'. */
static bool dpkg_version(const char *status, const char *pkg, char *raw, size_t cap)
{
	size_t pl = strlen(pkg);
	bool prefix = pl && pkg[pl - 1] == '*';
	if (prefix)
		pl--;
	for (const char *para = status; para && *para;) {
		const char *end = strstr(para, "\n\n");
		size_t len = end ? (size_t)(end - para) : strlen(para);
		char name[128] = "", version[64] = "", st[64] = "";
		for (const char *l = para; l < para + len;) {
			const char *eol = memchr(l, '\n', (size_t)(para + len - l));
			size_t ll = eol ? (size_t)(eol - l) : (size_t)(para + len - l);
			if (ll > 9 && strncmp(l, "Package: ", 9) == 0)
				snprintf(name, sizeof(name), "%.*s", (int)(ll - 9), l + 9);
			else if (ll > 9 && strncmp(l, "Version: ", 9) == 0)
				snprintf(version, sizeof(version), "%.*s", (int)(ll - 9), l + 9);
			else if (ll > 8 && strncmp(l, "Status: ", 8) == 0)
				snprintf(st, sizeof(st), "%.*s", (int)(ll - 8), l + 8);
			l += ll + 1;
		}
		bool match = prefix ? strncmp(name, pkg, pl) == 0 && name[pl] : strcmp(name, pkg) == 0;
		if (match && strcmp(st, "install ok installed") == 0 && version[0]) {
			snprintf(raw, cap, "%s", version);
			return true;
		}
		para = end ? end + 2 : NULL;
	}
	return false;
}

/* ---- ROCm installs ------------------------------------------------------------------------ */

static void set_version(struct rmcp_rocm_install *r, const char *raw, const char *source)
{
	snprintf(r->version_raw, sizeof(r->version_raw), "%s", raw);
	upstream_version(raw, r->version, sizeof(r->version));
	first_three(r->version);
	snprintf(r->version_source, sizeof(r->version_source), "%s", source);
}

static bool version_from_header(const struct rmcp_path *sr, const char *inc, struct rmcp_rocm_install *r,
				char *buf, size_t cap)
{
	static const char *const hdrs[] = { "rocm-core/rocm_version.h", "rocm_version.h" };
	for (size_t i = 0; i < 2; i++) {
		char rel[PATH_MAX], a[16], b[16], c[16];
		snprintf(rel, sizeof(rel), "%s/%s", inc, hdrs[i]);
		if (rmcp_path_read(sr, buf, cap, "%s", rel) <= 0)
			continue;
		if (find_define(buf, "ROCM_VERSION_MAJOR", a, sizeof(a)) &&
		    find_define(buf, "ROCM_VERSION_MINOR", b, sizeof(b)) &&
		    find_define(buf, "ROCM_VERSION_PATCH", c, sizeof(c)) && all_digits(a) && all_digits(b) &&
		    all_digits(c)) {
			char v[48];
			snprintf(v, sizeof(v), "%s.%s.%s", a, b, c);
			set_version(r, v, "rocm_version.h");
			return true;
		}
	}
	return false;
}

static bool core_dir(const char *n)
{
	return strncmp(n, "core-", 5) == 0;
}

static void rocm_version(const struct rmcp_path *sr, struct rmcp_rocm_install *r, char *buf, size_t cap)
{
	/* .info/version: "6.0.0-12568" (X.Y.Z-BUILD), "7.14.0" in TheRock; older installs had
	 * .info/version-dev; TheRock packages put it in core-<VER>/.info/version. */
	static const char *const infos[] = { ".info/version", ".info/version-dev" };
	char rel[PATH_MAX];
	for (size_t i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", r->path, infos[i]);
		int n = rmcp_path_read(sr, buf, cap, "%s", rel);
		if (n > 0 && isdigit((unsigned char)buf[0])) {
			buf[strcspn(buf, "\r\n")] = '\0';
			set_version(r, buf, infos[i]);
			return;
		}
	}
	char **cores = NULL;
	int nc = rmcp_path_list(sr, r->path, core_dir, &cores);
	for (int i = 0; i < nc && !r->version[0]; i++) {
		snprintf(rel, sizeof(rel), "%s/%s/.info/version", r->path, cores[i]);
		if (rmcp_path_read(sr, buf, cap, "%s", rel) > 0 && isdigit((unsigned char)buf[0])) {
			buf[strcspn(buf, "\r\n")] = '\0';
			set_version(r, buf, "core/.info/version");
		}
	}
	if (nc > 0)
		rmcp_strv_free(cores, (size_t)nc);
	if (r->version[0])
		return;
	snprintf(rel, sizeof(rel), "%s/include", r->path);
	if (version_from_header(sr, rel, r, buf, cap))
		return;
	/* Last resort: the directory name AMD's packages use, /opt/rocm-X.Y.Z. */
	const char *base = strrchr(r->path, '/');
	base = base ? base + 1 : r->path;
	if (strncmp(base, "rocm-", 5) == 0 && isdigit((unsigned char)base[5]))
		set_version(r, base + 5, "dirname");
}

static bool hip_soname_file(const char *n)
{
	/* libamdhip64.so.MAJ.MIN.PATCH: the real file behind the libamdhip64.so.MAJ soname. */
	if (strncmp(n, "libamdhip64.so.", 15) != 0)
		return false;
	int dots = 0;
	for (const char *p = n + 15; *p; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			return false;
	}
	return dots == 2;
}

static void hip_version(const struct rmcp_path *sr, const char *prefix, const char *libdir,
			struct rmcp_rocm_install *r, char *buf, size_t cap)
{
	char rel[PATH_MAX], a[16], b[16], c[24];
	/* hipconfig --version reads $HIP_PATH/bin/.hipVersion (HIP_VERSION_MAJOR/MINOR/PATCH). */
	snprintf(rel, sizeof(rel), "%s/bin/.hipVersion", prefix);
	if (rmcp_path_read(sr, buf, cap, "%s", rel) > 0 && find_kv(buf, "HIP_VERSION_MAJOR", a, sizeof(a)) &&
	    find_kv(buf, "HIP_VERSION_MINOR", b, sizeof(b)) && find_kv(buf, "HIP_VERSION_PATCH", c, sizeof(c))) {
		snprintf(r->hip_version, sizeof(r->hip_version), "%s.%s.%s", a, b, c);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "bin/.hipVersion");
		return;
	}
	snprintf(rel, sizeof(rel), "%s/include/hip/hip_version.h", prefix);
	if (rmcp_path_read(sr, buf, cap, "%s", rel) > 0 && find_define(buf, "HIP_VERSION_MAJOR", a, sizeof(a)) &&
	    find_define(buf, "HIP_VERSION_MINOR", b, sizeof(b)) &&
	    find_define(buf, "HIP_VERSION_PATCH", c, sizeof(c))) {
		snprintf(r->hip_version, sizeof(r->hip_version), "%s.%s.%s", a, b, c);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "hip_version.h");
		return;
	}
	char **names = NULL;
	int n = rmcp_path_list(sr, libdir, hip_soname_file, &names);
	if (n > 0) {
		snprintf(r->hip_version, sizeof(r->hip_version), "%s", names[0] + 15);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "soname");
	}
	if (n > 0)
		rmcp_strv_free(names, (size_t)n);
}

static bool rocm_entry(const char *n)
{
	return strcmp(n, "rocm") == 0 || strncmp(n, "rocm-", 5) == 0;
}

static int find_rocm_opt(const struct rmcp_path *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	char **names = NULL;
	int n = rmcp_path_list(sr, "/opt", rocm_entry, &names);
	if (n <= 0)
		return 0;
	char deflt[PATH_MAX] = "";
	if (rmcp_path_resolve(sr, "/opt/rocm", deflt, sizeof(deflt)) < 0)
		deflt[0] = '\0';
	for (int i = 0; i < n && s->n_rocm < RMCP_MAX_ROCM; i++) {
		char rel[PATH_MAX], real[PATH_MAX];
		snprintf(rel, sizeof(rel), "/opt/%s", names[i]);
		/* /opt/rocm is usually a link (via /etc/alternatives on deb installs) to
		 * /opt/rocm-X.Y.Z: one install, reported under its real name. */
		if (rmcp_path_resolve(sr, rel, real, sizeof(real)) < 0 || !rmcp_path_is_dir(sr, real) ||
		    strlen(real) >= sizeof(s->rocm[0].path))
			continue;
		size_t k;
		for (k = 0; k < s->n_rocm; k++)
			if (strcmp(s->rocm[k].path, real) == 0)
				break;
		if (k < s->n_rocm)
			continue;
		struct rmcp_rocm_install *r = &s->rocm[s->n_rocm++];
		memset(r, 0, sizeof(*r));
		snprintf(r->path, sizeof(r->path), "%s", real);
		r->is_default = deflt[0] && strcmp(deflt, real) == 0;
		rocm_version(sr, r, buf, cap);
		char lib[PATH_MAX];
		snprintf(lib, sizeof(lib), "%s/lib", real);
		hip_version(sr, real, lib, r, buf, cap);
	}
	rmcp_strv_free(names, (size_t)n);
	return 0;
}

const char *const rmcp_multiarch_dirs[RMCP_N_MULTIARCH] = { "/usr/lib/x86_64-linux-gnu",
							      "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
							      "/usr/lib" };

static void find_rocm_distro(const struct rmcp_path *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	if (s->n_rocm >= RMCP_MAX_ROCM)
		return;
	for (size_t d = 0; d < RMCP_N_MULTIARCH; d++) {
		char **names = NULL;
		int n = rmcp_path_list(sr, rmcp_multiarch_dirs[d], hip_soname_file, &names);
		if (n <= 0)
			continue;
		struct rmcp_rocm_install *r = &s->rocm[s->n_rocm++];
		memset(r, 0, sizeof(*r));
		snprintf(r->path, sizeof(r->path), "/usr");
		r->distro = true;
		/* Debian 12: libamdhip64.so.5 -> libamdhip64.so.5.2.21153 (package libamdhip64-5). */
		snprintf(r->hip_version, sizeof(r->hip_version), "%s", names[0] + 15);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "soname");
		char major[8];
		snprintf(major, sizeof(major), "%.*s", (int)strcspn(r->hip_version, "."), r->hip_version);
		rmcp_strv_free(names, (size_t)n);
		if (version_from_header(sr, "/usr/include", r, buf, cap))
			return;
		char pkg[32], raw[64];
		snprintf(pkg, sizeof(pkg), "libamdhip64-%s", major);
		if (rmcp_path_read(sr, buf, cap, "%s", "/var/lib/dpkg/status") > 0 && dpkg_version(buf, pkg, raw, sizeof(raw))) {
			set_version(r, raw, "dpkg");
			return;
		}
		/* The soname's MAJ.MIN is the ROCm release series (5.2.21153 -> ROCm 5.2). */
		char mm[32];
		const char *dot = strchr(r->hip_version, '.');
		dot = dot ? strchr(dot + 1, '.') : NULL;
		snprintf(mm, sizeof(mm), "%.*s", dot ? (int)(dot - r->hip_version) : 0, r->hip_version);
		snprintf(r->version, sizeof(r->version), "%s", mm);
		snprintf(r->version_source, sizeof(r->version_source), "soname");
		return;
	}
}

/* /opt installs without any version file: AMD's repo packages (rocm-core) say it. */
static void rocm_from_dpkg(const struct rmcp_path *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	char raw[64];
	bool read = false;
	for (size_t i = 0; i < s->n_rocm; i++) {
		struct rmcp_rocm_install *r = &s->rocm[i];
		if (r->distro || (r->version[0] && strcmp(r->version_source, "dirname") != 0 && r->hip_version[0]))
			continue;
		if (!read && rmcp_path_read(sr, buf, cap, "%s", "/var/lib/dpkg/status") <= 0)
			return;
		read = true;
		bool weak = !r->version[0] || strcmp(r->version_source, "dirname") == 0;
		if (r->is_default && weak && dpkg_version(buf, "rocm-core", raw, sizeof(raw)))
			set_version(r, raw, "dpkg");
		/* hip-runtime-amd "6.3.42133.60303-74~22.04": HIP 6.3.42133. */
		if (r->is_default && !r->hip_version[0] && dpkg_version(buf, "hip-runtime-amd", raw, sizeof(raw))) {
			upstream_version(raw, r->hip_version, sizeof(r->hip_version));
			first_three(r->hip_version);
			snprintf(r->hip_version_source, sizeof(r->hip_version_source), "dpkg");
		}
	}
}

int rmcp_stack_find_rocm(const struct rmcp_path *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	int rc = find_rocm_opt(sr, s, buf, cap);
	if (rc == 0) {
		find_rocm_distro(sr, s, buf, cap);
		rocm_from_dpkg(sr, s, buf, cap);
	}
	return rc;
}
