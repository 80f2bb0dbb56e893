/* SPDX-License-Identifier: MIT */
/*
 * Shared by the parts of `rmcp capture` (not part of the library API): capture.c (the entry
 * list, reading host files, putting it together), capture_machine.c (the machine's files and
 * kernel log) and capture_software.c (what the stack reader touched, scan.tsv).
 */
#ifndef RMCP_CAPTURE_INTERNAL_H
#define RMCP_CAPTURE_INTERNAL_H

#include <limits.h>
#include <sys/types.h>

#include "cache.h"
#include "capture.h"

#define COPY_MAX (1u << 20)	/* text files larger than this become stand-ins */

struct rmcp_machine;

struct scan_rec {
	char *rel;
	struct rmcp_cached_scan r;
};

struct rmcp_capture {
	char root[PATH_MAX];	/* host prefix of the examined machine, "" for "/" */
	char top[128];
	long long when;
	struct rmcp_capture_entry *e;
	size_t n, cap;
	char **paths;		/* touched by the stack reader */
	size_t n_paths, cap_paths;
	struct scan_rec *scans;
	size_t n_scans, cap_scans;
	int oom;
	struct rmcp_capture_stats *st;
};

/* ---- capture.c ---- */

/* Room for one more of n elements of size in *v (doubling); 0 or -ENOMEM. */
int capture_grow(void **v, size_t *cap, size_t n, size_t size);
/* Add an entry (rel's leading '/' dropped; a copy of data); on failure c->oom is set. */
void capture_add(struct rmcp_capture *c, const char *rel, enum rmcp_capture_type type, unsigned mode,
		 const char *data, size_t len);
void capture_add_text(struct rmcp_capture *c, const char *rel, const char *text);
/* rel under the examined machine's root, as a host path; 0 or -ENAMETOOLONG. */
int capture_host_path(const struct rmcp_capture *c, const char *rel, char *out, size_t cap);
/* Read a host file (at most max bytes) into a new terminated buffer. Returns the length, or -errno. */
ssize_t capture_slurp(const char *path, char **out, size_t max);

/* ---- capture_machine.c ---- */

/* The machine's side, in this order: sysfs/procfs, etc/passwd (root's and the user's lines),
 * Secure Boot and the amdgpu module, etc/group, /dev access, the kernel log. */
void capture_machine(struct rmcp_capture *c, const struct rmcp_capture_opts *o, const struct rmcp_machine *m);

/* ---- capture_software.c ---- */

/* rmcp_stack_recorder callbacks: a path the stack reader touched; a library it scanned. */
void capture_record_path(void *ctx, const char *rel);
void capture_record_scan(void *ctx, const char *rel, const struct rmcp_cached_scan *r);
/* The software side: every recorded path (text copied, binaries as stand-ins), then scan.tsv. */
void capture_software(struct rmcp_capture *c);

#endif
