/* Unit tests of the cabinet file (hw/conf.c): every malformed file is
 * refused with a message naming file, line, section and key, and the
 * example files load. Each case is one cmocka test named after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/conf.h"

struct bad_case {
	const char *name;
	const char *text;
	int line;          /* expected line in the message */
	const char *where; /* "[section] key" part, or NULL */
	const char *what;  /* a part of the explanation */
};

#define CAB "[cabinet]\nid = t\n"
/* lines 1-2: [cabinet], id */
#define TCP_BOARD "[board b1]\ntype = modbus-tcp\nhost = 127.0.0.1\n"
/* 3 lines */
#define SLOT(name, lock, sense) "[slot " name "]\nboard = b1\nlock = " lock "\nsense = " sense "\n"
/* 4 lines */

static const struct bad_case bad_cases[] = {
	{ "unknown board", CAB TCP_BOARD "[slot A01]\nlabel = x\nboard = nope\nlock = 0\nsense = 0\n",
	  8, "[slot A01] board", "no [board nope] in this file" },
	{ "duplicate slot", CAB TCP_BOARD SLOT("A01", "0", "0") SLOT("A01", "1", "1"), 10, NULL,
	  "slot A01 defined twice (first on line 6)" },
	{ "coil used twice", CAB TCP_BOARD SLOT("A01", "3", "0") "[slot A02]\nboard = b1\nsense = 1\nlock = 3\n",
	  13, "[slot A02] lock", "coil 3 of board b1 is slot A01's already (line 8)" },
	{ "input used twice", CAB TCP_BOARD SLOT("A01", "0", "5") SLOT("A02", "1", "5"), 13,
	  "[slot A02] sense", "input 5 of board b1 is slot A01's already (line 9)" },
	{ "tag registers overlap",
	  CAB TCP_BOARD SLOT("A01", "0", "0") "tag = 4\n" SLOT("A02", "1", "1") "tag = 5\n", 15,
	  "[slot A02] tag", "registers 5-6 overlap slot A01's tag registers 4-5" },
	{ "gpio line used twice",
	  CAB "[board g]\ntype = gpio\nchip = gpio-sim.0\n"
	      "[slot G1]\nboard = g\nlock = 0\nsense = 1\n"
	      "[slot G2]\nboard = g\nlock = 1\nsense = 2\n",
	  12, "[slot G2] lock", "line 1 of chip gpio-sim.0 is slot G1's already (line 9)" },
	{ "gpio line used twice across boards of one chip",
	  CAB "[board g]\ntype = gpio\nchip = bank0\n[board h]\ntype = gpio\nchip = bank0\n"
	      "[slot G1]\nboard = g\nlock = 0\nsense = 1\n"
	      "[slot H1]\nboard = h\nlock = 0\nsense = 2\n",
	  15, "[slot H1] lock", "line 0 of board h is slot G1's already (line 11)" },
	{ "gpio lock and sense on one line",
	  CAB "[board g]\ntype = gpio\nchip = c\n[slot G1]\nboard = g\nlock = 4\nsense = 4\n", 9,
	  "[slot G1] sense", "line 4 is this slot's lock line too" },
	{ "lock out of range", CAB TCP_BOARD SLOT("A01", "70000", "0"), 8, "[slot A01] lock",
	  "70000 is out of range (0 to 65535)" },
	{ "lock not a number", CAB TCP_BOARD SLOT("A01", "3x", "0"), 8, "[slot A01] lock",
	  "\"3x\" is not a whole number" },
	{ "waveshare channel out of range",
	  CAB "[board w]\ntype = modbus-tcp\nhost = h\nprofile = waveshare-relay-d\n"
	      "[slot W1]\nboard = w\nlock = 8\nsense = 0\n",
	  9, "[slot W1] lock", "the Waveshare Relay (D) has relay channels 0 to 7" },
	{ "waveshare reads no tags",
	  CAB "[board w]\ntype = modbus-tcp\nhost = h\nprofile = waveshare-relay-d\n"
	      "[slot W1]\nboard = w\nlock = 1\nsense = 0\ntag = 0\n",
	  11, "[slot W1] tag", "reads no key tags" },
	{ "unit out of range", CAB "[board b1]\ntype = modbus-tcp\nhost = h\nunit = 300\n" SLOT("A01", "0", "0"),
	  6, "[board b1] unit", "300 is out of range (0 to 247)" },
	{ "rtu unit 0", CAB "[bus rs]\ndevice = /dev/ttyS0\n[board r]\ntype = modbus-rtu\nbus = rs\nunit = 0\n"
	      "[slot R1]\nboard = r\nlock = 0\nsense = 0\n",
	  8, "[board r] unit", "a Modbus RTU unit id is 1 to 247" },
	{ "rtu unit used twice on a bus",
	  CAB "[bus rs]\ndevice = /dev/ttyS0\n[board r]\ntype = modbus-rtu\nbus = rs\nunit = 3\n"
	      "[board q]\ntype = modbus-rtu\nunit = 3\nbus = rs\n"
	      "[slot R1]\nboard = r\nlock = 0\nsense = 0\n",
	  11, "[board q] unit", "unit 3 on bus rs is board r's already (line 8)" },
	{ "unknown bus", CAB "[board r]\ntype = modbus-rtu\nunit = 1\nbus = rs485\n[slot R1]\nboard = r\nlock = 0\nsense = 0\n",
	  6, "[board r] bus", "no [bus rs485] in this file" },
	{ "bad baud", CAB "[bus rs]\ndevice = /dev/ttyS0\nbaud = 12345\n", 5, "[bus rs] baud",
	  "12345 is no standard rate" },
	{ "relative device", CAB "[bus rs]\ndevice = ttyS0\n", 4, "[bus rs] device",
	  "must be an absolute path" },
	{ "scan_ms out of range", "[cabinet]\nid = t\nscan_ms = 5\n", 3, "[cabinet] scan_ms",
	  "5 is out of range (10 to 1000)" },
	{ "pulse above the hard maximum", "[cabinet]\nid = t\npulse_ms = 70000\n", 3,
	  "[cabinet] pulse_ms", "70000 is out of range (100 to 60000)" },
	{ "pulse above pulse_max_ms", CAB "pulse_max_ms = 5000\npulse_ms = 6000\n" TCP_BOARD SLOT("A01", "0", "0"),
	  4, "[cabinet] pulse_ms", "6000 is above pulse_max_ms (5000)" },
	{ "retry_max below retry_min", CAB "retry_min_ms = 500\nretry_max_ms = 100\n" TCP_BOARD SLOT("A01", "0", "0"),
	  4, "[cabinet] retry_max_ms", "100 is below retry_min_ms (500)" },
	{ "missing lock", CAB TCP_BOARD "[slot A01]\nboard = b1\nsense = 0\n", 6, "[slot A01] lock",
	  "required key missing" },
	{ "missing lock, last section at end of file", CAB TCP_BOARD "[slot A01]\nboard = b1\nsense = 0\n[slot A02]\nboard = b1\nlock = 1\nsense = 1\n",
	  6, "[slot A01] lock", "required key missing" },
	{ "missing type", CAB "[board b1]\nhost = h\n" SLOT("A01", "0", "0"), 3, "[board b1] type",
	  "missing; say modbus-rtu, modbus-tcp or gpio" },
	{ "missing host", CAB "[board b1]\ntype = modbus-tcp\n" SLOT("A01", "0", "0"), 3,
	  "[board b1] host", "required key missing" },
	{ "missing chip", CAB "[board g]\ntype = gpio\n" SLOT("A01", "0", "1"), 3, "[board g] chip",
	  "required key missing" },
	{ "missing cabinet id", "[cabinet]\nname = x\n" TCP_BOARD SLOT("A01", "0", "0"), 1,
	  "[cabinet] id", "required key missing" },
	{ "no cabinet section", TCP_BOARD SLOT("A01", "0", "0"), 1, NULL, "no [cabinet] section" },
	{ "no slots", CAB TCP_BOARD, 1, NULL, "the cabinet has no [slot ...] sections" },
	{ "unknown key", CAB TCP_BOARD SLOT("A01", "0", "0") "colour = red\n", 10,
	  "[slot A01] colour", "unknown key" },
	{ "key given twice", CAB TCP_BOARD SLOT("A01", "0", "0") "lock = 1\n", 10, "[slot A01] lock",
	  "given twice in this section" },
	{ "unknown section kind", CAB "[drawer d1]\n", 3, NULL, "unknown section kind \"drawer\"" },
	{ "section without name", CAB "[slot]\n", 3, NULL, "expected [slot NAME]" },
	{ "bad name", CAB "[slot A 01]\n", 3, NULL, "expected [slot NAME]" },
	{ "key outside any section", "id = t\n[cabinet]\n", 1, "id",
	  "key outside any section" },
	{ "syntax error", CAB "this is no key\n", 3, NULL, "syntax error" },
	{ "bad boolean", "[cabinet]\nid = t\n[board g]\ntype = gpio\nchip = c\n[slot G1]\nboard = g\nlock = 0\nsense = 1\nlock_active_low = maybe\n",
	  10, "[slot G1] lock_active_low", "\"maybe\" is not yes or no" },
	{ "active-low on a modbus slot", CAB TCP_BOARD SLOT("A01", "0", "0") "sense_active_low = yes\n",
	  10, "[slot A01] sense_active_low", "only gpio lines can be active-low" },
	{ "tag on a gpio slot", CAB "[board g]\ntype = gpio\nchip = c\n[slot G1]\nboard = g\nlock = 0\nsense = 1\ntag = 0\n",
	  10, "[slot G1] tag", "a gpio board reads no key tags" },
	{ "profile on a gpio board", CAB "[board g]\ntype = gpio\nchip = c\nprofile = waveshare-relay-d\n" SLOT("A01", "0", "1"),
	  6, "[board g] profile", "a gpio board has no Modbus profile" },
	{ "unknown profile", CAB "[board b1]\ntype = modbus-tcp\nhost = h\nprofile = acme\n", 6,
	  "[board b1] profile", "\"acme\": say generic or waveshare-relay-d" },
	{ "host on an rtu board",
	  CAB "[bus rs]\ndevice = /dev/ttyS0\n[board r]\ntype = modbus-rtu\nbus = rs\nunit = 1\nhost = 10.0.0.1\n"
	      "[slot R1]\nboard = r\nlock = 0\nsense = 0\n",
	  9, "[board r] host", "only a modbus-tcp board has a host" },
	{ "bus on a tcp board", CAB "[bus rs]\ndevice = /dev/ttyS0\n" TCP_BOARD "bus = rs\n" SLOT("A01", "0", "0"),
	  8, "[board b1] bus", "only a modbus-rtu board sits on a [bus]" },
	{ "tcp unit used twice at one address",
	  CAB TCP_BOARD "[board b2]\ntype = modbus-tcp\nhost = 127.0.0.1\nunit = 1\n" SLOT("A01", "0", "0"),
	  9, "[board b2] unit", "unit 1 at 127.0.0.1:502 is board b1's already" },
};

