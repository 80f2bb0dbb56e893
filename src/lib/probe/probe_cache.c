/* SPDX-License-Identifier: MIT */
/*
 * The probe cache: one small text file per fingerprint, $XDG_CACHE_HOME/rmcp/probe-<hash>.txt,
 * holding the fingerprint's full text (compared on load, so a hash collision is a miss) and
 * the result as records (probe.h). Written atomically (temporary file, rename). A probe
 * takes seconds and may hang; the cache is what lets `rmcp run --device auto` start a
 * command at once the second time.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "version.h"
#include "banned.h"

extern char **environ;

#define MAGIC "rmcp-probe-cache-v1 "
#define MAX_FILE (256 * 1024)

struct buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct buf *b, const char *fmt, ...)
{
	if (b->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	b->len += (size_t)n;
}

static bool relevant(const char *entry)
{
	static const char *const prefixes[] = { "HSA_", "HIP_", "ROCR_", "AMD_", "MIOPEN_", "GPU_",
						"HCC_", "RMCP_", "ROCM_", "CUDA_VISIBLE_DEVICES=",
						"LD_PRELOAD=", "LD_LIBRARY_PATH=" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_lib(struct buf *b, const char *name)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
					    "/usr/lib64", "/usr/lib" };
	char path[RMCP_PROBE_PATH_MAX];
	struct stat st;
	if (strchr(name, '/')) {
		if (stat(name, &st) == 0)
			goto found;
		addf(b, "lib %s absent\n", name);
		return;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (stat(path, &st) == 0) {
			name = path;
			goto found;
		}
	}
	addf(b, "lib %s absent\n", name);
	return;
found:
	addf(b, "lib %s %lld %lld.%09ld %llu\n", name, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	     st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
}

int rmcp_probe_fingerprint(const struct rmcp_machine *m, const struct rmcp_probe_opts *o,
			   char *key, size_t cap, char hex[17])
{
	struct buf b = { key, 0, cap, false };
	if (cap)
		key[0] = '\0';
	addf(&b, "rmcp %s\ndevice %d\n", RMCP_VERSION, o->device);
	if (m) {
		addf(&b, "kernel %s\ndkms %s\n", m->kernel_release, m->amdgpu_dkms_version);
		for (size_t i = 0; i < m->n_gpus; i++) {
			const struct rmcp_gpu *g = &m->gpus[i];
			addf(&b, "gpu %zu %04x:%04x:%02x %u %u %u %s\n", i, g->vendor_id, g->device_id,
			     g->revision, g->gfx_version, g->gpu_id, g->mec_fw, g->pci_addr);
		}
	}
	addf(&b, "source %s\n", o->libs.source);
	for (size_t i = 0; i < o->libs.n_hip; i++)
		add_lib(&b, o->libs.hip[i]);
	for (size_t i = 0; i < o->libs.n_miopen; i++)
		add_lib(&b, o->libs.miopen[i]);
	char *const *envp = o->envp ? o->envp : environ;
	size_t n = 0;
	for (size_t i = 0; envp && envp[i]; i++)
		n += relevant(envp[i]);
	const char **sel = n ? malloc(n * sizeof(*sel)) : NULL;
	if (n && !sel)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; envp && envp[i]; i++)
		if (relevant(envp[i]))
			sel[n++] = envp[i];
	qsort(sel, n, sizeof(*sel), cmp_str);
	for (size_t i = 0; i < n; i++) {
		/* one line per variable: a newline inside a value would split it */
		addf(&b, "env ");
		for (const char *q = sel[i]; *q && !b.overflow; q++)
			addf(&b, "%c", *q == '\n' ? ' ' : *q);
		addf(&b, "\n");
	}
	free(sel);
	if (b.overflow)
		return -RMCP_E_LIMIT;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 */
	for (size_t i = 0; i < b.len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
	return 0;
}

static int cache_path(const char *dir, const char *hex, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/probe-%s.txt", dir, hex);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static void outcome_from_steps(struct rmcp_probe_result *r)
{
	r->outcome = RMCP_PROBE_OK;
	r->failed_step = -1;
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++)
		if (r->steps[i].cls != RMCP_PROBE_OK && r->steps[i].cls != RMCP_PROBE_NOT_RUN) {
			r->outcome = r->steps[i].cls;
			r->failed_step = i;
			return;
		}
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++)
		if (r->steps[i].cls != RMCP_PROBE_OK) {
			r->outcome = RMCP_PROBE_ERROR;	/* a step never ran: not proven */
			return;
		}
}

static bool parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

