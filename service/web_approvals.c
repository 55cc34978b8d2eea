/* The manager's phone page (/approvals): the approval requests addressed
 * to the manager the account answers for, each as a card (who asks, the
 * key by its unit and kind, the site, why, when, in the site's time), with
 * its two forms: approve, or refuse with a reason. An answer is the
 * manager's own session's: service/approvals.c checks it and records it. */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "service/approvals.h"
#include "service/office_acts.h"
#include "service/reports_impl.h"
#include "service/sbuf.h"
#include "service/web.h"
#include "service/words.h"
#include "service/zone.h"

static const char approvals_style[] =
	"<style>.approval{border:1px solid #999;border-radius:6px;padding:.6em .8em;margin:0 0 1em;max-width:40em}"
	".approval h2{font-size:17px;margin:0 0 .3em}.approval p{margin:.25em 0}"
	".approval form{margin:.6em 0 0}.approval button{font-size:16px;padding:.4em 1.2em}"
	".approval input[name=reason]{font-size:16px;width:100%;box-sizing:border-box;margin:.3em 0}"
	"</style>\n";

static void hidden(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(b, value);
	sbuf_add(b, "\">");
}

/* One line of a card: its label and its text. */
static void line(struct sbuf *b, const struct kc_web_page *pg, const char *cls, const char *label, const char *text)
{
	sbuf_printf(b, "<p class=\"%s\"><span class=\"meta\">", cls);
	sbuf_html(b, kc_web_t(pg, label));
	sbuf_add(b, "</span> ");
	sbuf_html(b, text);
	sbuf_add(b, "</p>");
}

/* An answer's form: the request it answers, and for a refusal the reason. */
static void answer_form(struct sbuf *b, const struct kc_web_page *pg, const char *cabinet, const char *request,
			bool grant)
{
	sbuf_add(b, "<form method=\"post\" action=\"/approvals\">");
	kc_web_csrf_field(b, pg);
	hidden(b, "cabinet", cabinet);
	hidden(b, "request", request);
	hidden(b, "action", grant ? "grant" : "refuse");
	if (!grant) {
		sbuf_add(b, "<input name=\"reason\" maxlength=\"200\" placeholder=\"");
		sbuf_html(b, kc_web_t(pg, "Why you refuse (the clerk reads it)"));
		sbuf_add(b, "\">");
	}
	sbuf_printf(b, "<button type=\"submit\" class=\"%s\">", grant ? "grant" : "refuse");
	sbuf_html(b, grant ? kc_web_t(pg, "Approve") : kc_web_t(pg, "Refuse"));
	sbuf_add(b, "</button></form>");
}

static void card(struct sbuf *b, struct kc_db *db, const struct kc_web_page *pg, const json_t *r)
{
	const char *cabinet = json_string_value(json_object_get(r, "cabinet"));
	const char *site = json_string_value(json_object_get(r, "site"));
	const char *kind = json_string_value(json_object_get(r, "kind"));
	char request[24], when[40], what[256];

	snprintf(request, sizeof(request), "%lld", (long long)json_integer_value(json_object_get(r, "request")));
	kc_zone_format(site ? kc_report_site_zone(db, site) : kc_report_cabinet_zone(db, cabinet),
		       json_integer_value(json_object_get(r, "asked_ms")), KC_DAY_LAST, when, sizeof(when));
	snprintf(what, sizeof(what), "%s · %s", json_string_value(json_object_get(r, "unit_label")) ?: "",
		 kind ? kc_word(kc_web_lang(pg), "kind", kind) : "");
	sbuf_add(b, "<section class=\"approval\" data-cabinet=\"");
	sbuf_html(b, cabinet);
	sbuf_printf(b, "\" data-request=\"%s\"><h2>", request);
	sbuf_html(b, json_string_value(json_object_get(r, "asker_name")) ?: "");
	sbuf_add(b, " <span class=\"meta\">");
	sbuf_html(b, json_string_value(json_object_get(r, "asker")) ?: "");
	sbuf_add(b, "</span></h2>");
	line(b, pg, "key", "Key:", what);
	line(b, pg, "site", "Site:", json_string_value(json_object_get(r, "site_name")) ?: "");
	line(b, pg, "reason", "Why:", json_string_value(json_object_get(r, "reason")) ?: "");
	line(b, pg, "when", "Asked at:", when);
	answer_form(b, pg, cabinet, request, true);
	answer_form(b, pg, cabinet, request, false);
	sbuf_add(b, "</section>\n");
}

