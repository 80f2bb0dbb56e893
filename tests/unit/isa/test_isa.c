/* SPDX-License-Identifier: MIT */
/*
 * ISA checker units: the instruction splitter against encodings llvm-mc-19 printed
 * (research/binaries.md §4.2 and `llvm-mc-19 -show-encoding`), XXH64 against the
 * specification's published values, the cache encoding (round trip, every truncation and
 * corruption rejected cleanly), XDG cache paths, and bad input to rmcp_isa_check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "isa.h"
#include "isa_gfx10.h"

static void test_split(void **state)
{
	(void)state;
	struct rmcp_g10_split s;
	/* v_dot4c_i32_i8 v3, v1, v2 = 0x1a060501: VOP2 opcode 0x0d, e32 */
	rmcp_g10_split(0x1a060501, 0, &s);
	assert_int_equal(s.fmt, RMCP_G10_VOP2);
	assert_int_equal(s.key, 0x0d * 4 + RMCP_G10_E32);
	assert_int_equal(s.words, 1);
	/* v_mov_b32_dpp v0, v1 quad_perm... = fa 02 00 7e | 01 e4 00 ff: VOP1 op 1, DPP */
	rmcp_g10_split(0x7e0002fa, 0xff00e401, &s);
	assert_int_equal(s.fmt, RMCP_G10_VOP1);
	assert_int_equal(s.key, 1 * 4 + RMCP_G10_DPP);
	assert_int_equal(s.words, 2);
	/* v_fma_legacy_f32 = d5400000 040e0501: VOP3 opcode 0x140 */
	rmcp_g10_split(0xd5400000, 0x040e0501, &s);
	assert_int_equal(s.fmt, RMCP_G10_VOP3);
	assert_int_equal(s.key, 0x140);
	assert_int_equal(s.nsrc, 3);
	/* s_getreg_b32 s0, hwreg(HW_REG_SHADER_CYCLES, 0, 20) = 0xb900981d: SOPK opcode 0x12 */
	rmcp_g10_split(0xb900981d, 0, &s);
	assert_int_equal(s.fmt, RMCP_G10_SOPK);
	assert_int_equal(s.key, 0x12);
	/* s_setreg_imm32_b32 = 0xba80f801: SOPK 0x15; s_sendmsg = 0xbf90000b: SOPP 0x10 */
	rmcp_g10_split(0xba80f801, 0, &s);
	assert_int_equal(s.fmt, RMCP_G10_SOPK);
	assert_int_equal(s.key, 0x15);
	rmcp_g10_split(0xbf90000b, 0, &s);
	assert_int_equal(s.fmt, RMCP_G10_SOPP);
	assert_int_equal(s.key, 0x10);
	/* scratch_load_dword v1, off, off = dc304000 017f0000: FLAT op 0x0c, seg 1 (scratch) */
	rmcp_g10_split(0xdc304000, 0x017f0000, &s);
	assert_int_equal(s.fmt, RMCP_G10_FLAT);
	assert_int_equal(s.key, 0x0c * 8 + 1 * 2 + 0);
	/* buffer_atomic_csub ... s3 = e0d04fff 03020500: MUBUF op 0x34, soffset field s3 */
	rmcp_g10_split(0xe0d04fff, 0x03020500, &s);
	assert_int_equal(s.fmt, RMCP_G10_MUBUF);
	assert_int_equal(s.key, 0x34 * 2);
	assert_int_equal(s.src[0], 3);
	/* s_endpgm = 0xbf810000: SOPP 1; v_illegal 0x00000000: VOP2 op 0 */
	rmcp_g10_split(0xbf810000, 0, &s);
	assert_int_equal(s.fmt, RMCP_G10_SOPP);
	assert_int_equal(s.key, 1);
	/* every key set by rmcp_g10_set_key splits back to itself, for every format */
	for (int f = 0; f < RMCP_G10_UNKNOWN; f++) {
		for (uint32_t k = 0; k < rmcp_g10_fmt_keys((enum rmcp_g10_fmt)f); k++) {
			uint32_t w[2] = { 0, 0 };
			if (f == RMCP_G10_SOP2 && k >= 0x60)
				continue;	/* SOPK/SOP1/SOPC/SOPP live in that part of SOP2's space */
			if ((f == RMCP_G10_VOP2 && (k >> 2) >= 0x3e))
				continue;	/* VOPC and VOP1 prefixes */
			if (f == RMCP_G10_SOPK && k >= 0x1d)
				continue;	/* SOP1, SOPC and SOPP prefixes */
			rmcp_g10_set_key((enum rmcp_g10_fmt)f, k, w);
			rmcp_g10_split(w[0], w[1], &s);
			assert_int_equal(s.fmt, f);
			assert_int_equal(s.key, k);
		}
	}
}

