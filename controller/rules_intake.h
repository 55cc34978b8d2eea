/* The rules of taking keys in at the desk (custody rules 7 and 10, and
 * what an entrustment is), as pure decisions on facts controller/intake.c
 * loaded: which free slot opens for a key to go in, whether the key that
 * went in is registered (with its owner and entrustment), and an
 * entrustment's period, its extension and its early end. None touches the
 * database or the hardware. */
#ifndef KC_CTL_RULES_INTAKE_H
#define KC_CTL_RULES_INTAKE_H
#include <stdbool.h>
#include <stdint.h>

#include "controller/rules.h"

/* A slot of the cabinet file as a key's intake sees it. */
struct kc_intake_slot_facts {
	char name[64];
	bool reads_tags; /* its reader reads key tags */
	bool empty;      /* the sensor reads no key (false: a key, unread, fault) */
	bool lock_on;    /* a pulse is under way */
	bool homed;      /* a key registered has it as its home */
	bool awaited;    /* an intake opened it and waits for its key */
};
/* Rule 10: the slot that opens for a new key: a free one (empty, no key's
 * home, its lock off, no intake waiting on it), one whose reader reads
 * tags first, with a release window free. Its index in slots, or -1 with
 * the refusal in d. */
int kc_rules_intake_slot(const struct kc_intake_slot_facts *slots, int n, int open_windows,
			 struct kc_decision *d);

/* Rule 7: an entrustment's period, start_ms to end_ms, at most max_ms
 * long ([desk] max_entrustment). A refusal added to d. */
void kc_rules_entrust_period(int64_t start_ms, int64_t end_ms, int64_t max_ms, struct kc_decision *d);

/* What a key's enrolment names, and the facts it is decided on. */
struct kc_intake_req {
	const char *slot, *kind, *unit;
	/* the owner who entrusts it (entrusted and sealed keys; NULL name:
	 * none, the key alone is enrolled) */
	const char *owner_name, *owner_phone, *id_type, *id_number;
	int64_t start_ms, end_ms; /* 0: not given */
	bool owner_required;      /* an owner's intake: the owner and the period are needed */
};
struct kc_intake_facts {
	bool unit_found;
	bool slot_in_file, slot_awaited; /* the slot exists, an intake opened it and waits */
	bool slot_reads_tags, slot_present;
	uint32_t tag;          /* the tag its reader read, 0: none */
	char tag_key[64];      /* the key registered with that tag ("": none) */
	char home_key[64];     /* the key whose home the slot is ("": none) */
};
/* Rule 7 and the request itself: a key of this kind for this unit (known
 * or not: unit_found), and with an owner (req->owner_name, or
 * owner_required) the owner's name, phone and ID and the period. The
 * refusal added to d. */
void kc_rules_intake_request(const struct kc_intake_req *req, bool unit_found, int64_t now_ms, int64_t max_ms,
			     struct kc_decision *d);
/* Rules 7, 9 and 10: kc_rules_intake_request, and may the key that went into req->slot be registered
 * as req asks? The refusal (rule 0: the request is wrong; 7: the
 * period; 9: the tag; 10: the slot) added to d. */
void kc_rules_intake_enrol(const struct kc_intake_req *req, const struct kc_intake_facts *f,
			   int64_t now_ms, int64_t max_ms, struct kc_decision *d);

/* An entrustment as a change of its period sees it. */
struct kc_entrust_change_facts {
	bool found;
	bool open;
	int64_t start_ms, end_ms;
};
/* Rule 7: an open entrustment's end moves to new_end_ms: later when
 * extend (within max_ms of its start), else earlier (ending it early),
 * and never into the past. f NULL or not found: no such entrustment. */
void kc_rules_entrust_change(int64_t entrustment, const struct kc_entrust_change_facts *f, bool extend,
			     int64_t new_end_ms, int64_t now_ms, int64_t max_ms, struct kc_decision *d);

#endif
