/* The web pages' handlers (HTML): login and logout, the language toggle,
 * reports, the review form (the dashboard's are in web_dashboard.c). */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "common/msg.h"
#include "service/lang.h"
#include "service/office_acts.h"
#include "service/reports.h"
#include "service/scope.h"
#include "service/web.h"

struct kc_web_page http_web_page(const struct call *k, char *csrf)
{
	struct kc_web_page pg = { .user = k->rq->user, .role = kc_auth_role_name(k->rq->role),
				  .csrf = csrf, .estate = k->s->cfg->estate, .url = k->url };

	csrf[0] = '\0';
	if (k->rq->session[0])
		http_request_csrf(k->rq->session, csrf);
	pg.english = k->rq->user[0] && kc_lang_user_get(k->db, k->rq->user) == KC_LANG_EN;
	return pg;
}

enum MHD_Result http_web_login(struct call *k)
{
	struct MHD_Connection *c = k->c;
	struct req *rq = k->rq;
	char user[KC_NAME_MAX + 1], pass[256], token[KC_TOKEN_LEN], cookie[200];
	enum kc_role role;
	bool form;
	int r;

	r = http_request_form(rq->body ? rq->body : "", rq->len, "user", user, sizeof(user));
	if (r == 0)
		r = http_request_form(rq->body, rq->len, "password", pass, sizeof(pass));
	form = r == 0;
	if (form)
		r = http_request_password(k->db, c, rq, user, pass, &role);
	if (r == -EAGAIN) {
		memset(pass, 0, sizeof(pass));
		return http_reply_locked(c, false, rq->retry_s);
	}
	if (r == -EPERM) {
		memset(pass, 0, sizeof(pass));
		kc_notice("web login refused for %s: the account is disabled", user);
		return http_reply_html(c, 403, kc_web_login(NULL, kc_web_t(NULL, "This account is disabled; ask an admin.")), NULL);
	}
	if (!form || r < 0) {
		memset(pass, 0, sizeof(pass));
		kc_notice("web login failed for %s", form ? user : "(no user)");
		return http_reply_html(c, 401, kc_web_login(NULL, kc_web_t(NULL, "Wrong user name or password")), NULL);
	}
	memset(pass, 0, sizeof(pass));
	if (kc_auth_session_new(k->db, user, k->s->cfg->session_ttl_s, token) < 0)
		return http_reply_html(c, 500, kc_web_login(NULL, kc_web_t(NULL, "Database error: try again")), NULL);
	kc_info("web login: %s (%s)", user, kc_auth_role_name(role));
	snprintf(cookie, sizeof(cookie), HTTP_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", token,
		 k->s->cfg->session_ttl_s);
	return http_reply_redirect(c, "/", cookie);
}

enum MHD_Result http_web_login_form(struct call *k)
{
	return http_reply_html(k->c, 200, kc_web_login(NULL, NULL), NULL);
}

/* Ends the session at the service, then drops the browser's cookie: the
 * cookie stops working wherever a copy of it is. */
enum MHD_Result http_web_logout(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);

	if (!http_request_csrf_ok(k->rq))
		return http_reply_html(k->c, 403, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "The form has expired: reload the page and try again")), NULL);
	if (kc_auth_session_end(k->db, k->rq->session) < 0) {
		kc_err("logout of %s: the session cannot be ended: %s", k->rq->user, sqlite3_errmsg(k->db->h));
		return http_reply_html(k->c, 500,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"),
						      kc_web_t(&pg, "Database error: you are still signed in; try again")),
				       NULL);
	}
	kc_info("web logout: %s", k->rq->user);
	return http_reply_redirect(k->c, "/login", HTTP_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

/* POST /lang: the account's language (the form's lang, "en" or "zh"),
 * then back to the page the toggle was on (the form's back, a path of
 * this site). */
enum MHD_Result http_web_lang(struct call *k)
{
	char lang[8], back[256], csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);
	struct req *rq = k->rq;
	enum kc_lang l;
	int r;

	if (!http_request_csrf_ok(rq))
		return http_reply_html(k->c, 403, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "The form has expired: reload the page and try again")), NULL);
	if (http_request_form(rq->body, rq->len, "lang", lang, sizeof(lang)) < 0 || kc_msg_parse_lang(lang, &l) < 0)
		return http_reply_html(k->c, 400, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "Choose English or Chinese")), NULL);
	r = kc_lang_user_set(k->db, rq->user, l);
	if (r == -EIO)
		kc_err("language of %s: database error: %s", rq->user, sqlite3_errmsg(k->db->h));
	if (r < 0)
		return http_reply_html(k->c, r == -ENOENT ? 403 : 500, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, r == -ENOENT ? KC_N_("Only an account of the console has a language; sign in with the form") : KC_N_("Database error"))), NULL);
	/* a path of this site only: no scheme, no host, no "//" */
	if (http_request_form(rq->body, rq->len, "back", back, sizeof(back)) < 0 || back[0] != '/' || back[1] == '/' ||
	    back[1] == '\\' || strpbrk(back, "\r\n"))
		snprintf(back, sizeof(back), "/");
	return http_reply_redirect(k->c, back, NULL);
}

