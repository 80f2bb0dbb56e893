/* SPDX-License-Identifier: MIT */
/*
 * The software stack, part 1: ROCm installs and the orchestration of rmcp_stack_read
 * (research/detect.md §5). Torch installs are in stack_torch.c, library coverage in
 * stack_cov.c. Everything is read from files under the sysroot; nothing is run.
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

/* ---- paths inside the sysroot ------------------------------------------------------------ */

int rmcp_sr_host(const struct rmcp_sr *sr, const char *rel, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s%s", sr->root, rel[0] == '/' ? "" : "/", rel);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	if (sr->rec && sr->rec->path)
		sr->rec->path(sr->rec->ctx, rel);
	return 0;
}

/* Append component c (len n) to the path in out (within the sysroot, "/" at least). */
static int push_comp(char *out, size_t cap, const char *c, size_t n)
{
	size_t l = strlen(out);
	if (l + 1 + n >= cap)
		return -ENAMETOOLONG;
	if (l > 1 || out[0] != '/')
		out[l++] = '/';
	memcpy(out + l, c, n);
	out[l + n] = '\0';
	return 0;
}

static void pop_comp(char *out)
{
	char *slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
	else
		out[1] = '\0';
}

void rmcp_sr_init(struct rmcp_sr *sr, char *buf, size_t cap, const char *sysroot)
{
	snprintf(buf, cap, "%s", sysroot && *sysroot ? sysroot : "/");
	size_t rl = strlen(buf);
	while (rl > 0 && buf[rl - 1] == '/')
		buf[--rl] = '\0';
	sr->root = buf;
	sr->rec = NULL;
}

int rmcp_sr_resolve(const struct rmcp_sr *sr, const char *rel, char *out, size_t cap)
{
	/* Work list: the components still to walk, as one string consumed from the front. */
	char pending[PATH_MAX], next[PATH_MAX];
	if (cap < 2)
		return -ENAMETOOLONG;
	int n = snprintf(pending, sizeof(pending), "%s", rel);
	if (n < 0 || (size_t)n >= sizeof(pending))
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = '\0';
	unsigned hops = 0;
	char *p = pending;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			pop_comp(out);	/* ".." at the root stays at the root, as chroot does */
			p += len;
			continue;
		}
		char saved[PATH_MAX];
		snprintf(saved, sizeof(saved), "%s", out);
		int rc = push_comp(out, cap, p, len);
		if (rc < 0)
			return rc;
		p += len;
		char host[PATH_MAX], target[PATH_MAX];
		struct stat st;
		if (rmcp_sr_host(sr, out, host, sizeof(host)) < 0 || lstat(host, &st) != 0 || !S_ISLNK(st.st_mode))
			continue;
		if (++hops > 40)
			return -ELOOP;
		ssize_t tl = readlink(host, target, sizeof(target) - 1);
		if (tl < 0)
			return -errno;
		target[tl] = '\0';
		/* Replace the link: its target, then whatever was left to walk. */
		n = snprintf(next, sizeof(next), "%s/%s", target, p);
		if (n < 0 || (size_t)n >= sizeof(next))
			return -ENAMETOOLONG;
		memcpy(pending, next, (size_t)n + 1);
		p = pending;
		if (target[0] == '/') {
			out[0] = '/';
			out[1] = '\0';
		} else {
			snprintf(out, cap, "%s", saved);
		}
	}
	return 0;
}

int rmcp_sr_read(const struct rmcp_sr *sr, const char *rel, char *buf, size_t cap)
{
	char host[PATH_MAX];
	if (cap == 0 || cap > INT_MAX)
		return -EINVAL;
	buf[0] = '\0';
	if (rmcp_sr_host(sr, rel, host, sizeof(host)) < 0)
		return -ENAMETOOLONG;
	int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	size_t got = 0;
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

bool rmcp_sr_is_dir(const struct rmcp_sr *sr, const char *rel)
{
	char host[PATH_MAX];
	return rmcp_sr_host(sr, rel, host, sizeof(host)) == 0 && is_dir(host);
}

bool rmcp_sr_exists(const struct rmcp_sr *sr, const char *rel)
{
	char host[PATH_MAX];
	struct stat st;
	return rmcp_sr_host(sr, rel, host, sizeof(host)) == 0 && lstat(host, &st) == 0;
}

static int filter_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int rmcp_sr_list(const struct rmcp_sr *sr, const char *rel, bool (*filter)(const char *name),
		 char ***out)
{
	char host[PATH_MAX];
	if (rmcp_sr_host(sr, rel, host, sizeof(host)) < 0)
		return -ENAMETOOLONG;
	struct dirent **names;
	int n = scandir(host, &names, filter_dots, alphasort);
	if (n < 0)
		return -errno;
	struct strv v = { 0 };
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && (!filter || filter(names[i]->d_name))) {
			rc = strv_add(&v, names[i]->d_name);
			/* A listed name can matter without being opened (a soname gives a version). */
			if (rc == 0 && sr->rec && sr->rec->path) {
				char child[PATH_MAX];
				int cn = snprintf(child, sizeof(child), "%s/%s", strcmp(rel, "/") ? rel : "",
						  names[i]->d_name);
				if (cn > 0 && (size_t)cn < sizeof(child))
					sr->rec->path(sr->rec->ctx, child);
			}
		}
		free(names[i]);
	}
	free(names);
	if (rc < 0) {
		rmcp_strv_free(v.v, v.n);
		return rc;
	}
	*out = v.v;
	return (int)v.n;
}

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

