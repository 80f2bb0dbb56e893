/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/lib/formats/codeobj.c: AMDGPU code object ELF headers and kernel listing.
 *
 * Facts (research/binaries.md §2; llvm/include/llvm/BinaryFormat/ELF.h; llvm/docs/
 * AMDGPUUsage.rst "ELF Header" e_flags tables):
 *  - ELF64 LSB, e_machine EM_AMDGPU = 224, EI_OSABI 64 = HSA.
 *  - EI_ABIVERSION (HSA): 0 = V2, 1 = V3, 2 = V4, 3 = V5, 4 = V6.
 *  - e_flags: MACH 0x0ff. V3: XNACK 0x100, SRAMECC 0x200 (booleans). V4+: XNACK field 0x300
 *    and SRAMECC field 0xc00, each 0 unsupported / 1 any / 2 off / 3 on. V6: generic
 *    version in 0xff000000.
 *  - Observed: gfx1030 0x36 (V4); gfx900:xnack- 0x22c; gfx90a:xnack+ 0x73f; clang-19
 *    gfx1010 with no feature 0x133; gfx10-3-generic V6 0x01000053.
 *  - Kernels have a kernel descriptor symbol "<name>.kd" of type STT_OBJECT (AMDGPUUsage
 *    "Kernel Descriptor"); ordinary functions are STT_FUNC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <elf.h>

#include "codeobj.h"
#include "error.h"
#include "scan.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The builders write the host's struct layout, which equals ELF64 LSB only on a
 * little-endian host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tests build LSB ELF natively");

enum { ABI_V2 = 0, ABI_V3 = 1, ABI_V4 = 2, ABI_V5 = 3, ABI_V6 = 4 };

/* ---- ELF builders -------------------------------------------------------------------- */

static void fill_ehdr(Elf64_Ehdr *h, uint8_t abi, uint32_t flags)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_ident[EI_OSABI] = 64;	/* ELFOSABI_AMDGPU_HSA */
	h->e_ident[EI_ABIVERSION] = abi;
	h->e_type = ET_DYN;
	h->e_machine = 224;		/* EM_AMDGPU */
	h->e_version = EV_CURRENT;
	h->e_flags = flags;
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_shentsize = sizeof(Elf64_Shdr);
}

struct sym {
	const char *name;
	unsigned char type;	/* STT_* */
};

/* A growing byte buffer. */
struct out {
	uint8_t buf[8192];
	size_t len;
};

static size_t emit(struct out *o, const void *p, size_t n, size_t align)
{
	o->len = (o->len + align - 1) / align * align;
	assert_true(o->len + n <= sizeof(o->buf));
	size_t at = o->len;
	memcpy(o->buf + at, p, n);
	o->len += n;
	return at;
}

/*
 * A minimal relocatable-looking code object: ELF header, .shstrtab, .strtab, .symtab and
 * the section header table. Symbols are global, defined in no section (st_shndx 0 is fine
 * for listing: only names and types matter).
 */
