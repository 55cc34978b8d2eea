/* Release windows (rule 10): the open windows of granted loans. */
#ifndef KC_CTL_WINDOWS_H
#define KC_CTL_WINDOWS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "controller/ctl.h"
#include "controller/rules.h"

/* May slot open now for use, the release of key or a re-seat (rule 10)?
 * false with the refusal added to d (kc_rules_slot_usable). */
bool kc_windows_usable(struct kc_ctl *ctl, enum kc_slot_use use, const char *key, const char *slot,
		       struct kc_decision *d);
/* Opens slot for the release window and watches it. 0, or -errno with
 * the reason in err (the slot stayed shut). */
int kc_windows_open(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		    char *err, size_t errlen);
/* Rule 10's facts of a release of the key in slot: what the hardware
 * reads of the slot (f->hw false: no hardware), its index in the cabinet
 * file (f->slot_index, -1: not in it) and the windows open. */
void kc_windows_slot_facts(struct kc_ctl *ctl, const char *slot, struct kc_release_facts *f);
/* kc_windows_open of the slot at index in the cabinet file, as
 * kc_windows_slot_facts found it. */
int kc_windows_open_at(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		       int index, char *err, size_t errlen);
/* Opens slot, where key sits in a wrong slot, for a re-seat (rule 9): a
 * window with no loan, for the release window and its grace. 0, or -errno
 * with the reason in err. */
int kc_windows_open_reseat(struct kc_ctl *ctl, const char *key, const char *slot, char *err,
			   size_t errlen);
/* Opens a free slot for a new key to go in (controller/intake.c): a
 * window with no loan and no key, for the release window. 0, or -errno
 * with the reason in err. */
int kc_windows_open_intake(struct kc_ctl *ctl, const char *slot, char *err, size_t errlen);
/* Whether a re-seat window of key is open on slot; if so it ends (the key
 * left the slot as the re-seat meant). */
bool kc_windows_reseat_take(struct kc_ctl *ctl, const char *slot, const char *key);
/* A granted loan whose slot did not open and whose grant could not be
 * undone: a window that closes at once, so the next tick decides it. */
void kc_windows_watch(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot);
/* After start: windows of loans granted before a crash, so the first
 * scan decides whether their keys were taken. The number, or -EIO. */
int kc_windows_recover(struct kc_ctl *ctl);
/* The window of loan ends (its key was taken). */
void kc_windows_del(struct kc_ctl *ctl, int64_t loan);
/* The hardware said the pulse of slot_index ended. */
void kc_windows_lock_off(struct kc_ctl *ctl, int slot_index);
/* Takes one window due to close at now_mono into out; false when none
 * is, with *next_ms lowered to the time until the next one is due. */
bool kc_windows_take_due(struct kc_ctl *ctl, int64_t now_mono, struct kc_window *out,
			 int64_t *next_ms);

/* The open windows as they stand, to put back (kc_windows_restore) when
 * a change that ended one could not be written. */
struct kc_windows_saved {
	struct kc_window w[KC_MAX_WINDOWS];
	int n;
};
void kc_windows_save(const struct kc_ctl *ctl, struct kc_windows_saved *out);
void kc_windows_restore(struct kc_ctl *ctl, const struct kc_windows_saved *saved);

#endif
