/* SPDX-License-Identifier: MIT */
/* The knowledge base's generic part: names, the fact store, clauses and templates (kb.h);
 * running the rules is kb_eval.c. */
#include "kb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

const char *rmcp_op_name(enum rmcp_op op)
{
	switch (op) {
	case RMCP_OP_EQ:
		return "eq";
	case RMCP_OP_NE:
		return "ne";
	case RMCP_OP_IN:
		return "in";
	case RMCP_OP_NOTIN:
		return "notin";
	case RMCP_OP_PREFIX:
		return "prefix";
	case RMCP_OP_NOTPREFIX:
		return "notprefix";
	case RMCP_OP_LT:
		return "lt";
	case RMCP_OP_LE:
		return "le";
	case RMCP_OP_GT:
		return "gt";
	case RMCP_OP_GE:
		return "ge";
	case RMCP_OP_HAS:
		return "has";
	case RMCP_OP_LACKS:
		return "lacks";
	case RMCP_OP_WITHIN:
		return "within";
	case RMCP_OP_OUTSIDE:
		return "outside";
	case RMCP_OP_SET:
		return "set";
	case RMCP_OP_UNSET:
		return "unset";
	}
	return "?";
}

const char *rmcp_severity_name(enum rmcp_severity s)
{
	switch (s) {
	case RMCP_SEV_OK:
		return "ok";
	case RMCP_SEV_INFO:
		return "info";
	case RMCP_SEV_WARN:
		return "warn";
	case RMCP_SEV_ERROR:
		return "error";
	}
	return "?";
}

const char *rmcp_verdict_name(enum rmcp_verdict v)
{
	switch (v) {
	case RMCP_VERDICT_NONE:
		return "none";
	case RMCP_VERDICT_YES:
		return "yes";
	case RMCP_VERDICT_WORKAROUND:
		return "workaround";
	case RMCP_VERDICT_NO:
		return "no";
	}
	return "?";
}

const char *rmcp_scope_name(enum rmcp_scope s)
{
	switch (s) {
	case RMCP_SCOPE_MACHINE:
		return "machine";
	case RMCP_SCOPE_GPU:
		return "gpu";
	case RMCP_SCOPE_SUMMARY:
		return "summary";
	}
	return "?";
}

/* "log.*" matches "log.gpu_hang"; "log.*.text" matches "log.gpu_hang.text". '*' stands for
 * one key component of [A-Za-z0-9_] characters, as data/gen-kb.py checks it. */
static bool key_matches(const char *pat, const char *key)
{
	while (*pat) {
		if (*pat == '*') {
			const char *k = key;
			while ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
			       *k == '_')
				k++;
			if (k == key)
				return false;
			key = k;
			pat++;
			continue;
		}
		if (*pat++ != *key++)
			return false;
	}
	return *key == '\0';
}

const struct rmcp_fact_def *rmcp_kb_fact_def(const char *key)
{
	for (size_t i = 0; i < rmcp_kb_facts_len; i++)
		if (key_matches(rmcp_kb_facts[i].key, key))
			return &rmcp_kb_facts[i];
	return NULL;
}

/* ---- fact store ---- */

void rmcp_facts_init(struct rmcp_facts *f)
{
	f->v = NULL;
	f->n = f->cap = 0;
}

void rmcp_facts_release(struct rmcp_facts *f)
{
	free(f->v);
	rmcp_facts_init(f);
}

static struct rmcp_fact *facts_find(const struct rmcp_facts *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].key, key) == 0)
			return &f->v[i];
	return NULL;
}

static void put_value(struct rmcp_fact *x, const char *value)
{
	size_t l = strlen(value);
	if (l < sizeof(x->value)) {
		memcpy(x->value, value, l + 1);
		return;
	}
	/* Values are for people and for eq/in tests on short words; a long list or path is
	 * cut visibly rather than rejected. */
	size_t keep = sizeof(x->value) - 4;
	memcpy(x->value, value, keep);
	memcpy(x->value + keep, "...", 4);
}

int rmcp_facts_set(struct rmcp_facts *f, const char *key, const char *value)
{
	if (strlen(key) >= RMCP_FACT_KEY_MAX)
		return -RMCP_E_LIMIT;
	struct rmcp_fact *x = facts_find(f, key);
	if (!x) {
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 64;
			struct rmcp_fact *nv = realloc(f->v, cap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			f->v = nv;
			f->cap = cap;
		}
		x = &f->v[f->n++];
		memcpy(x->key, key, strlen(key) + 1);
	}
	put_value(x, value ? value : "");
	return 0;
}

int rmcp_facts_setf(struct rmcp_facts *f, const char *key, const char *fmt, ...)
{
	char buf[RMCP_FACT_VALUE_MAX + 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return rmcp_facts_set(f, key, buf);
}

int rmcp_facts_append(struct rmcp_facts *f, const char *key, const char *item)
{
	const char *old = rmcp_facts_get(f, key);
	if (!old || !*old)
		return rmcp_facts_set(f, key, item);
	char buf[RMCP_FACT_VALUE_MAX + 8];
	snprintf(buf, sizeof(buf), "%s,%s", old, item);
	return rmcp_facts_set(f, key, buf);
}

const char *rmcp_facts_get(const struct rmcp_facts *f, const char *key)
{
	if (!f)
		return NULL;
	const struct rmcp_fact *x = facts_find(f, key);
	return x ? x->value : NULL;
}

const char *rmcp_view_get(const struct rmcp_fact_view *v, const char *key)
{
	const char *s = rmcp_facts_get(v->local, key);
	return s ? s : rmcp_facts_get(v->global, key);
}

/* ---- clauses ---- */

/* Is the item [item, item+len) one of the comma-separated items of list? */
static bool list_contains(const char *list, const char *item, size_t len)
{
	for (const char *p = list;;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == len && strncmp(p, item, len) == 0)
			return true;
		if (!e)
			return false;
		p = e + 1;
	}
}

