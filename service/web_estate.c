/* The estate's pages (/estate/people, /sites, /keys, /settings,
 * /cabinets): server-made HTML in the reader's language, a form per
 * change posted back to its page with the session's form token, the
 * change made through kc_estate_apply and the page answered with what
 * was done (or why nothing was). A new person's enrolment code is shown
 * once, in the answer that made it, and never logged. */
#include "service/web_estate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "service/feed.h"
#include "service/words.h"
#include "service/zone.h"

/* Stacked forms on a phone; the sub-navigation. */
static const char estate_style[] =
	"<style>form.estate{margin:.3em 0}form.estate label{margin-right:.8em;white-space:nowrap}"
	"form.new{border:1px solid #bbb;padding:.5em;margin:1em 0;max-width:60em}"
	".subnav a{margin-right:1em}#enrol-code{font-size:28px;letter-spacing:.15em;font-weight:bold}"
	"@media screen and (max-width:700px){form.estate label{display:block;white-space:normal;margin:.3em 0}"
	"form.estate input:not([type=checkbox]),form.estate select,form.estate textarea{display:block;width:100%;"
	"box-sizing:border-box;"
	"font-size:16px}form.estate button{font-size:16px;padding:.4em 1em;margin:.3em 0}}</style>\n";

/* A form's field and how it becomes a member of the row. */
enum field_kind {
	F_TEXT,	 /* a string; empty: left out (unchanged) */
	F_EMPTY, /* a string, empty too */
	F_INT,	 /* a whole number */
	F_BOOL,	 /* "1" or "0" */
	F_LIST,	 /* every value of the name (checkboxes); none: left out */
	F_MIN,	 /* minutes, as seconds */
	F_HOURS, /* hours, as seconds */
	F_MINS,	 /* minutes separated by commas or spaces, as a list of seconds */
	F_LINES, /* one text a line, as a list */
};

struct field {
	const char *name, *member; /* member "a.b": b of the object a */
	enum field_kind kind;
};

#define FIELDS_MAX 12
/* A form of a page: its action, the rows it makes, the members it always
 * sets (JSON), its fields. */
struct action {
	const char *page, *action;
	enum kc_estate_what what;
	const char *fixed;
	struct field fields[FIELDS_MAX];
};

static const struct action actions[] = {
	{ "people", "person", KC_ESTATE_PERSON, NULL,
	  { { "person", "person", F_TEXT }, { "name", "name", F_TEXT }, { "role", "role", F_TEXT },
	    { "phone", "phone", F_TEXT }, { "department", "department", F_TEXT }, { "card", "card", F_TEXT },
	    { "site", "sites", F_LIST }, { "enrolled_by", "enrolled_by", F_TEXT } } },
	{ "people", "role", KC_ESTATE_PERSON, NULL, { { "person", "person", F_TEXT }, { "role", "role", F_TEXT } } },
	{ "people", "deactivate", KC_ESTATE_PERSON, "{\"active\": false}", { { "person", "person", F_TEXT } } },
	{ "people", "activate", KC_ESTATE_PERSON, "{\"active\": true}", { { "person", "person", F_TEXT } } },
	{ "people", "withdraw_card", KC_ESTATE_PERSON, "{\"card\": null}", { { "person", "person", F_TEXT } } },
	{ "people", "enrol", KC_ESTATE_PERSON_ENROL, NULL, { { "person", "person", F_TEXT } } },
	{ "people", "unlock", KC_ESTATE_PERSON_UNLOCK, NULL, { { "person", "person", F_TEXT } } },
	{ "sites", "site", KC_ESTATE_SITE, NULL,
	  { { "site", "site", F_TEXT }, { "name", "name", F_TEXT }, { "age", "age", F_TEXT },
	    { "time_zone", "time_zone", F_EMPTY } } },
	{ "sites", "unit", KC_ESTATE_UNIT, NULL,
	  { { "unit", "unit", F_TEXT }, { "site", "site", F_TEXT }, { "building", "building", F_TEXT },
	    { "room", "room", F_TEXT }, { "vacant", "vacant", F_BOOL } } },
	{ "keys", "key", KC_ESTATE_KEY, NULL,
	  { { "key", "key", F_TEXT }, { "unit", "unit", F_TEXT }, { "kind", "kind", F_TEXT },
	    { "cabinet", "cabinet", F_TEXT }, { "slot", "slot", F_TEXT }, { "tag", "tag", F_INT } } },
	{ "keys", "remove", KC_ESTATE_KEY_REMOVE, NULL, { { "key", "key", F_TEXT } } },
	{ "settings", "settings", KC_ESTATE_SETTINGS, NULL,
	  { { "site", "site", F_TEXT },
	    { "borrow", "max_loan.borrow", F_MIN },
	    { "inspection", "max_loan.inspection", F_MIN },
	    { "repair", "max_loan.repair", F_MIN },
	    { "emergency", "max_loan.emergency", F_MIN },
	    { "presets", "due_presets", F_MINS },
	    { "lead", "notice_lead_s", F_HOURS },
	    { "reminder", "notice_reminder_s", F_HOURS },
	    { "problem", "phrases.problem", F_LINES },
	    { "alarm", "phrases.alarm", F_LINES },
	    { "repair_phrases", "phrases.repair", F_LINES } } },
	{ "cabinets", "cabinet", KC_ESTATE_CABINET, "{\"sites\": []}",
	  { { "cabinet", "cabinet", F_TEXT }, { "site", "sites", F_LIST } } },
};

