/* SPDX-License-Identifier: MIT */
/*
 * Machine facts, part 1: the KFD "key value" parser and the KFD topology walk, read through
 * the sysroot context (sysroot.h). Formats: research/detect.md §1.
 * Kernel side: drivers/gpu/drm/amd/amdkfd/kfd_topology.c (node_show, mem_show, iolink_show);
 * user side: libhsakmt src/topology.c (topology_sysfs_get_node_props, the generation_id
 * retry in topology_take_snapshot).
 */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs_internal.h"
#include "banned.h"

enum rmcp_fact_state rmcp_state_from_rc(int rc)
{
	if (rc >= 0)
		return RMCP_FACT_OK;
	if (rc == -ENOENT || rc == -ENOTDIR)
		return RMCP_FACT_ABSENT;
	if (rc == -EPERM || rc == -EACCES)
		return RMCP_FACT_DENIED;
	return RMCP_FACT_ERROR;
}

const char *rmcp_fact_state_name(enum rmcp_fact_state s)
{
	switch (s) {
	case RMCP_FACT_UNKNOWN:
		return "unknown";
	case RMCP_FACT_OK:
		return "ok";
	case RMCP_FACT_ABSENT:
		return "absent";
	case RMCP_FACT_DENIED:
		return "denied";
	case RMCP_FACT_ERROR:
		return "error";
	}
	return "unknown";
}

