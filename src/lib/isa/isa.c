/* SPDX-License-Identifier: MIT */
/*
 * Per-kernel ISA verdicts (isa.h): kernel ranges from isa_elf.c, instructions judged by the
 * fast path (isa_fast.c) or the LLVM oracle (isa_llvm.c), verdicts and first offenders here.
 */
#include "isa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeobj.h"
#include "isa_internal.h"
#include "banned.h"

const char *rmcp_isa_verdict_name(enum rmcp_isa_verdict v)
{
	switch (v) {
	case RMCP_ISA_OK:
		return "ok";
	case RMCP_ISA_UNVERIFIED:
		return "unverified";
	case RMCP_ISA_HAZARD:
		return "hazard";
	case RMCP_ISA_DIFFERS:
		return "differs";
	case RMCP_ISA_INVALID:
		return "invalid";
	}
	return "?";
}

const char *rmcp_isa_engine_name(enum rmcp_isa_engine e)
{
	switch (e) {
	case RMCP_ISA_ENGINE_FAST:
		return "fast";
	case RMCP_ISA_ENGINE_ORACLE:
		return "oracle";
	}
	return "?";
}

const char *rmcp_isa_insn_kind_name(enum rmcp_isa_insn_kind k)
{
	switch (k) {
	case RMCP_ISA_INSN_UNKNOWN:
		return "unknown";
	case RMCP_ISA_INSN_UNDECODABLE:
		return "undecodable";
	case RMCP_ISA_INSN_DIFFERS:
		return "differs";
	case RMCP_ISA_INSN_INVALID:
		return "invalid";
	}
	return "?";
}

/*
 * Bug workarounds LLVM applies when compiling for a processor (llvm/lib/Target/AMDGPU/
 * AMDGPU.td, LLVM 19: FeatureISAVersion10_1_Common lists them for gfx1010..gfx1013 and
 * gfx10-1-generic; FeatureISAVersion10_3_0 and the 10.3 generic list none; research/
 * binaries.md §4.1). Code built for a processor without them lacks the mitigations.
 */
static const char gfx101x_workarounds[] =
	"vcmpx-permlane-hazard vmem-to-scalar-write-hazard smem-to-vector-write-hazard "
	"inst-fwd-prefetch-bug vcmpx-exec-war-hazard lds-branch-vmem-war-hazard nsa-to-vmem-bug "
	"nsa-clause-bug offset-3f-bug flat-segment-offset-bug negative-unaligned-scratch-offset-bug "
	"lds-misaligned-bug";

/* NULL: not known to rmcp. */
static const char *workarounds_of(const char *proc)
{
	static const char *const g101[] = { "gfx1010", "gfx1011", "gfx1012", "gfx1013", "gfx10-1-generic" };
	for (size_t i = 0; i < sizeof(g101) / sizeof(g101[0]); i++)
		if (strcmp(proc, g101[i]) == 0)
			return gfx101x_workarounds;
	if (strncmp(proc, "gfx103", 6) == 0 || strcmp(proc, "gfx10-3-generic") == 0)
		return "";
	return NULL;
}

/* Do the hazard detectors cover this pair? gfx10.3 code (no workarounds) on a gfx10.1 GPU. */
static bool hazard_pair(const char *code, const char *real)
{
	const char *wc = workarounds_of(code), *wr = workarounds_of(real);
	return wc && wr && !wc[0] && wr == gfx101x_workarounds && rmcp_isa_fast_supports(code, real);
}

static void set_workarounds(struct rmcp_isa_report *r, const char *code, const char *real)
{
	const char *wc = workarounds_of(code), *wr = workarounds_of(real);
	if (strcmp(code, real) == 0 || (wc && wr && (strcmp(wc, wr) == 0 || !wr[0])))
		return;
	r->needs_workarounds = true;
	snprintf(r->workarounds, sizeof(r->workarounds), "%s", wr && wr[0] ? wr : "unknown");
}

