/* The client side of keycabd's socket: one JSON object per line each way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/client/client.h"

#define KC_CLIENT_READ_MIN 4096
#define KC_CLIENT_BUF_FIRST 16384

int kc_client_open(struct kc_client *c, const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	kc_strlcpy(sa.sun_path, socket_path, sizeof(sa.sun_path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(c->fd);
		c->fd = -1;
		return r;
	}
	return 0;
}

void kc_client_close(struct kc_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int kc_client_send(struct kc_client *c, const json_t *req, char *err, size_t errlen)
{
	char *line = json_dumps(req, JSON_COMPACT);
	size_t len;
	int r = 0;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n';
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(c->fd, line + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0) {
			snprintf(err, errlen, "writing to keycabd: %s", strerror(errno));
			r = -EIO;
			break;
		}
		off += (size_t)n;
	}
	explicit_bzero(line, len);
	free(line);
	return r;
}

/* Reads until the buffer holds a line end or keycabd closes; the length of
 * the line (with its end) or of all that came, 0 for nothing. */
static ssize_t client_fill(struct kc_client *c)
{
	char *nl;

	while (!(nl = c->len ? memchr(c->buf, '\n', c->len) : NULL)) {
		ssize_t n;

		if (c->cap - c->len < KC_CLIENT_READ_MIN) {
			size_t cap = c->cap ? c->cap * 2 : KC_CLIENT_BUF_FIRST;
			char *b = realloc(c->buf, cap);

			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (ssize_t)c->len;
		c->len += (size_t)n;
	}
	return nl - c->buf + 1;
}

int kc_client_recv(struct kc_client *c, json_t **rep, char *err, size_t errlen)
{
	ssize_t n = client_fill(c);
	json_error_t jerr;

	if (n < 0)
		return (int)n;
	if (n == 0) {
		snprintf(err, errlen, "keycabd closed the connection without an answer");
		return -EIO;
	}
	*rep = json_loadb(c->buf, (size_t)n, 0, &jerr);
	c->len -= (size_t)n;
	memmove(c->buf, c->buf + n, c->len);
	if (!json_is_object(*rep)) {
		json_decref(*rep);
		*rep = NULL;
		snprintf(err, errlen, "keycabd's answer is not JSON: %s", jerr.text);
		return -EIO;
	}
	return 0;
}

int kc_client_call(struct kc_client *c, const json_t *req, json_t **rep, char *err, size_t errlen)
{
	int r = kc_client_send(c, req, err, errlen);

	if (r < 0)
		return r;
	return kc_client_recv(c, rep, err, errlen);
}
