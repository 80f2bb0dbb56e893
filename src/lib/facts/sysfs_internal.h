/* SPDX-License-Identifier: MIT */
/* Helpers shared by the machine-fact reader's files (sysfs.c, sysfs_host.c, pciids.c,
 * dmesg.c); not part of the library API. */
#ifndef RMCP_SYSFS_INTERNAL_H
#define RMCP_SYSFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sysfs.h"

/* Is the context's sysroot the running machine ("/")? Live-only facts (access(2), the
 * kernel log, NSS groups) are read only then. */
bool rmcp_path_is_live(const struct rmcp_path *p);
const char *rmcp_path_sysroot(const struct rmcp_path *p);

/* stat(2) of a file under the context (follows symlinks inside the snapshot as the OS does);
 * 0 or -errno. */
int rmcp_path_stat(struct rmcp_path *p, struct stat *st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Numeric entries of a directory under the context ("0", "1", ...), sorted ascending, at
 * most cap. Returns the count or -errno. */
int rmcp_path_list_numeric(struct rmcp_path *p, unsigned *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A sysfs hex attribute ("0x1002\n"): strtoull base 16, end-pointer and range checks. */
int rmcp_path_read_hex(struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map -errno to a fact state. */
enum rmcp_fact_state rmcp_state_from_rc(int rc);

/* Copy at most cap-1 bytes of s (len bytes), trimming surrounding whitespace; NUL-terminate. */
void rmcp_copy_trimmed(char *dst, size_t cap, const char *s, size_t len);

/* A fresh gpus[] entry (node -1 for PCI-only), and its gfx from gfx_version or the PCI table. */
void rmcp_gpu_init(struct rmcp_gpu *g, int node);
void rmcp_gpu_set_gfx(struct rmcp_gpu *g);

/* Machine reader parts (sysfs_host.c, pciids.c, dmesg.c). */
void rmcp_read_module(struct rmcp_path *root, struct rmcp_machine *m);
void rmcp_read_host(struct rmcp_path *root, struct rmcp_machine *m);
void rmcp_read_access(struct rmcp_path *root, struct rmcp_machine *m, bool no_nss);
int rmcp_read_pci(struct rmcp_path *root, struct rmcp_machine *m);
void rmcp_name_gpus(struct rmcp_path *root, struct rmcp_machine *m);
int rmcp_read_kernel_log(struct rmcp_path *root, const struct rmcp_machine_opts *opts,
			 struct rmcp_machine *m);
void rmcp_apply_log(struct rmcp_machine *m);


#endif
