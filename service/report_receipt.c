/* The receipt of an entrustment (持钥凭证), from its events: the owner,
 * the unit, the key with the slot and tag it was registered with, the
 * period as it stands, who registered it and when, then each change of
 * its end and each authorisation letter filed for it. Without an
 * entrustment named, the entrustments registered last, to pick one. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* the entrustment's event of a type, its member expr */
#define EV_OF(type, expr)                                                                           \
	"(SELECT " expr " FROM events g INDEXED BY events_type WHERE g.type = '" type "'"            \
	" AND g.cabinet = e.cabinet AND json_extract(g.body, '$.data.entrustment') = e.entrustment" \
	" ORDER BY g.ts_ms LIMIT 1)"
/* the key's registration, its member expr */
#define KEY_REG(expr)                                                                               \
	"(SELECT " expr " FROM events r INDEXED BY events_type WHERE r.type = 'key.registered'"        \
	" AND r.cabinet = e.cabinet AND r.key = e.key ORDER BY r.ts_ms DESC LIMIT 1)"
/* the owner's registration, its member expr */
#define OWNER_REG(expr)                                                                             \
	"(SELECT " expr " FROM events p INDEXED BY events_type WHERE p.type = 'person.registered'"     \
	" AND p.cabinet = e.cabinet AND p.person = e.owner ORDER BY p.ts_ms DESC LIMIT 1)"

static const struct kc_report_col receipt_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "entrustment", KC_N_("Entrustment"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "kind", KC_N_("Kind"), 's' },
	{ "unit", KC_N_("Unit"), 's' },		{ "site_name", KC_N_("Site"), 's' },
	{ "building", KC_N_("Building"), 's' }, { "room", KC_N_("Room"), 's' },
	{ "owner_name", KC_N_("Owner name"), 's' }, { "owner_phone", KC_N_("Phone"), 's' },
	{ "id_type", KC_N_("ID type"), 's' },	{ "id_masked", KC_N_("ID number (masked)"), 's' },
	{ "start", KC_N_("Start"), 't' },	{ "end", KC_N_("End"), 't' },
	{ "closed", KC_N_("Closed"), 't' },	{ "slot", KC_N_("Slot"), 's' },
	{ "tag", KC_N_("Tag"), 's' },		{ "registered", KC_N_("Registered"), 't' },
	{ "clerk", KC_N_("Clerk"), 's' },	{ NULL, NULL, 0 },
};
static const char receipt_sql[] =
	"SELECT e.cabinet, e.entrustment, e.key, k.kind, e.unit,"
	" (SELECT s.name FROM sites s WHERE s.site = e.site), u.building, u.room, e.owner_name, e.owner_phone,"
	" " OWNER_REG("json_extract(p.body, '$.data.id_type')") ", " OWNER_REG("json_extract(p.body, '$.data.id_masked')") ","
	" e.start_ms, e.end_ms, e.closed_ms, " KEY_REG("r.slot") ", " KEY_REG("json_extract(r.body, '$.data.tag')") ","
	" " EV_OF("entrustment.registered", "g.ts_ms") ","
	" " EV_OF("entrustment.registered", "coalesce(" KC_PERSON_NAME_SQL("g.actor") ", g.actor)") ""
	" FROM entrustments e LEFT JOIN keys k ON k.cabinet = e.cabinet AND k.key = e.key"
	" LEFT JOIN units u ON u.site = e.site AND u.unit = e.unit WHERE 1";

