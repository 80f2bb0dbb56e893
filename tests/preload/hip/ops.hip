// SPDX-License-Identifier: MIT
// A HIP program for the librmcp.so tests, compiled by clang-22 at test time (build-hip.sh):
// the registration calls (__hipRegisterFatBinary, __hipRegisterFunction) and the offload
// bundle come from the compiler. It runs the operations named on its command line and prints
// one line per operation with what the runtime returned, e.g. "hostmalloc flags=0x0 rc=0".
// Built as an executable (main below) and as a shared object (rmcp_test_ops, for dlopen and
// library-constructor tests). Uses Debian's real hip/hip_runtime_api.h for every declaration.
#define __HIP_PLATFORM_AMD__ 1
#include <hip/hip_runtime_api.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define __global__ __attribute__((global))

extern "C" __global__ void rmcp_add_one(float *p, unsigned n)
{
	unsigned i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
	if (i < n)
		p[i] += 1.0f;
}

extern "C" __global__ void rmcp_scale(float *p, float s, unsigned n)
{
	unsigned i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
	if (i < n)
		p[i] *= s;
}

// hip_ext.h is C++ and declares these without extern "C" (mangled, as the runtime exports).
hipError_t hipExtModuleLaunchKernel(hipFunction_t f, uint32_t globalWorkSizeX,
				    uint32_t globalWorkSizeY, uint32_t globalWorkSizeZ,
				    uint32_t localWorkSizeX, uint32_t localWorkSizeY,
				    uint32_t localWorkSizeZ, size_t sharedMemBytes,
				    hipStream_t hStream, void **kernelParams, void **extra,
				    hipEvent_t startEvent, hipEvent_t stopEvent, uint32_t flags);
hipError_t hipHccModuleLaunchKernel(hipFunction_t f, uint32_t globalWorkSizeX,
				    uint32_t globalWorkSizeY, uint32_t globalWorkSizeZ,
				    uint32_t localWorkSizeX, uint32_t localWorkSizeY,
				    uint32_t localWorkSizeZ, size_t sharedMemBytes,
				    hipStream_t hStream, void **kernelParams, void **extra,
				    hipEvent_t startEvent, hipEvent_t stopEvent);
// functional_grid_launch.hpp (the pre-HIP-Clang hipLaunchKernelGGL path)
namespace hip_impl {
void hipLaunchKernelGGLImpl(uintptr_t function_address, const dim3 &numBlocks,
			    const dim3 &dimBlocks, uint32_t sharedMemBytes, hipStream_t stream,
			    void **kernarg);
}
extern "C" hipError_t hipExtLaunchKernel(const void *function_address, dim3 numBlocks,
					 dim3 dimBlocks, void **args, size_t sharedMemBytes,
					 hipStream_t stream, hipEvent_t startEvent,
					 hipEvent_t stopEvent, int flags);

#ifdef RMCP_OPS_DOT
// Uses v_dot4_i32_i8 (dot1-insts): gfx1030 has it, gfx1010 cannot decode it (binaries.md §4.2),
// so under HSA_OVERRIDE_GFX_VERSION=10.3.0 on a gfx1010 the guard's ISA check must refuse it.
extern "C" __global__ void rmcp_dot(int *p, int a, int b)
{
	p[__builtin_amdgcn_workitem_id_x()] = __builtin_amdgcn_sdot4(a, b, p[0], false);
}

// Decodes on a gfx1010, but a divergent store is followed by SALU writes to EXEC and by a
// v_cmpx after an EXEC read: gfx10.1 hazards (vmem-to-scalar-write-hazard,
// vcmpx-exec-war-hazard) LLVM fixes only when compiling for gfx1010 (docs/override.md).
extern "C" __global__ void rmcp_hazard(float *p, unsigned n)
{
	unsigned i = __builtin_amdgcn_workitem_id_x();
	if (i < n)
		p[i] = 1.0f;
	p[n] = 2.0f;
}
#endif

static const void *kernel(const char *name)
{
#ifdef RMCP_OPS_DOT
	if (strcmp(name, "dot") == 0)
		return (const void *)rmcp_dot;
	if (strcmp(name, "hazard") == 0)
		return (const void *)rmcp_hazard;
#endif
	return strcmp(name, "scale") == 0 ? (const void *)rmcp_scale : (const void *)rmcp_add_one;
}