static void test_xxh64(void **state)
{
	(void)state;
	/* xxHash reference values (xxhsum -H1; also checked against Debian's xxhsum by
	 * tests/integration/test_isa.c on real files). */
	assert_true(rmcp_xxh64("", 0, 0) == 0xef46db3751d8e999ull);
	assert_true(rmcp_xxh64("a", 1, 0) == 0xd24ec4f1a98c6e5bull);
	assert_true(rmcp_xxh64("abc", 3, 0) == 0x44bc2cf5ad770999ull);
}

static struct rmcp_isa_report sample(void)
{
	struct rmcp_isa_report r;
	memset(&r, 0, sizeof(r));
	snprintf(r.code_target, sizeof(r.code_target), "gfx1030");
	snprintf(r.real_target, sizeof(r.real_target), "gfx1010");
	snprintf(r.workarounds, sizeof(r.workarounds), "vcmpx-permlane-hazard nsa-to-vmem-bug");
	r.needs_workarounds = true;
	r.verdict = RMCP_ISA_INVALID;
	r.n_insns = 12;
	r.n_invalid = 1;
	r.n_kernels = 2;
	r.kernels = calloc(2, sizeof(*r.kernels));
	r.kernels[0].name = strdup("a_kernel");
	r.kernels[0].is_kernel = true;
	r.kernels[0].verdict = RMCP_ISA_INVALID;
	r.kernels[0].n_invalid = 1;
	r.kernels[0].has_first = true;
	r.kernels[0].first.addr = 0x1900;
	r.kernels[0].first.kind = RMCP_ISA_INSN_INVALID;
	r.kernels[0].first.len = 4;
	memcpy(r.kernels[0].first.bytes, "\x01\x05\x06\x1a", 4);
	snprintf(r.kernels[0].first.text, sizeof(r.kernels[0].first.text), "v_dot4c_i32_i8 v3, v1, v2");
	r.kernels[1].name = strdup("b_function");
	r.kernels[1].verdict = RMCP_ISA_UNVERIFIED;
	r.kernels_by_verdict[RMCP_ISA_INVALID] = 1;
	r.kernels_by_verdict[RMCP_ISA_UNVERIFIED] = 1;
	return r;
}

static void test_encode_roundtrip(void **state)
{
	(void)state;
	struct rmcp_isa_report r = sample(), d;
	void *buf;
	size_t len;
	struct rmcp_err err;
	assert_int_equal(rmcp_isa_report_encode(&r, &buf, &len), 0);
	assert_int_equal(rmcp_isa_report_decode(buf, len, &d, &err), 0);
	assert_string_equal(d.code_target, "gfx1030");
	assert_string_equal(d.workarounds, r.workarounds);
	assert_int_equal(d.n_kernels, 2);
	assert_string_equal(d.kernels[0].name, "a_kernel");
	assert_true(d.kernels[0].has_first);
	assert_memory_equal(d.kernels[0].first.bytes, "\x01\x05\x06\x1a", 4);
	assert_string_equal(d.kernels[0].first.text, "v_dot4c_i32_i8 v3, v1, v2");
	assert_int_equal(d.kernels_by_verdict[RMCP_ISA_UNVERIFIED], 1);
	assert_non_null(rmcp_isa_find_kernel(&d, "b_function"));
	assert_null(rmcp_isa_find_kernel(&d, "c"));
	/* every strict prefix is rejected, never read past */
	for (size_t n = 0; n < len; n++) {
		struct rmcp_isa_report x;
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, buf, n);
		assert_true(rmcp_isa_report_decode(cut, n, &x, &err) < 0);
		free(cut);
	}
	/* trailing garbage, bad magic, an impossible verdict */
	uint8_t *more = malloc(len + 1);
	memcpy(more, buf, len);
	more[len] = 0;
	struct rmcp_isa_report x;
	assert_int_equal(rmcp_isa_report_decode(more, len + 1, &x, &err), -RMCP_E_FORMAT);
	more[0] = 'X';
	assert_int_equal(rmcp_isa_report_decode(more, len, &x, &err), -RMCP_E_FORMAT);
	memcpy(more, buf, len);
	more[9] = 9;
	assert_int_equal(rmcp_isa_report_decode(more, len, &x, &err), -RMCP_E_FORMAT);
	free(more);
	free(buf);
	rmcp_isa_report_release(&d);
	rmcp_isa_report_release(&r);
}

