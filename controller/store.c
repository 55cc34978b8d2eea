#include "controller/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/db.h"
#include "common/event.h"
#include "common/util.h"
#include "controller/outbox.h"
#include "controller/row.h"
#include "controller/schema_sql.h"

struct kc_store {
	struct kc_db *db;
	char path[512];
	char cabinet[64];
	/* chain state: committed, and as it stands inside the transaction */
	int64_t seq, tx_seq;
	char hash[KC_HASH_HEX], tx_hash[KC_HASH_HEX];
	bool in_tx;
	int tx_events;
	/* the events appended in the transaction, for publish after commit */
	json_t *tx_appended;
	kc_store_publish_fn *publish;
	void *publish_arg;
	/* whether the disk takes writes; the changes counted at BEGIN, to
	 * tell a commit that wrote from one that had nothing to write */
	struct kc_storage storage;
	int64_t tx_changes;
	bool tx_probe;
	char abort_msg[256]; /* SQLite's words for the failure kc_store_abort ended */
};

static int64_t clock_offset_ms, clock_at_ms;

static int64_t clock_now(void)
{
	return kc_wall_ms() + clock_offset_ms;
}

int64_t kc_now_ms(void)
{
	return clock_at_ms ? clock_at_ms : clock_now();
}

void kc_clock_at(int64_t ms)
{
	clock_at_ms = ms;
}

void kc_clock_advance(int64_t ms)
{
	clock_offset_ms += ms;
}

int64_t kc_clock_offset(void)
{
	return clock_offset_ms;
}

static int store_chain_init(struct kc_db *db, void *arg)
{
	const struct kc_store *st = arg;

	return kc_db_x(db, "INSERT INTO chain (id, cabinet, last_seq, last_hash) VALUES (1, ?, 0, ?)", "ss",
		       st->cabinet, KC_GENESIS_HASH);
}

static int store_load_chain(struct kc_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = kc_db_stmt(st->db, "SELECT cabinet, last_seq, last_hash FROM chain WHERE id = 1");
	int r = s ? kc_db_row(s) : -EIO;

	if (r == -EIO) {
		snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db->h));
		return -EIO;
	}
	if (r == -ENOENT) {
		snprintf(err, errlen, "%s: the event chain state is missing", st->path);
		return -EIO;
	}
	r = -EIO;
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
	sqlite3_reset(s);
	return r;
}

/* The database holds personal data: a new file is 0600 whatever the
 * umask, and others lose any access an existing file or its -wal and
 * -shm companions gave them. */
static int store_private_files(const char *path, bool create)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[520];
	struct stat sb;

	if (create)
		return kc_db_create_file(path);
	for (size_t i = 0; i < KC_ARRAY_SIZE(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (stat(p, &sb) == 0 && (sb.st_mode & 0007) && chmod(p, sb.st_mode & 0770) < 0)
			return -errno;
	}
	return 0;
}

static int store_files_check(const char *path, bool create, char *err, size_t errlen)
{
	struct stat sb;
	int r;

	if (create && stat(path, &sb) == 0) {
		snprintf(err, errlen, "%s: a database is there already; not creating it again", path);
		return -EEXIST;
	}
	if (!create && stat(path, &sb) < 0) {
		snprintf(err, errlen,
			 "%s: no database (%s); create it once with keycabd -c CONFIG --init-db", path,
			 strerror(errno));
		return -ENOENT;
	}
	r = store_private_files(path, create);
	if (r < 0)
		snprintf(err, errlen, "%s: cannot %s: %s", path,
			 create ? "create the database" : "make the database private", strerror(-r));
	return r;
}

