/* SPDX-License-Identifier: MIT */
#include "scan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "ccob.h"
#include "codeobj.h"
#include "kpack.h"
#include "mapguard.h"
#include "scan_internal.h"
#include "target.h"
#include "banned.h"

const char *rmcp_format_name(enum rmcp_format f)
{
	switch (f) {
	case RMCP_FMT_UNKNOWN:
		return "unknown";
	case RMCP_FMT_ELF:
		return "elf";
	case RMCP_FMT_BUNDLE:
		return "offload-bundle";
	case RMCP_FMT_CCOB:
		return "ccob";
	case RMCP_FMT_CODE_OBJECT:
		return "code-object";
	case RMCP_FMT_KPACK:
		return "kpack";
	case RMCP_FMT_TENSILE:
		return "tensile";
	case RMCP_FMT_MIOPEN_KDB:
		return "miopen-kdb";
	case RMCP_FMT_WHEEL:
		return "wheel";
	case RMCP_FMT_ARCHIVE:
		return "archive";
	}
	return "unknown";
}

char *rmcp_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

__attribute__((format(printf, 2, 0)))
static int vset(char **slot, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	char *s = rmcp_strndup(buf, strlen(buf));
	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

int rmcp_file_set_error(struct rmcp_file *f, const char *fmt, ...)
{
	if (f->error)	/* the first error is the cause; keep it */
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int rc = vset(&f->error, fmt, ap);
	va_end(ap);
	return rc;
}

int rmcp_file_set_note(struct rmcp_file *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vset(&f->note, fmt, ap);
	va_end(ap);
	return rc;
}

struct rmcp_entry *rmcp_file_new_entry(struct rmcp_file *f)
{
	/* Grow by doubling: n_entries is a power of two exactly when the array is full. */
	size_t n = f->n_entries;
	if (n == 0 || (n & (n - 1)) == 0) {
		size_t cap = n ? n * 2 : 8;
		struct rmcp_entry *e = realloc(f->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		f->entries = e;
	}
	struct rmcp_entry *e = &f->entries[f->n_entries++];
	memset(e, 0, sizeof(*e));
	return e;
}

struct rmcp_file *rmcp_file_new(const char *path, enum rmcp_format fmt)
{
	struct rmcp_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = rmcp_strndup(path, strlen(path)))) {
		free(f);
		return NULL;
	}
	f->format = fmt;
	f->container = fmt == RMCP_FMT_WHEEL || fmt == RMCP_FMT_ARCHIVE;
	return f;
}

void rmcp_file_emit(struct rmcp_file *f, rmcp_scan_cb cb, void *ctx)
{
	cb(ctx, f);
	free(f);
}

