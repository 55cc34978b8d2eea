/* controller-hwopen CABINET N: the baseline of the release benchmark: the
 * slot layer's open alone, with no keycabd, socket or database. Opens N
 * pulses of 100 ms round-robin over every slot, one at a time (the slot
 * layer holds a bus's opens while a pulse on it is about to end, which
 * would measure the wait, not the open), and prints "SLOT T0_US" per open
 * (CLOCK_MONOTONIC microseconds, as keycab-sim stamps its coil history). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "hw/hw.h"

static long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void drain(struct hw_cabinet *cab, int timeout_ms)
{
	struct pollfd p = { .fd = hw_cabinet_fd(cab), .events = POLLIN };
	struct hw_event ev[64];

	if (poll(&p, 1, timeout_ms) > 0)
		while (hw_cabinet_read_events(cab, ev, 64) > 0)
			;
}

int main(int argc, char **argv)
{
	struct hw_cabinet *cab;
	char err[512];
	long long n;
	int nslots;

	if (argc != 3 || kc_parse_long(argv[2], 1, 100000, &n) < 0) {
		fprintf(stderr, "usage: controller-hwopen CABINET N\n");
		return 2;
	}
	cab = hw_cabinet_new(argv[1], err, sizeof(err));
	if (!cab || hw_cabinet_start(cab, err, sizeof(err)) < 0) {
		fprintf(stderr, "controller-hwopen: %s\n", err);
		return 1;
	}
	nslots = hw_cabinet_slot_count(cab);
	/* every board read once before timing */
	for (long long end = kc_mono_ms() + 10000; kc_mono_ms() < end;) {
		struct hw_slot_state st;
		int known = 0;

		for (int i = 0; i < nslots; i++)
			known += hw_slot_state(cab, i, &st) == 0 && st.presence != HW_PRESENCE_UNKNOWN;
		if (known == nslots)
			break;
		drain(cab, 20);
	}
	for (long long i = 0; i < n; i++) {
		int slot = (int)(i % nslots);
		long long t0;
		int r;

		for (;;) {
			struct hw_slot_state st;
			int on = 0;

			for (int k = 0; k < nslots; k++)
				on += hw_slot_state(cab, k, &st) == 0 && st.lock_on;
			if (!on)
				break;
			drain(cab, 5);
		}
		t0 = mono_us();
		r = hw_cabinet_open(cab, slot, 100);
		if (r < 0) {
			fprintf(stderr, "controller-hwopen: open %s: %s\n", hw_slot_name(cab, slot),
				strerror(-r));
			hw_cabinet_free(cab);
			return 1;
		}
		printf("%s %lld\n", hw_slot_name(cab, slot), t0);
		drain(cab, 0);
	}
	fflush(stdout);
	/* let the last pulses end before the locks are switched off */
	for (long long end = kc_mono_ms() + 500; kc_mono_ms() < end;)
		drain(cab, 50);
	hw_cabinet_free(cab);
	return 0;
}
