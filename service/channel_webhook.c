/* The generic webhook: the notice as JSON, POSTed; any 2xx takes it. */
#include <stdio.h>
#include <stdlib.h>

#include "service/channel.h"

static void webhook_parse(long status, const char *body, struct kc_send_result *r)
{
	(void)body;
	if (status >= 200 && status < 300) {
		r->outcome = KC_SEND_OK;
		r->delivered = true;
		return;
	}
	r->outcome = KC_SEND_RETRY;
	snprintf(r->why, sizeof(r->why), "HTTP %ld", status);
}

static int webhook_send(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	struct kc_http_answer a = { 0 };

	if (!h)
		return -1;
	kc_channel_post(c, m, m->ch->url, h, m->payload, &a, r);
	if (r->outcome == KC_SEND_OK)
		webhook_parse(r->http_status, a.body, r);
	curl_slist_free_all(h);
	free(a.body);
	return 0;
}

const struct kc_channel_type kc_channel_webhook = {
	.name = "webhook",
	.send = webhook_send,
	.parse = webhook_parse,
	.resend_unclear = true,
};
