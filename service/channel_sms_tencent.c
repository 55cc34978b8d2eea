/* Tencent Cloud SMS (2021-01-11): SendSms with a template and its
 * parameters, our id of the message as SessionContext (the gateway hands
 * it back in the receipts); PullSmsSendStatusByPhoneNumber finds the
 * receipt by SessionContext or SerialNo. Every request a JSON POST signed
 * with TC3-HMAC-SHA256 (service/sign.c). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/channel.h"
#include "service/sbuf.h"
#include "service/sign.h"

#define TENCENT_VERSION "2021-01-11"
#define TENCENT_CT "application/json; charset=utf-8"

static void tencent_call(CURL *c, const struct kc_send_msg *m, const char *action, json_t *req,
			 struct kc_http_answer *a, struct kc_send_result *r)
{
	const struct kc_channel_conf *ch = m->ch;
	char host[256], *body = json_dumps(req, JSON_COMPACT), *auth = NULL;
	long long ts = m->now_ms / 1000;
	struct curl_slist *h = NULL;
	struct sbuf hv = { 0 };

	kc_url_host(ch->url, host, sizeof(host));
	{
		const struct kc_sign_header sh[] = {
			{ "content-type", TENCENT_CT },
			{ "host", host },
			{ "x-tc-action", action },
		};

		auth = body ? kc_sign_tc3(body, sh, KC_ARRAY_SIZE(sh), "sms", ts, ch->key_id, ch->secret) : NULL;
	}
	sbuf_printf(&hv, "Authorization: %s\nContent-Type: " TENCENT_CT "\nX-TC-Action: %s\n"
		    "X-TC-Timestamp: %lld\nX-TC-Version: " TENCENT_VERSION "\nX-TC-Region: %s",
		    auth ? auth : "", action, ts, ch->region);
	for (char *line = hv.p, *save = NULL, *l = line ? strtok_r(line, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save))
		h = curl_slist_append(h, l);
	if (!auth || !h || hv.oom) {
		r->outcome = KC_SEND_RETRY;
		snprintf(r->why, sizeof(r->why), "out of memory");
	} else {
		kc_channel_post(c, m, ch->url, h, body, a, r);
	}
	if (body) /* it holds the number */
		sodium_memzero(body, strlen(body));
	free(body);
	free(auth);
	free(hv.p);
	curl_slist_free_all(h);
}

/* The answer's Response.Error, or NULL. */
static const json_t *tencent_error(const json_t *j)
{
	return json_object_get(json_object_get(j, "Response"), "Error");
}

static enum kc_send_outcome tencent_code(const char *code)
{
	if (strncmp(code, "LimitExceeded.", 14) == 0)
		return KC_SEND_LIMIT;
	if (strncmp(code, "InternalError", 13) == 0)
		return KC_SEND_UNCLEAR;
	if (strcmp(code, "RequestLimitExceeded") == 0)
		return KC_SEND_RETRY; /* the API's rate, before any message */
	return KC_SEND_REFUSED;
}

static void tencent_parse(long status, const char *body, struct kc_send_result *r)
{
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	const json_t *e = tencent_error(j);
	const json_t *st = json_array_get(json_object_get(json_object_get(j, "Response"), "SendStatusSet"), 0);
	const char *code = json_string_value(json_object_get(e ? e : st, "Code"));

	if (!code) {
		r->outcome = status >= 500 || status < 200 ? KC_SEND_UNCLEAR : KC_SEND_REFUSED;
		snprintf(r->why, sizeof(r->why), "HTTP %ld, no answer", status);
	} else if (!e && strcmp(code, "Ok") == 0) {
		r->outcome = KC_SEND_OK;
		snprintf(r->answer, sizeof(r->answer), "Ok");
		snprintf(r->gateway_id, sizeof(r->gateway_id), "%s",
			 json_string_value(json_object_get(st, "SerialNo")) ?: "");
	} else {
		r->outcome = tencent_code(code);
		kc_channel_why(r, code, json_string_value(json_object_get(e ? e : st, "Message")));
	}
	json_decref(j);
}

static int tencent_send(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	json_t *vals = json_array(), *req;
	struct kc_http_answer a = { 0 };
	char e164[32];
	const json_t *pv;
	size_t i;

	kc_phone_e164(m->phone, e164, sizeof(e164));
	json_array_foreach(m->params, i, pv)
		json_array_append(vals, json_array_get(pv, 1));
	req = json_pack("{s:o, s:s, s:s, s:s, s:o, s:s}", "PhoneNumberSet", json_pack("[s]", e164),
			"SmsSdkAppId", m->ch->app_id, "SignName", m->ch->sign_name, "TemplateId", m->template_id,
			"TemplateParamSet", vals, "SessionContext", m->out_id);
	sodium_memzero(e164, sizeof(e164));
	if (!req)
		return -1;
	tencent_call(c, m, "SendSms", req, &a, r);
	json_decref(req);
	if (r->outcome == KC_SEND_OK)
		tencent_parse(r->http_status, a.body, r);
	free(a.body);
	return 0;
}

static int tencent_query(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	struct kc_http_answer a = { 0 };
	char e164[32];
	json_t *req, *j;
	const json_t *d, *e;
	size_t i;

	kc_phone_e164(m->phone, e164, sizeof(e164));
	req = json_pack("{s:I, s:i, s:i, s:s, s:s, s:I}", "BeginTime", (json_int_t)(m->sent_ms / 1000 - 60),
			"Offset", 0, "Limit", 100, "PhoneNumber", e164, "SmsSdkAppId", m->ch->app_id, "EndTime",
			(json_int_t)(m->now_ms / 1000));
	sodium_memzero(e164, sizeof(e164));
	if (!req)
		return -1;
	tencent_call(c, m, "PullSmsSendStatusByPhoneNumber", req, &a, r);
	json_decref(req);
	if (r->outcome != KC_SEND_OK) {
		free(a.body);
		return 0;
	}
	j = a.body ? json_loads(a.body, 0, NULL) : NULL;
	free(a.body);
	e = tencent_error(j);
	if (!j || e) {
		r->outcome = KC_SEND_UNCLEAR;
		kc_channel_why(r, json_string_value(json_object_get(e, "Code")) ?: "no answer",
			       json_string_value(json_object_get(e, "Message")));
		json_decref(j);
		return 0;
	}
	r->outcome = KC_SEND_NOT_FOUND;
	json_array_foreach(json_object_get(json_object_get(j, "Response"), "PullSmsSendStatusSet"), i, d) {
		const char *ctx = json_string_value(json_object_get(d, "SessionContext"));
		const char *sn = json_string_value(json_object_get(d, "SerialNo"));
		const char *st = json_string_value(json_object_get(d, "ReportStatus"));

		if (!(ctx && strcmp(ctx, m->out_id) == 0) &&
		    !(sn && m->gateway_id && *m->gateway_id && strcmp(sn, m->gateway_id) == 0))
			continue;
		r->delivered = st && strcmp(st, "SUCCESS") == 0;
		r->outcome = r->delivered ? KC_SEND_OK : KC_SEND_REFUSED;
		snprintf(r->gateway_id, sizeof(r->gateway_id), "%s", sn ? sn : "");
		kc_channel_why(r, st, json_string_value(json_object_get(d, "Description")));
		break;
	}
	json_decref(j);
	return 0;
}

const struct kc_channel_type kc_channel_sms_tencent = {
	.name = "sms_tencent",
	.send = tencent_send,
	.parse = tencent_parse,
	.query = tencent_query,
	.needs_template = true,
};
