/* The SQLite layer both daemons share: opening a database (pragmas, a
 * private file, the start-up checks, the migrations embedded from
 * schema/<kind>-NNN.sql), a statement cache, binding by format letters, a
 * row helper that tells "no row" from an error, and transactions.
 * controller/store.c and service/store.c are the per-daemon layers on it. */
#ifndef KC_DB_H
#define KC_DB_H
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_DB_CACHE 160

/* One connection and its prepared statements. h is SQLite's handle, for
 * what this layer does not wrap (sqlite3_changes, sqlite3_errmsg...). */
struct kc_db {
	sqlite3 *h;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[KC_DB_CACHE];
	size_t ncache;
};

/* How kc_db_connect opens a database. */
struct kc_db_spec {
	const char *program;	/* "keycabd": named in the messages */
	const char *kind;	/* "keycab": "not a keycab database" */
	/* migration N takes schema version N-1 to N; the schema version is
	 * their count (schema/embed-sql.sh) */
	const char *const *migrations;
	int nmigrations;
	int open_flags;		/* added to READWRITE: SQLITE_OPEN_FULLMUTEX or _NOMUTEX */
	int busy_ms;
	bool create;		/* create a missing file (0600) */
	bool sync_normal;	/* synchronous = NORMAL rather than FULL (benchmarks) */
	/* the start-up checks (not read-only, PRAGMA quick_check, a write
	 * goes through), then the migrations; without it the connection is
	 * used as it is */
	bool startup;
	bool fresh_ok;		/* a database at schema version 0 may be migrated */
	const char *restore_hint; /* after "restore it from a backup" when corrupt; NULL ok */
	/* Run inside the migrations' transaction when the database was at
	 * version 0 (the new database's first rows). 0 or a negative errno. */
	int (*on_create)(struct kc_db *db, void *arg);
	void *arg;
};

/* Opens path with WAL, synchronous = FULL (a commit returns after the
 * fsync), foreign keys and a busy timeout, as spec says. NULL with a
 * sentence in err on failure (the file's path first). */
struct kc_db *kc_db_connect(const char *path, const struct kc_db_spec *spec, char *err, size_t errlen);
void kc_db_free(struct kc_db *db);

/* Creates path 0600 whatever the umask, refusing an existing file or a
 * symbolic link; SQLite gives its -wal and -shm files the mode of the
 * database file. 0, -EEXIST or a negative errno. */
int kc_db_create_file(const char *path);

/* PRAGMA user_version. 0 or -EIO. */
int kc_db_user_version(struct kc_db *db, int *out);
/* A write that changes nothing (the schema version set to itself),
 * committed: it goes through the WAL and the fsync like any write.
 * 0 or -EIO. */
int kc_db_write_probe(struct kc_db *db);

/* SQLite's text for the error of db's last call, or of the last error on
 * this thread when a rollback has cleared it: "disk I/O error (...)". */
const char *kc_db_errstr(struct kc_db *db, char *buf, size_t len);

/* A prepared statement for sql, reset and with its bindings cleared; NULL
 * on error or when the cache is full (sql is a literal: a full cache is
 * a bug, not a load). */
sqlite3_stmt *kc_db_stmt(struct kc_db *db, const char *sql);
/* kc_db_stmt, bound from fmt, one letter per argument: 's' const char *
 * (NULL binds NULL), 'I' int64_t, 'i' int. NULL on error. */
sqlite3_stmt *kc_db_vq(struct kc_db *db, const char *sql, const char *fmt, va_list ap);
sqlite3_stmt *kc_db_q(struct kc_db *db, const char *sql, const char *fmt, ...);
/* One step of s: 0 on a row, -ENOENT when there is none (s is reset),
 * -EIO on an error (s is reset). */
int kc_db_row(sqlite3_stmt *s);
/* Runs sql to completion. 0, -EEXIST (a constraint) or -EIO. */
int kc_db_vx(struct kc_db *db, const char *sql, const char *fmt, va_list ap);
int kc_db_x(struct kc_db *db, const char *sql, const char *fmt, ...);
/* The first column of the first row as an integer: 0, -ENOENT (no row)
 * or -EIO. */
int kc_db_vint(struct kc_db *db, int64_t *out, const char *sql, const char *fmt, va_list ap);
int kc_db_int(struct kc_db *db, int64_t *out, const char *sql, const char *fmt, ...);

/* Runs sql (no result rows). 0 or -EIO. */
int kc_db_exec(struct kc_db *db, const char *sql);
/* BEGIN IMMEDIATE / COMMIT: 0 or -EIO; ROLLBACK when a transaction is open. */
int kc_db_begin(struct kc_db *db);
int kc_db_commit(struct kc_db *db);
void kc_db_rollback(struct kc_db *db);

#endif
