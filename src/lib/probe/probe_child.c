/* SPDX-License-Identifier: MIT */
/*
 * The probe's child side: load the HIP runtime and MIOpen with dlopen and exercise them step
 * by step, reporting every step on a pipe (probe.h record protocol). Runs only in the forked
 * child (probe_run.c), which is what may die, hang or fault.
 *
 * No HIP or MIOpen header is used: the few prototypes are declared here from the real
 * headers (hip/hip_runtime_api.h; ROCm/MIOpen include/miopen/miopen.h), so rmcp builds and
 * runs without ROCm and loads whichever runtime the user has.
 *
 * Device properties: the name comes from hipDeviceGetName (a plain C signature since HIP 1).
 * gcnArchName has no attribute query, so it is read from hipGetDeviceProperties into a
 * zeroed 8 KiB buffer: the unversioned hipGetDeviceProperties symbol (hip_4.2) keeps the
 * pre-6.0 layout in HIP 6 and 7 (clr exports the 6.0 layout as hipGetDevicePropertiesR0600
 * and keeps hipGetDeviceProperties / hipGetDevicePropertiesR0000 for old binaries), in which
 * gcnArchName[256] sits at offset 396 (struct prefix below, checked by a static assert;
 * clr hipamd/include/hip/amd_detail/hip_prof_str.h / hip_deprecated.h hipDeviceProp_tR0000).
 * The buffer is larger than any layout, so a runtime with another layout cannot overrun it.
 */
#include "probe.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* ---- HIP (hip_runtime_api.h) ---- */

typedef int hip_error;
enum {
	HIP_MEMCPY_H2D = 1,		/* hipMemcpyHostToDevice */
	HIP_MEMCPY_D2H = 2,		/* hipMemcpyDeviceToHost */
	HIP_MEMCPY_DEFAULT = 4,		/* hipMemcpyDefault */
	HIP_MEM_ATTACH_GLOBAL = 1,	/* hipMemAttachGlobal */
};
#define HIP_HOST_MALLOC_COHERENT 0x40000000u
#define HIP_HOST_MALLOC_NONCOHERENT 0x80000000u

/* hipDeviceProp_t as HIP 4.x-5.x declare it (R0000), up to gcnArchName. */
struct hip_props_prefix {
	char name[256];
	size_t totalGlobalMem, sharedMemPerBlock;
	int regsPerBlock, warpSize, maxThreadsPerBlock, maxThreadsDim[3], maxGridSize[3];
	int clockRate, memoryClockRate, memoryBusWidth;
	size_t totalConstMem;
	int major, minor, multiProcessorCount, l2CacheSize, maxThreadsPerMultiProcessor;
	int computeMode, clockInstructionRate;
	unsigned arch;			/* hipDeviceArch_t: 32 bits of flags */
	int concurrentKernels, pciDomainID, pciBusID, pciDeviceID;
	size_t maxSharedMemoryPerMultiProcessor;
	int isMultiGpuBoard, canMapHostMemory, gcnArch;
	char gcnArchName[256];
};
_Static_assert(offsetof(struct hip_props_prefix, gcnArchName) == 396,
	       "hipDeviceProp_t (R0000) has gcnArchName at offset 396 on x86-64");
#define PROPS_BUF 8192

struct hip {
	void *h;
	hip_error (*init)(unsigned);
	hip_error (*get_device_count)(int *);
	hip_error (*set_device)(int);
	hip_error (*get_device_properties)(void *, int);
	hip_error (*device_get_name)(char *, int, int);
	hip_error (*runtime_get_version)(int *);
	hip_error (*driver_get_version)(int *);
	hip_error (*malloc)(void **, size_t);
	hip_error (*free)(void *);
	hip_error (*host_malloc)(void **, size_t, unsigned);
	hip_error (*host_free)(void *);
	hip_error (*malloc_managed)(void **, size_t, unsigned);
	hip_error (*memcpy)(void *, const void *, size_t, int);
	hip_error (*device_synchronize)(void);
	const char *(*get_error_string)(hip_error);
	const char *(*get_error_name)(hip_error);
	hip_error (*get_last_error)(void);
};

