/* SPDX-License-Identifier: MIT */
/*
 * src/lib/probe/ -- the one stage that runs GPU code: the probe child, its watchdog runner
 * and the result cache (this header). probe may include core, formats, isa and facts.
 */
/*
 * rmcp probe: prove that the GPU computes, in a child process under a watchdog (docs/run.md).
 *
 * The child (probe_child.c) dlopens the HIP runtime the user's stack would load and runs the
 * steps below, reporting each as a line on a pipe (the record protocol: rmcp_probe_record_*).
 * The parent (probe_run.c) reads those records and the child's stderr, kills the child's
 * whole process group when the watchdog fires, and classifies the outcome per step
 * (rmcp_probe_classify, pure). Results are cached per fingerprint of GPU, driver, stack and
 * environment (probe_cache.c). Nothing here prints; the CLI renders.
 */
#ifndef RMCP_PROBE_H
#define RMCP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sysfs.h"

enum rmcp_probe_step {
	RMCP_STEP_RUNTIME,		/* dlopen the HIP runtime, resolve its entry points */
	RMCP_STEP_INIT,			/* hipInit */
	RMCP_STEP_DEVICE,		/* device count, hipSetDevice, name and gcnArchName */
	RMCP_STEP_MEM_DEVICE,		/* hipMalloc, copy round trip */
	RMCP_STEP_MEM_HOST_COHERENT,	/* hipHostMalloc(hipHostMallocCoherent), round trip */
	RMCP_STEP_MEM_HOST_NONCOHERENT,	/* hipHostMalloc(hipHostMallocNonCoherent), round trip */
	RMCP_STEP_MEM_MANAGED,		/* hipMallocManaged, round trip */
	RMCP_STEP_MIOPEN,		/* dlopen MIOpen next to the runtime, miopenCreate */
	RMCP_STEP_CONV,			/* a Conv2d forward against a CPU reference */
	RMCP_PROBE_N_STEPS
};

enum rmcp_probe_class {
	RMCP_PROBE_OK,
	RMCP_PROBE_NOT_RUN,		/* an earlier step failed */
	RMCP_PROBE_NO_RUNTIME,		/* no HIP runtime (or MIOpen) to load, or not a HIP runtime */
	RMCP_PROBE_NO_DEVICE,		/* the runtime sees no GPU (or not the one asked for) */
	RMCP_PROBE_NO_CODE,		/* hipErrorNoBinaryForGpu / invalid device function */
	RMCP_PROBE_GPU_FAULT,		/* died printing "Memory access fault by GPU node" or an
					 * HSA aperture violation */
	RMCP_PROBE_HANG,		/* the watchdog fired; the process group was killed */
	RMCP_PROBE_WRONG_RESULT,	/* ran, but the bytes or the convolution were wrong */
	RMCP_PROBE_ERROR,		/* anything else, with the runtime's error string */
};

const char *rmcp_probe_step_name(enum rmcp_probe_step s);	/* "hip-init", ... */
const char *rmcp_probe_class_name(enum rmcp_probe_class c);	/* "no-code-object", ... */
const char *rmcp_probe_class_text(enum rmcp_probe_class c);	/* "no code object", ... */
int rmcp_probe_step_parse(const char *s, size_t len, enum rmcp_probe_step *out);
int rmcp_probe_class_parse(const char *s, size_t len, enum rmcp_probe_class *out);

/* HIP error codes the classification knows (hip_runtime_api.h, stable since HIP 4). */
enum {
	RMCP_HIP_ERROR_INSUFFICIENT_DRIVER = 35,
	RMCP_HIP_ERROR_INVALID_DEVICE_FUNCTION = 98,
	RMCP_HIP_ERROR_NO_DEVICE = 100,
	RMCP_HIP_ERROR_INVALID_DEVICE = 101,
	RMCP_HIP_ERROR_NO_BINARY_FOR_GPU = 209,
};

/* The class of a failing HIP call in step s (98/209: no code object; 100, and 35/101 from
 * hipInit or the device step: no device; anything else: error). */
enum rmcp_probe_class rmcp_probe_class_for_hip(enum rmcp_probe_step s, int hip_error);

struct rmcp_probe_step_result {
	bool begun, ended;
	enum rmcp_probe_class cls;
	int hip_error;		/* the failing call's hipError_t, 0 if none */
	double ms;
	char detail[320];
};

#define RMCP_PROBE_PATH_MAX 512
#define RMCP_PROBE_MAX_CANDIDATES 8

/* Where the runtime comes from: candidate files (or sonames) in order; the child uses the
 * first that loads. */
struct rmcp_probe_libs {
	char source[16];	/* "--hip", "torch", "rocm", "system" */
	char hip[RMCP_PROBE_MAX_CANDIDATES][RMCP_PROBE_PATH_MAX];
	size_t n_hip;
	char miopen[RMCP_PROBE_MAX_CANDIDATES][RMCP_PROBE_PATH_MAX];
	size_t n_miopen;
};

