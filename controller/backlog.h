/* Changes the database could not take when they happened: sensor changes
 * and board faults (hwevents.c), and release windows that closed
 * (windows.c, scans.c). While the disk takes no writes (full, read-only,
 * failing) they wait in memory, in the order they happened, behind the
 * first that could not be written; they are written in that order, each
 * at the time it happened, once the database takes writes again. What
 * the slots read stays the truth meanwhile (`slots`, `status`). */
#ifndef KC_CTL_BACKLOG_H
#define KC_CTL_BACKLOG_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/ctl.h"

struct kc_slot_event;

/* Sensor changes kept at most; past this one is not kept, and every slot
 * is read again (as at a start) once the rest is written. */
#define KC_BACKLOG_MAX 4096
/* How often the waiting changes are tried again (and a failing disk
 * probed); at once after any other write went through. */
#define KC_BACKLOG_RETRY_MS 1000
/* Changes written at most in one go, before the loop reads the socket
 * and the hardware again. */
#define KC_BACKLOG_BATCH 64
/* At the stop, what waits is written for at most this long (the service
 * manager's stop timeout is 20 s). */
#define KC_BACKLOG_STOP_MS 5000

/* A hardware event (not LOCK_OFF), recorded now or, when changes wait or
 * the database takes no writes, kept behind them. */
void kc_backlog_hw(struct kc_ctl *ctl, const struct kc_slot_event *e);
/* A release window that closed (empty: its slot read empty then), the
 * same way. */
void kc_backlog_window(struct kc_ctl *ctl, const struct kc_window *w, bool empty);
/* Changes waiting to be written. */
int kc_backlog_pending(const struct kc_ctl *ctl);
/* From the loop: writes what waits when it is time, probes a disk that
 * failed while nothing waits, and says when the disk's state changes
 * (the log, the service manager's status, a push to subscribers).
 * Returns the ms until it is to run again. */
int64_t kc_backlog_tick(struct kc_ctl *ctl);
/* The status reply's "storage": state (ok, full, read_only, error),
 * pending, since, detail, and message ({code, params}; null when ok and
 * nothing waits). */
json_t *kc_backlog_storage(struct kc_ctl *ctl);
/* At the stop: what waits written while the disk takes it (for
 * KC_BACKLOG_STOP_MS at most), a warning for what is still not written,
 * and the memory freed. */
void kc_backlog_free(struct kc_ctl *ctl);

#endif