enum MHD_Result http_web_report(struct call *k)
{
	char err[256], csrf[65], *out;
	struct kc_web_page pg = http_web_page(k, csrf);
	struct kc_params p = { http_request_arg, k->c, pg.english, k->scope };
	json_t *rep;
	int r;

	/* a printable page holds every row, up to KC_PRINT_MAX */
	pg.print = http_request_arg(k->c, "print") != NULL;
	r = kc_report_run_mode(k->db, k->rest, &p, kc_wall_ms(), pg.print ? KC_REPORT_PRINT : KC_REPORT_PAGE, NULL,
			       &rep, err, sizeof(err));
	if (r == -EIO)
		kc_err("report %s: database error: %s", k->rest, sqlite3_errmsg(k->db->h));
	if (r == -EACCES)
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"),
						      kc_web_t(&pg, "This site or cabinet is outside the sites of your account.")),
				       NULL);
	if (r < 0)
		return http_reply_html(k->c, r == -ENOENT ? 404 : r == -EINVAL ? 400 : 500,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"), r == -EIO ? kc_web_t(&pg, "Database error") : err), NULL);
	out = kc_web_report(rep, &pg);
	json_decref(rep);
	return http_reply_html(k->c, 200, out, NULL);
}

enum MHD_Result http_web_act_refused(struct call *k, const struct kc_web_page *pg, int r, const json_t *msg)
{
	char text[512];

	if (!msg || kc_msg_render(msg, pg->english ? KC_LANG_EN : KC_LANG_ZH, text, sizeof(text)) < 0)
		kc_strlcpy(text, kc_web_t(pg, "The database could not record it; nothing was recorded. Try again."),
			   sizeof(text));
	return http_reply_html(k->c, kc_office_status(r), kc_web_message(pg, kc_web_t(pg, "Not recorded"), text),
			       NULL);
}

/* A review signed at the office (rule 12): an office-chain event. */
enum MHD_Result http_web_review(struct call *k)
{
	char cab[KC_NAME_MAX * 2], ho[32] = "", note[1024] = "", csrf[65];
	struct req *rq = k->rq;
	struct kc_web_page pg = http_web_page(k, csrf);
	long long h = 0;
	json_t *msg = NULL;
	enum MHD_Result ret;
	int r;

	if (!http_request_csrf_ok(rq))
		return http_reply_html(k->c, 403, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "The form has expired: reload the page and try again")), NULL);
	if (http_request_form(rq->body, rq->len, "cabinet", cab, sizeof(cab)) < 0)
		cab[0] = '\0';
	if (http_request_form(rq->body, rq->len, "handover", ho, sizeof(ho)) < 0 || kc_parse_long(ho, 1, INT64_MAX, &h) < 0)
		h = 0;
	if (http_request_form(rq->body, rq->len, "note", note, sizeof(note)) < 0)
		note[0] = '\0';
	if (cab[0] && !kc_scope_cabinet(k->scope, cab))
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"),
						      kc_web_t(&pg, "This cabinet is outside the sites of your account")),
				       NULL);
	r = kc_office_review(k->db, rq->user, cab, h, note, &msg);
	if (r == -EIO)
		kc_err("review of handover %lld of %s by %s: database error", h, cab, rq->user);
	ret = r == 0 ? http_reply_redirect(k->c, "/r/handovers", NULL) : http_web_act_refused(k, &pg, r, msg);
	json_decref(msg);
	return ret;
}
