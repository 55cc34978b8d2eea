#include "controller/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/event.h"
#include "common/util.h"
#include "controller/schema_sql.h"

#define STMT_CACHE 160

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct kc_store {
	sqlite3 *db;
	char path[512];
	char cabinet[64];
	/* chain state: committed, and as it stands inside the transaction */
	int64_t seq, tx_seq;
	char hash[KC_HASH_HEX], tx_hash[KC_HASH_HEX];
	bool in_tx;
	int committed_events, tx_events;
	/* the events appended in the transaction, for publish after commit */
	json_t *tx_appended;
	kc_store_publish_fn *publish;
	void *publish_arg;
	struct stmt_slot cache[STMT_CACHE];
	int ncache;
};

static int64_t clock_offset_ms;

int64_t kc_now_ms(void)
{
	return kc_wall_ms() + clock_offset_ms;
}

void kc_clock_advance(int64_t ms)
{
	clock_offset_ms += ms;
}

int64_t kc_clock_offset(void)
{
	return clock_offset_ms;
}

void kc_json_str(json_t *obj, const char *name, const char *s)
{
	json_object_set_new(obj, name, s ? json_string(s) : json_null());
}

void kc_json_time(json_t *obj, const char *name, int64_t ms)
{
	char buf[KC_TIME_LEN];

	if (ms <= 0) {
		json_object_set_new(obj, name, json_null());
		return;
	}
	kc_time_format(ms, buf, sizeof(buf));
	json_object_set_new(obj, name, json_string(buf));
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

static int quick_check(struct kc_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: not a usable keycab database: %s", st->path,
			 sqlite3_errmsg(st->db));
		return -EIO;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		snprintf(err, errlen, "%s: database integrity check failed: %s", st->path,
			 rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0)
					  : sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -EIO;
	}
	sqlite3_finalize(s);
	return 0;
}

static int migrate(struct kc_store *st, bool create, char *err, size_t errlen)
{
	int have, want = kc_controller_migration_count;
	char sql[64];

	if (pragma_int(st->db, "PRAGMA user_version", &have) < 0) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s", st->path,
			 sqlite3_errmsg(st->db));
		return -EIO;
	}
	if (have > want) {
		snprintf(err, errlen,
			 "%s: database schema version %d is newer than this keycabd knows (%d); "
			 "refusing to start on it",
			 st->path, have, want);
		return -EPROTO;
	}
	if (have == 0 && !create) {
		snprintf(err, errlen, "%s: not a keycab database (schema version 0)", st->path);
		return -EPROTO;
	}
	if (have == want)
		return 0;
	if (exec_sql(st->db, "BEGIN IMMEDIATE") < 0)
		goto fail;
	for (int v = have; v < want; v++)
		if (exec_sql(st->db, kc_controller_migrations[v]) < 0)
			goto fail_rollback;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
	if (exec_sql(st->db, sql) < 0)
		goto fail_rollback;
	if (have == 0) {
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(st->db,
				       "INSERT INTO chain (id, cabinet, last_seq, last_hash) VALUES (1, ?, 0, ?)",
				       -1, &s, NULL) != SQLITE_OK)
			goto fail_rollback;
		sqlite3_bind_text(s, 1, st->cabinet, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, KC_GENESIS_HASH, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			goto fail_rollback;
	}
	if (exec_sql(st->db, "COMMIT") < 0)
		goto fail_rollback;
	return 0;
fail_rollback:
	snprintf(err, errlen, "%s: migration to schema version %d failed: %s", st->path, want,
		 sqlite3_errmsg(st->db));
	exec_sql(st->db, "ROLLBACK");
	return -EIO;
fail:
	snprintf(err, errlen, "%s: cannot start a transaction: %s", st->path, sqlite3_errmsg(st->db));
	return -EIO;
}

