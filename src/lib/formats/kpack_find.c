/* SPDX-License-Identifier: MIT */
/*
 * Finding the .kpack archives a `.rocm_kpack_ref` points to, as TheRock's runtime loader does:
 * search paths relative to the binary's directory, "@GFXARCH@" matched against the archives
 * on disk (rt:loader.cpp resolve_path(), kgfxArchPlaceholder; sources in kpack.c's header).
 * The one part of kpack that touches the file system. See kpack.h (rmcp_kpack_find).
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700	/* realpath */
#endif
#include "kpack.h"

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

#include "kpack_internal.h"
#include "mapguard.h"
#include "banned.h"

#define KPACK_GFXARCH "@GFXARCH@"

struct find_ctx {
	const struct rmcp_kpack_ref *ref;
	rmcp_kpack_cb cb;
	void *ctx;
	struct rmcp_err *err;
	char **seen;			/* real paths of archives already visited */
	size_t n_seen, cap_seen;
	int n_read;
};

static void report(struct find_ctx *f, const char *path, int code, const char *what)
{
	struct rmcp_err e;

	rmcp_err_clear(&e);
	rmcp_err_set(&e, code, "kpack: %s: %s", path, what);
	f->cb(f->ctx, path, NULL, &e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Architectures of the entries for kernel_name (all entries if `all`), into v. */
static size_t matching_arches(const struct rmcp_kpack *kp, const char *kernel_name, bool all,
			      const char **v)
{
	size_t n = 0;

	for (size_t i = 0; i < kp->n_items; i++)
		if (all || rmcp_kpack_key_matches(kp->items[i].binary, kernel_name))
			v[n++] = kp->items[i].arch;
	return n;
}

/* Report each distinct architecture with code for the ref's kernel_name, sorted. */
static int report_arches(struct find_ctx *f, const char *path, const struct rmcp_kpack *kp)
{
	const char *kn = f->ref->kernel_name;
	const char **v;
	size_t n;

	if (!kp->n_items)
		return 0;
	v = malloc(kp->n_items * sizeof(*v));
	if (!v)
		return rmcp_err_set(f->err, -ENOMEM, "kpack: out of memory");
	n = matching_arches(kp, kn, false, v);
	/*
	 * Older splitters set kernel_name to the artifact name, which is the archive's
	 * group_name, and keyed the TOC by binary path (ROCm/rocm-kpack 739aaeb
	 * artifact_splitter.py inject_kpack_references): then every entry is a candidate.
	 */
	if (!n && kp->group_name && strcmp(kp->group_name, kn) == 0)
		n = matching_arches(kp, kn, true, v);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			f->cb(f->ctx, path, v[i], NULL);
	free(v);
	return 0;
}

struct parse_job {
	const struct rmcp_map *m;
	struct rmcp_kpack *kp;
	struct rmcp_err *e;
};

static int parse_job_run(void *arg)
{
	struct parse_job *j = arg;
	return rmcp_kpack_parse(j->m->addr, j->m->len, j->kp, j->e);
}

/* Map, parse and report one archive. Returns 0, or a negative error that ends the search.
 * The archive is parsed under the SIGBUS guard: one that shrinks meanwhile is reported as
 * "file changed while being read" (mapguard.h). */
static int read_archive(struct find_ctx *f, const char *path)
{
	struct rmcp_kpack kp;
	struct rmcp_err e;
	struct stat st;
	struct rmcp_map map;
	int fd, rc;

	/* O_NONBLOCK: a FIFO named *.kpack must not hang the scan; regular files ignore it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		report(f, path, -errno, "cannot open");
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		report(f, path, -errno, "cannot stat");
		close(fd);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
		report(f, path, S_ISREG(st.st_mode) ? -EFBIG : -RMCP_E_FORMAT,
		       "not a regular file of a mappable size");
		close(fd);
		return 0;
	}
	rc = rmcp_map_file(fd, (size_t)st.st_size, &map);
	close(fd);
	if (rc < 0) {
		report(f, path, rc, "cannot map");
		return 0;
	}
	rmcp_err_clear(&e);
	memset(&kp, 0, sizeof(kp));
	struct parse_job job = { &map, &kp, &e };
	rc = rmcp_map_guarded(&map, parse_job_run, &job, &e);
	rmcp_map_release(&map);
	if (rc == -RMCP_E_CHANGED)
		rmcp_kpack_release(&kp);
	if (rc == -ENOMEM)
		return rmcp_err_set(f->err, rc, "kpack: %s: out of memory", path);
	if (rc) {
		rmcp_err_prefix(&e, "%s", path);
		f->cb(f->ctx, path, NULL, &e);
		return 0;
	}
	f->n_read++;
	rc = report_arches(f, path, &kp);
	rmcp_kpack_release(&kp);
	return rc;
}

/* Visit an archive path once (identity by real path, as loader.cpp get_canonical_path). */
static int visit(struct find_ctx *f, const char *path)
{
	char *rp = realpath(path, NULL);

	if (!rp) {
		if (errno != ENOENT)
			report(f, path, -errno, "cannot resolve path");
		return 0;	/* absent archives are normal: that architecture is not installed */
	}
	for (size_t i = 0; i < f->n_seen; i++) {
		if (strcmp(f->seen[i], rp) == 0) {
			free(rp);
			return 0;
		}
	}
	if (f->n_seen == RMCP_KPACK_MAX_ARCHIVES) {
		free(rp);
		return rmcp_err_set(f->err, -RMCP_E_LIMIT, "kpack: search names more than %d "
				    "archives", RMCP_KPACK_MAX_ARCHIVES);
	}
	if (rmcp_kpack_grow((void **)&f->seen, &f->cap_seen, f->n_seen, sizeof(char *))) {
		free(rp);
		return rmcp_err_set(f->err, -ENOMEM, "kpack: out of memory");
	}
	f->seen[f->n_seen++] = rp;
	return read_archive(f, rp);
}

static bool name_matches(const char *name, const char *prefix, const char *suffix)
{
	size_t n = strlen(name), np = strlen(prefix), ns = strlen(suffix);

	/* the "@GFXARCH@" part must be non-empty */
	return n > np + ns && strncmp(name, prefix, np) == 0 &&
	       strcmp(name + n - ns, suffix) == 0;
}

/* Every "<prefix>*<suffix>" entry of dir, in name order. */
static int scan_dir(struct find_ctx *f, const char *dir, const char *prefix, const char *suffix)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(*dir ? dir : "/");
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			report(f, dir, -errno, "cannot open directory");
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!name_matches(de->d_name, prefix, suffix))
			continue;
		if (n == RMCP_KPACK_MAX_ARCHIVES) {
			rc = rmcp_err_set(f->err, -RMCP_E_LIMIT, "kpack: %s: more than %d archives",
					  dir, RMCP_KPACK_MAX_ARCHIVES);
			break;
		}
		if (rmcp_kpack_grow((void **)&names, &cap, n, sizeof(char *)) ||
		    !(names[n] = malloc(strlen(de->d_name) + 1))) {
			rc = rmcp_err_set(f->err, -ENOMEM, "kpack: out of memory");
			break;
		}
		memcpy(names[n], de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char path[PATH_MAX];

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			report(f, dir, -RMCP_E_LIMIT, "archive path too long");
		else
			rc = visit(f, path);
	}
	rmcp_kpack_free_strv(names, n);
	return rc;
}

/*
 * path[ph] starts "@GFXARCH@". The runtime substitutes the architectures it wants; not knowing
 * the GPU, we take every file matching the pattern in that directory.
 */
static int scan_pattern(struct find_ctx *f, char *path, size_t ph)
{
	const char *suffix = path + ph + strlen(KPACK_GFXARCH);
	char *slash;

	path[ph] = '\0';
	slash = strrchr(path, '/');
	if (strchr(suffix, '/') || !slash) {
		path[ph] = '@';
		report(f, path, -RMCP_E_UNSUPPORTED, "@GFXARCH@ outside the file name");
		return 0;
	}
	*slash = '\0';
	return scan_dir(f, path, slash + 1, suffix);
}

static int search_one(struct find_ctx *f, const char *dir, const char *sp)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n;
	char *ph;
	int w;

	/* loader.cpp resolve_path(): absolute paths as-is, else relative to the binary's dir */
	w = sp[0] == '/' ? snprintf(path, sizeof(path), "%s", sp)
			 : snprintf(path, sizeof(path), "%s/%s", dir, sp);
	if (w < 0 || w >= (int)sizeof(path)) {
		report(f, sp, -RMCP_E_LIMIT, "search path too long");
		return 0;
	}
	ph = strstr(path, KPACK_GFXARCH);
	if (ph)
		return scan_pattern(f, path, (size_t)(ph - path));
	n = strlen(path);
	if (n > 4 && strcmp(path + n - 4, ".kpm") == 0) {
		/*
		 * Older splitters embedded "<dir>/<artifact>.kpm", a manifest naming the archives
		 * of that directory (runtime/tests/generate_test_data.py generate_test_manifests);
		 * no runtime we read resolves it, so take every archive beside it.
		 */
		char *slash = strrchr(path, '/');

		*slash = '\0';		/* path is absolute here, so there is a '/' */
		return scan_dir(f, path, "", ".kpack");
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return scan_dir(f, path, "", ".kpack");
	return visit(f, path);
}

int rmcp_kpack_find(const char *binary_path, const struct rmcp_kpack_ref *ref, rmcp_kpack_cb cb,
		    void *ctx, struct rmcp_err *err)
{
	struct find_ctx f = { .ref = ref, .cb = cb, .ctx = ctx, .err = err };
	char *dir, *slash;
	int rc = 0;

	if (!binary_path || !ref || !ref->kernel_name || !cb)
		return rmcp_err_set(err, -EINVAL, "kpack: missing argument");
	/* the runtime resolves against the mapped file's path, which has symlinks resolved */
	dir = realpath(binary_path, NULL);
	if (!dir)
		return rmcp_err_set(err, -errno, "kpack: %s: cannot resolve path", binary_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';		/* "/lib/x.so" -> "/lib", "/x.so" -> "" (joined as "/...") */
	for (size_t i = 0; i < ref->n_search_paths && !rc; i++)
		rc = search_one(&f, dir, ref->search_paths[i]);
	free(dir);
	rmcp_kpack_free_strv(f.seen, f.n_seen);
	return rc ? rc : f.n_read;
}
