/* keycab: the command line at the cabinet (controller/README.md lists the
 * commands). It sends one JSON request to keycabd's socket and shows the
 * reply. Exit codes: 0 done, 1 error, 2 usage, 3 refused by a rule.
 *
 * Secrets never come on the command line (ps shows it): PINs, cards and ID
 * numbers are read from a prompt without echo, or one line each from
 * stdin with --pin-stdin, --card-stdin, --id-stdin, --approver-pin-stdin
 * (in that order when several are given).
 *
 * A command is a KC_CLI line of controller/ops.def, beside the op it sends:
 * its name, who it is for, whether it goes with the operator's session,
 * its options, its handler and its help. The help is made from the table. It speaks the desk's language
 * (lang.c): LANG=zh_CN.UTF-8 gives Chinese, the command words and --json
 * stay as they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"
#include "controller/client/client.h"

static int cli_help(const struct cli_cmd *cmd, const struct cli_opts *o);

/* The commands are ops.def's KC_CLI lines; a read's note there is what its
 * table says when the list is empty, not shown in the help. */
static const struct cli_cmd cli_cmds[] = {
#define KC_CLI(op_, command, group_, login_, options, run_, form, note_)                            \
	{ .name = (command), .op = (op_), .group = CLI_##group_, .login = (login_),                  \
	  .spec = (options), .run = (run_), .synopsis = (form),                                      \
	  .note = CLI_##group_ == CLI_READ ? NULL : (note_), .empty = (note_) },
#include "controller/ops.def"
	{ .name = "help", .group = CLI_HIDDEN, .login = true, .run = cli_help },
};

static const char *const cli_group_heading[] = {
	[CLI_DESK] = "At the cabinet:",
	[CLI_READ] = "Reading (each with --json):",
	[CLI_ADMIN] = "Admin:",
};

/* The help's layout: a form under this many columns with no note shares
 * its line with its neighbours, up to a line's width. */
#define CLI_HELP_SHORT 20
#define CLI_HELP_WIDTH 80
#define CLI_HELP_NOTE_AT 48

static void cli_usage_group(FILE *f, enum cli_group g)
{
	size_t line = 0; /* columns of the line being filled; 0 for none */

	fprintf(f, "%s\n", cli_tr(cli_group_heading[g]));
	for (size_t i = 0; i < KC_ARRAY_SIZE(cli_cmds); i++) {
		const struct cli_cmd *c = &cli_cmds[i];
		size_t len;
		bool short_form;

		if (c->group != g)
			continue;
		len = strlen(c->synopsis);
		short_form = len < CLI_HELP_SHORT && !c->note;
		if (short_form && line && line + 3 + len <= CLI_HELP_WIDTH) {
			fprintf(f, " | %s", c->synopsis);
			line += 3 + len;
			continue;
		}
		if (line)
			fputc('\n', f);
		line = 0;
		if (short_form) {
			fprintf(f, "  %s", c->synopsis);
			line = 2 + len;
		} else if (c->note) {
			fprintf(f, "  %-*s %s\n", CLI_HELP_NOTE_AT, c->synopsis, cli_tr(c->note));
		} else {
			for (const char *p = c->synopsis; *p;) {
				size_t n = strcspn(p, "\n");

				fprintf(f, "  %.*s\n", (int)n, p);
				p += n + (p[n] == '\n');
			}
		}
	}
	if (line)
		fputc('\n', f);
}

static void cli_usage(FILE *f)
{
	fprintf(f, "%s\n\n", cli_tr("usage: keycab [--socket PATH] [--json] COMMAND [ARGS]"));
	for (enum cli_group g = CLI_DESK; g < CLI_HIDDEN; g++)
		cli_usage_group(f, g);
	fprintf(f,
		cli_tr("Times are the cabinet's local time (keycabd's [cabinet] time_zone): YYYY-MM-DD or\n"
		"\"YYYY-MM-DD HH:MM\"; an end date (--end, --to) holds that whole day; --json shows\n"
		"ISO times in UTC. The socket is $KEYCAB_SOCKET or\n"
		"%s; the session is $KEYCAB_SESSION or the file\n"
		"$XDG_RUNTIME_DIR/keycab/session. Exit: 0 done, 1 error, 2 usage, 3 refused.\n"),
		KC_CLIENT_SOCKET_DEFAULT);
}

static int cli_help(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	(void)cmd;
	(void)o;
	cli_usage(stdout);
	return 0;
}

/* The command's line: the one named name; of several (ops that share a
 * command), the one whose form's second word is sub, else the first. */
static const struct cli_cmd *cli_find(const char *name, const char *sub)
{
	const struct cli_cmd *first = NULL;

	for (size_t i = 0; i < KC_ARRAY_SIZE(cli_cmds); i++) {
		const struct cli_cmd *c = &cli_cmds[i];
		size_t n = strlen(name);

		if (strcmp(c->name, name) != 0)
			continue;
		if (!first)
			first = c;
		if (sub && c->synopsis && c->synopsis[n] == ' ' &&
		    strncmp(c->synopsis + n + 1, sub, strlen(sub)) == 0 &&
		    strchr(" \n", c->synopsis[n + 1 + strlen(sub)]))
			return c;
	}
	return first;
}

/* The options of every line of command name, one spec (a command
 * shared by several ops takes the options of each). */
static void cli_spec(const char *name, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < KC_ARRAY_SIZE(cli_cmds) && n < len; i++)
		if (strcmp(cli_cmds[i].name, name) == 0 && cli_cmds[i].spec)
			n += (size_t)snprintf(out + n, len - n, "%s", cli_cmds[i].spec);
}

/* The one dispatcher: the command's options parsed by its spec, its
 * line chosen by its first argument when several ops share it, its
 * session policy set, its handler run. */
static int cli_run(const char *name, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find(name, NULL);
	struct cli_opts o;
	char spec[512];

	if (!cmd)
		cli_die_usage("unknown command \"%s\"", name);
	cli_spec(name, spec, sizeof(spec));
	cli_opts_parse(&o, argc, argv, spec);
	cmd = cli_find(name, o.npos ? o.pos[0] : NULL);
	cli_call_session = cmd->login;
	return cmd->run(cmd, &o);
}
int main(int argc, char **argv)
{
	int i = 1;

	cli_lang = kc_msg_env_lang();
	cli_socket = getenv("KEYCAB_SOCKET");
	if (!cli_socket || !*cli_socket)
		cli_socket = KC_CLIENT_SOCKET_DEFAULT;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli_json = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			cli_socket = argv[++i];
		else if (strcmp(argv[i], "--help") == 0)
			return cli_help(NULL, NULL);
		else
			cli_die_usage("unknown option %s", argv[i]);
	}
	if (i >= argc) {
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_run(argv[i], argc - i - 1, argv + i + 1);
}
