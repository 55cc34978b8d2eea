/* The routes: one table (methods, path, who may call, body limit,
 * handler), the access check in one place, and the dispatch. A route is
 * added here, as a row and a handler in http_api.c, http_web.c or an
 * http_<area>.c of its own (http_problems.c); rows
 * are matched, and writes guarded, by the shared layer
 * (common/httpd/httpd.h). */
#include "service/http_impl.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "service/scope.h"
#include "service/web.h"

typedef enum MHD_Result (*route_fn)(struct call *k);

/* Who may call a route. */
enum route_access {
	ROUTE_OPEN,	/* anyone, from anywhere */
	ROUTE_BEARER,	/* a cabinet: its bearer token, which a browser never adds */
	ROUTE_PUBLIC,	/* anyone; a write only from the service's own pages */
	ROUTE_USER,	/* a supervisor or an admin (session cookie or HTTP basic) */
	ROUTE_ADMIN,	/* an admin */
};

/* The body a route takes (a POST's). */
enum route_body {
	BODY_NONE,  /* none: the request is answered without reading it */
	BODY_LOGIN, /* a login form: HTTP_LOGIN_BODY_MAX */
	BODY_DATA,  /* up to [server] body_limit */
};

#define M_GET KC_HTTPD_GET /* and HEAD */
#define M_POST KC_HTTPD_POST
#define M_OTHER KC_HTTPD_OTHER
#define M_ANY KC_HTTPD_ANY

/* In this order the members leave 3 bytes of padding, not 11 (LP64). */
struct route {
	unsigned methods;
	enum route_access access;
	const char *path;
	bool prefix; /* path is a prefix; the rest goes to the handler */
	enum route_body body;
	route_fn fn;
};

static enum MHD_Result route_not_found(struct call *k)
{
	if (k->api)
		return http_reply_error(k->c, 404, "not_found", "no such route");
	return http_reply_html(k->c, 404, kc_web_message(NULL, "404", kc_web_t(NULL, "There is no such page")), NULL);
}

/* The first row whose methods and path fit answers; the last fits every
 * request. service/README.md lists the routes. */
static const struct route routes[] = {
	{ M_ANY, ROUTE_OPEN, "/healthz", false, BODY_NONE, http_api_healthz },
	{ M_POST, ROUTE_BEARER, "/api/v1/events", false, BODY_DATA, http_api_ingest },
	{ M_ANY, ROUTE_BEARER, "/api/v1/events", false, BODY_NONE, http_api_ingest_method },
	{ M_POST, ROUTE_PUBLIC, "/login", false, BODY_LOGIN, http_web_login },
	{ M_ANY, ROUTE_PUBLIC, "/login", false, BODY_NONE, http_web_login_form },
	{ M_GET, ROUTE_USER, "/api/v1/reports/", true, BODY_NONE, http_api_report },
	{ M_POST, ROUTE_USER, "/api/v1/handovers/review", false, BODY_DATA, http_api_review },
	{ M_ANY, ROUTE_ADMIN, "/api/v1/cabinets", true, BODY_DATA, http_api_cabinets },
	{ M_POST, ROUTE_USER, "/logout", false, BODY_DATA, http_web_logout },
	{ M_POST, ROUTE_USER, "/lang", false, BODY_DATA, http_web_lang },
	{ M_GET, ROUTE_USER, "/", false, BODY_NONE, http_web_dashboard },
	{ M_GET, ROUTE_USER, "/dashboard", true, BODY_NONE, http_web_dashboard },
	{ M_POST, ROUTE_USER, "/r/handovers/review", false, BODY_DATA, http_web_review },
	{ M_POST, ROUTE_USER, "/r/problems/forward", false, BODY_DATA, http_web_problem_forward },
	{ M_POST, ROUTE_USER, "/r/problems/resolve", false, BODY_DATA, http_web_problem_resolve },
	{ M_GET, ROUTE_USER, "/r/", true, BODY_NONE, http_web_report },
	{ M_GET, ROUTE_USER, "/export/", true, BODY_NONE, http_export },
	{ M_GET, ROUTE_ADMIN, "/accounts", false, BODY_NONE, http_web_accounts },
	{ M_POST, ROUTE_ADMIN, "/accounts", false, BODY_DATA, http_web_accounts_act },
	{ M_GET, ROUTE_PUBLIC, "/reset", false, BODY_NONE, http_web_reset_form },
	{ M_POST, ROUTE_PUBLIC, "/reset", false, BODY_LOGIN, http_web_reset },
	{ M_GET, ROUTE_BEARER, "/api/v1/feed", false, BODY_NONE, http_api_feed },
	{ M_ANY, ROUTE_USER, "/api/v1/estate/", true, BODY_DATA, http_api_estate },
	{ M_ANY, ROUTE_USER, "/estate/", true, BODY_DATA, http_web_estate },
	{ M_GET, ROUTE_USER, "/approvals", false, BODY_NONE, http_web_approvals },
	{ M_POST, ROUTE_USER, "/approvals", false, BODY_DATA, http_web_approvals_act },
	{ M_ANY, ROUTE_USER, "", true, BODY_DATA, route_not_found },
};

