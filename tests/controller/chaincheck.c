/* keycab-chaincheck DB: checks keycabd's outbox: the events from the first
 * one still there to the chain state's last_seq, each once, in order, with
 * an unbroken hash chain (kc_event_check), and the chain state pointing at
 * the last one. Exit 0 when all holds, 1 with the first problem named. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/event.h"

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char prev[KC_HASH_HEX] = "", err[256], last_hash[KC_HASH_HEX] = "";
	long long expect = 0, last_seq = -1, n = 0;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: keycab-chaincheck DATABASE\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT last_seq, last_hash FROM chain WHERE id = 1", -1, &s,
			       NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		fprintf(stderr, "%s: no chain state\n", argv[1]);
		return 1;
	}
	last_seq = sqlite3_column_int64(s, 0);
	snprintf(last_hash, sizeof(last_hash), "%s", (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT seq, body FROM outbox ORDER BY seq", -1, &s, NULL) !=
	    SQLITE_OK)
		return 1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(s, 0);
		json_error_t jerr;
		json_t *ev = json_loads((const char *)sqlite3_column_text(s, 1), 0, &jerr);

		if (!ev) {
			fprintf(stderr, "event %lld: not JSON: %s\n", seq, jerr.text);
			goto out;
		}
		if (json_integer_value(json_object_get(ev, "seq")) != seq) {
			fprintf(stderr, "outbox row %lld holds event %lld\n", seq,
				(long long)json_integer_value(json_object_get(ev, "seq")));
			json_decref(ev);
			goto out;
		}
		if (expect == 0)
			expect = seq; /* the forwarder may have taken the first ones */
		if (kc_event_check(ev, prev[0] ? prev : (seq == 1 ? KC_GENESIS_HASH : NULL), expect, err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			json_decref(ev);
			goto out;
		}
		snprintf(prev, sizeof(prev), "%s", json_string_value(json_object_get(ev, "hash")));
		json_decref(ev);
		expect++;
		n++;
	}
	if (n > 0 && (expect - 1 != last_seq || strcmp(prev, last_hash) != 0)) {
		fprintf(stderr, "the chain state (last_seq %lld) does not point at the last event (%lld)\n",
			last_seq, expect - 1);
		goto out;
	}
	printf("outbox: %lld events, seq %lld..%lld, chain unbroken\n", n, expect - n, expect - 1);
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
