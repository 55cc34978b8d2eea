/* Unit tests of controller/store.c and controller/outbox.c on real SQLite
 * files: creation, refusal of missing, corrupt, newer and foreign
 * databases, the outbox chain moving only with committed transactions,
 * the forwarder's outbox statements (batch, acknowledge, prune), and the
 * events published after a commit only. */
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

#include "common/event.h"
#include "common/pdata.h"
#include "controller/outbox.h"
#include "controller/store.h"

static char dir[64], path[128];
static char err[512];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/t-ctl-store.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/k.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void append(struct kc_store *st, enum kc_event_type type)
{
	json_t *ev = kc_store_event(st, type);

	assert_non_null(ev);
	assert_int_equal(kc_store_append(st, ev), 0);
}

/* Walks the outbox with kc_event_check; returns the number of events. */
static int check_outbox(const char *db_path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH, e[256];
	int n = 0;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, body FROM outbox ORDER BY seq", -1, &s,
					    NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *ev = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);

		assert_non_null(ev);
		if (kc_event_check(ev, prev, n + 1, e, sizeof(e)) < 0)
			fail_msg("event %d: %s", n + 1, e);
		snprintf(prev, sizeof(prev), "%s", json_string_value(json_object_get(ev, "hash")));
		json_decref(ev);
		n++;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void test_create_and_chain(void **state)
{
	struct kc_store *st;

	(void)state;
	printf("a database is created once; events chain across commits and reopen\n");
	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_CONTROLLER_STARTED);
	append(st, KC_EVT_SITE_REGISTERED);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(kc_store_last_seq(st), 2);
	kc_store_free(st);
	assert_null(kc_store_open(path, "cab-1", true, err, sizeof(err)));
	assert_non_null(strstr(err, "already"));
	st = kc_store_open(path, "cab-1", false, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(kc_store_last_seq(st), 2);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_CONTROLLER_STOPPING);
	assert_int_equal(kc_store_commit(st), 0);
	kc_store_free(st);
	assert_int_equal(check_outbox(path), 3);
}

static void test_rollback_leaves_no_trace(void **state)
{
	struct kc_store *st;
	int64_t n;

	(void)state;
	printf("a rolled-back transaction leaves neither rows nor a gap in the chain\n");
	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_SITE_REGISTERED);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_UNIT_REGISTERED);
	append(st, KC_EVT_UNIT_REGISTERED);
	kc_store_rollback(st);
	assert_int_equal(kc_store_last_seq(st), 1);
	assert_int_equal(kc_store_int(st, &n, "SELECT count(*) FROM outbox", ""), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_KEY_REGISTERED);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(kc_store_last_seq(st), 2);
	/* an append outside a transaction is refused */
	assert_int_equal(kc_store_append(st, kc_store_event(st, KC_EVT_PERSON_REGISTERED)), -EINVAL);
	kc_store_free(st);
	assert_int_equal(check_outbox(path), 2);
}

static void collect(void *arg, json_t *ev)
{
	json_array_append(arg, ev);
}

/* The outbox row of seq, parsed. */
static json_t *outbox_row(struct kc_store *st, int64_t seq)
{
	sqlite3_stmt *s = kc_store_q(st, "SELECT body FROM outbox WHERE seq = ?", "I", seq);
	json_t *ev = NULL;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		ev = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
	if (s)
		sqlite3_reset(s);
	return ev;
}

static void test_publish_after_commit(void **state)
{
	json_t *got = json_array(), *row;
	struct kc_store *st;

	(void)state;
	printf("events reach the publish callback after their commit, as sealed; never when rolled back\n");
	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	kc_store_set_publish(st, collect, got);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_SLOT_INSERTED);
	append(st, KC_EVT_SLOT_REMOVED);
	assert_int_equal(json_array_size(got), 0); /* not before the commit */
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(json_array_size(got), 2);
	for (int i = 0; i < 2; i++) {
		row = outbox_row(st, i + 1);
		assert_true(json_equal(row, json_array_get(got, (size_t)i)));
		json_decref(row);
	}
	/* rolled back: nothing, and the next commit publishes only its own */
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_SLOT_FAULT);
	kc_store_rollback(st);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_SLOT_RECOVERED);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(json_array_size(got), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(got, 2), "type")), "slot.recovered");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(got, 2), "seq")), 3);
	/* a commit that fails after the appends publishes nothing */
	assert_int_equal(kc_store_x(st, "CREATE TRIGGER no_chain BEFORE UPDATE ON chain"
				       " BEGIN SELECT RAISE(ABORT, 'forced'); END", ""), 0);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_ALARM_RAISED);
	assert_int_equal(kc_store_commit(st), -EIO);
	assert_int_equal(json_array_size(got), 3);
	assert_int_equal(kc_store_x(st, "DROP TRIGGER no_chain", ""), 0);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_ALARM_CLEARED);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(json_array_size(got), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(got, 3), "seq")), 4);
	kc_store_free(st);
	json_decref(got);
	assert_int_equal(check_outbox(path), 4);
}

