/* How keycab ends on an error: a line on stderr in the desk's language
 * and the exit code (cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/cli/cli.h"

__attribute__((format(printf, 2, 0))) static void cli_vsay(int code, const char *fmt, va_list ap)
{
	fputs(code == CLI_EXIT_ERROR ? cli_tr("keycab: error: ") : cli_tr("keycab: "), stderr);
	vfprintf(stderr, cli_tr(fmt), ap);
	fputs(code == CLI_EXIT_USAGE ? cli_tr("\n(keycab --help lists the commands)\n") : "\n", stderr);
}

void cli_die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay(CLI_EXIT_USAGE, fmt, ap);
	va_end(ap);
	exit(CLI_EXIT_USAGE);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay(CLI_EXIT_ERROR, fmt, ap);
	va_end(ap);
	exit(CLI_EXIT_ERROR);
}
