/* SPDX-License-Identifier: MIT */
/*
 * Machine facts from sysfs, procfs, /dev and the kernel log, all read under a sysroot
 * (`--sysroot DIR`, default "/"), like util-linux lscpu --sysroot. Never opens /dev/kfd
 * (open() creates a KFD process context) and never calls HIP or HSA.
 * Facts and formats: research/detect.md (§1 KFD topology, §3 PCI ids, §4 atomics,
 * parameters, permissions).
 *
 * This header is the contract shared by doctor (issue 3), the librmcp.so guard (issue 5)
 * and run/probe (issue 6): fields may be added, never renamed or removed.
 */
#ifndef RMCP_SYSFS_H
#define RMCP_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "target.h"

/* ---- sysroot-aware path context (CONVENTIONS.md, util-linux lib/path.c) ---- */

struct rmcp_path;

/* A context for files under sysroot + dir (dir absolute within the sysroot, e.g.
 * "/sys/class/kfd/kfd/topology"). sysroot NULL or "" means "/". */
struct rmcp_path *rmcp_path_new(const char *sysroot, const char *dir);
void rmcp_path_free(struct rmcp_path *p);

/* Read a whole small file (at most cap-1 bytes, NUL-terminated). Returns the length or
 * -errno: -ENOENT (absent) and -EPERM/-EACCES (denied, e.g. a device cgroup) differ. */
int rmcp_path_read(struct rmcp_path *p, char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* One unsigned number ("%u\n" or "%llu\n"), strtoull with end-pointer and ERANGE checks. */
int rmcp_path_read_u64(struct rmcp_path *p, uint64_t *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* access(2) relative to the context; returns 0 or -errno. */
int rmcp_path_access(struct rmcp_path *p, int mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The absolute path on this machine (sysroot prefix included), for messages. */
const char *rmcp_path_abs(struct rmcp_path *p, char *buf, size_t cap, const char *rel);

/*
 * Parse KFD "key value\n" text (nodes/N/properties, mem_banks/M/properties, ...) by key,
 * never by position: fields were added over the years (detect.md §1.1). Returns 0 and
 * *out if the key is present with a valid unsigned number, -ENOENT if absent,
 * -RMCP_E_FORMAT if the value is not a number.
 */
int rmcp_kfd_prop(const char *text, size_t len, const char *key, uint64_t *out);

/* ---- facts ---- */

enum rmcp_fact_state {
	RMCP_FACT_UNKNOWN = 0,	/* not read (not applicable, or nothing to read) */
	RMCP_FACT_OK,		/* read */
	RMCP_FACT_ABSENT,	/* ENOENT */
	RMCP_FACT_DENIED,	/* EPERM / EACCES: device cgroup, permissions */
	RMCP_FACT_ERROR,	/* other I/O or format error */
};

#define RMCP_MAX_GPUS 64

struct rmcp_gpu {
	int node;			/* KFD topology node, -1 when found only on PCI */
	enum rmcp_fact_state kfd;	/* state of the node's properties (DENIED: cgroup EPERM) */
	uint32_t gfx_version;		/* KFD gfx_target_version, 0 if unknown */
	char gfx[24];			/* real processor, "gfx1010"; "" if unknown */
	const struct rmcp_target *target;	/* NULL if unknown */
	char asic[32];			/* KFD node name ("navi10"), "" if none */
	uint16_t vendor_id, device_id;	/* PCI */
	uint8_t revision;
	char pci_addr[16];		/* "0000:03:00.0", "" if unknown */
	char name[128];			/* marketing name (amdgpu.ids, bundled fallback), "" */
	unsigned simd_count, simd_per_cu, cu_count, wave_front_size, array_count;
	uint64_t vram_bytes;		/* 0 if unknown; from mem_banks (local_mem_size is 0) */
	bool large_bar;			/* heap_type 1 (FB_PUBLIC): all VRAM CPU-visible */
	uint32_t mec_fw;		/* fw_version & 0x3ff, 0 if unknown */
	uint64_t capability;
	unsigned drm_render_minor;	/* 0 if unknown; /dev/dri/renderD<minor> */
	bool is_apu;			/* cpu_cores_count > 0 on a GPU node */
	bool io_links_known;
	bool no_atomics_32, no_atomics_64;	/* io_link flags NO_ATOMICS_32/64_BIT */
	int render_access;		/* access(R_OK|W_OK) on renderD: 0 or -errno; 1 = not checked */
};

struct rmcp_param {
	char name[32];			/* amdgpu module parameter: noretry, cwsr_enable, ... */
	char value[32];
};

#define RMCP_MAX_PARAMS 24
#define RMCP_MAX_LOG 32

struct rmcp_log_line {
	char kind[24];			/* "pcie_atomics", "skipped_device", "not_supported", "gpu_hang",
					 * "gpu_reset", "memory_fault", ... */
	char text[256];			/* the kernel's line, trimmed */
};

struct rmcp_machine {
	char sysroot[256];
	char kernel_release[128];	/* /proc/sys/kernel/osrelease */
	bool amdgpu_loaded;		/* /sys/module/amdgpu exists */
	bool amdgpu_builtin;		/* ... without initstate: built into the kernel */
	char amdgpu_dkms_version[32];	/* /sys/module/amdgpu/version (amdgpu-dkms only), "" */
	enum rmcp_fact_state kfd_topology;	/* /sys/class/kfd/kfd/topology */
	unsigned cpu_nodes;
	struct rmcp_gpu gpus[RMCP_MAX_GPUS];	/* KFD GPU nodes in node order, then PCI-only ones */
	size_t n_gpus;
	struct rmcp_param params[RMCP_MAX_PARAMS];
	size_t n_params;
	int kfd_access;			/* access("/dev/kfd", R_OK|W_OK): 0 or -errno */
	char kfd_group[64];		/* owning group of /dev/kfd, "" if unknown */
	bool kfd_group_member;		/* the user is in that group (or is root) */
	bool in_container;
	char container_hint[64];	/* "/.dockerenv", "cgroup: docker", ... */
	enum rmcp_fact_state kernel_log;	/* readable? (dmesg file under sysroot or live log) */
	struct rmcp_log_line log[RMCP_MAX_LOG];
	size_t n_log;
};

struct rmcp_machine_opts {
	const char *sysroot;		/* NULL = "/" */
	const char *dmesg_file;		/* a saved `dmesg` output to read instead of the live log */
	bool no_live_log;		/* do not read /dev/kmsg or syslog (tests, librmcp.so) */
};

/*
 * Read every machine fact. Per-fact failures are recorded in the facts (states, -errno),
 * not returned: the function fails only for resource errors. Safe to call from
 * librmcp.so's lazy initialisation (no HIP, no /dev/kfd open, no exit).
 */
int rmcp_machine_read(const struct rmcp_machine_opts *opts, struct rmcp_machine *m,
		      struct rmcp_err *err);

/* Value of an amdgpu parameter read into m, or NULL. */
const char *rmcp_machine_param(const struct rmcp_machine *m, const char *name);

#endif