void rmcp_copy_trimmed(char *dst, size_t cap, const char *s, size_t len)
{
	if (cap == 0)
		return;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* ---- KFD "key value" text ---------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

int rmcp_kfd_prop(const char *text, size_t len, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	if (klen == 0)
		return -EINVAL;
	size_t pos = 0;
	while (pos < len) {
		size_t eol = pos;
		while (eol < len && text[eol] != '\n')
			eol++;
		size_t i = pos;
		while (i < eol && is_space(text[i]))
			i++;
		size_t ks = i;
		while (i < eol && !is_space(text[i]))
			i++;
		/* The first line with this key counts; fields are never repeated by the kernel. */
		if (i - ks == klen && memcmp(text + ks, key, klen) == 0) {
			while (i < eol && is_space(text[i]))
				i++;
			size_t vs = i;
			while (i < eol && !is_space(text[i]))
				i++;
			size_t ve = i;
			while (i < eol && is_space(text[i]))
				i++;
			if (i != eol)
				return -RMCP_E_FORMAT;	/* "key 1 2": not one number */
			for (size_t k = vs; k < ve; k++)
				if (text[k] < '0' || text[k] > '9')
					return -RMCP_E_FORMAT;
			return rmcp_parse_u64(text + vs, ve - vs, 10, out);
		}
		pos = eol + 1;
	}
	return -ENOENT;
}

/* ---- KFD topology ------------------------------------------------------------------------ */

#define PROP_CAP 8192	/* the kernel writes at most one page; room for a padded snapshot */
#define MAX_NODES 256
#define MAX_SUBDIRS 64

/* io_link flags (include/uapi/linux/kfd_sysfs.h CRAT_IOLINK_FLAGS_*). */
#define IOLINK_NO_ATOMICS_32 (1u << 2)
#define IOLINK_NO_ATOMICS_64 (1u << 3)
/* HSA_CAPABILITY SRAM_EDCSUPPORTED (kfd_sysfs.h HSA_CAP_SRAM_EDCSUPPORTED). */
#define CAP_SRAM_EDC (1u << 26)
/* HSA_CAP_FLAGS_COHERENTHOSTACCESS: kfd_topology_add_device sets it for gmc.is_app_apu
 * (MI300A) or an XGMI link to the CPU (gmc.xgmi.connected_to_cpu, also MI300A-class). */
#define CAP_COHERENT_HOST (1u << 28)
/* MI300A's PCI id (libdrm amdgpu.ids "74A0, 00, AMD Instinct MI300A"), for a gfx942 with no
 * readable KFD node. */
#define PCI_MI300A 0x74a0
/* mem_banks heap_type (hsakmttypes.h HSA_HEAPTYPE). */
#define HEAP_FB_PUBLIC 1
#define HEAP_FB_PRIVATE 2

static uint64_t prop(const char *t, size_t n, const char *key, uint64_t dflt)
{
	uint64_t v;
	return rmcp_kfd_prop(t, n, key, &v) == 0 ? v : dflt;
}

static void read_mem_banks(struct rmcp_path *topo, unsigned node, struct rmcp_gpu *g, char *buf)
{
	unsigned banks[MAX_SUBDIRS];
	int n = rmcp_path_list_numeric(topo, banks, MAX_SUBDIRS, "nodes/%u/mem_banks", node);
	for (int i = 0; i < n; i++) {
		int rc = rmcp_path_read(topo, buf, PROP_CAP, "nodes/%u/mem_banks/%u/properties", node,
					banks[i]);
		if (rc < 0)
			continue;
		uint64_t heap = prop(buf, (size_t)rc, "heap_type", 0);
		/* kfd_crat.c: the GPU's VRAM bank is FB_PUBLIC when local_mem_size_private == 0,
		 * i.e. all of it is CPU-visible (large/resizable BAR); FB_PRIVATE otherwise. */
		if (heap == HEAP_FB_PUBLIC || heap == HEAP_FB_PRIVATE) {
			g->vram_bytes += prop(buf, (size_t)rc, "size_in_bytes", 0);
			if (heap == HEAP_FB_PUBLIC)
				g->large_bar = true;
		}
	}
}

static void read_io_links(struct rmcp_path *topo, unsigned node, struct rmcp_gpu *g, char *buf)
{
	unsigned links[MAX_SUBDIRS];
	int n = rmcp_path_list_numeric(topo, links, MAX_SUBDIRS, "nodes/%u/io_links", node);
	for (int i = 0; i < n; i++) {
		int rc = rmcp_path_read(topo, buf, PROP_CAP, "nodes/%u/io_links/%u/properties", node,
					links[i]);
		uint64_t flags;
		if (rc < 0 || rmcp_kfd_prop(buf, (size_t)rc, "flags", &flags) != 0)
			continue;
		/* kfd_topology.c kfd_set_iolink_no_atomics: set on the GPU<->CPU PCIe links when
		 * the root port cannot complete atomics (and the GPU needs them). */
		g->io_links_known = true;
		g->no_atomics_32 |= (flags & IOLINK_NO_ATOMICS_32) != 0;
		g->no_atomics_64 |= (flags & IOLINK_NO_ATOMICS_64) != 0;
	}
}

void rmcp_gpu_set_gfx(struct rmcp_gpu *g)
{
	if (g->gfx_version) {
		/* detect.md §1.3: decimal major*10000+minor*100+step, named gfx%d%x%x. */
		if (rmcp_gfx_name(g->gfx_version, g->gfx, sizeof(g->gfx)) < 0)
			g->gfx[0] = '\0';
		else
			snprintf(g->gfx_source, sizeof(g->gfx_source), "kfd");
		g->target = rmcp_target_by_version(g->gfx_version);
		if (!g->target && g->gfx[0])
			g->target = rmcp_target_by_name(g->gfx, strlen(g->gfx));
	} else if (g->device_id) {
		/* Kernels before ~5.14 have no gfx_target_version: the id table decides. */
		const char *t = rmcp_pci_gfx(g->device_id);
		if (t) {
			snprintf(g->gfx, sizeof(g->gfx), "%s", t);
			snprintf(g->gfx_source, sizeof(g->gfx_source), "pci-table");
			g->target = rmcp_target_by_name(t, strlen(t));
			if (g->target && g->target->version_known)
				g->gfx_version = g->target->version;
		}
	}
}

/*
 * APU or dGPU from the processor (data/targets.tsv apu column, after AMDGPUUsage's dGPU/APU
 * column). KFD's cpu_cores_count is not a signal: it is 0 on current APUs (Raphael, Strix
 * Halo), whose GPU node is separate from the CPU node in the virtual CRAT. For the one
 * processor made as both (gfx942), KFD's COHERENTHOSTACCESS capability or the MI300A id says.
 */
static void set_apu(struct rmcp_gpu *g)
{
	if (!g->target)
		return;
	switch (g->target->apu) {
	case RMCP_APU_YES:
		g->is_apu = true;
		break;
	case RMCP_APU_MIXED:
		g->is_apu = (g->kfd == RMCP_FACT_OK && (g->capability & CAP_COHERENT_HOST)) ||
			    g->device_id == PCI_MI300A;
		break;
	case RMCP_APU_NO:
	case RMCP_APU_UNKNOWN:
		break;
	}
}

static void set_target_id(struct rmcp_gpu *g)
{
	if (!g->gfx[0])
		return;
	/* ROCR amd_gpu_agent.cpp: sramecc+ iff capability bit 26 on processors that have the
	 * feature; xnack is the process's KFD mode and cannot be read without opening /dev/kfd. */
	bool has_sramecc = g->target && g->target->sramecc == RMCP_CAP_YES;
	snprintf(g->target_id, sizeof(g->target_id), "%s%s", g->gfx,
		 !has_sramecc || g->kfd != RMCP_FACT_OK ? "" : g->sramecc ? ":sramecc+" : ":sramecc-");
}

static void parse_gpu_props(const char *t, size_t n, struct rmcp_gpu *g)
{
	g->gfx_version = (uint32_t)prop(t, n, "gfx_target_version", 0);
	g->vendor_id = (uint16_t)prop(t, n, "vendor_id", 0);
	g->device_id = (uint16_t)prop(t, n, "device_id", 0);
	g->simd_count = (unsigned)prop(t, n, "simd_count", 0);
	g->simd_per_cu = (unsigned)prop(t, n, "simd_per_cu", 0);
	g->cu_count = g->simd_per_cu ? g->simd_count / g->simd_per_cu : 0;
	g->wave_front_size = (unsigned)prop(t, n, "wave_front_size", 0);
	g->array_count = (unsigned)prop(t, n, "array_count", 0);
	g->mec_fw = (uint32_t)(prop(t, n, "fw_version", 0) & 0x3ff);	/* libhsakmt keeps & 0x3ff */
	g->capability = prop(t, n, "capability", 0);
	g->sramecc = (g->capability & CAP_SRAM_EDC) != 0;
	g->drm_render_minor = (unsigned)prop(t, n, "drm_render_minor", 0);
	uint64_t loc, dom = prop(t, n, "domain", 0);
	if (rmcp_kfd_prop(t, n, "location_id", &loc) == 0 && g->vendor_id) {
		/* location_id = bus<<8 | dev<<3 | fn (MI300 partitions OR the node index into the
		 * low bits, so the address is the partition's, as rocminfo's BDFID shows). */
		snprintf(g->pci_addr, sizeof(g->pci_addr), "%04x:%02x:%02x.%x", (unsigned)(dom & 0xffff),
			 (unsigned)((loc >> 8) & 0xff), (unsigned)((loc >> 3) & 0x1f), (unsigned)(loc & 7));
	}
	rmcp_gpu_set_gfx(g);
}

struct node_info {
	unsigned id;
	bool is_cpu;
	int gpu;	/* index in m->gpus, -1 for CPU nodes */
};

void rmcp_gpu_init(struct rmcp_gpu *g, int node)
{
	memset(g, 0, sizeof(*g));
	g->node = node;
	g->render_access = 1;
	g->hsakmt_node = -1;
	g->runtime_index = -1;
}

/* One node: a CPU node bumps cpu_nodes, a GPU node (readable or not) becomes a gpus[] entry. */
static void read_node(struct rmcp_path *topo, unsigned node, struct rmcp_machine *m,
		      struct node_info *ni, char *buf)
{
	uint64_t gpu_id = 0;
	int rc_id = rmcp_path_read_u64(topo, &gpu_id, "nodes/%u/gpu_id", node);
	int rc = rmcp_path_read(topo, buf, PROP_CAP, "nodes/%u/properties", node);
	ni->id = node;
	ni->gpu = -1;
	uint64_t simd = rc >= 0 ? prop(buf, (size_t)rc, "simd_count", 0) : 0;
	/* A CPU node has gpu_id 0 and no SIMDs; the kernel denies only GPU nodes (node_show:
	 * dev->gpu && kfd_devcgroup_check_permission), so a denied node is a GPU. */
	if (rc >= 0 && rc_id >= 0 && gpu_id == 0 && simd == 0) {
		ni->is_cpu = true;
		m->cpu_nodes++;
		return;
	}
	if (rc == -ENOENT && rc_id == -ENOENT)
		return;	/* not a node directory */
	if (m->n_gpus >= RMCP_MAX_GPUS)
		return;
	struct rmcp_gpu *g = &m->gpus[m->n_gpus];
	rmcp_gpu_init(g, (int)node);
	ni->gpu = (int)m->n_gpus++;
	g->gpu_id = rc_id >= 0 ? (uint32_t)gpu_id : 0;
	g->kfd = rmcp_state_from_rc(rc);
	if (rc_id < 0 && rmcp_state_from_rc(rc_id) == RMCP_FACT_DENIED)
		g->kfd = RMCP_FACT_DENIED;
	if (rc < 0)
		return;
	parse_gpu_props(buf, (size_t)rc, g);
	int nrc = rmcp_path_read(topo, buf, PROP_CAP, "nodes/%u/name", node);
	if (nrc > 0)
		rmcp_copy_trimmed(g->asic, sizeof(g->asic), buf, (size_t)nrc);
	read_mem_banks(topo, node, g, buf);
	read_io_links(topo, node, g, buf);
}

static int read_nodes(struct rmcp_path *topo, struct rmcp_machine *m, struct node_info *nodes,
		      size_t *n_nodes, char *buf)
{
	unsigned ids[MAX_NODES];
	int n = rmcp_path_list_numeric(topo, ids, MAX_NODES, "nodes");
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		read_node(topo, ids[i], m, &nodes[i], buf);
	*n_nodes = (size_t)n;
	return 0;
}

/* libhsakmt topology_sysfs_get_system_props + check_node_supported: which nodes it keeps, in
 * which order (the user node ids), and whether it fails outright. */
static void number_nodes(struct rmcp_machine *m, const struct node_info *nodes, size_t n)
{
	int kept = 0, agents = 0;
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].is_cpu) {
			kept++;
			continue;
		}
		if (nodes[i].gpu < 0)
			continue;
		struct rmcp_gpu *g = &m->gpus[nodes[i].gpu];
		if (g->kfd == RMCP_FACT_DENIED || g->kfd == RMCP_FACT_ABSENT)
			continue;	/* gpu_id EPERM: "not supported", silently dropped */
		if (g->kfd == RMCP_FACT_OK && g->drm_render_minor == 0) {
			m->hsakmt_init_fails = true;
			snprintf(m->hsakmt_fail_reason, sizeof(m->hsakmt_fail_reason),
				 "KFD node %d has no drm_render_minor", g->node);
			continue;
		}
		if (g->render_access == -ENOENT || g->render_access == -EPERM)
			continue;	/* hsakmt_open_drm_render_device: ENOENT/EPERM drop the node */
		if (g->render_access < 0) {
			m->hsakmt_init_fails = true;
			snprintf(m->hsakmt_fail_reason, sizeof(m->hsakmt_fail_reason),
				 "/dev/dri/renderD%u: %s", g->drm_render_minor, strerror(-g->render_access));
			continue;
		}
		g->hsakmt_node = kept++;
		g->runtime_index = agents++;
	}
}

