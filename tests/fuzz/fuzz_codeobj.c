/* SPDX-License-Identifier: MIT */
/* AMDGPU code objects: e_flags decoding and kernel listing through libelf. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codeobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private, aligned copy, as the scanner's mmap'd files and decompressed buffers are. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct rmcp_codeobj co;
	if (rmcp_codeobj_parse(copy, size, true, &co, NULL) == 0) {
		char t[64];
		rmcp_codeobj_target(&co, t, sizeof(t));
		rmcp_codeobj_release(&co);
	}
	free(copy);
	return 0;
}
