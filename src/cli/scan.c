/* SPDX-License-Identifier: MIT */
/* rmcp scan: which AMD GPU targets do these files contain code for? */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"
#include "isa.h"
#include "report.h"
#include "scan.h"
#include "stack.h"
#include "target.h"
#include "names.h"
#include "banned.h"

static const char *const rmcp_scan_usage[] = {
	"rmcp scan [--json] [--verbose] [--target GFX] [--isa GFX [--isa-oracle] [--isa-no-hazards]] [PATH...]",
	NULL,
};

static const struct rmcp_opt scan_opts[] = {
	RMCP_OPT('j', "json", NULL,
	  "print JSON (schema: docs/scan.schema.json)"),
	RMCP_OPT('v', "verbose", NULL,
	  "list every bundle entry (index, ID, offset, size, compressed),\n"
	  "read each code object's ELF header, list kernels of code objects"),
	RMCP_OPT('t', "target", "GFX",
	  "say per file whether code that runs on GFX is present\n"
	  "(gfx1010, gfx90a:xnack+, or a version such as 10.1.0);\n"
	  "generic targets (gfx10-1-generic) count when they cover GFX"),
	RMCP_OPT('i', "isa", "GFX",
	  "decode every kernel of the code objects an override could make\n"
	  "GFX run (same generation, not built for GFX) as GFX would:\n"
	  "per kernel invalid, differs, hazard (a gfx10.1 hardware bug\n"
	  "pattern LLVM avoids for GFX: class, offset, LLVM's fix; see\n"
	  "docs/override.md), unverified (with the reason) or ok, with the\n"
	  "first offending instruction (--verbose lists every kernel)"),
	RMCP_LONG_OPT('O', "isa-oracle", NULL,
	  "decode with LLVM's disassembler instead of rmcp's table-driven\n"
	  "fast path (same verdicts, about 100 times slower)"),
	RMCP_LONG_OPT('H', "isa-no-hazards", NULL,
	  "skip the hazard detectors (kernels that would need them stay\n"
	  "unverified; for measurements)"),
	{ 0 },
};

const struct rmcp_cmd_help rmcp_scan_help = {
	.name = "scan",
	.usage = rmcp_scan_usage,
	.about =
	"List the AMD GPU targets that files contain device code for.\n"
	"\n"
	"PATH may be a host library or executable (.hip_fatbin bundles, -fgpu-rdc objects,\n"
	"TheRock kpack'd binaries), an offload bundle or compressed bundle (.co), a raw code\n"
	"object (.hsaco), a Tensile library file, a MIOpen .kdb, a Python wheel, or a directory\n"
	"(searched recursively). Without PATH, the ROCm libraries installed on this machine\n"
	"are scanned (/opt/rocm*/lib and the distribution's ROCm libraries).\n"
	"\n"
	"options:\n",
	.opts = scan_opts,
	.after =
	"\n"
	"exit status: 0 ok; 1 some file with device code lacks code for --target, or\n"
	"with --isa some kernel is invalid or differs on GFX;\n"
	"2 usage error; 4 some file could not be read, or output could not be written.\n",
	.operands = true,
};

struct collect {
	struct rmcp_file **files;
	size_t n, cap;
	bool oom;
	/* progress */
	bool tty;
	struct timespec start, last;
	size_t seen;
	unsigned long long bytes;
	bool shown;
};

static void collect_cb(void *vctx, struct rmcp_file *f)
{
	struct collect *c = vctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct rmcp_file **v = realloc(c->files, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			rmcp_file_release(f);
			return;
		}
		c->files = v;
		c->cap = cap;
	}
	struct rmcp_file *copy = malloc(sizeof(*copy));
	if (!copy) {
		c->oom = true;
		rmcp_file_release(f);
		return;
	}
	*copy = *f;
	c->files[c->n++] = copy;
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Progress on stderr, only on a terminal, only once a scan has taken a while, at most ten
 * times a second. True when a line is due; name gets path's base name, escaped. */
static bool progress_due(struct collect *c, const char *path, char *name, size_t cap)
{
	if (!c->tty)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&c->start, &now) < 0.5 || since(&c->last, &now) < 0.1)
		return false;
	c->last = now;
	c->shown = true;
	const char *b = strrchr(path, '/');
	rmcp_name_escape(name, cap, b ? b + 1 : path);
	return true;
}

static void progress_cb(void *vctx, const char *path, uint64_t size)
{
	struct collect *c = vctx;
	char name[64];
	c->seen++;
	c->bytes += size;
	if (progress_due(c, path, name, sizeof(name)))
		fprintf(stderr, "\r\033[Kscanning: %zu files, %llu MiB: %s", c->seen, c->bytes >> 20, name);
}

