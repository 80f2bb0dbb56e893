/* SPDX-License-Identifier: MIT */
/*
 * Start-up and shutdown. The constructor reads RMCP_* (secure_getenv), opens the log and
 * reads the GPUs from sysfs: no HIP or HSA call (research/interposer.md §5.2; HRR: "delay
 * actual init"). A hook that runs first (another library's constructor calls HIP before ours
 * ran: preloaded constructors run after those of the libraries the program needs)
 * initialises the same way through pthread_once, and the guard reads sysfs on the first
 * image registered.
 */
#include "preload.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "version.h"
#include "banned.h"

atomic_int rmcp_ready;
RMCP_TLS int rmcp_depth;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static RMCP_TLS int in_init;

/* Locks other files take around fork (hooks_hsa.c, resolve.c). */
void rmcp_hsa_atfork_prepare(void);
void rmcp_hsa_atfork_release(void);

static const char *env_get(const char *name)
{
	return secure_getenv(name);
}

static void atfork_prepare(void)
{
	rmcp_guard_atfork_prepare();
	rmcp_hsa_atfork_prepare();
}

static void atfork_parent(void)
{
	rmcp_hsa_atfork_release();
	rmcp_guard_atfork_parent();
}

static void atfork_child(void)
{
	rmcp_hsa_atfork_release();
	rmcp_guard_atfork_child();
}

static void init_once(void)
{
	in_init = 1;
	rmcp_config_parse(&rmcp_cfg, env_get);
	rmcp_log_open();
	for (size_t i = 0; i < rmcp_cfg.n_bad; i++)
		rmcp_log(RMCP_WARN, "ignoring ", rmcp_cfg.bad[i], ": not a value librmcp knows");
	for (size_t i = 0; i < rmcp_cfg.n_too_long; i++) {
		const char *n = rmcp_cfg.too_long[i];
		rmcp_log(RMCP_WARN, "ignoring ", n,
			 strcmp(n, "RMCP_SYSROOT") == 0 ? ": longer than 511 bytes; guard off (it would judge another machine)" :
			 strcmp(n, "RMCP_LOG") == 0 ? ": longer than 511 bytes; logging to stderr" :
			 ": longer than 511 bytes; no ISA verdict cache");
	}
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	if (rmcp_log_verbose()) {
		struct rmcp_line l;
		rmcp_line_start(&l, RMCP_INFO);
		rmcp_line_str(&l, "librmcp " RMCP_VERSION ": guard=");
		rmcp_line_str(&l, rmcp_guard_mode_name(rmcp_cfg.guard));
		rmcp_line_str(&l, " memory=");
		rmcp_line_str(&l, rmcp_mem_mode_name(rmcp_cfg.memory));
		rmcp_line_emit(&l, RMCP_INFO);
	}
	atomic_store_explicit(&rmcp_ready, 1, memory_order_release);
	in_init = 0;
}

void rmcp_init_slow(void)
{
	/* A hook reached from our own initialisation passes straight through. */
	if (in_init)
		return;
	int saved = errno;	/* the program's errno is not ours to change */
	pthread_once(&once, init_once);
	errno = saved;
}

/*
 * Besides the environment, the constructor reads the machine's GPUs from sysfs for the guard
 * (never HIP or HSA). Not later: the first image is registered from a library constructor,
 * with the loader lock held, and reading the machine can itself need the loader (glibc NSS
 * for the user's groups); a second thread waiting on the guard's lock meanwhile would
 * deadlock. The constructor runs while the process is still single-threaded.
 */
__attribute__((constructor)) static void rmcp_constructor(void)
{
	rmcp_init_slow();
	if (atomic_load(&rmcp_ready) && rmcp_cfg.guard != RMCP_GUARD_OFF) {
		if (!rmcp_cfg.isa_check_off)
			rmcp_preload_isa_install();
		rmcp_guard_gpus();
	}
}

__attribute__((destructor)) static void rmcp_destructor(void)
{
	if (atomic_load(&rmcp_ready) && rmcp_cfg.stats)
		rmcp_stats_print();
}
