/* The custody rules (../shared/custody-rules.md) as pure decisions: each
 * function takes the facts its caller loaded (controller/facts.h), never
 * touches the database or the hardware, and says granted or refused with
 * the rule, a sentence the operator can act on, and what is missing. */
#ifndef KC_CTL_RULES_H
#define KC_CTL_RULES_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"
#include "common/pdata.h"
#include "controller/conf.h"
#include "controller/words.h"

struct kc_key_info {
	char code[64];
	char unit[64];
	char site[64];
	enum kc_key_kind kind;
	char home_slot[64];
	char slot[64]; /* where it is now; "" when not in a slot */
	enum kc_key_state state;
	uint32_t tag;
};


struct kc_release_req {
	const char *operator_code; /* authenticated operator, NULL if none */
	const char *operator_role;
	const char *key;
	const char *purpose;   /* borrow, inspection, repair, emergency */
	const char *borrower;  /* person code (inspection/repair/emergency) or name (borrow) */
	const char *contact;
	const char *signature; /* reference of the borrower's signed registration */
	int64_t letter;
	const char *id_type;   /* the ID held (borrow) */
	const char *id_number; /* in clear only for the decision; never stored */
	const char *work_order;
	int64_t due_ms;        /* 0: none given */
	int64_t approval;      /* an approval issued beforehand */
	const char *approver;  /* a manager's second credential at the cabinet ... */
	const char *approver_role;
	bool approver_verified; /* ... whose PIN session.c checked */
};

struct kc_decision {
	bool granted;
	int rule;          /* the rule that refused (0: none, the request is wrong) */
	char reason[512];  /* the messages in English, one sentence after another */
	json_t *msgs;      /* array of messages ({"code", "params"}, common/msg.h); owned; NULL: none */
	json_t *missing;   /* array of strings; owned; NULL: none */
	struct kc_key_info key;
	char borrower_type[16]; /* person, owner, borrower */
	char borrower[128];
	int64_t letter, approval, entrustment;
	char approval_method[24];
	int64_t due_ms;
};

/* A decision holds nothing until its first refusal or missing thing: a
 * granted one need not be cleared. */
void kc_decision_init(struct kc_decision *d);
void kc_decision_clear(struct kc_decision *d);
/* Refuses by rule with message c (params as json_pack's fmt, NULL for
 * none). The first refusal's rule stays; each message adds a sentence,
 * so the operator sees everything wrong at once. */
void kc_decision_refuse(struct kc_decision *d, int rule, enum kc_msg_code c, const char *fmt, ...);
/* The same with a message already made (taken; NULL: out of memory,
 * only the rule is recorded). */
void kc_decision_add(struct kc_decision *d, int rule, json_t *m);
/* Adds what (a word of po/zh_CN/rules.po's context "missing") to what is
 * missing. */
void kc_decision_missing(struct kc_decision *d, const char *what);
/* Rule 1: role (a word of enum kc_role; NULL: nobody) may operate the
 * cabinet (staff, manager, supervisor). */
bool kc_rules_operator_role(const char *role);
/* A word of the vocabulary for a message's parameter ("" for none). */
#define KC_WORD(name, v) (name##_to_string(v) ? name##_to_string(v) : "")

/* The facts a release, a collection or an ID's return is decided on, as
 * controller/facts.c loads them; each part's `found` says whether its row
 * exists (false: no such row, or not loaded because the request does not
 * need it). */
struct kc_person_facts {
	bool found;
	enum kc_role role;
	bool enrolled_by_admin; /* enrolled_by is NULL */
	char enrolled_by[64];
	int64_t enrolled_ms;
};
struct kc_entrustment_facts {
	bool found;
	int64_t id, end_ms;
	char owner[64], owner_id_type[40], owner_id_hash[KC_PWHASH_LEN];
};
struct kc_letter_facts {
	bool found;
	int64_t entrustment, valid_from, valid_to, confirmed_ms;
	char borrower[128], id_hash[KC_PWHASH_LEN];
};
struct kc_approval_facts {
	bool found;
	char key[64], manager[64];
	char method[24]; /* issued, remote ("": issued) */
	char asker[64];  /* remote: the clerk who asked, the only one it serves */
	int64_t valid_from, valid_to, used_loan;
};
/* Rule 10: what the slot layer says of a slot. */
struct kc_slot_facts {
	bool in_file; /* the cabinet file has the slot */
	bool fault;   /* its board does not answer */
	bool lock_on; /* a pulse is under way */
	bool unknown; /* not read yet */
	bool empty;   /* reads no key */
};
struct kc_release_facts {
	bool key_found;
	struct kc_key_info key;
	struct kc_person_facts borrower;     /* the borrower on the roll (not entrusted keys) */
	struct kc_entrustment_facts entrustment; /* the key's open one (entrusted keys) */
	struct kc_letter_facts letter;       /* the letter named (entrusted keys) */
	struct kc_approval_facts approval;   /* the approval named (sealed keys) */
	struct kc_person_facts approver;     /* the approving manager (sealed keys) */
	int64_t session_ms;                  /* the operator's earliest open session (sealed keys) */
	/* rule 10: the key's slot as the hardware reads it (hw false: no
	 * hardware), its index there, and the release windows open */
	bool hw;
	struct kc_slot_facts slot;
	int slot_index;
	int open_windows;
};
/* Rules 1-7, and rule 10 for the key's slot: may this key go out for
 * this purpose now? */
