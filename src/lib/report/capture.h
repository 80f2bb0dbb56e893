/* SPDX-License-Identifier: MIT */
/*
 * `rmcp capture`: the files `rmcp doctor` reads, packed so that `rmcp doctor --sysroot` on
 * the unpacked tree gives the same verdict and findings (docs/capture.md).
 *
 * What goes in: the sysfs/procfs subset the machine reader uses (KFD topology, PCI ids, amdgpu
 * parameters, kernel release, dmesg_restrict, container hints), the user's ids
 * (proc/self/status, their etc/passwd line, etc/group), /dev access facts as
 * rmcp-snapshot/dev.stat, the kernel log's amdgpu/KFD lines as var/log/dmesg (or, when it
 * cannot be read, the reason in rmcp-snapshot/kernel-log), os-release, amdgpu.ids, and every
 * path the software reader touched while diagnosing (version files, links, directory
 * entries). Libraries and other large or binary files become empty stand-ins with the same
 * name and mode; the scan results the doctor needs from them go to rmcp-snapshot/scan.tsv
 * (stack.h), which the doctor reads back. Nothing else of the home directory is taken.
 */
#ifndef RMCP_CAPTURE_H
#define RMCP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct rmcp_capture_opts {
	const char *sysroot;		/* NULL or "/" = this machine; else re-capture a snapshot */
	const char *dmesg_file;		/* a saved kernel log to include instead of the live one */
	const char *const *torch_dirs;	/* as rmcp doctor --torch, NULL-terminated, may be NULL */
	const char *const *python_paths;	/* as rmcp doctor --python */
	char *const *envp;		/* the environment the diagnosis judges */
	const char *journalctl;		/* rmcp_machine_opts.journalctl */
	const char *top;		/* the archive's top directory ("capture"), no '/' */
};

struct rmcp_capture_stats {
	size_t files, dirs, links;	/* entries written */
	size_t stand_ins;		/* files replaced by empty stand-ins */
	size_t scans;			/* scan results recorded in rmcp-snapshot/scan.tsv */
	size_t log_lines;		/* kernel log lines kept */
	unsigned long long bytes;	/* file contents written (before compression) */
	char kernel_log[32];		/* the log's state: "ok", "denied", ... */
};

struct rmcp_capture;

/* Collect everything (runs the diagnosis); 0 or a negative code with err set. */
int rmcp_capture_collect(const struct rmcp_capture_opts *o, struct rmcp_capture **out,
			 struct rmcp_capture_stats *st, struct rmcp_err *err);

/* Write the collection as a gzip-compressed tar (libarchive; pax format) to fd, an open file
 * (from rmcp_safe_open: fsutil.h) that path names in messages; fd is not closed.
 * -RMCP_E_UNSUPPORTED when rmcp was built without libarchive. */
int rmcp_capture_write_tgz(const struct rmcp_capture *c, int fd, const char *path, struct rmcp_err *err);

void rmcp_capture_free(struct rmcp_capture *c);

/* ---- the collection, for the writer (capture_tar.c) ---- */

enum rmcp_capture_type { RMCP_CAP_DIR, RMCP_CAP_FILE, RMCP_CAP_LINK };

struct rmcp_capture_entry {
	char *rel;			/* path within the archive's top directory, no leading '/' */
	enum rmcp_capture_type type;
	unsigned mode;			/* permission bits */
	char *data;			/* file contents, or the link target */
	size_t len;
	size_t seq;			/* order added (the first of duplicate paths is kept) */
};

size_t rmcp_capture_entries(const struct rmcp_capture *c, const struct rmcp_capture_entry **out);
const char *rmcp_capture_top(const struct rmcp_capture *c);
long long rmcp_capture_time(const struct rmcp_capture *c);

#endif
