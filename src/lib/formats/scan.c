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
#include "scan_internal.h"
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
		int c = strcmp(f->targets[mid], target);
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

int rmcp_scan_buffer(const void *vbuf, size_t len, const char *path,
		     const struct rmcp_scan_opts *opts, struct rmcp_file *out)
{
	const uint8_t *buf = vbuf;
	static const struct rmcp_scan_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(out, 0, sizeof(*out));
	out->path = rmcp_strndup(path, strlen(path));
	if (!out->path)
		return -ENOMEM;

	if (rmcp_is_codeobj(buf, len))
		return scan_codeobj(buf, len, opts, out);
	if (len >= 4 && memcmp(buf, "\177ELF", 4) == 0) {
		out->format = RMCP_FMT_ELF;
		return rmcp_scan_host_elf(buf, len, path, opts, out);
	}
	if (rmcp_is_bundle(buf, len)) {
		out->format = RMCP_FMT_BUNDLE;
		return rmcp_walk_bundles(buf, len, 0, len, opts, out);
	}
	if (rmcp_is_ccob(buf, len)) {
		out->format = RMCP_FMT_CCOB;
		return rmcp_walk_bundles(buf, len, 0, len, opts, out);
	}
	if (len >= 4 && memcmp(buf, "KPAK", 4) == 0)
		return scan_kpack_archive(buf, len, out);
	int rc = rmcp_scan_by_name(buf, len, path, out);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	out->format = RMCP_FMT_UNKNOWN;
	return 0;
}