void kc_rules_release(const struct kc_release_req *req, const struct kc_release_facts *f,
		      int64_t now_ms, struct kc_decision *d);
/* Rule 8: the owner collects the key with their ID and signature; k the
 * key named (NULL: none), e its open entrustment with its owner. */
void kc_rules_collect(const char *operator_code, const char *operator_role, const char *key,
		      const struct kc_key_info *k, const struct kc_entrustment_facts *e,
		      const char *id_number, const char *signature, int64_t now_ms,
		      struct kc_decision *d);
/* An ID held for a loan, with the loan's state and key. */
struct kc_id_loan_facts {
	bool found;
	char state[16], key[64];
	int64_t released_ms;
	struct kc_key_info k; /* the loan's key ("" code: not found) */
};
/* Rule 3: the ID held for loan goes back only when the key is back. */
void kc_rules_id_release(const char *operator_code, int64_t loan, const struct kc_id_loan_facts *f,
			 struct kc_decision *d);
/* Rule 4's four eyes, a pure decision: may approver approve a release by
 * operator, whose session began at session_ms (0: not known)? The approver
 * was registered, or last given a role, PIN or card, by enrolled_by (NULL:
 * the administrator) at enrolled_ms (0: before this was recorded). Never
 * the operator, nor someone the operator enrolled, nor someone enrolled
 * during the operator's session, whoever enrolled them. */
enum kc_four_eyes {
	KC_FOUR_EYES_OK = 0,
	KC_FOUR_EYES_SAME_PERSON,
	KC_FOUR_EYES_ENROLLED_BY_OPERATOR,
	KC_FOUR_EYES_ENROLLED_IN_SESSION,
};
enum kc_four_eyes kc_rules_four_eyes(const char *operator_code, int64_t session_ms,
				     const char *approver, const char *enrolled_by,
				     int64_t enrolled_ms);
/* The same on the approver's facts a, as refusals in d (rule 4, what is
 * missing): true when approver may approve. */
bool kc_rules_four_eyes_check(const char *operator_code, int64_t session_ms, const char *approver,
			      const struct kc_person_facts *a, struct kc_decision *d);
/* An ID number as it comes in at any door: a document's number in
 * kc_id_normalise's form (common/pdata.h); a resident ID card's (id_type
 * "id_card") by GB 11643 too (common/idcard.h: the form, the region, a
 * birth date up to now_ms's local day, the check character). 0, or
 * -EINVAL with what is wrong as a message in *why (id_number_invalid,
 * id_card_*). */
int kc_rules_id_number(const char *id_type, const char *number, int64_t now_ms, enum kc_msg_code *why);
/* A purpose's word, "" for none (words.c's table). */
const char *kc_purpose_name(enum kc_purpose p);
/* 0 and the purpose a release names by name (below KC_PURPOSE_COUNT),
 * or -ENOENT. */
int kc_purpose_find(const char *name, enum kc_purpose *out);
/* A release's due time: due_in_s seconds after now_ms (0: not given;
 * it wins) or due_ms (0: none given), into *due_out, within the desk's
 * bound for purpose (max_ms, by enum kc_purpose: [desk] max_loan_<p>; a
 * purpose there is none of has no bound, the release rules refuse it).
 * Initialises d (kc_decision_init); false with the refusal in it
 * (kc_rules_due_bound). */
bool kc_rules_release_due(const char *purpose, const int64_t *max_ms, int64_t now_ms, int64_t due_ms,
			  int64_t due_in_s, int64_t *due_out, struct kc_decision *d);
/* The due time `seconds` after now_ms; INT64_MAX when that is past what
 * a time can hold (which any bound refuses). */
int64_t kc_rules_due_in(int64_t now_ms, int64_t seconds);
/* The desk's bound on a due time ([desk] max_loan_<purpose>, max_ms): a
 * loan for p may be due at most max_ms after now_ms. due_ms 0: none
 * given. A refusal (rule 0: the cabinet's configuration, due_beyond_limit
 * naming the limit, its key and the latest due time now) added to d. */
void kc_rules_due_bound(enum kc_purpose p, int64_t max_ms, int64_t now_ms, int64_t due_ms, struct kc_decision *d);
/* The last millisecond of now_ms's local day in the cabinet's zone
 * (repair keys are due back the same day). */
