/* service/zone.c against glibc: for zones of every kind (no clock change,
 * DST north and south, half-hour and 45-minute offsets, negative DST,
 * midnight changes, changes of standard offset), the offset at instants
 * from 1901 to 2099 and the start of each local day agree with
 * localtime_r and mktime under TZ set to the same zone file (one zone at a
 * time, in this single thread), also past the last transition in the
 * file, where the footer's rule decides. Then what reports use: months and
 * days at the boundaries of Asia/Shanghai, times typed in, gaps and
 * repeats, formatting, and names refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/util.h"
#include "service/zone.h"

static const char *const zones[] = {
	"Asia/Shanghai",      "Asia/Urumqi",	   "Asia/Hong_Kong",   "Asia/Kolkata",	"Asia/Kathmandu",
	"Asia/Tehran",	      "America/New_York", "America/Sao_Paulo", "America/St_Johns", "Europe/Berlin",
	"Europe/Dublin",      "Europe/Moscow",	   "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
	"Pacific/Apia",	      "Africa/Casablanca", "America/Havana",   "UTC",		  "Asia/Gaza",
};

/* One comparison with glibc at t in zone z (TZ set to the same zone):
 * 1 compared and equal, 0 not comparable, -1 compared and different. */
typedef int (*compare_fn)(const struct kc_zone *z, int64_t t);

/* Runs cmp for every zone at t from first to last by step; every
 * comparison must agree. */
static void as_glibc(compare_fn cmp, int64_t first, int64_t last, int64_t step, const char *what)
{
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const struct kc_zone *z = kc_zone_get(zones[i]);
		char v[128];
		long bad = 0, n = 0;

		assert_non_null(z);
		assert_string_equal(kc_zone_name(z), zones[i]);
		snprintf(v, sizeof(v), ":%s/%s", KC_TZ_DIR, zones[i]);
		setenv("TZ", v, 1);
		tzset();
		for (int64_t t = first; t < last; t += step) {
			int r = cmp(z, t);

			n += r != 0;
			if (r < 0 && bad++ < 5)
				fprintf(stderr, "%s: differs at %lld\n", zones[i], (long long)t);
		}
		fprintf(stderr, "%-20s %ld %s, %ld differ\n", zones[i], n, what, bad);
		assert_int_equal(bad, 0);
	}
	unsetenv("TZ");
	tzset();
}

static int offset_as_glibc(const struct kc_zone *z, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return kc_zone_offset(z, t * 1000) == tm.tm_gmtoff ? 1 : -1;
}

static int day_start_as_glibc(const struct kc_zone *z, int64_t t)
{
	time_t tt = (time_t)t, mid;
	struct tm tm, back;

	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	mid = mktime(&tm);
	localtime_r(&mid, &back);
	/* a day that starts in a gap (a clock change at midnight): mktime
	 * moves the time on, not to the gap's end; compare only days whose
	 * midnight exists */
	if (back.tm_hour != 0 || back.tm_min != 0)
		return 0;
	return kc_zone_day_start(z, t * 1000) == (int64_t)mid * 1000 ? 1 : -1;
}

static void test_offsets_as_glibc(void **state)
{
	(void)state;
	/* every 7 h 13 min 17 s from 1901 to 2099: every hour of the day,
	 * every day of the week, both sides of every change */
	as_glibc(offset_as_glibc, -2145916800LL, 4102444800LL, 7 * 3600 + 13 * 60 + 17, "instants");
}

static void test_day_starts_as_glibc(void **state)
{
	(void)state;
	/* noon of each day from 1971 to 2060 */
	as_glibc(day_start_as_glibc, 31579200LL, 2871000000LL, 86400, "days");
}

static int64_t ms(const char *iso)
{
	int64_t v;

	assert_int_equal(kc_time_parse(iso, &v), 0);
	return v;
}

