/* Time zones by name, read from the zone database's TZif files
 * (service/zone.h). */
#include "service/zone.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONE_FILE_MAX (1 << 20)
#define ZONE_SPAN_S (30LL * 3600) /* wider than any UTC offset */

/* A transition date of a POSIX rule: Jn (1-365, no 29 February), n
 * (0-365) or Mm.w.d; at time seconds after local midnight. */
struct zone_date {
	char kind; /* 'J', 'N', 'M' */
	int n, m, w, d;
	int32_t time;
};

struct kc_zone {
	char name[KC_TZ_LEN];
	size_t ntrans, ntypes;
	int64_t *trans;	 /* the transitions, UTC seconds, ascending */
	uint8_t *type_of; /* the type from each transition on */
	int32_t *utoff;	 /* each type's seconds east of UTC */
	/* the footer: after the last transition, std (and dst between start
	 * and end) */
	bool rule;
	bool has_dst;
	int32_t std_off, dst_off;
	struct zone_date start, end;
	struct kc_zone *next;
};

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kc_zone *zones;
static const struct kc_zone *zone_dflt;

/* ---- civil dates (proleptic Gregorian), days since 1970-01-01 ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* ---- the footer: a POSIX TZ string ---- */

static const char *rule_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]h[h][:mm[:ss]], hours up to 167 (RFC 8536's extension) */
static const char *rule_hms(const char *p, int32_t *out)
{
	int sign = 1;
	long h, m = 0, s = 0;
	char *e;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	h = strtol(p, &e, 10);
	p = e;
	if (*p == ':') {
		m = strtol(p + 1, &e, 10);
		p = e;
		if (*p == ':') {
			s = strtol(p + 1, &e, 10);
			p = e;
		}
	}
	if (h > 167 || m > 59 || s > 59)
		return NULL;
	*out = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return p;
}

static const char *rule_date(const char *p, struct zone_date *d)
{
	char *e;

	memset(d, 0, sizeof(*d));
	d->time = 7200;
	if (*p == 'M') {
		d->kind = 'M';
		d->m = (int)strtol(p + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->w = (int)strtol(e + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->d = (int)strtol(e + 1, &e, 10);
		if (d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 || d->d < 0 || d->d > 6)
			return NULL;
	} else if (*p == 'J') {
		d->kind = 'J';
		d->n = (int)strtol(p + 1, &e, 10);
		if (d->n < 1 || d->n > 365)
			return NULL;
	} else if (isdigit((unsigned char)*p)) {
		d->kind = 'N';
		d->n = (int)strtol(p, &e, 10);
		if (d->n > 365)
			return NULL;
	} else {
		return NULL;
	}
	p = e;
	if (*p == '/')
		p = rule_hms(p + 1, &d->time);
	return p;
}

/* "CST-8", "EST5EDT,M3.2.0,M11.1.0", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0". */
static int rule_parse(struct kc_zone *z, const char *s)
{
	int32_t off;
	const char *p = rule_name(s);

	if (!p || !(p = rule_hms(p, &off)))
		return -EINVAL;
	z->std_off = -off;
	z->rule = true;
	if (*p == '\0')
		return 0;
	if (!(p = rule_name(p)))
		return -EINVAL;
	z->has_dst = true;
	z->dst_off = z->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!(p = rule_hms(p, &off)))
			return -EINVAL;
		z->dst_off = -off;
	}
	if (*p != ',') /* no rule: TZif footers always give one */
		return -EINVAL;
	if (!(p = rule_date(p + 1, &z->start)) || *p != ',' || !(p = rule_date(p + 1, &z->end)))
		return -EINVAL;
	return *p == '\0' ? 0 : -EINVAL;
}

/* The instant (UTC seconds) of d in year y, its time read at offset off. */
static int64_t rule_when(const struct zone_date *d, int64_t y, int32_t off)
{
	int64_t day;

	if (d->kind == 'J') {
		day = days_from_civil(y, 1, 1) + d->n - 1 + (leap(y) && d->n >= 60);
	} else if (d->kind == 'N') {
		day = days_from_civil(y, 1, 1) + d->n;
	} else {
		int64_t first = days_from_civil(y, d->m, 1);
		int wd = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
		int md = 1 + (d->d - wd + 7) % 7 + (d->w - 1) * 7;

		while (md > month_days(y, d->m))
			md -= 7;
		day = first + md - 1;
	}
	return day * 86400 + d->time - off;
}

static int32_t rule_offset(const struct kc_zone *z, int64_t t)
{
	int64_t y, s, e;
	int m, d;

	if (!z->has_dst)
		return z->std_off;
	civil_from_days(floor_div(t + z->std_off, 86400), &y, &m, &d);
	s = rule_when(&z->start, y, z->std_off);
	e = rule_when(&z->end, y, z->dst_off);
	if (s < e)
		return t >= s && t < e ? z->dst_off : z->std_off;
	return t >= e && t < s ? z->std_off : z->dst_off;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The counts of the header at p: isut, isstd, leap, time, type, char. */
static int tzif_header(const unsigned char *p, size_t left, uint32_t c[6])
{
	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		c[i] = be32(p + 20 + 4 * (size_t)i);
	if (c[3] > 100000 || c[4] == 0 || c[4] > 256 || c[5] > 100000 || c[2] > 100000 || c[0] > 256 || c[1] > 256)
		return -EINVAL;
	return 0;
}

static int tzif_parse(struct kc_zone *z, const unsigned char *buf, size_t len)
{
	uint32_t c[6];
	size_t off, need;
	const unsigned char *p;

	if (tzif_header(buf, len, c) < 0 || buf[4] < '2')
		return -EINVAL;
	/* skip the version 1 block (32-bit times) */
	off = 44 + (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
	if (off > len || tzif_header(buf + off, len - off, c) < 0)
		return -EINVAL;
	p = buf + off + 44;
	need = (size_t)c[3] * 9 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 12 + c[1] + c[0];
	if (need > len - off - 44)
		return -EINVAL;
	z->ntrans = c[3];
	z->ntypes = c[4];
	z->trans = calloc(z->ntrans + 1, sizeof(*z->trans));
	z->type_of = calloc(z->ntrans + 1, 1);
	z->utoff = calloc(z->ntypes, sizeof(*z->utoff));
	if (!z->trans || !z->type_of || !z->utoff)
		return -ENOMEM;
	for (size_t i = 0; i < z->ntrans; i++) {
		z->trans[i] = be64(p + 8 * i);
		if (i && z->trans[i] <= z->trans[i - 1])
			return -EINVAL;
	}
	p += 8 * z->ntrans;
	for (size_t i = 0; i < z->ntrans; i++) {
		z->type_of[i] = p[i];
		if (p[i] >= z->ntypes)
			return -EINVAL;
	}
	p += z->ntrans;
	for (size_t i = 0; i < z->ntypes; i++)
		z->utoff[i] = (int32_t)be32(p + 6 * i);
	p += 6 * z->ntypes + c[5] + (size_t)c[2] * 12 + c[1] + c[0];
	/* the footer: "\n" rule "\n" (empty: none) */
	if (p < buf + len && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', (size_t)(buf + len - p - 1));
		char rule[128];

		if (!nl || (size_t)(nl - p - 1) >= sizeof(rule))
			return -EINVAL;
		memcpy(rule, p + 1, (size_t)(nl - p - 1));
		rule[nl - p - 1] = '\0';
		if (rule[0] && rule_parse(z, rule) < 0)
			return -EINVAL;
	}
	return 0;
}

static void zone_free(struct kc_zone *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->type_of);
	free(z->utoff);
	free(z);
}

static struct kc_zone *zone_load(const char *name)
{
	char path[sizeof(KC_TZ_DIR) + KC_TZ_LEN + 1];
	unsigned char *buf = NULL;
	struct kc_zone *z = NULL;
	size_t len;
	FILE *fp;

	if (kc_tz_check(name) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", KC_TZ_DIR, name);
	fp = fopen(path, "rbe");
	if (!fp)
		return NULL;
	buf = malloc(ZONE_FILE_MAX);
	len = buf ? fread(buf, 1, ZONE_FILE_MAX, fp) : 0;
	fclose(fp);
	z = calloc(1, sizeof(*z));
	if (!buf || !z || len == ZONE_FILE_MAX || tzif_parse(z, buf, len) < 0) {
		zone_free(z);
		free(buf);
		return NULL;
	}
	free(buf);
	kc_strlcpy(z->name, name, sizeof(z->name));
	return z;
}

const struct kc_zone *kc_zone_get(const char *name)
{
	struct kc_zone *z;

	if (!name || !name[0])
		return NULL;
	pthread_mutex_lock(&zone_lock);
	for (z = zones; z; z = z->next)
		if (strcmp(z->name, name) == 0)
			break;
	if (!z && (z = zone_load(name))) {
		z->next = zones;
		zones = z;
	}
	pthread_mutex_unlock(&zone_lock);
	return z;
}

int kc_zone_set_default(const char *name)
{
	const struct kc_zone *z;
	int r = kc_tz_check(name);

	if (r < 0)
		return r;
	if (!(z = kc_zone_get(name))) /* a zone file this cannot read */
		return -EINVAL;
	pthread_mutex_lock(&zone_lock);
	zone_dflt = z;
	pthread_mutex_unlock(&zone_lock);
	return 0;
}

const struct kc_zone *kc_zone_default(void)
{
	const struct kc_zone *z;

	pthread_mutex_lock(&zone_lock);
	z = zone_dflt;
	pthread_mutex_unlock(&zone_lock);
	return z ? z : kc_zone_get(KC_TZ_DEFAULT);
}

const char *kc_zone_name(const struct kc_zone *z)
{
	return z->name;
}

/* ---- offsets and local times ---- */

static int32_t offset_at(const struct kc_zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (z->ntrans == 0)
		return z->rule ? rule_offset(z, t) : z->utoff[0];
	if (t < z->trans[0])
		return z->utoff[0];
	if (t >= z->trans[z->ntrans - 1] && z->rule)
		return rule_offset(z, t);
	while (hi - lo > 1) { /* the last transition at or before t */
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->type_of[lo]];
}

int32_t kc_zone_offset(const struct kc_zone *z, int64_t wall_ms)
{
	return offset_at(z, floor_div(wall_ms, 1000));
}

/* The instant whose local time in z is local (seconds, as if UTC): in a
 * gap the first instant after it, in a repeat the first occurrence. */
static int64_t local_to_utc(const struct kc_zone *z, int64_t local)
{
	int32_t before = offset_at(z, local - ZONE_SPAN_S), after = offset_at(z, local + ZONE_SPAN_S);
	int64_t ub = local - before, ua = local - after, lo, hi;
	bool vb = offset_at(z, ub) == before, va = offset_at(z, ua) == after;

	if (vb && va)
		return ub < ua ? ub : ua;
	if (vb)
		return ub;
	if (va)
		return ua;
	/* a gap: the first instant whose local time is past it */
	lo = ub < ua ? ub : ua;
	hi = ub < ua ? ua : ub;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (mid + offset_at(z, mid) >= local)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void local_fields(const struct kc_zone *z, int64_t wall_ms, int64_t *y, int *m, int *d, int64_t *sec_of_day)
{
	int64_t t = floor_div(wall_ms, 1000), local = t + offset_at(z, t);

	civil_from_days(floor_div(local, 86400), y, m, d);
	*sec_of_day = local - floor_div(local, 86400) * 86400;
}

/* The start of local day `day` (days since 1970-01-01) in z, ms. */
static int64_t day_start(const struct kc_zone *z, int64_t day)
{
	return local_to_utc(z, day * 86400) * 1000;
}

int64_t kc_zone_day_start(const struct kc_zone *z, int64_t wall_ms)
{
	int64_t y, s;
	int m, d;

	local_fields(z, wall_ms, &y, &m, &d, &s);
	return day_start(z, days_from_civil(y, m, d));
}

int kc_zone_month(const struct kc_zone *z, const char *month, int64_t *start, int64_t *end)
{
	int y, m, n = 0;

	if (!month || sscanf(month, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || month[7] || m < 1 || m > 12 ||
	    y < 1970 || !isdigit((unsigned char)month[0]) || !isdigit((unsigned char)month[5]))
		return -EINVAL;
	*start = day_start(z, days_from_civil(y, m, 1));
	*end = day_start(z, days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1));
	return 0;
}

void kc_zone_month_of(const struct kc_zone *z, int64_t wall_ms, char *buf, size_t len)
{
	int64_t y, s;
	int m, d;

	local_fields(z, wall_ms, &y, &m, &d, &s);
	snprintf(buf, len, "%04d-%02d", (int)(y % 10000), m);
}

int kc_zone_parse(const struct kc_zone *z, const char *s, enum kc_day_as as, int64_t *wall_ms)
{
	int64_t t, day, sec;
	size_t n;

	/* kc_time_parse reads every form, a local one as if it were UTC */
	if (!s || kc_time_parse(s, &t) < 0)
		return -EINVAL;
	n = strlen(s);
	if (s[n - 1] == 'Z') {
		*wall_ms = t;
		return 0;
	}
	if (n > 10) {
		sec = floor_div(t, 1000);
		*wall_ms = local_to_utc(z, sec) * 1000 + (t - sec * 1000);
		return 0;
	}
	day = floor_div(t, 86400000);
	*wall_ms = as == KC_DAY_START ? day_start(z, day) : day_start(z, day + 1) - (as == KC_DAY_LAST);
	return 0;
}

void kc_zone_format(const struct kc_zone *z, int64_t wall_ms, enum kc_day_as as, char *buf, size_t len)
{
	int64_t y, s;
	int m, d;

	if (as != KC_DAY_LAST && kc_zone_day_start(z, wall_ms) == wall_ms) {
		local_fields(z, as == KC_DAY_END ? wall_ms - 1 : wall_ms, &y, &m, &d, &s);
		snprintf(buf, len, "%04d-%02d-%02d", (int)(y % 10000), m, d);
		return;
	}
	local_fields(z, wall_ms, &y, &m, &d, &s);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", (int)(y % 10000), m, d, (int)(s / 3600), (int)(s / 60 % 60));
}