/* ---- MIOpen (include/miopen/miopen.h) ---- */

typedef int miopen_status;
typedef void *miopen_handle, *miopen_tensor, *miopen_conv;
enum { MIOPEN_FLOAT = 1, MIOPEN_CONVOLUTION = 0 };
struct miopen_algo_perf {		/* miopenConvAlgoPerf_t */
	int fwd_algo;			/* union of the three algorithm enums */
	float time;
	size_t memory;
};

struct miopen {
	void *h;
	miopen_status (*create)(miopen_handle *);
	miopen_status (*destroy)(miopen_handle);
	miopen_status (*create_tensor)(miopen_tensor *);
	miopen_status (*set_4d)(miopen_tensor, int, int, int, int, int);
	miopen_status (*destroy_tensor)(miopen_tensor);
	miopen_status (*create_conv)(miopen_conv *);
	miopen_status (*init_conv)(miopen_conv, int, int, int, int, int, int, int);
	miopen_status (*destroy_conv)(miopen_conv);
	miopen_status (*ws_size)(miopen_handle, miopen_tensor, miopen_tensor, miopen_conv,
				 miopen_tensor, size_t *);
	miopen_status (*find_fwd)(miopen_handle, miopen_tensor, const void *, miopen_tensor,
				  const void *, miopen_conv, miopen_tensor, void *, int, int *,
				  struct miopen_algo_perf *, void *, size_t, bool);
	miopen_status (*conv_fwd)(miopen_handle, const void *, miopen_tensor, const void *,
				  miopen_tensor, const void *, miopen_conv, int, const void *,
				  miopen_tensor, void *, void *, size_t);
	const char *(*error_string)(miopen_status);
	miopen_status (*get_version)(size_t *, size_t *, size_t *);
};

/* ---- reporting ---- */

struct child {
	int fd;
	struct hip hip;
	struct miopen mi;
	int device;
	void *dev_buf;		/* 1 MiB of device memory for the round trips */
	struct timespec t0;
	enum rmcp_probe_step step;
};

