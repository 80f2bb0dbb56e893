/* SPDX-License-Identifier: MIT */
/* Small helpers every command shares (cmd.h). */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cmd.h"
#include "error.h"
#include "opts.h"
#include "profile.h"
#include "fsutil.h"
#include "kb.h"
#include "probe.h"
#include "sysroot.h"
#include "version.h"

#include "probe.h"
#include "banned.h"

int rmcp_strlist_add(struct rmcp_strlist *l, const char *s)
{
	const char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

extern char **environ;

void rmcp_cli_end_if_interrupted(void)
{
	int sig = rmcp_probe_interrupted();
	if (!sig)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

bool rmcp_cli_cache_dir(const char *cmd, char *buf, size_t cap)
{
	static bool warned;
	if (rmcp_cache_default_dir(environ, buf, cap) < 0)
		return false;
	int rc = rmcp_cache_dir_check(buf);
	if (rc == 0 || rc == -ENOENT)
		return true;
	if (!warned)
		rmcp_error(cmd, "warning: cache %s: %s; running without the cache", buf, rmcp_strerror(rc));
	warned = true;
	return false;
}

void rmcp_strlist_free(struct rmcp_strlist *l)
{
	for (size_t i = 0; i < l->n_own; i++)
		free(l->own[i]);
	free(l->own);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int check_machine_path(const char *cmd, const char *opt, struct rmcp_path *root, bool live,
			      struct rmcp_strlist *l, size_t i, bool want_dir)
{
	const char *path = l->v[i];
	if (live && path[0] != '/') {
		char *abs = realpath(path, NULL);
		if (!abs) {
			rmcp_error(cmd, "%s %s: %s", opt, path, strerror(errno));
			return -1;
		}
		char **no = realloc(l->own, (l->n_own + 1) * sizeof(*no));
		if (!no) {
			free(abs);
			rmcp_error(cmd, "out of memory");
			return -1;
		}
		l->own = no;
		l->own[l->n_own++] = abs;
		l->v[i] = path = abs;
	}
	char host[PATH_MAX];
	struct stat st;
	int rc = rmcp_path_host(root, path, host, sizeof(host));
	/* A --python may be a venv's link to an interpreter the snapshot lacks: only its
	 * directory is used (bin/ -> lib/python3.x/site-packages), so the link is enough. */
	if (rc == 0 && !want_dir && !rmcp_path_exists(root, path))
		rc = -ENOENT;
	else if (rc == 0 && want_dir && stat(host, &st) != 0)
		rc = -errno;
	else if (rc == 0 && want_dir && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc == 0)
		return 0;
	if (live) {
		rmcp_error(cmd, "%s %s: %s", opt, path, strerror(-rc));
		return -1;
	}
	rmcp_error(cmd, "%s %s: %s under --sysroot %s (looked for %s)%s", opt, path,
		   rc == -ENOENT ? "not found" : strerror(-rc), rmcp_path_sysroot(root), host,
		   path[0] == '/' && stat(path, &st) == 0 ? "; it exists on this machine, but with --sysroot "
		   "paths are read inside the sysroot" : "");
	return -1;
}

int rmcp_check_machine_paths(const char *cmd, const char *sysroot, struct rmcp_strlist *torch,
			     struct rmcp_strlist *python)
{
	if (torch->n == 0 && python->n == 0)
		return 0;
	struct rmcp_path *root = rmcp_path_new(sysroot, "/");
	if (!root) {
		rmcp_error(cmd, "--sysroot %s: %s", sysroot ? sysroot : "/", strerror(errno));
		return -1;
	}
	bool live = rmcp_path_is_live(root);
	int rc = 0;
	for (size_t i = 0; i < torch->n && rc == 0; i++)
		rc = check_machine_path(cmd, "--torch", root, live, torch, i, true);
	for (size_t i = 0; i < python->n && rc == 0; i++)
		rc = check_machine_path(cmd, "--python", root, live, python, i, false);
	rmcp_path_free(root);
	return rc;
}

int rmcp_check_dir(const char *cmd, const char *opt, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		rmcp_error(cmd, "%s %s: %s", opt, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		rmcp_error(cmd, "%s %s: not a directory", opt, dir);
		return -1;
	}
	return 0;
}

static const char *rel_to_bindir(const char *dir, char *buf, size_t cap)
{
	if (dir[0] == '/')
		return NULL;
	int n = snprintf(buf, cap, "../%s", dir);
	return n > 0 && (size_t)n < cap ? buf : NULL;
}

const char *rmcp_doc_path(const char *name, char *buf, size_t cap)
{
	size_t len = strlen(name);
	bool schema = len > 12 && strcmp(name + len - 12, ".schema.json") == 0;
	char rel[4096];
	const char *r = rel_to_bindir(schema ? RMCP_SCHEMADIR : RMCP_DOCDIR, rel, sizeof(rel));
	const char *abs = schema ? RMCP_SCHEMADIR_ABS : RMCP_DOCDIR_ABS;
	if (rmcp_installed_file(r, abs, name, buf, cap) == 0)
		return buf;
	/* Debian compresses documentation over 4 kB (dh_compress): cite what is there. */
	char gz[256];
	int n = snprintf(gz, sizeof(gz), "%s.gz", name);
	if (n <= 0 || (size_t)n >= sizeof(gz) || rmcp_installed_file(r, abs, gz, buf, cap) != 0)
		snprintf(buf, cap, "docs/%s", name);
	return buf;
}

void rmcp_doc_cite(char *text, size_t cap)
{
	char out[16384];
	size_t o = 0;
	bool changed = false;
	const char *from = text, *scan = text;	/* text before `from` is in out */
	for (const char *hit; (hit = strstr(scan, "docs/")) != NULL;) {
		const char *name = hit + 5;
		scan = name;
		/* only "docs/" starting a word: not ".../doc/rmcp/docs/" or "mydocs/" */
		if (hit != text && !strchr(" (`'\"", hit[-1]))
			continue;
		size_t nl = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
		while (nl && name[nl - 1] == '.')	/* a sentence's full stop */
			nl--;
		char nm[256], path[4096];
		if (!nl || nl >= sizeof(nm))
			continue;
		memcpy(nm, name, nl);
		nm[nl] = '\0';
		rmcp_doc_path(nm, path, sizeof(path));
		size_t before = (size_t)(hit - from), pl = strlen(path);
		if (pl >= sizeof(out) || before >= sizeof(out) - pl - o)
			return;
		memcpy(out + o, from, before);
		memcpy(out + o + before, path, pl);
		o += before + pl;
		from = scan = name + nl;
		changed = true;
	}
	size_t rest = strlen(from);
	if (!changed || rest >= sizeof(out) - o || o + rest >= cap)
		return;
	memcpy(out + o, from, rest + 1);
	memcpy(text, out, o + rest + 1);
}

void rmcp_doc_cite_result(struct rmcp_kb_result *r)
{
	rmcp_doc_cite(r->summary, sizeof(r->summary));
	for (size_t i = 0; i < r->n_findings; i++) {
		rmcp_doc_cite(r->findings[i].summary, sizeof(r->findings[i].summary));
		rmcp_doc_cite(r->findings[i].cause, sizeof(r->findings[i].cause));
		rmcp_doc_cite(r->findings[i].fix, sizeof(r->findings[i].fix));
	}
	for (size_t i = 0; i < r->n_steps; i++)
		rmcp_doc_cite(r->steps[i].text, sizeof(r->steps[i].text));
}

void rmcp_help_print(FILE *out, const char *text)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n + 4096);
	if (!copy) {
		fputs(text, out);
		return;
	}
	memcpy(copy, text, n);
	rmcp_doc_cite(copy, n + 4096);
	fputs(copy, out);
	free(copy);
}

int rmcp_machine_arg(const char *cmd, struct rmcp_machine_args *m, int opt, const char *arg)
{
	switch (opt) {
	case 's':
		m->sysroot = arg;
		return 0;
	case 'd':
		m->dmesg_file = arg;
		return 0;
	case 't':
	case 'p':
		if (rmcp_strlist_add(opt == 't' ? &m->torch : &m->python, arg) < 0) {
			rmcp_error(cmd, "out of memory");
			return RMCP_EXIT_IO;
		}
		return 0;
	default:
		return -1;
	}
}

int rmcp_machine_args_check(const char *cmd, struct rmcp_machine_args *m)
{
	if (m->sysroot) {
		if (rmcp_check_dir(cmd, "--sysroot", m->sysroot) < 0)
			return -1;
		if (access(m->sysroot, R_OK | X_OK) != 0) {
			rmcp_error(cmd, "--sysroot %s: %s", m->sysroot, strerror(errno));
			return -1;
		}
	}
	if (m->dmesg_file && access(m->dmesg_file, R_OK) != 0) {
		rmcp_error(cmd, "--dmesg %s: %s", m->dmesg_file, strerror(errno));
		return -1;
	}
	return rmcp_check_machine_paths(cmd, m->sysroot, &m->torch, &m->python) < 0 ? -1 : 0;
}

void rmcp_machine_args_release(struct rmcp_machine_args *m)
{
	rmcp_strlist_free(&m->torch);
	rmcp_strlist_free(&m->python);
}

void rmcp_profile_args_init(struct rmcp_profile_args *a)
{
	*a = (struct rmcp_profile_args){ .mode = RMCP_DEVICE_AUTO, .timeout = 120 };
}

void rmcp_profile_args_release(struct rmcp_profile_args *a)
{
	rmcp_strlist_free(&a->torch);
	rmcp_strlist_free(&a->python);
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

int rmcp_profile_arg(const struct rmcp_cmd_help *cmd, struct rmcp_profile_args *a, int opt,
		     const char *arg)
{
	static const char *const memory_modes[] = { "default", "noncoherent", "coarse", NULL };
	static const char *const guard_modes[] = { "block", "warn", "off", NULL };
	enum rmcp_device_mode mode;
	char *end;
	switch (opt) {
	case 'd':
		if (rmcp_device_mode_parse(arg, &mode) < 0)
			return rmcp_cmd_usage_error(cmd, "--device '%s': expected auto, gpu or cpu", arg);
		a->mode = (int)mode;
		return 0;
	case 'm':
		if (!one_of(arg, memory_modes))
			return rmcp_cmd_usage_error(cmd, "--memory '%s': expected default, noncoherent or coarse",
						    arg);
		a->memory = arg;
		return 0;
	case 'g':
		if (!one_of(arg, guard_modes))
			return rmcp_cmd_usage_error(cmd, "--guard '%s': expected block, warn or off", arg);
		a->guard = arg;
		return 0;
	case 's':
		a->sysroot = arg;
		return 0;
	case 't':
	case 'p':
		if (rmcp_strlist_add(opt == 't' ? &a->torch : &a->python, arg) < 0) {
			rmcp_error(cmd->name, "out of memory");
			return cmd->usage_status ? cmd->usage_status : RMCP_EXIT_IO;
		}
		return 0;
	case 'P':
		errno = 0;
		a->timeout = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->timeout > 0) || a->timeout > 86400)
			return rmcp_cmd_usage_error(cmd, "--probe-timeout '%s': expected seconds, more than 0",
						    arg);
		return 0;
	case 'n':
		a->no_cache = true;
		return 0;
	default:
		return -1;
	}
}

/* ---- progress on a terminal (rmcp probe, run/env --device auto) ---- */

void rmcp_progress_init(struct rmcp_progress *p, const char *cmd, double timeout_s)
{
	const char *term = getenv("TERM");
	p->cmd = cmd;
	p->timeout_s = timeout_s;
	p->tty = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
	p->shown = false;
}

/* After 1 s, one line rewritten in place: the step under way and the time against the
 * watchdog. Never on a pipe or a file: logs get no carriage returns. */
void rmcp_progress_step(void *ctx, int step, double elapsed_s)
{
	struct rmcp_progress *p = ctx;
	if (!p->tty || elapsed_s < 1.0)
		return;
	const char *name = step >= 0 && step < RMCP_PROBE_N_STEPS ? rmcp_probe_step_name((enum rmcp_probe_step)step)
								  : "starting";
	fprintf(stderr, "\r\033[Krmcp: %s: probing the GPU: %s (step %d of %d), %.0f s of %.0f s", p->cmd, name,
		step < 0 ? 0 : step + 1, RMCP_PROBE_N_STEPS, elapsed_s, p->timeout_s);
	fflush(stderr);
	p->shown = true;
}

void rmcp_progress_end(struct rmcp_progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = false;
}
