/* Release windows (rule 10): a granted loan's slot is open for a bounded
 * time; the table of open windows, at most KC_MAX_WINDOWS, and whether a
 * slot may open now. A re-seat (a key moved home from a wrong slot) opens
 * its slot the same way, in a window of its own with no loan. What a closing window means for its loan is
 * hwevents.c's (kc_hwevents_not_taken). */
#include "controller/windows.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/reply.h"
#include "controller/rules.h"
#include "hw/hw.h"

static int slot_index(struct kc_ctl *ctl, const char *slot)
{
	return ctl->hw ? hw_slot_find(ctl->hw, slot) : -1;
}

bool kc_windows_usable(struct kc_ctl *ctl, enum kc_slot_use use, const char *key, const char *slot,
		       struct kc_decision *d)
{
	struct kc_slot_facts f = { 0 };
	struct hw_slot_state s;
	int i;

	if (!ctl->hw)
		return kc_rules_slot_usable(use, key, slot, ctl->nwindows, NULL, d);
	i = hw_slot_find(ctl->hw, slot);
	f.in_file = i >= 0;
	if (f.in_file) {
		f.fault = hw_slot_state(ctl->hw, i, &s) < 0 || s.presence == HW_PRESENCE_FAULT;
		f.lock_on = !f.fault && s.lock_on;
		f.unknown = !f.fault && s.presence == HW_PRESENCE_UNKNOWN;
		f.empty = !f.fault && s.presence == HW_PRESENCE_ABSENT;
	}
	return kc_rules_slot_usable(use, key, slot, ctl->nwindows, &f, d);
}

void kc_windows_slot_facts(struct kc_ctl *ctl, const char *slot, struct kc_release_facts *f)
{
	struct hw_slot_state s;

	f->open_windows = ctl->nwindows;
	f->hw = ctl->hw != NULL;
	f->slot_index = ctl->hw ? hw_slot_find_state(ctl->hw, slot, &s) : -1;
	memset(&f->slot, 0, sizeof(f->slot));
	f->slot.in_file = f->slot_index >= 0;
	if (f->slot.in_file) {
		f->slot.fault = s.presence == HW_PRESENCE_FAULT;
		f->slot.lock_on = !f->slot.fault && s.lock_on;
		f->slot.unknown = !f->slot.fault && s.presence == HW_PRESENCE_UNKNOWN;
		f->slot.empty = !f->slot.fault && s.presence == HW_PRESENCE_ABSENT;
	}
}

/* -ENOSPC when KC_MAX_WINDOWS are open: a release checks that before it
 * is granted (kc_windows_usable). The window of slot, at index in the
 * cabinet file. */
static int window_add_at(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
			 int index, int64_t close_mono, bool reseat)
{
	struct kc_window *w;

	if (ctl->nwindows >= KC_MAX_WINDOWS)
		return -ENOSPC;
	w = &ctl->windows[ctl->nwindows++];
	memset(w, 0, sizeof(*w));
	w->loan = loan;
	kc_strlcpy(w->key, key, sizeof(w->key));
	kc_strlcpy(w->slot, slot, sizeof(w->slot));
	w->slot_index = index;
	w->close_mono = close_mono;
	w->reseat = reseat;
	return 0;
}

static int window_add(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		      int64_t close_mono, bool reseat)
{
	return window_add_at(ctl, loan, key, slot, slot_index(ctl, slot), close_mono, reseat);
}

void kc_windows_del(struct kc_ctl *ctl, int64_t loan)
{
	for (int i = 0; i < ctl->nwindows; i++)
		if (!ctl->windows[i].reseat && !ctl->windows[i].intake && ctl->windows[i].loan == loan) {
			ctl->windows[i] = ctl->windows[--ctl->nwindows];
			return;
		}
}

/* Opens slot, at index i in the cabinet file (-1: not in it). */
static int open_at(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot, int i,
		   bool reseat, char *err, size_t errlen)
{
	int64_t w = ctl->conf->release_window_ms;
	int r;

	if (ctl->nwindows >= KC_MAX_WINDOWS) {
		snprintf(err, errlen, "%d releases are open at once", KC_MAX_WINDOWS);
		return -ENOSPC;
	}
	if (ctl->hw) {
		if (i < 0) {
			snprintf(err, errlen, "no slot %s in the cabinet file", slot);
			return -ENOENT;
		}
		r = hw_cabinet_open(ctl->hw, i, (unsigned)w);
		if (r < 0) {
			snprintf(err, errlen, "slot %s did not open: %s", slot,
				 r == -EIO ? "its board is not answering"
				 : r == -EBUSY ? "a pulse is under way on it"
				 : r == -ERANGE ? "the release window is above the cabinet's pulse_max_ms"
						: strerror(-r));
			return r;
		}
	}
	return window_add_at(ctl, loan, key, slot, i, kc_mono_ms() + w + ctl->conf->release_grace_ms,
			     reseat);
}

