/* keyauditd's configuration (service/config.c): kc_config_load over the
 * defaults, from a file holding the input, then the command line's path
 * (kc_config_set) with each "section.key=value" line of the input. A
 * refusal names what is wrong; nothing leaks either way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "service/config.h"
#include "tests/fuzz/fuzz.h"

static void set_lines(struct kc_audit_config *cfg, char *text)
{
	char err[512], *line, *nl;

	for (line = text; line; line = nl ? nl + 1 : NULL) {
		char *dot, *eq;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		dot = strchr(line, '.');
		eq = dot ? strchr(dot, '=') : NULL;
		if (!eq)
			continue;
		*dot = *eq = '\0';
		err[0] = '\0';
		if (kc_config_set(cfg, line, dot + 1, eq + 1, err, sizeof(err)) < 0 && !err[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_audit_config cfg;
	const char *path = fz_file(data, size);
	char err[512], *text;
	int r;

	if (!path)
		return 0;
	if (kc_config_defaults(&cfg) < 0)
		abort();
	err[0] = '\0';
	r = kc_config_load(&cfg, path, err, sizeof(err));
	if (r < 0 && strncmp(err, path, strlen(path)) != 0)
		abort();
	text = fz_strndup(data, size);
	set_lines(&cfg, text);
	free(text);
	kc_config_free(&cfg);
	return 0;
}
