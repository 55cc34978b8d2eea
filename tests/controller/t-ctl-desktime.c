/* Unit tests of desk time: keycabd's [cabinet] time_zone, and the local
 * day helpers of common/util.c that keycabd and keycab read dates with,
 * under an environment whose TZ says something else. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "controller/conf.h"
#include "controller/rules.h"

/* 2026-11-30 00:00 in Asia/Shanghai (UTC+8) */
#define SH_NOV30 1795968000000LL
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static int load(const char *text, struct kc_ctl_conf *c, char *path, char *err, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/t-ctl-desktime.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	kc_ctl_conf_defaults(c);
	return kc_ctl_conf_load(c, path, err, len);
}

static void test_conf(void **state)
{
	struct kc_ctl_conf c;
	char path[64], err[512], want[200];

	(void)state;
	kc_ctl_conf_defaults(&c);
	assert_string_equal(c.time_zone, "Asia/Shanghai");
	assert_int_equal(load("[cabinet]\ntime_zone = Asia/Urumqi\n", &c, path, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(c.time_zone, "Asia/Urumqi");

	assert_int_equal(load("[cabinet]\nfile = /x\ntime_zone = Asia/Beijing\n", &c, path, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	printf("%s\n", err);
	snprintf(want, sizeof(want), "%s:3: [cabinet] time_zone: \"Asia/Beijing\" is not a time zone in",
		 path);
	assert_non_null(strstr(err, want));
	assert_string_equal(c.time_zone, "Asia/Shanghai"); /* unchanged */

	assert_int_equal(load("[cabinet]\ntime_zone = ../../etc/passwd\n", &c, path, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	printf("%s\n", err);
	assert_non_null(strstr(err, ":2: [cabinet] time_zone: \"../../etc/passwd\" is not a time zone name"));
	assert_int_equal(load("[cabinet]\ntime_zone = Asia\n", &c, path, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_int_equal(load("[cabinet]\ntime_zone = /usr/share/zoneinfo/UTC\n", &c, path, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
}

static void test_zone_check(void **state)
{
	(void)state;
	assert_int_equal(kc_tz_check("Asia/Shanghai"), 0);
	assert_int_equal(kc_tz_check("UTC"), 0);
	assert_int_equal(kc_tz_check("Asia"), -ENOENT); /* a directory */
	assert_int_equal(kc_tz_check("Mars/Olympus_Mons"), -ENOENT);
	assert_int_equal(kc_tz_check(""), -EINVAL);
	assert_int_equal(kc_tz_check(NULL), -EINVAL);
	assert_int_equal(kc_tz_check("Asia/../../../etc/passwd"), -EINVAL);
	assert_int_equal(kc_tz_check("Asia/Shanghai;rm"), -EINVAL);
	assert_int_equal(kc_tz_set("Mars/Olympus_Mons"), -ENOENT);
}

static void expect_parse(const char *s, enum kc_day_as as, int64_t want)
{
	int64_t ms = -1;

	assert_int_equal(kc_local_parse(s, as, &ms), 0);
	assert_int_equal(ms, want);
}

static void expect_format(int64_t ms, enum kc_day_as as, const char *want)
{
	char buf[KC_TIME_LEN];

	kc_local_format(ms, as, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* The environment says UTC; the desk is in Shanghai. */
static void test_shanghai(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(kc_tz_set("Asia/Shanghai"), 0);
	assert_string_equal(kc_tz_name(), "Asia/Shanghai");
	/* "to 2026-11-30" holds until the start of 1 December, local */
	expect_parse("2026-11-30", KC_DAY_END, SH_NOV30 + DAY);
	expect_parse("2026-11-30", KC_DAY_START, SH_NOV30);
	expect_parse("2026-11-30", KC_DAY_LAST, SH_NOV30 + DAY - 1);
	expect_parse("2026-11-30 19:58", KC_DAY_LAST, SH_NOV30 + 19 * HOUR + 58 * 60000);
	expect_parse("2026-11-30T19:58:30", KC_DAY_START, SH_NOV30 + 19 * HOUR + 58 * 60000 + 30000);
	/* what says Z is UTC */
	expect_parse("2026-11-30T11:58:00.000Z", KC_DAY_END, SH_NOV30 + 19 * HOUR + 58 * 60000);
	assert_int_equal(kc_local_parse("2026-02-31", KC_DAY_END, &ms), -EINVAL);
	assert_int_equal(kc_local_parse("2026-11-30 24:00", KC_DAY_END, &ms), -EINVAL);
	assert_int_equal(kc_local_parse("30/11/2026", KC_DAY_END, &ms), -EINVAL);
	assert_int_equal(ms, 0);

	expect_format(SH_NOV30 + DAY, KC_DAY_END, "2026-11-30");
	expect_format(SH_NOV30, KC_DAY_START, "2026-11-30");
	expect_format(SH_NOV30, KC_DAY_LAST, "2026-11-30 00:00");
	expect_format(SH_NOV30 + DAY - 1, KC_DAY_LAST, "2026-11-30 23:59");
	expect_format(SH_NOV30 + 8 * HOUR, KC_DAY_END, "2026-11-30 08:00");

	/* a repair key taken at 19:58 is due by 23:59:59.999 the same local day */
	assert_int_equal(kc_rules_end_of_day(SH_NOV30 + 19 * HOUR + 58 * 60000), SH_NOV30 + DAY - 1);
	/* 07:59 local is 23:59 UTC the day before: still the local day */
	assert_int_equal(kc_rules_end_of_day(SH_NOV30 + 7 * HOUR + 59 * 60000), SH_NOV30 + DAY - 1);
	assert_int_equal(kc_local_day_start(SH_NOV30 + DAY - 1), SH_NOV30);
	assert_int_equal(kc_local_next_day(SH_NOV30), SH_NOV30 + DAY);
}

/* A zone with summer time: the local day of the change is 23 hours. */
static void test_summer_time(void **state)
{
	int64_t start = 0, end = 0;

	(void)state;
	assert_int_equal(kc_tz_set("Europe/Berlin"), 0);
	assert_int_equal(kc_local_parse("2026-03-29", KC_DAY_START, &start), 0);
	assert_int_equal(kc_local_parse("2026-03-29", KC_DAY_END, &end), 0);
	assert_int_equal(end - start, 23 * HOUR);
	assert_int_equal(kc_local_next_day(start + 12 * HOUR), end);
	expect_format(end, KC_DAY_END, "2026-03-29");
	assert_int_equal(kc_tz_set("Asia/Shanghai"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_zone_check),
		cmocka_unit_test(test_shanghai),
		cmocka_unit_test(test_summer_time),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
