/* The estate managed from the office (controller/README.md, "Managed
 * from the office"): keycab-forward hands keycabd the office's changes
 * one by one (estate.apply, access class office: the forward key), each
 * applied or refused in one transaction with its event (estate.applied,
 * estate.refused) and the position (the last change applied or refused),
 * so each change is applied once. [estate] mode = managed makes the
 * cabinet refuse the local registry ops; standalone refuses estate.*.
 *
 * The change types are one table: a name and its apply function, rows
 * from controller/estate_types.def and controller/estate_approval.def
 * (the approvals' rows, in a file of their own). */
#ifndef KC_CTL_ESTATE_H
#define KC_CTL_ESTATE_H
#include <jansson.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/rules.h"

/* A change as the office sent it. */
struct kc_estate_change {
	int64_t change;
	const char *type, *made, *by;
	json_t *data; /* the type's members */
};

/* Applies change c inside estate.c's transaction: loads the facts, asks
 * its rule (rules_estate.c), writes. Sets the event's members it names
 * (person, key, unit, site, slot) in members, and may add to the event's
 * data (extra, beside the change's own). 0 applied, 1 refused (the
 * refusal in d, nothing written), -EIO (a read or write failed). */
typedef int kc_estate_apply_fn(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members,
			       json_t *extra, struct kc_decision *d);

struct kc_estate_type {
	const char *type;
	kc_estate_apply_fn *apply;
};

/* KC_ESTATE_TYPE(name, function): the rows of the table. */
#define KC_ESTATE_TYPE(name, fn) kc_estate_apply_fn fn;
#include "controller/estate_types.def"
#include "controller/estate_approval.def"
#undef KC_ESTATE_TYPE

/* A text member of c's data; NULL when absent or not a text. */
const char *kc_estate_str(const struct kc_estate_change *c, const char *name);

/* The type named type; NULL for none. */
const struct kc_estate_type *kc_estate_type_find(const char *type);

/* The refusal of op in this mode: a local registry op (person.add,
 * import, unit.vacancy) on a managed cabinet; NULL when op may go on. */
json_t *kc_estate_op_refused(const struct kc_ctl *ctl, const char *op);

/* A site's settings as the office set them (the JSON of settings.set
 * without site), NULL when none; the caller json_decrefs it. */
json_t *kc_estate_site_settings(struct kc_ctl *ctl, const char *site);
/* The longest loan per purpose for a key of site: the site's max_loan
 * where the office set it, else [desk] max_loan_<purpose>. */
void kc_estate_loan_max(struct kc_ctl *ctl, const char *site, int64_t out[KC_PURPOSE_COUNT]);
/* The notices' lead and reminder for a key of site: the site's
 * notice_lead_s / notice_reminder_s where set, else [notice]'s. */
void kc_estate_notice_times(struct kc_ctl *ctl, const char *site, int64_t *lead_ms, int64_t *reminder_ms);

#endif
