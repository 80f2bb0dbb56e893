/* SPDX-License-Identifier: MIT */
/*
 * Kernel code ranges of an AMDGPU code object, read from the ELF bytes directly (the same
 * reader also finds .hip_fatbin in host ELF files). ELF64 layout: System V gABI; AMDGPU
 * specifics: llvm/docs/AMDGPUUsage.rst "Symbols" (kernels are STT_FUNC with st_size, each
 * with an STT_OBJECT "<name>.kd" kernel descriptor) and "Kernel Descriptor" (64 bytes:
 * kernel_code_entry_byte_offset, an int64 at offset 16, relative to the descriptor;
 * kernel_code_properties, a u16 at offset 56, bit 10 ENABLE_WAVEFRONT_SIZE32 on gfx10+).
 * Bytes between symbols are alignment padding (zeros, s_code_end) and are not walked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "isa_internal.h"
#include "banned.h"

#define SHT_SYMTAB_ 2
#define SHT_NOBITS_ 8
#define SHT_DYNSYM_ 11
#define SHF_EXECINSTR_ 0x4
#define STT_OBJECT_ 1
#define STT_FUNC_ 2
#define SYM_SIZE 24
#define KD_SIZE 64
#define MAX_RANGES 1000000

int rmcp_elf_open(const void *vbuf, size_t len, struct rmcp_elf *e, struct rmcp_err *err)
{
	const uint8_t *b = vbuf;
	memset(e, 0, sizeof(*e));
	if (len < 64)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "ELF header truncated");
	if (memcmp(b, "\177ELF", 4) != 0 || b[4] != 2 || b[5] != 1)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "not an ELF64 little-endian file");
	e->buf = b;
	e->len = len;
	e->shoff = rmcp_le64(b + 40);
	e->shentsize = rmcp_le16(b + 58);
	e->shnum = rmcp_le16(b + 60);
	e->shstrndx = rmcp_le16(b + 62);
	if (e->shnum == 0)
		return 0;
	if (e->shentsize < 64)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "ELF section header size %u", e->shentsize);
	if (e->shoff > len || (uint64_t)e->shnum * e->shentsize > len - e->shoff)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "ELF section headers past end of file");
	for (size_t i = 0; i < e->shnum; i++) {
		struct rmcp_elf_sec s;
		if (rmcp_elf_section(e, i, &s) < 0)
			return rmcp_err_set(err, -RMCP_E_TRUNC, "ELF section %zu past end of file", i);
	}
	return 0;
}

int rmcp_elf_section(const struct rmcp_elf *e, size_t i, struct rmcp_elf_sec *s)
{
	memset(s, 0, sizeof(*s));
	s->name = "";
	if (i >= e->shnum)
		return -RMCP_E_FORMAT;
	const uint8_t *h = e->buf + e->shoff + i * e->shentsize;
	uint32_t name = rmcp_le32(h);
	s->type = rmcp_le32(h + 4);
	s->flags = rmcp_le64(h + 8);
	s->addr = rmcp_le64(h + 16);
	s->off = rmcp_le64(h + 24);
	s->size = rmcp_le64(h + 32);
	s->link = rmcp_le32(h + 40);
	s->entsize = rmcp_le64(h + 56);
	s->nobits = s->type == SHT_NOBITS_;
	if (!s->nobits && (s->off > e->len || s->size > e->len - s->off))
		return -RMCP_E_TRUNC;
	if (e->shstrndx < e->shnum && e->shstrndx != i) {
		const uint8_t *sh = e->buf + e->shoff + (size_t)e->shstrndx * e->shentsize;
		uint64_t off = rmcp_le64(sh + 24), size = rmcp_le64(sh + 32);
		if (off <= e->len && size <= e->len - off && name < size &&
		    memchr(e->buf + off + name, '\0', size - name))
			s->name = (const char *)e->buf + off + name;
	}
	return 0;
}

long rmcp_elf_find(const struct rmcp_elf *e, const char *name, struct rmcp_elf_sec *s)
{
	for (size_t i = 0; i < e->shnum; i++)
		if (rmcp_elf_section(e, i, s) == 0 && strcmp(s->name, name) == 0)
			return (long)i;
	return -1;
}

struct sym {
	const char *name;
	size_t name_len;
	uint8_t type;
	uint16_t shndx;
	uint64_t value, size;
};

static int cmp_range(const void *a, const void *b)
{
	const struct rmcp_isa_range *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* File offset of [addr, addr+size) inside executable section shndx, or -1. */
