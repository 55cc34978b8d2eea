#include "service/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/ingest.h"
#include "service/reports.h"
#include "service/sbuf.h"
#include "service/web.h"

#define COOKIE "kcsid"

/* A login form is small; its body is read before any credential exists. */
#define LOGIN_BODY_MAX 4096
/* Files the service needs besides its connections (database, logs, webhooks). */
#define NOFILE_RESERVE 256
/* Refusals are logged at most once in this period, with their count. */
#define REFUSAL_LOG_MS 10000
#define PEM_MAX (1 << 20)

/* Open connections from one client address. */
struct addr_count {
	int family;
	unsigned char addr[16];
	int n;
};

/* Per connection (MHD's socket context). */
struct conn_slot {
	struct addr_count *ac;
	bool over; /* beyond the per-address limit: answered 503 and closed */
};

struct kc_http {
	const struct kc_audit_config *cfg;
	struct kc_notifier *notifier;
	struct MHD_Daemon *mhd;
	int port;
	char *tls_cert, *tls_key; /* PEM text, kept while the daemon runs */
	pthread_mutex_t lock;	   /* guards what follows */
	void *addrs;		   /* tsearch tree of struct addr_count */
	long refused, busy;	   /* connections refused at accept, answered 503 */
	int64_t refusal_logged_ms;
	char last_log[256];	   /* libmicrohttpd's last message, and how often it came again */
	long repeats;
	int64_t last_log_ms;
	bool starting;		   /* libmicrohttpd's messages go to start_err */
	char start_err[256];
};

struct req {
	char *body;
	size_t len, cap;
	size_t body_max; /* 0: the request's body is not kept */
	bool too_big;
	bool auth_done;	 /* authenticate() ran before the body */
	int auth_rc;	 /* and answered this */
	/* who is asking, once authenticated */
	char user[KC_NAME_MAX + 1];
	enum kc_role role;
	char session[KC_TOKEN_LEN];
	int retry_s; /* authenticate: -EAGAIN, seconds until a login may be tried */
};

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *ctype, char *buf,
				size_t len, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (strncmp(ctype, "text/html", 9) == 0) {
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
					" frame-ancestors 'none'");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	}
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (!s)
		return MHD_NO;
	return send_buf(c, status, "application/json; charset=utf-8", s, strlen(s), NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *error,
				  const char *message)
{
	return send_json(c, status, json_pack("{s:b, s:s, s:s}", "ok", 0, "error", error, "message", message));
}

static enum MHD_Result send_html(struct MHD_Connection *c, unsigned status, char *html, const char *cookie)
{
	if (!html)
		return MHD_NO;
	return send_buf(c, status, "text/html; charset=utf-8", html, strlen(html), cookie);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Location", to);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- form bodies (application/x-www-form-urlencoded) ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The decoded value of name in the form body, or -ENOENT / -ENOSPC. */
static int form_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && strncmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
			size_t o = 0;

			for (size_t k = i + nl + 1; k < end; k++) {
				char ch = body[k];

				if (ch == '+') {
					ch = ' ';
				} else if (ch == '%' && k + 2 < end + 1 && hexval(body[k + 1]) >= 0 &&
					   hexval(body[k + 2]) >= 0) {
					ch = (char)(hexval(body[k + 1]) * 16 + hexval(body[k + 2]));
					k += 2;
				}
				if (o + 1 >= outlen)
					return -ENOSPC;
				out[o++] = ch;
			}
			out[o] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return -ENOENT;
}

/* ---- who is asking ---- */

static void csrf_of(const char *session, char out[65])
{
	char in[KC_TOKEN_LEN + 8];

	snprintf(in, sizeof(in), "%s:csrf", session);
	kc_token_hash(in, out);
}

/* The client's address as the login backoff counts it: an IPv6 address
 * by its /64, so one host cannot step through its own prefix. */
static void http_client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	kc_strlcpy(out, "?", len);
	if (sa && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	} else if (sa && sa->sa_family == AF_INET6) {
		struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (!IN6_IS_ADDR_V4MAPPED(&a))
			memset(a.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a, out, (socklen_t)len);
	}
}

/* A password check behind the login backoff: 0, -EACCES, or -EAGAIN with
 * rq->retry_s set (then the password was not looked at). */
static int http_password_check(struct kc_db *db, struct MHD_Connection *c, struct req *rq, const char *user,
			       const char *pass, enum kc_role *role)
{
	char addr[INET6_ADDRSTRLEN];
	int r;

	http_client_addr(c, addr, sizeof(addr));
	int lock_s;

	if (kc_login_begin(user, addr, kc_wall_ms(), &rq->retry_s) < 0) {
		kc_debug("login for %s from %s refused: too many failed attempts, %d s left", user, addr,
			 rq->retry_s);
		return -EAGAIN;
	}
	r = kc_user_check(db, user, pass, role);
	lock_s = kc_login_end(user, addr, r == 0, kc_wall_ms());
	if (lock_s > 0)
		kc_notice("logins for %s or from %s locked for %d s: too many failed attempts", user, addr, lock_s);
	return r;
}

/* Session cookie, or HTTP basic credentials. 0, -EACCES, or -EAGAIN (the
 * login backoff: rq->retry_s). */
