#include "service/store.h"

#include <libgen.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/util.h"
#include "service/schema_sql.h"

static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;

void kc_db_write_lock(void)
{
	pthread_mutex_lock(&write_mutex);
}

void kc_db_write_unlock(void)
{
	pthread_mutex_unlock(&write_mutex);
}

int kc_db_write_begin(struct kc_db *db)
{
	kc_db_write_lock();
	if (kc_db_begin(db) < 0) {
		kc_db_write_unlock();
		return -EIO;
	}
	return 0;
}

int kc_db_write_end(struct kc_db *db, int r)
{
	if (r == 0 && kc_db_commit(db) < 0)
		r = -EIO;
	if (r < 0)
		kc_db_rollback(db);
	kc_db_write_unlock();
	return r;
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
		if (kc_db_write_probe(db) < 0) {
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
	const struct kc_db_spec spec = {
		.program = "keyauditd",
		.kind = "audit",
		.migrations = kc_audit_migrations,
		.nmigrations = kc_audit_migration_count,
		.open_flags = SQLITE_OPEN_NOMUTEX,
		.busy_ms = 10000,
		.create = true,
		.sync_normal = !store_sync_full,
		.startup = do_migrate,
		.fresh_ok = true,
		.restore_hint = " (the cabinets send again what they keep)",
	};
	struct kc_db *db = kc_db_connect(path, &spec, err, errlen);
	int have;

	if (!db || do_migrate)
		return db;
	if (kc_db_user_version(db, &have) < 0 || have != kc_audit_migration_count) {
		snprintf(err, errlen, "%s: not an audit database of schema version %d", path,
			 kc_audit_migration_count);
		kc_db_free(db);
		return NULL;
	}
	return db;
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

json_t *kc_rows_json(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *st, void *arg), void *arg)
{
	json_t *out = json_array();
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, row(st, arg));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}
