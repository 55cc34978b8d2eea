/* Runs inside the GPIO test VM (tests/gpio/t-gpio-vm.sh): gpio-sim chip
 * made here through configfs, driven through libgpiod. Prints one line per
 * check and a last "GPIOTEST PASS n/n" or "GPIOTEST FAIL ..." line. */
#include <errno.h>
#include <gpiod.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/gpio/sim.h"

#define LABEL "keycab-test"

static int nrun, nfail;
static char first_failure[300];

__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	nrun++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", nrun, what);
	if (!ok && nfail++ == 0)
		snprintf(first_failure, sizeof(first_failure), "%d: %s", nrun, what);
	return ok;
}

/* Waits up to ms for one edge event on line; 1 with *ev filled, 0 on
 * timeout, -errno. */
static int wait_edge(struct gpiod_line *line, int ms, struct gpiod_line_event *ev)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	int rc = gpiod_line_event_wait(line, &ts);
	if (rc <= 0)
		return rc < 0 ? -errno : 0;
	return gpiod_line_event_read(line, ev) < 0 ? -errno : 1;
}

int main(void)
{
	static const char *const names[] = { "lock0", "sense0", "lock1", "sense1" };
	char err[256];
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct gsim *sim = gsim_new("keycab", LABEL, 4, names, err, sizeof(err));
	if (!check(sim != NULL, "gpio-sim chip \"%s\" made through configfs%s%s", LABEL,
		   sim ? "" : ": ", sim ? "" : err))
		goto out;
	struct gpiod_chip *chip = gpiod_chip_open_by_label(LABEL);
	if (!check(chip != NULL, "libgpiod opens the chip by label (%s)", gsim_chip_name(sim)))
		goto out_sim;

	struct gpiod_line *out = gpiod_chip_get_line(chip, 0);
	check(out && gpiod_line_request_output(out, "vmtest", 0) == 0, "line 0 requested as output");
	check(gsim_value(sim, 0) == 0, "sysfs reads the output's 0");
	check(out && gpiod_line_set_value(out, 1) == 0 && gsim_value(sim, 0) == 1,
	      "sysfs reads the output's 1");
	check(gsim_pull(sim, 0, false) == 0, "the output's pull set down");
	check(gsim_value(sim, 0) == 1, "a pull does not change a driven output");
	if (out)
		gpiod_line_release(out);
	check(gsim_value(sim, 0) == 0, "a released line goes back to its pull");

	struct gpiod_line *in = gpiod_chip_get_line(chip, 1);
	struct gpiod_line_event ev;
	check(in && gpiod_line_request_both_edges_events(in, "vmtest") == 0,
	      "line 1 requested for both edges");
	check(in && gpiod_line_get_value(in) == 0, "the input reads its pull-down");
	check(gsim_pull(sim, 1, true) == 0 && in && wait_edge(in, 2000, &ev) == 1 &&
		      ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE,
	      "pull-up gives a rising edge");
	check(in && gpiod_line_get_value(in) == 1, "the input reads its pull-up");
	check(gsim_pull(sim, 1, false) == 0 && in && wait_edge(in, 2000, &ev) == 1 &&
		      ev.event_type == GPIOD_LINE_EVENT_FALLING_EDGE,
	      "pull-down gives a falling edge");
	check(in && wait_edge(in, 200, &ev) == 0, "no further edge");
	if (in)
		gpiod_line_release(in);
	gpiod_chip_close(chip);
out_sim:
	gsim_free(sim);
out:
	if (nfail)
		printf("GPIOTEST FAIL %d of %d checks failed; first: %s\n", nfail, nrun,
		       first_failure);
	else
		printf("GPIOTEST PASS %d/%d\n", nrun, nrun);
	return nfail ? 1 : 0;
}
