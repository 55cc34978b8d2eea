/* A WeCom (企业微信) group robot: POST <url>?key=KEY with a markdown or
 * text message, UTF-8, cut at a character boundary to the robot's limit
 * (markdown 4096 bytes, text 2048); the person concerned in
 * mentioned_mobile_list (a text message: markdown mentions no number).
 * The reply's errcode decides: 0 taken, 45009 the robot's 20 a minute
 * (paced and sent again, never dropped). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/channel.h"

#define WECOM_MARKDOWN_MAX 4096
#define WECOM_TEXT_MAX 2048
#define WECOM_RATE_LIMIT 45009

static void wecom_parse(long status, const char *body, struct kc_send_result *r)
{
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	json_t *code = json_object_get(j, "errcode");
	char num[24];

	if (status < 200 || status >= 300 || !json_is_integer(code)) {
		r->outcome = KC_SEND_RETRY;
		snprintf(r->why, sizeof(r->why), "HTTP %ld%s", status, json_is_integer(code) ? "" : ", no errcode");
		json_decref(j);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(code));
	if (json_integer_value(code) == 0) {
		r->outcome = KC_SEND_OK;
		r->delivered = true;
		snprintf(r->answer, sizeof(r->answer), "0");
	} else {
		json_int_t e = json_integer_value(code);

		r->outcome = e == WECOM_RATE_LIMIT ? KC_SEND_LIMIT : e == -1 ? KC_SEND_RETRY : KC_SEND_REFUSED;
		kc_channel_why(r, num, json_string_value(json_object_get(j, "errmsg")));
	}
	json_decref(j);
}

static int wecom_send(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	const struct kc_channel_conf *ch = m->ch;
	bool text = m->phone || (ch->format && strcmp(ch->format, "text") == 0);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	struct kc_http_answer a = { 0 };
	char *content = NULL, *url = NULL, *body = NULL;
	json_t *msg = NULL;
	int ret = -1;

	if (!h || asprintf(&content, "%s\n%s", m->text_zh, m->text_en) < 0) {
		content = NULL;
		goto out;
	}
	content[kc_utf8_cut(content, text ? WECOM_TEXT_MAX : WECOM_MARKDOWN_MAX)] = '\0';
	if (text)
		msg = json_pack("{s:s, s:{s:s, s:[s*]}}", "msgtype", "text", "text", "content", content,
				"mentioned_mobile_list", m->phone);
	else
		msg = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", content);
	body = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	if (!body || asprintf(&url, "%s%skey=%s", ch->url, strchr(ch->url, '?') ? "&" : "?", ch->secret) < 0) {
		url = NULL;
		goto out;
	}
	kc_channel_post(c, m, url, h, body, &a, r);
	if (r->outcome == KC_SEND_OK)
		wecom_parse(r->http_status, a.body, r);
	ret = 0;
out:
	json_decref(msg);
	if (body) /* it holds the number mentioned */
		memset(body, 0, strlen(body));
	free(body);
	free(url);
	free(content);
	free(a.body);
	curl_slist_free_all(h);
	return ret;
}

const struct kc_channel_type kc_channel_wecom = {
	.name = "wecom",
	.send = wecom_send,
	.parse = wecom_parse,
	.resend_unclear = true,
	.per_minute = 20,
};
