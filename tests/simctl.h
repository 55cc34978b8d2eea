/* keycab-sim for the C tests and benches: start it as a child, send its
 * control socket one command (hw/sim/README.md), stop it. The Python
 * twin is tests/simctl.py. */
#ifndef KC_TESTS_SIMCTL_H
#define KC_TESTS_SIMCTL_H
#include <stddef.h>
#include <sys/types.h>

/* A free TCP port on the loopback, or -1. */
int simctl_free_port(void);
/* Starts $KEYCAB_BIN/keycab-sim (build/bin without it) on the cabinet
 * file with its control socket at ctl_path, which ends with the caller;
 * returns 0 once it answers "ping", -ETIMEDOUT after 15 s. */
int simctl_start(const char *conf_path, const char *ctl_path, pid_t *pid);
/* SIGTERM and wait; *pid becomes -1. Nothing when *pid is not positive. */
void simctl_stop(pid_t *pid);
/* One command line (printf-style, the newline added) on a connection of
 * its own; the reply without its newline goes to out (when not NULL).
 * Returns 0 for an OK reply, -EPROTO for any other, -EIO or a negative
 * errno when the socket cannot be reached, -E2BIG for a line too long. */
int simctl_cmd(const char *ctl_path, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
