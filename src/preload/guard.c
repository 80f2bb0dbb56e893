/* SPDX-License-Identifier: MIT */
/*
 * The guard's registry: images and kernels seen through the registration and module hooks,
 * judged once (judge.c) under one lock; kernels with something to report are published in a
 * lock-free map for the launch hooks. Registration is rare (program start, library load), so
 * it may allocate and parse; launches only probe the map.
 *
 * One concern in ~630 lines, kept in one file on purpose: every section (the GPUs, the memory
 * the hooks are handed, modules and kernels, the launch's slow path, fork) works on the same
 * state under the same `lock` (the module list, the GPU table, the ISA checker); keeping that
 * state file-static keeps every access to it in this file, next to the lock it needs. The
 * pure parts already live elsewhere: judgement in judge.c, the map in ptrmap.c.
 */
#include "guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccob.h"
#include "env.h"
#include "sysfs.h"
#include "banned.h"

extern char **environ;

struct rmcp_module_rec {
	struct rmcp_module_rec *all;		/* every module ever seen (kept reachable) */
	const void *handle;
	bool in_memory;				/* image handed over in memory by `library` */
	struct rmcp_judgement j;
	struct rmcp_kernel_rec *kernels;
	void *co;				/* chosen code object, for the ISA checker */
	size_t co_len;
	char library[];
};

struct rmcp_ptrmap rmcp_guard_kernels;
RMCP_TLS rmcp_hipError_t rmcp_refused_error;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rmcp_ptrmap modules;		/* handle -> module, under lock */
static struct rmcp_module_rec *all_modules;
static struct rmcp_guard_gpus gpus;
static bool gpus_known;
static rmcp_isa_check_fn isa_check;
static void *isa_ctx;
static char exe_path[512];

void rmcp_guard_set_isa_checker(rmcp_isa_check_fn fn, void *ctx)
{
	pthread_mutex_lock(&lock);
	isa_check = fn;
	isa_ctx = ctx;
	pthread_mutex_unlock(&lock);
}

/* ---- the GPUs ---- */

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool gfx_tid(uint32_t version, const char *fallback, struct rmcp_target_id *out)
{
	char name[RMCP_PROC_MAX];
	const char *s = fallback;
	if (!s || !*s) {
		if (rmcp_gfx_name(version, name, sizeof(name)) < 0)
			return false;
		s = name;
	}
	return rmcp_target_id_parse(s, strlen(s), out, NULL) == 0;
}

static void log_gpu(const struct rmcp_guard_gpu *g)
{
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_INFO);
	rmcp_line_str(&l, "guard: GPU node ");
	rmcp_line_u64(&l, (unsigned long long)g->node);
	rmcp_line_str(&l, ": real ");
	rmcp_line_str(&l, g->real.proc);
	rmcp_line_str(&l, ", effective ISA ");
	rmcp_line_str(&l, g->eff.proc);
	if (g->override_var[0]) {
		rmcp_line_str(&l, " (");
		rmcp_line_str(&l, g->override_var);
		rmcp_line_str(&l, "=");
		rmcp_line_str(&l, g->override_value);
		rmcp_line_str(&l, ")");
	}
	rmcp_line_emit(&l, RMCP_INFO);
}

