/* SPDX-License-Identifier: MIT */
/* rmcp capture: pack what the doctor reads into a .tar.gz that `doctor --sysroot` reads back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "cmd.h"
#include "error.h"
#include "fsutil.h"
#include "opts.h"
#include "banned.h"

extern char **environ;

static const char *const rmcp_capture_usage[] = {
	"rmcp capture [--sysroot DIR] [--torch DIR]... [--python PATH]... [--dmesg FILE] FILE.tar.gz",
	NULL,
};

static const struct rmcp_opt capture_opts[] = {
	RMCP_OPT('s', "sysroot", "DIR",
	  "capture a snapshot under DIR instead of this machine"),
	RMCP_OPT('t', "torch", "DIR",
	  "also capture the PyTorch package in DIR; may be repeated"),
	RMCP_OPT('p', "python", "PATH",
	  "also look in the site-packages of this python; may be repeated"),
	RMCP_OPT('d', "dmesg", "FILE",
	  "take kernel messages from FILE (saved `sudo dmesg`) instead of the\n"
	  "live kernel log"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_capture_help = {
	.name = "capture",
	.usage = rmcp_capture_usage,
	.operands = true,
	.about =
	"Pack the files `rmcp doctor` reads into FILE.tar.gz, so that someone else can run\n"
	"`rmcp doctor --sysroot` on the unpacked tree and get the same verdict and findings:\n"
	"the KFD topology, PCI ids and amdgpu parameters from sysfs, the kernel release, the\n"
	"user's ids and /dev access, the kernel log's amdgpu/KFD lines (or why it could not be\n"
	"read), and the version files of ROCm and PyTorch. Libraries are not copied: each is an\n"
	"empty stand-in, and the GPU targets found in it are recorded in\n"
	"rmcp-snapshot/scan.tsv. Typically a few KiB. Nothing else of your home directory is\n"
	"taken; the host name is not recorded; etc/passwd keeps only root and you\n"
	"(docs/capture.md).\n"
	"\n"
	"To read it:  mkdir m && tar -xzf FILE.tar.gz -C m && rmcp doctor --sysroot m/NAME\n"
	"(NAME is FILE without .tar.gz).\n"
	"\n"
	"options:\n",
	.opts = capture_opts,
	.after =
	"\n"
	"exit status: 0 written; 2 usage error; 4 the machine could not be read or FILE not\n"
	"written (also when rmcp was built without libarchive).\n",
};

#define usage_error(...) rmcp_cmd_usage_error(&rmcp_capture_help, __VA_ARGS__)

/* "dir/box-1.tar.gz" -> "box-1" */
static void top_name(const char *file, char *out, size_t cap)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	static const char *const exts[] = { ".tar.gz", ".tgz" };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (n > el && strcmp(base + n - el, exts[i]) == 0) {
			n -= el;
			break;
		}
	}
	snprintf(out, cap, "%.*s", (int)n, base);
	if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		snprintf(out, cap, "capture");
}

static int write_capture(const struct rmcp_capture_opts *o, const char *file)
{
	struct rmcp_capture *c;
	struct rmcp_capture_stats st;
	struct rmcp_err err = { 0 };
	if (rmcp_capture_collect(o, &c, &st, &err) < 0) {
		rmcp_error("capture", "%s", err.msg[0] ? err.msg : rmcp_strerror(err.code));
		return RMCP_EXIT_IO;
	}
	/* fsutil.h: a new file with a random name beside FILE, fsync, rename; FILE must be absent
	 * or a regular file, never replaced through a link (issue 13). */
	struct rmcp_safe_file sf;
	int rc = rmcp_safe_open(&sf, file, 0666, false);
	if (rc < 0)
		rmcp_err_set(&err, rc, "%s: %s", file, rmcp_strerror(rc));
	else if ((rc = rmcp_capture_write_tgz(c, sf.fd, file, &err)) < 0)
		rmcp_safe_abort(&sf);
	else if ((rc = rmcp_safe_commit(&sf)) < 0)
		rmcp_err_set(&err, rc, "%s: %s", file, rmcp_strerror(rc));
	rmcp_capture_free(c);
	if (rc < 0) {
		rmcp_error("capture", "%s", err.msg[0] ? err.msg : rmcp_strerror(rc));
		return RMCP_EXIT_IO;
	}
	struct stat sb;
	long long size = stat(file, &sb) == 0 ? (long long)sb.st_size : -1;
	printf("wrote %s: %lld bytes; %zu files (%zu library stand-ins), %zu directories, %zu links;\n"
	       "%zu scan results; kernel log %s, %zu lines kept\n"
	       "read it with: mkdir m && tar -xzf %s -C m && rmcp doctor --sysroot m/%s\n",
	       file, size, st.files, st.stand_ins, st.dirs, st.links, st.scans, st.kernel_log, st.log_lines, file,
	       o->top);
	return rmcp_finish_stdout("capture", RMCP_EXIT_OK);
}

int cmd_capture(int argc, char **argv)
{
	struct rmcp_capture_opts o = { .envp = environ };
	struct rmcp_machine_args m = { 0 };
	int opt, status = RMCP_EXIT_USAGE;
	char top[128];
	struct rmcp_optparse op;

	rmcp_opt_init(&op, &rmcp_capture_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		int taken = rmcp_machine_arg("capture", &m, opt, op.arg);
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
		}
	}
	o.sysroot = m.sysroot;
	o.dmesg_file = m.dmesg_file;
	int first = op.ind;
	if (first >= argc) {
		status = usage_error("FILE.tar.gz is missing");
		goto out;
	}
	if (first != argc - 1) {
		status = usage_error("unexpected argument '%s'", argv[argc - 1]);
		goto out;
	}
	if (rmcp_machine_args_check("capture", &m) < 0)
		goto out;
	top_name(argv[first], top, sizeof(top));
	o.top = top;
	o.torch_dirs = m.torch.v;
	o.python_paths = m.python.v;
	status = write_capture(&o, argv[first]);
out:
	rmcp_machine_args_release(&m);
	return status;
}