int rmcp_probe_cache_load(const char *dir, const char *key, const char *hex, double timeout_s,
			  struct rmcp_probe_result *r)
{
	char path[4096];
	if (!dir || cache_path(dir, hex, path, sizeof(path)) < 0)
		return 0;
	/* Only the user's own cache, and only a regular file of the user's (fsutil.h). */
	if (rmcp_cache_dir_check(dir) < 0)
		return 0;
	int fd = rmcp_cache_entry_open(path);
	if (fd < 0)
		return 0;
	char *text = malloc(MAX_FILE + 1);
	size_t len = 0;
	while (text && len < MAX_FILE) {
		ssize_t n = read(fd, text + len, MAX_FILE - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!text)
		return 0;
	text[len] = '\0';
	struct rmcp_probe_result got;
	rmcp_probe_result_init(&got);
	size_t klen = strlen(key), kpos = 0;
	bool ok = true, magic = false;
	double when = 0, wd = 0;
	for (char *line = text, *next; ok && line < text + len; line = next) {
		char *nl = strchr(line, '\n');
		if (!nl) {
			ok = false;	/* truncated: a write that did not finish */
			break;
		}
		*nl = '\0';
		next = nl + 1;
		if (!magic) {
			char want[64];
			snprintf(want, sizeof(want), MAGIC "%s", RMCP_VERSION);
			ok = magic = strcmp(line, want) == 0;
		} else if (line[0] == 'K' && line[1] == ' ') {
			size_t l = strlen(line + 2);
			ok = kpos + l + 1 <= klen && memcmp(key + kpos, line + 2, l) == 0 &&
			     key[kpos + l] == '\n';
			kpos += l + 1;
		} else if (line[0] == 'T' && line[1] == ' ') {
			ok = parse_num(line + 2, &when);
		} else if (line[0] == 'W' && line[1] == ' ') {
			ok = parse_num(line + 2, &wd);
		} else {
			ok = rmcp_probe_record_parse(line, strlen(line), &got) == 0;
		}
	}
	free(text);
	if (!ok || !magic || kpos != klen)
		return 0;
	outcome_from_steps(&got);
	if (got.outcome == RMCP_PROBE_HANG && wd < timeout_s)
		return 0;	/* it may finish given the longer watchdog asked for now */
	got.cached = true;
	got.cached_at = (long long)when;
	got.timeout_s = wd;
	got.device = r->device;
	snprintf(got.fingerprint, sizeof(got.fingerprint), "%s", hex);
	*r = got;
	return 1;
}

int rmcp_probe_cache_store(const char *dir, const char *key, const char *hex,
			   const struct rmcp_probe_result *r)
{
	char path[4096];
	int rc = cache_path(dir, hex, path, sizeof(path));
	if (rc < 0 || (rc = rmcp_cache_dir_prepare(dir)) < 0)
		return rc;
	struct rmcp_safe_file sf;
	if ((rc = rmcp_safe_open(&sf, path, 0600, false)) < 0)
		return rc;
	FILE *f = sf.f;
	fprintf(f, MAGIC "%s\nT %lld\nW %.3f\n", RMCP_VERSION, (long long)time(NULL), r->timeout_s);
	for (const char *k = key; *k;) {
		const char *nl = strchr(k, '\n');
		size_t l = nl ? (size_t)(nl - k) : strlen(k);
		fprintf(f, "K %.*s\n", (int)l, k);
		k += l + (nl ? 1 : 0);
	}
	char line[1024];
	static const struct {
		const char *key;
		size_t off;
	} facts[] = {
		{ "hip_path", offsetof(struct rmcp_probe_result, hip_path) },
		{ "miopen_path", offsetof(struct rmcp_probe_result, miopen_path) },
		{ "gpu_name", offsetof(struct rmcp_probe_result, gpu_name) },
		{ "gpu_arch", offsetof(struct rmcp_probe_result, gpu_arch) },
		{ "miopen_version", offsetof(struct rmcp_probe_result, miopen_version) },
		{ "source", offsetof(struct rmcp_probe_result, source) },
	};
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		const char *v = (const char *)r + facts[i].off;
		if (*v && rmcp_probe_record_fact(line, sizeof(line), facts[i].key, v) > 0)
			fputs(line, f);
	}
	fprintf(f, "F\tdevice_count\t%d\n", r->device_count);
	if (r->runtime_version)
		fprintf(f, "F\truntime_version\t%d\n", r->runtime_version);
	if (r->driver_version)
		fprintf(f, "F\tdriver_version\t%d\n", r->driver_version);
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		const struct rmcp_probe_step_result *st = &r->steps[i];
		if (st->ended && rmcp_probe_record_end(line, sizeof(line), (enum rmcp_probe_step)i, st->cls,
						       st->hip_error, st->ms, st->detail) > 0)
			fputs(line, f);
	}
	fprintf(f, "X\t%d\t%d\t%d\t%d\n", r->exited ? 1 : 0, r->exited ? r->exit_code : 0,
		r->exited ? 0 : r->signal, r->timed_out ? 1 : 0);
	if (r->signature[0]) {
		char sig[512];
		snprintf(sig, sizeof(sig), "%s", r->signature);
		for (char *q = sig; *q; q++)
			if (*q == '\t' || *q == '\n')
				*q = ' ';
		fprintf(f, "S\t%s\n", sig);
	}
	if (r->done)
		fputs("D\n", f);
	if (ferror(f)) {
		rmcp_safe_abort(&sf);
		return -EIO;
	}
	return rmcp_safe_commit(&sf);
}

int rmcp_probe_cached(const struct rmcp_probe_opts *o, const struct rmcp_machine *m,
		      const char *cache_dir, bool use_cache, struct rmcp_probe_result *r,
		      struct rmcp_err *err)
{
	size_t cap = 64 * 1024;
	char *key = malloc(cap), hex[17] = "";
	if (!key)
		return rmcp_err_set(err, -ENOMEM, "out of memory");
	/* Without a fingerprint (an environment too large to key) there is no cache. */
	bool keyed = rmcp_probe_fingerprint(m, o, key, cap, hex) == 0;
	rmcp_probe_result_init(r);
	r->device = o->device;
	if (keyed && use_cache && cache_dir && rmcp_probe_cache_load(cache_dir, key, hex, o->timeout_s, r)) {
		free(key);
		return 0;
	}
	int rc = rmcp_probe_run(o, r, err);
	if (rc == 0 && keyed) {
		snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", hex);
		if (cache_dir)
			rmcp_probe_cache_store(cache_dir, key, hex, r);
	}
	free(key);
	return rc;
}
