/* SPDX-License-Identifier: MIT */
/* rmcp probe: names, the record protocol, signatures, classification (probe.h). */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

const char *rmcp_probe_step_name(enum rmcp_probe_step s)
{
	switch (s) {
	case RMCP_STEP_RUNTIME:
		return "load-runtime";
	case RMCP_STEP_INIT:
		return "hip-init";
	case RMCP_STEP_DEVICE:
		return "device";
	case RMCP_STEP_MEM_DEVICE:
		return "memory-device";
	case RMCP_STEP_MEM_HOST_COHERENT:
		return "memory-host-coherent";
	case RMCP_STEP_MEM_HOST_NONCOHERENT:
		return "memory-host-noncoherent";
	case RMCP_STEP_MEM_MANAGED:
		return "memory-managed";
	case RMCP_STEP_MIOPEN:
		return "miopen-load";
	case RMCP_STEP_CONV:
		return "conv2d";
	case RMCP_PROBE_N_STEPS:
		break;
	}
	return "?";
}

const char *rmcp_probe_class_name(enum rmcp_probe_class c)
{
	switch (c) {
	case RMCP_PROBE_OK:
		return "ok";
	case RMCP_PROBE_NOT_RUN:
		return "not-run";
	case RMCP_PROBE_NO_RUNTIME:
		return "no-runtime";
	case RMCP_PROBE_NO_DEVICE:
		return "no-device";
	case RMCP_PROBE_NO_CODE:
		return "no-code-object";
	case RMCP_PROBE_GPU_FAULT:
		return "gpu-memory-fault";
	case RMCP_PROBE_HANG:
		return "hang";
	case RMCP_PROBE_WRONG_RESULT:
		return "wrong-result";
	case RMCP_PROBE_ERROR:
		return "error";
	}
	return "?";
}

const char *rmcp_probe_class_text(enum rmcp_probe_class c)
{
	switch (c) {
	case RMCP_PROBE_OK:
		return "ok";
	case RMCP_PROBE_NOT_RUN:
		return "not run";
	case RMCP_PROBE_NO_RUNTIME:
		return "no runtime";
	case RMCP_PROBE_NO_DEVICE:
		return "no device";
	case RMCP_PROBE_NO_CODE:
		return "no code object";
	case RMCP_PROBE_GPU_FAULT:
		return "GPU memory fault";
	case RMCP_PROBE_HANG:
		return "hang";
	case RMCP_PROBE_WRONG_RESULT:
		return "wrong result";
	case RMCP_PROBE_ERROR:
		return "other error";
	}
	return "?";
}

int rmcp_probe_step_parse(const char *s, size_t len, enum rmcp_probe_step *out)
{
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		const char *n = rmcp_probe_step_name((enum rmcp_probe_step)i);
		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*out = (enum rmcp_probe_step)i;
			return 0;
		}
	}
	return -RMCP_E_FORMAT;
}

int rmcp_probe_class_parse(const char *s, size_t len, enum rmcp_probe_class *out)
{
	for (int i = RMCP_PROBE_OK; i <= RMCP_PROBE_ERROR; i++) {
		const char *n = rmcp_probe_class_name((enum rmcp_probe_class)i);
		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			*out = (enum rmcp_probe_class)i;
			return 0;
		}
	}
	return -RMCP_E_FORMAT;
}

enum rmcp_probe_class rmcp_probe_class_for_hip(enum rmcp_probe_step s, int e)
{
	if (e == RMCP_HIP_ERROR_NO_BINARY_FOR_GPU || e == RMCP_HIP_ERROR_INVALID_DEVICE_FUNCTION)
		return RMCP_PROBE_NO_CODE;
	if (e == RMCP_HIP_ERROR_NO_DEVICE)
		return RMCP_PROBE_NO_DEVICE;
	/* Without a usable /dev/kfd, hipInit answers hipErrorInvalidDevice (Debian's 5.2) or
	 * hipErrorInsufficientDriver; later, 101 is a bad index: the device asked for is not
	 * there. */
	if ((s == RMCP_STEP_INIT || s == RMCP_STEP_DEVICE) &&
	    (e == RMCP_HIP_ERROR_INVALID_DEVICE || e == RMCP_HIP_ERROR_INSUFFICIENT_DRIVER))
		return RMCP_PROBE_NO_DEVICE;
	return RMCP_PROBE_ERROR;
}

void rmcp_probe_result_init(struct rmcp_probe_result *r)
{
	memset(r, 0, sizeof(*r));
	r->failed_step = -1;
	r->device_count = -1;
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++)
		r->steps[i].cls = RMCP_PROBE_NOT_RUN;
	r->outcome = RMCP_PROBE_NOT_RUN;
}

