/* The server: start, reload (the TLS certificate and key) and stop, the
 * TLS suites and each handshake's certificate, the file and connection
 * limits (in all and per client address), libmicrohttpd's log, and the
 * hooks that take a request through the shared layer (common/httpd/:
 * its body within the route's limit) to http_route_dispatch. */
#include "service/http_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Files the service needs besides its connections (database, logs, webhooks). */
#define NOFILE_RESERVE 256
/* Refusals are logged at most once in this period, with their count. */
#define REFUSAL_LOG_MS 10000
/* TLS 1.3, and TLS 1.2 with AEAD suites and ECDHE only: no CBC, no SHA-1
 * or other MAC, no RSA key exchange (forward secrecy). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM" \
	":+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* Open connections from one client address. */
struct addr_count {
	int family;
	unsigned char addr[16];
	int n;
};

/* Per connection (MHD's socket context). */
struct conn_slot {
	struct kc_http *s;
	struct addr_count *ac; /* NULL for an address of another family */
	bool over;	       /* beyond the per-address limit: answered 503 and closed */
	struct http_tls *tls;  /* the certificate its handshake presented */
};

/* ---- a request's way in: the shared layer's hooks ---- */

static bool request_over_limit(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn_slot *slot = ci ? ci->socket_context : NULL;

	return slot && slot->over;
}

/* The request's first call (the shared layer's begin): a connection
 * beyond its address's limit gets 503. MHD_YES/MHD_NO when it answered,
 * -1 to go on. */
