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
