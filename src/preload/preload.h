/* SPDX-License-Identifier: MIT */
/*
 * librmcp.so internals shared by its source files. Nothing here is exported: the library is
 * built with -fvisibility=hidden and only the hooks carry RMCP_EXPORT.
 *
 * Shape (research/interposer.md §0, §5, §8): no work in the constructor beyond reading the
 * RMCP_* variables; real symbols resolved lazily (resolve.c); a thread-local depth counter so
 * only the outermost call of a hooked function is rewritten or checked; every failure inside
 * the preload degrades to "call the real function unchanged" (fail open).
 */
#ifndef RMCP_PRELOAD_H
#define RMCP_PRELOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hipabi.h"

#define RMCP_EXPORT __attribute__((visibility("default")))
#define RMCP_TLS __thread __attribute__((tls_model("initial-exec")))
#define RMCP_LIKELY(x) __builtin_expect(!!(x), 1)
#define RMCP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- configuration (config.c): read once, from RMCP_* with secure_getenv ---- */

enum rmcp_guard_mode { RMCP_GUARD_OFF, RMCP_GUARD_WARN, RMCP_GUARD_BLOCK };
enum rmcp_mem_mode { RMCP_MEM_DEFAULT, RMCP_MEM_NONCOHERENT, RMCP_MEM_COARSE };

struct rmcp_config {
	enum rmcp_guard_mode guard;
	enum rmcp_mem_mode memory;
	bool verbose;			/* RMCP_LOG set: info lines too, not only warnings */
	char log_path[512];		/* RMCP_LOG=FILE; "" = stderr */
	bool stats;			/* RMCP_STATS=1 */
	char sysroot[512];		/* RMCP_SYSROOT; "" = "/" */
	bool isa_check_off;		/* RMCP_ISA_CHECK=off: no per-kernel ISA check */
	char isa_cache[512];		/* ISA verdict cache dir (XDG); "" = none (RMCP_ISA_CACHE=off) */
	/* Values that were set but not understood, reported once the log is open. */
	char bad[4][96];
	size_t n_bad;
	/* Paths longer than their buffer (RMCP_LOG, RMCP_ISA_CACHE, RMCP_SYSROOT): refused, not
	 * cut (a cut path names another file, another machine), one warning each. */
	const char *too_long[3];
	size_t n_too_long;
};

extern struct rmcp_config rmcp_cfg;

/* Parse the configuration from `get` (secure_getenv in the preload, a table in tests). */
void rmcp_config_parse(struct rmcp_config *c, const char *(*get)(const char *name));
const char *rmcp_guard_mode_name(enum rmcp_guard_mode m);
const char *rmcp_mem_mode_name(enum rmcp_mem_mode m);

/* ---- initialisation, re-entry (main.c) ---- */

extern atomic_int rmcp_ready;		/* config read, log open */
extern RMCP_TLS int rmcp_depth;		/* hooked calls active on this thread */

void rmcp_init_slow(void);

/*
 * Enter a hook. Returns true when this is the outermost hooked call on the thread and the
 * preload is initialised: only then may the hook rewrite or check anything. Every
 * rmcp_enter() is paired with rmcp_leave().
 */
static inline bool rmcp_enter(void)
{
	if (rmcp_depth++ != 0)
		return false;
	if (RMCP_UNLIKELY(!atomic_load_explicit(&rmcp_ready, memory_order_acquire)))
		rmcp_init_slow();
	return atomic_load_explicit(&rmcp_ready, memory_order_relaxed) != 0;
}

static inline void rmcp_leave(void)
{
	rmcp_depth--;
}

/* ---- real symbols (resolve.c) ---- */

enum rmcp_real {
#define RMCP_REAL_ENUM(ret, name, params, args) RMCP_REAL_##name,
#define RMCP_REAL_ENUM_CXX(ret, name, sym, params, args) RMCP_REAL_##name,
	RMCP_HOOKS_HIP(RMCP_REAL_ENUM)
	RMCP_HOOKS_HIP_CXX(RMCP_REAL_ENUM_CXX)
	RMCP_CALLS_HIP(RMCP_REAL_ENUM)
	RMCP_REAL_FIRST_HSA,
	RMCP_REAL_HSA_BEFORE = RMCP_REAL_FIRST_HSA - 1,
	RMCP_HOOKS_HSA(RMCP_REAL_ENUM)
	RMCP_CALLS_HSA(RMCP_REAL_ENUM)
	RMCP_REAL_COUNT
#undef RMCP_REAL_ENUM
#undef RMCP_REAL_ENUM_CXX
};

/* Function pointers are stored as one generic type (ISO C converts between function pointer
 * types, not between them and void *: dlsym's result goes through rmcp_fn_from_ptr). */
typedef void (*rmcp_vfn)(void);

static inline rmcp_vfn rmcp_fn_from_ptr(void *p)
{
	rmcp_vfn f;
	_Static_assert(sizeof(f) == sizeof(p), "function and object pointers differ in size");
	memcpy(&f, &p, sizeof(f));
	return f;
}

