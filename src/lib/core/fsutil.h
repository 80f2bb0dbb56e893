/* SPDX-License-Identifier: MIT */
/* File-system helpers shared by the on-disk caches (scan, ISA verdicts, probe results) and
 * the lookup of rmcp's own installed files. */
#ifndef RMCP_FSUTIL_H
#define RMCP_FSUTIL_H

/* mkdir -p with mode 0700 (caches are per user). Returns 0, -ENAMETOOLONG, -EINVAL for an
 * empty path, or the -errno of the mkdir that failed. */
int rmcp_mkdir_p(const char *dir);

#include <stddef.h>

/* One of rmcp's own files (librmcp.so, a schema, a doc): first <reldir>/<name> relative to
 * the directory of /proc/self/exe (the build tree, or a tree installed with
 * `meson install --destdir` or moved as a whole), then <absdir>/<name>, where the build
 * installs it. Either directory may be NULL; an absolute reldir is ignored.
 * Returns 0 and the resolved path in buf, -ENOENT if neither is a regular file, or
 * -ENAMETOOLONG. */
int rmcp_installed_file(const char *reldir, const char *absdir, const char *name, char *buf, size_t cap);

#endif