static void build_elf_note(struct out *o, uint8_t abi, uint32_t flags, const struct sym *syms,
			   size_t n, const void *note, size_t note_len)
{
	static const char shstr[] = "\0.shstrtab\0.strtab\0.symtab\0.note";
	enum { SH_SHSTRTAB = 1, SH_STRTAB = 11, SH_SYMTAB = 19, SH_NOTE = 27 };
	memset(o, 0, sizeof(*o));
	o->len = sizeof(Elf64_Ehdr);

	size_t shstr_off = emit(o, shstr, sizeof(shstr), 1);

	char strtab[1024];
	size_t slen = 1, name_off[32];
	strtab[0] = '\0';
	assert_true(n < ARRAY_SIZE(name_off));
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(syms[i].name) + 1;
		assert_true(slen + l <= sizeof(strtab));
		memcpy(strtab + slen, syms[i].name, l);
		name_off[i] = slen;
		slen += l;
	}
	size_t str_off = emit(o, strtab, slen, 1);

	Elf64_Sym st[33];
	memset(st, 0, sizeof(st));	/* st[0] is the null symbol */
	for (size_t i = 0; i < n; i++) {
		st[i + 1].st_name = (Elf64_Word)name_off[i];
		st[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, syms[i].type);
		st[i + 1].st_size = syms[i].type == STT_OBJECT ? 64 : 16;
	}
	size_t sym_off = emit(o, st, (n + 1) * sizeof(Elf64_Sym), 8);

	size_t note_off = note_len ? emit(o, note, note_len, 4) : 0;

	Elf64_Shdr sh[5];
	memset(sh, 0, sizeof(sh));
	sh[1] = (Elf64_Shdr){ .sh_name = SH_SHSTRTAB, .sh_type = SHT_STRTAB,
			      .sh_offset = shstr_off, .sh_size = sizeof(shstr), .sh_addralign = 1 };
	sh[2] = (Elf64_Shdr){ .sh_name = SH_STRTAB, .sh_type = SHT_STRTAB,
			      .sh_offset = str_off, .sh_size = slen, .sh_addralign = 1 };
	sh[3] = (Elf64_Shdr){ .sh_name = SH_SYMTAB, .sh_type = SHT_SYMTAB,
			      .sh_offset = sym_off, .sh_size = (n + 1) * sizeof(Elf64_Sym),
			      .sh_link = 2, .sh_info = 1, .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[4] = (Elf64_Shdr){ .sh_name = SH_NOTE, .sh_type = SHT_NOTE, .sh_offset = note_off,
			      .sh_size = note_len, .sh_addralign = 4 };
	size_t shnum = note_len ? 5 : 4;
	size_t sh_off = emit(o, sh, shnum * sizeof(Elf64_Shdr), 8);

	Elf64_Ehdr h;
	fill_ehdr(&h, abi, flags);
	h.e_shoff = sh_off;
	h.e_shnum = (Elf64_Half)shnum;
	h.e_shstrndx = 1;
	memcpy(o->buf, &h, sizeof(h));
}

static void build_elf(struct out *o, uint32_t flags, const struct sym *syms, size_t n)
{
	build_elf_note(o, ABI_V5, flags, syms, n, NULL, 0);
}

/* ---- header decoding ----------------------------------------------------------------- */

struct hdr_case {
	uint8_t abi;
	uint32_t flags;
	const char *target;
	unsigned co_version;
	unsigned generic_version;
};

static const struct hdr_case hdr_cases[] = {
	/* V3: boolean bits, only for processors that support the feature. */
	{ ABI_V3, 0x02c | 0x100, "gfx900:xnack+", 3, 0 },
	{ ABI_V3, 0x02c, "gfx900:xnack-", 3, 0 },
	{ ABI_V3, 0x02f | 0x300, "gfx906:sramecc+:xnack+", 3, 0 },
	{ ABI_V3, 0x02f | 0x200, "gfx906:sramecc+:xnack-", 3, 0 },
	{ ABI_V3, 0x036 | 0x100, "gfx1030", 3, 0 },	/* gfx1030 has no xnack */
	{ ABI_V3, 0x036, "gfx1030", 3, 0 },
	/* V4 (observed values). */
	{ ABI_V4, 0x036, "gfx1030", 4, 0 },
	{ ABI_V4, 0x73f, "gfx90a:xnack+", 4, 0 },	/* sramecc any -> unspecified */
	{ ABI_V4, 0x22c, "gfx900:xnack-", 4, 0 },
	{ ABI_V4, 0x133, "gfx1010", 4, 0 },		/* xnack any */
	{ ABI_V4, 0xf3f, "gfx90a:sramecc+:xnack+", 4, 0 },
	{ ABI_V4, 0xa3f, "gfx90a:sramecc-:xnack-", 4, 0 },
	{ ABI_V4, 0x53f, "gfx90a", 4, 0 },		/* both any */
	/* V5 uses the V4 layout. */
	{ ABI_V5, 0x84c, "gfx942:sramecc-", 5, 0 },
	{ ABI_V5, 0xe4c, "gfx942:sramecc+:xnack-", 5, 0 },
	{ ABI_V5, 0x133, "gfx1010", 5, 0 },
	{ ABI_V5, 0x04a, "gfx1151", 5, 0 },
	/* V6: generic version in the top byte. */
	{ ABI_V6, 0x01000052, "gfx10-1-generic", 6, 1 },
	{ ABI_V6, 0x01000053, "gfx10-3-generic", 6, 1 },
	{ ABI_V6, 0x01000153, "gfx10-3-generic", 6, 1 },
	{ ABI_V6, 0x02000251, "gfx9-generic:xnack-", 6, 2 },	/* xnack off */
	{ ABI_V6, 0x036, "gfx1030", 6, 0 },		/* V6, not generic */
	{ ABI_V6, 0xff000054, "gfx11-generic", 6, 255 },
	/* Unknown MACH: named by value, never guessed. */
	{ ABI_V4, 0x0ee, "unknown-mach-0xee", 4, 0 },
	{ ABI_V4, 0x000, "unknown-mach-0x00", 4, 0 },
};

