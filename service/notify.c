#include "service/notify.h"
#include "service/templates.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"

int kc_notice_add(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		  const char *cabinet, int64_t seq, const char *type, const json_t *fields,
		  int64_t now_ms)
{
	char *zh = NULL, *en = NULL, *payload = NULL, err[128];
	json_t *zh_fields = kc_notice_words(fields, KC_LANG_ZH), *en_fields = kc_notice_words(fields, KC_LANG_EN);
	sqlite3_stmt *st;
	int64_t id;
	json_t *body;
	int r = -ENOMEM;

	if (!zh_fields || !en_fields)
		goto out;
	r = kc_template_render(cfg->tmpl_zh[kind], zh_fields, &zh, err, sizeof(err));
	if (r < 0)
		goto out;
	r = kc_template_render(cfg->tmpl_en[kind], en_fields, &en, err, sizeof(err));
	if (r < 0)
		goto out;
	body = json_pack("{s:s, s:s, s:I, s:s, s:O, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "notice",
			 kc_notice_kind_name(kind), "cabinet", cabinet, "seq", (json_int_t)seq, "type", type,
			 "fields", fields, "text_zh", zh, "text_en", en, "recipient", kc_notice_recipient(kind),
			 "event_time", json_object_get(fields, "event_time"), "site", json_object_get(fields, "site_code"),
			 "site_name", json_object_get(fields, "site"));
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	payload = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (!payload) {
		r = -ENOMEM;
		goto out;
	}
	st = kc_db_stmt(db,
		"INSERT OR IGNORE INTO notices (cabinet, seq, type, notice, entrustment, stage, key, unit,"
		" site, person, created_ms, payload, text_zh, text_en) VALUES"
		" (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st) {
		r = -EIO;
		goto out;
	}
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, seq);
	kc_bind_text(st, 3, type);
	{
		static const char *m[] = { "notice", "entrustment", "stage", "key", "unit_code", "site_code",
					   "person_code" };

		for (size_t i = 0; i < KC_ARRAY_SIZE(m); i++) {
			const json_t *v = json_object_get(fields, m[i]);
			long long n;

			if (i < 2 && json_is_string(v) && kc_parse_long(json_string_value(v), 0, INT64_MAX, &n) == 0)
				sqlite3_bind_int64(st, 4 + (int)i, n);
			else if (i >= 2 && json_is_string(v) && strcmp(json_string_value(v), "-") != 0)
				kc_bind_text(st, 4 + (int)i, json_string_value(v));
			else
				sqlite3_bind_null(st, 4 + (int)i);
		}
	}
	sqlite3_bind_int64(st, 11, now_ms);
	kc_bind_text(st, 12, payload);
	kc_bind_text(st, 13, zh);
	kc_bind_text(st, 14, en);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_reset(st);
	if (r < 0 || sqlite3_changes(db->h) == 0)
		goto out;
	id = sqlite3_last_insert_rowid(db->h);
	st = kc_db_stmt(db, "INSERT INTO deliveries (notice_id, webhook, next_ms) VALUES (?,?,?)");
	if (!st) {
		r = -EIO;
		goto out;
	}
	for (int w = 0; w < cfg->nwebhooks; w++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		kc_bind_text(st, 2, cfg->webhooks[w]);
		sqlite3_bind_int64(st, 3, now_ms);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			r = -EIO;
			goto out;
		}
	}
	sqlite3_reset(st);
	r = 1;
out:
	json_decref(zh_fields);
	json_decref(en_fields);
	free(zh);
	free(en);
	free(payload);
	return r;
}

struct kc_notifier {
	const struct kc_audit_config *cfg;
	struct kc_db *db;
	CURL *curl;
	pthread_t thread;
	int wake_fd;
	atomic_bool stop;
	atomic_int health;
};

struct delivery {
	int64_t id;
	int attempts;
	char *webhook;
	char *payload;
};

static size_t discard(void *p, size_t size, size_t n, void *user)
{
	(void)p;
	(void)user;
	return size * n;
}

/* Aborts an attempt in flight when the service is stopping. */
static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct kc_notifier *n = user;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&n->stop) ? 1 : 0;
}

