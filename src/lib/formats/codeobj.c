/* SPDX-License-Identifier: MIT */
#include "codeobj.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>
#include <libelf.h>

#include "bytes.h"
#include "banned.h"

bool rmcp_is_codeobj(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	return len >= RMCP_ELF_EHDR_SIZE && memcmp(p, "\177ELF", 4) == 0 && p[4] == 2 /* 64 */ &&
	       p[5] == 1 /* LSB */ && rmcp_le16(p + 18) == RMCP_EM_AMDGPU;
}

static enum rmcp_feature v4_field(uint32_t v)
{
	/* AMDGPUUsage V4+: 0 unsupported, 1 any, 2 off, 3 on (per 2-bit field). */
	switch (v) {
	case 2:
		return RMCP_FEAT_OFF;
	case 3:
		return RMCP_FEAT_ON;
	default:
		return RMCP_FEAT_UNSPEC;
	}
}

int rmcp_codeobj_header(const void *buf, size_t len, struct rmcp_codeobj *out,
			struct rmcp_err *err)
{
	const uint8_t *p = buf;
	memset(out, 0, sizeof(*out));
	if (len < RMCP_ELF_EHDR_SIZE)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "code object shorter than an ELF header");
	if (!rmcp_is_codeobj(p, len))
		return rmcp_err_set(err, -RMCP_E_FORMAT, "not an AMDGPU ELF64 code object");
	out->osabi = p[7];
	out->abi_version = p[8];
	out->e_flags = rmcp_le32(p + 48);
	out->mach = out->e_flags & 0xff;
	if (out->osabi == RMCP_ELFOSABI_AMDGPU_HSA && out->abi_version <= 4)
		out->co_version = out->abi_version + 2;	/* 0=V2 ... 4=V6 */

	const struct rmcp_target *t = rmcp_target_by_mach(out->mach);
	if (t) {
		memcpy(out->tid.proc, t->name, strlen(t->name) + 1);
		out->tid.target = t;
	}
	switch (out->co_version) {
	case 2:
		/* V2: XNACK 0x01 means enabled; the ISA proper is in a note. */
		if (out->e_flags & 0x01)
			out->tid.xnack = RMCP_FEAT_ON;
		break;
	case 3:
		/* V3: boolean bits, defined only for processors that support the feature. */
		if (t && t->xnack == RMCP_CAP_YES)
			out->tid.xnack = out->e_flags & 0x100 ? RMCP_FEAT_ON : RMCP_FEAT_OFF;
		if (t && t->sramecc == RMCP_CAP_YES)
			out->tid.sramecc = out->e_flags & 0x200 ? RMCP_FEAT_ON : RMCP_FEAT_OFF;
		break;
	case 4:
	case 5:
	case 6:
		out->tid.xnack = v4_field((out->e_flags & 0x300) >> 8);
		out->tid.sramecc = v4_field((out->e_flags & 0xc00) >> 10);
		if (out->co_version == 6)
			out->generic_version = out->e_flags >> 24;
		break;
	default:
		break;
	}
	return 0;
}