void rmcp_probe_result_no_runtime(struct rmcp_probe_result *r, const char *msg)
{
	struct rmcp_probe_step_result *st = &r->steps[RMCP_STEP_RUNTIME];
	st->begun = st->ended = true;
	st->cls = RMCP_PROBE_NO_RUNTIME;
	snprintf(st->detail, sizeof(st->detail), "%s", msg);
	r->outcome = RMCP_PROBE_NO_RUNTIME;
	r->failed_step = RMCP_STEP_RUNTIME;
}

/* ---- records ---- */

static void clean_field(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (const char *q = src ? src : ""; *q && n + 1 < cap; q++)
		dst[n++] = (*q == '\t' || *q == '\n' || *q == '\r') ? ' ' : *q;
	dst[n] = '\0';
}

static int fmt_ok(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? -RMCP_E_LIMIT : n;
}

int rmcp_probe_record_begin(char *buf, size_t cap, enum rmcp_probe_step s)
{
	return fmt_ok(snprintf(buf, cap, "B\t%s\n", rmcp_probe_step_name(s)), cap);
}

int rmcp_probe_record_end(char *buf, size_t cap, enum rmcp_probe_step s, enum rmcp_probe_class c,
			  int hip_error, double ms, const char *detail)
{
	char d[320];
	clean_field(d, sizeof(d), detail);
	return fmt_ok(snprintf(buf, cap, "E\t%s\t%s\t%d\t%.3f\t%s\n", rmcp_probe_step_name(s),
			       rmcp_probe_class_name(c), hip_error, ms, d), cap);
}

int rmcp_probe_record_fact(char *buf, size_t cap, const char *key, const char *value)
{
	char k[64], v[RMCP_PROBE_PATH_MAX];
	clean_field(k, sizeof(k), key);
	clean_field(v, sizeof(v), value);
	return fmt_ok(snprintf(buf, cap, "F\t%s\t%s\n", k, v), cap);
}

#define MAX_FIELDS 6

