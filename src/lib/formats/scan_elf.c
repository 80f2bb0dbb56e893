/* SPDX-License-Identifier: MIT */
/*
 * Host ELF files: find device code the way the HIP runtime does, by section, never by
 * searching for a magic string (libamdhip64 carries "__CLANG_OFFLOAD_BUNDLE__" in .rodata).
 * research/binaries.md §1.3 (.hip_fatbin, .hipFatBinSegment, -fgpu-rdc) and §1.5 (kpack).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>
#include <libelf.h>

#include "bundle.h"
#include "bytes.h"
#include "ccob.h"
#include "codeobj.h"
#include "kpack.h"
#include "scan_internal.h"
#include "banned.h"

#define FATBIN_ALIGN 4096
#define HIPF_MAGIC 0x48495046u	/* "HIPF": __CudaFatBinaryWrapper (clr hip_platform.cpp) */
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

static int walk_one_bundle(const uint8_t *base, uint64_t at, uint64_t avail, uint32_t idx,
			   struct rmcp_file *f, uint64_t *used)
{
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	int rc = rmcp_bundle_parse(base + at, (size_t)avail, avail, &b, NULL, &err);
	if (rc < 0)
		return rmcp_file_set_error(f, "bundle %u at offset %llu: %s", idx,
					   (unsigned long long)at, err.msg) ? -ENOMEM : 1;
	for (size_t i = 0; i < b.n_entries && rc == 0; i++) {
		const struct rmcp_bundle_entry *be = &b.entries[i];
		size_t first = f->n_entries;
		rc = add_bundle_entry(f, idx, be->id, be->id_len, at + be->offset, be->size, false);
		if (rc == 0 && f->n_entries > first)
			rc = note_elf(&f->entries[first], base + at + be->offset, (size_t)be->size);
	}
	*used = b.end;
	rmcp_bundle_release(&b);
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

static int walk_one_ccob(const uint8_t *base, uint64_t at, uint64_t avail, uint32_t idx,
			 const struct rmcp_scan_opts *opts, struct rmcp_file *f, uint64_t *used)
{
	struct rmcp_ccob_hdr h;
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	void *prefix = NULL;
	const uint8_t *p = base + at;

	int rc = rmcp_ccob_header(p, (size_t)avail, &h, &err);
	if (rc == 0)
		rc = rmcp_ccob_list(p, (size_t)avail, &h, &b, &prefix, &err);
	if (rc < 0)
		return rmcp_file_set_error(f, "compressed bundle %u at offset %llu: %s", idx,
					   (unsigned long long)at, err.msg) ? -ENOMEM : 1;
	size_t first = f->n_entries;
	for (size_t i = 0; i < b.n_entries && rc == 0; i++)
		rc = add_bundle_entry(f, idx, b.entries[i].id, b.entries[i].id_len,
				      b.entries[i].offset, b.entries[i].size, true);
	rmcp_bundle_release(&b);
	free(prefix);
	if (rc == 0 && opts->verbose)
		rc = read_ccob_elf_headers(p, (size_t)avail, &h, f, first);
	*used = h.total_size;
	return rc;
}

int rmcp_walk_bundles(const uint8_t *base, size_t file_len, uint64_t off, uint64_t len,
		      const struct rmcp_scan_opts *opts, struct rmcp_file *f)
{
	if (off > file_len || len > file_len - off)
		return rmcp_file_set_error(f, "bundle region at %llu (+%llu) is past the end of the file",
					   (unsigned long long)off, (unsigned long long)len);
	uint64_t pos = 0;
	while (pos < len) {
		uint64_t at = off + pos, avail = len - pos, used = 0;
		const uint8_t *p = base + at;
		int rc;
		if (rmcp_is_bundle(p, (size_t)avail))
			rc = walk_one_bundle(base, at, avail, f->bundles, f, &used);
		else if (rmcp_is_ccob(p, (size_t)avail))
			rc = walk_one_ccob(base, at, avail, f->bundles, opts, f, &used);
		else {
			/* Padding between bundles, or a zero-paged section (kpack). */
			uint64_t step = FATBIN_ALIGN - pos % FATBIN_ALIGN;
			if (step > avail)
				step = avail;
			if (all_zero(p, (size_t)step)) {
				pos += step;
				continue;
			}
			return rmcp_file_set_error(f, "unrecognized data at offset %llu where a bundle should start",
						   (unsigned long long)at);
		}
		if (rc != 0)	/* 1: error recorded on f; < 0: out of memory */
			return rc < 0 ? rc : 0;
		f->bundles++;
		if (used == 0)
			used = 1;
		pos = rmcp_align_up(pos + used, FATBIN_ALIGN);
	}
	return 0;
}

/* Sections named __CLANG_OFFLOAD_BUNDLE__<id> in -fgpu-rdc relocatable objects hold one
 * entry each (bitcode, SHF_EXCLUDE); clang-offload-bundler --type=o reads them by name. */
static int rdc_section(const uint8_t *buf, size_t len, const char *name, const GElf_Shdr *sh,
		       struct rmcp_file *f)
{
	const char *id = name + RMCP_BUNDLE_MAGIC_LEN;
	size_t first = f->n_entries;
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
		return rmcp_file_set_error(f, "section %s lies outside the file", name);
	if (f->bundles == 0)
		f->bundles = 1;
	int rc = add_bundle_entry(f, 0, id, strlen(id), sh->sh_offset, sh->sh_size, false);
	if (rc == 0 && f->n_entries > first) {
		struct rmcp_entry *e = &f->entries[first];
		const uint8_t *p = buf + sh->sh_offset;
		e->bitcode = sh->sh_size >= 4 && memcmp(p, "BC\xc0\xde", 4) == 0;
		if (!e->bitcode)
			rc = note_elf(e, p, (size_t)sh->sh_size);
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

static int kpack_ref(const uint8_t *buf, size_t len, const char *path, const GElf_Shdr *sh,
		     struct rmcp_file *f)
{
	struct rmcp_kpack_ref ref;
	struct rmcp_err err = { 0 };
	if (sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
		return rmcp_file_set_error(f, "section .rocm_kpack_ref lies outside the file");
	if (rmcp_kpack_ref_parse(buf + sh->sh_offset, (size_t)sh->sh_size, &ref, &err) < 0)
		return rmcp_file_set_error(f, ".rocm_kpack_ref: %s", err.msg);
	struct kpack_ctx c = { .f = f };
	int rc = rmcp_kpack_find(path, &ref, kpack_found, &c, &err);
	if (rc < 0 && !f->error)
		rmcp_file_set_error(f, "kpack archives for %s: %s", ref.kernel_name ? ref.kernel_name : "?",
				    err.msg);
	rmcp_file_set_note(f, "device code split out by TheRock kpack: %zu .kpack archive(s) found%s%s",
			   c.archives, ref.n_search_paths ? " in " : "",
			   ref.n_search_paths ? ref.search_paths[0] : "");
	rmcp_kpack_ref_release(&ref);
	return c.rc;
}

/* The fatbin wrapper array: HIPF wrappers for ordinary bundles, HIPK after kpack. */
static void count_wrappers(const uint8_t *buf, size_t len, const GElf_Shdr *sh, size_t *hipf,
			   size_t *hipk)
{
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
		return;
	for (uint64_t o = 0; o + 24 <= sh->sh_size; o += 24) {
		uint32_t magic = rmcp_le32(buf + sh->sh_offset + o);
		*hipf += magic == HIPF_MAGIC;
		*hipk += magic == HIPK_MAGIC;
	}
}

int rmcp_scan_host_elf(const uint8_t *buf, size_t len, const char *path,
		       const struct rmcp_scan_opts *opts, struct rmcp_file *f)
{
	if (len < RMCP_ELF_EHDR_SIZE || buf[4] != ELFCLASS64 || buf[5] != ELFDATA2LSB)
		/* HIP host code is x86-64/aarch64 ELF64 LSB; libelf would convert other byte
		 * orders in place, so they are not handed to it. */
		return 0;
	/* libelf quietly shows no sections when the table lies past the end (a truncated
	 * download): say so instead of "no device code". */
	uint64_t shoff = rmcp_le64(buf + 0x28);
	uint64_t shtab = (uint64_t)rmcp_le16(buf + 0x3a) * rmcp_le16(buf + 0x3c);
	if (shoff > len || shtab > len - shoff)
		return rmcp_file_set_error(f, "ELF section header table (offset %llu, %llu bytes) lies past the end of the %zu-byte file: truncated?",
					   (unsigned long long)shoff, (unsigned long long)shtab, len);
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)(uintptr_t)buf, len);
	if (!elf)
		return rmcp_file_set_error(f, "ELF: %s", elf_errmsg(-1));
	size_t shstrndx;
	int rc = 0;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
		rc = rmcp_file_set_error(f, "ELF section names: %s", elf_errmsg(-1));
		goto out;
	}
	GElf_Shdr fatbin = { 0 }, kref = { 0 };
	bool have_fatbin = false, have_kref = false, gpubin_handle = false;
	size_t hipf = 0, hipk = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL && rc == 0) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) {
			rc = rmcp_file_set_error(f, "ELF section header: %s", elf_errmsg(-1));
			break;
		}
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (strcmp(name, ".hip_fatbin") == 0 && sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL) {
			fatbin = sh;
			have_fatbin = true;
		} else if (strcmp(name, ".rocm_kpack_ref") == 0) {
			kref = sh;
			have_kref = true;
		} else if (strcmp(name, ".hipFatBinSegment") == 0) {
			count_wrappers(buf, len, &sh, &hipf, &hipk);
		} else if (strcmp(name, ".hip_gpubin_handle") == 0) {
			gpubin_handle = true;
		} else if (strncmp(name, RMCP_BUNDLE_MAGIC, RMCP_BUNDLE_MAGIC_LEN) == 0) {
			rc = rdc_section(buf, len, name, &sh, f);
		}
	}
	if (rc == 0 && have_fatbin)
		rc = rmcp_walk_bundles(buf, len, fatbin.sh_offset, fatbin.sh_size, opts, f);
	if (rc == 0 && (have_kref || hipk))
		rc = have_kref ? kpack_ref(buf, len, path, &kref, f)
			       : rmcp_file_set_error(f, "HIPK wrappers but no .rocm_kpack_ref section");
	if (rc == 0 && gpubin_handle && f->bundles)
		rc = rmcp_file_set_note(f, "linked with -fgpu-rdc (one bundle for the whole link)");
	if (rc == 0 && f->n_entries && !have_fatbin && !have_kref)
		rc = rmcp_file_set_note(f, "relocatable -fgpu-rdc object: device code is LLVM bitcode, compiled at link time");
	(void)hipf;
out:
	elf_end(elf);
	return rc;
}