static void test_header_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		Elf64_Ehdr *h = malloc(sizeof(*h));	/* exact size for ASan */
		assert_non_null(h);
		fill_ehdr(h, c->abi, c->flags);
		struct rmcp_codeobj co;
		struct rmcp_err err = { 0 };
		int rc = rmcp_codeobj_header(h, sizeof(*h), &co, &err);
		if (rc != 0)
			fail_msg("abi %u flags 0x%x: %s", c->abi, c->flags, err.msg);
		char buf[64];
		int n = rmcp_codeobj_target(&co, buf, sizeof(buf));
		assert_true(n > 0);
		if (strcmp(buf, c->target) != 0)
			fail_msg("abi %u flags 0x%x: '%s', want '%s'", c->abi, c->flags, buf, c->target);
		assert_int_equal(n, strlen(c->target));
		if (co.co_version != c->co_version)
			fail_msg("abi %u: code object version %u, want %u", c->abi, co.co_version,
				 c->co_version);
		if (co.generic_version != c->generic_version)
			fail_msg("flags 0x%x: generic version %u, want %u", c->flags,
				 co.generic_version, c->generic_version);
		assert_int_equal(co.e_flags, c->flags);
		assert_int_equal(co.mach, c->flags & 0xff);
		assert_int_equal(co.osabi, 64);
		assert_int_equal(co.abi_version, c->abi);
		assert_null(co.kernels);
		free(h);
	}
}

static void test_header_fields(void **state)
{
	(void)state;
	Elf64_Ehdr h;
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };

	fill_ehdr(&h, ABI_V4, 0x73f);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, &err), 0);
	assert_int_equal(co.tid.xnack, RMCP_FEAT_ON);
	assert_int_equal(co.tid.sramecc, RMCP_FEAT_UNSPEC);
	assert_non_null(co.tid.target);
	assert_string_equal(co.tid.target->name, "gfx90a");

	fill_ehdr(&h, ABI_V6, 0x01000052);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, &err), 0);
	assert_non_null(co.tid.target);
	assert_true(co.tid.target->is_generic);
	assert_int_equal(co.generic_version, 1);

	fill_ehdr(&h, ABI_V4, 0x0ee);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, &err), 0);
	assert_string_equal(co.tid.proc, "");
	assert_null(co.tid.target);

	/* V2: co_version 2 (EI_ABIVERSION 0). */
	fill_ehdr(&h, ABI_V2, 0x02c);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, &err), 0);
	assert_int_equal(co.co_version, 2);

	/* Not HSA (65 = PAL): no HSA code object version. */
	fill_ehdr(&h, ABI_V4, 0x036);
	h.e_ident[EI_OSABI] = 65;
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, &err), 0);
	assert_int_equal(co.osabi, 65);
	assert_int_equal(co.co_version, 0);
	assert_int_equal(err.code, 0);
}

