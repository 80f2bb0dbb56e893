/* SPDX-License-Identifier: MIT */
/*
 * rmcp run and rmcp env, as a user runs them: exit statuses and signals with ordinary
 * commands (sh, env), the CPU-fallback environment read back by a program that applies
 * HIP's, ROCr's and PyTorch's own rules (visible_check.c), --device auto on fixture machines
 * whose PyTorch bundles the test-double runtime (probe says no code object -> CPU; probe ok
 * -> GPU), and, over every fixture, that no profile leaves a gfx101x GPU with a 10.3.x
 * override.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "report_profile.h"
#include "run.h"

extern char **environ;

#define VENV_PYTHON "/home/user/venv/bin/python3"
#define TORCH_REL "/home/user/venv/lib/python3.11/site-packages/torch"
#define FAULT_LINE "Memory access fault by GPU node-1 (Agent handle: 0x55d5a8e7f2b0) on address 0x7f3a2c200000. Reason: Page not present or supervisor privilege."

static char tmp[PATH_MAX];

static void pathf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < cap);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return strdup("");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		return strdup("");
	buf[len] = '\0';
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool gone(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		sleep_ms(10);
	}
	return false;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/rmcp-test-run-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	char cache[PATH_MAX];
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	setenv("XDG_CACHE_HOME", cache, 1);
	/* meson puts the build directories of the test doubles on LD_LIBRARY_PATH (they are
	 * dependencies); each test sets what it means to load instead */
	unsetenv("LD_LIBRARY_PATH");
	unsetenv("HSA_OVERRIDE_GFX_VERSION");
	unsetenv("HIP_VISIBLE_DEVICES");
	unsetenv("ROCR_VISIBLE_DEVICES");
	unsetenv("CUDA_VISIBLE_DEVICES");
	unsetenv("RMCP_STUB_BEHAVIOUR");
	unsetenv("RMCP_STUB_GFX");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* Start argv with stdout and stderr to files; stdin /dev/null. */
static pid_t start(char *const argv[], const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(rc, 0);
	return pid;
}

