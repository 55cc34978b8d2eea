/* The card reader: a keyboard-wedge device read with libevdev, grabbed.
 * One epoll descriptor holds the device (while it is open) and a timerfd
 * that is the pause limit between keys while the device is up and the
 * retry delay while it is down. */
#include "controller/kiosk/cardreader.h"

#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum state { ST_NEW, ST_UP, ST_DOWN };

struct kc_cardreader {
	char *path;
	unsigned max_len, key_timeout_ms, backoff_min_ms, backoff_max_ms;
	int epfd, tfd, evfd;
	struct libevdev *dev;
	enum state state;
	unsigned backoff_ms;  /* the next retry's delay */
	int down_error;       /* the error last reported by a DOWN event */
	bool syncing;         /* reading the kernel's state after SYN_DROPPED */
	/* the card being typed */
	char buf[KC_CARDREADER_ID_MAX + 1];
	size_t len;
	bool typing, too_long, bad_key, lost;
	int64_t last_key_us;  /* CLOCK_MONOTONIC time of its last key */
	struct kc_cardreader_stats st;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int arm_timer(struct kc_cardreader *r, unsigned ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1; /* due now (zero would disarm) */
	return timerfd_settime(r->tfd, 0, &its, NULL) ? -errno : 0;
}

static int disarm_timer(struct kc_cardreader *r)
{
	struct itimerspec its = { 0 };

	return timerfd_settime(r->tfd, 0, &its, NULL) ? -errno : 0;
}

/* Consumes an expiry: 1 when the timer had fired, 0 when not. */
static int timer_fired(struct kc_cardreader *r)
{
	uint64_t n;

	return read(r->tfd, &n, sizeof(n)) == (ssize_t)sizeof(n);
}

static void card_reset(struct kc_cardreader *r)
{
	explicit_bzero(r->buf, sizeof(r->buf));
	r->len = 0;
	r->typing = r->too_long = r->bad_key = r->lost = false;
}

static void close_device(struct kc_cardreader *r)
{
	if (r->evfd >= 0)
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->evfd, NULL);
	if (r->dev) {
		libevdev_grab(r->dev, LIBEVDEV_UNGRAB);
		libevdev_free(r->dev);
		r->dev = NULL;
	}
	if (r->evfd >= 0)
		close(r->evfd);
	r->evfd = -1;
	card_reset(r);
	r->syncing = false;
}

