/* Each site's custody settings, and the cabinets with the sites they
 * serve and their feeds: applied, pending and refused changes, each in
 * words, when made and by whom, when the cabinet applied it (its event's
 * time, the site's local time) or why it refused it, in the reader's
 * language (/estate/settings, /estate/cabinets; service/web_estate.h). */
#include "service/web_estate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/feed.h"
#include "service/reports_impl.h"
#include "service/template_render.h"
#include "service/words.h"

/* The number member of obj at path ("a.b") as text in unit, "" for none. */
static void num_text(const json_t *obj, const char *a, const char *b, long long unit, char *out, size_t len)
{
	const json_t *v = json_object_get(b ? json_object_get(obj, a) : obj, b ? b : a);

	if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v) / unit);
	else
		out[0] = '\0';
}

/* A list member: numbers in unit joined by ", ", or strings a line each. */
static char *list_text(const json_t *list, long long unit)
{
	struct sbuf b = { 0 };
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_is_integer(v))
			sbuf_printf(&b, "%s%lld", i ? ", " : "", (long long)json_integer_value(v) / unit);
		else
			sbuf_printf(&b, "%s%s", i ? "\n" : "", json_string_value(v) ?: "");
	}
	sbuf_add(&b, "");
	return sbuf_take(&b);
}

static void settings_form(struct est_page *p, const json_t *row)
{
	static const struct {
		const char *name, *label, *outer, *inner;
		long long unit;
		const char *dflt;
	} nums[] = {
		{ "borrow", KC_N_("Longest loan to borrow (minutes)"), "max_loan", "borrow", 60, "480" },
		{ "inspection", KC_N_("Longest loan to inspect (minutes)"), "max_loan", "inspection", 60, "240" },
		{ "repair", KC_N_("Longest loan to repair (minutes)"), "max_loan", "repair", 60, "480" },
		{ "emergency", KC_N_("Longest loan in an emergency (minutes)"), "max_loan", "emergency", 60, "120" },
		{ "lead", KC_N_("First notice before an entrustment ends (hours)"), "notice_lead_s", NULL, 3600, "72" },
		{ "reminder", KC_N_("Reminder after that (hours)"), "notice_reminder_s", NULL, 3600, "24" },
	};
	static const struct {
		const char *name, *label, *member;
	} lists[] = {
		{ "problem", KC_N_("Quick phrases: problems found"), "problem" },
		{ "alarm", KC_N_("Quick phrases: alarms cleared"), "alarm" },
		{ "repair_phrases", KC_N_("Quick phrases: repairs"), "repair" },
	};
	const json_t *set = json_object_get(row, "settings");
	char v[32], *t;

	est_form(p, "settings", "settings", "new");
	est_hidden(p, "site", est_str(row, "site"));
	for (size_t i = 0; i < KC_ARRAY_SIZE(nums); i++) {
		num_text(set, nums[i].outer, nums[i].inner, nums[i].unit, v, sizeof(v));
		est_input(p, nums[i].label, nums[i].name, json_is_object(set) ? v : nums[i].dflt, "number");
	}
	t = json_is_object(set) ? list_text(json_object_get(set, "due_presets"), 60) : strdup("30, 60, 120, 240");
	est_input(p, "Due-time choices (minutes, comma-separated)", "presets", t, "text");
	free(t);
	for (size_t i = 0; i < KC_ARRAY_SIZE(lists); i++) {
		t = list_text(json_object_get(json_object_get(set, "phrases"), lists[i].member), 1);
		est_input(p, lists[i].label, lists[i].name, t, "textarea");
		free(t);
	}
	est_form_end(p, "Save settings");
}

int web_estate_settings(struct est_page *p)
{
	json_t *rows = kc_estate_settings(&p->x);
	const json_t *row;
	char when[40];
	size_t i;

	if (!rows)
		return -EIO;
	json_array_foreach(rows, i, row) {
		sbuf_add(p->b, "<h2>");
		sbuf_html(p->b, est_str(row, "name"));
		sbuf_add(p->b, "</h2><p class=\"meta\">");
		if (json_is_object(json_object_get(row, "settings"))) {
			est_time(p, est_str(row, "site"), json_integer_value(json_object_get(row, "updated")), when,
				 sizeof(when));
			sbuf_html(p->b, ET(p, "Saved"));
			sbuf_add(p->b, " ");
			sbuf_html(p->b, when);
			sbuf_add(p->b, " ");
			sbuf_html(p->b, est_str(row, "by") ?: "");
		} else {
			sbuf_html(p->b, ET(p, "Not set at the office: each cabinet keeps its own. The form shows suggestions."));
		}
		sbuf_add(p->b, "</p>");
		settings_form(p, row);
	}
	json_decref(rows);
	return 0;
}

/* ---- the cabinets ---- */

/* Into f, the member name of the first column of sql's row for key, else
 * the key itself. */
