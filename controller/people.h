/* The people and sessions tables as the decisions read them (on the
 * store's connection, struct kc_ctl's db). */
#ifndef KC_CTL_PEOPLE_H
#define KC_CTL_PEOPLE_H
#include "controller/rules.h"
#include "controller/store.h"

/* Person code's role and enrolment into *out (found false: no such
 * person). 0 or -EIO. */
int kc_person_facts_get(struct kc_db *db, const char *code, struct kc_person_facts *out);
/* When person's earliest open session began (0: none). 0 or -EIO. */
int kc_person_first_session(struct kc_db *db, const char *person, int64_t *ms);
/* A card stored as a plain SHA-256 (before keyed hashes) gets its keyed
 * hash card_hash, so a lookup by card_hash finds it. 0 or -EIO. */
int kc_person_card_rekey(struct kc_store *st, const char *card, const char *card_hash);

#endif
