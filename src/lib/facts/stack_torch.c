/* SPDX-License-Identifier: MIT */
/*
 * The software stack, part 2: PyTorch installs, found without running Python
 * (research/detect.md §5). Candidates: the python first on PATH and any --python, mapped to
 * their prefix's site-packages/dist-packages (and a venv's base when pyvenv.cfg says
 * include-system-site-packages = true), the user site under home, and --torch directories.
 */
#include "stack.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stack_internal.h"
#include "banned.h"

#define TEXT_CAP (1u << 16)

/* ---- torch/version.py --------------------------------------------------------------------- */

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The value of `= 'text'` / `= "text"` / `= None` at p; *set = false for None. */
static bool parse_value(const char *p, const char *end, const char **v, size_t *vl, bool *set)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) >= 4 && memcmp(p, "None", 4) == 0 &&
	    (p + 4 == end || !ident_char(p[4]))) {
		*set = false;
		return true;
	}
	if (p >= end || (*p != '\'' && *p != '"'))
		return false;
	char q = *p++;
	const char *close = memchr(p, q, (size_t)(end - p));
	if (!close)
		return false;
	*v = p;
	*vl = (size_t)(close - p);
	*set = true;
	return true;
}

int rmcp_torch_version_parse(const char *buf, size_t len, struct rmcp_torch_install *t)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} keys[] = {
		{ "__version__", offsetof(struct rmcp_torch_install, version), sizeof(t->version) },
		{ "hip", offsetof(struct rmcp_torch_install, hip), sizeof(t->hip) },
		{ "rocm", offsetof(struct rmcp_torch_install, rocm), sizeof(t->rocm) },
		{ "cuda", offsetof(struct rmcp_torch_install, cuda), sizeof(t->cuda) },
	};
	bool found[4] = { false, false, false, false };
	size_t pos = 0;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		const char *end = nl ? nl : buf + len;
		pos = (size_t)(end - buf) + 1;
		/* Top-level names only: an indented line belongs to a block. */
		const char *p = line;
		while (p < end && ident_char(*p))
			p++;
		size_t nlen = (size_t)(p - line);
		size_t k;
		for (k = 0; k < 4; k++)
			if (strlen(keys[k].name) == nlen && memcmp(line, keys[k].name, nlen) == 0)
				break;
		if (k == 4)
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		/* An annotation (": Optional[str]", ": str") runs up to the '='. */
		if (p < end && *p == ':') {
			const char *eq = memchr(p, '=', (size_t)(end - p));
			if (!eq)
				continue;
			p = eq;
		}
		if (p >= end || *p != '=' || (p + 1 < end && p[1] == '='))
			continue;
		const char *v = NULL;
		size_t vl = 0;
		bool set;
		if (!parse_value(p + 1, end, &v, &vl, &set))
			continue;
		char *dst = (char *)t + keys[k].off;
		if (!set) {
			dst[0] = '\0';
		} else {
			if (vl >= keys[k].cap)
				vl = keys[k].cap - 1;
			memcpy(dst, v, vl);
			dst[vl] = '\0';
		}
		found[k] = true;
	}
	return found[0] + found[1] + found[2] + found[3];
}

/* ---- where Python would look ------------------------------------------------------------- */

struct cands {
	char (*dir)[PATH_MAX];	/* site-packages directories, within the sysroot */
	char (*by)[16];
	size_t n, cap;
};

static void add_cand(struct cands *c, const char *dir, const char *by)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->dir[i], dir) == 0)
			return;
	if (c->n < c->cap) {
		snprintf(c->dir[c->n], PATH_MAX, "%s", dir);
		snprintf(c->by[c->n], sizeof(c->by[0]), "%s", by);
		c->n++;
	}
}

static bool python3_dir(const char *n)
{
	return strncmp(n, "python3", 7) == 0;
}

/* <prefix>/lib/python3.X/{site,dist}-packages, <prefix>/lib/python3/dist-packages (Debian),
 * <prefix>/local/lib/python3.X/dist-packages (Debian's pip into /usr/local), lib64. */
static void add_prefix(const struct rmcp_path *sr, struct cands *c, const char *prefix, const char *by)
{
	static const char *const libs[] = { "lib", "lib64", "local/lib" };
	static const char *const sites[] = { "site-packages", "dist-packages" };
	for (size_t l = 0; l < 3; l++) {
		char libdir[PATH_MAX];
		snprintf(libdir, sizeof(libdir), "%s/%s", strcmp(prefix, "/") ? prefix : "", libs[l]);
		char **names = NULL;
		int n = rmcp_path_list(sr, libdir, python3_dir, &names);
		for (int i = 0; i < n; i++)
			for (size_t s = 0; s < 2; s++) {
				char d[PATH_MAX];
				int w = snprintf(d, sizeof(d), "%s/%s/%s", libdir, names[i], sites[s]);
				if (w > 0 && (size_t)w < sizeof(d) && rmcp_path_is_dir(sr, d))
					add_cand(c, d, by);
			}
		if (n > 0)
			rmcp_strv_free(names, (size_t)n);
	}
}

