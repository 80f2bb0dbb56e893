/* SPDX-License-Identifier: MIT */
#include "ccob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef RMCP_HAVE_ZSTD
#include <zstd.h>
#endif

#include "lazylib.h"

#include "budget.h"
#include "bytes.h"
#include "banned.h"

#define CHUNK (64 * 1024)

#ifdef RMCP_HAVE_ZSTD
/* libzstd is opened on first use (lazylib.h): the entry points below are dlsym'ed, and the
 * ZSTD_* names used in this file are redirected to them. */
static struct {
	size_t (*findFrameCompressedSize)(const void *, size_t);
	unsigned (*isError)(size_t);
	const char *(*getErrorName)(size_t);
	ZSTD_DStream *(*createDStream)(void);
	size_t (*initDStream)(ZSTD_DStream *);
	size_t (*decompressStream)(ZSTD_DStream *, ZSTD_outBuffer *, ZSTD_inBuffer *);
	size_t (*freeDStream)(ZSTD_DStream *);
} zstd_api;
static const char *const zstd_sonames[] = { "libzstd.so.1", NULL };
static const char *const zstd_symbols[] = {
	"ZSTD_findFrameCompressedSize", "ZSTD_isError", "ZSTD_getErrorName", "ZSTD_createDStream",
	"ZSTD_initDStream", "ZSTD_decompressStream", "ZSTD_freeDStream", NULL,
};
static struct rmcp_lazylib zstd_lib = {
	.what = "libzstd", .sonames = zstd_sonames, .symbols = zstd_symbols,
	.slots = (void **)&zstd_api,
};
_Static_assert(sizeof(zstd_api) == 7 * sizeof(void *), "one slot per symbol");
#define ZSTD_findFrameCompressedSize zstd_api.findFrameCompressedSize
#define ZSTD_isError zstd_api.isError
#define ZSTD_getErrorName zstd_api.getErrorName
#define ZSTD_createDStream zstd_api.createDStream
#define ZSTD_initDStream zstd_api.initDStream
#define ZSTD_decompressStream zstd_api.decompressStream
#define ZSTD_freeDStream zstd_api.freeDStream

static int need_zstd(struct rmcp_err *err)
{
	if (rmcp_lazylib_load(&zstd_lib) < 0)
		return rmcp_err_set(err, -RMCP_E_NOLIB, "zstd-compressed bundle: %s", zstd_lib.why);
	return 0;
}
#endif

bool rmcp_is_ccob(const void *buf, size_t len)
{
	return len >= 4 && memcmp(buf, RMCP_CCOB_MAGIC, 4) == 0;
}

static int v1_extent(const uint8_t *payload, size_t plen, uint16_t method, uint64_t *used,
		     struct rmcp_err *err)
{
	if (method == RMCP_CCOB_ZSTD) {
#ifdef RMCP_HAVE_ZSTD
		/* Walks frame and block headers only. */
		int rc = need_zstd(err);
		if (rc < 0)
			return rc;
		size_t n = ZSTD_findFrameCompressedSize(payload, plen);
		if (ZSTD_isError(n))
			return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "CCOB v1 zstd frame: %s",
					    ZSTD_getErrorName(n));
		*used = n;
		return 0;
#else
		return rmcp_err_set(err, -RMCP_E_NOLIB, "zstd-compressed bundle, and rmcp was built without libzstd");
#endif
	}
	/* zlib has no frame index: inflate into a scratch buffer to find the stream end. */
	/* Heap, not a static or thread-local buffer: this code is linked into librmcp.so, where a
	 * large TLS segment would cost every thread of the user's process. */
	unsigned char *sink = malloc(CHUNK);
	if (!sink)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		free(sink);
		return rmcp_err_set(err, -ENOMEM, "zlib init failed");
	}
	z.next_in = (Bytef *)payload;
	int rc = Z_OK;
	size_t left = plen;
	while (rc == Z_OK) {
		uInt in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
		z.avail_in = in;
		z.next_out = sink;
		z.avail_out = CHUNK;
		rc = inflate(&z, Z_NO_FLUSH);
		left -= in - z.avail_in;
		if (rc == Z_BUF_ERROR && left == 0)
			break;
		if (rc == Z_BUF_ERROR)
			rc = Z_OK;
	}
	uint64_t total_in = z.total_in;
	inflateEnd(&z);
	free(sink);
	if (rc != Z_STREAM_END)
		return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "CCOB v1 zlib stream does not end");
	*used = total_in;
	return 0;
}