struct kc_store *kc_store_open(const char *path, const char *cabinet, bool create, char *err,
			       size_t errlen)
{
	struct kc_db_spec spec = {
		.program = "keycabd",
		.kind = "keycab",
		.migrations = kc_controller_migrations,
		.nmigrations = kc_controller_migration_count,
		.open_flags = SQLITE_OPEN_FULLMUTEX,
		.busy_ms = 5000,
		.startup = true,
		.fresh_ok = create,
		.on_create = store_chain_init,
	};
	struct kc_store *st;

	if (store_files_check(path, create, err, errlen) < 0)
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kc_strlcpy(st->path, path, sizeof(st->path));
	kc_strlcpy(st->cabinet, cabinet, sizeof(st->cabinet));
	spec.arg = st;
	st->db = kc_db_connect(path, &spec, err, errlen);
	if (!st->db || store_load_chain(st, err, errlen) < 0) {
		kc_store_free(st);
		return NULL;
	}
	st->tx_seq = st->seq;
	memcpy(st->tx_hash, st->hash, KC_HASH_HEX);
	st->storage.since_ms = clock_now();
	return st;
}

void kc_store_free(struct kc_store *st)
{
	if (!st)
		return;
	kc_db_free(st->db);
	json_decref(st->tx_appended);
	free(st);
}

sqlite3 *kc_store_db(struct kc_store *st)
{
	return st->db->h;
}

struct kc_db *kc_store_kdb(struct kc_store *st)
{
	return st->db;
}

const char *kc_store_cabinet(const struct kc_store *st)
{
	return st->cabinet;
}

const char *kc_store_errmsg(struct kc_store *st)
{
	return sqlite3_errmsg(st->db->h);
}

const char *kc_store_abort(struct kc_store *st)
{
	kc_strlcpy(st->abort_msg, kc_store_errmsg(st), sizeof(st->abort_msg));
	kc_store_rollback(st);
	return st->abort_msg;
}

int kc_store_append_commit(struct kc_store *st, json_t *ev)
{
	if (kc_store_append(st, ev) < 0 || kc_store_commit(st) < 0)
		return -EIO;
	return 0;
}

static const char *const storage_names[] = {
	[KC_STORAGE_OK] = "ok",
	[KC_STORAGE_FULL] = "full",
	[KC_STORAGE_READ_ONLY] = "read_only",
	[KC_STORAGE_ERROR] = "error",
};

const char *kc_storage_state_name(enum kc_storage_state s)
{
	return (size_t)s < KC_ARRAY_SIZE(storage_names) ? storage_names[s] : "error";
}

void kc_store_storage(const struct kc_store *st, struct kc_storage *out)
{
	*out = st->storage;
}

static void storage_set(struct kc_store *st, enum kc_storage_state state, const char *detail)
{
	if (st->storage.state != state)
		st->storage.since_ms = clock_now();
	st->storage.state = state;
	kc_strlcpy(st->storage.detail, detail, sizeof(st->storage.detail));
}

/* What the file system holding the database says of itself: read-only
 * (an ext4 that turned itself so on an error says it only when asked to
 * write: an unnamed file made and dropped at once, in the database's
 * directory), full, or neither. */
static enum kc_storage_state store_fs_state(const struct kc_store *st)
{
	char dir[sizeof(st->path)];
	char *slash;
	struct statvfs sv;
	int fd;

	kc_strlcpy(dir, st->path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (!slash)
		kc_strlcpy(dir, ".", sizeof(dir));
	else
		slash[slash == dir] = '\0';
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EROFS)
		return KC_STORAGE_READ_ONLY;
	if (fd < 0 && (errno == ENOSPC || errno == EDQUOT))
		return KC_STORAGE_FULL;
	if (fd >= 0)
		close(fd);
	if (statvfs(dir, &sv) < 0)
		return KC_STORAGE_ERROR;
	if (sv.f_flag & ST_RDONLY)
		return KC_STORAGE_READ_ONLY;
	if (sv.f_bavail == 0 || sv.f_bfree == 0)
		return KC_STORAGE_FULL;
	return KC_STORAGE_ERROR;
}

/* A write failed: what SQLite says of it (before a rollback clears it),
 * and whether that is the disk's doing. SQLite keeps the errno of an I/O
 * error only while nothing else has set errno: without it the file
 * system is asked. */
