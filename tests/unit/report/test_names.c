/* SPDX-License-Identifier: MIT */
/*
 * Names from inputs are data (issue 13, defect 4): src/lib/report/names.c.
 *  - UTF-8 validity per RFC 3629 (overlong forms, surrogates, > U+10FFFF are invalid);
 *  - text: control characters (C0, DEL, C1), backslash and non-UTF-8 bytes escaped as \xNN;
 *  - JSON: invalid strings become U+FFFD text plus "<key>_raw" (hex), arrays get a
 *    parallel "<key>_raw" array; the serialized document is valid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "names.h"

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "gfx1030", true }, { "caf\xc3\xa9", true }, { "\xe2\x82\xac", true },
		{ "\xf0\x9f\x98\x80", true }, { "\xff\xfe", false }, { "\xc0\xaf", false },	/* overlong '/' */
		{ "\xe0\x80\xaf", false }, { "\xed\xa0\x80", false },				/* surrogate */
		{ "\xf4\x90\x80\x80", false },							/* > U+10FFFF */
		{ "\xc3", false }, { "\xe2\x82", false }, { "a\x80", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (rmcp_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: expected %s", i, cases[i].ok ? "valid" : "invalid");
}

static void expect_text(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	int n = rmcp_fput_name(f, in);
	fclose(f);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
	char small[512];
	rmcp_name_escape(small, sizeof(small), in);
	assert_string_equal(small, want);
	free(buf);
}

static void test_text_escape(void **state)
{
	(void)state;
	expect_text("librocsparse.so.0.1", "librocsparse.so.0.1");
	expect_text("caf\xc3\xa9", "caf\xc3\xa9");				/* UTF-8 stays */
	expect_text("a\nb", "a\\x0ab");
	expect_text("\x1b[31mred", "\\x1b[31mred");
	expect_text("bell\x07", "bell\\x07");
	expect_text("del\x7f", "del\\x7f");
	expect_text("\xc2\x9b" "2J", "\\xc2\\x9b2J");			/* C1 CSI, U+009B */
	expect_text("\xff\xfe", "\\xff\\xfe");
	expect_text("back\\slash", "back\\\\slash");			/* unambiguous */
	char cut[8];
	rmcp_name_escape(cut, sizeof(cut), "abcdefghijkl");
	assert_string_equal(cut, "abcd...");	/* 7 bytes + NUL */
}

static void test_json_sanitize(void **state)
{
	(void)state;
	json_object *root = json_object_new_object();
	json_object *file = json_object_new_object();
	json_object *arr = json_object_new_array();
	json_object_object_add(file, "path", json_object_new_string("a\xff\xfe" "b"));
	json_object_object_add(file, "format", json_object_new_string("elf"));
	json_object_array_add(arr, json_object_new_string("ok"));
	json_object_array_add(arr, json_object_new_string("k\xc3\x28"));
	json_object_array_add(arr, json_object_new_string("fine"));
	json_object_object_add(file, "kernels", arr);
	json_object_object_add(root, "file", file);
	assert_int_equal(rmcp_json_sanitize(root), 0);

	assert_string_equal(json_object_get_string(json_object_object_get(file, "path")),
			    "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	assert_string_equal(json_object_get_string(json_object_object_get(file, "path_raw")),
			    "61fffe62");
	assert_null(json_object_object_get(file, "format_raw"));
	json_object *kb = json_object_object_get(file, "kernels_raw");
	assert_non_null(kb);
	assert_int_equal(json_object_array_length(kb), 3);
	assert_null(json_object_array_get_idx(kb, 0));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(kb, 1)), "6bc328");
	assert_null(json_object_array_get_idx(kb, 2));
	const char *s = json_object_to_json_string(root);
	assert_true(rmcp_utf8_valid(s, strlen(s)));
	json_object_put(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_json_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
