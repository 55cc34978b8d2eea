/* The office chain: the office's own acts sealed and stored as events,
 * with their derived rows, like a cabinet's (service/office.h). */
#include "service/office.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/util.h"
#include "service/chain.h"
#include "service/derive.h"
#include "service/ingest.h"

bool kc_office_is(const char *chain)
{
	return chain && kc_chain_key_of(chain, KC_OFFICE_CHAIN);
}

/* The next event of the chain ch, sealed after its head; NULL when out of
 * memory or the type has no name. */
static json_t *office_event(const struct kc_chain *ch, enum kc_event_type type, const char *actor,
			    const struct kc_office_about *about, const json_t *data, int64_t now_ms)
{
	const char *name = kc_event_type_name(type);
	const struct {
		const char *member, *value;
	} members[] = { { "actor", actor },
			{ "site", about ? about->site : NULL },
			{ "unit", about ? about->unit : NULL },
			{ "key", about ? about->key : NULL },
			{ "person", about ? about->person : NULL } };
	json_t *ev;

	if (!name)
		return NULL;
	ev = kc_event_new(KC_OFFICE_CHAIN, ch->seq + 1, now_ms, name);
	if (!ev)
		return NULL;
	for (size_t i = 0; i < KC_ARRAY_SIZE(members); i++)
		if (members[i].value && json_object_set_new(ev, members[i].member, json_string(members[i].value)) < 0)
			goto fail;
	if (data && json_object_set_new(ev, "data", json_deep_copy(data)) < 0)
		goto fail;
	if (!json_is_object(json_object_get(ev, "data")) || kc_event_seal(ev, ch->hash, NULL) < 0)
		goto fail;
	return ev;
fail:
	json_decref(ev);
	return NULL;
}

int kc_office_append(struct kc_db *db, enum kc_event_type type, const char *actor,
		     const struct kc_office_about *about, const json_t *data, int64_t *seq)
{
	int64_t now_ms = kc_wall_ms();
	struct kc_chain ch;
	char *canon = NULL;
	json_t *ev;
	int r;

	r = kc_chain_load(db, KC_OFFICE_CHAIN, &ch);
	if (r < 0)
		return -EIO; /* -ENOENT too: the schema's own row is missing */
	ev = office_event(&ch, type, actor, about, data, now_ms);
	canon = ev ? kc_event_canonical(ev) : NULL;
	if (!canon) {
		r = -ENOMEM;
		goto out;
	}
	r = kc_ingest_insert(db, ch.key, ev, canon, now_ms, now_ms);
	if (r < 0)
		goto out;
	/* no notices come of the office's acts: no configuration needed */
	r = kc_derive_stored(db, NULL, ch.key, ev, now_ms, now_ms);
	if (r < 0)
		goto out;
	ch.seq++;
	kc_strlcpy(ch.hash, json_string_value(json_object_get(ev, "hash")), KC_HASH_HEX);
	if (ch.anchor_seq == 0)
		ch.anchor_seq = ch.seq;
	r = kc_chain_store_head(db, &ch, now_ms);
	if (r == 0 && seq)
		*seq = ch.seq;
out:
	free(canon);
	json_decref(ev);
	return r;
}

int kc_office_record_about(struct kc_db *db, enum kc_event_type type, const char *actor,
			   const struct kc_office_about *about, const json_t *data, int64_t *seq)
{
	int r;

	kc_db_write_lock();
	r = kc_db_begin(db);
	if (r < 0)
		goto unlock;
	r = kc_office_append(db, type, actor, about, data, seq);
	if (r == 0)
		r = kc_db_commit(db);
	if (r < 0)
		kc_db_rollback(db);
unlock:
	kc_db_write_unlock();
	return r;
}

int kc_office_record(struct kc_db *db, enum kc_event_type type, const char *actor, const json_t *data)
{
	return kc_office_record_about(db, type, actor, NULL, data, NULL);
}
