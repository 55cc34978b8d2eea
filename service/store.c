#include "service/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/schema_sql.h"

/* Migration N takes a database from version N-1 to N. */
static const char *const migrations[] = {
	kc_audit_sql_001,
	kc_audit_sql_002,
	kc_audit_sql_003,
	kc_audit_sql_004,
};
_Static_assert(KC_ARRAY_SIZE(migrations) == KC_AUDIT_SCHEMA_VERSION, "one migration per schema version");

static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;

void kc_db_write_lock(void)
{
	pthread_mutex_lock(&write_mutex);
}

void kc_db_write_unlock(void)
{
	pthread_mutex_unlock(&write_mutex);
}

static int user_version(sqlite3 *h, int *out)
{
	sqlite3_stmt *st;
	int r = -EIO;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static int migrate(sqlite3 *h, const char *path, char *err, size_t errlen)
{
	int have, want = (int)KC_ARRAY_SIZE(migrations);
	char *msg = NULL;
	char sql[64];

	if (user_version(h, &have) < 0) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s", path, sqlite3_errmsg(h));
		return -EIO;
	}
	if (have > want) {
		snprintf(err, errlen,
			 "%s: database schema version %d is newer than this keyauditd (%d); refusing to start",
			 path, have, want);
		return -EPROTO;
	}
	for (int v = have; v < want; v++) {
		if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
		if (sqlite3_exec(h, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: migration to schema version %d failed: %s", path, have + 1,
		 msg ? msg : sqlite3_errmsg(h));
	sqlite3_free(msg);
	return -EIO;
}

struct kc_db *kc_db_open(const char *path, int do_migrate, char *err, size_t errlen)
{
	struct kc_db *db = calloc(1, sizeof(*db));
	char *msg = NULL;

	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto free_db;
	}
	sqlite3_busy_timeout(db->h, 10000);
	if (sqlite3_exec(db->h,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		goto free_db;
	}
	if (do_migrate) {
		if (migrate(db->h, path, err, errlen) < 0)
			goto free_db;
	} else {
		int have;

		if (user_version(db->h, &have) < 0 || have != KC_AUDIT_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: not an audit database of schema version %d", path,
				 KC_AUDIT_SCHEMA_VERSION);
			goto free_db;
		}
	}
	return db;
free_db:
	kc_db_free(db);
	return NULL;
}

void kc_db_free(struct kc_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

sqlite3_stmt *kc_db_stmt(struct kc_db *db, const char *sql)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (db->ncache < KC_ARRAY_SIZE(db->cache)) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = st;
		db->ncache++;
		return st;
	}
	/* The cache is full: callers only use literals, so this is a bug. */
	sqlite3_finalize(st);
	return NULL;
}

int kc_db_exec(struct kc_db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int kc_db_begin(struct kc_db *db)
{
	return kc_db_exec(db, "BEGIN IMMEDIATE");
}

int kc_db_commit(struct kc_db *db)
{
	return kc_db_exec(db, "COMMIT");
}

void kc_db_rollback(struct kc_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static char *thread_path;

static void thread_db_free(void *p)
{
	kc_db_free(p);
}

static void thread_key_make(void)
{
	pthread_key_create(&thread_key, thread_db_free);
}

int kc_db_thread_init(const char *path)
{
	pthread_once(&thread_once, thread_key_make);
	free(thread_path);
	thread_path = strdup(path);
	return thread_path ? 0 : -ENOMEM;
}

struct kc_db *kc_db_thread(void)
{
	struct kc_db *db = pthread_getspecific(thread_key);
	char err[256];

	if (db || !thread_path)
		return db;
	db = kc_db_open(thread_path, 0, err, sizeof(err));
	if (db)
		pthread_setspecific(thread_key, db);
	return db;
}

int kc_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int kc_bind_json_str(sqlite3_stmt *st, int i, const json_t *obj, const char *member)
{
	const json_t *v = json_object_get(obj, member);

	if (json_is_string(v))
		return sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v),
					 SQLITE_TRANSIENT);
	if (json_is_integer(v))
		return sqlite3_bind_int64(st, i, json_integer_value(v));
	if (json_is_boolean(v))
		return sqlite3_bind_int(st, i, json_is_true(v));
	return sqlite3_bind_null(st, i);
}

json_t *kc_column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
	default:
		return json_null();
	}
}
