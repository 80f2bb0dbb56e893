/* SPDX-License-Identifier: MIT */
/*
 * Static archives (ar, as written by GNU ar and llvm-ar): members are scanned in place and
 * reported as "lib.a(member.o)", the binutils convention; llvm-readobj --offloading reads
 * them the same way. Format: binutils include/aout/ar.h (60-byte member headers, GNU "//"
 * long-name table, "/" and "/SYM64/" symbol tables).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"
#include "banned.h"

#define AR_MAGIC "!<arch>\n"
#define AR_HDR 60

bool rmcp_is_ar(const void *buf, size_t len)
{
	return len >= 8 && memcmp(buf, AR_MAGIC, 8) == 0;
}

static int parse_size(const uint8_t *p, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < 10 && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	if (i == 0)
		return -1;
	for (; i < 10; i++)
		if (p[i] != ' ')
			return -1;
	*out = v;
	return 0;
}

/* Member name: "name/" (GNU short), "/123" (offset into the "//" table), or BSD-ish plain. */
static void member_name(const uint8_t *h, const char *longnames, uint64_t longlen, char *out, size_t cap)
{
	size_t n = 16;
	while (n && h[n - 1] == ' ')
		n--;
	if (n > 1 && h[0] == '/' && h[1] >= '0' && h[1] <= '9' && longnames) {
		uint64_t off = 0;
		for (size_t i = 1; i < n && h[i] >= '0' && h[i] <= '9'; i++)
			off = off * 10 + (uint64_t)(h[i] - '0');
		if (off < longlen) {
			size_t l = 0;
			while (off + l < longlen && longnames[off + l] != '/' && longnames[off + l] != '\n')
				l++;
			snprintf(out, cap, "%.*s", (int)l, longnames + off);
			return;
		}
	}
	if (n && h[n - 1] == '/')
		n--;
	snprintf(out, cap, "%.*s", (int)n, (const char *)h);
}

/* The GNU long-name table is a list of names: a few KB even for libLLVM's archives. */
#define MAX_LONGNAMES ((uint64_t)16 << 20)

static int scan_member(struct rmcp_reader *r, uint64_t data, uint64_t size, const char *mpath,
		       const struct rmcp_scan_opts *opts, struct rmcp_file *a, size_t *members,
		       rmcp_scan_cb cb, void *ctx)
{
	struct rmcp_reader w;
	rmcp_reader_window(&w, r, data, size);
	struct rmcp_file *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int rc = rmcp_scan_reader(&w, mpath, opts, m);
	for (size_t t = 0; rc == 0 && t < m->n_targets; t++)
		rc = rmcp_file_add_target(a, m->targets[t]);
	if (rc == 0 && (m->n_entries || m->error)) {
		(*members)++;
		a->bundles += m->bundles;
		cb(ctx, m);
	} else {
		rmcp_file_release(m);
	}
	free(m);
	return rc;
}

int rmcp_scan_ar(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		 rmcp_scan_cb cb, void *ctx)
{
	struct rmcp_file *a = rmcp_file_new(path, RMCP_FMT_ARCHIVE);
	if (!a)
		return -ENOMEM;
	char *longnames = NULL;
	uint64_t longlen = 0, pos = 8, len = r->size;
	size_t members = 0;
	int rc = 0;
	while (rc == 0 && pos < len) {
		uint8_t h[AR_HDR];
		struct rmcp_err err = { 0 };
		if (AR_HDR > len - pos) {
			rc = rmcp_file_set_error(a, "member header at %llu is truncated", (unsigned long long)pos);
			break;
		}
		if ((rc = rmcp_reader_read(r, pos, h, AR_HDR, &err)) < 0) {
			rc = rc == -ENOMEM ? rc : rmcp_file_set_error(a, "%s", err.msg);
			break;
		}
		uint64_t size;
		if (h[58] != '`' || h[59] != '\n' || parse_size(h + 48, &size) < 0) {
			rc = rmcp_file_set_error(a, "bad member header at offset %llu", (unsigned long long)pos);
			break;
		}
		uint64_t data = pos + AR_HDR;
		if (size > len - data) {
			rc = rmcp_file_set_error(a, "member at %llu claims %llu bytes past the end",
						 (unsigned long long)pos, (unsigned long long)size);
			break;
		}
		if (memcmp(h, "//              ", 16) == 0) {
			free(longnames);
			longnames = NULL;
			longlen = 0;
			if (size > MAX_LONGNAMES) {
				rc = rmcp_file_set_error(a, "long-name table of %llu bytes is over the limit",
							 (unsigned long long)size);
				break;
			}
			if (!(longnames = malloc(size ? (size_t)size : 1))) {
				rc = -ENOMEM;
				break;
			}
			if ((rc = rmcp_reader_read(r, data, longnames, (size_t)size, &err)) < 0) {
				rc = rc == -ENOMEM ? rc : rmcp_file_set_error(a, "%s", err.msg);
				break;
			}
			longlen = size;
		} else if (h[0] != '/' || (h[1] >= '0' && h[1] <= '9')) {
			/* Not a symbol table ("/" or "/SYM64/"): a member. */
			char name[256], mpath[4400];
			member_name(h, longnames, longlen, name, sizeof(name));
			snprintf(mpath, sizeof(mpath), "%s(%s)", path, name);
			rc = scan_member(r, data, size, mpath, opts, a, &members, cb, ctx);
		}
		pos = data + size + (size & 1);	/* members are 2-byte aligned */
	}
	free(longnames);
	if (rc == 0)
		rc = rmcp_file_set_note(a, "%zu member(s) with device code", members);
	rmcp_file_emit(a, cb, ctx);
	return rc;
}
