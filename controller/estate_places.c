/* The office's changes to places and their settings: site.set, unit.set
 * (a vacancy that changes is recorded as unit.vacancy records it) and
 * settings.set (a site's custody settings, controller/estate.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/estate.h"
#include "controller/row.h"
#include "controller/rules_estate.h"

/* Whether site is known: 1, 0 or -EIO. */
static int site_found(struct kc_ctl *ctl, const char *site)
{
	int64_t v;
	int r = kc_store_int(ctl->st, &v, "SELECT 1 FROM sites WHERE code = ?", "s", site ? site : "");

	return r == 0 ? 1 : r == -ENOENT ? 0 : -EIO;
}

int kc_estate_site_set(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
		       struct kc_decision *d)
{
	const char *site = kc_estate_str(c, "site"), *zone = kc_estate_str(c, "time_zone");
	struct kc_estate_site_facts f = { .name = kc_estate_str(c, "name"), .age = kc_estate_str(c, "age"),
					  .zone_ok = !zone || !*zone || kc_tz_check(zone) == 0 };

	(void)extra;
	kc_json_str(members, "site", site);
	if (!site || !*site || strlen(site) > 63)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "site"), 1;
	if (!kc_rules_estate_site(&f, d))
		return 1;
	return kc_store_x(ctl->st,
			  "INSERT INTO sites (code, name, age, time_zone) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT (code) DO UPDATE SET name = ?2, age = ?3, time_zone = ?4",
			  "ssss", site, f.name, f.age, zone ? zone : "") < 0
		       ? -EIO
		       : 0;
}

int kc_estate_unit_set(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
		       struct kc_decision *d)
{
	const char *unit = kc_estate_str(c, "unit"), *site = kc_estate_str(c, "site");
	const char *building = kc_estate_str(c, "building"), *room = kc_estate_str(c, "room");
	json_t *vac = json_object_get(c->data, "vacant"), *ev;
	struct kc_estate_unit_facts f = { .unit = unit, .site = site };
	int64_t was = -1;
	int r;

	(void)extra;
	kc_json_str(members, "unit", unit);
	kc_json_str(members, "site", site);
	if (!unit || !*unit || strlen(unit) > 63)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "unit"), 1;
	if (vac && !json_is_boolean(vac))
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "vacant"), 1;
	if ((r = site_found(ctl, site)) < 0)
		return -EIO;
	f.site_found = r;
	if (!kc_rules_estate_unit(&f, d))
		return 1;
	r = kc_store_int(ctl->st, &was, "SELECT vacant FROM units WHERE code = ?", "s", unit);
	if (r < 0 && r != -ENOENT)
		return -EIO;
	if (kc_store_x(ctl->st,
		       "INSERT INTO units (code, site, building, room, vacant) VALUES (?1, ?2, ?3, ?4, ?5)"
		       " ON CONFLICT (code) DO UPDATE SET site = ?2, building = ?3, room = ?4, vacant = ?5",
		       "ssssi", unit, site, building ? building : "", room ? room : "", json_is_true(vac)) < 0)
		return -EIO;
	if (r == -ENOENT || was == json_is_true(vac))
		return 0;
	/* the vacancy changed: recorded as the desk's unit.vacancy is */
	ev = kc_store_event(ctl->st, KC_EVT_UNIT_VACANCY);
	kc_json_str(ev, "unit", unit);
	kc_json_str(ev, "site", site);
	json_object_set_new(json_object_get(ev, "data"), "vacant", json_boolean(json_is_true(vac)));
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

int kc_estate_settings_set(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			   struct kc_decision *d)
{
	const char *site = kc_estate_str(c, "site");
	json_t *body;
	char *text;
	int r;

	(void)extra;
	kc_json_str(members, "site", site);
	if ((r = site_found(ctl, site)) < 0)
		return -EIO;
	if (!kc_rules_estate_settings(c->data, r, d))
		return 1;
	body = json_deep_copy(c->data);
	json_object_del(body, "site");
	text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(body);
	if (!text)
		return -EIO;
	r = kc_store_x(ctl->st,
		       "INSERT INTO site_settings (site, body, set_ms) VALUES (?1, ?2, ?3)"
		       " ON CONFLICT (site) DO UPDATE SET body = ?2, set_ms = ?3",
		       "ssI", site, text, kc_now_ms());
	free(text);
	return r < 0 ? -EIO : 0;
}
