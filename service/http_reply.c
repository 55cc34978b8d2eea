/* The answers: headers every response carries, JSON errors, pages, redirects,
 * and the refusals (locked, unauthorized, closing). */
#include "service/http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/web.h"

enum MHD_Result http_reply_buf(struct MHD_Connection *c, unsigned status, const char *ctype, char *buf,
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

enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (!s)
		return MHD_NO;
	return http_reply_buf(c, status, "application/json; charset=utf-8", s, strlen(s), NULL);
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned status, const char *error,
				 const char *message)
{
	return http_reply_json(c, status, json_pack("{s:b, s:s, s:s}", "ok", 0, "error", error, "message", message));
}

enum MHD_Result http_reply_html(struct MHD_Connection *c, unsigned status, char *html, const char *cookie)
{
	if (!html)
		return MHD_NO;
	return http_reply_buf(c, status, "text/html; charset=utf-8", html, strlen(html), cookie);
}

enum MHD_Result http_reply_redirect(struct MHD_Connection *c, const char *to, const char *cookie)
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

enum MHD_Result http_reply_locked(struct MHD_Connection *c, bool api, int retry_s)
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

/* A browser offers its own basic-auth prompt first and shows the login
 * form when that is cancelled. */
enum MHD_Result http_reply_unauthorized(struct MHD_Connection *c, bool api)
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

enum MHD_Result http_reply_closing(struct MHD_Connection *c, unsigned status, const char *error,
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
