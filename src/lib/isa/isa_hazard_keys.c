/* SPDX-License-Identifier: MIT */
/*
 * Properties of every gfx10 instruction key for the hazard detectors, derived once from
 * the fast path's table (format + the mnemonic LLVM 19 prints). The categories are LLVM's
 * SIInstrInfo::isVALU/isSALU/isSMRD/isVMEM/isFLAT/isDS and the register operands the
 * detectors compare (LLVM 19.1.7, SIInstrInfo.h, *Instructions.td); and the classes' names
 * (LLVM's subtarget feature names) and fixes.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "isa_hazard.h"
#include "isa_table.h"
#include "banned.h"

/* ---- classes ---- */

static const char *const names[RMCP_ISA_HZ_NCLASSES] = {
	"vmem-to-scalar-write-hazard", "smem-to-vector-write-hazard", "vcmpx-exec-war-hazard",
	"vcmpx-permlane-hazard", "lds-branch-vmem-war-hazard", "nsa-to-vmem-bug", "nsa-clause-bug",
	"offset-3f-bug", "flat-segment-offset-bug", "inst-fwd-prefetch-bug",
	"negative-unaligned-scratch-offset-bug", "lds-misaligned-bug",
};

static const char *const fixes[RMCP_ISA_HZ_NCLASSES] = {
	"s_waitcnt_depctr 0xffe3 (vm_vsrc(0)) before the scalar write",
	"s_mov_b32 null, 0 before the VALU write",
	"s_waitcnt_depctr 0xfffe (sa_sdst(0)) before the EXEC write",
	"v_mov_b32 vN, vN (the permlane's src0) before the permlane",
	"s_waitcnt_vscnt null, 0 before the access",
	"s_nop 0 between the MIMG-NSA and the buffer access",
	"no s_clause around MIMG-NSA instructions",
	"s_nop 0 after the branch (a *_pad_s_nop branch), so the offset is not 0x3f",
	"offset 0, the offset added to the address with VALU adds",
	"no s_inst_prefetch (and no loop alignment for it)",
	"offset folded into the address register",
	"split into naturally aligned dword accesses (ds_read2_b32/ds_write2_b32, ...)",
};

const char *rmcp_isa_hazard_name(enum rmcp_isa_hazard_class c)
{
	return (unsigned)c < RMCP_ISA_HZ_NCLASSES ? names[c] : NULL;
}

const char *rmcp_isa_hazard_fix(enum rmcp_isa_hazard_class c)
{
	return (unsigned)c < RMCP_ISA_HZ_NCLASSES ? fixes[c] : NULL;
}

