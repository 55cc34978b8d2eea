#include "service/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util.h"
#include "service/schema_sql.h"

/* Migration N takes a database from version N-1 to N. */
static const char *const migrations[] = {
	kc_audit_sql_001,
	kc_audit_sql_002,
	kc_audit_sql_003,
	kc_audit_sql_004,
	kc_audit_sql_005,
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

/* ---- SQLite's own error text ---- */

/* The last error SQLite reported on this thread (its error log sees every
 * one, also those a ROLLBACK afterwards clears from the connection). */
static __thread int store_last_rc;
static __thread char store_last_msg[200];
static pthread_once_t store_log_once = PTHREAD_ONCE_INIT;

static void store_sqlite_log(void *cls, int rc, const char *msg)
{
	int primary = rc & 0xff;

	(void)cls;
	if (primary == SQLITE_NOTICE || primary == SQLITE_WARNING || primary == SQLITE_SCHEMA)
		return;
	store_last_rc = rc;
	kc_strlcpy(store_last_msg, msg ? msg : "", sizeof(store_last_msg));
}

static void store_log_init(void)
{
	/* only before SQLite initialises; later (a program that used it
	 * first) the connection's own error code is all there is */
	sqlite3_config(SQLITE_CONFIG_LOG, store_sqlite_log, NULL);
}

const char *kc_db_errstr(struct kc_db *db, char *buf, size_t len)
{
	int rc = db ? sqlite3_extended_errcode(db->h) : SQLITE_OK;

	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(buf, len, "%s (%s)", sqlite3_errstr(rc), sqlite3_errmsg(db->h));
		return buf;
	}
	if (store_last_rc == 0) {
		snprintf(buf, len, "unknown SQLite error");
		return buf;
	}
	snprintf(buf, len, "%s (%s)", sqlite3_errstr(store_last_rc), store_last_msg);
	return buf;
}

/* ---- the file and its checks ---- */

/* Creates a missing database file 0600, whatever the umask; SQLite gives
 * its -wal and -shm files the mode of the database file. */
static int store_create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* A write that changes nothing (the schema version set to itself),
 * committed: it goes through the WAL and the fsync like an ingest. */
static int store_write_probe(sqlite3 *h)
{
	int v;
	char sql[64];

	if (user_version(h, &v) < 0)
		return -EIO;
	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT;", v);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = sqlite3_extended_errcode(h);

		if (!sqlite3_get_autocommit(h))
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		store_last_rc = rc ? rc : store_last_rc;
		return -EIO;
	}
	return 0;
}

/* Refuses a database keyauditd cannot keep events in: one opened
 * read-only, one that fails PRAGMA quick_check, one it cannot write. */
static int store_check(struct kc_db *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char why[200];
	int rc;

	if (sqlite3_db_readonly(db->h, "main") == 1) {
		snprintf(err, errlen,
			 "%s: 数据库只读，拒绝启动 the database is read-only to this user (file or directory"
			 " permissions, a read-only file system); keyauditd must write it; refusing to start",
			 path);
		return -EROFS;
	}
	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: PRAGMA quick_check cannot run: %s; refusing to start", path,
			 kc_db_errstr(db, why, sizeof(why)));
		return -EIO;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		if (rc == SQLITE_ROW)
			kc_strlcpy(why, (const char *)sqlite3_column_text(st, 0), sizeof(why));
		else
			kc_db_errstr(db, why, sizeof(why));
		sqlite3_finalize(st);
		snprintf(err, errlen,
			 "%s: 数据库已损坏，拒绝启动 the database is corrupt (PRAGMA quick_check: %s); refusing to"
			 " start: restore it from a backup (the cabinets send again what they keep)",
			 path, why);
		return -EBADMSG;
	}
	sqlite3_finalize(st);
	if (store_write_probe(db->h) < 0) {
		snprintf(err, errlen, "%s: 数据库无法写入，拒绝启动 cannot write the database: %s; refusing to start",
			 path, kc_db_errstr(db, why, sizeof(why)));
		return -EIO;
	}
	return 0;
}

/* ---- can the service store? ---- */

static atomic_int store_failing;

void kc_db_note_write(int ok)
{
	atomic_store(&store_failing, !ok);
}

int kc_db_health(struct kc_db *db, const char *path, char *msg, size_t len)
{
	char dir[4096], why[200];
	struct statvfs vfs;

	kc_strlcpy(dir, path, sizeof(dir));
	if (statvfs(dirname(dir), &vfs) == 0) {
		unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;

		if (vfs.f_flag & ST_RDONLY) {
			snprintf(msg, len, "the database's file system is read-only");
			return -EROFS;
		}
		if (avail < KC_DB_MIN_FREE) {
			snprintf(msg, len, "the disk is full: %llu KiB free for the database", avail / 1024);
			return -ENOSPC;
		}
	}
	if (sqlite3_db_readonly(db->h, "main") == 1) {
		snprintf(msg, len, "the database is open read-only");
		return -EROFS;
	}
	/* after a failed write, only a write shows it works again */
	if (atomic_load(&store_failing)) {
		if (store_write_probe(db->h) < 0) {
			snprintf(msg, len, "the last write failed: %s", kc_db_errstr(db, why, sizeof(why)));
			return -EIO;
		}
		kc_db_note_write(1);
	}
	snprintf(msg, len, "ok");
	return 0;
}

static int store_sync_full = 1;

void kc_db_bench_synchronous_normal(void)
{
	store_sync_full = 0;
}

struct kc_db *kc_db_open(const char *path, int do_migrate, char *err, size_t errlen)
{
	struct kc_db *db = calloc(1, sizeof(*db));
	char *msg = NULL;
	int r;

	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_once(&store_log_once, store_log_init);
	r = store_create_private(path);
	if (r < 0 && r != -EACCES && r != -EROFS) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(-r));
		goto free_db;
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto free_db;
	}
	sqlite3_busy_timeout(db->h, 10000);
	if (sqlite3_exec(db->h,
			 store_sync_full ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
					 : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen,
			 "%s: 数据库无法写入 cannot use the database: %s (the file and its directory must be writable:"
			 " SQLite keeps its -wal and -shm files beside it)",
			 path, msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		goto free_db;
	}
	if (do_migrate) {
		if (store_check(db, path, err, errlen) < 0 || migrate(db->h, path, err, errlen) < 0)
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
