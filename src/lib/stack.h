/* SPDX-License-Identifier: MIT */
/* The installed software stack, read from files only (research/detect.md §5). */
#ifndef RMCP_STACK_H
#define RMCP_STACK_H

#include <stddef.h>

/*
 * Paths where installed ROCm libraries and their GPU code live, under sysroot ("/" or a
 * captured tree): /opt/rocm-X.Y.Z/lib and /opt/rocm/lib (deduplicated by real path) and a distribution's ROCm in
 * the multiarch library directory (Debian: /usr/lib/x86_64-linux-gnu/libroc*.so.*, ...).
 * Returns the number of paths (>= 0) in a new array of new strings, or a negative code.
 */
int rmcp_stack_rocm_lib_paths(const char *sysroot, char ***out);
void rmcp_strv_free(char **v, size_t n);

#endif