static unsigned long flag(const char *s)
{
	return s ? strtoul(s, NULL, 0) : 0;
}

// op[:a[:b]] split in place
static int split(char *op, char **a, char **b)
{
	*a = *b = NULL;
	char *c = strchr(op, ':');
	if (!c)
		return 0;
	*c = '\0';
	*a = c + 1;
	c = strchr(*a, ':');
	if (c) {
		*c = '\0';
		*b = c + 1;
	}
	return 1;
}

static float buf[256];
static void *args[3];

static int launch_ok(const void *k)
{
	static unsigned n = 256;
	static float s = 2.0f;
	float *p = buf;
	args[0] = &p;
	args[1] = k == (const void *)rmcp_scale ? (void *)&s : (void *)&n;
	args[2] = &n;
	return hipLaunchKernel(k, dim3(4), dim3(64), args, 0, 0);
}

struct thread_arg {
	int iters;
	int fails;
	int blocked;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = (struct thread_arg *)p;
	for (int i = 0; i < t->iters; i++) {
		void *h = NULL;
		if (hipHostMalloc(&h, 4096, 0) != hipSuccess)
			t->fails++;
		else
			hipHostFree(h);
		int rc = launch_ok((const void *)rmcp_add_one);
		if (rc == hipErrorInvalidDeviceFunction)
			t->blocked++;
		else if (rc != hipSuccess)
			t->fails++;
	}
	return NULL;
}

