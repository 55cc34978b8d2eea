/* The estate's change feed on a database file (service/feed.c): change
 * numbers per cabinet without gaps, standalone cabinets refused, reads in
 * order from a position, marks from the derive, the console's status, and
 * the held polls woken after a commit, never after a rollback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "service/auth.h"
#include "service/feed.h"
#include "service/store.h"

static char woken[8][KC_NAME_MAX + 1];
static size_t nwoken;
static int wakes;

static void note_wake(const char *const *cabinets, size_t n)
{
	wakes++;
	for (size_t i = 0; i < n && nwoken < 8; i++)
		snprintf(woken[nwoken++], sizeof(woken[0]), "%s", cabinets[i]);
}

static struct kc_db *open_db(char *dir, char *dbp, size_t len)
{
	char err[256];
	struct kc_db *db;

	assert_non_null(mkdtemp(dir));
	snprintf(dbp, len, "%s/f.db", dir);
	db = kc_db_open(dbp, 1, err, sizeof(err));
	assert_non_null(db);
	return db;
}

static void remove_db(const char *dir)
{
	static const char *const ends[] = { "", "-wal", "-shm" };
	char p[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/f.db%s", dir, ends[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* One change in its own write transaction, committed or not. */
static int add_one(struct kc_db *db, const char *cabinet, const char *type, json_t *data, bool commit)
{
	int r;

	assert_int_equal(kc_db_write_begin(db), 0);
	r = kc_feed_add(db, cabinet, type, data, "alice", 1000);
	assert_int_equal(kc_db_write_end(db, commit && r > 0 ? 0 : -ECANCELED), commit && r > 0 ? 0 : -ECANCELED);
	return r;
}