static void put(int fd, const char *buf, int n)
{
	for (int off = 0; n > 0 && off < n;) {
		ssize_t w = write(fd, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (int)w;
	}
}

static void fact(struct child *c, const char *key, const char *value)
{
	char buf[1024];
	put(c->fd, buf, rmcp_probe_record_fact(buf, sizeof(buf), key, value));
}

static void factf(struct child *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void factf(struct child *c, const char *key, const char *fmt, ...)
{
	char v[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	fact(c, key, v);
}

static void begin(struct child *c, enum rmcp_probe_step s)
{
	char buf[128];
	c->step = s;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	put(c->fd, buf, rmcp_probe_record_begin(buf, sizeof(buf), s));
}

/* End the current step; returns true if it was ok (the caller goes on). */
static bool end(struct child *c, enum rmcp_probe_class cls, int hip_err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool end(struct child *c, enum rmcp_probe_class cls, int hip_err, const char *fmt, ...)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e6;
	char detail[320], buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	put(c->fd, buf, rmcp_probe_record_end(buf, sizeof(buf), c->step, cls, hip_err, ms, detail));
	return cls == RMCP_PROBE_OK;
}

static const char *hip_text(struct child *c, hip_error e)
{
	const char *s = c->hip.get_error_string ? c->hip.get_error_string(e) : NULL;
	if ((!s || !*s) && c->hip.get_error_name)
		s = c->hip.get_error_name(e);
	return s && *s ? s : "unknown HIP error";
}

/* A failed HIP call ends the step with the class its code means. */
static bool hip_fail(struct child *c, const char *call, hip_error e)
{
	return end(c, rmcp_probe_class_for_hip(c->step, e), e, "%s: %s (%d)", call, hip_text(c, e), e);
}

/* ---- steps ---- */

static void *sym(void *h, const char *name, const char **missing)
{
	void *p = dlsym(h, name);
	if (!p && !*missing)
		*missing = name;
	return p;
}

#define LOAD(h, dst, name, missing) (*(void **)(&(dst)) = sym((h), (name), (missing)))
#define LOAD_OPT(h, dst, name) (*(void **)(&(dst)) = dlsym((h), (name)))

static bool step_runtime(struct child *c, const struct rmcp_probe_libs *libs)
{
	begin(c, RMCP_STEP_RUNTIME);
	fact(c, "source", libs->source);
	char errs[256] = "";
	for (size_t i = 0; i < libs->n_hip && !c->hip.h; i++) {
		c->hip.h = dlopen(libs->hip[i], RTLD_NOW | RTLD_LOCAL);
		if (!c->hip.h && !errs[0])
			snprintf(errs, sizeof(errs), "%s", dlerror());
	}
	if (!c->hip.h)
		return end(c, RMCP_PROBE_NO_RUNTIME, 0, "%s",
			   libs->n_hip ? errs : "no HIP runtime (libamdhip64) found");
	struct hip *h = &c->hip;
	const char *missing = NULL;
	LOAD(h->h, h->init, "hipInit", &missing);
	LOAD(h->h, h->get_device_count, "hipGetDeviceCount", &missing);
	LOAD(h->h, h->set_device, "hipSetDevice", &missing);
	LOAD(h->h, h->get_device_properties, "hipGetDeviceProperties", &missing);
	LOAD(h->h, h->malloc, "hipMalloc", &missing);
	LOAD(h->h, h->free, "hipFree", &missing);
	LOAD(h->h, h->host_malloc, "hipHostMalloc", &missing);
	LOAD(h->h, h->host_free, "hipHostFree", &missing);
	LOAD(h->h, h->malloc_managed, "hipMallocManaged", &missing);
	LOAD(h->h, h->memcpy, "hipMemcpy", &missing);
	LOAD(h->h, h->device_synchronize, "hipDeviceSynchronize", &missing);
	LOAD(h->h, h->get_error_string, "hipGetErrorString", &missing);
	LOAD_OPT(h->h, h->get_error_name, "hipGetErrorName");
	LOAD_OPT(h->h, h->get_last_error, "hipGetLastError");
	LOAD_OPT(h->h, h->device_get_name, "hipDeviceGetName");
	LOAD_OPT(h->h, h->runtime_get_version, "hipRuntimeGetVersion");
	LOAD_OPT(h->h, h->driver_get_version, "hipDriverGetVersion");
	Dl_info di;
	void *anchor = dlsym(h->h, "hipInit");
	if (anchor && dladdr(anchor, &di) && di.dli_fname)
		fact(c, "hip_path", di.dli_fname);
	if (missing)
		return end(c, RMCP_PROBE_NO_RUNTIME, 0, "not a HIP runtime: no %s", missing);
	int v = 0;
	if (h->runtime_get_version && h->runtime_get_version(&v) == 0 && v > 0)
		factf(c, "runtime_version", "%d", v);
	v = 0;
	if (h->driver_get_version && h->driver_get_version(&v) == 0 && v > 0)
		factf(c, "driver_version", "%d", v);
	return end(c, RMCP_PROBE_OK, 0, "%s", "loaded");
}

static bool step_init(struct child *c)
{
	begin(c, RMCP_STEP_INIT);
	hip_error e = c->hip.init(0);
	return e ? hip_fail(c, "hipInit", e) : end(c, RMCP_PROBE_OK, 0, "%s", "hipInit(0)");
}

static bool step_device(struct child *c)
{
	begin(c, RMCP_STEP_DEVICE);
	int n = 0;
	hip_error e = c->hip.get_device_count(&n);
	if (e)
		return hip_fail(c, "hipGetDeviceCount", e);
	factf(c, "device_count", "%d", n);
	if (n <= 0)
		return end(c, RMCP_PROBE_NO_DEVICE, 0, "%s", "hipGetDeviceCount: 0 devices");
	if (c->device >= n)
		return end(c, RMCP_PROBE_NO_DEVICE, 0, "device %d asked for, the runtime sees %d",
			   c->device, n);
	if ((e = c->hip.set_device(c->device)))
		return hip_fail(c, "hipSetDevice", e);
	char *props = calloc(1, PROPS_BUF);
	if (!props)
		return end(c, RMCP_PROBE_ERROR, 0, "%s", "out of memory");
	if ((e = c->hip.get_device_properties(props, c->device))) {
		free(props);
		return hip_fail(c, "hipGetDeviceProperties", e);
	}
	char arch[256], name[256] = "";
	memcpy(arch, props + offsetof(struct hip_props_prefix, gcnArchName), sizeof(arch));
	arch[sizeof(arch) - 1] = '\0';
	if (!c->hip.device_get_name || c->hip.device_get_name(name, (int)sizeof(name), c->device))
		memcpy(name, props, sizeof(name));	/* name[256] is the struct's first field */
	name[sizeof(name) - 1] = '\0';
	free(props);
	fact(c, "gpu_name", name);
	fact(c, "gpu_arch", arch);
	return end(c, RMCP_PROBE_OK, 0, "device %d of %d: %s (%s)", c->device, n, name,
		   arch[0] ? arch : "no gcnArchName");
}

#define ROUND_TRIP_BYTES (1u << 20)

static void pattern(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 11);
	}
}

/* host -> device -> host, compared byte for byte with what was written. */
static bool round_trip(struct child *c, void *host, int h2d, int d2h, uint32_t seed)
{
	unsigned char *want = malloc(ROUND_TRIP_BYTES);
	if (!want)
		return end(c, RMCP_PROBE_ERROR, 0, "%s", "out of memory");
	pattern(want, ROUND_TRIP_BYTES, seed);
	memcpy(host, want, ROUND_TRIP_BYTES);
	hip_error e = c->hip.memcpy(c->dev_buf, host, ROUND_TRIP_BYTES, h2d);
	if (!e) {
		memset(host, 0, ROUND_TRIP_BYTES);
		e = c->hip.memcpy(host, c->dev_buf, ROUND_TRIP_BYTES, d2h);
	}
	if (!e)
		e = c->hip.device_synchronize();
	if (e) {
		free(want);
		return hip_fail(c, "hipMemcpy", e);
	}
	const unsigned char *got = host;
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < ROUND_TRIP_BYTES; i++)
		if (got[i] != want[i] && bad++ == 0)
			first = i;
	bool ok = bad ? end(c, RMCP_PROBE_WRONG_RESULT, 0,
			    "%zu of %u bytes differ after the round trip; byte %zu: wrote 0x%02x, read 0x%02x",
			    bad, ROUND_TRIP_BYTES, first, want[first], got[first])
		      : end(c, RMCP_PROBE_OK, 0, "%u bytes host -> device -> host, identical",
			    ROUND_TRIP_BYTES);
	free(want);
	return ok;
}

