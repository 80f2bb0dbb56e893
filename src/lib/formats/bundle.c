/* SPDX-License-Identifier: MIT */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "banned.h"

bool rmcp_is_bundle(const void *buf, size_t len)
{
	return len >= RMCP_BUNDLE_MAGIC_LEN && memcmp(buf, RMCP_BUNDLE_MAGIC, RMCP_BUNDLE_MAGIC_LEN) == 0;
}

static int cmp_entry_offset(const void *a, const void *b)
{
	const struct rmcp_bundle_entry *x = *(struct rmcp_bundle_entry *const *)a;
	const struct rmcp_bundle_entry *y = *(struct rmcp_bundle_entry *const *)b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Entries with data must follow the table and not overlap each other. */
static int check_overlap(const struct rmcp_bundle *b, struct rmcp_err *err)
{
	if (b->n_entries < 2)
		return 0;
	const struct rmcp_bundle_entry **v = malloc(b->n_entries * sizeof(*v));
	if (!v)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < b->n_entries; i++)
		if (b->entries[i].size)
			v[n++] = &b->entries[i];
	qsort(v, n, sizeof(*v), cmp_entry_offset);
	int rc = 0;
	for (size_t i = 1; i < n; i++) {
		if (v[i]->offset < v[i - 1]->offset + v[i - 1]->size) {
			rc = rmcp_err_set(err, -RMCP_E_FORMAT,
					  "bundle entries '%.*s' and '%.*s' overlap",
					  (int)v[i - 1]->id_len, v[i - 1]->id, (int)v[i]->id_len, v[i]->id);
			break;
		}
	}
	free(v);
	return rc;
}

int rmcp_bundle_parse(const void *buf, size_t avail, uint64_t total, struct rmcp_bundle *out,
		      size_t *need, struct rmcp_err *err)
{
	const uint8_t *p = buf;
	memset(out, 0, sizeof(*out));
	if (need)
		*need = 0;
	if (avail > total)
		avail = (size_t)total;
	if (total < RMCP_BUNDLE_MAGIC_LEN + 8) {
		return rmcp_err_set(err, -RMCP_E_TRUNC, "bundle of %llu bytes is shorter than its header",
				    (unsigned long long)total);
	}
	if (avail < RMCP_BUNDLE_MAGIC_LEN + 8) {
		if (need)
			*need = RMCP_BUNDLE_MAGIC_LEN + 8;
		return rmcp_err_set(err, -RMCP_E_TRUNC, "bundle header incomplete");
	}
	if (!rmcp_is_bundle(p, avail))
		return rmcp_err_set(err, -RMCP_E_FORMAT, "no offload bundle magic");

	uint64_t n = rmcp_le64(p + RMCP_BUNDLE_MAGIC_LEN);
	/* Each entry needs at least 24 bytes of table, so a count the data cannot hold is a lie,
	 * caught before anything is allocated. */
	if (n > RMCP_BUNDLE_MAX_ENTRIES || n > (total - 32) / 24)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "bundle declares %llu entries",
				    (unsigned long long)n);
	out->entries = calloc(n ? n : 1, sizeof(*out->entries));
	if (!out->entries)
		return rmcp_err_set(err, -ENOMEM, "out of memory");

	size_t pos = RMCP_BUNDLE_MAGIC_LEN + 8;
	int rc;
	for (uint64_t i = 0; i < n; i++) {
		struct rmcp_bundle_entry *e = &out->entries[i];
		if (24 > avail - pos)
			goto incomplete;
		e->offset = rmcp_le64(p + pos);
		e->size = rmcp_le64(p + pos + 8);
		uint64_t idlen = rmcp_le64(p + pos + 16);
		pos += 24;
		if (idlen == 0 || idlen > RMCP_BUNDLE_MAX_ID) {
			rc = rmcp_err_set(err, -RMCP_E_FORMAT, "bundle entry %llu: ID length %llu",
					  (unsigned long long)i, (unsigned long long)idlen);
			goto fail;
		}
		if (idlen > avail - pos)
			goto incomplete;
		e->id = (const char *)p + pos;
		e->id_len = (size_t)idlen;
		pos += (size_t)idlen;
		/* Subtraction form: offset + size can wrap. */
		if (e->offset > total || e->size > total - e->offset) {
			rc = rmcp_err_set(err, -RMCP_E_TRUNC,
					  "bundle entry '%.*s': offset %llu size %llu past the end (%llu bytes)",
					  (int)e->id_len, e->id, (unsigned long long)e->offset,
					  (unsigned long long)e->size, (unsigned long long)total);
			goto fail;
		}
		out->n_entries = i + 1;
	}
	out->header_size = pos;
	out->end = pos;
	for (size_t i = 0; i < out->n_entries; i++) {
		const struct rmcp_bundle_entry *e = &out->entries[i];
		if (e->size && e->offset < pos) {
			rc = rmcp_err_set(err, -RMCP_E_FORMAT,
					  "bundle entry '%.*s' overlaps the entry table",
					  (int)e->id_len, e->id);
			goto fail;
		}
		if (e->offset + e->size > out->end)
			out->end = e->offset + e->size;
	}
	rc = check_overlap(out, err);
	if (rc < 0)
		goto fail;
	return 0;

