/* The changes that wait for the disk (backlog.h): a queue in memory,
 * oldest first, written in order by the one thread that writes the
 * database, and what is said of the disk's state. */
#include "controller/backlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/windows.h"

enum item_kind { ITEM_HW, ITEM_WINDOW };

struct item {
	enum item_kind kind;
	bool late;     /* it waited: written at the time it happened */
	bool empty;    /* ITEM_WINDOW: its slot read empty at the window's end */
	int64_t at_ms; /* when it happened (the controller's clock) */
	union {
		struct kc_slot_event hw;
		struct kc_window w;
	} u;
};

struct kc_backlog {
	struct item *items; /* items[head..n) wait, oldest first */
	int head, n, cap;
	bool resync;	  /* sensor changes were not kept: read every slot again */
	uint64_t dropped; /* sensor changes not kept since the queue last drained */
	uint64_t late;	  /* changes written late since the queue last drained */
	bool kept_told;	  /* the log said changes wait */
	int64_t retry_mono;
	uint64_t commits_seen;
	/* what was last said of the disk: in the log and to the service
	 * manager (its state), to subscribers (its state and what waits) */
	enum kc_storage_state told;
	enum kc_storage_state pushed;
	int pushed_pending;
};

static struct kc_backlog *backlog(struct kc_ctl *ctl)
{
	if (!ctl->backlog)
		ctl->backlog = calloc(1, sizeof(*ctl->backlog));
	return ctl->backlog;
}

static int waiting(const struct kc_backlog *b)
{
	return b ? b->n - b->head : 0;
}

int kc_backlog_pending(const struct kc_ctl *ctl)
{
	return waiting(ctl->backlog);
}

static void describe(struct kc_ctl *ctl, const struct item *it, char *buf, size_t len)
{
	if (it->kind == ITEM_WINDOW)
		snprintf(buf, len, "the end of the release window of loan %lld (key %s)",
			 (long long)it->u.w.loan, it->u.w.key);
	else
		snprintf(buf, len, "hardware event %s on slot %s", kc_hwlink_change_name(it->u.hw.change),
			 kc_hwlink_slot_name(ctl->hw, it->u.hw.slot));
}

static int push(struct kc_backlog *b, const struct item *it)
{
	if (b->n == b->cap && b->head > 0) {
		memmove(b->items, b->items + b->head, sizeof(*b->items) * (size_t)(b->n - b->head));
		b->n -= b->head;
		b->head = 0;
	}
	if (b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 16;
		struct item *p = realloc(b->items, sizeof(*p) * (size_t)cap);

		if (!p)
			return -ENOMEM;
		b->items = p;
		b->cap = cap;
	}
	b->items[b->n++] = *it;
	return 0;
}

enum outcome { WRITTEN, KEPT, DROPPED };

/* One change in its own transaction. KEPT when the disk is why it was
 * not written (SQLite said so, or a probe write fails as well); DROPPED
 * when the database takes other writes, so the change itself cannot be
 * recorded and waiting would hold every later one back. */
static enum outcome apply(struct kc_ctl *ctl, const struct item *it, int *err)
{
	struct kc_windows_saved saved;
	struct kc_storage before, after;
	int r;

	kc_store_storage(ctl->st, &before);
	kc_windows_save(ctl, &saved);
	if (it->late)
		kc_clock_at(it->at_ms);
	r = it->kind == ITEM_WINDOW ? kc_hwevents_window_closed(ctl, &it->u.w, it->empty) :
				      kc_hwevents_record(ctl, &it->u.hw);
	kc_clock_at(0);
	if (r == 0)
		return WRITTEN;
	/* nothing was written: the windows as they were */
	kc_windows_restore(ctl, &saved);
	*err = r;
	kc_store_storage(ctl->st, &after);
	if (after.failures != before.failures || kc_store_probe(ctl->st) < 0)
		return KEPT;
	return DROPPED;
}

/* Every slot whose presence is known, as at a start: what changed while
 * sensor changes were not kept is found by comparing. */
