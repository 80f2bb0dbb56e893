/* SPDX-License-Identifier: MIT */
#include "demangle.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* libstdc++'s cxxabi.h: char *__cxa_demangle(const char *mangled, char *buf, size_t *n, int *status) */
typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

static cxa_demangle_fn demangler;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	/* dlsym returns void *; POSIX guarantees the conversion to a function pointer works. */
	void *sym = dlsym(h, "__cxa_demangle");
	if (sym)
		memcpy(&demangler, &sym, sizeof(demangler));
}

int rmcp_demangle(const char *name, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	if (!name || strncmp(name, "_Z", 2) != 0)
		return -EINVAL;
	pthread_once(&once, load);
	if (!demangler)
		return -ENOSYS;
	int status = 0;
	char *d = demangler(name, NULL, NULL, &status);
	if (status == -1)
		return -ENOMEM;
	if (status != 0 || !d) {
		free(d);
		return -EINVAL;
	}
	snprintf(out, cap, "%s", d);
	free(d);
	return 0;
}

const char *rmcp_demangle_or_self(const char *name, char *buf, size_t cap)
{
	return rmcp_demangle(name, buf, cap) == 0 ? buf : name;
}
