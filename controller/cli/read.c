/* keycab's reads: a list as a table (op and the reply's list named in the
 * command table), and the cabinet's status. */
#include <errno.h>
#include <stdio.h>

#include "controller/cli/cli.h"

int cli_read_list(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op), *rep;

	if (cli_opts_get(o, "all"))
		json_object_set_new(req, "all", json_true());
	rep = cli_call_ok(req);
	if (cli_json)
		cli_call_print_json(rep);
	else
		cli_table_print(json_object_get(rep, cmd->op), cmd->empty);
	json_decref(rep);
	return 0;
}

static void read_print_link(const json_t *f)
{
	printf(cli_tr("audit link: %s%s%s; %lld pending, last acknowledged %lld%s%s\n"),
	       cli_word("link", cli_call_str(f, "state")), json_string_length(json_object_get(f, "reason")) ? " " : "",
	       cli_call_str(f, "reason"), cli_call_int(f, "pending"), cli_call_int(f, "last_acked_seq"),
	       json_string_length(json_object_get(f, "last_error")) ? cli_tr("; last error: ") : "",
	       cli_call_str(f, "last_error"));
	/* what the desk should know beyond the state: the office behind */
	if (json_is_object(json_object_get(f, "message"))) {
		char text[1024];

		cli_table_cell(text, sizeof(text), "message", json_object_get(f, "message"));
		printf("  %s\n", text);
	}
}

/* The estate feed from the office, as keycab-forward last reported it. */
static void read_print_feed(const json_t *f)
{
	if (!json_is_object(f))
		return;
	printf(cli_tr("estate feed: %s; position %lld, newest change at the office %lld; %lld applied, %lld refused%s%s\n"),
	       cli_word("feed", cli_call_str(f, "state")), cli_call_int(f, "position"), cli_call_int(f, "last_change"),
	       cli_call_int(f, "applied"), cli_call_int(f, "refused"),
	       json_string_length(json_object_get(f, "last_error")) ? cli_tr("; last error: ") : "",
	       cli_call_str(f, "last_error"));
}

/* The cabinet's disk: ok, or its message in the desk's language. */
static void read_print_storage(const json_t *s)
{
	const json_t *msg = json_object_get(s, "message");
	char text[512];

	if (!json_is_object(s))
		return;
	if (!json_is_object(msg)) {
		fputs(cli_tr("database disk: ok\n"), stdout);
		return;
	}
	if (kc_msg_render(msg, cli_lang, text, sizeof(text)) == -ENOENT)
		snprintf(text, sizeof(text), "%s, %lld pending", cli_call_str(s, "state"),
			 cli_call_int(s, "pending"));
	printf(cli_tr("database disk: %s\n"), text);
}

static void read_print_status(json_t *rep)
{
	printf(cli_tr("cabinet %s: %lld open alarms, %lld IDs held, last event %lld\n"),
	       cli_call_str(rep, "cabinet"), cli_call_int(rep, "open_alarms"),
	       cli_call_int(rep, "ids_held"), cli_call_int(rep, "last_seq"));
	if (json_is_object(json_object_get(rep, "forward"))) {
		read_print_link(json_object_get(rep, "forward"));
		read_print_feed(json_object_get(json_object_get(rep, "forward"), "feed"));
	}
	read_print_storage(json_object_get(rep, "storage"));
	fputs(cli_tr("-- keys --\n"), stdout);
	cli_table_print(json_object_get(rep, "keys"), "no keys");
	fputs(cli_tr("-- slots --\n"), stdout);
	cli_table_print(json_object_get(rep, "slots"), "no slots");
	if (json_array_size(json_object_get(rep, "inspections_pending")) > 0) {
		fputs(cli_tr("-- inspections to record (keycab inspect LOAN --result ...) --\n"), stdout);
		cli_table_print(json_object_get(rep, "inspections_pending"), "");
	}
}

int cli_read_status(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *rep = cli_call_ok(cli_call_req(cmd->op));

	(void)o;
	if (cli_json)
		cli_call_print_json(rep);
	else
		read_print_status(rep);
	json_decref(rep);
	return 0;
}
