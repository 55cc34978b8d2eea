/* Unit tests of common/log.c: every value in a log line is escaped, so a
 * newline, a terminal escape or a byte that is not UTF-8 cannot forge or
 * hide a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static void expect_escaped(const char *in, const char *want)
{
	char out[256];

	kc_log_escape(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_escape(void **state)
{
	(void)state;
	expect_escaped("plain text 123", "plain text 123");
	expect_escaped("a\nb\r\tc", "a\\x0ab\\x0d\\x09c");
	expect_escaped("\x1b[31mred\x7f", "\\x1b[31mred\\x7f");
	expect_escaped("back\\slash", "back\\\\slash");
	expect_escaped("钥匙柜 ok", "钥匙柜 ok");
	expect_escaped("\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91");
	/* not UTF-8: a lone byte, a cut sequence, overlong, surrogate, C1 */
	expect_escaped("x\xffy", "x\\xffy");
	expect_escaped("\xe9\x92", "\\xe9\\x92");
	expect_escaped("\xc0\x8a", "\\xc0\\x8a");
	expect_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");
	expect_escaped("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	expect_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
}

static void test_escape_truncates_whole(void **state)
{
	char out[8];

	(void)state;
	/* "ab" then an escape that does not fit: cut before it */
	assert_int_equal(kc_log_escape("ab\n\n", out, sizeof(out)), 6);
	assert_string_equal(out, "ab\\x0a");
	assert_int_equal(kc_log_escape("钥匙柜", out, sizeof(out)), 6);
	assert_string_equal(out, "钥匙");
}

static void test_log_one_line(void **state)
{
	char path[] = "/tmp/t-log-XXXXXX", buf[512];
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;
	size_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	kc_log_init("t-log");
	kc_log_set_level(LOG_DEBUG);
	kc_notice("web login failed for %s", "eve\nt-log: notice: web login: admin (admin)");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "t-log: notice: web login failed for eve\\x0at-log: notice: web login: admin (admin)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_truncates_whole),
		cmocka_unit_test(test_log_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
