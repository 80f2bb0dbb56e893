/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char *rmcp_errname(enum rmcp_errcode code)
{
	switch (code) {
	case RMCP_E_TRUNC:
		return "truncated data";
	case RMCP_E_FORMAT:
		return "malformed data";
	case RMCP_E_UNSUPPORTED:
		return "unsupported format version";
	case RMCP_E_LIMIT:
		return "safety limit exceeded";
	case RMCP_E_DECOMPRESS:
		return "corrupt compressed data";
	case RMCP_E_NOLIB:
		return "optional library not available";
	case RMCP_E_CHANGED:
		return "file changed while being read";
	case RMCP_E_NOTREG:
		return "not a regular file (rmcp replaces only regular files, never through a symbolic link)";
	case RMCP_E_UNTRUSTED:
		return "not owned by the user, or writable by others";
	case RMCP_E_END:
		break;
	}
	return "unknown error";
}

const char *rmcp_strerror(int code)
{
	int c = code < 0 ? -code : code;

	if (c >= RMCP_E_BASE && c < RMCP_E_END)
		return rmcp_errname((enum rmcp_errcode)c);
	if (c == 0)
		return "success";
	return strerror(c);
}

int rmcp_err_set(struct rmcp_err *err, int code, const char *fmt, ...)
{
	if (!err || err->code != 0)
		return code;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int rmcp_err_prefix(struct rmcp_err *err, const char *fmt, ...)
{
	if (!err)
		return 0;
	char head[128], old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%.100s: %.150s", head, old);
	return err->code;
}
