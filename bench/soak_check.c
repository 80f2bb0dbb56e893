/* SPDX-License-Identifier: MIT */
/*
 * bench/soak_check CACHE_DIR: after bench/soak.sh, is every entry of rmcp's caches in
 * CACHE_DIR (an $XDG_CACHE_HOME/rmcp) intact? The scan cache: every line after the header
 * passes rmcp_cache_open's checks (checksum, fields, header). The ISA verdict cache: every
 * <key>.isa loads under its own key (rmcp_isa_cache_load: key line, then a report that
 * decodes). No temporary file left behind. Prints the counts; exit 0 only if all hold.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "error.h"
#include "isa.h"

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: soak_check CACHE_DIR\n");
		return 2;
	}
	char path[4096], isa[4096];
	snprintf(path, sizeof(path), "%s/scan-cache-v1", argv[1]);
	snprintf(isa, sizeof(isa), "%s/isa", argv[1]);
	long lines = count_lines(path);
	struct rmcp_cache *c = NULL;
	int rc = rmcp_cache_open(argv[1], &c);
	size_t loaded = rc == 0 ? rmcp_cache_loaded(c) : 0;
	rmcp_cache_close(c);	/* nothing changed: nothing written */
	bool scan_ok = rc == 0 && lines > 1 && loaded == (size_t)(lines - 1);
	printf("scan cache: %zu of %ld entries intact\n", loaded, lines > 0 ? lines - 1 : 0);

	size_t n_isa = 0, good_isa = 0;
	DIR *d = opendir(isa);
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l != RMCP_ISA_KEY_LEN - 1 + 4 || strcmp(e->d_name + l - 4, ".isa") != 0)
			continue;
		char key[RMCP_ISA_KEY_LEN];
		memcpy(key, e->d_name, RMCP_ISA_KEY_LEN - 1);
		key[RMCP_ISA_KEY_LEN - 1] = '\0';
		struct rmcp_isa_report r;
		struct rmcp_err err;
		n_isa++;
		if (rmcp_isa_cache_load(isa, key, &r, &err) == 0) {
			good_isa++;
			rmcp_isa_report_release(&r);
		} else {
			printf("bad ISA entry: %s\n", err.msg);
		}
	}
	if (d)
		closedir(d);
	printf("ISA cache: %zu of %zu entries load under their key\n", good_isa, n_isa);
	int left = leftovers(argv[1]) + leftovers(isa);
	printf("temporary files left: %d\n", left);
	return scan_ok && n_isa > 0 && good_isa == n_isa && left == 0 ? 0 : 1;
}
