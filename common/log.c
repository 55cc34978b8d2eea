#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *log_prog = "keycab";
static int log_max = LOG_INFO;
static int log_journal = -1;

void kc_log_init(const char *progname)
{
	const char *lvl = getenv("KEYCAB_LOG_LEVEL");

	if (progname)
		log_prog = progname;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (lvl && lvl[0] >= '0' && lvl[0] <= '7' && lvl[1] == '\0')
		log_max = lvl[0] - '0';
}

void kc_log_set_level(int max_priority)
{
	log_max = max_priority;
}

void kc_log(int priority, const char *fmt, ...)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	char line[1024];
	va_list ap;

	if (priority > log_max)
		return;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", priority & 7, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, names[priority & 7], line);
}
