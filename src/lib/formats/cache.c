/* SPDX-License-Identifier: MIT */
#include "cache.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "version.h"
#include "banned.h"

#define CACHE_FILE "scan-cache-v1"
#define CACHE_MAGIC "rmcp-scan-cache\t1\t"
#define CACHE_MAX_BYTES (64u << 20)
#define CACHE_MAX_ENTRIES 50000

struct entry {
	char *path;
	uint64_t size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino, dev;
	struct rmcp_cached_scan scan;
	bool used;	/* looked up or written in this run */
};

struct rmcp_cache {
	char dir[PATH_MAX];
	struct entry *e;
	size_t n, cap, loaded;
	size_t *slots;	/* open-addressing index into e, (size_t)-1 = empty */
	size_t n_slots;
	bool dirty;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int reindex(struct rmcp_cache *c, size_t want)
{
	size_t ns = 64;
	while (ns < want * 2)
		ns *= 2;
	size_t *slots = malloc(ns * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++)
		slots[i] = (size_t)-1;
	for (size_t i = 0; i < c->n; i++) {
		size_t h = (size_t)fnv1a(c->e[i].path, strlen(c->e[i].path)) & (ns - 1);
		while (slots[h] != (size_t)-1)
			h = (h + 1) & (ns - 1);
		slots[h] = i;
	}
	free(c->slots);
	c->slots = slots;
	c->n_slots = ns;
	return 0;
}

static struct entry *find(struct rmcp_cache *c, const char *path)
{
	if (!c->n_slots)
		return NULL;
	size_t h = (size_t)fnv1a(path, strlen(path)) & (c->n_slots - 1);
	while (c->slots[h] != (size_t)-1) {
		struct entry *e = &c->e[c->slots[h]];
		if (strcmp(e->path, path) == 0)
			return e;
		h = (h + 1) & (c->n_slots - 1);
	}
	return NULL;
}

static int add(struct rmcp_cache *c, struct entry *in)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct entry *ne = realloc(c->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		c->e = ne;
		c->cap = cap;
	}
	c->e[c->n++] = *in;
	if (c->n * 2 > c->n_slots)
		return reindex(c, c->n);
	size_t h = (size_t)fnv1a(in->path, strlen(in->path)) & (c->n_slots - 1);
	while (c->slots[h] != (size_t)-1)
		h = (h + 1) & (c->n_slots - 1);
	c->slots[h] = c->n - 1;
	return 0;
}

/* ---- the text format -------------------------------------------------------------------- */

#define NFIELDS 13	/* sum, size, mtime s/ns, ctime s/ns, ino, dev, format, devcode, targets, error, path */

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end)
		return false;
	*out = v;
	return true;
}

static bool valid_targets(const char *s)
{
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr(" :+-@_", *s))
			return false;
	return true;
}

/* One line, modified in place. False if anything is off. */
static bool parse_line(char *line, struct entry *e)
{
	char *tab0 = strchr(line, '\t');
	if (!tab0 || tab0 - line != 16)
		return false;
	*tab0 = '\0';
	char *end;
	errno = 0;
	uint64_t sum = strtoull(line, &end, 16);
	/* The checksum covers the rest of the line exactly as written. */
	if (errno || *end || fnv1a(tab0 + 1, strlen(tab0 + 1)) != sum)
		return false;
	char *f[NFIELDS];
	f[0] = line;
	char *p = tab0 + 1;
	for (size_t n = 1; n < NFIELDS; n++) {
		f[n] = p;
		if (n + 1 < NFIELDS) {
			char *tab = strchr(p, '\t');
			if (!tab)
				return false;
			*tab = '\0';
			p = tab + 1;
		}
	}
	uint64_t fmt, dc;
	if (!parse_u64(f[1], &e->size) || !parse_u64(f[2], &e->mtime_s) || !parse_u64(f[3], &e->mtime_ns) ||
	    !parse_u64(f[4], &e->ctime_s) || !parse_u64(f[5], &e->ctime_ns) || !parse_u64(f[6], &e->ino) ||
	    !parse_u64(f[7], &e->dev) || !parse_u64(f[8], &fmt) || !parse_u64(f[9], &dc) || fmt > 64 || dc > 1)
		return false;
	if (strlen(f[10]) >= sizeof(e->scan.targets) || !valid_targets(f[10]) ||
	    strlen(f[11]) >= sizeof(e->scan.error) || f[12][0] != '/')
		return false;
	memset(&e->scan, 0, sizeof(e->scan));
	e->scan.format = (int)fmt;
	e->scan.device_code = dc == 1;
	memcpy(e->scan.targets, f[10], strlen(f[10]) + 1);
	memcpy(e->scan.error, f[11], strlen(f[11]) + 1);
	e->path = strdup(f[12]);
	e->used = false;
	return e->path != NULL;
}

static void load(struct rmcp_cache *c)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/" CACHE_FILE, c->dir) >= (int)sizeof(path))
		return;
	/* A regular file of ours, not a link, a FIFO or someone else's plant (fsutil.h). */
	int fd = rmcp_cache_entry_open(path);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CACHE_MAX_BYTES) {
		close(fd);
		return;
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	size_t got = 0;
	while (buf && got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf)
		return;
	buf[got] = '\0';
	char magic[128];
	int ml = snprintf(magic, sizeof(magic), CACHE_MAGIC "%s\n", RMCP_VERSION);
	/* Another rmcp version may judge files differently: its results are not ours. */
	if (ml <= 0 || got < (size_t)ml || memcmp(buf, magic, (size_t)ml) != 0 || memchr(buf, '\0', got)) {
		free(buf);
		return;
	}
	for (char *line = buf + ml; *line && c->n < CACHE_MAX_ENTRIES;) {
		char *nl = strchr(line, '\n');
		if (!nl)
			break;	/* a torn last line */
		*nl = '\0';
		struct entry e;
		if (parse_line(line, &e)) {
			struct entry *old = find(c, e.path);
			if (old) {
				free(old->path);
				*old = e;
			} else if (add(c, &e) < 0) {
				free(e.path);
				break;
			}
		}
		line = nl + 1;
	}
	c->loaded = c->n;
	free(buf);
}

