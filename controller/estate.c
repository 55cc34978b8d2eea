/* The estate from the office: the ops of keycab-forward (estate.position,
 * estate.apply), the table of change types, the position that makes each
 * change apply once, the registry ops a managed cabinet refuses, and a
 * site's settings as keycabd uses them (controller/estate.h). */
#include "controller/estate.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "controller/phones.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/row.h"

static const struct kc_estate_type estate_types[] = {
#define KC_ESTATE_TYPE(name, fn) { name, fn },
#include "controller/estate_types.def"
#include "controller/estate_approval.def"
#undef KC_ESTATE_TYPE
};

const struct kc_estate_type *kc_estate_type_find(const char *type)
{
	for (size_t i = 0; type && i < KC_ARRAY_SIZE(estate_types); i++)
		if (strcmp(estate_types[i].type, type) == 0)
			return &estate_types[i];
	return NULL;
}

const char *kc_estate_str(const struct kc_estate_change *c, const char *name)
{
	return json_string_value(json_object_get(c->data, name));
}

/* The registry ops the office takes over on a managed cabinet. */
static const char *const office_ops[] = { "person.add", "import", "unit.vacancy" };

json_t *kc_estate_op_refused(const struct kc_ctl *ctl, const char *op)
{
	if (!ctl->conf->estate_managed)
		return NULL;
	for (size_t i = 0; i < KC_ARRAY_SIZE(office_ops); i++)
		if (strcmp(office_ops[i], op) == 0)
			return kc_reply_refuse(0, NULL, KCM_registry_managed_by_office, "{s:s}", "op", op);
	return NULL;
}

static int position_get(struct kc_ctl *ctl, int64_t *pos)
{
	return kc_store_int(ctl->st, pos, "SELECT position FROM estate_position WHERE id = 1", "");
}

json_t *kc_estate_position(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *rep;
	int64_t pos;

	(void)peer;
	(void)req;
	if (!ctl->conf->estate_managed)
		return kc_reply_fail(KCM_estate_standalone, NULL);
	if (position_get(ctl, &pos) < 0)
		return kc_reply_read_failed(ctl->st);
	rep = kc_reply_ok();
	json_object_set_new(rep, "position", json_integer(pos));
	json_object_set_new(rep, "mode", json_string("managed"));
	return rep;
}

/* The change's data as its event keeps it: no secret (card_hash,
 * code_hash), a phone number only masked and sealed (phone_masked,
 * phone_sealed) as every phone leaves the cabinet (phones.c). NULL when out of memory. */
