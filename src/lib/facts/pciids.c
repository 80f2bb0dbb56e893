/* SPDX-License-Identifier: MIT */
/*
 * Machine facts, part 2: the PCI bus (research/detect.md §0 step 4, §3 and the addendum),
 * the PCI-id fallback table and marketing names (libdrm amdgpu.ids, then the bundled table).
 */
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pciids.h"
#include "sysfs_internal.h"
#include "banned.h"

#define PCI_VENDOR_AMD 0x1002
#define AMDGPU_IDS_CAP (1u << 20)	/* libdrm's file is ~30 KiB; anything larger is not it */

static const struct rmcp_pci_gfx *pci_entry(uint16_t device)
{
	size_t lo = 0, hi = rmcp_pci_gfx_table_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rmcp_pci_gfx_table[mid].device == device)
			return &rmcp_pci_gfx_table[mid];
		if (rmcp_pci_gfx_table[mid].device < device)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *rmcp_pci_gfx(uint16_t device)
{
	const struct rmcp_pci_gfx *e = pci_entry(device);
	return e ? e->gfx : NULL;
}

const char *rmcp_pci_fallback_name(uint16_t device)
{
	const struct rmcp_pci_gfx *e = pci_entry(device);
	return e ? e->pci_ids_name : NULL;
}

const char *rmcp_asic_fallback_name(uint16_t device, uint8_t revision)
{
	uint32_t key = (uint32_t)device << 8 | revision;
	size_t lo = 0, hi = rmcp_asic_fallback_table_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rmcp_asic_name *e = &rmcp_asic_fallback_table[mid];
		uint32_t k = (uint32_t)e->device << 8 | e->revision;
		if (k == key)
			return e->name;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The line at *pos without its '\n' (the last one may lack it); false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *ll)
{
	if (*pos >= len)
		return false;
	size_t eol = *pos;
	while (eol < len && buf[eol] != '\n')
		eol++;
	*line = buf + *pos;
	*ll = eol - *pos;
	*pos = eol + 1;
	return true;
}

/* ---- amdgpu.ids (libdrm amdgpu_asic_id.c) ----------------------------------------------- */

/* strtok_r(line, ","): the next maximal run of non-commas, skipping empty fields. */
static bool next_token(const char *s, size_t len, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos;
	while (i < len && s[i] == ',')
		i++;
	if (i >= len)
		return false;
	*start = i;
	while (i < len && s[i] != ',')
		i++;
	*end = i;
	*pos = i;
	return true;
}

enum field { FIELD_OK, FIELD_NOMATCH, FIELD_BAD };

/* strtol(field, &end, 16) with libdrm's `if (*endptr)` check. */
static enum field hex_field(const char *s, size_t len, unsigned long *out)
{
	char tmp[64];
	if (len >= sizeof(tmp))
		return FIELD_NOMATCH;	/* strtol would saturate: never equal to a 16-bit id */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end;
	long v = strtol(tmp, &end, 16);
	if (*end)
		return FIELD_BAD;	/* also a field of blanks only: no digits, end at the blank */
	*out = (unsigned long)v;
	return FIELD_OK;
}

int rmcp_amdgpu_ids_lookup(const char *buf, size_t len, uint16_t device, uint8_t revision,
			   char *name, size_t cap)
{
	bool have_version = false;
	size_t pos = 0;
	if (cap)
		name[0] = '\0';
	const char *line;
	size_t ll;
	while (next_line(buf, len, &pos, &line, &ll)) {
		/* parse_one_line: empty and '#' lines are skipped (only exactly empty ones). */
		if (ll == 0 || line[0] == '#')
			continue;
		/* amdgpu_parse_asic_ids: the first such line is the file version ("1.0.0"). */
		if (!have_version) {
			have_version = true;
			continue;
		}
		size_t tp = 0, s0, e0, s1, e1, s2, e2;
		unsigned long did, rid;
		/* libdrm stops at the first malformed line (r == -EINVAL ends its loop), so
		 * entries after one are invisible to it; the same here. */
		if (!next_token(line, ll, &tp, &s0, &e0) || memchr(line, '\0', ll))
			return 0;
		enum field f = hex_field(line + s0, e0 - s0, &did);
		if (f == FIELD_BAD)
			return 0;
		if (f == FIELD_NOMATCH || (uint32_t)did != device)
			continue;
		if (!next_token(line, ll, &tp, &s1, &e1))
			return 0;
		f = hex_field(line + s1, e1 - s1, &rid);
		if (f == FIELD_BAD)
			return 0;
		if (f == FIELD_NOMATCH || (uint32_t)rid != revision)
			continue;
		if (!next_token(line, ll, &tp, &s2, &e2))
			return 0;
		while (s2 < e2 && (line[s2] == ' ' || line[s2] == '\t'))
			s2++;
		if (s2 == e2)
			return 0;
		rmcp_copy_trimmed(name, cap, line + s2, e2 - s2);
		return 1;
	}
	return 0;
}

