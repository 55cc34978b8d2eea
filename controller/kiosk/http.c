/* The terminal's HTTP server (libmicrohttpd, a thread per connection so
 * that a page's event stream can wait for the next message, through the
 * layer it shares with keyauditd: common/httpd/): 127.0.0.1 only, one
 * route table, every response with the shared security headers and a
 * strict Content-Security-Policy. It serves one screen, the one paired
 * (pair.c): the routes marked "screen" answer 401 to any request without
 * its cookie, before anything is asked of keycabd (and before a body is
 * read). Routes (controller/README.md, "The
 * terminal"):
 *
 *   GET  /                 the page (www/index.html) for the screen; to
 *                          any other browser, a page that says why not (401)
 *   GET  /pair?key=KEY     the display pairs: the screen's cookie, then /
 *   GET  /static/<file>    the other files of www/
 *   GET  /api/events       screen: server-sent events (relay.c)
 *   GET  /api/roster       screen: keycabd's roster
 *   POST /api/login        screen: {"person","pin"}: a login at keycabd
 *   POST /api/logout       screen
 *   POST /api/op/<op>      screen: an op of the allow-list (ops.c), sent
 *                          with the session
 *   GET  /api/pinyin?q=    screen: the on-screen keyboard's words for a
 *                          pinyin, &next=1 with the next letters' (osk.c)
 *   GET  /api/phrases      screen: its quick phrases, and whether it has
 *                          a dictionary
 *   GET  /api/speech/<prompt>?slot=S&lang=L
 *                          screen: a spoken prompt as a WAV (voice.c)
 *   POST /api/enrol        screen: {"person","code","pin","pin_again"}:
 *                          a first sign-in with the office's enrolment
 *                          code, then logged in (estate.c)
 *   GET  /api/settings     screen: the site's settings from keycabd when
 *                          the office manages the cabinet (estate.c)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/httpd/httpd.h"
#include "common/log.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/kiosk.h"

#define HTTP_BODY_MAX 65536
#define HTTP_TIMEOUT_S 60
#define HTTP_STREAM_BLOCK 4096
#define HTTP_PAIR_LOG_MS 10000 /* a wrong pairing key: one log line in this long */
#define HTTP_JSON "application/json; charset=utf-8"
#define HTTP_CSP                                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self';" \
	" connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"             \
	" frame-ancestors 'none'"

struct kiosk_http {
	struct MHD_Daemon *mhd;
	int port;
};

/* Per request: the body the shared layer keeps (rq->body, rq->len), then
 * the kiosk's own. */
struct http_req {
	KC_HTTPD_REQ;
	char cookie[KIOSK_COOKIE_LEN]; /* the screen's, when screen is not 0 */
	uint64_t screen;	       /* the pairing whose cookie came; 0: none did */
};

static int http_port;

/* Pairings refused since the last line logged about them. */
static struct {
	pthread_mutex_t lock;
	int64_t logged_ms;
	unsigned count;
} http_refused = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- responses ---- */

/* cookie: the screen's, given with a pairing; NULL: none. data is freed
 * when free_data, else kept for the response's life. */
static enum MHD_Result http_send(struct MHD_Connection *c, const char *cookie, unsigned status, const char *type,
				 const char *data, size_t len, bool free_data)
{
	struct MHD_Response *r = kc_httpd_response(type, HTTP_CSP, data, len, free_data);

	if (r && cookie) {
		char v[KIOSK_COOKIE_LEN + 64];

		snprintf(v, sizeof(v), KIOSK_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", cookie);
		MHD_add_response_header(r, "Set-Cookie", v);
		sodium_memzero(v, sizeof(v));
	}
	return kc_httpd_queue(c, status, r);
}

static enum MHD_Result http_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s)
		return MHD_NO;
	return http_send(c, NULL, status, HTTP_JSON, s, strlen(s), true);
}

/* An answer for the page, with its text in both languages (ops.c). */
static enum MHD_Result http_answer(struct MHD_Connection *c, unsigned status, json_t *j)
{
	kiosk_text_add(j);
	return http_json(c, status, j);
}

/* The kiosk's own error (common/msgs/kiosk.def). */
static enum MHD_Result http_error(struct MHD_Connection *c, unsigned status, enum kc_msg_code code)
{
	return http_json(c, status, kiosk_error(code));
}

