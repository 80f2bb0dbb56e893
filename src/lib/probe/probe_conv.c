/* SPDX-License-Identifier: MIT */
/* The probe's convolution check, pure: shape, inputs and the CPU reference the MIOpen result
 * of probe_child.c is compared with (probe.h rmcp_conv_*; tested without a GPU). */
#include "probe.h"

#include <stddef.h>
#include <stdint.h>

#include "banned.h"

int rmcp_conv_out_dim(const struct rmcp_conv_shape *sh, int *oh, int *ow)
{
	*oh = *ow = 0;
	if (sh->n <= 0 || sh->c <= 0 || sh->h <= 0 || sh->w <= 0 || sh->k <= 0 || sh->r <= 0 ||
	    sh->s <= 0 || sh->pad < 0 || sh->stride <= 0)
		return 0;
	int h = sh->h + 2 * sh->pad - sh->r, w = sh->w + 2 * sh->pad - sh->s;
	if (h < 0 || w < 0)
		return 0;
	*oh = h / sh->stride + 1;
	*ow = w / sh->stride + 1;
	return 1;
}

void rmcp_conv_fill(float *v, size_t n, uint32_t seed)
{
	uint32_t x = seed * 747796405u + 2891336453u;
	for (size_t i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		v[i] = (float)((double)(x >> 8) / (double)(1u << 24) * 2.0 - 1.0);
	}
}

void rmcp_conv_reference(const struct rmcp_conv_shape *sh, const float *x, const float *w, float *y)
{
	int oh, ow;
	if (!rmcp_conv_out_dim(sh, &oh, &ow))
		return;
	for (int n = 0; n < sh->n; n++)
		for (int k = 0; k < sh->k; k++)
			for (int i = 0; i < oh; i++)
				for (int j = 0; j < ow; j++) {
					double acc = 0;
					for (int c = 0; c < sh->c; c++)
						for (int r = 0; r < sh->r; r++)
							for (int s = 0; s < sh->s; s++) {
								int yy = i * sh->stride - sh->pad + r;
								int xx = j * sh->stride - sh->pad + s;
								if (yy < 0 || yy >= sh->h || xx < 0 || xx >= sh->w)
									continue;
								acc += (double)x[((size_t)(n * sh->c + c) * sh->h + yy) * sh->w + xx] *
								       (double)w[((size_t)(k * sh->c + c) * sh->r + r) * sh->s + s];
							}
					y[((size_t)(n * sh->k + k) * oh + i) * ow + j] = (float)acc;
				}
}

size_t rmcp_conv_compare(const float *got, const float *ref, size_t n, size_t *first)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)got[i] - (double)ref[i], m = ref[i] < 0 ? -(double)ref[i] : (double)ref[i];
		if (d < 0)
			d = -d;
		/* written so that a NaN counts as a difference */
		if (!(d <= 1e-3 + 1e-3 * m) && bad++ == 0 && first)
			*first = i;
	}
	return bad;
}
