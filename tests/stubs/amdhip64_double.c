/* SPDX-License-Identifier: MIT */
/*
 * TEST DOUBLE of libamdhip64.so.5 / .so.6 (ROCm's HIP runtime, clr), for the tests that need
 * an AMD GPU this machine does not have. It is not a HIP implementation: no kernel runs.
 * What it keeps from the real runtime:
 *   - soname, symbol names, symbol version (hip_4.2) and signatures: the definitions below
 *     are compiled against Debian's real hip/hip_runtime_api.h (libamdhip64-dev, ROCm 5.2);
 *     the 6.x additions (built with -DSTUB_HIP6 into libamdhip64.so.6) follow
 *     ROCm/rocm-systems projects/hip/include/hip/hip_runtime_api.h;
 *   - one device that reports gfx1010 (RMCP_STUB_GFX changes it; HSA_OVERRIDE_GFX_VERSION
 *     overrides it the way libhsakmt does), and code-object matching by that ISA: a launch of
 *     a kernel whose image has no code object for it fails with hipErrorInvalidDeviceFunction,
 *     hipModuleLoadData of such an image with hipErrorNoBinaryForGpu;
 *   - the flag rules of clr's allocators (hipamd/src/hip_memory.cpp: ihipHostMalloc's
 *     coherence decision and invalid combinations, hipHostAlloc flags > 7,
 *     hipExtMallocWithFlags by ==) and their HSA pools (rocdevice.cpp Device::hostAlloc,
 *     rocmemory.cpp: hipHostRegister -> lock_to_pool(system fine pool)), calling the HSA
 *     double through the PLT as clr does, so an interposer sees those calls;
 *   - runtime-internal allocations: a fine-grained buffer at runtime init, a kernarg buffer
 *     from the kernarg pool at each launch;
 *   - self-calls through the PLT (the real 5.2 library calls 12 of its own exports that way,
 *     research/interposer.md §3): hipModuleLoad -> hipModuleLoadData, hipLaunchKernel_spt ->
 *     hipLaunchKernel.
 * Every call is recorded with every argument that matters (stub_record.h).
 */
#define __HIP_PLATFORM_AMD__ 1
#include <hip/hip_runtime_api.h>
#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "stub_record.h"
/* ---- rmcp probe behaviours (issue 6, stub_behaviour.h): RMCP_STUB_BEHAVIOUR ---- */
#include "stub_behaviour.h"
#define STUB_BEHAVE(name)                                  \
	do {                                               \
		int behave_rc_ = stub_behave(name);         \
		if (behave_rc_)                             \
			return ret((hipError_t)behave_rc_);    \
	} while (0)
/* ---- end of rmcp probe behaviours ---- */
#include "banned.h"

#define EXPORT __attribute__((visibility("default")))

/* From the HSA double (not part of the real ABI). */
uint64_t rmcp_stub_hsa_pool(const char *name);
void rmcp_stub_isa(char *buf, size_t cap);

static char isa[64];
static hsa_amd_memory_pool_t pool_cpu_fine, pool_cpu_coarse, pool_kernarg, pool_gpu_coarse,
	pool_gpu_fine;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static __thread hipError_t last_error;

static void runtime_init(void)
{
	rmcp_stub_isa(isa, sizeof(isa));
	pool_cpu_fine.handle = rmcp_stub_hsa_pool("cpu-fine");
	pool_cpu_coarse.handle = rmcp_stub_hsa_pool("cpu-coarse");
	pool_kernarg.handle = rmcp_stub_hsa_pool("cpu-kernarg");
	pool_gpu_coarse.handle = rmcp_stub_hsa_pool("gpu-coarse");
	pool_gpu_fine.handle = rmcp_stub_hsa_pool("gpu-fine");
	stub_record("hip_runtime_init isa=%s", isa);
	/* clr allocates fine-grained system memory for its own use while it initialises
	 * (device, blit kernels, signals): one such buffer, which must stay fine-grained. */
	void *p = NULL;
	if (hsa_amd_memory_pool_allocate(pool_cpu_fine, 4096, 0, &p) == HSA_STATUS_SUCCESS)
		hsa_amd_memory_pool_free(p);
}

static void ensure_init(void)
{
	pthread_once(&init_once, runtime_init);
}

static hipError_t ret(hipError_t e)
{
	last_error = e;
	return e;
}

/* ---- code objects: which processors an image has code for ---- */

struct image_info {
	char targets[256];	/* processors, comma separated */
	int has_code;		/* a code object for the device ISA */
	unsigned char *copy;	/* the (decompressed) image, for kernel names */
	size_t copy_len;
};