static enum MHD_Result http_keycabd_down(struct MHD_Connection *c)
{
	return http_error(c, 503, KCM_kiosk_keycabd_down);
}

/* ---- the page's files ---- */

static const struct kiosk_file *http_file(const char *name)
{
	for (size_t i = 0; i < kiosk_www_count; i++)
		if (strcmp(kiosk_www[i].name, name) == 0)
			return &kiosk_www[i];
	return NULL;
}

/* Whether the client's Accept-Encoding takes gzip: a "gzip" coding whose
 * q parameter, if any, is not zero. */
static bool http_takes_gzip(struct MHD_Connection *c)
{
	const char *p = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);

	while (p && *p) {
		size_t n, k;

		p += strspn(p, " \t,");
		n = strcspn(p, ",");	 /* one coding and its parameters */
		k = strcspn(p, " \t;,"); /* its name */
		if (k == 4 && strncasecmp(p, "gzip", 4) == 0) {
			for (size_t i = k; i < n; i++)
				if (p[i] == ';') {
					size_t j = i + 1 + strspn(p + i + 1, " \t");

					if ((p[j] == 'q' || p[j] == 'Q') && p[j + 1] == '=')
						return strtod(p + j + 2, NULL) > 0;
				}
			return true;
		}
		p += n;
	}
	return false;
}

static enum MHD_Result http_send_file(struct MHD_Connection *c, const char *name)
{
	const struct kiosk_file *f = http_file(name);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct MHD_Response *r;
	const unsigned char *data;
	const char *etag;
	size_t len;
	bool same, gz;