static inline void *rmcp_ptr_from_fn(rmcp_vfn f)
{
	void *p;
	memcpy(&p, &f, sizeof(p));
	return p;
}

extern _Atomic(rmcp_vfn) rmcp_real_fn[RMCP_REAL_COUNT];

rmcp_vfn rmcp_real_slow(enum rmcp_real id);
const char *rmcp_real_symbol(enum rmcp_real id);
/* Our own hook for a real entry point, or NULL if we only call it. */
rmcp_vfn rmcp_hook_addr(enum rmcp_real id);
/* Is an address inside librmcp.so itself? */
bool rmcp_is_own_address(const void *p);
/* Forget resolved pointers (tests). */
void rmcp_real_reset(void);

static inline rmcp_vfn rmcp_real(enum rmcp_real id)
{
	rmcp_vfn p = atomic_load_explicit(&rmcp_real_fn[id], memory_order_acquire);
	return RMCP_LIKELY(p != NULL) ? p : rmcp_real_slow(id);
}

#define RMCP_REAL(name) ((rmcp_fn_##name)rmcp_real(RMCP_REAL_##name))

/*
 * What a hook returns when its real function cannot be found (logged once per symbol):
 * hipErrorNotInitialized when no HIP runtime is loaded at all, hipErrorNotSupported when one
 * is loaded but lacks the symbol (an older runtime); HSA_STATUS_ERROR_NOT_INITIALIZED.
 */
rmcp_hipError_t rmcp_missing_hip(enum rmcp_real id);
rmcp_hsa_status_t rmcp_missing_hsa(enum rmcp_real id);

/* The hooks themselves (hooks_*.c, procaddr.c); C++ entry points under their mangled names. */
#define RMCP_HOOK_DECL(ret, name, params, args) RMCP_EXPORT ret name params;
#define RMCP_HOOK_DECL_CXX(ret, name, sym, params, args) \
	RMCP_EXPORT ret rmcp_hook_##name params __asm__(sym);
RMCP_HOOKS_HIP(RMCP_HOOK_DECL)
RMCP_HOOKS_HIP_CXX(RMCP_HOOK_DECL_CXX)
RMCP_HOOKS_HSA(RMCP_HOOK_DECL)
#undef RMCP_HOOK_DECL
#undef RMCP_HOOK_DECL_CXX

/* ---- statistics (log.c) ---- */

enum rmcp_hook {
#define RMCP_HOOK_ENUM(ret, name, params, args) RMCP_HOOK_##name,
#define RMCP_HOOK_ENUM_CXX(ret, name, sym, params, args) RMCP_HOOK_##name,
	RMCP_HOOKS_HIP(RMCP_HOOK_ENUM)
	RMCP_HOOKS_HIP_CXX(RMCP_HOOK_ENUM_CXX)
	RMCP_HOOKS_HSA(RMCP_HOOK_ENUM)
	RMCP_HOOK_COUNT
#undef RMCP_HOOK_ENUM
#undef RMCP_HOOK_ENUM_CXX
};

struct rmcp_stat {
	atomic_ullong seen, rewritten, blocked;
};
extern struct rmcp_stat rmcp_stats[RMCP_HOOK_COUNT];

const char *rmcp_hook_name(enum rmcp_hook h);

static inline void rmcp_count(enum rmcp_hook h, atomic_ullong *what)
{
	(void)h;
	if (RMCP_UNLIKELY(rmcp_cfg.stats))
		atomic_fetch_add_explicit(what, 1, memory_order_relaxed);
}
#define RMCP_SEEN(h) rmcp_count(h, &rmcp_stats[h].seen)
#define RMCP_REWRITTEN(h) rmcp_count(h, &rmcp_stats[h].rewritten)
#define RMCP_BLOCKED(h) rmcp_count(h, &rmcp_stats[h].blocked)

/* Write the statistics (one line per hook that saw calls) to the log. */
void rmcp_stats_print(void);

/* ---- log (log.c): fixed buffers and write(2), no printf, no allocation ---- */

struct rmcp_line {
	char buf[1024];
	size_t n;
};

enum rmcp_level { RMCP_INFO, RMCP_WARN };

/* Start a line "rmcp[pid/tid] <level>: ". */
void rmcp_line_start(struct rmcp_line *l, enum rmcp_level level);
void rmcp_line_str(struct rmcp_line *l, const char *s);
void rmcp_line_strn(struct rmcp_line *l, const char *s, size_t n);
void rmcp_line_u64(struct rmcp_line *l, unsigned long long v);
void rmcp_line_hex(struct rmcp_line *l, unsigned long long v);
/* Emit: warnings always, info only with RMCP_LOG set. */
void rmcp_line_emit(struct rmcp_line *l, enum rmcp_level level);
/* Whether info lines go anywhere (skip building them otherwise). */
static inline bool rmcp_log_verbose(void)
{
	return rmcp_cfg.verbose;
}
/* Open RMCP_LOG (O_APPEND|O_NOFOLLOW|O_CLOEXEC). Falls back to stderr with a warning. */
void rmcp_log_open(void);
/* A short one-part message. */
void rmcp_log(enum rmcp_level level, const char *a, const char *b, const char *c);

#endif
