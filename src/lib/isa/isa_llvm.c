/* SPDX-License-Identifier: MIT */
/*
 * The oracle: LLVM's AMDGPU disassembler through the LLVM-C API (llvm-c/Disassembler.h),
 * one context for the code object's processor and one for the real GPU's. An instruction is
 * invalid when LLVMDisasmInstruction returns 0 for the real GPU, differs when the two texts
 * (or lengths) differ. LLVM 19, not 22: LLVM-C 22 soft-fails valid gfx10.3 encodings
 * (research/binaries.md, Addendum). Built only when meson finds LLVM 19; else stubs.
 *
 * libLLVM is opened with dlopen on first use, not linked: it is a 130 MB library whose
 * loading and relocation cost every rmcp command ~10 ms of start-up, while only
 * `scan --isa-oracle` and the agreement tests need it. The headers give the types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "isa_gfx10.h"
#include "isa_internal.h"

#ifdef RMCP_HAVE_LLVM
#include <dlfcn.h>
#include <pthread.h>

#include <llvm-c/Core.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#endif

#include "banned.h"

#ifdef RMCP_HAVE_LLVM

struct rmcp_isa_oracle {
	LLVMDisasmContextRef code, real;
	bool gfx10;	/* both gfx10: screen words LLVM 19 crashes on (isa_gfx10.h) */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The few entry points the oracle uses, resolved from libLLVM 19 at first use. */
static struct {
	bool ok;
	char why[160];
	void (*init_info)(void), (*init_mc)(void), (*init_disasm)(void);
	void (*get_version)(unsigned *, unsigned *, unsigned *);
	LLVMDisasmContextRef (*create)(const char *, const char *, const char *, void *, int,
				       LLVMOpInfoCallback, LLVMSymbolLookupCallback);
	void (*dispose)(LLVMDisasmContextRef);
	size_t (*disasm)(LLVMDisasmContextRef, uint8_t *, uint64_t, uint64_t, char *, size_t);
} llvm;

#define LLVM_SYM(h, field, name)                                                          \
	do {                                                                              \
		*(void **)&llvm.field = dlsym(h, name);                                   \
		if (!llvm.field) {                                                        \
			snprintf(llvm.why, sizeof(llvm.why), "libLLVM 19 lacks %s", name); \
			return;                                                           \
		}                                                                         \
	} while (0)

static void init_llvm(void)
{
	/* Debian's libllvm19: libLLVM.so.19.1 (soname), libLLVM-19.so with llvm-19-dev. */
	static const char *const names[] = { "libLLVM.so.19.1", "libLLVM-19.so", "libLLVM.so.1" };
	void *h = NULL;
	for (size_t i = 0; !h && i < sizeof(names) / sizeof(names[0]); i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(llvm.why, sizeof(llvm.why), "cannot load libLLVM 19 (%s)", dlerror());
		return;
	}
	LLVM_SYM(h, init_info, "LLVMInitializeAMDGPUTargetInfo");
	LLVM_SYM(h, init_mc, "LLVMInitializeAMDGPUTargetMC");
	LLVM_SYM(h, init_disasm, "LLVMInitializeAMDGPUDisassembler");
	LLVM_SYM(h, get_version, "LLVMGetVersion");
	LLVM_SYM(h, create, "LLVMCreateDisasmCPUFeatures");
	LLVM_SYM(h, dispose, "LLVMDisasmDispose");
	LLVM_SYM(h, disasm, "LLVMDisasmInstruction");
	unsigned maj = 0, min = 0, patch = 0;
	llvm.get_version(&maj, &min, &patch);
	if (maj != 19) {
		snprintf(llvm.why, sizeof(llvm.why), "loaded libLLVM %u, need 19", maj);
		return;
	}
	llvm.init_info();
	llvm.init_mc();
	llvm.init_disasm();
	llvm.ok = true;
}

bool rmcp_isa_have_oracle(void)
{
	pthread_once(&init_once, init_llvm);
	return llvm.ok;
}

const char *rmcp_isa_oracle_version(void)
{
	static char v[32];
	unsigned maj, min, patch;
	if (!v[0] && rmcp_isa_have_oracle()) {
		llvm.get_version(&maj, &min, &patch);
		int n = snprintf(v, sizeof(v), "%u.%u.%u", maj, min, patch);
		if (n < 0 || (size_t)n >= sizeof(v))
			v[0] = '\0';
	}
	return v;
}

int rmcp_isa_oracle_open(const char *code_proc, const char *real_proc,
			 struct rmcp_isa_oracle **out, struct rmcp_err *err)
{
	if (!rmcp_isa_have_oracle())
		return rmcp_err_set(err, -RMCP_E_NOLIB, "LLVM oracle unavailable: %s", llvm.why);
	struct rmcp_isa_oracle *o = calloc(1, sizeof(*o));
	if (!o)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	o->code = llvm.create("amdgcn-amd-amdhsa", code_proc, "", NULL, 0, NULL, NULL);
	o->real = llvm.create("amdgcn-amd-amdhsa", real_proc, "", NULL, 0, NULL, NULL);
	if (!o->code || !o->real) {
		rmcp_isa_oracle_close(o);
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "LLVM %s has no disassembler for %s",
				    rmcp_isa_oracle_version(), o->code ? real_proc : code_proc);
	}
	o->gfx10 = strncmp(code_proc, "gfx10", 5) == 0 && strncmp(real_proc, "gfx10", 5) == 0;
	*out = o;
	return 0;
}