	if (!f)
		return http_error(c, 404, KCM_kiosk_no_file);
	gz = f->gz && http_takes_gzip(c);
	data = gz ? f->gz : f->data;
	len = gz ? f->gz_len : f->len;
	etag = gz ? f->gz_etag : f->etag;
	same = inm && strcmp(inm, etag) == 0;
	r = kc_httpd_response(f->type, HTTP_CSP, same ? NULL : (const char *)data, same ? 0 : len, false);
	if (r) {
		/* the files change with the program only: asked again, by their ETag */
		MHD_del_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
		if (f->gz)
			MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
		if (gz && !same)
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	return kc_httpd_queue(c, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
}

/* text with & < > " as HTML entities, into out (cut short to fit). */
static void http_html_text(const char *text, char *out, size_t len)
{
	size_t n = 0;

	for (; *text && n + 7 < len; text++) {
		const char *e = *text == '&' ? "&amp;" : *text == '<' ? "&lt;" : *text == '>' ? "&gt;" : *text == '"' ? "&quot;" : NULL;

		if (e) {
			memcpy(out + n, e, strlen(e));
			n += strlen(e);
		} else {
			out[n++] = *text;
		}
	}
	out[n] = '\0';
}

/* A page that says, in Chinese and in English, why the browser gets no
 * terminal (a browser opens / and shows it as it is). */
static enum MHD_Result http_refusal_page(struct MHD_Connection *c, unsigned status, enum kc_msg_code code)
{
	json_t *m = kc_msg_new(code, NULL);
	char zh[1024], en[1024], hzh[2048], hen[2048], *page = NULL;

	if (!m || kc_msg_render(m, KC_LANG_ZH, zh, sizeof(zh)) < 0 || kc_msg_render(m, KC_LANG_EN, en, sizeof(en)) < 0) {
		json_decref(m);
		return MHD_NO;
	}
	json_decref(m);
	http_html_text(zh, hzh, sizeof(hzh));
	http_html_text(en, hen, sizeof(hen));
	if (asprintf(&page,
		     "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>keycab</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n"
		     "<body class=\"refused\">\n<main data-t=\"%s\">\n<p lang=\"zh-CN\">%s</p>\n<p lang=\"en\">%s</p>\n"
		     "</main>\n</body>\n</html>\n",
		     kc_msg_name(code), hzh, hen) < 0)
		return MHD_NO;
	return http_send(c, NULL, status, "text/html; charset=utf-8", page, strlen(page), true);
}

static enum MHD_Result h_index(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	(void)rest;
	if (!rq->screen)
		return http_refusal_page(c, 401, KCM_kiosk_not_paired);
	return http_send_file(c, "index.html");
}

/* One line in HTTP_PAIR_LOG_MS about wrong pairing keys, with how many. */
static void http_pair_refused(void)
{
	int64_t now = kc_mono_ms();
	unsigned n = 0;

	pthread_mutex_lock(&http_refused.lock);
	http_refused.count++;
	if (!http_refused.logged_ms || now - http_refused.logged_ms >= HTTP_PAIR_LOG_MS) {
		n = http_refused.count;
		http_refused.count = 0;
		http_refused.logged_ms = now;
	}
	pthread_mutex_unlock(&http_refused.lock);
	if (n)
		kc_notice("a pairing with a wrong key was refused (%u since the last such line)", n);
}

/* The page the pairing answers with: it replaces itself with / (the
 * pairing URL, with its key, leaves the browser's history). */
static const char http_paired_page[] = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
				       "<title>keycab</title>\n<script src=\"/static/pair.js\"></script>\n</head>\n"
				       "<body></body>\n</html>\n";

static enum MHD_Result h_pair(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	const char *key = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
	char cookie[KIOSK_COOKIE_LEN], old[KIOSK_COOKIE_LEN], token[KIOSK_TOKEN_MAX];
	enum MHD_Result ret;

	(void)rq;
	(void)rest;
	if (kiosk_pair(key, cookie, old) < 0) {
		http_pair_refused();
		return http_refusal_page(c, 401, KCM_kiosk_pairing_wrong);
	}
	kc_notice("a screen was paired%s", old[0] ? "; the screen paired before is refused from now on" : "");
	if (old[0] && kiosk_session_end(old, token) == 0) {
		kiosk_logout_token(token, NULL, "replaced");
		sodium_memzero(token, sizeof(token));
	}
	sodium_memzero(old, sizeof(old));
	kiosk_relay_wake();
	ret = http_send(c, cookie, 200, "text/html; charset=utf-8", http_paired_page, strlen(http_paired_page), false);
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

static enum MHD_Result h_static(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	(void)rq;
	return http_send_file(c, rest);
}

/* ---- the event stream ---- */

static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	long n = kiosk_stream_read(cls, buf, max);

	(void)pos;
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void http_stream_free(void *cls)
{
	kiosk_stream_close(cls);
}

static enum MHD_Result h_events(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	struct kiosk_stream *s;
	struct MHD_Response *r;
	int rc = kiosk_stream_open(rq->cookie, rq->screen, &s);

	(void)rest;
	if (rc == -EMFILE)
		return http_error(c, 503, KCM_kiosk_too_many_pages);
	if (rc < 0)
		return http_error(c, 503, KCM_kiosk_stopping);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, http_stream_read, s,
					      http_stream_free);
	if (!r) {
		kiosk_stream_close(s);
		return MHD_NO;
	}
	kc_httpd_headers(r, "text/event-stream; charset=utf-8", HTTP_CSP);
	return kc_httpd_queue(c, MHD_HTTP_OK, r);
}

/* ---- keycabd ---- */

/* The request body as a JSON object ({} for none); NULL for anything else. */
static json_t *http_body_object(const struct http_req *rq)
{
	json_t *j;

	if (!rq->len)
		return json_object();
	j = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static enum MHD_Result http_bad_body(struct MHD_Connection *c)
{
	return http_error(c, 400, KCM_kiosk_bad_body);
}

static enum MHD_Result h_roster(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	json_t *req = json_pack("{s:s}", "op", "roster"), *rep = NULL;
	char err[256];
	int r;

	(void)rq;
	(void)rest;
	if (req)
		kiosk_keycabd_add_key(req);
	r = req ? kiosk_keycabd_call(req, &rep, err, sizeof(err)) : -ENOMEM;
	json_decref(req);
	if (r < 0)
		return http_keycabd_down(c);
	return http_answer(c, 200, rep);
}

static enum MHD_Result h_login(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	json_t *req = http_body_object(rq), *rep;
	const char *key;
	json_t *v;
	int rc = 0;

	(void)rest;
	if (!req)
		return http_bad_body(c);
	json_object_foreach(req, key, v) {
		if ((strcmp(key, "person") != 0 && strcmp(key, "pin") != 0) || !json_is_string(v)) {
			kc_secret_wipe_request(req);
			json_decref(req);
			return http_error(c, 400, KCM_kiosk_login_fields);
		}
	}
	if (!json_object_get(req, "person") || !json_object_get(req, "pin")) {
		kc_secret_wipe_request(req);
		json_decref(req);
		return http_error(c, 400, KCM_kiosk_login_incomplete);
	}
	rep = kiosk_login(req, rq->cookie, "PIN", &rc);
	json_decref(req);
	if (!rep)
		return http_keycabd_down(c);
	return http_answer(c, 200, rep);
}

static enum MHD_Result h_enrol(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	json_t *req = http_body_object(rq), *rep;
	unsigned status;

	(void)rest;
	if (!req)
		return http_bad_body(c);
	rep = kiosk_estate_enrol(req, rq->cookie, &status);
	json_decref(req);
	return http_answer(c, status, rep);
}

static enum MHD_Result h_logout(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	char token[KIOSK_TOKEN_MAX];

	(void)rest;
	if (kiosk_session_end(rq->cookie, token) == 0) {
		kiosk_logout_token(token, rq->cookie, "logout");
		sodium_memzero(token, sizeof(token));
	}
	return http_json(c, 200, json_pack("{s:b}", "ok", 1));
}

static enum MHD_Result h_op(struct MHD_Connection *c, struct http_req *rq, const char *op)
{
	enum kiosk_op_access access = kiosk_ops_access(op);
	char token[KIOSK_TOKEN_MAX], err[256];
	json_t *req, *rep = NULL;
	int r;

	if (!access) {
		kc_notice("a page asked for op \"%.64s\", which the terminal does not offer", op);
		return http_error(c, 403, KCM_kiosk_op_not_allowed);
	}
	req = http_body_object(rq);
	if (!req)
		return http_bad_body(c);
	json_object_set_new(req, "op", json_string(op));
	json_object_del(req, "session");
	if (access == KIOSK_OP_SESSION || access == KIOSK_OP_PROBE) {
		if (kiosk_session_use(rq->cookie, token, NULL) < 0) {
			json_t *no = kc_msg_new(KCM_kiosk_login_first, NULL);

			kc_secret_wipe_request(req);
			json_decref(req);
			if (no && json_object_update_new(no, json_pack("{s:b, s:b, s:i, s:s, s:[s]}", "ok", 0, "refused",
								       1, "rule", 1, "reason",
								       kc_msg_template(KCM_kiosk_login_first),
								       "missing", "login")) < 0) {
				json_decref(no);
				no = NULL;
			}
			return http_answer(c, access == KIOSK_OP_PROBE ? 200 : 401, no);
		}
		json_object_set_new(req, "session", json_string(token));
		sodium_memzero(token, sizeof(token));
	}
	r = kiosk_keycabd_call(req, &rep, err, sizeof(err));
	json_decref(req);
	if (r < 0) {
		kc_warn("op %s: %s", op, err);
		return http_keycabd_down(c);
	}
	return http_answer(c, 200, rep);
}

/* ---- the on-screen keyboard (osk.c) ---- */

static enum MHD_Result h_pinyin(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	enum kc_msg_code code = KCM_osk_bad_query;
	json_t *rep = kiosk_osk_pinyin(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q"),
				       MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "next"), &code);

	(void)rq;
	(void)rest;
	if (!rep)
		return http_error(c, code == KCM_osk_no_dictionary ? 503 : 400, code);
	return http_json(c, 200, rep);
}

static enum MHD_Result h_phrases(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	(void)rq;
	(void)rest;
	return http_json(c, 200, kiosk_estate_phrases(kiosk_osk_phrases()));
}

static enum MHD_Result h_settings(struct MHD_Connection *c, struct http_req *rq, const char *rest)
{
	(void)rq;
	(void)rest;
	return http_json(c, 200, kiosk_estate_settings());
}

/* ---- spoken prompts ---- */

static enum MHD_Result h_speech(struct MHD_Connection *c, struct http_req *rq, const char *prompt)
{
	const char *slot = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "slot");
	const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
	unsigned char *wav = NULL;
	size_t len = 0;
	int r;

	(void)rq;
	r = kiosk_voice_wav(prompt, slot, lang, &wav, &len);
	if (r == -EPERM)
		return http_error(c, 404, KCM_voice_off);
	if (r == -ENOENT)
		return http_error(c, 404, KCM_voice_no_prompt);
	if (r < 0) {
		kc_warn("spoken prompt %.32s: espeak-ng: %s", prompt, strerror(-r));
		return http_error(c, 503, KCM_voice_failed);
	}
	return http_send(c, NULL, 200, "audio/wav", (const char *)wav, len, true);
}

/* ---- routes ---- */

enum http_who {
	HTTP_ANYONE = 1, /* the handler looks at rq->screen itself, if at all */
	HTTP_SCREEN,	 /* the paired screen only: anyone else gets 401 */
};

struct http_route {
	unsigned methods; /* KC_HTTPD_GET (and HEAD), KC_HTTPD_POST */
	const char *path;
	bool prefix; /* path is a prefix; the rest (not empty) goes to the handler */
	enum http_who who;
	enum MHD_Result (*handler)(struct MHD_Connection *c, struct http_req *rq, const char *rest);
};

static const struct http_route http_routes[] = {
	{ KC_HTTPD_GET, "/", false, HTTP_ANYONE, h_index },
	{ KC_HTTPD_GET, "/pair", false, HTTP_ANYONE, h_pair },
	{ KC_HTTPD_GET, "/static/", true, HTTP_ANYONE, h_static },
	{ KC_HTTPD_GET, "/api/events", false, HTTP_SCREEN, h_events },
	{ KC_HTTPD_GET, "/api/roster", false, HTTP_SCREEN, h_roster },
	{ KC_HTTPD_POST, "/api/login", false, HTTP_SCREEN, h_login },
	{ KC_HTTPD_POST, "/api/logout", false, HTTP_SCREEN, h_logout },
	{ KC_HTTPD_POST, "/api/op/", true, HTTP_SCREEN, h_op },
	{ KC_HTTPD_GET, "/api/pinyin", false, HTTP_SCREEN, h_pinyin },
	{ KC_HTTPD_GET, "/api/phrases", false, HTTP_SCREEN, h_phrases },
	{ KC_HTTPD_GET, "/api/speech/", true, HTTP_SCREEN, h_speech },
	{ KC_HTTPD_POST, "/api/enrol", false, HTTP_SCREEN, h_enrol },
	{ KC_HTTPD_GET, "/api/settings", false, HTTP_SCREEN, h_settings },
};

/* The route of url: the first row whose path fits; *rest: what follows a
 * prefix. NULL when none fits. */
static const struct http_route *http_route(const char *url, const char **rest)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(http_routes); i++) {
		const struct http_route *rt = &http_routes[i];

		if (kc_httpd_route_match(KC_HTTPD_ANY, rt->path, rt->prefix, KC_HTTPD_ANY, url, rest) &&
		    (!rt->prefix || **rest))
			return rt;
	}
	return NULL;
}

