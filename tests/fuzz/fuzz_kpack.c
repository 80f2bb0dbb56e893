/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the kpack parsers: the same bytes go to rmcp_kpack_parse (a .kpack
 * archive) and rmcp_kpack_ref_parse (a .rocm_kpack_ref marker). Every item a successful parse
 * returns must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpack.h"
#include "msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmcp_kpack kp;
	struct rmcp_kpack_ref ref;
	struct rmcp_mp mp;
	struct rmcp_err err;

	rmcp_err_clear(&err);
	if (rmcp_kpack_parse(data, size, &kp, &err) == 0) {
		for (size_t i = 0; i < kp.n_items; i++) {
			const struct rmcp_kpack_item *it = &kp.items[i];

			if (it->offset > size || it->size > size - it->offset ||
			    strlen(it->binary) > RMCP_KPACK_MAX_PATH ||
			    strlen(it->arch) > RMCP_KPACK_MAX_NAME)
				abort();
			(void)rmcp_kpack_key_matches(it->binary, "lib/libx.so");
		}
		rmcp_kpack_release(&kp);
	} else if (err.code == 0 || err.msg[0] == '\0') {
		abort();		/* every failure must say why */
	}

	rmcp_err_clear(&err);
	if (rmcp_kpack_ref_parse(data, size, &ref, &err) == 0) {
		if (!ref.kernel_name || !ref.n_search_paths)
			abort();
		rmcp_kpack_ref_release(&ref);
	}

	/* the generic reader on its own: skip must consume within bounds or fail cleanly */
	rmcp_mp_init(&mp, data, size);
	while (rmcp_mp_skip(&mp) == 0)
		if (mp.pos > size)
			abort();
	return 0;
}
