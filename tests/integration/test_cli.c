/* SPDX-License-Identifier: MIT */
/* The rmcp executable as a user runs it: exit codes, JSON shape, help/man-page sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "run.h"

static char *fx(const char *name)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", need_env("RMCP_FIXTURES"), name);
	return strdup(buf);
}

/* Run rmcp with up to 6 arguments; returns the result (caller frees out). */
static struct run_result rmcp(const char *a1, const char *a2, const char *a3, const char *a4,
			      const char *a5, const char *a6)
{
	char *argv[8] = { (char *)need_env("RMCP_BIN"), (char *)a1, (char *)a2, (char *)a3,
			  (char *)a4, (char *)a5, (char *)a6, NULL };
	struct run_result r;
	assert_int_equal(run_capture(argv, "/dev/null", &r), 0);
	return r;
}

static json_object *parse(const struct run_result *r)
{
	json_object *j = json_tokener_parse(r->out);
	if (!j)
		fprintf(stderr, "not JSON:\n%s\n", r->out);
	assert_non_null(j);
	return j;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fprintf(stderr, "missing key '%s'\n", key);
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static json_object *file_by_suffix(json_object *root, const char *suffix)
{
	json_object *files = get(root, "files");
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		json_object *f = json_object_array_get_idx(files, i);
		const char *p = json_object_get_string(get(f, "path"));
		size_t n = strlen(p), m = strlen(suffix);
		if (n >= m && strcmp(p + n - m, suffix) == 0)
			return f;
	}
	fprintf(stderr, "no file ending in %s\n", suffix);
	fail();
	return NULL;
}