/* The Host the page was loaded from must be this server by its loopback
 * name (a page of another site that resolves a name of its own to
 * 127.0.0.1 is not served); a write's Origin is then this server's
 * (kc_httpd_same_origin compares it with the Host). */
static bool http_host_ok(struct MHD_Connection *c)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	char a[64], b[64];

	if (!host)
		return false;
	snprintf(a, sizeof(a), "127.0.0.1:%d", http_port);
	snprintf(b, sizeof(b), "localhost:%d", http_port);
	return strcmp(host, a) == 0 || strcasecmp(host, b) == 0;
}

/* Whether the request carries the paired screen's cookie; any other
 * cookie is as none (the kiosk binds only the cookies it issued). */
static void http_cookie_of(struct MHD_Connection *c, struct http_req *rq)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, KIOSK_COOKIE);

	rq->screen = kiosk_pair_check(v);
	if (rq->screen)
		kc_strlcpy(rq->cookie, v, sizeof(rq->cookie));
}

/* Who may ask what, in one place: this server's Host, the route, its
 * method, a write from the terminal's own page (JSON, the same origin),
 * the paired screen's cookie. 0 with *rt and *rest, or the refusal's
 * status with its code in *code. */
static unsigned http_access(struct MHD_Connection *c, struct http_req *rq, const char *url, const char *method,
			    const struct http_route **rt, const char **rest, enum kc_msg_code *code)
{
	unsigned m = kc_httpd_method(method);

	*code = KCM_kiosk_wrong_host;
	if (!http_host_ok(c))
		return 421;
	*rt = http_route(url, rest);
	*code = *rt ? KCM_kiosk_method : KCM_kiosk_no_page;
	if (!*rt)
		return 404;
	if (!((*rt)->methods & m))
		return 405;
	*code = KCM_kiosk_not_own_page;
	if (m == KC_HTTPD_POST && !(kc_httpd_json_body(c) && kc_httpd_same_origin(c)))
		return 403;
	http_cookie_of(c, rq);
	*code = KCM_kiosk_not_paired;
	if ((*rt)->who == HTTP_SCREEN && !rq->screen)
		return 401;
	return 0;
}

