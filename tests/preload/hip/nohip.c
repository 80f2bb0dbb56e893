/* SPDX-License-Identifier: MIT */
/*
 * nohip: a program with no HIP runtime at all that still finds hipHostMalloc by name (as a
 * library probing for HIP would): under the preload it finds the hook, whose real function
 * does not exist. The hook must answer with an error, never call through NULL.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

typedef int (*alloc_fn)(void **, size_t, unsigned);

int main(void)
{
	alloc_fn f = (alloc_fn)dlsym(RTLD_DEFAULT, "hipHostMalloc");
	if (!f) {
		printf("hipHostMalloc absent\n");
		return 0;
	}
	void *p = NULL;
	printf("hipHostMalloc rc=%d\n", f(&p, 4096, 0));
	return 0;
}
