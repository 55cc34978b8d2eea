/* The answers: headers every response carries, JSON errors, pages, redirects,
 * and the refusals (locked, unauthorized, closing). */
#include "service/http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/web.h"

/* The content security policy of keyauditd's answers: only the service's
 * own scripts (the dashboard's, which asks the service itself), inline
 * styles, forms to itself, no framing. */
#define REPLY_CSP                                                                                         \
	"default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self';" \
	" frame-ancestors 'none'"

/* The headers every answer carries (common/httpd/httpd.h), with the CSP. */
static void reply_headers(struct MHD_Response *r, const char *ctype)
{
	kc_httpd_headers(r, ctype, REPLY_CSP);
}

/* The response to body (malloc'd, consumed; NULL for none) with the
 * headers every answer carries. NULL when out of memory. */
static struct MHD_Response *reply_new(const char *ctype, char *body, size_t len)
{
	return kc_httpd_response(ctype, REPLY_CSP, body, len, true);
}

enum MHD_Result http_reply_buf(struct MHD_Connection *c, unsigned status, const char *ctype, char *buf,
			       size_t len, const char *cookie)
{
	struct MHD_Response *r = reply_new(ctype, buf, len);

	if (r && cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	return kc_httpd_queue(c, status, r);
}

/* {"ok": false, "error": error, "message": message}, with retry_after
 * when it is not 0, as text (malloc'd). */
static char *reply_error_text(const char *error, const char *message, int retry_after)
{
	json_t *j = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", error, "message", message);
	char *txt;

	if (j && retry_after)
		json_object_set_new(j, "retry_after", json_integer(retry_after));
	txt = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return txt;
}

static const char type_json[] = "application/json; charset=utf-8";
static const char type_html[] = "text/html; charset=utf-8";

enum MHD_Result http_reply_download(struct MHD_Connection *c, struct MHD_Response *r, const char *ctype,
				    const char *filename)
{
	char disp[200];

	if (!r)
		return MHD_NO;
	reply_headers(r, ctype);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
	MHD_add_response_header(r, "Content-Disposition", disp);
	return kc_httpd_queue(c, 200, r);
}

enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (!s)
		return MHD_NO;
	return http_reply_buf(c, status, type_json, s, strlen(s), NULL);
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned status, const char *error,
				 const char *message)
{
	char *txt = reply_error_text(error, message, 0);

	if (!txt)
		return MHD_NO;
	return http_reply_buf(c, status, type_json, txt, strlen(txt), NULL);
}

enum MHD_Result http_reply_html(struct MHD_Connection *c, unsigned status, char *html, const char *cookie)
{
	if (!html)
		return MHD_NO;
	return http_reply_buf(c, status, type_html, html, strlen(html), cookie);
}

enum MHD_Result http_reply_redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	struct MHD_Response *r = reply_new(NULL, NULL, 0);

	if (r)
		MHD_add_response_header(r, "Location", to);
	if (r && cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	return kc_httpd_queue(c, MHD_HTTP_SEE_OTHER, r);
}

enum MHD_Result http_reply_locked(struct MHD_Connection *c, bool api, int retry_s)
{
	static const struct kc_web_page english = { .english = true };
	char msg[200], ra[16];
	char *body;
	struct MHD_Response *r;

	/* the API in English, the sign-in page in Chinese (no account yet) */
	snprintf(msg, sizeof(msg), kc_web_t(api ? &english : NULL, "Too many failed sign-ins; try again in %d s"),
		 retry_s);
	body = api ? reply_error_text("too_many_attempts", msg, retry_s) : kc_web_login(NULL, msg);
	if (!body)
		return MHD_NO;
	r = reply_new(api ? type_json : type_html, body, strlen(body));
	snprintf(ra, sizeof(ra), "%d", retry_s);
	if (r)
		MHD_add_response_header(r, "Retry-After", ra);
	return kc_httpd_queue(c, 429, r);
}

/* No basic-auth challenge (WWW-Authenticate: Basic) on any answer: a
 * browser would offer its own prompt, which has no way to sign out. API
 * clients send their credentials with the request (curl -u does). */
enum MHD_Result http_reply_unauthorized(struct MHD_Connection *c, bool api, bool get)
{
	if (!api && get)
		return http_reply_redirect(c, "/login", NULL);
	if (!api)
		return http_reply_html(c, 401, kc_web_login(NULL, kc_web_t(NULL, "Please sign in")), NULL);
	return http_reply_error(c, 401, "unauthorized",
				"credentials needed: HTTP basic authentication or a session");
}

enum MHD_Result http_reply_closing(struct MHD_Connection *c, unsigned status, const char *error,
				   const char *message)
{
	char *txt = reply_error_text(error, message, 0);
	struct MHD_Response *r;

	if (!txt)
		return MHD_NO;
	r = reply_new(type_json, txt, strlen(txt));
	kc_httpd_close(r);
	if (r) {
		if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
			MHD_add_response_header(r, "Retry-After", "10");
	}
	return kc_httpd_queue(c, status, r);
}