static int64_t code_offset(const struct rmcp_elf *e, uint16_t shndx, uint64_t addr, uint64_t size)
{
	struct rmcp_elf_sec s;
	if (rmcp_elf_section(e, shndx, &s) < 0 || s.nobits || !(s.flags & SHF_EXECINSTR_))
		return -1;
	if (addr < s.addr || addr - s.addr > s.size || size > s.size - (addr - s.addr))
		return -1;
	return (int64_t)(s.off + (addr - s.addr));
}

/* Read a kernel descriptor: wave size, WGP mode, entry address. */
static bool read_kd(const struct rmcp_elf *e, const struct sym *kd, uint64_t *entry, bool *wave64, bool *wgp)
{
	struct rmcp_elf_sec s;
	if (rmcp_elf_section(e, kd->shndx, &s) < 0 || s.nobits || kd->value < s.addr ||
	    kd->value - s.addr > s.size || KD_SIZE > s.size - (kd->value - s.addr))
		return false;
	const uint8_t *p = e->buf + s.off + (kd->value - s.addr);
	*entry = kd->value + rmcp_le64(p + 16);	/* int64, wraps as two's complement */
	*wave64 = !(rmcp_le16(p + 56) & (1u << 10));
	/* COMPUTE_PGM_RSRC1 (offset 48) bit 29 is WGP_MODE on gfx10+ (AMDGPU's
	 * AMDHSAKernelDescriptor.h, COMPUTE_PGM_RSRC1_GFX10_PLUS_WGP_MODE). */
	*wgp = (rmcp_le32(p + 48) >> 29) & 1;
	return true;
}

static int add_range(struct rmcp_isa_range **v, size_t *n, size_t *cap, const char *name,
		     size_t name_len, uint64_t addr, uint64_t size, uint64_t off)
{
	if (*n >= MAX_RANGES)
		return -RMCP_E_LIMIT;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct rmcp_isa_range *nv = realloc(*v, c * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	struct rmcp_isa_range *r = &(*v)[*n];
	memset(r, 0, sizeof(*r));
	r->name = malloc(name_len + 1);
	if (!r->name)
		return -ENOMEM;
	memcpy(r->name, name, name_len);
	r->name[name_len] = '\0';
	r->addr = addr;
	r->size = size;
	r->off = off;
	r->wgp_mode = true;	/* a function runs in its caller's mode: assume WGP */
	(*n)++;
	return 0;
}

static int read_syms(const struct rmcp_elf *e, struct sym **out, size_t *n, struct rmcp_err *err)
{
	struct rmcp_elf_sec st, str;
	long idx = -1;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < e->shnum && idx < 0; i++)
		if (rmcp_elf_section(e, i, &st) == 0 && st.type == SHT_SYMTAB_)
			idx = (long)i;
	for (size_t i = 0; i < e->shnum && idx < 0; i++)
		if (rmcp_elf_section(e, i, &st) == 0 && st.type == SHT_DYNSYM_)
			idx = (long)i;
	if (idx < 0)
		return 0;
	rmcp_elf_section(e, (size_t)idx, &st);
	if (st.nobits || rmcp_elf_section(e, st.link, &str) < 0 || str.nobits)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "symbol table without a string table");
	size_t cnt = st.size / SYM_SIZE;
	if (cnt > (size_t)MAX_RANGES * 4)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "%zu symbols", cnt);
	struct sym *v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *p = e->buf + st.off + i * SYM_SIZE;
		uint32_t name = rmcp_le32(p);
		if (name >= str.size)
			continue;
		const char *s = (const char *)e->buf + str.off + name;
		const char *end = memchr(s, '\0', str.size - name);
		if (!end)
			continue;
		v[k].name = s;
		v[k].name_len = (size_t)(end - s);
		v[k].type = p[4] & 0xf;
		v[k].shndx = rmcp_le16(p + 6);
		v[k].value = rmcp_le64(p + 8);
		v[k].size = rmcp_le64(p + 16);
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

