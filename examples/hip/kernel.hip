// SPDX-License-Identifier: MIT
// The device code of the demo snapshot's libraries: one small kernel, compiled by clang for
// each library's real target list (examples/assemble.sh). Built with -nogpulib -nogpuinc,
// so it declares the little of <hip/hip_runtime.h> clang's launch stubs need.
#include <stddef.h>

#define __global__ __attribute__((global))
typedef int hipError_t;
typedef struct ihipStream_t *hipStream_t;
struct dim3 {
	unsigned x, y, z;
	__attribute__((host, device)) dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
extern "C" hipError_t hipLaunchKernel(const void *, dim3, dim3, void **, size_t, hipStream_t);
extern "C" hipError_t __hipPushCallConfiguration(dim3, dim3, size_t, hipStream_t);
extern "C" hipError_t __hipPopCallConfiguration(dim3 *, dim3 *, size_t *, hipStream_t *);

#ifndef RMCP_EXAMPLE_KERNEL
#define RMCP_EXAMPLE_KERNEL rmcp_example_axpy
#endif

extern "C" __global__ void RMCP_EXAMPLE_KERNEL(float a, const float *x, float *y, unsigned n)
{
	unsigned i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
	if (i < n)
		y[i] = a * x[i] + y[i];
}

/* An int8 dot product, as quantized GEMMs have: on gfx1030 clang emits v_dot4_i32_i8, which a
 * gfx1010 cannot decode (research/binaries.md section 4.2), so under the 10.3.0 override
 * `rmcp doctor` and `rmcp scan --isa gfx1010` show kernels that cannot run. */
#define RMCP_DOT_KERNEL RMCP_CAT(RMCP_EXAMPLE_KERNEL, _dot4)
#define RMCP_CAT2(a, b) a##b
#define RMCP_CAT(a, b) RMCP_CAT2(a, b)
extern "C" __global__ void RMCP_DOT_KERNEL(const int *a, const int *b, int *c, unsigned n)
{
	unsigned i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
	if (i >= n)
		return;
#if defined(__gfx1030__)
	c[i] = __builtin_amdgcn_sdot4(a[i], b[i], c[i], false);
#else
	int s = c[i];
	for (int k = 0; k < 32; k += 8)
		s += (signed char)(a[i] >> k) * (signed char)(b[i] >> k);
	c[i] = s;
#endif
}

#define RMCP_CAT(a, b) RMCP_CAT2(a, b)
extern "C" hipError_t RMCP_CAT(RMCP_EXAMPLE_KERNEL, _launch)(float a, const float *x, float *y, unsigned n)
{
	RMCP_EXAMPLE_KERNEL<<<dim3((n + 63) / 64), dim3(64), 0, 0>>>(a, x, y, n);
	return 0;
}
