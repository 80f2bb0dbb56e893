/* SPDX-License-Identifier: MIT */
#include "lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "error.h"
#include "banned.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void load(struct rmcp_lazylib *lib)
{
	void *h = NULL;
	for (size_t i = 0; !h && lib->sonames[i]; i++)
		h = dlopen(lib->sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(lib->why, sizeof(lib->why), "cannot load %s (%s): %s", lib->what,
			 lib->sonames[0], e ? e : "not found");
		__atomic_store_n(&lib->state, -1, __ATOMIC_RELEASE);
		return;
	}
	for (size_t i = 0; lib->symbols[i]; i++)
		if (!(lib->slots[i] = dlsym(h, lib->symbols[i]))) {
			snprintf(lib->why, sizeof(lib->why), "%s lacks %s", lib->what, lib->symbols[i]);
			__atomic_store_n(&lib->state, -1, __ATOMIC_RELEASE);
			return;	/* the handle stays open: symbols may already be in use elsewhere */
		}
	__atomic_store_n(&lib->state, 1, __ATOMIC_RELEASE);	/* after the slots */
}

int rmcp_lazylib_load(struct rmcp_lazylib *lib)
{
	int state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);
	if (state == 0) {
		pthread_mutex_lock(&lock);
		if (lib->state == 0)
			load(lib);
		state = lib->state;
		pthread_mutex_unlock(&lock);
	}
	return state > 0 ? 0 : -RMCP_E_NOLIB;
}
