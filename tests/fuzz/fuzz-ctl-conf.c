/* keycabd's configuration (controller/conf.c): kc_ctl_conf_load over
 * the defaults, from a file holding the input; and kc_parse_duration on
 * each line of it. A refusal names the file; a loaded configuration keeps
 * the cross-checks the loader promises. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/conf.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_ctl_conf c;
	const char *path = fz_file(data, size);
	char err[512], *text, *line, *nl;
	int r;

	if (!path)
		return 0;
	kc_ctl_conf_defaults(&c);
	err[0] = '\0';
	r = kc_ctl_conf_load(&c, path, err, sizeof(err));
	if (r < 0) {
		if (strncmp(err, path, strlen(path)) != 0)
			abort();
	} else {
		if (c.lockout_max_ms < c.lockout_base_ms ||
		    c.audit_backoff_max_ms < c.audit_backoff_min_ms ||
		    (c.audit_url[0] && !c.audit_token_file[0]))
			abort();
		if (!memchr(c.socket_path, '\0', sizeof(c.socket_path)) ||
		    !memchr(c.db_path, '\0', sizeof(c.db_path)) ||
		    !memchr(c.cabinet_file, '\0', sizeof(c.cabinet_file)))
			abort();
	}
	text = fz_strndup(data, size);
	for (line = text; line; line = nl ? nl + 1 : NULL) {
		int64_t ms = -1;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';

		r = kc_parse_duration(line, 0, INT64_MAX / 2, &ms);
		if (r == 0 && ms < 0)
			abort();
	}
	free(text);
	return 0;
}