static char tmpdir[] = "/tmp/t-hw-conf.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	char path[256], err[512], want[512];
	struct hw_cabinet_conf *conf;

	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, c->text);
	err[0] = '\0';
	conf = hw_conf_load(path, err, sizeof(err));
	print_message("%-45s -> %s\n", c->name, err);
	assert_null(conf);
	/* FILE:LINE: [section] key: ... */
	if (c->where)
		snprintf(want, sizeof(want), "%s:%d: %s: ", path, c->line, c->where);
	else
		snprintf(want, sizeof(want), "%s:%d: ", path, c->line);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", err, want);
	if (!strstr(err, c->what))
		fail_msg("message \"%s\" does not say \"%s\"", err, c->what);
}

static void test_missing_file(void **state)
{
	char err[512];

	(void)state;
	assert_null(hw_conf_load("/nonexistent/cab.conf", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/cab.conf: cannot open: No such file or directory");
}

static void test_valid_defaults(void **state)
{
	char path[256], err[512];
	struct hw_cabinet_conf *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	write_file(path, "; a comment\n[cabinet]\nid = good\n"
			 "[bus rs]\ndevice = /dev/ttyUSB0\nbaud = 19200\nparity = even\n"
			 "[board r]\ntype = modbus-rtu\nbus = rs\nunit = 7\nprofile = waveshare-relay-d\n"
			 "[board g]\ntype = gpio\nchip = gpio-sim.0\n"
			 "[slot R1]\nboard = r\nlock = 7\nsense = 7\nlabel = 1-101\n"
			 "[slot G1]\nboard = g\nlock = 0\nsense = 1\nlock_active_low = yes\n");
	c = hw_conf_load(path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->id, "good");
	assert_int_equal(c->scan_ms, 50);
	assert_int_equal(c->debounce, 2);
	assert_int_equal(c->pulse_ms, 10000);
	assert_int_equal(c->pulse_max_ms, 30000);
	assert_int_equal(c->nbuses, 1);
	assert_int_equal(c->buses[0].baud, 19200);
	assert_int_equal(c->buses[0].parity, 'E');
	assert_int_equal(c->nboards, 2);
	assert_int_equal(c->boards[0].bus, 0);
	assert_int_equal(c->boards[0].unit, 7);
	assert_int_equal(c->boards[0].profile, HW_PROFILE_WAVESHARE_RELAY_D);
	assert_int_equal(c->nslots, 2);
	assert_int_equal(c->slots[0].board, 0);
	assert_int_equal(c->slots[0].tag, -1);
	assert_string_equal(c->slots[0].label, "1-101");
	assert_int_equal(c->slots[1].board, 1);
	assert_true(c->slots[1].lock_active_low);
	assert_false(c->slots[1].sense_active_low);
	assert_int_equal(hw_conf_find_slot(c, "G1"), 1);
	assert_int_equal(hw_conf_find_slot(c, "X"), -ENOENT);
	hw_conf_free(c);
}

/* The shipped examples, the demo's included, must stay valid. */
static void test_examples(void **state)
{
	static const char *files[] = { "hw/examples/demo-cabinet.conf",
				       "hw/examples/gpio-cabinet.conf",
				       "hw/examples/waveshare-cabinet.conf",
				       "hw/examples/mixed-cabinet.conf" };
	const char *src = getenv("KEYCAB_SRC");

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], err[512];
		struct hw_cabinet_conf *c;

		snprintf(path, sizeof(path), "%s/%s", src ? src : ".", files[i]);
		c = hw_conf_load(path, err, sizeof(err));
		if (!c)
			fail_msg("%s", err);
		print_message("%s: %d slots on %d boards\n", files[i], c->nslots, c->nboards);
		hw_conf_free(c);
	}
}

int main(void)
{
	size_t nbad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	struct CMUnitTest *tests = calloc(nbad + 3, sizeof(*tests));
	char bad[256];
	size_t n = 0;
	int r;

	if (!tests || !mkdtemp(tmpdir))
		return 1;
	for (size_t i = 0; i < nbad; i++) {
		tests[n].name = bad_cases[i].name;
		tests[n].test_func = test_bad;
		tests[n].initial_state = (void *)&bad_cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_missing_file);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_valid_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_examples);
	r = _cmocka_run_group_tests("t-hw-conf", tests, n, NULL, NULL);
	snprintf(bad, sizeof(bad), "%s/bad.conf", tmpdir);
	unlink(bad);
	snprintf(bad, sizeof(bad), "%s/good.conf", tmpdir);
	unlink(bad);
	rmdir(tmpdir);
	free(tests);
	return r ? 1 : 0;
}