static void add_target(struct image_info *ii, const char *t, size_t n)
{
	size_t have = strlen(ii->targets);
	if (have + n + 2 >= sizeof(ii->targets))
		return;
	if (have)
		ii->targets[have++] = ',';
	memcpy(ii->targets + have, t, n);
	ii->targets[have + n] = '\0';
	size_t il = strlen(isa);
	/* processor part of a target ID, before any ":feature" */
	size_t proc = strcspn(ii->targets + have, ":");
	if (proc == il && memcmp(ii->targets + have, isa, il) == 0)
		ii->has_code = 1;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* EF_AMDGPU_MACH for the processors the tests use (llvm BinaryFormat/ELF.h). */
static const char *mach_name(unsigned mach)
{
	switch (mach) {
	case 0x2f: return "gfx906";
	case 0x33: return "gfx1010";
	case 0x36: return "gfx1030";
	case 0x3f: return "gfx90a";
	case 0x41: return "gfx1100";
	default: return "unknown";
	}
}

/* Uncompressed offload bundle: "__CLANG_OFFLOAD_BUNDLE__", u64 n, n x {off, size, idlen, id}. */
static int bundle_targets(const unsigned char *b, size_t len, struct image_info *ii)
{
	if (len < 32 || memcmp(b, "__CLANG_OFFLOAD_BUNDLE__", 24) != 0)
		return -1;
	uint64_t n = le64(b + 24), pos = 32;
	for (uint64_t i = 0; i < n && i < 64; i++) {
		if (len - pos < 24)
			return -1;
		uint64_t idlen = le64(b + pos + 16);
		pos += 24;
		if (idlen > len - pos)
			return -1;
		const char *id = (const char *)b + pos;
		/* "hipv4-amdgcn-amd-amdhsa--gfx1030" */
		const char *t = memmem(id, idlen, "amdgcn-amd-amdhsa-", 18);
		if (t) {
			t += 18;
			if (t < id + idlen && *t == '-')
				t++;
			add_target(ii, t, (size_t)(id + idlen - t));
		}
		pos += idlen;
	}
	return 0;
}

static int inspect(const unsigned char *img, size_t len, struct image_info *ii, const char **kind)
{
	memset(ii, 0, sizeof(*ii));
	if (len >= 64 && memcmp(img, "\177ELF", 4) == 0) {
		*kind = "elf";
		const char *t = mach_name(le32(img + 48) & 0xff);
		add_target(ii, t, strlen(t));
		ii->copy = malloc(len);
		if (ii->copy) {
			memcpy(ii->copy, img, len);
			ii->copy_len = len;
		}
		return 0;
	}
	if (len >= 24 && memcmp(img, "__CLANG_OFFLOAD_BUNDLE__", 24) == 0) {
		*kind = "bundle";
		ii->copy = malloc(len);
		if (ii->copy) {
			memcpy(ii->copy, img, len);
			ii->copy_len = len;
		}
		return bundle_targets(img, len, ii);
	}
	if (len >= 32 && memcmp(img, "CCOB", 4) == 0) {
		*kind = "ccob";
		unsigned version = img[4] | img[5] << 8, method = img[6] | img[7] << 8;
		uint64_t total, raw;
		size_t hdr;
		if (version == 2) {
			total = le32(img + 8);
			raw = le32(img + 12);
			hdr = 24;
		} else if (version == 3) {
			total = le64(img + 8);
			raw = le64(img + 16);
			hdr = 32;
		} else {
			return -1;
		}
		if (total > len || total < hdr || raw > (1u << 30))
			return -1;
		unsigned char *out = malloc(raw ? raw : 1);
		if (!out)
			return -1;
		size_t got = 0;
		if (method == 1) {
			got = ZSTD_decompress(out, raw, img + hdr, total - hdr);
			if (ZSTD_isError(got))
				got = 0;
		} else {
			uLongf dl = (uLongf)raw;
			got = uncompress(out, &dl, img + hdr, (uLong)(total - hdr)) == Z_OK ? dl : 0;
		}
		ii->copy = out;
		ii->copy_len = got;
		return bundle_targets(out, got, ii);
	}
	*kind = "unknown";
	return -1;
}

/* ---- registered fat binaries and kernels ---- */

#define MAX_FATBINS 256
#define MAX_FUNCS 4096

struct fatbin {
	const void *wrapper;
	struct image_info ii;
};

struct func {
	const void *host;
	const char *name;
	struct fatbin *fb;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fatbin fatbins[MAX_FATBINS];
static size_t n_fatbins;
static struct func funcs[MAX_FUNCS];
static atomic_size_t n_funcs;

/* The size of the image the wrapper points at, from its own headers (like clr). */
static size_t image_size(const unsigned char *b)
{
	if (memcmp(b, "CCOB", 4) == 0) {
		unsigned version = b[4] | b[5] << 8;
		return version == 2 ? le32(b + 8) : version == 3 ? (size_t)le64(b + 8) : 0;
	}
	if (memcmp(b, "__CLANG_OFFLOAD_BUNDLE__", 24) == 0) {
		uint64_t n = le64(b + 24), pos = 32, end = 32;
		for (uint64_t i = 0; i < n && i < 64; i++) {
			uint64_t off = le64(b + pos), size = le64(b + pos + 8), idlen = le64(b + pos + 16);
			pos += 24 + idlen;
			if (off + size > end)
				end = off + size;
		}
		return end > pos ? end : pos;
	}
	if (memcmp(b, "\177ELF", 4) == 0) {
		uint64_t shoff = le64(b + 40);
		unsigned shentsize = b[58] | b[59] << 8, shnum = b[60] | b[61] << 8;
		return shoff + (uint64_t)shentsize * shnum;
	}
	return 0;
}

struct wrapper {
	uint32_t magic, version;
	const void *binary;
	void *dummy;
};

EXPORT void **__hipRegisterFatBinary(const void *data);
EXPORT void **__hipRegisterFatBinary(const void *data)
{
	ensure_init();
	const struct wrapper *w = data;
	if (!w || w->magic != 0x48495046u || w->version != 1) {
		stub_record("__hipRegisterFatBinary bad-wrapper");
		return NULL;
	}
	pthread_mutex_lock(&reg_lock);
	struct fatbin *fb = n_fatbins < MAX_FATBINS ? &fatbins[n_fatbins++] : NULL;
	pthread_mutex_unlock(&reg_lock);
	if (!fb)
		return NULL;
	fb->wrapper = data;
	const char *kind = "?";
	inspect(w->binary, image_size(w->binary), &fb->ii, &kind);
	stub_record("__hipRegisterFatBinary kind=%s targets=%s has_code=%d", kind, fb->ii.targets,
		    fb->ii.has_code);
	return (void **)fb;
}

EXPORT void __hipRegisterFunction(void **modules, const void *hostFunction, char *deviceFunction,
				  const char *deviceName, unsigned int threadLimit, void *tid,
				  void *bid, dim3 *blockDim, dim3 *gridDim, int *wSize);
EXPORT void __hipRegisterFunction(void **modules, const void *hostFunction, char *deviceFunction,
				  const char *deviceName, unsigned int threadLimit, void *tid,
				  void *bid, dim3 *blockDim, dim3 *gridDim, int *wSize)
{
	(void)deviceFunction, (void)threadLimit, (void)tid, (void)bid, (void)blockDim,
		(void)gridDim, (void)wSize;
	pthread_mutex_lock(&reg_lock);
	size_t n = atomic_load(&n_funcs);
	if (n < MAX_FUNCS) {
		funcs[n] = (struct func){ hostFunction, strdup(deviceName), (struct fatbin *)modules };
		atomic_store(&n_funcs, n + 1);
	}
	pthread_mutex_unlock(&reg_lock);
	stub_record("__hipRegisterFunction name=%s", deviceName);
}

EXPORT void __hipUnregisterFatBinary(void **modules);
EXPORT void __hipUnregisterFatBinary(void **modules)
{
	(void)modules;
	stub_record("__hipUnregisterFatBinary");
}

static const struct func *find_func(const void *host)
{
	size_t n = atomic_load_explicit(&n_funcs, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (funcs[i].host == host)
			return &funcs[i];
	return NULL;
}

/* A kernel launch as clr does it, minus the GPU: kernarg from the kernarg pool. */
static hipError_t launch(const char *api, const char *name, int has_code, dim3 g, dim3 b,
			 size_t shmem)
{
	hipError_t rc = hipSuccess;
	if (!name)
		rc = hipErrorInvalidDeviceFunction;
	else if (!has_code)
		rc = hipErrorInvalidDeviceFunction;	/* "invalid device function" */
	if (rc == hipSuccess) {
		void *kernarg = NULL;
		if (hsa_amd_memory_pool_allocate(pool_kernarg, 256, 0, &kernarg) == HSA_STATUS_SUCCESS)
			hsa_amd_memory_pool_free(kernarg);
	}
	stub_record("%s kernel=%s grid=%u,%u,%u block=%u,%u,%u shmem=%zu rc=%d", api,
		    name ? name : "?", g.x, g.y, g.z, b.x, b.y, b.z, shmem, (int)rc);
	return ret(rc);
}

static hipError_t launch_host(const char *api, const void *f, dim3 g, dim3 b, size_t shmem)
{
	ensure_init();
	const struct func *fn = find_func(f);
	return launch(api, fn ? fn->name : NULL, fn && fn->fb->ii.has_code, g, b, shmem);
}

EXPORT hipError_t hipLaunchKernel(const void *function_address, dim3 numBlocks, dim3 dimBlocks,
				  void **args, size_t sharedMemBytes, hipStream_t stream)
{
	(void)args, (void)stream;
	return launch_host("hipLaunchKernel", function_address, numBlocks, dimBlocks, sharedMemBytes);
}

EXPORT hipError_t hipLaunchKernel_spt(const void *function_address, dim3 numBlocks,
				      dim3 dimBlocks, void **args, size_t sharedMemBytes,
				      hipStream_t stream)
{
	stub_record("hipLaunchKernel_spt");
	/* Through the PLT, as a runtime calling its own export would. */
	return hipLaunchKernel(function_address, numBlocks, dimBlocks, args, sharedMemBytes, stream);
}

EXPORT hipError_t hipExtLaunchKernel(const void *function_address, dim3 numBlocks,
				     dim3 dimBlocks, void **args, size_t sharedMemBytes,
				     hipStream_t stream, hipEvent_t startEvent,
				     hipEvent_t stopEvent, int flags);
EXPORT hipError_t hipExtLaunchKernel(const void *function_address, dim3 numBlocks,
				     dim3 dimBlocks, void **args, size_t sharedMemBytes,
				     hipStream_t stream, hipEvent_t startEvent,
				     hipEvent_t stopEvent, int flags)
{
	(void)args, (void)stream, (void)startEvent, (void)stopEvent, (void)flags;
	return launch_host("hipExtLaunchKernel", function_address, numBlocks, dimBlocks,
			   sharedMemBytes);
}

EXPORT hipError_t hipLaunchCooperativeKernel(const void *f, dim3 gridDim, dim3 blockDimX,
					     void **kernelParams, unsigned int sharedMemBytes,
					     hipStream_t stream)
{
	(void)kernelParams, (void)stream;
	return launch_host("hipLaunchCooperativeKernel", f, gridDim, blockDimX, sharedMemBytes);
}

EXPORT hipError_t hipLaunchCooperativeKernel_spt(const void *f, dim3 gridDim, dim3 blockDim,
						 void **kernelParams, uint32_t sharedMemBytes,
						 hipStream_t hStream)
{
	(void)kernelParams, (void)hStream;
	return launch_host("hipLaunchCooperativeKernel_spt", f, gridDim, blockDim, sharedMemBytes);
}

static hipError_t launch_multi(const char *api, hipLaunchParams *list, int n)
{
	hipError_t rc = hipSuccess;
	for (int i = 0; list && i < n && rc == hipSuccess; i++)
		rc = launch_host(api, list[i].func, list[i].gridDim, list[i].blockDim,
				 list[i].sharedMem);
	return rc;
}

EXPORT hipError_t hipLaunchCooperativeKernelMultiDevice(hipLaunchParams *launchParamsList,
							int numDevices, unsigned int flags)
{
	(void)flags;
	return launch_multi("hipLaunchCooperativeKernelMultiDevice", launchParamsList, numDevices);
}

EXPORT hipError_t hipExtLaunchMultiKernelMultiDevice(hipLaunchParams *launchParamsList,
						     int numDevices, unsigned int flags)
{
	(void)flags;
	return launch_multi("hipExtLaunchMultiKernelMultiDevice", launchParamsList, numDevices);
}

/* <<<>>> (clang CGCUDANV): push the configuration, then the stub pops it and launches. */
struct config {
	dim3 grid, block;
	size_t shmem;
	hipStream_t stream;
};
static __thread struct config cfg_stack[8];
static __thread int cfg_depth;

EXPORT hipError_t __hipPushCallConfiguration(dim3 gridDim, dim3 blockDim, size_t sharedMem,
					     hipStream_t stream);
EXPORT hipError_t __hipPushCallConfiguration(dim3 gridDim, dim3 blockDim, size_t sharedMem,
					     hipStream_t stream)
{
	if (cfg_depth >= 8)
		return hipErrorInvalidConfiguration;
	cfg_stack[cfg_depth++] = (struct config){ gridDim, blockDim, sharedMem, stream };
	return hipSuccess;
}

EXPORT hipError_t __hipPopCallConfiguration(dim3 *gridDim, dim3 *blockDim, size_t *sharedMem,
					    hipStream_t *stream);
EXPORT hipError_t __hipPopCallConfiguration(dim3 *gridDim, dim3 *blockDim, size_t *sharedMem,
					    hipStream_t *stream)
{
	if (cfg_depth <= 0)
		return hipErrorMissingConfiguration;
	struct config c = cfg_stack[--cfg_depth];
	*gridDim = c.grid;
	*blockDim = c.block;
	*sharedMem = c.shmem;
	*stream = c.stream;
	return hipSuccess;
}

EXPORT hipError_t hipConfigureCall(dim3 gridDim, dim3 blockDim, size_t sharedMem,
				   hipStream_t stream)
{
	return __hipPushCallConfiguration(gridDim, blockDim, sharedMem, stream);
}

EXPORT hipError_t hipLaunchByPtr(const void *func)
{
	struct config c = { { 1, 1, 1 }, { 1, 1, 1 }, 0, NULL };
	if (cfg_depth > 0)
		c = cfg_stack[--cfg_depth];
	return launch_host("hipLaunchByPtr", func, c.grid, c.block, c.shmem);
}

/* hip_impl::hipLaunchKernelGGLImpl(uintptr_t, const dim3&, const dim3&, uint32_t,
 * hipStream_t, void**) (functional_grid_launch.hpp). */
EXPORT void stub_gglimpl(uintptr_t function_address, const dim3 *numBlocks,
			 const dim3 *dimBlocks, uint32_t sharedMemBytes, hipStream_t stream,
			 void **kernarg)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");
EXPORT void stub_gglimpl(uintptr_t function_address, const dim3 *numBlocks,
			 const dim3 *dimBlocks, uint32_t sharedMemBytes, hipStream_t stream,
			 void **kernarg)
{
	(void)stream, (void)kernarg;
	launch_host("hipLaunchKernelGGLImpl", (const void *)function_address, *numBlocks,
		    *dimBlocks, sharedMemBytes);
}

/* ---- module API ---- */

struct module {
	struct image_info ii;
};

struct modfunc {
	uint32_t magic;
	struct module *mod;
	char name[200];
};
#define MODFUNC_MAGIC 0x4b46554eu

EXPORT hipError_t hipModuleLoadData(hipModule_t *module, const void *image)
{
	ensure_init();
	STUB_BEHAVE("hipModuleLoadData");
	if (!module || !image)
		return ret(hipErrorInvalidValue);
	struct module *m = calloc(1, sizeof(*m));
	if (!m)
		return ret(hipErrorOutOfMemory);
	const char *kind = "?";
	int ok = inspect(image, image_size(image), &m->ii, &kind) == 0;
	hipError_t rc = !ok ? hipErrorInvalidImage : m->ii.has_code ? hipSuccess
								     : hipErrorNoBinaryForGpu;
	stub_record("hipModuleLoadData kind=%s targets=%s rc=%d", kind, m->ii.targets, (int)rc);
	if (rc != hipSuccess) {
		free(m->ii.copy);
		free(m);
		return ret(rc);
	}
	*module = (hipModule_t)m;
	return ret(hipSuccess);
}

EXPORT hipError_t hipModuleLoadDataEx(hipModule_t *module, const void *image,
				      unsigned int numOptions, hipJitOption *options,
				      void **optionValues)
{
	(void)numOptions, (void)options, (void)optionValues;
	stub_record("hipModuleLoadDataEx");
	return hipModuleLoadData(module, image);
}

EXPORT hipError_t hipModuleLoad(hipModule_t *module, const char *fname)
{
	ensure_init();
	int fd = open(fname, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return ret(hipErrorFileNotFound);
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	stub_record("hipModuleLoad file=%s", fname);
	if (got != st.st_size) {
		free(buf);
		return ret(hipErrorInvalidImage);
	}
	/* Through the PLT, as clr's hipModuleLoad reaches its loader. */
	hipError_t rc = hipModuleLoadData(module, buf);
	free(buf);
	return rc;
}

EXPORT hipError_t hipModuleUnload(hipModule_t module)
{
	struct module *m = (struct module *)module;
	stub_record("hipModuleUnload");
	if (m) {
		free(m->ii.copy);
		free(m);
	}
	return ret(hipSuccess);
}

EXPORT hipError_t hipModuleGetFunction(hipFunction_t *function, hipModule_t module,
				       const char *kname)
{
	struct module *m = (struct module *)module;
	hipError_t rc = hipSuccess;
	if (!function || !m || !kname)
		rc = hipErrorInvalidValue;
	else if (!m->ii.copy || !memmem(m->ii.copy, m->ii.copy_len, kname, strlen(kname)))
		rc = hipErrorNotFound;
	struct modfunc *f = NULL;
	if (rc == hipSuccess && !(f = calloc(1, sizeof(*f))))
		rc = hipErrorOutOfMemory;
	if (f) {
		f->magic = MODFUNC_MAGIC;
		f->mod = m;
		snprintf(f->name, sizeof(f->name), "%s", kname);
		*function = (hipFunction_t)f;
	}
	stub_record("hipModuleGetFunction name=%s rc=%d", kname ? kname : "?", (int)rc);
	return ret(rc);
}

static hipError_t launch_module(const char *api, hipFunction_t fn, unsigned gx, unsigned gy,
				unsigned gz, unsigned bx, unsigned by, unsigned bz, size_t shmem)
{
	const struct modfunc *f = (const struct modfunc *)fn;
	if (!f || f->magic != MODFUNC_MAGIC)
		return launch(api, NULL, 0, (dim3){ gx, gy, gz }, (dim3){ bx, by, bz }, shmem);
	return launch(api, f->name, f->mod->ii.has_code, (dim3){ gx, gy, gz }, (dim3){ bx, by, bz },
		      shmem);
}

EXPORT hipError_t hipModuleLaunchKernel(hipFunction_t f, unsigned int gridDimX,
					unsigned int gridDimY, unsigned int gridDimZ,
					unsigned int blockDimX, unsigned int blockDimY,
					unsigned int blockDimZ, unsigned int sharedMemBytes,
					hipStream_t stream, void **kernelParams, void **extra)
{
	(void)stream, (void)kernelParams, (void)extra;
	return launch_module("hipModuleLaunchKernel", f, gridDimX, gridDimY, gridDimZ, blockDimX,
			     blockDimY, blockDimZ, sharedMemBytes);
}

/* hip_ext.h declares these without extern "C": the 5.2 library exports them mangled. */
EXPORT hipError_t stub_ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
					 uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
					 hipStream_t s, void **kp, void **extra, hipEvent_t a,
					 hipEvent_t b, uint32_t flags)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");
EXPORT hipError_t stub_ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
					 uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
					 hipStream_t s, void **kp, void **extra, hipEvent_t a,
					 hipEvent_t b, uint32_t flags)
{
	(void)s, (void)kp, (void)extra, (void)a, (void)b, (void)flags;
	/* global work size: grid in work-items */
	return launch_module("hipExtModuleLaunchKernel", f, gx, gy, gz, lx, ly, lz, shmem);
}

EXPORT hipError_t stub_hcc_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
					 uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
					 hipStream_t s, void **kp, void **extra, hipEvent_t a,
					 hipEvent_t b)
	__asm__("_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_");
EXPORT hipError_t stub_hcc_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
					 uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
					 hipStream_t s, void **kp, void **extra, hipEvent_t a,
					 hipEvent_t b)
{
	(void)s, (void)kp, (void)extra, (void)a, (void)b;
	return launch_module("hipHccModuleLaunchKernel", f, gx, gy, gz, lx, ly, lz, shmem);
}