static int authenticate(struct kc_db *db, struct MHD_Connection *c, struct req *rq)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
	char *pass = NULL, *user;
	int r = -EACCES;

	if (rq->auth_done) /* checked before the body was read */
		return rq->auth_rc;
	if (tok && kc_auth_session_get(db, tok, rq->user, &rq->role) == 0) {
		kc_strlcpy(rq->session, tok, sizeof(rq->session));
		return 0;
	}
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user && pass) {
		r = http_password_check(db, c, rq, user, pass, &rq->role);
		if (r == 0)
			kc_strlcpy(rq->user, user, sizeof(rq->user));
	}
	if (pass) {
		memset(pass, 0, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return r;
}

/* 429 for a login locked by the backoff, with Retry-After. */
static enum MHD_Result http_send_locked(struct MHD_Connection *c, bool api, int retry_s)
{
	char msg[200], ra[16];
	char *body;
	struct MHD_Response *r;
	enum MHD_Result ret;

	snprintf(msg, sizeof(msg), "登录失败次数过多，请 %d 秒后再试 Too many failed logins; try again in %d s", retry_s,
		 retry_s);
	if (api) {
		json_t *j = json_pack("{s:b, s:s, s:s, s:i}", "ok", 0, "error", "too_many_attempts", "message", msg,
				      "retry_after", retry_s);

		body = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
	} else {
		body = kc_web_login(msg);
	}
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	snprintf(ra, sizeof(ra), "%d", retry_s);
	MHD_add_response_header(r, "Content-Type", api ? "application/json; charset=utf-8" : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Retry-After", ra);
	ret = MHD_queue_response(c, 429, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *get_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- handlers ---- */

static enum MHD_Result h_ingest(struct kc_http *s, struct kc_db *db, struct MHD_Connection *c,
				struct req *rq)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char cabinet[KC_NAME_MAX + 1];
	struct kc_ingest_result res;
	int r;

	if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
		kc_notice("ingest refused: no bearer token");
		return send_error(c, 401, "unauthorized", "an \"Authorization: Bearer <token>\" header is required");
	}
	r = kc_cabinet_by_token(db, auth + 7, cabinet, sizeof(cabinet));
	if (r == -EACCES) {
		kc_notice("ingest refused: unknown cabinet token");
		return send_error(c, 401, "unauthorized", "the bearer token is not a registered cabinet's");
	}
	if (r < 0)
		return send_error(c, 500, "internal", "database error");
	r = kc_ingest_batch(db, s->cfg, cabinet, rq->body ? rq->body : "", rq->len, &res);
	if (r < 0) {
		char why[256];

		kc_db_note_write(0);
		kc_err("ingest for cabinet %s: cannot store: %s", cabinet, kc_db_errstr(db, why, sizeof(why)));
		return send_error(c, 500, "internal", "database error; nothing was stored");
	}
	kc_db_note_write(1);
	if (res.notices || res.alarm)
		kc_notifier_wake(s->notifier);
	if (res.error)
		kc_log(res.alarm ? LOG_WARNING : LOG_NOTICE, "ingest for cabinet %s refused (%s): %s", cabinet,
		       res.error, res.message);
	else
		kc_debug("ingest for cabinet %s: %d stored, %d duplicates, last %lld", cabinet, res.stored,
			 res.duplicates, (long long)res.last_seq);
	return send_json(c, res.status,
			 json_pack("{s:b, s:s?, s:s, s:s, s:I, s:i, s:i}", "ok", res.error == NULL, "error",
				   res.error, "message", res.error ? res.message : "stored", "cabinet", cabinet,
				   "last_seq", (json_int_t)res.last_seq, "stored", res.stored, "duplicates",
				   res.duplicates));
}

/* 200 {"store": "ok"} while the service can store, else 503 and why. */
static enum MHD_Result h_healthz(struct kc_http *s, struct kc_db *db, struct MHD_Connection *c)
{
	char msg[300];

	if (kc_db_health(db, s->cfg->db_path, msg, sizeof(msg)) == 0)
		return send_json(c, 200, json_pack("{s:b, s:s}", "ok", 1, "store", "ok"));
	return send_json(c, 503, json_pack("{s:b, s:s, s:s, s:s}", "ok", 0, "store", "failing", "error", "store",
					   "message", msg));
}

static enum MHD_Result h_report(struct kc_http *s, struct kc_db *db, struct MHD_Connection *c,
				struct req *rq, const char *name, bool html)
{
	struct kc_params p = { get_arg, c };
	const char *fmt = get_arg(c, "format"), *section = get_arg(c, "section");
	char err[256], csrf[65] = "", *out;
	json_t *rep;
	int r;

	r = kc_report_run(db, name, &p, kc_wall_ms(), &rep, err, sizeof(err));
	if (r == -EIO)
		kc_err("report %s: database error: %s", name, sqlite3_errmsg(db->h));
	if (html) {
		struct kc_web_page pg = { rq->user, kc_role_name(rq->role), csrf, 0, s->cfg->utc_offset_min };

		if (rq->session[0])
			csrf_of(rq->session, csrf);
		pg.print = get_arg(c, "print") != NULL;
		if (r < 0)
			return send_html(c, r == -ENOENT ? 404 : r == -EINVAL ? 400 : 500,
					 kc_web_message(&pg, "错误 Error", r == -EIO ? "database error" : err), NULL);
		out = kc_web_report(rep, &pg);
		json_decref(rep);
		return send_html(c, 200, out, NULL);
	}
	if (r < 0)
		return send_error(c, r == -ENOENT ? 404 : r == -EINVAL ? 400 : 500,
				  r == -ENOENT ? "not_found" : r == -EINVAL ? "bad_parameter" : "internal",
				  r == -EIO ? "database error" : err);
	if (fmt && strcmp(fmt, "csv") == 0) {
		char disp[128];
		struct MHD_Response *resp;
		enum MHD_Result ret;

		out = kc_render_csv(rep, section);
		json_decref(rep);
		if (!out)
			return send_error(c, 400, "bad_parameter", "no such section in this report");
		resp = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(out);
			return MHD_NO;
		}
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%s.csv\"", name, section ? section : "main");
		MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
		MHD_add_response_header(resp, "Content-Disposition", disp);
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		ret = MHD_queue_response(c, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (fmt && strcmp(fmt, "json") != 0) {
		json_decref(rep);
		return send_error(c, 400, "bad_parameter", "format must be json or csv");
	}
	out = kc_render_json(rep);
	json_decref(rep);
	if (!out)
		return MHD_NO;
	return send_buf(c, 200, "application/json; charset=utf-8", out, strlen(out), NULL);
}

/* Review sign-off, from the API (JSON body) or a web form. */
static int do_review(struct kc_db *db, struct req *rq, const char *cabinet, const char *handover,
		     const char *note, char *msg, size_t len)
{
	long long h;
	int r;

	if (!cabinet || !handover || kc_parse_long(handover, 1, INT64_MAX, &h) < 0) {
		snprintf(msg, len, "cabinet and handover (a number) are required");
		return 400;
	}
	(void)rq;
	(void)note;
	r = kc_handover_review_check(db, cabinet, h);
	switch (r) {
	case -EPERM:
		snprintf(msg, len,
			 "交接班审阅在钥匙柜签字(keycab handover review %lld),事件到达后在此显示。"
			 " A review is signed at the cabinet; it shows here once its event arrives.",
			 h);
		return 409;
	case -ENOENT:
		snprintf(msg, len, "no handover %lld of cabinet %.64s", h, cabinet);
		return 404;
	case -EALREADY:
		snprintf(msg, len, "handover %lld of cabinet %.64s is already reviewed", h, cabinet);
		return 409;
	case -EAGAIN:
		snprintf(msg, len, "handover %lld of cabinet %.64s is not yet confirmed by the incoming staff", h,
			 cabinet);
		return 409;
	default:
		snprintf(msg, len, "database error");
		return 500;
	}
}

static enum MHD_Result h_api_review(struct kc_db *db, struct MHD_Connection *c, struct req *rq)
{
	json_t *b = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	json_t *h = json_object_get(b, "handover");
	char hs[32] = "", msg[256];
	int status;

	if (json_is_integer(h))
		snprintf(hs, sizeof(hs), "%lld", (long long)json_integer_value(h));
	status = do_review(db, rq, json_string_value(json_object_get(b, "cabinet")), hs[0] ? hs : NULL,
			   json_string_value(json_object_get(b, "note")), msg, sizeof(msg));
	json_decref(b);
	if (status != 200)
		return send_error(c, status, status == 404 ? "not_found" : status == 409 ? "conflict" : "bad_request",
				  msg);
	return send_json(c, 200, json_pack("{s:b, s:s}", "ok", 1, "message", msg));
}

static enum MHD_Result h_cabinets(struct kc_db *db, struct MHD_Connection *c, struct req *rq,
				  const char *method, const char *rest)
{
	char token[KC_TOKEN_LEN];
	json_t *b, *list;
	const char *id;
	sqlite3_stmt *st;
	int r;

	if (strcmp(method, "GET") == 0 && !*rest) {
		st = kc_db_stmt(db, "SELECT id, created_ms, last_seq, last_seen_ms FROM cabinets ORDER BY id");
		list = json_array();
		while (st && sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o}", "id", kc_column_json(st, 0),
							      "created_ms", kc_column_json(st, 1), "last_seq",
							      kc_column_json(st, 2), "last_seen_ms",
							      kc_column_json(st, 3)));
		if (st)
			sqlite3_reset(st);
		return send_json(c, 200, json_pack("{s:o}", "cabinets", list));
	}
	if (strcmp(method, "POST") != 0)
		return send_error(c, 405, "method", "use GET or POST");
	b = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	id = json_string_value(json_object_get(b, "id"));
	if (!id) {
		json_decref(b);
		return send_error(c, 400, "bad_request", "a JSON body {\"id\": \"CABINET\"} is required");
	}
	if (strcmp(rest, "/token") == 0)
		r = kc_cabinet_rotate(db, id, token);
	else if (!*rest)
		r = kc_cabinet_add(db, id, token);
	else
		r = -ENOTSUP;
	if (r == 0) {
		kc_notice("cabinet %s: %s by %s", id, *rest ? "token replaced" : "registered", rq->user);
		r = send_json(c, *rest ? 200 : 201,
			      json_pack("{s:b, s:s, s:s}", "ok", 1, "id", id, "token", token)) == MHD_YES ? 0 : -EIO;
		json_decref(b);
		return r == 0 ? MHD_YES : MHD_NO;
	}
	json_decref(b);
	if (r == -EEXIST)
		return send_error(c, 409, "conflict", "that cabinet is already registered");
	if (r == -EINVAL)
		return send_error(c, 400, "bad_request", "a cabinet id is 1 to 64 of A-Z a-z 0-9 . _ -");
	if (r == -ENOENT)
		return send_error(c, 404, "not_found", "no such cabinet");
	if (r == -ENOTSUP)
		return send_error(c, 404, "not_found", "no such route");
	return send_error(c, 500, "internal", "database error");
}