/* Split at tabs; the last field keeps any further tabs. */
static size_t split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len && n < max; i++) {
		if (i == len || (line[i] == '\t' && n + 1 < max)) {
			f[n] = line + start;
			fl[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

static int parse_int(const char *s, size_t len, long lo, long hi, int *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return -RMCP_E_FORMAT;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -RMCP_E_FORMAT;
	*out = (int)v;
	return 0;
}

static void copy_field(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static bool field_is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int parse_fact(const char *k, size_t kl, const char *v, size_t vl, struct rmcp_probe_result *r)
{
	if (field_is(k, kl, "hip_path"))
		copy_field(r->hip_path, sizeof(r->hip_path), v, vl);
	else if (field_is(k, kl, "miopen_path"))
		copy_field(r->miopen_path, sizeof(r->miopen_path), v, vl);
	else if (field_is(k, kl, "gpu_name"))
		copy_field(r->gpu_name, sizeof(r->gpu_name), v, vl);
	else if (field_is(k, kl, "gpu_arch"))
		copy_field(r->gpu_arch, sizeof(r->gpu_arch), v, vl);
	else if (field_is(k, kl, "miopen_version"))
		copy_field(r->miopen_version, sizeof(r->miopen_version), v, vl);
	else if (field_is(k, kl, "device_count"))
		return parse_int(v, vl, -1, 1 << 20, &r->device_count);
	else if (field_is(k, kl, "runtime_version"))
		return parse_int(v, vl, 0, 2147483647L, &r->runtime_version);
	else if (field_is(k, kl, "driver_version"))
		return parse_int(v, vl, 0, 2147483647L, &r->driver_version);
	else if (field_is(k, kl, "source"))
		copy_field(r->source, sizeof(r->source), v, vl);
	/* unknown facts are ignored: a newer child may report more */
	return 0;
}

static int parse_ms(const char *s, size_t len, double *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return -RMCP_E_FORMAT;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || *end || !(v >= 0) || v > 1e9)
		return -RMCP_E_FORMAT;
	*out = v;
	return 0;
}

int rmcp_probe_record_parse(const char *line, size_t len, struct rmcp_probe_result *r)
{
	const char *f[MAX_FIELDS];
	size_t fl[MAX_FIELDS];
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	size_t n = split(line, len, f, fl, MAX_FIELDS);
	if (n == 0 || fl[0] != 1)
		return -RMCP_E_FORMAT;
	enum rmcp_probe_step s;
	switch (f[0][0]) {
	case 'B':
		if (n != 2 || rmcp_probe_step_parse(f[1], fl[1], &s) < 0)
			return -RMCP_E_FORMAT;
		r->steps[s].begun = true;
		return 0;
	case 'E': {
		enum rmcp_probe_class c;
		int hip;
		double ms;
		if (n != 6 || rmcp_probe_step_parse(f[1], fl[1], &s) < 0 ||
		    rmcp_probe_class_parse(f[2], fl[2], &c) < 0 ||
		    parse_int(f[3], fl[3], -2147483647L, 2147483647L, &hip) < 0 ||
		    parse_ms(f[4], fl[4], &ms) < 0)
			return -RMCP_E_FORMAT;
		struct rmcp_probe_step_result *st = &r->steps[s];
		st->begun = st->ended = true;
		st->cls = c;
		st->hip_error = hip;
		st->ms = ms;
		copy_field(st->detail, sizeof(st->detail), f[5], fl[5]);
		return 0;
	}
	case 'F':
		if (n != 3 || fl[1] == 0)
			return -RMCP_E_FORMAT;
		return parse_fact(f[1], fl[1], f[2], fl[2], r);
	case 'D':
		if (n != 1)
			return -RMCP_E_FORMAT;
		r->done = true;
		return 0;
	case 'X': {
		int ex, code, sig, to;
		if (n != 5 || parse_int(f[1], fl[1], 0, 1, &ex) < 0 ||
		    parse_int(f[2], fl[2], -1, 255, &code) < 0 || parse_int(f[3], fl[3], 0, 128, &sig) < 0 ||
		    parse_int(f[4], fl[4], 0, 1, &to) < 0)
			return -RMCP_E_FORMAT;
		r->exited = ex;
		r->exit_code = code;
		r->signal = sig;
		r->timed_out = to;
		return 0;
	}
	case 'S':
		if (n != 2)
			return -RMCP_E_FORMAT;
		copy_field(r->signature, sizeof(r->signature), f[1], fl[1]);
		return 0;
	default:
		return -RMCP_E_FORMAT;
	}
}

/* ---- signatures ---- */

static bool has(const char *line, size_t len, const char *needle)
{
	return memmem(line, len, needle, strlen(needle)) != NULL;
}

enum rmcp_signature rmcp_signature_of_line(const char *line, size_t len)
{
	/* ROCr's queue error handler (core/runtime/amd_gpu_agent.cpp / runtime.cpp):
	 * "Memory access fault by GPU node-1 (Agent handle: 0x...) on address 0x....
	 * Reason: Page not present or supervisor privilege." then abort();
	 * clr's callbackQueue: "... aborting with error : HSA_STATUS_ERROR_MEMORY_APERTURE_
	 * VIOLATION: The agent attempted to access memory beyond the largest legal address." */
	if (has(line, len, "Memory access fault by GPU node") ||
	    has(line, len, "HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION"))
		return RMCP_SIG_GPU_FAULT;
	/* clr hip_fatbin.cpp / hip_code_object.cpp and PyTorch's HIP error text. */
	if (has(line, len, "hipErrorNoBinaryForGpu") || has(line, len, "invalid device function") ||
	    has(line, len, "no kernel image is available"))
		return RMCP_SIG_NO_CODE;
	return RMCP_SIG_NONE;
}

void rmcp_sigscan_init(struct rmcp_sigscan *s)
{
	memset(s, 0, sizeof(*s));
}

static void keep_line(char *dst, size_t cap, const char *src, size_t len)
{
	while (len && (src[len - 1] == '\r' || src[len - 1] == ' '))
		len--;
	copy_field(dst, cap, src, len);
	for (char *q = dst; *q; q++)
		if (*q == '\t')
			*q = ' ';
}

static void scan_line(struct rmcp_sigscan *s, const char *line, size_t len)
{
	size_t start = 0;
	while (start < len && (line[start] == ' ' || line[start] == '\r'))
		start++;
	if (start == len)
		return;
	line += start;
	len -= start;
	keep_line(s->last, sizeof(s->last), line, len);
	enum rmcp_signature sig = rmcp_signature_of_line(line, len);
	if (sig == RMCP_SIG_GPU_FAULT && !s->fault[0])
		keep_line(s->fault, sizeof(s->fault), line, len);
	else if (sig == RMCP_SIG_NO_CODE && !s->nocode[0])
		keep_line(s->nocode, sizeof(s->nocode), line, len);
}

/* Lines longer than cur are scanned in overlapping windows, so a signature straddling two
 * windows is still seen (the overlap is longer than every signature). */
#define OVERLAP 64

void rmcp_sigscan_feed(struct rmcp_sigscan *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			scan_line(s, s->cur, s->cur_len);
			s->cur_len = 0;
			continue;
		}
		if (s->cur_len == sizeof(s->cur)) {
			scan_line(s, s->cur, s->cur_len);
			memmove(s->cur, s->cur + s->cur_len - OVERLAP, OVERLAP);
			s->cur_len = OVERLAP;
		}
		s->cur[s->cur_len++] = buf[i];
	}
}

void rmcp_sigscan_end(struct rmcp_sigscan *s)
{
	if (s->cur_len)
		scan_line(s, s->cur, s->cur_len);
	s->cur_len = 0;
}

/* ---- classification ---- */

static int running_step(const struct rmcp_probe_result *r)
{
	int open = -1, last_ended = -1;
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		if (r->steps[i].begun && !r->steps[i].ended)
			open = i;
		if (r->steps[i].ended)
			last_ended = i;
	}
	if (open >= 0)
		return open;
	/* between steps (or before the first record): the next one */
	return last_ended + 1 < RMCP_PROBE_N_STEPS ? last_ended + 1 : RMCP_PROBE_N_STEPS - 1;
}

