/* SPDX-License-Identifier: MIT */
/* rmcp report: the diagnosis as Markdown to paste into a ROCm or PyTorch issue. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cmd.h"
#include "opts.h"
#include "probe.h"
#include "report_md.h"
#include "verdict.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_report_usage[] = {
	"rmcp report [--redact] [--sysroot DIR] [--torch DIR]... [--python PATH]... [--dmesg FILE]",
	"            [--no-cache]",
	NULL,
};

static const struct rmcp_opt report_opts[] = {
	RMCP_OPT('r', "redact", NULL,
	  "replace the home directory with ~, the user name with <user> and\n"
	  "the host name with <host>"),
	RMCP_OPT('s', "sysroot", "DIR",
	  "report on the machine captured under DIR (rmcp capture, or a\n"
	  "snapshot) instead of this one"),
	RMCP_OPT('t', "torch", "DIR",
	  "also judge the PyTorch package in DIR; may be repeated"),
	RMCP_OPT('p', "python", "PATH",
	  "also look in the site-packages of this python; may be repeated"),
	RMCP_OPT('d', "dmesg", "FILE",
	  "read kernel messages from FILE instead of the live kernel log"),
	RMCP_OPT('n', "no-cache", NULL,
	  "scan every library again instead of using the scan cache"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_report_help = {
	.name = "report",
	.usage = rmcp_report_usage,
	.about =
	"Print a Markdown block to paste into a ROCm or PyTorch issue, like\n"
	"`python -m torch.utils.collect_env` but with rmcp's verdict: rmcp's version, build\n"
	"features and data versions, the OS, kernel, Python and its PyTorch, ROCm, the GPUs, the\n"
	"environment variables that change ROCm's behaviour, the findings and next steps, and\n"
	"the last `rmcp probe` result when one is cached for this machine and environment.\n"
	"Reads what `rmcp doctor` reads; never runs Python, never opens /dev/kfd\n"
	"(docs/report.md).\n"
	"\n"
	"options:\n",
	.opts = report_opts,
	.after =
	"\n"
	"exit status: 0 the report was printed (whatever the verdict); 2 usage error; 4 the\n"
	"machine or the output could not be read or written.\n",
};


static bool live(const char *sysroot)
{
	return !sysroot || strcmp(sysroot, "/") == 0;
}

static void read_small(const char *sysroot, const char *rel, char *buf, size_t cap)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s%s", live(sysroot) ? "" : sysroot, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void os_name(const char *sysroot, char *out, size_t cap)
{
	char text[4096];
	read_small(sysroot, "/etc/os-release", text, sizeof(text));
	if (!text[0])
		read_small(sysroot, "/usr/lib/os-release", text, sizeof(text));
	rmcp_os_release_name(text, strlen(text), out, cap);
}

/* The version in the interpreter's name, or in the name its link points to (python3 ->
 * python3.11), or in the judged PyTorch's site-packages path. */
static void python_version(const char *sysroot, const struct rmcp_diagnosis *d, char *out, size_t cap)
{
	const char *py = d->stack ? d->stack->python : "";
	rmcp_python_version_from_path(py, out, cap);
	if (!out[0] && py[0]) {
		char path[PATH_MAX], target[PATH_MAX];
		snprintf(path, sizeof(path), "%s%s", live(sysroot) ? "" : sysroot, py);
		for (int hop = 0; hop < 8 && !out[0]; hop++) {
			ssize_t n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				break;
			target[n] = '\0';
			rmcp_python_version_from_path(target, out, cap);
			if (target[0] == '/')
				snprintf(path, sizeof(path), "%s%s", live(sysroot) ? "" : sysroot, target);
			else {
				char *slash = strrchr(path, '/');
				if (!slash)
					break;
				snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "%s", target);
			}
		}
	}
	if (!out[0] && d->stack && d->torch >= 0)
		rmcp_python_version_from_path(d->stack->torch[d->torch].path, out, cap);
}

/* The user's home: $HOME for this machine, else etc/passwd of the snapshot by uid. */
static void home_of(const char *sysroot, const struct rmcp_machine *m, char *out, size_t cap)
{
	out[0] = '\0';
	if (live(sysroot)) {
		const char *h = getenv("HOME");
		snprintf(out, cap, "%s", h ? h : "");
		return;
	}
	if (!m->user_known)
		return;
	char text[65536];
	read_small(sysroot, "/etc/passwd", text, sizeof(text));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		/* name:pw:uid:gid:gecos:home:shell */
		char *f[7] = { 0 };
		size_t k = 0;
		for (char *p = line; k < 7; k++) {
			f[k] = p;
			char *c = strchr(p, ':');
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (k >= 5 && f[2] && f[5] && strtoul(f[2], NULL, 10) == m->uid) {
			snprintf(out, cap, "%s", f[5]);
			return;
		}
	}
}

