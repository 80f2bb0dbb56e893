/* SPDX-License-Identifier: MIT */
/* Compressed bundles: header, streaming listing, full decompression. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ccob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmcp_ccob_hdr h;
	if (rmcp_ccob_header(data, size, &h, NULL) != 0)
		return 0;
	struct rmcp_bundle b;
	void *prefix = NULL;
	if (rmcp_ccob_list(data, size, &h, &b, &prefix, NULL) == 0) {
		rmcp_bundle_release(&b);
		free(prefix);
	}
	void *out = NULL;
	size_t len;
	if (rmcp_ccob_decompress(data, size, &h, &out, &len, NULL) == 0)
		free(out);
	return 0;
}