static int read_generation(struct rmcp_path *topo, uint64_t *gen)
{
	return rmcp_path_read_u64(topo, gen, "generation_id");
}

static struct rmcp_path *open_topology(const char *sysroot, int *rc)
{
	/* /sys/class/kfd/kfd is a link to /sys/devices/virtual/kfd/kfd (what libhsakmt reads). */
	static const char *const dirs[] = { "/sys/class/kfd/kfd/topology",
					    "/sys/devices/virtual/kfd/kfd/topology" };
	*rc = -ENOENT;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct rmcp_path *p = rmcp_path_new(sysroot, dirs[i]);
		if (!p) {
			*rc = -ENOMEM;
			return NULL;
		}
		struct stat st;
		int s = rmcp_path_stat(p, &st, ".");
		if (s == 0 && S_ISDIR(st.st_mode)) {
			*rc = 0;
			return p;
		}
		if (s < 0 && s != -ENOENT && s != -ENOTDIR)
			*rc = s;
		rmcp_path_free(p);
	}
	return NULL;
}

static int read_topology(const struct rmcp_machine_opts *opts, struct rmcp_machine *m,
			 struct node_info *nodes, size_t *n_nodes)
{
	int rc;
	struct rmcp_path *topo = open_topology(opts->sysroot, &rc);
	if (!topo) {
		m->kfd_topology = rmcp_state_from_rc(rc);
		return rc == -ENOMEM ? rc : 0;
	}
	char *buf = malloc(PROP_CAP);
	if (!buf) {
		rmcp_path_free(topo);
		return -ENOMEM;
	}
	/* libhsakmt topology_take_snapshot: read generation_id, the nodes, generation_id again,
	 * and start over if a GPU came or went in between. */
	unsigned pass;
	for (pass = 0; pass < 3; pass++) {
		uint64_t g0 = 0, g1 = 0;
		int r0 = read_generation(topo, &g0);
		m->n_gpus = 0;
		m->cpu_nodes = 0;
		*n_nodes = 0;
		rc = read_nodes(topo, m, nodes, n_nodes, buf);
		if (opts->topology_hook)
			opts->topology_hook(opts->hook_ctx, pass);
		int r1 = read_generation(topo, &g1);
		m->kfd_topology = rmcp_state_from_rc(rc);
		m->kfd_generation = (uint32_t)g1;
		if (rc < 0 || r0 < 0 || r1 < 0 || g0 == g1)
			break;
	}
	m->kfd_unstable = pass == 3;
	free(buf);
	rmcp_path_free(topo);
	return 0;
}

