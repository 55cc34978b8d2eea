/* The key of the ID numbers' and cards' keyed hashes (common/pdata.c)
 * against the database it was made with: its check value is recorded at
 * the first start and compared at every later one. */
#include "controller/hashkey.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"

int kc_hashkey_check(struct kc_store *st, const char *key_file, char *err, size_t errlen)
{
	char want[KC_CARD_HASH_LEN], have[KC_CARD_HASH_LEN] = "";
	sqlite3_stmt *s;
	int rc;

	if (kc_pdata_key_check(want) < 0) {
		snprintf(err, errlen, "%s: no key loaded", key_file);
		return -ENOKEY;
	}
	s = kc_store_q(st, "SELECT check_value FROM hash_key WHERE id = 1", "");
	if (!s) {
		snprintf(err, errlen, "cannot read the key's check value: %s", kc_store_errmsg(st));
		return -EIO;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		kc_strlcpy(have, (const char *)sqlite3_column_text(s, 0), sizeof(have));
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		if (kc_store_x(st, "INSERT INTO hash_key (id, check_value) VALUES (1, ?)", "s", want) < 0) {
			snprintf(err, errlen, "cannot record the key's check value: %s",
				 kc_store_errmsg(st));
			return -EIO;
		}
		return 0;
	}
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "cannot read the key's check value: %s", kc_store_errmsg(st));
		return -EIO;
	}
	if (strcmp(have, want) != 0) {
		snprintf(err, errlen,
			 "%s: this is not the key of this database: no ID number or card would match; "
			 "put back the key file made with the database",
			 key_file);
		return -EKEYREJECTED;
	}
	return 0;
}