int rmcp_ccob_header(const void *buf, size_t len, struct rmcp_ccob_hdr *hdr, struct rmcp_err *err)
{
	const uint8_t *p = buf;
	memset(hdr, 0, sizeof(*hdr));
	if (!rmcp_is_ccob(p, len))
		return rmcp_err_set(err, -RMCP_E_FORMAT, "no CCOB magic");
	if (len < 8)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "CCOB header truncated after %zu bytes", len);
	hdr->version = rmcp_le16(p + 4);
	hdr->method = rmcp_le16(p + 6);
	switch (hdr->version) {
	case 1:
		hdr->header_size = 20;
		break;
	case 2:
		hdr->header_size = 24;
		break;
	case 3:
		hdr->header_size = 32;
		break;
	default:
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "CCOB version %u", hdr->version);
	}
	if (hdr->method != RMCP_CCOB_ZLIB && hdr->method != RMCP_CCOB_ZSTD)
		return rmcp_err_set(err, -RMCP_E_UNSUPPORTED, "CCOB compression method %u",
				    hdr->method);
	if (len < hdr->header_size)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "CCOB v%u header needs %zu bytes, have %zu",
				    hdr->version, hdr->header_size, len);
	switch (hdr->version) {
	case 1:
		hdr->uncompressed_size = rmcp_le32(p + 8);
		hdr->hash = rmcp_le64(p + 12);
		break;
	case 2:
		hdr->total_size = rmcp_le32(p + 8);
		hdr->uncompressed_size = rmcp_le32(p + 12);
		hdr->hash = rmcp_le64(p + 16);
		break;
	default:
		hdr->total_size = rmcp_le64(p + 8);
		hdr->uncompressed_size = rmcp_le64(p + 16);
		hdr->hash = rmcp_le64(p + 24);
		break;
	}
	if (hdr->version == 1) {
		uint64_t used = 0;
		int rc = v1_extent(p + hdr->header_size, len - hdr->header_size, hdr->method,
				   &used, err);
		if (rc < 0)
			return rc;
		hdr->total_size = hdr->header_size + used;
	}
	if (hdr->total_size < hdr->header_size + 1)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "CCOB total size %llu is smaller than its header",
				    (unsigned long long)hdr->total_size);
	if (hdr->total_size > len)
		return rmcp_err_set(err, -RMCP_E_TRUNC,
				    "CCOB declares %llu bytes, only %zu present",
				    (unsigned long long)hdr->total_size, len);
	uint64_t payload = hdr->total_size - hdr->header_size;
	if (hdr->uncompressed_size < RMCP_BUNDLE_MAGIC_LEN + 8)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "CCOB uncompressed size %llu is too small",
				    (unsigned long long)hdr->uncompressed_size);
	return rmcp_inflate_budget(payload, hdr->uncompressed_size, RMCP_CCOB_MAX_UNCOMPRESSED,
				   "CCOB payload", err);
}

struct rmcp_ccob_stream {
	uint16_t method;
	uint64_t limit;		/* declared uncompressed size */
	uint64_t produced;
	bool done;
	int failed;		/* first error, returned again by every later read */
	unsigned char *scratch;	/* CHUNK bytes for skipping, allocated on first use */
	z_stream z;
#ifdef RMCP_HAVE_ZSTD
	ZSTD_DStream *zs;
	ZSTD_inBuffer in;
#endif
	const uint8_t *src;
	size_t src_len;
};

