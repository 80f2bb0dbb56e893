/* SPDX-License-Identifier: MIT */
/* rmcp report's pure helpers: redaction, os-release, the Python version in a path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report_md.h"

static void test_redact(void **state)
{
	(void)state;
	const char *text = "torch at `/home/alex/.local/lib/python3.11/site-packages/torch`, "
			   "home /home/alex; user alex on alex-box (alexandra, /home/alexandra stay)\n"
			   "| log | alex-box kernel: amdgpu |";
	char *r = rmcp_redact(text, "/home/alex", "alex", "alex-box");
	assert_non_null(r);
	assert_string_equal(r, "torch at `~/.local/lib/python3.11/site-packages/torch`, "
			       "home ~; user <user> on <host> (alexandra, /home/alexandra stay)\n"
			       "| log | <host> kernel: amdgpu |");
	free(r);
	/* "/" as a home or a one-letter name would wipe everything: skipped. */
	r = rmcp_redact("/usr/bin/a", "/", "a", NULL);
	assert_string_equal(r, "/usr/bin/a");
	free(r);
}

static void test_os_release(void **state)
{
	(void)state;
	char out[128];
	const char *deb = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n";
	rmcp_os_release_name(deb, strlen(deb), out, sizeof(out));
	assert_string_equal(out, "Debian GNU/Linux 12 (bookworm)");
	const char *bare = "NAME=Arch\nVERSION_ID='rolling'\n";
	rmcp_os_release_name(bare, strlen(bare), out, sizeof(out));
	assert_string_equal(out, "Arch rolling");
	rmcp_os_release_name("", 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_python_version(void **state)
{
	(void)state;
	char v[16];
	rmcp_python_version_from_path("/usr/bin/python3.11", v, sizeof(v));
	assert_string_equal(v, "3.11");
	rmcp_python_version_from_path("/home/u/venv/lib/python3.12/site-packages/torch", v, sizeof(v));
	assert_string_equal(v, "3.12");
	rmcp_python_version_from_path("/usr/bin/python3", v, sizeof(v));
	assert_string_equal(v, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_python_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