static bool step_mem_device(struct child *c)
{
	begin(c, RMCP_STEP_MEM_DEVICE);
	hip_error e = c->hip.malloc(&c->dev_buf, ROUND_TRIP_BYTES);
	if (e) {
		c->dev_buf = NULL;
		return hip_fail(c, "hipMalloc", e);
	}
	void *host = malloc(ROUND_TRIP_BYTES);
	if (!host)
		return end(c, RMCP_PROBE_ERROR, 0, "%s", "out of memory");
	bool ok = round_trip(c, host, HIP_MEMCPY_H2D, HIP_MEMCPY_D2H, 1);
	free(host);
	return ok;
}

static bool step_mem_host(struct child *c, enum rmcp_probe_step s, unsigned flags, uint32_t seed)
{
	begin(c, s);
	void *host = NULL;
	hip_error e = c->hip.host_malloc(&host, ROUND_TRIP_BYTES, flags);
	if (e)
		return hip_fail(c, "hipHostMalloc", e);
	bool ok = round_trip(c, host, HIP_MEMCPY_H2D, HIP_MEMCPY_D2H, seed);
	c->hip.host_free(host);
	return ok;
}

static bool step_mem_managed(struct child *c)
{
	begin(c, RMCP_STEP_MEM_MANAGED);
	void *m = NULL;
	hip_error e = c->hip.malloc_managed(&m, ROUND_TRIP_BYTES, HIP_MEM_ATTACH_GLOBAL);
	if (e)
		return hip_fail(c, "hipMallocManaged", e);
	/* Managed memory is one address for both sides: hipMemcpyDefault, as CUDA's UVA. */
	bool ok = round_trip(c, m, HIP_MEMCPY_DEFAULT, HIP_MEMCPY_DEFAULT, 4);
	c->hip.free(m);
	return ok;
}