static void test_cache_files(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/rmcp-isa-XXXXXX", dir[512], key[RMCP_ISA_KEY_LEN];
	assert_non_null(mkdtemp(tmpl));
	assert_true(rmcp_isa_cache_dir(tmpl, "/home/u", dir, sizeof(dir)) > 0);
	assert_true(strstr(dir, "/rmcp/isa") != NULL);
	char d2[64];
	assert_true(rmcp_isa_cache_dir("relative", "/home/u", d2, sizeof(d2)) > 0);
	assert_string_equal(d2, "/home/u/.cache/rmcp/isa");	/* XDG: relative paths are ignored */
	assert_int_equal(rmcp_isa_cache_dir(NULL, NULL, d2, sizeof(d2)), -ENOENT);

	struct rmcp_target_id g1010, g1031;
	assert_int_equal(rmcp_target_id_parse("gfx1010", 7, &g1010, NULL), 0);
	assert_int_equal(rmcp_target_id_parse("gfx1031", 7, &g1031, NULL), 0);
	assert_int_equal(rmcp_isa_cache_key("abc", 3, &g1010, 0, key), 0);
	assert_int_equal(strlen(key), RMCP_ISA_KEY_LEN - 1);
	char key2[RMCP_ISA_KEY_LEN];
	assert_int_equal(rmcp_isa_cache_key("abc", 3, &g1031, 0, key2), 0);
	assert_string_not_equal(key, key2);	/* another GPU, another entry */
	assert_int_equal(rmcp_isa_cache_key("abd", 3, &g1010, 0, key2), 0);
	assert_string_not_equal(key, key2);

	struct rmcp_isa_report r = sample(), d;
	struct rmcp_err err;
	assert_int_equal(rmcp_isa_cache_load(dir, key, &d, &err), -ENOENT);
	assert_int_equal(rmcp_isa_cache_store(dir, key, &r, &err), 0);
	assert_int_equal(rmcp_isa_cache_load(dir, key, &d, &err), 0);
	assert_int_equal(d.n_kernels, 2);
	assert_int_equal(d.verdict, RMCP_ISA_INVALID);
	rmcp_isa_report_release(&d);
	/* a corrupt entry is an error, not a crash */
	char path[700];
	snprintf(path, sizeof(path), "%s/%s.isa", dir, key);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	assert_true(rmcp_isa_cache_load(dir, key, &d, &err) < 0);
	char bad[RMCP_ISA_KEY_LEN];
	memset(bad, '.', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	memcpy(bad, "../../etc/passwd", 16);
	assert_int_equal(rmcp_isa_cache_load(dir, bad, &d, &err), -EINVAL);
	unlink(path);
	rmcp_isa_report_release(&r);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct rmcp_target_id g;
	struct rmcp_isa_report r;
	struct rmcp_err err = { 0 };
	assert_int_equal(rmcp_target_id_parse("gfx1010", 7, &g, NULL), 0);
	assert_int_equal(rmcp_isa_check("", 0, &g, 0, &r, &err), -RMCP_E_TRUNC);
	uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 64 };
	assert_int_equal(rmcp_isa_check(elf, sizeof(elf), &g, 0, &r, &err), -RMCP_E_FORMAT);
	elf[18] = 224;	/* EM_AMDGPU, gfx1030, section table past the end */
	elf[48] = 0x36;
	elf[40] = 0xff;
	elf[60] = 3;
	elf[58] = 64;
	assert_int_equal(rmcp_isa_check(elf, sizeof(elf), &g, RMCP_ISA_FAST_ONLY, &r, &err), -RMCP_E_TRUNC);
	assert_true(strstr(err.msg, "section") != NULL);
	/* no sections at all: a valid, empty answer */
	elf[40] = 0;
	elf[60] = 0;
	assert_int_equal(rmcp_isa_check(elf, sizeof(elf), &g, RMCP_ISA_FAST_ONLY, &r, &err), 0);
	assert_int_equal(r.n_kernels, 0);
	assert_string_equal(r.code_target, "gfx1030");
	assert_true(r.needs_workarounds);
	rmcp_isa_report_release(&r);
	struct rmcp_isa_file f;
	assert_int_equal(rmcp_isa_check_buffer("__CLANG_OFFLOAD_BUNDLE__\xff", 25, &g, 0, &f), 0);
	assert_non_null(f.error);
	rmcp_isa_file_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_xxh64),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_cache_files),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
