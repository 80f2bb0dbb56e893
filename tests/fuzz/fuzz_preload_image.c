/* SPDX-License-Identifier: MIT */
/*
 * librmcp.so's image judgement (src/preload/judge.c): what the guard reads from every image a
 * program registers or loads. The input is the image; rmcp_image_extent may read only what
 * the "mapped" callback allows (the input), rmcp_judge_image gets exactly the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool within(const void *p, size_t n, void *ctx)
{
	const uintptr_t *b = ctx;	/* start, length */
	uintptr_t a = (uintptr_t)p;
	return a >= b[0] && a - b[0] <= b[1] && n <= b[1] - (a - b[0]);
}

static void gpu(struct rmcp_guard_gpu *g, const char *real, const char *eff)
{
	memset(g, 0, sizeof(*g));
	rmcp_target_id_parse(real, strlen(real), &g->real, NULL);
	rmcp_target_id_parse(eff, strlen(eff), &g->eff, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rmcp_guard_gpus g;
	if (!g.n) {
		gpu(&g.gpu[0], "gfx1010", "gfx1030");
		gpu(&g.gpu[1], "gfx90a:xnack+", "gfx90a:xnack+");
		gpu(&g.gpu[2], "gfx1036", "gfx1036");
		g.n = 3;
	}
	uintptr_t bounds[2] = { (uintptr_t)data, size };
	size_t ext = 0;
	if (size && rmcp_image_extent(data, within, bounds, size, &ext) == 0 && ext > size)
		__builtin_trap();	/* claimed more than it was allowed to read */
	struct rmcp_judgement j;
	rmcp_judge_image(data, size, &g, &j, NULL);
	return 0;
}