static enum MHD_Result h_login(struct kc_http *s, struct kc_db *db, struct MHD_Connection *c, struct req *rq)
{
	char user[KC_NAME_MAX + 1], pass[256], token[KC_TOKEN_LEN], cookie[200];
	enum kc_role role;
	int r;

	bool form;

	r = form_get(rq->body ? rq->body : "", rq->len, "user", user, sizeof(user));
	if (r == 0)
		r = form_get(rq->body, rq->len, "password", pass, sizeof(pass));
	form = r == 0;
	if (form)
		r = http_password_check(db, c, rq, user, pass, &role);
	if (r == -EAGAIN) {
		memset(pass, 0, sizeof(pass));
		return http_send_locked(c, false, rq->retry_s);
	}
	if (r < 0) {
		memset(pass, 0, sizeof(pass));
		kc_notice("web login failed for %s", form ? user : "(no user)");
		return send_html(c, 401, kc_web_login("用户名或密码错误 Wrong user name or password"), NULL);
	}
	memset(pass, 0, sizeof(pass));
	if (kc_auth_session_new(db, user, s->cfg->session_ttl_s, token) < 0)
		return send_html(c, 500, kc_web_login("database error"), NULL);
	kc_info("web login: %s (%s)", user, kc_role_name(role));
	snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", token,
		 s->cfg->session_ttl_s);
	return redirect(c, "/", cookie);
}

