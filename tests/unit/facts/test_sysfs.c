/* SPDX-License-Identifier: MIT */
/*
 * Tests for the machine-fact reader (src/lib/facts/sysfs.c, sysfs_host.c, pciids.c, dmesg.c) over the
 * committed sysroot fixtures (tests/fixtures/sysroots/<name>, read from $RMCP_SOURCE_ROOT) and
 * temporary copies of them that a test changes (a denied node, a bumped generation_id, ...).
 *
 * Expected values come from the fixtures' documented inputs, not from rmcp's output:
 * gfx names from detect.md §1.3 (100100 = gfx1010, 90010 = gfx90a), CU count = simd_count /
 * simd_per_cu, VRAM = the mem bank's size_in_bytes, the PCI address from location_id
 * (bus<<8|dev<<3|fn), marketing names from Debian 12's amdgpu.ids (copied into the fixtures) or
 * libdrm's current one (the fallback table), log facts from the kernel's message formats.
 * The EPERM test makes the OS deny a read for real: as root it forks and drops to uid 65534.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sysfs.h"
#include "target.h"

#define GiB (1ull << 30)

/* ---- helpers ------------------------------------------------------------------------- */

static char fixture_dir[PATH_MAX];

static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static struct rmcp_machine *read_machine(const char *sysroot)
{
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	struct rmcp_machine_opts o = { .sysroot = sysroot, .no_live_log = true };
	struct rmcp_err err = { 0 };
	assert_int_equal(rmcp_machine_read(&o, m, &err), 0);
	assert_int_equal(err.code, 0);
	return m;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A private, world-readable copy of a fixture (so a dropped-privilege child can read it). */
static char *copy_fixture(const char *name)
{
	char tmpl[] = "/tmp/rmcp-sysfs-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	assert_int_equal(chmod(dir, 0755), 0);
	char cmd[PATH_MAX * 2 + 64];
	snprintf(cmd, sizeof(cmd), "cp -RP '%s/.' '%s/'", fixture(name), dir);
	assert_int_equal(system(cmd), 0);
	return strdup(dir);
}

static void remove_tree(char *dir)
{
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwX '%s'; rm -rf '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static const struct rmcp_log_line *find_log(const struct rmcp_machine *m, const char *kind)
{
	for (size_t i = 0; i < m->n_log; i++)
		if (strcmp(m->log[i].kind, kind) == 0)
			return &m->log[i];
	return NULL;
}

/* ---- rmcp_kfd_prop ------------------------------------------------------------------- */

static int prop_exact(const char *text, const char *key, uint64_t *out)
{
	/* An exactly-sized heap copy without a NUL, so ASan sees any read past len. */
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	int rc = rmcp_kfd_prop(copy, len, key, out);
	free(copy);
	return rc;
}

static void test_kfd_prop(void **state)
{
	(void)state;
	const char *t = "cpu_cores_count 0\nsimd_count 72\nsimd_per_cu 2\nhive_id 18446744073709551615\n"
			"size_in_bytes 68702699520\n  gfx_target_version   100100  \nlast 7";
	uint64_t v;
	assert_int_equal(prop_exact(t, "simd_count", &v), 0);
	assert_int_equal(v, 72);
	assert_int_equal(prop_exact(t, "hive_id", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(prop_exact(t, "size_in_bytes", &v), 0);
	assert_true(v == 68702699520ull);
	assert_int_equal(prop_exact(t, "gfx_target_version", &v), 0);
	assert_int_equal(v, 100100);
	assert_int_equal(prop_exact(t, "last", &v), 0);	/* no trailing newline */
	assert_int_equal(v, 7);
	/* By key, not by prefix or position. */
	assert_int_equal(prop_exact(t, "simd", &v), -ENOENT);
	assert_int_equal(prop_exact(t, "simd_count_x", &v), -ENOENT);
	assert_int_equal(prop_exact("", "simd_count", &v), -ENOENT);
	assert_int_equal(prop_exact(t, "", &v), -EINVAL);
	/* Present but not one unsigned number. */
	assert_int_equal(prop_exact("a -1\n", "a", &v), -RMCP_E_FORMAT);
	assert_int_equal(prop_exact("a 1 2\n", "a", &v), -RMCP_E_FORMAT);
	assert_int_equal(prop_exact("a\n", "a", &v), -RMCP_E_FORMAT);
	assert_int_equal(prop_exact("a 0x10\n", "a", &v), -RMCP_E_FORMAT);
	assert_int_equal(prop_exact("a 18446744073709551616\n", "a", &v), -RMCP_E_FORMAT);
	/* The first line with the key counts. */
	assert_int_equal(prop_exact("a 1\na 2\n", "a", &v), 0);
	assert_int_equal(v, 1);
}

/* ---- path context -------------------------------------------------------------------- */

static void test_path_context(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/rmcp-path-XXXXXX";
	char *root = mkdtemp(tmpl);
	assert_non_null(root);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/sys", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sys/num", root);
	write_file(p, "4098\n");
	snprintf(p, sizeof(p), "%s/sys/hex", root);
	write_file(p, "0x731f\n");
	snprintf(p, sizeof(p), "%s/sys/fifo", root);
	assert_int_equal(mkfifo(p, 0644), 0);

	char sysroot[PATH_MAX + 2];
	snprintf(sysroot, sizeof(sysroot), "%s//", root);	/* trailing slashes are fine */
	struct rmcp_path *ctx = rmcp_path_new(sysroot, "/sys");
	assert_non_null(ctx);
	char buf[64], abs[PATH_MAX];
	assert_int_equal(rmcp_path_read(ctx, buf, sizeof(buf), "num"), 5);
	assert_string_equal(buf, "4098\n");
	uint64_t v;
	assert_int_equal(rmcp_path_read_u64(ctx, &v, "%s", "num"), 0);
	assert_int_equal(v, 4098);
	assert_int_equal(rmcp_path_read_u64(ctx, &v, "hex"), -RMCP_E_FORMAT);	/* decimal only */
	assert_int_equal(rmcp_path_read(ctx, buf, sizeof(buf), "missing"), -ENOENT);
	assert_int_equal(rmcp_path_read_u64(ctx, &v, "missing"), -ENOENT);
	/* A FIFO where a sysfs file belongs is refused at once, not read (no hang). */
	assert_int_equal(rmcp_path_read(ctx, buf, sizeof(buf), "fifo"), -EINVAL);
	/* Small buffers truncate, NUL-terminated. */
	assert_int_equal(rmcp_path_read(ctx, buf, 3, "num"), 2);
	assert_string_equal(buf, "40");
	snprintf(p, sizeof(p), "%s/sys/num", root);
	assert_string_equal(rmcp_path_abs(ctx, abs, sizeof(abs), "num"), p);
	assert_int_equal(rmcp_path_access(ctx, R_OK, "num"), 0);
	assert_int_equal(rmcp_path_access(ctx, R_OK, "missing"), -ENOENT);
	rmcp_path_free(ctx);

	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

/* ---- tables and parsers ---------------------------------------------------------------- */

static void test_pci_table(void **state)
{
	(void)state;
	/* rocm_agent_enumerator ISA_TO_ID and detect.md §3. */
	assert_string_equal(rmcp_pci_gfx(0x731F), "gfx1010");
	assert_string_equal(rmcp_pci_gfx(0x7340), "gfx1012");
	assert_string_equal(rmcp_pci_gfx(0x7362), "gfx1011");
	assert_string_equal(rmcp_pci_gfx(0x73DF), "gfx1031");
	assert_string_equal(rmcp_pci_gfx(0x744C), "gfx1100");
	assert_string_equal(rmcp_pci_gfx(0x740F), "gfx90a");
	assert_string_equal(rmcp_pci_gfx(0x67DF), "gfx803");
	assert_string_equal(rmcp_pci_gfx(0x74A0), "gfx942");	/* MI300A: not in ISA_TO_ID */
	assert_string_equal(rmcp_pci_gfx(0x1586), "gfx1151");
	assert_null(rmcp_pci_gfx(0xAB38));	/* HDMI audio */
	assert_null(rmcp_pci_gfx(0x0000));
	assert_null(rmcp_pci_gfx(0xFFFF));
	/* Debian 12 lacks these; libdrm's current amdgpu.ids has them. */
	assert_string_equal(rmcp_asic_fallback_name(0x744C, 0xC8), "AMD Radeon RX 7900 XTX");
	assert_string_equal(rmcp_asic_fallback_name(0x74A1, 0x00), "AMD Instinct MI300X");
	assert_string_equal(rmcp_asic_fallback_name(0x1681, 0xC7), "AMD Radeon 680M");
	assert_null(rmcp_asic_fallback_name(0x744C, 0x01));
	assert_null(rmcp_asic_fallback_name(0x731F, 0xCA));	/* Debian 12 has it */
	/* amdgpu_drv.c pciidlist, GFX6/GFX7 included; CHIP -> processor (kfd_device.c, LLVM). */
	assert_string_equal(rmcp_pci_gfx(0x6811), "gfx601");	/* CHIP_PITCAIRN */
	assert_string_equal(rmcp_pci_gfx(0x6798), "gfx600");	/* CHIP_TAHITI */
	assert_string_equal(rmcp_pci_gfx(0x6611), "gfx602");	/* CHIP_OLAND */
	assert_string_equal(rmcp_pci_gfx(0x67B0), "gfx701");	/* CHIP_HAWAII */
	assert_string_equal(rmcp_pci_gfx(0x6658), "gfx704");	/* CHIP_BONAIRE */
	assert_string_equal(rmcp_pci_gfx(0x9830), "gfx703");	/* CHIP_KABINI */
	assert_string_equal(rmcp_pci_gfx(0x98E4), "gfx810");	/* CHIP_STONEY (ISA_TO_ID says gfx801) */
	assert_string_equal(rmcp_pci_gfx(0x6900), "gfx802");	/* CHIP_TOPAZ (Iceland) */
	assert_string_equal(rmcp_pci_gfx(0x66AF), "gfx906");	/* CHIP_VEGA20 */
	assert_string_equal(rmcp_pci_gfx(0x738C), "gfx908");	/* CHIP_ARCTURUS */
	assert_string_equal(rmcp_pci_gfx(0x7424), "gfx1034");	/* added after v5.18 */
	assert_string_equal(rmcp_pci_gfx(0x163F), "gfx1033");	/* v5.18, IP discovery since */
	assert_string_equal(rmcp_pci_gfx(0x13FB), "gfx1013");	/* 2025 Cyan Skillfish ids */
	/* Device-level names bundled from pci.ids. */
	assert_string_equal(rmcp_pci_fallback_name(0x66AF), "Vega 20 [Radeon VII]");
	assert_string_equal(rmcp_pci_fallback_name(0x738C), "Arcturus GL-XL [Instinct MI100]");
	assert_null(rmcp_pci_fallback_name(0x7590));	/* newer than Debian 12's pci.ids */
	/* Every bundled processor is one the target table knows, for every GCN/RDNA id. */
	unsigned gfx6 = 0, gfx7 = 0, known = 0;
	for (unsigned id = 0; id <= 0xFFFF; id++) {
		const char *g = rmcp_pci_gfx((uint16_t)id);
		if (!g)
			continue;
		known++;
		const struct rmcp_target *t = rmcp_target_by_name(g, strlen(g));
		assert_non_null(t);
		gfx6 += strcmp(t->family, "GCN1") == 0;
		gfx7 += strcmp(t->family, "GCN2") == 0;
	}
	assert_true(known >= 339);
	assert_true(gfx6 >= 70);	/* Tahiti, Pitcairn, Verde, Oland, Hainan: 72 ids in v6.5 */
	assert_true(gfx7 >= 75);	/* Kaveri, Hawaii, Kabini, Mullins, Bonaire: 77 ids */
}

static void test_pci_ids_parser(void **state)
{
	(void)state;
	static const char text[] =
		"# pci.ids\n"
		"1000  LSI Logic\n"
		"\t66af  Not AMD\n"
		"1002  Advanced Micro Devices, Inc. [AMD/ATI]\n"
		"\t164e  Raphael\n"
		"\t\t1002 66af  a subsystem line, not a device\n"
		"\t66af  Vega 20 [Radeon VII]\n"
		"\t\t1002 081e  Radeon VII\n"
		"1003  ULSI Systems\n"
		"\t7340  Not AMD either\n"
		"C 03  Display controller\n";
	char name[128];
	assert_int_equal(rmcp_pci_ids_lookup(text, strlen(text), 0x1002, 0x66af, name, sizeof(name)), 1);
	assert_string_equal(name, "Vega 20 [Radeon VII]");
	assert_int_equal(rmcp_pci_ids_lookup(text, strlen(text), 0x1002, 0x164E, name, sizeof(name)), 1);
	assert_string_equal(name, "Raphael");
	assert_int_equal(rmcp_pci_ids_lookup(text, strlen(text), 0x1002, 0x7340, name, sizeof(name)), 0);
	assert_int_equal(rmcp_pci_ids_lookup(text, strlen(text), 0x1002, 0x081e, name, sizeof(name)), 0);
	assert_int_equal(rmcp_pci_ids_lookup(text, 40, 0x1002, 0x66af, name, sizeof(name)), 0);
	assert_int_equal(rmcp_pci_ids_lookup(text, strlen(text), 0x1002, 0x66af, name, 6), 1);
	assert_string_equal(name, "Vega ");
	rmcp_pci_name_format("Vega 20 [Radeon VII]", name, sizeof(name));
	assert_string_equal(name, "AMD Radeon VII");
	rmcp_pci_name_format("Raphael", name, sizeof(name));
	assert_string_equal(name, "AMD Raphael");
	rmcp_pci_name_format("Odd [", name, sizeof(name));
	assert_string_equal(name, "AMD Odd [");
}

/* The bundled names are Debian's pci.ids lines, byte for byte (the file the table cites). */
static void test_pci_ids_bundle_matches_debian(void **state)
{
	(void)state;
	FILE *f = fopen("/usr/share/misc/pci.ids", "r");
	assert_non_null(f);	/* Debian package pci.ids (scripts/deps.txt) */
	static char text[8 << 20];
	size_t n = fread(text, 1, sizeof(text), f);
	fclose(f);
	unsigned checked = 0;
	for (unsigned id = 0; id <= 0xFFFF; id++) {
		const char *b = rmcp_pci_fallback_name((uint16_t)id);
		if (!b)
			continue;
		char name[128];
		assert_int_equal(rmcp_pci_ids_lookup(text, n, 0x1002, (uint16_t)id, name, sizeof(name)), 1);
		assert_string_equal(name, b);
		checked++;
	}
	assert_true(checked >= 250);
}

/* Without a revision-level name, the device-level one: the sysroot's pci.ids, else the bundle. */
static void test_device_level_names(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx5600xt");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/revision", dir);
	write_file(path, "0xee\n");	/* a revision no amdgpu.ids lists */
	struct rmcp_machine *m = read_machine(dir);
	assert_string_equal(m->gpus[0].name, "AMD Radeon RX 5600 OEM/5600 XT / 5700/5700 XT");
	assert_string_equal(m->gpus[0].name_source, "rmcp fallback table (pci.ids)");
	free(m);
	char cmd[PATH_MAX];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/usr/share/misc'", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/usr/share/misc/pci.ids", dir);
	write_file(path, "1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t731f  Navi 10 [Radeon RX 5700 XT]\n");
	m = read_machine(dir);
	assert_string_equal(m->gpus[0].name, "AMD Radeon RX 5700 XT");
	assert_string_equal(m->gpus[0].name_source, "/usr/share/misc/pci.ids");
	free(m);
	remove_tree(dir);
}

static int ids_exact(const char *text, uint16_t dev, uint8_t rev, char *name, size_t cap)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	int rc = rmcp_amdgpu_ids_lookup(copy, len, dev, rev, name, cap);
	free(copy);
	return rc;
}

static void test_amdgpu_ids_parser(void **state)
{
	(void)state;
	char name[128];
	const char *head = "# List of AMDGPU IDs\n#\n# Syntax:\n# device_id,\trevision_id,\tproduct_name\n\n1.0.0\n";
	char text[1024];
	snprintf(text, sizeof(text), "%s731F,\tCA,\tAMD Radeon RX 5600 XT\n"
		 "7481,   C7,     AMD Steam Machine\r\n", head);
	assert_int_equal(ids_exact(text, 0x731F, 0xCA, name, sizeof(name)), 1);
	assert_string_equal(name, "AMD Radeon RX 5600 XT");
	/* Blanks around the hex fields (strtol skips leading ones), CR trimmed from the name. */
	assert_int_equal(ids_exact(text, 0x7481, 0xC7, name, sizeof(name)), 1);
	assert_string_equal(name, "AMD Steam Machine");
	assert_int_equal(ids_exact(text, 0x731F, 0xC1, name, sizeof(name)), 0);
	assert_string_equal(name, "");
	/* The first non-comment line is the version, never an entry. */
	assert_int_equal(ids_exact("731F,\tCA,\tNot An Entry\n731F,\tCA,\tReal\n", 0x731F, 0xCA, name,
				   sizeof(name)), 1);
	assert_string_equal(name, "Real");
	/* libdrm stops at a malformed line: later entries are invisible to it too. The device
	 * field is always parsed; the rest only when the device matches. */
	snprintf(text, sizeof(text), "%s73G0,\tC5,\tbad device field\n744C,\tC8,\tAfter\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 0);
	snprintf(text, sizeof(text), "%s744C,\tC5 ,\tbad revision field\n744C,\tC8,\tAfter\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 0);
	snprintf(text, sizeof(text), "%s7340,\tC5 ,\tother device: not parsed further\n744C,\tC8,\tAfter\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 1);
	snprintf(text, sizeof(text), "%s7340\n744C,\tC8,\tAfter\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 1);
	assert_string_equal(name, "After");
	assert_int_equal(ids_exact(text, 0x7340, 0x00, name, sizeof(name)), 0);	/* no revision field */
	/* strtok_r skips empty fields. */
	snprintf(text, sizeof(text), "%s,744C,,C8,,\tName\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 1);
	assert_string_equal(name, "Name");
	/* An empty name is malformed. */
	snprintf(text, sizeof(text), "%s744C,\tC8,\t  \n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, sizeof(name)), 0);
	/* Truncation into a small buffer. */
	snprintf(text, sizeof(text), "%s744C,\tC8,\tAMD Radeon RX 7900 XTX\n", head);
	assert_int_equal(ids_exact(text, 0x744C, 0xC8, name, 8), 1);
	assert_string_equal(name, "AMD Rad");
	assert_int_equal(ids_exact("", 1, 1, name, sizeof(name)), 0);
}

/* Every entry of the real Debian 12 file (copied into the fixtures) is found by its ids. */
static void test_amdgpu_ids_debian_file(void **state)
{
	(void)state;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/usr/share/libdrm/amdgpu.ids", fixture("rx5600xt"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	size_t entries = 0, found = 0, n_keys = 0;
	static uint32_t keys[2048];
	bool version_seen = false;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		if (ll && line[0] != '#') {
			if (!version_seen) {
				version_seen = true;
			} else {
				char tmp[256];
				snprintf(tmp, sizeof(tmp), "%.*s", (int)ll, line);
				char *c1 = strchr(tmp, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
				assert_non_null(c2);
				*c1 = *c2 = '\0';
				unsigned long dev = strtoul(tmp, NULL, 16), rev = strtoul(c1 + 1, NULL, 16);
				const char *want = c2 + 1;
				while (*want == '\t' || *want == ' ')
					want++;
				char name[128];
				/* The first entry with these ids wins, as in libdrm: the file has a
				 * few repeated ids, judged by their first line only. */
				uint32_t key = (uint32_t)dev << 8 | (uint32_t)rev;
				bool dup = false;
				for (size_t k = 0; k < n_keys; k++)
					dup |= keys[k] == key;
				if (!dup && n_keys < sizeof(keys) / sizeof(keys[0])) {
					keys[n_keys++] = key;
					entries++;
					if (rmcp_amdgpu_ids_lookup(buf, len, (uint16_t)dev, (uint8_t)rev, name,
								   sizeof(name)) == 1 && strcmp(name, want) == 0)
						found++;
				}
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	assert_true(entries > 400);	/* 2.4.114-1 has 474 entries */
	assert_int_equal(found, entries);
}

static void test_log_classify(void **state)
{
	(void)state;
	static const struct {
		const char *line, *kind;
	} cases[] = {
		{ "amdgpu 0000:03:00.0: amdgpu: PCIE atomic ops is not supported", "pcie_atomics" },
		{ "[drm] PCIE atomic ops is not supported", "pcie_atomics" },
		{ "kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145", "skipped_device" },
		{ "kfd kfd: skipped device 1002:67df, PCI rejects atomics", "skipped_device" },
		{ "kfd kfd: amdgpu: GC IP 0b0500 not supported in kfd", "not_supported" },
		{ "kfd kfd: amdgpu: TAHITI not supported in kfd", "not_supported" },
		{ "amdgpu 0000:03:00.0: amdgpu: GPU reset begin!", "gpu_reset" },
		{ "amdgpu 0000:03:00.0: amdgpu: GPU reset(2) succeeded!", "gpu_reset" },
		{ "[drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring gfx_0.0.0 timeout, signaled seq=1, emitted seq=3",
		  "gpu_hang" },
		{ "HW Exception by GPU node-1 (Agent handle: 0x5612) reason :GPU Hang", "gpu_hang" },
		{ "amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8 pasid:32769)",
		  "memory_fault" },
		{ "amdgpu 0000:03:00.0: amdgpu: GCVM_L2_PROTECTION_FAULT_STATUS:0x00801031", "memory_fault" },
		{ "Memory access fault by GPU node-1 (Agent handle: 0x55d) on address 0x7f. Reason: Page not present",
		  "memory_fault" },
		{ "kfd kfd: amdgpu: added device 1002:744c", "added_device" },
		{ "BUG: unable to handle page fault for address: ffff8881", NULL },	/* not amdgpu's */
		{ "[drm] Initialized amdgpu 3.49.0 20150101 for 0000:03:00.0 on minor 0", NULL },
		{ "usb 1-1: new high-speed USB device number 2 using xhci_hcd", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *k = rmcp_log_classify(cases[i].line, strlen(cases[i].line));
		if (cases[i].kind)
			assert_string_equal(k, cases[i].kind);
		else
			assert_null(k);
	}
}

static void test_log_scan_formats(void **state)
{
	(void)state;
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	/* dmesg, dmesg -T, journalctl -k, klogctl and /dev/kmsg forms of kernel lines. */
	const char *log =
		"[    4.345678] amdgpu 0000:03:00.0: amdgpu: PCIE atomic ops is not supported\n"
		"[Mon Mar  3 10:00:05 2025] kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145\n"
		"Mar 03 10:00:05 host kernel: kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145\n"
		"<3>[  100.1] [drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring comp_1.0.0 timeout, signaled seq=5\n"
		"3,1234,567890,-;amdgpu 0000:0C:00.0: amdgpu: GPU reset begin!\n"
		"[drm] amdgpu kernel modesetting enabled.\n";
	size_t seen = rmcp_log_scan(log, strlen(log), m);
	assert_int_equal(seen, 5);
	assert_int_equal(m->n_log, 4);	/* the two skipped-device lines fold into one */
	const struct rmcp_log_line *l = find_log(m, "pcie_atomics");
	assert_non_null(l);
	assert_string_equal(l->text, "amdgpu 0000:03:00.0: amdgpu: PCIE atomic ops is not supported");
	assert_string_equal(l->pci_addr, "0000:03:00.0");
	l = find_log(m, "skipped_device");
	assert_non_null(l);
	assert_string_equal(l->text, "kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145");
	assert_int_equal(l->count, 2);
	assert_int_equal(l->vendor_id, 0x1002);
	assert_int_equal(l->device_id, 0x7340);
	assert_int_equal(l->fw_have, 123);
	assert_int_equal(l->fw_need, 145);
	l = find_log(m, "gpu_hang");
	assert_non_null(l);
	assert_string_equal(l->text, "[drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring comp_1.0.0 timeout, signaled seq=5");
	l = find_log(m, "gpu_reset");
	assert_non_null(l);
	assert_string_equal(l->text, "amdgpu 0000:0C:00.0: amdgpu: GPU reset begin!");
	assert_string_equal(l->pci_addr, "0000:0c:00.0");

	/* A fault storm: at most 8 distinct lines per kind, the rest counted. */
	memset(m, 0, sizeof(*m));
	char storm[64 * 128] = "";
	for (int i = 0; i < 40; i++) {
		char line[128];
		snprintf(line, sizeof(line), "amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (vmid:%d)\n", i);
		strcat(storm, line);
	}
	assert_int_equal(rmcp_log_scan(storm, strlen(storm), m), 40);
	assert_int_equal(m->n_log, 8);
	assert_int_equal(m->n_log_dropped, 32);
	free(m);
}

/* ---- the fixtures -------------------------------------------------------------------- */

static void test_rx5600xt(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("rx5600xt"));
	assert_int_equal(m->kfd_topology, RMCP_FACT_OK);
	assert_int_equal(m->kfd_generation, 2);
	assert_false(m->kfd_unstable);
	assert_int_equal(m->cpu_nodes, 1);
	assert_int_equal(m->n_gpus, 1);	/* the HDMI audio function 03:00.1 is not a GPU */
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_int_equal(g->node, 1);
	assert_int_equal(g->kfd, RMCP_FACT_OK);
	assert_int_equal(g->gfx_version, 100100);
	assert_string_equal(g->gfx, "gfx1010");
	assert_string_equal(g->gfx_source, "kfd");
	assert_non_null(g->target);
	assert_string_equal(g->target->name, "gfx1010");
	assert_string_equal(g->target_id, "gfx1010");	/* no sramecc on RDNA1 */
	assert_string_equal(g->asic, "navi10");
	assert_int_equal(g->vendor_id, 0x1002);
	assert_int_equal(g->device_id, 0x731F);
	assert_int_equal(g->revision, 0xCA);
	assert_int_equal(g->gpu_id, 53159);
	assert_string_equal(g->pci_addr, "0000:03:00.0");	/* location_id 768 = 0x03 << 8 */
	assert_int_equal(g->pci_class, 0x030000);
	assert_string_equal(g->name, "AMD Radeon RX 5600 XT");	/* Debian 12: 731F, CA */
	assert_string_equal(g->name_source, "/usr/share/libdrm/amdgpu.ids");
	assert_int_equal(g->simd_count, 72);
	assert_int_equal(g->simd_per_cu, 2);
	assert_int_equal(g->cu_count, 36);
	assert_int_equal(g->wave_front_size, 32);
	assert_true(g->vram_bytes == 6 * GiB);
	assert_false(g->large_bar);	/* heap_type 2: FB_PRIVATE */
	assert_int_equal(g->mec_fw, 149);
	assert_false(g->is_apu);
	assert_true(g->io_links_known);
	assert_false(g->no_atomics_32);
	assert_false(g->no_atomics_64);
	assert_int_equal(g->drm_render_minor, 128);
	assert_int_equal(g->render_access, 0);	/* 660 root:render, the user is in render */
	assert_int_equal(g->hsakmt_node, 1);	/* node 0 is the CPU */
	assert_int_equal(g->runtime_index, 0);
	assert_true(m->amdgpu_loaded);
	assert_false(m->amdgpu_builtin);
	assert_string_equal(m->amdgpu_dkms_version, "");
	assert_string_equal(m->kernel_release, "6.1.0-27-amd64");
	assert_string_equal(rmcp_machine_param(m, "noretry"), "-1");
	assert_string_equal(rmcp_machine_param(m, "cwsr_enable"), "1");
	assert_string_equal(rmcp_machine_param(m, "ppfeaturemask"), "0xfff7bfff");
	assert_null(rmcp_machine_param(m, "mtype_local"));	/* not in a 6.1 kernel */
	assert_true(m->user_known);
	assert_int_equal(m->uid, 1000);
	assert_string_equal(m->user, "user");
	assert_int_equal(m->kfd_access, 0);
	assert_string_equal(m->kfd_group, "render");
	assert_true(m->kfd_group_member);
	assert_false(m->kfd_group_listed);
	assert_false(m->in_container);
	assert_false(m->hsakmt_init_fails);
	assert_int_equal(m->kernel_log, RMCP_FACT_OK);
	assert_string_equal(m->kernel_log_source, "var/log/dmesg");
	assert_int_equal(m->n_log, 1);
	assert_string_equal(m->log[0].kind, "added_device");
	assert_int_equal(m->log[0].device_id, 0x731F);
	free(m);
}

static void test_rx5500xt_noatomics(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("rx5500xt-noatomics"));
	assert_int_equal(m->kfd_topology, RMCP_FACT_OK);
	assert_int_equal(m->cpu_nodes, 1);
	assert_int_equal(m->n_gpus, 1);
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_int_equal(g->node, -1);	/* KFD made no node: found on PCI */
	assert_int_equal(g->kfd, RMCP_FACT_UNKNOWN);
	assert_string_equal(g->gfx, "gfx1012");
	assert_string_equal(g->gfx_source, "pci-table");
	assert_int_equal(g->gfx_version, 100102);
	assert_int_equal(g->device_id, 0x7340);
	assert_int_equal(g->revision, 0xC5);
	assert_string_equal(g->pci_addr, "0000:03:00.0");
	assert_string_equal(g->name, "AMD Radeon RX 5500 XT");
	assert_int_equal(g->hsakmt_node, -1);
	assert_int_equal(g->runtime_index, -1);
	/* The kernel log says why: no atomics, MEC firmware 123 below KFD's 145. */
	assert_int_equal(m->kernel_log, RMCP_FACT_OK);
	const struct rmcp_log_line *l = find_log(m, "pcie_atomics");
	assert_non_null(l);
	assert_string_equal(l->text, "amdgpu 0000:03:00.0: amdgpu: PCIE atomic ops is not supported");
	l = find_log(m, "skipped_device");
	assert_non_null(l);
	assert_string_equal(l->text, "kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145");
	assert_true(g->log_skipped_atomics);
	assert_int_equal(g->mec_fw, 123);
	assert_int_equal(g->atomics_fw_required, 145);
	free(m);
}

static void test_rx6700xt(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("rx6700xt"));
	assert_int_equal(m->n_gpus, 1);
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_string_equal(g->gfx, "gfx1031");	/* 100301: minor 3, stepping 1 */
	assert_int_equal(g->device_id, 0x73DF);
	assert_string_equal(g->name, "AMD Radeon RX 6700 XT");
	assert_int_equal(g->cu_count, 40);
	assert_true(g->large_bar);
	assert_true(g->vram_bytes == 12868124672ull);
	assert_string_equal(g->pci_addr, "0000:0b:00.0");
	assert_string_equal(m->kernel_release, "6.8.0-45-generic");
	assert_int_equal(m->kernel_log, RMCP_FACT_ABSENT);	/* no saved log in this snapshot */
	free(m);
}

static void test_rx7900xtx_fallback_name(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("rx7900xtx"));
	assert_int_equal(m->n_gpus, 1);
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_string_equal(g->gfx, "gfx1100");
	assert_string_equal(g->asic, "ip discovery");
	assert_int_equal(g->device_id, 0x744C);
	assert_int_equal(g->revision, 0xC8);
	assert_int_equal(g->cu_count, 96);
	assert_true(g->vram_bytes == 25753026560ull);
	assert_int_equal(g->capability, 0x2807a280);
	assert_false(g->sramecc);
	/* The snapshot's amdgpu.ids (Debian 12's) does not know 744C: the bundled table does. */
	char path[PATH_MAX], name[128];
	snprintf(path, sizeof(path), "%s/usr/share/libdrm/amdgpu.ids", fixture("rx7900xtx"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(rmcp_amdgpu_ids_lookup(buf, len, 0x744C, 0xC8, name, sizeof(name)), 0);
	assert_string_equal(g->name, "AMD Radeon RX 7900 XTX");
	assert_string_equal(g->name_source, "rmcp fallback table");
	assert_string_equal(rmcp_machine_param(m, "mes"), "1");
	free(m);
}

static void test_mi210(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("mi210"));
	assert_int_equal(m->n_gpus, 1);
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_int_equal(g->gfx_version, 90010);
	assert_string_equal(g->gfx, "gfx90a");	/* stepping 10 is printed as hex 'a' */
	assert_true(g->sramecc);		/* capability bit 26 */
	assert_string_equal(g->target_id, "gfx90a:sramecc+");
	assert_int_equal(g->cu_count, 104);	/* 416 SIMDs / 4 per CU */
	assert_int_equal(g->wave_front_size, 64);
	assert_true(g->large_bar);
	assert_true(g->vram_bytes == 68702699520ull);	/* the fixture's HBM2e bank */
	assert_int_equal(g->pci_class, 0x038000);	/* display controller "other" */
	assert_string_equal(g->name, "AMD Instinct MI210");
	assert_string_equal(rmcp_machine_param(m, "ras_enable"), "1");
	assert_string_equal(rmcp_machine_param(m, "mtype_local"), "0");
	free(m);
}

static void test_apu(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("apu-rembrandt"));
	assert_int_equal(m->n_gpus, 1);
	const struct rmcp_gpu *g = &m->gpus[0];
	assert_string_equal(g->gfx, "gfx1035");
	assert_true(g->is_apu);			/* gfx1035: APU in AMDGPUUsage */
	assert_int_equal(g->cu_count, 12);
	assert_true(g->vram_bytes == 512ull << 20);	/* the carve-out */
	assert_string_equal(g->pci_addr, "0000:33:00.0");
	assert_string_equal(g->name, "AMD Radeon 680M");	/* not in Debian 12's file */
	assert_string_equal(g->name_source, "rmcp fallback table");
	free(m);
}

static void mkdirs(const char *root, const char *rel)
{
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* An APU is known from its processor, not from cpu_cores_count (0 on Raphael and Strix Halo,
 * whose GPU node the kernel's virtual CRAT keeps apart from the CPU node). */
static void test_apu_from_processor(void **state)
{
	(void)state;
	char *dir = copy_fixture("apu-rembrandt");
	char path[PATH_MAX], props[8192];
	snprintf(path, sizeof(path), "%s/sys/class/kfd/kfd/topology/nodes/1/properties", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(props, 1, sizeof(props) - 1, f);
	fclose(f);
	props[n] = '\0';
	assert_non_null(strstr(props, "cpu_cores_count 16\n"));
	memcpy(strstr(props, "cpu_cores_count 16\n"), "cpu_cores_count  0\n", 19);
	write_file(path, props);
	struct rmcp_machine *m = read_machine(dir);
	assert_true(m->gpus[0].is_apu);
	free(m);
	/* The same node claiming a dGPU's processor (gfx1030, 100300) is no APU. */
	memcpy(strstr(props, "gfx_target_version 100305"), "gfx_target_version 100300", 25);
	write_file(path, props);
	m = read_machine(dir);
	assert_string_equal(m->gpus[0].gfx, "gfx1030");
	assert_false(m->gpus[0].is_apu);
	free(m);
	remove_tree(dir);
}

/* gfx942 is made as an APU (MI300A) and as dGPUs (MI300X): KFD's COHERENTHOSTACCESS
 * capability (bit 28) tells them apart. */
static void test_apu_gfx942(void **state)
{
	(void)state;
	const struct rmcp_target *t = rmcp_target_by_name("gfx942", 6);
	assert_non_null(t);
	assert_int_equal(t->apu, RMCP_APU_MIXED);
	assert_int_equal(rmcp_target_by_name("gfx1151", 7)->apu, RMCP_APU_YES);
	assert_int_equal(rmcp_target_by_name("gfx1036", 7)->apu, RMCP_APU_YES);
	assert_int_equal(rmcp_target_by_name("gfx908", 6)->apu, RMCP_APU_NO);
	assert_int_equal(rmcp_target_by_name("gfx601", 6)->apu, RMCP_APU_NO);
	assert_int_equal(rmcp_target_by_name("gfx11-generic", 13)->apu, RMCP_APU_UNKNOWN);
	char *dir = copy_fixture("mi210");
	char path[PATH_MAX], props[8192];
	snprintf(path, sizeof(path), "%s/sys/class/kfd/kfd/topology/nodes/1/properties", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(props, 1, sizeof(props) - 1, f);
	fclose(f);
	props[n] = '\0';
	char *v = strstr(props, "gfx_target_version 90010");
	assert_non_null(v);
	memcpy(v, "gfx_target_version 90402", 24);
	char *cap = strstr(props, "\ncapability ");
	assert_non_null(cap);
	char *eol = strchr(cap + 1, '\n');
	char out[8192];
	snprintf(out, sizeof(out), "%.*s\ncapability %u%s", (int)(cap - props), props, 0x2807a280u, eol);
	write_file(path, out);
	struct rmcp_machine *m = read_machine(dir);
	assert_string_equal(m->gpus[0].gfx, "gfx942");
	assert_false(m->gpus[0].is_apu);	/* MI300X-like: no coherent host access */
	free(m);
	snprintf(out, sizeof(out), "%.*s\ncapability %u%s", (int)(cap - props), props, 0x3c67a280u, eol);
	write_file(path, out);
	m = read_machine(dir);
	assert_true(m->gpus[0].is_apu);		/* MI300A's capability (detect.md §1.4) */
	free(m);
	remove_tree(dir);
}

/* machine.secure_boot from efivarfs: 4 attribute bytes, then the value. */
static void test_secure_boot(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx6700xt");
	struct rmcp_machine *m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_UNKNOWN);	/* no efivarfs */
	free(m);
	mkdirs(dir, "sys/firmware/efi/efivars");
	m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_UNKNOWN);	/* not mounted: empty */
	free(m);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sys/firmware/efi/efivars/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c", dir);
	write_bytes(path, "\x07\x00\x00\x00\x01\x00", 6);
	m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_DISABLED);	/* EFI without the variable */
	free(m);
	snprintf(path, sizeof(path), "%s/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", dir);
	/* EFI_VARIABLE_BOOTSERVICE_ACCESS | RUNTIME_ACCESS (0x06), value 1 */
	write_bytes(path, "\x06\x00\x00\x00\x01", 5);
	m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_ENABLED);
	free(m);
	write_bytes(path, "\x06\x00\x00\x00\x00", 5);
	m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_DISABLED);
	free(m);
	write_bytes(path, "\x06\x00\x00", 3);	/* truncated: not a SecureBoot value */
	m = read_machine(dir);
	assert_int_equal(m->secure_boot, RMCP_SECURE_BOOT_UNKNOWN);
	free(m);
	remove_tree(dir);
}

/* machine.amdgpu_module_installed: an amdgpu.ko for the snapshot's kernel release. */
static void test_amdgpu_module_installed(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx6700xt");
	struct rmcp_machine *m = read_machine(dir);
	assert_string_equal(m->amdgpu_module, "");
	char rel[PATH_MAX], path[PATH_MAX];
	/* Another kernel's module does not count. */
	mkdirs(dir, "lib/modules/5.15.0-1-generic/updates/dkms");
	snprintf(path, sizeof(path), "%s/lib/modules/5.15.0-1-generic/updates/dkms/amdgpu.ko", dir);
	write_file(path, "");
	free(m);
	m = read_machine(dir);
	assert_string_equal(m->amdgpu_module, "");
	snprintf(rel, sizeof(rel), "lib/modules/%s/updates/dkms", m->kernel_release);
	mkdirs(dir, rel);
	snprintf(path, sizeof(path), "%s/%s/amdgpu.ko.zst", dir, rel);
	write_file(path, "");
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "/lib/modules/%s/updates/dkms/amdgpu.ko.zst", m->kernel_release);
	free(m);
	m = read_machine(dir);
	assert_string_equal(m->amdgpu_module, want);
	free(m);
	remove_tree(dir);
}

static void test_two_gpus(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("two-gpus"));
	assert_int_equal(m->cpu_nodes, 1);
	assert_int_equal(m->n_gpus, 2);
	assert_int_equal(m->gpus[0].node, 1);
	assert_string_equal(m->gpus[0].gfx, "gfx1030");
	assert_string_equal(m->gpus[0].name, "AMD Radeon RX 6800 XT");
	assert_string_equal(m->gpus[0].pci_addr, "0000:03:00.0");
	assert_int_equal(m->gpus[0].drm_render_minor, 128);
	assert_int_equal(m->gpus[0].hsakmt_node, 1);
	assert_int_equal(m->gpus[0].runtime_index, 0);
	assert_int_equal(m->gpus[1].node, 2);
	assert_string_equal(m->gpus[1].gfx, "gfx1100");
	assert_string_equal(m->gpus[1].pci_addr, "0000:0c:00.0");
	assert_int_equal(m->gpus[1].drm_render_minor, 129);
	assert_int_equal(m->gpus[1].render_access, 0);
	assert_int_equal(m->gpus[1].hsakmt_node, 2);
	assert_int_equal(m->gpus[1].runtime_index, 1);
	free(m);
}

static void test_no_amd_gpu(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("no-amd-gpu"));
	assert_int_equal(m->kfd_topology, RMCP_FACT_OK);
	assert_int_equal(m->cpu_nodes, 1);
	assert_int_equal(m->n_gpus, 0);		/* the NVIDIA card is not ours */
	assert_true(m->amdgpu_loaded);
	assert_true(m->amdgpu_builtin);		/* no initstate: built into the kernel */
	free(m);
}

static void test_kfd_denied(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("kfd-denied"));
	assert_int_equal(m->kfd_access, -EACCES);	/* 660 root:render, user not in render */
	assert_string_equal(m->kfd_group, "render");
	assert_false(m->kfd_group_member);
	assert_false(m->kfd_group_listed);
	assert_int_equal(m->n_gpus, 1);
	assert_int_equal(m->gpus[0].render_access, -EACCES);
	/* EACCES on the render node is not one of the errors libhsakmt skips a node for. */
	assert_true(m->hsakmt_init_fails);
	assert_non_null(strstr(m->hsakmt_fail_reason, "renderD128"));
	free(m);

	/* usermod -aG render user, not logged in again: listed in etc/group, not in the process. */
	char *dir = copy_fixture("kfd-denied");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/etc/group", dir);
	write_file(path, "root:x:0:\nvideo:x:44:user\nrender:x:105:user\nuser:x:1000:\n");
	m = read_machine(dir);
	assert_int_equal(m->kfd_access, -EACCES);
	assert_false(m->kfd_group_member);
	assert_true(m->kfd_group_listed);
	free(m);
	/* The same user once the group is active (Groups: includes 105). */
	snprintf(path, sizeof(path), "%s/proc/self/status", dir);
	write_file(path, "Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t44 105 1000\n");
	m = read_machine(dir);
	assert_int_equal(m->kfd_access, 0);
	assert_true(m->kfd_group_member);
	assert_false(m->kfd_group_listed);
	assert_int_equal(m->gpus[0].render_access, 0);
	assert_false(m->hsakmt_init_fails);
	free(m);
	/* Without a captured user nothing is judged. */
	assert_int_equal(unlink(path), 0);
	m = read_machine(dir);
	assert_false(m->user_known);
	assert_int_equal(m->kfd_access, 1);
	assert_int_equal(m->gpus[0].render_access, 1);
	free(m);
	/* A snapshot without /dev/kfd. */
	snprintf(path, sizeof(path), "%s/dev/kfd", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/rmcp-snapshot/dev.stat", dir);
	write_file(path, "660 0 105 /dev/dri/renderD128\n");
	m = read_machine(dir);
	assert_int_equal(m->kfd_access, -ENOENT);
	free(m);
	remove_tree(dir);
}

static void test_container_hints(void **state)
{
	(void)state;
	struct rmcp_machine *m = read_machine(fixture("container-eperm"));
	assert_true(m->in_container);
	assert_string_equal(m->container_hint, "/.dockerenv");
	assert_int_equal(m->n_gpus, 2);
	assert_int_equal(m->uid, 0);
	/* renderD129 was not passed into the container: libhsakmt drops node 2 (ENOENT). */
	assert_int_equal(m->gpus[1].render_access, -ENOENT);
	assert_int_equal(m->gpus[1].hsakmt_node, -1);
	assert_int_equal(m->gpus[0].hsakmt_node, 1);
	assert_string_equal(m->gpus[1].name, "AMD Radeon RX 7800 XT");
	free(m);

	char *dir = copy_fixture("no-amd-gpu");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/proc/1", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/1/cgroup", dir);
	write_file(path, "12:devices:/kubepods/burstable/pod1234/abcd\n0::/\n");
	m = read_machine(dir);
	assert_true(m->in_container);
	assert_string_equal(m->container_hint, "cgroup: kubepods");
	free(m);
	remove_tree(dir);
}

/* The OS denies node 2's properties; node 1 is still read, and the denial is not ENOENT. */
static void test_eperm_node_for_real(void **state)
{
	(void)state;
	char *dir = copy_fixture("container-eperm");
	char props[PATH_MAX];
	snprintf(props, sizeof(props), "%s/sys/class/kfd/kfd/topology/nodes/2/properties", dir);
	assert_int_equal(chmod(props, 0), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Drop to nobody so the permission check really happens (root bypasses it). */
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
				       setresuid(65534, 65534, 65534) != 0))
			_exit(10);
		int fd = open(props, O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(11);	/* the OS must deny, or the test proves nothing */
		struct rmcp_machine *m = calloc(1, sizeof(*m));
		struct rmcp_machine_opts o = { .sysroot = dir, .no_live_log = true };
		if (!m || rmcp_machine_read(&o, m, NULL) != 0)
			_exit(12);
		if (m->n_gpus != 2)
			_exit(13);
		const struct rmcp_gpu *a = &m->gpus[0], *b = &m->gpus[1];
		if (a->node != 1 || a->kfd != RMCP_FACT_OK || strcmp(a->gfx, "gfx1100") != 0 || a->cu_count != 96)
			_exit(14);
		if (b->node != 2 || b->kfd != RMCP_FACT_DENIED || b->cu_count != 0 || b->vram_bytes != 0)
			_exit(15);
		/* Its PCI function is the one left over: paired by order, marked as inferred. */
		if (!b->pci_inferred || b->device_id != 0x747E || strcmp(b->pci_addr, "0000:43:00.0") != 0 ||
		    strcmp(b->gfx, "gfx1101") != 0 || strcmp(b->gfx_source, "pci-table") != 0)
			_exit(16);
		if (b->hsakmt_node != -1 || a->hsakmt_node != 1)
			_exit(17);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	remove_tree(dir);
}

/* Drop to nobody in a child so permission checks really happen (root bypasses them). */
static int drop_to_nobody(void)
{
	if (geteuid() != 0)
		return 0;
	return setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
			       setresuid(65534, 65534, 65534) == 0
		       ? 0
		       : -1;
}

static int wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Issue 12: a kernel log the OS will not let this user read is a fact (denied) with the
 * reason, never a silent absence. First a snapshot's saved log made unreadable (chmod 000),
 * then the live log as nobody: under kernel.dmesg_restrict=1 both /dev/kmsg and syslog(2)
 * must be denied and the journal (real journalctl) must not count as read; with 0, the
 * live log must be read.
 */
static void test_kernel_log_denied_for_real(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx5600xt");
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s/var/log/dmesg", dir);
	assert_int_equal(chmod(log, 0), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (drop_to_nobody() != 0)
			_exit(10);
		if (open(log, O_RDONLY) >= 0 || errno != EACCES)
			_exit(11);	/* the OS must deny, or the test proves nothing */
		struct rmcp_machine *m = calloc(1, sizeof(*m));
		struct rmcp_machine_opts o = { .sysroot = dir };
		if (!m || rmcp_machine_read(&o, m, NULL) != 0)
			_exit(12);
		if (m->kernel_log != RMCP_FACT_DENIED || m->n_log != 0)
			_exit(13);
		if (!strstr(m->kernel_log_why, "var/log/dmesg: Permission denied"))
			_exit(14);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);

	uint64_t restrict_val = 0;
	char text[16] = "";
	FILE *f = fopen("/proc/sys/kernel/dmesg_restrict", "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	restrict_val = strtoull(text, NULL, 10);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (drop_to_nobody() != 0)
			_exit(10);
		struct rmcp_machine *m = calloc(1, sizeof(*m));
		struct rmcp_machine_opts o = { .sysroot = "/" };
		if (!m || rmcp_machine_read(&o, m, NULL) != 0)
			_exit(12);
		if (m->dmesg_restrict != (int)(restrict_val != 0))
			_exit(13);
		if (restrict_val == 0)
			_exit(m->kernel_log == RMCP_FACT_OK && m->kernel_log_source[0] ? 0 : 14);
		/* The OS itself must refuse, or the test proves nothing. */
		if (open("/dev/kmsg", O_RDONLY | O_NONBLOCK) >= 0 || errno != EPERM)
			_exit(15);
		if (klogctl(10, NULL, 0) >= 0)
			_exit(16);
		if (m->kernel_log != RMCP_FACT_DENIED)
			_exit(17);
		if (!strstr(m->kernel_log_why, "/dev/kmsg: Operation not permitted") ||
		    !strstr(m->kernel_log_why, "syslog: Operation not permitted") ||
		    !strstr(m->kernel_log_why, "journal: "))
			_exit(18);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	remove_tree(dir);
}

/* A capture that could not read the log records that; the doctor reads it back. */
static void test_kernel_log_snapshot_state(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx5600xt");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/var/log/dmesg", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/rmcp-snapshot/kernel-log", dir);
	write_file(path, "denied\n/dev/kmsg: Operation not permitted; syslog: Operation not permitted\n");
	struct rmcp_machine *m = read_machine(dir);
	assert_int_equal(m->kernel_log, RMCP_FACT_DENIED);
	assert_string_equal(m->kernel_log_why, "/dev/kmsg: Operation not permitted; syslog: Operation not permitted");
	free(m);
	assert_int_equal(unlink(path), 0);
	m = read_machine(dir);
	assert_int_equal(m->kernel_log, RMCP_FACT_ABSENT);
	assert_string_equal(m->kernel_log_why, "");
	free(m);
	remove_tree(dir);
}

static void test_enoent_node(void **state)
{
	(void)state;
	char *dir = copy_fixture("two-gpus");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sys/class/kfd/kfd/topology/nodes/2/properties", dir);
	assert_int_equal(unlink(path), 0);
	struct rmcp_machine *m = read_machine(dir);
	assert_int_equal(m->n_gpus, 2);
	assert_int_equal(m->gpus[0].kfd, RMCP_FACT_OK);
	assert_int_equal(m->gpus[1].node, 2);
	assert_int_equal(m->gpus[1].kfd, RMCP_FACT_ABSENT);
	assert_int_not_equal(m->gpus[1].kfd, RMCP_FACT_DENIED);
	free(m);
	/* No topology at all (amdgpu not loaded). */
	snprintf(path, sizeof(path), "rm -rf '%s/sys/class/kfd'", dir);
	assert_int_equal(system(path), 0);
	m = read_machine(dir);
	assert_int_equal(m->kfd_topology, RMCP_FACT_ABSENT);
	assert_int_equal(m->n_gpus, 2);	/* both found on PCI */
	assert_int_equal(m->gpus[0].node, -1);
	assert_string_equal(m->gpus[0].gfx, "gfx1030");
	assert_string_equal(m->gpus[1].gfx, "gfx1100");
	free(m);
	remove_tree(dir);
}

static void test_io_link_atomics(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx6700xt");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sys/class/kfd/kfd/topology/nodes/1/io_links/0/properties", dir);
	/* ENABLED | NON_COHERENT | NO_ATOMICS_32_BIT | NO_ATOMICS_64_BIT */
	write_file(path, "type 2\nnode_from 1\nnode_to 0\nweight 20\nflags 15\n");
	struct rmcp_machine *m = read_machine(dir);
	assert_true(m->gpus[0].io_links_known);
	assert_true(m->gpus[0].no_atomics_32);
	assert_true(m->gpus[0].no_atomics_64);
	free(m);
	write_file(path, "type 2\nflags 7\n");
	m = read_machine(dir);
	assert_true(m->gpus[0].no_atomics_32);
	assert_false(m->gpus[0].no_atomics_64);
	free(m);
	remove_tree(dir);
}

struct gen_hook {
	char path[PATH_MAX];
	unsigned calls, value;
	bool always;
};

static void bump_generation(void *ctx, unsigned pass)
{
	struct gen_hook *h = ctx;
	h->calls++;
	if (pass == 0 || h->always) {
		char text[32];
		h->value++;
		snprintf(text, sizeof(text), "%u\n", h->value);
		write_file(h->path, text);
	}
}

static void test_generation_retry(void **state)
{
	(void)state;
	char *dir = copy_fixture("rx5600xt");
	struct gen_hook h = { .calls = 0, .value = 9 };
	snprintf(h.path, sizeof(h.path), "%s/sys/class/kfd/kfd/topology/generation_id", dir);
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	struct rmcp_machine_opts o = { .sysroot = dir, .no_live_log = true, .topology_hook = bump_generation,
				       .hook_ctx = &h };
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_int_equal(h.calls, 2);		/* changed during pass 0, stable in pass 1 */
	assert_int_equal(m->kfd_generation, 10);
	assert_false(m->kfd_unstable);
	assert_int_equal(m->n_gpus, 1);	/* not doubled by the retry */
	assert_int_equal(m->cpu_nodes, 1);
	h.calls = 0;
	h.always = true;
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_int_equal(h.calls, 3);
	assert_true(m->kfd_unstable);
	free(m);
	remove_tree(dir);
}

static void test_dmesg_file_option(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/rmcp-dmesg-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	write_file(tmpl, "[  812.1] amdgpu 0000:03:00.0: amdgpu: GPU reset begin!\n"
			 "[  812.2] amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8)\n");
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	/* The given file replaces the snapshot's own var/log/dmesg. */
	struct rmcp_machine_opts o = { .sysroot = fixture("rx5600xt"), .dmesg_file = tmpl, .no_live_log = true };
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_int_equal(m->kernel_log, RMCP_FACT_OK);
	assert_string_equal(m->kernel_log_source, tmpl);
	assert_int_equal(m->n_log, 2);
	assert_non_null(find_log(m, "gpu_reset"));
	assert_non_null(find_log(m, "memory_fault"));
	assert_null(find_log(m, "added_device"));
	/* A kern.log longer than the 64 MiB read window: the newest lines count, not the oldest. */
	FILE *f = fopen(tmpl, "w");
	assert_non_null(f);
	fputs("kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics 123<145\n", f);
	assert_int_equal(fseek(f, 65 << 20, SEEK_SET), 0);	/* a hole of zeros */
	fputs("\namdgpu 0000:03:00.0: amdgpu: GPU reset begin!\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_int_equal(m->kernel_log, RMCP_FACT_OK);
	assert_non_null(find_log(m, "gpu_reset"));
	assert_null(find_log(m, "skipped_device"));
	unlink(tmpl);
	o.dmesg_file = tmpl;	/* now missing */
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_int_equal(m->kernel_log, RMCP_FACT_ABSENT);
	free(m);
}

/* This machine, through the same code: the facts must agree with what the kernel says. */
static void test_live_machine(void **state)
{
	(void)state;
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	struct rmcp_machine_opts o = { .sysroot = NULL, .no_live_log = true };
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	assert_string_equal(m->sysroot, "/");
	assert_true(m->user_known);
	assert_int_equal(m->uid, geteuid());
	int want = faccessat(AT_FDCWD, "/dev/kfd", R_OK | W_OK, AT_EACCESS) == 0 ? 0 : -errno;
	assert_int_equal(m->kfd_access, want);
	assert_int_equal(m->kernel_log, RMCP_FACT_UNKNOWN);	/* not read: no_live_log */
	FILE *f = fopen("/proc/sys/kernel/osrelease", "r");
	assert_non_null(f);
	char rel[128] = "";
	assert_non_null(fgets(rel, sizeof(rel), f));
	fclose(f);
	rel[strcspn(rel, "\n")] = '\0';
	assert_string_equal(m->kernel_release, rel);
	struct stat st;
	assert_int_equal(m->amdgpu_loaded, stat("/sys/module/amdgpu", &st) == 0);
	/* The live kernel log: /dev/kmsg if this process may read it, else syslog(2). */
	o.no_live_log = false;
	assert_int_equal(rmcp_machine_read(&o, m, NULL), 0);
	int kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0) {
		close(kfd);
		assert_int_equal(m->kernel_log, RMCP_FACT_OK);
		assert_string_equal(m->kernel_log_source, "/dev/kmsg");
	} else if (klogctl(10, NULL, 0) >= 0) {
		assert_int_equal(m->kernel_log, RMCP_FACT_OK);
		assert_string_equal(m->kernel_log_source, "syslog");
	} else {
		assert_int_equal(m->kernel_log, errno == EPERM || errno == EACCES ? RMCP_FACT_DENIED : RMCP_FACT_ERROR);
	}
	/* A sysroot that does not exist is an error, not a machine without GPUs. */
	struct rmcp_err err = { 0 };
	o.sysroot = "/nonexistent/rmcp-sysroot";
	assert_int_equal(rmcp_machine_read(&o, m, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/rmcp-sysroot"));
	free(m);
}

int main(void)
{
	const char *src = getenv("RMCP_SOURCE_ROOT");
	if (!src) {
		fprintf(stderr, "RMCP_SOURCE_ROOT is not set (run through meson test)\n");
		return 1;
	}
	snprintf(fixture_dir, sizeof(fixture_dir), "%s/tests/fixtures/sysroots", src);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kfd_prop),
		cmocka_unit_test(test_path_context),
		cmocka_unit_test(test_pci_table),
		cmocka_unit_test(test_pci_ids_parser),
		cmocka_unit_test(test_pci_ids_bundle_matches_debian),
		cmocka_unit_test(test_device_level_names),
		cmocka_unit_test(test_amdgpu_ids_parser),
		cmocka_unit_test(test_amdgpu_ids_debian_file),
		cmocka_unit_test(test_log_classify),
		cmocka_unit_test(test_log_scan_formats),
		cmocka_unit_test(test_rx5600xt),
		cmocka_unit_test(test_rx5500xt_noatomics),
		cmocka_unit_test(test_rx6700xt),
		cmocka_unit_test(test_rx7900xtx_fallback_name),
		cmocka_unit_test(test_mi210),
		cmocka_unit_test(test_apu),
		cmocka_unit_test(test_apu_from_processor),
		cmocka_unit_test(test_apu_gfx942),
		cmocka_unit_test(test_secure_boot),
		cmocka_unit_test(test_amdgpu_module_installed),
		cmocka_unit_test(test_two_gpus),
		cmocka_unit_test(test_no_amd_gpu),
		cmocka_unit_test(test_kfd_denied),
		cmocka_unit_test(test_container_hints),
		cmocka_unit_test(test_eperm_node_for_real),
		cmocka_unit_test(test_kernel_log_denied_for_real),
		cmocka_unit_test(test_kernel_log_snapshot_state),
		cmocka_unit_test(test_enoent_node),
		cmocka_unit_test(test_io_link_atomics),
		cmocka_unit_test(test_generation_retry),
		cmocka_unit_test(test_dmesg_file_option),
		cmocka_unit_test(test_live_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
