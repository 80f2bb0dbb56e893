/* SPDX-License-Identifier: MIT */
/*
 * The ISA checker's parsers over hostile bytes: code object ELF walking and the fast path
 * (rmcp_isa_check with RMCP_ISA_FAST_ONLY: LLVM is never called, as in librmcp.so), files
 * with bundles (rmcp_isa_check_buffer), and cache entries (rmcp_isa_report_decode). The
 * last input byte picks the GPU (so real code objects are seeds as they are); a valid
 * decode must re-encode to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const gpus[] = { "gfx1010", "gfx1030", "gfx1013", "gfx10-3-generic" };
	if (size < 1)
		return 0;
	struct rmcp_target_id gpu;
	const char *g = gpus[data[size - 1] & 3];
	if (rmcp_target_id_parse(g, strlen(g), &gpu, NULL) < 0)
		abort();
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	struct rmcp_isa_report r;
	if (rmcp_isa_check(copy, size, &gpu, RMCP_ISA_FAST_ONLY, &r, NULL) == 0)
		rmcp_isa_report_release(&r);
	struct rmcp_isa_file f;
	rmcp_isa_check_buffer(copy, size, &gpu, RMCP_ISA_FAST_ONLY, &f);
	rmcp_isa_file_release(&f);
	if (rmcp_isa_report_decode(copy, size, &r, NULL) == 0) {
		void *again;
		size_t len;
		if (rmcp_isa_report_encode(&r, &again, &len) == 0) {
			if (len != size || memcmp(again, copy, size) != 0)
				abort();	/* decode accepted something encode would not write */
			free(again);
		}
		rmcp_isa_report_release(&r);
	}
	free(copy);
	return 0;
}
