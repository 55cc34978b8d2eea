/* The rules on a change the office sends (controller/estate.c): pure
 * kc_rules_estate_* functions on the facts estate.c loaded, each true
 * when the change may be applied, else false with the refusal in d
 * (kc_decision_init'ed by the caller; rule 0, codes estate_*, common/
 * msgs/estate.def). None touches the database or the hardware. */
#ifndef KC_CTL_RULES_ESTATE_H
#define KC_CTL_RULES_ESTATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/rules.h"

/* A site: its name, age (new/old) and IANA zone (zone_ok: the zone
 * database knows it). */
struct kc_estate_site_facts {
	const char *name, *age;
	bool zone_ok;
};
bool kc_rules_estate_site(const struct kc_estate_site_facts *f, struct kc_decision *d);

/* A unit: its site at the cabinet. */
struct kc_estate_unit_facts {
	const char *unit, *site;
	bool site_found;
};
bool kc_rules_estate_unit(const struct kc_estate_unit_facts *f, struct kc_decision *d);

/* A key set: new or changed; moved when its home slot changes. */
struct kc_estate_key_facts {
	const char *key, *unit, *kind, *slot;
	int64_t tag;             /* -1: not a tag (0 none, up to 0xffffffff) */
	bool unit_found;
	bool slot_in_file;       /* the cabinet file has the slot */
	const char *slot_home_of; /* another key whose home the slot is; "" none */
	const char *tag_of;      /* another key with this tag; "" none */
	bool key_found;          /* the key exists ... */
	enum kc_key_state state; /* ... in this state */
	bool moving;             /* ... and its home slot changes */
};
bool kc_rules_estate_key_set(const struct kc_estate_key_facts *f, struct kc_decision *d);

/* A key removed: whether it exists, its state, its open entrustment (0:
 * none). */
struct kc_estate_key_remove_facts {
	const char *key;
	bool key_found;
	enum kc_key_state state;
	int64_t entrustment;
};
bool kc_rules_estate_key_remove(const struct kc_estate_key_remove_facts *f, struct kc_decision *d);

/* A person set: name, role, whether the card the change sets is another
 * person's (card_holder: that person, "" none), the change's card members
 * well-formed (card_ok). */
struct kc_estate_person_facts {
	const char *name, *role, *department;
	bool active_ok;          /* "active" is a boolean */
	bool card_ok;
	const char *card_holder;
};
bool kc_rules_estate_person(const struct kc_estate_person_facts *f, struct kc_decision *d);

/* A change naming a person: whether they are on the roll. */
bool kc_rules_estate_person_known(const char *person, bool found, struct kc_decision *d);

/* A site's settings (data as the change carries it) and whether the site
 * is known: every value within its bounds. */
bool kc_rules_estate_settings(json_t *data, bool site_found, struct kc_decision *d);

/* An enrolment at the terminal: the person's code hash and its end
 * (hash "" none; until 0), now. true when a code is open; else refused
 * (no code, or expired). */
bool kc_rules_enrol_code_open(const char *person, const char *code_hash, int64_t until, int64_t now_ms,
			      struct kc_decision *d);

#endif
