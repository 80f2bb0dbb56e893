/* SPDX-License-Identifier: MIT */
/* The probe's parsers: the child's record lines (a crashed or hostile child writes anything)
 * and the step/class names read back from the cache. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmcp_probe_result r;
	enum rmcp_probe_step step;
	enum rmcp_probe_class cls;
	const char *s = (const char *)data;
	/* Line by line, as the parent reads the child's pipe. */
	memset(&r, 0, sizeof(r));
	for (size_t start = 0; start <= size;) {
		const char *nl = start < size ? memchr(s + start, '\n', size - start) : NULL;
		size_t end = nl ? (size_t)(nl - s) : size;
		rmcp_probe_record_parse(s + start, end - start, &r);
		start = end + 1;
	}
	rmcp_probe_step_parse(s, size, &step);
	rmcp_probe_class_parse(s, size, &cls);
	return 0;
}
