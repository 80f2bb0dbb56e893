/* SPDX-License-Identifier: MIT */
/* Compressed bundles: header (and its decompression budget), streaming listing, full
 * decompression, and the streaming reader used by scan -v. */
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
	/* The streaming decompressor as scan -v uses it: skip, read 64 bytes, repeat; it must
	 * never produce more than the declared size (the decompression budget, budget.h). */
	struct rmcp_ccob_stream *s;
	if (rmcp_ccob_stream_open(&s, data, size, &h, NULL) == 0) {
		uint8_t hdr[64];
		uint64_t got = 0;
		for (int i = 0; i < 64; i++) {
			if (rmcp_ccob_stream_skip(s, (uint64_t)i * 4096, NULL) < 0)
				break;
			long long n = rmcp_ccob_stream_read(s, hdr, sizeof(hdr), NULL);
			if (n <= 0)
				break;
			got = rmcp_ccob_stream_pos(s);
			if (got > h.uncompressed_size)
				abort();
		}
		rmcp_ccob_stream_close(s);
	}
	return 0;
}
