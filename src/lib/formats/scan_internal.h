/* SPDX-License-Identifier: MIT */
/* Helpers shared by the scan engine's modules (not part of the library API). */
#ifndef RMCP_SCAN_INTERNAL_H
#define RMCP_SCAN_INTERNAL_H

#include "reader.h"
#include "scan.h"

/* Every *_set/_add returns 0 or -ENOMEM. */
int rmcp_file_set_error(struct rmcp_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rmcp_file_set_note(struct rmcp_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct rmcp_entry *rmcp_file_new_entry(struct rmcp_file *f);
/* A new heap result for path (NULL if out of memory); containers get container = true. */
struct rmcp_file *rmcp_file_new(const char *path, enum rmcp_format fmt);
/* Hand a heap result to cb (which takes over its contents) and free the shell. */
void rmcp_file_emit(struct rmcp_file *f, rmcp_scan_cb cb, void *ctx);
char *rmcp_strndup(const char *s, size_t n);

/*
 * Walk back-to-back bundles (uncompressed or CCOB) at 4096-byte alignment, as roc-obj-ls
 * and CLR lay them out in .hip_fatbin (research/binaries.md §1.3). `base` is the whole file,
 * [off, off+len) the region. Entries get absolute file offsets (uncompressed) or offsets in
 * the decompressed bundle (compressed), as llvm-readobj --offloading reports them.
 */
int rmcp_walk_bundles(struct rmcp_reader *r, uint64_t off, uint64_t len,
		      const struct rmcp_scan_opts *opts, struct rmcp_file *f);

int rmcp_scan_host_elf(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		       struct rmcp_file *f);

/*
 * rmcp_scan_buffer over any reader (a file read with pread, a wheel member being inflated).
 * Host ELF files and bundles are read in pieces (headers only); a raw code object is read
 * whole (up to RMCP_SCAN_MAX_WHOLE); a kpack archive is mapped when r is a file.
 */
#define RMCP_SCAN_MAX_WHOLE ((uint64_t)256 << 20)
int rmcp_scan_reader(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		     struct rmcp_file *out);

/* Name-based formats: Tensile data files, MIOpen kernel databases. Returns 1 if handled.
 * head: the file's first bytes (at least 16 when the file has them). */
int rmcp_scan_by_name(const uint8_t *head, size_t len, const char *path, struct rmcp_file *f);

/* Longest known target name that starts s (e.g. "gfx90a" in "gfx90a6e.kdb"), or NULL. */
const char *rmcp_target_prefix(const char *s, size_t len, size_t *used);

/* Zip / wheel: members streamed through the scanner, each reported through cb. fd is read
 * with pread and stays the caller's; buf/len instead when fd < 0 (fuzzing, tests). */
int rmcp_scan_zip(int fd, const void *buf, size_t len, const char *path,
		  const struct rmcp_scan_opts *opts, rmcp_scan_cb cb, void *ctx);

bool rmcp_is_zip(const void *buf, size_t len);

/* Static archives: members scanned in place, each reported through cb as "lib.a(member)". */
int rmcp_scan_ar(struct rmcp_reader *r, const char *path, const struct rmcp_scan_opts *opts,
		 rmcp_scan_cb cb, void *ctx);
bool rmcp_is_ar(const void *buf, size_t len);

#endif