static void name_of(struct kc_db *db, const char *sql, const char *key, json_t *f, const char *name)
{
	sqlite3_stmt *st = key ? kc_db_q(db, sql, "s", key) : NULL;
	const char *v = NULL;

	if (st && kc_db_row(st) == 0)
		v = (const char *)sqlite3_column_text(st, 0);
	json_object_set_new(f, name, json_string(v && *v ? v : key ? key : ""));
	if (st)
		sqlite3_reset(st);
}

/* The names a change's words use: the unit as people name it (1栋103;
 * a key's unit for key.remove), the person's and the site's names, as
 * the office keeps them; a code where it has none. */
static void names(struct kc_db *db, const json_t *data, json_t *f)
{
	const char *unit = est_str(data, "unit");
	char held[KC_NAME_MAX + 1] = "";

	if (!unit && est_str(data, "key")) {
		sqlite3_stmt *st = kc_db_q(db, "SELECT unit FROM estate_keys WHERE key = ?", "s", est_str(data, "key"));

		if (st && kc_db_row(st) == 0) {
			kc_strlcpy(held, (const char *)sqlite3_column_text(st, 0) ?: "", sizeof(held));
			sqlite3_reset(st);
		}
		unit = held[0] ? held : est_str(data, "key");
	}
	name_of(db, kc_report_estate_unit_label_sql, unit, f, "unit_label");
	name_of(db, "SELECT name FROM estate_people WHERE person = ?", est_str(data, "person"), f, "person_name");
	name_of(db, "SELECT name FROM estate_sites WHERE site = ?", est_str(data, "site"), f, "site_name");
}

/* A change of the feed in words: the template of its type filled from
 * its data and names, roles, kinds and states as words. */
static char *change_words(struct est_page *p, const char *type, const json_t *data)
{
	static const struct {
		const char *type, *text;
	} texts[] = {
		{ "site.set", KC_N_("Site {name}") },
		{ "unit.set", KC_N_("Unit {unit_label}: {vacant}") },
		{ "key.set", KC_N_("The key of {unit_label}: {kind}, slot {slot}") },
		{ "key.remove", KC_N_("The key of {unit_label} removed") },
		{ "person.set", KC_N_("{role} {name}: {active}") },
		{ "person.enrol", KC_N_("Enrolment code for {person_name}") },
		{ "person.unlock", KC_N_("PIN lockout of {person_name} lifted") },
		{ "settings.set", KC_N_("Custody settings of site {site_name}") },
	};
	enum kc_lang lang = kc_web_lang(&p->pg);
	json_t *f = json_object();
	const char *k, *tmpl = NULL;
	const json_t *v;
	char err[80], *out = NULL;

	json_object_foreach((json_t *)data, k, v)
		if (json_is_string(v))
			json_object_set(f, k, (json_t *)v);
	json_object_set_new(f, "role", json_string(kc_word(lang, "role", est_str(data, "role") ?: "")));
	json_object_set_new(f, "kind", json_string(kc_word(lang, "kind", est_str(data, "kind") ?: "")));
	json_object_set_new(f, "vacant", json_string(json_is_true(json_object_get(data, "vacant")) ? ET(p, "vacant")
												  : ET(p, "occupied")));
	json_object_set_new(f, "active", json_string(json_is_false(json_object_get(data, "active")) ? ET(p, "deactivated")
												    : ET(p, "active")));
	names(p->x.db, data, f);
	for (size_t i = 0; i < KC_ARRAY_SIZE(texts); i++)
		if (strcmp(texts[i].type, type) == 0)
			tmpl = ET(p, texts[i].text);
	if (!tmpl || kc_template_render(tmpl, f, &out, err, sizeof(err)) < 0)
		out = strdup(type);
	json_decref(f);
	return out;
}

/* The data of each change of cabinet from change `from` on: {"N": data}. */
static json_t *change_data(struct kc_db *db, const char *cabinet, int64_t from)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT json_group_object(change, json(data)) FROM feed WHERE cabinet = ?"
				       " AND change >= ?", "sI", cabinet, from);
	json_t *j = NULL;

	if (st && kc_db_row(st) == 0) {
		j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		sqlite3_reset(st);
	}
	return j;
}

static const char *state_word(struct est_page *p, const char *state)
{
	if (strcmp(state, "applied") == 0)
		return ET(p, "applied");
	if (strcmp(state, "refused") == 0)
		return ET(p, "refused");
	return ET(p, "not yet applied");
}