/* Posts one delivery; records the attempt and the new state. */
static int attempt(struct kc_notifier *n, struct delivery *d)
{
	const struct kc_audit_config *cfg = n->cfg;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	char errbuf[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 32] = "";
	int64_t now, next;
	long status = 0;
	CURLcode cc;
	sqlite3_stmt *st;
	int ok, failed, r = 0;

	curl_easy_reset(n->curl);
	curl_easy_setopt(n->curl, CURLOPT_URL, d->webhook);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(n->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(n->curl, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
	curl_easy_setopt(n->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhook_timeout_ms);
	curl_easy_setopt(n->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(n->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(n->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(n->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(n->curl, CURLOPT_XFERINFODATA, n);
	cc = curl_easy_perform(n->curl);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		curl_slist_free_all(hdrs);
		return 0; /* stopping: not an attempt; it is made again after the restart */
	}
	curl_slist_free_all(hdrs);
	if (cc == CURLE_OK)
		curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, &status);
	ok = cc == CURLE_OK && status >= 200 && status < 300;
	if (cc != CURLE_OK)
		snprintf(why, sizeof(why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else if (!ok)
		snprintf(why, sizeof(why), "HTTP %ld", status);
	d->attempts++;
	now = kc_wall_ms();
	failed = !ok && d->attempts >= cfg->max_attempts;
	{
		/* backoff_min * 2^(attempts-1), capped */
		int64_t b = cfg->backoff_min_ms;

		for (int i = 1; i < d->attempts && b < cfg->backoff_max_ms; i++)
			b *= 2;
		next = now + (b < cfg->backoff_max_ms ? b : cfg->backoff_max_ms);
	}
	kc_db_write_lock();
	if (kc_db_begin(n->db) < 0) {
		r = -EIO;
		goto unlock;
	}
	st = kc_db_stmt(n->db, "INSERT INTO attempts (delivery_id, at_ms, http_status, error) VALUES (?,?,?,?)");
	if (!st)
		goto rollback;
	sqlite3_bind_int64(st, 1, d->id);
	sqlite3_bind_int64(st, 2, now);
	if (status)
		sqlite3_bind_int64(st, 3, status);
	kc_bind_text(st, 4, ok ? NULL : why);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto rollback;
	st = kc_db_stmt(n->db,
		"UPDATE deliveries SET attempts = ?, state = ?, next_ms = ?, last_error = ?, delivered_ms = ?"
		" WHERE id = ?");
	if (!st)
		goto rollback;
	sqlite3_bind_int(st, 1, d->attempts);
	kc_bind_text(st, 2, ok ? "delivered" : failed ? "failed" : "pending");
	sqlite3_bind_int64(st, 3, next);
	kc_bind_text(st, 4, ok ? NULL : why);
	if (ok)
		sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, d->id);
	if (sqlite3_step(st) != SQLITE_DONE || kc_db_commit(n->db) < 0)
		goto rollback;
	goto unlock;
rollback:
	kc_db_rollback(n->db);
	r = -EIO;
unlock:
	kc_db_write_unlock();
	return r;
}

/* The next due delivery, or the time to wait for one in *wait_ms.
 * Returns 1 (d filled), 0 (none due), -EIO. */
static int next_due(struct kc_notifier *n, struct delivery *d, int *wait_ms)
{
	sqlite3_stmt *st = kc_db_stmt(n->db,
		"SELECT d.id, d.attempts, d.webhook, n.payload, d.next_ms FROM deliveries d"
		" JOIN notices n ON n.id = d.notice_id WHERE d.state = 'pending' ORDER BY d.next_ms LIMIT 1");
	int64_t now = kc_wall_ms(), at;
	int rc, r = 0;

	if (!st)
		return -EIO;
	*wait_ms = 60000;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		at = sqlite3_column_int64(st, 4);
		if (at <= now) {
			d->id = sqlite3_column_int64(st, 0);
			d->attempts = sqlite3_column_int(st, 1);
			d->webhook = strdup((const char *)sqlite3_column_text(st, 2));
			d->payload = strdup((const char *)sqlite3_column_text(st, 3));
			r = d->webhook && d->payload ? 1 : -ENOMEM;
		} else {
			*wait_ms = at - now < 60000 ? (int)(at - now) : 60000;
		}
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(st);
	return r;
}

static void *notifier_main(void *arg)
{
	struct kc_notifier *n = arg;

	while (!atomic_load(&n->stop)) {
		struct delivery d = { 0 };
		struct pollfd p = { .fd = n->wake_fd, .events = POLLIN };
		int wait_ms = 1000, r;

		r = next_due(n, &d, &wait_ms);
		if (r > 0)
			r = attempt(n, &d);
		free(d.webhook);
		free(d.payload);
		atomic_store(&n->health, r < 0 ? -EIO : 0);
		if (r > 0 || (r == 0 && d.id))
			continue;
		if (poll(&p, 1, r < 0 ? 1000 : wait_ms) > 0) {
			uint64_t v;

			if (read(n->wake_fd, &v, sizeof(v)) < 0)
				continue;
		}
	}
	return NULL;
}

struct kc_notifier *kc_notifier_start(const struct kc_audit_config *cfg, char *err, size_t errlen)
{
	struct kc_notifier *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->cfg = cfg;
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto free_n;
	}
	n->db = kc_db_open(cfg->db_path, 0, err, errlen);
	if (!n->db)
		goto close_fd;
	n->curl = curl_easy_init();
	if (!n->curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto close_db;
	}
	if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
		snprintf(err, errlen, "cannot start the notifier thread");
		goto free_curl;
	}
	return n;
free_curl:
	curl_easy_cleanup(n->curl);
close_db:
	kc_db_free(n->db);
close_fd:
	close(n->wake_fd);
free_n:
	free(n);
	return NULL;
}

void kc_notifier_wake(struct kc_notifier *n)
{
	uint64_t one = 1;

	if (n && write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

void kc_notifier_stop(struct kc_notifier *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	kc_notifier_wake(n);
	pthread_join(n->thread, NULL);
	curl_easy_cleanup(n->curl);
	kc_db_free(n->db);
	close(n->wake_fd);
	free(n);
}

int kc_notifier_health(struct kc_notifier *n)
{
	return n ? atomic_load(&n->health) : 0;
}