incomplete:
	if (need) {
		/* Ask for twice what we have, bounded by the largest table that can exist. */
		size_t want = avail * 2;
		size_t max = 32 + (size_t)RMCP_BUNDLE_MAX_ENTRIES * (24 + RMCP_BUNDLE_MAX_ID);
		*need = want > max ? max : want;
		if ((uint64_t)*need > total)
			*need = (size_t)total;
	}
	rc = rmcp_err_set(err, -RMCP_E_TRUNC, "bundle entry table runs past %s",
			  avail < total ? "the data read so far" : "the end of the bundle");
fail:
	rmcp_bundle_release(out);
	return rc;
}

void rmcp_bundle_release(struct rmcp_bundle *b)
{
	free(b->entries);
	b->entries = NULL;
	b->n_entries = 0;
}

static int copy_field(char *dst, size_t cap, const char *src, size_t len, const char *what,
		      struct rmcp_err *err)
{
	if (len >= cap)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "bundle ID %s is too long", what);
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int rmcp_bundle_id_parse(const char *id, size_t len, struct rmcp_bundle_id *out,
			 struct rmcp_err *err)
{
	static const char amd[] = "amdgcn-amd-amdhsa-";
	const size_t amdlen = sizeof(amd) - 1;
	memset(out, 0, sizeof(*out));

	/* Kind: text up to the first '-' (binaries.md §1.1). */
	const char *dash = memchr(id, '-', len);
	if (!dash || dash == id)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "bundle ID '%.*s' has no kind",
				    (int)(len > 80 ? 80 : len), id);
	size_t klen = (size_t)(dash - id);
	int rc = copy_field(out->kind, sizeof(out->kind), id, klen, "kind", err);
	if (rc < 0)
		return rc;
	const char *rest = dash + 1;
	size_t rlen = len - klen - 1;

	if (strcmp(out->kind, "host") == 0) {
		/* host-x86_64-unknown-linux, clang-19 "...linux--", clang-22 "...linux-gnu-":
		 * the trailing '-' separates an empty target ID. */
		while (rlen && rest[rlen - 1] == '-')
			rlen--;
		out->host = true;
		return copy_field(out->triple, sizeof(out->triple), rest, rlen, "triple", err);
	}
	if (rlen >= amdlen && memcmp(rest, amd, amdlen) == 0) {
		const char *t = rest + amdlen;
		size_t tlen = rlen - amdlen;
		size_t trip = amdlen;
		/* 3-field triple ("...amdhsa-gfx906") if the rest starts with "gfx"; otherwise
		 * an environment field (usually empty) comes first. Never split the target ID
		 * itself on '-': generic targets contain it. */
		if (!(tlen >= 3 && memcmp(t, "gfx", 3) == 0)) {
			const char *d = memchr(t, '-', tlen);
			if (!d)
				return rmcp_err_set(err, -RMCP_E_FORMAT,
						    "bundle ID '%.*s' has no target ID",
						    (int)(len > 80 ? 80 : len), id);
			trip += (size_t)(d - t) + 1;
			tlen -= (size_t)(d - t) + 1;
			t = d + 1;
		}
		if (tlen == 0)
			return rmcp_err_set(err, -RMCP_E_FORMAT, "bundle ID '%.*s' has an empty target ID",
					    (int)(len > 80 ? 80 : len), id);
		out->amdgcn = true;
		rc = copy_field(out->triple, sizeof(out->triple), rest, trip, "triple", err);
		if (rc < 0)
			return rc;
		return copy_field(out->target, sizeof(out->target), t, tlen, "target ID", err);
	}
	if (rlen >= 7 && memcmp(rest, "amdgcn-", 7) == 0)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "bundle ID '%.*s': AMD triple without a target ID",
				    (int)(len > 80 ? 80 : len), id);
	/* Some other offload target (nvptx, x86 OpenMP offload): keep the text, no AMD target. */
	return copy_field(out->triple, sizeof(out->triple), rest, rlen, "triple", err);
}