int rmcp_isa_ranges(const void *buf, size_t len, struct rmcp_isa_range **out, size_t *n,
		    struct rmcp_err *err)
{
	struct rmcp_elf e;
	struct sym *syms;
	size_t nsyms, cap = 0;
	int rc = rmcp_elf_open(buf, len, &e, err);
	*out = NULL;
	*n = 0;
	if (rc < 0 || (rc = read_syms(&e, &syms, &nsyms, err)) < 0)
		return rc;
	struct rmcp_isa_range *v = NULL;
	size_t k = 0;
	/* Functions: STT_FUNC with a size, inside an executable section. */
	for (size_t i = 0; i < nsyms && rc == 0; i++) {
		const struct sym *s = &syms[i];
		if (s->type != STT_FUNC_ || s->size == 0)
			continue;
		int64_t off = code_offset(&e, s->shndx, s->value, s->size);
		if (off < 0)
			continue;
		rc = add_range(&v, &k, &cap, s->name, s->name_len, s->value, s->size, (uint64_t)off);
	}
	if (rc < 0)
		goto fail;
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_range);
	/* Kernel descriptors mark kernels; a descriptor whose entry has no function symbol
	 * (stripped) gets a range up to the next function or the end of its section. */
	for (size_t i = 0; i < nsyms && rc == 0; i++) {
		const struct sym *s = &syms[i];
		uint64_t entry;
		bool wave64, wgp;
		if (s->type != STT_OBJECT_ || s->name_len < 4 ||
		    memcmp(s->name + s->name_len - 3, ".kd", 3) != 0 || !read_kd(&e, s, &entry, &wave64, &wgp))
			continue;
		size_t lo = 0, hi = k;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (v[mid].addr < entry)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < k && v[lo].addr == entry) {
			v[lo].is_kernel = true;
			v[lo].wave64 = wave64;
			v[lo].wgp_mode = wgp;
			continue;
		}
		for (size_t j = 0; j < e.shnum; j++) {
			struct rmcp_elf_sec sec;
			if (rmcp_elf_section(&e, j, &sec) < 0 || sec.nobits || !(sec.flags & SHF_EXECINSTR_) ||
			    entry < sec.addr || entry - sec.addr >= sec.size)
				continue;
			uint64_t end = sec.addr + sec.size;
			if (lo < k && v[lo].addr < end)
				end = v[lo].addr;
			rc = add_range(&v, &k, &cap, s->name, s->name_len - 3, entry, end - entry,
				       sec.off + (entry - sec.addr));
			if (rc == 0) {
				v[k - 1].is_kernel = true;
				v[k - 1].wave64 = wave64;
				v[k - 1].wgp_mode = wgp;
				qsort(v, k, sizeof(*v), cmp_range);
			}
			break;
		}
	}
	if (rc < 0)
		goto fail;
	/* Aliases (same address) are walked once; overlapping ranges are clipped. */
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (w && v[i].addr < v[w - 1].addr + v[w - 1].size) {
			if (v[i].addr == v[w - 1].addr) {
				v[w - 1].is_kernel |= v[i].is_kernel;
				if (v[i].is_kernel) {
					v[w - 1].wave64 = v[i].wave64;
					v[w - 1].wgp_mode = v[i].wgp_mode;
				}
				free(v[i].name);
				continue;
			}
			v[w - 1].size = v[i].addr - v[w - 1].addr;
		}
		v[w++] = v[i];
	}
	free(syms);
	*out = v;
	*n = w;
	return 0;
fail:
	free(syms);
	rmcp_isa_ranges_free(v, k);
	return rc == -ENOMEM ? rmcp_err_set(err, rc, "out of memory") :
			       rmcp_err_set(err, rc, "too many functions (limit %d)", MAX_RANGES);
}

void rmcp_isa_ranges_free(struct rmcp_isa_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}
