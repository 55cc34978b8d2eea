#include "controller/proto.h"
#include "controller/reply.h"
#include "controller/session.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	int64_t last_mono;    /* the last byte read or written */
	int64_t login_next;   /* no login before this (monotonic ms) */
	int login_fails;      /* failed logins in a row on this connection */
	bool line_pending;    /* a whole request waits for the replies to drain */
	bool eof;             /* the client will send no more */
	bool has_session;     /* a request carried a valid session, or logged in */
	bool closing;
	bool subscriber;      /* receives pushes, sends nothing more */
	bool drop;            /* close at once, unsent output and all */
	bool terminal;        /* a subscriber with the terminal key */
	bool forwarder;       /* a subscriber with the forward key (keycab-forward, woken by the pushes) */
	char session_hash[65]; /* a subscriber without it: its session token's hash */
	int64_t subscribed;   /* a subscriber's turn: srv->subscribed_seq when it subscribed */
};

struct kc_proto {
	int fd;
	char path[108];
	struct client clients[KC_PROTO_MAX_CLIENTS + KC_PROTO_MAX_SUBSCRIBERS + KC_PROTO_FORWARD_PLACES];
	int nclients;         /* subscribers included */
	int nsubscribers;     /* keycab-forward's included */
	int nforwarders;      /* subscribers in keycab-forward's place */
	int64_t idle_ms;
	int64_t fail_window;  /* start of the current failed-login window */
	int fail_count;       /* failed logins on all connections in it */
	int evicted;          /* connections closed to make room, not yet logged */
	int64_t evict_logged;
	int64_t subscribed_seq; /* orders subscribers by when they subscribed */
	kc_proto_answer_fn *answer;
};

static int live_socket(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return r;
}

struct kc_proto *kc_proto_new(const char *path, mode_t mode, const char *group,
				kc_proto_answer_fn *answer, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct kc_proto *srv;
	struct stat sb;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	kc_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket; not replacing it", path);
			return NULL;
		}
		if (live_socket(&sa)) {
			snprintf(err, errlen, "%s: another keycabd answers on this socket", path);
			return NULL;
		}
		unlink(path);
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kc_strlcpy(srv->path, path, sizeof(srv->path));
	srv->answer = answer;
	srv->idle_ms = KC_PROTO_IDLE_MS;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		goto fail_errno;
	/* No window in which the socket exists with looser permissions. */
	old = umask(0777 & ~mode);
	if (bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail_errno;
	}
	umask(old);
	if (chmod(path, mode) < 0)
		goto fail_errno;
	if (group && *group) {
		struct group *g = getgrnam(group);

		if (!g) {
			snprintf(err, errlen, "%s: no group \"%s\" ([socket] group)", path, group);
			goto fail;
		}
		if (chown(path, (uid_t)-1, g->gr_gid) < 0)
			goto fail_errno;
	}
	if (listen(srv->fd, 16) < 0)
		goto fail_errno;
	return srv;
fail_errno:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
fail:
	kc_proto_free(srv);
	return NULL;
}

static bool write_client(struct client *c);

static void client_close(struct kc_proto *srv, int i)
{
	struct client *c = &srv->clients[i];

	close(c->fd);
	free(c->in);
	free(c->out);
	if (c->subscriber)
		srv->nsubscribers--;
	if (c->subscriber && c->forwarder)
		srv->nforwarders--;
	srv->clients[i] = srv->clients[--srv->nclients];
}

void kc_proto_free(struct kc_proto *srv)
{
	if (!srv)
		return;
	/* what is queued (a subscriber's last pushes) goes if it can at once */
	while (srv->nclients > 0) {
		if (!srv->clients[0].drop)
			write_client(&srv->clients[0]);
		client_close(srv, 0);
	}
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	free(srv);
}

void kc_proto_set_idle_timeout(struct kc_proto *srv, int64_t ms)
{
	srv->idle_ms = ms;
}

static size_t out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

int64_t kc_proto_tick(struct kc_proto *srv)
{
	int64_t now = kc_mono_ms(), next = srv->idle_ms;

	for (int i = srv->nclients - 1; i >= 0; i--) {
		int64_t left = srv->clients[i].last_mono + srv->idle_ms - now;

		/* a dropped client goes; a subscriber is never idle */
		bool gone = srv->clients[i].drop || (!srv->clients[i].subscriber && left <= 0);

		if (gone)
			client_close(srv, i);
		else if (!srv->clients[i].subscriber && left < next)
			next = left;
		else if (srv->clients[i].subscriber && !srv->clients[i].terminal && !srv->clients[i].forwarder &&
			 next > KC_PROTO_SESSION_CHECK_MS)
			next = KC_PROTO_SESSION_CHECK_MS;
	}
	if (srv->evicted && now - srv->evict_logged >= 60000) {
		kc_notice("socket: %d connection(s) closed to make room for new ones (at most %d)",
			  srv->evicted, KC_PROTO_MAX_CLIENTS);
		srv->evicted = 0;
		srv->evict_logged = now;
	}
	return next;
}

