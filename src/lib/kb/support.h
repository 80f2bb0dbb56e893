/* SPDX-License-Identifier: MIT */
/*
 * The support matrix (data/support.tsv, compiled by data/gen-support.py; docs/support.md is
 * rendered from the same data): per processor, the official PyTorch wheels that carry its code,
 * TheRock's device extra, the override that runs another processor's code of its ISA group and
 * how sure that is, the MEC firmware from which KFD accepts it without PCIe atomics, and the
 * state of KFD and ROCm for it. Every row cites a source in the data.
 */
#ifndef RMCP_SUPPORT_H
#define RMCP_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

enum rmcp_override_ok { RMCP_OVR_NONE, RMCP_OVR_SOUND, RMCP_OVR_CONTESTED, RMCP_OVR_UNVERIFIED };

enum rmcp_fw_kind {
	RMCP_FW_NO_KFD,		/* KFD does not drive this GPU: no firmware can help */
	RMCP_FW_NOT_NEEDED,	/* KFD does not need PCIe atomics for it */
	RMCP_FW_NONE,		/* KFD needs PCIe atomics; no firmware way out (gfx8) */
	RMCP_FW_MEC,		/* MEC firmware >= fw lifts the requirement */
	RMCP_FW_RS64,		/* the same with RS64 CP firmware only (GFX11); F32 needs atomics */
};

enum rmcp_kfd_state { RMCP_KFD_YES, RMCP_KFD_EXPERIMENTAL, RMCP_KFD_NO };
enum rmcp_rocm_state { RMCP_ROCM_CURRENT, RMCP_ROCM_DEPRECATED, RMCP_ROCM_DROPPED, RMCP_ROCM_UNLISTED,
		       RMCP_ROCM_NEVER };

struct rmcp_support {
	const char *gfx;
	const char *group;		/* ISA group: the generic target, else gfx itself */
	const char *wheel_first;	/* first official torch release with its code, NULL if none */
	const char *wheel_last;		/* last one, "current" while still built */
	const char *wheel_pin;		/* the release rmcp recommends, NULL if none */
	const char *wheel_index;	/* its index under download.pytorch.org/whl/ ("rocm7.2") */
	const char *therock;		/* TheRock device extra ("device-gfx1010"), NULL */
	bool therock_tested;		/* TheRock lists it release-ready on Linux */
	const char *override;		/* HSA_OVERRIDE_GFX_VERSION value within its group, NULL */
	const char *override_gfx;	/* the processor that value names */
	enum rmcp_override_ok override_ok;
	unsigned fw;			/* MEC firmware for RMCP_FW_MEC / RMCP_FW_RS64 */
	enum rmcp_fw_kind fw_kind;
	enum rmcp_kfd_state kfd;
	enum rmcp_rocm_state rocm;
};

extern const struct rmcp_support rmcp_support_table[];
extern const size_t rmcp_support_table_len;

/* The row of a processor ("gfx1031"), NULL if the matrix has none. */
const struct rmcp_support *rmcp_support_find(const char *gfx);

/* Does the official release `version` ("2.11.0", "2.6") carry code for this processor? */
bool rmcp_support_wheel_has(const struct rmcp_support *s, const char *version);

const char *rmcp_override_ok_name(enum rmcp_override_ok o);	/* "sound", ..., "none" */
const char *rmcp_rocm_state_name(enum rmcp_rocm_state r);

/* Firmware threshold for people and facts: "145", "rs64:509", "none", "-", "n/a". */
void rmcp_support_fw_text(const struct rmcp_support *s, char *buf, size_t cap);

#endif
