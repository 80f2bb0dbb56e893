/* SPDX-License-Identifier: MIT */
/*
 * Itanium C++ ABI names (HIP kernels: "_Z13vector_squarePfS_m") made readable for people,
 * with libstdc++'s __cxa_demangle (the demangler GNU c++filt's shares its grammar with),
 * loaded with dlopen on first use so that rmcp needs no C++ runtime when no name is shown.
 * Text output shows the demangled name; JSON keeps both.
 */
#ifndef RMCP_DEMANGLE_H
#define RMCP_DEMANGLE_H

#include <stddef.h>

/*
 * Demangle name into out (NUL-terminated, truncated to cap-1). Returns 0, -EINVAL when the
 * name is not a mangled C++ name (no "_Z" prefix, or __cxa_demangle rejects it), -ENOSYS
 * when libstdc++ cannot be loaded, -ENOMEM.
 */
int rmcp_demangle(const char *name, char *out, size_t cap);

/* The demangled name, or name itself when it does not demangle (buf is the storage). */
const char *rmcp_demangle_or_self(const char *name, char *buf, size_t cap);

#endif
