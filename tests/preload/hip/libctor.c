/* SPDX-License-Identifier: MIT */
/*
 * A library whose constructor calls HIP (through libops, which it links): it runs before
 * librmcp.so's own constructor (the loader initialises a preloaded object after the
 * libraries the program needs), so the preload must work without it (libfaketime's
 * test_library_constructors does the same for its hooks). RMCP_TEST_CTOR_OPS names the
 * operations, separated by spaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rmcp_test_ops(int argc, char **argv);

__attribute__((constructor)) static void ctor(void)
{
	const char *ops = getenv("RMCP_TEST_CTOR_OPS");
	if (!ops)
		return;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", ops);
	char *argv[32];
	int argc = 0;
	for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	printf("ctor begin\n");
	rmcp_test_ops(argc, argv);
	printf("ctor end\n");
	fflush(stdout);
}

int rmcp_ctor_linked(void);
int rmcp_ctor_linked(void)
{
	return 1;
}
