/* SPDX-License-Identifier: MIT */
/*
 * TEST DOUBLE of libMIOpen.so.1 (ROCm's MIOpen), for the `rmcp probe` tests: no AMD GPU here,
 * and Debian 12 has no MIOpen package. It is not MIOpen; what it keeps from the real one:
 *   - soname libMIOpen.so.1 and the C entry points rmcp probe calls, with the signatures of
 *     ROCm/MIOpen include/miopen/miopen.h (declared below: there is no miopen.h to include);
 *   - its dependency on the HIP runtime (DT_NEEDED libamdhip64.so.6, resolved to whichever
 *     libamdhip64 the process already loaded, as the real one is);
 *   - code objects for a fixed set of processors, loaded through the HIP runtime like
 *     MIOpen loads its kernels (hipModuleLoadData): the set of PyTorch's official ROCm 6.2
 *     wheel, which has no gfx1010. On the HIP double's default gfx1010 device the load fails
 *     with hipErrorNoBinaryForGpu, the HIP error stays the thread's last error, and the
 *     call returns miopenStatusUnknownError, as a MIOpen without code for the GPU does;
 *   - the convolution's result: computed on the CPU (the HIP double's device memory is host
 *     memory), as miopenConvolution mode's cross-correlation, alpha and beta included.
 * RMCP_STUB_BEHAVIOUR (stub_behaviour.h) adds hang, fault, aperture, error=N and wrong for
 * miopenFindConvolutionForwardAlgorithm and miopenConvolutionForward.
 */
#define __HIP_PLATFORM_AMD__ 1
#include <hip/hip_runtime_api.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub_behaviour.h"
#include "stub_record.h"
#include "banned.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- miopen.h, the parts used ---- */

typedef enum {
	miopenStatusSuccess = 0,
	miopenStatusNotInitialized = 1,
	miopenStatusInvalidValue = 2,
	miopenStatusBadParm = 3,
	miopenStatusAllocFailed = 4,
	miopenStatusInternalError = 5,
	miopenStatusNotImplemented = 6,
	miopenStatusUnknownError = 7,
} miopenStatus_t;
typedef enum { miopenHalf = 0, miopenFloat = 1 } miopenDataType_t;
typedef enum { miopenConvolution = 0, miopenTranspose = 1 } miopenConvolutionMode_t;
typedef enum {
	miopenConvolutionFwdAlgoGEMM = 0,
	miopenConvolutionFwdAlgoDirect = 1,
} miopenConvFwdAlgorithm_t;
typedef struct {
	union {
		miopenConvFwdAlgorithm_t fwd_algo;
		int bwd_weights_algo, bwd_data_algo;
	};
	float time;
	size_t memory;
} miopenConvAlgoPerf_t;

struct miopenHandle {
	uint32_t magic;
};
struct miopenTensorDescriptor {
	uint32_t magic;
	miopenDataType_t type;
	int n, c, h, w;
};
struct miopenConvolutionDescriptor {
	uint32_t magic;
	miopenConvolutionMode_t mode;
	int pad_h, pad_w, stride_h, stride_w, dil_h, dil_w;
};
typedef struct miopenHandle *miopenHandle_t;
typedef struct miopenTensorDescriptor *miopenTensorDescriptor_t;
typedef struct miopenConvolutionDescriptor *miopenConvolutionDescriptor_t;

#define HANDLE_MAGIC 0x4d494f48u
#define TENSOR_MAGIC 0x4d494f54u
#define CONV_MAGIC 0x4d494f43u

EXPORT const char *miopenGetErrorString(miopenStatus_t error);
EXPORT miopenStatus_t miopenGetVersion(size_t *major, size_t *minor, size_t *patch);
EXPORT miopenStatus_t miopenCreate(miopenHandle_t *handle);
EXPORT miopenStatus_t miopenDestroy(miopenHandle_t handle);
EXPORT miopenStatus_t miopenCreateTensorDescriptor(miopenTensorDescriptor_t *tensorDesc);
EXPORT miopenStatus_t miopenSet4dTensorDescriptor(miopenTensorDescriptor_t tensorDesc,
						  miopenDataType_t dataType, int n, int c, int h, int w);
EXPORT miopenStatus_t miopenDestroyTensorDescriptor(miopenTensorDescriptor_t tensorDesc);
EXPORT miopenStatus_t miopenCreateConvolutionDescriptor(miopenConvolutionDescriptor_t *convDesc);
EXPORT miopenStatus_t miopenInitConvolutionDescriptor(miopenConvolutionDescriptor_t convDesc,
						      miopenConvolutionMode_t c_mode, int pad_h,
						      int pad_w, int stride_h, int stride_w,
						      int dilation_h, int dilation_w);
