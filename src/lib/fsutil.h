/* SPDX-License-Identifier: MIT */
/* File-system helpers shared by the on-disk caches (scan, ISA verdicts, probe results). */
#ifndef RMCP_FSUTIL_H
#define RMCP_FSUTIL_H

/* mkdir -p with mode 0700 (caches are per user). Returns 0, -ENAMETOOLONG, -EINVAL for an
 * empty path, or the -errno of the mkdir that failed. */
int rmcp_mkdir_p(const char *dir);

#endif
