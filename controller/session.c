/* Logins (PIN or card), lockouts after wrong PINs, and sessions: a random
 * token the CLI keeps for the operator, stored only as its SHA-256, ended
 * by an idle timeout. Sessions use the real wall clock, never the test
 * clock, so moving the test clock by days does not log anyone out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/ctl.h"
#include "controller/rules.h"
#include "controller/people.h"
#include "controller/reply.h"
#include "controller/rules_access.h"
#include "controller/session.h"

struct person_row {
	char code[64];
	char name[128];
	char role[16];
	char pin_hash[KC_PWHASH_LEN];
	int failures, lockouts;
	int64_t locked_until;
	bool inactive;
};

static int person_load(struct kc_store *st, const char *by_sql, const char *arg,
		       struct person_row *p)
{
	sqlite3_stmt *s = kc_store_q(st, by_sql, "s", arg);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 3);

		memset(p, 0, sizeof(*p));
		kc_strlcpy(p->code, (const char *)sqlite3_column_text(s, 0), sizeof(p->code));
		kc_strlcpy(p->name, (const char *)sqlite3_column_text(s, 1), sizeof(p->name));
		kc_strlcpy(p->role, (const char *)sqlite3_column_text(s, 2), sizeof(p->role));
		kc_strlcpy(p->pin_hash, h ? (const char *)h : "", sizeof(p->pin_hash));
		p->failures = sqlite3_column_int(s, 4);
		p->lockouts = sqlite3_column_int(s, 5);
		p->locked_until = sqlite3_column_int64(s, 6);
		p->inactive = sqlite3_column_int(s, 7) == 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

#define PERSON_COLS "code, name, role, pin_hash, failures, lockouts, locked_until, active"

/* Failed logins that need no credential (unknown cards, tries refused by
 * the socket's rate limit) are summed per cause: the first of an interval
 * is an event at once, the others one event when the interval ends, so a
 * flood seals a few events a minute, not one per try. */
static const struct {
	const char *method, *reason;
} failure_causes[KC_LOGIN_CAUSES] = {
	[KC_LOGIN_UNKNOWN_CARD] = { "card", "unknown card" },
	[KC_LOGIN_LIMITED_CARD] = { "card", "too many failed logins" },
	[KC_LOGIN_LIMITED_PIN] = { "pin", "too many failed logins" },
};

static int failures_event(struct kc_ctl *ctl, int cause, int64_t count, int64_t first_ms)
{
	json_t *ev = kc_store_event(ctl->st, KC_EVT_OPERATOR_LOGIN_FAILED);
	json_t *d = json_object_get(ev, "data");

	json_object_set_new(d, "method", json_string(failure_causes[cause].method));
	json_object_set_new(d, "reason", json_string(failure_causes[cause].reason));
	json_object_set_new(d, "failures", json_integer(count));
	json_object_set_new(d, "locked_until", json_null());
	json_object_set_new(d, "count", json_integer(count));
	kc_json_time(d, "first", first_ms);
	if (kc_store_begin(ctl->st) < 0) {
		json_decref(ev);
		return -EIO;
	}
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_commit(ctl->st) < 0) {
		kc_store_rollback(ctl->st);
		return -EIO;
	}
	return 0;
}

static int count_failure(struct kc_ctl *ctl, int cause)
{
	struct kc_login_failures *f = &ctl->login_failures[cause];
	int64_t now = kc_mono_ms();

	if (f->since_mono && now - f->since_mono < ctl->conf->lockout_summary_ms) {
		if (f->pending++ == 0)
			f->first_wall = kc_now_ms();
		return 0;
	}
	if (f->pending > 0 && failures_event(ctl, cause, f->pending, f->first_wall) < 0)
		return -EIO;
	f->pending = 0;
	f->since_mono = now;
	return failures_event(ctl, cause, 1, kc_now_ms());
}

/* The facts of a login for the rules (kc_rules_login): p as loaded (r:
 * 0 or -ENOENT), whether the credential matched. */
static struct kc_login_facts login_facts(const struct person_row *p, int r, bool by_card, const char *person,
					 bool credential_ok)
{
	return (struct kc_login_facts){ .by_card = by_card, .person = person, .found = r == 0, .code = p->code,
					.name = p->name, .failures = p->failures, .lockouts = p->lockouts,
					.locked_until = p->locked_until, .credential_ok = credential_ok,
					.inactive = r == 0 && p->inactive };
}