EXPORT miopenStatus_t miopenDestroyConvolutionDescriptor(miopenConvolutionDescriptor_t convDesc);
EXPORT miopenStatus_t miopenConvolutionForwardGetWorkSpaceSize(
	miopenHandle_t handle, const miopenTensorDescriptor_t wDesc, const miopenTensorDescriptor_t xDesc,
	const miopenConvolutionDescriptor_t convDesc, const miopenTensorDescriptor_t yDesc,
	size_t *workSpaceSize);
EXPORT miopenStatus_t miopenFindConvolutionForwardAlgorithm(
	miopenHandle_t handle, const miopenTensorDescriptor_t xDesc, const void *x,
	const miopenTensorDescriptor_t wDesc, const void *w, const miopenConvolutionDescriptor_t convDesc,
	const miopenTensorDescriptor_t yDesc, void *y, const int requestAlgoCount, int *returnedAlgoCount,
	miopenConvAlgoPerf_t *perfResults, void *workSpace, size_t workSpaceSize, bool exhaustiveSearch);
EXPORT miopenStatus_t miopenConvolutionForward(
	miopenHandle_t handle, const void *alpha, const miopenTensorDescriptor_t xDesc, const void *x,
	const miopenTensorDescriptor_t wDesc, const void *w, const miopenConvolutionDescriptor_t convDesc,
	miopenConvFwdAlgorithm_t algo, const void *beta, const miopenTensorDescriptor_t yDesc, void *y,
	void *workSpace, size_t workSpaceSize);

/* ---- "kernels": an offload bundle with code for the official wheel's processors ---- */

static const char *const kernel_targets[] = { "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942",
					      "gfx1030", "gfx1100" };
#define N_TARGETS (sizeof(kernel_targets) / sizeof(kernel_targets[0]))

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* clang-offload-bundler's uncompressed layout: magic, entry count, then per entry offset,
 * size, id length, id. Entries are empty: only the ids matter to the loader's match. */
static size_t make_bundle(unsigned char *b, size_t cap)
{
	size_t pos = 32;
	if (cap < pos)
		return 0;
	memcpy(b, "__CLANG_OFFLOAD_BUNDLE__", 24);
	put64(b + 24, N_TARGETS + 1);
	for (size_t i = 0; i <= N_TARGETS; i++) {
		char id[64];
		if (i == 0)
			snprintf(id, sizeof(id), "host-x86_64-unknown-linux-gnu");
		else
			snprintf(id, sizeof(id), "hipv4-amdgcn-amd-amdhsa--%s", kernel_targets[i - 1]);
		size_t n = strlen(id);
		if (pos + 24 + n > cap)
			return 0;
		put64(b + pos, 0);	/* offset: fixed below */
		put64(b + pos + 8, 0);
		put64(b + pos + 16, n);
		memcpy(b + pos + 24, id, n);
		pos += 24 + n;
	}
	for (size_t i = 0, p = 32; i <= N_TARGETS; i++) {
		uint64_t n = 0;
		for (int k = 7; k >= 0; k--)
			n = n << 8 | b[p + 16 + k];
		put64(b + p, pos);
		p += 24 + n;
	}
	return pos;
}

/* Load the kernels through the HIP runtime, as MIOpen does before running a solver. */
static miopenStatus_t load_kernels(const char *api)
{
	unsigned char bundle[1024];
	if (!make_bundle(bundle, sizeof(bundle)))
		return miopenStatusInternalError;
	hipModule_t mod = NULL;
	hipError_t e = hipModuleLoadData(&mod, bundle);
	stub_record("%s kernels rc=%d", api, (int)e);
	if (e != hipSuccess)
		return miopenStatusUnknownError;	/* the HIP error stays hipGetLastError's */
	hipModuleUnload(mod);
	return miopenStatusSuccess;
}

/* ---- entry points ---- */

EXPORT const char *miopenGetErrorString(miopenStatus_t error)
{
	switch (error) {
	case miopenStatusSuccess: return "miopenStatusSuccess";
	case miopenStatusBadParm: return "miopenStatusBadParm";
	case miopenStatusNotImplemented: return "miopenStatusNotImplemented";
	case miopenStatusUnknownError: return "miopenStatusUnknownError";
	default: return "miopenStatusInternalError";
	}
}