static void test_target_small_buffer(void **state)
{
	(void)state;
	Elf64_Ehdr h;
	struct rmcp_codeobj co;
	char buf[32];
	fill_ehdr(&h, ABI_V4, 0x73f);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, NULL), 0);
	memset(buf, 'Z', sizeof(buf));
	assert_true(rmcp_codeobj_target(&co, buf, 13) < 0);	/* "gfx90a:xnack+" is 13 */
	assert_int_equal(buf[13], 'Z');
	fill_ehdr(&h, ABI_V4, 0x0ee);
	assert_int_equal(rmcp_codeobj_header(&h, sizeof(h), &co, NULL), 0);
	memset(buf, 'Z', sizeof(buf));
	assert_true(rmcp_codeobj_target(&co, buf, 10) < 0);
	assert_int_equal(buf[10], 'Z');
}

static void expect_header_error(const Elf64_Ehdr *h, size_t len, int want, const char *what)
{
	uint8_t *d = malloc(len ? len : 1);
	assert_non_null(d);
	memcpy(d, h, len);
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	int rc = rmcp_codeobj_header(d, len, &co, &err);
	bool is = rmcp_is_codeobj(d, len);
	free(d);
	if (rc != want)
		fail_msg("%s: rc %d (%s), want %d", what, rc, err.msg, want);
	assert_int_equal(err.code, want);
	assert_false(is);
}

static void test_header_errors(void **state)
{
	(void)state;
	Elf64_Ehdr h;
	fill_ehdr(&h, ABI_V4, 0x036);
	assert_true(rmcp_is_codeobj(&h, sizeof(h)));

	h.e_machine = EM_X86_64;
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "x86-64 ELF");
	h.e_machine = 0;
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "e_machine 0");
	h.e_machine = 224 << 8;	/* 224 in the wrong byte */
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "e_machine byte-swapped");

	fill_ehdr(&h, ABI_V4, 0x036);
	h.e_ident[EI_CLASS] = ELFCLASS32;
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "ELF32");

	fill_ehdr(&h, ABI_V4, 0x036);
	h.e_ident[EI_DATA] = ELFDATA2MSB;
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "big-endian");

	fill_ehdr(&h, ABI_V4, 0x036);
	h.e_ident[0] = 0;
	expect_header_error(&h, sizeof(h), -RMCP_E_FORMAT, "no ELF magic");

	fill_ehdr(&h, ABI_V4, 0x036);
	for (size_t n = 0; n < sizeof(h); n++)
		expect_header_error(&h, n, -RMCP_E_TRUNC, "short header");
}

/* ---- kernel listing ------------------------------------------------------------------ */

static void test_kernels_foo(void **state)
{
	(void)state;
	static const struct sym syms[] = {
		{ "foo.kd", STT_OBJECT },
		{ "foo", STT_FUNC },
		{ "bar", STT_FUNC },	/* a device function: no descriptor, not a kernel */
	};
	struct out o;
	build_elf(&o, 0x036, syms, ARRAY_SIZE(syms));
	uint8_t *d = malloc(o.len);
	assert_non_null(d);
	memcpy(d, o.buf, o.len);

	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	int rc = rmcp_codeobj_parse(d, o.len, true, &co, &err);
	if (rc != 0)
		fail_msg("parse: %s", err.msg);
	assert_int_equal(co.n_kernels, 1);
	assert_string_equal(co.kernels[0], "foo");
	assert_int_equal(co.co_version, 5);
	rmcp_codeobj_release(&co);
	assert_null(co.kernels);
	assert_int_equal(co.n_kernels, 0);

	/* Without want_kernels, nothing is listed. */
	assert_int_equal(rmcp_codeobj_parse(d, o.len, false, &co, &err), 0);
	assert_int_equal(co.n_kernels, 0);
	assert_null(co.kernels);
	rmcp_codeobj_release(&co);
	free(d);
}

