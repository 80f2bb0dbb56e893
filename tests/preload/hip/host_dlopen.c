/* SPDX-License-Identifier: MIT */
/*
 * host_dlopen LIB local|global OP...: load a HIP shared object the way Python loads an
 * extension module (dlopen RTLD_LOCAL; RTLD_GLOBAL for the other mode) and run its operations.
 * This program itself links no HIP library: libamdhip64 arrives with LIB, so with RTLD_LOCAL
 * it is outside the global scope and dlsym(RTLD_NEXT) in a preload cannot see it
 * (research/interposer.md §5.1).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: host_dlopen LIB local|global OP...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int mode = strcmp(argv[2], "global") == 0 ? RTLD_GLOBAL : RTLD_LOCAL;
	void *h = dlopen(argv[1], RTLD_NOW | mode);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 3;
	}
	int (*ops)(int, char **) = (int (*)(int, char **))dlsym(h, "rmcp_test_ops");
	if (!ops) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 4;
	}
	return ops(argc - 3, argv + 3);
}
