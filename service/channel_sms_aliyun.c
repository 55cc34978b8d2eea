/* Aliyun SMS (dysmsapi, 2017-05-25): SendSms with a template and its
 * parameters, our id of the message as OutId; QuerySendDetails finds a
 * message by number, day and OutId (or BizId) and tells its receipt.
 * Every request an RPC-style POST with the parameters in the query string,
 * signed with ACS3-HMAC-SHA256 (service/sign.c). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "service/channel.h"
#include "service/sbuf.h"
#include "service/sign.h"

#define ALIYUN_VERSION "2017-05-25"

struct param {
	const char *name, *value;
};

/* POSTs action with params (sorted by name) to the channel's endpoint. */
static void aliyun_call(CURL *c, const struct kc_send_msg *m, const char *action, const struct param *p,
			size_t n, struct kc_http_answer *a, struct kc_send_result *r)
{
	const struct kc_channel_conf *ch = m->ch;
	struct sbuf q = { 0 }, hv = { 0 };
	struct curl_slist *h = NULL;
	unsigned char rnd[16];
	char host[256], date[21], nonce[33], empty[KC_SHA256_HEX], *query = NULL, *auth = NULL, *url = NULL;

	for (size_t i = 0; i < n; i++) {
		char *k, *v;

		if (!p[i].value)
			continue; /* not given */
		k = kc_sign_pct(p[i].name);
		v = kc_sign_pct(p[i].value);
		sbuf_printf(&q, "%s%s=%s", q.len ? "&" : "", k ? k : "", v ? v : "");
		if (!k || !v)
			q.oom = 1;
		free(k);
		if (v)
			sodium_memzero(v, strlen(v));
		free(v);
	}
	query = sbuf_take(&q);
	kc_url_host(ch->url, host, sizeof(host));
	kc_iso_utc(m->now_ms, date);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(nonce, sizeof(nonce), rnd, sizeof(rnd));
	kc_sha256_hex("", 0, empty);
	{
		const struct kc_sign_header sh[] = {
			{ "host", host },
			{ "x-acs-action", action },
			{ "x-acs-content-sha256", empty },
			{ "x-acs-date", date },
			{ "x-acs-signature-nonce", nonce },
			{ "x-acs-version", ALIYUN_VERSION },
		};

		auth = query ? kc_sign_acs3("POST", query, sh, KC_ARRAY_SIZE(sh), empty, ch->key_id, ch->secret)
			     : NULL;
		for (size_t i = 1; auth && i < KC_ARRAY_SIZE(sh); i++) {
			sbuf_printf(&hv, "%s: %s", sh[i].name, sh[i].value);
			h = curl_slist_append(h, hv.p ? hv.p : "");
			free(hv.p);
			hv = (struct sbuf){ 0 };
		}
	}
	sbuf_printf(&hv, "Authorization: %s", auth ? auth : "");
	h = curl_slist_append(h, hv.p ? hv.p : "");
	h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	if (!auth || !h || hv.oom || asprintf(&url, "%s%s%s", ch->url, strchr(ch->url, '?') ? "&" : "?", query) < 0) {
		r->outcome = KC_SEND_RETRY;
		snprintf(r->why, sizeof(r->why), "out of memory");
		url = NULL;
	} else {
		kc_channel_post(c, m, url, h, NULL, a, r);
	}
	if (url)
		sodium_memzero(url, strlen(url));
	if (query)
		sodium_memzero(query, strlen(query));
	free(url);
	free(query);
	free(auth);
	free(hv.p);
	curl_slist_free_all(h);
}