static void host_of(const char *sysroot, char *out, size_t cap)
{
	out[0] = '\0';
	if (live(sysroot)) {
		if (gethostname(out, cap) != 0)
			out[0] = '\0';
		out[cap - 1] = '\0';
		return;
	}
	read_small(sysroot, "/etc/hostname", out, cap);
	out[strcspn(out, " \t\r\n")] = '\0';
}

/* The cached result of `rmcp probe` (device 0, its default watchdog), if any. */
static bool cached_probe(const char *sysroot, const struct rmcp_machine *m, struct rmcp_probe_result *r)
{
	char cache[4096], key[4096], hex[17];
	struct rmcp_probe_opts po = { .device = 0, .timeout_s = 120 };
	struct rmcp_probe_locate_opts lo = { .sysroot = sysroot };
	struct rmcp_err err = { 0 };
	if (rmcp_cache_default_dir(environ, cache, sizeof(cache)) < 0 || rmcp_probe_locate(&lo, &po.libs, &err) < 0 ||
	    rmcp_probe_fingerprint(m, &po, key, sizeof(key), hex) < 0)
		return false;
	rmcp_probe_result_init(r);
	return rmcp_probe_cache_load(cache, key, hex, po.timeout_s, r) == 1;
}

static int print_report(const char *sysroot, const struct rmcp_diagnosis *d, bool redact)
{
	char os[160], pyver[16], home[PATH_MAX], host[256];
	struct rmcp_probe_result *probe = calloc(1, sizeof(*probe));
	os_name(sysroot, os, sizeof(os));
	python_version(sysroot, d, pyver, sizeof(pyver));
	struct rmcp_report_host h = {
		.os = os,
		.python = d->stack ? d->stack->python : "",
		.python_version = pyver,
		.probe = probe && cached_probe(sysroot, &d->machine, probe) ? probe : NULL,
	};
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = mem ? rmcp_report_markdown(mem, d, &h) : -ENOMEM;
	if (mem && fclose(mem) != 0 && rc == 0)
		rc = -ENOMEM;
	free(probe);
	if (rc < 0) {
		free(text);
		return rc;
	}
	if (redact) {
		home_of(sysroot, &d->machine, home, sizeof(home));
		host_of(sysroot, host, sizeof(host));
		const char *user = d->machine.user[0] ? d->machine.user : live(sysroot) ? getenv("USER") : NULL;
		char *r = rmcp_redact(text, home, user, host);
		free(text);
		if (!r)
			return -ENOMEM;
		text = r;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct rmcp_diag_opts o = { .envp = environ };
	struct rmcp_machine_args m = { 0 };
	bool redact = false, no_cache = false;
	int opt, status = RMCP_EXIT_USAGE;
	struct rmcp_optparse op;

	rmcp_opt_init(&op, &rmcp_report_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		int taken = rmcp_machine_arg("report", &m, opt, op.arg);
		if (taken == 0)
			continue;
		if (taken > 0) {
			status = taken;
			goto out;
		}
		switch (opt) {
		case RMCP_OPT_EXIT:
			status = op.status;
			goto out;
		case 'r':
			redact = true;
			break;
		case 'n':
			no_cache = true;
			break;
		}
	}
	o.sysroot = m.sysroot;
	o.dmesg_file = m.dmesg_file;
	if (rmcp_machine_args_check("report", &m) < 0)
		goto out;
	char cache[4096];
	o.cache_dir = !no_cache && rmcp_cache_default_dir(environ, cache, sizeof(cache)) == 0 ? cache : NULL;
	o.torch_dirs = m.torch.v;
	o.python_paths = m.python.v;
	struct rmcp_diagnosis *d = calloc(1, sizeof(*d));
	if (!d) {
		rmcp_error("report", "out of memory");
		status = RMCP_EXIT_IO;
		goto out;
	}
	struct rmcp_err err = { 0 };
	int rc = rmcp_diagnose(&o, d, &err);
	if (rc == 0)
		rmcp_doc_cite_result(&d->result);
	if (rc < 0) {
		rmcp_error("report", "%s", err.msg[0] ? err.msg : rmcp_strerror(rc));
		status = RMCP_EXIT_IO;
	} else if ((rc = print_report(o.sysroot, d, redact)) < 0) {
		rmcp_error("report", "%s", strerror(-rc));
		status = RMCP_EXIT_IO;
	} else {
		status = rmcp_finish_stdout("report", RMCP_EXIT_OK);
	}
	rmcp_diagnosis_release(d);
	free(d);
out:
	rmcp_machine_args_release(&m);
	return status;
}
