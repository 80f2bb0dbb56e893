/* SPDX-License-Identifier: MIT */
/*
 * Code objects inside files, for the ISA check: raw code objects, offload bundles, compressed
 * bundles (CCOB) and host ELF files (.hip_fatbin, bundles back to back at 4096-byte
 * alignment: research/binaries.md §1.3, as roc-obj-ls and CLR lay them out). Each code object
 * an override could make the real GPU run is checked (isa.c); the others are listed as skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bundle.h"
#include "bytes.h"
#include "ccob.h"
#include "codeobj.h"
#include "isa_internal.h"
#include "banned.h"

#define FATBIN_ALIGN 4096
#define MAX_OBJECTS 100000

const char *rmcp_isa_skip_name(enum rmcp_isa_skip s)
{
	switch (s) {
	case RMCP_ISA_CHECKED:
		return "checked";
	case RMCP_ISA_SKIP_NATIVE:
		return "native";
	case RMCP_ISA_SKIP_OTHER_FAMILY:
		return "other-family";
	case RMCP_ISA_SKIP_BITCODE:
		return "bitcode";
	case RMCP_ISA_SKIP_ERROR:
		return "error";
	}
	return "?";
}

/* Generation of a processor name: gfx1010 -> "10", gfx90a -> "9", gfx10-3-generic -> "10". */
static size_t family(const char *proc, const char **start)
{
	if (strncmp(proc, "gfx", 3) != 0)
		return 0;
	const char *p = proc + 3;
	size_t digits = strspn(p, "0123456789");
	*start = p;
	if (p[digits] == '-')
		return digits;
	size_t tail = strlen(p);
	return tail > 2 ? tail - 2 : 0;
}

static bool same_family(const char *a, const char *b)
{
	const char *pa = NULL, *pb = NULL;
	size_t la = family(a, &pa), lb = family(b, &pb);
	return la && la == lb && memcmp(pa, pb, la) == 0;
}

static struct rmcp_isa_object *new_object(struct rmcp_isa_file *f)
{
	if (f->n_objects >= MAX_OBJECTS)
		return NULL;
	size_t n = f->n_objects;
	if (n == 0 || (n & (n - 1)) == 0) {
		struct rmcp_isa_object *v = realloc(f->objects, (n ? n * 2 : 8) * sizeof(*v));
		if (!v)
			return NULL;
		f->objects = v;
	}
	struct rmcp_isa_object *o = &f->objects[f->n_objects++];
	memset(o, 0, sizeof(*o));
	return o;
}

static int set_str(char **slot, const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, s, n);
	d[n] = '\0';
	free(*slot);
	*slot = d;
	return 0;
}

/*
 * Map the pages of a code object about to be walked in one call (Linux 5.14
 * MADV_POPULATE_READ) instead of a page fault per 64 KiB as the walk reaches them: a
 * library's code objects are read whole. Only a hint; heap memory and older kernels just
 * say no, and the walk faults the pages in as before.
 */
static void prefault(const uint8_t *p, size_t len)
{
#ifdef MADV_POPULATE_READ
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0 || len < (size_t)page)
		return;
	uintptr_t lo = (uintptr_t)p & ~((uintptr_t)page - 1);
	int saved = errno;
	(void)madvise((void *)lo, len + ((uintptr_t)p - lo), MADV_POPULATE_READ);
	errno = saved;
#else
	(void)p;
	(void)len;
#endif
}

/* What every code object of one file is checked with. */
struct walk {
	const struct rmcp_target_id *real;
	unsigned flags;
	struct rmcp_isa_memo *memo;	/* kernels judged in earlier code objects (NULL: none) */
};

/* One code object (or bitcode) found at p; id may be NULL (raw code object). */
static int one_object(struct rmcp_isa_file *f, uint32_t bundle, const char *id, size_t id_len,
		      const uint8_t *p, size_t len, const struct walk *w)
{
	const struct rmcp_target_id *real = w->real;
	struct rmcp_isa_object *o = new_object(f);
	struct rmcp_err err = { 0 };
	if (!o || (id && set_str(&o->id, id, id_len) < 0))
		return -ENOMEM;
	o->bundle = bundle;
	if (len >= 4 && memcmp(p, "BC\xc0\xde", 4) == 0) {
		o->skip = RMCP_ISA_SKIP_BITCODE;
		return 0;
	}
	struct rmcp_codeobj co;
	if (rmcp_codeobj_header(p, len, &co, &err) < 0) {
		o->skip = RMCP_ISA_SKIP_ERROR;
		return set_str(&o->error, err.msg, strlen(err.msg));
	}
	rmcp_codeobj_target(&co, o->target, sizeof(o->target));
	if (co.tid.proc[0] && rmcp_target_covers(&co.tid, co.generic_version, real)) {
		o->skip = RMCP_ISA_SKIP_NATIVE;
		return 0;
	}
	if (!co.tid.proc[0] || !same_family(co.tid.proc, real->proc)) {
		o->skip = RMCP_ISA_SKIP_OTHER_FAMILY;
		return 0;
	}
	prefault(p, len);
	int rc = rmcp_isa_check_memo(p, len, real, w->flags, w->memo, &o->report, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		o->skip = RMCP_ISA_SKIP_ERROR;
		return set_str(&o->error, err.msg, strlen(err.msg));
	}
	f->checked++;
	for (int v = 0; v <= RMCP_ISA_INVALID; v++)
		f->kernels_by_verdict[v] += o->report.kernels_by_verdict[v];
	if (o->report.verdict > f->verdict)
		f->verdict = o->report.verdict;
	return 0;
}