/* Inside a wheel, progress is by bytes inflated: one member can be gigabytes (issue 12). */
static void progress_bytes_cb(void *vctx, const char *path, uint64_t done, uint64_t total)
{
	char name[64];
	if (!progress_due(vctx, path, name, sizeof(name)))
		return;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0;
	fprintf(stderr, "\r\033[Kscanning %s: %llu of %llu MiB read (%u%%)", name,
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20), pct > 100 ? 100 : pct);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp((*(struct rmcp_file *const *)a)->path, (*(struct rmcp_file *const *)b)->path);
}

/* Accept a target ID (gfx1010, gfx90a:xnack+) or an HSA_OVERRIDE_GFX_VERSION-style 10.1.0. */
static int parse_query(const char *arg, struct rmcp_target_id *q)
{
	struct rmcp_err err = { 0 };
	if (arg[0] >= '0' && arg[0] <= '9') {
		unsigned long v[3];
		const char *p = arg;
		for (int i = 0; i < 3; i++) {
			char *end;
			errno = 0;
			v[i] = strtoul(p, &end, 10);
			if (errno || end == p || (i < 2 && *end != '.') || (i == 2 && *end) || v[i] > 255) {
				rmcp_error("scan", "--target '%s': expected GFX name or MAJOR.MINOR.STEP", arg);
				return -1;
			}
			p = end + 1;
		}
		char name[32];
		if (rmcp_gfx_name((uint32_t)(v[0] * 10000 + v[1] * 100 + v[2]), name, sizeof(name)) < 0) {
			rmcp_error("scan", "--target '%s': not a valid gfx version", arg);
			return -1;
		}
		return parse_query(name, q);
	}
	if (rmcp_target_id_parse(arg, strlen(arg), q, &err) < 0) {
		rmcp_error("scan", "--target '%s': %s", arg, err.msg);
		return -1;
	}
	if (!q->target) {
		rmcp_error("scan", "--target '%s': unknown processor; known processors:", arg);
		for (size_t i = 0; i < rmcp_target_table_len; i++)
			fprintf(stderr, "%s%s", i % 12 ? " " : (i ? "\n  " : "  "), rmcp_target_table[i].name);
		fputc('\n', stderr);
		return -1;
	}
	return 0;
}

/* Members of wheels and archives ("x.whl!/lib.so", "lib.a(obj.o)") are not on disk. */
static bool is_member_path(const struct rmcp_file *f, struct rmcp_file *const *all, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(all[i]->path);
		if (all[i] != f && all[i]->container && strncmp(f->path, all[i]->path, l) == 0 &&
		    (f->path[l] == '!' || f->path[l] == '('))
			return true;
	}
	return false;
}

static size_t isa_object_errors(const struct rmcp_isa_file *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_objects; i++)
		n += f->objects[i].skip == RMCP_ISA_SKIP_ERROR;
	return n;
}

/* One ISA result per scanned file (NULL where nothing was checked). */
static struct rmcp_isa_file **isa_check_files(struct collect *c, unsigned flags,
					      const struct rmcp_target_id *gpu)
{
	struct rmcp_isa_file **v = calloc(c->n ? c->n : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct rmcp_file *f = c->files[i];
		if (f->container || f->error || !rmcp_file_has_device_code(f))
			continue;
		if (!(v[i] = calloc(1, sizeof(**v))))
			continue;
		if (is_member_path(f, c->files, c->n)) {
			v[i]->error = strdup("inside a wheel or archive: extract it to check its ISA");
			v[i]->not_on_disk = true;
			continue;
		}
		struct rmcp_err err = { 0 };
		int rc = rmcp_isa_check_path(f->path, gpu, flags, v[i], &err);
		if (rc < 0 && !v[i]->error)
			v[i]->error = strdup(rc == -ENOMEM ? "out of memory" : err.msg);
	}
	return v;
}