static void set_step(struct rmcp_probe_step_result *st, enum rmcp_probe_class c, const char *detail)
{
	st->begun = st->ended = true;
	st->cls = c;
	snprintf(st->detail, sizeof(st->detail), "%s", detail);
}

static void describe_death(const struct rmcp_probe_result *r, char *buf, size_t cap)
{
	if (r->exited)
		snprintf(buf, cap, "the probe process exited with status %d before finishing",
			 r->exit_code);
	else
		snprintf(buf, cap, "the probe process was killed by signal %d (%s)", r->signal,
			 strsignal(r->signal));
}

void rmcp_probe_classify(struct rmcp_probe_result *r, const struct rmcp_sigscan *s)
{
	if (s) {
		snprintf(r->last_line, sizeof(r->last_line), "%s", s->last);
		if (s->fault[0])
			snprintf(r->signature, sizeof(r->signature), "%s", s->fault);
		else if (s->nocode[0])
			snprintf(r->signature, sizeof(r->signature), "%s", s->nocode);
	}
	bool fault = s && s->fault[0], nocode = s && s->nocode[0];
	if (r->timed_out) {
		int i = running_step(r);
		char buf[128];
		snprintf(buf, sizeof(buf), "no answer within %g s; the probe's process group was killed",
			 r->timeout_s);
		set_step(&r->steps[i], RMCP_PROBE_HANG, buf);
	} else if (!r->done) {
		int i = running_step(r);
		struct rmcp_probe_step_result *st = &r->steps[i];
		if (fault) {
			set_step(st, RMCP_PROBE_GPU_FAULT, s->fault);
		} else if (nocode) {
			set_step(st, RMCP_PROBE_NO_CODE, s->nocode);
		} else {
			char why[160], d[320];
			describe_death(r, why, sizeof(why));
			snprintf(d, sizeof(d), "%s%s%s", why, s && s->last[0] ? ": " : "",
				 s ? s->last : "");
			set_step(st, RMCP_PROBE_ERROR, d);
		}
	} else if (nocode) {
		/* A library that reports its own failure (MIOpen) while the runtime said why. */
		for (int i = 0; i < RMCP_PROBE_N_STEPS; i++)
			if (r->steps[i].ended && r->steps[i].cls == RMCP_PROBE_ERROR) {
				char d[320];
				snprintf(d, sizeof(d), "%s (%s)", r->steps[i].detail, s->nocode);
				set_step(&r->steps[i], RMCP_PROBE_NO_CODE, d);
				break;
			}
	}
	r->outcome = RMCP_PROBE_OK;
	r->failed_step = -1;
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		struct rmcp_probe_step_result *st = &r->steps[i];
		if (r->failed_step >= 0) {
			if (!st->ended || st->cls == RMCP_PROBE_OK) {
				st->cls = RMCP_PROBE_NOT_RUN;
				st->begun = st->ended = false;
			}
			continue;
		}
		if (!st->ended) {
			/* the child stopped without saying why (it should not): not proven */
			set_step(st, RMCP_PROBE_ERROR, "the probe stopped before this step");
		}
		if (st->cls != RMCP_PROBE_OK) {
			r->outcome = st->cls;
			r->failed_step = i;
		}
	}
}
