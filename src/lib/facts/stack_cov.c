/* SPDX-License-Identifier: MIT */
/*
 * The software stack, part 3: which libraries hold code for the GPU. Every file goes through
 * the scan engine (scan.h) unless the on-disk cache (cache.h) already knows it; the judgement
 * is the target rules of target.h (rmcp_target_covers: same processor with compatible
 * features, or a generic target that covers it), as report.c's rmcp_file_covers applies them.
 */
#include "stack.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "scan.h"
#include "stack_internal.h"
#include "target.h"
#include "banned.h"

struct rmcp_cov {
	const struct rmcp_path *sr;
	const struct rmcp_stack_recorder *rec;	/* opts->recorder: scan results reported */
	struct rmcp_stack *s;
	struct rmcp_target_id real, eff;
	bool eff_differs;
	struct rmcp_cache *cache;
	struct rmcp_scan_opts scan_opts;
	/* rmcp-snapshot/scan.tsv of a capture: scan results of its stand-in libraries */
	char *snap_text;
	struct snap_entry {
		const char *rel;
		struct rmcp_cached_scan r;
	} *snap;
	size_t n_snap;
};

/* Parse rmcp-snapshot/scan.tsv (stack.h) into c->snap; lines that do not parse are skipped. */
static void snap_load(struct rmcp_cov *c)
{
	enum { SNAP_CAP = 4u << 20 };
	char *text = malloc(SNAP_CAP);
	int n = text ? rmcp_path_read(c->sr, text, SNAP_CAP, "%s", "/rmcp-snapshot/scan.tsv") : -ENOMEM;
	if (n <= 0) {
		free(text);
		return;
	}
	size_t lines = 0;
	for (int i = 0; i < n; i++)
		lines += text[i] == '\n';
	c->snap = calloc(lines + 1, sizeof(*c->snap));
	if (!c->snap) {
		free(text);
		return;
	}
	c->snap_text = text;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[5];
		size_t k = 0;
		for (char *p = line; k < 5; k++) {
			f[k] = p;
			char *t = strchr(p, '\t');
			if (!t) {
				k++;
				break;
			}
			*t = '\0';
			p = t + 1;
		}
		if (line[0] == '#' || line[0] != '/' || k < 4)
			continue;
		struct snap_entry *e = &c->snap[c->n_snap];
		char *end;
		long fmt = strtol(f[1], &end, 10);
		if (*end || fmt < 0 || fmt > 64 || (strcmp(f[2], "0") != 0 && strcmp(f[2], "1") != 0))
			continue;
		e->rel = f[0];
		e->r.format = (int)fmt;
		e->r.device_code = f[2][0] == '1';
		snprintf(e->r.targets, sizeof(e->r.targets), "%s", f[3]);
		snprintf(e->r.error, sizeof(e->r.error), "%s", k > 4 ? f[4] : "");
		c->n_snap++;
	}
}

static bool snap_get(const struct rmcp_cov *c, const char *rel, struct rmcp_cached_scan *r)
{
	for (size_t i = 0; i < c->n_snap; i++)
		if (strcmp(c->snap[i].rel, rel) == 0) {
			*r = c->snap[i].r;
			return true;
		}
	return false;
}