/* As a shell reports it: the exit status, or 128+N for a command killed by signal N. */
static int finish(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct ran {
	int status;
	char *out, *err;
};

static struct ran run(char *const argv[])
{
	char out[PATH_MAX], err[PATH_MAX];
	pathf(out, sizeof(out), "%s/stdout", tmp);
	pathf(err, sizeof(err), "%s/stderr", tmp);
	struct ran r;
	r.status = finish(start(argv, out, err));
	r.out = read_file(out);
	r.err = read_file(err);
	return r;
}

static void ran_free(struct ran *r)
{
	free(r->out);
	free(r->err);
}

#define RMCP (char *)need_env("RMCP_BIN")

/* ---- exit statuses ---- */

static void exit_statuses(void **state)
{
	(void)state;
	char noexec[PATH_MAX];
	pathf(noexec, sizeof(noexec), "%s/not-executable", tmp);
	FILE *f = fopen(noexec, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(noexec, 0644);
	/* exec mode (--device cpu), then supervised mode (--retry-on-gpu-fault) */
	static const char *const modes[][4] = {
		{ "--device", "cpu", NULL, NULL },
		{ "--device", "gpu", "--retry-on-gpu-fault", "--guard" },
	};
	for (size_t m = 0; m < 2; m++) {
		const char *const *md = modes[m];
		struct {
			const char *cmd[4];
			int status;
			const char *err;
		} cases[] = {
			{ { "sh", "-c", "exit 3", NULL }, 3, NULL },
			{ { "sh", "-c", "exit 0", NULL }, 0, NULL },
			{ { "sh", "-c", "kill -TERM $$", NULL }, 143, NULL },
			{ { "sh", "-c", "kill -SEGV $$", NULL }, 139, NULL },
			{ { "rmcp-no-such-command-xyz", NULL }, 127, "rmcp-no-such-command-xyz: command not found" },
			{ { "/nonexistent/cmd", NULL }, 127, "/nonexistent/cmd: No such file or directory" },
			{ { noexec, NULL }, 126, "Permission denied" },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *argv[16];
			size_t n = 0;
			argv[n++] = RMCP;
			argv[n++] = "run";
			for (size_t k = 0; k < 4 && md[k]; k++)
				argv[n++] = (char *)md[k];
			if (m == 1)
				argv[n++] = "off";
			argv[n++] = "--";
			for (size_t k = 0; cases[i].cmd[k]; k++)
				argv[n++] = (char *)cases[i].cmd[k];
			argv[n] = NULL;
			struct ran r = run(argv);
			if (r.status != cases[i].status)
				fprintf(stderr, "mode %zu case %zu: status %d\n%s\n", m, i, r.status, r.err);
			assert_int_equal(r.status, cases[i].status);
			if (cases[i].err)
				assert_non_null(strstr(r.err, cases[i].err));
			ran_free(&r);
		}
	}
	/* rmcp run's own failures are 125, like env(1) and timeout(1) */
	char *usage1[] = { RMCP, "run", NULL };
	char *usage2[] = { RMCP, "run", "--device", "tpu", "--", "true", NULL };
	char *usage3[] = { RMCP, "run", "--memory", "sticky", "true", NULL };
	char *help[] = { RMCP, "run", "--help", NULL };
	struct ran r = run(usage1);
	assert_int_equal(r.status, 125);
	ran_free(&r);
	r = run(usage2);
	assert_int_equal(r.status, 125);
	assert_non_null(strstr(r.err, "--device 'tpu'"));
	ran_free(&r);
	r = run(usage3);
	assert_int_equal(r.status, 125);
	ran_free(&r);
	r = run(help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: rmcp run"));
	ran_free(&r);
	/* options stop at the command: its own options are its own */
	char *noopt[] = { RMCP, "run", "--device", "cpu", "sh", "-c", "exit 5", NULL };
	r = run(noopt);
	assert_int_equal(r.status, 5);
	ran_free(&r);
}

/* ---- signals ---- */

static bool wait_for(const char *path)
{
	for (int i = 0; i < 500 && !exists(path); i++)
		sleep_ms(10);
	return exists(path);
}

static pid_t read_pid(const char *path)
{
	char *s = read_file(path);
	char *end;
	long v = strtol(s, &end, 10);
	assert_true(end != s && v > 1);
	free(s);
	return (pid_t)v;
}

struct sigcase {
	int sig;
	const char *name;	/* for trap, NULL = no trap */
	int status;
};

/* The signal sent to rmcp (by kill(2), as systemd, Slurm or a user would) reaches the
 * command; rmcp ends only after the command, with its status; nothing is left behind. */
static void signals_reach_the_command(void **state)
{
	(void)state;
	static const struct sigcase cases[] = {
		{ SIGINT, "INT", 42 }, { SIGHUP, "HUP", 43 }, { SIGQUIT, "QUIT", 44 },
		{ SIGUSR1, "USR1", 45 }, { SIGUSR2, "USR2", 46 }, { SIGWINCH, "WINCH", 47 },
		{ SIGTERM, NULL, 143 },
	};
	char pidf[PATH_MAX], mark[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	pathf(pidf, sizeof(pidf), "%s/child.pid", tmp);
	pathf(mark, sizeof(mark), "%s/mark", tmp);
	pathf(out, sizeof(out), "%s/sig.out", tmp);
	pathf(err, sizeof(err), "%s/sig.err", tmp);
	for (int supervised = 0; supervised < 2; supervised++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct sigcase *c = &cases[i];
			unlink(pidf);
			unlink(mark);
			char script[1024];
			/* the trap takes a moment before it writes its mark and exits: rmcp must wait */
			if (c->name)
				pathf(script, sizeof(script),
				      "trap 'sleep 0.2; echo %s > \"%s\"; exit %d' %s; echo $$ > \"%s\"; "
				      "while :; do sleep 0.02; done",
				      c->name, mark, c->status, c->name, pidf);
			else
				pathf(script, sizeof(script), "echo $$ > \"%s\"; while :; do sleep 0.02; done", pidf);
			char *argv_exec[] = { RMCP, "run", "--device", "cpu", "--", "sh", "-c", script, NULL };
			char *argv_sup[] = { RMCP, "run", "--device", "gpu", "--guard", "off",
					     "--retry-on-gpu-fault", "--", "sh", "-c", script, NULL };
			pid_t rmcp = start(supervised ? argv_sup : argv_exec, out, err);
			assert_true(wait_for(pidf));
			sleep_ms(50);	/* the trap is set once $$ is written; let the loop start */
			pid_t child = read_pid(pidf);
			if (supervised)
				assert_int_not_equal(child, rmcp);	/* rmcp stayed as the parent */
			else
				assert_int_equal(child, rmcp);		/* rmcp became the command */
			assert_int_equal(kill(rmcp, c->sig), 0);
			int status = finish(rmcp);
			if (status != c->status)
				fprintf(stderr, "%s (supervised %d): status %d\n", c->name ? c->name : "TERM",
					supervised, status);
			assert_int_equal(status, c->status);
			if (c->name)
				assert_true(exists(mark));	/* the trap ran to its end before rmcp left */
			assert_true(gone(child));
		}
	}
}

/* stderr passes through byte for byte, even binary, when rmcp watches it. */
static void stderr_passes_through(void **state)
{
	(void)state;
	char blob[PATH_MAX], script[PATH_MAX * 2];
	pathf(blob, sizeof(blob), "%s/blob", tmp);
	FILE *f = fopen(blob, "wb");
	assert_non_null(f);
	uint32_t x = 99;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		fputc((int)(x & 0xff), f);
	}
	fclose(f);
	pathf(script, sizeof(script), "cat '%s' >&2; echo out; exit 9", blob);
	char *argv[] = { RMCP, "run", "--device", "gpu", "--guard", "off", "--retry-on-gpu-fault", "--",
			 "sh", "-c", script, NULL };
	char out[PATH_MAX], err[PATH_MAX];
	pathf(out, sizeof(out), "%s/pt.out", tmp);
	pathf(err, sizeof(err), "%s/pt.err", tmp);
	assert_int_equal(finish(start(argv, out, err)), 9);
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", blob, err);
	assert_int_equal(system(cmd), 0);	/* identical: nothing added, nothing lost */
	char *o = read_file(out);
	assert_string_equal(o, "out\n");
	free(o);
}

/* --retry-on-gpu-fault: died printing ROCr's fault text -> once more, on the CPU. */
static void retry_on_gpu_fault(void **state)
{
	(void)state;
	char script[2048];
	pathf(script, sizeof(script),
	      "if [ \"$HIP_VISIBLE_DEVICES\" = -1 ]; then exec '%s' --expect none; fi; "
	      "echo '%s' >&2; kill -ABRT $$", need_env("RMCP_VISIBLE_CHECK"), FAULT_LINE);
	char *argv[] = { RMCP, "run", "--device", "gpu", "--guard", "off", "--retry-on-gpu-fault", "--",
			 "sh", "-c", script, NULL };
	struct ran r = run(argv);
	assert_int_equal(r.status, 0);		/* visible_check: no GPU visible, consistently */
	assert_non_null(strstr(r.err, FAULT_LINE "\n"));	/* passed through */
	assert_non_null(strstr(r.err, "running it again on the CPU"));
	assert_non_null(strstr(r.out, "hip=0 torch=0"));
	ran_free(&r);
	/* a failure without the fault text is not retried */
	char *argv2[] = { RMCP, "run", "--device", "gpu", "--guard", "off", "--retry-on-gpu-fault", "--",
			  "sh", "-c", "echo 'Segmentation fault' >&2; kill -SEGV $$", NULL };
	r = run(argv2);
	assert_int_equal(r.status, 139);
	assert_null(strstr(r.err, "again on the CPU"));
	ran_free(&r);
	/* without --retry-on-gpu-fault, rmcp is gone: the fault is the command's business */
	char *argv3[] = { RMCP, "run", "--device", "gpu", "--guard", "off", "--", "sh", "-c", script, NULL };
	r = run(argv3);
	assert_int_equal(r.status, 128 + SIGABRT);
	ran_free(&r);
}

/* ---- the CPU environment, read back as HIP and PyTorch read it ---- */

static int visible(const char *expect_what)
{
	char *argv[] = { (char *)need_env("RMCP_VISIBLE_CHECK"), "--expect", (char *)expect_what, NULL };
	struct ran r = run(argv);
	int s = r.status;
	ran_free(&r);
	return s;
}

static void cpu_environment(void **state)
{
	(void)state;
	/* the checker can fail: with nothing set every GPU is visible; an empty
	 * HIP_VISIBLE_DEVICES is "all" for HIP; more HIP_ than ROCR_ entries make PyTorch raise */
	assert_int_equal(visible("none"), 1);
	assert_int_equal(visible("some"), 0);
	setenv("HIP_VISIBLE_DEVICES", "", 1);
	assert_int_equal(visible("none"), 1);
	setenv("HIP_VISIBLE_DEVICES", "0,1", 1);
	setenv("ROCR_VISIBLE_DEVICES", "0", 1);
	assert_int_equal(visible("none"), 1);
	assert_int_equal(visible("some"), 1);
	setenv("CUDA_VISIBLE_DEVICES", "0", 1);
	/* rmcp run --device cpu, whatever the user had set */
	static const char *const user[][3] = {
		{ NULL, NULL, NULL }, { "0,1", "0", "0" }, { "", NULL, "1" }, { "-1", "", NULL },
	};
	for (size_t i = 0; i < sizeof(user) / sizeof(user[0]); i++) {
		static const char *const names[3] = { "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
						      "CUDA_VISIBLE_DEVICES" };
		for (int k = 0; k < 3; k++) {
			if (user[i][k])
				setenv(names[k], user[i][k], 1);
			else
				unsetenv(names[k]);
		}
		char *argv[] = { RMCP, "run", "--device", "cpu", "--", (char *)need_env("RMCP_VISIBLE_CHECK"),
				 "--expect", "none", NULL };
		struct ran r = run(argv);
		if (r.status)
			fprintf(stderr, "case %zu: %s%s\n", i, r.out, r.err);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "rocr=0 hip=0 torch=0 cuda=0\n");
		ran_free(&r);
		/* the same through rmcp env, as a script would use it */
		char script[PATH_MAX * 2];
		pathf(script, sizeof(script), "eval \"$('%s' env --device cpu)\" && exec '%s' --expect none",
		      need_env("RMCP_BIN"), need_env("RMCP_VISIBLE_CHECK"));
		char *sh[] = { "sh", "-c", script, NULL };
		r = run(sh);
		assert_int_equal(r.status, 0);
		ran_free(&r);
	}
	unsetenv("HIP_VISIBLE_DEVICES");
	unsetenv("ROCR_VISIBLE_DEVICES");
	unsetenv("CUDA_VISIBLE_DEVICES");
}

/* ---- --device auto on fixture machines ---- */

static void copy_file(const char *src, const char *dst)
{
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd), "rm -f '%s' && cp '%s' '%s'", dst, src, dst);
	assert_int_equal(system(cmd), 0);
}