int cmd_scan(int argc, char **argv)
{
	bool json = false;
	struct rmcp_scan_opts opts = { 0 };
	struct rmcp_target_id query, *q = NULL, isa_gpu;
	bool isa = false, isa_oracle = false, isa_no_hazards = false;
	struct rmcp_optparse op;
	int opt;

	rmcp_opt_init(&op, &rmcp_scan_help, argc, argv);
	while ((opt = rmcp_opt_next(&op)) != RMCP_OPT_END) {
		switch (opt) {
		case RMCP_OPT_EXIT:
			return op.status;
		case 'j':
			json = true;
			break;
		case 'v':
			opts.verbose = true;
			opts.kernels = true;
			break;
		case 't':
			if (parse_query(op.arg, &query) < 0)
				return RMCP_EXIT_USAGE;
			q = &query;
			break;
		case 'i':
			if (parse_query(op.arg, &isa_gpu) < 0)
				return RMCP_EXIT_USAGE;
			isa = true;
			break;
		case 'O':
			isa_oracle = true;
			break;
		case 'H':
			isa_no_hazards = true;
			break;
		}
	}

	if ((isa_oracle || isa_no_hazards) && !isa) {
		rmcp_error("scan", "%s needs --isa GFX", isa_oracle ? "--isa-oracle" : "--isa-no-hazards");
		return RMCP_EXIT_USAGE;
	}
	if (isa_oracle && !rmcp_isa_have_oracle()) {
		rmcp_error("scan", "--isa-oracle: rmcp was built without LLVM 19 (llvm-19-dev), so the "
				   "oracle is not available; --isa alone uses the fast path");
		return RMCP_EXIT_USAGE;
	}

	char **paths = argv + op.ind;
	int npaths = argc - op.ind;
	char **found = NULL;
	if (npaths == 0) {
		int n = rmcp_stack_rocm_lib_paths("/", &found);
		if (n < 0) {
			rmcp_error("scan", "looking for ROCm libraries: %s", strerror(-n));
			return RMCP_EXIT_IO;
		}
		if (n == 0) {
			rmcp_error("scan", "no ROCm libraries found in /opt/rocm*/lib or the system library "
					   "directories; name files or directories to scan");
			return RMCP_EXIT_USAGE;
		}
		if (!json)
			fprintf(stderr, "rmcp: scan: no PATH given; scanning %d installed ROCm librar%s\n", n,
				n == 1 ? "y" : "ies");
		paths = found;
		npaths = n;
	}

	struct collect c = { 0 };
	c.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &c.start);
	opts.progress = progress_cb;
	opts.progress_bytes = progress_bytes_cb;
	opts.progress_ctx = &c;
	int status = RMCP_EXIT_OK;
	for (int i = 0; i < npaths && !c.oom; i++) {
		int rc = rmcp_scan_path(paths[i], false, &opts, collect_cb, &c);
		if (rc < 0) {
			rmcp_error("scan", "%s: %s", paths[i], strerror(-rc));
			status = RMCP_EXIT_IO;
		}
	}
	if (c.shown)
		fputs("\r\033[K", stderr);
	if (c.oom) {
		rmcp_error("scan", "out of memory");
		status = RMCP_EXIT_IO;
	}
	if (c.n > 1)
		qsort(c.files, c.n, sizeof(*c.files), cmp_path);

	struct rmcp_isa_file **isa_files = NULL;
	struct rmcp_isa_view view = { .gpu = &isa_gpu, .verbose = opts.verbose };
	if (isa) {
		isa_files = isa_check_files(&c, (isa_oracle ? RMCP_ISA_USE_ORACLE : 0u) |
						    (isa_no_hazards ? RMCP_ISA_NO_HAZARDS : 0u), &isa_gpu);
		if (!isa_files) {
			rmcp_error("scan", "out of memory");
			status = RMCP_EXIT_IO;
		}
		view.files = (const struct rmcp_isa_file *const *)isa_files;
	}

	int rc;
	if (json) {
		rc = rmcp_report_scan_json_isa(stdout, c.files, c.n, q, isa_files ? &view : NULL);
	} else {
		const char *nc = getenv("NO_COLOR");
		const char *term = getenv("TERM");
		struct rmcp_text_style st = {
			.color = isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0),
			.verbose = opts.verbose,
		};
		rc = rmcp_report_scan_text_isa(stdout, c.files, c.n, q, &st, isa_files ? &view : NULL);
	}
	(void)rc;

	struct rmcp_scan_summary s;
	rmcp_scan_summarize(c.files, c.n, q, &s);
	if (q && s.missing)
		status = RMCP_EXIT_FINDING;
	else if (s.errors && status == RMCP_EXIT_OK)
		status = RMCP_EXIT_IO;
	for (size_t i = 0; isa_files && i < c.n; i++) {
		const struct rmcp_isa_file *f = isa_files[i];
		if (f && f->verdict >= RMCP_ISA_DIFFERS && status != RMCP_EXIT_IO)
			status = RMCP_EXIT_FINDING;
		if (f && ((f->error && !f->not_on_disk) || isa_object_errors(f)) && status == RMCP_EXIT_OK)
			status = RMCP_EXIT_IO;
		if (f)
			rmcp_isa_file_release(isa_files[i]);
		free(isa_files[i]);
	}
	free(isa_files);
	for (size_t i = 0; i < c.n; i++) {
		rmcp_file_release(c.files[i]);
		free(c.files[i]);
	}
	free(c.files);
	if (found)
		rmcp_strv_free(found, (size_t)npaths);
	return rmcp_finish_stdout("scan", status);
}