static bool step_miopen(struct child *c, const struct rmcp_probe_libs *libs)
{
	begin(c, RMCP_STEP_MIOPEN);
	char errs[256] = "";
	for (size_t i = 0; i < libs->n_miopen && !c->mi.h; i++) {
		c->mi.h = dlopen(libs->miopen[i], RTLD_NOW | RTLD_LOCAL);
		if (!c->mi.h && !errs[0])
			snprintf(errs, sizeof(errs), "%s", dlerror());
	}
	if (!c->mi.h)
		return end(c, RMCP_PROBE_NO_RUNTIME, 0, "no MIOpen next to the HIP runtime: %s",
			   libs->n_miopen ? errs : "nowhere to look");
	struct miopen *m = &c->mi;
	const char *missing = NULL;
	LOAD(m->h, m->create, "miopenCreate", &missing);
	LOAD(m->h, m->destroy, "miopenDestroy", &missing);
	LOAD(m->h, m->create_tensor, "miopenCreateTensorDescriptor", &missing);
	LOAD(m->h, m->set_4d, "miopenSet4dTensorDescriptor", &missing);
	LOAD(m->h, m->destroy_tensor, "miopenDestroyTensorDescriptor", &missing);
	LOAD(m->h, m->create_conv, "miopenCreateConvolutionDescriptor", &missing);
	LOAD(m->h, m->init_conv, "miopenInitConvolutionDescriptor", &missing);
	LOAD(m->h, m->destroy_conv, "miopenDestroyConvolutionDescriptor", &missing);
	LOAD(m->h, m->ws_size, "miopenConvolutionForwardGetWorkSpaceSize", &missing);
	LOAD(m->h, m->find_fwd, "miopenFindConvolutionForwardAlgorithm", &missing);
	LOAD(m->h, m->conv_fwd, "miopenConvolutionForward", &missing);
	LOAD_OPT(m->h, m->error_string, "miopenGetErrorString");
	LOAD_OPT(m->h, m->get_version, "miopenGetVersion");
	Dl_info di;
	void *anchor = dlsym(m->h, "miopenCreate");
	if (anchor && dladdr(anchor, &di) && di.dli_fname)
		fact(c, "miopen_path", di.dli_fname);
	if (missing)
		return end(c, RMCP_PROBE_NO_RUNTIME, 0, "not MIOpen: no %s", missing);
	size_t ma = 0, mi = 0, pa = 0;
	if (m->get_version && m->get_version(&ma, &mi, &pa) == 0)
		factf(c, "miopen_version", "%zu.%zu.%zu", ma, mi, pa);
	return end(c, RMCP_PROBE_OK, 0, "%s", "loaded");
}

static const char *mi_text(struct child *c, miopen_status s)
{
	const char *t = c->mi.error_string ? c->mi.error_string(s) : NULL;
	return t && *t ? t : "MIOpen error";
}

