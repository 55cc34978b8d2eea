/* Times as the desk reads them: local in the cabinet's zone, which keycabd
 * tells (common/util.c does the zone and the formats). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "controller/client/client.h"

int kc_desktime_zone(const json_t *ping_reply, const char **zone)
{
	const char *z = json_string_value(json_object_get(ping_reply, "time_zone"));
	int r;

	if (!z || !*z)
		z = KC_TZ_DEFAULT;
	*zone = z;
	r = kc_tz_set(z);
	if (r < 0) {
		setenv("TZ", "UTC0", 1);
		tzset();
	}
	return r;
}

bool kc_desktime_parse(const char *s, int64_t *wall_ms)
{
	return strlen(s) == 24 && s[10] == 'T' && s[23] == 'Z' && kc_time_parse(s, wall_ms) == 0;
}

void kc_desktime_format(const char *name, int64_t wall_ms, char *out, size_t len)
{
	enum kc_day_as as = KC_DAY_LAST;

	if (name && (strcmp(name, "end") == 0 || strcmp(name, "valid_to") == 0))
		as = KC_DAY_END;
	else if (name && (strcmp(name, "start") == 0 || strcmp(name, "valid_from") == 0))
		as = KC_DAY_START;
	kc_local_format(wall_ms, as, out, len);
}