/* Opens and grabs the device: 0, or -errno with a message. */
static int open_device(struct kc_cardreader *r, char *msg, size_t msglen)
{
	struct epoll_event ee = { .events = EPOLLIN };
	int rc;

	r->evfd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->evfd < 0) {
		rc = -errno;
		set_err(msg, msglen, "cannot open %s: %s", r->path, strerror(-rc));
		return rc;
	}
	rc = libevdev_new_from_fd(r->evfd, &r->dev);
	if (rc < 0) {
		r->dev = NULL;
		set_err(msg, msglen, "%s is not an input device: %s", r->path, strerror(-rc));
		goto fail;
	}
	if (!libevdev_has_event_code(r->dev, EV_KEY, KEY_ENTER) ||
	    !libevdev_has_event_code(r->dev, EV_KEY, KEY_0)) {
		rc = -ENOTTY;
		set_err(msg, msglen, "%s (%s) has no digit and Enter keys: not a card reader",
			r->path, libevdev_get_name(r->dev));
		goto fail;
	}
	rc = libevdev_set_clock_id(r->dev, CLOCK_MONOTONIC);
	if (rc < 0) {
		set_err(msg, msglen, "%s: cannot set the event clock: %s", r->path, strerror(-rc));
		goto fail;
	}
	rc = libevdev_grab(r->dev, LIBEVDEV_GRAB);
	if (rc < 0) {
		set_err(msg, msglen, "%s: cannot grab it (EVIOCGRAB)%s: %s", r->path,
			rc == -EBUSY ? ", another program holds it" : "", strerror(-rc));
		goto fail;
	}
	ee.data.fd = r->evfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ee)) {
		rc = -errno;
		set_err(msg, msglen, "epoll: %s", strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	close_device(r);
	return rc;
}

/* The device is gone or could not be had: report it (once per kind of
 * error) and retry after the current delay, doubled for the next time. */
static int went_down(struct kc_cardreader *r, int error, const char *msg,
		     struct kc_cardreader_event *ev)
{
	/* A path that vanishes after its device (udev removing the by-id
	 * link) is part of the same unplugging. */
	bool same = error == r->down_error || (r->down_error == -ENODEV && error == -ENOENT);
	bool report = r->state != ST_DOWN || !same;
	int rc;

	close_device(r);
	if (r->state != ST_DOWN)
		r->backoff_ms = r->backoff_min_ms;
	r->state = ST_DOWN;
	rc = arm_timer(r, r->backoff_ms);
	if (rc < 0)
		return rc;
	r->backoff_ms = r->backoff_ms > r->backoff_max_ms / 2 ? r->backoff_max_ms
							      : r->backoff_ms * 2;
	r->down_error = error;
	if (!report)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->kind = KC_CARDREADER_DOWN;
	ev->error = error;
	snprintf(ev->message, sizeof(ev->message), "%s", msg);
	return 1;
}

static int try_connect(struct kc_cardreader *r, struct kc_cardreader_event *ev)
{
	char msg[sizeof(ev->message)];
	int rc = open_device(r, msg, sizeof(msg));

	if (rc < 0)
		return went_down(r, rc, msg, ev);
	rc = disarm_timer(r);
	if (rc < 0)
		return rc;
	r->state = ST_UP;
	r->down_error = 0;
	r->st.opens++;
	memset(ev, 0, sizeof(*ev));
	ev->kind = KC_CARDREADER_UP;
	snprintf(ev->message, sizeof(ev->message), "%s (%s) open and grabbed", r->path,
		 libevdev_get_name(r->dev));
	return 1;
}

/* The character a key types, 0 for a modifier, -1 for any other key. */
static int key_char(struct kc_cardreader *r, unsigned code)
{
	static const char letters[] = "qwertyuiopasdfghjklzxcvbnm";
	static const unsigned short letter_codes[] = {
		KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P,
		KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L,
		KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M,
	};
	static const unsigned short keypad[] = {
		KEY_KP0, KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP4,
		KEY_KP5, KEY_KP6, KEY_KP7, KEY_KP8, KEY_KP9,
	};
	bool shift = libevdev_get_event_value(r->dev, EV_KEY, KEY_LEFTSHIFT) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_RIGHTSHIFT);
	bool chord = libevdev_get_event_value(r->dev, EV_KEY, KEY_LEFTCTRL) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_RIGHTCTRL) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_LEFTALT) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_RIGHTALT) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_LEFTMETA) ||
		     libevdev_get_event_value(r->dev, EV_KEY, KEY_RIGHTMETA);
	size_t i;

	switch (code) {
	case KEY_LEFTSHIFT: case KEY_RIGHTSHIFT: case KEY_LEFTCTRL: case KEY_RIGHTCTRL:
	case KEY_LEFTALT: case KEY_RIGHTALT: case KEY_LEFTMETA: case KEY_RIGHTMETA:
	case KEY_CAPSLOCK: case KEY_NUMLOCK:
		return 0;
	}
	if (chord)
		return -1;
	if (code >= KEY_1 && code <= KEY_9)
		return shift ? -1 : '1' + (int)(code - KEY_1);
	if (code == KEY_0)
		return shift ? -1 : '0';
	for (i = 0; i < sizeof(keypad) / sizeof(keypad[0]); i++)
		if (code == keypad[i])
			return '0' + (int)i;
	for (i = 0; i < sizeof(letter_codes) / sizeof(letter_codes[0]); i++)
		if (code == letter_codes[i])
			return shift ? letters[i] - 'a' + 'A' : letters[i];
	return -1;
}

