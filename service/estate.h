/* The estate as the office manages it (kc_estate_*): people, sites,
 * units, keys, each site's custody settings and the sites each cabinet
 * serves, kept in the master tables of schema/audit-013.sql. A change is
 * a row (a JSON object named as the change's data in the feed, see
 * service/README.md, The estate): checked first (kc_estate_check: a
 * message code and its parameters for each error, nothing written), then
 * applied, many rows in ONE write transaction: the master rows, an
 * office-chain event per row (office.estate_*), and one change per
 * managed cabinet the row concerns on that cabinet's feed (feed.h). A
 * row that fails leaves nothing of any row.
 *
 * Who may: an admin anything; a supervisor units, keys and settings of
 * the sites of their scope, nothing else (-EACCES). Each call returns 0
 * or a negative errno and logs nothing. */
#ifndef KC_SERVICE_ESTATE_H
#define KC_SERVICE_ESTATE_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "service/auth.h"
#include "service/config.h"
#include "service/store.h"

struct kc_scope;

/* What a row is. */
enum kc_estate_what {
	KC_ESTATE_SITE,		 /* {site, name, age, time_zone} */
	KC_ESTATE_UNIT,		 /* {unit, site, building, room, vacant} */
	KC_ESTATE_KEY,		 /* {key, unit, kind, cabinet, slot, tag} */
	KC_ESTATE_KEY_REMOVE,	 /* {key} */
	KC_ESTATE_PERSON,	 /* {person, name, role, phone, department, active, card, sites, enrolled_by} */
	KC_ESTATE_PERSON_ENROL,	 /* {person}: a new one-time enrolment code */
	KC_ESTATE_PERSON_UNLOCK, /* {person} */
	KC_ESTATE_SETTINGS,	 /* {site, max_loan, due_presets, notice_lead_s, notice_reminder_s, phrases} */
	KC_ESTATE_CABINET,	 /* {cabinet, sites} */
	KC_ESTATE_WHATS
};

/* The name of what ("site", "unit", "key", "key_remove", "person",
 * "person_enrol", "person_unlock", "settings", "cabinet"), and back: 0,
 * -ENOENT. */
const char *kc_estate_what_name(enum kc_estate_what what);
int kc_estate_what_find(const char *name, enum kc_estate_what *out);

/* Who changes the estate, and with what. */
struct kc_estate_ctx {
	struct kc_db *db;
	const struct kc_audit_config *cfg; /* [estate] enrol_code_valid, [notify] notice_key_file */
	const char *user;		   /* the office account */
	enum kc_role role;
	const struct kc_scope *scope;	   /* the account's sites (NULL: every site) */
	int64_t now_ms;
};

/* One row checked as it would be applied now, writing nothing: 0, or
 * with *msg ({"code", "params"}, common/msgs/estate-office.def; the
 * caller frees it) -EINVAL (bad or missing value, unknown site, unit,
 * person or cabinet), -EACCES (not the caller's to change), -EBUSY (a
 * standalone cabinet, a slot or card taken: a conflict), -ENOMEM, -EIO.
 * A row a person or unit names in the same batch before it is seen by
 * kc_estate_apply, not here. */
int kc_estate_check(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, json_t **msg);

/* Applies rows (a JSON array of objects of what) in one write
 * transaction, each checked again inside it: 0 with *out (the caller
 * frees it) an array of one object per row: {"changes": N (the feed
 * changes made), "cabinets": [the cabinets they go to]}, and for a new
 * person or an enrolment {"enrol_code": "12345678", "until": ISO} (shown
 * once, never stored but as its SHA-256). Else what kc_estate_check
 * returns, for the row *bad (its index), with *msg; nothing is written. */
int kc_estate_apply(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *rows, json_t **out,
		    json_t **msg, size_t *bad);

/* The status an HTTP answer gives a return of kc_estate_check/apply. */
unsigned kc_estate_status(int r);

/* ---- reads (estate_read.c), each within x's scope; NULL on a database error ---- */

/* [{site, name, age, time_zone, cabinets: [..]}] by site */
json_t *kc_estate_sites(const struct kc_estate_ctx *x);
/* [{unit, site, building, room, vacant, keys, history: [{at, by, vacant}]}] by site, building, room */
json_t *kc_estate_units(const struct kc_estate_ctx *x, const char *site);
/* [{key, unit, site, building, room, kind, cabinet, slot, tag}] by unit */
json_t *kc_estate_keys(const struct kc_estate_ctx *x, const char *site);
/* [{person, name, role, phone_masked, department, active, card_masked,
 * enrolled_by, enrol_until, sites}] by name (admins see every person; a
 * supervisor those of their sites) */
json_t *kc_estate_people(const struct kc_estate_ctx *x);
/* [{site, name, settings (null: the cabinets' own)}] */
json_t *kc_estate_settings(const struct kc_estate_ctx *x);
/* [{cabinet, mode ("managed"/"standalone"), sites}] (the office chain
 * left out) */
json_t *kc_estate_cabinets(const struct kc_estate_ctx *x);

#endif
