/* SPDX-License-Identifier: MIT */
#include "judge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bytes.h"
#include "ccob.h"
#include "codeobj.h"
#include "banned.h"

const char *rmcp_guard_verdict_name(enum rmcp_guard_verdict v)
{
	switch (v) {
	case RMCP_GV_OK:
		return "ok";
	case RMCP_GV_UNKNOWN:
		return "unknown";
	case RMCP_GV_FOREIGN_OK:
		return "foreign-isa-checked";
	case RMCP_GV_FOREIGN:
		return "foreign-isa";
	case RMCP_GV_FOREIGN_BAD:
		return "foreign-isa-bad";
	case RMCP_GV_NO_CODE:
		return "no-code";
	}
	return "?";
}

/* One device code object of the image. */
struct code {
	struct rmcp_target_id tid;
	unsigned generic_version;
	uint64_t offset, size;
};

#define MAX_CODES 64	/* real bundles carry < 20 targets; more are listed, not judged */

struct codes {
	struct code v[MAX_CODES];
	size_t n;
};

static void add_target_text(struct rmcp_judgement *out, const char *t)
{
	size_t have = strlen(out->targets), tl = strlen(t);
	if (tl == 0)
		return;	/* found by the fuzzer: strstr(p, "") never advances */
	/* skip duplicates: "gfx1030" must not match inside "gfx10300" */
	for (const char *p = out->targets; (p = strstr(p, t)) != NULL; p += tl)
		if ((p == out->targets || p[-1] == ',') && (p[tl] == ',' || p[tl] == '\0'))
			return;
	size_t need = (have ? 1 : 0) + tl;
	if (have + need + 1 > sizeof(out->targets)) {
		if (have + 4 < sizeof(out->targets) && strcmp(out->targets + have - 3, "...") != 0)
			memcpy(out->targets + have, ",...", 5);
		return;
	}
	if (have)
		out->targets[have++] = ',';
	memcpy(out->targets + have, t, tl + 1);
}

/* Generic version from the code object's own header, when its bytes are at hand. */
static unsigned generic_version_at(const uint8_t *img, size_t len, uint64_t off)
{
	if (off > len || len - off < RMCP_ELF_EHDR_SIZE)
		return 0;
	struct rmcp_codeobj co;
	if (rmcp_codeobj_header(img + off, (size_t)(len - off), &co, NULL) < 0)
		return 0;
	return co.generic_version;
}

static int collect_bundle(const struct rmcp_bundle *b, const uint8_t *img, size_t img_len,
			  struct codes *c, struct rmcp_judgement *out)
{
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct rmcp_bundle_entry *e = &b->entries[i];
		struct rmcp_bundle_id id;
		if (rmcp_bundle_id_parse(e->id, e->id_len, &id, NULL) < 0 || !id.amdgcn)
			continue;
		if (e->size == 0)
			continue;
		add_target_text(out, id.target);
		out->n_code++;
		if (c->n == MAX_CODES)
			continue;
		struct code *k = &c->v[c->n];
		if (rmcp_target_id_parse(id.target, strlen(id.target), &k->tid, NULL) < 0)
			continue;
		k->offset = e->offset;
		k->size = e->size;
		k->generic_version = img ? generic_version_at(img, img_len, e->offset) : 0;
		c->n++;
	}
	return 0;
}

static bool same_isa(const struct rmcp_target_id *a, const struct rmcp_target_id *b)
{
	return strcmp(a->proc, b->proc) == 0;
}

/* The code object the runtime picks for `isa`: the processor itself before a generic one. */
static const struct code *pick(const struct codes *c, const struct rmcp_target_id *isa)
{
	const struct code *generic = NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (!rmcp_target_covers(&c->v[i].tid, c->v[i].generic_version, isa))
			continue;
		if (same_isa(&c->v[i].tid, isa))
			return &c->v[i];
		if (!generic)
			generic = &c->v[i];
	}
	return generic;
}