/* The keys paused mid-card: the card is dropped. */
static void drop_paused(struct kc_cardreader *r)
{
	if (r->lost)
		r->st.dropped_sync++;
	else
		r->st.dropped_timeout++;
	card_reset(r);
}

static int64_t event_us(const struct input_event *e)
{
	return (int64_t)e->input_event_sec * 1000000 + e->input_event_usec;
}

/* Enter: hands the card over when it is whole, counts it dropped when not. */
static int finish_card(struct kc_cardreader *r, struct kc_cardreader_event *ev)
{
	int got = 0;

	if (r->lost) {
		r->st.dropped_sync++;
	} else if (r->bad_key) {
		r->st.dropped_key++;
	} else if (r->too_long) {
		r->st.dropped_long++;
	} else if (r->len) {
		memset(ev, 0, sizeof(*ev));
		ev->kind = KC_CARDREADER_CARD;
		memcpy(ev->id, r->buf, r->len);
		ev->len = r->len;
		r->st.cards++;
		got = 1;
	}
	card_reset(r);
	return got;
}

/* One key event: 1 when it completed a card (in *ev), 0 otherwise, or
 * -errno from the timer. */
static int key_event(struct kc_cardreader *r, const struct input_event *e,
		     struct kc_cardreader_event *ev)
{
	int64_t t = event_us(e);
	int c;

	if (e->type != EV_KEY || e->value != 1) /* releases and repeats type nothing */
		return 0;
	if (r->typing && t - r->last_key_us > (int64_t)r->key_timeout_ms * 1000)
		drop_paused(r);
	if (e->code == KEY_ENTER || e->code == KEY_KPENTER) {
		int got = finish_card(r, ev);
		int rc = disarm_timer(r);

		return rc < 0 ? rc : got;
	}
	c = key_char(r, e->code);
	if (c == 0)
		return 0;
	if (c < 0)
		r->bad_key = true;
	else if (r->len < r->max_len)
		r->buf[r->len++] = (char)c;
	else
		r->too_long = true;
	r->typing = true;
	r->last_key_us = t;
	return arm_timer(r, r->key_timeout_ms);
}

/* The keys stopped: drops a half-typed card once its pause is long enough. */
static int key_timeout(struct kc_cardreader *r)
{
	struct timespec now;
	int64_t now_us, left_us;

	if (!r->typing)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	left_us = r->last_key_us + (int64_t)r->key_timeout_ms * 1000 - now_us;
	if (left_us > 0)
		return arm_timer(r, (unsigned)(left_us / 1000) + 1);
	drop_paused(r);
	return 0;
}

/* Reads the device's events until a card is whole or none is left. */
static int read_device(struct kc_cardreader *r, struct kc_cardreader_event *ev, char *err,
		       size_t errlen)
{
	for (;;) {
		struct input_event e;
		unsigned flags = r->syncing ? LIBEVDEV_READ_FLAG_SYNC : LIBEVDEV_READ_FLAG_NORMAL;
		int rc = libevdev_next_event(r->dev, flags, &e);

		if (rc == LIBEVDEV_READ_STATUS_SUCCESS) {
			rc = key_event(r, &e, ev);
			if (rc < 0) {
				set_err(err, errlen, "card reader timer: %s", strerror(-rc));
				return rc;
			}
			if (rc)
				return 1;
		} else if (rc == LIBEVDEV_READ_STATUS_SYNC) {
			/* The kernel's buffer overran: keys were lost, so what
			 * comes until the next Enter (or pause) is the rest of
			 * a card that is not whole, and is dropped with it.
			 * libevdev brings its key state (shift) up to date. */
			if (!r->syncing) {
				card_reset(r);
				r->typing = r->lost = true;
				r->last_key_us = event_us(&e);
				rc = arm_timer(r, r->key_timeout_ms);
				if (rc < 0) {
					set_err(err, errlen, "card reader timer: %s",
						strerror(-rc));
					return rc;
				}
			}
			r->syncing = true;
		} else if (rc == -EAGAIN) {
			if (!r->syncing)
				return 0;
			r->syncing = false;
		} else {
			char msg[sizeof(ev->message)];

			snprintf(msg, sizeof(msg), "%s: %s", r->path,
				 rc == -ENODEV ? "the device is gone (unplugged?)" : strerror(-rc));
			rc = went_down(r, rc, msg, ev);
			if (rc < 0)
				set_err(err, errlen, "card reader timer: %s", strerror(-rc));
			return rc;
		}
	}
}

