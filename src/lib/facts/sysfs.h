/* SPDX-License-Identifier: MIT */
/*
 * src/lib/facts/ -- what is true of a machine, read under a sysroot: GPUs, driver and /dev
 * access (this header, sysfs*.c, pciids.h), the kernel log (dmesg.c), the environment
 * (env.h), the installed ROCm and PyTorch and the GPU code in them (stack.h). Every file is
 * read through the one sysroot context (sysroot.h), so a path means the same thing in every
 * reader. Facts are plain structs; they judge nothing. facts may include core, formats and
 * isa.
 */
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
#include "sysroot.h"
#include "target.h"

/* The sysroot context (struct rmcp_path, rmcp_path_*) every reader uses: sysroot.h. */

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
	bool is_apu;			/* an APU (shares system memory): from the processor's
					 * row in data/targets.tsv; vram_bytes is then the carve-out */
	bool io_links_known;
	bool no_atomics_32, no_atomics_64;	/* io_link flags NO_ATOMICS_32/64_BIT */
	int render_access;		/* access(R_OK|W_OK) on renderD: 0 or -errno; 1 = not checked */
	/* ---- added for issue 3 (fact readers) ---- */
	uint32_t gpu_id;		/* KFD gpu_id, 0 if unknown */
	char gfx_source[12];		/* "kfd" (gfx_target_version), "pci-table" (data/pci-ids.tsv), "" */
	char target_id[48];		/* gfx plus ":sramecc+"/":sramecc-" from capability bit 26 on
					 * processors with sramecc; xnack is a per-process mode and
					 * stays unspecified. Pass it as rmcp_stack_opts.real_gfx. */
	bool sramecc;			/* capability SRAM_EDCSUPPORTED (bit 26) */
	char name_source[48];		/* amdgpu.ids or pci.ids path within the sysroot, "rmcp
					 * fallback table" (amdgpu.ids rows), "rmcp fallback table
					 * (pci.ids)" (device level) */
	uint32_t pci_class;		/* 0x030000 VGA, 0x038000 display other, 0x120000 accelerator */
	uint16_t subsystem_vendor, subsystem_device;
	bool pci_inferred;		/* PCI facts of a denied node paired by order, not location_id */
	/* libhsakmt's user node id for this GPU (the N of HSA_OVERRIDE_GFX_VERSION_N): the index
	 * of the node among the nodes libhsakmt keeps (CPU nodes, then GPU nodes whose gpu_id is
	 * readable and whose render node opens; topology.c topology_sysfs_check_node_supported).
	 * -1: libhsakmt drops this node (EPERM, render node ENOENT/EPERM) or it is PCI-only. */
	int hsakmt_node;
	int runtime_index;		/* index among the GPU agents ROCr will see (before
					 * *_VISIBLE_DEVICES), -1 if dropped */
	/* From the kernel log: KFD skipped this device for PCIe atomics
	 * ("skipped device 1002:7340, PCI rejects atomics 123<145"). */
	bool log_skipped_atomics;
	uint32_t atomics_fw_required;	/* the 145 of "123<145"; mec_fw gets the 123 */
};

struct rmcp_param {
	char name[32];			/* amdgpu module parameter: noretry, cwsr_enable, ... */
	char value[32];
};

#define RMCP_MAX_PARAMS 24
#define RMCP_MAX_LOG 32

struct rmcp_log_line {
	char kind[24];			/* "pcie_atomics", "skipped_device", "not_supported", "gpu_hang",
					 * "gpu_reset", "memory_fault", "added_device" */
	char text[256];			/* the kernel's line, trimmed */
	/* ---- added for issue 3 ---- */
	char pci_addr[16];		/* "0000:03:00.0" named in the line, "" */
	uint16_t vendor_id, device_id;	/* "1002:7340" in skipped/added device lines, 0 */
	uint32_t fw_have, fw_need;	/* "PCI rejects atomics 123<145", 0 */
	unsigned count;			/* identical lines folded into this one */
};