static int load_chain(struct kc_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(st->db, "SELECT cabinet, last_seq, last_hash FROM chain WHERE id = 1",
			       -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
		return -EIO;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: the event chain state is missing", st->path);
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), st->cabinet) != 0) {
		snprintf(err, errlen, "%s: the database belongs to cabinet \"%s\", not \"%s\"", st->path,
			 (const char *)sqlite3_column_text(s, 0), st->cabinet);
		r = -EPROTO;
		goto out;
	}
	st->seq = sqlite3_column_int64(s, 1);
	if (sqlite3_column_bytes(s, 2) != KC_HASH_HEX - 1) {
		snprintf(err, errlen, "%s: the event chain state is damaged", st->path);
		goto out;
	}
	memcpy(st->hash, sqlite3_column_text(s, 2), KC_HASH_HEX);
	r = 0;
out:
	sqlite3_finalize(s);
	return r;
}

/* The database holds personal data: a new file is 0600 whatever the
 * umask (SQLite gives its -wal and -shm files the database's mode), and
 * others lose any access an existing file or its companions gave them. */
static int private_files(const char *path, bool create)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[520];
	struct stat sb;
	int fd;

	if (create) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	for (size_t i = 0; i < KC_ARRAY_SIZE(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (stat(p, &sb) == 0 && (sb.st_mode & 0007) && chmod(p, sb.st_mode & 0770) < 0)
			return -errno;
	}
	return 0;
}

struct kc_store *kc_store_open(const char *path, const char *cabinet, bool create, char *err,
			       size_t errlen)
{
	struct kc_store *st;
	struct stat sb;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, r;

	if (create && stat(path, &sb) == 0) {
		snprintf(err, errlen, "%s: a database is there already; not creating it again", path);
		return NULL;
	}
	if (!create && stat(path, &sb) < 0) {
		snprintf(err, errlen,
			 "%s: no database (%s); create it once with keycabd -c CONFIG --init-db", path,
			 strerror(errno));
		return NULL;
	}
	r = private_files(path, create);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot %s: %s", path,
			 create ? "create the database" : "make the database private", strerror(-r));
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kc_strlcpy(st->path, path, sizeof(st->path));
	kc_strlcpy(st->cabinet, cabinet, sizeof(st->cabinet));
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the database: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (quick_check(st, err, errlen) < 0)
		goto fail;
	/* Every decision durable before its answer: WAL with a sync per commit. */
	if (exec_sql(st->db, "PRAGMA journal_mode = WAL") < 0 ||
	    exec_sql(st->db, "PRAGMA synchronous = FULL") < 0 ||
	    exec_sql(st->db, "PRAGMA foreign_keys = ON") < 0) {
		snprintf(err, errlen, "%s: cannot set up the database: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st, create, err, errlen) < 0)
		goto fail;
	if (load_chain(st, err, errlen) < 0)
		goto fail;
	st->tx_seq = st->seq;
	memcpy(st->tx_hash, st->hash, KC_HASH_HEX);
	return st;
fail:
	kc_store_free(st);
	return NULL;
}

void kc_store_free(struct kc_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].st);
	sqlite3_close(st->db);
	json_decref(st->tx_appended);
	free(st);
}

sqlite3 *kc_store_db(struct kc_store *st)
{
	return st->db;
}

const char *kc_store_cabinet(const struct kc_store *st)
{
	return st->cabinet;
}

const char *kc_store_errmsg(struct kc_store *st)
{
	return sqlite3_errmsg(st->db);
}