static bool csrf_ok(struct req *rq)
{
	char want[65], got[80];

	if (!rq->session[0])
		return false;
	csrf_of(rq->session, want);
	return form_get(rq->body ? rq->body : "", rq->len, "csrf", got, sizeof(got)) == 0 &&
	       strcmp(got, want) == 0;
}

/* ---- writes a browser can be made to send (CSRF) ---- */

/* A browser sends Origin with every POST and, lately, Sec-Fetch-Site;
 * other clients send neither. Either one naming another site refuses the
 * write, whatever credentials came with it (a browser adds cached basic
 * credentials and cookies to a cross-site form on its own). */
static bool http_same_origin(struct MHD_Connection *c)
{
	const char *sfs = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *auth;

	if (sfs && strcmp(sfs, "same-origin") != 0 && strcmp(sfs, "none") != 0)
		return false;
	if (!origin)
		return true;
	auth = strstr(origin, "://");
	return auth && host && (strncmp(origin, "http://", 7) == 0 || strncmp(origin, "https://", 8) == 0) &&
	       strcasecmp(auth + 3, host) == 0;
}

/* The media type of the body, without parameters, is application/json:
 * a page on another site cannot send that without a CORS preflight, which
 * keyauditd never grants. */
static bool http_json_body(struct MHD_Connection *c)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	size_t n = strlen("application/json");

	return ct && strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Every request that changes something, but the cabinets' ingest (a bearer
 * token, which a browser never adds by itself): refused when it comes from
 * another site, and an API write must carry a JSON body. MHD_YES/MHD_NO
 * when it answered the request, -1 to go on. */
static int http_write_guard(struct MHD_Connection *c, const char *url, const char *method)
{
	bool api = strncmp(url, "/api/", 5) == 0;

	if (!http_same_origin(c)) {
		const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

		kc_notice("%s %s refused: a cross-site request (Origin %s)", method, url, origin ? origin : "none");
		if (api)
			return send_error(c, 403, "cross_site",
					  "拒绝来自其他网站的请求 a request from another site is refused");
		return send_html(c, 403,
				 kc_web_message(NULL, "错误 Error",
						"拒绝来自其他网站的请求 A request from another site is refused"),
				 NULL);
	}
	if (api && !http_json_body(c)) {
		kc_notice("%s %s refused: the body is not application/json", method, url);
		return send_error(c, 415, "unsupported_media_type",
				  "写操作需要 \"Content-Type: application/json\" a write needs a JSON body"
				  " (Content-Type: application/json)");
	}
	return -1;
}

/* ---- routes ---- */

/* One request being answered. */
struct call {
	struct kc_http *s;
	struct kc_db *db;
	struct MHD_Connection *c;
	struct req *rq;
	const char *url, *method;
	const char *rest; /* what follows the path of a prefix route */
	bool api;	  /* under /api/: JSON answers, else HTML pages */
};

typedef enum MHD_Result (*route_fn)(struct call *k);

/* Who may call a route. */
enum route_access {
	ROUTE_OPEN,	/* anyone, from anywhere */
	ROUTE_BEARER,	/* a cabinet: the handler checks its bearer token, which a browser never adds */
	ROUTE_PUBLIC,	/* anyone; a write only from the service's own pages */
	ROUTE_USER,	/* a supervisor or an admin (session cookie or HTTP basic) */
	ROUTE_ADMIN,	/* an admin */
};

#define M_GET 1u /* and HEAD */
#define M_POST 2u
#define M_OTHER 4u
#define M_ANY (M_GET | M_POST | M_OTHER)

struct route {
	unsigned methods;
	const char *path;
	bool prefix; /* path is a prefix; the rest goes to the handler */
	enum route_access access;
	route_fn fn;
};

static enum MHD_Result r_healthz(struct call *k)
{
	return h_healthz(k->s, k->db, k->c);
}

static enum MHD_Result r_ingest(struct call *k)
{
	return h_ingest(k->s, k->db, k->c, k->rq);
}