enum rmcp_secure_boot {
	RMCP_SECURE_BOOT_UNKNOWN = 0,	/* not an EFI boot, efivarfs not mounted, or unreadable */
	RMCP_SECURE_BOOT_DISABLED,	/* SecureBoot variable 0, or EFI firmware without it */
	RMCP_SECURE_BOOT_ENABLED,	/* SecureBoot variable 1 */
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
	int kfd_access;			/* access("/dev/kfd", R_OK|W_OK): 0 or -errno; 1 = not checked */
	char kfd_group[64];		/* owning group of /dev/kfd, "" if unknown */
	bool kfd_group_member;		/* the user is in that group (or is root) */
	bool in_container;
	char container_hint[64];	/* "/.dockerenv", "cgroup: docker", ... */
	enum rmcp_fact_state kernel_log;	/* readable? (dmesg file under sysroot or live log) */
	struct rmcp_log_line log[RMCP_MAX_LOG];
	size_t n_log;
	/* ---- added for issue 3 ---- */
	char kernel_log_source[160];	/* "/dev/kmsg", "syslog", "var/log/dmesg" (in the sysroot),
					 * or the --dmesg file; "" */
	size_t n_log_dropped;		/* matching lines not kept (RMCP_MAX_LOG, 8 per kind) */
	uint32_t kfd_generation;	/* topology generation_id the nodes were read under */
	bool kfd_unstable;		/* generation_id kept changing (GPU hot-plug) over 3 passes */
	/* Who the access facts are about: this process for sysroot "/", else the snapshot's
	 * proc/self/status (Uid:/Gid:/Groups:) with etc/passwd and etc/group. */
	bool user_known;
	uint32_t uid, gid;
	char user[64];			/* login name, "" if unknown */
	/* The user is listed in etc/group for kfd_group but the process does not have the group
	 * (added with usermod -aG and not logged in again). */
	bool kfd_group_listed;
	/* libhsakmt would fail topology init outright (hsaKmtOpenKFD succeeds, then no agents):
	 * a GPU's render node fails to open with an error other than ENOENT/EPERM (EACCES:
	 * user not in the render group), or a GPU node has no drm_render_minor. */
	bool hsakmt_init_fails;
	char hsakmt_fail_reason[128];
	/* ---- added for issue 9 ---- */
	/* The firmware's SecureBoot variable (efivarfs, EFI global-variable GUID 8be4df61-...):
	 * with it enabled, a kernel that enforces module signatures refuses an unsigned
	 * amdgpu-dkms module. */
	enum rmcp_secure_boot secure_boot;
	/* An amdgpu.ko[.xz|.zst] for the running kernel under lib/modules/<osrelease>/ (the
	 * amdgpu-dkms build in updates/dkms, or the distribution's in kernel/drivers/...):
	 * its path within the sysroot, "" if none was found or the kernel release is unknown. */
	char amdgpu_module[192];
	/* ---- added for issue 12 ---- */
	/* Why the kernel log could not be read: one "source: reason" per source tried, "; "
	 * separated ("/dev/kmsg: Operation not permitted; syslog: Operation not permitted;
	 * journal: no kernel messages visible to this user"); "" when it was read. For a snapshot,
	 * the text its capture recorded (rmcp-snapshot/kernel-log). */
	char kernel_log_why[256];
	int dmesg_restrict;		/* /proc/sys/kernel/dmesg_restrict: 0, 1, or -1 unknown */
};

struct rmcp_machine_opts {
	const char *sysroot;		/* NULL = "/" */
	const char *dmesg_file;		/* a saved `dmesg` output to read instead of the live log */
	bool no_live_log;		/* do not read /dev/kmsg or syslog (tests, librmcp.so) */
	bool no_nss;			/* no getpwuid_r/getgrgid_r: NSS may block (LDAP) or dlopen,
					 * which librmcp.so must not do inside the user's process */
	/* The systemd journal's reader, run as `journalctl -k -b -q --no-pager` when /dev/kmsg
	 * and syslog(2) are both denied (members of adm/systemd-journal may read the journal under
	 * kernel.dmesg_restrict=1). NULL = "journalctl" from PATH; "" = do not try the journal. */
	const char *journalctl;
	/* Test hook: called after each pass over the KFD nodes, before generation_id is read
	 * again (a test changes generation_id here to exercise the retry). NULL in production. */
	void (*topology_hook)(void *ctx, unsigned pass);
	void *hook_ctx;
};

/*
 * Read every machine fact. Per-fact failures are recorded in the facts (states, -errno),
 * not returned: the function fails only for resource errors. Safe to call from
 * librmcp.so's lazy initialisation (no HIP, no /dev/kfd open, no exit).
 *
 * Access facts (kfd_access, render_access, kfd_group*) for sysroot "/" come from
 * faccessat(AT_EACCESS), stat and the process's groups. For a snapshot sysroot nothing can be
 * asked of the kernel, so they are judged from the snapshot: each /dev entry's mode, owner and
 * group come from <sysroot>/rmcp-snapshot/dev.stat when present (lines of
 * `stat -L -c '%a %u %g %n' /dev/kfd /dev/dri/renderD*` run on the captured machine; git
 * keeps neither modes nor owners), else from the entry in the snapshot itself (a tar
 * extraction keeps them); the user from <sysroot>/proc/self/status (Uid:, Gid:, Groups:
 * lines) with etc/passwd and etc/group. Without proc/self/status the access fields are 1
 * (not checked). An entry missing from the snapshot is -ENOENT.
 * The struct is large (tens of KiB): allocate it, do not put it on a small stack.
 */