int kc_store_begin(struct kc_store *st)
{
	if (st->in_tx)
		return -EBUSY;
	if (exec_sql(st->db, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	st->in_tx = true;
	st->tx_seq = st->seq;
	st->tx_events = 0;
	memcpy(st->tx_hash, st->hash, KC_HASH_HEX);
	return 0;
}

void kc_store_set_publish(struct kc_store *st, kc_store_publish_fn *fn, void *arg)
{
	st->publish = fn;
	st->publish_arg = arg;
	if (!st->tx_appended)
		st->tx_appended = json_array();
}

/* Hands the committed transaction's events to the publish callback. */
static void publish_committed(struct kc_store *st)
{
	json_t *ev;
	size_t i;

	if (!st->publish)
		return;
	json_array_foreach(st->tx_appended, i, ev)
		st->publish(st->publish_arg, ev);
	json_array_clear(st->tx_appended);
}

int kc_store_commit(struct kc_store *st)
{
	if (!st->in_tx)
		return -EINVAL;
	if (st->tx_events > 0 &&
	    kc_store_x(st, "UPDATE chain SET last_seq = ?, last_hash = ? WHERE id = 1", "Is",
		       st->tx_seq, st->tx_hash) < 0) {
		kc_store_rollback(st);
		return -EIO;
	}
	if (exec_sql(st->db, "COMMIT") < 0) {
		kc_store_rollback(st);
		return -EIO;
	}
	st->in_tx = false;
	st->seq = st->tx_seq;
	memcpy(st->hash, st->tx_hash, KC_HASH_HEX);
	st->committed_events += st->tx_events;
	publish_committed(st);
	return 0;
}

void kc_store_rollback(struct kc_store *st)
{
	if (!st->in_tx)
		return;
	exec_sql(st->db, "ROLLBACK");
	st->in_tx = false;
	st->tx_seq = st->seq;
	memcpy(st->tx_hash, st->hash, KC_HASH_HEX);
	json_array_clear(st->tx_appended);
}

json_t *kc_store_event(struct kc_store *st, const char *type)
{
	return kc_event_new(st->cabinet, 0, kc_now_ms(), type);
}

int kc_store_append(struct kc_store *st, json_t *ev)
{
	char hash[KC_HASH_HEX];
	char *body = NULL;
	int r = -EINVAL;

	if (!ev)
		return -ENOMEM;
	if (!st->in_tx)
		goto out;
	r = -ENOMEM;
	if (json_object_set_new(ev, "seq", json_integer(st->tx_seq + 1)) < 0)
		goto out;
	r = kc_event_seal(ev, st->tx_hash, hash);
	if (r < 0)
		goto out;
	body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	r = -ENOMEM;
	if (!body)
		goto out;
	r = kc_store_x(st, "INSERT INTO outbox (seq, body) VALUES (?, ?)", "Is", st->tx_seq + 1, body);
	if (r < 0)
		goto out;
	/* Kept for the publish callback: a failed keep is an error here, so
	 * no subscriber misses a committed event unnoticed. */
	if (st->publish && json_array_append(st->tx_appended, ev) < 0) {
		r = -ENOMEM;
		goto out;
	}
	st->tx_seq++;
	st->tx_events++;
	memcpy(st->tx_hash, hash, KC_HASH_HEX);
out:
	free(body);
	json_decref(ev);
	return r;
}

int64_t kc_store_last_seq(const struct kc_store *st)
{
	return st->seq;
}

int kc_store_take_committed(struct kc_store *st)
{
	int n = st->committed_events;

	st->committed_events = 0;
	return n;
}

static sqlite3_stmt *prepare(struct kc_store *st, const char *sql)
{
	sqlite3_stmt *s;

	for (int i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql || strcmp(st->cache[i].sql, sql) == 0) {
			sqlite3_reset(st->cache[i].st);
			sqlite3_clear_bindings(st->cache[i].st);
			return st->cache[i].st;
		}
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (st->ncache < STMT_CACHE) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache].st = s;
		st->ncache++;
	}
	/* A full cache is a programming error worth seeing; leaking one
	 * statement a call would hide it, so refuse instead. */
	else {
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static sqlite3_stmt *vbind(struct kc_store *st, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = prepare(st, sql);
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

sqlite3_stmt *kc_store_q(struct kc_store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = vbind(st, sql, fmt, ap);
	va_end(ap);
	return s;
}

int kc_store_x(struct kc_store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	s = vbind(st, sql, fmt, ap);
	va_end(ap);
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

int kc_store_int(struct kc_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	s = vbind(st, sql, fmt, ap);
	va_end(ap);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int64_t kc_store_last_id(struct kc_store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}
