/* SPDX-License-Identifier: MIT */
/*
 * What this build of rmcp can do and which data its results depend on, for `rmcp --version`,
 * `rmcp report` and fleet metrics: optional libraries compiled in, and the versions of the
 * knowledge base, target table and ISA table (data/gen-dataver.py).
 */
#ifndef RMCP_BUILDINFO_H
#define RMCP_BUILDINFO_H

#include <stdbool.h>
#include <stddef.h>

struct rmcp_build_feature {
	const char *name;	/* "zstd", "libzip", "llvm", "libarchive" */
	bool built_in;
	const char *what;	/* what it gives, or what is missing without it */
};

struct rmcp_data_version {
	const char *name;	/* "rules", "targets", "isa-table" */
	const char *version;	/* "47 rules, 60 steps, sha256:1a2b3c4d5e6f" */
	const char *what;
};

extern const struct rmcp_data_version rmcp_data_versions[];
extern const unsigned rmcp_n_data_versions;

/* The optional features, in a fixed order; returns their number. */
size_t rmcp_build_features(const struct rmcp_build_feature **out);

/* "zstd libzip llvm" (the built-in ones, space-separated) into buf. */
void rmcp_build_features_line(char *buf, size_t cap);

#endif
