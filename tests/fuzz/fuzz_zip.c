/* SPDX-License-Identifier: MIT */
/* Wheels: libzip over a hostile buffer, then every member through the scan engine, under the
 * decompression budget. The input's length picks whether members are inflated whole or
 * streamed through the member reader (its ring buffer and restarts: scan_zip.c), so seeds
 * stay valid zip files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan.h"
#include "scan_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drop(void *ctx, struct rmcp_file *f)
{
	(void)ctx;
	rmcp_file_release(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmcp_scan_opts opts = { .verbose = true, .max_member = 1 << 20 };
	if (size & 1)
		opts.whole_member = 1 + (size >> 1) % 128;	/* stream members over 1..128 bytes */
	rmcp_scan_zip(-1, data, size, "fuzz.whl", &opts, drop, NULL);
	return 0;
}