static json_t *public_data(struct kc_ctl *ctl, json_t *data)
{
	json_t *d = json_deep_copy(data);
	const char *phone;

	if (!d)
		return NULL;
	json_object_del(d, "card_hash");
	json_object_del(d, "code_hash");
	json_object_del(d, "phone");
	phone = json_string_value(json_object_get(data, "phone"));
	if (phone && *phone && kc_phone_facts(ctl->conf, d, NULL, phone) < 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* The change's event: estate.applied with its data (and extra), or
 * estate.refused with the refusal's code and params; its members as the
 * apply function named them. NULL when out of memory. */
static json_t *change_event(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			    const struct kc_decision *d)
{
	json_t *ev = kc_store_event(ctl->st, d ? KC_EVT_ESTATE_REFUSED : KC_EVT_ESTATE_APPLIED), *data, *m;

	if (!ev)
		return NULL;
	json_object_update(ev, members);
	data = json_object_get(ev, "data");
	if (d) {
		m = json_array_get(d->msgs, 0);
		json_object_set(data, "code", json_object_get(m, "code"));
		json_object_set(data, "params", json_object_get(m, "params") ? json_object_get(m, "params")
									 : json_object());
	} else {
		json_t *pd = public_data(ctl, c->data);

		if (!pd) {
			json_decref(ev);
			return NULL;
		}
		json_object_update(data, pd);
		json_object_update(data, extra);
		json_decref(pd);
	}
	json_object_set_new(data, "change", json_integer(c->change));
	json_object_set_new(data, "change_type", json_string(c->type));
	json_object_set_new(data, "by", c->by ? json_string(c->by) : json_null());
	if (c->made)
		json_object_set_new(data, "made", json_string(c->made));
	return ev;
}

/* Inside the transaction: the change applied or refused (d), its event
 * and the position. 0 or -EIO. */
static int record(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
		  const struct kc_decision *d)
{
	json_t *ev = change_event(ctl, c, members, extra, d);

	if (!ev)
		return -EIO;
	if (kc_store_x(ctl->st, "UPDATE estate_position SET position = ?, at_ms = ? WHERE id = 1", "II", c->change,
		       kc_now_ms()) < 0) {
		json_decref(ev);
		return -EIO;
	}
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

/* Whether v holds a real number anywhere: events hold integers only
 * (schema/events.md), so such a change could never be recorded. */
static bool has_real(json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_real(v))
		return true;
	json_object_foreach(v, k, m)
		if (has_real(m))
			return true;
	json_array_foreach(v, i, m)
		if (has_real(m))
			return true;
	return false;
}

/* Applies c in one transaction: 0 applied, 1 refused (d), -EIO. */
static int apply(struct kc_ctl *ctl, const struct kc_estate_change *c, struct kc_decision *d)
{
	const struct kc_estate_type *t = kc_estate_type_find(c->type);
	json_t *members = json_object(), *extra = json_object();
	int r;

	if (kc_store_begin(ctl->st) < 0) {
		r = -EIO;
		goto out;
	}
	if (!t) {
		kc_decision_refuse(d, 0, KCM_estate_type_unknown, "{s:s}", "type", c->type);
		r = 1;
	} else if (!json_is_object(c->data) || has_real(c->data)) {
		kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "data");
		r = 1;
	} else {
		r = t->apply(ctl, c, members, extra, d);
	}
	if (r > 0) { /* a refusal writes nothing of the change: only its event */
		json_object_clear(extra);
	}
	if (r >= 0 && record(ctl, c, members, extra, r ? d : NULL) < 0)
		r = -EIO;
	if (r >= 0 && kc_store_commit(ctl->st) < 0)
		r = -EIO;
out:
	json_decref(members);
	json_decref(extra);
	return r;
}

json_t *kc_estate_apply(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_estate_change c = {
		.change = kc_req_int(req, "change"),
		.type = kc_req_str(req, "type"),
		.made = kc_req_str(req, "made"),
		.by = kc_req_str(req, "by"),
		.data = json_object_get(req, "data"),
	};
	struct kc_decision d;
	json_t *rep;
	int64_t pos;
	int r;

	(void)peer;
	if (!ctl->conf->estate_managed)
		return kc_reply_fail(KCM_estate_standalone, NULL);
	if (c.change < 1)
		return kc_reply_fail(KCM_estate_bad_value, "{s:s}", "field", "change");
	if (position_get(ctl, &pos) < 0)
		return kc_reply_read_failed(ctl->st);
	if (c.change <= pos) {
		rep = kc_reply_ok();
		json_object_set_new(rep, "position", json_integer(pos));
		json_object_set_new(rep, "duplicate", json_true());
		return rep;
	}
	if (c.change > pos + 1) {
		json_int_t expected = pos;

		return kc_reply_fail(KCM_estate_gap, "{s:I, s:I}", "change", (json_int_t)c.change, "expected",
				     expected + 1);
	}
	kc_decision_init(&d);
	r = apply(ctl, &c, &d);
	if (r < 0) {
		kc_decision_clear(&d);
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	}
	rep = r ? kc_reply_take(&d) : kc_reply_ok();
	if (!r)
		kc_decision_clear(&d);
	json_object_set_new(rep, "position", json_integer(c.change));
	return rep;
}

json_t *kc_estate_site_settings(struct kc_ctl *ctl, const char *site)
{
	sqlite3_stmt *s = kc_store_q(ctl->st, "SELECT body FROM site_settings WHERE site = ?", "s", site ? site : "");
	json_t *body = NULL;

	if (kc_row_step(s) == 0)
		body = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
	kc_row_done(s);
	return body;
}

/* A member of the site's settings in ms, or dflt where it is not set. */
static int64_t setting_ms(json_t *o, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? json_integer_value(v) * 1000 : dflt;
}

void kc_estate_loan_max(struct kc_ctl *ctl, const char *site, int64_t out[KC_PURPOSE_COUNT])
{
	json_t *set = kc_estate_site_settings(ctl, site), *max = json_object_get(set, "max_loan");

	for (int p = 0; p < KC_PURPOSE_COUNT; p++)
		out[p] = setting_ms(max, kc_purpose_to_string(p), ctl->conf->desk_loan_max_ms[p]);
	json_decref(set);
}

void kc_estate_notice_times(struct kc_ctl *ctl, const char *site, int64_t *lead_ms, int64_t *reminder_ms)
{
	json_t *set = kc_estate_site_settings(ctl, site);

	*lead_ms = setting_ms(set, "notice_lead_s", ctl->conf->notice_lead_ms);
	*reminder_ms = setting_ms(set, "notice_reminder_s", ctl->conf->notice_reminder_ms);
	json_decref(set);
}

/* The settings read: each site's settings (the office's where set, the
 * cabinet's own otherwise), for the terminal's presets and phrases. */
json_t *kc_estate_settings(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *only = kc_req_str(req, "site");
	sqlite3_stmt *s = kc_store_q(ctl->st, "SELECT code, name, time_zone FROM sites ORDER BY code", "");
	json_t *sites = json_array(), *rep;
	char code[64], name[128], zone[64];

	(void)peer;
	while (kc_row_step(s) == 0) {
		int64_t max[KC_PURPOSE_COUNT], lead, reminder;
		json_t *set, *site, *ml = json_object();

		kc_row_text(s, 0, code, sizeof(code));
		kc_row_text(s, 1, name, sizeof(name));
		kc_row_text(s, 2, zone, sizeof(zone));
		if (only && strcmp(only, code) != 0)
			continue;
		set = kc_estate_site_settings(ctl, code);
		kc_estate_loan_max(ctl, code, max);
		kc_estate_notice_times(ctl, code, &lead, &reminder);
		for (int p = 0; p < KC_PURPOSE_COUNT; p++)
			json_object_set_new(ml, kc_purpose_to_string(p), json_integer(max[p] / 1000));
		site = json_pack("{s:s, s:s, s:s?, s:b, s:o, s:o, s:I, s:I, s:o}", "site", code, "name", name,
				 "time_zone", zone[0] ? zone : NULL, "office", set != NULL, "max_loan", ml,
				 "due_presets",
				 json_object_get(set, "due_presets") ? json_incref(json_object_get(set, "due_presets"))
								     : json_array(),
				 "notice_lead_s", (json_int_t)(lead / 1000), "notice_reminder_s",
				 (json_int_t)(reminder / 1000), "phrases",
				 json_object_get(set, "phrases") ? json_incref(json_object_get(set, "phrases"))
								 : json_object());
		json_decref(set);
		json_array_append_new(sites, site);
	}
	kc_row_done(s);
	rep = kc_reply_ok();
	json_object_set_new(rep, "mode", json_string(ctl->conf->estate_managed ? "managed" : "standalone"));
	json_object_set_new(rep, "sites", sites);
	return rep;
}