/* The page: what was done (msg, NULL for none; ok: it was recorded),
 * then the requests waiting. NULL on a database error. */
static char *approvals_page(struct call *k, const struct kc_web_page *pg, const json_t *msg, bool ok)
{
	char person[128], text[512];
	json_t *list = NULL;
	const json_t *r;
	struct sbuf b = { 0 };
	size_t i;
	int p = kc_approvals_person(k->db, k->rq->user, person, sizeof(person));

	if (p == -EIO || (p == 0 && !(list = kc_approvals_pending(k->db, person))))
		return NULL;
	kc_web_head(&b, kc_web_t(pg, "Approvals"), pg);
	sbuf_add(&b, approvals_style);
	if (msg && kc_msg_render(msg, kc_web_lang(pg), text, sizeof(text)) == 0) {
		sbuf_printf(&b, "<p class=\"%s\" id=\"message\">", ok ? "ok" : "bad");
		sbuf_html(&b, text);
		sbuf_add(&b, "</p>\n");
	}
	if (p < 0) {
		sbuf_add(&b, "<p id=\"none\">");
		sbuf_html(&b, kc_web_t(pg, "Only a manager's account linked to a person on the cabinets approves: "
					   "ask an admin to link yours."));
		sbuf_add(&b, "</p>\n");
	} else if (json_array_size(list) == 0) {
		sbuf_add(&b, "<p id=\"none\">");
		sbuf_html(&b, kc_web_t(pg, "No request waits for your approval."));
		sbuf_add(&b, "</p>\n");
	}
	json_array_foreach(list, i, r)
		card(&b, k->db, pg, r);
	kc_web_tail(&b);
	json_decref(list);
	return sbuf_take(&b);
}

static enum MHD_Result approvals_reply(struct call *k, const struct kc_web_page *pg, unsigned status,
				       const json_t *msg)
{
	char *html = approvals_page(k, pg, msg, status == 200);

	if (!html) {
		kc_err("approvals page: database error: %s", sqlite3_errmsg(k->db->h));
		return http_reply_html(k->c, 500, kc_web_message(pg, kc_web_t(pg, "Error"), kc_web_t(pg, "Database error.")),
				       NULL);
	}
	return http_reply_html(k->c, status, html, NULL);
}

enum MHD_Result http_web_approvals(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);

	return approvals_reply(k, &pg, 200, NULL);
}

/* POST /approvals: the manager's answer (action grant or refuse, cabinet,
 * request, reason), then the page with what was done. */
enum MHD_Result http_web_approvals_act(struct call *k)
{
	char csrf[65], action[16] = "", cabinet[KC_NAME_MAX + 2] = "", seq[32] = "", reason[1024] = "";
	struct kc_web_page pg = http_web_page(k, csrf);
	const struct req *rq = k->rq;
	long long request = 0;
	json_t *msg = NULL;
	enum MHD_Result ret;
	int r;

	if (!http_request_csrf_ok(rq))
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Not recorded"),
						      kc_web_t(&pg, "The form has expired: open the page again and retry.")),
				       NULL);
	http_request_form(rq->body, rq->len, "action", action, sizeof(action));
	http_request_form(rq->body, rq->len, "cabinet", cabinet, sizeof(cabinet));
	http_request_form(rq->body, rq->len, "request", seq, sizeof(seq));
	if (http_request_form(rq->body, rq->len, "reason", reason, sizeof(reason)) < 0)
		reason[0] = '\0';
	if (kc_parse_long(seq, 1, INT64_MAX, &request) < 0)
		request = 0;
	if (strcmp(action, "grant") != 0 && strcmp(action, "refuse") != 0)
		return http_reply_html(k->c, 400,
				       kc_web_message(&pg, kc_web_t(&pg, "Not recorded"),
						      kc_web_t(&pg, "The form has expired: open the page again and retry.")),
				       NULL);
	r = kc_approvals_answer(k->db, rq->user, cabinet, request, strcmp(action, "grant") == 0, reason,
				k->s->cfg->approval_valid_ms, kc_wall_ms(), &msg);
	if (r == -EIO)
		kc_err("approval answer by %s: database error", rq->user);
	else
		kc_info("approval request %s/%lld %s by %s%s", cabinet, request,
			strcmp(action, "grant") == 0 ? "approved" : "refused", rq->user, r == 0 ? "" : ": refused");
	ret = approvals_reply(k, &pg, kc_office_status(r), msg);
	json_decref(msg);
	return ret;
}