static void reread_slots(struct kc_ctl *ctl, struct kc_backlog *b)
{
	int n = kc_hwlink_slot_count(ctl->hw);

	kc_notice("database: %llu sensor changes were not kept; reading every slot again",
		  (unsigned long long)b->dropped);
	b->dropped = 0;
	for (int i = 0; i < n; i++) {
		struct kc_slot_reading hs;
		struct item it = { .kind = ITEM_HW, .at_ms = kc_now_ms() };

		if (kc_hwlink_reading(ctl->hw, i, &hs) < 0 ||
		    (hs.presence != KC_PRESENCE_PRESENT && hs.presence != KC_PRESENCE_ABSENT))
			continue;
		it.u.hw = (struct kc_slot_event){ .change = KC_SLOT_RECOVERED, .slot = i, .presence = hs.presence,
					     .tag = hs.tag, .mono_ms = kc_mono_ms() };
		if (push(b, &it) < 0)
			b->resync = true; /* the next drain tries again */
	}
}

/* Writes what waits, oldest first, up to the first change the disk does
 * not take, or KC_BACKLOG_BATCH changes (each is a commit with its fsync:
 * the loop, its requests and the watchdog are not held up for long);
 * what is left waits, late. */
static void flush(struct kc_ctl *ctl, struct kc_backlog *b)
{
	enum outcome o = WRITTEN;
	int budget = KC_BACKLOG_BATCH, err = 0;
	bool reread = false;
	char what[160];

	for (;;) {
		while (waiting(b) > 0 && budget-- > 0) {
			struct item *it = &b->items[b->head];

			o = apply(ctl, it, &err);
			if (o == KEPT)
				break;
			if (o == DROPPED) {
				describe(ctl, it, what, sizeof(what));
				kc_err("%s not recorded (%s), although the database takes other writes", what,
				       strerror(-err));
			} else if (it->late) {
				b->late++;
			}
			b->head++;
		}
		if (waiting(b) > 0 || !b->resync || reread)
			break;
		b->resync = false;
		reread = true;
		reread_slots(ctl, b);
	}
	if (waiting(b) > 0) {
		for (int i = b->head; i < b->n; i++)
			b->items[i].late = true;
		/* the disk refused: a while; the batch was used up: at once */
		b->retry_mono = kc_mono_ms() + (o == KEPT ? KC_BACKLOG_RETRY_MS : 0);
		if (o == KEPT && !b->kept_told) {
			struct kc_storage s;

			kc_store_storage(ctl->st, &s);
			describe(ctl, &b->items[b->head], what, sizeof(what));
			kc_warn("database takes no writes (%s): %s, and each change after it, waits in memory "
				"until it does", s.detail[0] ? s.detail : strerror(-err), what);
			b->kept_told = true;
		}
		return;
	}
	b->head = b->n = 0;
	if (b->kept_told)
		kc_notice("database: %llu changes that waited are written, in the order they happened",
			  (unsigned long long)b->late);
	b->kept_told = false;
	b->late = 0;
}

static void add(struct kc_ctl *ctl, const struct item *it)
{
	struct kc_backlog *b = backlog(ctl);
	char what[160];

	if (b && it->kind == ITEM_HW && waiting(b) >= KC_BACKLOG_MAX) {
		if (b->dropped++ == 0)
			kc_warn("database: %d changes wait already; further sensor changes are not kept, and every"
				" slot is read again once they are written", KC_BACKLOG_MAX);
		b->resync = true;
		return;
	}
	if (!b || push(b, it) < 0) {
		describe(ctl, it, what, sizeof(what));
		kc_err("%s not recorded: out of memory", what);
		if (b && it->kind == ITEM_HW)
			b->resync = true;
		return;
	}
	if (waiting(b) == 1) /* nothing waited before it: written now */
		flush(ctl, b);
	else /* behind others: written later, at the time it happened */
		b->items[b->n - 1].late = true;
}

void kc_backlog_hw(struct kc_ctl *ctl, const struct kc_slot_event *e)
{
	/* when the sensor saw it, on the controller's clock */
	struct item it = { .kind = ITEM_HW, .at_ms = kc_now_ms() - (kc_mono_ms() - e->mono_ms) };

	it.u.hw = *e;
	add(ctl, &it);
}

