/* What a request carries: its form fields and query arguments, and
 * who is asking (session cookie or HTTP basic behind the login backoff,
 * the form token of a session). */
#include "service/http_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"

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

/* application/x-www-form-urlencoded */
int http_request_form(const char *body, size_t len, const char *name, char *out, size_t outlen)
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

json_t *http_request_form_all(const char *body, size_t len, const char *name, size_t max)
{
	json_t *out = json_array();
	char *v = malloc(max);
	size_t i = 0;

	while (out && v && i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		int r = http_request_form(body + i, end - i, name, v, max);

		/* a value too long is no valid one: kept as "?" */
		if (r == 0 || r == -ENOSPC)
			json_array_append_new(out, json_string(r == 0 ? v : "?"));
		i = end + 1;
	}
	free(v);
	return out;
}

void http_request_csrf(const char *session, char out[65])
{
	char in[KC_TOKEN_LEN + 8];

	snprintf(in, sizeof(in), "%s:csrf", session);
	kc_token_hash(in, out);
}

/* The client's address as the login backoff counts it: an IPv6 address
 * by its /64, so one host cannot step through its own prefix. */
static void http_request_addr(struct MHD_Connection *c, char *out, size_t len)
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

int http_request_password(struct kc_db *db, struct MHD_Connection *c, struct req *rq, const char *user,
			  const char *pass, enum kc_role *role)
{
	char addr[INET6_ADDRSTRLEN];
	int r, lock_s;

	http_request_addr(c, addr, sizeof(addr));
	if (kc_auth_login_begin(user, addr, kc_wall_ms(), &rq->retry_s) < 0) {
		kc_debug("login for %s from %s refused: too many failed attempts, %d s left", user, addr,
			 rq->retry_s);
		return -EAGAIN;
	}
	r = kc_auth_user_check(db, user, pass, role);
	lock_s = kc_auth_login_end(user, addr, r == 0, kc_wall_ms());
	if (lock_s > 0)
		kc_notice("logins for %s or from %s locked for %d s: too many failed attempts", user, addr, lock_s);
	return r;
}

int http_request_auth(struct kc_db *db, struct MHD_Connection *c, struct req *rq)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, HTTP_COOKIE);
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
		r = http_request_password(db, c, rq, user, pass, &rq->role);
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

const char *http_request_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

bool http_request_csrf_ok(const struct req *rq)
{
	char want[65], got[80];

	if (!rq->session[0])
		return false;
	http_request_csrf(rq->session, want);
	return http_request_form(rq->body ? rq->body : "", rq->len, "csrf", got, sizeof(got)) == 0 &&
	       strcmp(got, want) == 0;
}