int rmcp_ccob_stream_open(struct rmcp_ccob_stream **out, const void *buf, size_t len,
			  const struct rmcp_ccob_hdr *hdr, struct rmcp_err *err)
{
	*out = NULL;
	if (hdr->total_size > len)
		return rmcp_err_set(err, -RMCP_E_TRUNC, "CCOB payload truncated");
	struct rmcp_ccob_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	s->method = hdr->method;
	s->limit = hdr->uncompressed_size;
	s->src = (const uint8_t *)buf + hdr->header_size;
	s->src_len = (size_t)(hdr->total_size - hdr->header_size);
	if (s->method == RMCP_CCOB_ZLIB) {
		if (inflateInit(&s->z) != Z_OK) {
			free(s);
			return rmcp_err_set(err, -ENOMEM, "zlib init failed");
		}
		s->z.next_in = (Bytef *)s->src;
		s->z.avail_in = s->src_len > UINT32_MAX ? UINT32_MAX : (uInt)s->src_len;
	} else {
#ifdef RMCP_HAVE_ZSTD
		int rc = need_zstd(err);
		if (rc < 0) {
			free(s);
			return rc;
		}
		s->zs = ZSTD_createDStream();
		if (!s->zs) {
			free(s);
			return rmcp_err_set(err, -ENOMEM, "zstd init failed");
		}
		ZSTD_initDStream(s->zs);
		s->in.src = s->src;
		s->in.size = s->src_len;
		s->in.pos = 0;
#else
		free(s);
		return rmcp_err_set(err, -RMCP_E_NOLIB,
				    "zstd-compressed bundle, and rmcp was built without libzstd");
#endif
	}
	*out = s;
	return 0;
}

static long long zlib_read(struct rmcp_ccob_stream *s, void *dst, size_t n, struct rmcp_err *err)
{
	s->z.next_out = dst;
	s->z.avail_out = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	uLong before = s->z.total_out;
	/* Refill avail_in for payloads over 4 GiB. */
	if (s->z.avail_in == 0) {
		size_t consumed = (size_t)((const uint8_t *)s->z.next_in - s->src);
		size_t left = s->src_len - consumed;
		s->z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
	}
	int rc = inflate(&s->z, Z_NO_FLUSH);
	if (rc == Z_STREAM_END)
		s->done = true;
	else if (rc == Z_BUF_ERROR && s->z.avail_in == 0)
		return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "zlib stream ends early");
	else if (rc != Z_OK && rc != Z_BUF_ERROR)
		return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "zlib: %s",
				    s->z.msg ? s->z.msg : "corrupt stream");
	return (long long)(s->z.total_out - before);
}

#ifdef RMCP_HAVE_ZSTD
static long long zstd_read(struct rmcp_ccob_stream *s, void *dst, size_t n, struct rmcp_err *err)
{
	ZSTD_outBuffer out = { dst, n, 0 };
	while (out.pos == 0) {
		size_t rc = ZSTD_decompressStream(s->zs, &out, &s->in);
		if (ZSTD_isError(rc))
			return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "zstd: %s", ZSTD_getErrorName(rc));
		if (rc == 0) {
			s->done = true;
			break;
		}
		if (s->in.pos == s->in.size && out.pos == 0)
			return rmcp_err_set(err, -RMCP_E_DECOMPRESS, "zstd stream ends early");
	}
	return (long long)out.pos;
}
#endif

long long rmcp_ccob_stream_read(struct rmcp_ccob_stream *s, void *dst, size_t n,
				struct rmcp_err *err)
{
	if (s->failed)
		return rmcp_err_set(err, s->failed, "CCOB stream already failed");
	if (s->done || n == 0)
		return 0;
	/* Never produce more than declared: one byte over the limit is a lying header. */
	uint64_t room = s->limit - s->produced + 1;
	if (n > room)
		n = (size_t)room;
	long long got;
#ifdef RMCP_HAVE_ZSTD
	if (s->method == RMCP_CCOB_ZSTD)
		got = zstd_read(s, dst, n, err);
	else
#endif
		got = zlib_read(s, dst, n, err);
	if (got < 0) {
		s->failed = (int)got;
		return got;
	}
	s->produced += (uint64_t)got;
	if (s->produced > s->limit) {
		s->failed = -RMCP_E_FORMAT;
		return rmcp_err_set(err, -RMCP_E_FORMAT,
				    "CCOB decompresses to more than its declared %llu bytes",
				    (unsigned long long)s->limit);
	}
	return got;
}

