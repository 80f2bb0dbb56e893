/* SPDX-License-Identifier: MIT */
/* The whole scan engine on one buffer: sniffing, host ELF sections, bundle walks, names.
 * The first byte picks the file name, so name-based formats are reached too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"lib/libfuzz.so", "fuzz.co", "library/TensileLibrary_lazy_gfx1030.dat",
		"library/gfx1101/TensileLibrary.dat", "db/gfx90a6e.kdb", "db/gfx1030_36.kdb",
		"Kernels.so-000-gfx906-xnack-.hsaco", "x.hsaco",
	};
	if (size < 1)
		return 0;
	const char *name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	struct rmcp_scan_opts opts = { .verbose = true, .kernels = true };
	struct rmcp_file f;
	rmcp_scan_buffer(copy, size - 1, name, &opts, &f);
	rmcp_file_release(&f);
	free(copy);
	return 0;
}