static void test_refusals(void **state)
{
	struct kc_store *st;
	sqlite3 *db;
	FILE *f;

	(void)state;
	printf("missing: %s\n", kc_store_open(path, "c", false, err, sizeof(err)) ? "opened" : err);
	assert_non_null(strstr(err, "--init-db"));

	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	kc_store_free(st);
	assert_null(kc_store_open(path, "cab-2", false, err, sizeof(err)));
	printf("foreign: %s\n", err);
	assert_non_null(strstr(err, "belongs to cabinet \"cab-1\""));

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(kc_store_open(path, "cab-1", false, err, sizeof(err)));
	printf("newer: %s\n", err);
	assert_non_null(strstr(err, "newer"));

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 300; i++)
		fputs("this is not a database at all, just text ", f);
	fclose(f);
	assert_null(kc_store_open(path, "cab-1", false, err, sizeof(err)));
	printf("corrupt: %s\n", err);
	assert_non_null(strstr(err, path));
}

static void test_query_helpers(void **state)
{
	struct kc_store *st;
	int64_t v = 0;

	(void)state;
	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(kc_store_x(st, "INSERT INTO sites (code, name, age) VALUES (?,?,?)", "sss", "S",
				    "Site", "new"),
			 0);
	assert_int_equal(kc_store_x(st, "INSERT INTO sites (code, name, age) VALUES (?,?,?)", "sss", "S",
				    "Again", "new"),
			 -EEXIST);
	assert_int_equal(kc_store_x(st, "INSERT INTO sites (code, name, age) VALUES (?,?,?)", "sss", "T",
				    "Bad age", "ancient"),
			 -EEXIST);
	assert_int_equal(kc_store_int(st, &v, "SELECT count(*) FROM sites WHERE code = ?", "s", "S"), 0);
	assert_int_equal(v, 1);
	assert_int_equal(kc_store_int(st, &v, "SELECT 1 FROM sites WHERE code = ?", "s", "nope"),
			 -ENOENT);
	/* an error while stepping is an error, not "no row" */
	assert_int_equal(kc_store_int(st, &v, "SELECT abs(-9223372036854775807 - 1)", ""), -EIO);
	assert_int_equal(kc_store_int(st, &v, "SELECT 1 FROM no_such_table", ""), -EIO);
	kc_store_free(st);
}

static void test_outbox(void **state)
{
	struct kc_store *st;
	struct kc_db_spec spec = { .program = "t-ctl-store", .kind = "keycab", .busy_ms = 1000 };
	struct kc_db *db;
	int64_t first = 0, last = 0, n = -1, max = -1;
	char *batch;

	(void)state;
	printf("the forwarder's outbox statements on their own connection\n");
	st = kc_store_open(path, "cab-1", true, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(kc_store_begin(st), 0);
	for (int i = 0; i < 5; i++)
		append(st, KC_EVT_NOTICE_DUE);
	assert_int_equal(kc_store_commit(st), 0);
	db = kc_db_connect(path, &spec, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(kc_outbox_read(db, 0, 2, &batch, &first, &last), 2);
	assert_int_equal(first, 1);
	assert_int_equal(last, 2);
	assert_true(batch[0] == '[' && strstr(batch, "\"seq\":2") && batch[strlen(batch) - 1] == ']');
	free(batch);
	assert_int_equal(kc_outbox_ack(db, 1, 2, 1000), 0);
	assert_int_equal(kc_outbox_ack(db, 2, 3, 2000), 0);
	assert_int_equal(kc_store_int(st, &n, "SELECT acked_ms FROM outbox WHERE seq = 2", ""), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(kc_outbox_count(db, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(kc_outbox_count(db, 1, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(kc_outbox_acked_max(db, &max), 0);
	assert_int_equal(max, 3);
	/* the next batch starts after the acknowledged rows; from a seq, there */
	assert_int_equal(kc_outbox_read(db, 0, 10, &batch, &first, &last), 2);
	assert_int_equal(first, 4);
	free(batch);
	assert_int_equal(kc_outbox_read(db, 2, 10, &batch, &first, &last), 4);
	assert_int_equal(first, 2);
	free(batch);
	/* pruned: acknowledged before 1500 or up to seq 1; unacknowledged kept */
	assert_int_equal(kc_outbox_prune(db, 1500, 1), 0);
	assert_int_equal(kc_outbox_has(db, 2), 0);
	assert_int_equal(kc_outbox_has(db, 3), 1);
	assert_int_equal(kc_outbox_has(db, 4), 1);
	/* a seq the store holds already is refused, nothing changed */
	assert_int_equal(kc_outbox_append(db, 4, "{}"), -EEXIST);
	assert_int_equal(kc_outbox_count(db, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(kc_store_int(st, &n, "SELECT count(*) FROM outbox", ""), 0);
	assert_int_equal(n, 3);
	assert_int_equal(kc_outbox_first(db, &max), 0);
	assert_int_equal(max, 3);
	/* what the service acknowledged, with fewer rows kept: the highest
	 * acknowledged row; none kept: the one before the backlog; an empty
	 * outbox: the chain's head */
	assert_int_equal(kc_outbox_prune(db, 0, 3), 0);
	assert_int_equal(kc_outbox_acked_max(db, &max), 0);
	assert_int_equal(max, 3);
	assert_int_equal(kc_outbox_ack(db, 4, 5, 3000), 0);
	assert_int_equal(kc_outbox_prune(db, 0, 5), 0);
	assert_int_equal(kc_outbox_first(db, &max), 0);
	assert_int_equal(max, 0);
	assert_int_equal(kc_outbox_acked_max(db, &max), 0);
	assert_int_equal(max, 5);
	assert_int_equal(kc_store_begin(st), 0);
	append(st, KC_EVT_NOTICE_DUE);
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(kc_outbox_acked_max(db, &max), 0);
	assert_int_equal(max, 5);
	kc_db_free(db);
	kc_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_no_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
	};

	kc_pdata_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