int rmcp_machine_read(const struct rmcp_machine_opts *opts, struct rmcp_machine *m,
		      struct rmcp_err *err);

/* Value of an amdgpu parameter read into m, or NULL. */
const char *rmcp_machine_param(const struct rmcp_machine *m, const char *name);

/* ---- parsers and tables under the reader (pure, bounds-checked; fuzzed by fuzz_facts) ---- */

/* Text for a state, for messages and JSON ("ok", "absent", "denied", ...). */
const char *rmcp_fact_state_name(enum rmcp_fact_state s);
/* The state a read's result gives: 0 (or more) ok, -ENOENT/-ENOTDIR absent, -EPERM/-EACCES
 * denied, any other -errno error. */
enum rmcp_fact_state rmcp_state_from_rc(int rc);

/*
 * Look a (device, revision) pair up in amdgpu.ids text, as libdrm amdgpu_asic_id.c
 * parse_one_line does: '#' and blank lines skipped, the first other line is the file version,
 * then "DEVICE,\tREV,\tName" with hex fields (strtol base 16, surrounding blanks allowed) and
 * leading blanks of the name trimmed. Returns 1 and the name (NUL-terminated, trailing
 * whitespace removed, truncated to cap-1) if found, 0 if not.
 */
int rmcp_amdgpu_ids_lookup(const char *buf, size_t len, uint16_t device, uint8_t revision,
			   char *name, size_t cap);

/* The bundled name for ids the system's amdgpu.ids lacks (data/amdgpu-ids-fallback.tsv),
 * or NULL. */
const char *rmcp_asic_fallback_name(uint16_t device, uint8_t revision);

/*
 * Look an id up in pci.ids text (the PCI ID Repository format: "VVVV  vendor" lines, then
 * "\tDDDD  device" lines, "\t\t" subsystem lines, '#' comments). Returns 1 and the device's
 * text (trimmed, truncated to cap-1) if found, 0 if not.
 */
int rmcp_pci_ids_lookup(const char *buf, size_t len, uint16_t vendor, uint16_t device,
			char *name, size_t cap);
/* A pci.ids device text for people: "AMD " + the bracketed marketing part ("Vega 20 [Radeon
 * VII]" -> "AMD Radeon VII"), else "AMD " + the text ("Raphael" -> "AMD Raphael"). */
void rmcp_pci_name_format(const char *raw, char *out, size_t cap);
/* The bundled pci.ids text for an id (data/pci-ids.tsv, column name), or NULL. */
const char *rmcp_pci_fallback_name(uint16_t device);

/* The processor for a PCI device id from the fallback table (data/pci-ids.tsv, after
 * rocm_agent_enumerator's ISA_TO_ID), or NULL. Only for GPUs KFD made no node for. */
const char *rmcp_pci_gfx(uint16_t device);

/* Classify one kernel log line: returns the kind ("pcie_atomics", "skipped_device",
 * "not_supported", "gpu_hang", "gpu_reset", "memory_fault", "added_device") or NULL. */
const char *rmcp_log_classify(const char *line, size_t len);

/*
 * Classify every line of a kernel log (dmesg, dmesg -T, journalctl -k, klogctl "<N>" or
 * /dev/kmsg "pri,seq,ts,flags;" records) into m->log: timestamps stripped, identical lines
 * folded (count), at most 8 lines per kind and RMCP_MAX_LOG in all (the rest counted in
 * n_log_dropped). Returns the number of matching lines seen.
 */
size_t rmcp_log_scan(const char *buf, size_t len, struct rmcp_machine *m);

/* The live kernel log (klog_live.c): each source hands its text to a sink in chunks of whole
 * lines (or /dev/kmsg records). Each returns 0 or -errno; rmcp_klog_journal returns the number
 * of lines journalctl printed (0: nothing visible to this user) or -errno. */
typedef void (*rmcp_klog_sink)(void *ctx, const char *buf, size_t len);
int rmcp_klog_kmsg(rmcp_klog_sink sink, void *ctx);
int rmcp_klog_syslog(rmcp_klog_sink sink, void *ctx);
int rmcp_klog_journal(const char *cmd, rmcp_klog_sink sink, void *ctx);
/* /dev/kmsg, then syslog(2), then the journal (journalctl NULL = from PATH, "" = skip it).
 * Returns 0 and the source's name, or -EPERM when a source was denied (kernel.dmesg_restrict)
 * and none could be read, or another -errno; why gets "source: reason" for each failure. */
int rmcp_klog_live(const char *journalctl, rmcp_klog_sink sink, void *ctx, char *source, size_t scap,
		   char *why, size_t wcap);

#endif
