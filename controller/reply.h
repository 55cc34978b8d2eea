/* The answers a request gets (controller/README.md, "Protocol"), the
 * request's members, and rows as JSON. */
#ifndef KC_CTL_REPLY_H
#define KC_CTL_REPLY_H
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "controller/rules.h"
#include "controller/store.h"

json_t *kc_reply_ok(void);
/* An error: {"ok": false, "code", "params", "error": the English text}.
 * fmt is a json_pack format for the params (common/msg.h), NULL for none. */
json_t *kc_reply_fail(enum kc_msg_code c, const char *fmt, ...);
/* A refusal by a custody rule: rule (0: no rule, the request names
 * something unknown or unavailable), the message, and what is missing
 * (taken; NULL: nothing). */
json_t *kc_reply_refuse(int rule, json_t *missing, enum kc_msg_code c, const char *fmt, ...);
/* The refusal a decision holds: its rule, messages, English reason and
 * what is missing. */
json_t *kc_reply_decision(const struct kc_decision *d);
/* The same, and d cleared (kc_decision_clear). */
json_t *kc_reply_take(struct kc_decision *d);
/* A write that failed: db_write_failed with what SQLite said (why, from
 * kc_store_abort, which ended the transaction). */
json_t *kc_reply_write_failed(const char *why);
/* A read that failed (not "no row"): db_read_failed. */
json_t *kc_reply_read_failed(struct kc_store *st);
/* An ok reply naming what was written: {"ok": true, name: id}. */
json_t *kc_reply_id(const char *name, json_int_t id);

/* A string member; NULL when absent or not a string. */
const char *kc_req_str(json_t *req, const char *name);
/* An integer member; 0 when absent or not an integer. */
int64_t kc_req_int(json_t *req, const char *name);
/* A request's members into a struct, by a table: each a const char *
 * (kc_req_str) or an int64_t (kc_req_int) at its offset. */
struct kc_req_member {
	const char *name;
	size_t off;
	bool text;
};
#define KC_REQ_TEXT(type, m) { #m, offsetof(type, m), true }
#define KC_REQ_INT(type, m) { #m, offsetof(type, m), false }
void kc_req_members(json_t *req, const struct kc_req_member *m, size_t n, void *out);
/* Rows as objects named by their columns; integer columns named *_ms
 * become UTC times without the suffix, text columns named *_msg (a
 * message as JSON) that object. Resets s; NULL gives []. */
json_t *kc_reply_rows(sqlite3_stmt *s);

#endif
