/* The audit database on the shared SQLite layer (common/db.h: struct
 * kc_db, the statement cache, transactions, kc_db_errstr): its opening
 * and migrations (schema/audit-*.sql), its health, the writers' lock, and
 * one connection per thread for the HTTP workers. */
#ifndef KC_SERVICE_STORE_H
#define KC_SERVICE_STORE_H
#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"

/* Opens (creating it 0600 when missing) with WAL, synchronous = FULL (a
 * commit returns after the fsync), busy_timeout and foreign keys. When
 * migrate is set (a program's first connection), first refuses a database
 * it cannot keep events in: opened read-only, failing PRAGMA quick_check,
 * or refusing a write; then applies the pending migrations; refuses a
 * database newer than this code. NULL with a sentence in err on failure. */
struct kc_db *kc_db_open(const char *path, int migrate, char *err, size_t errlen);
/* For bench/service-ingest only: later connections of this process use
 * synchronous = NORMAL (a commit does not wait for the fsync), to measure
 * what FULL costs. keyauditd never calls it. */
void kc_db_bench_synchronous_normal(void);

/* Whether the service can store, checked cheaply: the file system of
 * path read-only or with less than KC_DB_MIN_FREE bytes free, the
 * connection read-only, and after a failed write (kc_db_note_write) a
 * write probe. 0 ("ok" in msg) or a negative errno with the reason. */
#define KC_DB_MIN_FREE (1024ULL * 1024)
int kc_db_health(struct kc_db *db, const char *path, char *msg, size_t len);
/* The outcome of a write the service answered for (an ingest). */
void kc_db_note_write(int ok);

/* The writers of one process take this lock around their transactions,
 * so they queue here rather than spin on SQLITE_BUSY. */
void kc_db_write_lock(void);
void kc_db_write_unlock(void);
/* One change in one transaction under that lock: begin (0, -EIO), and
 * its end, committed when r is 0, else rolled back; r, or -EIO when the
 * commit failed. */
struct kc_db;
int kc_db_write_begin(struct kc_db *db);
int kc_db_write_end(struct kc_db *db, int r);

/* One connection per thread, opened on first use, closed when the thread
 * ends (the HTTP worker threads). kc_db_thread_init sets the path. */
int kc_db_thread_init(const char *path);
struct kc_db *kc_db_thread(void);

/* Binding helpers: text or NULL. */
int kc_bind_text(sqlite3_stmt *st, int i, const char *s);
int kc_bind_json_str(sqlite3_stmt *st, int i, const json_t *obj, const char *member);
/* A column as a JSON value: integer, text or null. */
json_t *kc_column_json(sqlite3_stmt *st, int i);
/* Each row of st made a JSON value by row (its arg passed on), in an
 * array, st reset after; NULL when out of memory or on a database error. */
json_t *kc_rows_json(sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *st, void *arg), void *arg);

#endif
