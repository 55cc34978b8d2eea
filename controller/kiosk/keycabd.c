/* The request connection to keycabd: one connection shared by every page
 * request and the card reader, one request at a time (keycabd answers in
 * well under a millisecond; a release's transaction in a few). */
#include <errno.h>
#include <pthread.h>
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
} kk = { .lock = PTHREAD_MUTEX_INITIALIZER };

int kiosk_keycabd_init(const char *socket_path)
{
	if (strlen(socket_path) >= sizeof(kk.path))
		return -ENAMETOOLONG;
	kc_strlcpy(kk.path, socket_path, sizeof(kk.path));
	kk.c.fd = -1;
	return 0;
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
	kc_secret_wipe_request(req);
	return r;
}

void kiosk_keycabd_close(void)
{
	pthread_mutex_lock(&kk.lock);
	keycabd_drop();
	pthread_mutex_unlock(&kk.lock);
}