static void test_shanghai_days_and_months(void **state)
{
	const struct kc_zone *sh = kc_zone_get("Asia/Shanghai");
	int64_t s, e, t;
	char buf[32];

	(void)state;
	/* 2026-11-30T16:30Z is 2026-12-01 00:30 in Shanghai */
	t = ms("2026-11-30T16:30:00Z");
	assert_int_equal(kc_zone_offset(sh, t), 8 * 3600);
	assert_int_equal(kc_zone_day_start(sh, t), ms("2026-11-30T16:00:00Z"));
	kc_zone_month_of(sh, t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12");
	kc_zone_format(sh, t, KC_DAY_START, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-01 00:30");
	assert_int_equal(kc_zone_month(sh, "2026-12", &s, &e), 0);
	assert_int_equal(s, ms("2026-11-30T16:00:00Z"));
	assert_int_equal(e, ms("2026-12-31T16:00:00Z"));
	assert_int_equal(kc_zone_month(sh, "2026-01", &s, &e), 0);
	assert_int_equal(s, ms("2025-12-31T16:00:00Z"));
	for (const char *const *bad = (const char *const[]){ "2026-13", "2026-1", "2026-00", "26-11", "2026-11x",
							     "", " 2026-11", NULL };
	     *bad; bad++)
		assert_int_equal(kc_zone_month(sh, *bad, &s, &e), -EINVAL);

	/* what is typed is what is shown */
	assert_int_equal(kc_zone_parse(sh, "2026-12-01 00:30", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-11-30T16:30:00Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-12-01T00:30:15.250", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-11-30T16:30:15.250Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-12-01", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-11-30T16:00:00Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-12-01", KC_DAY_END, &t), 0);
	assert_int_equal(t, ms("2026-12-01T16:00:00Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-12-31", KC_DAY_END, &t), 0);
	assert_int_equal(t, ms("2026-12-31T16:00:00Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-12-01", KC_DAY_LAST, &t), 0);
	assert_int_equal(t, ms("2026-12-01T16:00:00Z") - 1);
	/* UTC stays UTC */
	assert_int_equal(kc_zone_parse(sh, "2026-12-01T00:30:00Z", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-12-01T00:30:00Z"));
	assert_int_equal(kc_zone_parse(sh, "2026-02-30", KC_DAY_START, &t), -EINVAL);
	assert_int_equal(kc_zone_parse(sh, "yesterday", KC_DAY_START, &t), -EINVAL);
	assert_int_equal(kc_zone_parse(sh, "", KC_DAY_START, &t), -EINVAL);

	kc_zone_format(sh, ms("2026-11-30T16:00:00Z"), KC_DAY_START, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-01");
	kc_zone_format(sh, ms("2026-11-30T16:00:00Z"), KC_DAY_END, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30");
	kc_zone_format(sh, ms("2026-11-30T16:00:00Z"), KC_DAY_LAST, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-01 00:00");
	/* before 1970 */
	kc_zone_format(sh, ms("1950-06-01T04:05:00Z"), KC_DAY_START, buf, sizeof(buf));
	assert_string_equal(buf, "1950-06-01 12:05");
}

static void test_gaps_and_repeats(void **state)
{
	const struct kc_zone *ny = kc_zone_get("America/New_York"), *sp = kc_zone_get("America/Sao_Paulo");
	int64_t t;
	char buf[32];

	(void)state;
	/* 2026-03-08 02:30 does not exist in New York: the first instant
	 * after the gap, 03:00 EDT */
	assert_int_equal(kc_zone_parse(ny, "2026-03-08 02:30", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-03-08T07:00:00Z"));
	/* 2026-11-01 01:30 happens twice: the first, EDT */
	assert_int_equal(kc_zone_parse(ny, "2026-11-01 01:30", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2026-11-01T05:30:00Z"));
	/* a day whose midnight a clock change skipped starts at 01:00
	 * (Sao Paulo, 2018-11-04) */
	assert_int_equal(kc_zone_parse(sp, "2018-11-04", KC_DAY_START, &t), 0);
	assert_int_equal(t, ms("2018-11-04T03:00:00Z"));
	kc_zone_format(sp, t, KC_DAY_START, buf, sizeof(buf));
	assert_string_equal(buf, "2018-11-04"); /* a day start shows as its date */
	assert_int_equal(kc_zone_day_start(sp, ms("2018-11-04T12:00:00Z")), t);
}

static void test_names(void **state)
{
	(void)state;
	assert_null(kc_zone_get("Asia/Nowhere"));
	assert_null(kc_zone_get("../etc/passwd"));
	assert_null(kc_zone_get("/etc/localtime"));
	assert_null(kc_zone_get("Asia"));
	assert_null(kc_zone_get(""));
	assert_null(kc_zone_get(NULL));
	assert_ptr_equal(kc_zone_get("Asia/Shanghai"), kc_zone_get("Asia/Shanghai"));
	assert_string_equal(kc_zone_name(kc_zone_default()), KC_TZ_DEFAULT);
	assert_int_equal(kc_zone_set_default("Asia/Nowhere"), -ENOENT);
	assert_int_equal(kc_zone_set_default("no zone"), -EINVAL);
	assert_int_equal(kc_zone_set_default("Asia/Urumqi"), 0);
	assert_string_equal(kc_zone_name(kc_zone_default()), "Asia/Urumqi");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets_as_glibc), cmocka_unit_test(test_day_starts_as_glibc),
		cmocka_unit_test(test_shanghai_days_and_months), cmocka_unit_test(test_gaps_and_repeats),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