/* ---- device ---- */

EXPORT hipError_t hipInit(unsigned int flags)
{
	ensure_init();
	STUB_BEHAVE("hipInit");
	stub_record("hipInit flags=%u", flags);
	return ret(hipSuccess);
}

EXPORT hipError_t hipGetDeviceCount(int *count)
{
	ensure_init();
	STUB_BEHAVE("hipGetDeviceCount");
	if (!count)
		return ret(hipErrorInvalidValue);
	*count = 1;
	return ret(hipSuccess);
}

EXPORT hipError_t hipGetDevice(int *deviceId)
{
	if (!deviceId)
		return ret(hipErrorInvalidValue);
	*deviceId = 0;
	return ret(hipSuccess);
}

EXPORT hipError_t hipSetDevice(int deviceId)
{
	STUB_BEHAVE("hipSetDevice");
	return ret(deviceId == 0 ? hipSuccess : hipErrorInvalidDevice);
}

EXPORT hipError_t hipGetDeviceProperties(hipDeviceProp_t *prop, int deviceId)
{
	ensure_init();
	STUB_BEHAVE("hipGetDeviceProperties");
	if (!prop || deviceId != 0)
		return ret(hipErrorInvalidValue);
	memset(prop, 0, sizeof(*prop));
	snprintf(prop->name, sizeof(prop->name), "rmcp test double (%s)", isa);
	snprintf(prop->gcnArchName, sizeof(prop->gcnArchName), "%s", isa);
	prop->major = 10;
	prop->warpSize = 32;
	return ret(hipSuccess);
}

