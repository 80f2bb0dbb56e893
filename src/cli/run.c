/* SPDX-License-Identifier: MIT */
/*
 * rmcp run: start a command with the environment the diagnosis calls for (src/lib/kb/profile.h),
 * on the CPU when the GPU cannot work.
 *
 * Without --retry-on-gpu-fault rmcp execs the command: it disappears from the process tree,
 * so exit status, signals, the terminal and job control are the command's own. With it,
 * rmcp stays as the parent: it passes the command's stderr through unchanged while watching
 * it for ROCr's fault text, forwards the signals it is sent, and runs the command once more
 * on the CPU if it died of a GPU fault. It passes stderr through until every process holding
 * it has closed it, so a background writer never meets a closed pipe (issue 13). A command
 * killed by signal N makes rmcp exit with 128+N, as shells report it (rmcp does not re-raise
 * the signal: a SIGSEGV or SIGABRT of the command would otherwise make rmcp itself dump core).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "cmd.h"
#include "opts.h"
#include "probe.h"
#include "profile.h"
#include "banned.h"

extern char **environ;

/* Like env(1), timeout(1) and nice(1): statuses a command rarely uses, so a caller can tell
 * rmcp's own failure from the command's. */
enum {
	RUN_EXIT_FAILED = 125,		/* rmcp run itself failed (usage, machine unreadable) */
	RUN_EXIT_CANNOT_EXEC = 126,	/* found but not executable */
	RUN_EXIT_NOT_FOUND = 127,	/* command not found */
};

static const char *const rmcp_run_usage[] = {
	"rmcp run [--device auto|gpu|cpu] [--memory MODE] [--guard MODE] [--retry-on-gpu-fault]",
	"         [--sysroot DIR] [--torch DIR] [--python PATH] [--probe-timeout S] [--no-cache]",
	"         [--] CMD [ARGS...]",
	NULL,
};

static const struct rmcp_opt run_opts[] = {
	RMCP_OPT('d', "device", "MODE",
	  "auto (default): probe the GPU (rmcp probe, cached) under the\n"
	  "profile and fall back to the CPU if it fails; gpu: the GPU\n"
	  "profile without probing; cpu: hide every GPU"),
	RMCP_OPT('m', "memory", "MODE",
	  "librmcp.so memory policy: default, noncoherent or coarse\n"
	  "(docs/memory-policy.md)"),
	RMCP_OPT('g', "guard", "MODE",
	  "librmcp.so guard: block (default), warn, or off (no preload)"),
	RMCP_OPT('r', "retry-on-gpu-fault", NULL,
	  "stay as CMD's parent; if it dies printing a GPU memory fault\n"
	  "(ROCr's \"Memory access fault by GPU node\", an aperture\n"
	  "violation), run it once more on the CPU; rmcp ends when CMD\n"
	  "has ended and every process holding its stderr has closed it.\n"
	  "With --device cpu it does nothing (a note says so)"),
	RMCP_PROFILE_OPT_ROWS,
	{ 0 },
};

const struct rmcp_cmd_help rmcp_run_help = {
	.name = "run",
	.usage = rmcp_run_usage,
	.about =
	"Run CMD with the environment the diagnosis calls for: the override the knowledge base\n"
	"says is sound for this GPU (never 10.3.0 on a gfx101x; an unsafe one is removed), MIOpen\n"
	"switches for solvers known to fail on it, and librmcp.so preloaded with its guard on.\n"
	"If the GPU cannot work, CMD runs on the CPU with every GPU hidden the way HIP and\n"
	"PyTorch honour it (ROCR_VISIBLE_DEVICES= and HIP_VISIBLE_DEVICES=-1), and one line on\n"
	"stderr says why. `rmcp env` prints the same profile.\n"
	"\n"
	"options:\n",
	.opts = run_opts,
	.after =
	"\n"
	"exit status: CMD's; 128+N if CMD was killed by signal N; 125 rmcp run failed (usage\n"
	"error, machine unreadable); 126 CMD is not executable; 127 CMD was not found.\n",
	.usage_status = RUN_EXIT_FAILED,
	.operands = true,
	.stop_at_operand = true,
};

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_run_help, __VA_ARGS__)

/* ---- exec ---- */