EXPORT miopenStatus_t miopenGetVersion(size_t *major, size_t *minor, size_t *patch)
{
	/* MIOpen 3.2.0 shipped with ROCm 6.2 */
	if (major)
		*major = 3;
	if (minor)
		*minor = 2;
	if (patch)
		*patch = 0;
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenCreate(miopenHandle_t *handle)
{
	if (!handle)
		return miopenStatusBadParm;
	int rc = stub_behave("miopenCreate");
	if (rc)
		return (miopenStatus_t)rc;
	*handle = calloc(1, sizeof(**handle));
	if (!*handle)
		return miopenStatusAllocFailed;
	(*handle)->magic = HANDLE_MAGIC;
	stub_record("miopenCreate");
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenDestroy(miopenHandle_t handle)
{
	if (!handle || handle->magic != HANDLE_MAGIC)
		return miopenStatusBadParm;
	handle->magic = 0;
	free(handle);
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenCreateTensorDescriptor(miopenTensorDescriptor_t *tensorDesc)
{
	if (!tensorDesc || !(*tensorDesc = calloc(1, sizeof(**tensorDesc))))
		return tensorDesc ? miopenStatusAllocFailed : miopenStatusBadParm;
	(*tensorDesc)->magic = TENSOR_MAGIC;
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenSet4dTensorDescriptor(miopenTensorDescriptor_t t, miopenDataType_t dataType,
						  int n, int c, int h, int w)
{
	if (!t || t->magic != TENSOR_MAGIC || n <= 0 || c <= 0 || h <= 0 || w <= 0)
		return miopenStatusBadParm;
	t->type = dataType;
	t->n = n;
	t->c = c;
	t->h = h;
	t->w = w;
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenDestroyTensorDescriptor(miopenTensorDescriptor_t t)
{
	if (!t || t->magic != TENSOR_MAGIC)
		return miopenStatusBadParm;
	t->magic = 0;
	free(t);
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenCreateConvolutionDescriptor(miopenConvolutionDescriptor_t *convDesc)
{
	if (!convDesc || !(*convDesc = calloc(1, sizeof(**convDesc))))
		return convDesc ? miopenStatusAllocFailed : miopenStatusBadParm;
	(*convDesc)->magic = CONV_MAGIC;
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenInitConvolutionDescriptor(miopenConvolutionDescriptor_t d,
						      miopenConvolutionMode_t c_mode, int pad_h,
						      int pad_w, int stride_h, int stride_w,
						      int dilation_h, int dilation_w)
{
	if (!d || d->magic != CONV_MAGIC || pad_h < 0 || pad_w < 0 || stride_h <= 0 || stride_w <= 0 ||
	    dilation_h <= 0 || dilation_w <= 0)
		return miopenStatusBadParm;
	*d = (struct miopenConvolutionDescriptor){ CONV_MAGIC, c_mode, pad_h, pad_w, stride_h,
						   stride_w, dilation_h, dilation_w };
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenDestroyConvolutionDescriptor(miopenConvolutionDescriptor_t d)
{
	if (!d || d->magic != CONV_MAGIC)
		return miopenStatusBadParm;
	d->magic = 0;
	free(d);
	return miopenStatusSuccess;
}

/* The problem must be one this double computes: float NCHW, plain convolution, matching
 * shapes. */
static miopenStatus_t check(const struct miopenTensorDescriptor *x, const struct miopenTensorDescriptor *w,
			    const struct miopenConvolutionDescriptor *c, const struct miopenTensorDescriptor *y)
{
	if (!x || !w || !c || !y || x->magic != TENSOR_MAGIC || w->magic != TENSOR_MAGIC ||
	    y->magic != TENSOR_MAGIC || c->magic != CONV_MAGIC)
		return miopenStatusBadParm;
	if (x->type != miopenFloat || w->type != miopenFloat || y->type != miopenFloat ||
	    c->mode != miopenConvolution || c->dil_h != 1 || c->dil_w != 1)
		return miopenStatusNotImplemented;
	int oh = (x->h + 2 * c->pad_h - w->h) / c->stride_h + 1;
	int ow = (x->w + 2 * c->pad_w - w->w) / c->stride_w + 1;
	if (w->c != x->c || y->n != x->n || y->c != w->n || y->h != oh || y->w != ow)
		return miopenStatusBadParm;
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenConvolutionForwardGetWorkSpaceSize(
	miopenHandle_t handle, const miopenTensorDescriptor_t wDesc, const miopenTensorDescriptor_t xDesc,
	const miopenConvolutionDescriptor_t convDesc, const miopenTensorDescriptor_t yDesc,
	size_t *workSpaceSize)
{
	if (!handle || handle->magic != HANDLE_MAGIC || !workSpaceSize)
		return miopenStatusBadParm;
	miopenStatus_t s = check(xDesc, wDesc, convDesc, yDesc);
	if (s == miopenStatusSuccess)
		*workSpaceSize = 0;	/* a direct solver needs none */
	return s;
}

static void convolve(const struct miopenTensorDescriptor *xd, const float *x,
		     const struct miopenTensorDescriptor *wd, const float *w,
		     const struct miopenConvolutionDescriptor *c, const struct miopenTensorDescriptor *yd,
		     float *y, float alpha, float beta)
{
	for (int n = 0; n < yd->n; n++)
		for (int k = 0; k < yd->c; k++)
			for (int i = 0; i < yd->h; i++)
				for (int j = 0; j < yd->w; j++) {
					double acc = 0;
					for (int ch = 0; ch < xd->c; ch++)
						for (int r = 0; r < wd->h; r++)
							for (int s = 0; s < wd->w; s++) {
								int yy = i * c->stride_h - c->pad_h + r;
								int xx = j * c->stride_w - c->pad_w + s;
								if (yy < 0 || yy >= xd->h || xx < 0 || xx >= xd->w)
									continue;
								acc += (double)x[((size_t)(n * xd->c + ch) * xd->h + yy) * xd->w + xx] *
								       (double)w[((size_t)(k * wd->c + ch) * wd->h + r) * wd->w + s];
							}
					float *out = &y[((size_t)(n * yd->c + k) * yd->h + i) * yd->w + j];
					*out = (float)(alpha * acc + (beta != 0 ? beta * *out : 0));
				}
}

EXPORT miopenStatus_t miopenFindConvolutionForwardAlgorithm(
	miopenHandle_t handle, const miopenTensorDescriptor_t xDesc, const void *x,
	const miopenTensorDescriptor_t wDesc, const void *w, const miopenConvolutionDescriptor_t convDesc,
	const miopenTensorDescriptor_t yDesc, void *y, const int requestAlgoCount, int *returnedAlgoCount,
	miopenConvAlgoPerf_t *perfResults, void *workSpace, size_t workSpaceSize, bool exhaustiveSearch)
{
	(void)workSpace, (void)workSpaceSize, (void)exhaustiveSearch;
	if (!handle || handle->magic != HANDLE_MAGIC || !x || !w || !y || requestAlgoCount < 1 ||
	    !returnedAlgoCount || !perfResults)
		return miopenStatusBadParm;
	miopenStatus_t s = check(xDesc, wDesc, convDesc, yDesc);
	if (s != miopenStatusSuccess)
		return s;
	int rc = stub_behave("miopenFindConvolutionForwardAlgorithm");
	if (rc)
		return (miopenStatus_t)rc;
	if ((s = load_kernels("miopenFindConvolutionForwardAlgorithm")) != miopenStatusSuccess)
		return s;
	/* Find runs the candidate solvers on the real buffers. */
	convolve(xDesc, x, wDesc, w, convDesc, yDesc, y, 1.0f, 0.0f);
	perfResults[0] = (miopenConvAlgoPerf_t){ .fwd_algo = miopenConvolutionFwdAlgoDirect,
						 .time = 0.01f, .memory = 0 };
	*returnedAlgoCount = 1;
	stub_record("miopenFindConvolutionForwardAlgorithm found=1");
	return miopenStatusSuccess;
}

EXPORT miopenStatus_t miopenConvolutionForward(
	miopenHandle_t handle, const void *alpha, const miopenTensorDescriptor_t xDesc, const void *x,
	const miopenTensorDescriptor_t wDesc, const void *w, const miopenConvolutionDescriptor_t convDesc,
	miopenConvFwdAlgorithm_t algo, const void *beta, const miopenTensorDescriptor_t yDesc, void *y,
	void *workSpace, size_t workSpaceSize)
{
	(void)workSpace, (void)workSpaceSize, (void)algo;
	if (!handle || handle->magic != HANDLE_MAGIC || !alpha || !beta || !x || !w || !y)
		return miopenStatusBadParm;
	miopenStatus_t s = check(xDesc, wDesc, convDesc, yDesc);
	if (s != miopenStatusSuccess)
		return s;
	int rc = stub_behave("miopenConvolutionForward");
	if (rc)
		return (miopenStatus_t)rc;
	if ((s = load_kernels("miopenConvolutionForward")) != miopenStatusSuccess)
		return s;
	convolve(xDesc, x, wDesc, w, convDesc, yDesc, y, *(const float *)alpha, *(const float *)beta);
	if (stub_wrong("miopenConvolutionForward")) {
		/* one output off by a visible amount: what a miscompiled solver gives */
		((float *)y)[5] += 0.25f;
	}
	stub_record("miopenConvolutionForward algo=%d", (int)algo);
	return miopenStatusSuccess;
}