/* ---- the shared layer's hooks ---- */

static size_t http_body_limit(void *cls, const char *url)
{
	const char *rest;
	const struct http_route *rt = http_route(url, &rest);

	(void)cls;
	return rt && (rt->methods & KC_HTTPD_POST) ? HTTP_BODY_MAX : 0;
}

/* A body is read only for a request the route would take. */
static bool http_body_admit(void *cls, struct MHD_Connection *c, const char *url, struct kc_httpd_req *rq)
{
	const struct http_route *rt;
	const char *rest;
	enum kc_msg_code code;

	(void)cls;
	return http_access(c, (struct http_req *)(void *)rq, url, "POST", &rt, &rest, &code) == 0;
}

static enum MHD_Result http_dispatch(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				     struct kc_httpd_req *hrq)
{
	struct http_req *rq = (struct http_req *)(void *)hrq;
	const struct http_route *rt;
	const char *rest = "";
	enum kc_msg_code code;
	unsigned status = http_access(c, rq, url, method, &rt, &rest, &code);

	(void)cls;
	if (status)
		return http_error(c, status, code);
	return rt->handler(c, rq, rest);
}

/* The shared layer's refusals as the kiosk's own errors. */
static enum MHD_Result http_refuse(void *cls, struct MHD_Connection *c, enum kc_httpd_refusal why, size_t limit,
				   bool close)
{
	json_t *e = kiosk_error(why == KC_HTTPD_TOO_LARGE ? KCM_kiosk_too_large :
				why == KC_HTTPD_BAD_LENGTH ? KCM_httpd_bad_length : KCM_httpd_not_post);
	char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
	struct MHD_Response *r = s ? kc_httpd_response(HTTP_JSON, HTTP_CSP, s, strlen(s), true) : NULL;

	(void)cls;
	(void)limit;
	json_decref(e);
	if (close)
		kc_httpd_close(r);
	return kc_httpd_queue(c, why == KC_HTTPD_TOO_LARGE ? 413 : 400, r);
}

