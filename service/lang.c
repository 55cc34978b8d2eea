/* The language an office account reads the console in (service/lang.h). */
#include "service/lang.h"

#include <errno.h>
#include <string.h>

enum kc_lang kc_lang_user_get(struct kc_db *db, const char *user)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT lang FROM users WHERE name = ?");
	enum kc_lang lang = KC_LANG_ZH;
	const char *v;

	if (!st || !user || !*user)
		return KC_LANG_ZH;
	kc_bind_text(st, 1, user);
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v && strcmp(v, "en") == 0)
			lang = KC_LANG_EN;
	}
	sqlite3_reset(st);
	return lang;
}

int kc_lang_user_set(struct kc_db *db, const char *user, enum kc_lang lang)
{
	sqlite3_stmt *st = kc_db_stmt(db, "UPDATE users SET lang = ? WHERE name = ?");
	int rc, n;

	if (!st)
		return -EIO;
	if (lang == KC_LANG_EN)
		kc_bind_text(st, 1, "en");
	else
		sqlite3_bind_null(st, 1);
	kc_bind_text(st, 2, user);
	kc_db_write_lock();
	rc = sqlite3_step(st);
	n = sqlite3_changes(db->h);
	sqlite3_reset(st);
	kc_db_write_unlock();
	if (rc != SQLITE_DONE)
		return -EIO;
	return n > 0 ? 0 : -ENOENT;
}