static void judge_codes(const struct codes *c, const struct rmcp_guard_gpus *g,
			struct rmcp_judgement *out)
{
	enum rmcp_guard_verdict v[RMCP_GUARD_MAX_GPUS];
	const struct code *eff[RMCP_GUARD_MAX_GPUS];
	size_t worst = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct rmcp_guard_gpu *gpu = &g->gpu[i];
		eff[i] = pick(c, &gpu->eff);
		if (!eff[i])
			v[i] = RMCP_GV_NO_CODE;
		else if (same_isa(&gpu->eff, &gpu->real) ||
			 rmcp_target_covers(&eff[i]->tid, eff[i]->generic_version, &gpu->real))
			v[i] = RMCP_GV_OK;
		else
			v[i] = RMCP_GV_FOREIGN;
		if (v[i] > v[worst])
			worst = i;
	}
	out->verdict = g->n ? v[worst] : RMCP_GV_UNKNOWN;
	out->every_gpu = true;
	for (size_t i = 0; i < g->n; i++)
		if (v[i] != v[worst])
			out->every_gpu = false;
	out->gpu = worst;
	if (!g->n)
		return;
	out->has_real = pick(c, &g->gpu[worst].real) != NULL;
	if (eff[worst]) {
		rmcp_target_id_format(&eff[worst]->tid, out->chosen, sizeof(out->chosen));
		out->co_offset = eff[worst]->offset;
		out->co_size = eff[worst]->size;
	}
}

int rmcp_judge_image(const void *buf, size_t len, const struct rmcp_guard_gpus *g,
		     struct rmcp_judgement *out, struct rmcp_err *err)
{
	memset(out, 0, sizeof(*out));
	out->verdict = RMCP_GV_UNKNOWN;
	struct codes *c = calloc(1, sizeof(*c));
	if (!c)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	int rc;
	if (rmcp_is_codeobj(buf, len)) {
		out->kind = RMCP_IMAGE_RAW;
		struct rmcp_codeobj co;
		rc = rmcp_codeobj_header(buf, len, &co, err);
		if (rc == 0) {
			char t[64];
			if (rmcp_codeobj_target(&co, t, sizeof(t)) < 0)
				memcpy(t, "?", 2);
			add_target_text(out, t);
			out->n_code = 1;
			if (co.tid.proc[0]) {
				c->v[0].tid = co.tid;
				c->v[0].generic_version = co.generic_version;
				c->v[0].offset = 0;
				c->v[0].size = len;
				c->n = 1;
			}
		}
	} else if (rmcp_is_bundle(buf, len)) {
		out->kind = RMCP_IMAGE_BUNDLE;
		struct rmcp_bundle b;
		rc = rmcp_bundle_parse(buf, len, len, &b, NULL, err);
		if (rc == 0) {
			collect_bundle(&b, buf, len, c, out);
			rmcp_bundle_release(&b);
		}
	} else if (rmcp_is_ccob(buf, len)) {
		out->kind = RMCP_IMAGE_CCOB;
		struct rmcp_ccob_hdr h;
		rc = rmcp_ccob_header(buf, len, &h, err);
		if (rc == 0) {
			struct rmcp_bundle b;
			void *prefix = NULL;
			rc = rmcp_ccob_list(buf, len, &h, &b, &prefix, err);
			if (rc == 0) {
				collect_bundle(&b, NULL, 0, c, out);
				rmcp_bundle_release(&b);
				free(prefix);
			}
		}
	} else {
		rc = rmcp_err_set(err, -RMCP_E_FORMAT, "not a code object, offload bundle or CCOB");
	}
	if (rc == 0) {
		judge_codes(c, g, out);
	} else {
		out->verdict = RMCP_GV_UNKNOWN;
	}
	free(c);
	return rc;
}

/* ---- extent of an image handed over without a length ---- */