int64_t kc_rules_end_of_day(int64_t now_ms);
/* "2026-11-22 21:03" in the cabinet's zone (a local midnight as the bare
 * date), for sentences. */
void kc_rules_fmt_local(int64_t ms, char *buf, size_t len);

/* The decisions below are pure: the caller loads the facts, the function
 * says granted or refused (rule, reason, missing) in d, which the caller
 * has initialised (kc_decision_init). */

/* Rule 4: an approval beforehand is for a sealed key; k NULL: no key
 * named key. */
void kc_rules_approve(const char *key, const struct kc_key_info *k, struct kc_decision *d);

/* A loan as the inspection and ID decisions see it. */
struct kc_loan_facts {
	char key[64], purpose[24], state[16], inspection[16], borrower[128];
};
/* Rule 5: an inspection is recorded for a returned inspection loan, once;
 * problems are written down and forwarded. l NULL: no such loan. result
 * is "ok" or "problems" (the caller checks). */
void kc_rules_inspect(int64_t loan, const struct kc_loan_facts *l, const char *result,
		      const char *problems, const char *dept, struct kc_decision *d);

struct kc_handover_facts {
	char outgoing[64], incoming[64];
	int64_t confirmed_ms, reviewed_ms;
};
/* Rule 12: the incoming staff (not who started it) confirms a handover
 * once; a supervisor reviews it once, after the confirmation. h NULL: no
 * such handover. */
void kc_rules_handover_sign(int64_t id, const struct kc_handover_facts *h, const char *person,
			    bool review, struct kc_decision *d);

/* Rule 11: an alarm is cleared once, with a note of what was done. */
void kc_rules_alarm_clear(int64_t id, bool found, int64_t cleared_ms, const char *note,
			  struct kc_decision *d);

/* Rule 7: which notice an open entrustment ending at end_ms is owed at
 * now ("before_end", "end", "reminder"), or NULL. The end date is the
 * local day of its last moment: its notice comes when that day begins;
 * reminders every reminder_ms once the end has passed; last_ms is the
 * last notice's time. */
const char *kc_rules_notice_stage(int64_t lead_ms, int64_t reminder_ms, int64_t now,
				  int64_t end_ms, int64_t last_ms, bool has_before, bool has_end);

/* Rule 9: a loan due at due_ms (0: none) is overdue at now_ms. */
bool kc_rules_overdue(int64_t due_ms, int64_t now_ms);
/* Rule 9: key k put in slot is in the wrong slot (a wrong_slot alarm):
 * the alarm's message (alarm_key_wrong_slot), or NULL when it is home. */
json_t *kc_rules_wrong_slot(const struct kc_key_info *k, const char *slot);

/* Rule 9: a re-seat. Key k sits in a slot that is not its home (a
 * wrong-slot alarm): may the operator (code, role; NULL: nobody) have
 * that slot opened so the key can be moved home? Only an operator (rule
 * 1); only a key in custody in a slot not its own; not while its home
 * slot reads another key (home_taken: move that one first); only with a
 * release window free (rule 10). k NULL: no key named key. */
void kc_rules_reseat(const char *operator_code, const char *operator_role, const char *key,
		     const struct kc_key_info *k, bool home_taken, int open_windows,
		     struct kc_decision *d);

/* An alarm a re-seat names: its type, key, when cleared (0: open). */
struct kc_alarm_facts {
	bool found;
	enum kc_alarm_type type;
	char key[64];
	int64_t cleared_ms;
};
/* Rule 9: a re-seat named by its alarm: an open wrong-slot alarm with its
 * key known. */
void kc_rules_reseat_alarm(int64_t alarm, const struct kc_alarm_facts *a, struct kc_decision *d);

#define KC_RULES_MAX_WINDOWS 64
/* What a slot is opened for: a key's release, or a re-seat. */
enum kc_slot_use {
	KC_SLOT_FOR_RELEASE = 0,
	KC_SLOT_FOR_RESEAT,
};
/* Rule 10: may slot open now for use (the release of key, or a re-seat),
 * with open_windows release windows open? f NULL: no hardware. false with
 * the refusal added to d (rule 10, a working slot missing): the message
 * names the key and slot (a release) or the slot (a re-seat), and says
 * why. */
bool kc_rules_slot_usable(enum kc_slot_use use, const char *key, const char *slot,
			  int open_windows, const struct kc_slot_facts *f, struct kc_decision *d);
/* Rule 10: the slot of key did not open for use: r is what the slot
 * layer's open returned (-ENOSPC, -ENOENT, -EIO, -EBUSY, -ERANGE, other),
 * the refusal added to d. */
void kc_rules_slot_not_opened(enum kc_slot_use use, const char *key, const char *slot, int r,
			      struct kc_decision *d);

#endif