void rmcp_isa_oracle_close(struct rmcp_isa_oracle *o)
{
	if (!o)
		return;
	if (o->code)
		llvm.dispose(o->code);
	if (o->real)
		llvm.dispose(o->real);
	free(o);
}

static size_t disasm(LLVMDisasmContextRef dc, const uint8_t *p, size_t avail, uint64_t addr,
		     char *text, size_t size)
{
	/* LLVMDisasmInstruction takes a non-const pointer but only reads it. */
	size_t n = llvm.disasm(dc, (uint8_t *)(uintptr_t)p, avail, addr, text, size);
	if (!n)
		text[0] = '\0';
	return n;
}

static bool unsafe(const struct rmcp_isa_oracle *o, const uint8_t *p, size_t avail)
{
	if (!o->gfx10 || avail < 4)
		return false;
	struct rmcp_g10_split s;
	uint32_t w1 = avail >= 8 ? rmcp_le32(p + 4) : 0;
	rmcp_g10_split(rmcp_le32(p), w1, &s);
	return rmcp_g10_llvm_unsafe(&s, w1);
}

int rmcp_isa_oracle_step(void *vo, const uint8_t *p, size_t avail, uint64_t addr,
			 struct rmcp_isa_step *st)
{
	struct rmcp_isa_oracle *o = vo;
	char tc[RMCP_ISA_TEXT_MAX], tr[RMCP_ISA_TEXT_MAX];
	st->bad = false;
	st->kind = RMCP_ISA_INSN_UNKNOWN;
	size_t lc = unsafe(o, p, avail) ? 0 : disasm(o->code, p, avail, addr, tc, sizeof(tc));
	if (!lc) {
		st->len = avail < 4 ? (uint32_t)avail : 4;
		st->kind = RMCP_ISA_INSN_UNDECODABLE;
		st->bad = true;
		return 0;
	}
	st->len = (uint32_t)lc;
	size_t lr = disasm(o->real, p, avail, addr, tr, sizeof(tr));
	if (!lr) {
		st->kind = RMCP_ISA_INSN_INVALID;
		st->bad = true;
	} else if (lr != lc || strcmp(tc, tr) != 0) {
		st->kind = RMCP_ISA_INSN_DIFFERS;
		st->bad = true;
	}
	return 0;
}

void rmcp_isa_oracle_walk(struct rmcp_isa_oracle *o, const uint8_t *p, size_t size, uint64_t addr,
			  struct rmcp_isa_kernel *k)
{
	size_t off = 0;
	while (off < size) {
		struct rmcp_isa_step st;
		rmcp_isa_oracle_step(o, p + off, size - off, addr + off, &st);
		k->n_insns++;
		if (st.bad)
			rmcp_isa_note(k, p + off, size - off, addr + off, &st);
		off += st.len;
	}
}

void rmcp_isa_oracle_text(struct rmcp_isa_oracle *o, const uint8_t *p, size_t avail, uint64_t addr,
			  bool real, char *buf, size_t size)
{
	buf[0] = '\0';
	if (unsafe(o, p, avail) || !disasm(real ? o->real : o->code, p, avail, addr, buf, size))
		return;
	/* LLVM prints a leading tab */
	size_t i = 0;
	while (buf[i] == '\t' || buf[i] == ' ')
		i++;
	memmove(buf, buf + i, strlen(buf + i) + 1);
}

#else /* !RMCP_HAVE_LLVM */

struct rmcp_isa_oracle {
	int unused;
};

bool rmcp_isa_have_oracle(void)
{
	return false;
}

const char *rmcp_isa_oracle_version(void)
{
	return NULL;
}

int rmcp_isa_oracle_open(const char *code_proc, const char *real_proc,
			 struct rmcp_isa_oracle **out, struct rmcp_err *err)
{
	*out = NULL;
	return rmcp_err_set(err, -RMCP_E_NOLIB, "rmcp was built without LLVM: no ISA oracle");
}

void rmcp_isa_oracle_close(struct rmcp_isa_oracle *o)
{
	(void)o;
}

int rmcp_isa_oracle_step(void *o, const uint8_t *p, size_t avail, uint64_t addr,
			 struct rmcp_isa_step *st)
{
	(void)o;
	(void)p;
	(void)avail;
	(void)addr;
	(void)st;
	return -RMCP_E_NOLIB;
}

void rmcp_isa_oracle_walk(struct rmcp_isa_oracle *o, const uint8_t *p, size_t size, uint64_t addr,
			  struct rmcp_isa_kernel *k)
{
	(void)o;
	(void)p;
	(void)size;
	(void)addr;
	(void)k;
}

void rmcp_isa_oracle_text(struct rmcp_isa_oracle *o, const uint8_t *p, size_t avail, uint64_t addr,
			  bool real, char *buf, size_t size)
{
	(void)o;
	(void)p;
	(void)avail;
	(void)addr;
	(void)real;
	if (size)
		buf[0] = '\0';
}

#endif
