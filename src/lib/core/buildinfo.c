/* SPDX-License-Identifier: MIT */
#include "buildinfo.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const struct rmcp_build_feature features[] = {
#ifdef RMCP_HAVE_ZSTD
	{ "zstd", true, "zstd-compressed offload bundles (clang's default compression)" },
#else
	{ "zstd", false, "zstd-compressed offload bundles are listed as unreadable (needs libzstd-dev)" },
#endif
#ifdef RMCP_HAVE_LIBZIP
	{ "libzip", true, "Python wheels (.whl) are scanned member by member" },
#else
	{ "libzip", false, "Python wheels are not scanned (needs libzip-dev)" },
#endif
#ifdef RMCP_HAVE_LLVM
	{ "llvm", true, "LLVM 19's disassembler as the ISA oracle (libLLVM-19 dlopened on first use)" },
#else
	{ "llvm", false, "no ISA oracle: the table-driven fast path answers alone (needs llvm-19-dev)" },
#endif
#ifdef RMCP_HAVE_LIBARCHIVE
	{ "libarchive", true, "rmcp capture writes .tar.gz machine captures" },
#else
	{ "libarchive", false, "rmcp capture is unavailable (needs libarchive-dev)" },
#endif
};

size_t rmcp_build_features(const struct rmcp_build_feature **out)
{
	*out = features;
	return sizeof(features) / sizeof(features[0]);
}

void rmcp_build_features_line(char *buf, size_t cap)
{
	size_t len = 0;
	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!features[i].built_in || len >= cap)
			continue;
		int n = snprintf(buf + len, cap - len, "%s%s", len ? " " : "", features[i].name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}