int rmcp_cov_begin(const struct rmcp_path *sr, const struct rmcp_stack_opts *opts, struct rmcp_stack *s,
		   struct rmcp_err *err, struct rmcp_cov **out)
{
	struct rmcp_cov *c = calloc(1, sizeof(*c));
	if (!c)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	c->sr = sr;
	c->rec = opts->recorder;
	c->s = s;
	int rc = rmcp_target_id_parse(opts->real_gfx, strlen(opts->real_gfx), &c->real, err);
	const char *eff = opts->effective_gfx ? opts->effective_gfx : opts->real_gfx;
	if (rc == 0)
		rc = rmcp_target_id_parse(eff, strlen(eff), &c->eff, err);
	if (rc < 0) {
		free(c);
		return rmcp_err_prefix(err, "GPU target for the coverage scan");
	}
	/* The same processor named without features ("gfx90a" for a "gfx90a:sramecc+" GPU) is
	 * the same GPU: no override, nothing to tell apart. */
	if (strcmp(c->real.proc, c->eff.proc) == 0) {
		if (c->eff.xnack == RMCP_FEAT_UNSPEC)
			c->eff.xnack = c->real.xnack;
		if (c->eff.sramecc == RMCP_FEAT_UNSPEC)
			c->eff.sramecc = c->real.sramecc;
	}
	c->eff_differs = strcmp(c->real.proc, c->eff.proc) != 0 || c->real.xnack != c->eff.xnack ||
			 c->real.sramecc != c->eff.sramecc;
	int crc;
	if (opts->cache_dir && (crc = rmcp_cache_open(opts->cache_dir, &c->cache)) < 0) {
		c->cache = NULL;
		snprintf(s->cache_error, sizeof(s->cache_error), "scan cache %.80s: %s; running without it",
			 opts->cache_dir, rmcp_strerror(crc));
	}
	if (!rmcp_path_is_live(sr))
		snap_load(c);
	*out = c;
	return 0;
}

void rmcp_cov_end(struct rmcp_cov *c)
{
	if (!c)
		return;
	int rc = rmcp_cache_close(c->cache);
	if (rc < 0 && !c->s->cache_error[0])
		snprintf(c->s->cache_error, sizeof(c->s->cache_error), "writing the scan cache: %s",
			 rmcp_strerror(rc));
	free(c->snap);
	free(c->snap_text);
	free(c);
}

/* ---- judging a target list ---------------------------------------------------------------- */

/* Does any "target[@generic_version]" token in list run on gpu? */
static bool list_covers(const char *list, const struct rmcp_target_id *gpu)
{
	for (const char *p = list; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		const char *at = memchr(p, '@', n);
		size_t tl = at ? (size_t)(at - p) : n;
		unsigned gv = 0;
		if (at)
			for (const char *d = at + 1; d < p + n && *d >= '0' && *d <= '9' && gv < 1000; d++)
				gv = gv * 10 + (unsigned)(*d - '0');
		struct rmcp_target_id code;
		if (rmcp_target_id_parse(p, tl, &code, NULL) == 0 && rmcp_target_covers(&code, gv, gpu))
			return true;
		p += n;
	}
	return false;
}

