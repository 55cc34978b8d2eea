/* keycab's command options: "--name value" or "--flag", as a command's
 * spec allows; --json anywhere. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"

/* 1 when spec names the option with a value ("name="), 0 as a flag
 * ("name,"), -1 not at all. */
static int opts_kind(const char *spec, const char *name)
{
	char want[40];
	const char *p;

	snprintf(want, sizeof(want), "%s=", name);
	p = strstr(spec, want);
	if (p && (p == spec || p[-1] == ','))
		return 1;
	snprintf(want, sizeof(want), "%s,", name);
	p = strstr(spec, want);
	return p && (p == spec || p[-1] == ',') ? 0 : -1;
}

void cli_opts_parse(struct cli_opts *o, int argc, char **argv, const char *spec)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int kind;

		if (strcmp(a, "--json") == 0) {
			cli_json = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (o->npos >= CLI_POS_MAX)
				cli_die_usage("too many arguments at \"%s\"", a);
			o->pos[o->npos++] = a;
			continue;
		}
		kind = opts_kind(spec, a + 2);
		if (kind < 0)
			cli_die_usage("unknown option %s for this command", a);
		if (o->n >= CLI_OPTS_MAX)
			cli_die_usage("too many options");
		o->names[o->n] = a + 2;
		if (kind) {
			if (i + 1 >= argc)
				cli_die_usage("%s needs a value", a);
			o->values[o->n] = argv[++i];
		} else {
			o->values[o->n] = "";
		}
		o->n++;
	}
}

const char *cli_opts_get(const struct cli_opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->names[i], name) == 0)
			return o->values[i];
	return NULL;
}

long long cli_opts_int(const char *s, const char *what)
{
	long long v;

	if (!s || kc_parse_long(s, 1, INT64_MAX, &v) < 0)
		cli_die_usage("%s must be a number (got \"%s\")", cli_tr(what), s ? s : "");
	return v;
}

const char *cli_opts_pos(const struct cli_opts *o, int i, const char *what)
{
	if (o->npos <= i)
		cli_die_usage("%s is missing", cli_tr(what));
	return o->pos[i];
}

void cli_opts_set(json_t *req, const struct cli_opts *o, const char *opt_name, const char *member)
{
	const char *v = cli_opts_get(o, opt_name);

	if (v)
		json_object_set_new(req, member, json_string(v));
}
