#include "controller/proto.h"

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
#include "common/util.h"

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool closing;
};

struct kc_server {
	int fd;
	char path[108];
	struct client clients[KC_PROTO_MAX_CLIENTS];
	int nclients;
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

struct kc_server *kc_server_new(const char *path, mode_t mode, const char *group, char *err,
				size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct kc_server *srv;
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
	kc_server_free(srv);
	return NULL;
}

static void client_close(struct kc_server *srv, int i)
{
	struct client *c = &srv->clients[i];

	close(c->fd);
	free(c->in);
	free(c->out);
	srv->clients[i] = srv->clients[--srv->nclients];
}

void kc_server_free(struct kc_server *srv)
{
	if (!srv)
		return;
	while (srv->nclients > 0)
		client_close(srv, 0);
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	free(srv);
}

int kc_server_pollfds(struct kc_server *srv, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = srv->fd,
				    .events = srv->nclients < KC_PROTO_MAX_CLIENTS ? POLLIN : 0 };
	for (int i = 0; i < srv->nclients && n < max; i++) {
		struct client *c = &srv->clients[i];

		fds[n++] = (struct pollfd){ .fd = c->fd,
					    .events = (short)((c->closing ? 0 : POLLIN) |
							      (c->out_len > c->out_off ? POLLOUT : 0)) };
	}
	return n;
}

static void accept_one(struct kc_server *srv)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (srv->nclients >= KC_PROTO_MAX_CLIENTS ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	c = &srv->clients[srv->nclients++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
}

static int queue_reply(struct client *c, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT | JSON_ENSURE_ASCII);
	size_t n;
	char *p;

	json_decref(rep);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_len = c->out_off = 0;
	p = realloc(c->out, c->out_len + n + 1);
	if (!p) {
		free(s);
		return -ENOMEM;
	}
	c->out = p;
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(s);
	return 0;
}

static void handle_line(struct client *c, char *line, struct kc_ctl *ctl)
{
	struct kc_peer peer = { .uid = c->uid, .pid = c->pid };
	json_error_t jerr;
	json_t *req, *rep;

	peer.console = c->uid == 0 || c->uid == ctl->uid;
	req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(req))
		rep = kc_reply_error("not a JSON object: %s", req ? "wrong type" : jerr.text);
	else
		rep = kc_ops_handle(ctl, &peer, req);
	/* The request may hold a PIN or an ID number: wipe it. */
	explicit_bzero(line, strlen(line));
	json_decref(req);
	if (queue_reply(c, rep) < 0)
		c->closing = true;
}

static void read_client(struct client *c, struct kc_ctl *ctl)
{
	for (;;) {
		char *nl;
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *p;

			if (cap > KC_PROTO_MAX_LINE + 8192) {
				queue_reply(c, kc_reply_error("request longer than %d bytes",
							      KC_PROTO_MAX_LINE));
				c->closing = true;
				return;
			}
			p = realloc(c->in, cap);
			if (!p) {
				c->closing = true;
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (n == 0) {
			c->closing = true;
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = true;
			break;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		while ((nl = memchr(c->in, '\n', c->in_len))) {
			size_t used = (size_t)(nl - c->in) + 1;

			*nl = '\0';
			if (nl > c->in)
				handle_line(c, c->in, ctl);
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			c->in[c->in_len] = '\0';
		}
	}
}

static bool write_client(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
	}
	return true;
}

void kc_server_handle(struct kc_server *srv, const struct pollfd *fds, int n, struct kc_ctl *ctl)
{
	/* Clients may be removed below: find each by its fd, not by index. */
	for (int k = 1; k < n; k++) {
		for (int i = 0; i < srv->nclients; i++) {
			struct client *c = &srv->clients[i];

			if (c->fd != fds[k].fd)
				continue;
			if (fds[k].revents & POLLIN)
				read_client(c, ctl);
			if (fds[k].revents & (POLLERR | POLLHUP | POLLNVAL))
				c->closing = true;
			if (!write_client(c) || (c->closing && c->out_off >= c->out_len))
				client_close(srv, i);
			break;
		}
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		accept_one(srv);
}
