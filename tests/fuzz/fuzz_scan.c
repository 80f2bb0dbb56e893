/* SPDX-License-Identifier: MIT */
/* The whole scan engine on one buffer: sniffing, host ELF sections, bundle walks, names.
 * The first byte picks the file name, so name-based formats are reached too. The same bytes
 * are then scanned through a reader that is not memory (as a file read with pread is: every
 * read copies, bundle tables are read in growing windows), and both results must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "scan_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct copy_src {
	const uint8_t *p;
};

static int copy_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err)
{
	(void)err;
	memcpy(dst, ((struct copy_src *)r->ctx)->p + off, n);
	return 0;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

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
	struct rmcp_file f, g;
	int rc = rmcp_scan_buffer(copy, size - 1, name, &opts, &f);

	struct copy_src src = { copy };
	struct rmcp_reader r = { .size = size - 1, .read = copy_read, .ctx = &src, .fd = -1 };
	int rc2 = rmcp_scan_reader(&r, name, &opts, &g);
	if (rc == 0 && rc2 == 0) {
		if (f.format != g.format || f.bundles != g.bundles || f.n_entries != g.n_entries ||
		    f.n_targets != g.n_targets || !same_str(f.error, g.error))
			abort();	/* memory and copying readers disagree */
		for (size_t i = 0; i < f.n_entries; i++)
			if (f.entries[i].offset != g.entries[i].offset || !same_str(f.entries[i].id, g.entries[i].id))
				abort();
	}
	rmcp_file_release(&f);
	rmcp_file_release(&g);
	free(copy);
	return 0;
}
