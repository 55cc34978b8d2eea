/* Inside keyauditd's request layer: the server (http.c), what a request
 * carries (http_request.c), the answers (http_reply.c), the routes with
 * who may call them (http_route.c), and the handlers of the API
 * (http_api.c) and of the web pages (http_web.c). */
#ifndef KC_SERVICE_HTTP_IMPL_H
#define KC_SERVICE_HTTP_IMPL_H
#include <gnutls/abstract.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/httpd/httpd.h"
#include "service/auth.h"
#include "service/config.h"
#include "service/http.h"
#include "service/web.h"
#include "service/notify.h"
#include "service/store.h"
#include "service/web.h"

#define HTTP_COOKIE "kcsid"
/* A login form is small; its body is read before any credential exists. */
#define HTTP_LOGIN_BODY_MAX 4096

struct kc_scope;

struct kc_http {
	const struct kc_audit_config *cfg;
	struct kc_notifier *notifier;
	struct MHD_Daemon *mhd;
	int port;
	pthread_mutex_t lock;	   /* guards what follows */
	struct http_tls *tls;	   /* the certificate and key new handshakes get; NULL: plain HTTP */
	void *addrs;		   /* tsearch tree of struct addr_count */
	long refused, busy;	   /* connections refused at accept, answered 503 */
	int64_t refusal_logged_ms;
	char last_log[256];	   /* libmicrohttpd's last message, and how often it came again */
	long repeats;
	int64_t last_log_ms;
	bool starting;		   /* libmicrohttpd's messages go to start_err */
	char start_err[256];
	struct kc_httpd_server httpd; /* its hooks into the shared layer (http.c) */
};

/* A feed poll held (suspended) until a change or its deadline
 * (http_feed.c); listed while the connection is suspended. */
struct http_feed_hold {
	struct http_feed_hold *prev, *next;
	struct MHD_Connection *c;
	int64_t after;
	int64_t deadline_ms; /* monotonic */
	bool begun;	     /* the request's checks passed */
	bool listed;
	char cabinet[KC_NAME_MAX + 1];
};

/* One request (MHD's request context): the body the shared layer keeps
 * (rq->body, rq->len), then keyauditd's own. */
struct req {
	KC_HTTPD_REQ;
	bool auth_done;	 /* http_request_auth() ran before the body */
	int auth_rc;	 /* and answered this */
	/* who is asking, once authenticated */
	char user[KC_NAME_MAX + 1];
	enum kc_role role;
	char session[KC_TOKEN_LEN];
	int retry_s; /* http_request_auth: -EAGAIN, seconds until a login may be tried */
	struct http_feed_hold feed; /* GET /api/v1/feed */
};

/* One request being answered. */
struct call {
	struct kc_http *s;
	struct kc_db *db;
	struct MHD_Connection *c;
	struct req *rq;
	const char *url, *method;
	const char *rest; /* what follows the path of a prefix route */
	bool api;	  /* under /api/: JSON answers, else HTML pages */
	/* the sites the caller reads (service/scope.h), on the routes of a
	 * signed-in account; NULL on the others */
	const struct kc_scope *scope;
};

/* ---- http_tls.c: the certificate chain and key ---- */

struct http_tls;
/* Reads and checks the PEM files (the key is the certificate's): 0 with
 * *out (one reference) and whether the certificate is valid now, or
 * -errno with err naming the [server] key and the file. */
int http_tls_load(const char *cert_path, const char *key_path, struct http_tls **out, bool *valid_now, char *err,
		  size_t errlen);
/* "<subject>, valid <from> to <to> UTC" */
const char *http_tls_about(const struct http_tls *t);
/* One more reference to t (NULL: none); returns t. */
struct http_tls *http_tls_get(struct http_tls *t);
/* Drops a reference (NULL: none); the last frees t. */
void http_tls_put(struct http_tls *t);
/* What a handshake presents: the chain and its key, valid while the
 * caller holds a reference. */
void http_tls_use(struct http_tls *t, gnutls_pcert_st **chain, unsigned *n, gnutls_privkey_t *key);

/* ---- http_feed.c: the held polls ---- */

/* The waker of held polls (kc_feed_add's commits, another process's
 * changes, deadlines): 0 or -errno (err says why). */
int http_feed_start(struct kc_http *s, char *err, size_t errlen);
/* Every held poll answered; before MHD_stop_daemon. */
void http_feed_stop(void);

/* ---- http_request.c: what a request carries ---- */

/* The decoded value of name in a form body, or -ENOENT / -ENOSPC. */
int http_request_form(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* Every value of name in a form body (checkboxes, a select's several), as
 * a JSON array of strings; one longer than max-1 bytes as "?". NULL when
 * out of memory. */
json_t *http_request_form_all(const char *body, size_t len, const char *name, size_t max);
/* A query argument (a struct kc_params getter; ctx is the connection). */
const char *http_request_arg(void *ctx, const char *name);
/* The form token of a session. */
void http_request_csrf(const char *session, char out[65]);
/* The body's form token is the session's. */
bool http_request_csrf_ok(const struct req *rq);
/* A password check behind the login backoff: 0, -EACCES, or -EAGAIN with
 * rq->retry_s set (then the password was not looked at). */
int http_request_password(struct kc_db *db, struct MHD_Connection *c, struct req *rq, const char *user,
			  const char *pass, enum kc_role *role);
/* Session cookie, or HTTP basic credentials: 0 with rq's user, role and
 * session set, -EACCES, or -EAGAIN (the login backoff: rq->retry_s). */
int http_request_auth(struct kc_db *db, struct MHD_Connection *c, struct req *rq);

/* ---- http_reply.c: the answers ---- */

/* buf (malloc'd) is the body and freed by the call. */
enum MHD_Result http_reply_buf(struct MHD_Connection *c, unsigned status, const char *ctype, char *buf,
			       size_t len, const char *cookie);
/* j is consumed. */
enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned status, json_t *j);
/* r (NULL: out of memory), a file to save as filename (plain ASCII),
 * with the headers every answer carries; r is consumed. */
enum MHD_Result http_reply_download(struct MHD_Connection *c, struct MHD_Response *r, const char *ctype,
				    const char *filename);
/* {"ok": false, "error": error, "message": message} */
enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned status, const char *error,
				 const char *message);