static void test_kernels_sorted_and_filtered(void **state)
{
	(void)state;
	static const struct sym syms[] = {
		{ "zeta.kd", STT_OBJECT },
		{ "zeta", STT_FUNC },
		{ "beta.kd", STT_FUNC },	/* wrong type for a kernel descriptor */
		{ "alpha.kd", STT_OBJECT },
		{ "alpha", STT_FUNC },
		{ "gamma.kd.cold", STT_OBJECT },	/* ".kd" not at the end */
		{ "_Z6kernelPfi.kd", STT_OBJECT },	/* mangled names are kept as written */
		{ "data", STT_OBJECT },
	};
	struct out o;
	build_elf(&o, 0x133, syms, ARRAY_SIZE(syms));
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	int rc = rmcp_codeobj_parse(o.buf, o.len, true, &co, &err);
	if (rc != 0)
		fail_msg("parse: %s", err.msg);
	assert_int_equal(co.n_kernels, 3);
	/* sorted (codeobj.h), by strcmp: '_' (0x5f) sorts before lowercase letters */
	assert_string_equal(co.kernels[0], "_Z6kernelPfi");
	assert_string_equal(co.kernels[1], "alpha");
	assert_string_equal(co.kernels[2], "zeta");
	rmcp_codeobj_release(&co);
}

static void test_kernels_none(void **state)
{
	(void)state;
	/* A symtab without kernels, and a bare header with no sections at all. */
	static const struct sym syms[] = { { "helper", STT_FUNC } };
	struct out o;
	build_elf(&o, 0x036, syms, ARRAY_SIZE(syms));
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	assert_int_equal(rmcp_codeobj_parse(o.buf, o.len, true, &co, &err), 0);
	assert_int_equal(co.n_kernels, 0);
	rmcp_codeobj_release(&co);

	Elf64_Ehdr h;
	fill_ehdr(&h, ABI_V4, 0x036);
	assert_int_equal(rmcp_codeobj_parse(&h, sizeof(h), true, &co, &err), 0);
	assert_int_equal(co.n_kernels, 0);
	rmcp_codeobj_release(&co);
}

/* Every truncation of a code object with kernels: no crash, and nothing invented. */
static void test_kernels_truncated(void **state)
{
	(void)state;
	static const struct sym syms[] = {
		{ "foo.kd", STT_OBJECT },
		{ "foo", STT_FUNC },
		{ "bar", STT_FUNC },
	};
	struct out o;
	build_elf(&o, 0x036, syms, ARRAY_SIZE(syms));
	for (size_t n = 0; n < o.len; n++) {
		uint8_t *d = malloc(n ? n : 1);
		assert_non_null(d);
		memcpy(d, o.buf, n);
		struct rmcp_codeobj co;
		struct rmcp_err err = { 0 };
		int rc = rmcp_codeobj_parse(d, n, true, &co, &err);
		if (n < 64)
			assert_int_equal(rc, -RMCP_E_TRUNC);
		if (rc == 0) {
			assert_true(co.n_kernels <= 1);
			if (co.n_kernels)
				assert_string_equal(co.kernels[0], "foo");
			rmcp_codeobj_release(&co);
		} else {
			assert_int_equal(err.code, rc);
			assert_null(co.kernels);
		}
		free(d);
	}
}

