/* Logging for the daemons and tools: lines to stderr, with a "<N>"
 * priority prefix when stderr goes to journald (JOURNAL_STREAM is set), so
 * journald keeps the priority. Libraries do not log; they return errors.
 * Every line is escaped before it is written (kc_log_escape), so a value
 * that came from outside (a URL, a login name, a problem text) can neither
 * start a new line nor send a terminal control sequence. */
#ifndef KC_LOG_H
#define KC_LOG_H
#include <stddef.h>
#include <syslog.h>

void kc_log_init(const char *progname);
void kc_log_set_level(int max_priority);
/* Copies in to out (outlen bytes, NUL-terminated) with every control
 * character (below 0x20, 0x7f, the C1 range) and every byte that is not
 * part of well-formed UTF-8 written as \xNN, and a backslash as \\.
 * Stops at a whole character when out is full. Returns the length. */
size_t kc_log_escape(const char *in, char *out, size_t outlen);
void kc_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kc_err(...) kc_log(LOG_ERR, __VA_ARGS__)
#define kc_warn(...) kc_log(LOG_WARNING, __VA_ARGS__)
#define kc_notice(...) kc_log(LOG_NOTICE, __VA_ARGS__)
#define kc_info(...) kc_log(LOG_INFO, __VA_ARGS__)
#define kc_debug(...) kc_log(LOG_DEBUG, __VA_ARGS__)

#endif
