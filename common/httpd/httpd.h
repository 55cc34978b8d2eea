/* The HTTP layer keyauditd and keycab-kiosk share, on libmicrohttpd:
 *
 *   server.c   a request's way in (its body within the server's limit,
 *              400 and 413 before a byte of it is read), its end (the
 *              body wiped) and its log line
 *   route.c    route matching: methods, a path or a path prefix
 *   reply.c    the headers every answer carries, a response queued
 *   guard.c    the same-origin guard of writes, a JSON body's media type
 *
 * Each server keeps its own route table (rows, handlers), its access
 * classes and the shape of its refusals (struct kc_httpd_server). The log
 * line of an answer holds its method, path (never its query: no pairing
 * key, no filter), status and time, never a header or a body: at info for
 * a refusal or an error (4xx, 5xx), at debug for the rest. */
#ifndef KC_COMMON_HTTPD_H
#define KC_COMMON_HTTPD_H
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- route.c ---- */
#define KC_HTTPD_GET 1u /* and HEAD */
#define KC_HTTPD_POST 2u
#define KC_HTTPD_OTHER 4u
#define KC_HTTPD_ANY (KC_HTTPD_GET | KC_HTTPD_POST | KC_HTTPD_OTHER)

/* The method's bit: KC_HTTPD_GET for GET and HEAD, KC_HTTPD_POST, else
 * KC_HTTPD_OTHER. */
unsigned kc_httpd_method(const char *method);
/* Whether a route row (methods: KC_HTTPD_* bits; path, a prefix when
 * prefix is true) answers method (one bit) on url; *rest gets what follows
 * the path ("" for a whole path). */
bool kc_httpd_route_match(unsigned methods, const char *path, bool prefix, unsigned method, const char *url,
			  const char **rest);

/* ---- server.c ---- */
#define KC_HTTPD_LOG_PATH 96 /* a logged path is cut to this (with its NUL) */

/* What the layer keeps of a request. A server's own request struct starts
 * with it as KC_HTTPD_REQ (so that its handlers read rq->body, rq->len). */
#define KC_HTTPD_REQ_MEMBERS                                                      \
	char *body; /* NUL-terminated; NULL: none came */                         \
	size_t len, cap;                                                          \
	size_t body_max; /* 0: the request's body is not kept */                  \
	bool too_big;	 /* the body went past body_max: nothing of it is kept */ \
	int64_t start_ms;                                                         \
	char log_method[8];                                                       \
	char log_path[KC_HTTPD_LOG_PATH];

struct kc_httpd_req {
	KC_HTTPD_REQ_MEMBERS
};

#define KC_HTTPD_REQ                        \
	union {                             \
		struct kc_httpd_req http;   \
		struct {                    \
			KC_HTTPD_REQ_MEMBERS \
		};                          \
	}

/* Why the layer refuses a request by itself. */
enum kc_httpd_refusal {
	KC_HTTPD_BAD_LENGTH = 1, /* 400: a Content-Length that is no number */
	KC_HTTPD_NOT_POST,	 /* 400: a body with another method than POST */
	KC_HTTPD_TOO_LARGE,	 /* 413: a body over the route's limit */
};

/* What a server gives the layer: MHD's access handler and completion
 * callbacks (kc_httpd_handler, kc_httpd_completed) take it as their cls. */
struct kc_httpd_server {
	void *cls;	 /* the server's own, given to each call below */
	size_t req_size; /* its request struct (KC_HTTPD_REQ first) */
	/* The request's first call, before anything else: MHD_YES/MHD_NO when
	 * it answered the request (NULL: none), -1 to go on. Its answers have
	 * no log line of the layer (a flood of them is the server's to count). */
	int (*begin)(void *cls, struct MHD_Connection *c, struct kc_httpd_req *rq);
	/* The largest body a POST to url takes: 0 when it takes none (then it
	 * is answered without reading it). */
	size_t (*body_limit)(void *cls, const char *url);
	/* Whether the caller's credentials admit the body of a POST to url
	 * (NULL: any caller's); when not, the request is answered at once,
	 * its body unread (the route's own refusal). */
	bool (*body_admit)(void *cls, struct MHD_Connection *c, const char *url, struct kc_httpd_req *rq);
	/* Answers the request (the body, when one came, in rq). */
	enum MHD_Result (*dispatch)(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				    struct kc_httpd_req *rq);
	/* Answers a refusal of the layer in the server's own form; limit is
	 * the body limit for KC_HTTPD_TOO_LARGE. close: the body was not read,
	 * the answer must close the connection (kc_httpd_close). */
	enum MHD_Result (*refuse)(void *cls, struct MHD_Connection *c, enum kc_httpd_refusal why, size_t limit,
				  bool close);
};

/* libmicrohttpd's access handler and request-completed callback (cls: a
 * struct kc_httpd_server, which outlives the daemon). */
enum MHD_Result kc_httpd_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **con_cls);
void kc_httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);

/* ---- reply.c ---- */
/* Adds the headers every answer carries: ctype (NULL: none), no caching,
 * no sniffing, the referrer sent to the server's own pages only (so a
 * browser's write carries the page's Origin, which the guard checks),
 * no framing, no opener or embedding from another origin, and csp (NULL:
 * none), the server's Content-Security-Policy. */
void kc_httpd_headers(struct MHD_Response *r, const char *ctype, const char *csp);
/* A response to body (malloc'd and consumed when free_body, else kept by
 * the caller for the response's life; NULL: an empty one) with the
 * headers. NULL when out of memory. */
struct MHD_Response *kc_httpd_response(const char *ctype, const char *csp, const char *body, size_t len,
				       bool free_body);
/* Marks r as the last answer on its connection (a body left unread). */
void kc_httpd_close(struct MHD_Response *r);
/* Queues r (NULL: out of memory) with status, and drops the reference. */
enum MHD_Result kc_httpd_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);

/* ---- guard.c ---- */
/* Whether a write comes from the server's own pages. A browser sends
 * Origin with every POST and Sec-Fetch-Site with every request (Chromium,
 * Firefox, Safari since 2023); other clients send neither. A write is
 * refused, whatever credentials came with it (a browser adds cookies and
 * cached basic credentials to a cross-site request on its own), when
 * Sec-Fetch-Site names another site or Origin another origin than the
 * Host asked for. Sec-Fetch-Site: same-origin, which no page can forge,
 * is enough with an Origin of "null" (a browser that withholds its origin
 * for privacy); without Sec-Fetch-Site, "null" is refused (a sandboxed
 * frame or a data: page on any site sends it). */
bool kc_httpd_same_origin(struct MHD_Connection *c);
/* The body's media type is application/json, with no parameter but
 * charset=utf-8 (names and values in any case; spaces around ';'): a page
 * of another site cannot send that without a CORS preflight, which
 * neither server grants. */
bool kc_httpd_json_body(struct MHD_Connection *c);

#endif