static struct kc_lockout_policy lockout_policy(const struct kc_ctl_conf *c)
{
	return (struct kc_lockout_policy){ .attempts = c->lockout_attempts, .base_ms = c->lockout_base_ms,
					   .max_ms = c->lockout_max_ms };
}

/* A wrong PIN as the rules counted it: the person's counters and the
 * failure event in one transaction. 0 or -errno. */
static int write_wrong_pin(struct kc_ctl *ctl, const struct person_row *p, const struct kc_login_count *c,
			   const char *method, const char *purpose)
{
	json_t *ev, *d;

	if (kc_store_begin(ctl->st) < 0)
		return -EBUSY;
	if (kc_store_x(ctl->st,
		       "UPDATE people SET failures = ?, lockouts = ?, locked_until = ? WHERE code = ?",
		       "iiIs", c->failures, c->lockouts, c->locked_until, p->code) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_OPERATOR_LOGIN_FAILED);
	kc_json_str(ev, "person", p->code);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "method", json_string(method));
	json_object_set_new(d, "reason", json_string("wrong PIN"));
	json_object_set_new(d, "failures", json_integer(c->tries));
	kc_json_time(d, "locked_until", c->lockout_ms ? c->locked_until : 0);
	if (purpose)
		json_object_set_new(d, "purpose", json_string(purpose));
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_commit(ctl->st) < 0)
		return -EIO;
	return 0;
}

/* Loads, asks the rules, writes: NULL when p may log in, else the reply
 * (the refusal once a wrong PIN is written, or the failure to write it). */
static json_t *decide_login(struct kc_ctl *ctl, const struct person_row *p, int r, bool by_card,
			    const char *person, bool credential_ok, const char *purpose)
{
	struct kc_login_facts f = login_facts(p, r, by_card, person, credential_ok);
	struct kc_lockout_policy pol = lockout_policy(ctl->conf);
	struct kc_login_count count;
	struct kc_decision d;

	f.enrol_code = purpose && strcmp(purpose, KC_SESSION_ENROL) == 0;
	kc_decision_init(&d);
	if (kc_rules_login(&f, &pol, kc_wall_ms(), &count, &d)) {
		kc_decision_clear(&d);
		return NULL;
	}
	/* An unknown card is logged too: someone tried the cabinet. */
	if ((by_card && r == -ENOENT && count_failure(ctl, KC_LOGIN_UNKNOWN_CARD) < 0) ||
	    (count.write && (r = write_wrong_pin(ctl, p, &count, "pin", purpose)) < 0)) {
		kc_decision_clear(&d);
		return r == -EBUSY ? kc_reply_fail(KCM_db_busy, NULL) : kc_reply_write_failed(kc_store_abort(ctl->st));
	}
	return kc_reply_take(&d);
}

int64_t kc_session_tick(struct kc_ctl *ctl, bool flush)
{
	int64_t now = kc_mono_ms(), next = ctl->conf->lockout_summary_ms;

	for (int i = 0; i < KC_LOGIN_CAUSES; i++) {
		struct kc_login_failures *f = &ctl->login_failures[i];
		int64_t left = f->since_mono + ctl->conf->lockout_summary_ms - now;

		if (!f->since_mono)
			continue;
		if (left > 0 && !flush) {
			if (left < next)
				next = left;
			continue;
		}
		if (f->pending == 0) {
			f->since_mono = 0;
			continue;
		}
		if (failures_event(ctl, i, f->pending, f->first_wall) < 0) {
			kc_warn("%lld failed logins (%s) not written yet: %s", (long long)f->pending,
				failure_causes[i].reason, kc_store_errmsg(ctl->st));
			f->since_mono = now; /* try again in an interval */
			continue;
		}
		/* A flood goes on: its next failures are summed at once. */
		f->pending = 0;
		f->since_mono = now;
	}
	return next;
}

