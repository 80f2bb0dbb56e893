/* SPDX-License-Identifier: MIT */
/* Small helpers every command shares (cmd.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "banned.h"

int rmcp_usage_error(const char *cmd, const char *synopsis, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rmcp_error(cmd, "%s", msg);
	fprintf(stderr, "usage: %s\n", synopsis);
	return status;
}

int rmcp_strlist_add(struct rmcp_strlist *l, const char *s)
{
	const char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

int rmcp_check_dir(const char *cmd, const char *opt, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		rmcp_error(cmd, "%s %s: %s", opt, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		rmcp_error(cmd, "%s %s: not a directory", opt, dir);
		return -1;
	}
	return 0;
}
