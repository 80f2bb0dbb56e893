/* SPDX-License-Identifier: MIT */
/*
 * Machine facts, part 4: the kernel log. Lines are classified by the messages amdgpu and KFD
 * print (research/detect.md §4.1, problem.md §1e/§1f):
 *   pcie_atomics    amdgpu_device.c  "PCIE atomic ops is not supported" (alone it does not mean
 *                                    KFD skipped the GPU)
 *   skipped_device  kfd_device.c     "skipped device %x:%x, PCI rejects atomics %d<%d"
 *   not_supported   kfd_device.c     "GC IP %06x not supported in kfd", "<asic> not supported in kfd"
 *   gpu_reset       amdgpu_device.c  "GPU reset begin!", "GPU reset(%d) succeeded!"
 *   gpu_hang        amdgpu_job.c     "ring %s timeout", ROCr's "GPU Hang"
 *   memory_fault    gmc_v10/v11      "[gfxhub] page fault", GCVM_L2_PROTECTION_FAULT_STATUS,
 *                                    ROCr's "Memory access fault by GPU node-N"
 *   added_device    kfd_device.c     "added device %x:%x"
 * Sources: a dmesg file given by the caller, a saved log under a snapshot sysroot
 * (var/log/dmesg, var/log/kern.log; else the state its capture recorded in
 * rmcp-snapshot/kernel-log), or for sysroot "/" the live log (klog_live.c: /dev/kmsg, then
 * syslog(2), then the journal), never when no_live_log is set.
 */
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs_internal.h"
#include "banned.h"

#define PER_KIND_MAX 8
#define LOG_READ_MAX (64u << 20)	/* bytes of a log file read at most */

static bool has(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	return k <= n && memmem(s, n, needle, k) != NULL;
}

const char *rmcp_log_classify(const char *line, size_t len)
{
	if (has(line, len, "PCIE atomic ops is not supported"))
		return "pcie_atomics";
	if (has(line, len, "skipped device") && has(line, len, "atomics"))
		return "skipped_device";
	if (has(line, len, "not supported in kfd"))
		return "not_supported";
	if (has(line, len, "GPU reset begin") || has(line, len, "GPU reset("))
		return "gpu_reset";
	if (has(line, len, "GPU Hang") ||
	    (has(line, len, "ring ") && has(line, len, " timeout") &&
	     (has(line, len, "amdgpu") || has(line, len, "drm"))))
		return "gpu_hang";
	if (has(line, len, "Memory access fault") || has(line, len, "GCVM_L2_PROTECTION_FAULT") ||
	    (has(line, len, "page fault") &&
	     (has(line, len, "amdgpu") || has(line, len, "gfxhub") || has(line, len, "mmhub"))))
		return "memory_fault";
	if (has(line, len, "added device") && has(line, len, "kfd"))
		return "added_device";
	return NULL;
}

/* ---- one line ---------------------------------------------------------------------------- */

static bool all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]))
			return false;
	return true;
}