static int extent_elf(const uint8_t *p, rmcp_mapped_fn mapped, void *ctx, uint64_t max,
		      size_t *out)
{
	if (!mapped(p, RMCP_ELF_EHDR_SIZE, ctx))
		return -RMCP_E_TRUNC;
	/* ELF64: e_phoff @32, e_shoff @40, e_phentsize @54, e_phnum @56, e_shentsize @58,
	 * e_shnum @60. Products of 16-bit counts cannot wrap 64 bits. */
	uint64_t end = RMCP_ELF_EHDR_SIZE;
	uint64_t phoff = rmcp_le64(p + 32), shoff = rmcp_le64(p + 40);
	uint64_t ph = (uint64_t)rmcp_le16(p + 54) * rmcp_le16(p + 56);
	uint64_t sh = (uint64_t)rmcp_le16(p + 58) * rmcp_le16(p + 60);
	if (phoff <= max && ph <= max - phoff && phoff + ph > end)
		end = phoff + ph;
	if (shoff <= max && sh <= max - shoff && shoff + sh > end)
		end = shoff + sh;
	if (end > max || !mapped(p, (size_t)end, ctx))
		end = RMCP_ELF_EHDR_SIZE;	/* the header alone still names the target */
	*out = (size_t)end;
	return 0;
}

static int extent_bundle(const uint8_t *p, rmcp_mapped_fn mapped, void *ctx, uint64_t max,
			 size_t *out)
{
	if (!mapped(p, RMCP_BUNDLE_MAGIC_LEN + 8, ctx))
		return -RMCP_E_TRUNC;
	uint64_t n = rmcp_le64(p + RMCP_BUNDLE_MAGIC_LEN);
	if (n > RMCP_BUNDLE_MAX_ENTRIES)
		return -RMCP_E_LIMIT;
	uint64_t pos = RMCP_BUNDLE_MAGIC_LEN + 8, end = pos;
	for (uint64_t i = 0; i < n; i++) {
		if (24 > max - pos || !mapped(p + pos, 24, ctx))
			return -RMCP_E_TRUNC;
		uint64_t off = rmcp_le64(p + pos), size = rmcp_le64(p + pos + 8);
		uint64_t idlen = rmcp_le64(p + pos + 16);
		pos += 24;
		if (idlen == 0 || idlen > RMCP_BUNDLE_MAX_ID)
			return -RMCP_E_FORMAT;
		if (idlen > max - pos || !mapped(p + pos, (size_t)idlen, ctx))
			return -RMCP_E_TRUNC;
		pos += idlen;
		if (off > max || size > max - off)
			return -RMCP_E_LIMIT;
		if (off + size > end)
			end = off + size;
	}
	if (pos > end)
		end = pos;
	if (!mapped(p, (size_t)end, ctx))
		return -RMCP_E_TRUNC;
	*out = (size_t)end;
	return 0;
}

static int extent_ccob(const uint8_t *p, rmcp_mapped_fn mapped, void *ctx, uint64_t max,
		       size_t *out)
{
	if (!mapped(p, 32, ctx))
		return -RMCP_E_TRUNC;
	uint16_t version = rmcp_le16(p + 4);
	uint64_t total;
	if (version == 2)
		total = rmcp_le32(p + 8);
	else if (version == 3)
		total = rmcp_le64(p + 8);
	else
		return -RMCP_E_UNSUPPORTED;	/* v1 has no total size; the payload has no end marker we could find without reading past it */
	if (total < 32 || total > max || !mapped(p, (size_t)total, ctx))
		return -RMCP_E_TRUNC;
	*out = (size_t)total;
	return 0;
}

int rmcp_image_extent(const void *p, rmcp_mapped_fn mapped, void *ctx, uint64_t max,
		      size_t *out)
{
	const uint8_t *b = p;
	*out = 0;
	if (!p || max < 32 || !mapped(p, 32, ctx))
		return -RMCP_E_TRUNC;
	if (max > SIZE_MAX)
		max = SIZE_MAX;
	if (memcmp(b, "\177ELF", 4) == 0)
		return extent_elf(b, mapped, ctx, max, out);
	if (memcmp(b, RMCP_BUNDLE_MAGIC, RMCP_BUNDLE_MAGIC_LEN) == 0)
		return extent_bundle(b, mapped, ctx, max, out);
	if (memcmp(b, RMCP_CCOB_MAGIC, 4) == 0)
		return extent_ccob(b, mapped, ctx, max, out);
	return -RMCP_E_FORMAT;
}
