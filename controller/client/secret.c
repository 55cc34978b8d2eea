/* Secrets at the cabinet: read without echo or from stdin, wiped after. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include "common/util.h"
#include "controller/client/client.h"

int kc_secret_read(const char *prompt, bool from_stdin, char *buf, size_t len)
{
	struct termios old, quiet;
	FILE *in = stdin;
	bool tty = false;
	bool got;

	if (!from_stdin) {
		in = fopen("/dev/tty", "r+e");
		if (!in)
			return -ENXIO;
		tty = tcgetattr(fileno(in), &old) == 0;
		if (tty) {
			quiet = old;
			quiet.c_lflag &= (tcflag_t) ~ECHO;
			tcsetattr(fileno(in), TCSAFLUSH, &quiet);
		}
		fprintf(stderr, "%s: ", prompt);
	}
	got = fgets(buf, (int)len, in) != NULL;
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		if (got)
			fputc('\n', stderr);
	}
	if (in != stdin)
		fclose(in);
	if (!got)
		return -ENODATA;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

void kc_secret_wipe_request(json_t *req)
{
	static const char *const secret[] = { "pin", "card", "id_number", "approver_pin" };

	for (size_t i = 0; i < KC_ARRAY_SIZE(secret); i++) {
		json_t *v = json_object_get(req, secret[i]);

		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
}
