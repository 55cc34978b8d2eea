#include "controller/forward/port.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/link.h"

int kc_fwd_port_init(struct kc_fwd_port *p, const char *socket_path, const char *key_file, char *err,
		     size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->client.fd = -1;
	if (kc_strlcpy(p->socket_path, socket_path, sizeof(p->socket_path)) >= sizeof(p->socket_path)) {
		snprintf(err, errlen, "%s: socket path too long", socket_path);
		return -ENAMETOOLONG;
	}
	return kc_shared_key_read(key_file, p->key, err, errlen);
}

void kc_fwd_port_free(struct kc_fwd_port *p)
{
	if (p->connected)
		kc_client_close(&p->client);
	p->connected = false;
	explicit_bzero(p->key, sizeof(p->key));
}

static const char *port_errmsg(void *user)
{
	struct kc_fwd_port *p = user;

	return p->err;
}

int kc_fwd_port_request(struct kc_fwd_port *p, json_t *req, json_t **rep)
{
	int rc;

	if (!p->connected) {
		rc = kc_client_open(&p->client, p->socket_path);
		if (rc < 0) {
			snprintf(p->err, sizeof(p->err), "keycabd's socket %s: %s", p->socket_path, strerror(-rc));
			json_decref(req);
			return -EIO;
		}
		p->connected = true;
		p->reopened = true;
	}
	json_object_set_new(req, "forward_key", json_string(p->key));
	rc = kc_client_call(&p->client, req, rep, p->err, sizeof(p->err));
	json_decref(req);
	if (rc < 0) {
		kc_client_close(&p->client);
		p->connected = false;
		return -EIO;
	}
	return 0;
}

/* One request (taken) with the key; *rep an ok reply. -EIO with why in
 * p->err: keycabd is not there (the connection closed: the next call
 * opens another) or refused. */
static int port_call(struct kc_fwd_port *p, json_t *req, json_t **rep)
{
	json_t *r = NULL;

	if (kc_fwd_port_request(p, req, &r) < 0)
		return -EIO;
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *why = json_string_value(json_object_get(r, "error"));

		snprintf(p->err, sizeof(p->err), "keycabd: %s", why ? why : "refused");
		json_decref(r);
		return -EIO;
	}
	*rep = r;
	return 0;
}

static int state_of(struct kc_fwd_port *p, const json_t *rep, struct kc_outbox_state *st)
{
	json_int_t pending, retained, first_kept, acked_max;

	if (json_unpack((json_t *)rep, "{s:{s:I, s:I, s:I, s:I}}", "state", "pending", &pending, "retained",
			&retained, "first_kept", &first_kept, "acked_max", &acked_max) < 0) {
		snprintf(p->err, sizeof(p->err), "keycabd: a reply without the outbox's state");
		return -EIO;
	}
	*st = (struct kc_outbox_state){ pending, retained, first_kept, acked_max, p->reopened };
	p->reopened = false;
	return 0;
}

static int port_read(void *user, int64_t from, int max, char **out, int64_t *first, int64_t *last)
{
	struct kc_fwd_port *p = user;
	json_int_t n, f, l;
	const char *events;
	json_t *rep;

	if (port_call(p, json_pack("{s:s, s:I, s:i}", "op", "outbox.read", "from", (json_int_t)from, "max", max),
		      &rep) < 0)
		return -EIO;
	if (json_unpack(rep, "{s:s, s:I, s:I, s:I}", "events", &events, "count", &n, "first", &f, "last", &l) < 0 ||
	    n < 0 || n > max) {
		snprintf(p->err, sizeof(p->err), "keycabd: outbox.read's reply lacks its rows");
		json_decref(rep);
		return -EIO;
	}
	*out = strdup(events);
	json_decref(rep);
	if (!*out) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return -ENOMEM;
	}
	*first = f;
	*last = l;
	return (int)n;
}

static int port_ack(void *user, int64_t first, int64_t upto)
{
	struct kc_fwd_port *p = user;
	json_t *rep;

	if (port_call(p, json_pack("{s:s, s:I, s:I}", "op", "outbox.ack", "first", (json_int_t)first, "upto",
				   (json_int_t)upto),
		      &rep) < 0)
		return -EIO;
	json_decref(rep);
	return 0;
}

static int port_state(void *user, struct kc_outbox_state *st)
{
	struct kc_fwd_port *p = user;
	json_t *rep;
	int r;

	if (port_call(p, json_pack("{s:s, s:i, s:i}", "op", "outbox.read", "from", 0, "max", 0), &rep) < 0)
		return -EIO;
	r = state_of(p, rep, st);
	json_decref(rep);
	return r;
}

int kc_fwd_port_report(struct kc_fwd_port *p, const struct kc_forward_status *st, const json_t *feed)
{
	json_t *req = kc_link_status_json(st), *rep;

	if (!req) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return -ENOMEM;
	}
	json_object_set_new(req, "op", json_string("forward.report"));
	if (feed)
		json_object_set(req, "feed", (json_t *)feed);
	if (port_call(p, req, &rep) < 0)
		return -EIO;
	json_decref(rep);
	return 0;
}

struct kc_outbox_port kc_fwd_port_outbox(struct kc_fwd_port *p)
{
	return (struct kc_outbox_port){
		.read = port_read,
		.ack = port_ack,
		.state = port_state,
		.errmsg = port_errmsg,
		.user = p,
	};
}

int kc_fwd_port_subscribe(struct kc_fwd_port *p)
{
	json_t *rep;

	if (p->connected) { /* a connection used before: a fresh one subscribes */
		kc_client_close(&p->client);
		p->connected = false;
	}
	if (port_call(p, json_pack("{s:s}", "op", "subscribe"), &rep) < 0)
		return -EIO;
	json_decref(rep);
	return 0;
}

int kc_fwd_port_fd(const struct kc_fwd_port *p)
{
	return p->connected ? p->client.fd : -1;
}

int kc_fwd_port_pushes(struct kc_fwd_port *p)
{
	char buf[4096];
	size_t got = p->client.len; /* pushes that came with the reply to subscribe */
	ssize_t n;

	p->client.len = 0;
	if (!p->connected)
		return -EIO;
	while ((n = recv(p->client.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		snprintf(p->err, sizeof(p->err), "keycabd closed the subscription");
		kc_client_close(&p->client);
		p->connected = false;
		return -EIO;
	}
	return got > 0;
}