static enum MHD_Result r_ingest_method(struct call *k)
{
	return send_error(k->c, 405, "method", "POST a JSON array of events");
}

static enum MHD_Result r_login(struct call *k)
{
	return h_login(k->s, k->db, k->c, k->rq);
}

static enum MHD_Result r_login_form(struct call *k)
{
	return send_html(k->c, 200, kc_web_login(NULL), NULL);
}

static enum MHD_Result r_report(struct call *k)
{
	return h_report(k->s, k->db, k->c, k->rq, k->rest, !k->api);
}

static enum MHD_Result r_api_review(struct call *k)
{
	return h_api_review(k->db, k->c, k->rq);
}

static enum MHD_Result r_cabinets(struct call *k)
{
	return h_cabinets(k->db, k->c, k->rq, k->method, k->rest);
}

static enum MHD_Result r_logout(struct call *k)
{
	if (!csrf_ok(k->rq))
		return send_error(k->c, 403, "forbidden", "bad form token");
	kc_auth_session_end(k->db, k->rq->session);
	return redirect(k->c, "/login", COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

static enum MHD_Result r_index(struct call *k)
{
	char csrf[65] = "";
	struct kc_web_page pg = { k->rq->user, kc_role_name(k->rq->role), csrf, 0, k->s->cfg->utc_offset_min };

	if (k->rq->session[0])
		csrf_of(k->rq->session, csrf);
	return send_html(k->c, 200, kc_web_index(&pg), NULL);
}

static enum MHD_Result r_web_review(struct call *k)
{
	char cab[KC_NAME_MAX + 1], ho[32], note[512] = "", msg[256], csrf[65];
	struct req *rq = k->rq;
	struct kc_web_page pg = { rq->user, kc_role_name(rq->role), csrf, 0, k->s->cfg->utc_offset_min };
	int status;

	csrf_of(rq->session, csrf);
	if (!csrf_ok(rq))
		return send_html(k->c, 403, kc_web_message(&pg, "错误 Error", "bad form token"), NULL);
	form_get(rq->body, rq->len, "note", note, sizeof(note));
	if (form_get(rq->body, rq->len, "cabinet", cab, sizeof(cab)) < 0 ||
	    form_get(rq->body, rq->len, "handover", ho, sizeof(ho)) < 0)
		return send_html(k->c, 400, kc_web_message(&pg, "错误 Error", "cabinet and handover are required"),
				 NULL);
	status = do_review(k->db, rq, cab, ho, note, msg, sizeof(msg));
	if (status != 200)
		return send_html(k->c, (unsigned)status, kc_web_message(&pg, "错误 Error", msg), NULL);
	return redirect(k->c, "/r/handovers", NULL);
}

static enum MHD_Result r_not_found(struct call *k)
{
	if (k->api)
		return send_error(k->c, 404, "not_found", "no such route");
	return send_html(k->c, 404, kc_web_message(NULL, "404", "no such page"), NULL);
}

/* The first row whose methods and path fit answers; the last fits every
 * request. service/README.md lists the routes. */
static const struct route routes[] = {
	{ M_ANY, "/healthz", false, ROUTE_OPEN, r_healthz },
	{ M_POST, "/api/v1/events", false, ROUTE_BEARER, r_ingest },
	{ M_ANY, "/api/v1/events", false, ROUTE_BEARER, r_ingest_method },
	{ M_POST, "/login", false, ROUTE_PUBLIC, r_login },
	{ M_ANY, "/login", false, ROUTE_PUBLIC, r_login_form },
	{ M_GET, "/api/v1/reports/", true, ROUTE_USER, r_report },
	{ M_POST, "/api/v1/handovers/review", false, ROUTE_USER, r_api_review },
	{ M_ANY, "/api/v1/cabinets", true, ROUTE_ADMIN, r_cabinets },
	{ M_POST, "/logout", false, ROUTE_USER, r_logout },
	{ M_GET, "/", false, ROUTE_USER, r_index },
	{ M_POST, "/r/handovers/review", false, ROUTE_USER, r_web_review },
	{ M_GET, "/r/", true, ROUTE_USER, r_report },
	{ M_ANY, "", true, ROUTE_USER, r_not_found },
};

static unsigned route_method(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return M_GET;
	return strcmp(method, "POST") == 0 ? M_POST : M_OTHER;
}

static const struct route *route_find(const char *url, unsigned method, const char **rest)
{
	const struct route *rt = routes;

	for (;; rt++) {
		size_t n = strlen(rt->path);

		if (!(rt->methods & method))
			continue;
		if (rt->prefix ? strncmp(url, rt->path, n) == 0 : strcmp(url, rt->path) == 0)
			break;
	}
	*rest = url + strlen(rt->path);
	return rt;
}

/* 401: a JSON answer on the API, the login form on pages, each with a
 * basic-auth challenge (a browser offers its own prompt first and shows
 * the form when that is cancelled). */
static enum MHD_Result http_send_unauthorized(struct MHD_Connection *c, bool api)
{
	static const char json[] = "{\"ok\":false,\"error\":\"unauthorized\"}";
	char *html = api ? NULL : kc_web_login(NULL);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (api) {
		r = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
	} else {
		if (!html)
			return MHD_NO;
		r = MHD_create_response_from_buffer(strlen(html), html, MHD_RESPMEM_MUST_FREE);
	}
	if (!r) {
		free(html);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", api ? "application/json" : "text/html; charset=utf-8");
	if (!api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_basic_auth_fail_response(c, "keyauditd", r);
	MHD_destroy_response(r);
	return ret;
}

/* Who may call what, in one place: the cross-site write guard, the
 * credentials (with the login backoff), the API's form-token rule and the
 * admin role. MHD_YES/MHD_NO when it answered the request, -1 to go on. */
static int http_access(struct call *k, const struct route *rt, unsigned method)
{
	int a;

	if (rt->access == ROUTE_OPEN || rt->access == ROUTE_BEARER)
		return -1;
	if (method != M_GET) {
		int g = http_write_guard(k->c, k->url, k->method);

		if (g >= 0)
			return g;
	}
	if (rt->access == ROUTE_PUBLIC)
		return -1;
	a = authenticate(k->db, k->c, k->rq);
	if (a == -EAGAIN)
		return http_send_locked(k->c, k->api, k->rq->retry_s);
	if (a < 0)
		return http_send_unauthorized(k->c, k->api);
	if (k->api && method == M_POST && k->rq->session[0] && !csrf_ok(k->rq))
		return send_error(k->c, 403, "forbidden", "use HTTP basic authentication for API writes");
	if (rt->access == ROUTE_ADMIN && k->rq->role != KC_ROLE_ADMIN)
		return send_error(k->c, 403, "forbidden", "managing cabinets needs the admin role");
	return -1;
}

static enum MHD_Result dispatch(struct kc_http *s, struct MHD_Connection *c, const char *url,
				const char *method, struct req *rq)
{
	struct call k = { s, kc_db_thread(), c, rq, url, method, "", strncmp(url, "/api/", 5) == 0 };
	unsigned m = route_method(method);
	const struct route *rt;
	int a;

	if (!k.db)
		return send_error(c, 503, "unavailable", "the audit database cannot be opened");
	rt = route_find(url, m, &k.rest);
	a = http_access(&k, rt, m);
	if (a >= 0)
		return (enum MHD_Result)a;
	return rt->fn(&k);
}

/* ---- before the body: connection limits and the cheap credential check ---- */

static enum MHD_Result send_closing(struct MHD_Connection *c, unsigned status, const char *error,
				    const char *message)
{
	json_t *j = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", error, "message", message);
	char *txt = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(j);
	if (!txt)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(txt), txt, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(txt);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "10");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool request_over_limit(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn_slot *slot = ci ? ci->socket_context : NULL;

	return slot && slot->over;
}

/* The largest body this request may send, once its credential is
 * checked: 0 when it takes none or the credential is not good. */
static size_t request_body_max(struct kc_http *s, struct kc_db *db, struct MHD_Connection *c, const char *url,
			       const char *method, struct req *rq)
{
	char cabinet[KC_NAME_MAX + 1];
	const char *auth;
	int r;

	if (strcmp(method, "POST") != 0 || !db)
		return 0;
	if (strcmp(url, "/login") == 0)
		return LOGIN_BODY_MAX;
	if (strcmp(url, "/api/v1/events") == 0) {
		auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		if (!auth || strncmp(auth, "Bearer ", 7) != 0 ||
		    kc_cabinet_by_token(db, auth + 7, cabinet, sizeof(cabinet)) < 0)
			return 0;
		return (size_t)s->cfg->body_limit;
	}
	r = authenticate(db, c, rq);
	rq->auth_rc = r;
	rq->auth_done = true;
	return r == 0 ? (size_t)s->cfg->body_limit : 0;
}

/* The request's first call, before any of its body is read: a connection
 * beyond its address's limit gets 503; a body goes with POST only; a body
 * over the limit by its Content-Length gets 413 and one without a good
 * credential the route's own refusal (401), neither read. */
static enum MHD_Result request_begin(struct kc_http *s, struct MHD_Connection *c, const char *url,
				     const char *method, struct req *rq)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	long long n = 0;
	size_t max;
	char msg[200];

	if (request_over_limit(c)) {
		snprintf(msg, sizeof(msg), "服务繁忙:来自同一地址的连接过多 Too many connections from your address"
			 " (limit %d); try again later", s->cfg->per_address_limit);
		return send_closing(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", msg);
	}
	if (cl && kc_parse_long(cl, 0, INT64_MAX, &n) < 0)
		return send_closing(c, MHD_HTTP_BAD_REQUEST, "bad_request", "bad Content-Length");
	if (n == 0 && !te)
		return MHD_YES;
	if (strcmp(method, "POST") != 0)
		return send_closing(c, MHD_HTTP_BAD_REQUEST, "bad_request", "only a POST request carries a body");
	max = strcmp(url, "/login") == 0 ? LOGIN_BODY_MAX : (size_t)s->cfg->body_limit;
	if (n > (long long)max) {
		snprintf(msg, sizeof(msg), "the request body is over the limit of %zu bytes; nothing was stored", max);
		kc_notice("%s %s: body over the limit (413)", method, url);
		return send_closing(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg);
	}
	rq->body_max = request_body_max(s, kc_db_thread(), c, url, method, rq);
	if (rq->body_max == 0)
		return dispatch(s, c, url, method, rq);
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct kc_http *s = cls;
	struct req *rq = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return request_begin(s, c, url, method, rq);
	}
	if (*upload_size) {
		size_t n = *upload_size;

		if (!rq->too_big && rq->len + n > rq->body_max) {
			rq->too_big = true;
			free(rq->body);
			rq->body = NULL;
			rq->len = rq->cap = 0;
		}
		if (!rq->too_big) {
			if (rq->len + n + 1 > rq->cap) {
				size_t cap = (rq->len + n + 1) * 2;
				char *nb;

				if (cap > rq->body_max + 1)
					cap = rq->body_max + 1;
				nb = realloc(rq->body, cap);
				if (!nb)
					return MHD_NO;
				rq->body = nb;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, upload, n);
			rq->len += n;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big) {
		char msg[128];

		snprintf(msg, sizeof(msg), "the request body is over the limit of %zu bytes; nothing was stored",
			 rq->body_max);
		kc_notice("%s %s: body over the limit (413)", method, url);
		return send_error(c, 413, "too_large", msg);
	}
	ret = dispatch(s, c, url, method, rq);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* libmicrohttpd's messages: fmt is its own format string. While starting
 * they are the start error; later a message repeated within
 * REFUSAL_LOG_MS is counted, not logged again. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct kc_http *s = cls;
	char line[256];
	long repeats = 0;
	int64_t now = kc_mono_ms();

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	pthread_mutex_lock(&s->lock);
	if (s->starting) {
		if (!s->start_err[0])
			kc_strlcpy(s->start_err, line, sizeof(s->start_err));
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (strcmp(line, s->last_log) == 0 && now - s->last_log_ms < REFUSAL_LOG_MS) {
		s->repeats++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	repeats = s->repeats;
	s->repeats = 0;
	s->last_log_ms = now;
	kc_strlcpy(s->last_log, line, sizeof(s->last_log));
	pthread_mutex_unlock(&s->lock);
	if (repeats)
		kc_warn("http: (the previous message came %ld more times)", repeats);
	kc_warn("http: %s", line);
}

/* ---- connections per client address ---- */

static int addr_cmp(const void *a, const void *b)
{
	const struct addr_count *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int addr_key(const struct sockaddr *sa, struct addr_count *k)
{
	memset(k, 0, sizeof(*k));
	if (!sa)
		return -EINVAL;
	k->family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(k->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(k->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	else
		return -EAFNOSUPPORT;
	return 0;
}

static void addr_text(const struct addr_count *k, char *out, size_t len)
{
	if (!inet_ntop(k->family, k->addr, out, (socklen_t)len))
		kc_strlcpy(out, "?", len);
}

/* Connections past the per-address limit that are still accepted, to be
 * answered 503; past these, a connection is closed at once. */
static int conn_grace(const struct kc_audit_config *cfg)
{
	return cfg->per_address_limit / 8 + 2;
}

/* Counts a refusal (503 or at accept); logs the counts once a period. */
static void conn_refusal(struct kc_http *s, const struct addr_count *k, bool at_accept)
{
	int64_t now = kc_mono_ms();
	long refused = 0, busy = 0;
	char addr[INET6_ADDRSTRLEN];

	pthread_mutex_lock(&s->lock);
	if (at_accept)
		s->refused++;
	else
		s->busy++;
	if (s->refusal_logged_ms == 0 || now - s->refusal_logged_ms >= REFUSAL_LOG_MS) {
		s->refusal_logged_ms = now;
		refused = s->refused;
		busy = s->busy;
		s->refused = s->busy = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (!refused && !busy)
		return;
	addr_text(k, addr, sizeof(addr));
	kc_warn("connections over the limit of %d per address (last from %s): %ld answered 503, %ld closed at"
		" once", s->cfg->per_address_limit, addr, busy, refused);
}

static enum MHD_Result conn_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct kc_http *s = cls;
	struct addr_count k, **found;
	bool refuse;

	(void)len;
	if (addr_key(sa, &k) < 0)
		return MHD_YES;
	pthread_mutex_lock(&s->lock);
	found = tfind(&k, &s->addrs, addr_cmp);
	refuse = found && (*found)->n >= s->cfg->per_address_limit + conn_grace(s->cfg);
	pthread_mutex_unlock(&s->lock);
	if (refuse)
		conn_refusal(s, &k, true);
	return refuse ? MHD_NO : MHD_YES;
}

static void conn_track(struct kc_http *s, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct conn_slot *slot;
	struct addr_count k, *ac, **found;

	if (!ci || addr_key(ci->client_addr, &k) < 0)
		return;
	slot = calloc(1, sizeof(*slot));
	ac = calloc(1, sizeof(*ac));
	if (!slot || !ac) {
		free(slot);
		free(ac);
		return;
	}
	*ac = k;
	pthread_mutex_lock(&s->lock);
	found = tsearch(ac, &s->addrs, addr_cmp);
	if (found && *found != ac)
		free(ac);
	if (found) {
		slot->ac = *found;
		slot->ac->n++;
		slot->over = slot->ac->n > s->cfg->per_address_limit;
	}
	pthread_mutex_unlock(&s->lock);
	if (!found) {
		free(ac);
		free(slot);
		return;
	}
	if (slot->over)
		conn_refusal(s, &k, false);
	*socket_context = slot;
}

static void conn_untrack(struct kc_http *s, struct conn_slot *slot)
{
	struct addr_count *ac = slot->ac;

	pthread_mutex_lock(&s->lock);
	if (--ac->n == 0)
		tdelete(ac, &s->addrs, addr_cmp);
	else
		ac = NULL;
	pthread_mutex_unlock(&s->lock);
	free(ac);
	free(slot);
}

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct kc_http *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_track(s, c, socket_context);
	else if (*socket_context) {
		conn_untrack(s, *socket_context);
		*socket_context = NULL;
	}
}

/* ---- start and stop ---- */

/* The whole of a PEM file (what names the [server] key). */
static int tls_read(const char *key, const char *path, const char *marker, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "[server] %s %s: %s", key, path, strerror(errno));
		return -errno;
	}
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (len < PEM_MAX && (n = read(fd, buf + len, PEM_MAX - len)) != 0) {
		if (n < 0) {
			int e = errno;

			snprintf(err, errlen, "[server] %s %s: %s", key, path, strerror(e));
			close(fd);
			free(buf);
			return -e;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (!strstr(buf, "-----BEGIN ") || !strstr(buf, marker)) {
		snprintf(err, errlen, "[server] %s %s: no PEM %s in it", key, path, marker);
		explicit_bzero(buf, len);
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

static void tls_free(struct kc_http *s)
{
	if (s->tls_key)
		explicit_bzero(s->tls_key, strlen(s->tls_key));
	free(s->tls_key);
	free(s->tls_cert);
	s->tls_key = s->tls_cert = NULL;
}

/* Raises the soft file limit to what the connection limit needs, up to the
 * hard limit; returns the connection limit the file limit allows. */
static unsigned server_nofile(const struct kc_audit_config *cfg)
{
	rlim_t want = (rlim_t)cfg->max_connections + NOFILE_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return (unsigned)cfg->max_connections;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { want < rl.rlim_max ? want : rl.rlim_max, rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = up.rlim_cur;
	}
	if (rl.rlim_cur >= want)
		return (unsigned)cfg->max_connections;
	kc_warn("the file limit (%llu) allows %llu connections, not [server] max_connections = %d: raise"
		" LimitNOFILE", (unsigned long long)rl.rlim_cur,
		(unsigned long long)(rl.rlim_cur > NOFILE_RESERVE + 16 ? rl.rlim_cur - NOFILE_RESERVE : 16),
		cfg->max_connections);
	return rl.rlim_cur > NOFILE_RESERVE + 16 ? (unsigned)(rl.rlim_cur - NOFILE_RESERVE) : 16;
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

static struct MHD_Daemon *server_mhd(struct kc_http *s, const struct sockaddr *sa, unsigned flags,
				     unsigned limit)
{
	const struct kc_audit_config *cfg = s->cfg;

	if (s->tls_cert)
		return MHD_start_daemon(flags | MHD_USE_TLS, (uint16_t)cfg->port, conn_accept, s, handler, s,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
					MHD_OPTION_SOCK_ADDR, sa,
					MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
					MHD_OPTION_NOTIFY_COMPLETED, completed, s,
					MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
					MHD_OPTION_CONNECTION_LIMIT, limit,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
					MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert,
					MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
					MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
					MHD_OPTION_END);
	return MHD_start_daemon(flags, (uint16_t)cfg->port, conn_accept, s, handler, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
				MHD_OPTION_CONNECTION_LIMIT, limit,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
				MHD_OPTION_END);
}

static void server_free(struct kc_http *s)
{
	tdestroy(s->addrs, free);
	tls_free(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct kc_http *kc_http_start(const struct kc_audit_config *cfg, struct kc_notifier *notifier, char *err,
				  size_t errlen)
{
	struct kc_http *s = calloc(1, sizeof(*s));
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char port[8];
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->notifier = notifier;
	pthread_mutex_init(&s->lock, NULL);
	if (cfg->tls_cert && (tls_read("tls_cert", cfg->tls_cert, "CERTIFICATE", &s->tls_cert, err, errlen) < 0 ||
			      tls_read("tls_key", cfg->tls_key, "PRIVATE KEY", &s->tls_key, err, errlen) < 0))
		goto free_s;
	if (kc_db_thread_init(cfg->db_path) < 0) {
		snprintf(err, errlen, "out of memory");
		goto free_s;
	}
	snprintf(port, sizeof(port), "%d", cfg->port);
	rc = getaddrinfo(cfg->listen, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", cfg->listen, gai_strerror(rc));
		goto free_s;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->starting = true;
	errno = 0;
	s->mhd = server_mhd(s, ai->ai_addr, flags, server_nofile(cfg));
	pthread_mutex_lock(&s->lock);
	s->starting = false;
	pthread_mutex_unlock(&s->lock);
	if (!s->mhd) {
		if (s->tls_cert && s->start_err[0])
			snprintf(err, errlen, "[server] tls_cert %s and tls_key %s: %s", cfg->tls_cert, cfg->tls_key,
				 s->start_err);
		else
			snprintf(err, errlen, "cannot listen on %s port %d: %s", cfg->listen, cfg->port,
				 s->start_err[0] ? s->start_err : errno ? strerror(errno) : "libmicrohttpd refused to start");
		freeaddrinfo(ai);
		goto free_s;
	}
	if (!s->tls_cert && !addr_is_loopback(ai->ai_addr))
		kc_warn("serving plain HTTP on %s, not a loopback address: tokens and names cross the network in"
			" clear; set [server] tls_cert and tls_key, or put a TLS proxy in front", cfg->listen);
	freeaddrinfo(ai);
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	return s;
free_s:
	server_free(s);
	return NULL;
}

int kc_http_port(const struct kc_http *s)
{
	return s->port;
}

void kc_http_stop(struct kc_http *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	server_free(s);
}
