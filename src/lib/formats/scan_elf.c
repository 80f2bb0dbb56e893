/* SPDX-License-Identifier: MIT */
/*
 * Host ELF files: find device code the way the HIP runtime does, by section, never by
 * searching for a magic string (libamdhip64 carries "__CLANG_OFFLOAD_BUNDLE__" in .rodata).
 * research/binaries.md §1.3 (.hip_fatbin, .hipFatBinSegment, -fgpu-rdc) and §1.5 (kpack).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bytes.h"
#include "ccob.h"
#include "codeobj.h"
#include "kpack.h"
#include "reader.h"
#include "scan_internal.h"
#include "banned.h"

#define FATBIN_ALIGN 4096
#define HIPK_MAGIC 0x4B504948u	/* "HIPK": rewritten by TheRock's elf_offload_kpacker.py */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int add_bundle_entry(struct rmcp_file *f, uint32_t bundle, const char *id, size_t id_len,
			    uint64_t offset, uint64_t size, bool compressed)
{
	struct rmcp_bundle_id bid;
	struct rmcp_err err = { 0 };
	struct rmcp_entry *e = rmcp_file_new_entry(f);
	if (!e || !(e->id = rmcp_strndup(id, id_len)))
		return -ENOMEM;
	e->bundle = bundle;
	e->offset = offset;
	e->size = size;
	e->compressed = compressed;
	if (rmcp_bundle_id_parse(id, id_len, &bid, &err) < 0)
		return rmcp_file_set_error(f, "bundle %u: %s", bundle, err.msg);
	if (!bid.amdgcn)
		return 0;
	struct rmcp_target_id tid;
	if (rmcp_target_id_parse(bid.target, strlen(bid.target), &tid, &err) < 0)
		return rmcp_file_set_error(f, "bundle %u: entry '%.*s': %s", bundle, (int)id_len, id, err.msg);
	if (!(e->target = rmcp_strndup(bid.target, strlen(bid.target))))
		return -ENOMEM;
	return bid.target[0] ? rmcp_file_add_target(f, bid.target) : 0;
}

/* Fill the ELF-header facts of an entry from the first bytes of its code object. */
static int note_elf(struct rmcp_entry *e, const uint8_t *p, size_t n)
{
	struct rmcp_codeobj co;
	char tid[64];
	if (n < RMCP_ELF_EHDR_SIZE || !e->target)
		return 0;
	if (n >= 4 && memcmp(p, "BC\xc0\xde", 4) == 0) {
		e->bitcode = true;
		return 0;
	}
	if (rmcp_codeobj_header(p, n, &co, NULL) < 0)
		return 0;
	e->have_elf = true;
	e->co_version = co.co_version;
	e->generic_version = co.generic_version;
	e->e_flags = co.e_flags;
	rmcp_codeobj_target(&co, tid, sizeof(tid));
	e->elf_target = rmcp_strndup(tid, strlen(tid));
	return e->elf_target ? 0 : -ENOMEM;
}

/* A reader error ends the scan of this file: recorded on f (1), or out of memory (< 0). */
static int read_failed(struct rmcp_file *f, int rc, const struct rmcp_err *err)
{
	if (rc == -ENOMEM)
		return rc;
	return rmcp_file_set_error(f, "%s", err->msg) ? -ENOMEM : 1;
}

/* Fill the ELF-header facts of an entry from the first bytes of its code object. */
static int note_elf_at(struct rmcp_reader *r, struct rmcp_entry *e, uint64_t off, uint64_t size,
		       struct rmcp_file *f)
{
	uint8_t hdr[RMCP_ELF_EHDR_SIZE];
	struct rmcp_err err = { 0 };
	size_t n = size < sizeof(hdr) ? (size_t)size : sizeof(hdr);
	if (n < sizeof(hdr) || !e->target)
		return 0;
	int rc = rmcp_reader_read(r, off, hdr, n, &err);
	if (rc < 0)
		return read_failed(f, rc, &err);
	return note_elf(e, hdr, n);
}

/* Largest bundle entry table read: RMCP_BUNDLE_MAX_ENTRIES x (24 + RMCP_BUNDLE_MAX_ID). */
#define MAX_TABLE ((size_t)RMCP_BUNDLE_MAX_ENTRIES * (24 + RMCP_BUNDLE_MAX_ID) + 32)
/* Largest compressed bundle held in memory to list it (its payload is streamed from there). */
#define MAX_CCOB_READ ((uint64_t)256 << 20)

