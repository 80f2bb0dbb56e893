/* SPDX-License-Identifier: MIT */
#include "names.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "banned.h"

size_t rmcp_utf8_seq(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool rmcp_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && p[i] < 0x80)	/* ASCII, nearly every name: one byte at a time */
		i++;
	while (i < n) {
		size_t l = rmcp_utf8_seq(p + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/*
 * The escaped form of the sequence at p: "\xNN" for a byte that is a control character
 * (C0, DEL), not UTF-8, or the first byte of a C1 control (U+0080..U+009F: terminals take
 * U+009B as CSI); "\\" for a backslash; else the sequence itself. *used: bytes consumed.
 */
static size_t escape_one(const unsigned char *p, size_t n, char out[8], size_t *used)
{
	size_t l = rmcp_utf8_seq(p, n);
	bool c1 = l == 2 && p[0] == 0xc2 && p[1] < 0xa0;
	if (l == 1 && p[0] == '\\') {
		*used = 1;
		memcpy(out, "\\\\", 2);
		return 2;
	}
	if (l == 0 || c1 || (l == 1 && (p[0] < 0x20 || p[0] == 0x7f))) {
		static const char hex[] = "0123456789abcdef";
		*used = 1;
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[p[0] >> 4];
		out[3] = hex[p[0] & 15];
		return 4;
	}
	*used = l;
	memcpy(out, p, l);
	return l;
}

int rmcp_fput_name(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), written = 0;
	for (size_t i = 0; i < n;) {
		/* A run of printable ASCII other than backslash goes out as it is, in one write. */
		size_t run = 0;
		while (i + run < n && p[i + run] >= 0x20 && p[i + run] < 0x7f && p[i + run] != '\\')
			run++;
		if (run) {
			if (fwrite(p + i, 1, run, out) != run)
				return -1;
			written += run;
			i += run;
			continue;
		}
		char e[8];
		size_t used, k = escape_one(p + i, n - i, e, &used);
		if (fwrite(e, 1, k, out) != k)
			return -1;
		written += k;
		i += used;
	}
	return written > INT32_MAX ? INT32_MAX : (int)written;
}

size_t rmcp_name_escape(char *dst, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		char e[8];
		size_t used, k = escape_one(p + i, n - i, e, &used);
		if (o + k + 1 > cap) {
			size_t keep = cap > 4 ? cap - 4 : 0;
			if (o > keep)
				o = keep;
			while (o > 0 && ((unsigned char)dst[o] & 0xc0) == 0x80)
				o--;	/* do not cut a UTF-8 sequence */
			if (cap >= 4) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(dst + o, e, k);
		o += k;
		i += used;
	}
	dst[o] = '\0';
	return o;
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* s with each invalid sequence replaced by U+FFFD; NULL if out of memory. */
static char *replace_invalid(const char *s, size_t n)
{
	char *d = malloc(n * 3 + 1), *o = d;
	const unsigned char *p = (const unsigned char *)s;
	if (!d)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = rmcp_utf8_seq(p + i, n - i);
		if (l) {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return d;
}

static struct json_object *hex_of(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *h = malloc(n * 2 + 1);
	if (!h)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = hex[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = hex[(unsigned char)s[i] & 15];
	}
	struct json_object *o = json_object_new_string_len(h, (int)(n * 2));
	free(h);
	return o;
}

/* If str is not UTF-8: replace it in place (json_object_set_string) and return its raw
 * bytes as hex (a new object), else NULL. *err set on out of memory. */
static struct json_object *fix_string(struct json_object *str, int *err)
{
	const char *s = json_object_get_string(str);
	size_t n = (size_t)json_object_get_string_len(str);
	if (rmcp_utf8_valid(s, n))
		return NULL;
	struct json_object *raw = hex_of(s, n);
	char *fixed = replace_invalid(s, n);
	if (!raw || !fixed || !json_object_set_string(str, fixed)) {
		json_object_put(raw);
		free(fixed);
		*err = -ENOMEM;
		return NULL;
	}
	free(fixed);
	return raw;
}

static int sanitize(struct json_object *o);

/* An array: strings fixed in place; returns the "<key>_raw" array, or NULL if none. */
static struct json_object *sanitize_array(struct json_object *a, int *err)
{
	size_t n = json_object_array_length(a);
	struct json_object *bytes = NULL;
	for (size_t i = 0; i < n && !*err; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string)) {
			*err = sanitize(e);
			continue;
		}
		struct json_object *raw = fix_string(e, err);
		if (!raw)
			continue;
		if (!bytes && !(bytes = json_object_new_array())) {
			json_object_put(raw);
			*err = -ENOMEM;
			break;
		}
		json_object_array_put_idx(bytes, i, raw);	/* earlier slots stay null */
	}
	if (bytes && json_object_array_length(bytes) < n)
		json_object_array_put_idx(bytes, n - 1, NULL);	/* same length as the array */
	return bytes;
}

static int add_raw(struct json_object *obj, const char *key, struct json_object *raw)
{
	size_t kl = strlen(key);
	char *k = malloc(kl + sizeof("_raw"));
	if (!k) {
		json_object_put(raw);
		return -ENOMEM;
	}
	memcpy(k, key, kl);
	memcpy(k + kl, "_raw", sizeof("_raw"));
	json_object_object_add(obj, k, raw);
	free(k);
	return 0;
}

static int sanitize_object(struct json_object *o)
{
	/* Collected first: members are not added while the object is being iterated. */
	struct pending {
		char *key;
		struct json_object *raw;
	} *deferred = NULL;
	size_t n = 0;
	int err = 0;
	json_object_object_foreach(o, key, val) {
		struct json_object *raw = NULL;
		if (err)
			break;
		if (json_object_is_type(val, json_type_string))
			raw = fix_string(val, &err);
		else if (json_object_is_type(val, json_type_array))
			raw = sanitize_array(val, &err);
		else if (json_object_is_type(val, json_type_object))
			err = sanitize_object(val);
		if (!raw)
			continue;
		struct pending *t = realloc(deferred, (n + 1) * sizeof(*t));
		if (!t || !(t[n].key = strdup(key))) {
			if (t)
				deferred = t;
			json_object_put(raw);
			err = -ENOMEM;
			break;
		}
		deferred = t;
		t[n++].raw = raw;
	}
	for (size_t i = 0; i < n; i++) {
		if (!err)
			err = add_raw(o, deferred[i].key, deferred[i].raw);
		else
			json_object_put(deferred[i].raw);
		free(deferred[i].key);
	}
	free(deferred);
	return err;
}

static int sanitize(struct json_object *o)
{
	int err = 0;
	if (json_object_is_type(o, json_type_object))
		return sanitize_object(o);
	if (json_object_is_type(o, json_type_array)) {
		struct json_object *b = sanitize_array(o, &err);
		json_object_put(b);	/* no key to put it under */
	} else if (json_object_is_type(o, json_type_string)) {
		json_object_put(fix_string(o, &err));
	}
	return err;
}

int rmcp_json_sanitize(struct json_object *root)
{
	return root ? sanitize(root) : 0;
}

