/* Unit tests of controller/csv.c: quoting, CRLF, a byte-order mark, blank
 * lines, and the errors that name the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controller/csv.h"

static json_t *parse(const char *text, char *err, size_t len)
{
	return kc_csv_parse("t.csv", text, strlen(text), err, len);
}

static void test_rows(void **state)
{
	char err[256];
	json_t *rows;

	(void)state;
	rows = parse("\xef\xbb\xbf" "Code, Name ,age\r\nHY,\"华苑, \"\"new\"\" town\",new\r\n\r\n"
		     "LJ , Lijing ,old\nX,\"two\nlines\",\n",
		     err, sizeof(err));
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "name")),
			    "华苑, \"new\" town");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "code")), "LJ");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "name")),
			    "Lijing");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 1), "_line")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "name")),
			    "two\nlines");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "age")), "");
	json_decref(rows);
	rows = parse("a,b\n1,2", err, sizeof(err));
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "b")), "2");
	json_decref(rows);
	rows = parse("a,b\n1\n", err, sizeof(err));
	assert_non_null(rows);
	assert_null(json_object_get(json_array_get(rows, 0), "b"));
	json_decref(rows);
	printf("quotes, CRLF, BOM, blank lines, short rows parse\n");
}

static void expect_error(const char *text, const char *want)
{
	char err[256] = "";

	assert_null(parse(text, err, sizeof(err)));
	printf("%s\n", err);
	if (!strstr(err, want))
		fail_msg("\"%s\" not in \"%s\"", want, err);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("a,b\n1,2,3\n", "t.csv:2: 3 fields, but the header names 2");
	expect_error("a,b\n1,\"open\n", "t.csv:2: a quoted field is not closed");
	expect_error("a,b\n1,\"x\"y\n", "t.csv:2:");
	expect_error("", "t.csv: empty");
	expect_error("a,,c\n", "t.csv:1: column 2 of the header has no name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