void kc_backlog_window(struct kc_ctl *ctl, const struct kc_window *w, bool empty)
{
	struct item it = { .kind = ITEM_WINDOW, .empty = empty, .at_ms = kc_now_ms() };

	it.u.w = *w;
	add(ctl, &it);
}

json_t *kc_backlog_storage(struct kc_ctl *ctl)
{
	static const enum kc_msg_code codes[] = {
		[KC_STORAGE_OK] = KCM_storage_pending,
		[KC_STORAGE_FULL] = KCM_storage_full,
		[KC_STORAGE_READ_ONLY] = KCM_storage_read_only,
		[KC_STORAGE_ERROR] = KCM_storage_error,
	};
	int pending = kc_backlog_pending(ctl);
	struct kc_storage s;
	char since[32];
	json_t *o, *msg = NULL;

	kc_store_storage(ctl->st, &s);
	kc_local_format(s.since_ms, KC_DAY_LAST, since, sizeof(since));
	if (s.state != KC_STORAGE_OK || pending > 0)
		msg = kc_msg_new(codes[s.state], "{s:s, s:i, s:s}", "since", since, "pending", pending, "detail",
				 s.detail);
	o = json_pack("{s:s, s:i, s:s, s:o}", "state", kc_storage_state_name(s.state), "pending", pending,
		      "detail", s.detail, "message", msg ? msg : json_null());
	if (o)
		kc_json_time(o, "since", s.since_ms);
	return o;
}

/* Says a change of the disk's state (and to subscribers, of what waits). */
static void tell(struct kc_ctl *ctl, struct kc_backlog *b, const struct kc_storage *s)
{
	int pending = waiting(b);

	if (s->state != b->told) {
		if (s->state == KC_STORAGE_OK) {
			kc_notice("database: the disk takes writes again");
			sd_notify(0, "STATUS=cabinet ready");
		} else {
			kc_warn("database: the disk is %s (%s): nothing is released, sensor changes and window"
				" ends wait in memory, until it takes writes again",
				kc_storage_state_name(s->state), s->detail);
			sd_notifyf(0, "STATUS=database disk %s (%s): nothing is released",
				   kc_storage_state_name(s->state), s->detail);
		}
		b->told = s->state;
	}
	if ((s->state != b->pushed || pending != b->pushed_pending) && ctl->storage_changed)
		ctl->storage_changed(ctl);
	b->pushed = s->state;
	b->pushed_pending = pending;
}

int64_t kc_backlog_tick(struct kc_ctl *ctl)
{
	struct kc_backlog *b = backlog(ctl);
	int64_t now = kc_mono_ms();
	struct kc_storage s;

	if (!b)
		return KC_BACKLOG_RETRY_MS;
	kc_store_storage(ctl->st, &s);
	if ((waiting(b) > 0 || b->resync) && (now >= b->retry_mono || s.commits != b->commits_seen)) {
		flush(ctl, b);
	} else if (waiting(b) == 0 && s.state != KC_STORAGE_OK && now >= b->retry_mono) {
		kc_store_probe(ctl->st);
		b->retry_mono = now + KC_BACKLOG_RETRY_MS;
	}
	kc_store_storage(ctl->st, &s);
	b->commits_seen = s.commits;
	tell(ctl, b, &s);
	if (waiting(b) == 0 && s.state == KC_STORAGE_OK)
		return 60000;
	if (waiting(b) > 0 && b->retry_mono <= now)
		return 0; /* a batch was written: the next one at once */
	return b->retry_mono > now ? b->retry_mono - now : KC_BACKLOG_RETRY_MS;
}

void kc_backlog_free(struct kc_ctl *ctl)
{
	struct kc_backlog *b = ctl->backlog;

	int64_t end = kc_mono_ms() + KC_BACKLOG_STOP_MS;
	int left;

	if (!b)
		return;
	/* batch after batch while the disk takes them, for a bounded time */
	while ((left = waiting(b)) > 0 && kc_mono_ms() < end) {
		flush(ctl, b);
		if (waiting(b) >= left)
			break;
	}
	if (waiting(b) > 0)
		kc_warn("stopping with %d changes not written to the database: the first reading of each slot"
			" after the next start is compared with the database, and releases granted are decided"
			" then", waiting(b));
	free(b->items);
	free(b);
	ctl->backlog = NULL;
}