static const struct route *route_find(const char *url, unsigned method, const char **rest)
{
	const struct route *rt = routes;

	while (!kc_httpd_route_match(rt->methods, rt->path, rt->prefix, method, url, rest))
		rt++;
	return rt;
}

/* Every request that changes something, but the cabinets' ingest (a bearer
 * token, which a browser never adds by itself): refused when it comes from
 * another site, and an API write must carry a JSON body. MHD_YES/MHD_NO
 * when it answered the request, -1 to go on. */
static int route_write_guard(struct MHD_Connection *c, const char *url, const char *method)
{
	bool api = strncmp(url, "/api/", 5) == 0;

	if (!kc_httpd_same_origin(c)) {
		const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

		kc_notice("%s %s refused: a cross-site request (Origin %s)", method, url, origin ? origin : "none");
		if (api)
			return http_reply_error(c, 403, "cross_site",
						"a request from another site is refused");
		return http_reply_html(c, 403,
				       kc_web_message(NULL, kc_web_t(NULL, "Error"),
						      kc_web_t(NULL, "A request from another site is refused")),
				       NULL);
	}
	if (api && !kc_httpd_json_body(c)) {
		kc_notice("%s %s refused: the body is not application/json", method, url);
		return http_reply_error(c, 415, "unsupported_media_type",
					"a write needs a JSON body"
					" (Content-Type: application/json)");
	}
	return -1;
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
		int g = route_write_guard(k->c, k->url, k->method);

		if (g >= 0)
			return g;
	}
	if (rt->access == ROUTE_PUBLIC)
		return -1;
	a = http_request_auth(k->db, k->c, k->rq);
	if (a == -EAGAIN)
		return http_reply_locked(k->c, k->api, k->rq->retry_s);
	if (a < 0)
		return http_reply_unauthorized(k->c, k->api, method == M_GET);
	if (k->api && method == M_POST && k->rq->session[0] && !http_request_csrf_ok(k->rq))
		return http_reply_error(k->c, 403, "forbidden", "use HTTP basic authentication for API writes");
	if (rt->access == ROUTE_ADMIN && k->rq->role != KC_ROLE_ADMIN) {
		kc_notice("%s %s refused: %s is not an admin", k->method, k->url, k->rq->user);
		if (k->api)
			return http_reply_error(k->c, 403, "forbidden", "this needs the admin role");
		return http_reply_html(
			k->c, 403, kc_web_message(NULL, kc_web_t(NULL, "Error"), kc_web_t(NULL, "This page is for admins only.")),
			NULL);
	}
	return -1;
}

enum MHD_Result http_route_dispatch(struct kc_http *s, struct MHD_Connection *c, const char *url,
				    const char *method, struct req *rq)
{
	struct call k = { s, kc_db_thread(), c, rq, url, method, "", strncmp(url, "/api/", 5) == 0, NULL };
	unsigned m = kc_httpd_method(method);
	const struct route *rt;
	struct kc_scope scope;
	enum MHD_Result ret;
	int a;

	if (!k.db)
		return http_reply_error(c, 503, "unavailable", "the audit database cannot be opened");
	rt = route_find(url, m, &k.rest);
	a = http_access(&k, rt, m);
	if (a >= 0)
		return (enum MHD_Result)a;
	if (rt->access != ROUTE_USER && rt->access != ROUTE_ADMIN)
		return rt->fn(&k);
	/* a signed-in account reads its sites only, on every route */
	if (kc_scope_load(k.db, rq->user, rq->role, &scope) < 0) {
		kc_err("the sites of %s cannot be read: %s", rq->user, sqlite3_errmsg(k.db->h));
		if (k.api)
			return http_reply_error(c, 500, "internal", "database error");
		return http_reply_html(c, 500, kc_web_message(NULL, kc_web_t(NULL, "Error"), kc_web_t(NULL, "Database error.")),
				       NULL);
	}
	k.scope = &scope;
	ret = rt->fn(&k);
	kc_scope_free(&scope);
	return ret;
}

size_t http_route_body_limit(const struct kc_audit_config *cfg, const char *url)
{
	const char *rest;
	const struct route *rt = route_find(url, M_POST, &rest);

	switch (rt->body) {
	case BODY_LOGIN:
		return HTTP_LOGIN_BODY_MAX;
	case BODY_DATA:
		return (size_t)cfg->body_limit;
	default:
		return 0;
	}
}

/* A cabinet's bearer token, as the ingest handler checks it. */
static bool route_bearer_ok(struct kc_db *db, struct MHD_Connection *c)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char cabinet[KC_NAME_MAX + 1];

	return auth && strncmp(auth, "Bearer ", 7) == 0 &&
	       kc_auth_cabinet_by_token(db, auth + 7, cabinet, sizeof(cabinet)) == 0;
}

bool http_route_body_admit(struct kc_db *db, struct MHD_Connection *c, const char *url, struct req *rq)
{
	const char *rest;
	const struct route *rt = route_find(url, M_POST, &rest);

	if (!db)
		return false;
	switch (rt->access) {
	case ROUTE_OPEN:
	case ROUTE_PUBLIC:
		return true;
	case ROUTE_BEARER:
		return route_bearer_ok(db, c);
	default:
		rq->auth_rc = http_request_auth(db, c, rq);
		rq->auth_done = true;
		return rq->auth_rc == 0;
	}
}
