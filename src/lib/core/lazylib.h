/* SPDX-License-Identifier: MIT */
/*
 * Libraries needed only for some inputs are opened with dlopen on first use (issue 11, item
 * 5), not linked: libzip pulls libcrypto and libbz2 into every start of rmcp, libzstd is only
 * needed for zstd-compressed bundles. The headers are used at build time (types, constants);
 * the entry points come from dlsym. src/lib/isa/isa_llvm.c does the same for libLLVM.
 */
#ifndef RMCP_LAZYLIB_H
#define RMCP_LAZYLIB_H

#include <stddef.h>

struct rmcp_lazylib {
	const char *what;			/* "libzstd", for messages */
	const char *const *sonames;		/* tried in order, NULL-terminated */
	const char *const *symbols;		/* NULL-terminated, in the order of slots */
	void **slots;				/* filled by dlsym */
	/* state, filled once */
	int state;				/* 0 not tried, 1 loaded, -1 failed */
	char why[200];				/* why it failed: "libzstd.so.1: cannot open ..." */
};

/* 0 once every symbol is resolved, or -RMCP_E_NOLIB with lib->why set. Thread-safe. */
int rmcp_lazylib_load(struct rmcp_lazylib *lib);

#endif