static int request_begin(void *cls, struct MHD_Connection *c, struct kc_httpd_req *rq)
{
	struct kc_http *s = cls;
	char msg[200];

	(void)rq;
	if (!request_over_limit(c))
		return -1;
	snprintf(msg, sizeof(msg), "Too many connections from your address"
		 " (limit %d); try again later", s->cfg->per_address_limit);
	return http_reply_closing(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", msg);
}

static size_t request_body_limit(void *cls, const char *url)
{
	struct kc_http *s = cls;

	return http_route_body_limit(s->cfg, url);
}

static bool request_body_admit(void *cls, struct MHD_Connection *c, const char *url, struct kc_httpd_req *rq)
{
	(void)cls;
	return http_route_body_admit(kc_db_thread(), c, url, (struct req *)(void *)rq);
}

static enum MHD_Result request_dispatch(void *cls, struct MHD_Connection *c, const char *url, const char *method,
					struct kc_httpd_req *rq)
{
	return http_route_dispatch(cls, c, url, method, (struct req *)(void *)rq);
}

/* The shared layer's refusals as JSON errors. */
static enum MHD_Result request_refuse(void *cls, struct MHD_Connection *c, enum kc_httpd_refusal why, size_t limit,
				      bool close)
{
	char msg[128];

	(void)cls;
	switch (why) {
	case KC_HTTPD_BAD_LENGTH:
		return http_reply_closing(c, MHD_HTTP_BAD_REQUEST, "bad_request", "bad Content-Length");
	case KC_HTTPD_NOT_POST:
		return http_reply_closing(c, MHD_HTTP_BAD_REQUEST, "bad_request", "only a POST request carries a body");
	default:
		snprintf(msg, sizeof(msg), "the request body is over the limit of %zu bytes; nothing was stored", limit);
		if (close)
			return http_reply_closing(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg);
		return http_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg);
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
	struct conn_slot *slot = calloc(1, sizeof(*slot));
	struct addr_count k, *ac, **found;

	if (!slot)
		return;
	slot->s = s;
	*socket_context = slot;
	if (!ci || addr_key(ci->client_addr, &k) < 0)
		return;
	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return;
	*ac = k;
	pthread_mutex_lock(&s->lock);
	found = tsearch(ac, &s->addrs, addr_cmp);
	if (!found) {
		pthread_mutex_unlock(&s->lock);
		free(ac);
		return;
	}
	if (*found != ac)
		free(ac);
	slot->ac = *found;
	slot->ac->n++;
	slot->over = slot->ac->n > s->cfg->per_address_limit;
	pthread_mutex_unlock(&s->lock);
	if (slot->over)
		conn_refusal(s, &k, false);
}

static void conn_untrack(struct kc_http *s, struct conn_slot *slot)
{
	struct addr_count *ac = slot->ac;

	pthread_mutex_lock(&s->lock);
	if (ac && --ac->n == 0)
		tdelete(ac, &s->addrs, addr_cmp);
	else
		ac = NULL;
	pthread_mutex_unlock(&s->lock);
	free(ac);
	http_tls_put(slot->tls);
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

/* ---- TLS ---- */

/* A handshake's certificate (libmicrohttpd's certificate callback; its
 * session's pointer is the connection): the one the server holds now,
 * kept by the connection while it lasts. */
static int tls_pick(gnutls_session_t session, const gnutls_datum_t *req_ca, int nreq,
		    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **chain, unsigned *n,
		    gnutls_privkey_t *key)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *ci = c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	struct conn_slot *slot = ci ? ci->socket_context : NULL;
	struct http_tls *old;

	(void)req_ca;
	(void)nreq;
	(void)algos;
	(void)nalgos;
	if (!slot)
		return -1;
	pthread_mutex_lock(&slot->s->lock);
	old = slot->tls;
	slot->tls = http_tls_get(slot->s->tls);
	pthread_mutex_unlock(&slot->s->lock);
	http_tls_put(old);
	if (!slot->tls)
		return -1;
	http_tls_use(slot->tls, chain, n, key);
	return 0;
}

/* The certificate and key of the configuration into s->tls: 0, 1 when
 * the certificate is not valid at this time (it is served all the same),
 * or -errno with err. */
static int tls_load(struct kc_http *s, char *about, size_t aboutlen, char *err, size_t errlen)
{
	struct http_tls *t, *old;
	bool valid;
	int r = http_tls_load(s->cfg->tls_cert, s->cfg->tls_key, &t, &valid, err, errlen);

	if (r < 0)
		return r;
	if (about)
		snprintf(about, aboutlen, "%s%s", http_tls_about(t), valid ? "" : " (NOT VALID NOW)");
	pthread_mutex_lock(&s->lock);
	old = s->tls;
	s->tls = t;
	pthread_mutex_unlock(&s->lock);
	http_tls_put(old);
	return valid ? 0 : 1;
}

/* ---- start and stop ---- */

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

/* The daemon; with a certificate, TLS (its options last: without one,
 * MHD_OPTION_END stands in their place and the rest is not read). */
static struct MHD_Daemon *server_mhd(struct kc_http *s, const struct sockaddr *sa, unsigned flags,
				     unsigned limit)
{
	const struct kc_audit_config *cfg = s->cfg;

	return MHD_start_daemon(flags | (s->tls ? MHD_USE_TLS : 0), (uint16_t)cfg->port, conn_accept, s,
				kc_httpd_handler, &s->httpd,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
				MHD_OPTION_NOTIFY_COMPLETED, kc_httpd_completed, &s->httpd,
				MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
				MHD_OPTION_CONNECTION_LIMIT, limit,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
				s->tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, tls_pick,
				MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_END);
}

static void server_free(struct kc_http *s)
{
	tdestroy(s->addrs, free);
	http_tls_put(s->tls);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct kc_http *kc_http_start(const struct kc_audit_config *cfg, struct kc_notifier *notifier, char *err,
				  size_t errlen)
{
	struct kc_http *s = calloc(1, sizeof(*s));
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char port[8], about[400];
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME; /* the feed's held polls (http_feed.c) */
	int rc, tls = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->notifier = notifier;
	s->httpd = (struct kc_httpd_server){ .cls = s, .req_size = sizeof(struct req), .begin = request_begin,
					     .body_limit = request_body_limit, .body_admit = request_body_admit,
					     .dispatch = request_dispatch, .refuse = request_refuse };
	pthread_mutex_init(&s->lock, NULL);
	if (cfg->tls_cert && (tls = tls_load(s, about, sizeof(about), err, errlen)) < 0)
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
		if (s->tls && s->start_err[0])
			snprintf(err, errlen, "[server] tls_cert %s and tls_key %s: %s", cfg->tls_cert, cfg->tls_key,
				 s->start_err);
		else
			snprintf(err, errlen, "cannot listen on %s port %d: %s", cfg->listen, cfg->port,
				 s->start_err[0] ? s->start_err : errno ? strerror(errno) : "libmicrohttpd refused to start");
		freeaddrinfo(ai);
		goto free_s;
	}
	if (s->tls && tls > 0)
		kc_warn("TLS certificate %s: %s: clients will refuse it", cfg->tls_cert, about);
	else if (s->tls)
		kc_notice("TLS certificate %s: %s", cfg->tls_cert, about);
	if (!s->tls && !addr_is_loopback(ai->ai_addr))
		kc_warn("serving plain HTTP on %s, not a loopback address: tokens and names cross the network in"
			" clear; set [server] tls_cert and tls_key, or put a TLS proxy in front", cfg->listen);
	freeaddrinfo(ai);
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	if (http_feed_start(s, err, errlen) < 0) {
		MHD_stop_daemon(s->mhd);
		goto free_s;
	}
	return s;
free_s:
	server_free(s);
	return NULL;
}

int kc_http_port(const struct kc_http *s)
{
	return s->port;
}

int kc_http_reload(struct kc_http *s, char *about, size_t aboutlen, char *err, size_t errlen)
{
	if (about && aboutlen)
		about[0] = '\0';
	if (!s->cfg->tls_cert)
		return 0;
	return tls_load(s, about, aboutlen, err, errlen);
}

void kc_http_stop(struct kc_http *s)
{
	if (!s)
		return;
	http_feed_stop();
	MHD_stop_daemon(s->mhd);
	server_free(s);
}
