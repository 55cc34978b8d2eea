/* Channels a notice goes out through: a table of channel types (name,
 * send, parse the answer, look up a message sent), one small file each:
 * channel_webhook.c, channel_wecom.c, channel_sms_aliyun.c,
 * channel_sms_tencent.c, channel_smtp.c; what they share in channel.c.
 * The channels themselves are [channel NAME] sections of keyauditd.conf
 * (service/config_channels.c); the notifier (notify.c) sends. */
#ifndef KC_SERVICE_CHANNEL_H
#define KC_SERVICE_CHANNEL_H
#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "service/notice.h"

enum kc_channel_kind {
	KC_CHANNEL_WEBHOOK,
	KC_CHANNEL_WECOM,
	KC_CHANNEL_SMS_ALIYUN,
	KC_CHANNEL_SMS_TENCENT,
	KC_CHANNEL_SMTP,
	KC_CHANNEL_KINDS
};

/* One [channel NAME] section. */
struct kc_channel_conf {
	char *name;
	enum kc_channel_kind kind;
	bool kind_set;
	int line;	/* of its header, for messages */
	char *url;	/* endpoint: the webhook, the robot's send URL, the gateway, smtp(s)://host:port */
	char *key_id;	/* Aliyun AccessKey id, Tencent SecretId, SMTP user name */
	char *secret;	/* from the secrets file: WeCom key, AccessKey secret, SecretKey, SMTP password */
	char *sign_name; /* SMS signature (签名) */
	char *app_id;	/* Tencent SmsSdkAppId */
	char *region;	/* Tencent region (ap-guangzhou) */
	char *from;	/* SMTP sender address */
	char *ca_file;	/* PEM CA bundle for the endpoint's certificate; NULL: the system's */
	char *format;	/* WeCom: markdown (default) or text */
	int per_minute;	/* messages a minute at most (WeCom: 20); 0: no pacing */
	char *tmpl_id[KC_NOTICE_KINDS];	    /* SMS: the gateway's template per notice kind */
	char *tmpl_params[KC_NOTICE_KINDS]; /* SMS: its parameters, notice fields by name, space-separated */
};

/* One target of a [route] rule: a channel and whom on it. */
struct kc_route_target {
	int channel;	 /* index in kc_audit_config.channels; -1: the notice's department's */
	int fallback;	 /* department: the channel when the department has none, -1: nowhere */
	char *recipient; /* "person" (the notice's phone number), an e-mail address, or NULL */
};

/* "NAME = channel" of [departments]: the group a department's notices go
 * to (route target "department"). */
struct kc_department {
	char *name;
	char *channel_name; /* as written, checked once every channel is read */
	int channel;	    /* index in kc_audit_config.channels */
	int line;
};

/* "kind = channel[:recipient], ..." of [route] (every site's notices) or
 * [route SITE] (that site's). kind is a notice kind's name
 * (kc_notice_kind_name); kinds no rule names are not routed. */
struct kc_route {
	char *kind;
	char *site; /* NULL: every site */
	int line;
	char *channel_names; /* as written, checked once every channel is read */
	struct kc_route_target *targets;
	int ntargets;
};

/* What a channel sends: the notice's texts, the recipient, the template. */
struct kc_send_msg {
	const struct kc_channel_conf *ch;
	const char *payload;	 /* webhook: the notice as JSON */
	const char *text_zh, *text_en;
	const char *phone;	 /* the recipient's number in clear, or NULL: wiped after the send */
	const char *email;	 /* SMTP recipient */
	const char *template_id; /* SMS */
	const json_t *params;	 /* SMS: [[name, value], ...] */
	const char *out_id;	 /* this service's id of the message */
	const char *gateway_id;	 /* a look-up: the gateway's id, when one was given */
	int64_t sent_ms;	 /* a look-up: when it was sent */
	int64_t now_ms;
	long timeout_ms;
	const atomic_bool *stop; /* set: the transfer is abandoned */
};

enum kc_send_outcome {
	KC_SEND_OK,	 /* taken; delivered unless the gateway reports delivery later */
	KC_SEND_RETRY,	 /* not taken, nothing sent: try again after the backoff */
	KC_SEND_UNCLEAR, /* perhaps sent: look it up (or wait), never send again blindly */
	KC_SEND_REFUSED, /* refused for good (bad key, template, number) */
	KC_SEND_LIMIT,	 /* refused by a rate or per-number limit: recorded */
	KC_SEND_STOPPED, /* the service is stopping: not an attempt */
	KC_SEND_PENDING, /* a look-up: taken, no receipt yet */
	KC_SEND_NOT_FOUND, /* a look-up: the gateway has no such message */
};

struct kc_send_result {
	enum kc_send_outcome outcome;
	bool delivered;		/* the receiver has it (a receipt, or a webhook's 2xx) */
	long http_status;
	char answer[64];	/* the gateway's code ("OK", "isv.BUSINESS_LIMIT_CONTROL", "45009") */
	char gateway_id[128];	/* BizId, SerialNo */
	char why[256];		/* for the record: never a secret, never a number in clear */
};

struct kc_channel_type {
	const char *name; /* "type = " in [channel NAME] */
	int (*send)(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r);
	/* Reads the gateway's answer to a send into r. */
	void (*parse)(long status, const char *body, struct kc_send_result *r);
	/* Looks up a message sent (or perhaps sent) by its ids; NULL: the
	 * gateway reports nothing, an unclear send is given up as failed. */
	int (*query)(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r);
	bool lookup_lists_sent; /* the look-up lists a message as soon as the gateway took it:
				 * one it does not list was not taken, and is sent again */
	bool resend_unclear; /* an unclear send is sent again (a second copy does little harm) */
	bool needs_template; /* SMS: a template id per routed kind */
	int per_minute;	   /* default pacing */
};

const struct kc_channel_type *kc_channel_type(enum kc_channel_kind k);
/* The kind named name; -1 when none. */
int kc_channel_kind_find(const char *name);

/* What the channels share (channel.c). */
struct kc_http_answer {
	char *body;
	size_t len;
};
/* Sends body (NULL: an empty POST) to url with headers hdrs and reads the
 * answer into a (freed by the caller). Sets r->outcome to KC_SEND_RETRY
 * when nothing reached the server (connection refused, DNS), to
 * KC_SEND_UNCLEAR when the request may have reached it (a time-out, a
 * broken connection), to KC_SEND_STOPPED when m->stop was set; leaves it
 * KC_SEND_OK with r->http_status otherwise. */
void kc_channel_post(CURL *c, const struct kc_send_msg *m, const char *url, struct curl_slist *hdrs,
		     const char *body, struct kc_http_answer *a, struct kc_send_result *r);
/* The first len bytes of s or less, cut at a UTF-8 character boundary;
 * returns the length kept. */
size_t kc_utf8_cut(const char *s, size_t len);
/* The host of url as a Host header names it (host or host:port). */
void kc_url_host(const char *url, char *out, size_t len);
/* A phone number as E.164 (+8613812345678): one without a '+' is a
 * Chinese mainland number. */
void kc_phone_e164(const char *phone, char *out, size_t len);
/* ISO UTC "2026-12-07T08:30:00Z" of ms into out[21]. */
void kc_iso_utc(int64_t ms, char *out);
/* r->why from a gateway's code and message, digit runs masked. */
void kc_channel_why(struct kc_send_result *r, const char *code, const char *msg);

#endif
