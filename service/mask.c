/* Personal data and secrets as the pages and exports show them
 * (service/mask.h). */
#include "service/mask.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"

/* Columns and members of free text, where a phone number may be typed. */
static const char *const free_text[] = {
	"text_zh", "text_en", "problems", "detail", "note", "review_note", "message", "last_error", "reason",
	"resolution", "department", "forwarded_to",
};

void kc_mask_phone(const char *phone, char *out, size_t len)
{
	size_t n;

	if (!len || kc_phone_mask(phone, out, len) == 0)
		return;
	/* too long for out: nothing of it shown */
	n = strlen(phone) < len ? strlen(phone) : len - 1;
	memset(out, '*', n);
	out[n] = '\0';
}

char *kc_mask_digits(const char *text)
{
	char *out = strdup(text);

	if (!out)
		return NULL;
	for (char *p = out; *p;) {
		size_t n = 0;

		while (isdigit((unsigned char)p[n]))
			n++;
		if (n >= 7) {
			char run[64], masked[64];

			if (n < sizeof(run)) {
				memcpy(run, p, n);
				run[n] = '\0';
				kc_mask_phone(run, masked, sizeof(masked));
				memcpy(p, masked, n);
			} else {
				memset(p, '*', n);
			}
		}
		p += n ? n : 1;
	}
	return out;
}

void kc_mask_url(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://"), *path, *query, *at;
	size_t o, hlen;

	if (!host) { /* not a URL: stars, and its last 4 characters */
		size_t n = strlen(url), i;

		for (i = 0; i + 1 < len && i < (n > 4 ? n : 4); i++) {
			out[i] = '*';
			if (n > 4 && i >= n - 4)
				out[i] = url[i];
		}
		if (len)
			out[i] = '\0';
		return;
	}
	host += 3;
	path = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(path - host)); /* user:password@ is left out */
	if (at)
		host = at + 1;
	hlen = (size_t)(path - host);
	o = (size_t)snprintf(out, len, "%.*s%.*s", (int)(strstr(url, "://") + 3 - url), url, (int)hlen, host);
	query = strchr(path, '?');
	if (o < len && *path && (*path != '/' || path[1] != '\0') && path != query)
		o += (size_t)snprintf(out + o, len - o, "/…");
	if (!query) {
		size_t plen = strcspn(path, "#");

		if (o < len && plen > 5)
			snprintf(out + o, len - o, "****%.4s", path + plen - 4);
		return;
	}
	for (const char *p = query + 1; *p && *p != '#' && o < len;) {
		size_t n = strcspn(p, "&#"), name = strcspn(p, "=");
		size_t vlen = name < n ? n - name - 1 : 0;

		if (name > n)
			name = n;
		o += (size_t)snprintf(out + o, len - o, "%s%.*s=****%.*s", p == query + 1 ? "?" : "&", (int)name, p,
				      vlen > 4 ? 4 : 0, vlen > 4 ? p + n - 4 : p);
		p += n;
		if (*p == '&')
			p++;
	}
}

static bool is_free_text(const char *name)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(free_text); i++)
		if (strcmp(name, free_text[i]) == 0)
			return true;
	return false;
}

/* The masked form of string s named name, or NULL to keep it. */
static char *mask_string(const char *name, const char *s)
{
	size_t n = strlen(name);
	char buf[512];

	if (n >= 5 && strcmp(name + n - 5, "phone") == 0) {
		kc_mask_phone(s, buf, sizeof(buf));
		return strdup(buf);
	}
	if (strcmp(name, "webhook") == 0) {
		kc_mask_url(s, buf, sizeof(buf));
		return strdup(buf);
	}
	return is_free_text(name) ? kc_mask_digits(s) : NULL;
}

/* v, named name (its column or member), masked in place; returns the
 * value to keep in its place (v itself, or a new string). */
static json_t *mask_value(json_t *v, const char *name)
{
	const char *k;
	json_t *m;
	size_t i;
	char *s;

	if (json_is_string(v)) {
		s = mask_string(name, json_string_value(v));
		if (!s)
			return json_incref(v);
		m = json_string(s);
		free(s);
		return m ? m : json_string("****");
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, m)
			json_object_set_new(v, k, mask_value(m, k));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			json_array_set_new(v, i, mask_value(m, name));
	}
	return json_incref(v);
}

void kc_mask_report(json_t *report)
{
	json_t *sec, *row, *cols;
	size_t i, j, k;

	json_array_foreach(json_object_get(report, "sections"), i, sec) {
		cols = json_object_get(sec, "columns");
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			for (k = 0; k < json_array_size(row) && k < json_array_size(cols); k++) {
				const char *name = json_string_value(json_object_get(json_array_get(cols, k), "name"));

				json_array_set_new(row, k, mask_value(json_array_get(row, k), name ? name : ""));
			}
		}
	}
}