static int walk_one_bundle(struct rmcp_reader *r, uint64_t at, uint64_t avail, uint32_t idx,
			   struct rmcp_file *f, uint64_t *used)
{
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	size_t want = avail < 4096 ? (size_t)avail : 4096, need = 0;
	uint8_t *win = NULL;
	int rc;
	for (;;) {
		uint8_t *w = realloc(win, want);
		if (!w) {
			free(win);
			return -ENOMEM;
		}
		win = w;
		rc = rmcp_reader_read(r, at, win, want, &err);
		if (rc < 0) {
			free(win);
			return read_failed(f, rc, &err);
		}
		rc = rmcp_bundle_parse(win, want, avail, &b, &need, &err);
		if (rc != -RMCP_E_TRUNC || need <= want || need > avail || need > MAX_TABLE)
			break;
		rmcp_err_clear(&err);
		want = need;
	}
	if (rc < 0) {
		free(win);
		return rmcp_file_set_error(f, "bundle %u at offset %llu: %s", idx,
					   (unsigned long long)at, err.msg) ? -ENOMEM : 1;
	}
	for (size_t i = 0; i < b.n_entries && rc == 0; i++) {
		const struct rmcp_bundle_entry *be = &b.entries[i];
		size_t first = f->n_entries;
		rc = add_bundle_entry(f, idx, be->id, be->id_len, at + be->offset, be->size, false);
		if (rc == 0 && f->n_entries > first)
			rc = note_elf_at(r, &f->entries[first], at + be->offset, be->size, f);
	}
	*used = b.end;
	rmcp_bundle_release(&b);
	free(win);
	return rc;
}