/* Read sysfs (RMCP_SYSROOT) and the override variables; never HIP (ARCHITECTURE.md). */
static void read_gpus(void)
{
	struct rmcp_machine *m = calloc(1, sizeof(*m));
	struct rmcp_env *e = calloc(1, sizeof(*e));
	if (!m || !e)
		goto out;
	struct rmcp_machine_opts o = { .sysroot = rmcp_cfg.sysroot[0] ? rmcp_cfg.sysroot : NULL,
				       .no_live_log = true, .no_nss = true };
	struct rmcp_err err = { 0 };
	if (rmcp_machine_read(&o, m, &err) < 0) {
		rmcp_log(RMCP_WARN, "guard: cannot read the machine: ", err.msg, "; guard inactive");
		goto out;
	}
	if (rmcp_env_read(environ, e, &err) < 0)
		memset(e, 0, sizeof(*e));	/* no override known: judge by the real GPU */
	for (size_t i = 0; i < m->n_gpus && gpus.n < RMCP_GUARD_MAX_GPUS; i++) {
		const struct rmcp_gpu *gpu = &m->gpus[i];
		/* Only GPUs the runtime will have: a KFD node libhsakmt keeps, with a version. */
		if (gpu->node < 0 || gpu->hsakmt_node < 0 || !gpu->gfx_version)
			continue;
		struct rmcp_guard_gpu *g = &gpus.gpu[gpus.n];
		memset(g, 0, sizeof(*g));
		g->node = gpu->node;
		if (!gfx_tid(gpu->gfx_version, gpu->target_id[0] ? gpu->target_id : gpu->gfx, &g->real))
			continue;
		const char *src = NULL;
		uint32_t eff = rmcp_env_effective_version(e, gpu->hsakmt_node, gpu->gfx_version, &src);
		if (eff == 0)
			continue;	/* invalid override: the runtime sees no GPU at all */
		if (eff == gpu->gfx_version) {
			g->eff = g->real;
		} else if (!gfx_tid(eff, NULL, &g->eff)) {
			continue;
		}
		if (src) {
			copy_str(g->override_var, sizeof(g->override_var), src);
			copy_str(g->override_value, sizeof(g->override_value), rmcp_env_get(e, src));
		}
		gpus.n++;
		log_gpu(g);
	}
	if (!gpus.n) {
		rmcp_log(RMCP_INFO, "guard: no AMD GPU in ",
			 rmcp_cfg.sysroot[0] ? rmcp_cfg.sysroot : "/",
			 " (KFD topology); nothing to check");
	}
out:
	free(m);
	free(e);
}

static void ensure_gpus(void)
{
	if (gpus_known)
		return;
	gpus_known = true;
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	exe_path[n > 0 ? n : 0] = '\0';
	read_gpus();
}

void rmcp_guard_init_with(const struct rmcp_guard_gpus *g)
{
	pthread_mutex_lock(&lock);
	gpus = *g;
	gpus_known = true;
	pthread_mutex_unlock(&lock);
}

const struct rmcp_guard_gpus *rmcp_guard_gpus(void)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF)
		return NULL;
	int saved = errno;
	pthread_mutex_lock(&lock);
	ensure_gpus();
	pthread_mutex_unlock(&lock);
	errno = saved;
	return &gpus;
}

/* ---- memory the hooks are handed ---- */

struct region {
	uintptr_t addr, end;
	char name[512];
	bool found;
};

static int region_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct region *r = data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R))
			continue;
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (r->addr < start || r->addr - start >= ph->p_memsz)
			continue;
		r->end = start + ph->p_memsz;
		copy_str(r->name, sizeof(r->name),
			 info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : exe_path);
		r->found = true;
		return 1;
	}
	return 0;
}

/* The loaded object and segment holding p: bytes readable from p, and the file's name. */
static bool find_region(const void *p, struct region *r)
{
	memset(r, 0, sizeof(*r));
	r->addr = (uintptr_t)p;
	dl_iterate_phdr(region_cb, r);
	return r->found;
}

/* [p, p+n) mapped? mincore(2) fails with ENOMEM on any unmapped page of the range. */
static bool mapped(const void *p, size_t n, void *ctx)
{
	(void)ctx;
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t page = (uintptr_t)(ps > 0 ? ps : 4096);
	uintptr_t a = (uintptr_t)p & ~(page - 1);
	if (n == 0)
		return true;
	if ((uintptr_t)p > UINTPTR_MAX - n)
		return false;
	uintptr_t end = (uintptr_t)p + n;
	unsigned char vec[256];
	while (a < end) {
		uintptr_t chunk = end - a;
		if (chunk > sizeof(vec) * page)
			chunk = sizeof(vec) * page;
		if (mincore((void *)a, chunk, vec) != 0)
			return false;
		a += (chunk + page - 1) & ~(page - 1);
	}
	return true;
}

/* ---- modules and kernels ---- */

static void keep_code_object(struct rmcp_module_rec *mod, const void *img, size_t len)
{
	const struct rmcp_judgement *j = &mod->j;
	if (!isa_check || j->verdict != RMCP_GV_FOREIGN || !j->co_size)
		return;
	if (j->kind == RMCP_IMAGE_CCOB) {
		struct rmcp_ccob_hdr h;
		void *all = NULL;
		size_t all_len = 0;
		if (rmcp_ccob_header(img, len, &h, NULL) < 0 ||
		    rmcp_ccob_decompress(img, len, &h, &all, &all_len, NULL) < 0)
			return;
		if (j->co_offset <= all_len && j->co_size <= all_len - j->co_offset) {
			mod->co = malloc((size_t)j->co_size);
			if (mod->co) {
				memcpy(mod->co, (char *)all + j->co_offset, (size_t)j->co_size);
				mod->co_len = (size_t)j->co_size;
			}
		}
		free(all);
		return;
	}
	if (j->co_offset > len || j->co_size > len - j->co_offset)
		return;
	mod->co = malloc((size_t)j->co_size);
	if (mod->co) {
		memcpy(mod->co, (const char *)img + j->co_offset, (size_t)j->co_size);
		mod->co_len = (size_t)j->co_size;
	}
}