int kc_proto_pollfds(struct kc_proto *srv, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = srv->fd, .events = POLLIN };
	for (int i = 0; i < srv->nclients && n < max; i++) {
		struct client *c = &srv->clients[i];
		/* a subscriber is read only to see it close */
		bool more = c->subscriber || (!c->closing && !c->eof && !c->line_pending &&
					      out_pending(c) < KC_PROTO_MAX_PENDING);

		fds[n++] = (struct pollfd){ .fd = c->fd,
					    .events = (short)((more ? POLLIN : 0) |
							      (out_pending(c) ? POLLOUT : 0)) };
	}
	return n;
}

/* Full: the connection idle longest goes, one without a session first, so
 * idle clients never keep a new operator out. */
static void make_room(struct kc_proto *srv)
{
	int victim = -1;

	for (int i = 0; i < srv->nclients; i++) {
		const struct client *c = &srv->clients[i], *v = victim < 0 ? NULL : &srv->clients[victim];

		if (c->subscriber)
			continue;
		if (!v || (v->has_session && !c->has_session) ||
		    (v->has_session == c->has_session && c->last_mono < v->last_mono))
			victim = i;
	}
	if (victim >= 0) {
		client_close(srv, victim);
		srv->evicted++;
	}
}

static void accept_one(struct kc_proto *srv)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	if (srv->nclients - srv->nsubscribers >= KC_PROTO_MAX_CLIENTS)
		make_room(srv);
	c = &srv->clients[srv->nclients++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->last_mono = kc_mono_ms();
}

/* Appends line s (n bytes, no newline) and its newline to c's output. */
static int queue_line(struct client *c, const char *s, size_t n)
{
	char *p;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	p = realloc(c->out, c->out_len + n + 1);
	if (!p)
		return -ENOMEM;
	c->out = p;
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return 0;
}

static int queue_reply(struct client *c, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT | JSON_ENSURE_ASCII);
	int r;

	json_decref(rep);
	if (!s)
		return -ENOMEM;
	r = queue_line(c, s, strlen(s));
	free(s);
	return r;
}

/* A login on a connection that failed too often, or that failed before
 * while failed logins flood in on all connections: the wait, in ms, or 0. */
static int64_t login_wait(struct kc_proto *srv, const struct client *c, int64_t now)
{
	if (c->login_next > now)
		return c->login_next - now;
	if (c->login_fails > 0 && now - srv->fail_window < KC_PROTO_FAIL_WINDOW_MS &&
	    srv->fail_count >= KC_PROTO_FAIL_GLOBAL)
		return srv->fail_window + KC_PROTO_FAIL_WINDOW_MS - now;
	return 0;
}

static void login_done(struct kc_proto *srv, struct client *c, json_t *rep, int64_t now)
{
	int over;

	if (json_is_true(json_object_get(rep, "ok"))) {
		c->login_fails = 0;
		c->login_next = 0;
		c->has_session = true;
		return;
	}
	if (now - srv->fail_window >= KC_PROTO_FAIL_WINDOW_MS) {
		srv->fail_window = now;
		srv->fail_count = 0;
	}
	srv->fail_count++;
	over = ++c->login_fails - KC_PROTO_LOGIN_FREE;
	if (over >= 0)
		c->login_next = now + (over < 6 ? 1000LL << over : KC_PROTO_LOGIN_WAIT_MAX_MS);
	if (c->login_next > now + KC_PROTO_LOGIN_WAIT_MAX_MS)
		c->login_next = now + KC_PROTO_LOGIN_WAIT_MAX_MS;
}

/* A subscriber stops being one: it gets a last line, end (a failed reply
 * saying why, taken), and is closed once that is written (or, unread,
 * when idle). */
static void subscriber_end(struct kc_proto *srv, struct client *c, json_t *end)
{
	json_object_set_new(end, "push", json_string("end"));
	c->subscriber = false;
	srv->nsubscribers--;
	if (c->forwarder)
		srv->nforwarders--;
	queue_reply(c, end);
	c->closing = true;
	c->last_mono = kc_mono_ms(); /* a plain client now: an idle timeout to read it */
}