json_t *kc_session_login_throttled(struct kc_ctl *ctl, bool by_card, int64_t wait_ms)
{
	struct kc_decision d;
	json_t *rep;

	if (count_failure(ctl, by_card ? KC_LOGIN_LIMITED_CARD : KC_LOGIN_LIMITED_PIN) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	kc_decision_init(&d);
	kc_rules_login_throttled(wait_ms, &d);
	rep = kc_reply_take(&d);
	json_object_set_new(rep, "retry_after_s", json_integer((wait_ms + 999) / 1000));
	return rep;
}

json_t *kc_session_verify_pin(struct kc_ctl *ctl, const char *person, const char *pin,
			      const char *purpose, char role_out[16])
{
	struct person_row p = { 0 };
	json_t *rep;
	int r;

	r = person_load(ctl->st, "SELECT " PERSON_COLS " FROM people WHERE code = ?", person, &p);
	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	rep = decide_login(ctl, &p, r, false, person,
			   r == 0 && pin && p.pin_hash[0] && kc_secret_matches(pin, p.pin_hash), purpose);
	if (rep)
		return rep;
	if (p.failures > 0 || p.lockouts > 0)
		kc_store_x(ctl->st, "UPDATE people SET failures = 0, lockouts = 0 WHERE code = ?", "s",
			   p.code);
	kc_strlcpy(role_out, p.role, 16);
	return NULL;
}

json_t *kc_session_verify_code(struct kc_ctl *ctl, const char *person, bool code_ok)
{
	struct person_row p = { 0 };
	int r = person_load(ctl->st, "SELECT " PERSON_COLS " FROM people WHERE code = ?", person, &p);

	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	return decide_login(ctl, &p, r, false, person, r == 0 && code_ok, KC_SESSION_ENROL);
}

json_t *kc_session_login(struct kc_ctl *ctl, json_t *req)
{
	const char *person = kc_req_str(req, "person");
	const char *pin = kc_req_str(req, "pin");
	const char *card = kc_req_str(req, "card");
	char token[65], token_hash[65], card_hash[KC_CARD_HASH_LEN];
	struct person_row p = { 0 };
	json_t *ev, *rep;
	const char *method = card ? "card" : "pin";
	int64_t now;
	int r;

	if (card) {
		if (kc_card_hash(card, card_hash) < 0 ||
		    kc_person_card_rekey(ctl->st, card, card_hash) < 0)
			return kc_reply_fail(KCM_card_lookup_failed, NULL);
		r = person_load(ctl->st, "SELECT " PERSON_COLS " FROM people WHERE card_hash = ?",
				card_hash, &p);
	} else {
		if (!person || !pin)
			return kc_reply_fail(KCM_login_bad_request, NULL);
		r = person_load(ctl->st, "SELECT " PERSON_COLS " FROM people WHERE code = ?", person,
				&p);
	}
	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	rep = decide_login(ctl, &p, r, card != NULL, person,
			   card || (r == 0 && p.pin_hash[0] && kc_secret_matches(pin, p.pin_hash)), NULL);
	if (rep)
		return rep;
	now = kc_wall_ms();
	if (kc_token_new(token, 32) < 0)
		return kc_reply_fail(KCM_session_token_failed, NULL);
	kc_token_hash(token, token_hash);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	/* Sessions idle past the timeout are of no use to anyone: drop them. */
	if (kc_store_x(ctl->st, "DELETE FROM sessions WHERE last_ms < ?", "I",
		       now - ctl->conf->session_idle_ms) < 0 ||
	    kc_store_x(ctl->st, "UPDATE people SET failures = 0, lockouts = 0 WHERE code = ?", "s",
		       p.code) < 0 ||
	    kc_store_x(ctl->st,
		       "INSERT INTO sessions (token_hash, person, created_ms, last_ms) VALUES (?,?,?,?)",
		       "ssII", token_hash, p.code, now, now) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_OPERATOR_LOGIN);
	kc_json_str(ev, "actor", p.code);
	json_object_set_new(json_object_get(ev, "data"), "method", json_string(method));
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_ok();
	json_object_set_new(rep, "session", json_string(token));
	json_object_set_new(rep, "person", json_string(p.code));
	json_object_set_new(rep, "name", json_string(p.name));
	json_object_set_new(rep, "role", json_string(p.role));
	json_object_set_new(rep, "idle_timeout_s", json_integer(ctl->conf->session_idle_ms / 1000));
	return rep;
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_session_logout(struct kc_ctl *ctl, json_t *req)
{
	const char *token = kc_req_str(req, "session");
	char h[65];

	if (!token)
		return kc_reply_fail(KCM_logout_no_session, NULL);
	kc_token_hash(token, h);
	if (kc_store_x(ctl->st, "DELETE FROM sessions WHERE token_hash = ?", "s", h) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_ok();
}

/* Says why nobody is logged in: the code in peer, and its English, without
 * the final stop, in peer->session_error for sentences that quote it. */
static void no_session(struct kc_peer *peer, enum kc_msg_code why, int64_t idle_s)
{
	json_t *m = why == KCM_session_expired ? kc_msg_new(why, "{s:I}", "idle_s", (json_int_t)idle_s)
					       : kc_msg_new(why, NULL);
	size_t n;

	peer->person[0] = '\0';
	peer->session_why = why;
	peer->session_idle_s = idle_s;
	peer->session_error[0] = '\0';
	kc_msg_render(m, KC_LANG_EN, peer->session_error, sizeof(peer->session_error));
	json_decref(m);
	n = strlen(peer->session_error);
	if (n > 0 && peer->session_error[n - 1] == '.')
		peer->session_error[n - 1] = '\0';
}

json_t *kc_session_terminal(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer)
{
	json_t *v = json_object_get(req, "terminal_key");
	struct kc_decision d;
	bool right = false;

	peer->terminal = false;
	if (!v)
		return NULL;
	if (json_is_string(v)) {
		right = ctl->conf->terminal_key_file[0] &&
			kc_shared_key_matches(ctl->conf->terminal_key_digest, json_string_value(v),
					      json_string_length(v));
		/* the request is freed after the reply: nothing of the key stays */
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
	kc_decision_init(&d);
	if (!kc_rules_terminal_key(ctl->conf->terminal_key_file[0], right, &d))
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	peer->terminal = true;
	return NULL;
}

int kc_session_open(struct kc_ctl *ctl, const char *token_hash)
{
	int64_t last;
	int r = kc_store_int(ctl->st, &last, "SELECT last_ms FROM sessions WHERE token_hash = ?",
			     "s", token_hash);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return -EIO;
	return kc_wall_ms() - last <= ctl->conf->session_idle_ms;
}

void kc_session_check(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer)
{
	const char *token = json_string_value(json_object_get(req, "session"));
	int64_t now = kc_wall_ms(), last;
	char h[65];
	sqlite3_stmt *s;
	int rc;

	peer->person[0] = '\0';
	peer->session_given = token && *token;
	if (!token || !*token) {
		no_session(peer, KCM_session_none, 0);
		return;
	}
	kc_token_hash(token, h);
	s = kc_db_q(ctl->db,
		       "SELECT s.person, p.role, p.name, s.last_ms FROM sessions s"
		       " JOIN people p ON p.code = s.person WHERE s.token_hash = ? AND p.active = 1",
		       "s", h);
	if (!s) {
		no_session(peer, KCM_session_read_failed, 0);
		return;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		no_session(peer, KCM_session_unknown, 0);
		return;
	}
	last = sqlite3_column_int64(s, 3);
	if (now - last > ctl->conf->session_idle_ms) {
		sqlite3_reset(s);
		kc_store_x(ctl->st, "DELETE FROM sessions WHERE token_hash = ?", "s", h);
		no_session(peer, KCM_session_expired, ctl->conf->session_idle_ms / 1000);
		return;
	}
	kc_strlcpy(peer->person, (const char *)sqlite3_column_text(s, 0), sizeof(peer->person));
	kc_strlcpy(peer->role, (const char *)sqlite3_column_text(s, 1), sizeof(peer->role));
	kc_strlcpy(peer->name, (const char *)sqlite3_column_text(s, 2), sizeof(peer->name));
	sqlite3_reset(s);
	/* Touch at most every few seconds: each write is an fsync, and the
	 * idle timeout is minutes. */
	if (now - last > 5000)
		kc_store_x(ctl->st, "UPDATE sessions SET last_ms = ? WHERE token_hash = ?", "Is", now, h);
}