int rmcp_isa_hazard_from_name(const char *name)
{
	for (int i = 0; i < RMCP_ISA_HZ_NCLASSES; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---- key properties ---- */

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool has(const char *s, const char *p)
{
	return strstr(s, p) != NULL;
}

/* Mnemonic without the _e32/_e64/_dpp/_sdwa suffix matches `base`. */
static bool is_op(const char *m, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(m, base, n) != 0)
		return false;
	return m[n] == '\0' || strcmp(m + n, "_e32") == 0 || strcmp(m + n, "_e64") == 0 ||
	       strcmp(m + n, "_dpp") == 0 || strcmp(m + n, "_sdwa") == 0;
}

static uint8_t smem_width(const char *m)
{
	if (has(m, "x16"))
		return 16;
	if (has(m, "x8"))
		return 8;
	if (has(m, "x4"))
		return 4;
	if (has(m, "x2") || has(m, "memtime") || has(m, "memrealtime"))
		return 2;
	return 1;
}

static uint8_t alu_of(const char *m)
{
	static const struct {
		const char *base;
		uint8_t alu;
	} t[] = {
		{ "v_mov_b32", HA_MOV }, { "v_add_nc_u32", HA_ADD }, { "v_add_u32", HA_ADD },
		{ "v_add_co_u32", HA_ADD }, { "v_sub_nc_u32", HA_ADD }, { "v_and_b32", HA_AND },
		{ "v_or_b32", HA_OR }, { "v_xor_b32", HA_OR }, { "v_lshlrev_b32", HA_SHLREV },
		{ "v_lshl_add_u32", HA_SHL_ADD }, { "v_lshl_or_b32", HA_SHL_OR },
		{ "v_mul_u32_u24", HA_MUL }, { "v_mul_lo_u32", HA_MUL }, { "v_mad_u32_u24", HA_MAD },
		{ "v_add3_u32", HA_ADD3 }, { "v_and_or_b32", HA_AND_OR }, { "v_cndmask_b32", HA_CND },
		{ "s_mov_b32", HA_MOV }, { "s_movk_i32", HA_MOVK }, { "s_add_u32", HA_ADD },
		{ "s_add_i32", HA_ADD }, { "s_and_b32", HA_AND }, { "s_or_b32", HA_OR },
		{ "s_lshl_b32", HA_SHL }, { "s_mul_i32", HA_MUL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (is_op(m, t[i].base))
			return t[i].alu;
	return HA_NONE;
}

/* DS accesses wider than a dword, by natural alignment (LLVM's PowerOf2Ceil(Size/8));
 * 0x80: two accesses whose offsets count in elements (read2/write2), always aligned. */
static uint8_t ds_wide(const char *m)
{
	static const struct {
		const char *m;
		uint8_t align;
	} t[] = {
		{ "ds_read_b64", 8 }, { "ds_write_b64", 8 }, { "ds_read2_b64", 8 | 0x80 }, { "ds_write2_b64", 8 | 0x80 },
		{ "ds_read2st64_b64", 8 | 0x80 }, { "ds_write2st64_b64", 8 | 0x80 }, { "ds_read_b96", 16 },
		{ "ds_write_b96", 16 }, { "ds_read_b128", 16 }, { "ds_write_b128", 16 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(m, t[i].m) == 0)
			return t[i].align;
	return 0;
}

static void classify(enum rmcp_g10_fmt fmt, uint32_t key, const char *m, struct hz_key *k)
{
	uint32_t f = 0;
	k->width = 0;
	k->alu = alu_of(m);
	switch (fmt) {
	case RMCP_G10_SOP1:
	case RMCP_G10_SOP2:
	case RMCP_G10_SOPK:
		f |= HK_SALU | HK_SDEF;
		if (starts(m, "s_setpc") || starts(m, "s_rfe") || starts(m, "s_cbranch") || starts(m, "s_set_gpr_idx") ||
		    starts(m, "s_version") || starts(m, "s_cmpk") || starts(m, "s_setreg") || starts(m, "s_waitcnt") ||
		    starts(m, "s_sleep_var") || starts(m, "s_setvskip"))
			f &= ~(uint32_t)HK_SDEF;
		k->width = (has(m, "_b64") || has(m, "_u64") || has(m, "_i64")) && !has(m, "_i32_b64") ? 2 : 1;
		if (has(m, "saveexec") || has(m, "wrexec"))
			f |= HK_EXEC_READ;
		if (starts(m, "s_setpc"))
			f |= HK_END;
		break;
	case RMCP_G10_SOPC:
		f |= HK_SALU;
		break;
	case RMCP_G10_SOPP:
		f |= HK_SALU;
		if (starts(m, "s_branch") || starts(m, "s_cbranch_"))
			f |= HK_BRANCH;
		if (starts(m, "s_branch") || starts(m, "s_endpgm") || starts(m, "s_code_end"))
			f |= HK_END;
		if (starts(m, "s_cbranch_exec"))
			f |= HK_EXEC_READ;
		break;
	case RMCP_G10_SMEM:
		f |= HK_SMEM;
		k->width = smem_width(m);
		if (has(m, "load") || has(m, "memtime") || has(m, "memrealtime") || has(m, "get_waveid"))
			f |= HK_SDEF;
		if (has(m, "store"))
			f |= HK_SMEM_STORE;
		if (has(m, "atomic"))
			f |= HK_SMEM_ATOMIC | HK_SMEM_STORE;
		if (has(m, "memtime") || has(m, "memrealtime") || has(m, "dcache") || has(m, "gl1_inv") ||
		    has(m, "get_waveid"))
			f |= HK_SMEM_NOBASE;
		if (starts(m, "s_buffer"))
			f |= HK_SAMPLE;	/* for SMEM: the base is a 4-SGPR buffer descriptor */
		break;
	case RMCP_G10_VOP1:
	case RMCP_G10_VOP2:
	case RMCP_G10_VOPC:
	case RMCP_G10_VOP3:
	case RMCP_G10_VOP3P:
	case RMCP_G10_VINTRP:
		f |= HK_VALU;
		if (fmt == RMCP_G10_VOPC || (fmt == RMCP_G10_VOP3 && key < 0x100 && starts(m, "v_cmp")))
			f |= HK_CMP;
		if (starts(m, "v_cmpx"))
			f |= HK_CMPX;
		if (fmt == RMCP_G10_VOP3 &&
		    (is_op(m, "v_add_co_u32") || is_op(m, "v_sub_co_u32") || is_op(m, "v_subrev_co_u32") ||
		     is_op(m, "v_add_co_ci_u32") || is_op(m, "v_sub_co_ci_u32") || is_op(m, "v_subrev_co_ci_u32") ||
		     starts(m, "v_div_scale") || starts(m, "v_mad_u64_u32") || starts(m, "v_mad_i64_i32")))
			f |= HK_VOP3B;
		if (fmt == RMCP_G10_VOP2 && has(m, "_co_"))
			f |= HK_VCC_CARRY;
		if (is_op(m, "v_nop"))
			f |= HK_VNOP;
		if (starts(m, "v_permlane"))
			f |= HK_PERMLANE;
		if (starts(m, "v_readlane") || starts(m, "v_readfirstlane"))
			f |= HK_READLANE;
		if ((has(m, "64") && !starts(m, "v_cmp")) || has(m, "_f64"))
			f |= HK_WIDE64;
		break;
	case RMCP_G10_DS:
		f |= HK_DS;
		k->width = ds_wide(m);
		if (has(m, "gws") || has(m, "ordered_count") || has(m, "append") || has(m, "consume") ||
		    has(m, "addtid"))
			f |= HK_M0;
		if (!has(m, "write") || has(m, "rtn") || has(m, "wrxchg"))
			f |= HK_LOADS;
		break;
	case RMCP_G10_FLAT:
		f |= HK_FLAT;
		if (!has(m, "store"))
			f |= HK_LOADS;
		break;
	case RMCP_G10_MUBUF:
	case RMCP_G10_MTBUF:
	case RMCP_G10_MIMG:
		f |= HK_VMEM;
		if (has(m, "sample") || has(m, "gather4") || has(m, "get_lod"))
			f |= HK_SAMPLE;
		if (!has(m, "store"))
			f |= HK_LOADS;
		break;
	case RMCP_G10_EXP:
		f |= HK_EXP;
		break;
	case RMCP_G10_UNKNOWN:
	case RMCP_G10_NFMT:
		break;
	}
	k->flags = f;
	k->fx = rmcp_hz_key_fx(f);
}

/* Key properties depend only on the code's ISA class, so they are worked out once per
 * class per process (a scan meets the same class in every bundle of a library) and kept;
 * publishing is one compare-and-swap, so threads (the guard's) may race to build them. */
#define HZ_CACHED_CLASSES 16
static _Atomic(struct hz_key *) cached[HZ_CACHED_CLASSES];

static struct hz_key *build_keys(const struct rmcp_isa_fast *fast, size_t nkeys)
{
	struct hz_key *keys = calloc(nkeys + 1, sizeof(*keys));	/* [nkeys]: no properties */
	if (!keys)
		return NULL;
	for (int fmt = 0; fmt < RMCP_G10_NFMT; fmt++)
		for (uint32_t key = 0; key < rmcp_g10_fmt_keys((enum rmcp_g10_fmt)fmt); key++) {
			size_t g = (size_t)rmcp_g10_fmt_base[fmt] + key;
			const char *m = g < nkeys ? rmcp_isa_fast_key_mnemonic(fast, g) : "";
			if (m[0])
				classify((enum rmcp_g10_fmt)fmt, key, m, &keys[g]);
		}
	return keys;
}

/* The filter's step table is the same for every code object: built once per process and
 * kept, published like the keys. */
static _Atomic(uint8_t *) step_cached;

static const uint8_t *step_table(void)
{
	uint8_t *t = atomic_load(&step_cached);
	if (t)
		return t;
	if (!(t = malloc(1u << 14)))
		return NULL;
	rmcp_hz_step_table(t);
	uint8_t *none = NULL;
	if (!atomic_compare_exchange_strong(&step_cached, &none, t)) {
		free(t);	/* another thread published first */
		t = none;
	}
	return t;
}

int rmcp_isa_hz_open(const struct rmcp_isa_fast *fast, struct rmcp_isa_hz **out)
{
	struct rmcp_isa_hz *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->fast = fast;
	h->nkeys = rmcp_isa_fast_nkeys(fast);
	if (!(h->step = step_table())) {
		free(h);
		return -ENOMEM;
	}
	unsigned cls = rmcp_isa_fast_code_class(fast);
	struct hz_key *keys = cls < HZ_CACHED_CLASSES ? atomic_load(&cached[cls]) : NULL;
	if (!keys) {
		if (!(keys = build_keys(fast, h->nkeys))) {
			free(h);
			return -ENOMEM;
		}
		struct hz_key *none = NULL;
		if (cls < HZ_CACHED_CLASSES && !atomic_compare_exchange_strong(&cached[cls], &none, keys)) {
			free(keys);	/* another thread published first: use its table */
			keys = none;
		} else if (cls >= HZ_CACHED_CLASSES) {
			h->owned = keys;
		}
	}
	h->keys = keys;
	h->memo = &h->own;
	*out = h;
	return 0;
}

void rmcp_isa_hz_close(struct rmcp_isa_hz *h)
{
	if (h) {
		rmcp_hz_arena_release(&h->arena);
		free(h->own.slot);
		free(h->own.entry);
		free(h->owned);
		free(h);
	}
}