/* All places taken and the terminal subscribes: the subscriber without
 * the terminal key that subscribed first gives its place; when all hold
 * the key, the first of them. */
static void subscriber_room(struct kc_proto *srv)
{
	struct client *victim = NULL;

	for (int i = 0; i < srv->nclients; i++) {
		struct client *c = &srv->clients[i];

		if (!c->subscriber || c->drop || c->forwarder)
			continue;
		if (!victim || (victim->terminal && !c->terminal) ||
		    (victim->terminal == c->terminal && c->subscribed < victim->subscribed))
			victim = c;
	}
	if (victim) {
		kc_notice("socket: the terminal subscribed with all %d places taken; the subscriber "
			  "(pid %d) subscribed longest gave its place",
			  KC_PROTO_MAX_SUBSCRIBERS, (int)victim->pid);
		subscriber_end(srv, victim,
			       kc_reply_fail(KCM_subscribe_evicted, "{s:i}", "max",
					     KC_PROTO_MAX_SUBSCRIBERS));
	}
}

/* The connection becomes a subscriber (subscribe.c answered). */
static void subscriber_start(struct kc_proto *srv, struct client *c, const struct kc_peer *peer,
			     json_t *req)
{
	bool forwarder = peer->forwarder && !peer->terminal && !peer->person[0];

	if (!forwarder && peer->terminal && kc_proto_subscribers(srv) >= KC_PROTO_MAX_SUBSCRIBERS)
		subscriber_room(srv);
	/* subscribe.c refuses past the caps; the array holds no more */
	if (forwarder ? srv->nforwarders >= KC_PROTO_FORWARD_PLACES
		      : kc_proto_subscribers(srv) >= KC_PROTO_MAX_SUBSCRIBERS)
		return;
	c->subscriber = true;
	c->terminal = peer->terminal;
	c->forwarder = forwarder;
	srv->nforwarders += forwarder;
	c->subscribed = ++srv->subscribed_seq;
	if (!c->terminal && !c->forwarder) /* logged in: the request carries its session */
		kc_token_hash(kc_req_str(req, "session") ? kc_req_str(req, "session") : "",
			      c->session_hash);
	srv->nsubscribers++;
}

static json_t *answer(struct kc_proto *srv, struct client *c, json_t *req, struct kc_ctl *ctl,
		      struct kc_peer *peer)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	int64_t now = kc_mono_ms(), wait;
	json_t *rep;

	if (!op || strcmp(op, "login") != 0) {
		rep = srv->answer(ctl, peer, req);
		if (peer->person[0])
			c->has_session = true;
		if (peer->subscribe && !c->subscriber)
			subscriber_start(srv, c, peer, req);
		ctl->subscribers = srv->nsubscribers;
		return rep;
	}
	wait = login_wait(srv, c, now);
	if (wait > 0)
		return kc_session_login_throttled(ctl, kc_req_str(req, "card") != NULL, wait);
	rep = srv->answer(ctl, peer, req);
	login_done(srv, c, rep, now);
	return rep;
}

static void handle_line(struct kc_proto *srv, struct client *c, char *line, struct kc_ctl *ctl)
{
	struct kc_peer peer = { .uid = c->uid, .pid = c->pid };
	json_error_t jerr;
	json_t *req, *rep;

	peer.console = c->uid == 0 || c->uid == ctl->uid;
	req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		rep = kc_reply_fail(KCM_request_bad_json, "{s:s}", "detail", jerr.text);
	else if (!json_is_object(req))
		rep = kc_reply_fail(KCM_request_not_object, NULL);
	else
		rep = answer(srv, c, req, ctl, &peer);
	/* The request may hold a PIN or an ID number: wipe it. */
	explicit_bzero(line, strlen(line));
	json_decref(req);
	if (queue_reply(c, rep) < 0)
		c->closing = true;
}

/* Answers the whole lines read so far while the replies waiting to be
 * written stay under KC_PROTO_MAX_PENDING; keeps the rest for later. */
static void answer_lines(struct kc_proto *srv, struct client *c, struct kc_ctl *ctl)
{
	size_t off = 0;
	char *nl = NULL;

	while (!c->closing && !c->subscriber && out_pending(c) < KC_PROTO_MAX_PENDING &&
	       (nl = memchr(c->in + off, '\n', c->in_len - off))) {
		char *line = c->in + off;

		*nl = '\0';
		off = (size_t)(nl - c->in) + 1;
		if (nl > line)
			handle_line(srv, c, line, ctl);
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		c->in[c->in_len] = '\0';
	}
	c->line_pending = c->in_len > 0 && memchr(c->in, '\n', c->in_len) != NULL;
	/* a subscriber sends nothing after subscribe */
	if (c->subscriber && c->in_len > 0)
		c->drop = true;
}