/* The pages: path, title, body. */
static const struct {
	const char *path, *title;
	int (*body)(struct est_page *p);
} pages[] = {
	{ "people", KC_N_("People"), web_estate_people },
	{ "sites", KC_N_("Sites and units"), web_estate_sites },
	{ "keys", KC_N_("Keys"), web_estate_keys },
	{ "settings", KC_N_("Custody settings"), web_estate_settings },
	{ "cabinets", KC_N_("Cabinets and their changes"), web_estate_cabinets },
};

/* ---- what the pages share ---- */

void est_hidden(struct est_page *p, const char *name, const char *value)
{
	sbuf_printf(p->b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(p->b, value ? value : "");
	sbuf_add(p->b, "\">");
}

void est_form(struct est_page *p, const char *path, const char *action, const char *cls)
{
	sbuf_printf(p->b, "<form method=\"post\" action=\"/estate/%s\" class=\"estate %s\">", path, cls ? cls : "");
	kc_web_csrf_field(p->b, &p->pg);
	est_hidden(p, "action", action);
}

void est_form_end(struct est_page *p, const char *button)
{
	sbuf_add(p->b, "<button type=\"submit\">");
	sbuf_html(p->b, ET(p, button));
	sbuf_add(p->b, "</button></form>");
}

void est_input(struct est_page *p, const char *label, const char *name, const char *value, const char *type)
{
	sbuf_add(p->b, "<label>");
	sbuf_html(p->b, ET(p, label));
	sbuf_printf(p->b, " <%s name=\"%s\"", strcmp(type, "textarea") == 0 ? "textarea rows=\"3\"" : "input", name);
	if (strcmp(type, "textarea") == 0) {
		sbuf_add(p->b, ">");
		sbuf_html(p->b, value ? value : "");
		sbuf_add(p->b, "</textarea></label> ");
		return;
	}
	sbuf_printf(p->b, " type=\"%s\" autocomplete=\"off\"", type);
	if (value) {
		sbuf_add(p->b, " value=\"");
		sbuf_html(p->b, value);
		sbuf_add(p->b, "\"");
	}
	sbuf_add(p->b, "></label> ");
}

void est_select(struct est_page *p, const char *label, const char *name, const json_t *choices, const char *cur,
		bool blank)
{
	const json_t *c;
	size_t i;

	sbuf_add(p->b, "<label>");
	sbuf_html(p->b, ET(p, label));
	sbuf_printf(p->b, " <select name=\"%s\">", name);
	if (blank)
		sbuf_add(p->b, "<option value=\"\"></option>");
	json_array_foreach(choices, i, c) {
		const char *v = json_string_value(json_array_get(c, 0));

		sbuf_add(p->b, "<option value=\"");
		sbuf_html(p->b, v);
		sbuf_printf(p->b, "\"%s>", cur && strcmp(cur, v) == 0 ? " selected" : "");
		sbuf_html(p->b, json_string_value(json_array_get(c, 1)));
		sbuf_add(p->b, "</option>");
	}
	sbuf_add(p->b, "</select></label> ");
}

json_t *est_word_choices(struct est_page *p, const char *ctx, const char *const *codes, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < n; i++)
		json_array_append_new(out, json_pack("[s, s]", codes[i], kc_word(kc_web_lang(&p->pg), ctx, codes[i])));
	return out;
}