EXPORT hipError_t hipDeviceSynchronize(void)
{
	return ret(hipSuccess);
}

EXPORT hipError_t hipGetLastError(void)
{
	hipError_t e = last_error;
	last_error = hipSuccess;
	return e;
}

EXPORT hipError_t hipPeekAtLastError(void)
{
	return last_error;
}

EXPORT const char *hipGetErrorName(hipError_t hip_error)
{
	switch (hip_error) {
	case hipSuccess: return "hipSuccess";
	case hipErrorInvalidValue: return "hipErrorInvalidValue";
	case hipErrorInvalidDeviceFunction: return "hipErrorInvalidDeviceFunction";
	case hipErrorNoBinaryForGpu: return "hipErrorNoBinaryForGpu";
	case hipErrorOutOfMemory: return "hipErrorOutOfMemory";		/* rmcp probe tests */
	case hipErrorNoDevice: return "hipErrorNoDevice";
	case hipErrorInvalidDevice: return "hipErrorInvalidDevice";
	default: return "hipErrorUnknown";
	}
}

EXPORT const char *hipGetErrorString(hipError_t hipError)
{
	return hipGetErrorName(hipError);
}

/* ---- memory (clr hipamd/src/hip_memory.cpp) ---- */

#define F_PORTABLE 0x1u
#define F_MAPPED 0x2u
#define F_WC 0x4u
#define F_UNCACHED 0x10000000u	/* HIP 7.0 */
#define F_NUMA 0x20000000u
#define F_COHERENT 0x40000000u
#define F_NONCOHERENT 0x80000000u
#define F_KNOWN (F_PORTABLE | F_MAPPED | F_WC | F_UNCACHED | F_NUMA | F_COHERENT | F_NONCOHERENT)

