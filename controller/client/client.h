/* libkcclient: what a program that talks to keycabd at the cabinet needs
 * (keycab, the touchscreen terminal): the socket client, secrets read and
 * wiped, and times shown in the cabinet's zone. It decides nothing and
 * prints nothing: each function returns 0 or a negative errno, and says
 * why in err where a caller needs the words. */
#ifndef KC_CLIENT_H
#define KC_CLIENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* client.c: one connection to keycabd's socket, JSON lines
 * (controller/README.md, "The socket protocol"). */
#define KC_CLIENT_SOCKET_DEFAULT "/run/keycabd/keycabd.sock"

struct kc_client {
	int fd;
	char *buf;	/* bytes read and not yet returned as a reply */
	size_t len, cap;
};

/* Connects; 0 or the negative errno of socket()/connect(). */
int kc_client_open(struct kc_client *c, const char *socket_path);
/* Sends req as one line (the line is wiped after: it may hold a secret),
 * then reads one reply line into *rep, a JSON object. -EIO with why in
 * err: a failed write, the connection closed without an answer, or an
 * answer that is no JSON object; -ENOMEM. */
int kc_client_call(struct kc_client *c, const json_t *req, json_t **rep, char *err, size_t errlen);
/* Its two halves, for a client that reads more than one reply (a reply
 * that came with the one before is kept for the next kc_client_recv). */
int kc_client_send(struct kc_client *c, const json_t *req, char *err, size_t errlen);
int kc_client_recv(struct kc_client *c, json_t **rep, char *err, size_t errlen);
void kc_client_close(struct kc_client *c);

/* secret.c: PINs, card ids and ID numbers never come on a command line. */
#define KC_SECRET_LEN 256
/* One line into buf (the line end dropped): from stdin when from_stdin,
 * else from a prompt on the terminal (/dev/tty) without echo, the prompt
 * written to stderr. 0, -ENXIO (no terminal to ask), -ENODATA (end of
 * input before a line). */
int kc_secret_read(const char *prompt, bool from_stdin, char *buf, size_t len);
/* Wipes the string values of a request's secret members (pin, card,
 * id_number, approver_pin) in place; call before the last json_decref. */
void kc_secret_wipe_request(json_t *req);

/* desktime.c: times as the desk reads them. keycabd tells its zone in the
 * reply to "ping" (time_zone); kc_desktime_zone() makes it this process's
 * zone (common/util.h's kc_tz_set), or UTC with -ENOENT/-EINVAL when the
 * zone is not known here. */
int kc_desktime_zone(const json_t *ping_reply, const char **zone);
/* keycabd's form of a time ("2026-11-23T01:56:46.145Z"): false for
 * anything else. */
bool kc_desktime_parse(const char *s, int64_t *wall_ms);
/* A time from member `name` of a reply, local, to the minute; a start at
 * local midnight (start, valid_from) or an end at the next one (end,
 * valid_to) as the bare date. */
void kc_desktime_format(const char *name, int64_t wall_ms, char *out, size_t len);

#endif
