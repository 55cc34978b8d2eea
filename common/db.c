#include "common/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

/* ---- SQLite's own error text ---- */

/* The last error SQLite reported on this thread (its error log sees every
 * one, also those a ROLLBACK afterwards clears from the connection). */
static __thread int db_last_rc;
static __thread char db_last_msg[200];
static pthread_once_t db_log_once = PTHREAD_ONCE_INIT;

static void db_sqlite_log(void *cls, int rc, const char *msg)
{
	int primary = rc & 0xff;

	(void)cls;
	if (primary == SQLITE_NOTICE || primary == SQLITE_WARNING || primary == SQLITE_SCHEMA)
		return;
	db_last_rc = rc;
	kc_strlcpy(db_last_msg, msg ? msg : "", sizeof(db_last_msg));
}

static void db_log_init(void)
{
	/* only before SQLite initialises; later (a program that used it
	 * first) the connection's own error code is all there is */
	sqlite3_config(SQLITE_CONFIG_LOG, db_sqlite_log, NULL);
}

const char *kc_db_errstr(struct kc_db *db, char *buf, size_t len)
{
	int rc = db ? sqlite3_extended_errcode(db->h) : SQLITE_OK;

	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(buf, len, "%s (%s)", sqlite3_errstr(rc), sqlite3_errmsg(db->h));
		return buf;
	}
	if (db_last_rc == 0) {
		snprintf(buf, len, "unknown SQLite error");
		return buf;
	}
	snprintf(buf, len, "%s (%s)", sqlite3_errstr(db_last_rc), db_last_msg);
	return buf;
}

/* ---- statements ---- */

sqlite3_stmt *kc_db_stmt(struct kc_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < db->ncache && !st; i++)
		if (db->cache[i].sql == sql)
			st = db->cache[i].st;
	for (size_t i = 0; i < db->ncache && !st; i++)
		if (strcmp(db->cache[i].sql, sql) == 0)
			st = db->cache[i].st;
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (db->ncache < KC_ARRAY_SIZE(db->cache)) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = st;
		db->ncache++;
		return st;
	}
	/* leaking one statement a call would hide the bug: refuse instead */
	sqlite3_finalize(st);
	return NULL;
}

