#include "common/event.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define CANON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

json_t *kc_event_new(const char *cabinet, int64_t seq, int64_t wall_ms, const char *type)
{
	char ts[KC_TIME_LEN];

	kc_time_format(wall_ms, ts, sizeof(ts));
	return json_pack("{s:i, s:s, s:I, s:s, s:s, s:{}}", "v", KC_EVENT_VERSION,
			 "cabinet", cabinet, "seq", (json_int_t)seq, "ts", ts, "type",
			 type, "data");
}

void kc_json_str(json_t *obj, const char *name, const char *s)
{
	json_object_set_new(obj, name, s ? json_string(s) : json_null());
}

void kc_json_time(json_t *obj, const char *name, int64_t ms)
{
	char buf[KC_TIME_LEN];

	if (ms <= 0) {
		json_object_set_new(obj, name, json_null());
		return;
	}
	kc_time_format(ms, buf, sizeof(buf));
	json_object_set_new(obj, name, json_string(buf));
}

char *kc_event_canonical(const json_t *ev)
{
	json_t *copy;
	char *out;

	if (!json_is_object(ev))
		return NULL;
	copy = json_copy((json_t *)ev);
	if (!copy)
		return NULL;
	json_object_del(copy, "hash");
	out = json_dumps(copy, CANON_FLAGS);
	json_decref(copy);
	return out;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int kc_event_hash(const json_t *ev, char out[KC_HASH_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char *canon = kc_event_canonical(ev);

	if (!canon)
		return -EINVAL;
	crypto_hash_sha256(digest, (const unsigned char *)canon, strlen(canon));
	free(canon);
	to_hex(digest, sizeof(digest), out);
	return 0;
}

int kc_event_seal(json_t *ev, const char *prev_hash, char out[KC_HASH_HEX])
{
	char hash[KC_HASH_HEX];
	int r;

	if (!json_is_object(ev) || !prev_hash || strlen(prev_hash) != KC_HASH_HEX - 1)
		return -EINVAL;
	if (json_object_set_new(ev, "prev", json_string(prev_hash)) < 0)
		return -ENOMEM;
	json_object_del(ev, "hash");
	r = kc_event_hash(ev, hash);
	if (r < 0)
		return r;
	if (json_object_set_new(ev, "hash", json_string(hash)) < 0)
		return -ENOMEM;
	if (out)
		memcpy(out, hash, KC_HASH_HEX);
	return 0;
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

#define FAIL_AS(code, ...)                           \
	do {                                         \
		snprintf(err, errlen, __VA_ARGS__); \
		return (code);                       \
	} while (0)
#define FAIL(...) FAIL_AS(-EINVAL, __VA_ARGS__)

/* The path (e.g. "data.items[2].x") of the first real number in v, or
 * false when v holds integers only. */
static bool event_find_real(const json_t *v, char *path, size_t len)
{
	size_t n = strlen(path);
	const char *name;
	const json_t *m;
	size_t i;

	if (json_is_real(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, name, m) {
			snprintf(path + n, len - n, "%s%s", n ? "." : "", name);
			if (event_find_real(m, path, len))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			snprintf(path + n, len - n, "[%zu]", i);
			if (event_find_real(m, path, len))
				return true;
		}
	}
	path[n] = '\0';
	return false;
}

int kc_event_check(const json_t *ev, const char *expect_prev, int64_t expect_seq,
		   char *err, size_t errlen)
{
	static const char *optional_strings[] = { "actor", "person", "key", "kind",
						  "unit", "site", "slot" };
	const json_t *v, *seq, *ts, *type, *cab, *prev, *hash, *data;
	char want[KC_HASH_HEX], path[128] = "";
	int64_t when;

	if (!json_is_object(ev))
		FAIL("an event must be a JSON object");
	v = json_object_get(ev, "v");
	cab = json_object_get(ev, "cabinet");
	seq = json_object_get(ev, "seq");
	ts = json_object_get(ev, "ts");
	type = json_object_get(ev, "type");
	prev = json_object_get(ev, "prev");
	hash = json_object_get(ev, "hash");
	data = json_object_get(ev, "data");
	if (!json_is_integer(v) || json_integer_value(v) != KC_EVENT_VERSION)
		FAIL("event format version \"v\" must be %d", KC_EVENT_VERSION);
	if (!json_is_string(cab) || json_string_length(cab) == 0)
		FAIL("\"cabinet\" must be a non-empty string");
	if (!json_is_integer(seq) || json_integer_value(seq) < 1)
		FAIL("\"seq\" must be an integer of 1 or more");
	if (!json_is_string(ts) || kc_time_parse(json_string_value(ts), &when) < 0)
		FAIL("event %lld: \"ts\" must be a UTC time like 2026-11-22T21:03:04.123Z",
		     (long long)json_integer_value(seq));
	if (!json_is_string(type) || json_string_length(type) == 0)
		FAIL("event %lld: \"type\" must be a non-empty string",
		     (long long)json_integer_value(seq));
	if (!json_is_object(data))
		FAIL("event %lld: \"data\" must be an object", (long long)json_integer_value(seq));
	for (size_t i = 0; i < KC_ARRAY_SIZE(optional_strings); i++) {
		const json_t *o = json_object_get(ev, optional_strings[i]);

		if (o && !json_is_string(o) && !json_is_null(o))
			FAIL("event %lld: \"%s\" must be a string",
			     (long long)json_integer_value(seq), optional_strings[i]);
	}
	if (event_find_real(ev, path, sizeof(path)))
		FAIL("event %lld: \"%s\" is a real number; numbers in events are integers only",
		     (long long)json_integer_value(seq), path);
	if (!json_is_string(prev) || !is_hex64(json_string_value(prev)))
		FAIL("event %lld: \"prev\" must be 64 lower-case hex digits",
		     (long long)json_integer_value(seq));
	if (!json_is_string(hash) || !is_hex64(json_string_value(hash)))
		FAIL("event %lld: \"hash\" must be 64 lower-case hex digits",
		     (long long)json_integer_value(seq));
	if (expect_seq > 0 && json_integer_value(seq) != expect_seq)
		FAIL_AS(-ERANGE, "sequence gap: expected event %lld, got %lld", (long long)expect_seq,
		     (long long)json_integer_value(seq));
	if (expect_prev && strcmp(json_string_value(prev), expect_prev) != 0)
		FAIL_AS(-EBADMSG, "chain break at event %lld: \"prev\" does not match the hash of event %lld",
		     (long long)json_integer_value(seq), (long long)json_integer_value(seq) - 1);
	if (kc_event_hash(ev, want) < 0)
		FAIL("event %lld: cannot compute its hash", (long long)json_integer_value(seq));
	if (strcmp(want, json_string_value(hash)) != 0)
		FAIL_AS(-EBADMSG, "chain break at event %lld: its \"hash\" does not match its content",
		     (long long)json_integer_value(seq));
	return 0;
}
