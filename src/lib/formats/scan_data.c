/* SPDX-License-Identifier: MIT */
/*
 * Data files that carry GPU code, or index it, by name (research/binaries.md §3):
 *  - rocBLAS / hipBLASLt Tensile libraries: library/TensileLibrary_*_gfxNNNN.{dat,yaml},
 *    Kernels.so-000-gfx906-xnack-.hsaco (':' written as '-' in file names, Tensile
 *    TensileCreateLibrary.py), newer layout library/<arch>/... (rocm-kpack database_handlers).
 *    The .co/.hsaco files are raw code objects and are read by content before this runs.
 *  - MIOpen kernel databases: <arch>_<CU>.kdb or <arch><hexCU>.kdb (MIOpen handle.hpp
 *    GetDbBasename), SQLite files.
 */
#include <stdio.h>
#include <string.h>

#include "scan_internal.h"
#include "target.h"
#include "banned.h"

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

const char *rmcp_target_prefix(const char *s, size_t len, size_t *used)
{
	const struct rmcp_target *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < rmcp_target_table_len; i++) {
		const struct rmcp_target *t = &rmcp_target_table[i];
		size_t n = strlen(t->name);
		if (n <= len && n > best_len && memcmp(s, t->name, n) == 0) {
			best = t;
			best_len = n;
		}
	}
	if (used)
		*used = best_len;
	return best ? best->name : NULL;
}

/*
 * Find a target named in a file name: the last "gfx..." that is a known processor and is
 * not followed by more name characters, with Tensile's "-xnack-"/"-sramecc+" suffixes.
 */
static int target_from_name(const char *name, char *out, size_t cap)
{
	size_t len = strlen(name);
	for (size_t i = len; i-- > 0;) {
		if (len - i < 3 || memcmp(name + i, "gfx", 3) != 0 || (i && is_name_char(name[i - 1])))
			continue;
		size_t used;
		const char *t = rmcp_target_prefix(name + i, len - i, &used);
		if (!t || (i + used < len && is_name_char(name[i + used])))
			continue;
		int n = snprintf(out, cap, "%s", t);
		const char *p = name + i + used;
		static const char *const feats[] = { "-sramecc+", "-sramecc-", "-xnack+", "-xnack-" };
		for (size_t k = 0; k < sizeof(feats) / sizeof(feats[0]); k++) {
			size_t fl = strlen(feats[k]);
			if (strncmp(p, feats[k], fl) == 0 && n > 0 && (size_t)n < cap) {
				n += snprintf(out + n, cap - (size_t)n, ":%s", feats[k] + 1);
				p += fl;
			}
		}
		return n > 0 && (size_t)n < cap ? 1 : 0;
	}
	return 0;
}

static const char *base_name(const char *path, size_t *dirlen)
{
	const char *b = strrchr(path, '/');
	*dirlen = b ? (size_t)(b - path) : 0;
	return b ? b + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_tensile_name(const char *b)
{
	return strncmp(b, "TensileLibrary", 14) == 0 &&
	       (ends_with(b, ".dat") || ends_with(b, ".yaml") || ends_with(b, ".yml"));
}

int rmcp_scan_by_name(const uint8_t *buf, size_t len, const char *path, struct rmcp_file *f)
{
	size_t dirlen;
	const char *b = base_name(path, &dirlen);
	char target[64];

	if (ends_with(b, ".kdb")) {
		f->format = RMCP_FMT_MIOPEN_KDB;
		size_t used;
		const char *t = rmcp_target_prefix(b, strlen(b), &used);
		if (len < 16 || memcmp(buf, "SQLite format 3", 16) != 0)
			return rmcp_file_set_error(f, "MIOpen kernel database is not an SQLite file") ? -1 : 1;
		if (!t)
			return rmcp_file_set_note(f, "no known target in the file name") ? -1 : 1;
		return rmcp_file_add_target(f, t) ? -1 : 1;
	}
	if (!is_tensile_name(b))
		return 0;
	f->format = RMCP_FMT_TENSILE;
	if (target_from_name(b, target, sizeof(target)))
		return rmcp_file_add_target(f, target) ? -1 : 1;
	/* Newer layout: library/<arch>/TensileLibrary.dat */
	const char *d = path + dirlen;
	const char *parent = d;
	while (parent > path && parent[-1] != '/')
		parent--;
	char pname[64];
	size_t plen = (size_t)(d - parent);
	if (plen && plen < sizeof(pname)) {
		memcpy(pname, parent, plen);
		pname[plen] = '\0';
		if (target_from_name(pname, target, sizeof(target)))
			return rmcp_file_add_target(f, target) ? -1 : 1;
	}
	return rmcp_file_set_note(f, "no target in the file name (a shared index)") ? -1 : 1;
}
