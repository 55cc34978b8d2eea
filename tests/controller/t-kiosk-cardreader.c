/* Unit tests of controller/kiosk/cardreader.c that need no input device:
 * options, a missing device and a path that is no input device (reported,
 * retried with backoff, reported once). Typing into a real device is
 * tested in the VM (tests/gpio/input-vmtest.c). */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "controller/kiosk/cardreader.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads events for ms: how many DOWN events came, the last one in *last. */
static int downs_within(struct kc_cardreader *r, int ms, struct kc_cardreader_event *last,
			int *wakeups)
{
	int64_t end = mono_ms() + ms;
	int n = 0;
	char err[160];

	for (;;) {
		struct pollfd p = { .fd = kc_cardreader_fd(r), .events = POLLIN };
		struct kc_cardreader_event ev;
		int64_t left = end - mono_ms();
		int rc;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return n;
		if (wakeups)
			(*wakeups)++;
		while ((rc = kc_cardreader_read(r, &ev, err, sizeof(err))) > 0) {
			assert_int_equal(ev.kind, KC_CARDREADER_DOWN);
			*last = ev;
			n++;
		}
		assert_int_equal(rc, 0);
	}
}

static void test_options(void **state)
{
	struct kc_cardreader_opts o = { 0 };
	struct kc_cardreader *r = NULL;
	char err[160] = "";

	(void)state;
	assert_int_equal(kc_cardreader_open(&r, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "path"));
	o.path = "";
	assert_int_equal(kc_cardreader_open(&r, &o, err, sizeof(err)), -EINVAL);
	o.path = "/dev/input/by-id/x";
	o.max_len = KC_CARDREADER_ID_MAX + 1;
	assert_int_equal(kc_cardreader_open(&r, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max_len"));
	o.max_len = 0;
	o.backoff_min_ms = 500;
	o.backoff_max_ms = 100;
	assert_int_equal(kc_cardreader_open(&r, &o, NULL, 0), -EINVAL);
	assert_null(r);
	assert_int_equal(kc_cardreader_open(NULL, &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(kc_cardreader_read(NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(kc_cardreader_fd(NULL), -EINVAL);
	assert_int_equal(kc_cardreader_connected(NULL), 0);
	kc_cardreader_close(NULL);
}

/* A missing device: DOWN -ENOENT at once, once; retried with a doubling
 * delay (50, 100, 200, 200 ... ms: about 7 tries in 1.2 s, not 24). */
static void test_missing_device(void **state)
{
	struct kc_cardreader_opts o = {
		.path = "/nonexistent/keycab-card-reader",
		.backoff_min_ms = 50, .backoff_max_ms = 200,
	};
	struct kc_cardreader_event ev;
	struct kc_cardreader_stats st;
	struct kc_cardreader *r = NULL;
	char err[160];
	int fd, wakeups = 0;

	(void)state;
	assert_int_equal(kc_cardreader_open(&r, &o, err, sizeof(err)), 0);
	fd = kc_cardreader_fd(r);
	assert_true(fd >= 0);
	assert_int_equal(downs_within(r, 300, &ev, NULL), 1);
	assert_int_equal(ev.error, -ENOENT);
	assert_non_null(strstr(ev.message, o.path));
	assert_int_equal(kc_cardreader_connected(r), 0);
	assert_int_equal(downs_within(r, 1200, &ev, &wakeups), 0);
	assert_in_range(wakeups, 4, 9);
	assert_int_equal(kc_cardreader_fd(r), fd);
	kc_cardreader_stats(r, &st);
	assert_int_equal(st.opens, 0);
	assert_int_equal(st.cards, 0);
	kc_cardreader_close(r);
}

/* A path that is no input device: reported as such. */
static void test_not_an_input_device(void **state)
{
	struct kc_cardreader_opts o = { .path = "/dev/null" };
	struct kc_cardreader_event ev;
	struct kc_cardreader *r = NULL;

	(void)state;
	assert_int_equal(kc_cardreader_open(&r, &o, NULL, 0), 0);
	assert_int_equal(downs_within(r, 300, &ev, NULL), 1);
	assert_int_equal(ev.error, -ENOTTY);
	assert_non_null(strstr(ev.message, "not an input device"));
	kc_cardreader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_not_an_input_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