static int grow_input(struct client *c)
{
	size_t cap;
	char *p;

	if (c->in_cap - c->in_len >= 4096)
		return 0;
	cap = c->in_cap ? c->in_cap * 2 : 8192;
	if (cap > KC_PROTO_MAX_LINE + 8192)
		cap = KC_PROTO_MAX_LINE + 8192;
	p = realloc(c->in, cap);
	if (!p)
		return -ENOMEM;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

static void read_client(struct kc_proto *srv, struct client *c, struct kc_ctl *ctl)
{
	for (;;) {
		ssize_t n;

		if (c->in_len > 0)
			answer_lines(srv, c, ctl);
		if (c->closing || c->eof || c->line_pending || c->subscriber ||
		    out_pending(c) >= KC_PROTO_MAX_PENDING)
			return;
		if (c->in_len > KC_PROTO_MAX_LINE) {
			queue_reply(c, kc_reply_fail(KCM_request_too_long, "{s:i}", "max",
						     KC_PROTO_MAX_LINE));
			c->closing = true;
			return;
		}
		if (grow_input(c) < 0) {
			c->closing = true;
			return;
		}
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (n == 0) {
			c->eof = true;
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = true;
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		c->last_mono = kc_mono_ms();
	}
}

static bool write_client(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
		c->last_mono = kc_mono_ms();
	}
	return true;
}

/* A subscriber: anything it sends (it sends nothing after subscribe) or
 * its end of file ends it; otherwise its pushes are written. */
static bool serve_subscriber(struct client *c, short revents)
{
	char buf[512];

	if (revents & POLLIN) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return false;
	}
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		return false;
	return write_client(c);
}

/* Reads, answers and writes until the client must wait for something. */
static bool serve_client(struct kc_proto *srv, struct client *c, short revents, struct kc_ctl *ctl)
{
	bool ok;

	if (c->subscriber)
		return !c->drop && serve_subscriber(c, revents);
	if (revents & POLLIN || c->line_pending)
		read_client(srv, c, ctl);
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		c->closing = true;
	ok = write_client(c);
	while (ok && !c->closing && c->line_pending && out_pending(c) < KC_PROTO_MAX_PENDING) {
		read_client(srv, c, ctl);
		ok = write_client(c);
	}
	return ok && !c->drop && !(c->closing && !out_pending(c)) &&
	       !(c->eof && !c->line_pending && !out_pending(c));
}

void kc_proto_handle(struct kc_proto *srv, const struct pollfd *fds, int n, struct kc_ctl *ctl)
{
	/* Subscribers leave here and in kc_proto_subscribers_check: the
	 * count the events' publisher reads is at most that high. */
	ctl->subscribers = srv->nsubscribers;
	/* Clients may be removed below: find each by its fd, not by index. */
	for (int k = 1; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < srv->nclients; i++) {
			if (srv->clients[i].fd != fds[k].fd)
				continue;
			if (!serve_client(srv, &srv->clients[i], fds[k].revents, ctl))
				client_close(srv, i);
			break;
		}
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		accept_one(srv);
}

int kc_proto_subscribers(const struct kc_proto *srv)
{
	return srv->nsubscribers - srv->nforwarders;
}

bool kc_proto_forwarder_subscribed(const struct kc_proto *srv)
{
	return srv->nforwarders >= KC_PROTO_FORWARD_PLACES;
}

bool kc_proto_pushes_wanted(const struct kc_proto *srv)
{
	return srv->nsubscribers > 0;
}

void kc_proto_subscribers_check(struct kc_proto *srv, bool (*open)(void *arg, const char *hash),
				void *arg)
{
	for (int i = 0; i < srv->nclients; i++) {
		struct client *c = &srv->clients[i];

		if (c->subscriber && !c->drop && !c->terminal && !c->forwarder && !open(arg, c->session_hash))
			subscriber_end(srv, c, kc_reply_fail(KCM_subscribe_session_ended, NULL));
	}
}

void kc_proto_push(struct kc_proto *srv, const char *line, size_t len)
{
	for (int i = 0; i < srv->nclients; i++) {
		struct client *c = &srv->clients[i];

		if (!c->subscriber || c->drop)
			continue;
		if (out_pending(c) + len + 1 > KC_PROTO_MAX_PENDING || queue_line(c, line, len) < 0) {
			kc_notice("socket: a subscriber (pid %d) left %zu bytes of pushes unread; "
				  "dropped (it may subscribe again)",
				  (int)c->pid, out_pending(c));
			c->drop = true;
		}
	}
}