static int read_ccob_elf_headers(const uint8_t *p, size_t len, const struct rmcp_ccob_hdr *h,
				 struct rmcp_file *f, size_t first)
{
	/* Stream once through the payload in offset order, keeping 64 bytes per entry. */
	struct rmcp_ccob_stream *s;
	struct rmcp_err err = { 0 };
	int rc = rmcp_ccob_stream_open(&s, p, len, h, &err);
	if (rc < 0)
		return rmcp_file_set_error(f, "%s", err.msg);
	size_t n = f->n_entries - first;
	size_t *order = malloc(n * sizeof(*order));
	if (!order) {
		rmcp_ccob_stream_close(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = first + i;
	for (size_t i = 1; i < n; i++)	/* insertion sort: a handful of entries */
		for (size_t j = i; j > 0 && f->entries[order[j - 1]].offset > f->entries[order[j]].offset; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rmcp_entry *e = &f->entries[order[i]];
		uint8_t hdr[RMCP_ELF_EHDR_SIZE];
		if (e->size < sizeof(hdr) || !e->target)
			continue;
		uint64_t pos = rmcp_ccob_stream_pos(s);
		if (e->offset < pos)
			continue;
		rc = rmcp_ccob_stream_skip(s, e->offset - pos, &err);
		long long got = rc < 0 ? rc : rmcp_ccob_stream_read(s, hdr, sizeof(hdr), &err);
		if (got < 0) {
			rc = rmcp_file_set_error(f, "%s", err.msg);
			break;
		}
		rc = note_elf(e, hdr, (size_t)got);
	}
	free(order);
	rmcp_ccob_stream_close(s);
	return rc;
}

static int walk_one_ccob(struct rmcp_reader *r, uint64_t at, uint64_t avail, uint32_t idx,
			 const struct rmcp_scan_opts *opts, struct rmcp_file *f, uint64_t *used)
{
	struct rmcp_ccob_hdr h;
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	void *prefix = NULL, *owned = NULL;
	const uint8_t *p;
	uint8_t head[32];
	size_t hn;

	/* v2/v3 say how long they are; v1 runs to the end of the region. */
	int rc = rmcp_reader_head(r, at, head, sizeof(head), &hn, &err);
	if (rc < 0)
		return read_failed(f, rc, &err);
	uint64_t want = avail;
	if (hn >= 16 && rmcp_le16(head + 4) == 2 && rmcp_le32(head + 8) < want)
		want = rmcp_le32(head + 8);
	else if (hn >= 16 && rmcp_le16(head + 4) == 3 && rmcp_le64(head + 8) < want)
		want = rmcp_le64(head + 8);
	if (want > MAX_CCOB_READ)
		return rmcp_file_set_error(f, "compressed bundle %u at offset %llu: %llu bytes, over "
					   "the %llu-byte limit for one compressed bundle", idx,
					   (unsigned long long)at, (unsigned long long)want,
					   (unsigned long long)MAX_CCOB_READ) ? -ENOMEM : 1;
	rc = rmcp_reader_view(r, at, (size_t)want, &p, &owned, &err);
	if (rc < 0)
		return read_failed(f, rc, &err);
	avail = want;
	rc = rmcp_ccob_header(p, (size_t)avail, &h, &err);
	if (rc == 0)
		rc = rmcp_ccob_list(p, (size_t)avail, &h, &b, &prefix, &err);
	if (rc < 0) {
		free(owned);
		return rmcp_file_set_error(f, "compressed bundle %u at offset %llu: %s", idx,
					   (unsigned long long)at, err.msg) ? -ENOMEM : 1;
	}
	size_t first = f->n_entries;
	for (size_t i = 0; i < b.n_entries && rc == 0; i++)
		rc = add_bundle_entry(f, idx, b.entries[i].id, b.entries[i].id_len,
				      b.entries[i].offset, b.entries[i].size, true);
	rmcp_bundle_release(&b);
	free(prefix);
	if (rc == 0 && opts->verbose)
		rc = read_ccob_elf_headers(p, (size_t)avail, &h, f, first);
	free(owned);
	*used = h.total_size;
	return rc;
}

int rmcp_walk_bundles(struct rmcp_reader *r, uint64_t off, uint64_t len,
		      const struct rmcp_scan_opts *opts, struct rmcp_file *f)
{
	if (off > r->size || len > r->size - off)
		return rmcp_file_set_error(f, "bundle region at %llu (+%llu) is past the end of the file",
					   (unsigned long long)off, (unsigned long long)len);
	uint64_t pos = 0;
	uint8_t *pad = NULL;
	int rc = 0;
	while (pos < len) {
		uint64_t at = off + pos, avail = len - pos, used = 0;
		uint8_t head[RMCP_BUNDLE_MAGIC_LEN];
		size_t hn;
		struct rmcp_err err = { 0 };
		rc = rmcp_reader_head(r, at, head, sizeof(head), &hn, &err);
		if (rc < 0) {
			rc = read_failed(f, rc, &err);
			break;
		}
		if (rmcp_is_bundle(head, hn))
			rc = walk_one_bundle(r, at, avail, f->bundles, f, &used);
		else if (rmcp_is_ccob(head, hn))
			rc = walk_one_ccob(r, at, avail, f->bundles, opts, f, &used);
		else {
			/* Padding between bundles, or a zero-paged section (kpack). */
			uint64_t step = FATBIN_ALIGN - pos % FATBIN_ALIGN;
			if (step > avail)
				step = avail;
			if (!pad && !(pad = malloc(FATBIN_ALIGN))) {
				rc = -ENOMEM;
				break;
			}
			rc = rmcp_reader_read(r, at, pad, (size_t)step, &err);
			if (rc < 0) {
				rc = read_failed(f, rc, &err);
				break;
			}
			if (all_zero(pad, (size_t)step)) {
				pos += step;
				continue;
			}
			rc = rmcp_file_set_error(f, "unrecognized data at offset %llu where a bundle should start",
						 (unsigned long long)at);
			break;
		}
		if (rc != 0)	/* 1: error recorded on f; < 0: out of memory */
			break;
		f->bundles++;
		if (used == 0)
			used = 1;
		pos = rmcp_align_up(pos + used, FATBIN_ALIGN);
	}
	free(pad);
	return rc < 0 ? rc : 0;
}

/* ELF64 section header fields rmcp needs (ELF gABI; elf.h Elf64_Shdr). */
struct shdr {
	uint32_t name, type, link;
	uint64_t offset, size;
};

#define SHT_NULL_ 0
#define SHT_NOBITS_ 8
#define SHN_XINDEX_ 0xffffu
/* Limits on what one host ELF may make the scan hold: the section header table and the
 * section-name table (1M sections is 64 MiB; real libraries have < 100 sections). */
#define MAX_SHTAB ((uint64_t)64 << 20)
#define MAX_SMALL_SECTION ((uint64_t)16 << 20)

static struct shdr shdr_at(const uint8_t *p)
{
	struct shdr s = {
		.name = rmcp_le32(p), .type = rmcp_le32(p + 4), .offset = rmcp_le64(p + 24),
		.size = rmcp_le64(p + 32), .link = rmcp_le32(p + 40),
	};
	return s;
}

static bool in_file(const struct rmcp_reader *r, const struct shdr *sh)
{
	return sh->type != SHT_NOBITS_ && sh->offset <= r->size && sh->size <= r->size - sh->offset;
}

/* Sections named __CLANG_OFFLOAD_BUNDLE__<id> in -fgpu-rdc relocatable objects hold one
 * entry each (bitcode, SHF_EXCLUDE); clang-offload-bundler --type=o reads them by name. */
static int rdc_section(struct rmcp_reader *r, const char *name, const struct shdr *sh,
		       struct rmcp_file *f)
{
	const char *id = name + RMCP_BUNDLE_MAGIC_LEN;
	size_t first = f->n_entries;
	if (!in_file(r, sh))
		return rmcp_file_set_error(f, "section %s lies outside the file", name);
	if (f->bundles == 0)
		f->bundles = 1;
	int rc = add_bundle_entry(f, 0, id, strlen(id), sh->offset, sh->size, false);
	if (rc == 0 && f->n_entries > first) {
		struct rmcp_entry *e = &f->entries[first];
		uint8_t magic[4];
		struct rmcp_err err = { 0 };
		if (sh->size >= 4 && (rc = rmcp_reader_read(r, sh->offset, magic, 4, &err)) < 0)
			return read_failed(f, rc, &err);
		e->bitcode = sh->size >= 4 && memcmp(magic, "BC\xc0\xde", 4) == 0;
		if (!e->bitcode)
			rc = note_elf_at(r, e, sh->offset, sh->size, f);
	}
	return rc;
}

struct kpack_ctx {
	struct rmcp_file *f;
	int rc;
	size_t archives;
};

static void kpack_found(void *vctx, const char *kpack_path, const char *arch,
			const struct rmcp_err *archive_err)
{
	struct kpack_ctx *c = vctx;
	if (archive_err && archive_err->code) {
		rmcp_file_set_error(c->f, "%s: %s", kpack_path, archive_err->msg);
		return;
	}
	c->archives++;
	if (arch && c->rc == 0) {
		c->rc = rmcp_file_add_target(c->f, arch);
		struct rmcp_entry *e = c->rc == 0 ? rmcp_file_new_entry(c->f) : NULL;
		if (!e || !(e->id = rmcp_strndup(kpack_path, strlen(kpack_path))) ||
		    !(e->target = rmcp_strndup(arch, strlen(arch))))
			c->rc = -ENOMEM;
	}
}

static int kpack_ref(struct rmcp_reader *r, const char *path, const struct shdr *sh,
		     struct rmcp_file *f)
{
	struct rmcp_kpack_ref ref;
	struct rmcp_err err = { 0 };
	const uint8_t *p;
	void *owned;
	if (!in_file(r, sh))
		return rmcp_file_set_error(f, "section .rocm_kpack_ref lies outside the file");
	if (sh->size > MAX_SMALL_SECTION)
		return rmcp_file_set_error(f, "section .rocm_kpack_ref of %llu bytes is over the "
					   "%llu-byte limit", (unsigned long long)sh->size,
					   (unsigned long long)MAX_SMALL_SECTION);
	int rc = rmcp_reader_view(r, sh->offset, (size_t)sh->size, &p, &owned, &err);
	if (rc < 0)
		return read_failed(f, rc, &err) < 0 ? -ENOMEM : 0;
	rc = rmcp_kpack_ref_parse(p, (size_t)sh->size, &ref, &err);
	free(owned);
	if (rc < 0)
		return rmcp_file_set_error(f, ".rocm_kpack_ref: %s", err.msg);
	struct kpack_ctx c = { .f = f };
	rc = rmcp_kpack_find(path, &ref, kpack_found, &c, &err);
	if (rc < 0 && !f->error)
		rmcp_file_set_error(f, "kpack archives for %s: %s", ref.kernel_name ? ref.kernel_name : "?",
				    err.msg);
	rmcp_file_set_note(f, "device code split out by TheRock kpack: %zu .kpack archive(s) found%s%s",
			   c.archives, ref.n_search_paths ? " in " : "",
			   ref.n_search_paths ? ref.search_paths[0] : "");
	rmcp_kpack_ref_release(&ref);
	return c.rc;
}

/* The fatbin wrapper array: HIPK wrappers are what kpack leaves behind (HIPF otherwise). */
static int count_hipk(struct rmcp_reader *r, const struct shdr *sh, size_t *hipk, struct rmcp_file *f)
{
	if (!in_file(r, sh) || sh->size > MAX_SMALL_SECTION)
		return 0;
	const uint8_t *p;
	void *owned;
	struct rmcp_err err = { 0 };
	int rc = rmcp_reader_view(r, sh->offset, (size_t)sh->size, &p, &owned, &err);
	if (rc < 0)
		return read_failed(f, rc, &err);
	for (uint64_t o = 0; o + 24 <= sh->size; o += 24)
		*hipk += rmcp_le32(p + o) == HIPK_MAGIC;
	free(owned);
	return 0;
}

/* Read the section header table and the section names; *tab and *names are heap copies. */
static int read_sections(struct rmcp_reader *r, const uint8_t *eh, struct rmcp_file *f,
			 uint8_t **tab, size_t *n, char **names, size_t *names_len)
{
	struct rmcp_err err = { 0 };
	uint64_t shoff = rmcp_le64(eh + 0x28);
	uint32_t entsize = rmcp_le16(eh + 0x3a), shnum = rmcp_le16(eh + 0x3c);
	uint32_t shstrndx = rmcp_le16(eh + 0x3e);
	uint8_t first[64];
	const uint8_t *p;
	void *owned;
	int rc;

	*tab = NULL;
	*names = NULL;
	*n = 0;
	if (shoff == 0)
		return 0;	/* no section header table */
	/* libelf quietly shows no sections when the table lies past the end (a truncated
	 * download): say so instead of "no device code". */
	uint64_t shtab = (uint64_t)entsize * shnum;
	if (shoff > r->size || shtab > r->size - shoff)
		return rmcp_file_set_error(f, "ELF section header table (offset %llu, %llu bytes) lies past the end of the %llu-byte file: truncated?",
					   (unsigned long long)shoff, (unsigned long long)shtab,
					   (unsigned long long)r->size) ? -ENOMEM : 1;
	if (entsize != 64)
		return rmcp_file_set_error(f, "ELF section header size %u, expected 64", entsize) ? -ENOMEM : 1;
	if (shnum == 0 || shstrndx == SHN_XINDEX_) {
		/* More than 65279 sections: the real count and index are in section 0 (gABI). */
		if ((rc = rmcp_reader_read(r, shoff, first, sizeof(first), &err)) < 0)
			return read_failed(f, rc, &err);
		struct shdr s0 = shdr_at(first);
		if (shnum == 0)
			shnum = s0.size > UINT32_MAX ? UINT32_MAX : (uint32_t)s0.size;
		if (shstrndx == SHN_XINDEX_)
			shstrndx = s0.link;
	}
	shtab = (uint64_t)shnum * 64;
	if (shtab > MAX_SHTAB || shtab > r->size - shoff)
		return rmcp_file_set_error(f, "ELF section header table of %u entries at offset %llu does not fit the file",
					   shnum, (unsigned long long)shoff) ? -ENOMEM : 1;
	if (shnum == 0)
		return 0;
	if ((rc = rmcp_reader_view(r, shoff, (size_t)shtab, &p, &owned, &err)) < 0)
		return read_failed(f, rc, &err);
	if (!owned) {
		if (!(owned = malloc((size_t)shtab)))
			return -ENOMEM;
		memcpy(owned, p, (size_t)shtab);
	}
	*tab = owned;
	*n = shnum;
	if (shstrndx >= shnum)
		return rmcp_file_set_error(f, "ELF section names: section index %u out of range (%u sections)",
					   shstrndx, shnum) ? -ENOMEM : 1;
	struct shdr ss = shdr_at(*tab + (size_t)shstrndx * 64);
	if (!in_file(r, &ss) || ss.size > MAX_SHTAB)
		return rmcp_file_set_error(f, "ELF section names: table at offset %llu (%llu bytes) lies outside the file",
					   (unsigned long long)ss.offset, (unsigned long long)ss.size) ? -ENOMEM : 1;
	if ((rc = rmcp_reader_view(r, ss.offset, (size_t)ss.size, &p, &owned, &err)) < 0)
		return read_failed(f, rc, &err);
	char *nm = malloc((size_t)ss.size + 1);
	if (!nm) {
		free(owned);
		return -ENOMEM;
	}
	memcpy(nm, p, (size_t)ss.size);
	nm[ss.size] = '\0';	/* a name running off the end stops there */
	free(owned);
	*names = nm;
	*names_len = (size_t)ss.size;
	return 0;
}

/*
 * The section header table and its names are read first (they sit near the end of the file);
 * the contents of the sections that matter are then read in file order, so a stream (a wheel
 * member) goes back to its start once.
 */
int rmcp_scan_host_elf(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		       struct rmcp_file *f)
{
	uint8_t eh[RMCP_ELF_EHDR_SIZE];
	struct rmcp_err err = { 0 };
	int rc;
	if (r->size < sizeof(eh))
		return 0;
	if ((rc = rmcp_reader_read(r, 0, eh, sizeof(eh), &err)) < 0)
		return read_failed(f, rc, &err) < 0 ? -ENOMEM : 0;
	if (eh[4] != 2 /* ELFCLASS64 */ || eh[5] != 1 /* ELFDATA2LSB */)
		/* HIP host code is x86-64/aarch64 ELF64 LSB. */
		return 0;
	uint8_t *tab;
	char *names;
	size_t n, names_len = 0;
	rc = read_sections(r, eh, f, &tab, &n, &names, &names_len);
	if (rc != 0 || !names) {
		free(tab);
		free(names);
		return rc < 0 ? rc : 0;
	}
	struct shdr fatbin = { 0 }, kref = { 0 }, segment = { 0 };
	bool have_fatbin = false, have_kref = false, have_segment = false, gpubin_handle = false;
	size_t hipk = 0;
	for (size_t i = 1; i < n && rc == 0; i++) {
		struct shdr sh = shdr_at(tab + i * 64);
		if (sh.name >= names_len)
			continue;
		const char *name = names + sh.name;
		if (strcmp(name, ".hip_fatbin") == 0 && sh.type != SHT_NOBITS_ && sh.type != SHT_NULL_) {
			fatbin = sh;
			have_fatbin = true;
		} else if (strcmp(name, ".rocm_kpack_ref") == 0) {
			kref = sh;
			have_kref = true;
		} else if (strcmp(name, ".hipFatBinSegment") == 0) {
			segment = sh;
			have_segment = true;
		} else if (strcmp(name, ".hip_gpubin_handle") == 0) {
			gpubin_handle = true;
		} else if (strncmp(name, RMCP_BUNDLE_MAGIC, RMCP_BUNDLE_MAGIC_LEN) == 0) {
			rc = rdc_section(r, name, &sh, f);
		}
	}
	free(tab);
	free(names);
	/* .hipFatBinSegment (.data) follows .hip_fatbin (.rodata) in every linker's layout;
	 * read it first only when it comes first. */
	bool seg_first = have_segment && (!have_fatbin || segment.offset < fatbin.offset);
	if (rc == 0 && seg_first)
		rc = count_hipk(r, &segment, &hipk, f);
	if (rc == 0 && have_fatbin)
		rc = rmcp_walk_bundles(r, fatbin.offset, fatbin.size, opts, f);
	if (rc == 0 && have_segment && !seg_first)
		rc = count_hipk(r, &segment, &hipk, f);
	if (rc == 0 && (have_kref || hipk))
		rc = have_kref ? kpack_ref(r, path, &kref, f)
			       : rmcp_file_set_error(f, "HIPK wrappers but no .rocm_kpack_ref section");
	if (rc == 0 && gpubin_handle && f->bundles)
		rc = rmcp_file_set_note(f, "linked with -fgpu-rdc (one bundle for the whole link)");
	if (rc == 0 && f->n_entries && !have_fatbin && !have_kref)
		rc = rmcp_file_set_note(f, "relocatable -fgpu-rdc object: device code is LLVM bitcode, compiled at link time");
	return rc < 0 ? rc : 0;
}