/* A copy of the fixture whose PyTorch bundles the test-double HIP runtime and MIOpen. */
static void machine_with_doubles(const char *name, char *root, size_t cap)
{
	pathf(root, cap, "%s/%s", tmp, name);
	if (exists(root))
		return;
	char cmd[PATH_MAX * 3], lib[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cp -a '%s/sysroots/%s' '%s'", need_env("RMCP_FIXTURES"), name, root);
	assert_int_equal(system(cmd), 0);
	pathf(lib, sizeof(lib), "%s%s/lib", root, TORCH_REL);
	assert_true(exists(lib));
	pathf(src, sizeof(src), "%s/libamdhip64.so.6", need_env("RMCP_STUB_HIP6_DIR"));
	pathf(dst, sizeof(dst), "%s/libamdhip64.so", lib);
	copy_file(src, dst);
	pathf(src, sizeof(src), "%s/libMIOpen.so.1", need_env("RMCP_STUB_MIOPEN_DIR"));
	pathf(dst, sizeof(dst), "%s/libMIOpen.so", lib);
	copy_file(src, dst);
}

/* Issue 12: run --device auto probes first; a probe slower than 1 s says which step it is in
 * on a terminal (stderr on a pseudo-terminal), and nothing of the kind on a pipe. */
static void auto_progress_on_a_terminal(void **state)
{
	(void)state;
	char root[PATH_MAX];
	machine_with_doubles("rx5600xt", root, sizeof(root));
	setenv("LD_LIBRARY_PATH", need_env("RMCP_STUB_HSA_DIR"), 1);
	unsetenv("RMCP_STUB_GFX");
	setenv("RMCP_STUB_BEHAVIOUR", "hang:hipMemcpy", 1);
	char *argv[] = { RMCP, "run", "--sysroot", root, "--python", VENV_PYTHON, "--no-cache", "--probe-timeout",
			 "2.5", "--", "true", NULL };
	char *tty = run_stderr(argv, 1);
	char *piped = run_stderr(argv, 0);
	unsetenv("RMCP_STUB_BEHAVIOUR");
	if (!strstr(tty, "\033[Krmcp: run: probing the GPU: memory-device (step 4 of 9), "))
		fprintf(stderr, "on a terminal:\n%s\n", tty);
	assert_non_null(strstr(tty, "\033[Krmcp: run: probing the GPU: memory-device (step 4 of 9), "));
	assert_non_null(strstr(tty, "running on the CPU"));
	assert_null(strstr(piped, "probing the GPU"));
	assert_non_null(strstr(piped, "running on the CPU"));
	free(tty);
	free(piped);
}

static void auto_chooses_cpu_without_code(void **state)
{
	(void)state;
	char root[PATH_MAX];
	machine_with_doubles("rx5600xt", root, sizeof(root));
	setenv("LD_LIBRARY_PATH", need_env("RMCP_STUB_HSA_DIR"), 1);
	unsetenv("RMCP_STUB_GFX");	/* the double's GPU is a gfx1010, as the fixture's */
	char *argv[] = { RMCP, "run", "--sysroot", root, "--python", VENV_PYTHON, "--no-cache", "--",
			 (char *)need_env("RMCP_VISIBLE_CHECK"), "--expect", "none", NULL };
	struct ran r = run(argv);
	if (r.status)
		fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "the GPU probe found no code object at step conv2d"));
	assert_non_null(strstr(r.err, "running on the CPU"));
	/* one line says why */
	const char *nl = strchr(r.err, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	ran_free(&r);
	/* and the same machine with the user's 10.3.0 override: the profile removes it, so the
	 * probe still sees gfx1010 (no code object), never "ok" through the foreign ISA */
	setenv("HSA_OVERRIDE_GFX_VERSION", "10.3.0", 1);
	char *argv2[] = { RMCP, "env", "--json", "--sysroot", root, "--python", VENV_PYTHON, NULL };
	r = run(argv2);
	unsetenv("HSA_OVERRIDE_GFX_VERSION");
	assert_int_equal(r.status, 0);
	json_object *j = json_tokener_parse(r.out);
	assert_non_null(j);
	json_object *prof, *probe, *v;
	assert_true(json_object_object_get_ex(j, "profile", &prof));
	assert_true(json_object_object_get_ex(j, "probe", &probe));
	assert_true(json_object_object_get_ex(prof, "device", &v));
	assert_string_equal(json_object_get_string(v), "cpu");
	assert_true(json_object_object_get_ex(probe, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "no-code-object");
	json_object *gpu;
	assert_true(json_object_object_get_ex(probe, "gpu", &gpu));
	assert_true(json_object_object_get_ex(gpu, "arch", &v));
	assert_string_equal(json_object_get_string(v), "gfx1010");
	json_object_put(j);
	ran_free(&r);
	unsetenv("LD_LIBRARY_PATH");
}

static bool env_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = out; (p = strstr(p, line)); p += n)
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void auto_keeps_the_gpu_when_the_probe_passes(void **state)
{
	(void)state;
	char root[PATH_MAX];
	machine_with_doubles("rx6700xt", root, sizeof(root));
	setenv("LD_LIBRARY_PATH", need_env("RMCP_STUB_HSA_DIR"), 1);
	unsetenv("RMCP_STUB_GFX");
	/* gfx1031: the profile's 10.3.0 override makes the double load gfx1030 code: ok */
	char *argv[] = { RMCP, "run", "--sysroot", root, "--python", VENV_PYTHON, "--no-cache", "--",
			 "env", NULL };
	struct ran r = run(argv);
	if (r.status)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "running on the CPU"));
	assert_true(env_line(r.out, "HSA_OVERRIDE_GFX_VERSION=10.3.0"));
	assert_true(env_line(r.out, "MIOPEN_DEBUG_CONV_GEMM=0"));
	assert_true(env_line(r.out, "RMCP_GUARD=block"));
	assert_non_null(strstr(r.out, "LD_PRELOAD="));
	assert_non_null(strstr(r.out, "/librmcp.so"));
	assert_null(strstr(r.out, "HIP_VISIBLE_DEVICES="));
	assert_null(strstr(r.out, "ROCR_VISIBLE_DEVICES="));
	ran_free(&r);
	/* the cached probe answers the second time */
	char *argv2[] = { RMCP, "env", "--json", "--sysroot", root, "--python", VENV_PYTHON, NULL };
	r = run(argv2);
	assert_int_equal(r.status, 0);
	json_object *j = json_tokener_parse(r.out), *probe, *v, *prof;
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "probe", &probe));
	assert_true(json_object_object_get_ex(probe, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	assert_true(json_object_object_get_ex(probe, "cached", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(j, "profile", &prof));
	assert_true(json_object_object_get_ex(prof, "device", &v));
	assert_string_equal(json_object_get_string(v), "gpu");
	json_object_put(j);
	ran_free(&r);
	/* a gfx1100 with code: the GPU, and no override at all */
	machine_with_doubles("rx7900xtx", root, sizeof(root));
	setenv("RMCP_STUB_GFX", "gfx1100", 1);
	char *argv3[] = { RMCP, "run", "--sysroot", root, "--python", VENV_PYTHON, "--no-cache", "--",
			  "env", NULL };
	r = run(argv3);
	unsetenv("RMCP_STUB_GFX");
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "running on the CPU"));
	assert_null(strstr(r.out, "HSA_OVERRIDE_GFX_VERSION"));
	assert_true(env_line(r.out, "RMCP_GUARD=block"));
	ran_free(&r);
	unsetenv("LD_LIBRARY_PATH");
}

