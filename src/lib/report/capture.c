/* SPDX-License-Identifier: MIT */
/*
 * rmcp capture: the collection (capture.h). The entry list and reading host files for the
 * other parts, the snapshot's own record (rmcp-snapshot/capture, README), and putting it
 * together: the diagnosis, the machine's side (capture_machine.c), the software side
 * (capture_software.c), parent directories, one entry a path. The archive is capture_tar.c.
 */
#include "capture_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buildinfo.h"
#include "stack.h"
#include "verdict.h"
#include "version.h"
#include "banned.h"

/* ---- the entry list --------------------------------------------------------------------- */

int capture_grow(void **v, size_t *cap, size_t n, size_t size)
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

void capture_add(struct rmcp_capture *c, const char *rel, enum rmcp_capture_type type, unsigned mode,
		const char *data, size_t len)
{
	while (*rel == '/')
		rel++;
	if (!*rel || c->oom)
		return;
	if (capture_grow((void **)&c->e, &c->cap, c->n, sizeof(*c->e)) < 0) {
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

void capture_add_text(struct rmcp_capture *c, const char *rel, const char *text)
{
	capture_add(c, rel, RMCP_CAP_FILE, 0644, text, strlen(text));
}

int capture_host_path(const struct rmcp_capture *c, const char *rel, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s%s", c->root, rel[0] == '/' ? "" : "/", rel);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Read a host file (at most max bytes). Returns the length, or -errno. */
ssize_t capture_slurp(const char *path, char **out, size_t max)
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

/* ---- the snapshot's own record ---------------------------------------------------------- */

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
	capture_add(c, "/rmcp-snapshot/capture", RMCP_CAP_FILE, 0644, out, len);
	free(out);
	capture_add_text(c, "/rmcp-snapshot/README",
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
			capture_add(c, parent, RMCP_CAP_DIR, 0755, "", 0);
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
	struct rmcp_stack_recorder rec = { .path = capture_record_path, .scan = capture_record_scan, .ctx = c };
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
		capture_machine(c, o, &d->machine);
		capture_software(c);
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