int rmcp_codeobj_target(const struct rmcp_codeobj *co, char *buf, size_t len)
{
	if (co->tid.proc[0])
		return rmcp_target_id_format(&co->tid, buf, len);
	int n = snprintf(buf, len, "unknown-mach-0x%02x", co->mach);
	return n < 0 || (size_t)n >= len ? -RMCP_E_LIMIT : n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_kernels_from(Elf *elf, Elf64_Word type, struct rmcp_codeobj *out, size_t *capp,
				struct rmcp_err *err);

/* Kernels from .symtab; a stripped object keeps its kernel descriptors in .dynsym (the
 * loader needs them), so fall back to that. */
static int collect_kernels(Elf *elf, struct rmcp_codeobj *out, struct rmcp_err *err)
{
	size_t cap = 0;
	int rc = collect_kernels_from(elf, SHT_SYMTAB, out, &cap, err);
	if (rc == 0 && out->n_kernels == 0)
		rc = collect_kernels_from(elf, SHT_DYNSYM, out, &cap, err);
	if (rc == 0 && out->n_kernels)
		qsort(out->kernels, out->n_kernels, sizeof(*out->kernels), cmp_str);
	return rc;
}

static int collect_kernels_from(Elf *elf, Elf64_Word type, struct rmcp_codeobj *out, size_t *capp,
				struct rmcp_err *err)
{
	Elf_Scn *scn = NULL;
	size_t cap = *capp;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || sh.sh_entsize == 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			return rmcp_err_set(err, -RMCP_E_FORMAT, "code object symtab: %s", elf_errmsg(-1));
		size_t n = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			size_t l = strlen(name);
			/* Every kernel has a kernel descriptor symbol "<kernel>.kd" (AMDGPUUsage
			 * "Kernel Descriptor"); plain functions do not. */
			if (l < 4 || strcmp(name + l - 3, ".kd") != 0 || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
				continue;
			if (out->n_kernels >= RMCP_MAX_KERNELS)
				return rmcp_err_set(err, -RMCP_E_LIMIT, "more than %d kernels", RMCP_MAX_KERNELS);
			if (out->n_kernels == cap) {
				cap = cap ? cap * 2 : 16;
				char **nk = realloc(out->kernels, cap * sizeof(*nk));
				if (!nk)
					return rmcp_err_set(err, -ENOMEM, "out of memory");
				out->kernels = nk;
			}
			char *k = malloc(l - 2);
			if (!k)
				return rmcp_err_set(err, -ENOMEM, "out of memory");
			memcpy(k, name, l - 3);
			k[l - 3] = '\0';
			out->kernels[out->n_kernels++] = k;
			*capp = cap;
		}
	}
	return 0;
}

/*
 * Code object V2 names its ISA in a note, owner "AMD", type NT_AMD_HSA_ISA_VERSION (3):
 * u16 vendor_size, u16 arch_size, u32 major, u32 minor, u32 stepping, then the names
 * (llvm/docs/AMDGPUUsage.rst "Code Object V2 Note Records"; EF_AMDGPU_MACH may be 0).
 */
static void v2_isa_note(Elf *elf, struct rmcp_codeobj *out)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, next;
		while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *p = (const uint8_t *)d->d_buf;
			if (nh.n_type == 3 && nh.n_namesz == 4 && memcmp(p + name_off, "AMD", 4) == 0 &&
			    nh.n_descsz >= 16) {
				uint32_t major = rmcp_le32(p + desc_off + 4), minor = rmcp_le32(p + desc_off + 8);
				uint32_t step = rmcp_le32(p + desc_off + 12);
				if (major < 64 && minor < 100 && step < 100) {
					const struct rmcp_target *t =
						rmcp_target_by_version(major * 10000 + minor * 100 + step);
					if (t) {
						memcpy(out->tid.proc, t->name, strlen(t->name) + 1);
						out->tid.target = t;
						return;
					}
				}
			}
			off = next;
		}
	}
}

int rmcp_codeobj_parse(const void *buf, size_t len, bool want_kernels, struct rmcp_codeobj *out,
		       struct rmcp_err *err)
{
	int rc = rmcp_codeobj_header(buf, len, out, err);
	bool v2_unknown = rc == 0 && out->co_version == 2 && !out->tid.proc[0];
	if (rc < 0 || (!want_kernels && !v2_unknown))
		return rc;
	elf_version(EV_CURRENT);
	/* Native byte order was checked, so libelf reads in place and never writes. */
	Elf *elf = elf_memory((char *)(uintptr_t)buf, len);
	if (!elf)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "code object: %s", elf_errmsg(-1));
	if (v2_unknown)
		v2_isa_note(elf, out);
	rc = want_kernels ? collect_kernels(elf, out, err) : 0;
	elf_end(elf);
	if (rc < 0)
		rmcp_codeobj_release(out);
	return rc;
}

void rmcp_codeobj_release(struct rmcp_codeobj *co)
{
	for (size_t i = 0; i < co->n_kernels; i++)
		free(co->kernels[i]);
	free(co->kernels);
	co->kernels = NULL;
	co->n_kernels = 0;
}
