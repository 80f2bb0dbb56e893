/* SPDX-License-Identifier: MIT */
/*
 * rmcp capture, the software side (capture_internal.h): every path the stack reader touched
 * while diagnosing (version files, links, directory entries; dpkg's status cut to the GPU
 * stack's stanzas), libraries and other binary or large files as empty stand-ins, and the
 * scan results of those stand-ins as rmcp-snapshot/scan.tsv.
 */
#include "capture_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

void capture_record_path(void *ctx, const char *rel)
{
	struct rmcp_capture *c = ctx;
	if (capture_grow((void **)&c->paths, &c->cap_paths, c->n_paths, sizeof(*c->paths)) < 0 ||
	    !(c->paths[c->n_paths] = strdup(rel))) {
		c->oom = 1;
		return;
	}
	c->n_paths++;
}

void capture_record_scan(void *ctx, const char *rel, const struct rmcp_cached_scan *r)
{
	struct rmcp_capture *c = ctx;
	if (strpbrk(rel, "\t\n"))
		return;
	for (size_t i = 0; i < c->n_scans; i++)
		if (strcmp(c->scans[i].rel, rel) == 0)
			return;
	if (capture_grow((void **)&c->scans, &c->cap_scans, c->n_scans, sizeof(*c->scans)) < 0 ||
	    !(c->scans[c->n_scans].rel = strdup(rel))) {
		c->oom = 1;
		return;
	}
	c->scans[c->n_scans++].r = *r;
}

static bool scanned(const struct rmcp_capture *c, const char *rel)
{
	for (size_t i = 0; i < c->n_scans; i++)
		if (strcmp(c->scans[i].rel, rel) == 0)
			return true;
	return false;
}

/* dpkg's status file: only the stanzas of GPU-stack packages (the doctor asks for rocm-core,
 * hip-runtime-amd, libamdhip64-*). */
static void dpkg_status(struct rmcp_capture *c, const char *rel, const char *text, unsigned mode)
{
	static const char *const keys[] = { "rocm", "hip", "amd", "miopen", "hsa", "rocblas", "torch" };
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	for (const char *para = text; mem && *para;) {
		const char *end = strstr(para, "\n\n");
		size_t pl = end ? (size_t)(end - para) : strlen(para);
		const char *pkg = strncmp(para, "Package: ", 9) == 0 ? para + 9 : NULL;
		size_t nl = pkg ? strcspn(pkg, "\n") : 0;
		bool keep = false;
		for (size_t i = 0; pkg && i < sizeof(keys) / sizeof(keys[0]); i++)
			keep |= memmem(pkg, nl, keys[i], strlen(keys[i])) != NULL;
		if (keep) {
			fwrite(para, 1, pl, mem);
			fputs("\n\n", mem);
		}
		para += pl;
		while (*para == '\n')
			para++;
	}
	if (!mem || fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	capture_add(c, rel, RMCP_CAP_FILE, mode, out, len);
	free(out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void software_files(struct rmcp_capture *c)
{
	if (c->n_paths)
		qsort(c->paths, c->n_paths, sizeof(*c->paths), cmp_str);
	for (size_t i = 0; i < c->n_paths; i++) {
		const char *rel = c->paths[i];
		if ((i && strcmp(rel, c->paths[i - 1]) == 0) || strncmp(rel, "/proc/", 6) == 0 ||
		    strncmp(rel, "/sys/", 5) == 0 || strncmp(rel, "/dev/", 5) == 0 || strcmp(rel, "/") == 0)
			continue;
		char path[PATH_MAX];
		struct stat st;
		if (capture_host_path(c, rel, path, sizeof(path)) < 0 || lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			capture_add(c, rel, RMCP_CAP_DIR, st.st_mode, "", 0);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(path, target, sizeof(target) - 1);
			if (n > 0)
				capture_add(c, rel, RMCP_CAP_LINK, 0777, target, (size_t)n);
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			ssize_t n = -EFBIG;
			if (!scanned(c, rel) && (size_t)st.st_size <= COPY_MAX)
				n = capture_slurp(path, &data, COPY_MAX);
			/* Binaries (ELF, archives, databases) and big files: an empty stand-in. */
			if (n > 0 && (memcmp(data, "\x7f" "ELF", n >= 4 ? 4 : (size_t)n) == 0 || memchr(data, '\0', (size_t)n)))
				n = -EFBIG;
			if (n >= 0 && strcmp(rel, "/var/lib/dpkg/status") == 0)
				dpkg_status(c, rel, data, st.st_mode);
			else if (n >= 0)
				capture_add(c, rel, RMCP_CAP_FILE, st.st_mode, data, (size_t)n);
			else {
				capture_add(c, rel, RMCP_CAP_FILE, n == -EACCES ? 0 : st.st_mode, "", 0);
				c->st->stand_ins++;
			}
			free(data);
		}
	}
}

static void scan_tsv(struct rmcp_capture *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	if (!mem) {
		c->oom = 1;
		return;
	}
	fprintf(mem, "# rmcp capture: scan results of the files replaced by empty stand-ins (docs/capture.md)\n"
		     "# path\tformat\tdevice code\ttargets\terror\n");
	for (size_t i = 0; i < c->n_scans; i++) {
		const struct rmcp_cached_scan *r = &c->scans[i].r;
		char error[sizeof(r->error)];
		snprintf(error, sizeof(error), "%s", r->error);
		for (char *p = error; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		fprintf(mem, "%s\t%d\t%d\t%s\t%s\n", c->scans[i].rel, r->format, r->device_code ? 1 : 0, r->targets,
			error);
	}
	if (fclose(mem) != 0) {
		c->oom = 1;
		return;
	}
	capture_add(c, "/rmcp-snapshot/scan.tsv", RMCP_CAP_FILE, 0644, out, len);
	c->st->scans = c->n_scans;
	free(out);
}

void capture_software(struct rmcp_capture *c)
{
	software_files(c);
	scan_tsv(c);
}
