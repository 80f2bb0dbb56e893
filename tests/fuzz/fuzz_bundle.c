/* SPDX-License-Identifier: MIT */
/* Uncompressed offload bundle table and entry-ID grammar. */
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmcp_bundle b;
	struct rmcp_err err = { 0 };
	size_t need;
	/* Both as a whole bundle and as a prefix of a larger one (the CCOB listing path). */
	if (rmcp_bundle_parse(data, size, size, &b, &need, &err) == 0) {
		for (size_t i = 0; i < b.n_entries; i++) {
			struct rmcp_bundle_id id;
			rmcp_bundle_id_parse(b.entries[i].id, b.entries[i].id_len, &id, NULL);
		}
		rmcp_bundle_release(&b);
	}
	if (rmcp_bundle_parse(data, size / 2, size, &b, &need, NULL) == 0)
		rmcp_bundle_release(&b);
	struct rmcp_bundle_id id;
	rmcp_bundle_id_parse((const char *)data, size, &id, NULL);
	return 0;
}
