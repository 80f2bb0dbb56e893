/* SPDX-License-Identifier: MIT */
/*
 * Generated tables behind rmcp_pci_gfx and rmcp_asic_fallback_name (data/gen-pciids.py from
 * data/pci-ids.tsv and data/amdgpu-ids-fallback.tsv; both sorted by id). Private to the
 * machine-fact reader.
 */
#ifndef RMCP_PCIIDS_H
#define RMCP_PCIIDS_H

#include <stddef.h>
#include <stdint.h>

struct rmcp_pci_gfx {
	uint16_t device;
	const char *gfx;
	const char *pci_ids_name;	/* the device's pci.ids line ("Vega 20 [Radeon VII]"), or NULL */
};

struct rmcp_asic_name {
	uint16_t device;
	uint8_t revision;
	const char *name;
};

extern const struct rmcp_pci_gfx rmcp_pci_gfx_table[];
extern const size_t rmcp_pci_gfx_table_len;
extern const struct rmcp_asic_name rmcp_asic_fallback_table[];
extern const size_t rmcp_asic_fallback_table_len;

#endif