static void judge(struct rmcp_cov *c, struct rmcp_lib_coverage *l, const struct rmcp_cached_scan *r)
{
	/* Targets for people: the list without the "@version" suffixes. */
	size_t o = 0;
	for (const char *p = r->targets; *p && o + 1 < sizeof(l->targets);) {
		size_t n = strcspn(p, " "), tl = strcspn(p, "@ ");
		if (n && o + tl + 2 < sizeof(l->targets)) {
			if (o)
				l->targets[o++] = ' ';
			memcpy(l->targets + o, p, tl);
			o += tl;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	l->targets[o] = '\0';
	snprintf(l->error, sizeof(l->error), "%s", r->error);
	l->real_covered = list_covers(r->targets, &c->real);
	l->effective_covered = c->eff_differs ? list_covers(r->targets, &c->eff) : l->real_covered;
	if (l->real_covered)
		l->coverage = RMCP_COVERAGE_NATIVE;
	else if (c->eff_differs && l->effective_covered)
		l->coverage = RMCP_COVERAGE_EFFECTIVE_ONLY;
	else if (r->targets[0])
		l->coverage = RMCP_COVERAGE_NONE;
	else if (r->error[0])
		l->coverage = RMCP_COVERAGE_UNKNOWN;
	else if (!r->device_code)
		l->coverage = RMCP_COVERAGE_NO_DEVICE_CODE;
	else
		l->coverage = RMCP_COVERAGE_NONE;	/* device code of no target we could name */
}

static struct rmcp_lib_coverage *new_lib(struct rmcp_cov *c, const char *rel, const char *component,
					 const char *owner)
{
	if (c->s->n_libs >= RMCP_MAX_LIBS) {
		c->s->libs_truncated = true;
		return NULL;
	}
	struct rmcp_lib_coverage *l = &c->s->libs[c->s->n_libs++];
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", rel);
	snprintf(l->component, sizeof(l->component), "%s", component);
	snprintf(l->owner, sizeof(l->owner), "%s", owner);
	return l;
}

/* ---- scanning one file -------------------------------------------------------------------- */

static void add_token(struct rmcp_cached_scan *r, const char *target, unsigned gv)
{
	char tok[96];
	int n = gv ? snprintf(tok, sizeof(tok), "%s@%u", target, gv) : snprintf(tok, sizeof(tok), "%s", target);
	if (n <= 0 || (size_t)n >= sizeof(tok))
		return;
	/* Already there (as a whole token)? */
	size_t tl = strlen(tok);
	for (const char *p = r->targets; (p = strstr(p, tok)) != NULL; p += tl)
		if ((p == r->targets || p[-1] == ' ') && (p[tl] == ' ' || p[tl] == '\0'))
			return;
	size_t len = strlen(r->targets);
	if (len + tl + 2 > sizeof(r->targets))
		return;
	/* Insert in version order (gfx900 before gfx1100: rmcp_target_cmp). */
	char *at = r->targets;
	while (*at) {
		size_t cl = strcspn(at, " ");
		char cur[96];
		snprintf(cur, sizeof(cur), "%.*s", (int)cl, at);
		if (rmcp_target_cmp(tok, cur) < 0)
			break;
		at += cl;
		while (*at == ' ')
			at++;
	}
	size_t off = (size_t)(at - r->targets);
	if (off == len) {
		snprintf(r->targets + len, sizeof(r->targets) - len, "%s%s", len ? " " : "", tok);
		return;
	}
	memmove(r->targets + off + tl + 1, r->targets + off, len - off + 1);
	memcpy(r->targets + off, tok, tl);
	r->targets[off + tl] = ' ';
}

/* Is target (without "@version") already in the list, with or without a version? */
static bool has_target(const struct rmcp_cached_scan *r, const char *target)
{
	size_t tl = strlen(target);
	for (const char *p = r->targets; *p;) {
		size_t n = strcspn(p, " "), pl = strcspn(p, "@ ");
		if (pl == tl && strncmp(p, target, tl) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

struct collect {
	struct rmcp_cached_scan r;
	bool any;
};

static void collect_cb(void *ctx, struct rmcp_file *f)
{
	struct collect *k = ctx;
	if (!k->any)
		k->r.format = (int)f->format;
	k->any = true;
	k->r.device_code |= rmcp_file_has_device_code(f);
	/* Entries carry the generic version when the ELF header was read; plain targets (from
	 * compressed bundles without --verbose, or names) are judged by name, as report.c does. */
	for (size_t i = 0; i < f->n_entries; i++)
		if (f->entries[i].target && f->entries[i].target[0] && !f->entries[i].bitcode)
			add_token(&k->r, f->entries[i].target,
				  f->entries[i].have_elf ? f->entries[i].generic_version : 0);
	for (size_t i = 0; i < f->n_targets; i++)
		if (!has_target(&k->r, f->targets[i]))
			add_token(&k->r, f->targets[i], 0);
	if (f->error && !k->r.error[0])
		snprintf(k->r.error, sizeof(k->r.error), "%s", f->error);
	rmcp_file_release(f);
}

static void record_scan(const struct rmcp_cov *c, const char *rel, const struct rmcp_cached_scan *r)
{
	if (c->rec && c->rec->scan)
		c->rec->scan(c->rec->ctx, rel, r);
}

static int scan_file(struct rmcp_cov *c, const char *rel, const char *host, const struct stat *st,
		     struct rmcp_cached_scan *r, bool *cached)
{
	*cached = false;
	if (snap_get(c, rel, r)) {
		record_scan(c, rel, r);
		return 0;
	}
	if (c->cache && rmcp_cache_get(c->cache, host, st, r)) {
		*cached = true;
		c->s->cache_hits++;
		record_scan(c, rel, r);
		return 0;
	}
	struct collect k;
	memset(&k, 0, sizeof(k));
	int rc = rmcp_scan_path(host, false, &c->scan_opts, collect_cb, &k);
	if (rc < 0)
		return rc;	/* out of memory: not the file's fault */
	*r = k.r;
	c->s->cache_misses++;
	/* Read errors (EACCES, EIO) may go away; only judgements of the bytes are kept. */
	if (c->cache && !(r->error[0] && !r->targets[0] && !r->device_code))
		rc = rmcp_cache_put(c->cache, host, st, r);
	record_scan(c, rel, r);
	return rc < 0 ? rc : 0;
}

/* "libtorch_hip.so" -> "libtorch_hip", "librocblas.so.4.2" -> "rocblas", "libMIOpen.so.1" -> "miopen" */
static void component_of(const char *name, char *out, size_t cap)
{
	const char *n = name;
	bool torch = strncmp(n, "libtorch", 8) == 0 || strncmp(n, "libc10", 6) == 0;
	if (!torch && strncmp(n, "lib", 3) == 0)
		n += 3;
	const char *so = strstr(n, ".so");
	size_t len = so ? (size_t)(so - n) : strlen(n);
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
	out[len] = '\0';
}

static int lib_file(struct rmcp_cov *c, const char *rel, const char *owner, bool always)
{
	char host[PATH_MAX], comp[32];
	struct stat st;
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	if (rmcp_path_host(c->sr, rel, host, sizeof(host)) < 0)
		return 0;
	if (stat(host, &st) != 0) {
		struct rmcp_lib_coverage *l = always ? new_lib(c, rel, "", owner) : NULL;
		if (l) {
			component_of(base, l->component, sizeof(l->component));
			snprintf(l->error, sizeof(l->error), "%s", strerror(errno));
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	struct rmcp_cached_scan r;
	bool cached;
	int rc = scan_file(c, rel, host, &st, &r, &cached);
	if (rc < 0)
		return rc;
	if (!always && !r.device_code && !r.targets[0] && !r.error[0])
		return 0;	/* a host-only library of no interest (libc10.so, libgomp.so) */
	component_of(base, comp, sizeof(comp));
	struct rmcp_lib_coverage *l = new_lib(c, rel, comp, owner);
	if (!l)
		return 0;
	l->cached = cached;
	judge(c, l, &r);
	return 0;
}

int rmcp_cov_lib_file(struct rmcp_cov *c, const char *file, const char *owner)
{
	return lib_file(c, file, owner, true);
}

static bool shared_lib(const char *n)
{
	const char *so = strstr(n, ".so");
	return so && (so[3] == '\0' || so[3] == '.');
}

int rmcp_cov_lib_dir(struct rmcp_cov *c, const char *dir, const char *owner, bool all)
{
	char **names = NULL;
	int n = rmcp_path_list(c->sr, dir, shared_lib, &names);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
		/* Real files only: libfoo.so -> libfoo.so.1 links name the same bytes. */
		if (!rmcp_path_is_file(c->sr, rel))
			continue;
		bool wanted = all || strncmp(names[i], "libtorch_hip", 12) == 0 || rmcp_rocm_lib_name(names[i]);
		rc = lib_file(c, rel, owner, wanted);
	}
	if (n > 0)
		rmcp_strv_free(names, (size_t)n);
	return rc;
}

/* ---- directories judged as a whole ---------------------------------------------------------- */

static bool tensile_name(const char *n)
{
	size_t l = strlen(n);
	return strncmp(n, "TensileLibrary", 14) == 0 &&
	       ((l > 4 && strcmp(n + l - 4, ".dat") == 0) || (l > 5 && strcmp(n + l - 5, ".yaml") == 0));
}

static bool any_entry(const char *n)
{
	(void)n;
	return true;
}

/* Targets named by TensileLibrary files in one directory (names only: the scan engine's
 * name rules on an empty buffer, so thousands of kernel files are never opened). */
static void tensile_names(struct rmcp_cov *c, const char *dir, struct rmcp_cached_scan *r)
{
	char **names = NULL;
	int n = rmcp_path_list(c->sr, dir, tensile_name, &names);
	for (int i = 0; i < n; i++) {
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
		struct rmcp_file f;
		if (rmcp_scan_buffer("", 0, rel, NULL, &f) == 0) {
			for (size_t t = 0; t < f.n_targets; t++)
				add_token(r, f.targets[t], 0);
			r->device_code = true;
		}
		rmcp_file_release(&f);
	}
	if (n > 0)
		rmcp_strv_free(names, (size_t)n);
}

int rmcp_cov_tensile_dir(struct rmcp_cov *c, const char *dir, const char *component, const char *owner)
{
	if (!rmcp_path_is_dir(c->sr, dir))
		return 0;
	struct rmcp_cached_scan r;
	memset(&r, 0, sizeof(r));
	tensile_names(c, dir, &r);
	/* Newer layout: library/<arch>/TensileLibrary*.dat */
	char **subs = NULL;
	int n = rmcp_path_list(c->sr, dir, any_entry, &subs);
	for (int i = 0; i < n; i++) {
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		if (strncmp(subs[i], "gfx", 3) == 0 && rmcp_path_is_dir(c->sr, sub))
			tensile_names(c, sub, &r);
	}
	if (n > 0)
		rmcp_strv_free(subs, (size_t)n);
	if (!r.device_code)
		return 0;	/* no Tensile library here */
	struct rmcp_lib_coverage *l = new_lib(c, dir, component, owner);
	if (l)
		judge(c, l, &r);
	return 0;
}

static bool kdb_name(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && strcmp(n + l - 4, ".kdb") == 0;
}

int rmcp_cov_kdb_dir(struct rmcp_cov *c, const char *dir, const char *owner)
{
	char **names = NULL;
	int n = rmcp_path_list(c->sr, dir, kdb_name, &names);
	if (n <= 0)
		return 0;
	struct rmcp_cached_scan r;
	memset(&r, 0, sizeof(r));
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		char rel[PATH_MAX], host[PATH_MAX];
		struct stat st;
		snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
		if (rmcp_path_host(c->sr, rel, host, sizeof(host)) < 0 || stat(host, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		struct rmcp_cached_scan one;
		bool cached;
		rc = scan_file(c, rel, host, &st, &one, &cached);
		/* A kdb holds optional precompiled kernels (MIOpen compiles without one), so
		 * the directory is judged by the archs it has. */
		for (const char *p = one.targets; rc == 0 && *p;) {
			size_t tl = strcspn(p, " ");
			char t[64];
			if (tl && tl < sizeof(t)) {
				memcpy(t, p, tl);
				t[tl] = '\0';
				add_token(&r, t, 0);
			}
			p += tl;
			while (*p == ' ')
				p++;
		}
		if (one.error[0] && !r.error[0])
			snprintf(r.error, sizeof(r.error), "%s: %s", names[i], one.error);
		r.device_code = true;
	}
	rmcp_strv_free(names, (size_t)n);
	if (rc < 0)
		return rc;
	struct rmcp_lib_coverage *l = new_lib(c, dir, "miopen-kdb", owner);
	if (l)
		judge(c, l, &r);
	return 0;
}