static void log_module(const struct rmcp_module_rec *mod, const char *how)
{
	if (!rmcp_log_verbose())
		return;
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_INFO);
	rmcp_line_str(&l, "guard: ");
	rmcp_line_str(&l, how);
	rmcp_line_str(&l, " ");
	rmcp_line_str(&l, mod->library);
	rmcp_line_str(&l, ": targets ");
	rmcp_line_str(&l, mod->j.targets[0] ? mod->j.targets : "(none)");
	rmcp_line_str(&l, "; verdict ");
	rmcp_line_str(&l, rmcp_guard_verdict_name(mod->j.verdict));
	if (mod->j.verdict != RMCP_GV_UNKNOWN && gpus.n) {
		rmcp_line_str(&l, " for ");
		rmcp_line_str(&l, gpus.gpu[mod->j.gpu].eff.proc);
		if (!mod->j.every_gpu)
			rmcp_line_str(&l, " (not every GPU)");
	}
	rmcp_line_emit(&l, RMCP_INFO);
}

/* Judge an image and remember it under handle. Caller holds the lock. */
static void add_module(const void *handle, const void *img, size_t len, const char *library,
		       bool in_memory, const char *how)
{
	struct rmcp_module_rec *mod = calloc(1, sizeof(*mod) + strlen(library) + 1);
	if (!mod)
		return;
	memcpy(mod->library, library, strlen(library) + 1);
	mod->handle = handle;
	mod->in_memory = in_memory;
	struct rmcp_err err = { 0 };
	if (rmcp_judge_image(img, len, &gpus, &mod->j, &err) < 0 && rmcp_log_verbose())
		rmcp_log(RMCP_INFO, "guard: cannot judge an image of ", library, ": not checked");
	keep_code_object(mod, img, len);
	mod->all = all_modules;
	all_modules = mod;	/* kept reachable for the life of the process */
	if (rmcp_ptrmap_put(&modules, handle, mod) < 0)
		return;
	log_module(mod, how);
}

static bool interesting(enum rmcp_guard_verdict v)
{
	return v == RMCP_GV_NO_CODE || v == RMCP_GV_FOREIGN || v == RMCP_GV_FOREIGN_BAD;
}

void rmcp_guard_fatbin(const void *wrapper, const void *handle)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !wrapper || !handle)
		return;
	int saved = errno;
	pthread_mutex_lock(&lock);
	ensure_gpus();
	if (!gpus.n)
		goto out;
	struct region wr, br;
	bool in_object = find_region(wrapper, &wr);
	if (in_object ? wr.end - wr.addr < sizeof(struct rmcp_fatbin_wrapper)
		      : !mapped(wrapper, sizeof(struct rmcp_fatbin_wrapper), NULL))
		goto out;
	struct rmcp_fatbin_wrapper w;
	memcpy(&w, wrapper, sizeof(w));
	/* clr hip_platform.cpp checks the same; anything else (kpack's "HIPK") is not ours to
	 * read here: the runtime decides. */
	if (w.magic != RMCP_HIP_FATBIN_MAGIC || w.version != 1 || !w.binary)
		goto out;
	const char *library = in_object ? wr.name : "(unknown object)";
	size_t avail;
	if (find_region(w.binary, &br)) {
		avail = br.end - br.addr;
	} else if (rmcp_image_extent(w.binary, mapped, NULL, (uint64_t)1 << 32, &avail) < 0) {
		goto out;
	}
	add_module(handle, w.binary, avail, library, false, "registered");
out:
	pthread_mutex_unlock(&lock);
	errno = saved;
}

