/* SPDX-License-Identifier: MIT */
/*
 * Finding the real HIP and HSA functions behind our hooks (research/interposer.md §5.1):
 *   1. dlsym(RTLD_NEXT): the global scope after us. Empty when libamdhip64 arrived through an
 *      RTLD_LOCAL dlopen, as Python extension modules load it (glibc elf/dl-sym.c).
 *   2. dlopen(<soname>, RTLD_NOLOAD) + dlsym on that handle, for libamdhip64.so.{7,6,5} and
 *      libhsa-runtime64.so.1 (HAMi-core src/cuda/hook.c does the same for libcuda).
 *   3. dl_iterate_phdr: any mapped object whose file name starts with libamdhip64 /
 *      libhsa-runtime64 (wheels rename them: auditwheel appends a hash), opened RTLD_NOLOAD.
 * A candidate inside librmcp.so itself is rejected (HAMi-core PR #326: looping back into the
 * hook). A symbol not found stays unresolved and is looked up again on the next call: the
 * runtime may be dlopen'ed after our first hook ran (rocminfo-like programs load only HSA).
 * Handles from RTLD_NOLOAD are kept open, so a resolved pointer cannot dangle.
 */
#include "preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "banned.h"

_Atomic(rmcp_vfn) rmcp_real_fn[RMCP_REAL_COUNT];
static atomic_int missing_logged[RMCP_REAL_COUNT];
/* For a symbol not found: 1 + the loader's object-add count at that time. It is looked up
 * again only once another object has been loaded. */
static atomic_ullong missing_at[RMCP_REAL_COUNT];

static const char *const real_symbols[RMCP_REAL_COUNT] = {
#define RMCP_SYM(ret, name, params, args) [RMCP_REAL_##name] = #name,
#define RMCP_SYM_CXX(ret, name, sym, params, args) [RMCP_REAL_##name] = sym,
	RMCP_HOOKS_HIP(RMCP_SYM)
	RMCP_HOOKS_HIP_CXX(RMCP_SYM_CXX)
	RMCP_CALLS_HIP(RMCP_SYM)
	RMCP_HOOKS_HSA(RMCP_SYM)
	RMCP_CALLS_HSA(RMCP_SYM)
#undef RMCP_SYM
#undef RMCP_SYM_CXX
};

rmcp_vfn rmcp_hook_addr(enum rmcp_real id)
{
	switch (id) {
#define RMCP_ADDR(ret, name, params, args) \
	case RMCP_REAL_##name: \
		return (rmcp_vfn)&name;
#define RMCP_ADDR_CXX(ret, name, sym, params, args) \
	case RMCP_REAL_##name: \
		return (rmcp_vfn)&rmcp_hook_##name;
		RMCP_HOOKS_HIP(RMCP_ADDR)
		RMCP_HOOKS_HIP_CXX(RMCP_ADDR_CXX)
		RMCP_HOOKS_HSA(RMCP_ADDR)
#undef RMCP_ADDR
#undef RMCP_ADDR_CXX
	default:
		return NULL;
	}
}

const char *rmcp_real_symbol(enum rmcp_real id)
{
	return (unsigned)id < RMCP_REAL_COUNT && real_symbols[id] ? real_symbols[id] : "?";
}

static bool is_hsa(enum rmcp_real id)
{
	return id >= RMCP_REAL_FIRST_HSA;
}

bool rmcp_is_own_address(const void *p)
{
	static void *own_base;
	void *base = __atomic_load_n(&own_base, __ATOMIC_ACQUIRE);
	if (!base) {
		Dl_info self;
		if (!dladdr(rmcp_ptr_from_fn((rmcp_vfn)&rmcp_is_own_address), &self) ||
		    !self.dli_fbase)
			return false;
		base = self.dli_fbase;
		__atomic_store_n(&own_base, base, __ATOMIC_RELEASE);
	}
	Dl_info di;
	return dladdr(p, &di) && di.dli_fbase == base;
}

static const char *const hip_sonames[] = { "libamdhip64.so.7", "libamdhip64.so.6",
					   "libamdhip64.so.5", "libamdhip64.so" };
static const char *const hsa_sonames[] = { "libhsa-runtime64.so.1", "libhsa-runtime64.so" };

static void *checked(void *p)
{
	return p && !rmcp_is_own_address(p) ? p : NULL;
}