void rmcp_isa_note(struct rmcp_isa_kernel *k, const uint8_t *p, size_t avail, uint64_t addr,
		   const struct rmcp_isa_step *st)
{
	switch (st->kind) {
	case RMCP_ISA_INSN_UNKNOWN:
		k->n_unknown++;
		break;
	case RMCP_ISA_INSN_UNDECODABLE:
		k->n_undecodable++;
		break;
	case RMCP_ISA_INSN_DIFFERS:
		k->n_differs++;
		break;
	case RMCP_ISA_INSN_INVALID:
		k->n_invalid++;
		break;
	}
	/* Keep the first instruction of the most severe kind. */
	if (k->has_first && k->first.kind >= st->kind)
		return;
	k->has_first = true;
	memset(&k->first, 0, sizeof(k->first));
	k->first.addr = addr;
	k->first.kind = st->kind;
	size_t n = st->len ? st->len : 4;
	if (n > avail)
		n = avail;
	if (n > sizeof(k->first.bytes))
		n = sizeof(k->first.bytes);
	memcpy(k->first.bytes, p, n);
	k->first.len = (uint8_t)n;
}

static enum rmcp_isa_verdict kernel_verdict(struct rmcp_isa_kernel *k, bool needs_wa)
{
	if (k->n_invalid)
		return RMCP_ISA_INVALID;
	if (k->n_differs)
		return RMCP_ISA_DIFFERS;
	if (k->n_hazards)
		return RMCP_ISA_HAZARD;
	if (k->n_undecodable || k->n_unknown) {
		snprintf(k->reason, sizeof(k->reason), "%llu instruction%s could not be judged",
			 (unsigned long long)(k->n_undecodable + k->n_unknown),
			 k->n_undecodable + k->n_unknown == 1 ? "" : "s");
		return RMCP_ISA_UNVERIFIED;
	}
	if (needs_wa && !k->hazards_checked) {
		if (!k->reason[0])
			snprintf(k->reason, sizeof(k->reason), "no hazard detector for this pair of GPUs");
		return RMCP_ISA_UNVERIFIED;
	}
	return RMCP_ISA_OK;
}

static int cmp_kernel(const void *a, const void *b)
{
	return strcmp(((const struct rmcp_isa_kernel *)a)->name, ((const struct rmcp_isa_kernel *)b)->name);
}

const struct rmcp_isa_kernel *rmcp_isa_find_kernel(const struct rmcp_isa_report *r, const char *name)
{
	size_t lo = 0, hi = r->n_kernels;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->kernels[mid].name, name);
		if (c == 0)
			return &r->kernels[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void rmcp_isa_report_release(struct rmcp_isa_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_kernels; i++)
		free(r->kernels[i].name);
	free(r->kernels);
	memset(r, 0, sizeof(*r));
}

/* The oracle, opened on first use (the fast path needs it only for a few rare keys). */
struct lazy_oracle {
	const char *code, *real;
	struct rmcp_isa_oracle *o;
	bool tried, fast_only;
};

static struct rmcp_isa_oracle *lazy_get(struct lazy_oracle *l)
{
	if (!l->tried && !l->fast_only && rmcp_isa_have_oracle()) {
		l->tried = true;
		rmcp_isa_oracle_open(l->code, l->real, &l->o, NULL);
	}
	return l->o;
}

static int lazy_ask(void *ctx, const uint8_t *p, size_t avail, uint64_t addr, struct rmcp_isa_step *st)
{
	struct rmcp_isa_oracle *o = lazy_get(ctx);
	return o ? rmcp_isa_oracle_step(o, p, avail, addr, st) : -RMCP_E_NOLIB;
}

static void fill_text(struct rmcp_isa_kernel *k, const struct rmcp_isa_fast *fast,
		      struct lazy_oracle *lo, bool use_llvm)
{
	struct rmcp_isa_insn *in = &k->first;
	struct rmcp_isa_oracle *o = use_llvm ? lazy_get(lo) : NULL;
	/* First bytes only: enough for any gfx10 instruction, bounded by what was kept. */
	if (o) {
		rmcp_isa_oracle_text(o, in->bytes, sizeof(in->bytes), in->addr, false, in->text, sizeof(in->text));
		rmcp_isa_oracle_text(o, in->bytes, sizeof(in->bytes), in->addr, true, in->real_text,
				     sizeof(in->real_text));
	} else if (fast) {
		snprintf(in->text, sizeof(in->text), "%s", rmcp_isa_fast_mnemonic(fast, in->bytes, in->len, false));
		snprintf(in->real_text, sizeof(in->real_text), "%s",
			 rmcp_isa_fast_mnemonic(fast, in->bytes, in->len, true));
	}
}

/* Step both engines over one range; count instructions where length or kind differ. The
 * walk follows the oracle (the reference), re-synchronising on its lengths. */
