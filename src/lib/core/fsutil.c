/* SPDX-License-Identifier: MIT */
#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

int rmcp_mkdir_p(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	/* Each prefix ending at a '/' (after the first character), then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -errno;
		p[i] = c;
	}
	return 0;
}

static bool regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int rmcp_installed_file(const char *reldir, const char *absdir, const char *name, char *buf, size_t cap)
{
	char cand[PATH_MAX], real[PATH_MAX];
	if (reldir && reldir[0] != '/') {
		ssize_t n = readlink("/proc/self/exe", cand, sizeof(cand) - 1);
		char *slash = n > 0 ? (cand[n] = '\0', strrchr(cand, '/')) : NULL;
		if (slash) {
			size_t used = (size_t)(slash - cand);
			int w = snprintf(cand + used, sizeof(cand) - used, "/%s/%s", reldir, name);
			if (w > 0 && (size_t)w < sizeof(cand) - used && regular_file(cand) && realpath(cand, real))
				goto found;
		}
	}
	if (absdir) {
		int w = snprintf(cand, sizeof(cand), "%s/%s", absdir, name);
		if (w > 0 && (size_t)w < sizeof(cand) && regular_file(cand) && realpath(cand, real))
			goto found;
	}
	return -ENOENT;
found:
	if (strlen(real) >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, real, strlen(real) + 1);
	return 0;
}
