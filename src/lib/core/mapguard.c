/* SPDX-License-Identifier: MIT */
#include "mapguard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

struct guard {
	sigjmp_buf jb;
	uintptr_t lo, hi;
	struct guard *outer;
};

static __thread struct guard *current;
static struct sigaction previous;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	for (struct guard *g = current; g; g = g->outer)
		if (a >= g->lo && a < g->hi) {
			current = g->outer;
			siglongjmp(g->jb, 1);
		}
	/* Not ours: hand it to whoever had SIGBUS before (default: die with SIGBUS). */
	if (previous.sa_flags & SA_SIGINFO) {
		if (previous.sa_sigaction) {
			previous.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* Returning re-runs the faulting access, now under the default action. */
	signal(SIGBUS, SIG_DFL);
}

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	install_rc = sigaction(SIGBUS, &sa, &previous) == 0 ? 0 : -errno;
}

int rmcp_map_file(int fd, size_t len, struct rmcp_map *m)
{
	m->addr = NULL;
	m->len = 0;
	if (len == 0)
		return 0;
	void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->addr = p;
	m->len = len;
	return 0;
}

void rmcp_map_release(struct rmcp_map *m)
{
	if (m->addr)
		munmap((void *)(uintptr_t)m->addr, m->len);
	m->addr = NULL;
	m->len = 0;
}

int rmcp_map_guarded(const struct rmcp_map *m, int (*fn)(void *arg), void *arg,
		     struct rmcp_err *err)
{
	pthread_once(&once, install);
	if (install_rc < 0)
		return rmcp_err_set(err, install_rc, "cannot install the SIGBUS handler: %s",
				    strerror(-install_rc));
	struct guard g;
	g.lo = (uintptr_t)m->addr;
	g.hi = g.lo + m->len;
	g.outer = current;
	if (sigsetjmp(g.jb, 1))
		return rmcp_err_set(err, -RMCP_E_CHANGED,
				    "file changed while being read: it shrank below the %zu bytes "
				    "it had when opened", m->len);
	current = &g;
	int rc = fn(arg);
	current = g.outer;
	return rc;
}
