/* SPDX-License-Identifier: MIT */
/*
 * The ISA checker's parsers over hostile bytes: code object ELF walking and the fast path
 * (rmcp_isa_check with RMCP_ISA_FAST_ONLY: LLVM is never called, as in librmcp.so), files
 * with bundles (rmcp_isa_check_buffer), and cache entries (rmcp_isa_report_decode). The
 * last input byte picks the GPU (so real code objects are seeds as they are); a valid
 * decode must re-encode to the same bytes. The gfx10.1 hazard detectors also run directly on
 * the input as one kernel's code (gfx1030 code on a gfx1010, wave size and WGP mode from the
 * last byte), from an exact-size copy: ASan catches any read outside the code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "isa_internal.h"

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
	static struct rmcp_isa_fast *fast;
	static struct rmcp_isa_hz *hz;
	if (!fast && rmcp_isa_fast_open("gfx1030", "gfx1010", &fast) == 0 && rmcp_isa_hz_open(fast, &hz) < 0)
		abort();
	if (hz && size > 1) {
		struct rmcp_isa_kernel k;
		memset(&k, 0, sizeof(k));
		k.size = size - 1;
		k.addr = 0x1000;
		k.wave64 = data[size - 1] & 4;
		k.wgp_mode = data[size - 1] & 8;
		uint8_t *code = malloc(size - 1);
		struct rmcp_isa_rec *rec = malloc(((size - 1) / 4 + 1) * sizeof(*rec));
		if (code && rec) {
			memcpy(code, data, size - 1);
			/* The walk's records (what rmcp_isa_check hands the detectors) ... */
			struct rmcp_isa_kernel w = k;
			size_t nrec = 0;
			rmcp_isa_fast_walk(fast, code, size - 1, k.addr, &w, NULL, NULL, rec, &nrec);
			if (nrec > (size - 1) / 4)
				abort();
			if (rmcp_isa_hz_kernel(hz, code, size - 1, k.addr, &w, rec, nrec) < 0)
				w.n_hazards = UINT64_MAX;
			rmcp_isa_hz_forget(hz);	/* judge the same bytes again, not from memory */
			/* ... and the detectors' own decode must find the same. */
			if (rmcp_isa_hz_kernel(hz, code, size - 1, k.addr, &k, NULL, 0) == 0) {
				uint64_t sum = 0;
				for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++)
					sum += k.n_by_class[c];
				if (sum != k.n_hazards || k.n_possible > k.n_hazards || (k.n_hazards && !k.has_hazard) ||
				    (k.has_hazard && (k.hazard.addr < k.addr || k.hazard.addr >= k.addr + k.size)))
					abort();
				if (w.n_hazards != UINT64_MAX &&
				    (w.n_hazards != k.n_hazards || w.n_possible != k.n_possible ||
				     memcmp(w.n_by_class, k.n_by_class, sizeof(k.n_by_class)) != 0))
					abort();
				/* The same bytes at another address come from memory, moved with them. */
				struct rmcp_isa_kernel again = k;
				memset(&again.n_hazards, 0, sizeof(again) - offsetof(struct rmcp_isa_kernel, n_hazards));
				again.addr = k.addr + 0x100;
				if (rmcp_isa_hz_kernel(hz, code, size - 1, again.addr, &again, NULL, 0) == 0 &&
				    (again.n_hazards != k.n_hazards || again.n_possible != k.n_possible ||
				     memcmp(again.first_by_class, k.first_by_class, sizeof(k.first_by_class)) != 0 ||
				     again.has_hazard != k.has_hazard ||
				     (k.has_hazard && again.hazard.addr != k.hazard.addr + 0x100)))
					abort();
			}
		}
		rmcp_isa_hz_forget(hz);	/* code goes away */
		free(rec);
		free(code);
	}
	free(copy);
	return 0;
}
