/* Unit tests of the slot state machine (hw/scan.c): debouncing and the
 * events each change makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/scan.h"

#define P HW_PRESENCE_PRESENT
#define A HW_PRESENCE_ABSENT
#define F HW_PRESENCE_FAULT
#define U HW_PRESENCE_UNKNOWN

/* Feeds a reading and commits what it changes, like hw/cabinet.c does;
 * returns the events as a string: "R" recovered, "I" inserted, "X"
 * removed, "F" fault, "" none. */
static const char *step(struct hw_track *t, enum hw_presence reading, int debounce)
{
	static char out[HW_TRACK_MAX_EVENTS + 1];
	enum hw_event_type ev[HW_TRACK_MAX_EVENTS];
	enum hw_presence to = hw_track_feed(t, reading, debounce);
	int n = hw_track_commit(t, to, ev);

	for (int i = 0; i < n; i++)
		out[i] = ev[i] == HW_EV_RECOVERED ? 'R' :
			 ev[i] == HW_EV_INSERTED ? 'I' :
			 ev[i] == HW_EV_REMOVED  ? 'X' :
			 ev[i] == HW_EV_FAULT    ? 'F' :
						   '?';
	out[n] = '\0';
	return out;
}

static void test_start_unknown(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	assert_int_equal(t.state, U);
	/* the first reading must hold for `debounce` scans */
	assert_string_equal(step(&t, A, 3), "");
	assert_string_equal(step(&t, A, 3), "");
	assert_int_equal(t.state, U);
	assert_string_equal(step(&t, A, 3), "R");
	assert_int_equal(t.state, A);
	/* nothing more while it stays */
	assert_string_equal(step(&t, A, 3), "");
}

static void test_start_present(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	assert_string_equal(step(&t, P, 2), "");
	assert_string_equal(step(&t, P, 2), "R");
	assert_int_equal(t.state, P);
}

static void test_insert_remove(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, A, 2);
	step(&t, A, 2);
	assert_string_equal(step(&t, P, 2), "");
	assert_int_equal(t.state, A);
	assert_string_equal(step(&t, P, 2), "I");
	assert_int_equal(t.state, P);
	assert_string_equal(step(&t, P, 2), "");
	assert_string_equal(step(&t, A, 2), "");
	assert_string_equal(step(&t, A, 2), "X");
	assert_int_equal(t.state, A);
}

static void test_bounce_ignored(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, A, 3);
	step(&t, A, 3);
	step(&t, A, 3);
	/* a contact that chatters never holds for 3 scans: no event */
	for (int i = 0; i < 10; i++) {
		assert_string_equal(step(&t, P, 3), "");
		assert_string_equal(step(&t, P, 3), "");
		assert_string_equal(step(&t, A, 3), "");
	}
	assert_int_equal(t.state, A);
	assert_string_equal(step(&t, P, 3), "");
	assert_string_equal(step(&t, P, 3), "");
	assert_string_equal(step(&t, P, 3), "I");
}

static void test_debounce_one(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	assert_string_equal(step(&t, P, 1), "R");
	assert_string_equal(step(&t, A, 1), "X");
	assert_string_equal(step(&t, P, 1), "I");
	/* 0 or less counts as 1 */
	assert_string_equal(step(&t, A, 0), "X");
}

static void test_fault_at_once(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, P, 2);
	step(&t, P, 2);
	/* no debouncing of a fault, and only one event for it */
	assert_string_equal(step(&t, F, 2), "F");
	assert_int_equal(t.state, F);
	assert_string_equal(step(&t, F, 2), "");
	assert_string_equal(step(&t, F, 2), "");
}

static void test_fault_at_start(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	assert_string_equal(step(&t, F, 2), "F");
	assert_string_equal(step(&t, A, 2), "");
	/* recovered, and nothing known before: no removed event */
	assert_string_equal(step(&t, A, 2), "R");
	assert_int_equal(t.state, A);
}

static void test_recover_same(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, P, 2);
	step(&t, P, 2);
	step(&t, F, 2);
	assert_string_equal(step(&t, P, 2), "");
	assert_int_equal(t.state, F);
	assert_string_equal(step(&t, P, 2), "R");
	assert_int_equal(t.state, P);
}

static void test_recover_changed(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, P, 2);
	step(&t, P, 2);
	step(&t, F, 2);
	step(&t, A, 2);
	/* the key left while the board was silent: RECOVERED says absent,
	 * and no REMOVED (the caller compares with what it expected) */
	assert_string_equal(step(&t, A, 2), "R");
	assert_int_equal(t.state, A);
	step(&t, F, 2);
	step(&t, P, 2);
	assert_string_equal(step(&t, P, 2), "R");
	assert_int_equal(t.state, P);
	/* and after that, changes are events again */
	step(&t, A, 2);
	assert_string_equal(step(&t, A, 2), "X");
}

static void test_fault_restarts_debounce(void **state)
{
	struct hw_track t;

	(void)state;
	hw_track_init(&t);
	step(&t, A, 2);
	step(&t, A, 2);
	/* one present reading, then a fault, then one present reading:
	 * not two in a row */
	assert_string_equal(step(&t, P, 2), "");
	assert_string_equal(step(&t, F, 2), "F");
	assert_string_equal(step(&t, P, 2), "");
	assert_int_equal(t.state, F);
	assert_string_equal(step(&t, P, 2), "R");
}

/* feed() proposes, commit() applies: a change not committed (its tag read
 * failed) is proposed again on the next scan. */
static void test_uncommitted_change(void **state)
{
	struct hw_track t;
	enum hw_event_type ev[HW_TRACK_MAX_EVENTS];

	(void)state;
	hw_track_init(&t);
	step(&t, A, 2);
	step(&t, A, 2);
	assert_int_equal(hw_track_feed(&t, P, 2), U);
	assert_int_equal(hw_track_feed(&t, P, 2), P);
	assert_int_equal(t.state, A);
	assert_int_equal(hw_track_feed(&t, P, 2), P);
	assert_int_equal(hw_track_commit(&t, P, ev), 1);
	assert_int_equal(ev[0], HW_EV_INSERTED);
	assert_int_equal(hw_track_commit(&t, P, ev), 0);
	assert_int_equal(hw_track_commit(&t, U, ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_unknown),
		cmocka_unit_test(test_start_present),
		cmocka_unit_test(test_insert_remove),
		cmocka_unit_test(test_bounce_ignored),
		cmocka_unit_test(test_debounce_one),
		cmocka_unit_test(test_fault_at_once),
		cmocka_unit_test(test_fault_at_start),
		cmocka_unit_test(test_recover_same),
		cmocka_unit_test(test_recover_changed),
		cmocka_unit_test(test_fault_restarts_debounce),
		cmocka_unit_test(test_uncommitted_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