/* A MIOpen failure: the HIP error it ran into, if the runtime kept one, says which class. */
static bool mi_fail(struct child *c, const char *call, miopen_status s)
{
	hip_error e = c->hip.get_last_error ? c->hip.get_last_error() : 0;
	if (e)
		return end(c, rmcp_probe_class_for_hip(c->step, e), e, "%s: %s (%d); HIP: %s (%d)", call,
			   mi_text(c, s), s, hip_text(c, e), e);
	return end(c, RMCP_PROBE_ERROR, 0, "%s: %s (%d)", call, mi_text(c, s), s);
}

struct conv_bufs {
	float *x, *w, *y, *ref;
	void *dx, *dw, *dy, *ws;
	miopen_handle handle;
	miopen_tensor tx, tw, ty;
	miopen_conv conv;
};

static void conv_release(struct child *c, struct conv_bufs *b)
{
	struct miopen *m = &c->mi;
	if (b->conv)
		m->destroy_conv(b->conv);
	if (b->tx)
		m->destroy_tensor(b->tx);
	if (b->tw)
		m->destroy_tensor(b->tw);
	if (b->ty)
		m->destroy_tensor(b->ty);
	if (b->handle)
		m->destroy(b->handle);
	void *dev[] = { b->dx, b->dw, b->dy, b->ws };
	for (size_t i = 0; i < 4; i++)
		if (dev[i])
			c->hip.free(dev[i]);
	free(b->x);
	free(b->w);
	free(b->y);
	free(b->ref);
}

/* A small 3x3 convolution, padding 1: enough for MIOpen to pick and run a real solver. */
static const struct rmcp_conv_shape probe_shape = { .n = 1, .c = 3, .h = 8, .w = 8, .k = 4,
						     .r = 3, .s = 3, .pad = 1, .stride = 1 };

