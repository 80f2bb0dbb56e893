/* SPDX-License-Identifier: MIT */
/*
 * The fact readers' parsers on arbitrary bytes: the KFD "key value" parser, the
 * HSA_OVERRIDE_GFX_VERSION parser (checked against libhsakmt's own sscanf expression on every
 * input), torch/version.py, libdrm's amdgpu.ids format, pci.ids
 * and the kernel-log classifier.
 * The first byte picks the parser; every parser gets an exactly-sized copy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "stack.h"
#include "sysfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kfd_props(const char *buf, size_t len)
{
	static const char *const keys[] = { "simd_count", "gfx_target_version", "size_in_bytes", "flags",
					    "location_id", "a", "heap_type" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t v;
		(void)rmcp_kfd_prop(buf, len, keys[i], &v);
	}
}

static void override(const char *buf, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		return;
	memcpy(s, buf, len);
	s[len] = '\0';
	uint32_t got = 0;
	int rc = rmcp_override_parse(s, &got);
	/* libhsakmt topology.c, verbatim: the two must agree on every string. */
	unsigned major = 0, minor = 0, step = 0;
	char dummy;
	bool ok = !(sscanf(s, "%u.%u.%u%c", &major, &minor, &step, &dummy) != 3 ||
		    major > 63 || minor > 255 || step > 255);
	if (ok != (rc == 0) || (ok && got != major * 10000 + minor * 100 + step))
		abort();
	free(s);
}

static void version_py(const char *buf, size_t len)
{
	struct rmcp_torch_install t;
	memset(&t, 0, sizeof(t));
	(void)rmcp_torch_version_parse(buf, len, &t);
	if (!memchr(t.version, '\0', sizeof(t.version)) || !memchr(t.hip, '\0', sizeof(t.hip)))
		abort();
}

static void amdgpu_ids(const char *buf, size_t len)
{
	if (len < 3)
		return;
	char name[128];
	uint16_t dev = (uint16_t)((uint8_t)buf[0] << 8 | (uint8_t)buf[1]);
	if (rmcp_amdgpu_ids_lookup(buf + 3, len - 3, dev, (uint8_t)buf[2], name, sizeof(name)) == 1 &&
	    strlen(name) >= sizeof(name))
		abort();
	(void)rmcp_amdgpu_ids_lookup(buf + 3, len - 3, 0x744C, 0xC8, name, 4);
}

/* pci.ids text after a 2-byte device id. */
static void pci_ids(const char *buf, size_t len)
{
	if (len < 2)
		return;
	char name[128], pretty[128];
	uint16_t dev = (uint16_t)((uint8_t)buf[0] << 8 | (uint8_t)buf[1]);
	if (rmcp_pci_ids_lookup(buf + 2, len - 2, 0x1002, dev, name, sizeof(name)) == 1) {
		if (strlen(name) >= sizeof(name))
			abort();
		rmcp_pci_name_format(name, pretty, sizeof(pretty));
		if (strlen(pretty) >= sizeof(pretty))
			abort();
	}
	(void)rmcp_pci_ids_lookup(buf + 2, len - 2, 0x1002, 0x66af, name, 3);
}

static void kernel_log(const char *buf, size_t len)
{
	static struct rmcp_machine m;
	memset(&m, 0, sizeof(m));
	(void)rmcp_log_classify(buf, len);
	(void)rmcp_log_scan(buf, len, &m);
	if (m.n_log > RMCP_MAX_LOG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t len = size - 1;
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	switch (data[0] % 6) {
	case 0:
		kfd_props(buf, len);
		break;
	case 1:
		override(buf, len);
		break;
	case 2:
		version_py(buf, len);
		break;
	case 3:
		amdgpu_ids(buf, len);
		break;
	case 5:
		pci_ids(buf, len);
		break;
	default:
		kernel_log(buf, len);
		break;
	}
	free(buf);
	return 0;
}