/* ---- every fixture: never 10.3.x on a gfx101x ---- */

struct var {
	char name[64], value[64];
	bool set;
};

static void var_put(struct var *v, size_t *n, const char *name, const char *value, bool set)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].name, name) == 0) {
			snprintf(v[i].value, sizeof(v[i].value), "%s", value ? value : "");
			v[i].set = set;
			return;
		}
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	snprintf(v[*n].value, sizeof(v[*n].value), "%s", value ? value : "");
	v[*n].set = set;
	(*n)++;
}

static void no_foreign_override_anywhere(void **state)
{
	(void)state;
	static const char *const users[][2] = {
		{ NULL, NULL },
		{ "HSA_OVERRIDE_GFX_VERSION", "10.3.0" },
		{ "HSA_OVERRIDE_GFX_VERSION_1", "10.3.0" },
		{ "HSA_OVERRIDE_GFX_VERSION", "10.3.1" },
	};
	char dir[PATH_MAX];
	pathf(dir, sizeof(dir), "%s/sysroots", need_env("RMCP_FIXTURES"));
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	size_t rdna1_checked = 0, fixtures = 0;
	bool rx6700_sets = false, rx5600_unsets = false;
	while ((de = readdir(d))) {
		char root[PATH_MAX];
		pathf(root, sizeof(root), "%s/%s", dir, de->d_name);
		struct stat st;
		if (de->d_name[0] == '.' || stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		fixtures++;
		for (size_t u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
			unsetenv("HSA_OVERRIDE_GFX_VERSION");
			unsetenv("HSA_OVERRIDE_GFX_VERSION_1");
			struct var vars[64];
			size_t nv = 0;
			if (users[u][0]) {
				setenv(users[u][0], users[u][1], 1);
				var_put(vars, &nv, users[u][0], users[u][1], true);
			}
			/* --python is a path on the captured machine: only where it has the venv
			 * (a missing one is a usage error). */
			char venv[PATH_MAX];
			pathf(venv, sizeof(venv), "%s%s", root, VENV_PYTHON);
			struct stat vst;
			bool has_venv = lstat(venv, &vst) == 0;
			char *argv[] = { RMCP, "env", "--device", "gpu", "--json", "--sysroot", root,
					 has_venv ? "--python" : NULL, VENV_PYTHON, NULL };
			struct ran r = run(argv);
			assert_int_equal(r.status, 0);
			json_object *j = json_tokener_parse(r.out), *prof, *arr, *gpus;
			assert_non_null(j);
			assert_true(json_object_object_get_ex(j, "profile", &prof));
			assert_true(json_object_object_get_ex(prof, "variables", &arr));
			assert_true(json_object_object_get_ex(prof, "gpus", &gpus));
			/* the user's environment with the profile applied */
			for (size_t i = 0; i < json_object_array_length(arr); i++) {
				json_object *o = json_object_array_get_idx(arr, i), *n, *op, *val;
				assert_true(json_object_object_get_ex(o, "name", &n));
				assert_true(json_object_object_get_ex(o, "op", &op));
				assert_true(json_object_object_get_ex(o, "value", &val));
				const char *name = json_object_get_string(n);
				if (strncmp(name, "HSA_OVERRIDE_GFX_VERSION", 24) != 0)
					continue;
				bool set = strcmp(json_object_get_string(op), "set") == 0;
				var_put(vars, &nv, name, set ? json_object_get_string(val) : NULL, set);
				if (strstr(root, "rx6700xt") && !users[u][0] && set &&
				    strcmp(json_object_get_string(val), "10.3.0") == 0)
					rx6700_sets = true;
				if (strstr(root, "rx5600xt") && users[u][0] && !set)
					rx5600_unsets = true;
			}
			bool rdna1 = false;
			for (size_t g = 0; g < json_object_array_length(gpus); g++) {
				json_object *gfx;
				assert_true(json_object_object_get_ex(json_object_array_get_idx(gpus, g), "gfx", &gfx));
				if (strncmp(json_object_get_string(gfx), "gfx101", 6) == 0)
					rdna1 = true;
			}
			if (rdna1) {
				rdna1_checked++;
				for (size_t i = 0; i < nv; i++)
					if (vars[i].set && strncmp(vars[i].value, "10.3", 4) == 0) {
						fprintf(stderr, "%s with %s=%s: %s=%s left\n", de->d_name,
							users[u][0], users[u][1], vars[i].name, vars[i].value);
						fail();
					}
			}
			json_object_put(j);
			ran_free(&r);
		}
	}
	closedir(d);
	unsetenv("HSA_OVERRIDE_GFX_VERSION");
	unsetenv("HSA_OVERRIDE_GFX_VERSION_1");
	assert_true(fixtures >= 10);
	/* rx5600xt, kfd-denied (gfx1010) and rx5500xt-noatomics (gfx1012), each with 4 envs */
	assert_true(rdna1_checked >= 12);
	assert_true(rx6700_sets);	/* the check is not vacuous: overrides are set where sound */
	assert_true(rx5600_unsets);	/* and removed where not */
}

/* ---- rmcp env's shell lines ---- */

static void shell_quoting(void **state)
{
	(void)state;
	static const char *const values[] = { "", "plain", "it's", "$HOME `id` \\ \"q\" *", "a\nb", "''", "\\'" };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char q[256], script[512];
		assert_true(rmcp_shell_quote(RMCP_SHELL_SH, values[i], q, sizeof(q)) > 0);
		pathf(script, sizeof(script), "X=%s; printf '%%s' \"$X\"", q);
		char *argv[] = { "sh", "-c", script, NULL };
		struct ran r = run(argv);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, values[i]);	/* read back exactly */
		ran_free(&r);
	}
	/* fish: inside single quotes only \' and \\ are escapes (fish-shell docs, "Quotes") */
	char q[64];
	assert_true(rmcp_shell_quote(RMCP_SHELL_FISH, "it's a\\b", q, sizeof(q)) > 0);
	assert_string_equal(q, "'it\\'s a\\\\b'");
	assert_int_equal(rmcp_shell_quote(RMCP_SHELL_SH, "abcdef", q, 4), -RMCP_E_LIMIT);
	/* the unset line takes effect */
	char root[PATH_MAX];
	pathf(root, sizeof(root), "%s/sysroots/rx5600xt", need_env("RMCP_FIXTURES"));
	char script[PATH_MAX * 2];
	pathf(script, sizeof(script),
	      "HSA_OVERRIDE_GFX_VERSION=10.3.0; export HSA_OVERRIDE_GFX_VERSION; "
	      "eval \"$('%s' env --device gpu --sysroot '%s' --python %s)\" && "
	      "echo \"${HSA_OVERRIDE_GFX_VERSION-unset} $RMCP_GUARD\"",
	      need_env("RMCP_BIN"), root, VENV_PYTHON);
	char *argv[] = { "sh", "-c", script, NULL };
	struct ran r = run(argv);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "unset block\n");
	ran_free(&r);
	char *fish[] = { RMCP, "env", "--device", "cpu", "--shell", "fish", NULL };
	r = run(fish);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\nset -gx HIP_VISIBLE_DEVICES '-1'\n"));
	assert_non_null(strstr(r.out, "\nset -gx ROCR_VISIBLE_DEVICES ''\n"));
	ran_free(&r);
	char *bad[] = { RMCP, "env", "--shell", "csh", NULL };
	r = run(bad);
	assert_int_equal(r.status, 2);
	ran_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_statuses),
		cmocka_unit_test(signals_reach_the_command),
		cmocka_unit_test(stderr_passes_through),
		cmocka_unit_test(retry_on_gpu_fault),
		cmocka_unit_test(cpu_environment),
		cmocka_unit_test(auto_chooses_cpu_without_code),
		cmocka_unit_test(auto_progress_on_a_terminal),
		cmocka_unit_test(auto_keeps_the_gpu_when_the_probe_passes),
		cmocka_unit_test(no_foreign_override_anywhere),
		cmocka_unit_test(shell_quoting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
