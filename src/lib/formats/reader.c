/* SPDX-License-Identifier: MIT */
#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static int mem_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err)
{
	(void)err;
	memcpy(dst, r->mem + off, n);
	return 0;
}

void rmcp_reader_mem(struct rmcp_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->size = len;
	r->mem = buf;
	r->read = mem_read;
	r->fd = -1;
}

static int fd_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err)
{
	uint8_t *d = dst;
	while (n) {
		ssize_t got = pread(r->fd, d, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return rmcp_err_set(err, -errno, "read at offset %llu: %s",
					    (unsigned long long)off, strerror(errno));
		if (got == 0)
			return rmcp_err_set(err, -RMCP_E_CHANGED,
					    "file changed while being read: it ends at byte %llu, "
					    "it had %llu when opened", (unsigned long long)off,
					    (unsigned long long)r->size);
		d += got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	return 0;
}

void rmcp_reader_fd(struct rmcp_reader *r, int fd, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->read = fd_read;
	r->fd = fd;
}

static int win_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, struct rmcp_err *err)
{
	return rmcp_reader_read(r->parent, r->base + off, dst, n, err);
}

void rmcp_reader_window(struct rmcp_reader *r, struct rmcp_reader *parent, uint64_t off,
			uint64_t len)
{
	memset(r, 0, sizeof(*r));
	r->size = len;
	r->parent = parent;
	r->base = off;
	r->fd = -1;
	r->read = win_read;
	if (parent->mem)
		r->mem = parent->mem + off;
}

int rmcp_reader_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n,
		     struct rmcp_err *err)
{
	if (off > r->size || n > r->size - off)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "%zu bytes at offset %llu are past the end "
				    "(%llu bytes)", n, (unsigned long long)off,
				    (unsigned long long)r->size);
	return n ? r->read(r, off, dst, n, err) : 0;
}

int rmcp_reader_head(struct rmcp_reader *r, uint64_t off, void *dst, size_t n, size_t *got,
		     struct rmcp_err *err)
{
	*got = 0;
	if (off >= r->size)
		return 0;
	if (n > r->size - off)
		n = (size_t)(r->size - off);
	int rc = rmcp_reader_read(r, off, dst, n, err);
	if (rc == 0)
		*got = n;
	return rc;
}

int rmcp_reader_view(struct rmcp_reader *r, uint64_t off, size_t n, const uint8_t **p,
		     void **owned, struct rmcp_err *err)
{
	*owned = NULL;
	if (off > r->size || n > r->size - off)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "%zu bytes at offset %llu are past the end "
				    "(%llu bytes)", n, (unsigned long long)off,
				    (unsigned long long)r->size);
	if (r->mem) {
		*p = r->mem + off;
		return 0;
	}
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return rmcp_err_set(err, -ENOMEM, "out of memory for %zu bytes", n);
	int rc = rmcp_reader_read(r, off, b, n, err);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*p = b;
	*owned = b;
	return 0;
}