/* The status a shell gives for a command that could not be executed (POSIX 2.8.2). */
static int exec_failed(const char *cmd, int e)
{
	if (e == ENOENT || e == ENOTDIR) {
		if (strchr(cmd, '/'))
			rmcp_error("run", "%s: %s", cmd, strerror(e));
		else
			rmcp_error("run", "%s: command not found", cmd);
		return RUN_EXIT_NOT_FOUND;
	}
	rmcp_error("run", "%s: %s", cmd, strerror(e));
	return RUN_EXIT_CANNOT_EXEC;
}

/* ---- supervision (--retry-on-gpu-fault) ---- */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))
static int sig_pipe[2] = { -1, -1 };
/* What rmcp inherited, restored in the command: an ignored SIGINT (nohup, `cmd &`) must stay
 * ignored, as it would across a plain exec. */
static struct sigaction saved[N_FORWARDED + 2];
static sigset_t saved_mask;

struct sig_note {
	int sig, code;
};

static void on_signal(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	int saved_errno = errno;
	struct sig_note n = { sig, si ? si->si_code : SI_USER };
	ssize_t w = write(sig_pipe[1], &n, sizeof(n));
	(void)w;
	errno = saved_errno;
}

static int install_handlers(void)
{
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigprocmask(SIG_SETMASK, NULL, &saved_mask);
	for (size_t i = 0; i < N_FORWARDED; i++)
		if (sigaction(forwarded[i], &sa, &saved[i]) != 0)
			return -errno;
	if (sigaction(SIGCHLD, &sa, &saved[N_FORWARDED]) != 0)
		return -errno;
	/* our stderr may close; the command decides for itself */
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &saved[N_FORWARDED + 1]) != 0)
		return -errno;
	return 0;
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* stderr gone: keep reading so the command never blocks */
		buf += w;
		n -= (size_t)w;
	}
}

