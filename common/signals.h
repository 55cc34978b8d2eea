/* Signals for a poll() loop: the ones that ask a program to stop are
 * blocked and read from a signalfd, so every way out goes through the
 * program's own clean-up (for keycab: every lock off). */
#ifndef KC_SIGNALS_H
#define KC_SIGNALS_H
#include <stdbool.h>

/* Blocks SIGTERM, SIGINT, SIGHUP and SIGQUIT in the calling thread (call
 * it before starting threads, which inherit the mask) and returns a
 * non-blocking signalfd for them, or -errno. With pipe_stops, SIGPIPE is
 * one of them (a tool whose reader went away stops cleanly); otherwise it
 * is ignored (a daemon goes on when a client hangs up). */
int kc_signalfd_open(bool pipe_stops);

#endif
