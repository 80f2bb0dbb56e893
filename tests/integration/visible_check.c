/* SPDX-License-Identifier: MIT */
/*
 * visible_check: how many GPUs would HIP and PyTorch see with this process's environment?
 * A test program for `rmcp run` / `rmcp env` (issue 6), run as the command, so it reads the
 * environment exactly as a HIP program started by rmcp does (getenv at startup). It applies,
 * to a machine with --gpus N GPU agents (default 2):
 *
 *   1. ROCr's ROCR_VISIBLE_DEVICES filter (ROCR-Runtime src/core/runtime/amd_filter_device.cpp,
 *      RvdFilter): set at all -> filtered; set and empty -> no GPU; else comma tokens,
 *      trimmed, upper-cased, at most as many as there are GPUs; "G..." a UUID prefix that
 *      must match exactly one GPU; else strtol(base 0) with nothing after; a bad, out of
 *      range or repeated token ends the list.
 *   2. clr's HIP_VISIBLE_DEVICES / CUDA_VISIBLE_DEVICES filter over what ROCr left
 *      (clr rocclr/device/rocm/rocdevice.cpp Device::init): HIP_ if non-empty, else CUDA_;
 *      empty means no filter; comma tokens through atoi; an index < 0, >= the GPU count, or
 *      not written as to_string(index) ends the list; repeats are dropped.
 *   3. PyTorch's _parse_visible_devices on a ROCm build (torch/cuda/__init__.py): with
 *      ROCR_ set, a HIP_ with more comma entries than ROCR_ raises "HIP_VISIBLE_DEVICES
 *      contains more devices than ROCR_VISIBLE_DEVICES"; HIP_ wins over ROCR_ over CUDA_;
 *      ROCR_ alone gives range(len(split(','))); the list is parsed with _strtoul: the first
 *      negative entry ends it, a repeat empties it. And the same function on a CUDA build
 *      (CUDA_VISIBLE_DEVICES alone), so CUDA_ does not contradict the others.
 *
 * --expect none: exit 0 iff HIP sees no GPU, PyTorch's ROCm parse gives no device without
 *   raising, and CUDA_VISIBLE_DEVICES (if set) lists no device either.
 * --expect some: exit 0 iff HIP sees at least one GPU and PyTorch neither raises nor
 *   lists none.
 * Prints one line: rocr=N hip=N torch=LIST|raise cuda=LIST|unset.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX 64

static int split(const char *s, char tok[MAX][128])
{
	int n = 0;
	const char *p = s;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (n < MAX) {
			if (len > 127)
				len = 127;
			memcpy(tok[n], p, len);
			tok[n][len] = '\0';
		}
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

static void trim_upper(char *s)
{
	size_t a = 0, b = strlen(s);
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	for (char *q = s; *q; q++)
		*q = (char)toupper((unsigned char)*q);
}

/* ROCr: the GPUs (as indices 0..gpus-1) ROCR_VISIBLE_DEVICES leaves, in order. */
static int rocr_filter(int gpus)
{
	const char *v = getenv("ROCR_VISIBLE_DEVICES");
	if (!v)
		return gpus;
	if (!*v)
		return 0;
	char tok[MAX][128];
	int n = split(v, tok);
	if (n > MAX)
		n = MAX;
	int loop = n < gpus ? n : gpus, count = 0;
	bool seen[MAX] = { false };
	for (int i = 0; i < loop; i++) {
		trim_upper(tok[i]);
		long idx;
		if (tok[i][0] == 'G') {
			/* the simulated GPUs' UUIDs are GPU-00000000000000A<i> */
			char uuid[32];
			idx = -1;
			size_t tl = strlen(tok[i]);
			if (tl < 5 || tl > 20)
				return count;
			for (int g = 0; g < gpus; g++) {
				snprintf(uuid, sizeof(uuid), "GPU-00000000000000A%X", g);
				if (strncmp(uuid, tok[i], tl) == 0 && tl <= strlen(uuid)) {
					if (idx != -1)
						return count;	/* matches two GPUs */
					idx = g;
				}
			}
		} else {
			char *end;
			idx = strtol(tok[i], &end, 0);
			if (*end)
				return count;
		}
		if (idx < 0 || idx >= gpus || seen[idx])
			return count;
		seen[idx] = true;
		count++;
	}
	return count;
}

