/* The language an office account reads the console in (users.lang):
 * Chinese unless the account chose English. */
#ifndef KC_SERVICE_LANG_H
#define KC_SERVICE_LANG_H
#include "common/msg.h"
#include "service/store.h"

/* The account's language: KC_LANG_ZH for no such account or an error. */
enum kc_lang kc_lang_user_get(struct kc_db *db, const char *user);
/* 0, -ENOENT (no such account), -EIO. */
int kc_lang_user_set(struct kc_db *db, const char *user, enum kc_lang lang);

#endif