static void store_write_failed(struct kc_store *st)
{
	sqlite3 *h = st->db->h;
	int rc = sqlite3_extended_errcode(h), e = sqlite3_system_errno(h);
	enum kc_storage_state state;
	char detail[160];

	switch (rc & 0xff) {
	case SQLITE_FULL:
		state = KC_STORAGE_FULL;
		break;
	case SQLITE_READONLY:
		state = KC_STORAGE_READ_ONLY;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		state = e == ENOSPC || e == EDQUOT ? KC_STORAGE_FULL :
			e == EROFS		   ? KC_STORAGE_READ_ONLY :
						     store_fs_state(st);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		state = KC_STORAGE_ERROR;
		break;
	default: /* busy, a constraint, a statement of ours: not the disk */
		return;
	}
	if (e)
		snprintf(detail, sizeof(detail), "%s (%s)", sqlite3_errstr(rc), strerror(e));
	else
		snprintf(detail, sizeof(detail), "%s", sqlite3_errstr(rc));
	st->storage.failures++;
	storage_set(st, state, detail);
}

int kc_store_begin(struct kc_store *st)
{
	if (st->in_tx)
		return -EBUSY;
	if (kc_db_begin(st->db) < 0) {
		store_write_failed(st);
		return -EIO;
	}
	st->tx_changes = sqlite3_total_changes64(st->db->h);
	st->tx_probe = false;
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
	if (kc_db_commit(st->db) < 0) {
		store_write_failed(st);
		kc_store_rollback(st);
		return -EIO;
	}
	if (st->tx_probe || sqlite3_total_changes64(st->db->h) != st->tx_changes) {
		st->storage.commits++;
		storage_set(st, KC_STORAGE_OK, "");
	}
	st->in_tx = false;
	st->seq = st->tx_seq;
	memcpy(st->hash, st->tx_hash, KC_HASH_HEX);
	publish_committed(st);
	return 0;
}

void kc_store_rollback(struct kc_store *st)
{
	if (!st->in_tx)
		return;
	kc_db_rollback(st->db);
	st->in_tx = false;
	st->tx_seq = st->seq;
	memcpy(st->tx_hash, st->hash, KC_HASH_HEX);
	json_array_clear(st->tx_appended);
}

json_t *kc_store_event(struct kc_store *st, enum kc_event_type type)
{
	return kc_event_new(st->cabinet, 0, kc_now_ms(), kc_event_type_name(type));
}

json_t *kc_store_id_event(struct kc_store *st, enum kc_event_type type, const char *actor, const char *person,
			  const char *key, int64_t loan, const char *id_type, const char *id_masked)
{
	json_t *ev = kc_store_event(st, type), *data = json_object_get(ev, "data");

	kc_json_str(ev, "actor", actor);
	kc_json_str(ev, "person", person);
	kc_json_str(ev, "key", key);
	json_object_set_new(data, "loan", json_integer(loan));
	json_object_set_new(data, "id_type", json_string(id_type));
	json_object_set_new(data, "id_masked", json_string(id_masked));
	return ev;
}

int kc_store_id_held(struct kc_store *st, int64_t loan, struct kc_id_held *out)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT person, id_type, id_masked, coalesce(released_ms, 0) FROM ids_held"
				     " WHERE loan = ?",
				     "I", loan);
	int r = kc_row_step(s);

	memset(out, 0, sizeof(*out));
	if (r == 0) {
		kc_row_text(s, 0, out->person, sizeof(out->person));
		kc_row_text(s, 1, out->id_type, sizeof(out->id_type));
		kc_row_text(s, 2, out->masked, sizeof(out->masked));
		out->released_ms = sqlite3_column_int64(s, 3);
	}
	kc_row_done(s);
	return r;
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
	r = kc_outbox_append(st->db, st->tx_seq + 1, body);
	if (r == -EIO)
		store_write_failed(st);
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

sqlite3_stmt *kc_store_q(struct kc_store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = kc_db_vq(st->db, sql, fmt, ap);
	va_end(ap);
	return s;
}

int kc_store_x(struct kc_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kc_db_vx(st->db, sql, fmt, ap);
	va_end(ap);
	if (r == -EIO)
		store_write_failed(st);
	return r;
}

/* The schema version set to itself: SQLite writes the page it lives on
 * whatever its value (an UPDATE to the same value may write nothing). */
