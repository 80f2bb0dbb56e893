/* SPDX-License-Identifier: MIT */
/*
 * Uncompressed clang offload bundles (research/binaries.md §1.1; llvm/lib/Object/OffloadBundle.cpp
 * OffloadBundleFatBin::readEntries, clang/docs/ClangOffloadBundler.rst).
 */
#ifndef RMCP_BUNDLE_H
#define RMCP_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RMCP_BUNDLE_MAGIC "__CLANG_OFFLOAD_BUNDLE__"
#define RMCP_BUNDLE_MAGIC_LEN 24
#define RMCP_BUNDLE_MAX_ENTRIES 4096	/* real bundles have < 64; clang has no hard limit */
#define RMCP_BUNDLE_MAX_ID 1024

struct rmcp_bundle_entry {
	uint64_t offset;	/* relative to the start of the bundle */
	uint64_t size;
	const char *id;		/* points into the parsed buffer, not NUL-terminated */
	size_t id_len;
};

struct rmcp_bundle {
	size_t n_entries;
	struct rmcp_bundle_entry *entries;
	uint64_t header_size;	/* magic + count + entry table */
	uint64_t end;		/* one past the last byte any entry covers (>= header_size) */
};

/*
 * Parse a bundle whose first `avail` bytes are in buf and whose full length is `total`
 * (avail == total for a bundle in memory; avail < total when only a decompressed prefix is
 * at hand). The entry table must lie within avail: if it does not, -RMCP_E_TRUNC with
 * *need (if non-NULL) set to a larger prefix size worth retrying with. Entries must lie
 * within total, past the table, and must not overlap.
 */
int rmcp_bundle_parse(const void *buf, size_t avail, uint64_t total, struct rmcp_bundle *out,
		      size_t *need, struct rmcp_err *err);
void rmcp_bundle_release(struct rmcp_bundle *b);

bool rmcp_is_bundle(const void *buf, size_t len);

/* An entry ID split into its parts: "<kind>-<triple>-<target id>". */
struct rmcp_bundle_id {
	char kind[16];		/* host, hip, hipv4, openmp, ... */
	char triple[96];	/* e.g. amdgcn-amd-amdhsa- or x86_64-unknown-linux-gnu */
	char target[96];	/* target ID, "" for host entries */
	bool host;
	bool amdgcn;		/* device entry for an AMD GPU */
};

int rmcp_bundle_id_parse(const char *id, size_t len, struct rmcp_bundle_id *out,
			 struct rmcp_err *err);

#endif
