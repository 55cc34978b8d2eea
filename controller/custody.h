/* The custody tables as the decisions read them: a key's open
 * entrustment with its owner, a letter, an approval issued beforehand,
 * the ID a loan holds, an alarm. Each returns 0 (found false: no such row) or -EIO;
 * all but the alarm read the store's connection (struct kc_ctl's db). */
#ifndef KC_CTL_CUSTODY_H
#define KC_CTL_CUSTODY_H
#include "controller/rules.h"
#include "controller/store.h"

int kc_entrustment_open(struct kc_db *db, const char *key, struct kc_entrustment_facts *out);
int kc_letter_get(struct kc_db *db, int64_t id, struct kc_letter_facts *out);
/* An approval given beforehand: issued at the cabinet (method 'issued')
 * or from the office for one asker's request (method 'remote'). */
int kc_approval_issued(struct kc_db *db, int64_t id, struct kc_approval_facts *out);
/* The ID held for loan, with the loan's state and key (not its key's row). */
int kc_id_loan_get(struct kc_db *db, int64_t loan, struct kc_id_loan_facts *out);
int kc_alarm_get(struct kc_store *st, int64_t id, struct kc_alarm_facts *out);

#endif