static bool version_from_header(const struct rmcp_sr *sr, const char *inc, struct rmcp_rocm_install *r,
				char *buf, size_t cap)
{
	static const char *const hdrs[] = { "rocm-core/rocm_version.h", "rocm_version.h" };
	for (size_t i = 0; i < 2; i++) {
		char rel[PATH_MAX], a[16], b[16], c[16];
		snprintf(rel, sizeof(rel), "%s/%s", inc, hdrs[i]);
		if (rmcp_sr_read(sr, rel, buf, cap) <= 0)
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

static void rocm_version(const struct rmcp_sr *sr, struct rmcp_rocm_install *r, char *buf, size_t cap)
{
	/* .info/version: "6.0.0-12568" (X.Y.Z-BUILD), "7.14.0" in TheRock; older installs had
	 * .info/version-dev; TheRock packages put it in core-<VER>/.info/version. */
	static const char *const infos[] = { ".info/version", ".info/version-dev" };
	char rel[PATH_MAX];
	for (size_t i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", r->path, infos[i]);
		int n = rmcp_sr_read(sr, rel, buf, cap);
		if (n > 0 && isdigit((unsigned char)buf[0])) {
			buf[strcspn(buf, "\r\n")] = '\0';
			set_version(r, buf, infos[i]);
			return;
		}
	}
	char **cores = NULL;
	int nc = rmcp_sr_list(sr, r->path, core_dir, &cores);
	for (int i = 0; i < nc && !r->version[0]; i++) {
		snprintf(rel, sizeof(rel), "%s/%s/.info/version", r->path, cores[i]);
		if (rmcp_sr_read(sr, rel, buf, cap) > 0 && isdigit((unsigned char)buf[0])) {
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

static void hip_version(const struct rmcp_sr *sr, const char *prefix, const char *libdir,
			struct rmcp_rocm_install *r, char *buf, size_t cap)
{
	char rel[PATH_MAX], a[16], b[16], c[24];
	/* hipconfig --version reads $HIP_PATH/bin/.hipVersion (HIP_VERSION_MAJOR/MINOR/PATCH). */
	snprintf(rel, sizeof(rel), "%s/bin/.hipVersion", prefix);
	if (rmcp_sr_read(sr, rel, buf, cap) > 0 && find_kv(buf, "HIP_VERSION_MAJOR", a, sizeof(a)) &&
	    find_kv(buf, "HIP_VERSION_MINOR", b, sizeof(b)) && find_kv(buf, "HIP_VERSION_PATCH", c, sizeof(c))) {
		snprintf(r->hip_version, sizeof(r->hip_version), "%s.%s.%s", a, b, c);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "bin/.hipVersion");
		return;
	}
	snprintf(rel, sizeof(rel), "%s/include/hip/hip_version.h", prefix);
	if (rmcp_sr_read(sr, rel, buf, cap) > 0 && find_define(buf, "HIP_VERSION_MAJOR", a, sizeof(a)) &&
	    find_define(buf, "HIP_VERSION_MINOR", b, sizeof(b)) &&
	    find_define(buf, "HIP_VERSION_PATCH", c, sizeof(c))) {
		snprintf(r->hip_version, sizeof(r->hip_version), "%s.%s.%s", a, b, c);
		snprintf(r->hip_version_source, sizeof(r->hip_version_source), "hip_version.h");
		return;
	}
	char **names = NULL;
	int n = rmcp_sr_list(sr, libdir, hip_soname_file, &names);
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

static int find_rocm_opt(const struct rmcp_sr *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	char **names = NULL;
	int n = rmcp_sr_list(sr, "/opt", rocm_entry, &names);
	if (n <= 0)
		return 0;
	char deflt[PATH_MAX] = "";
	if (rmcp_sr_resolve(sr, "/opt/rocm", deflt, sizeof(deflt)) < 0)
		deflt[0] = '\0';
	for (int i = 0; i < n && s->n_rocm < RMCP_MAX_ROCM; i++) {
		char rel[PATH_MAX], real[PATH_MAX];
		snprintf(rel, sizeof(rel), "/opt/%s", names[i]);
		/* /opt/rocm is usually a link (via /etc/alternatives on deb installs) to
		 * /opt/rocm-X.Y.Z: one install, reported under its real name. */
		if (rmcp_sr_resolve(sr, rel, real, sizeof(real)) < 0 || !rmcp_sr_is_dir(sr, real) ||
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

static const char *const multiarch_dirs[] = { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
					      "/usr/lib64", "/usr/lib" };

static void find_rocm_distro(const struct rmcp_sr *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	if (s->n_rocm >= RMCP_MAX_ROCM)
		return;
	for (size_t d = 0; d < sizeof(multiarch_dirs) / sizeof(multiarch_dirs[0]); d++) {
		char **names = NULL;
		int n = rmcp_sr_list(sr, multiarch_dirs[d], hip_soname_file, &names);
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
		if (rmcp_sr_read(sr, "/var/lib/dpkg/status", buf, cap) > 0 && dpkg_version(buf, pkg, raw, sizeof(raw))) {
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
static void rocm_from_dpkg(const struct rmcp_sr *sr, struct rmcp_stack *s, char *buf, size_t cap)
{
	char raw[64];
	bool read = false;
	for (size_t i = 0; i < s->n_rocm; i++) {
		struct rmcp_rocm_install *r = &s->rocm[i];
		if (r->distro || (r->version[0] && strcmp(r->version_source, "dirname") != 0 && r->hip_version[0]))
			continue;
		if (!read && rmcp_sr_read(sr, "/var/lib/dpkg/status", buf, cap) <= 0)
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

static int scan_rocm_coverage(const struct rmcp_sr *sr, struct rmcp_cov *c, const struct rmcp_stack *s)
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
	for (size_t d = 0; d < sizeof(multiarch_dirs) / sizeof(multiarch_dirs[0]) && rc == 0; d++) {
		char **names = NULL;
		int n = rmcp_sr_list(sr, multiarch_dirs[d], rmcp_rocm_lib_name, &names);
		for (int i = 0; i < n && rc == 0; i++) {
			snprintf(rel, sizeof(rel), "%s/%s", multiarch_dirs[d], names[i]);
			char host[PATH_MAX];
			struct stat st;
			/* The real files only, not the soname links to them. */
			if (rmcp_sr_host(sr, rel, host, sizeof(host)) == 0 && lstat(host, &st) == 0 &&
			    S_ISREG(st.st_mode))
				rc = rmcp_cov_lib_file(c, rel, "rocm");
		}
		if (n > 0)
			rmcp_strv_free(names, (size_t)n);
		/* Debian: <multiarch>/rocblas/<version>/library */
		snprintf(rel, sizeof(rel), "%s/rocblas", multiarch_dirs[d]);
		n = rmcp_sr_list(sr, rel, versioned_dir, &names);
		for (int i = 0; i < n && rc == 0; i++) {
			char lib[PATH_MAX];
			snprintf(lib, sizeof(lib), "%s/rocblas/%s/library", multiarch_dirs[d], names[i]);
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
	char root[PATH_MAX];
	struct rmcp_sr sr;
	rmcp_sr_init(&sr, root, sizeof(root), opts->sysroot);
	sr.rec = opts->recorder;
	if (!rmcp_sr_is_dir(&sr, "/"))
		return rmcp_err_set(err, -ENOTDIR, "sysroot %s is not a directory", opts->sysroot);
	size_t cap = 1u << 22;	/* dpkg's status file is the largest text read (a few MiB) */
	char *buf = malloc(cap);
	if (!buf)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	int rc = find_rocm_opt(&sr, s, buf, cap);
	if (rc == 0) {
		find_rocm_distro(&sr, s, buf, cap);
		rocm_from_dpkg(&sr, s, buf, cap);
		rc = rmcp_stack_find_torch(&sr, opts, s);
	}
	free(buf);
	if (rc < 0)
		return rmcp_err_set(err, rc, "reading the software stack: %s", rmcp_strerror(rc));
	if (!opts->real_gfx)
		return 0;
	struct rmcp_cov *c;
	rc = rmcp_cov_begin(&sr, opts, s, err, &c);
	if (rc < 0)
		return rc;
	rc = scan_torch_coverage(c, s);
	if (rc == 0)
		rc = scan_rocm_coverage(&sr, c, s);
	rmcp_cov_end(c);
	if (rc < 0)
		return rmcp_err_set(err, rc, "scanning libraries: %s", rmcp_strerror(rc));
	return 0;
}