int rmcp_file_add_target(struct rmcp_file *f, const char *target)
{
	size_t lo = 0, hi = f->n_targets;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		/* version order for people (gfx900 before gfx1100), a total order like strcmp */
		int c = rmcp_target_cmp(f->targets[mid], target);
		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	char **t = realloc(f->targets, (f->n_targets + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	f->targets = t;
	char *s = rmcp_strndup(target, strlen(target));
	if (!s)
		return -ENOMEM;
	memmove(&t[lo + 1], &t[lo], (f->n_targets - lo) * sizeof(*t));
	t[lo] = s;
	f->n_targets++;
	return 0;
}

bool rmcp_file_has_device_code(const struct rmcp_file *f)
{
	return f->n_targets > 0;
}

void rmcp_file_release(struct rmcp_file *f)
{
	if (!f)
		return;
	free(f->path);
	for (size_t i = 0; i < f->n_targets; i++)
		free(f->targets[i]);
	free(f->targets);
	for (size_t i = 0; i < f->n_entries; i++) {
		free(f->entries[i].id);
		free(f->entries[i].target);
		free(f->entries[i].elf_target);
	}
	free(f->entries);
	for (size_t i = 0; i < f->n_kernels; i++)
		free(f->kernels[i]);
	free(f->kernels);
	free(f->note);
	free(f->error);
	memset(f, 0, sizeof(*f));
}

static int scan_codeobj(const uint8_t *buf, size_t len, const struct rmcp_scan_opts *opts,
			struct rmcp_file *f)
{
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	char tid[64];

	f->format = RMCP_FMT_CODE_OBJECT;
	int rc = rmcp_codeobj_parse(buf, len, opts->kernels, &co, &err);
	if (rc < 0)
		return rmcp_file_set_error(f, "%s", err.msg);
	rmcp_codeobj_target(&co, tid, sizeof(tid));
	struct rmcp_entry *e = rmcp_file_new_entry(f);
	if (!e || !(e->target = rmcp_strndup(tid, strlen(tid))) ||
	    !(e->elf_target = rmcp_strndup(tid, strlen(tid)))) {
		rmcp_codeobj_release(&co);
		return -ENOMEM;
	}
	e->size = len;
	e->have_elf = true;
	e->co_version = co.co_version;
	e->generic_version = co.generic_version;
	e->e_flags = co.e_flags;
	f->kernels = co.kernels;
	f->n_kernels = co.n_kernels;
	if (!co.tid.proc[0])
		rmcp_file_set_note(f, "EF_AMDGPU_MACH 0x%02x is not a known processor", co.mach);
	return rmcp_file_add_target(f, tid);
}

static int scan_kpack_archive(const uint8_t *buf, size_t len, struct rmcp_file *f)
{
	struct rmcp_kpack kp;
	struct rmcp_err err = { 0 };

	f->format = RMCP_FMT_KPACK;
	if (rmcp_kpack_parse(buf, len, &kp, &err) < 0)
		return rmcp_file_set_error(f, "%s", err.msg);
	int rc = 0;
	for (size_t i = 0; i < kp.n_arches && rc == 0; i++)
		rc = rmcp_file_add_target(f, kp.arches[i]);
	for (size_t i = 0; i < kp.n_items && rc == 0; i++)
		if (kp.items[i].arch)
			rc = rmcp_file_add_target(f, kp.items[i].arch);
	rmcp_kpack_release(&kp);
	return rc;
}

struct kpack_job {
	const uint8_t *buf;
	size_t len;
	struct rmcp_file *f;
};

static int kpack_job_run(void *arg)
{
	struct kpack_job *j = arg;
	return scan_kpack_archive(j->buf, j->len, j->f);
}

/* A kpack archive holds every code object of an architecture (GBs): mapped, not copied. */
static int scan_kpack_reader(struct rmcp_reader *r, struct rmcp_file *f)
{
	if (r->mem)
		return scan_kpack_archive(r->mem, (size_t)r->size, f);
	if (r->fd < 0) {
		/* Inside a container: copied, if it is not too large. */
		const uint8_t *p;
		void *owned;
		struct rmcp_err e = { 0 };
		if (r->size > RMCP_SCAN_MAX_WHOLE)
			return rmcp_file_set_error(f, "kpack archive of %llu bytes inside a container is "
						   "over the %llu-byte limit: extract it to scan it",
						   (unsigned long long)r->size,
						   (unsigned long long)RMCP_SCAN_MAX_WHOLE);
		int rc = rmcp_reader_view(r, 0, (size_t)r->size, &p, &owned, &e);
		if (rc < 0)
			return rc == -ENOMEM ? rc : rmcp_file_set_error(f, "%s", e.msg);
		rc = scan_kpack_archive(p, (size_t)r->size, f);
		free(owned);
		return rc;
	}
	if (r->size > SIZE_MAX)
		return rmcp_file_set_error(f, "kpack archive too large to map");
	struct rmcp_map m;
	struct rmcp_err err = { 0 };
	int rc = rmcp_map_file(r->fd, (size_t)r->size, &m);
	if (rc < 0)
		return rmcp_file_set_error(f, "cannot map: %s", strerror(-rc));
	struct kpack_job j = { m.addr, m.len, f };
	rc = rmcp_map_guarded(&m, kpack_job_run, &j, &err);
	rmcp_map_release(&m);
	if (rc == -RMCP_E_CHANGED)
		return rmcp_file_set_error(f, "%s", err.msg);
	return rc;
}

/* Raw code objects are parsed whole (symbols, notes); they are MBs, not GBs. */
static int scan_codeobj_reader(struct rmcp_reader *r, const struct rmcp_scan_opts *opts,
			       struct rmcp_file *f)
{
	struct rmcp_err err = { 0 };
	const uint8_t *p;
	void *owned;
	f->format = RMCP_FMT_CODE_OBJECT;
	if (r->size > RMCP_SCAN_MAX_WHOLE)
		return rmcp_file_set_error(f, "code object of %llu bytes is over the %llu-byte limit",
					   (unsigned long long)r->size,
					   (unsigned long long)RMCP_SCAN_MAX_WHOLE);
	int rc = rmcp_reader_view(r, 0, (size_t)r->size, &p, &owned, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return rmcp_file_set_error(f, "%s", err.msg);
	rc = scan_codeobj(p, (size_t)r->size, opts, f);
	free(owned);
	return rc;
}

int rmcp_scan_reader(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		     struct rmcp_file *out)
{
	static const struct rmcp_scan_opts defaults;
	uint8_t head[64];
	size_t len;
	struct rmcp_err err = { 0 };
	if (!opts)
		opts = &defaults;
	memset(out, 0, sizeof(*out));
	out->path = rmcp_strndup(path, strlen(path));
	if (!out->path)
		return -ENOMEM;
	int rc = rmcp_reader_head(r, 0, head, sizeof(head), &len, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return rmcp_file_set_error(out, "%s", err.msg);

	if (rmcp_is_codeobj(head, len))
		return scan_codeobj_reader(r, opts, out);
	if (len >= 4 && memcmp(head, "\177ELF", 4) == 0) {
		out->format = RMCP_FMT_ELF;
		return rmcp_scan_host_elf(r, path, opts, out);
	}
	if (rmcp_is_bundle(head, len)) {
		out->format = RMCP_FMT_BUNDLE;
		return rmcp_walk_bundles(r, 0, r->size, opts, out);
	}
	if (rmcp_is_ccob(head, len)) {
		out->format = RMCP_FMT_CCOB;
		return rmcp_walk_bundles(r, 0, r->size, opts, out);
	}
	if (len >= 4 && memcmp(head, "KPAK", 4) == 0)
		return scan_kpack_reader(r, out);
	rc = rmcp_scan_by_name(head, len, path, out);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	out->format = RMCP_FMT_UNKNOWN;
	return 0;
}

int rmcp_scan_buffer(const void *buf, size_t len, const char *path,
		     const struct rmcp_scan_opts *opts, struct rmcp_file *out)
{
	struct rmcp_reader r;
	rmcp_reader_mem(&r, buf, len);
	return rmcp_scan_reader(&r, path, opts, out);
}

int rmcp_entry_uri(const struct rmcp_file *f, const struct rmcp_entry *e, char *buf, size_t cap)
{
	if (!f->on_disk || e->compressed || !e->target || !e->size || f->container ||
	    (f->format != RMCP_FMT_ELF && f->format != RMCP_FMT_BUNDLE && f->format != RMCP_FMT_CODE_OBJECT))
		return -ENOENT;
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const char *scheme = "file://";
	for (const char *p = scheme; *p; p++)
		if (o + 1 < cap)
			buf[o++] = *p;
	for (const unsigned char *p = (const unsigned char *)f->path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     *p == '/' || *p == '_' || *p == '.' || *p == '~' || *p == '-';
		if (plain) {
			if (o + 1 >= cap)
				return -RMCP_E_LIMIT;
			buf[o++] = (char)*p;
		} else {
			if (o + 3 >= cap)
				return -RMCP_E_LIMIT;
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	if (o >= cap)
		return -RMCP_E_LIMIT;
	int n = snprintf(buf + o, cap - o, "#offset=%llu&size=%llu", (unsigned long long)e->offset,
			 (unsigned long long)e->size);
	if (n < 0 || (size_t)n >= cap - o)
		return -RMCP_E_LIMIT;
	return (int)(o + (size_t)n);
}