sqlite3_stmt *kc_db_vq(struct kc_db *db, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = kc_db_stmt(db, sql);
	int i = 1;

	if (!s)
		return NULL;
	for (const char *f = fmt; f && *f; f++, i++) {
		const char *str;

		switch (*f) {
		case 's':
			str = va_arg(ap, const char *);
			if (str)
				sqlite3_bind_text(s, i, str, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(s, i);
			break;
		case 'I':
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'i':
			sqlite3_bind_int(s, i, va_arg(ap, int));
			break;
		default:
			return NULL;
		}
	}
	return s;
}

int kc_db_row(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int kc_db_vx(struct kc_db *db, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = kc_db_vq(db, sql, fmt, ap);
	int rc;

	if (!s)
		return -EIO;
	do
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

int kc_db_x(struct kc_db *db, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kc_db_vx(db, sql, fmt, ap);
	va_end(ap);
	return r;
}

sqlite3_stmt *kc_db_q(struct kc_db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = kc_db_vq(db, sql, fmt, ap);
	va_end(ap);
	return s;
}

int kc_db_vint(struct kc_db *db, int64_t *out, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = kc_db_vq(db, sql, fmt, ap);
	int r;

	if (!s)
		return -EIO;
	r = kc_db_row(s);
	if (r < 0)
		return r;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int kc_db_int(struct kc_db *db, int64_t *out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kc_db_vint(db, out, sql, fmt, ap);
	va_end(ap);
	return r;
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

/* ---- the file, its checks and its schema ---- */

int kc_db_create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return close(fd) < 0 ? -errno : 0;
}

int kc_db_user_version(struct kc_db *db, int *out)
{
	sqlite3_stmt *st;
	int r = -EIO;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int kc_db_write_probe(struct kc_db *db)
{
	int v;
	char sql[64];

	if (kc_db_user_version(db, &v) < 0)
		return -EIO;
	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT;", v);
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = sqlite3_extended_errcode(db->h);

		if (!sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		db_last_rc = rc ? rc : db_last_rc;
		return -EIO;
	}
	return 0;
}

/* Refuses a database the program cannot keep its data in: one opened
 * read-only or one that fails PRAGMA quick_check. */
static int db_check_readable(struct kc_db *db, const char *path, const struct kc_db_spec *spec, char *err,
			     size_t errlen)
{
	sqlite3_stmt *st;
	char why[200];
	int rc;

	if (sqlite3_db_readonly(db->h, "main") == 1) {
		snprintf(err, errlen,
			 "%s: 数据库只读，拒绝启动 the database is read-only to this user (file or directory"
			 " permissions, a read-only file system); %s must write it; refusing to start",
			 path, spec->program);
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
			 " start: restore it from a backup%s",
			 path, why, spec->restore_hint ? spec->restore_hint : "");
		return -EBADMSG;
	}
	sqlite3_finalize(st);
	return 0;
}

static int db_check_writable(struct kc_db *db, const char *path, char *err, size_t errlen)
{
	char why[200];

	if (kc_db_write_probe(db) < 0) {
		snprintf(err, errlen, "%s: 数据库无法写入，拒绝启动 cannot write the database: %s; refusing to start",
			 path, kc_db_errstr(db, why, sizeof(why)));
		return -EIO;
	}
	return 0;
}

/* Refuses a database newer than the program, or one of another kind,
 * before anything is written to it. *have: its schema version. */
static int db_check_version(struct kc_db *db, const char *path, const struct kc_db_spec *spec, int *have,
			    char *err, size_t errlen)
{
	int want = spec->nmigrations;

	if (kc_db_user_version(db, have) < 0) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s", path, sqlite3_errmsg(db->h));
		return -EIO;
	}
	if (*have > want) {
		snprintf(err, errlen,
			 "%s: database schema version %d is newer than this %s (%d); refusing to start", path,
			 *have, spec->program, want);
		return -EPROTO;
	}
	if (*have == 0 && !spec->fresh_ok) {
		snprintf(err, errlen, "%s: not a %s database (schema version 0)", path, spec->kind);
		return -EPROTO;
	}
	return 0;
}

/* Applies the pending migrations, and on_create for a new database, in
 * one transaction. */
static int db_migrate(struct kc_db *db, const char *path, const struct kc_db_spec *spec, char *err,
		      size_t errlen)
{
	int have, want = spec->nmigrations, v, r;
	char *msg = NULL;
	char sql[64];

	r = db_check_version(db, path, spec, &have, err, errlen);
	if (r < 0)
		return r;
	if (have == want)
		return 0;
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		v = have;
		goto fail;
	}
	for (v = have; v < want; v++)
		if (sqlite3_exec(db->h, spec->migrations[v], NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
	v = want - 1;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    (have == 0 && spec->on_create && spec->on_create(db, spec->arg) < 0) ||
	    sqlite3_exec(db->h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: migration to schema version %d failed: %s", path, v + 1,
		 msg ? msg : sqlite3_errmsg(db->h));
	sqlite3_free(msg);
	kc_db_rollback(db);
	return -EIO;
}

static int db_pragmas(struct kc_db *db, const char *path, const struct kc_db_spec *spec, char *err,
		      size_t errlen)
{
	char *msg = NULL;

	sqlite3_busy_timeout(db->h, spec->busy_ms);
	if (sqlite3_exec(db->h,
			 spec->sync_normal
				 ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
				 : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
			 NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen,
		 "%s: 数据库无法写入 cannot use the database: %s (the file and its directory must be writable:"
		 " SQLite keeps its -wal and -shm files beside it)",
		 path, msg ? msg : sqlite3_errmsg(db->h));
	sqlite3_free(msg);
	return -EIO;
}

struct kc_db *kc_db_connect(const char *path, const struct kc_db_spec *spec, char *err, size_t errlen)
{
	struct kc_db *db = calloc(1, sizeof(*db));
	int flags = SQLITE_OPEN_READWRITE | spec->open_flags, r, have;

	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_once(&db_log_once, db_log_init);
	/* ":memory:" and "" are SQLite's in-memory and temporary databases */
	if (spec->create && *path && strcmp(path, ":memory:") != 0) {
		r = kc_db_create_file(path);
		/* one the user cannot create is refused below with SQLite's reason */
		if (r < 0 && r != -EEXIST && r != -EACCES && r != -EROFS) {
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(-r));
			goto fail;
		}
	}
	if (spec->create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	if (spec->startup && (db_check_readable(db, path, spec, err, errlen) < 0 ||
			      db_check_version(db, path, spec, &have, err, errlen) < 0))
		goto fail;
	if (db_pragmas(db, path, spec, err, errlen) < 0)
		goto fail;
	if (spec->startup &&
	    (db_check_writable(db, path, err, errlen) < 0 || db_migrate(db, path, spec, err, errlen) < 0))
		goto fail;
	return db;
fail:
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