/* A section header table pointing outside the file must not be followed. */
static void test_kernels_bad_section_table(void **state)
{
	(void)state;
	static const struct sym syms[] = { { "foo.kd", STT_OBJECT } };
	struct out o;
	build_elf(&o, 0x036, syms, ARRAY_SIZE(syms));
	Elf64_Ehdr h;
	memcpy(&h, o.buf, sizeof(h));

	static const uint64_t bad_shoff[] = { UINT64_MAX - 10, 1ULL << 40, 0 };
	for (size_t k = 0; k < ARRAY_SIZE(bad_shoff); k++) {
		Elf64_Ehdr b = h;
		b.e_shoff = bad_shoff[k];
		if (bad_shoff[k] == 0)
			b.e_shnum = 0xffff;	/* huge count from offset 0 */
		memcpy(o.buf, &b, sizeof(b));
		uint8_t *d = malloc(o.len);
		assert_non_null(d);
		memcpy(d, o.buf, o.len);
		struct rmcp_codeobj co;
		struct rmcp_err err = { 0 };
		int rc = rmcp_codeobj_parse(d, o.len, true, &co, &err);
		if (rc == 0) {
			assert_true(co.n_kernels <= 1);
			rmcp_codeobj_release(&co);
		}
		free(d);
	}

	/* The symtab's size past the end of the file. */
	build_elf(&o, 0x036, syms, ARRAY_SIZE(syms));
	Elf64_Shdr sh;
	memcpy(&sh, o.buf + h.e_shoff + 3 * sizeof(Elf64_Shdr), sizeof(sh));
	sh.sh_size = 1ULL << 32;
	memcpy(o.buf + h.e_shoff + 3 * sizeof(Elf64_Shdr), &sh, sizeof(sh));
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	if (rmcp_codeobj_parse(o.buf, o.len, true, &co, &err) == 0)
		rmcp_codeobj_release(&co);
}

/*
 * Code object V2 names its ISA in a note (AMDGPUUsage "Code Object V2 Note Records"): owner
 * "AMD", type NT_AMD_HSA_ISA_VERSION = 3, desc = u16 vendor_size, u16 arch_size, u32 major,
 * u32 minor, u32 stepping, "AMD\0", "AMDGPU\0". EF_AMDGPU_MACH may be 0.
 */
static size_t v2_isa_note(uint8_t *buf, uint32_t major, uint32_t minor, uint32_t step)
{
	static const char vendor[] = "AMD", arch[] = "AMDGPU";
	uint8_t desc[4 + 12 + sizeof(vendor) + sizeof(arch)];
	uint16_t vs = sizeof(vendor), as = sizeof(arch);
	memcpy(desc, &vs, 2);
	memcpy(desc + 2, &as, 2);
	memcpy(desc + 4, &major, 4);
	memcpy(desc + 8, &minor, 4);
	memcpy(desc + 12, &step, 4);
	memcpy(desc + 16, vendor, sizeof(vendor));
	memcpy(desc + 16 + sizeof(vendor), arch, sizeof(arch));
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = sizeof(desc), .n_type = 3 };
	size_t len = 0;
	memcpy(buf, &nh, sizeof(nh));
	len += sizeof(nh);
	memcpy(buf + len, "AMD", 4);	/* name "AMD\0", already 4-aligned */
	len += 4;
	memcpy(buf + len, desc, sizeof(desc));
	len += (sizeof(desc) + 3) / 4 * 4;
	return len;
}