static const struct kc_report_col change_cols[] = {
	{ "at", KC_N_("Time"), 't' },		{ "change", KC_N_("Change"), 's' },
	{ "previous_end", KC_N_("Ended"), 's' }, { "end", KC_N_("Ends"), 's' },
	{ "clerk", KC_N_("Clerk"), 's' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col letter_cols[] = {
	{ "at", KC_N_("Time"), 't' },		{ "letter", KC_N_("Letter"), 's' },
	{ "borrower", KC_N_("Borrower"), 's' }, { "id_type", KC_N_("ID type"), 's' },
	{ "id_masked", KC_N_("ID number (masked)"), 's' }, { "valid_from", KC_N_("Valid from"), 's' },
	{ "valid_to", KC_N_("Valid to"), 's' }, { "reference", KC_N_("Reference"), 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col pick_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "entrustment", KC_N_("Entrustment"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "owner_name", KC_N_("Owner name"), 's' }, { "start", KC_N_("Start"), 't' },
	{ "end", KC_N_("End"), 't' },		{ NULL, NULL, 0 },
};

/* A section of the events of type for the entrustment ent of cabinet
 * cab: select's columns, as cols. */
static int events_of(struct kc_report_ctx *c, const char *name, const char *en, const char *select,
		     const char *type, const char *cab, int64_t ent, const struct kc_report_col *cols)
{
	struct kc_query q = { 0 };
	json_t *sec;

	kc_query_add(&q, select);
	kc_query_str(&q, " FROM events g INDEXED BY events_type WHERE g.type = ?", type);
	kc_query_str(&q, " AND g.cabinet = ?", cab);
	kc_query_int(&q, " AND json_extract(g.body, '$.data.entrustment') = ?", ent);
	kc_scope_query(&q, c->p->scope, "g.site", "g.cabinet");
	kc_query_add(&q, " ORDER BY g.ts_ms");
	sec = kc_report_section(c, name, en, cols);
	return kc_report_fill(c, sec, &q, cols) < 0 ? -EIO : 0;
}

int kc_report_receipt(struct kc_report_ctx *c)
{
	struct kc_query q = { 0 };
	const char *site = NULL, *cab = NULL;
	int64_t ent = 0;
	json_t *sec;

	memset(&q, 0, sizeof(q));
	if (kc_report_param_int(c, "entrustment", 1, INT64_MAX / 2, &ent) < 0)
		return -EINVAL;
	if (ent && !kc_report_param(c, "cabinet"))
		return kc_report_bad(c, "parameter \"cabinet\" is needed with \"entrustment\"");
	if (!ent) {
		/* no entrustment named: the ones registered last, to pick from */
		kc_query_add(&q, "SELECT cabinet, entrustment, key, unit, owner_name, start_ms, end_ms FROM entrustments WHERE 1");
		if (kc_report_site_cabinet(c, &q, "site", &site, &cab) < 0)
			return -EINVAL;
		kc_query_add(&q, " ORDER BY start_ms DESC LIMIT 100");
		sec = kc_report_section(c, "entrustments", "Entrustments", pick_cols);
		return kc_report_fill(c, sec, &q, pick_cols) < 0 ? -EIO : 0;
	}
	cab = kc_report_param(c, "cabinet");
	kc_query_add(&q, receipt_sql);
	kc_query_str(&q, " AND e.cabinet = ?", cab);
	kc_query_int(&q, " AND e.entrustment = ?", ent);
	kc_scope_query(&q, c->p->scope, "e.site", "e.cabinet");
	sec = kc_report_section(c, "receipt", "Key custody receipt", receipt_cols);
	if (kc_report_fill(c, sec, &q, receipt_cols) < 0)
		return -EIO;
	if (events_of(c, "changes", "Period changed",
		      "SELECT g.ts_ms, json_extract(g.body, '$.data.change'), json_extract(g.body, '$.data.previous_end'),"
		      " json_extract(g.body, '$.data.end'), coalesce(" KC_PERSON_NAME_SQL("g.actor") ", g.actor)",
		      "entrustment.changed", cab, ent, change_cols) < 0 ||
	    events_of(c, "letters", "Authorisation letters",
		      "SELECT g.ts_ms, json_extract(g.body, '$.data.letter'), json_extract(g.body, '$.data.borrower'),"
		      " json_extract(g.body, '$.data.id_type'), json_extract(g.body, '$.data.id_masked'),"
		      " json_extract(g.body, '$.data.valid_from'), json_extract(g.body, '$.data.valid_to'),"
		      " json_extract(g.body, '$.data.reference')",
		      "letter.filed", cab, ent, letter_cols) < 0)
		return -EIO;
	return 0;
}
