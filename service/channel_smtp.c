/* E-mail through an SMTP server with libcurl: STARTTLS required on an
 * smtp:// URL (smtps:// is TLS from the start), the server's certificate
 * checked (ca_file, or the system's), a login when key_id names one. The
 * subject is UTF-8 in RFC 2047 encoded words, the body UTF-8 text in
 * base64: the notice in Chinese, then in English. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/channel.h"
#include "service/sbuf.h"

#define SUBJECT_MAX 90	/* bytes of the text in the subject */
#define WORD_RAW 45	/* bytes per encoded word: 60 of base64, within RFC 2047's 75 */

static void b64(struct sbuf *b, const char *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *o = malloc(cap);

	if (!o) {
		b->oom = 1;
		return;
	}
	sodium_bin2base64(o, cap, (const unsigned char *)p, n, sodium_base64_VARIANT_ORIGINAL);
	sbuf_add(b, o);
	free(o);
}

/* "Subject: =?UTF-8?B?...?=\r\n =?UTF-8?B?...?=", each word whole characters. */
static void subject(struct sbuf *b, const char *text)
{
	size_t n = kc_utf8_cut(text, SUBJECT_MAX), at = 0;
	const char *nl = strchr(text, '\n');

	if (nl && (size_t)(nl - text) < n)
		n = (size_t)(nl - text);
	sbuf_add(b, "Subject:");
	while (at < n) {
		char chunk[WORD_RAW + 1];
		size_t k;

		snprintf(chunk, sizeof(chunk), "%.*s", (int)(n - at), text + at);
		k = kc_utf8_cut(chunk, WORD_RAW);
		sbuf_add(b, at ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
		b64(b, text + at, k);
		sbuf_add(b, "?=");
		at += k;
	}
	sbuf_add(b, "\r\n");
}

static char *message(const struct kc_send_msg *m)
{
	struct sbuf b = { 0 }, body = { 0 };
	char date[64], *text = NULL;
	time_t t = (time_t)(m->now_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sbuf_printf(&b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nMessage-ID: <%s@keyauditd>\r\n", date,
		    m->ch->from, m->email, m->out_id);
	subject(&b, m->text_zh);
	sbuf_add(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: base64\r\n\r\n");
	sbuf_printf(&body, "%s\r\n\r\n%s\r\n", m->text_zh, m->text_en);
	text = sbuf_take(&body);
	if (!text)
		b.oom = 1;
	for (size_t at = 0, n = text ? strlen(text) : 0; at < n; at += 57) {
		b64(&b, text + at, n - at < 57 ? n - at : 57); /* 76 characters a line */
		sbuf_add(&b, "\r\n");
	}
	free(text);
	return sbuf_take(&b);
}

struct reader {
	const char *p;
	size_t left;
};

static size_t read_msg(char *buf, size_t size, size_t n, void *user)
{
	struct reader *r = user;
	size_t k = size * n < r->left ? size * n : r->left;

	memcpy(buf, r->p, k);
	r->p += k;
	r->left -= k;
	return k;
}

static void smtp_parse(long code, const char *body, struct kc_send_result *r)
{
	(void)body;
	snprintf(r->answer, sizeof(r->answer), "%ld", code);
	if (code >= 200 && code < 400) {
		r->outcome = KC_SEND_OK;
		r->delivered = true;
	} else {
		r->outcome = code >= 500 ? KC_SEND_REFUSED : KC_SEND_RETRY;
		snprintf(r->why, sizeof(r->why), "SMTP %ld", code);
	}
}

static int smtp_send(CURL *c, const struct kc_send_msg *m, struct kc_send_result *r)
{
	const struct kc_channel_conf *ch = m->ch;
	char from[320], to[320], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt;
	struct reader rd;
	char *msg = message(m);
	long code = 0;
	CURLcode cc;

	snprintf(from, sizeof(from), "<%s>", ch->from);
	snprintf(to, sizeof(to), "<%s>", m->email);
	rcpt = curl_slist_append(NULL, to);
	if (!msg || !rcpt) {
		free(msg);
		curl_slist_free_all(rcpt);
		return -1;
	}
	rd = (struct reader){ msg, strlen(msg) };
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, ch->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (ch->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
	if (ch->key_id) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ch->key_id);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ch->secret ? ch->secret : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		smtp_parse(code ? code : 250, NULL, r);
	} else if (code >= 400) {
		smtp_parse(code, NULL, r);
		snprintf(r->why, sizeof(r->why), "SMTP %ld: %s", code, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else {
		r->outcome = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
					     cc == CURLE_USE_SSL_FAILED || cc == CURLE_LOGIN_DENIED ||
					     cc == CURLE_PEER_FAILED_VERIFICATION
				     ? (cc == CURLE_LOGIN_DENIED ? KC_SEND_REFUSED : KC_SEND_RETRY)
				     : KC_SEND_UNCLEAR;
		snprintf(r->why, sizeof(r->why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	free(msg);
	curl_slist_free_all(rcpt);
	return 0;
}

const struct kc_channel_type kc_channel_smtp = {
	.name = "smtp",
	.send = smtp_send,
	.parse = smtp_parse,
	.resend_unclear = true,
};