static int file_error(struct rmcp_isa_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int file_error(struct rmcp_isa_file *f, const char *fmt, ...)
{
	char buf[300];
	va_list ap;
	if (f->error)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return set_str(&f->error, buf, strlen(buf));
}

static int bundle_objects(struct rmcp_isa_file *f, const uint8_t *p, size_t len, uint32_t idx,
			  const struct walk *w, uint64_t *used)
{
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	int rc = rmcp_bundle_parse(p, len, len, &b, NULL, &err);
	*used = len;
	if (rc < 0)
		return file_error(f, "bundle %u: %s", idx, err.msg);
	for (size_t i = 0; i < b.n_entries && rc >= 0; i++) {
		struct rmcp_bundle_id bid;
		const struct rmcp_bundle_entry *e = &b.entries[i];
		if (rmcp_bundle_id_parse(e->id, e->id_len, &bid, NULL) < 0 || !bid.amdgcn || e->size == 0)
			continue;
		rc = one_object(f, idx, e->id, e->id_len, p + e->offset, (size_t)e->size, w);
	}
	*used = b.end;
	rmcp_bundle_release(&b);
	return rc;
}

static int ccob_objects(struct rmcp_isa_file *f, const uint8_t *p, size_t len, uint32_t idx,
			const struct walk *w, uint64_t *used)
{
	struct rmcp_ccob_hdr h;
	struct rmcp_err err = { 0 };
	void *raw;
	size_t raw_len;
	uint64_t ignored;
	*used = len;
	if (rmcp_ccob_header(p, len, &h, &err) < 0 || rmcp_ccob_decompress(p, len, &h, &raw, &raw_len, &err) < 0)
		return err.code == -ENOMEM ? -ENOMEM : file_error(f, "compressed bundle %u: %s", idx, err.msg);
	*used = h.total_size;
	int rc = bundle_objects(f, raw, raw_len, idx, w, &ignored);
	free(raw);
	return rc;
}

/* Bundles back to back at 4096-byte alignment (a .hip_fatbin section, or a .co file). */
static int walk_bundles(struct rmcp_isa_file *f, const uint8_t *p, size_t len, const struct walk *w)
{
	uint64_t off = 0;
	uint32_t idx = 0;
	int rc = 0;
	while (off < len && rc >= 0) {
		uint64_t used = 0;
		if (rmcp_is_bundle(p + off, len - off))
			rc = bundle_objects(f, p + off, len - off, idx++, w, &used);
		else if (rmcp_is_ccob(p + off, len - off))
			rc = ccob_objects(f, p + off, len - off, idx++, w, &used);
		if (f->error)
			break;
		used = rmcp_align_up(used ? used : 1, FATBIN_ALIGN);
		if (used > len - off)
			break;
		off += used;
	}
	return rc < 0 ? rc : 0;
}

static int check_buffer(const uint8_t *buf, size_t len, const struct walk *w, struct rmcp_isa_file *out)
{
	if (rmcp_is_codeobj(buf, len))
		return one_object(out, 0, NULL, 0, buf, len, w);
	if (rmcp_is_bundle(buf, len) || rmcp_is_ccob(buf, len))
		return walk_bundles(out, buf, len, w);
	if (len >= 4 && memcmp(buf, "\177ELF", 4) == 0) {
		struct rmcp_elf e;
		struct rmcp_elf_sec s;
		struct rmcp_err err = { 0 };
		if (rmcp_elf_open(buf, len, &e, &err) < 0)
			return file_error(out, "%s", err.msg);
		if (rmcp_elf_find(&e, ".hip_fatbin", &s) < 0 || s.nobits)
			return 0;
		return walk_bundles(out, buf + s.off, (size_t)s.size, w);
	}
	return 0;
}

int rmcp_isa_check_buffer(const void *vbuf, size_t len, const struct rmcp_target_id *real_gpu,
			  unsigned flags, struct rmcp_isa_file *out)
{
	/* A library's code objects share many kernels (the same template code built into
	 * several bundles): judged once per file. Without memory for it, each is judged. */
	struct walk w = { .real = real_gpu, .flags = flags, .memo = rmcp_isa_memo_new(vbuf, len) };
	memset(out, 0, sizeof(*out));
	int rc = check_buffer(vbuf, len, &w, out);
	rmcp_isa_memo_free(w.memo);
	return rc;
}

void rmcp_isa_file_release(struct rmcp_isa_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_objects; i++) {
		free(f->objects[i].id);
		free(f->objects[i].error);
		rmcp_isa_report_release(&f->objects[i].report);
	}
	free(f->objects);
	free(f->error);
	memset(f, 0, sizeof(*f));
}