/* Fork and exec cmd with envp, its stderr into err_w. Returns the pid or -errno. */
static pid_t spawn(char **argv, char **envp, int err_w)
{
	/* The child learns about exec failure through this pipe (closed by a good exec). */
	int status_pipe[2];
	if (pipe2(status_pipe, O_CLOEXEC) != 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(status_pipe[0]);
		close(status_pipe[1]);
		return -e;
	}
	if (pid == 0) {
		for (size_t i = 0; i < N_FORWARDED; i++)
			sigaction(forwarded[i], &saved[i], NULL);
		sigaction(SIGCHLD, &saved[N_FORWARDED], NULL);
		sigaction(SIGPIPE, &saved[N_FORWARDED + 1], NULL);
		sigprocmask(SIG_SETMASK, &saved_mask, NULL);
		/* rmcp dying (SIGKILL) must not leave the command orphaned and running */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(err_w, 2);
		execvpe(argv[0], argv, envp);
		int e = errno;
		ssize_t w = write(status_pipe[1], &e, sizeof(e));
		(void)w;
		_exit(e == ENOENT || e == ENOTDIR ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
	}
	close(status_pipe[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(status_pipe[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(status_pipe[0]);
	if (n == (ssize_t)sizeof(e)) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	return pid;
}

struct outcome {
	int status;		/* wait status */
	bool gpu_fault;		/* the fault text went by on stderr */
	char fault[512];
};

/* Pass through one read of the command's stderr, scanning it when scan is given. Returns
 * >0 bytes passed, 0 at end of file (every writer closed it), -1 nothing there now. */
static ssize_t pass_stderr(int fd, struct rmcp_sigscan *scan)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		write_all(2, buf, (size_t)n);
		if (scan)
			rmcp_sigscan_feed(scan, buf, (size_t)n);
		return n;
	}
	return n == 0 ? 0 : -1;
}

static bool ends_rmcp(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

/* Forward the signals noted since the last call to pid; with no command running (pid 0),
 * a terminating one ends the wait instead (returns true). */
static bool forward_signals(pid_t pid)
{
	struct sig_note note;
	bool stop = false;
	while (read(sig_pipe[0], &note, sizeof(note)) == (ssize_t)sizeof(note)) {
		if (note.sig == SIGCHLD)
			continue;
		if (pid <= 0)
			stop = stop || ends_rmcp(note.sig);
		else if (note.code <= 0)	/* SI_USER, SI_QUEUE, SI_TKILL: a process sent it */
			kill(pid, note.sig);
	}
	return stop;
}

/*
 * Run argv under supervision until it ends: stderr (the pipe err_r/err_w, which rmcp keeps
 * open for a second run) passed through byte for byte and scanned; signals sent to rmcp by
 * a process (kill, systemd, Slurm) forwarded to the command. Signals from the terminal
 * (si_code SI_KERNEL) already reached the command, which is in the same foreground process
 * group, so they are not sent twice. What the command wrote before it ended is passed and
 * scanned before this returns; what its background processes write later is passed by
 * drain_stderr.
 */
static int supervise(char **argv, char **envp, int err_r, int err_w, struct outcome *out)
{
	pid_t pid = spawn(argv, envp, err_w);
	if (pid < 0)
		return (int)pid;
	struct rmcp_sigscan scan;
	rmcp_sigscan_init(&scan);
	struct pollfd p[2] = { { err_r, POLLIN, 0 }, { sig_pipe[0], POLLIN, 0 } };
	int st = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			break;
		int rc = poll(p, 2, -1);
		if (rc < 0 && errno != EINTR)
			break;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			pass_stderr(err_r, &scan);
		if (p[1].revents & POLLIN)
			forward_signals(pid);
	}
	while (pass_stderr(err_r, &scan) > 0)	/* the fault text is written before the abort */
		;
	rmcp_sigscan_end(&scan);
	out->status = st;
	out->gpu_fault = scan.fault[0] != '\0';
	snprintf(out->fault, sizeof(out->fault), "%s", scan.fault);
	return 0;
}

/*
 * After the last run: pass the command's stderr through until every process holding it has
 * closed it (issue 13: closing it earlier killed a background writer with SIGPIPE), or until
 * rmcp is told to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT).
 */
static void drain_stderr(int err_r)
{
	struct pollfd p[2] = { { err_r, POLLIN, 0 }, { sig_pipe[0], POLLIN, 0 } };
	for (;;) {
		int rc = poll(p, 2, -1);
		if (rc < 0 && errno != EINTR)
			return;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pass_stderr(err_r, NULL) == 0)
			return;
		if ((p[1].revents & POLLIN) && forward_signals(0))
			return;
	}
}

static int shell_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return RUN_EXIT_FAILED;
}

static int run_retrying(char **argv, struct rmcp_profile *p, char **envp_gpu)
{
	int rc = install_handlers();
	if (rc < 0) {
		rmcp_error("run", "signal handlers: %s", strerror(-rc));
		return RUN_EXIT_FAILED;
	}
	int err_pipe[2];
	if (pipe2(err_pipe, O_CLOEXEC) != 0 || fcntl(err_pipe[0], F_SETFL, O_NONBLOCK) != 0) {
		rmcp_error("run", "pipe: %s", strerror(errno));
		return RUN_EXIT_FAILED;
	}
	struct outcome o;
	memset(&o, 0, sizeof(o));
	int status;
	char **envp_cpu = NULL;
	if ((rc = supervise(argv, envp_gpu, err_pipe[0], err_pipe[1], &o)) < 0) {
		status = exec_failed(argv[0], -rc);
		goto out;
	}
	status = shell_status(o.status);
	bool failed = !WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0;
	if (!(failed && o.gpu_fault))
		goto out;
	rmcp_profile_make_cpu(p, "it died of a GPU memory fault on the GPU");
	if (rmcp_profile_apply(p, environ, &envp_cpu) < 0) {
		rmcp_error("run", "out of memory");
		goto out;
	}
	rmcp_error("run", "%s died of a GPU memory fault (%.160s); running it again on the CPU",
		   argv[0], o.fault);
	struct outcome again;
	memset(&again, 0, sizeof(again));
	rc = supervise(argv, envp_cpu, err_pipe[0], err_pipe[1], &again);
	status = rc < 0 ? exec_failed(argv[0], -rc) : shell_status(again.status);
out:
	close(err_pipe[1]);
	drain_stderr(err_pipe[0]);
	close(err_pipe[0]);
	rmcp_envp_free(envp_cpu);
	return status;
}

/* ---- the command ---- */

struct run_opts {
	struct rmcp_profile_args a;	/* what rmcp env shares (cmd.h) */
	bool retry;
};

static int parse_args(int argc, char **argv, struct run_opts *o, int *first)
{
	int opt, rc;
	struct rmcp_optparse op;
	rmcp_opt_init(&op, &rmcp_run_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		switch (opt) {
		case RMCP_OPT_EXIT:	/* -1: --help printed */
			return op.status == RMCP_EXIT_OK ? -1 : op.status;
		case 'r':
			o->retry = true;
			break;
		default:
			if ((rc = rmcp_profile_arg(&rmcp_run_help, &o->a, opt, op.arg)) > 0)
				return rc;
			break;
		}
	}
	if (op.ind >= argc)
		return usage_error("no command to run");
	if (o->a.sysroot && rmcp_check_dir("run", "--sysroot", o->a.sysroot) < 0)
		return RUN_EXIT_FAILED;
	if (rmcp_check_machine_paths("run", o->a.sysroot, &o->a.torch, &o->a.python) < 0)
		return RUN_EXIT_FAILED;
	*first = op.ind;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .retry = false };
	rmcp_profile_args_init(&o.a);
	int first = 0, status = RUN_EXIT_FAILED;
	int rc = parse_args(argc, argv, &o, &first);
	struct rmcp_profile *p = NULL;
	char **envp = NULL;
	if (rc != 0) {
		status = rc < 0 ? RMCP_EXIT_OK : rc;	/* -1: --help printed */
		goto out;
	}
	char preload[4096], cache[4096], probe_cache[4096];
	bool have_preload = rmcp_preload_find(environ, preload, sizeof(preload)) == 0;
	bool have_cache = rmcp_cli_cache_dir("run", cache, sizeof(cache));
	snprintf(probe_cache, sizeof(probe_cache), "%s", cache);
	struct rmcp_profile_opts po = {
		.sysroot = o.a.sysroot,
		.envp = environ,
		.torch_dirs = o.a.torch.v,
		.python_paths = o.a.python.v,
		.cache_dir = have_cache ? cache : NULL,
		.preload = have_preload ? preload : NULL,
		.guard = o.a.guard,
		.memory = o.a.memory,
	};
	struct rmcp_profile_auto pa = {
		.mode = (enum rmcp_device_mode)o.a.mode,
		.device = 0,
		.timeout_s = o.a.timeout,
		.use_cache = !o.a.no_cache,
		.cache_dir = have_cache ? probe_cache : NULL,
		.progress = rmcp_progress_step,
	};
	struct rmcp_progress prog;
	rmcp_progress_init(&prog, "run", o.a.timeout);
	pa.progress_ctx = &prog;
	p = calloc(1, sizeof(*p));
	if (!p) {
		rmcp_error("run", "out of memory");
		goto out;
	}
	struct rmcp_err err = { 0 };
	bool probed = false;
	int rrc = rmcp_profile_resolve(&po, &pa, p, NULL, &probed, &err);
	rmcp_progress_end(&prog);
	if (rrc < 0) {
		rmcp_error("run", "%s", err.msg[0] ? err.msg : rmcp_strerror(err.code));
		rmcp_cli_end_if_interrupted();
		goto out;
	}
	if (p->kind == RMCP_PROFILE_GPU && !have_preload && (!o.a.guard || strcmp(o.a.guard, "off") != 0))
		rmcp_error("run", "librmcp.so not found next to rmcp (set RMCP_PRELOAD); running without the guard");
	if (p->kind == RMCP_PROFILE_CPU && o.a.mode == RMCP_DEVICE_AUTO)
		rmcp_error("run", "%s (ROCR_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES=-1)", p->reason);
	if (rmcp_profile_apply(p, environ, &envp) < 0) {
		rmcp_error("run", "out of memory");
		goto out;
	}
	char **cmd = argv + first;
	if (o.retry && o.a.mode == RMCP_DEVICE_CPU)
		rmcp_error("run", "note: --retry-on-gpu-fault does nothing with --device cpu: the "
			   "command runs on the CPU already");
	if (o.retry && p->kind == RMCP_PROFILE_GPU) {
		status = run_retrying(cmd, p, envp);
		goto out;
	}
	fflush(NULL);
	execvpe(cmd[0], cmd, envp);
	status = exec_failed(cmd[0], errno);
out:
	rmcp_envp_free(envp);
	free(p);
	rmcp_profile_args_release(&o.a);
	return status;
}