/* Drop what the various log formats put before the kernel's text. */
static void strip_prefix(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n;
	/* /dev/kmsg record: "pri,seq,usec,flags;text" */
	const char *semi = memchr(p, ';', len < 64 ? len : 64);
	if (semi && semi > p && isdigit((unsigned char)p[0]) && all_of(p, (size_t)(semi - p), "0123456789,-+cx")) {
		len -= (size_t)(semi + 1 - p);
		p = semi + 1;
	}
	/* klogctl: "<6>" */
	if (len >= 3 && p[0] == '<') {
		const char *gt = memchr(p, '>', len < 8 ? len : 8);
		if (gt && all_of(p + 1, (size_t)(gt - p - 1), "0123456789")) {
			len -= (size_t)(gt + 1 - p);
			p = gt + 1;
		}
	}
	/* dmesg "[    4.345678] " or dmesg -T "[Mon Mar  3 10:00:00 2025] ", not "[drm] ". */
	if (len >= 2 && p[0] == '[') {
		const char *rb = memchr(p, ']', len < 40 ? len : 40);
		if (rb) {
			size_t in = (size_t)(rb - p - 1);
			if ((in && all_of(p + 1, in, " 0123456789.")) || (in >= 19 && memchr(p + 1, ':', in))) {
				len -= (size_t)(rb + 1 - p);
				p = rb + 1;
			}
		}
	}
	/* journalctl -k / syslog: "Mar 03 10:00:00 host kernel: " */
	const char *k = len > 8 ? memmem(p, len < 96 ? len : 96, "kernel: ", 8) : NULL;
	if (k) {
		len -= (size_t)(k + 8 - p);
		p = k + 8;
	}
	while (len && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	*s = p;
	*n = len;
}

static bool is_hex(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

/* "0000:03:00.0" anywhere in the line. */
static void find_bdf(const char *s, size_t n, char *out, size_t cap)
{
	for (size_t i = 0; n >= 12 && i <= n - 12; i++) {
		const char *p = s + i;
		if (is_hex(p[0]) && is_hex(p[1]) && is_hex(p[2]) && is_hex(p[3]) && p[4] == ':' &&
		    is_hex(p[5]) && is_hex(p[6]) && p[7] == ':' && is_hex(p[8]) && is_hex(p[9]) &&
		    p[10] == '.' && p[11] >= '0' && p[11] <= '7' && (i == 0 || !is_hex(p[-1]))) {
			snprintf(out, cap, "%.12s", p);
			for (char *c = out; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			return;
		}
	}
}

static uint32_t hex_run(const char *s, size_t n, size_t *used)
{
	uint32_t v = 0;
	size_t i = 0;
	while (i < n && i < 8 && is_hex(s[i])) {
		char c = (char)tolower((unsigned char)s[i]);
		v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
		i++;
	}
	*used = i;
	return v;
}

static uint32_t dec_run(const char *s, size_t n, size_t *used)
{
	uint32_t v = 0;
	size_t i = 0;
	while (i < n && i < 9 && isdigit((unsigned char)s[i])) {
		v = v * 10 + (uint32_t)(s[i] - '0');
		i++;
	}
	*used = i;
	return v;
}

/* "device 1002:7340" and "atomics 123<145". */
static void find_ids(const char *s, size_t n, struct rmcp_log_line *l)
{
	const char *d = memmem(s, n, "device ", 7);
	if (d) {
		size_t off = (size_t)(d + 7 - s), u1, u2;
		uint32_t ven = hex_run(s + off, n - off, &u1);
		if (u1 == 4 && off + 5 < n && s[off + 4] == ':') {
			uint32_t dev = hex_run(s + off + 5, n - off - 5, &u2);
			if (u2 == 4) {
				l->vendor_id = (uint16_t)ven;
				l->device_id = (uint16_t)dev;
			}
		}
	}
	const char *a = memmem(s, n, "atomics ", 8);
	if (a) {
		size_t off = (size_t)(a + 8 - s), u1, u2;
		uint32_t have = dec_run(s + off, n - off, &u1);
		if (u1 && off + u1 < n && s[off + u1] == '<') {
			uint32_t need = dec_run(s + off + u1 + 1, n - off - u1 - 1, &u2);
			if (u2) {
				l->fw_have = have;
				l->fw_need = need;
			}
		}
	}
}

static bool scan_line(const char *s, size_t n, struct rmcp_machine *m)
{
	const char *kind = rmcp_log_classify(s, n);
	if (!kind)
		return false;
	strip_prefix(&s, &n);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char text[sizeof(m->log[0].text)];
	rmcp_copy_trimmed(text, sizeof(text), s, n);
	size_t same_kind = 0;
	for (size_t i = 0; i < m->n_log; i++) {
		if (strcmp(m->log[i].kind, kind) != 0)
			continue;
		if (strcmp(m->log[i].text, text) == 0) {
			m->log[i].count++;
			return true;
		}
		same_kind++;
	}
	if (same_kind >= PER_KIND_MAX || m->n_log >= RMCP_MAX_LOG) {
		m->n_log_dropped++;
		return true;
	}
	struct rmcp_log_line *l = &m->log[m->n_log++];
	memset(l, 0, sizeof(*l));
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	memcpy(l->text, text, sizeof(l->text));
	l->count = 1;
	find_bdf(s, n, l->pci_addr, sizeof(l->pci_addr));
	find_ids(s, n, l);
	return true;
}

size_t rmcp_log_scan(const char *buf, size_t len, struct rmcp_machine *m)
{
	size_t seen = 0, pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		seen += scan_line(buf + pos, end - pos, m);
		pos = end + 1;
	}
	return seen;
}

/* ---- sources ----------------------------------------------------------------------------- */

/* Stream a log file line by line (bounded memory; kern.log can be large). */
static int scan_file(const char *path, struct rmcp_machine *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	size_t cap = 1u << 16, have = 0, total = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	int rc = 0;
	/* A long kern.log: the newest LOG_READ_MAX bytes, from the first whole line. */
	bool skip_partial = false;
	if ((uint64_t)st.st_size > LOG_READ_MAX) {
		if (lseek(fd, st.st_size - (off_t)LOG_READ_MAX, SEEK_SET) < 0) {
			rc = -errno;
			free(buf);
			close(fd);
			return rc;
		}
		skip_partial = true;
	}
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		have += (size_t)r;
		total += (size_t)r;
		bool eof = r == 0 || total >= LOG_READ_MAX;
		char *last = have ? memrchr(buf, '\n', have) : NULL;
		size_t done = last ? (size_t)(last - buf) + 1 : 0;
		if (eof || (!last && have == cap))
			done = have;	/* the tail, or a line longer than the buffer */
		size_t from = 0;
		if (skip_partial && done) {
			char *nl = memchr(buf, '\n', done);
			from = nl ? (size_t)(nl - buf) + 1 : done;
			skip_partial = false;
		}
		rmcp_log_scan(buf + from, done - from, m);
		memmove(buf, buf + done, have - done);
		have -= done;
		if (eof)
			break;
	}
	free(buf);
	close(fd);
	return rc;
}

static void scan_sink(void *ctx, const char *buf, size_t len)
{
	rmcp_log_scan(buf, len, ctx);
}

/* A capture that could not read the log says so in rmcp-snapshot/kernel-log: the state's
 * name on the first line, why on the second (written by `rmcp capture`). */
static void snapshot_log_state(struct rmcp_path *root, struct rmcp_machine *m)
{
	char text[512];
	int n = rmcp_path_read(root, text, sizeof(text), "rmcp-snapshot/kernel-log");
	if (n <= 0)
		return;
	size_t l1 = strcspn(text, "\n");
	static const enum rmcp_fact_state states[] = { RMCP_FACT_DENIED, RMCP_FACT_ERROR, RMCP_FACT_ABSENT };
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		const char *name = rmcp_fact_state_name(states[i]);
		if (strlen(name) == l1 && strncmp(text, name, l1) == 0)
			m->kernel_log = states[i];
	}
	if (text[l1] == '\n')
		rmcp_copy_trimmed(m->kernel_log_why, sizeof(m->kernel_log_why), text + l1 + 1,
				  strcspn(text + l1 + 1, "\n"));
	snprintf(m->kernel_log_source, sizeof(m->kernel_log_source), "rmcp-snapshot/kernel-log");
}