int rmcp_cache_open(const char *dir, struct rmcp_cache **out)
{
	/* A directory someone else can write to is no cache: entries there may be planted. */
	int rc = rmcp_cache_dir_check(dir);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	struct rmcp_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int n = snprintf(c->dir, sizeof(c->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(c->dir) || reindex(c, 0) < 0) {
		free(c->slots);
		free(c);
		return n < 0 || (size_t)n >= sizeof(c->dir) ? -ENAMETOOLONG : -ENOMEM;
	}
	load(c);
	*out = c;
	return 0;
}

size_t rmcp_cache_loaded(const struct rmcp_cache *c)
{
	return c->loaded;
}

static void key_of(const struct stat *st, struct entry *e)
{
	e->size = (uint64_t)st->st_size;
	e->mtime_s = (uint64_t)st->st_mtim.tv_sec;
	e->mtime_ns = (uint64_t)st->st_mtim.tv_nsec;
	e->ctime_s = (uint64_t)st->st_ctim.tv_sec;
	e->ctime_ns = (uint64_t)st->st_ctim.tv_nsec;
	e->ino = (uint64_t)st->st_ino;
	e->dev = (uint64_t)st->st_dev;
}

bool rmcp_cache_get(struct rmcp_cache *c, const char *path, const struct stat *st,
		    struct rmcp_cached_scan *out)
{
	struct entry *e = find(c, path), k;
	if (!e)
		return false;
	key_of(st, &k);
	if (e->size != k.size || e->mtime_s != k.mtime_s || e->mtime_ns != k.mtime_ns ||
	    e->ctime_s != k.ctime_s || e->ctime_ns != k.ctime_ns || e->ino != k.ino || e->dev != k.dev)
		return false;
	e->used = true;
	*out = e->scan;
	return true;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

int rmcp_cache_put(struct rmcp_cache *c, const char *path, const struct stat *st,
		   const struct rmcp_cached_scan *in)
{
	if (path[0] != '/' || strpbrk(path, "\t\n\r") || !valid_targets(in->targets))
		return 0;
	struct entry e;
	key_of(st, &e);
	e.scan = *in;
	sanitize(e.scan.error);
	e.used = true;
	c->dirty = true;
	struct entry *old = find(c, path);
	if (old) {
		e.path = old->path;
		*old = e;
		return 0;
	}
	if (c->n >= CACHE_MAX_ENTRIES)
		return 0;
	if (!(e.path = strdup(path)))
		return -ENOMEM;
	int rc = add(c, &e);
	if (rc < 0)
		free(e.path);
	return rc;
}

static int write_entry(FILE *f, const struct entry *e)
{
	char rest[PATH_MAX + 1024];
	int n = snprintf(rest, sizeof(rest), "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
			 "\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t%s\t%s\t%s", e->size, e->mtime_s, e->mtime_ns,
			 e->ctime_s, e->ctime_ns, e->ino, e->dev, e->scan.format, e->scan.device_code ? 1 : 0,
			 e->scan.targets, e->scan.error, e->path);
	if (n < 0 || (size_t)n >= sizeof(rest))
		return 0;	/* not cacheable; skip */
	return fprintf(f, "%016" PRIx64 "\t%s\n", fnv1a(rest, (size_t)n), rest) < 0 ? -EIO : 0;
}

static int write_back(struct rmcp_cache *c)
{
	int rc = rmcp_cache_dir_prepare(c->dir);
	if (rc < 0)
		return rc;
	char final[PATH_MAX];
	if (snprintf(final, sizeof(final), "%s/" CACHE_FILE, c->dir) >= (int)sizeof(final))
		return -ENAMETOOLONG;
	struct rmcp_safe_file sf;
	if ((rc = rmcp_safe_open(&sf, final, 0600, false)) < 0)
		return rc;
	FILE *f = sf.f;
	rc = fprintf(f, CACHE_MAGIC "%s\n", RMCP_VERSION) < 0 ? -EIO : 0;
	/* Entries used in this run first; stale ones fill the rest of the budget. */
	size_t written = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (size_t i = 0; i < c->n && rc == 0 && written < CACHE_MAX_ENTRIES; i++)
			if (c->e[i].used == (pass == 0)) {
				rc = write_entry(f, &c->e[i]);
				written++;
			}
	if (rc < 0) {
		rmcp_safe_abort(&sf);
		return rc;
	}
	return rmcp_safe_commit(&sf);
}

int rmcp_cache_close(struct rmcp_cache *c)
{
	if (!c)
		return 0;
	int rc = c->dirty ? write_back(c) : 0;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].path);
	free(c->e);
	free(c->slots);
	free(c);
	return rc;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

int rmcp_cache_default_dir(char *const *envp, char *buf, size_t cap)
{
	const char *x = env_get(envp, "XDG_CACHE_HOME");
	int n;
	/* XDG: "If an implementation encounters a relative path in any of these variables it
	 * should consider the path invalid and ignore it." */
	if (x && x[0] == '/') {
		n = snprintf(buf, cap, "%s/rmcp", x);
	} else {
		const char *home = env_get(envp, "HOME");
		if (!home || home[0] != '/')
			return -ENOENT;
		n = snprintf(buf, cap, "%s/.cache/rmcp", home);
	}
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
