#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kc_parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int kc_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "1", "true", "yes", "on" };
	static const char *no[] = { "0", "false", "no", "off" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < KC_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kc_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t kc_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

void kc_time_format(int64_t wall_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ms / 1000);
	int ms = (int)(wall_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

/* The fields of "YYYY-MM-DD[( |T)HH:MM[:SS[.mmm]][Z]]", range-checked; not
 * yet a day of the calendar (31 February passes here). */
struct time_fields {
	struct tm tm;
	int ms;
	bool has_time, utc;
};

static int time_fields_parse(const char *s, struct time_fields *f)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, n = 0;
	const char *p;

	memset(f, 0, sizeof(*f));
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		int m = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return -EINVAL;
		p += 1 + m;
		f->has_time = true;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &m) != 1 || m != 2)
				return -EINVAL;
			p += 3;
			if (*p == '.') {
				int digits = 0;

				p++;
				while (isdigit((unsigned char)*p)) {
					if (digits < 3)
						ms = ms * 10 + (*p - '0');
					digits++;
					p++;
				}
				if (digits == 0)
					return -EINVAL;
				for (; digits < 3; digits++)
					ms *= 10;
			}
		}
		if (*p == 'Z') {
			f->utc = true;
			p++;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60)
		return -EINVAL;
	f->tm.tm_year = y - 1900;
	f->tm.tm_mon = mo - 1;
	f->tm.tm_mday = d;
	f->tm.tm_hour = h;
	f->tm.tm_min = mi;
	f->tm.tm_sec = sec;
	f->tm.tm_isdst = -1;
	f->ms = ms;
	return 0;
}

/* timegm and mktime normalise 31 February into March: refuse that. */
static bool same_day(const struct tm *asked, const struct tm *got)
{
	return asked->tm_mday == got->tm_mday && asked->tm_mon == got->tm_mon &&
	       asked->tm_year == got->tm_year;
}

int kc_time_parse(const char *s, int64_t *wall_ms)
{
	struct time_fields f;
	struct tm tm;
	time_t t;

	if (time_fields_parse(s, &f) < 0)
		return -EINVAL;
	tm = f.tm;
	t = timegm(&tm);
	if (t == (time_t)-1 || !same_day(&f.tm, &tm))
		return -EINVAL;
	*wall_ms = (int64_t)t * 1000 + f.ms;
	return 0;
}

static char tz_name[KC_TZ_LEN];

int kc_tz_check(const char *zone)
{
	char path[sizeof(KC_TZ_DIR) + KC_TZ_LEN + 1], magic[4];
	size_t n;
	FILE *fp;

	if (!zone || !zone[0] || zone[0] == '/' || strlen(zone) >= KC_TZ_LEN || strstr(zone, ".."))
		return -EINVAL;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", KC_TZ_DIR, zone);
	fp = fopen(path, "rbe");
	if (!fp)
		return -ENOENT;
	n = fread(magic, 1, sizeof(magic), fp);
	fclose(fp);
	/* a directory (Asia) reads nothing; a zone file starts "TZif" */
	return n == sizeof(magic) && memcmp(magic, "TZif", 4) == 0 ? 0 : -ENOENT;
}

int kc_tz_set(const char *zone)
{
	char tz[sizeof(KC_TZ_DIR) + KC_TZ_LEN + 2];
	int r = kc_tz_check(zone);

	if (r < 0)
		return r;
	/* The file itself, so glibc reads the zone checked above and not
	 * whatever TZDIR points to. */
	snprintf(tz, sizeof(tz), ":%s/%s", KC_TZ_DIR, zone);
	if (setenv("TZ", tz, 1) < 0)
		return -errno;
	tzset();
	kc_strlcpy(tz_name, zone, sizeof(tz_name));
	return 0;
}

const char *kc_tz_name(void)
{
	return tz_name;
}

static void local_tm(int64_t wall_ms, struct tm *tm)
{
	time_t t = (time_t)(wall_ms / 1000 - (wall_ms % 1000 < 0));

	localtime_r(&t, tm);
}

/* Local midnight of the day tm names, days later. */
static int64_t local_midnight(const struct tm *day, int days)
{
	struct tm tm = { 0 };

	tm.tm_year = day->tm_year;
	tm.tm_mon = day->tm_mon;
	tm.tm_mday = day->tm_mday + days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

int64_t kc_local_day_start(int64_t wall_ms)
{
	struct tm tm;

	local_tm(wall_ms, &tm);
	return local_midnight(&tm, 0);
}

int64_t kc_local_next_day(int64_t wall_ms)
{
	struct tm tm;

	local_tm(wall_ms, &tm);
	return local_midnight(&tm, 1);
}

int kc_local_parse(const char *s, enum kc_day_as as, int64_t *wall_ms)
{
	struct time_fields f;
	struct tm tm;
	time_t t;

	if (time_fields_parse(s, &f) < 0)
		return -EINVAL;
	if (f.utc)
		return kc_time_parse(s, wall_ms);
	tm = f.tm;
	t = mktime(&tm);
	if (t == (time_t)-1 || !same_day(&f.tm, &tm))
		return -EINVAL;
	if (f.has_time) {
		*wall_ms = (int64_t)t * 1000 + f.ms;
		return 0;
	}
	if (as == KC_DAY_START)
		*wall_ms = local_midnight(&f.tm, 0);
	else
		*wall_ms = local_midnight(&f.tm, 1) - (as == KC_DAY_LAST ? 1 : 0);
	return 0;
}

void kc_local_format(int64_t wall_ms, enum kc_day_as as, char *buf, size_t len)
{
	struct tm tm;
	bool date = false;

	if (as != KC_DAY_LAST && kc_local_day_start(wall_ms) == wall_ms) {
		date = true;
		if (as == KC_DAY_END)
			wall_ms -= 1;
	}
	local_tm(wall_ms, &tm);
	if (strftime(buf, len, date ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", &tm) == 0 && len)
		buf[0] = '\0';
}

size_t kc_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len) {
		size_t c = n < len - 1 ? n : len - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int kc_parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", KC_DAY_MS } };
	char num[32];
	size_t n;
	long long v;
	int64_t mult = 1000;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	kc_strlcpy(num, s, sizeof(num));
	/* longest suffix first: "ms" before "s" and "m" */
	for (size_t i = 0; i < KC_ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].suffix);

		if (n > l && strcmp(num + n - l, units[i].suffix) == 0) {
			num[n - l] = '\0';
			mult = units[i].ms;
			break;
		}
	}
	if (kc_parse_long(num, 0, INT64_MAX / KC_DAY_MS, &v) < 0)
		return -EINVAL;
	if (v * mult < min_ms || v * mult > max_ms)
		return -ERANGE;
	*out = v * mult;
	return 0;
}
