/* Unit tests of controller/csv.c: quoting, CRLF, a byte-order mark, blank
 * lines, and the errors that name the file and line. */
#include <setjmp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
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
	/* spaces before a quoted field are not part of it: an empty quoted
	 * field after spaces is empty */
	rows = parse("a,b,c\n  \"\",x,  \"q\"\n", err, sizeof(err));
	assert_non_null(rows);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "a")), "");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "c")), "q");
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

#if defined(__SANITIZE_ADDRESS__)
#define KC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KC_TEST_ASAN 1
#endif
#endif

/* A field the parser cannot find memory for is an error, not a field cut
 * short: a child process whose address space is capped parses a 48 MiB
 * field (its buffer doubles up to 64 MiB, above the cap). */
static void test_out_of_memory(void **state)
{
	size_t n = 48u << 20;
	char *text;
	pid_t pid;
	int status;

	(void)state;
#ifdef KC_TEST_ASAN
	skip(); /* the sanitizers' shadow memory does not live under RLIMIT_AS */
#endif
	text = malloc(n + 32);
	assert_non_null(text);
	memcpy(text, "code\n\"", 6);
	memset(text + 6, 'x', n);
	memcpy(text + 6 + n, "\"\n", 3);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		char err[256] = "", line[256];
		unsigned long vm = 0;
		FILE *f = fopen("/proc/self/statm", "re");
		json_t *rows;

		if (!f || !fgets(line, sizeof(line), f) || sscanf(line, "%lu", &vm) != 1)
			_exit(3);
		fclose(f);
		rl.rlim_cur = rl.rlim_max = vm * (unsigned long)sysconf(_SC_PAGESIZE) + (40u << 20);
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(3);
		rows = kc_csv_parse("big.csv", text, n + 9, err, sizeof(err));
		if (rows) {
			const char *v = json_string_value(json_object_get(json_array_get(rows, 0), "code"));

			printf("parsed although memory ran out: a field of %zu bytes, %zu wanted\n",
			       v ? strlen(v) : 0, n);
			fflush(stdout);
			_exit(1);
		}
		printf("error: %s\n", err);
		fflush(stdout);
		_exit(strcmp(err, "big.csv:2: out of memory") == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(text);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