static void crosscheck(const struct rmcp_isa_fast *f, struct rmcp_isa_oracle *o, const uint8_t *p,
		       size_t size, uint64_t addr, struct rmcp_isa_report *out)
{
	size_t off = 0;
	while (off < size) {
		struct rmcp_isa_step so, sf;
		rmcp_isa_oracle_step(o, p + off, size - off, addr + off, &so);
		rmcp_isa_fast_step(f, p + off, size - off, &sf);
		/* A key the table leaves to LLVM agrees by construction: the fast path asks it. */
		bool deferred = sf.bad && sf.kind == RMCP_ISA_INSN_UNKNOWN;
		if (!deferred && (so.len != sf.len || so.bad != sf.bad || (so.bad && so.kind != sf.kind))) {
			if (!out->n_disagree++)
				out->first_disagree = addr + off;
		}
		off += so.len;
	}
}

int rmcp_isa_check(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
		   unsigned flags, struct rmcp_isa_report *out, struct rmcp_err *err)
{
	return rmcp_isa_check_memo(codeobj, len, real_gpu, flags, NULL, out, err);
}

int rmcp_isa_check_memo(const void *codeobj, size_t len, const struct rmcp_target_id *real_gpu,
			unsigned flags, struct rmcp_isa_memo *memo, struct rmcp_isa_report *out,
			struct rmcp_err *err)
{
	struct rmcp_codeobj co;
	int rc;
	memset(out, 0, sizeof(*out));
	rmcp_err_clear(err);
	if ((rc = rmcp_codeobj_header(codeobj, len, &co, err)) < 0)
		return rc;
	if (!co.tid.proc[0])
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "code object for unknown EF_AMDGPU_MACH 0x%02x",
				    co.mach);
	rmcp_codeobj_target(&co, out->code_target, sizeof(out->code_target));
	rmcp_target_id_format(real_gpu, out->real_target, sizeof(out->real_target));
	const char *cp = co.tid.proc, *rp = real_gpu->proc;

	bool oracle_only = (flags & RMCP_ISA_USE_ORACLE) || !rmcp_isa_fast_supports(cp, rp);
	if (oracle_only && (flags & RMCP_ISA_FAST_ONLY))
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "%s code on %s: the fast path covers gfx10 only",
				    cp, rp);
	struct lazy_oracle lo = { .code = cp, .real = rp, .fast_only = flags & RMCP_ISA_FAST_ONLY };
	if ((flags & RMCP_ISA_FAST_ONLY) && (flags & (RMCP_ISA_USE_ORACLE | RMCP_ISA_CROSSCHECK)))
		return rmcp_err_set(err, -EINVAL, "RMCP_ISA_FAST_ONLY excludes the oracle flags");
	struct rmcp_isa_fast *fast = NULL;
	if (oracle_only || (flags & RMCP_ISA_CROSSCHECK)) {
		if (!rmcp_isa_have_oracle()) {
			if (flags & (RMCP_ISA_USE_ORACLE | RMCP_ISA_CROSSCHECK))
				return rmcp_err_set(err, -RMCP_E_NOLIB, "rmcp was built without LLVM: no ISA oracle");
			return rmcp_err_set(err, -RMCP_E_UNSUPPORTED,
					    "%s code on %s: the fast path covers gfx10 only, and rmcp was built without LLVM",
					    cp, rp);
		}
		lo.tried = true;
		if ((rc = rmcp_isa_oracle_open(cp, rp, &lo.o, err)) < 0)
			return rc;
	}
	if (!oracle_only && (rc = rmcp_isa_fast_open(cp, rp, &fast)) < 0) {
		rmcp_isa_oracle_close(lo.o);
		return rmcp_err_set(err, rc, "out of memory");
	}
	out->engine = oracle_only ? RMCP_ISA_ENGINE_ORACLE : RMCP_ISA_ENGINE_FAST;
	out->same_isa = fast && rmcp_isa_fast_same_class(fast);
	set_workarounds(out, cp, rp);
	/* Hazard detectors need the fast path's key table, whichever engine decodes. */
	struct rmcp_isa_fast *hfast = NULL;
	struct rmcp_isa_hz *hz = NULL;
	if (out->needs_workarounds && !(flags & RMCP_ISA_NO_HAZARDS) && hazard_pair(cp, rp)) {
		if (!fast && (rc = rmcp_isa_fast_open(cp, rp, &hfast)) < 0) {
			rmcp_isa_oracle_close(lo.o);
			return rmcp_err_set(err, rc, "out of memory");
		}
		if ((rc = rmcp_isa_hz_open(fast ? fast : hfast, &hz)) < 0) {
			rmcp_isa_fast_close(hfast);
			rmcp_isa_fast_close(fast);
			rmcp_isa_oracle_close(lo.o);
			return rmcp_err_set(err, rc, "out of memory");
		}
		rmcp_isa_hz_share(hz, memo);
		out->hazards_checked = true;
	}

	struct rmcp_isa_range *ranges;
	size_t n;
	if ((rc = rmcp_isa_ranges(codeobj, len, &ranges, &n, err)) < 0)
		goto done;
	out->kernels = calloc(n ? n : 1, sizeof(*out->kernels));
	if (!out->kernels) {
		rmcp_isa_ranges_free(ranges, n);
		rc = rmcp_err_set(err, -ENOMEM, "out of memory");
		goto done;
	}
	const uint8_t *bytes = codeobj;
	struct rmcp_isa_rec *rec = NULL;	/* the walk's records for the detectors */
	size_t reccap = 0;
	for (size_t i = 0; i < n; i++) {
		struct rmcp_isa_kernel *k = &out->kernels[out->n_kernels++];
		const struct rmcp_isa_range *r = &ranges[i];
		k->name = r->name;
		r = &ranges[i];
		k->is_kernel = r->is_kernel;
		k->wave64 = r->wave64;
		k->wgp_mode = r->wgp_mode;
		k->addr = r->addr;
		k->size = r->size;
		const struct rmcp_isa_rec *recs = NULL;
		size_t nrec = 0;
		/* The same bytes as a kernel judged before in this file, whose walk found nothing
		 * wrong: its count and its hazards, without walking again. */
		bool known = fast && hz && !(flags & RMCP_ISA_CROSSCHECK) &&
			     rmcp_isa_hz_known(hz, bytes + r->off, r->size, r->addr, k);
		if (!known && fast) {
			if (hz && r->size / 4 + 1 > reccap) {
				free(rec);
				reccap = r->size / 4 + 1;
				if (!(rec = malloc(reccap * sizeof(*rec))))
					reccap = 0;	/* the detectors decode for themselves */
			}
			rmcp_isa_fast_walk(fast, bytes + r->off, r->size, r->addr, k, lazy_ask, &lo,
					   hz ? rec : NULL, &nrec);
			recs = hz ? rec : NULL;
			if (flags & RMCP_ISA_CROSSCHECK)
				crosscheck(fast, lo.o, bytes + r->off, r->size, r->addr, out);
		} else if (!known) {
			rmcp_isa_oracle_walk(lo.o, bytes + r->off, r->size, r->addr, k);
		}
		if (k->has_first)
			fill_text(k, fast, &lo, !(flags & RMCP_ISA_NO_TEXT));
		if (!known && hz && (rc = rmcp_isa_hz_kernel(hz, bytes + r->off, r->size, r->addr, k, recs, nrec)) < 0) {
			for (size_t j = 0; j < out->n_kernels; j++)
				ranges[j].name = NULL;	/* owned by the report, released below */
			rmcp_isa_ranges_free(ranges, n);
			free(rec);
			rc = rmcp_err_set(err, rc, "out of memory");
			goto done;
		}
		k->verdict = kernel_verdict(k, out->needs_workarounds);
		for (int c = 0; c < RMCP_ISA_HZ_NCLASSES; c++) {
			out->hazards_by_class[c] += k->n_by_class[c];
			out->kernels_by_class[c] += k->n_by_class[c] != 0;
		}
		out->n_insns += k->n_insns;
		out->n_invalid += k->n_invalid;
		out->n_differs += k->n_differs;
		out->n_undecodable += k->n_undecodable;
		out->n_unknown += k->n_unknown;
		out->kernels_by_verdict[k->verdict]++;
		if (k->verdict > out->verdict)
			out->verdict = k->verdict;
	}
	free(rec);
	for (size_t i = 0; i < n; i++)
		ranges[i].name = NULL;	/* now owned by the report */
	rmcp_isa_ranges_free(ranges, n);
	if (out->n_kernels > 1)
		qsort(out->kernels, out->n_kernels, sizeof(*out->kernels), cmp_kernel);
done:
	rmcp_isa_hz_close(hz);
	rmcp_isa_fast_close(hfast);
	rmcp_isa_fast_close(fast);
	rmcp_isa_oracle_close(lo.o);
	if (rc < 0)
		rmcp_isa_report_release(out);
	return rc;
}