struct rmcp_probe_locate_opts {
	const char *sysroot;	/* NULL = "/" */
	const char *hip;	/* an explicit runtime file (--hip LIB), or NULL */
	const char *torch_dir;	/* a torch package directory on this machine, or NULL */
};

/*
 * The runtime the user's stack would load: --hip LIB; else the torch package's own
 * torch/lib/libamdhip64*.so* (wheels bundle it); else <sysroot>/opt/rocm/lib; else the
 * system's libamdhip64.so.{7,6,5} (sonames for "/", files under a snapshot's /usr/lib).
 * MIOpen is looked for next to the runtime found (system: libMIOpen.so.1). Returns 0, or
 * -ENOENT when a torch dir or --hip file has no runtime (err says where it looked).
 */
int rmcp_probe_locate(const struct rmcp_probe_locate_opts *o, struct rmcp_probe_libs *libs,
		      struct rmcp_err *err);

struct rmcp_probe_result {
	struct rmcp_probe_step_result steps[RMCP_PROBE_N_STEPS];
	enum rmcp_probe_class outcome;
	int failed_step;		/* enum rmcp_probe_step, -1 if none */
	/* facts the child reported */
	char hip_path[RMCP_PROBE_PATH_MAX], miopen_path[RMCP_PROBE_PATH_MAX];
	char gpu_name[128], gpu_arch[64];
	int device_count;		/* -1 unknown */
	int runtime_version, driver_version;	/* hipRuntimeGetVersion, hipDriverGetVersion; 0 */
	char miopen_version[32];
	/* the child's end */
	bool done;			/* it reported the end of its steps */
	bool exited;			/* exited (else killed by a signal) */
	int exit_code, signal;
	bool timed_out;
	char signature[512];		/* the fault or no-code line from its output, "" */
	char last_line[512];		/* its last line of output, "" */
	/* how this result was obtained */
	int device;
	double timeout_s, elapsed_s;
	bool cached;
	long long cached_at;		/* unix time the cached probe ran, 0 */
	char fingerprint[17];		/* 16 hex digits, "" */
	char source[16];		/* rmcp_probe_libs.source */
};

void rmcp_probe_result_init(struct rmcp_probe_result *r);

/* A probe that found no runtime to load (rmcp_probe_locate failed): load-runtime is
 * no-runtime with msg, the rest not run. */
void rmcp_probe_result_no_runtime(struct rmcp_probe_result *r, const char *msg);

/* ---- the record protocol (child -> parent, and the cache file) ----
 * One line per record, tab-separated, no tab or newline inside a field:
 *   B <step>                                   the step began
 *   E <step> <class> <hip_error> <ms> <detail> the step ended
 *   F <key> <value>                            a fact (hip_path, gpu_arch, ...)
 *   D                                          every step the child meant to run ended
 *   X <exited> <code> <signal> <timed_out>     (cache only) how the child ended
 *   S <signature>                              (cache only)
 */
int rmcp_probe_record_parse(const char *line, size_t len, struct rmcp_probe_result *r);
/* Format records (with the trailing newline). Fields are cleaned of tabs and newlines.
 * Return the length, or -RMCP_E_LIMIT. */
int rmcp_probe_record_begin(char *buf, size_t cap, enum rmcp_probe_step s);
int rmcp_probe_record_end(char *buf, size_t cap, enum rmcp_probe_step s, enum rmcp_probe_class c,
			  int hip_error, double ms, const char *detail);
int rmcp_probe_record_fact(char *buf, size_t cap, const char *key, const char *value);

/* ---- signatures in a child's output ---- */

enum rmcp_signature { RMCP_SIG_NONE, RMCP_SIG_GPU_FAULT, RMCP_SIG_NO_CODE };

/* What one line of runtime output says: "Memory access fault by GPU node" and
 * HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION are GPU faults (ROCr's and clr's texts);
 * hipErrorNoBinaryForGpu, "invalid device function" and "no kernel image is available" mean
 * no code object. */
enum rmcp_signature rmcp_signature_of_line(const char *line, size_t len);

/* A streaming line scanner: feed output in chunks of any size. */
struct rmcp_sigscan {
	char cur[512];
	size_t cur_len;
	char fault[512];	/* first GPU-fault line, "" */
	char nocode[512];	/* first no-code line, "" */
	char last[512];		/* last non-empty line */
};

void rmcp_sigscan_init(struct rmcp_sigscan *s);
void rmcp_sigscan_feed(struct rmcp_sigscan *s, const char *buf, size_t len);
void rmcp_sigscan_end(struct rmcp_sigscan *s);	/* a last line without a newline */

/*
 * Classify a probe from the child's records (already in r), how it ended (r->done, exited,
 * exit_code, signal, timed_out) and its output: a timeout is a hang of the step that was
 * running; a child that died in a step with a fault line is a GPU fault there, with a
 * no-code line no code object, else an error naming the signal; a step that failed with an
 * error while a no-code line was printed is no code object. Sets r->outcome (the first step
 * that is not ok), r->failed_step, r->signature, r->last_line, and marks later steps not run.
 */
void rmcp_probe_classify(struct rmcp_probe_result *r, const struct rmcp_sigscan *s);

/* ---- running it ---- */

