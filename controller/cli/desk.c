/* keycab at the cabinet: logins, releases, collections, approvals, IDs
 * held, inspections, handovers, alarms. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/cli/cli.h"
#include "controller/conf.h"

int cli_desk_login(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op), *rep;

	if (cli_opts_get(o, "card-stdin")) {
		json_object_set_new(req, "card", json_string(cli_call_secret("card", true)));
	} else {
		json_object_set_new(req, "person",
				    json_string(cli_opts_pos(o, 0, "the person's code")));
		json_object_set_new(req, "pin", json_string(cli_call_secret(
							"PIN", cli_opts_get(o, "pin-stdin") != NULL)));
	}
	rep = cli_call_ok(req);
	if (cli_opts_get(o, "print-token")) {
		printf("%s\n", cli_call_str(rep, "session"));
		json_decref(rep);
		return 0;
	}
	cli_session_save(cli_call_str(rep, "session"));
	if (cli_json) {
		json_object_del(rep, "session");
		cli_call_print_json(rep);
	} else {
		printf(cli_tr("logged in: %s (%s, %s); the session ends after %lld s idle\n"),
		       cli_call_str(rep, "person"), cli_call_str(rep, "name"),
		       cli_word("role", cli_call_str(rep, "role")),
		       cli_call_int(rep, "idle_timeout_s"));
	}
	json_decref(rep);
	return 0;
}

int cli_desk_logout(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	char path[300];
	json_t *rep;

	(void)o;
	rep = cli_call(cli_call_req(cmd->op));
	if (!getenv("KEYCAB_SESSION")) {
		cli_session_path(path, sizeof(path), false);
		unlink(path);
	}
	cli_call_check(rep);
	printf("%s\n", cli_tr("logged out"));
	json_decref(rep);
	return 0;
}

/* whoami and ping */
int cli_desk_whoami(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *rep = cli_call_ok(cli_call_req(cmd->op));

	(void)o;
	if (cli_json || strcmp(cmd->name, "whoami") == 0)
		cli_call_print_json(rep);
	else
		printf("%s\n", cli_tr("keycabd answers"));
	json_decref(rep);
	return 0;
}

static void desk_print_release(json_t *rep)
{
	char due[64];

	cli_table_cell(due, sizeof(due), "due", json_object_get(rep, "due"));
	printf(cli_tr("GRANTED: key %s, loan %lld to %s (%s); slot %s opens for %lld s"),
	       cli_call_str(rep, "key"), cli_call_int(rep, "loan"), cli_call_str(rep, "borrower"),
	       cli_word("purpose", cli_call_str(rep, "purpose")),
	       cli_call_str(rep, "slot"), cli_call_int(rep, "window_ms") / 1000);
	if (strcmp(due, "-") != 0)
		printf(cli_tr("; due back %s"), due);
	printf("\n");
	if (json_object_get(rep, "id_held"))
		printf(cli_tr("  ID held at the desk: %s\n"), cli_call_str(rep, "id_held"));
	if (json_object_get(rep, "approval"))
		printf(cli_tr("  manager's approval %lld used\n"), cli_call_int(rep, "approval"));
}

static void desk_release_numbers(json_t *req, const struct cli_opts *o)
{
	const char *v;

	if ((v = cli_opts_get(o, "letter")))
		json_object_set_new(req, "letter", json_integer(cli_opts_int(v, "--letter")));
	if ((v = cli_opts_get(o, "approval")))
		json_object_set_new(req, "approval", json_integer(cli_opts_int(v, "--approval")));
	if ((v = cli_opts_get(o, "due-in"))) {
		int64_t ms;

		if (kc_parse_duration(v, 1000, 366LL * 86400000, &ms) < 0)
			cli_die_usage("--due-in must be a duration like 90m, 4h or 2d");
		json_object_set_new(req, "due_in_s", json_integer(ms / 1000));
	}
}

/* Times typed at the desk (--due, --from, --to, --at, --start, --end) go
 * to keycabd as typed: keycabd reads them in the cabinet's zone and
 * refuses what is no time with its message. */
int cli_desk_release(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	static const char *const strs[][2] = {
		{ "purpose", "purpose" },     { "borrower", "borrower" }, { "contact", "contact" },
		{ "signature", "signature" }, { "id-type", "id_type" },	  { "work-order", "work_order" },
		{ "due", "due" },	      { "approver", "approver" },
	};
	json_t *req = cli_call_req(cmd->op), *rep;

	json_object_set_new(req, "key", json_string(cli_opts_pos(o, 0, "the key's code")));
	if (!cli_opts_get(o, "purpose"))
		cli_die_usage("--purpose is needed: borrow, inspection, repair or emergency");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		cli_opts_set(req, o, strs[i][0], strs[i][1]);
	desk_release_numbers(req, o);
	if (cli_opts_get(o, "id-stdin") || (cli_opts_get(o, "id-type") && isatty(STDIN_FILENO)))
		json_object_set_new(req, "id_number",
				    json_string(cli_call_secret("borrower's ID number",
								cli_opts_get(o, "id-stdin") != NULL)));
	if (cli_opts_get(o, "approver"))
		json_object_set_new(req, "approver_pin",
				    json_string(cli_call_secret(
					    "manager's PIN", cli_opts_get(o, "approver-pin-stdin") != NULL)));
	rep = cli_call_ok(req);
	if (cli_json)
		cli_call_print_json(rep);
	else
		desk_print_release(rep);
	json_decref(rep);
	return 0;
}

