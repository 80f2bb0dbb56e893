/* SPDX-License-Identifier: MIT */
/*
 * The one sysroot context every fact reader uses (sysfs, pci ids, dmesg, the software stack,
 * torch installs, library coverage, the ISA check): `--sysroot DIR` is the root of the
 * examined machine, default "/", like util-linux lib/path.c and lscpu --sysroot.
 *
 * A path means the same thing everywhere: it is a path on the examined machine, and under a
 * snapshot sysroot every symlink in it, absolute ones included, is resolved inside the
 * sysroot as chroot(2) would (a captured /opt/rocm -> /etc/alternatives/rocm never leads to
 * this machine's /etc), and ".." stops at the sysroot's root. For sysroot "/" the OS resolves
 * paths itself. Errors are -errno values; nothing here prints.
 */
#ifndef RMCP_SYSROOT_H
#define RMCP_SYSROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct rmcp_path;

/* A context for files under sysroot + dir (dir absolute within the sysroot, e.g.
 * "/sys/class/kfd/kfd/topology"). sysroot NULL or "" means "/". NULL with errno set on
 * failure (ENOMEM, ENAMETOOLONG). Every `rel` below is relative to dir; a leading '/' is
 * ignored (with dir "/" it is the absolute path on the examined machine). */
struct rmcp_path *rmcp_path_new(const char *sysroot, const char *dir);
void rmcp_path_free(struct rmcp_path *p);

/* Report every path the context touches (files read, directories listed and the names they
 * listed, links followed, files stat'ed), as a path within the sysroot, to fn (rmcp capture
 * copies them into a snapshot). NULL fn: nothing reported. */
void rmcp_path_set_recorder(struct rmcp_path *p, void (*fn)(void *ctx, const char *rel), void *ctx);

/* Is the sysroot the running machine ("/")? Live-only facts (access(2), the kernel log, NSS
 * groups) are read only then. */
bool rmcp_path_is_live(const struct rmcp_path *p);
/* The sysroot as given, without a trailing '/' ("/" for the running machine). */
const char *rmcp_path_sysroot(const struct rmcp_path *p);

/*
 * realpath(3) inside the sysroot: dir/rel with every symlink resolved against the sysroot, "." and ".." folded (".." at the
 * root stays there). Components that do not exist are kept as written. out is a path within
 * the sysroot, starting with '/'. 0, -ENAMETOOLONG or -ELOOP (more than 40 links).
 */
int rmcp_path_resolve(const struct rmcp_path *p, const char *rel, char *out, size_t cap);
/* The path on this machine of rel resolved as above (sysroot prefix included): what to
 * open(2), or to show in messages. 0 or -errno. */
int rmcp_path_host(const struct rmcp_path *p, const char *rel, char *out, size_t cap);
/* The same, returning buf or NULL (for messages). */
const char *rmcp_path_abs(const struct rmcp_path *p, char *buf, size_t cap, const char *rel);

/* Read a whole small regular file (at most cap-1 bytes, NUL-terminated). Returns the length
 * or -errno: -ENOENT (absent) and -EPERM/-EACCES (denied, e.g. a device cgroup) differ;
 * -EINVAL for something that is not a regular file. */
int rmcp_path_read(const struct rmcp_path *p, char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* One unsigned number ("%u\n" or "%llu\n"), strtoull with end-pointer and ERANGE checks. */
int rmcp_path_read_u64(const struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A sysfs hex attribute ("0x1002\n"): strtoull base 16, end-pointer and range checks. */
int rmcp_path_read_hex(const struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* access(2) relative to the context (effective ids); returns 0 or -errno. */
int rmcp_path_access(const struct rmcp_path *p, int mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* stat(2) (symlinks followed inside the sysroot); 0 or -errno. */
int rmcp_path_stat(const struct rmcp_path *p, struct stat *st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool rmcp_path_is_dir(const struct rmcp_path *p, const char *rel);
/* The entry itself (a last-component symlink not followed) is a regular file: a library's
 * real file, not one of its soname links. */
bool rmcp_path_is_file(const struct rmcp_path *p, const char *rel);
/* Something is there (a dangling symlink counts: lstat of the resolved parent's entry). */
bool rmcp_path_exists(const struct rmcp_path *p, const char *rel);

/* Numeric entries of a directory ("0", "1", ...), sorted ascending, at most cap. Returns the
 * count or -errno. */
int rmcp_path_list_numeric(const struct rmcp_path *p, unsigned *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Names in directory rel, sorted, dot entries skipped; each passes filter (NULL = all).
 * Returns the count (names in *out, free with rmcp_strv_free) or -errno. */
int rmcp_path_list(const struct rmcp_path *p, const char *rel, bool (*filter)(const char *name),
		   char ***out);
void rmcp_strv_free(char **v, size_t n);

/* strtoull of exactly len bytes in base 10 or 16 (no sign, no blanks); 0 or -RMCP_E_FORMAT. */
int rmcp_parse_u64(const char *s, size_t len, int base, uint64_t *out);

#endif
