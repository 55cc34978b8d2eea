#include "controller/phones.h"

#include <errno.h>

#include "common/pdata.h"

int kc_phone_facts(const struct kc_ctl_conf *conf, json_t *data, const char *member, const char *phone)
{
	if (member) {
		if (json_object_set_new(data, member, phone ? json_string(phone) : json_null()) < 0)
			return -ENOMEM;
		kc_json_phones_mask(data);
	}
	return kc_json_phone_seal(data, phone, conf->has_notice_pk ? conf->notice_pk : NULL);
}