static hipError_t pool_alloc(hsa_amd_memory_pool_t pool, size_t size, void **ptr)
{
	return hsa_amd_memory_pool_allocate(pool, size, 0, ptr) == HSA_STATUS_SUCCESS
		       ? hipSuccess : hipErrorOutOfMemory;
}

/* ihipHostMalloc: which allocations are coherent, which combinations are invalid. */
static hipError_t host_malloc(const char *api, void **ptr, size_t size, unsigned flags)
{
	ensure_init();
	hipError_t rc = hipSuccess;
	int coherent = 0;
	if (!ptr || (flags & ~F_KNOWN) ||
	    ((flags & F_COHERENT) && (flags & F_NONCOHERENT)) ||
	    ((flags & F_UNCACHED) && (flags & (F_COHERENT | F_NONCOHERENT)))) {
		rc = hipErrorInvalidValue;
	} else {
		const char *hc = getenv("HIP_HOST_COHERENT");
		coherent = flags == 0 || (flags & (F_COHERENT | F_MAPPED | F_NUMA)) ||
			   (!(flags & F_NONCOHERENT) && hc && strcmp(hc, "1") == 0);
		if (flags & F_NONCOHERENT)
			coherent = 0;
		if (flags & F_UNCACHED)
			coherent = 1;
		rc = size == 0 ? (*ptr = NULL, hipSuccess)
			       : pool_alloc(coherent ? pool_cpu_fine : pool_cpu_coarse, size, ptr);
	}
	stub_record("%s size=%zu flags=0x%x coherent=%d rc=%d", api, size, flags, coherent, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipHostMalloc(void **ptr, size_t size, unsigned int flags)
{
	STUB_BEHAVE("hipHostMalloc");
	return host_malloc("hipHostMalloc", ptr, size, flags);
}

EXPORT hipError_t hipHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	if (flags > (F_PORTABLE | F_MAPPED | F_WC)) {
		stub_record("hipHostAlloc size=%zu flags=0x%x rc=%d", size, flags,
			    (int)hipErrorInvalidValue);
		return ret(hipErrorInvalidValue);
	}
	return host_malloc("hipHostAlloc", ptr, size, flags);
}

EXPORT hipError_t hipMallocHost(void **ptr, size_t size)
{
	/* ihipMalloc(FINE_GRAIN) without ATOMICS: non-coherent already. */
	ensure_init();
	hipError_t rc = ptr ? pool_alloc(pool_cpu_coarse, size, ptr) : hipErrorInvalidValue;
	stub_record("hipMallocHost size=%zu rc=%d", size, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipHostFree(void *ptr)
{
	hsa_amd_memory_pool_free(ptr);
	return ret(hipSuccess);
}

EXPORT hipError_t hipFreeHost(void *ptr)
{
	hsa_amd_memory_pool_free(ptr);
	return ret(hipSuccess);
}

EXPORT hipError_t hipMalloc(void **ptr, size_t size)
{
	ensure_init();
	STUB_BEHAVE("hipMalloc");
	hipError_t rc = ptr ? pool_alloc(pool_gpu_coarse, size ? size : 1, ptr) : hipErrorInvalidValue;
	stub_record("hipMalloc size=%zu rc=%d", size, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipFree(void *ptr)
{
	hsa_amd_memory_pool_free(ptr);
	return ret(hipSuccess);
}

EXPORT hipError_t hipExtMallocWithFlags(void **ptr, size_t sizeBytes, unsigned int flags)
{
	ensure_init();
	hipError_t rc = hipSuccess;
	hsa_amd_memory_pool_t pool = pool_gpu_coarse;
	switch (flags) {
	case 0:	/* hipDeviceMallocDefault */
	case 4:	/* hipDeviceMallocContiguous */
		break;
	case 1:	/* hipDeviceMallocFinegrained */
	case 3:	/* hipDeviceMallocUncached (ext-fine) */
		pool = pool_gpu_fine;
		break;
	case 2:	/* hipMallocSignalMemory: an HSA signal, 8 bytes, fine system memory */
		if (sizeBytes != 8)
			rc = hipErrorInvalidValue;
		pool = pool_cpu_fine;
		break;
	default:
		rc = hipErrorInvalidValue;
	}
	if (rc == hipSuccess)
		rc = ptr ? pool_alloc(pool, sizeBytes ? sizeBytes : 1, ptr) : hipErrorInvalidValue;
	stub_record("hipExtMallocWithFlags size=%zu flags=0x%x rc=%d", sizeBytes, flags, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipMallocManaged(void **dev_ptr, size_t size, unsigned int flags)
{
	ensure_init();
	STUB_BEHAVE("hipMallocManaged");
	hipError_t rc = hipSuccess;
	if (!dev_ptr || (flags != hipMemAttachGlobal && flags != hipMemAttachHost))
		rc = hipErrorInvalidValue;
	else
		rc = (*dev_ptr = calloc(1, size ? size : 1)) ? hipSuccess : hipErrorOutOfMemory;
	stub_record("hipMallocManaged size=%zu flags=0x%x rc=%d", size, flags, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipMemAdvise(const void *dev_ptr, size_t count, hipMemoryAdvise advice,
			       int device)
{
	hipError_t rc = dev_ptr ? hipSuccess : hipErrorInvalidValue;
	stub_record("hipMemAdvise size=%zu advice=%d device=%d rc=%d", count, (int)advice, device,
		    (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipHostRegister(void *hostPtr, size_t sizeBytes, unsigned int flags)
{
	ensure_init();
	hipError_t rc = hipSuccess;
	if (!hostPtr || sizeBytes == 0 || flags > 0xf)
		rc = hipErrorInvalidValue;
	/* Always SVM_ATOMICS: lock to the system fine pool (rocmemory.cpp). */
	hsa_agent_t gpu = { 0x2000 };
	void *agent_ptr = NULL;
	if (rc == hipSuccess &&
	    hsa_amd_memory_lock_to_pool(hostPtr, sizeBytes, &gpu, 1, pool_cpu_fine, 0, &agent_ptr) !=
		    HSA_STATUS_SUCCESS)
		rc = hipErrorOutOfMemory;
	stub_record("hipHostRegister size=%zu flags=0x%x rc=%d", sizeBytes, flags, (int)rc);
	return ret(rc);
}

EXPORT hipError_t hipHostUnregister(void *hostPtr)
{
	hsa_amd_memory_unlock(hostPtr);
	return ret(hipSuccess);
}

EXPORT hipError_t hipMemcpy(void *dst, const void *src, size_t sizeBytes, hipMemcpyKind kind)
{
	STUB_BEHAVE("hipMemcpy");
	(void)kind;
	if (sizeBytes)
		memmove(dst, src, sizeBytes);
	return ret(hipSuccess);
}

#ifdef STUB_HIP6
/* ---- HIP 6.x additions (rocm-systems projects/hip/include/hip/hip_runtime_api.h) ---- */

EXPORT hipError_t hipExtHostAlloc(void **ptr, size_t size, unsigned int flags);
EXPORT hipError_t hipExtHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	return host_malloc("hipExtHostAlloc", ptr, size, flags);
}

/* clr hip_device.cpp: dlsym on the runtime's own handle. */
static const char anchor;

static void *own_symbol(const char *symbol)
{
	Dl_info di;
	if (!symbol || !dladdr(&anchor, &di))
		return NULL;
	void *h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	return h ? dlsym(h, symbol) : NULL;
}

EXPORT hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hipVersion,
				    uint64_t flags, void *symbolStatus);
EXPORT hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hipVersion,
				    uint64_t flags, void *symbolStatus)
{
	(void)hipVersion, (void)flags;
	if (!pfn)
		return ret(hipErrorInvalidValue);
	*pfn = own_symbol(symbol);
	if (symbolStatus)
		*(int *)symbolStatus = *pfn ? 0 : 1;
	stub_record("hipGetProcAddress symbol=%s found=%d", symbol ? symbol : "?", *pfn != NULL);
	return ret(*pfn ? hipSuccess : hipErrorInvalidValue);
}

EXPORT hipError_t hipGetDriverEntryPoint(const char *symbol, void **funcPtr,
					 unsigned long long flags, void *status);
EXPORT hipError_t hipGetDriverEntryPoint(const char *symbol, void **funcPtr,
					 unsigned long long flags, void *status)
{
	(void)flags;
	if (!funcPtr)
		return ret(hipErrorInvalidValue);
	*funcPtr = own_symbol(symbol);
	if (status)
		*(int *)status = *funcPtr ? 0 : 1;
	stub_record("hipGetDriverEntryPoint symbol=%s found=%d", symbol ? symbol : "?",
		    *funcPtr != NULL);
	return ret(*funcPtr ? hipSuccess : hipErrorInvalidValue);
}

EXPORT hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f, unsigned int gridDimX,
						   unsigned int gridDimY, unsigned int gridDimZ,
						   unsigned int blockDimX, unsigned int blockDimY,
						   unsigned int blockDimZ,
						   unsigned int sharedMemBytes, hipStream_t stream,
						   void **kernelParams);
EXPORT hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f, unsigned int gridDimX,
						   unsigned int gridDimY, unsigned int gridDimZ,
						   unsigned int blockDimX, unsigned int blockDimY,
						   unsigned int blockDimZ,
						   unsigned int sharedMemBytes, hipStream_t stream,
						   void **kernelParams)
{
	(void)stream, (void)kernelParams;
	return launch_module("hipModuleLaunchCooperativeKernel", f, gridDimX, gridDimY, gridDimZ,
			     blockDimX, blockDimY, blockDimZ, sharedMemBytes);
}

EXPORT hipError_t hipLaunchKernelExC(const void *config, const void *fPtr, void **args);
EXPORT hipError_t hipLaunchKernelExC(const void *config, const void *fPtr, void **args)
{
	(void)config, (void)args;
	return launch_host("hipLaunchKernelExC", fPtr, (dim3){ 1, 1, 1 }, (dim3){ 1, 1, 1 }, 0);
}

EXPORT hipError_t hipDrvLaunchKernelEx(const void *config, hipFunction_t f, void **params,
				       void **extra);
EXPORT hipError_t hipDrvLaunchKernelEx(const void *config, hipFunction_t f, void **params,
				       void **extra)
{
	(void)config, (void)params, (void)extra;
	return launch_module("hipDrvLaunchKernelEx", f, 1, 1, 1, 1, 1, 1, 0);
}
#endif

/* ---- rmcp probe (issue 6): the entry points it asks for device facts ---- */

EXPORT hipError_t hipDeviceGetName(char *name, int len, hipDevice_t device)
{
	ensure_init();
	if (!name || len <= 0 || device != 0)
		return ret(hipErrorInvalidValue);
	snprintf(name, (size_t)len, "rmcp test double (%s)", isa);
	return ret(hipSuccess);
}

/* HIP_VERSION of the release each double stands in for (major*10^7 + minor*10^5 + patch). */
EXPORT hipError_t hipRuntimeGetVersion(int *runtimeVersion)
{
	if (!runtimeVersion)
		return ret(hipErrorInvalidValue);
#ifdef STUB_HIP6
	*runtimeVersion = 60241134;
#else
	*runtimeVersion = 50221153;
#endif
	return ret(hipSuccess);
}

EXPORT hipError_t hipDriverGetVersion(int *driverVersion)
{
	return hipRuntimeGetVersion(driverVersion);
}
/* ---- end of rmcp probe entry points ---- */