/* ---- pci.ids (the PCI ID Repository, pciutils lib/names-parse.c) ------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits then at least one blank: the id of a vendor or device line. */
static bool id4(const char *s, size_t len, uint16_t *out)
{
	if (len < 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	if (s[4] != ' ' && s[4] != '\t')
		return false;
	*out = (uint16_t)v;
	return true;
}

int rmcp_pci_ids_lookup(const char *buf, size_t len, uint16_t vendor, uint16_t device,
			char *name, size_t cap)
{
	bool in_vendor = false;
	size_t pos = 0;
	if (cap)
		name[0] = '\0';
	const char *line;
	size_t ll;
	while (next_line(buf, len, &pos, &line, &ll)) {
		if (ll == 0 || line[0] == '#')
			continue;
		uint16_t id;
		if (line[0] != '\t') {
			/* A vendor line ("1002  Advanced Micro Devices, Inc. [AMD/ATI]"); class lines
			 * ("C 03  Display controller") end the vendor list. */
			if (in_vendor)
				return 0;
			in_vendor = id4(line, ll, &id) && id == vendor;
			continue;
		}
		/* "\tDDDD  name" is a device; "\t\t..." a subsystem of the one before. */
		if (!in_vendor || ll < 2 || line[1] == '\t' || !id4(line + 1, ll - 1, &id) || id != device)
			continue;
		rmcp_copy_trimmed(name, cap, line + 5, ll - 5);
		return name[0] != '\0';
	}
	return 0;
}

void rmcp_pci_name_format(const char *raw, char *out, size_t cap)
{
	/* pci.ids writes "Codename [Marketing name]"; the marketing part is what people know. */
	const char *open = strrchr(raw, '[');
	const char *close = open ? strchr(open, ']') : NULL;
	if (open && close && close > open + 1)
		snprintf(out, cap, "AMD %.*s", (int)(close - open - 1), open + 1);
	else
		snprintf(out, cap, "AMD %s", raw);
}

/* ---- the PCI bus ------------------------------------------------------------------------ */

struct pci_dev {
	char addr[16];
	uint16_t vendor, device, subsystem_vendor, subsystem_device;
	uint8_t revision;
	uint32_t class_code;
};

static bool read_pci_dev(struct rmcp_path *bus, const char *name, struct pci_dev *d)
{
	uint64_t v;
	memset(d, 0, sizeof(*d));
	if (strlen(name) >= sizeof(d->addr))
		return false;
	if (rmcp_path_read_hex(bus, &v, "%s/vendor", name) < 0 || v != PCI_VENDOR_AMD)
		return false;
	d->vendor = (uint16_t)v;
	if (rmcp_path_read_hex(bus, &v, "%s/class", name) < 0)
		return false;
	d->class_code = (uint32_t)v;
	/* detect.md §0 step 4 and the addendum: display (0x03xxxx: VGA 0300, 3D 0302, other
	 * 0380 as on MI200) or processing accelerator (0x12xxxx, MI300X). HDMI audio (0403) and
	 * the like are not GPUs. */
	unsigned base = (unsigned)(v >> 16) & 0xff;
	if (base != 0x03 && base != 0x12)
		return false;
	if (rmcp_path_read_hex(bus, &v, "%s/device", name) < 0)
		return false;
	d->device = (uint16_t)v;
	if (rmcp_path_read_hex(bus, &v, "%s/revision", name) == 0)
		d->revision = (uint8_t)v;
	if (rmcp_path_read_hex(bus, &v, "%s/subsystem_vendor", name) == 0)
		d->subsystem_vendor = (uint16_t)v;
	if (rmcp_path_read_hex(bus, &v, "%s/subsystem_device", name) == 0)
		d->subsystem_device = (uint16_t)v;
	snprintf(d->addr, sizeof(d->addr), "%s", name);
	return true;
}

static void apply_pci(struct rmcp_gpu *g, const struct pci_dev *d)
{
	if (!g->pci_addr[0])
		snprintf(g->pci_addr, sizeof(g->pci_addr), "%s", d->addr);
	if (!g->vendor_id)
		g->vendor_id = d->vendor;
	if (!g->device_id)
		g->device_id = d->device;
	g->revision = d->revision;
	g->pci_class = d->class_code;
	g->subsystem_vendor = d->subsystem_vendor;
	g->subsystem_device = d->subsystem_device;
	if (!g->gfx[0])
		rmcp_gpu_set_gfx(g);
}

static int filter_dev(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int rmcp_read_pci(struct rmcp_path *root, struct rmcp_machine *m)
{
	struct rmcp_path *bus = rmcp_path_new(rmcp_path_sysroot(root), "/sys/bus/pci/devices");
	if (!bus)
		return -ENOMEM;
	char dir[PATH_MAX];
	struct dirent **names = NULL;
	int n = rmcp_path_abs(bus, dir, sizeof(dir), "") ? scandir(dir, &names, filter_dev, alphasort) : -1;
	struct pci_dev unmatched[RMCP_MAX_GPUS];
	size_t n_un = 0;
	for (int i = 0; i < n; i++) {
		struct pci_dev d;
		if (read_pci_dev(bus, names[i]->d_name, &d)) {
			size_t k;
			for (k = 0; k < m->n_gpus; k++)
				if (strcasecmp(m->gpus[k].pci_addr, d.addr) == 0)
					break;
			if (k < m->n_gpus)
				apply_pci(&m->gpus[k], &d);
			else if (n_un < RMCP_MAX_GPUS)
				unmatched[n_un++] = d;
		}
		free(names[i]);
	}
	free(names);
	rmcp_path_free(bus);

	/* A node denied by the device cgroup shows nothing, not even its location; KFD adds
	 * devices in PCI probe order, so when the counts agree the leftovers pair up in order. */
	size_t denied = 0;
	for (size_t k = 0; k < m->n_gpus; k++)
		denied += m->gpus[k].kfd != RMCP_FACT_OK && !m->gpus[k].pci_addr[0];
	size_t u = 0;
	if (denied && denied == n_un) {
		for (size_t k = 0; k < m->n_gpus; k++) {
			struct rmcp_gpu *g = &m->gpus[k];
			if (g->kfd != RMCP_FACT_OK && !g->pci_addr[0]) {
				apply_pci(g, &unmatched[u++]);
				g->pci_inferred = true;
			}
		}
	}
	/* GPUs KFD made no node for (PCIe atomics, unsupported ASIC, no KFD at all). */
	for (; u < n_un && m->n_gpus < RMCP_MAX_GPUS; u++) {
		struct rmcp_gpu *g = &m->gpus[m->n_gpus++];
		rmcp_gpu_init(g, -1);
		apply_pci(g, &unmatched[u]);
	}
	return 0;
}

/* ---- marketing names -------------------------------------------------------------------- */

#define PCI_IDS_CAP (8u << 20)	/* 1.3 MiB in 2023; room for growth */

/*
 * Device-level names for GPUs amdgpu.ids does not name by (device, revision): the machine's
 * pci.ids (hwdata or pciutils' copy), then the line bundled in data/pci-ids.tsv.
 */
static void name_from_pci_ids(struct rmcp_path *root, struct rmcp_machine *m)
{
	static const char *const files[] = { "usr/share/misc/pci.ids", "usr/share/hwdata/pci.ids" };
	char *text = NULL;
	int len = -1;
	const char *file = NULL;
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct rmcp_gpu *g = &m->gpus[i];
		if (g->name[0] || g->vendor_id != PCI_VENDOR_AMD || !g->device_id)
			continue;
		if (!text) {
			text = malloc(PCI_IDS_CAP);
			if (!text)
				return;
			for (size_t f = 0; f < 2 && len <= 0; f++) {
				len = rmcp_path_read(root, text, PCI_IDS_CAP, "%s", files[f]);
				file = files[f];
			}
		}
		char raw[sizeof(g->name)];
		if (len > 0 && rmcp_pci_ids_lookup(text, (size_t)len, PCI_VENDOR_AMD, g->device_id, raw,
						   sizeof(raw)) == 1) {
			rmcp_pci_name_format(raw, g->name, sizeof(g->name));
			snprintf(g->name_source, sizeof(g->name_source), "/%s", file);
		} else if (rmcp_pci_fallback_name(g->device_id)) {
			rmcp_pci_name_format(rmcp_pci_fallback_name(g->device_id), g->name, sizeof(g->name));
			snprintf(g->name_source, sizeof(g->name_source), "rmcp fallback table (pci.ids)");
		}
	}
	free(text);
}

void rmcp_name_gpus(struct rmcp_path *root, struct rmcp_machine *m)
{
	/* AMD's packaged libdrm (amdgpu-install) first: it is the newer copy when present. */
	static const char *const files[] = { "opt/amdgpu/share/libdrm/amdgpu.ids",
					     "usr/share/libdrm/amdgpu.ids" };
	char *text[2] = { NULL, NULL };
	int len[2] = { -1, -1 };
	for (size_t f = 0; f < 2; f++) {
		text[f] = malloc(AMDGPU_IDS_CAP);
		if (text[f])
			len[f] = rmcp_path_read(root, text[f], AMDGPU_IDS_CAP, "%s", files[f]);
	}
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct rmcp_gpu *g = &m->gpus[i];
		if (g->vendor_id != PCI_VENDOR_AMD || !g->device_id)
			continue;
		for (size_t f = 0; f < 2 && !g->name[0]; f++)
			if (len[f] > 0 && rmcp_amdgpu_ids_lookup(text[f], (size_t)len[f], g->device_id,
								 g->revision, g->name, sizeof(g->name)) == 1)
				snprintf(g->name_source, sizeof(g->name_source), "/%s", files[f]);
		const char *fb = g->name[0] ? NULL : rmcp_asic_fallback_name(g->device_id, g->revision);
		if (fb) {
			snprintf(g->name, sizeof(g->name), "%s", fb);
			snprintf(g->name_source, sizeof(g->name_source), "rmcp fallback table");
		}
	}
	free(text[0]);
	free(text[1]);
	name_from_pci_ids(root, m);
}