int cli_desk_collect(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op), *rep;

	json_object_set_new(req, "key", json_string(cli_opts_pos(o, 0, "the key's code")));
	cli_opts_set(req, o, "signature", "signature");
	json_object_set_new(req, "id_number",
			    json_string(cli_call_secret("owner's ID number",
							cli_opts_get(o, "id-stdin") != NULL)));
	rep = cli_call_ok(req);
	if (cli_json) {
		cli_call_print_json(rep);
	} else {
		desk_print_release(rep);
		fputs(cli_tr("  the entrustment closes when the owner takes the key\n"), stdout);
	}
	json_decref(rep);
	return 0;
}

int cli_desk_approve(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op), *rep;
	char from[64], to[64];
	int64_t ms;

	json_object_set_new(req, "key", json_string(cli_opts_pos(o, 0, "the key's code")));
	if (!cli_opts_get(o, "for") ||
	    kc_parse_duration(cli_opts_get(o, "for"), 1000, 86400000, &ms) < 0)
		cli_die_usage("--for is needed: how long the approval holds, 1s to 24h (e.g. 30m)");
	json_object_set_new(req, "valid_for_s", json_integer(ms / 1000));
	cli_opts_set(req, o, "from", "valid_from");
	rep = cli_call_ok(req);
	if (cli_json) {
		cli_call_print_json(rep);
	} else {
		cli_table_cell(from, sizeof(from), "due", json_object_get(rep, "valid_from"));
		cli_table_cell(to, sizeof(to), "due", json_object_get(rep, "valid_to"));
		printf(cli_tr("approval %lld for key %s: valid from %s to %s\n"), cli_call_int(rep, "approval"),
		       o->pos[0], from, to);
	}
	json_decref(rep);
	return 0;
}

int cli_desk_id(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req, *rep;

	if (o->npos < 2 || strcmp(o->pos[0], "release") != 0)
		cli_die_usage("usage: keycab id release LOAN");
	req = cli_call_req(cmd->op);
	json_object_set_new(req, "loan", json_integer(cli_opts_int(o->pos[1], "LOAN")));
	rep = cli_call_ok(req);
	if (cli_json)
		cli_call_print_json(rep);
	else
		printf(cli_tr("ID %s (%s) of %s given back (loan %lld)\n"), cli_call_str(rep, "id_masked"),
		       cli_word("id_type", cli_call_str(rep, "id_type")), cli_call_str(rep, "person"), cli_call_int(rep, "loan"));
	json_decref(rep);
	return 0;
}

int cli_desk_inspect(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op);

	json_object_set_new(req, "loan",
			    json_integer(cli_opts_int(cli_opts_pos(o, 0, "LOAN"), "LOAN")));
	if (!cli_opts_get(o, "result"))
		cli_die_usage("--result is needed: ok or problems");
	cli_opts_set(req, o, "result", "result");
	cli_opts_set(req, o, "problems", "problems");
	cli_opts_set(req, o, "forwarded-to", "forwarded_to");
	return cli_call_simple(req, "inspection recorded", NULL);
}

static void desk_print_sheet(json_t *rep)
{
	printf(cli_tr("handover %lld by %s\n"), cli_call_int(rep, "handover"), cli_call_str(rep, "outgoing"));
	fputs(cli_tr("-- keys out --\n"), stdout);
	cli_table_print(json_object_get(rep, "keys_out"), "(none)");
	fputs(cli_tr("-- IDs held --\n"), stdout);
	cli_table_print(json_object_get(rep, "ids_held"), "(none)");
	fputs(cli_tr("-- open alarms --\n"), stdout);
	cli_table_print(json_object_get(rep, "alarms"), "(none)");
}

int cli_desk_handover(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req, *rep;

	if (o->npos < 1)
		cli_die_usage("usage: keycab handover start | confirm N | review N");
	if (strcmp(o->pos[0], "start") == 0) {
		rep = cli_call_ok(cli_call_req(cmd->op));
		if (cli_json)
			cli_call_print_json(rep);
		else
			desk_print_sheet(rep);
		json_decref(rep);
		return 0;
	}
	if (strcmp(o->pos[0], "confirm") == 0 || strcmp(o->pos[0], "review") == 0) {
		bool review = strcmp(o->pos[0], "review") == 0;

		req = cli_call_req(cmd->op);
		json_object_set_new(req, "handover",
				    json_integer(cli_opts_int(cli_opts_pos(o, 1, "N"), "N")));
		return cli_call_simple(
			req, review ? "handover reviewed and signed:" : "handover confirmed:", "handover");
	}
	cli_die_usage("usage: keycab handover start | confirm N | review N");
}

int cli_desk_alarm(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req, *rep;

	if (o->npos == 2 && strcmp(o->pos[0], "reseat") == 0) {
		/* rule 9: open the wrong slot the key of alarm N sits in, to move it home */
		req = cli_call_req(cmd->op);
		json_object_set_new(req, "alarm", json_integer(cli_opts_int(o->pos[1], "N")));
		rep = cli_call_ok(req);
		if (cli_json)
			cli_call_print_json(rep);
		else
			printf(cli_tr("slot %s open: take key %s out and put it in its slot %s\n"),
			       cli_call_str(rep, "slot"), cli_call_str(rep, "key"),
			       cli_call_str(rep, "home_slot"));
		json_decref(rep);
		return 0;
	}
	if (o->npos < 2 || strcmp(o->pos[0], "clear") != 0)
		cli_die_usage("usage: keycab alarm clear N --note TEXT | alarm reseat N");
	req = cli_call_req(cmd->op);
	json_object_set_new(req, "alarm", json_integer(cli_opts_int(o->pos[1], "N")));
	cli_opts_set(req, o, "note", "note");
	return cli_call_simple(req, "alarm cleared", NULL);
}
