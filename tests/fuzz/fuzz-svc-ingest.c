/* keyauditd's ingest (service/ingest.c): a cabinet's batch of events as
 * the HTTP handler hands it over, on a fresh copy of an audit database
 * that knows cabinet "C1", followed by the chain re-check the service
 * runs on demand (kc_chain_verify): what ingest stored must verify.
 *
 * The first byte picks how the rest is used, since a fuzzer cannot forge
 * SHA-256 hashes and the derived tables lie behind the chain check:
 *   0: the rest is the request body, as is;
 *   1: the rest is a JSON array whose objects the harness seals into a
 *      chain first (prev/hash set, as the controller's outbox does);
 *   2: as 1, and each object also gets v = 1, cabinet = "C1", seq = 1, 2...
 * (the byte is taken modulo 3). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/event.h"
#include "common/pdata.h"
#include "service/auth.h"
#include "service/chain.h"
#include "service/config.h"
#include "service/ingest.h"
#include "service/store.h"
#include "tests/fuzz/fuzz.h"

#define CABINET "C1"

static char template_db[256], work_db[256];
static struct kc_audit_config cfg;

static void cfg_free(void)
{
	kc_config_free(&cfg);
}

static void once(void)
{
	char err[512], token[KC_TOKEN_LEN];
	struct kc_db *db;

	fz_quiet();
	if (kc_pdata_init() < 0 || kc_config_defaults(&cfg) < 0)
		abort();
	atexit(cfg_free);
	snprintf(template_db, sizeof(template_db), "%s/audit-template.db", fz_tmpdir());
	snprintf(work_db, sizeof(work_db), "%s/audit.db", fz_tmpdir());
	db = kc_db_open(template_db, 1, err, sizeof(err));
	if (!db || kc_auth_cabinet_add(db, CABINET, token) < 0 || kc_auth_cabinet_add(db, "C2", token) < 0) {
		fprintf(stderr, "kc-fuzz: template audit database: %s\n", db ? "cabinet" : err);
		abort();
	}
	kc_db_free(db); /* the last close checkpoints the WAL into the file */
}

/* Mode 1 and 2: the array with its objects sealed into a chain; NULL when
 * the input is no JSON array. */
static char *sealed_body(const uint8_t *data, size_t size, bool renumber)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH;
	json_t *batch = json_loadb((const char *)data, size, 0, NULL), *ev;
	char *body;
	size_t i;

	if (!json_is_array(batch)) {
		json_decref(batch);
		return NULL;
	}
	json_array_foreach(batch, i, ev) {
		if (!json_is_object(ev))
			continue;
		if (renumber) {
			json_object_set_new(ev, "v", json_integer(KC_EVENT_VERSION));
			json_object_set_new(ev, "cabinet", json_string(CABINET));
			json_object_set_new(ev, "seq", json_integer((json_int_t)i + 1));
		}
		if (kc_event_seal(ev, prev, prev) < 0)
			abort();
	}
	body = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_ingest_result res;
	int64_t checked = 0, bad = 0;
	char err[512], msg[512], *body = NULL;
	struct kc_db *db;
	int mode, r;

	if (!template_db[0])
		once();
	if (size < 1)
		return 0;
	mode = data[0] % 3;
	data++;
	size--;
	if (mode > 0) {
		body = sealed_body(data, size, mode == 2);
		if (!body)
			return 0;
	}
	fz_unlink_db(work_db);
	if (fz_copy_file(template_db, work_db) < 0)
		abort();
	db = kc_db_open(work_db, 1, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "kc-fuzz: %s\n", err);
		abort();
	}
	r = kc_ingest_batch(db, &cfg, CABINET, body ? body : (const char *)data,
			    body ? strlen(body) : size, &res);
	if (r < 0) {
		/* -EIO: a database error, which a fresh tmpfs database never has
		 * (F1 was an event breaking a derived table's constraint) */
		fprintf(stderr, "kc_ingest_batch: %d\n", r);
		abort();
	}
	if (fz_verbose())
		printf("  status %d %s stored %d duplicates %d last_seq %lld: %s\n", res.status,
		       res.error ? res.error : "-", res.stored, res.duplicates, (long long)res.last_seq,
		       res.message);
	if (res.status != 200 && (!res.error || !res.message[0]))
		abort(); /* a refusal says what and why */
	if (res.stored > 0) {
		r = kc_chain_verify(db, CABINET, &checked, &bad, msg, sizeof(msg));
		if (r != 0 || checked != res.last_seq) {
			fprintf(stderr, "stored events fail the chain check (%d, %lld of %lld): %s\n",
				r, (long long)checked, (long long)res.last_seq, msg);
			abort();
		}
	}
	kc_db_free(db);
	free(body);
	return 0;
}