static void run_threads(int n, int iters)
{
	pthread_t th[64];
	struct thread_arg ta[64];
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		ta[i] = {iters, 0, 0};
		pthread_create(&th[i], NULL, thread_main, &ta[i]);
	}
	int fails = 0, blocked = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		fails += ta[i].fails;
		blocked += ta[i].blocked;
	}
	printf("threads n=%d iters=%d fails=%d launch98=%d\n", n, iters, fails, blocked);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc(n > 0 ? (size_t)n : 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

// HIP 6.x entry points and extern "C" spellings, looked up by name (not in the 5.2 headers).
typedef hipError_t (*modlaunch13_fn)(hipFunction_t, uint32_t, uint32_t, uint32_t, uint32_t,
				     uint32_t, uint32_t, size_t, hipStream_t, void **, void **,
				     hipEvent_t, hipEvent_t, uint32_t);
typedef hipError_t (*modcoop_fn)(hipFunction_t, unsigned, unsigned, unsigned, unsigned,
				 unsigned, unsigned, unsigned, hipStream_t, void **);
typedef hipError_t (*drvex_fn)(const void *, hipFunction_t, void **, void **);
typedef hipError_t (*exc_fn)(const void *, const void *, void **);

static int by_name_launch(const char *op, hipFunction_t f)
{
	void *fn = dlsym(RTLD_DEFAULT, strcmp(op, "modextc") == 0 ? "hipExtModuleLaunchKernel"
				       : strcmp(op, "modcoop") == 0 ? "hipModuleLaunchCooperativeKernel"
								    : "hipDrvLaunchKernelEx");
	if (!fn)
		return -1;	// printed as "launch rc=-1": the runtime has no such entry point
	if (strcmp(op, "modextc") == 0)
		return ((modlaunch13_fn)fn)(f, 256, 1, 1, 64, 1, 1, 0, 0, NULL, NULL, NULL, NULL, 0);
	if (strcmp(op, "modcoop") == 0)
		return ((modcoop_fn)fn)(f, 4, 1, 1, 64, 1, 1, 0, 0, NULL);
	return ((drvex_fn)fn)(NULL, f, NULL, NULL);
}

// mod<how>:PATH[:KERNEL] -- load (hipModuleLoad; moddata/moddataex: from memory), get the
// function, launch it through the entry point <how> names, unload.
static int module_op(const char *op, const char *path, const char *kname)
{
	hipModule_t mod = NULL;
	int rc;
	void *image = NULL;
	if (strncmp(op, "moddata", 7) == 0) {
		size_t len;
		image = read_file(path, &len);
		rc = strcmp(op, "moddataex") == 0 ? hipModuleLoadDataEx(&mod, image, 0, NULL, NULL)
						   : hipModuleLoadData(&mod, image);
	} else {
		rc = hipModuleLoad(&mod, path);
	}
	printf("%s load rc=%d\n", op, rc);
	if (rc != hipSuccess) {
		free(image);
		return rc;
	}
	hipFunction_t f = NULL;
	rc = hipModuleGetFunction(&f, mod, kname);
	printf("%s getfunction rc=%d\n", op, rc);
	if (rc == hipSuccess) {
		if (strcmp(op, "modext") == 0)
			rc = hipExtModuleLaunchKernel(f, 256, 1, 1, 64, 1, 1, 0, 0, NULL, NULL, NULL,
						      NULL, 0);
		else if (strcmp(op, "modhcc") == 0)
			rc = hipHccModuleLaunchKernel(f, 256, 1, 1, 64, 1, 1, 0, 0, NULL, NULL, NULL,
						      NULL);
		else if (!strcmp(op, "modextc") || !strcmp(op, "modcoop") || !strcmp(op, "moddrv"))
			rc = by_name_launch(op, f);
		else
			rc = hipModuleLaunchKernel(f, 4, 1, 1, 64, 1, 1, 0, 0, NULL, NULL);
		printf("%s launch rc=%d\n", op, rc);
	}
	free(image);	// the runtime has what it needs: the guard must not keep pointers into it
	printf("%s unload rc=%d\n", op, hipModuleUnload(mod));
	return rc;
}

typedef hipError_t (*alloc_fn)(void **, size_t, unsigned);
typedef hipError_t (*getproc_fn)(const char *, void **, int, uint64_t, void *);

// Where a function pointer lives: "librmcp" or the runtime's file name.
static const char *where(void *p)
{
	Dl_info di;
	if (!p || !dladdr(p, &di) || !di.dli_fname)
		return "none";
	const char *s = strrchr(di.dli_fname, '/');
	return s ? s + 1 : di.dli_fname;
}

static void one(char *op)
{
	char *a, *b;
	split(op, &a, &b);
	void *p = NULL;
	// Every allocation is freed again: the sanitizer runs (test_real.c) report leaks.
	if (strcmp(op, "hostmalloc") == 0) {
		printf("hostmalloc flags=0x%lx rc=%d\n", flag(a), hipHostMalloc(&p, 4096, (unsigned)flag(a)));
		hipHostFree(p);
	} else if (strcmp(op, "hostalloc") == 0) {
		printf("hostalloc flags=0x%lx rc=%d\n", flag(a), hipHostAlloc(&p, 4096, (unsigned)flag(a)));
		hipHostFree(p);
	} else if (strcmp(op, "exthostalloc") == 0) {
		alloc_fn f = (alloc_fn)dlsym(RTLD_DEFAULT, "hipExtHostAlloc");
		if (f)
			printf("exthostalloc flags=0x%lx rc=%d\n", flag(a), f(&p, 4096, (unsigned)flag(a)));
		else
			printf("exthostalloc absent\n");
		hipHostFree(p);
	} else if (strcmp(op, "extmalloc") == 0) {
		size_t size = b ? (size_t)flag(b) : 4096;
		printf("extmalloc flags=0x%lx size=%zu rc=%d\n", flag(a), size,
		       hipExtMallocWithFlags(&p, size, (unsigned)flag(a)));
		hipFree(p);
	} else if (strcmp(op, "managed") == 0) {
		printf("managed flags=0x%lx rc=%d\n", flag(a), hipMallocManaged(&p, 4096, (unsigned)flag(a)));
		hipFree(p);
	} else if (strcmp(op, "register") == 0) {
		static char reg[8192];
		int rc = hipHostRegister(reg, sizeof(reg), (unsigned)flag(a));
		printf("register flags=0x%lx rc=%d\n", flag(a), rc);
		if (rc == hipSuccess)
			hipHostUnregister(reg);
	} else if (strcmp(op, "mallochost") == 0) {
		printf("mallochost rc=%d\n", hipMallocHost(&p, 4096));
		hipHostFree(p);
	} else if (strcmp(op, "launch") == 0) {
		printf("launch %s rc=%d\n", a, launch_ok(kernel(a)));
	} else if (strcmp(op, "chevron") == 0) {
		rmcp_add_one<<<dim3(4), dim3(64), 0, 0>>>(buf, 256);
		printf("chevron rc=%d\n", hipGetLastError());
	} else if (strcmp(op, "spt") == 0) {
		printf("spt rc=%d\n", hipLaunchKernel_spt(kernel(a), dim3(4), dim3(64), args, 0, 0));
	} else if (strcmp(op, "extlaunch") == 0) {
		printf("extlaunch rc=%d\n", hipExtLaunchKernel(kernel(a), dim3(4), dim3(64), args, 0, 0, NULL, NULL, 0));
	} else if (strcmp(op, "coop") == 0) {
		printf("coop rc=%d\n", hipLaunchCooperativeKernel(kernel(a), dim3(4), dim3(64), args, 0, 0));
	} else if (strcmp(op, "multi") == 0) {
		hipLaunchParams lp[1];
		lp[0].func = (void *)kernel(a);
		lp[0].gridDim = dim3(4);
		lp[0].blockDim = dim3(64);
		lp[0].args = args;
		lp[0].sharedMem = 0;
		lp[0].stream = 0;
		printf("multi rc=%d\n", hipExtLaunchMultiKernelMultiDevice(lp, 1, 0));
	} else if (strcmp(op, "ggl") == 0) {
		dim3 g(4), bl(64);
		hip_impl::hipLaunchKernelGGLImpl((uintptr_t)kernel(a), g, bl, 0, 0, args);
		printf("ggl done\n");
	} else if (strcmp(op, "exc") == 0) {
		exc_fn f = (exc_fn)dlsym(RTLD_DEFAULT, "hipLaunchKernelExC");
		printf("exc rc=%d\n", f ? f(NULL, kernel(a), args) : -1);
	} else if (strcmp(op, "entrypoint") == 0) {
		typedef hipError_t (*ep_fn)(const char *, void **, unsigned long long, void *);
		ep_fn ep = (ep_fn)dlsym(RTLD_DEFAULT, "hipGetDriverEntryPoint");
		void *fn = NULL;
		int rc = ep ? ep(a, &fn, 0, NULL) : -1;
		printf("entrypoint %s rc=%d in=%s\n", a, rc, where(fn));
	} else if (strcmp(op, "byptr") == 0) {
		hipConfigureCall(dim3(4), dim3(64), 0, 0);
		printf("byptr rc=%d\n", hipLaunchByPtr(kernel(a)));
	} else if (strncmp(op, "mod", 3) == 0) {
		module_op(op, a, b ? b : "rmcp_add_one");
	} else if (strcmp(op, "procaddr") == 0) {
		getproc_fn gp = (getproc_fn)dlsym(RTLD_DEFAULT, "hipGetProcAddress");
		void *fn = NULL;
		int rc = gp ? gp(a, &fn, 600, 0, NULL) : -1;
		printf("procaddr %s rc=%d in=%s\n", a, rc, where(fn));
	} else if (strcmp(op, "threads") == 0) {
		run_threads(a ? (int)flag(a) : 32, b ? (int)flag(b) : 1000);
	} else if (strcmp(op, "props") == 0) {
		hipDeviceProp_t prop;
		int rc = hipGetDeviceProperties(&prop, 0);
		printf("props rc=%d arch=%s\n", rc, rc == 0 ? prop.gcnArchName : "?");
	} else if (strcmp(op, "count") == 0) {
		int n = -1;
		int rc = hipGetDeviceCount(&n);
		printf("count rc=%d n=%d\n", rc, n);
	} else {
		printf("unknown op %s\n", op);
	}
	fflush(stdout);
}

// The remaining operations run in a forked child ("fork"), while another thread keeps
// calling hooked functions in the parent ("forkbusy"), so fork can land inside a hook.
static volatile int busy_stop;

static void *busy_main(void *)
{
	while (!busy_stop) {
		void *h = NULL;
		if (hipHostMalloc(&h, 4096, 0) == hipSuccess)
			hipHostFree(h);
		launch_ok((const void *)rmcp_add_one);
	}
	return NULL;
}

extern "C" int rmcp_test_ops(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "fork") == 0 || strcmp(argv[i], "forkbusy") == 0) {
			pthread_t busy;
			int with_busy = strcmp(argv[i], "forkbusy") == 0;
			if (with_busy)
				pthread_create(&busy, NULL, busy_main, NULL);
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				for (int j = i + 1; j < argc; j++)
					one(argv[j]);
				exit(0);
			}
			int st = 0;
			waitpid(pid, &st, 0);
			if (with_busy) {
				busy_stop = 1;
				pthread_join(busy, NULL);
			}
			printf("child exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			return 0;
		}
		one(argv[i]);
	}
	return 0;
}

#ifdef RMCP_OPS_MAIN
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return rmcp_test_ops(argc - 1, argv + 1);
}
#endif