static void dirname_of(const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "%s", path);
	char *s = strrchr(out, '/');
	if (s && s != out)
		*s = '\0';
	else
		snprintf(out, cap, "/");
}

/* pyvenv.cfg "key = value" */
static bool cfg_value(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		const char *p = l;
		if (len > kl && strncmp(p, key, kl) == 0) {
			p += kl;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				size_t vl = (size_t)(l + len - p);
				while (vl && isspace((unsigned char)p[vl - 1]))
					vl--;
				if (vl < cap) {
					memcpy(out, p, vl);
					out[vl] = '\0';
					return true;
				}
			}
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return false;
}

/* The site directories an interpreter at `python` (within the sysroot) would use. */
static void add_python(const struct rmcp_path *sr, struct cands *c, const char *python, const char *by)
{
	char bin[PATH_MAX], prefix[PATH_MAX], text[4096];
	/* Touch the interpreter itself, so a recorder (rmcp capture) keeps the path the user
	 * named: a capture read with the same --python must find it. */
	(void)rmcp_path_exists(sr, python);
	dirname_of(python, bin, sizeof(bin));
	dirname_of(bin, prefix, sizeof(prefix));
	char cfg[PATH_MAX + 16];
	snprintf(cfg, sizeof(cfg), "%s/pyvenv.cfg", prefix);
	if (rmcp_path_read(sr, text, sizeof(text), "%s", cfg) > 0) {
		/* A venv: its own site-packages, plus the base's when the venv was created with
		 * --system-site-packages. */
		add_prefix(sr, c, prefix, by);
		char home[PATH_MAX], inc[16];
		if (cfg_value(text, "include-system-site-packages", inc, sizeof(inc)) &&
		    strcmp(inc, "true") == 0 && cfg_value(text, "home", home, sizeof(home)) && home[0] == '/') {
			char base[PATH_MAX];
			dirname_of(home, base, sizeof(base));
			add_prefix(sr, c, base, by);
		}
		return;
	}
	add_prefix(sr, c, prefix, by);
	/* /usr/bin/python3 -> python3.11 stays in /usr; /usr/local/bin/python3 -> /opt/py/bin/...
	 * moves the prefix: look there too. */
	char real[PATH_MAX];
	if (rmcp_path_resolve(sr, python, real, sizeof(real)) == 0 && strcmp(real, python) != 0) {
		dirname_of(real, bin, sizeof(bin));
		dirname_of(bin, prefix, sizeof(prefix));
		add_prefix(sr, c, prefix, by);
	}
}

static bool find_on_path(const struct rmcp_path *sr, const char *path_env, char *out, size_t cap)
{
	static const char *const names[] = { "python3", "python" };
	const char *p = path_env;
	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		/* Only absolute entries: an empty or relative one means a directory we cannot know. */
		if (len && p[0] == '/') {
			for (size_t i = 0; i < 2; i++) {
				char cand[PATH_MAX];
				int n = snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, p, names[i]);
				char real[PATH_MAX], host[PATH_MAX];
				struct stat st;
				if (n > 0 && (size_t)n < sizeof(cand) &&
				    rmcp_path_resolve(sr, cand, real, sizeof(real)) == 0 &&
				    rmcp_path_host(sr, real, host, sizeof(host)) == 0 && stat(host, &st) == 0 &&
				    S_ISREG(st.st_mode)) {
					snprintf(out, cap, "%s", cand);
					return true;
				}
			}
		}
		p = colon ? colon + 1 : NULL;
	}
	return false;
}

/* ---- the installs ------------------------------------------------------------------------ */