static void usage_errors(void **state)
{
	(void)state;
	struct run_result r = rmcp(NULL, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	free(r.out);
	r = rmcp("frobnicate", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	free(r.out);
	r = rmcp("scan", "--no-such-option", "x", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	free(r.out);
	r = rmcp("scan", "--target", "gfx9999", "x", NULL, NULL);
	assert_int_equal(r.status, 2);
	free(r.out);
	r = rmcp("scan", "--target", "gfx1010:xnack", "x", NULL, NULL);
	assert_int_equal(r.status, 2);
	free(r.out);
	r = rmcp("--help", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "scan"));
	free(r.out);
}

static void json_shape(void **state)
{
	(void)state;
	char *a = fx("multi_lld.so"), *b = fx("two_tu.so"), *c = fx("ccob_v3.so");
	struct run_result r = rmcp("scan", "--json", a, b, c, NULL);
	assert_int_equal(r.status, 0);
	json_object *root = parse(&r);
	json_object *files = get(root, "files");
	assert_int_equal(json_object_array_length(files), 3);
	for (size_t i = 0; i < 3; i++) {
		json_object *f = json_object_array_get_idx(files, i);
		assert_true(json_object_is_type(get(f, "path"), json_type_string));
		assert_string_equal(json_object_get_string(get(f, "format")), "elf");
		assert_true(json_object_get_int(get(f, "bundles")) >= 1);
		assert_true(json_object_is_type(get(f, "targets"), json_type_array));
		assert_true(json_object_is_type(get(f, "error"), json_type_null));
		json_object *en = get(f, "entries");
		assert_true(json_object_array_length(en) >= 3);
		for (size_t k = 0; k < json_object_array_length(en); k++) {
			json_object *e = json_object_array_get_idx(en, k);
			assert_true(json_object_is_type(get(e, "bundle"), json_type_int));
			assert_true(json_object_is_type(get(e, "id"), json_type_string));
			get(e, "target");	/* string, or null for the host entry */
			assert_true(json_object_is_type(get(e, "offset"), json_type_int));
			assert_true(json_object_is_type(get(e, "size"), json_type_int));
			assert_true(json_object_is_type(get(e, "compressed"), json_type_boolean));
		}
	}
	/* two_tu.so has two bundles; ccob_v3.so's entries are compressed. */
	assert_int_equal(json_object_get_int(get(file_by_suffix(root, "/two_tu.so"), "bundles")), 2);
	json_object *ce = get(file_by_suffix(root, "/ccob_v3.so"), "entries");
	assert_true(json_object_get_boolean(get(json_object_array_get_idx(ce, 1), "compressed")));
	/* gfx1030 is in all three files, gfx906 in one. */
	json_object *targets = get(root, "targets");
	assert_int_equal(json_object_get_int(get(get(targets, "gfx1030"), "files")), 3);
	assert_int_equal(json_object_get_int(get(get(targets, "gfx906"), "files")), 1);
	json_object_put(root);
	free(r.out);
	free(a);
	free(b);
	free(c);
}

struct tcase {
	const char *file, *target;
	int status;
};

static void target_exit_codes(void **state)
{
	(void)state;
	static const struct tcase cases[] = {
		{ "multi_lld.so", "gfx1010", 0 },
		{ "two_tu.so", "gfx1010", 1 },
		{ "generic.so", "gfx1010", 0 },		/* gfx10-1-generic covers gfx1010 */
		{ "generic.so", "gfx1012", 0 },
		{ "generic.so", "gfx1031", 0 },		/* gfx10-3-generic */
		{ "generic.so", "gfx1100", 1 },
		{ "multi_lld.so", "gfx90a:xnack-", 1 },	/* only xnack+ code */
		{ "multi_lld.so", "gfx90a", 0 },
		{ "multi_lld.so", "10.1.0", 0 },	/* HSA_OVERRIDE_GFX_VERSION spelling */
		{ "two_tu.so", "10.3.0", 0 },
		{ "raw_gfx1030.hsaco", "gfx1010", 1 },
		{ "ccob_v2.co", "gfx1010", 0 },
		{ "rocm/lib/rocblas/library/TensileLibrary_lazy_gfx1030.dat", "gfx1030", 0 },
		{ "rocm/lib/rocblas/library/TensileLibrary_lazy_gfx1030.dat", "gfx1010", 1 },
		{ "wheel/torch-2.5.1+rocm6.2-cp311-cp311-linux_x86_64.whl", "gfx1010", 1 },
		{ "wheel/torch-2.5.1+rocm6.2-cp311-cp311-linux_x86_64.whl", "gfx1030", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = fx(cases[i].file);
		struct run_result r = rmcp("scan", "--target", cases[i].target, p, NULL, NULL);
		if (r.status != cases[i].status)
			fprintf(stderr, "%s --target %s: exit %d, want %d\n%s", cases[i].file,
				cases[i].target, r.status, cases[i].status, r.out);
		assert_int_equal(r.status, cases[i].status);
		free(r.out);
		free(p);
	}
}

static void wheel_covers(void **state)
{
	(void)state;
	char *w = fx("wheel/torch-2.5.1+rocm6.2-cp311-cp311-linux_x86_64.whl");
	struct run_result r = rmcp("scan", "--json", "--target", "gfx1010", w, NULL);
	assert_int_equal(r.status, 1);
	json_object *root = parse(&r);
	assert_false(json_object_get_boolean(get(file_by_suffix(root, "!/torch/lib/libtorch_hip.so"), "covers")));
	assert_true(json_object_get_boolean(get(file_by_suffix(root, "!/torch/lib/librocblas.so"), "covers")));
	json_object *q = get(root, "query");
	assert_string_equal(json_object_get_string(get(q, "target")), "gfx1010");
	assert_true(json_object_get_int(get(q, "missing")) >= 1);
	json_object_put(root);
	free(r.out);
	free(w);
}

static void broken_files_reported(void **state)
{
	(void)state;
	char *d = fx("broken");
	struct run_result r = rmcp("scan", "--json", d, NULL, NULL, NULL);
	assert_int_equal(r.status, 4);
	json_object *root = parse(&r);
	static const char *const bad[] = { "/bad.whl", "/bomb.co", "/lying.co", "/truncated.so" };
	for (size_t i = 0; i < 4; i++) {
		json_object *e = get(file_by_suffix(root, bad[i]), "error");
		assert_true(json_object_is_type(e, json_type_string));
	}
	/* ... and the scan went on: the good library is listed with its targets. */
	json_object *good = file_by_suffix(root, "/good.so");
	assert_true(json_object_is_type(get(good, "error"), json_type_null));
	assert_int_equal(json_object_array_length(get(good, "targets")), 3);
	json_object_put(root);
	free(r.out);
	free(d);

	r = rmcp("scan", "/nonexistent/file.so", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.out, "No such file"));
	free(r.out);
}

/* A directory walk reports what carries GPU code: archive members with bundles, not a
 * host-only archive (which, named on the command line, is still reported). */
static void dir_walk_filters(void **state)
{
	(void)state;
	char *d = fx("walk"), *host = fx("walk/libhost.a");
	struct run_result r = rmcp("scan", "--json", d, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	json_object *root = parse(&r);
	json_object *files = get(root, "files");
	size_t members = 0;
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		const char *p = json_object_get_string(get(json_object_array_get_idx(files, i), "path"));
		assert_null(strstr(p, "libhost.a"));
		members += strstr(p, "libhip.a(") != NULL;
	}
	assert_int_equal(members, 2);
	json_object_put(root);
	free(r.out);
	r = rmcp("scan", "--json", host, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	root = parse(&r);
	assert_string_equal(json_object_get_string(get(file_by_suffix(root, "/libhost.a"), "format")), "archive");
	json_object_put(root);
	free(r.out);
	free(d);
	free(host);
}

static void write_error(void **state)
{
	(void)state;
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' scan '%s/multi_lld.so' >/dev/full 2>/dev/null", need_env("RMCP_BIN"),
		 need_env("RMCP_FIXTURES"));
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
}

static void check_options_documented(const char *help, const char *lead, const char *man)
{
	size_t ll = strlen(lead);
	for (const char *p = strstr(help, lead); p; p = strstr(p + 1, lead)) {
		char opt[64], want[80];
		size_t k = 0;
		for (const char *q = p + ll; *q && *q != ' ' && *q != '\n' && *q != ',' && k < sizeof(opt) - 1; q++)
			opt[k++] = *q;
		opt[k] = '\0';
		snprintf(want, sizeof(want), "\\-\\-%s", opt);
		/* roff spells every hyphen of an option \-: --no-cache is \-\-no\-cache. */
		char escaped[160];
		size_t e = 0;
		for (const char *q = opt; *q && e + 3 < sizeof(escaped); q++) {
			if (*q == '-')
				escaped[e++] = '\\';
			escaped[e++] = *q;
		}
		escaped[e] = '\0';
		char want2[200];
		snprintf(want2, sizeof(want2), "\\-\\-%s", escaped);
		bool found = strstr(man, want) || strstr(man, want2);
		if (!found)
			fprintf(stderr, "rmcp.1 does not document --%s\n", opt);
		assert_true(found);
	}
}

/* Every long option in `rmcp CMD --help` ("  --json" or "-j, --json") is in the man page,
 * written as "\-\-json". Commands call this with their name. */
static void check_help_in_man(const char *cmd)
{
	struct run_result r = rmcp(cmd, "--help", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	char man[4096];
	snprintf(man, sizeof(man), "%s/docs/rmcp.1", need_env("RMCP_SOURCE_ROOT"));
	FILE *f = fopen(man, "r");
	assert_non_null(f);
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	check_options_documented(r.out, "  --", text);
	check_options_documented(r.out, ", --", text);
	free(r.out);
}

static void help_matches_man(void **state)
{
	(void)state;
	check_help_in_man("scan");
	check_help_in_man("doctor");
	check_help_in_man("advise");
}

/* rmcp probe, run and env (issue 6). */
static void help_matches_man_run(void **state)
{
	(void)state;
	check_help_in_man("probe");
	check_help_in_man("run");
	check_help_in_man("env");
}

/* rmcp report and capture (issue 12). */
static void help_matches_man_report(void **state)
{
	(void)state;
	check_help_in_man("report");
	check_help_in_man("capture");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(json_shape),
		cmocka_unit_test(target_exit_codes),
		cmocka_unit_test(wheel_covers),
		cmocka_unit_test(broken_files_reported),
		cmocka_unit_test(dir_walk_filters),
		cmocka_unit_test(write_error),
		cmocka_unit_test(help_matches_man),
		cmocka_unit_test(help_matches_man_run),
		cmocka_unit_test(help_matches_man_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