json_t *est_site_choices(struct est_page *p)
{
	json_t *sites = kc_estate_sites(&p->x), *out = json_array(), *s;
	size_t i;

	if (!sites || !out) {
		json_decref(sites);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(sites, i, s)
		json_array_append_new(out, json_pack("[s, s]", est_str(s, "site"), est_str(s, "name")));
	json_decref(sites);
	return out;
}

const char *est_site_name(const json_t *choices, const char *site)
{
	const json_t *c;
	size_t i;

	json_array_foreach(choices, i, c)
		if (site && strcmp(json_string_value(json_array_get(c, 0)), site) == 0)
			return json_string_value(json_array_get(c, 1));
	return site ? site : "";
}

void est_time(struct est_page *p, const char *site, int64_t wall_ms, char *out, size_t len)
{
	sqlite3_stmt *st = site ? kc_db_q(p->x.db, "SELECT time_zone FROM estate_sites WHERE site = ?", "s", site) : NULL;
	const struct kc_zone *z = NULL;

	if (st && kc_db_row(st) == 0) {
		z = kc_zone_get((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	kc_zone_format(z ? z : kc_zone_default(), wall_ms, KC_DAY_LAST, out, len);
}

void est_table(struct est_page *p, const char *cls, const char *const *cols)
{
	sbuf_printf(p->b, "<table class=\"report %s\"><thead><tr>", cls);
	for (; *cols; cols++) {
		sbuf_add(p->b, "<th>");
		sbuf_html(p->b, ET(p, *cols));
		sbuf_add(p->b, "</th>");
	}
	sbuf_add(p->b, "</tr></thead><tbody>\n");
}

void est_tr(struct est_page *p, const char *what, const char *code)
{
	sbuf_printf(p->b, "<tr data-%s=\"", what);
	sbuf_html(p->b, code);
	sbuf_add(p->b, "\">");
}

void est_td(struct est_page *p, const char *label)
{
	sbuf_add(p->b, "<td data-label=\"");
	sbuf_html(p->b, ET(p, label));
	sbuf_add(p->b, "\">");
}

/* ---- a form posted: its row ---- */

/* member (maybe "a.b") of row set to v (consumed). */
static void member_set(json_t *row, const char *member, json_t *v)
{
	const char *dot = strchr(member, '.');
	char outer[32];
	json_t *o;

	if (!v)
		return;
	if (!dot) {
		json_object_set_new(row, member, v);
		return;
	}
	kc_strlcpy(outer, member, (size_t)(dot - member + 1) < sizeof(outer) ? (size_t)(dot - member + 1) : sizeof(outer));
	o = json_object_get(row, outer);
	if (!o) {
		o = json_object();
		json_object_set_new(row, outer, o);
	}
	json_object_set_new(o, dot + 1, v);
}

/* A number typed, times unit: a JSON integer, or the text as it is (the
 * check then says what is wrong). */
static json_t *number(const char *s, long long unit)
{
	long long n;

	if (kc_parse_long(s, 0, 1000000000LL, &n) < 0)
		return json_string(s);
	return json_integer(n * unit);
}

/* Each piece of s between the characters of sep, through fn. */
static json_t *pieces(const char *s, const char *sep, json_t *(*fn)(const char *piece))
{
	json_t *out = json_array();
	char *copy = strdup(s), *save = NULL;

	for (char *t = copy ? strtok_r(copy, sep, &save) : NULL; t && out; t = strtok_r(NULL, sep, &save)) {
		while (*t == ' ')
			t++;
		if (*t)
			json_array_append_new(out, fn(t));
	}
	free(copy);
	return out;
}

static json_t *minutes(const char *s)
{
	return number(s, 60);
}

static json_t *line(const char *s)
{
	size_t n = strlen(s);
	json_t *j;
	char *t = strndup(s, n);

	while (t && n > 0 && (t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	j = json_string(t ? t : "");
	free(t);
	return j;
}

static json_t *form_row(const struct req *rq, const struct action *a)
{
	json_t *row = a->fixed ? json_loads(a->fixed, 0, NULL) : json_object();
	const char *body = rq->body ? rq->body : "";
	char v[4096];

	for (size_t i = 0; row && i < FIELDS_MAX && a->fields[i].name; i++) {
		const struct field *f = &a->fields[i];
		int r;

		if (f->kind == F_LIST) {
			json_t *list = http_request_form_all(body, rq->len, f->name, 64);

			/* none ticked: as the fixed members say, else unchanged */
			if (json_array_size(list))
				member_set(row, f->member, list);
			else
				json_decref(list);
			continue;
		}
		r = http_request_form(body, rq->len, f->name, v, sizeof(v));
		if (r == -ENOSPC)
			member_set(row, f->member, json_string("?"));
		if (r < 0 || (!v[0] && f->kind != F_EMPTY))
			continue;
		switch (f->kind) {
		case F_INT:
			member_set(row, f->member, number(v, 1));
			break;
		case F_BOOL:
			member_set(row, f->member, json_boolean(strcmp(v, "1") == 0));
			break;
		case F_MIN:
			member_set(row, f->member, number(v, 60));
			break;
		case F_HOURS:
			member_set(row, f->member, number(v, 3600));
			break;
		case F_MINS:
			member_set(row, f->member, pieces(v, ", ", minutes));
			break;
		case F_LINES:
			member_set(row, f->member, pieces(v, "\n", line));
			break;
		default:
			member_set(row, f->member, json_string(v));
		}
	}
	/* a phrases list left empty is an empty list */
	if (row && a->what == KC_ESTATE_SETTINGS)
		for (size_t i = 0; i < FIELDS_MAX && a->fields[i].name; i++)
			if (a->fields[i].kind == F_LINES && strncmp(a->fields[i].member, "phrases.", 8) == 0 &&
			    !json_object_get(json_object_get(row, "phrases"), a->fields[i].member + 8))
				member_set(row, a->fields[i].member, json_array());
	return row;
}

/* ---- the answer ---- */

/* What was done: status, the sentence in the page's language, a code to show once. */
struct outcome {
	unsigned status;
	char text[600];
	char code[16], person[EST_CODE_MAX + 1], until[32];
};

static void act(struct est_page *p, const struct action *a, struct outcome *o)
{
	json_t *row = form_row(p->k->rq, a), *rows = row ? json_pack("[o]", row) : NULL, *out = NULL, *msg = NULL;
	json_int_t changes = 0;
	const json_t *v;
	size_t bad, i;
	int r = rows ? kc_estate_apply(&p->x, a->what, rows, &out, &msg, &bad) : -ENOMEM;

	o->status = kc_estate_status(r);
	if (r < 0) {
		kc_notice("estate %s by %s refused: %s", a->action, p->x.user,
			  json_string_value(json_object_get(msg, "code")) ?: "?");
		if (!msg || kc_msg_render(msg, kc_web_lang(&p->pg), o->text, sizeof(o->text)) < 0)
			kc_strlcpy(o->text, ET(p, "Database error: nothing was changed."), sizeof(o->text));
	} else {
		json_array_foreach(out, i, v) {
			changes += json_integer_value(json_object_get(v, "changes"));
			if (est_str(v, "enrol_code")) {
				kc_strlcpy(o->code, est_str(v, "enrol_code"), sizeof(o->code));
				kc_strlcpy(o->person, est_str(json_array_get(rows, i), "person") ?: "", sizeof(o->person));
			}
		}
		kc_notice("estate %s: saved by %s, %lld changes to the cabinets", a->action, p->x.user, (long long)changes);
		json_decref(msg);
		msg = kc_msg_new(KCM_office_estate_saved, "{s:I}", "changes", changes);
		kc_msg_render(msg, kc_web_lang(&p->pg), o->text, sizeof(o->text));
		if (o->code[0]) {
			int64_t ms = 0;

			kc_time_parse(est_str(json_array_get(out, 0), "until"), &ms);
			est_time(p, NULL, ms, o->until, sizeof(o->until));
		}
	}
	json_decref(msg);
	json_decref(out);
	json_decref(rows);
}

static void sub_nav(struct est_page *p)
{
	sbuf_add(p->b, "<p class=\"subnav\">");
	for (size_t i = 0; i < KC_ARRAY_SIZE(pages); i++) {
		sbuf_printf(p->b, "<a href=\"/estate/%s\">", pages[i].path);
		sbuf_html(p->b, ET(p, pages[i].title));
		sbuf_add(p->b, "</a>");
	}
	sbuf_add(p->b, "</p>\n");
}

static enum MHD_Result answer(struct call *k, size_t page, const struct action *a)
{
	struct sbuf b = { 0 };
	struct est_page p = { .k = k, .b = &b };
	struct outcome o = { 200, "", "", "", "" };
	char *html;
	int r;

	p.pg = http_web_page(k, p.csrf);
	p.x = http_estate_ctx(k);
	p.admin = k->rq->role == KC_ROLE_ADMIN;
	if (a)
		act(&p, a, &o);
	kc_web_head(&b, ET(&p, pages[page].title), &p.pg);
	sbuf_add(&b, estate_style);
	sub_nav(&p);
	if (o.text[0]) {
		sbuf_printf(&b, "<p class=\"%s\" id=\"message\">", o.status == 200 ? "ok" : "bad");
		sbuf_html(&b, o.text);
		sbuf_add(&b, "</p>\n");
	}
	if (o.code[0]) {
		sbuf_add(&b, "<div id=\"enrol\"><p>");
		sbuf_html(&b, ET(&p, "One-time enrolment code of"));
		sbuf_add(&b, " <b id=\"enrol-person\">");
		sbuf_html(&b, o.person);
		sbuf_printf(&b, "</b>:</p><p id=\"enrol-code\">%s</p><p class=\"meta\">", o.code);
		sbuf_html(&b, ET(&p, "Valid until"));
		sbuf_add(&b, " ");
		sbuf_html(&b, o.until);
		sbuf_add(&b, ". ");
		sbuf_html(&b, ET(&p, "Give it to the person only: they type it with a new PIN at the cabinet. It is shown this once."));
		sbuf_add(&b, "</p></div>\n");
	}
	r = pages[page].body(&p);
	kc_web_tail(&b);
	html = sbuf_take(&b);
	memset(o.code, 0, sizeof(o.code));
	if (r < 0) {
		free(html);
		kc_err("estate page %s: database error: %s", pages[page].path, sqlite3_errmsg(k->db->h));
		return http_reply_html(k->c, 500, kc_web_message(&p.pg, ET(&p, "Error"), ET(&p, "Database error.")), NULL);
	}
	return http_reply_html(k->c, o.status, html, NULL);
}

enum MHD_Result http_web_estate(struct call *k)
{
	char action[32] = "";
	bool post = strcmp(k->method, "POST") == 0;

	for (size_t i = 0; i < KC_ARRAY_SIZE(pages); i++) {
		if (strcmp(k->rest, pages[i].path) != 0)
			continue;
		if (!post)
			return answer(k, i, NULL);
		if (!http_request_csrf_ok(k->rq)) {
			char csrf[65];
			struct kc_web_page pg = http_web_page(k, csrf);

			return http_reply_html(k->c, 403,
					       kc_web_message(&pg, kc_web_t(&pg, "Error"),
							      kc_web_t(&pg, "The form has expired; open the page again.")),
					       NULL);
		}
		http_request_form(k->rq->body ? k->rq->body : "", k->rq->len, "action", action, sizeof(action));
		for (size_t j = 0; j < KC_ARRAY_SIZE(actions); j++)
			if (strcmp(actions[j].page, pages[i].path) == 0 && strcmp(actions[j].action, action) == 0)
				return answer(k, i, &actions[j]);
		return http_reply_html(k->c, 400, kc_web_message(NULL, "400", kc_web_t(NULL, "No such action.")), NULL);
	}
	return http_reply_html(k->c, 404, kc_web_message(NULL, "404", kc_web_t(NULL, "There is no such page")), NULL);
}

/* ---- the people ---- */

static const char *const roles[] = { "staff", "engineer", "manager", "supervisor" };

/* For a deactivated person: per cabinet, when it took the deactivation. */
static int took_it(struct est_page *p, const char *person)
{
	sqlite3_stmt *st = kc_db_q(p->x.db,
				   "SELECT f.cabinet, f.state, f.applied_ms, (SELECT site FROM cabinet_sites c WHERE"
				   " c.cabinet = f.cabinet ORDER BY site LIMIT 1) FROM feed f WHERE f.id IN (SELECT max(id)"
				   " FROM feed WHERE type = 'person.set' AND json_extract(data, '$.person') = ?"
				   " GROUP BY cabinet) AND json_extract(f.data, '$.active') = 0 ORDER BY f.cabinet",
				   "s", person);
	char when[40];
	int rc;

	if (!st)
		return -EIO;
	sbuf_add(p->b, "<ul class=\"took\">");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 1);

		sbuf_add(p->b, "<li>");
		sbuf_html(p->b, (const char *)sqlite3_column_text(st, 0));
		sbuf_add(p->b, ": ");
		if (strcmp(state, "applied") == 0) {
			est_time(p, (const char *)sqlite3_column_text(st, 3), sqlite3_column_int64(st, 2), when, sizeof(when));
			sbuf_html(p->b, ET(p, "stopped at"));
			sbuf_add(p->b, " ");
			sbuf_html(p->b, when);
		} else {
			sbuf_html(p->b, strcmp(state, "refused") == 0 ? ET(p, "refused (see the cabinet's changes)")
								      : ET(p, "not yet taken"));
		}
		sbuf_add(p->b, "</li>");
	}
	sqlite3_reset(st);
	sbuf_add(p->b, "</ul>");
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* One form of a row: a button acting on person. */
static void person_button(struct est_page *p, const char *action, const char *person, const char *button)
{
	est_form(p, "people", action, "row");
	est_hidden(p, "person", person);
	est_form_end(p, button);
}

static int person_row(struct est_page *p, const json_t *e, const json_t *sites, const json_t *role_choices)
{
	const char *person = est_str(e, "person");
	bool active = json_is_true(json_object_get(e, "active"));
	const json_t *v;
	size_t i;
	int r = 0;

	est_tr(p, "person", person);
	est_td(p, "Full name");
	sbuf_html(p->b, est_str(e, "name"));
	sbuf_add(p->b, " <span class=\"meta\">");
	sbuf_html(p->b, person);
	sbuf_add(p->b, "</span></td>");
	est_td(p, "Role");
	if (p->admin) {
		est_form(p, "people", "role", "row");
		est_hidden(p, "person", person);
		est_select(p, "Role", "role", role_choices, est_str(e, "role"), false);
		est_form_end(p, "Change role");
	} else {
		sbuf_html(p->b, kc_word(kc_web_lang(&p->pg), "role", est_str(e, "role")));
	}
	sbuf_add(p->b, "</td>");
	est_td(p, "Phone");
	sbuf_html(p->b, est_str(e, "phone_masked") ?: "");
	sbuf_add(p->b, "</td>");
	est_td(p, "Department");
	sbuf_html(p->b, est_str(e, "department") ?: "");
	sbuf_add(p->b, "</td>");
	est_td(p, "Card");
	sbuf_html(p->b, est_str(e, "card_masked") ?: ET(p, "none"));
	sbuf_add(p->b, "</td>");
	est_td(p, "Sites");
	json_array_foreach(json_object_get(e, "sites"), i, v) {
		sbuf_html(p->b, est_site_name(sites, json_string_value(v)));
		sbuf_add(p->b, " ");
	}
	sbuf_add(p->b, "</td>");
	est_td(p, "State");
	sbuf_printf(p->b, "<span class=\"%s state\">%s</span>", active ? "ok" : "bad",
		    active ? ET(p, "Active") : ET(p, "Deactivated"));
	if (!active)
		r = took_it(p, person);
	sbuf_add(p->b, "</td>");
	est_td(p, "Actions");
	if (p->admin) {
		person_button(p, active ? "deactivate" : "activate", person, active ? "Deactivate" : "Activate");
		if (active)
			person_button(p, "enrol", person, "New enrolment code");
		person_button(p, "unlock", person, "Unlock PIN");
		if (est_str(e, "card_masked"))
			person_button(p, "withdraw_card", person, "Withdraw card");
	}
	sbuf_add(p->b, "</td></tr>\n");
	return r;
}

int web_estate_people(struct est_page *p)
{
	static const char *const cols[] = { "Full name", "Role", "Phone", "Department", "Card", "Sites", "State", "Actions", NULL };
	json_t *people = kc_estate_people(&p->x), *sites = est_site_choices(p);
	json_t *role_choices = est_word_choices(p, "role", roles, KC_ARRAY_SIZE(roles));
	const json_t *e;
	size_t i;
	int r = people && sites && role_choices ? 0 : -EIO;

	if (r == 0) {
		est_table(p, "people", cols);
		json_array_foreach(people, i, e)
			if (r == 0)
				r = person_row(p, e, sites, role_choices);
		sbuf_add(p->b, "</tbody></table>\n");
	}
	if (r == 0 && p->admin) {
		sbuf_printf(p->b, "<h2>%s</h2><p class=\"meta\">%s</p>", ET(p, "New person, or change one"),
			    ET(p, "A field left empty keeps what the person has. A new person gets a one-time enrolment code."));
		est_form(p, "people", "person", "new");
		est_input(p, "Code", "person", NULL, "text");
		est_input(p, "Full name", "name", NULL, "text");
		est_select(p, "Role", "role", role_choices, NULL, true);
		est_input(p, "Phone", "phone", NULL, "tel");
		est_input(p, "Department", "department", NULL, "text");
		est_input(p, "Card number", "card", NULL, "text");
		est_input(p, "Enrolled by (code)", "enrolled_by", NULL, "text");
		sbuf_printf(p->b, "<p>%s ", ET(p, "Sites"));
		kc_web_checkboxes(p->b, "site", sites, NULL);
		sbuf_add(p->b, "</p>");
		est_form_end(p, "Save person");
	}
	json_decref(people);
	json_decref(sites);
	json_decref(role_choices);
	return r;
}
