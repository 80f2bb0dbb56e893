/* SPDX-License-Identifier: MIT */
/* prog_ctor OP...: linked to libctor.so (whose constructor already ran HIP calls), then runs
 * more operations from main. */
#include <stdio.h>

int rmcp_ctor_linked(void);
int rmcp_test_ops(int argc, char **argv);

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("main ctor_linked=%d\n", rmcp_ctor_linked());
	return rmcp_test_ops(argc - 1, argv + 1);
}