static void function_locked(const void *handle, const void *key, const char *name,
			    bool copy_name)
{
	struct rmcp_module_rec *mod = rmcp_ptrmap_get(&modules, handle);
	if (!mod || !interesting(mod->j.verdict))
		return;
	if (!name)
		name = "?";
	size_t nl = copy_name ? strlen(name) + 1 : 0;
	struct rmcp_kernel_rec *k = calloc(1, sizeof(*k) + nl);
	if (!k)
		return;
	if (copy_name) {
		memcpy(k->name_copy, name, nl);
		k->name = k->name_copy;
	} else {
		k->name = name;
	}
	k->key = key;
	k->mod = mod;
	k->verdict = mod->j.verdict;
	if (k->verdict == RMCP_GV_FOREIGN && isa_check && mod->co) {
		const struct rmcp_guard_gpu *g = &gpus.gpu[mod->j.gpu];
		switch (isa_check(mod->co, mod->co_len, name, &g->real, k->why, sizeof(k->why),
				  isa_ctx)) {
		case RMCP_KISA_OK:
			k->verdict = RMCP_GV_FOREIGN_OK;
			break;
		case RMCP_KISA_BAD:
			k->verdict = RMCP_GV_FOREIGN_BAD;
			break;
		case RMCP_KISA_UNVERIFIED:
			break;
		}
	}
	/* Refuse only what cannot run on any GPU the program may use. */
	k->block = (k->verdict == RMCP_GV_NO_CODE || k->verdict == RMCP_GV_FOREIGN_BAD) &&
		   mod->j.every_gpu;
	k->next = mod->kernels;
	mod->kernels = k;	/* reachable through the module even if never published */
	if (k->verdict == RMCP_GV_FOREIGN_OK)
		return;
	rmcp_ptrmap_put(&rmcp_guard_kernels, key, k);
}

static void function_entry(const void *handle, const void *key, const char *name,
			   bool copy_name)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !handle || !key)
		return;
	int saved = errno;
	pthread_mutex_lock(&lock);
	function_locked(handle, key, name, copy_name);
	pthread_mutex_unlock(&lock);
	errno = saved;
}

static void module_locked(const void *module, const void *image, size_t len,
			  const char *library, bool in_memory)
{
	ensure_gpus();
	if (gpus.n && (len || rmcp_image_extent(image, mapped, NULL, (uint64_t)1 << 32, &len) == 0))
		add_module(module, image, len, library, in_memory, "loaded");
}

void rmcp_guard_module(const void *module, const void *image, size_t len, const char *library)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !module || !image)
		return;
	int saved = errno;
	pthread_mutex_lock(&lock);
	module_locked(module, image, len, library, false);
	pthread_mutex_unlock(&lock);
	errno = saved;
}

void rmcp_guard_module_memory(const void *module, const void *image, const void *caller)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !module || !image)
		return;
	int saved = errno;
	pthread_mutex_lock(&lock);
	ensure_gpus();
	/* An image inside a loaded object is that object's; one on the heap is the caller's. */
	struct region r;
	bool inside = find_region(image, &r);
	if (!inside && !find_region(caller, &r))
		copy_str(r.name, sizeof(r.name), "the program");
	module_locked(module, image, 0, r.name, !inside);
	pthread_mutex_unlock(&lock);
	errno = saved;
}

void rmcp_guard_module_file(const void *module, const char *path)
{
	if (rmcp_cfg.guard == RMCP_GUARD_OFF || !module || !path)
		return;
	int saved = errno;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			rmcp_guard_module(module, p, (size_t)st.st_size, path);
			munmap(p, (size_t)st.st_size);
		}
	}
	if (fd >= 0)
		close(fd);
	errno = saved;
}

void rmcp_guard_function(const void *handle, const void *host_fn, const char *device_name)
{
	/* clang passes a string literal of the registering object (CGCUDANV.cpp) */
	function_entry(handle, host_fn, device_name, false);
}

void rmcp_guard_module_function(const void *module, const void *fn, const char *kname)
{
	/* the caller's string, which it may free */
	function_entry(module, fn, kname, true);
}

void rmcp_guard_forget(const void *handle)
{
	if (!handle)
		return;
	pthread_mutex_lock(&lock);
	struct rmcp_module_rec *mod = rmcp_ptrmap_get(&modules, handle);
	if (mod) {
		for (struct rmcp_kernel_rec *k = mod->kernels; k; k = k->next)
			if (rmcp_ptrmap_get(&rmcp_guard_kernels, k->key) == k)
				rmcp_ptrmap_del(&rmcp_guard_kernels, k->key);
		rmcp_ptrmap_del(&modules, handle);
	}
	pthread_mutex_unlock(&lock);
}

/* ---- the launch's slow path ---- */

