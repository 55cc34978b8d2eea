/* The web pages' handlers (HTML): login and logout, reports, the review
 * form (the dashboard's are in web_dashboard.c). */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/web.h"

/* Who the page is for; csrf (65 bytes) gets the session's form token, ""
 * without a session (HTTP basic). */
static struct kc_web_page web_page(const struct call *k, char *csrf)
{
	struct kc_web_page pg = { .user = k->rq->user, .role = kc_auth_role_name(k->rq->role),
				  .csrf = csrf, .estate = k->s->cfg->estate };

	csrf[0] = '\0';
	if (k->rq->session[0])
		http_request_csrf(k->rq->session, csrf);
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
		return http_reply_html(c, 403, kc_web_login(kc_web_t(NULL, "This account is disabled; ask an admin.")), NULL);
	}
	if (!form || r < 0) {
		memset(pass, 0, sizeof(pass));
		kc_notice("web login failed for %s", form ? user : "(no user)");
		return http_reply_html(c, 401, kc_web_login("用户名或密码错误 Wrong user name or password"), NULL);
	}
	memset(pass, 0, sizeof(pass));
	if (kc_auth_session_new(k->db, user, k->s->cfg->session_ttl_s, token) < 0)
		return http_reply_html(c, 500, kc_web_login("database error"), NULL);
	kc_info("web login: %s (%s)", user, kc_auth_role_name(role));
	snprintf(cookie, sizeof(cookie), HTTP_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", token,
		 k->s->cfg->session_ttl_s);
	return http_reply_redirect(c, "/", cookie);
}

enum MHD_Result http_web_login_form(struct call *k)
{
	return http_reply_html(k->c, 200, kc_web_login(NULL), NULL);
}

/* Ends the session at the service, then drops the browser's cookie: the
 * cookie stops working wherever a copy of it is. */
enum MHD_Result http_web_logout(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = web_page(k, csrf);

	if (!http_request_csrf_ok(k->rq))
		return http_reply_html(k->c, 403, kc_web_message(&pg, "错误 Error", "表单已失效 bad form token"), NULL);
	if (kc_auth_session_end(k->db, k->rq->session) < 0) {
		kc_err("logout of %s: the session cannot be ended: %s", k->rq->user, sqlite3_errmsg(k->db->h));
		return http_reply_html(k->c, 500,
				       kc_web_message(&pg, "错误 Error",
						      "数据库错误，尚未退出，请重试 Database error: you are still signed in;"
						      " try again"),
				       NULL);
	}
	kc_info("web logout: %s", k->rq->user);
	return http_reply_redirect(k->c, "/login", HTTP_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

enum MHD_Result http_web_report(struct call *k)
{
	struct kc_params p = { http_request_arg, k->c, k->scope };
	char err[256], csrf[65], *out;
	struct kc_web_page pg = web_page(k, csrf);
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
				       kc_web_message(&pg, "错误 Error", r == -EIO ? "database error" : err), NULL);
	out = kc_web_report(rep, &pg);
	json_decref(rep);
	return http_reply_html(k->c, 200, out, NULL);
}

enum MHD_Result http_web_review(struct call *k)
{
	char cab[KC_NAME_MAX + 1], ho[32], msg[256], csrf[65];
	struct req *rq = k->rq;
	struct kc_web_page pg = web_page(k, csrf);
	int status;

	if (!http_request_csrf_ok(rq))
		return http_reply_html(k->c, 403, kc_web_message(&pg, "错误 Error", "bad form token"), NULL);
	if (http_request_form(rq->body, rq->len, "cabinet", cab, sizeof(cab)) < 0 ||
	    http_request_form(rq->body, rq->len, "handover", ho, sizeof(ho)) < 0)
		return http_reply_html(k->c, 400,
				       kc_web_message(&pg, "错误 Error", "cabinet and handover are required"), NULL);
	status = http_api_review_status(k->db, k->scope, cab, ho, msg, sizeof(msg));
	if (status != 200)
		return http_reply_html(k->c, (unsigned)status, kc_web_message(&pg, "错误 Error", msg), NULL);
	return http_reply_redirect(k->c, "/r/handovers", NULL);
}
