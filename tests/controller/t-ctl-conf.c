/* Unit tests of controller/conf.c: defaults, a full file, and for each
 * kind of bad value a message naming the file, line, section and key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "controller/conf.h"

static char path[64];

static int load(const char *text, struct kc_ctl_conf *c, char *err, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/t-ctl-conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	kc_ctl_conf_defaults(c);
	return kc_ctl_conf_load(c, path, err, len);
}

static void test_good(void **state)
{
	struct kc_ctl_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load("; keycabd\n[cabinet]\nfile = /etc/k/cab.conf\n[database]\npath = /x.db\n"
			      "[socket]\npath = /run/k.sock\nmode = 0660\ngroup = keycab\n"
			      "[release]\nwindow = 8s\ngrace = 500ms\n[lockout]\nattempts = 3\n"
			      "base = 1m\nmax = 2h\n[session]\nidle_timeout = 2m\n[notice]\n"
			      "lead = 3d\nreminder = 12h\nscan_interval = 10s\n[audit]\n"
			      "url = http://127.0.0.1:8080\ntoken_file = /etc/k/token\n",
			      &c, err, sizeof(err)),
			 0);
	unlink(path);
	assert_string_equal(c.cabinet_file, "/etc/k/cab.conf");
	assert_int_equal(c.release_window_ms, 8000);
	assert_int_equal(c.release_grace_ms, 500);
	assert_int_equal(c.lockout_attempts, 3);
	assert_int_equal(c.lockout_base_ms, 60000);
	assert_int_equal(c.lockout_max_ms, 7200000);
	assert_int_equal(c.notice_lead_ms, 3 * 86400000LL);
	assert_int_equal(c.notice_reminder_ms, 12 * 3600000LL);
	assert_int_equal(c.socket_mode, 0660);
	assert_string_equal(c.audit_url, "http://127.0.0.1:8080");
	assert_string_equal(c.key_file, "/x.db.key");
	printf("a full file loads with every value\n");
}

static void test_key_file(void **state)
{
	struct kc_ctl_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load("[database]\nkey_file = /etc/k/hash.key\npath = /y.db\n", &c, err,
			      sizeof(err)),
			 0);
	unlink(path);
	assert_string_equal(c.key_file, "/etc/k/hash.key");
	assert_int_equal(load("[cabinet]\nfile = /c\n", &c, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(c.key_file, "/var/lib/keycabd/keycab.db.key");
	assert_int_not_equal(load("[database]\nkey_file =\n", &c, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(strstr(err, "[database] key_file: must not be empty"));
	printf("[database] key_file: given, or the database path and .key\n");
}

static void expect_bad(const char *text, const char *want)
{
	struct kc_ctl_conf c;
	char err[512], prefix[96];

	assert_int_equal(load(text, &c, err, sizeof(err)), -EINVAL);
	unlink(path);
	printf("%s\n", err);
	snprintf(prefix, sizeof(prefix), "%s:", path);
	assert_non_null(strstr(err, prefix));
	if (!strstr(err, want))
		fail_msg("\"%s\" not in \"%s\"", want, err);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("[release]\nwindow = 90s\n", ":2: [release] window: \"90s\" is out of range");
	expect_bad("[release]\n\nwindow = soon\n", ":3: [release] window: \"soon\" is not a duration");
	expect_bad("[lockout]\nattempts = 0\n", ":2: [lockout] attempts");
	expect_bad("[lockout]\nattempts = five\n", ":2: [lockout] attempts");
	expect_bad("[socket]\nmode = 0007\n", ":2: [socket] mode");
	expect_bad("[socket]\nmode = rw\n", ":2: [socket] mode");
	expect_bad("[database]\npath =\n", ":2: [database] path: must not be empty");
	expect_bad("[cabinet]\nfiel = x\n", ":2: [cabinet] fiel: unknown key");
	expect_bad("[audit]\nurl = ftp://x\n", ":2: [audit] url");
	expect_bad("[notice]\nreminder = 10s\n", ":2: [notice] reminder");
	expect_bad("[cabinet]\nthis line has no equals sign\n", ":2: not an INI line");
	expect_bad("[lockout]\nbase = 2h\nmax = 1h\n", "[lockout] max must not be below");
	expect_bad("[audit]\nurl = http://x\n", "token_file is not");
}

/* A line too long to read whole is refused where it is, not read as two
 * lines; a bad line before a bad value is the one told. */
static void test_long_line(void **state)
{
	char text[400];

	(void)state;
	snprintf(text, sizeof(text), "[audit]\ntoken_file = /%0250d\nurl = x\n", 0);
	expect_bad(text, ":2: [audit]: line longer than 198 characters");
	expect_bad("[release]\nno equals sign\nwindow = 90s\n", ":2: not an INI line");
}

/* [socket] terminal_key: the file is read at load, its digest kept; a
 * file that is missing, short, or readable by others stops the load. */
static void test_terminal_key(void **state)
{
	static const char key[] = "q1Zx3V9mK2pL8rT4wY7uN0bC5dF6gH1jS3aE9kM2=";
	char kpath[64], text[160], err[512];
	unsigned char d[KC_SHARED_KEY_DIGEST];
	struct kc_ctl_conf c;
	FILE *f;
	int fd;

	(void)state;
	snprintf(kpath, sizeof(kpath), "/tmp/t-ctl-conf-key.XXXXXX");
	fd = mkstemp(kpath); /* mode 0600 */
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "%s\n", key);
	fclose(f);
	snprintf(text, sizeof(text), "[socket]\nterminal_key = %s\n", kpath);
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(c.terminal_key_file, kpath);
	kc_shared_key_digest(key, strlen(key), d);
	assert_memory_equal(c.terminal_key_digest, d, sizeof(d));
	kc_ctl_conf_defaults(&c);
	assert_string_equal(c.terminal_key_file, "");
	assert_int_equal(chmod(kpath, 0604), 0);
	expect_bad(text, ":2: [socket] terminal_key: ");
	assert_int_equal(chmod(kpath, 0600), 0);
	f = fopen(kpath, "w");
	fputs("0123456789\n", f);
	fclose(f);
	expect_bad(text, "the key is 10 characters long; it must be 32 to 256");
	unlink(kpath);
	expect_bad(text, "cannot open it: No such file or directory");
	expect_bad("[socket]\nterminal_key = terminal.key\n", ":2: [socket] terminal_key: \"terminal.key\" must be an absolute path");
	printf("[socket] terminal_key: read at load, its digest kept\n");
}

static void test_missing_file(void **state)
{
	struct kc_ctl_conf c;
	char err[256];

	(void)state;
	kc_ctl_conf_defaults(&c);
	assert_int_equal(kc_ctl_conf_load(&c, "/nonexistent/keycabd.conf", err, sizeof(err)), -EINVAL);
	printf("%s\n", err);
	assert_non_null(strstr(err, "/nonexistent/keycabd.conf: cannot open"));
}

static void test_duration(void **state)
{
	int64_t ms = 5;

	(void)state;
	assert_int_equal(kc_parse_duration("250ms", 0, 1000, &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(kc_parse_duration("2h", 0, 1LL << 40, &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(kc_parse_duration("7", 0, 1LL << 40, &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(kc_parse_duration("7x", 0, 1LL << 40, &ms), -EINVAL);
	assert_int_equal(kc_parse_duration("-1s", 0, 1LL << 40, &ms), -EINVAL);
	assert_int_equal(kc_parse_duration("2d", 0, 1000, &ms), -ERANGE);
	assert_int_equal(ms, 7000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_terminal_key),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