/* atoi as C defines it, without calling it. */
static int c_atoi(const char *s)
{
	errno = 0;
	long v = strtol(s, NULL, 10);
	return v > 1000000 ? 1000000 : v < -1000000 ? -1000000 : (int)v;
}

/* clr: how many of the `gpus` ROCr left HIP shows. */
static int hip_filter(int gpus)
{
	const char *hip = getenv("HIP_VISIBLE_DEVICES"), *cuda = getenv("CUDA_VISIBLE_DEVICES");
	const char *ord = hip && *hip ? hip : cuda ? cuda : "";
	if (!*ord)
		return gpus;
	char tok[MAX][128];
	int n = split(ord, tok), count = 0;
	bool seen[MAX] = { false };
	for (int i = 0; i < n && i < MAX; i++) {
		int idx = c_atoi(tok[i]);
		char canon[32];
		snprintf(canon, sizeof(canon), "%d", idx);
		if (idx < 0 || idx >= gpus || strcmp(canon, tok[i]) != 0)
			break;
		if (!seen[idx]) {
			seen[idx] = true;
			count++;
		}
	}
	return count;
}

/* PyTorch's _strtoul: the leading [+-]digits, -1 if none. */
static long py_strtoul(const char *s)
{
	size_t i = 0, len = strlen(s);
	if (!len)
		return -1;
	while (i < len && (isdigit((unsigned char)s[i]) || (i == 0 && (s[i] == '+' || s[i] == '-'))))
		i++;
	if (i == 0)
		return -1;
	char buf[32];
	snprintf(buf, sizeof(buf), "%.*s", (int)i, s);
	char *end;
	long v = strtol(buf, &end, 10);
	return *end ? -1 : v;
}

static void strip(char *s)
{
	size_t a = 0, b = strlen(s);
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
}

/* The integer branch of _parse_visible_devices: the number of devices listed. */
static int py_parse_list(const char *var)
{
	char tok[MAX][128];
	int n = split(var, tok), count = 0;
	long got[MAX];
	for (int i = 0; i < n && i < MAX; i++) {
		strip(tok[i]);
		long x = py_strtoul(tok[i]);
		for (int k = 0; k < count; k++)
			if (got[k] == x)
				return 0;	/* "Repeated ordinal results in empty set" */
		if (x < 0)
			break;	/* "Negative value aborts the sequence" */
		got[count++] = x;
	}
	return count;
}

/* Returns the number of devices, or -1 for the RuntimeError. */
static int torch_rocm(void)
{
	const char *var = getenv("CUDA_VISIBLE_DEVICES");
	const char *hip = getenv("HIP_VISIBLE_DEVICES"), *rocr = getenv("ROCR_VISIBLE_DEVICES");
	char tok[MAX][128];
	if (rocr) {
		int rocr_count = split(rocr, tok);
		if (hip) {
			if (split(hip, tok) > rocr_count)
				return -1;
			var = hip;
		} else {
			return rocr_count;
		}
	} else if (hip) {
		var = hip;
	}
	if (!var)
		return 64;
	return py_parse_list(var);
}

int main(int argc, char **argv)
{
	int gpus = 2;
	const char *expect = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--gpus") == 0 && i + 1 < argc)
			gpus = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else {
			fprintf(stderr, "usage: visible_check [--gpus N] --expect none|some\n");
			return 2;
		}
	}
	if (!expect || gpus < 1 || gpus > 16) {
		fprintf(stderr, "usage: visible_check [--gpus N] --expect none|some\n");
		return 2;
	}
	int rocr = rocr_filter(gpus), hip = hip_filter(rocr), torch = torch_rocm();
	const char *cuda = getenv("CUDA_VISIBLE_DEVICES");
	int cuda_build = cuda ? py_parse_list(cuda) : -2;
	printf("rocr=%d hip=%d torch=", rocr, hip);
	if (torch < 0)
		printf("raise");
	else
		printf("%d", torch);
	if (cuda_build == -2)
		printf(" cuda=unset\n");
	else
		printf(" cuda=%d\n", cuda_build);
	if (strcmp(expect, "none") == 0)
		return hip == 0 && torch == 0 && (cuda_build == -2 || cuda_build == 0) ? 0 : 1;
	if (strcmp(expect, "some") == 0)
		return hip >= 1 && torch >= 1 ? 0 : 1;
	fprintf(stderr, "visible_check: --expect none or some\n");
	return 2;
}