static const struct kc_httpd_server http_server = {
	.req_size = sizeof(struct http_req),
	.body_limit = http_body_limit,
	.body_admit = http_body_admit,
	.dispatch = http_dispatch,
	.refuse = http_refuse,
};

static void http_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	kc_warn("http: %s", line);
}

int kiosk_http_start(const struct kiosk_conf *conf, struct kiosk_http **out, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)conf->port) };
	struct kiosk_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ERROR_LOG;
#if defined(__SANITIZE_ADDRESS__)
	size_t stack = 0; /* the sanitizer's frames need the default */
#else
	size_t stack = (size_t)256 * 1024;
#endif

	if (!h)
		return -ENOMEM;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->mhd = MHD_start_daemon(flags, (uint16_t)conf->port, NULL, NULL, kc_httpd_handler, (void *)&http_server,
				  MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_NOTIFY_COMPLETED, kc_httpd_completed, (void *)&http_server,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)(conf->max_streams + 16),
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
				  MHD_OPTION_THREAD_STACK_SIZE, stack,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%d (in use, or not allowed)", conf->port);
		free(h);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : conf->port;
	http_port = h->port;
	*out = h;
	return 0;
}

int kiosk_http_port(const struct kiosk_http *h)
{
	return h->port;
}

void kiosk_http_stop(struct kiosk_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