/* html (malloc'd, may be NULL) is consumed. */
enum MHD_Result http_reply_html(struct MHD_Connection *c, unsigned status, char *html, const char *cookie);
/* 303 to a path. */
enum MHD_Result http_reply_redirect(struct MHD_Connection *c, const char *to, const char *cookie);
/* 429 for a login locked by the backoff, with Retry-After. */
enum MHD_Result http_reply_locked(struct MHD_Connection *c, bool api, int retry_s);
/* No credentials: 401 JSON on the API; a page asked for with GET or HEAD
 * redirects to the login form, another method gets 401 and the form. No
 * basic-auth challenge ever (a browser would offer its own prompt). */
enum MHD_Result http_reply_unauthorized(struct MHD_Connection *c, bool api, bool get);
/* A JSON error that closes the connection (its body is not read). */
enum MHD_Result http_reply_closing(struct MHD_Connection *c, unsigned status, const char *error,
				   const char *message);

/* ---- http_route.c: the routes, who may call them ---- */

/* The largest body the route of a POST to url takes: 0 when it takes
 * none (it is answered without reading one). */
size_t http_route_body_limit(const struct kc_audit_config *cfg, const char *url);
/* Whether the caller's credential admits the body of a POST to url (a
 * route's own refusal comes later, from http_route_dispatch). */
bool http_route_body_admit(struct kc_db *db, struct MHD_Connection *c, const char *url, struct req *rq);
/* Answers the request: its route, after the access check. */
enum MHD_Result http_route_dispatch(struct kc_http *s, struct MHD_Connection *c, const char *url,
				    const char *method, struct req *rq);

/* ---- http_api.c, http_web.c, http_problems.c: the handlers the route table names ---- */

enum MHD_Result http_api_healthz(struct call *k);
enum MHD_Result http_api_ingest(struct call *k);
enum MHD_Result http_api_ingest_method(struct call *k);
enum MHD_Result http_api_report(struct call *k);
enum MHD_Result http_api_review(struct call *k);
enum MHD_Result http_api_cabinets(struct call *k);
/* http_feed.c: GET /api/v1/feed, a cabinet's long-poll of its feed */
enum MHD_Result http_api_feed(struct call *k);

enum MHD_Result http_web_login(struct call *k);
enum MHD_Result http_web_login_form(struct call *k);
enum MHD_Result http_web_logout(struct call *k);
enum MHD_Result http_web_review(struct call *k);
/* web_problems.c: a problem forwarded, resolved (office_acts.h) */
enum MHD_Result http_web_problem_forward(struct call *k);
enum MHD_Result http_web_problem_resolve(struct call *k);
/* An office act that recorded nothing (office_acts.h: r and msg), as a
 * page in pg's language with the act's HTTP status. */
enum MHD_Result http_web_act_refused(struct call *k, const struct kc_web_page *pg, int r, const json_t *msg);
enum MHD_Result http_web_report(struct call *k);
enum MHD_Result http_web_lang(struct call *k);
/* Who the page is for, in the account's language; csrf (65 bytes) gets
 * the session's form token, "" without a session (HTTP basic). */
struct kc_web_page http_web_page(const struct call *k, char *csrf);
/* web_accounts.c: the admin's /accounts page and its actions, and the
 * /reset page where a one-time code sets a new password */
enum MHD_Result http_web_accounts(struct call *k);
enum MHD_Result http_web_accounts_act(struct call *k);
enum MHD_Result http_web_reset_form(struct call *k);
enum MHD_Result http_web_reset(struct call *k);
/* web_approvals.c: the manager's /approvals page and its answers */
enum MHD_Result http_web_approvals(struct call *k);
enum MHD_Result http_web_approvals_act(struct call *k);
/* web_dashboard.c: / and /dashboard... */
enum MHD_Result http_web_dashboard(struct call *k);
/* export_http.c: /export/<report>.csv and .xlsx, the whole filtered report */
enum MHD_Result http_export(struct call *k);
/* The whole filtered report name (p: the request's filters), every row
 * of the ?section asked for (the first when none), for http_export_csv:
 * kc_export_open's 0 (*x set), -ENOENT, -EINVAL (a sentence in err),
 * -EACCES, -EIO, -ENOMEM. */
struct kc_export;
struct kc_params;
int http_export_open(struct call *k, const char *name, const struct kc_params *p, struct kc_export **x, char *err,
		     size_t errlen);
/* x's CSV streamed as a download ("<report>-<section>-<time>.csv"); x is
 * consumed. */
enum MHD_Result http_export_csv(struct call *k, struct kc_export *x);

/* estate_api.c: /api/v1/estate/... (service/estate.h); the estate's
 * context of a signed-in request */
struct kc_estate_ctx;
enum MHD_Result http_api_estate(struct call *k);
struct kc_estate_ctx http_estate_ctx(const struct call *k);
/* web_estate.c: the estate's pages /estate/people, /sites, /keys,
 * /settings, /cabinets and their forms */
enum MHD_Result http_web_estate(struct call *k);

#endif