static void aliyun_parse(long status, const char *body, struct kc_send_result *r)
{
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(j, "Code"));
	const char *biz = json_string_value(json_object_get(j, "BizId"));

	if (!code) {
		/* no answer of the gateway's: it may have taken the message */
		r->outcome = status >= 500 ? KC_SEND_UNCLEAR : KC_SEND_REFUSED;
		snprintf(r->why, sizeof(r->why), "HTTP %ld, no answer", status);
	} else if (strcmp(code, "OK") == 0) {
		r->outcome = KC_SEND_OK;
		snprintf(r->answer, sizeof(r->answer), "OK");
		snprintf(r->gateway_id, sizeof(r->gateway_id), "%s", biz ? biz : "");
	} else {
		kc_channel_why(r, code, json_string_value(json_object_get(j, "Message")));
		if (strstr(code, "LIMIT_CONTROL"))
			r->outcome = KC_SEND_LIMIT;
		else if (strncmp(code, "isp.", 4) == 0 || strcmp(code, "ServiceUnavailable") == 0)
			r->outcome = KC_SEND_UNCLEAR;
		else if (strncmp(code, "Throttling", 10) == 0)
			r->outcome = KC_SEND_RETRY; /* the API's rate, before any message */
		else
			r->outcome = KC_SEND_REFUSED;
	}
	json_decref(j);
}

static int aliyun_send(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	json_t *tp = json_object();
	struct kc_http_answer a = { 0 };
	size_t i;
	const json_t *pv;
	char *params;

	json_array_foreach(m->params, i, pv)
		json_object_set(tp, json_string_value(json_array_get(pv, 0)), json_array_get(pv, 1));
	params = json_dumps(tp, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(tp);
	if (!params)
		return -1;
	{
		const struct param p[] = {
			{ "OutId", m->out_id },
			{ "PhoneNumbers", m->phone },
			{ "SignName", m->ch->sign_name },
			{ "TemplateCode", m->template_id },
			{ "TemplateParam", params },
		};

		aliyun_call(c, m, "SendSms", p, KC_ARRAY_SIZE(p), &a, r);
	}
	if (r->outcome == KC_SEND_OK)
		aliyun_parse(r->http_status, a.body, r);
	free(params);
	free(a.body);
	return 0;
}

/* QuerySendDetails: SendStatus 1 waiting for the receipt, 2 failed, 3
 * delivered. */
static int aliyun_query(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	struct kc_http_answer a = { 0 };
	char day[16];
	time_t t = (time_t)(m->sent_ms / 1000 + 8 * 3600LL); /* the gateway's days are Beijing time's */
	struct tm tm;
	json_t *j, *list, *d;
	size_t i;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	{
		const struct param p[] = {
			{ "BizId", m->gateway_id && *m->gateway_id ? m->gateway_id : NULL },
			{ "CurrentPage", "1" },
			{ "PageSize", "50" },
			{ "PhoneNumber", m->phone },
			{ "SendDate", day },
		};

		aliyun_call(c, m, "QuerySendDetails", p, KC_ARRAY_SIZE(p), &a, r);
	}
	if (r->outcome != KC_SEND_OK) {
		free(a.body);
		return 0;
	}
	j = a.body ? json_loads(a.body, 0, NULL) : NULL;
	free(a.body);
	if (!json_is_string(json_object_get(j, "Code")) ||
	    strcmp(json_string_value(json_object_get(j, "Code")), "OK") != 0) {
		r->outcome = KC_SEND_UNCLEAR;
		kc_channel_why(r, json_string_value(json_object_get(j, "Code")),
			       json_string_value(json_object_get(j, "Message")));
		json_decref(j);
		return 0;
	}
	list = json_object_get(json_object_get(j, "SmsSendDetailDTOs"), "SmsSendDetailDTO");
	r->outcome = KC_SEND_NOT_FOUND;
	json_array_foreach(list, i, d) {
		const char *out = json_string_value(json_object_get(d, "OutId"));
		json_int_t st = json_integer_value(json_object_get(d, "SendStatus"));

		if (!out || strcmp(out, m->out_id) != 0)
			continue;
		r->outcome = st == 2 ? KC_SEND_REFUSED : st == 3 ? KC_SEND_OK : KC_SEND_PENDING;
		r->delivered = st == 3;
		kc_channel_why(r, json_string_value(json_object_get(d, "ErrCode")), NULL);
		break;
	}
	json_decref(j);
	return 0;
}

const struct kc_channel_type kc_channel_sms_aliyun = {
	.name = "sms_aliyun",
	.send = aliyun_send,
	.parse = aliyun_parse,
	.query = aliyun_query,
	.needs_template = true,
	.lookup_lists_sent = true,
};