int kc_store_probe(struct kc_store *st)
{
	char sql[64];
	int v;

	if (st->in_tx)
		return -EBUSY;
	if (kc_db_user_version(st->db, &v) < 0 || kc_store_begin(st) < 0)
		return -EIO;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	if (kc_db_exec(st->db, sql) < 0) {
		store_write_failed(st);
		kc_store_rollback(st);
		return -EIO;
	}
	st->tx_probe = true;
	return kc_store_commit(st);
}

int kc_store_int(struct kc_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kc_db_vint(st->db, out, sql, fmt, ap);
	va_end(ap);
	return r;
}

int64_t kc_store_last_id(struct kc_store *st)
{
	return sqlite3_last_insert_rowid(st->db->h);
}

/* The grant's rows: the approval given on the spot, the loan, the key
 * leaving "in", the approval used, the ID held. 0 or -EIO. */
static int grant_rows(struct kc_store *st, struct kc_store_grant *g)
{
	if (g->approver) {
		if (kc_store_x(st,
			       "INSERT INTO approvals (key, manager, method, valid_from, valid_to, created_ms)"
			       " VALUES (?,?,'second_credential',?,?,?)",
			       "ssIII", g->key, g->approver, g->now_ms, g->now_ms, g->now_ms) < 0)
			return -EIO;
		g->approval = kc_store_last_id(st);
	}
	if (kc_store_x(st,
		       "INSERT INTO loans (key, kind, purpose, borrower, borrower_type, contact, signature,"
		       " operator, work_order, letter, approval, due_ms, slot, granted_ms, window_ms, state)"
		       " VALUES (?,?,?,?,?,?,?,?,?,nullif(?,0),nullif(?,0),nullif(?,0),?,?,?,'granted')",
		       "sssssssssIIIsII", g->key, g->kind, g->purpose, g->borrower, g->borrower_type,
		       g->contact, g->signature, g->operator_code, g->work_order, g->letter, g->approval,
		       g->due_ms, g->slot, g->now_ms, g->window_ms) < 0)
		return -EIO;
	g->loan = kc_store_last_id(st);
	if (kc_store_x(st, "UPDATE keys SET state = 'releasing' WHERE code = ? AND state = 'in'", "s",
		       g->key) < 0 ||
	    sqlite3_changes(st->db->h) != 1)
		return -EIO;
	if (g->approval &&
	    kc_store_x(st, "UPDATE approvals SET used_loan = ? WHERE id = ?", "II", g->loan, g->approval) < 0)
		return -EIO;
	if (g->id_hash &&
	    kc_store_x(st,
		       "INSERT INTO ids_held (loan, person, id_type, id_hash, id_masked, held_ms)"
		       " VALUES (?,?,?,?,?,?)",
		       "IssssI", g->loan, g->borrower, g->id_type, g->id_hash, g->id_masked, g->now_ms) < 0)
		return -EIO;
	return 0;
}

/* Event i of g, stamped and with the rows' ids, appended. 0 or -EIO. */
static int grant_event(struct kc_store *st, struct kc_store_grant *g, int i)
{
	json_t *ev = kc_store_event(st, g->events[i].type), *data;

	json_object_update(ev, g->events[i].members);
	data = json_object_get(ev, "data");
	json_object_set_new(data, "loan", json_integer(g->loan));
	if (json_object_get(data, "approval"))
		json_object_set_new(data, "approval", g->approval ? json_integer(g->approval) : json_null());
	return kc_store_append(st, ev) < 0 ? -EIO : 0;
}

int kc_store_grant(struct kc_store *st, struct kc_store_grant *g)
{
	int r = 0, i;

	g->why = NULL;
	if (kc_store_begin(st) < 0)
		r = -EBUSY;
	else if (grant_rows(st, g) < 0)
		r = -EIO;
	for (i = 0; r == 0 && i < g->nevents; i++)
		r = grant_event(st, g, i);
	if (r == 0 && kc_store_commit(st) < 0)
		r = -EPIPE;
	if (r == -EIO)
		g->why = kc_store_abort(st);
	for (i = 0; i < g->nevents; i++)
		json_decref(g->events[i].members);
	g->nevents = 0;
	return r;
}