static void trim_copy(char *dst, size_t cap, const char *s, size_t n)
{
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool dist_info(const char *n)
{
	size_t l = strlen(n);
	return strncmp(n, "torch-", 6) == 0 && l > 10 && strcmp(n + l - 10, ".dist-info") == 0;
}

static bool amdhip(const char *n)
{
	return strncmp(n, "libamdhip64.so", 14) == 0;
}

static void add_torch(const struct rmcp_path *sr, struct rmcp_stack *s, const char *torch_dir, const char *by,
		      char *text)
{
	char real[PATH_MAX], rel[PATH_MAX + 32];
	if (s->n_torch >= RMCP_MAX_TORCH || rmcp_path_resolve(sr, torch_dir, real, sizeof(real)) < 0 ||
	    strlen(real) >= sizeof(s->torch[0].path))
		return;
	for (size_t i = 0; i < s->n_torch; i++)
		if (strcmp(s->torch[i].path, real) == 0)
			return;
	snprintf(rel, sizeof(rel), "%s/version.py", real);
	int n = rmcp_path_read(sr, text, TEXT_CAP, "%s", rel);
	if (n < 0)
		return;
	_Static_assert(sizeof(s->torch[0].version) == sizeof(s->torch[0].dist_version), "same size");
	struct rmcp_torch_install *t = &s->torch[s->n_torch++];
	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", real);
	snprintf(t->found_by, sizeof(t->found_by), "%s", by);
	rmcp_torch_version_parse(text, (size_t)n, t);
	/* torch-<version>.dist-info/METADATA next to the package (pip installs). */
	char site[PATH_MAX];
	dirname_of(real, site, sizeof(site));
	char **names = NULL;
	int nd = rmcp_path_list(sr, site, dist_info, &names);
	for (int i = 0; i < nd && !t->dist_version[0]; i++) {
		snprintf(rel, sizeof(rel), "%s/%s/METADATA", site, names[i]);
		if (rmcp_path_read(sr, text, TEXT_CAP, "%s", rel) <= 0)
			continue;
		for (const char *l = text; *l;) {
			const char *eol = strchr(l, '\n');
			size_t ll = eol ? (size_t)(eol - l) : strlen(l);
			if (ll > 9 && strncmp(l, "Version: ", 9) == 0) {
				trim_copy(t->dist_version, sizeof(t->dist_version), l + 9, ll - 9);
				break;
			}
			if (ll == 0 || !eol)
				break;	/* the headers end at the first blank line */
			l = eol + 1;
		}
	}
	if (nd > 0)
		rmcp_strv_free(names, (size_t)nd);
	if (!t->version[0] && t->dist_version[0])
		memcpy(t->version, t->dist_version, sizeof(t->version));
	/* ROCm wheels ship libamdhip64 and friends in torch/lib: the system ROCm is not used. */
	snprintf(rel, sizeof(rel), "%s/lib", real);
	nd = rmcp_path_list(sr, rel, amdhip, &names);
	t->bundles_rocm = nd > 0;
	if (nd > 0)
		rmcp_strv_free(names, (size_t)nd);
}

int rmcp_stack_find_torch(const struct rmcp_path *sr, const struct rmcp_stack_opts *opts, struct rmcp_stack *s)
{
	struct cands c = { .cap = 64 };
	c.dir = calloc(c.cap, sizeof(*c.dir));
	c.by = calloc(c.cap, sizeof(*c.by));
	char *text = malloc(TEXT_CAP);
	if (!c.dir || !c.by || !text) {
		free(c.dir);
		free(c.by);
		free(text);
		return -ENOMEM;
	}
	char py[PATH_MAX];
	if (opts->path_env && find_on_path(sr, opts->path_env, py, sizeof(py))) {
		snprintf(s->python, sizeof(s->python), "%s", py);
		add_python(sr, &c, py, "python");
	}
	for (size_t i = 0; opts->python_paths && opts->python_paths[i]; i++)
		add_python(sr, &c, opts->python_paths[i], "--python");
	if (opts->home && opts->home[0] == '/') {
		char local[PATH_MAX];
		snprintf(local, sizeof(local), "%s/.local", opts->home);
		add_prefix(sr, &c, local, "user-site");
	}
	for (size_t i = 0; opts->torch_dirs && opts->torch_dirs[i]; i++) {
		/* --torch names the torch package itself or a site-packages directory. */
		char d[PATH_MAX], v[PATH_MAX + 16];
		snprintf(d, sizeof(d), "%s", opts->torch_dirs[i]);
		snprintf(v, sizeof(v), "%s/version.py", d);
		if (!rmcp_path_exists(sr, v)) {
			snprintf(v, sizeof(v), "%s/torch", opts->torch_dirs[i]);
			snprintf(d, sizeof(d), "%s", v);
		}
		add_torch(sr, s, d, "--torch", text);
	}
	for (size_t i = 0; i < c.n; i++) {
		char d[PATH_MAX + 8];
		snprintf(d, sizeof(d), "%s/torch", c.dir[i]);
		if (rmcp_path_is_dir(sr, d))
			add_torch(sr, s, d, c.by[i], text);
	}
	free(c.dir);
	free(c.by);
	free(text);
	return 0;
}
