/* The one screen the kiosk serves. The cabinet's display unit and the
 * kiosk both read the pairing key (a systemd credential); the display
 * opens GET /pair?key=KEY once, and the kiosk answers with a cookie of its
 * own making: the screen's. Every request of the terminal must carry that
 * cookie. A pairing again (the display restarted) makes a new screen and
 * the one before is refused from then on. Only a digest of the key is
 * kept; keys and cookies are compared in constant time. And the page the
 * display opens to pair (keycab-kiosk --pairing-page): a file of its own,
 * so that the key is on no command line. */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/kiosk/kiosk.h"

static struct {
	pthread_mutex_t lock;
	unsigned char key[KC_SHARED_KEY_DIGEST]; /* the key's digest */
	bool ready;
	char cookie[KIOSK_COOKIE_LEN]; /* the screen's; empty before the first pairing */
	uint64_t screen;	       /* pairings so far: the screen's number */
} kp = { .lock = PTHREAD_MUTEX_INITIALIZER };

int kiosk_pair_init(const char *key)
{
	size_t n = strlen(key);

	if (sodium_init() < 0)
		return -EIO;
	if (n < KC_SHARED_KEY_MIN || n > KC_SHARED_KEY_MAX)
		return -EINVAL;
	kc_shared_key_digest(key, n, kp.key);
	kp.ready = true;
	return 0;
}

int kiosk_pair(const char *key, char cookie[KIOSK_COOKIE_LEN], char old[KIOSK_COOKIE_LEN])
{
	unsigned char raw[32];
	int r = -EACCES;

	old[0] = '\0';
	if (!key || !kp.ready)
		return -EACCES;
	pthread_mutex_lock(&kp.lock);
	if (kc_shared_key_matches(kp.key, key, strlen(key))) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(cookie, KIOSK_COOKIE_LEN, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof(raw));
		kc_strlcpy(old, kp.cookie, KIOSK_COOKIE_LEN);
		kc_strlcpy(kp.cookie, cookie, sizeof(kp.cookie));
		kp.screen++;
		r = 0;
	}
	pthread_mutex_unlock(&kp.lock);
	return r;
}

uint64_t kiosk_pair_check(const char *cookie)
{
	uint64_t screen = 0;

	if (!cookie || strlen(cookie) != KIOSK_COOKIE_LEN - 1)
		return 0;
	pthread_mutex_lock(&kp.lock);
	if (kp.cookie[0] && sodium_memcmp(kp.cookie, cookie, KIOSK_COOKIE_LEN - 1) == 0)
		screen = kp.screen;
	pthread_mutex_unlock(&kp.lock);
	return screen;
}

uint64_t kiosk_pair_current(void)
{
	uint64_t screen;

	pthread_mutex_lock(&kp.lock);
	screen = kp.screen;
	pthread_mutex_unlock(&kp.lock);
	return screen;
}

int kiosk_pair_screen(char cookie[KIOSK_COOKIE_LEN])
{
	int r = -ENOENT;

	pthread_mutex_lock(&kp.lock);
	if (kp.cookie[0]) {
		kc_strlcpy(cookie, kp.cookie, KIOSK_COOKIE_LEN);
		r = 0;
	}
	pthread_mutex_unlock(&kp.lock);
	return r;
}

void kiosk_pair_free(void)
{
	pthread_mutex_lock(&kp.lock);
	sodium_memzero(kp.key, sizeof(kp.key));
	sodium_memzero(kp.cookie, sizeof(kp.cookie));
	kp.ready = false;
	pthread_mutex_unlock(&kp.lock);
}

/* What stands in a URL's query as it is. */
#define PAIR_URL_PLAIN "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"

int kiosk_pair_page(const char *file, int port, const char *key, char *err, size_t errlen)
{
	char tmp[KIOSK_PATH_MAX + 16];
	FILE *f;
	int fd, r = 0;

	if (port <= 0) {
		snprintf(err, errlen, "pairing page: [kiosk] port is 0; the display needs the port it opens");
		return -EINVAL;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file) >= sizeof(tmp)) {
		snprintf(err, errlen, "pairing page: %s: too long a path", file);
		return -ENAMETOOLONG;
	}
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		snprintf(err, errlen, "pairing page: cannot write %s: %s", file, strerror(-r));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return r;
	}
	fprintf(f,
		"<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:%d/pair?key=",
		port);
	/* percent-encoded: a shared key may hold any printable character */
	for (const char *k = key; *k; k++)
		fprintf(f, strchr(PAIR_URL_PLAIN, *k) ? "%c" : "%%%02X", (unsigned char)*k);
	fprintf(f, "\">\n<title>keycab</title>\n</head>\n<body></body>\n</html>\n");
	if (fflush(f) != 0 || fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, file) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "pairing page: cannot write %s: %s", file, strerror(-r));
		unlink(tmp);
	}
	return r;
}