static void test_feed(void **state)
{
	char dir[] = "/tmp/kc-feed-XXXXXX", dbp[64], tok[KC_TOKEN_LEN];
	struct kc_db *db = open_db(dir, dbp, sizeof(dbp));
	json_t *site = json_pack("{s:s, s:s}", "site", "S1", "name", "阳光花园");
	json_t *changes = NULL, *st = NULL, *params = json_pack("{s:s}", "slot", "9-9");
	int64_t last = -1;

	(void)state;
	kc_feed_set_waker(note_wake);
	assert_int_equal(kc_auth_cabinet_add(db, "C1", tok), 0);
	assert_int_equal(kc_auth_cabinet_add(db, "C2", tok), 0);
	/* registered standalone: no feed */
	assert_int_equal(kc_feed_cabinet_managed(db, "C1"), 0);
	assert_int_equal(kc_feed_cabinet_managed(db, "NOPE"), -ENOENT);
	assert_int_equal(add_one(db, "C1", "site.set", site, true), -EPERM);
	assert_int_equal(add_one(db, "NOPE", "site.set", site, true), -ENOENT);
	assert_int_equal(kc_feed_read(db, "C1", 0, &changes, &last), -EPERM);
	assert_int_equal(kc_feed_cabinet_set_mode(db, "@office", KC_FEED_MANAGED), -ENOENT);
	assert_int_equal(kc_feed_cabinet_set_mode(db, "C1", KC_FEED_MANAGED), 0);
	assert_int_equal(kc_feed_cabinet_set_mode(db, "C2", KC_FEED_MANAGED), 0);
	assert_int_equal(kc_feed_cabinet_managed(db, "C1"), 1);
	/* bad input */
	assert_int_equal(add_one(db, "C1", "", site, true), -EINVAL);
	assert_int_equal(add_one(db, "C1", "site.set", json_null(), true), -EINVAL);
	assert_int_equal(wakes, 0);
	/* numbers per cabinet, woken after the commit only */
	assert_int_equal(add_one(db, "C1", "site.set", site, true), 1);
	assert_int_equal(wakes, 1);
	assert_int_equal(nwoken, 1);
	assert_string_equal(woken[0], "C1");
	assert_int_equal(add_one(db, "C1", "unit.set", site, false), 2); /* rolled back */
	assert_int_equal(wakes, 1);
	assert_int_equal(add_one(db, "C1", "unit.set", site, true), 2);
	assert_int_equal(add_one(db, "C2", "site.set", site, true), 1);
	assert_int_equal(wakes, 3);
	assert_string_equal(woken[2], "C2");
	/* two cabinets in one transaction: one wake naming both */
	assert_int_equal(kc_db_write_begin(db), 0);
	assert_int_equal(kc_feed_add(db, "C1", "key.set", site, "bob", 2000), 3);
	assert_int_equal(kc_feed_add(db, "C2", "key.set", site, "bob", 2000), 2);
	assert_int_equal(kc_db_write_end(db, 0), 0);
	assert_int_equal(wakes, 4);
	assert_int_equal(nwoken, 5);
	assert_string_equal(woken[3], "C1");
	assert_string_equal(woken[4], "C2");
	/* read from a position, in order */
	assert_int_equal(kc_feed_read(db, "C1", 1, &changes, &last), 0);
	assert_int_equal(last, 3);
	assert_int_equal(json_array_size(changes), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(changes, 0), "change")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 0), "type")), "unit.set");
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 1), "by")), "bob");
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 1), "made")),
			    "1970-01-01T00:00:02.000Z");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(json_array_get(changes, 1), "data"), "name")),
		"阳光花园");
	json_decref(changes);
	assert_int_equal(kc_feed_read(db, "C1", 3, &changes, &last), 0);
	assert_int_equal(json_array_size(changes), 0);
	json_decref(changes);
	/* marks and the console's status */
	assert_int_equal(kc_feed_position(db, "C1", 2, 5000), 0);
	assert_int_equal(kc_feed_mark(db, "C1", 1, false, 4000, 17, NULL, NULL), 0);
	assert_int_equal(kc_feed_mark(db, "C1", 2, true, 4500, 18, "estate_slot_unknown", params), 0);
	assert_int_equal(kc_feed_mark(db, "C1", 99, false, 4500, 19, NULL, NULL), 0); /* none such: left alone */
	assert_int_equal(kc_feed_status(db, "C1", 0, 10, &st), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "applied")), 1);
	assert_int_equal(json_integer_value(json_object_get(st, "refused")), 1);
	assert_int_equal(json_integer_value(json_object_get(st, "pending")), 1);
	assert_int_equal(json_integer_value(json_object_get(st, "position")), 2);
	assert_int_equal(json_integer_value(json_object_get(st, "last")), 3);
	assert_string_equal(json_string_value(json_object_get(st, "mode")), "managed");
	assert_int_equal(json_array_size(json_object_get(st, "changes")), 3);
	{
		json_t *c2 = json_array_get(json_object_get(st, "changes"), 1);

		assert_int_equal(json_integer_value(json_object_get(c2, "change")), 2);
		assert_string_equal(json_string_value(json_object_get(c2, "state")), "refused");
		assert_string_equal(json_string_value(json_object_get(c2, "code")), "estate_slot_unknown");
		assert_string_equal(json_string_value(json_object_get(json_object_get(c2, "params"), "slot")), "9-9");
		assert_int_equal(json_integer_value(json_object_get(c2, "applied_ms")), 4500);
		assert_int_equal(json_integer_value(json_object_get(c2, "event_seq")), 18);
	}
	json_decref(st);
	assert_int_equal(kc_feed_status(db, "C1", 3, 1, &st), 0); /* paged: below change 3 */
	assert_int_equal(json_array_size(json_object_get(st, "changes")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(st, "changes"), 0), "change")), 2);
	json_decref(st);
	assert_int_equal(kc_feed_status(db, "NOPE", 0, 10, &st), -ENOENT);
	/* standalone again: no reads, no new changes */
	assert_int_equal(kc_feed_cabinet_set_mode(db, "C2", KC_FEED_STANDALONE), 0);
	assert_int_equal(add_one(db, "C2", "site.set", site, true), -EPERM);
	kc_feed_set_waker(NULL);
	json_decref(site);
	json_decref(params);
	kc_db_free(db);
	remove_db(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
