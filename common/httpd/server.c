/* A request's way in and its end, for a server that gives the layer its
 * hooks (struct kc_httpd_server): the checks before any of the body is
 * read, the body kept within the route's limit, the log line of the
 * answer, the body wiped at the end (it may have held a PIN or a
 * password). */
#include "common/httpd/httpd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

/* Appends n bytes of body; 0 or -ENOMEM. Past rq->body_max it keeps
 * nothing and sets rq->too_big. */
static int body_add(struct kc_httpd_req *rq, const char *data, size_t n)
{
	if (!rq->too_big && rq->len + n > rq->body_max) {
		rq->too_big = true;
		if (rq->body)
			explicit_bzero(rq->body, rq->len);
		free(rq->body);
		rq->body = NULL;
		rq->len = rq->cap = 0;
	}
	if (rq->too_big)
		return 0;
	if (rq->len + n + 1 > rq->cap) {
		size_t cap = (rq->len + n + 1) * 2;
		char *nb;

		if (cap > rq->body_max + 1)
			cap = rq->body_max + 1;
		nb = malloc(cap);
		if (!nb)
			return -ENOMEM;
		if (rq->body) {
			memcpy(nb, rq->body, rq->len);
			explicit_bzero(rq->body, rq->len);
			free(rq->body);
		}
		rq->body = nb;
		rq->cap = cap;
	}
	memcpy(rq->body + rq->len, data, n);
	rq->len += n;
	rq->body[rq->len] = '\0';
	return 0;
}

/* The log line of an answer: its method, path, status and time; a
 * refusal or an error at info, the rest at debug. ret passes. */
static enum MHD_Result request_logged(struct MHD_Connection *c, const struct kc_httpd_req *rq, enum MHD_Result ret)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	unsigned status = ci ? ci->http_status : 0;

	if (status)
		kc_log(status >= 400 ? LOG_INFO : LOG_DEBUG, "%s %s %u (%lld ms)", rq->log_method, rq->log_path, status,
		       (long long)(kc_mono_ms() - rq->start_ms));
	return ret;
}

static enum MHD_Result request_refuse(const struct kc_httpd_server *sv, struct MHD_Connection *c,
				      struct kc_httpd_req *rq, enum kc_httpd_refusal why, size_t limit, bool close)
{
	if (why == KC_HTTPD_TOO_LARGE)
		kc_notice("%s %s: body over the limit of %zu bytes (413)", rq->log_method, rq->log_path, limit);
	return request_logged(c, rq, sv->refuse(sv->cls, c, why, limit, close));
}

static enum MHD_Result request_dispatch(const struct kc_httpd_server *sv, struct MHD_Connection *c, const char *url,
					const char *method, struct kc_httpd_req *rq)
{
	return request_logged(c, rq, sv->dispatch(sv->cls, c, url, method, rq));
}

/* The request's first call, before any of its body is read: the server's
 * own check; a body goes with POST only; a route that takes no body
 * answers at once; a body over the route's limit by its Content-Length
 * gets 413 and one without admitted credentials the route's own refusal,
 * neither read. */
static enum MHD_Result request_begin(const struct kc_httpd_server *sv, struct MHD_Connection *c, const char *url,
				     const char *method, struct kc_httpd_req *rq)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	long long n = 0;
	size_t max;
	int r;

	if (sv->begin && (r = sv->begin(sv->cls, c, rq)) >= 0)
		return (enum MHD_Result)r; /* the server logs these itself, counted */
	if (cl && kc_parse_long(cl, 0, INT64_MAX, &n) < 0)
		return request_refuse(sv, c, rq, KC_HTTPD_BAD_LENGTH, 0, true);
	if (n == 0 && !te)
		return MHD_YES;
	if (strcmp(method, "POST") != 0)
		return request_refuse(sv, c, rq, KC_HTTPD_NOT_POST, 0, true);
	max = sv->body_limit(sv->cls, url);
	if (max == 0)
		return request_dispatch(sv, c, url, method, rq);
	if (n > (long long)max)
		return request_refuse(sv, c, rq, KC_HTTPD_TOO_LARGE, max, true);
	if (sv->body_admit && !sv->body_admit(sv->cls, c, url, rq))
		return request_dispatch(sv, c, url, method, rq);
	rq->body_max = max;
	return MHD_YES;
}

enum MHD_Result kc_httpd_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	const struct kc_httpd_server *sv = cls;
	struct kc_httpd_req *rq = *con_cls;

	(void)version;
	if (!rq) {
		rq = calloc(1, sv->req_size);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		rq->start_ms = kc_mono_ms();
		kc_strlcpy(rq->log_method, method, sizeof(rq->log_method));
		kc_strlcpy(rq->log_path, url, sizeof(rq->log_path));
		return request_begin(sv, c, url, method, rq);
	}
	if (*upload_size) {
		if (body_add(rq, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return request_refuse(sv, c, rq, KC_HTTPD_TOO_LARGE, rq->body_max, false);
	return request_dispatch(sv, c, url, method, rq);
}

void kc_httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	const struct kc_httpd_server *sv = cls;
	struct kc_httpd_req *rq = *con_cls;

	(void)c;
	(void)toe;
	if (!rq)
		return;
	if (rq->body)
		explicit_bzero(rq->body, rq->len);
	free(rq->body);
	explicit_bzero(rq, sv->req_size);
	free(rq);
	*con_cls = NULL;
}
