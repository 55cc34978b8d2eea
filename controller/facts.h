/* The first step of a decision: the facts it needs, loaded through the
 * tables' accessors (keys.h, people.h, custody.h) and handed to a pure
 * kc_rules_* function (rules.h). Each loads only what the request's key
 * needs and returns 0 or -EIO (nothing else is a failure: a missing row
 * is a fact the rules refuse on). */
#ifndef KC_CTL_FACTS_H
#define KC_CTL_FACTS_H
#include "controller/ctl.h"
#include "controller/rules.h"
#include "controller/store.h"

/* A release's facts: the key, its custody's rows (keys.c, people.c,
 * custody.c on ctl->db) and its slot as the hardware reads it (windows.c:
 * only the windows module talks to hw/). */
int kc_facts_release(struct kc_ctl *ctl, const struct kc_release_req *req, struct kc_release_facts *f);
/* A collection: the key (*k, *key_found) and its open entrustment. */
int kc_facts_collect(struct kc_store *st, const char *key, struct kc_key_info *k, bool *key_found,
		     struct kc_entrustment_facts *e);
int kc_facts_id_release(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *f);

#endif