static void change_row(struct est_page *p, const char *site, const json_t *c, const json_t *datas)
{
	const char *state = est_str(c, "state") ?: "pending";
	char num[24], when[40], reason[512];
	char *words;
	json_t *msg;

	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(c, "change")));
	sbuf_printf(p->b, "<tr data-change=\"%s\" data-state=\"%s\">", num, strcmp(state, "applied") == 0 ? "applied" :
				 strcmp(state, "refused") == 0 ? "refused" : "pending");
	est_td(p, "Change");
	words = change_words(p, est_str(c, "type") ?: "", json_object_get(datas, num));
	sbuf_html(p->b, words ? words : "");
	free(words);
	sbuf_printf(p->b, " <span class=\"meta\">#%s</span></td>", num);
	est_td(p, "Made");
	est_time(p, site, json_integer_value(json_object_get(c, "made_ms")), when, sizeof(when));
	sbuf_html(p->b, when);
	sbuf_add(p->b, " ");
	sbuf_html(p->b, est_str(c, "by") ?: "");
	sbuf_add(p->b, "</td>");
	est_td(p, "State");
	sbuf_printf(p->b, "<span class=\"%s\">", strcmp(state, "refused") == 0 ? "bad" : strcmp(state, "applied") == 0 ? "ok" : "meta");
	sbuf_html(p->b, state_word(p, state));
	sbuf_add(p->b, "</span></td>");
	est_td(p, "Applied at the cabinet");
	if (json_is_integer(json_object_get(c, "applied_ms"))) {
		est_time(p, site, json_integer_value(json_object_get(c, "applied_ms")), when, sizeof(when));
		sbuf_html(p->b, when);
	}
	if (strcmp(state, "refused") == 0) {
		msg = json_pack("{s:s, s:O}", "code", est_str(c, "code") ?: "", "params",
				json_object_get(c, "params") ?: json_object());
		if (!msg || kc_msg_render(msg, kc_web_lang(&p->pg), reason, sizeof(reason)) < 0)
			kc_strlcpy(reason, est_str(c, "code") ?: "", sizeof(reason));
		json_decref(msg);
		sbuf_add(p->b, " <span class=\"reason\">");
		sbuf_html(p->b, reason);
		sbuf_add(p->b, "</span>");
	}
	sbuf_add(p->b, "</td></tr>\n");
}

static int cabinet_block(struct est_page *p, const json_t *cab, const json_t *sites)
{
	static const char *const cols[] = { "Change", "Made", "State", "Applied at the cabinet", NULL };
	const char *id = est_str(cab, "cabinet");
	const char *site = json_string_value(json_array_get(json_object_get(cab, "sites"), 0));
	json_t *st = NULL, *datas;
	const json_t *c, *v;
	size_t i;
	int r = kc_feed_status(p->x.db, id, 0, 50, &st);

	if (r < 0)
		return -EIO;
	datas = change_data(p->x.db, id, json_integer_value(json_object_get(st, "last")) - 50);
	sbuf_add(p->b, "<section class=\"cabinet\" data-cabinet=\"");
	sbuf_html(p->b, id);
	sbuf_add(p->b, "\"><h2>");
	sbuf_html(p->b, id);
	sbuf_add(p->b, " <small class=\"meta\">");
	sbuf_html(p->b, strcmp(est_str(cab, "mode") ?: "", "managed") == 0 ? ET(p, "managed by the office")
									 : ET(p, "standalone: administered at the cabinet"));
	sbuf_add(p->b, "</small></h2><p>");
	sbuf_html(p->b, ET(p, "Sites"));
	sbuf_add(p->b, ": ");
	json_array_foreach(json_object_get(cab, "sites"), i, v) {
		sbuf_html(p->b, est_site_name(sites, json_string_value(v)));
		sbuf_add(p->b, " ");
	}
	sbuf_printf(p->b, "</p><p class=\"counts\">%s <b class=\"applied\">%lld</b> · %s <b class=\"pending\">%lld</b> · "
			  "%s <b class=\"refused\">%lld</b></p>",
		    ET(p, "applied"), (long long)json_integer_value(json_object_get(st, "applied")), ET(p, "not yet applied"),
		    (long long)json_integer_value(json_object_get(st, "pending")), ET(p, "refused"),
		    (long long)json_integer_value(json_object_get(st, "refused")));
	if (p->admin) {
		est_form(p, "cabinets", "cabinet", "row");
		est_hidden(p, "cabinet", id);
		kc_web_checkboxes(p->b, "site", sites, json_object_get(cab, "sites"));
		est_form_end(p, "Save sites");
	}
	if (json_array_size(json_object_get(st, "changes"))) {
		est_table(p, "changes", cols);
		json_array_foreach(json_object_get(st, "changes"), i, c)
			change_row(p, site, c, datas);
		sbuf_add(p->b, "</tbody></table>");
	}
	sbuf_add(p->b, "</section>\n");
	json_decref(datas);
	json_decref(st);
	return 0;
}

int web_estate_cabinets(struct est_page *p)
{
	json_t *cabs = kc_estate_cabinets(&p->x), *sites = est_site_choices(p);
	const json_t *c;
	size_t i;
	int r = cabs && sites ? 0 : -EIO;

	json_array_foreach(cabs, i, c)
		if (r == 0)
			r = cabinet_block(p, c, sites);
	json_decref(cabs);
	json_decref(sites);
	return r;
}
