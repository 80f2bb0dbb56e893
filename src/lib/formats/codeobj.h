/* SPDX-License-Identifier: MIT */
/*
 * AMDGPU code objects: ELF64 LSB, e_machine EM_AMDGPU (224). The processor and target
 * features come from e_flags, read per code-object version (EI_ABIVERSION): research/
 * binaries.md §2; llvm/docs/AMDGPUUsage.rst "ELF Header" e_flags tables (V3, V4-V5, V6).
 */
#ifndef RMCP_CODEOBJ_H
#define RMCP_CODEOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "target.h"

#define RMCP_EM_AMDGPU 224
#define RMCP_ELFOSABI_AMDGPU_HSA 64
#define RMCP_ELF_EHDR_SIZE 64
#define RMCP_MAX_KERNELS 100000

struct rmcp_codeobj {
	uint8_t osabi;			/* 64 HSA, 65 PAL, 66 Mesa */
	uint8_t abi_version;		/* EI_ABIVERSION */
	unsigned co_version;		/* code object version 2..6; 0 if not HSA */
	uint32_t e_flags;
	unsigned mach;			/* EF_AMDGPU_MACH */
	unsigned generic_version;	/* V6 EF_AMDGPU_GENERIC_VERSION, 0 if none */
	struct rmcp_target_id tid;	/* tid.proc is "" when the MACH value is unknown */
	char **kernels;			/* with want_kernels: names, sorted */
	size_t n_kernels;
};

/* True if buf starts with an ELF64 LSB header with e_machine EM_AMDGPU. */
bool rmcp_is_codeobj(const void *buf, size_t len);

/* Decode only the 64-byte ELF header (enough when the rest is still compressed). */
int rmcp_codeobj_header(const void *buf, size_t len, struct rmcp_codeobj *out,
			struct rmcp_err *err);

/* Decode a whole code object; with want_kernels, list kernels (symbols "<name>.kd"). */
int rmcp_codeobj_parse(const void *buf, size_t len, bool want_kernels, struct rmcp_codeobj *out,
		       struct rmcp_err *err);
void rmcp_codeobj_release(struct rmcp_codeobj *co);

/* Target ID text of a decoded code object ("gfx90a:xnack+"), or "unknown-mach-0xNN". */
int rmcp_codeobj_target(const struct rmcp_codeobj *co, char *buf, size_t len);

#endif
