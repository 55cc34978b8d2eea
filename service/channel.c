/* What the channels' senders share: one POST with its outcome told apart
 * (nothing sent / perhaps sent / answered), texts cut at a character
 * boundary, the record of a gateway's answer. The table of channel types
 * that dispatches to the senders is channels.c, above them. */
#include "service/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "service/mask.h"

static size_t answer_write(void *p, size_t size, size_t n, void *user)
{
	struct kc_http_answer *a = user;
	size_t add = size * n;
	char *nb;

	if (a->len + add > (1u << 20))
		return 0; /* an answer this long is no gateway's */
	nb = realloc(a->body, a->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + a->len, p, add);
	a->body = nb;
	a->len += add;
	a->body[a->len] = '\0';
	return add;
}

/* Abandons a transfer when the service is stopping. */
static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const atomic_bool *stop = user;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return stop && atomic_load(stop) ? 1 : 0;
}

void kc_channel_post(CURL *c, const struct kc_send_msg *m, const char *url, struct curl_slist *hdrs,
		     const char *body, struct kc_http_answer *a, struct kc_send_result *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)m->stop);
	if (m->ch && m->ch->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, m->ch->ca_file);
	cc = curl_easy_perform(c);
	r->outcome = KC_SEND_OK;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http_status);
		return;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		r->outcome = KC_SEND_STOPPED;
		return;
	}
	/* nothing left this machine: sending again cannot send twice */
	r->outcome = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
				     cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_SSL_CONNECT_ERROR ||
				     cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_URL_MALFORMAT
			     ? KC_SEND_RETRY
			     : KC_SEND_UNCLEAR;
	snprintf(r->why, sizeof(r->why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

size_t kc_utf8_cut(const char *s, size_t len)
{
	size_t n = strlen(s);

	if (n <= len)
		return n;
	/* back to the first byte of a character */
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return len;
}

void kc_iso_utc(int64_t ms, char *out)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void kc_channel_why(struct kc_send_result *r, const char *code, const char *msg)
{
	char *m = kc_mask_digits(msg ? msg : "");

	snprintf(r->answer, sizeof(r->answer), "%s", code ? code : "");
	snprintf(r->why, sizeof(r->why), "%s%s%s", code ? code : "", m && *m ? ": " : "", m ? m : "");
	free(m);
}

void kc_url_host(const char *url, char *out, size_t len)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/?#");
	snprintf(out, len, "%.*s", (int)n, h);
}

void kc_phone_e164(const char *phone, char *out, size_t len)
{
	snprintf(out, len, "%s%s", phone[0] == '+' ? "" : "+86", phone);
}