struct rmcp_probe_opts {
	struct rmcp_probe_libs libs;
	int device;		/* HIP device index */
	double timeout_s;	/* the watchdog, for the whole probe */
	char *const *envp;	/* the child's environment, NULL = this process's */
	/* ---- added for issue 12 ---- */
	/* Called while the child runs, at least every 250 ms and after each record: the step
	 * under way (enum rmcp_probe_step; -1 before the first) and the seconds since the start.
	 * The CLI prints it on a terminal (rmcp probe, run --device auto). NULL = not called. */
	void (*progress)(void *ctx, int step, double elapsed_s);
	void *progress_ctx;
};

/*
 * Fork the child (its own process group, killed if this process dies), run the steps in
 * it, wait at most timeout_s, kill the whole group, reap it, classify. Returns 0 (the
 * outcome is in r, whatever it is) or a negative code when the probe could not run at all
 * (pipe/fork failure), or -EINTR when SIGINT, SIGTERM or SIGHUP arrived meanwhile.
 *
 * Nothing of the child's group outlives the probe (issue 13): while it runs, this process
 * is a child subreaper (PR_SET_CHILD_SUBREAPER: helpers whose parent died stay ours, in the
 * group) and catches SIGINT, SIGTERM and SIGHUP, forwarding them to the group (the terminal
 * sends them only to its foreground group, which the child has left), then kills and reaps
 * the group; if this process is killed outright, the child's parent-death signal makes it
 * kill its own group. Dispositions and the subreaper flag are restored before returning.
 */
int rmcp_probe_run(const struct rmcp_probe_opts *o, struct rmcp_probe_result *r,
		   struct rmcp_err *err);

/* The signal that interrupted the last rmcp_probe_run (-EINTR), 0 if none: the CLI ends
 * itself with it (the core never exits), after restoring its default action. */
int rmcp_probe_interrupted(void);

/* The child side (probe_child.c): runs the steps, writes records to fd. Does not exit. */
void rmcp_probe_child(const struct rmcp_probe_libs *libs, int device, int fd);

/* ---- the conv2d check (pure; probe_child.c) ---- */

struct rmcp_conv_shape {
	int n, c, h, w;		/* input */
	int k, r, s;		/* filters: k outputs, r x s */
	int pad, stride;
};

/* Output height and width; 0 if the shape is invalid. */
int rmcp_conv_out_dim(const struct rmcp_conv_shape *sh, int *oh, int *ow);
/* Deterministic inputs in [-1, 1). */
void rmcp_conv_fill(float *v, size_t n, uint32_t seed);
/* The cross-correlation MIOpen's miopenConvolution mode computes, NCHW, in double. */
void rmcp_conv_reference(const struct rmcp_conv_shape *sh, const float *x, const float *w,
			 float *y);
/* Compare: returns the number of elements off by more than 1e-3 + 1e-3*|ref|; *first is
 * the first of them. */
size_t rmcp_conv_compare(const float *got, const float *ref, size_t n, size_t *first);

/* ---- the cache ---- */

/*
 * The probe's fingerprint: this rmcp's version, the GPUs (PCI ids, revision, gfx version,
 * firmware), the driver (kernel release, amdgpu-dkms version), the runtime candidates (path,
 * size, mtime, inode of those that exist), the device index, and every environment variable
 * that changes what the runtime does (HSA_*, HIP_*, ROCR_*, AMD_*, MIOPEN_*, GPU_*, HCC_*,
 * RMCP_*, CUDA_VISIBLE_DEVICES, LD_PRELOAD, LD_LIBRARY_PATH). key receives the text hashed
 * (for the cache file), hex its FNV-1a 64 hash. Returns 0 or -RMCP_E_LIMIT.
 */
int rmcp_probe_fingerprint(const struct rmcp_machine *m, const struct rmcp_probe_opts *o,
			   char *key, size_t cap, char hex[17]);

/*
 * Load the cached result for (key, hex) from dir: 1 if found and usable, 0 if not (absent,
 * another key or version, unreadable, or a hang recorded under a shorter watchdog than
 * timeout_s: it may finish given longer). r->cached and r->cached_at are set.
 */
int rmcp_probe_cache_load(const char *dir, const char *key, const char *hex, double timeout_s,
			  struct rmcp_probe_result *r);
/* Store r (atomically: temporary file and rename). 0 or -errno. */
int rmcp_probe_cache_store(const char *dir, const char *key, const char *hex,
			   const struct rmcp_probe_result *r);

/*
 * The probe through the cache: a usable cached result for the fingerprint of (m, o) unless
 * use_cache is false (or cache_dir NULL); else rmcp_probe_run, and the result stored (a
 * failure to store is ignored: the cache is an optimisation). Returns what rmcp_probe_run
 * returns; r->fingerprint is set either way.
 */
int rmcp_probe_cached(const struct rmcp_probe_opts *o, const struct rmcp_machine *m,
		      const char *cache_dir, bool use_cache, struct rmcp_probe_result *r,
		      struct rmcp_err *err);

/* The renderer (JSON) is in report_probe.h. */

#endif