/* Does any item of `items` (comma list) appear in `list`? */
static bool list_intersects(const char *list, const char *items)
{
	for (const char *p = items;;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && list_contains(list, p, l))
			return true;
		if (!e)
			return false;
		p = e + 1;
	}
}

/* Is every item of `list` one of the items of `allowed`? (An empty list is.) */
static bool list_within(const char *list, const char *allowed)
{
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && !list_contains(allowed, p, l))
			return false;
		if (!e)
			break;
		p = e + 1;
	}
	return true;
}

/* A signed decimal integer, the whole string: strtoll with end-pointer and ERANGE checks. */
static bool parse_int(const char *s, long long *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static bool compare(enum rmcp_op op, const char *fact, const char *value)
{
	long long a, b;
	if (!parse_int(fact, &a) || !parse_int(value, &b))
		return false;
	switch (op) {
	case RMCP_OP_LT:
		return a < b;
	case RMCP_OP_LE:
		return a <= b;
	case RMCP_OP_GT:
		return a > b;
	case RMCP_OP_GE:
		return a >= b;
	default:
		return false;
	}
}

bool rmcp_clause_holds(const struct rmcp_clause *c, const struct rmcp_fact_view *v)
{
	const char *fact = rmcp_view_get(v, c->key);
	if (c->op == RMCP_OP_UNSET)
		return !fact || !*fact;
	/* A clause about a fact rmcp does not have is false: missing knowledge never makes a
	 * rule fire (and a "yes" rule can only fire on facts that were read). */
	if (!fact)
		return false;
	const char *value = c->value;
	if (value[0] == '@' && (c->op == RMCP_OP_EQ || c->op == RMCP_OP_NE)) {
		value = rmcp_view_get(v, value + 1);
		if (!value)
			return false;
	}
	switch (c->op) {
	case RMCP_OP_EQ:
		return strcmp(fact, value) == 0;
	case RMCP_OP_NE:
		return strcmp(fact, value) != 0;
	case RMCP_OP_IN:
		return list_contains(value, fact, strlen(fact));
	case RMCP_OP_NOTIN:
		return !list_contains(value, fact, strlen(fact));
	case RMCP_OP_PREFIX:
		return strncmp(fact, value, strlen(value)) == 0;
	case RMCP_OP_NOTPREFIX:
		return strncmp(fact, value, strlen(value)) != 0;
	case RMCP_OP_LT:
	case RMCP_OP_LE:
	case RMCP_OP_GT:
	case RMCP_OP_GE:
		return compare(c->op, fact, value);
	case RMCP_OP_HAS:
		return list_intersects(fact, value);
	case RMCP_OP_LACKS:
		return !list_intersects(fact, value);
	case RMCP_OP_WITHIN:
		return list_within(fact, value);
	case RMCP_OP_OUTSIDE:
		return !list_within(fact, value);
	case RMCP_OP_SET:
		return *fact != '\0';
	case RMCP_OP_UNSET:
		break;
	}
	return false;
}

bool rmcp_clauses_hold(const struct rmcp_clause *c, size_t n, const struct rmcp_fact_view *v)
{
	for (size_t i = 0; i < n; i++)
		if (!rmcp_clause_holds(&c[i], v))
			return false;
	return true;
}

/* ---- templates ---- */

int rmcp_kb_expand(const char *tmpl, const struct rmcp_fact_view *v, char *out, size_t cap)
{
	if (cap == 0)
		return -RMCP_E_LIMIT;
	size_t o = 0;
	bool trunc = false;
#define PUT(ch)                          \
	do {                             \
		if (o + 1 < cap)         \
			out[o++] = (ch); \
		else                     \
			trunc = true;    \
	} while (0)
	for (const char *p = tmpl; *p;) {
		const char *close = *p == '{' ? strchr(p + 1, '}') : NULL;
		size_t klen = close ? (size_t)(close - p - 1) : 0;
		if (!close || klen == 0 || klen >= RMCP_FACT_KEY_MAX || memchr(p + 1, '{', klen)) {
			PUT(*p);
			p++;
			continue;
		}
		char key[RMCP_FACT_KEY_MAX];
		memcpy(key, p + 1, klen);
		key[klen] = '\0';
		const char *val = rmcp_view_get(v, key);
		if (!val || !*val)
			val = "?";
		/* List facts are stored "a,b,c" for the clauses; people read "a, b, c". */
		const struct rmcp_fact_def *def = rmcp_kb_fact_def(key);
		bool list = def && strcmp(def->type, "list") == 0;
		for (; *val; val++) {
			PUT(*val);
			if (list && *val == ',' && val[1] != ' ')
				PUT(' ');
		}
		p = close + 1;
	}
#undef PUT
	out[o] = '\0';
	return trunc ? -RMCP_E_LIMIT : (int)o;
}