struct phdr_search {
	const char *prefix;
	const char *sym;
	void *found;
};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_search *s = data;
	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0])
		return 0;
	const char *base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, s->prefix, strlen(s->prefix)) != 0)
		return 0;
	void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return 0;
	s->found = checked(dlsym(h, s->sym));
	return s->found != NULL;	/* stop at the first object that has it */
}

static void *lookup(enum rmcp_real id)
{
	const char *sym = real_symbols[id];
	void *p = checked(dlsym(RTLD_NEXT, sym));
	if (p)
		return p;
	const char *const *names = is_hsa(id) ? hsa_sonames : hip_sonames;
	size_t n = is_hsa(id) ? sizeof(hsa_sonames) / sizeof(*hsa_sonames)
			      : sizeof(hip_sonames) / sizeof(*hip_sonames);
	for (size_t i = 0; i < n; i++) {
		void *h = dlopen(names[i], RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue;
		p = checked(dlsym(h, sym));
		if (p)
			return p;
	}
	struct phdr_search s = { is_hsa(id) ? "libhsa-runtime64" : "libamdhip64", sym, NULL };
	dl_iterate_phdr(phdr_cb, &s);
	return s.found;
}

static int adds_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
		*(unsigned long long *)data = info->dlpi_adds;
	return 1;
}

static unsigned long long loader_adds(void)
{
	unsigned long long adds = 0;
	dl_iterate_phdr(adds_cb, &adds);
	return adds;
}

rmcp_vfn rmcp_real_slow(enum rmcp_real id)
{
	if ((unsigned)id >= RMCP_REAL_COUNT)
		return NULL;
	unsigned long long adds = loader_adds();
	if (atomic_load_explicit(&missing_at[id], memory_order_relaxed) == adds + 1)
		return NULL;
	/*
	 * No lock: dlsym and dlopen take the loader lock, which a thread running a library
	 * constructor already holds while it calls a hook; waiting here for a thread that waits
	 * for the loader would deadlock. Two threads resolving at once find the same pointer.
	 */
	int saved = errno;
	rmcp_vfn p = rmcp_fn_from_ptr(lookup(id));
	errno = saved;
	if (p)
		atomic_store_explicit(&rmcp_real_fn[id], p, memory_order_release);
	else
		atomic_store_explicit(&missing_at[id], adds + 1, memory_order_relaxed);
	return p;
}

void rmcp_real_reset(void)
{
	for (int i = 0; i < RMCP_REAL_COUNT; i++) {
		atomic_store(&rmcp_real_fn[i], NULL);
		atomic_store(&missing_at[i], 0);
	}
}

static bool runtime_loaded(bool hsa)
{
	const char *const *names = hsa ? hsa_sonames : hip_sonames;
	size_t n = hsa ? sizeof(hsa_sonames) / sizeof(*hsa_sonames)
		       : sizeof(hip_sonames) / sizeof(*hip_sonames);
	for (size_t i = 0; i < n; i++)
		if (dlopen(names[i], RTLD_LAZY | RTLD_NOLOAD))
			return true;	/* the handle is kept, like the ones lookup() keeps */
	return false;
}

static void log_missing(enum rmcp_real id, bool loaded)
{
	if (atomic_exchange(&missing_logged[id], 1))
		return;
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_WARN);
	rmcp_line_str(&l, "cannot find the real ");
	rmcp_line_str(&l, real_symbols[id]);
	rmcp_line_str(&l, loaded ? " in the loaded runtime (older version?)"
				 : is_hsa(id) ? ": libhsa-runtime64 is not loaded"
					      : ": libamdhip64 is not loaded");
	rmcp_line_str(&l, "; returning an error instead of calling it");
	rmcp_line_emit(&l, RMCP_WARN);
}

rmcp_hipError_t rmcp_missing_hip(enum rmcp_real id)
{
	bool loaded = runtime_loaded(false);
	log_missing(id, loaded);
	return loaded ? RMCP_hipErrorNotSupported : RMCP_hipErrorNotInitialized;
}

rmcp_hsa_status_t rmcp_missing_hsa(enum rmcp_real id)
{
	log_missing(id, runtime_loaded(true));
	return RMCP_HSA_STATUS_ERROR_NOT_INITIALIZED;
}