const char *rmcp_machine_param(const struct rmcp_machine *m, const char *name)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

int rmcp_machine_read(const struct rmcp_machine_opts *opts, struct rmcp_machine *m,
		      struct rmcp_err *err)
{
	static const struct rmcp_machine_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(m, 0, sizeof(*m));
	m->kfd_access = 1;
	struct rmcp_path *root = rmcp_path_new(opts->sysroot, "/");
	if (!root)
		return rmcp_err_set(err, -errno, "sysroot %s: %s", opts->sysroot ? opts->sysroot : "/",
				    strerror(errno));
	snprintf(m->sysroot, sizeof(m->sysroot), "%s", rmcp_path_sysroot(root));
	struct stat st;
	int rc = rmcp_path_stat(root, &st, ".");
	if (rc < 0 || !S_ISDIR(st.st_mode)) {
		rmcp_path_free(root);
		return rmcp_err_set(err, rc < 0 ? rc : -ENOTDIR, "sysroot %s: %s", m->sysroot,
				    strerror(rc < 0 ? -rc : ENOTDIR));
	}
	struct node_info *nodes = calloc(MAX_NODES, sizeof(*nodes));
	size_t n_nodes = 0;
	if (!nodes) {
		rmcp_path_free(root);
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	}
	rc = read_topology(opts, m, nodes, &n_nodes);
	if (rc == 0)
		rc = rmcp_read_pci(root, m);
	if (rc == 0) {
		rmcp_read_module(root, m);
		rmcp_read_host(root, m);
		rmcp_read_access(root, m, opts && opts->no_nss);
		number_nodes(m, nodes, n_nodes);
		rmcp_name_gpus(root, m);
		for (size_t i = 0; i < m->n_gpus; i++) {
			set_target_id(&m->gpus[i]);
			set_apu(&m->gpus[i]);
		}
		rc = rmcp_read_kernel_log(root, opts, m);
		rmcp_apply_log(m);
		for (size_t i = 0; i < m->n_gpus; i++) {
			struct rmcp_gpu *g = &m->gpus[i];
			/* "skipped device ..., PCI rejects atomics" (kfd_device.c kgd2kfd_device_init):
			 * amdgpu_amdkfd_have_atomics_support said no, so the link has none, though
			 * there is no node whose io_link would say so. */
			if (g->log_skipped_atomics && !g->io_links_known) {
				g->io_links_known = true;
				g->no_atomics_32 = g->no_atomics_64 = true;
			}
		}
	}
	free(nodes);
	rmcp_path_free(root);
	if (rc < 0)
		return rmcp_err_set(err, rc, "reading machine facts under %s: %s", m->sysroot,
				    rmcp_strerror(rc));
	return 0;
}