static void test_v2_isa_note(void **state)
{
	(void)state;
	static const struct sym syms[] = { { "foo", STT_FUNC } };
	uint8_t note[64];
	memset(note, 0, sizeof(note));
	size_t nl = v2_isa_note(note, 8, 0, 3);	/* 8.0.3 = gfx803 (kfd 80003) */
	struct out o;
	build_elf_note(&o, ABI_V2, 0, syms, ARRAY_SIZE(syms), note, nl);
	struct rmcp_codeobj co;
	struct rmcp_err err = { 0 };
	char buf[64];
	assert_int_equal(rmcp_codeobj_parse(o.buf, o.len, false, &co, &err), 0);
	assert_int_equal(co.co_version, 2);
	assert_true(rmcp_codeobj_target(&co, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "gfx803");
	rmcp_codeobj_release(&co);

	/* 9.0.10 = gfx90a: minor and stepping are decimal fields here. */
	nl = v2_isa_note(note, 9, 0, 10);
	build_elf_note(&o, ABI_V2, 0, syms, ARRAY_SIZE(syms), note, nl);
	assert_int_equal(rmcp_codeobj_parse(o.buf, o.len, true, &co, &err), 0);
	assert_true(rmcp_codeobj_target(&co, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "gfx90a");
	rmcp_codeobj_release(&co);

	/* An ISA version no processor has: stays unknown, never guessed. */
	nl = v2_isa_note(note, 9, 9, 9);
	build_elf_note(&o, ABI_V2, 0, syms, ARRAY_SIZE(syms), note, nl);
	assert_int_equal(rmcp_codeobj_parse(o.buf, o.len, false, &co, &err), 0);
	assert_true(rmcp_codeobj_target(&co, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "unknown-mach-0x00");
	rmcp_codeobj_release(&co);

	/* Truncated descriptor: no crash, no target. */
	nl = v2_isa_note(note, 8, 0, 3);
	Elf64_Nhdr nh;
	memcpy(&nh, note, sizeof(nh));
	nh.n_descsz = 8;
	memcpy(note, &nh, sizeof(nh));
	build_elf_note(&o, ABI_V2, 0, syms, ARRAY_SIZE(syms), note, nl);
	assert_int_equal(rmcp_codeobj_parse(o.buf, o.len, false, &co, &err), 0);
	assert_string_equal(co.tid.proc, "");
	rmcp_codeobj_release(&co);
}

static void test_scan_code_object(void **state)
{
	(void)state;
	static const struct sym syms[] = {
		{ "foo.kd", STT_OBJECT },
		{ "foo", STT_FUNC },
		{ "bar", STT_FUNC },
	};
	struct out o;
	build_elf(&o, 0x73f, syms, ARRAY_SIZE(syms));
	struct rmcp_scan_opts opts = { .kernels = true };
	struct rmcp_file f;
	assert_int_equal(rmcp_scan_buffer(o.buf, o.len, "k.hsaco", &opts, &f), 0);
	if (f.error)
		fail_msg("scan: %s", f.error);
	assert_int_equal(f.format, RMCP_FMT_CODE_OBJECT);
	assert_int_equal(f.n_targets, 1);
	assert_string_equal(f.targets[0], "gfx90a:xnack+");
	assert_int_equal(f.n_kernels, 1);
	assert_string_equal(f.kernels[0], "foo");
	assert_int_equal(f.n_entries, 1);
	assert_true(f.entries[0].have_elf);
	assert_int_equal(f.entries[0].co_version, 5);
	assert_int_equal(f.entries[0].e_flags, 0x73f);
	rmcp_file_release(&f);

	/* Unknown MACH: reported by value, with a note. */
	Elf64_Ehdr h;
	fill_ehdr(&h, ABI_V4, 0x0ee);
	assert_int_equal(rmcp_scan_buffer(&h, sizeof(h), "x.co", NULL, &f), 0);
	assert_int_equal(f.format, RMCP_FMT_CODE_OBJECT);
	assert_int_equal(f.n_targets, 1);
	assert_string_equal(f.targets[0], "unknown-mach-0xee");
	assert_non_null(f.note);
	rmcp_file_release(&f);

	/* An x86-64 ELF is a host file, not a code object. */
	fill_ehdr(&h, ABI_V4, 0);
	h.e_machine = EM_X86_64;
	h.e_ident[EI_OSABI] = 0;
	assert_int_equal(rmcp_scan_buffer(&h, sizeof(h), "a.out", NULL, &f), 0);
	assert_int_equal(f.format, RMCP_FMT_ELF);
	assert_int_equal(f.n_targets, 0);
	rmcp_file_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_cases),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_target_small_buffer),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_kernels_foo),
		cmocka_unit_test(test_kernels_sorted_and_filtered),
		cmocka_unit_test(test_kernels_none),
		cmocka_unit_test(test_kernels_truncated),
		cmocka_unit_test(test_kernels_bad_section_table),
		cmocka_unit_test(test_v2_isa_note),
		cmocka_unit_test(test_scan_code_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