int rmcp_read_kernel_log(struct rmcp_path *root, const struct rmcp_machine_opts *opts,
			 struct rmcp_machine *m)
{
	int rc;
	if (opts->dmesg_file) {
		rc = scan_file(opts->dmesg_file, m);
		snprintf(m->kernel_log_source, sizeof(m->kernel_log_source), "%s", opts->dmesg_file);
		m->kernel_log = rmcp_state_from_rc(rc);
		if (rc < 0)
			snprintf(m->kernel_log_why, sizeof(m->kernel_log_why), "%s: %s", opts->dmesg_file,
				 strerror(-rc));
		return rc == -ENOMEM ? rc : 0;
	}
	if (!rmcp_path_is_live(root)) {
		static const char *const files[] = { "var/log/dmesg", "var/log/kern.log" };
		m->kernel_log = RMCP_FACT_ABSENT;
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char path[PATH_MAX];
			if (!rmcp_path_abs(root, path, sizeof(path), files[i]))
				continue;
			rc = scan_file(path, m);
			if (rc == -ENOENT)
				continue;
			snprintf(m->kernel_log_source, sizeof(m->kernel_log_source), "%s", files[i]);
			m->kernel_log = rmcp_state_from_rc(rc);
			if (rc < 0)
				snprintf(m->kernel_log_why, sizeof(m->kernel_log_why), "%s: %s", files[i],
					 strerror(-rc));
			return rc == -ENOMEM ? rc : 0;
		}
		snapshot_log_state(root, m);
		return 0;
	}
	if (opts->no_live_log)
		return 0;	/* kernel_log stays UNKNOWN: not read on purpose */
	rc = rmcp_klog_live(opts->journalctl, scan_sink, m, m->kernel_log_source, sizeof(m->kernel_log_source),
			    m->kernel_log_why, sizeof(m->kernel_log_why));
	m->kernel_log = rmcp_state_from_rc(rc);
	return rc == -ENOMEM ? rc : 0;
}

/* Tie log facts to GPUs: a device KFD skipped for atomics has no node, only a PCI entry. */
void rmcp_apply_log(struct rmcp_machine *m)
{
	for (size_t i = 0; i < m->n_log; i++) {
		const struct rmcp_log_line *l = &m->log[i];
		if (strcmp(l->kind, "skipped_device") != 0 || !l->device_id)
			continue;
		for (size_t k = 0; k < m->n_gpus; k++) {
			struct rmcp_gpu *g = &m->gpus[k];
			if (g->node >= 0 || g->device_id != l->device_id || g->vendor_id != l->vendor_id)
				continue;
			g->log_skipped_atomics = true;
			if (l->fw_need) {
				g->mec_fw = l->fw_have;
				g->atomics_fw_required = l->fw_need;
			}
		}
	}
}
