/* Importing people, units or keys from a spreadsheet (import_preview.h):
 * the page /estate/import (a file input; the preview with every row to
 * add or change and every rejected row with its line and why; a button
 * that confirms it), and the API POST /api/v1/estate/import?table=...
 * with the file as the body (preview=1: the preview; token=...: the
 * apply). Phone and card numbers are shown masked; a new person's
 * enrolment code is shown once, on the page that applied the import. */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "service/import_preview.h"
#include "service/import_sheet.h"
#include "service/import_sheet_upload.h"
#include "service/sbuf.h"

/* The media types the API takes a file in: a page of another site
 * cannot send them without a CORS preflight. */
bool http_import_media_ok(struct MHD_Connection *c)
{
	static const char *const types[] = { "text/csv",
					     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" };
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	for (size_t i = 0; ct && i < KC_ARRAY_SIZE(types); i++) {
		size_t n = strlen(types[i]);

		if (strncasecmp(ct, types[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return true;
	}
	return false;
}

/* A message ({"code", "params"}) with its sentence in both languages. */
static json_t *rendered(const json_t *msg)
{
	char en[1024] = "", zh[1024] = "";

	kc_msg_render(msg, KC_LANG_EN, en, sizeof(en));
	kc_msg_render(msg, KC_LANG_ZH, zh, sizeof(zh));
	return json_pack("{s:O, s:O, s:s, s:s}", "code", json_object_get(msg, "code") ?: json_null(), "params",
			 json_object_get(msg, "params") ?: json_null(), "message", en, "message_zh", zh);
}

/* Each rejected row's reasons rendered in both languages. */
static void render_rejected(json_t *preview)
{
	size_t i, j;
	json_t *row, *why;

	json_array_foreach(json_object_get(preview, "rejected"), i, row) {
		json_t *out = json_array();

		json_array_foreach(json_object_get(row, "why"), j, why)
			json_array_append_new(out, rendered(why));
		json_object_set_new(row, "why", out);
	}
}

static unsigned import_status(int r)
{
	switch (r) {
	case -EINVAL:
		return 400;
	case -E2BIG:
		return 413;
	case -EACCES:
		return 403;
	case -ENOENT:
	case -ESTALE:
		return 409;
	case -ENOMEM:
	case -EIO:
	default:
		return 500;
	}
}

static const char *import_error(int r)
{
	switch (r) {
	case -EINVAL:
		return "bad_file";
	case -E2BIG:
		return "too_large";
	case -EACCES:
		return "forbidden";
	case -ENOENT:
		return "preview_expired";
	case -ESTALE:
		return "preview_stale";
	default:
		return "internal";
	}
}

/* The log line of an import refused or applied (never a cell of it). */
static void log_outcome(enum kc_import_table t, const char *user, const json_t *why, const json_t *out)
{
	if (why || !out)
		kc_notice("estate import of %s by %s refused: %s", kc_import_table_name(t), user,
			  json_string_value(json_object_get(why, "code")) ?: "out of memory");
	else
		kc_notice("estate import of %s by %s: %lld rows applied", kc_import_table_name(t), user,
			  (long long)json_integer_value(json_object_get(out, "applied")));
}

static enum MHD_Result api_refused(struct call *k, int r, const json_t *why)
{
	json_t *m = why ? rendered(why) : NULL;
	json_t *body = json_pack("{s:b, s:s, s:O, s:O, s:s, s:s}", "ok", 0, "error", import_error(r), "code",
				 m ? json_object_get(m, "code") : json_null(), "params",
				 m ? json_object_get(m, "params") : json_null(), "message",
				 m ? json_string_value(json_object_get(m, "message")) : "out of memory", "message_zh",
				 m ? json_string_value(json_object_get(m, "message_zh")) : "");

	json_decref(m);
	return http_reply_json(k->c, import_status(r), body);
}

/* POST /api/v1/estate/import?table=people|units|keys&preview=1, or
 * &token=T to apply the preview T; the body is the file. */
enum MHD_Result http_api_estate_import(struct call *k)
{
	struct kc_estate_ctx x = http_estate_ctx(k);
	const char *table = http_request_arg(k->c, "table"), *preview = http_request_arg(k->c, "preview");
	const char *token = http_request_arg(k->c, "token");
	enum kc_import_table t;
	json_t *out = NULL, *why = NULL;
	enum MHD_Result ret;
	int r;

	if (strcmp(k->method, "POST") != 0)
		return http_reply_error(k->c, 405, "method", "use POST");
	if (kc_import_table_parse(table, &t) < 0) {
		why = kc_msg_new(KCM_estimport_table_bad, NULL);
		ret = api_refused(k, -EINVAL, why);
		json_decref(why);
		return ret;
	}
	if (preview && strcmp(preview, "1") == 0)
		r = kc_import_preview(&x, t, k->rq->body ? k->rq->body : "", k->rq->len, &out, &why);
	else
		r = kc_import_apply(&x, t, token, k->rq->body ? k->rq->body : "", k->rq->len, &out, &why);
	if (r < 0) {
		log_outcome(t, x.user, why, NULL);
		ret = api_refused(k, r, why);
		json_decref(why);
		return ret;
	}
	if (json_object_get(out, "token"))
		render_rejected(out);
	else
		log_outcome(t, x.user, NULL, out);
	json_object_set_new(out, "ok", json_true());
	return http_reply_json(k->c, 200, out);
}

/* ---- the page ---- */

static void hidden(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(b, value);
	sbuf_add(b, "\">");
}

/* A table's name as the page shows it. */
static const char *table_title(const struct kc_web_page *pg, enum kc_import_table t)
{
	static const char *const titles[] = { KC_N_("Import people"), KC_N_("Import units"), KC_N_("Import keys") };

	return kc_web_t(pg, titles[t]);
}

/* The columns of a table as the page lists them, by field. */
static const struct {
	const char *field, *title;
} field_titles[] = {
	{ "person", KC_N_("Person code") }, { "name", KC_N_("Person name") }, { "role", KC_N_("Person role") },
	{ "phone", KC_N_("Mobile phone") }, { "department", KC_N_("Person department") },
	{ "active", KC_N_("In service") },  { "sites", KC_N_("Person sites") },  { "card", KC_N_("Card number") },
	{ "unit", KC_N_("Unit code") },	    { "site", KC_N_("Site code") },	  { "building", KC_N_("Building") },
	{ "room", KC_N_("Room") },	    { "vacant", KC_N_("Vacant unit") },	  { "key", KC_N_("Key code") },
	{ "kind", KC_N_("Key kind") },	    { "cabinet", KC_N_("Cabinet") },	  { "slot", KC_N_("Slot") },
	{ "tag", KC_N_("Key tag") },
};

static const char *field_title(const struct kc_web_page *pg, const char *field)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(field_titles); i++)
		if (strcmp(field_titles[i].field, field) == 0)
			return kc_web_t(pg, field_titles[i].title);
	return field;
}

/* The upload form, for the tables role may import. */
static void upload_form(struct sbuf *b, const struct kc_web_page *pg, enum kc_role role, enum kc_import_table cur)
{
	sbuf_add(b, "<form method=\"post\" action=\"/estate/import\" enctype=\"multipart/form-data\" id=\"upload\">");
	hidden(b, "csrf", pg->csrf);
	sbuf_printf(b, "<p><label>%s <select name=\"table\" id=\"table\">", kc_web_t(pg, "The file holds"));
	for (int t = KC_IMPORT_PEOPLE; t <= KC_IMPORT_KEYS; t++) {
		if (!kc_import_table_allowed((enum kc_import_table)t, role))
			continue;
		sbuf_printf(b, "<option value=\"%s\"%s>%s</option>", kc_import_table_name((enum kc_import_table)t),
			    t == (int)cur ? " selected" : "", table_title(pg, (enum kc_import_table)t));
	}
	sbuf_printf(b, "</select></label></p><p><label>%s <input type=\"file\" name=\"file\" id=\"file\""
		       " accept=\".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\""
		       " required></label></p><p><button type=\"submit\" id=\"preview\">%s</button></p></form>\n",
		    kc_web_t(pg, "Spreadsheet (CSV or XLSX)"), kc_web_t(pg, "Preview the import"));
	sbuf_printf(b, "<p class=\"meta\">%s</p>\n",
		    kc_web_t(pg, "The first row names the columns, in Chinese or English. CSV is read as UTF-8; "
				 "XLSX from its first sheet. At most 10,000 rows and 2 MB. Nothing changes until you confirm "
				 "the preview."));
}

static void message_line(struct sbuf *b, const struct kc_web_page *pg, const json_t *msg, bool bad)
{
	char text[1024] = "";

	kc_msg_render(msg, kc_web_lang(pg), text, sizeof(text));
	sbuf_printf(b, "<p class=\"%s\" id=\"message\">", bad ? "bad" : "ok");
	sbuf_html(b, text);
	sbuf_add(b, "</p>\n");
}

/* A field's value as the page shows it: words in the page's language. */
static void field_value(struct sbuf *b, const struct kc_web_page *pg, const char *field, const json_t *v)
{
	enum kc_lang lang = kc_web_lang(pg);

	if (json_is_boolean(v)) {
		sbuf_html(b, kc_msg_word(lang, "bool", json_is_true(v) ? "yes" : "no"));
	} else if (json_is_integer(v)) {
		sbuf_printf(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			sbuf_add(b, i ? ", " : "");
			sbuf_html(b, json_string_value(e) ?: "");
		}
	} else if (strcmp(field, "role") == 0 || strcmp(field, "kind") == 0) {
		sbuf_html(b, kc_msg_word(lang, field, json_string_value(v) ?: ""));
	} else {
		sbuf_html(b, json_string_value(v) ?: "");
	}
}

/* The rows accepted, with the action of each and their fields. */
static void accepted_table(struct sbuf *b, const struct kc_web_page *pg, const json_t *preview)
{
	const json_t *cols = json_object_get(preview, "columns"), *row, *c;
	size_t i, j;

	sbuf_printf(b, "<table class=\"report\" id=\"accepted\"><thead><tr><th>%s</th><th>%s</th>",
		    kc_web_t(pg, "Line"), kc_web_t(pg, "Import action"));
	json_array_foreach(cols, j, c)
		sbuf_printf(b, "<th>%s</th>", field_title(pg, json_string_value(json_object_get(c, "field"))));
	sbuf_add(b, "</tr></thead><tbody>\n");
	json_array_foreach(json_object_get(preview, "accepted"), i, row) {
		const char *act = json_string_value(json_object_get(row, "action"));

		sbuf_printf(b, "<tr data-line=\"%lld\" data-action=\"%s\"><td data-label=\"%s\">%lld</td>",
			    (long long)json_integer_value(json_object_get(row, "line")), act, kc_web_t(pg, "Line"),
			    (long long)json_integer_value(json_object_get(row, "line")));
		sbuf_printf(b, "<td data-label=\"%s\">%s</td>", kc_web_t(pg, "Import action"),
			    strcmp(act, "add") == 0	 ? kc_web_t(pg, "to add")
			    : strcmp(act, "change") == 0 ? kc_web_t(pg, "to change")
							 : kc_web_t(pg, "unchanged"));
		json_array_foreach(cols, j, c) {
			const char *f = json_string_value(json_object_get(c, "field"));
			const json_t *v = json_object_get(json_object_get(row, "fields"), f);

			sbuf_printf(b, "<td data-label=\"%s\">", field_title(pg, f));
			if (v)
				field_value(b, pg, f, v);
			sbuf_add(b, "</td>");
		}
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

/* Every rejected row: its line, its code and each reason. */
static void rejected_table(struct sbuf *b, const struct kc_web_page *pg, const json_t *preview)
{
	const json_t *row, *why;
	size_t i, j;
	char text[1024];

	sbuf_printf(b, "<table class=\"report\" id=\"rejected\"><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr>"
		       "</thead><tbody>\n",
		    kc_web_t(pg, "Line"), kc_web_t(pg, "Row code"), kc_web_t(pg, "Why it is rejected"));
	json_array_foreach(json_object_get(preview, "rejected"), i, row) {
		sbuf_printf(b, "<tr data-line=\"%lld\"><td data-label=\"%s\">%lld</td><td data-label=\"%s\">",
			    (long long)json_integer_value(json_object_get(row, "line")), kc_web_t(pg, "Line"),
			    (long long)json_integer_value(json_object_get(row, "line")), kc_web_t(pg, "Row code"));
		sbuf_html(b, json_string_value(json_object_get(row, "code")) ?: "");
		sbuf_printf(b, "</td><td data-label=\"%s\" class=\"bad\">", kc_web_t(pg, "Why it is rejected"));
		json_array_foreach(json_object_get(row, "why"), j, why) {
			text[0] = '\0';
			kc_msg_render(why, kc_web_lang(pg), text, sizeof(text));
			sbuf_add(b, j ? "<br>" : "");
			sbuf_html(b, text);
		}
		sbuf_add(b, "</td></tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

static size_t count_action(const json_t *preview, const char *act)
{
	const json_t *row;
	size_t i, n = 0;

	json_array_foreach(json_object_get(preview, "accepted"), i, row)
		n += strcmp(json_string_value(json_object_get(row, "action")), act) == 0;
	return n;
}

/* The preview: the counts, the rows, the confirmation. */
static char *preview_page(const struct kc_web_page *pg, enum kc_role role, enum kc_import_table t,
			  const json_t *preview)
{
	struct sbuf b = { 0 };
	size_t add = count_action(preview, "add"), change = count_action(preview, "change");
	size_t same = count_action(preview, "same"), rejected = json_array_size(json_object_get(preview, "rejected"));
	const json_t *ignored = json_object_get(preview, "ignored"), *h;
	size_t i;

	kc_web_head(&b, table_title(pg, t), pg);
	sbuf_printf(&b, "<p id=\"summary\">%s %lld · %s %zu · %s %zu · %s %zu · <span class=\"%s\">%s %zu</span></p>\n",
		    kc_web_t(pg, "Rows read:"), (long long)json_integer_value(json_object_get(preview, "rows")),
		    kc_web_t(pg, "to add:"), add, kc_web_t(pg, "to change:"), change, kc_web_t(pg, "unchanged:"), same,
		    rejected ? "bad" : "ok", kc_web_t(pg, "rejected:"), rejected);
	if (json_array_size(ignored)) {
		sbuf_printf(&b, "<p class=\"meta\" id=\"ignored\">%s ", kc_web_t(pg, "Columns not read:"));
		json_array_foreach(ignored, i, h) {
			sbuf_add(&b, i ? ", " : "");
			sbuf_html(&b, json_string_value(h));
		}
		sbuf_add(&b, "</p>\n");
	}
	if (rejected) {
		sbuf_printf(&b, "<h2>%s</h2>\n", kc_web_t(pg, "Rejected rows"));
		rejected_table(&b, pg, preview);
	}
	sbuf_printf(&b, "<h2>%s</h2>\n", kc_web_t(pg, "Rows to import"));
	accepted_table(&b, pg, preview);
	if (add + change) {
		sbuf_add(&b, "<form method=\"post\" action=\"/estate/import/apply\" id=\"confirm\">");
		hidden(&b, "csrf", pg->csrf);
		hidden(&b, "table", kc_import_table_name(t));
		hidden(&b, "token", json_string_value(json_object_get(preview, "token")));
		sbuf_printf(&b, "<p><button type=\"submit\" id=\"apply\">%s %zu</button> <span class=\"meta\">%s</span></p>"
				"</form>\n",
			    kc_web_t(pg, "Import the rows to add or change:"), add + change,
			    kc_web_t(pg, "The rejected rows are left out. This preview is good for 15 minutes."));
	} else {
		sbuf_printf(&b, "<p class=\"bad\" id=\"nothing\">%s</p>\n",
			    kc_web_t(pg, "No row of the file would change the estate: nothing to import."));
	}
	sbuf_printf(&b, "<h2>%s</h2>\n", kc_web_t(pg, "Another file"));
	upload_form(&b, pg, role, t);
	kc_web_tail(&b);
	return sbuf_take(&b);
}

/* The import done: the rows written, and each new person's enrolment
 * code, shown this once. */
static char *applied_page(const struct kc_web_page *pg, enum kc_role role, enum kc_import_table t, const json_t *out)
{
	struct sbuf b = { 0 };
	const json_t *row;
	size_t i;
	bool codes = false;

	kc_web_head(&b, table_title(pg, t), pg);
	sbuf_printf(&b, "<p class=\"ok\" id=\"message\">%s %lld · %s %lld · %s %lld</p>\n", kc_web_t(pg, "Rows imported:"),
		    (long long)json_integer_value(json_object_get(out, "applied")), kc_web_t(pg, "unchanged:"),
		    (long long)json_integer_value(json_object_get(out, "unchanged")), kc_web_t(pg, "rejected:"),
		    (long long)json_integer_value(json_object_get(out, "rejected")));
	sbuf_printf(&b, "<table class=\"report\" id=\"applied\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
			"<th>%s</th></tr></thead><tbody>\n",
		    kc_web_t(pg, "Line"), kc_web_t(pg, "Row code"), kc_web_t(pg, "Import action"),
		    kc_web_t(pg, "Changes to the cabinets"), kc_web_t(pg, "One-time enrolment code"));
	json_array_foreach(json_object_get(out, "rows"), i, row) {
		const char *code = json_string_value(json_object_get(row, "enrol_code"));

		sbuf_printf(&b, "<tr data-line=\"%lld\"><td data-label=\"%s\">%lld</td><td data-label=\"%s\">",
			    (long long)json_integer_value(json_object_get(row, "line")), kc_web_t(pg, "Line"),
			    (long long)json_integer_value(json_object_get(row, "line")), kc_web_t(pg, "Row code"));
		sbuf_html(&b, json_string_value(json_object_get(row, "code")) ?: "");
		sbuf_printf(&b, "</td><td data-label=\"%s\">%s</td><td data-label=\"%s\">%lld</td><td data-label=\"%s\">",
			    kc_web_t(pg, "Import action"),
			    strcmp(json_string_value(json_object_get(row, "action")) ?: "", "add") == 0
				    ? kc_web_t(pg, "added")
				    : kc_web_t(pg, "changed"),
			    kc_web_t(pg, "Changes to the cabinets"),
			    (long long)json_integer_value(json_object_get(row, "changes")),
			    kc_web_t(pg, "One-time enrolment code"));
		if (code) {
			codes = true;
			sbuf_add(&b, "<code class=\"enrol-code\">");
			sbuf_html(&b, code);
			sbuf_add(&b, "</code>");
		}
		sbuf_add(&b, "</td></tr>\n");
	}
	sbuf_add(&b, "</tbody></table>\n");
	if (codes)
		sbuf_printf(&b, "<p class=\"meta\">%s</p>\n",
			    kc_web_t(pg, "Give each new person their enrolment code only: they set their PIN with it at a "
					 "cabinet. The codes are shown this once."));
	sbuf_printf(&b, "<h2>%s</h2>\n", kc_web_t(pg, "Another file"));
	upload_form(&b, pg, role, t);
	kc_web_tail(&b);
	return sbuf_take(&b);
}

/* The upload page with a refusal (msg, NULL: none) above the form. */
static enum MHD_Result form_page(struct call *k, const struct kc_web_page *pg, unsigned status, const json_t *msg,
				 enum kc_import_table t)
{
	struct sbuf b = { 0 };

	kc_web_head(&b, kc_web_t(pg, "Import from a spreadsheet"), pg);
	if (msg)
		message_line(&b, pg, msg, true);
	upload_form(&b, pg, k->rq->role, t);
	kc_web_tail(&b);
	return http_reply_html(k->c, status, sbuf_take(&b), NULL);
}

/* A preview or apply refused (r, why: consumed): logged, and the upload
 * page saying why. */
static enum MHD_Result web_refused(struct call *k, const struct kc_web_page *pg, enum kc_import_table t, int r,
				   json_t *why)
{
	enum MHD_Result ret;

	log_outcome(t, k->rq->user, why, NULL);
	ret = form_page(k, pg, import_status(r), why, t);
	json_decref(why);
	return ret;
}

static enum MHD_Result expired(struct call *k, const struct kc_web_page *pg)
{
	return http_reply_html(k->c, 403,
			       kc_web_message(pg, kc_web_t(pg, "Error"),
					      kc_web_t(pg, "The form has expired; open the page again.")),
			       NULL);
}

/* GET /estate/import */
enum MHD_Result http_web_import(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);

	return form_page(k, &pg, 200, NULL, k->rq->role == KC_ROLE_ADMIN ? KC_IMPORT_PEOPLE : KC_IMPORT_UNITS);
}

/* POST /estate/import: the form's file previewed. */
enum MHD_Result http_web_import_preview(struct call *k)
{
	char csrf[65], got[80], table[16];
	struct kc_web_page pg = http_web_page(k, csrf);
	const char *ct = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct kc_estate_ctx x = http_estate_ctx(k);
	enum kc_import_table t = KC_IMPORT_UNITS;
	const char *file;
	size_t len;
	json_t *out = NULL, *why = NULL;
	char *html;
	int r;

	if (!k->rq->session[0] ||
	    kc_upload_field(ct, k->rq->body, k->rq->len, "csrf", got, sizeof(got)) < 0 || strcmp(got, csrf) != 0)
		return expired(k, &pg);
	if (kc_upload_field(ct, k->rq->body, k->rq->len, "table", table, sizeof(table)) < 0 ||
	    kc_import_table_parse(table, &t) < 0)
		return web_refused(k, &pg, t, -EINVAL, kc_msg_new(KCM_estimport_table_bad, NULL));
	if (kc_upload_part(ct, k->rq->body, k->rq->len, "file", &file, &len) < 0 || len == 0)
		return web_refused(k, &pg, t, -EINVAL, kc_msg_new(KCM_estimport_no_file, NULL));
	r = kc_import_preview(&x, t, file, len, &out, &why);
	if (r < 0)
		return web_refused(k, &pg, t, r, why);
	html = preview_page(&pg, k->rq->role, t, out);
	json_decref(out);
	return http_reply_html(k->c, 200, html, NULL);
}

/* POST /estate/import/apply: the preview of the form's token applied. */
enum MHD_Result http_web_import_apply(struct call *k)
{
	char csrf[65], table[16], token[KC_TOKEN_LEN + 2];
	struct kc_web_page pg = http_web_page(k, csrf);
	struct kc_estate_ctx x = http_estate_ctx(k);
	const char *body = k->rq->body ? k->rq->body : "";
	enum kc_import_table t = KC_IMPORT_UNITS;
	json_t *out = NULL, *why = NULL;
	char *html;
	int r;

	if (!http_request_csrf_ok(k->rq))
		return expired(k, &pg);
	if (http_request_form(body, k->rq->len, "table", table, sizeof(table)) < 0 ||
	    kc_import_table_parse(table, &t) < 0 ||
	    http_request_form(body, k->rq->len, "token", token, sizeof(token)) < 0)
		token[0] = '\0';
	r = kc_import_apply(&x, t, token, NULL, 0, &out, &why);
	if (r < 0)
		return web_refused(k, &pg, t, r, why);
	log_outcome(t, x.user, NULL, out);
	html = applied_page(&pg, k->rq->role, t, out);
	json_decref(out);
	return http_reply_html(k->c, 200, html, NULL);
}
