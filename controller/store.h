/* keycabd's local store on the shared SQLite layer (common/db.h): the
 * database (schema/controller-*.sql) and its opening, transactions, the
 * query helpers the handlers use, and the event chain whose sealed events
 * go into the outbox (controller/outbox.c).
 *
 * Every state change and its events go in one transaction (architecture
 * decision 2): kc_store_begin(), the changes, kc_store_append() for each
 * event, kc_store_commit(). The chain state (last seq, last hash) is in
 * the same database and moves with the outbox. */
#ifndef KC_CTL_STORE_H
#define KC_CTL_STORE_H
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/event.h"
#include "common/event_types.h"
#include "common/pdata.h"

struct kc_store;

/* Opens (create: creates 0600, refusing an existing file) the database at
 * path for the cabinet named cabinet, taking away others' access to an
 * existing one. Refuses a database opened read-only, failing PRAGMA
 * quick_check or a write, of a newer schema version or another cabinet's;
 * applies migrations. NULL with a message in err. */
struct kc_store *kc_store_open(const char *path, const char *cabinet, bool create, char *err,
			       size_t errlen);
void kc_store_free(struct kc_store *st);
sqlite3 *kc_store_db(struct kc_store *st);
/* The same connection on the shared SQLite layer (common/db.h): the
 * tables' readers (keys.c, people.c, custody.c) query it directly. */
struct kc_db *kc_store_kdb(struct kc_store *st);
const char *kc_store_cabinet(const struct kc_store *st);
const char *kc_store_errmsg(struct kc_store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0 or -EIO. */
int kc_store_begin(struct kc_store *st);
int kc_store_commit(struct kc_store *st);
void kc_store_rollback(struct kc_store *st);
/* Ends a failed write: the transaction (if one is open) rolled back; the
 * failure's words (SQLite's), valid until the next kc_store_abort. */
const char *kc_store_abort(struct kc_store *st);

/* Whether the disk takes the database's writes, as the last write said:
 * a write that failed for the disk's sake (SQLite's "database or disk is
 * full", a read-only file system, an I/O error, a damaged file) sets the
 * state; a committed change sets it back to ok. A refused write of the
 * database's own (a constraint, busy) says nothing of the disk. */
enum kc_storage_state {
	KC_STORAGE_OK,
	KC_STORAGE_FULL,
	KC_STORAGE_READ_ONLY,
	KC_STORAGE_ERROR,
};
struct kc_storage {
	enum kc_storage_state state;
	int64_t since_ms;   /* when it took this state (the controller's clock) */
	char detail[160];   /* SQLite's words for the failure; "" when ok */
	uint64_t failures;  /* writes failed for the disk's sake, since the start */
	uint64_t commits;   /* transactions that changed something, since the start */
};
void kc_store_storage(const struct kc_store *st, struct kc_storage *out);
/* "ok", "full", "read_only", "error" (the status reply's words). */
const char *kc_storage_state_name(enum kc_storage_state s);
/* A write that changes nothing, committed: whether the disk takes writes
 * now. 0 or -EIO (outside a transaction only). */
int kc_store_probe(struct kc_store *st);

/* A new event of type at the controller's "now"; set its members, then
 * kc_store_append() it (inside a transaction), which takes the reference. */
json_t *kc_store_event(struct kc_store *st, enum kc_event_type type);
/* An id.held or id.released event: who, whose ID, for which key and loan,
 * the ID's type and masked form (never the number). */
json_t *kc_store_id_event(struct kc_store *st, enum kc_event_type type, const char *actor, const char *person,
			  const char *key, int64_t loan, const char *id_type, const char *id_masked);
/* The ID a loan holds or held at the desk: whose, its type and masked
 * form (never the number), and when it was given back (0: still held). */
struct kc_id_held {
	char person[128], id_type[32], masked[KC_MASK_LEN];
	int64_t released_ms;
};
/* 0, -ENOENT (the loan held no ID) or -EIO. */
int kc_store_id_held(struct kc_store *st, int64_t loan, struct kc_id_held *out);
/* Numbers it, seals it onto the chain, inserts it into the outbox. */
int kc_store_append(struct kc_store *st, json_t *ev);
/* Appends ev (taking it) and commits the transaction: 0 or -EIO (then
 * end it with kc_store_abort). */
int kc_store_append_commit(struct kc_store *st, json_t *ev);
int64_t kc_store_last_seq(const struct kc_store *st);
/* After each commit, fn gets each event the transaction appended, in
 * order, as sealed in the outbox (borrowed: json_incref() to keep one);
 * the events of a transaction rolled back are dropped unseen. */
typedef void kc_store_publish_fn(void *arg, json_t *ev);
void kc_store_set_publish(struct kc_store *st, kc_store_publish_fn *fn, void *arg);

/* A granted release as it is written: the loan's row, the approval a
 * manager's second credential gives on the spot (approver) or the one it
 * uses (approval), the ID held (id_hash set), the key's state, and its
 * events, built before the write. Each event is one of type with its
 * members (actor, person, key..., "data"); the data's "loan" and an
 * "approval" it holds are the rows' ids once written. */
#define KC_STORE_GRANT_EVENTS 3
struct kc_store_grant {
	const char *key, *kind, *purpose, *borrower, *borrower_type, *contact, *signature;
	const char *operator_code, *work_order, *slot;
	int64_t letter, approval, due_ms, now_ms, window_ms;
	const char *approver;                /* a second credential: its approval is written */
	const char *id_type, *id_hash, *id_masked; /* id_hash NULL: no ID held */
	struct {
		enum kc_event_type type;
		json_t *members; /* taken */
	} events[KC_STORE_GRANT_EVENTS];
	int nevents;
	int64_t loan;    /* out: the loan's id */
	const char *why; /* out, after a failure: SQLite's words (kc_store_abort) */
};
/* Writes g in one transaction, its events appended in order: 0, -EBUSY
 * (no transaction began), -EIO (a write failed, or the key was no longer
 * in: nothing written) or -EPIPE (the commit failed: nothing written).
 * The events' members are taken either way. */
int kc_store_grant(struct kc_store *st, struct kc_store_grant *g);

/* A cached statement for sql, reset and bound from fmt, one letter per
 * argument: 's' const char * (NULL binds NULL), 'I' int64_t, 'i' int.
 * NULL on error. Step it (kc_db_row tells no row from an error); the next
 * kc_store_q of the same sql resets it. */
sqlite3_stmt *kc_store_q(struct kc_store *st, const char *sql, const char *fmt, ...);
/* Runs sql to completion. 0, -EEXIST (constraint) or -EIO. */
int kc_store_x(struct kc_store *st, const char *sql, const char *fmt, ...);
/* The first column of the first row as an integer; -ENOENT for no row. */
int kc_store_int(struct kc_store *st, int64_t *out, const char *sql, const char *fmt, ...);
int64_t kc_store_last_id(struct kc_store *st);

/* The controller's clock: the wall clock plus an offset that only the
 * test hook (keycabd --test-clock) ever moves. */
int64_t kc_now_ms(void);
void kc_clock_advance(int64_t ms);
int64_t kc_clock_offset(void);
/* While a change is written late (the disk took no writes when it
 * happened), "now" is when it happened: ms; 0 ends it. */
void kc_clock_at(int64_t ms);

#endif