int kc_cardreader_read(struct kc_cardreader *r, struct kc_cardreader_event *ev, char *err,
		       size_t errlen)
{
	int rc;

	if (!r || !ev) {
		set_err(err, errlen, "kc_cardreader_read: no reader or no event");
		return -EINVAL;
	}
	if (r->state == ST_NEW) {
		timer_fired(r);
		rc = try_connect(r, ev);
		goto out;
	}
	if (r->state == ST_UP) {
		rc = read_device(r, ev, err, errlen);
		if (rc)
			return rc;
	}
	if (!timer_fired(r))
		return 0;
	if (r->state == ST_DOWN) {
		rc = try_connect(r, ev);
		goto out;
	}
	rc = key_timeout(r);
out:
	if (rc < 0)
		set_err(err, errlen, "card reader timer: %s", strerror(-rc));
	return rc;
}

int kc_cardreader_open(struct kc_cardreader **out, const struct kc_cardreader_opts *opts,
		       char *err, size_t errlen)
{
	struct epoll_event ee = { .events = EPOLLIN };
	struct kc_cardreader *r;
	int rc;

	if (!out || !opts || !opts->path || !*opts->path) {
		set_err(err, errlen, "card reader: no device path");
		return -EINVAL;
	}
	if (opts->max_len > KC_CARDREADER_ID_MAX) {
		set_err(err, errlen, "card reader: max_len %u is above %d", opts->max_len,
			KC_CARDREADER_ID_MAX);
		return -EINVAL;
	}
	if (opts->backoff_min_ms && opts->backoff_max_ms &&
	    opts->backoff_min_ms > opts->backoff_max_ms) {
		set_err(err, errlen, "card reader: backoff_min_ms is above backoff_max_ms");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(opts->path))) {
		free(r);
		set_err(err, errlen, "card reader: out of memory");
		return -ENOMEM;
	}
	r->max_len = opts->max_len ? opts->max_len : KC_CARDREADER_ID_MAX;
	r->key_timeout_ms = opts->key_timeout_ms ? opts->key_timeout_ms
						 : KC_CARDREADER_KEY_TIMEOUT_MS;
	r->backoff_min_ms = opts->backoff_min_ms ? opts->backoff_min_ms
						 : KC_CARDREADER_BACKOFF_MIN_MS;
	r->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms
						 : KC_CARDREADER_BACKOFF_MAX_MS;
	if (r->backoff_max_ms < r->backoff_min_ms)
		r->backoff_max_ms = r->backoff_min_ms;
	r->evfd = -1;
	r->state = ST_NEW;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->epfd < 0 || r->tfd < 0) {
		rc = -errno;
		goto fail;
	}
	ee.data.fd = r->tfd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->tfd, &ee)) {
		rc = -errno;
		goto fail;
	}
	/* The first read tries the device; the timer makes the fd readable. */
	rc = arm_timer(r, 0);
	if (rc < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	set_err(err, errlen, "card reader: %s", strerror(-rc));
	kc_cardreader_close(r);
	return rc;
}

void kc_cardreader_close(struct kc_cardreader *r)
{
	if (!r)
		return;
	close_device(r);
	if (r->tfd >= 0)
		close(r->tfd);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->path);
	free(r);
}

int kc_cardreader_fd(const struct kc_cardreader *r)
{
	return r ? r->epfd : -EINVAL;
}

int kc_cardreader_connected(const struct kc_cardreader *r)
{
	return r && r->state == ST_UP;
}

void kc_cardreader_stats(const struct kc_cardreader *r, struct kc_cardreader_stats *st)
{
	if (r && st)
		*st = r->st;
}
