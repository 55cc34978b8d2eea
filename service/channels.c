/* The table of channel types: one sender per type (channel_<type>.c),
 * found by its kind or its name. It sits above the senders, which share
 * the helpers of channel.c below them. */
#include "service/channel.h"

#include <string.h>

extern const struct kc_channel_type kc_channel_webhook, kc_channel_wecom, kc_channel_sms_aliyun,
	kc_channel_sms_tencent, kc_channel_smtp;

static const struct kc_channel_type *const types[KC_CHANNEL_KINDS] = {
	[KC_CHANNEL_WEBHOOK] = &kc_channel_webhook,
	[KC_CHANNEL_WECOM] = &kc_channel_wecom,
	[KC_CHANNEL_SMS_ALIYUN] = &kc_channel_sms_aliyun,
	[KC_CHANNEL_SMS_TENCENT] = &kc_channel_sms_tencent,
	[KC_CHANNEL_SMTP] = &kc_channel_smtp,
};

const struct kc_channel_type *kc_channel_type(enum kc_channel_kind k)
{
	return types[k];
}

int kc_channel_kind_find(const char *name)
{
	for (int k = 0; k < KC_CHANNEL_KINDS; k++)
		if (strcmp(types[k]->name, name) == 0)
			return k;
	return -1;
}