static void line_name(struct rmcp_line *l, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max) {
		rmcp_line_strn(l, s, n);
		return;
	}
	rmcp_line_strn(l, s, max);
	rmcp_line_str(l, "...");
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* One line: what, which kernel, which library, why, the GPU, the effective ISA, the fix. */
static void report(const struct rmcp_kernel_rec *k, bool block)
{
	const struct rmcp_module_rec *mod = k->mod;
	const struct rmcp_judgement *j = &mod->j;
	const struct rmcp_guard_gpu *g = &gpus.gpu[j->gpu < gpus.n ? j->gpu : 0];
	bool foreign = k->verdict == RMCP_GV_FOREIGN || k->verdict == RMCP_GV_FOREIGN_BAD;
	struct rmcp_line l;
	rmcp_line_start(&l, RMCP_WARN);
	rmcp_line_str(&l, block ? "guard: blocked kernel '" : "guard: kernel '");
	line_name(&l, k->name, 160);
	rmcp_line_str(&l, mod->in_memory ? "' from an image in memory loaded by " : "' from ");
	rmcp_line_str(&l, mod->library);
	switch (k->verdict) {
	case RMCP_GV_NO_CODE:
		rmcp_line_str(&l, block ? ": no code object for " : " cannot run: no code object for ");
		rmcp_line_str(&l, g->eff.proc);
		rmcp_line_str(&l, " (it has ");
		rmcp_line_str(&l, j->targets[0] ? j->targets : "none");
		rmcp_line_str(&l, ")");
		break;
	case RMCP_GV_FOREIGN_BAD:
		rmcp_line_str(&l, block ? ": " : " will not run right: ");
		rmcp_line_str(&l, j->chosen);
		rmcp_line_str(&l, " code on a ");
		rmcp_line_str(&l, g->real.proc);
		rmcp_line_str(&l, " GPU fails the ISA check");
		if (k->why[0]) {
			rmcp_line_str(&l, " (");
			rmcp_line_str(&l, k->why);
			rmcp_line_str(&l, ")");
		}
		break;
	default:
		rmcp_line_str(&l, " runs ");
		rmcp_line_str(&l, j->chosen);
		rmcp_line_str(&l, " code on a ");
		rmcp_line_str(&l, g->real.proc);
		rmcp_line_str(&l, " GPU: foreign ISA, not verified");
		break;
	}
	if (!j->every_gpu)
		rmcp_line_str(&l, " (on some of the GPUs)");
	rmcp_line_str(&l, "; real GPU ");
	rmcp_line_str(&l, g->real.proc);
	rmcp_line_str(&l, " (node ");
	rmcp_line_u64(&l, (unsigned long long)g->node);
	rmcp_line_str(&l, "), effective ISA ");
	rmcp_line_str(&l, g->eff.proc);
	if (g->override_var[0]) {
		rmcp_line_str(&l, " (");
		rmcp_line_str(&l, g->override_var);
		rmcp_line_str(&l, "=");
		rmcp_line_str(&l, g->override_value);
		rmcp_line_str(&l, ")");
	}
	rmcp_line_str(&l, "; fix: ");
	if (g->override_var[0] && j->has_real) {
		rmcp_line_str(&l, "unset ");
		rmcp_line_str(&l, g->override_var);
		rmcp_line_str(&l, ": the library has ");
		rmcp_line_str(&l, g->real.proc);
		rmcp_line_str(&l, " code");
	} else {
		rmcp_line_str(&l, "use a build of ");
		rmcp_line_str(&l, basename_of(mod->library));
		rmcp_line_str(&l, " with ");
		rmcp_line_str(&l, g->real.proc);
		if (mod->in_memory) {
			rmcp_line_str(&l, " code (`rmcp scan` on its install lists the targets)");
		} else {
			rmcp_line_str(&l, " code (`rmcp scan ");
			rmcp_line_str(&l, mod->library);
			rmcp_line_str(&l, "` lists its targets)");
		}
		if (g->override_var[0] && foreign) {
			rmcp_line_str(&l, " and unset ");
			rmcp_line_str(&l, g->override_var);
		}
		rmcp_line_str(&l, ", or run on the CPU");
	}
	rmcp_line_emit(&l, RMCP_WARN);
}

bool rmcp_guard_refuse(struct rmcp_kernel_rec *k, enum rmcp_hook hook)
{
	bool block = rmcp_cfg.guard == RMCP_GUARD_BLOCK && k->block;
	if (!atomic_exchange_explicit(&k->reported, 1, memory_order_relaxed))
		report(k, block);
	if (block)
		RMCP_BLOCKED(hook);
	return block;
}

/* ---- fork ---- */

void rmcp_guard_atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void rmcp_guard_atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

void rmcp_guard_atfork_child(void)
{
	pthread_mutex_unlock(&lock);
}
