/* Logging for the daemons and tools: lines to stderr, with a "<N>"
 * priority prefix when stderr goes to journald (JOURNAL_STREAM is set), so
 * journald keeps the priority. Libraries do not log; they return errors. */
#ifndef KC_LOG_H
#define KC_LOG_H
#include <syslog.h>

void kc_log_init(const char *progname);
void kc_log_set_level(int max_priority);
void kc_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kc_err(...) kc_log(LOG_ERR, __VA_ARGS__)
#define kc_warn(...) kc_log(LOG_WARNING, __VA_ARGS__)
#define kc_notice(...) kc_log(LOG_NOTICE, __VA_ARGS__)
#define kc_info(...) kc_log(LOG_INFO, __VA_ARGS__)
#define kc_debug(...) kc_log(LOG_DEBUG, __VA_ARGS__)

#endif
