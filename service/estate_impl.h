/* Inside the estate (service/estate.h): what its files share. */
#ifndef KC_SERVICE_ESTATE_IMPL_H
#define KC_SERVICE_ESTATE_IMPL_H
#include <jansson.h>
#include <stdbool.h>

#include "common/msg.h"
#include "service/estate.h"

/* The lengths of a code (site, unit, key, person, slot) and a text. */
#define EST_CODE_MAX 32
#define EST_NAME_MAX 64
#define EST_PLACE_MAX 32

/* ---- estate_check.c ---- */

/* The row as it stands once applied: the stored row of what (none for a
 * new one) with row's members over it. NULL when out of memory or on a
 * database error (*r says which). Rows without a stored form (enrol,
 * unlock, key_remove) are copied. */
json_t *est_merged(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, int *r);
/* The check of a merged row. */
int est_check_merged(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, json_t **msg);
/* The site of unit in the master rows, into out (EST_CODE_MAX+1): 0, -ENOENT, -EIO. */
int est_unit_site(struct kc_db *db, const char *unit, char *out);
/* The member name of row as a string, NULL when it is none. */
const char *est_str(const json_t *row, const char *name);

/* ---- estate_fanout.c: the changes to the cabinets' feeds ---- */

/* The changes of one row: how many, and to which cabinets. */
struct est_sent {
	int changes;
	json_t *cabinets; /* [cabinet, ...], each once */
};
/* Whether cabinet is managed (takes changes from the feed): 1, 0, -EIO. */
int est_cabinet_managed(struct kc_db *db, const char *cabinet);
/* Appends a change to cabinet's feed (inside the transaction) and counts it. */
int est_send(const struct kc_estate_ctx *x, struct est_sent *s, const char *cabinet, const char *type, json_t *data);
/* The managed cabinets serving site, or any site of sites (an array):
 * a JSON array of cabinet ids, NULL on a database error. */
json_t *est_site_cabinets(struct kc_db *db, const char *site, const json_t *sites);
/* The change data of a stored person (person.set), a site, a unit, a key,
 * the settings of a site; NULL on a database error or none. */
json_t *est_person_data(const struct kc_estate_ctx *x, const char *person);
json_t *est_site_data(const struct kc_estate_ctx *x, const char *site);
json_t *est_unit_data(struct kc_db *db, const char *unit);
json_t *est_key_data(struct kc_db *db, const char *key);
json_t *est_settings_data(struct kc_db *db, const char *site);
/* person.enrol's data while the person's code is valid; NULL otherwise. */
json_t *est_enrol_data(const struct kc_estate_ctx *x, const char *person);
/* Everything a cabinet newly given site needs, in order: the site, its
 * units, its keys in that cabinet, its active people (and their valid
 * enrolment codes), its settings. */
int est_snapshot(const struct kc_estate_ctx *x, struct est_sent *s, const char *cabinet, const char *site);

/* ---- estate_phone.c: a phone as the office keeps it ---- */

/* phone_masked and, with the office's notice key, phone_sealed of phone
 * into row (as a cabinet sends them): 0, -ENOMEM. */
int est_phone_keep(const struct kc_estate_ctx *x, const char *phone, json_t *row);
/* The clear number of a sealed one, when the office's notice key opens
 * it: 0 with out (the caller wipes it), else -ENOKEY. */
int est_phone_open(const struct kc_estate_ctx *x, const char *sealed, char *out, size_t len);

#endif
