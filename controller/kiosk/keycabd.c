/* The request connection to keycabd: one connection shared by every page
 * request and the card reader, one request at a time (keycabd answers in
 * well under a millisecond; a release's transaction in a few). And the
 * terminal key, keycabd's credential for the terminal's live state and
 * roster. */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/kiosk.h"

static struct {
	pthread_mutex_t lock;
	char path[108];
	struct kc_client c;
	bool open;
	char terminal_key[KC_SHARED_KEY_MAX + 1]; /* empty: none */
} kk = { .lock = PTHREAD_MUTEX_INITIALIZER };

int kiosk_keycabd_init(const char *socket_path, const char *terminal_key)
{
	if (strlen(socket_path) >= sizeof(kk.path))
		return -ENAMETOOLONG;
	if (terminal_key && strlen(terminal_key) >= sizeof(kk.terminal_key))
		return -E2BIG;
	kc_strlcpy(kk.path, socket_path, sizeof(kk.path));
	kc_strlcpy(kk.terminal_key, terminal_key ? terminal_key : "", sizeof(kk.terminal_key));
	kk.c.fd = -1;
	return 0;
}

void kiosk_keycabd_add_key(json_t *req)
{
	if (kk.terminal_key[0])
		json_object_set_new(req, "terminal_key", json_string(kk.terminal_key));
}

void kiosk_keycabd_wipe(json_t *req)
{
	json_t *k = json_object_get(req, "terminal_key");

	kc_secret_wipe_request(req);
	if (json_is_string(k))
		sodium_memzero((char *)json_string_value(k), json_string_length(k));
}

static int keycabd_connect(char *err, size_t errlen)
{
	int r;

	if (kk.open)
		return 0;
	r = kc_client_open(&kk.c, kk.path);
	if (r < 0) {
		snprintf(err, errlen, "cannot connect to keycabd at %s: %s", kk.path, strerror(-r));
		return r;
	}
	kk.open = true;
	return 0;
}

static void keycabd_drop(void)
{
	if (kk.open)
		kc_client_close(&kk.c);
	kk.open = false;
}

int kiosk_keycabd_call(json_t *req, json_t **rep, char *err, size_t errlen)
{
	int r;

	*rep = NULL;
	pthread_mutex_lock(&kk.lock);
	/* A connection keycabd closed (idle, or keycabd restarted) fails the
	 * write (EPIPE on a unix socket): nothing was sent, so once more on a
	 * new connection. A failure after the write is not retried. */
	for (int attempt = 0; attempt < 2; attempt++) {
		r = keycabd_connect(err, errlen);
		if (r < 0)
			break;
		r = kc_client_send(&kk.c, req, err, errlen);
		if (r < 0) {
			keycabd_drop();
			continue;
		}
		r = kc_client_recv(&kk.c, rep, err, errlen);
		if (r < 0)
			keycabd_drop();
		break;
	}
	pthread_mutex_unlock(&kk.lock);
	kiosk_keycabd_wipe(req);
	return r;
}

void kiosk_keycabd_close(void)
{
	pthread_mutex_lock(&kk.lock);
	keycabd_drop();
	pthread_mutex_unlock(&kk.lock);
	sodium_memzero(kk.terminal_key, sizeof(kk.terminal_key));
}
