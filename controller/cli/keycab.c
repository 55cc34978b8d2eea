/* keycab: the command line at the cabinet (controller/README.md lists the
 * commands). It sends one JSON request to keycabd's socket and shows the
 * reply. Exit codes: 0 done, 1 error, 2 usage, 3 refused by a rule.
 *
 * Secrets never come on the command line (ps shows it): PINs, cards and ID
 * numbers are read from a prompt without echo, or one line each from
 * stdin with --pin-stdin, --card-stdin, --id-stdin, --approver-pin-stdin
 * (in that order when several are given).
 *
 * A command is a line in the table below: its name, who it is for, whether
 * it goes with the operator's session, its options, its handler and its
 * help. The help is made from the table. It speaks the desk's language
 * (lang.c): LANG=zh_CN.UTF-8 gives Chinese, the command words and --json
 * stay as they are. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"
#include "controller/client/client.h"

const char *cli_socket;
bool cli_json;

static int cli_help(const struct cli_cmd *cmd, const struct cli_opts *o);

#define RELEASE_OPTS                                                                              \
	"purpose=,borrower=,contact=,signature=,letter=,id-type=,id-stdin,work-order=,due=,due-in=," \
	"approval=,approver=,approver-pin-stdin,"
#define READ(cmd, empty) { cmd, CLI_READ, true, "all,", cli_read_list, cmd, NULL, cmd, empty }

static const struct cli_cmd cli_cmds[] = {
	{ "login", CLI_DESK, false, "pin-stdin,card-stdin,print-token,", cli_desk_login,
	  "login PERSON [--pin-stdin] | login --card-stdin   [--print-token]", NULL, NULL, NULL },
	{ "logout", CLI_DESK, true, "", cli_desk_logout, "logout", NULL, NULL, NULL },
	{ "whoami", CLI_DESK, true, "", cli_desk_whoami, "whoami", NULL, NULL, NULL },
	{ "release", CLI_DESK, true, RELEASE_OPTS, cli_desk_release,
	  "release KEY --purpose borrow|inspection|repair|emergency [--borrower WHO]\n"
	  "        [--contact PHONE] [--signature REF] [--letter N] [--id-type T --id-stdin]\n"
	  "        [--work-order WO] [--due TIME | --due-in 2h] [--approval N]\n"
	  "        [--approver MANAGER --approver-pin-stdin]",
	  NULL, NULL, NULL },
	{ "collect", CLI_DESK, true, "signature=,id-stdin,", cli_desk_collect,
	  "collect KEY --signature REF [--id-stdin]", "owner collection (rule 8)", NULL, NULL },
	{ "approve", CLI_DESK, true, "for=,from=,", cli_desk_approve,
	  "approve KEY --for 30m [--from TIME]", "a manager's approval (rule 4)", NULL, NULL },
	{ "id", CLI_DESK, true, "", cli_desk_id, "id release LOAN", "give back the ID held (rule 3)",
	  NULL, NULL },
	{ "inspect", CLI_DESK, true, "result=,problems=,forwarded-to=,", cli_desk_inspect,
	  "inspect LOAN --result ok|problems [--problems TEXT --forwarded-to DEPT]", NULL, NULL, NULL },
	{ "handover", CLI_DESK, true, "", cli_desk_handover,
	  "handover start | handover confirm N | handover review N", NULL, NULL, NULL },
	{ "alarm", CLI_DESK, true, "note=,", cli_desk_alarm,
	  "alarm clear N --note TEXT | alarm reseat N",
	  "clear an alarm; reseat: open the wrong slot of alarm N's key to move it home", NULL,
	  NULL },
	{ "status", CLI_READ, true, "all,", cli_read_status, "status", NULL, NULL, NULL },
	READ("keys", "no keys"),
	READ("slots", "no slots"),
	{ "loans", CLI_READ, true, "all,", cli_read_list, "loans [--all]", NULL, "loans",
	  "no loans open" },
	READ("ids", "no IDs held"),
	{ "alarms", CLI_READ, true, "all,", cli_read_list, "alarms [--all]", NULL, "alarms",
	  "no open alarms" },
	READ("entrustments", "no entrustments"),
	READ("letters", "no letters"),
	READ("people", "nobody on the roll"),
	READ("handovers", "no handovers"),
	READ("notices", "no notices"),
	READ("approvals", "no approvals"),
	{ "import", CLI_ADMIN, true, "", cli_admin_import, "import sites|units|owners|keys FILE.csv",
	  NULL, NULL, NULL },
	{ "person", CLI_ADMIN, true, "name=,role=,phone=,pin-stdin,card-stdin,", cli_admin_person,
	  "person add CODE --name NAME --role staff|engineer|manager|supervisor\n"
	  "        [--phone P] [--pin-stdin] [--card-stdin]",
	  NULL, NULL, NULL },
	{ "entrust", CLI_ADMIN, true, "owner=,start=,end=,", cli_admin_entrust,
	  "entrust KEY --owner OWNER --end DATE [--start DATE]", NULL, NULL, NULL },
	{ "letter", CLI_ADMIN, true, "borrower=,id-type=,id-stdin,from=,to=,ref=,channel=,at=,",
	  cli_admin_letter,
	  "letter file ENTRUSTMENT --borrower NAME --id-type T [--id-stdin] --to DATE\n"
	  "        [--from DATE] --ref REF\n"
	  "letter confirm LETTER --channel phone|in_person|wechat|sms [--at TIME]",
	  NULL, NULL, NULL },
	{ "unit", CLI_ADMIN, true, "", cli_admin_unit, "unit vacant UNIT yes|no", NULL, NULL, NULL },
	{ "ping", CLI_HIDDEN, false, "", cli_desk_whoami, NULL, NULL, NULL, NULL },
	{ "test-clock", CLI_HIDDEN, true, "", cli_admin_test_clock, NULL, NULL, NULL, NULL },
	{ "help", CLI_HIDDEN, true, NULL, cli_help, NULL, NULL, NULL, NULL },
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

static const struct cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

/* The one dispatcher: the command's options parsed by its spec, its
 * session policy set, its handler run. */
static int cli_run(const char *name, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find(name);
	struct cli_opts o;

	if (!cmd)
		cli_die_usage("unknown command \"%s\"", name);
	if (cmd->spec)
		cli_opts_parse(&o, argc, argv, cmd->spec);
	else
		memset(&o, 0, sizeof(o));
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
