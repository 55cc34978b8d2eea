/* The headers every answer carries, and a response queued. */
#include "common/httpd/httpd.h"

#include <stdlib.h>

void kc_httpd_headers(struct MHD_Response *r, const char *ctype, const char *csp)
{
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	if (csp)
		MHD_add_response_header(r, "Content-Security-Policy", csp);
}

struct MHD_Response *kc_httpd_response(const char *ctype, const char *csp, const char *body, size_t len,
				       bool free_body)
{
	struct MHD_Response *r;

	if (body)
		r = MHD_create_response_from_buffer(len, (void *)body,
						    free_body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (free_body)
			free((void *)body);
		return NULL;
	}
	kc_httpd_headers(r, ctype, csp);
	return r;
}

void kc_httpd_close(struct MHD_Response *r)
{
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

enum MHD_Result kc_httpd_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}