int rmcp_ccob_stream_skip(struct rmcp_ccob_stream *s, uint64_t n, struct rmcp_err *err)
{
	if (n && !s->scratch && !(s->scratch = malloc(CHUNK)))
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	while (n) {
		long long got = rmcp_ccob_stream_read(s, s->scratch, n > CHUNK ? CHUNK : (size_t)n, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return rmcp_err_set(err, -RMCP_E_TRUNC, "CCOB payload ends before offset %llu",
					    (unsigned long long)(s->produced + n));
		n -= (uint64_t)got;
	}
	return 0;
}

uint64_t rmcp_ccob_stream_pos(const struct rmcp_ccob_stream *s)
{
	return s->produced;
}

void rmcp_ccob_stream_close(struct rmcp_ccob_stream *s)
{
	if (!s)
		return;
	if (s->method == RMCP_CCOB_ZLIB)
		inflateEnd(&s->z);
#ifdef RMCP_HAVE_ZSTD
	else if (s->zs)
		ZSTD_freeDStream(s->zs);
#endif
	free(s->scratch);
	free(s);
}

/* Fill buf[have..want) from the stream; returns new fill level or < 0. */
static long long fill(struct rmcp_ccob_stream *s, uint8_t *buf, size_t have, size_t want,
		      struct rmcp_err *err)
{
	while (have < want) {
		long long got = rmcp_ccob_stream_read(s, buf + have, want - have, err);
		if (got < 0)
			return got;
		if (got == 0)
			break;
		have += (size_t)got;
	}
	return (long long)have;
}

int rmcp_ccob_list(const void *buf, size_t len, const struct rmcp_ccob_hdr *hdr,
		   struct rmcp_bundle *out, void **prefix, struct rmcp_err *err)
{
	struct rmcp_ccob_stream *s;
	*prefix = NULL;
	memset(out, 0, sizeof(*out));
	int rc = rmcp_ccob_stream_open(&s, buf, len, hdr, err);
	if (rc < 0)
		return rc;
	size_t cap = 4096, have = 0;
	uint8_t *p = NULL;
	for (;;) {
		if (cap > hdr->uncompressed_size)
			cap = (size_t)hdr->uncompressed_size;
		uint8_t *np = realloc(p, cap ? cap : 1);
		if (!np) {
			rc = rmcp_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		p = np;
		long long got = fill(s, p, have, cap, err);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		bool ended = (size_t)got < cap;
		have = (size_t)got;
		size_t need = 0;
		struct rmcp_err tmp = { 0 };
		rc = rmcp_bundle_parse(p, have, hdr->uncompressed_size, out, &need, &tmp);
		if (rc == 0)
			break;
		if (rc == -RMCP_E_TRUNC && need > have && !ended) {
			cap = need;
			continue;
		}
		if (ended && have < hdr->uncompressed_size)
			rc = rmcp_err_set(err, -RMCP_E_TRUNC,
					  "CCOB payload decompresses to %zu bytes, header says %llu",
					  have, (unsigned long long)hdr->uncompressed_size);
		else
			rc = rmcp_err_set(err, tmp.code, "%s", tmp.msg);
		break;
	}
	rmcp_ccob_stream_close(s);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*prefix = p;
	return 0;
}

int rmcp_ccob_decompress(const void *buf, size_t len, const struct rmcp_ccob_hdr *hdr,
			 void **out, size_t *out_len, struct rmcp_err *err)
{
	struct rmcp_ccob_stream *s;
	*out = NULL;
	*out_len = 0;
	if (hdr->uncompressed_size > SIZE_MAX - 1)
		return rmcp_err_set(err, -RMCP_E_LIMIT, "CCOB too large for this machine");
	int rc = rmcp_ccob_stream_open(&s, buf, len, hdr, err);
	if (rc < 0)
		return rc;
	size_t want = (size_t)hdr->uncompressed_size;
	/* +1 so a stream that keeps going past the declared size is detected. */
	uint8_t *p = malloc(want + 1);
	if (!p) {
		rmcp_ccob_stream_close(s);
		return rmcp_err_set(err, -ENOMEM, "out of memory for %zu bytes", want);
	}
	long long got = fill(s, p, 0, want + 1, err);
	rmcp_ccob_stream_close(s);
	if (got < 0) {
		free(p);
		return (int)got;
	}
	if ((size_t)got != want) {
		free(p);
		return rmcp_err_set(err, -RMCP_E_TRUNC,
				    "CCOB payload decompresses to %lld bytes, header says %zu", got, want);
	}
	*out = p;
	*out_len = want;
	return 0;
}
