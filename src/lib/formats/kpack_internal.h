/* SPDX-License-Identifier: MIT */
/* Helpers shared by kpack.c, kpack_ref.c and kpack_find.c (not part of the library API). */
#ifndef RMCP_KPACK_INTERNAL_H
#define RMCP_KPACK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Free the n strings of v, then v (NULL is fine). */
void rmcp_kpack_free_strv(char **v, size_t n);
/* Translate a msgpack reader error into a message; `pos` is a file (or section) offset. */
int rmcp_kpack_mp_fail(struct rmcp_err *err, int rc, const char *where, size_t pos);
/* NUL-terminated copy of a msgpack string, refusing over-long strings and embedded NULs. */
int rmcp_kpack_dup_str(const char *s, uint32_t n, size_t max, char **out, struct rmcp_err *err,
		       const char *where, size_t pos);
/* Grow *v (elements of `size` bytes) so that index `n` fits; limit checked by callers. */
int rmcp_kpack_grow(void **v, size_t *cap, size_t n, size_t size);

#endif
