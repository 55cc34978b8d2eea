/* Phone numbers as they leave the cabinet: masked, and sealed to the
 * office's notice key when keycabd.conf names one ([notify]
 * notice_public_key), so that only the office's notifier reads them. */
#ifndef KC_CONTROLLER_PHONES_H
#define KC_CONTROLLER_PHONES_H
#include <jansson.h>

#include "controller/conf.h"

/* Sets member of data (owner_phone) to phone masked (null when empty),
 * and phone_masked and phone_sealed (common/pdata.h kc_json_phone_seal).
 * member NULL: only the last two. 0 or -ENOMEM. */
int kc_phone_facts(const struct kc_ctl_conf *conf, json_t *data, const char *member, const char *phone);

#endif