static bool conv_run(struct child *c, struct conv_bufs *b)
{
	const struct rmcp_conv_shape *sh = &probe_shape;
	struct miopen *m = &c->mi;
	int oh, ow;
	rmcp_conv_out_dim(sh, &oh, &ow);
	size_t nx = (size_t)sh->n * sh->c * sh->h * sh->w, nw = (size_t)sh->k * sh->c * sh->r * sh->s,
	       ny = (size_t)sh->n * sh->k * oh * ow;
	b->x = malloc(nx * sizeof(float));
	b->w = malloc(nw * sizeof(float));
	b->y = calloc(ny, sizeof(float));
	b->ref = malloc(ny * sizeof(float));
	if (!b->x || !b->w || !b->y || !b->ref)
		return end(c, RMCP_PROBE_ERROR, 0, "%s", "out of memory");
	rmcp_conv_fill(b->x, nx, 11);
	rmcp_conv_fill(b->w, nw, 23);
	rmcp_conv_reference(sh, b->x, b->w, b->ref);

	miopen_status s;
	hip_error e;
	if ((s = m->create(&b->handle)))
		return mi_fail(c, "miopenCreate", s);
	if ((s = m->create_tensor(&b->tx)) || (s = m->create_tensor(&b->tw)) ||
	    (s = m->create_tensor(&b->ty)))
		return mi_fail(c, "miopenCreateTensorDescriptor", s);
	if ((s = m->set_4d(b->tx, MIOPEN_FLOAT, sh->n, sh->c, sh->h, sh->w)) ||
	    (s = m->set_4d(b->tw, MIOPEN_FLOAT, sh->k, sh->c, sh->r, sh->s)) ||
	    (s = m->set_4d(b->ty, MIOPEN_FLOAT, sh->n, sh->k, oh, ow)))
		return mi_fail(c, "miopenSet4dTensorDescriptor", s);
	if ((s = m->create_conv(&b->conv)))
		return mi_fail(c, "miopenCreateConvolutionDescriptor", s);
	if ((s = m->init_conv(b->conv, MIOPEN_CONVOLUTION, sh->pad, sh->pad, sh->stride, sh->stride, 1, 1)))
		return mi_fail(c, "miopenInitConvolutionDescriptor", s);
	if ((e = c->hip.malloc(&b->dx, nx * sizeof(float))) ||
	    (e = c->hip.malloc(&b->dw, nw * sizeof(float))) ||
	    (e = c->hip.malloc(&b->dy, ny * sizeof(float))))
		return hip_fail(c, "hipMalloc", e);
	if ((e = c->hip.memcpy(b->dx, b->x, nx * sizeof(float), HIP_MEMCPY_H2D)) ||
	    (e = c->hip.memcpy(b->dw, b->w, nw * sizeof(float), HIP_MEMCPY_H2D)) ||
	    (e = c->hip.memcpy(b->dy, b->y, ny * sizeof(float), HIP_MEMCPY_H2D)))
		return hip_fail(c, "hipMemcpy", e);
	size_t ws = 0;
	if ((s = m->ws_size(b->handle, b->tw, b->tx, b->conv, b->ty, &ws)))
		return mi_fail(c, "miopenConvolutionForwardGetWorkSpaceSize", s);
	if (ws && (e = c->hip.malloc(&b->ws, ws)))
		return hip_fail(c, "hipMalloc (workspace)", e);
	struct miopen_algo_perf perf[4];
	memset(perf, 0, sizeof(perf));
	int found = 0;
	if ((s = m->find_fwd(b->handle, b->tx, b->dx, b->tw, b->dw, b->conv, b->ty, b->dy, 4, &found,
			     perf, b->ws, ws, false)))
		return mi_fail(c, "miopenFindConvolutionForwardAlgorithm", s);
	if (found < 1)
		return end(c, RMCP_PROBE_ERROR, 0, "%s", "miopenFindConvolutionForwardAlgorithm found no algorithm");
	const float alpha = 1.0f, beta = 0.0f;
	if ((s = m->conv_fwd(b->handle, &alpha, b->tx, b->dx, b->tw, b->dw, b->conv, perf[0].fwd_algo,
			     &beta, b->ty, b->dy, b->ws, ws)))
		return mi_fail(c, "miopenConvolutionForward", s);
	if ((e = c->hip.device_synchronize()))
		return hip_fail(c, "hipDeviceSynchronize", e);
	if ((e = c->hip.memcpy(b->y, b->dy, ny * sizeof(float), HIP_MEMCPY_D2H)))
		return hip_fail(c, "hipMemcpy", e);
	size_t first = 0, bad = rmcp_conv_compare(b->y, b->ref, ny, &first);
	if (bad)
		return end(c, RMCP_PROBE_WRONG_RESULT, 0,
			   "%zu of %zu outputs differ from the CPU reference (algorithm %d); output %zu: %g, expected %g",
			   bad, ny, perf[0].fwd_algo, first, (double)b->y[first], (double)b->ref[first]);
	return end(c, RMCP_PROBE_OK, 0, "%dx%dx%dx%d * %dx%dx%dx%d: %zu outputs equal the CPU reference (algorithm %d)",
		   sh->n, sh->c, sh->h, sh->w, sh->k, sh->c, sh->r, sh->s, ny, perf[0].fwd_algo);
}

static bool step_conv(struct child *c)
{
	begin(c, RMCP_STEP_CONV);
	struct conv_bufs b;
	memset(&b, 0, sizeof(b));
	bool ok = conv_run(c, &b);
	conv_release(c, &b);
	return ok;
}

void rmcp_probe_child(const struct rmcp_probe_libs *libs, int device, int fd)
{
	struct child c;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.device = device;
	bool ok = step_runtime(&c, libs) && step_init(&c) && step_device(&c) && step_mem_device(&c) &&
		  step_mem_host(&c, RMCP_STEP_MEM_HOST_COHERENT, HIP_HOST_MALLOC_COHERENT, 2) &&
		  step_mem_host(&c, RMCP_STEP_MEM_HOST_NONCOHERENT, HIP_HOST_MALLOC_NONCOHERENT, 3) &&
		  step_mem_managed(&c) && step_miopen(&c, libs) && step_conv(&c);
	(void)ok;
	if (c.dev_buf)
		c.hip.free(c.dev_buf);
	put(fd, "D\n", 2);
}
