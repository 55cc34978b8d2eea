/* The event checker (common/event.c) as keyauditd runs it on each event
 * of a batch: json_loadb, kc_event_check, the canonical form. Besides
 * "no crash", two properties the chain depends on:
 *  - an event that passes the check still passes after it is sealed
 *    again (seal and check agree on the hash);
 *  - the canonical form is a fixed point: parsing it and taking the
 *    canonical form again gives the same bytes. The service stores the
 *    canonical form and re-verifies the chain from it (kc_chain_verify),
 *    so an event whose canonical form does not survive a round trip would
 *    be accepted on ingest and reported as a chain break later. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/event.h"
#include "tests/fuzz/fuzz.h"

static void check_roundtrip(const json_t *ev)
{
	char *canon = kc_event_canonical(ev), *again;
	json_t *back;

	if (!canon)
		abort(); /* an object always has a canonical form */
	back = json_loads(canon, 0, NULL); /* as kc_chain_verify reads it */
	if (!back) {
		fprintf(stderr, "the canonical form does not parse: %s\n", canon);
		abort();
	}
	again = kc_event_canonical(back);
	if (!again || strcmp(canon, again) != 0) {
		fprintf(stderr, "the canonical form is no fixed point:\n  %s\n  %s\n", canon,
			again ? again : "(null)");
		abort();
	}
	free(again);
	json_decref(back);
	free(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], hash[KC_HASH_HEX];
	json_error_t jerr;
	json_t *ev, *copy;
	int r;

	ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!ev)
		return 0;
	err[0] = '\0';
	/* without expectations: malformed (-EINVAL) or a wrong hash (-EBADMSG) */
	r = kc_event_check(ev, NULL, 0, err, sizeof(err));
	if (r != 0 && ((r != -EINVAL && r != -EBADMSG) || !err[0]))
		abort(); /* a refusal always says why */
	/* with the chain's expectations (the first event): a gap is -ERANGE */
	err[0] = '\0';
	r = kc_event_check(ev, KC_GENESIS_HASH, 1, err, sizeof(err));
	if (r != 0 && ((r != -EINVAL && r != -ERANGE && r != -EBADMSG) || !err[0]))
		abort();
	if (json_is_object(ev)) {
		check_roundtrip(ev);
		if (kc_event_check(ev, NULL, 0, err, sizeof(err)) == 0) {
			copy = json_deep_copy(ev);
			if (!copy || kc_event_seal(copy, KC_GENESIS_HASH, hash) != 0)
				abort();
			if (kc_event_check(copy, KC_GENESIS_HASH, 0, err, sizeof(err)) != 0) {
				fprintf(stderr, "a sealed event fails its check: %s\n", err);
				abort();
			}
			json_decref(copy);
		}
	} else if (kc_event_canonical(ev) != NULL) {
		abort(); /* only objects have a canonical form */
	}
	json_decref(ev);
	return 0;
}