static int open_slot(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		     bool reseat, char *err, size_t errlen)
{
	return open_at(ctl, loan, key, slot, slot_index(ctl, slot), reseat, err, errlen);
}

int kc_windows_open_at(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		       int index, char *err, size_t errlen)
{
	return open_at(ctl, loan, key, slot, index, false, err, errlen);
}

int kc_windows_open(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		    char *err, size_t errlen)
{
	return open_slot(ctl, loan, key, slot, false, err, errlen);
}

int kc_windows_open_reseat(struct kc_ctl *ctl, const char *key, const char *slot, char *err,
			   size_t errlen)
{
	return open_slot(ctl, 0, key, slot, true, err, errlen);
}

int kc_windows_open_intake(struct kc_ctl *ctl, const char *slot, char *err, size_t errlen)
{
	int r = open_slot(ctl, 0, "", slot, false, err, errlen);

	if (r == 0)
		ctl->windows[ctl->nwindows - 1].intake = true;
	return r;
}

bool kc_windows_reseat_take(struct kc_ctl *ctl, const char *slot, const char *key)
{
	for (int i = 0; i < ctl->nwindows; i++) {
		struct kc_window *w = &ctl->windows[i];

		if (w->reseat && strcmp(w->slot, slot) == 0 && strcmp(w->key, key) == 0) {
			*w = ctl->windows[--ctl->nwindows];
			return true;
		}
	}
	return false;
}

void kc_windows_watch(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot)
{
	if (window_add(ctl, loan, key, slot, kc_mono_ms() + ctl->conf->release_grace_ms, false) < 0)
		kc_err("loan %lld stays granted until keycabd starts again: %d releases are open",
		       (long long)loan, KC_MAX_WINDOWS);
}

int kc_windows_recover(struct kc_ctl *ctl)
{
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT l.id, l.key, k.slot FROM loans l JOIN keys k ON k.code = l.key"
				     " WHERE l.state = 'granted'",
				     "");
	int n = 0;

	if (!s)
		return -EIO;
	/* The locks went off at start; these windows only wait for the first
	 * scan to say whether each key left during the window. */
	while (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *slot = sqlite3_column_text(s, 2);

		if (window_add(ctl, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			       slot ? (const char *)slot : "",
			       kc_mono_ms() + ctl->conf->release_grace_ms + 1500, false) < 0)
			break; /* more than ever open at once: the rest wait for the next start */
		n++;
	}
	sqlite3_reset(s);
	return n;
}

void kc_windows_lock_off(struct kc_ctl *ctl, int slot_index)
{
	for (int i = 0; i < ctl->nwindows; i++)
		if (ctl->windows[i].slot_index == slot_index)
			ctl->windows[i].lock_off = true;
}

bool kc_windows_take_due(struct kc_ctl *ctl, int64_t now_mono, struct kc_window *out,
			 int64_t *next_ms)
{
	for (int i = 0; i < ctl->nwindows; i++) {
		struct kc_window *w = &ctl->windows[i];

		if (now_mono >= w->close_mono) {
			*out = *w;
			*w = ctl->windows[--ctl->nwindows];
			return true;
		}
		if (w->close_mono - now_mono < *next_ms)
			*next_ms = w->close_mono - now_mono;
	}
	return false;
}

void kc_windows_save(const struct kc_ctl *ctl, struct kc_windows_saved *out)
{
	out->n = ctl->nwindows;
	memcpy(out->w, ctl->windows, sizeof(out->w[0]) * (size_t)ctl->nwindows);
}

void kc_windows_restore(struct kc_ctl *ctl, const struct kc_windows_saved *saved)
{
	ctl->nwindows = saved->n;
	memcpy(ctl->windows, saved->w, sizeof(saved->w[0]) * (size_t)saved->n);
}
