/* keycab's administration: imports, people, entrustments, letters, unit
 * vacancy; and the test clock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"
#include "controller/csv.h"

int cli_admin_import(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req, *rows, *rep, *rej, *v;
	char err[512];
	size_t i;

	if (o->npos != 2)
		cli_die_usage("usage: keycab import sites|units|owners|keys FILE.csv");
	rows = kc_csv_read(o->pos[1], err, sizeof(err));
	if (!rows)
		cli_die("%s", err);
	req = json_pack("{s:s, s:s, s:o}", "op", cmd->op, "table", o->pos[0], "rows", rows);
	rep = cli_call_ok(req);
	rej = json_object_get(rep, "rejected");
	if (cli_json) {
		cli_call_print_json(rep);
	} else {
		printf(cli_tr("%s: %lld %s added, %zu rejected\n"), o->pos[1],
		       cli_call_int(rep, "added"), o->pos[0], json_array_size(rej));
		json_array_foreach(rej, i, v) {
			char why[512];

			/* a row's reason: rendered from its code, else as sent */
			if (cli_lang == KC_LANG_EN ||
			    kc_msg_render_reply(v, cli_lang, why, sizeof(why)) == -ENOENT)
				snprintf(why, sizeof(why), "%s",
					 cli_call_str(v, "reason") ? cli_call_str(v, "reason") : "");
			printf("  %s:%lld: %s\n", o->pos[1], cli_call_int(v, "line"), why);
		}
	}
	i = json_array_size(rej);
	json_decref(rep);
	/* Rejected rows are a partial failure the operator must see. */
	return i > 0 ? CLI_EXIT_ERROR : 0;
}

int cli_admin_person(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req;

	if (o->npos != 2 || strcmp(o->pos[0], "add") != 0)
		cli_die_usage("usage: keycab person add CODE --name NAME --role ROLE [--department D] [--pin-stdin] [--card-stdin]");
	req = cli_call_req(cmd->op);
	json_object_set_new(req, "code", json_string(o->pos[1]));
	cli_opts_set(req, o, "name", "name");
	cli_opts_set(req, o, "role", "role");
	cli_opts_set(req, o, "phone", "phone");
	cli_opts_set(req, o, "department", "department");
	if (cli_opts_get(o, "pin-stdin") || !cli_opts_get(o, "card-stdin"))
		json_object_set_new(req, "pin", json_string(cli_call_secret(
							"new PIN", cli_opts_get(o, "pin-stdin") != NULL)));
	if (cli_opts_get(o, "card-stdin"))
		json_object_set_new(req, "card", json_string(cli_call_secret("card", true)));
	return cli_call_simple(req, "person added", NULL);
}

int cli_admin_entrust(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op);

	json_object_set_new(req, "key", json_string(cli_opts_pos(o, 0, "the key's code")));
	cli_opts_set(req, o, "owner", "owner");
	cli_opts_set(req, o, "start", "start");
	cli_opts_set(req, o, "end", "end");
	return cli_call_simple(req, "entrustment registered:", "entrustment");
}

static int admin_letter_file(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op);

	json_object_set_new(req, "entrustment",
			    json_integer(cli_opts_int(o->pos[1], "ENTRUSTMENT")));
	cli_opts_set(req, o, "borrower", "borrower");
	cli_opts_set(req, o, "id-type", "id_type");
	cli_opts_set(req, o, "from", "valid_from");
	cli_opts_set(req, o, "to", "valid_to");
	cli_opts_set(req, o, "ref", "reference");
	json_object_set_new(req, "id_number",
			    json_string(cli_call_secret("borrower's ID number",
							cli_opts_get(o, "id-stdin") != NULL)));
	return cli_call_simple(req, "letter filed:", "letter");
}

int cli_admin_letter(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req;

	if (o->npos == 2 && strcmp(o->pos[0], "file") == 0)
		return admin_letter_file(cmd, o);
	if (o->npos == 2 && strcmp(o->pos[0], "confirm") == 0) {
		req = cli_call_req(cmd->op);
		json_object_set_new(req, "letter", json_integer(cli_opts_int(o->pos[1], "LETTER")));
		cli_opts_set(req, o, "channel", "channel");
		cli_opts_set(req, o, "at", "at");
		return cli_call_simple(req, "letter confirmed with the owner:", "letter");
	}
	cli_die_usage("usage: keycab letter file ENTRUSTMENT ... | letter confirm LETTER --channel C");
}

int cli_admin_unit(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req;
	bool v;

	if (o->npos != 3 || strcmp(o->pos[0], "vacant") != 0 || kc_parse_bool(o->pos[2], &v) < 0)
		cli_die_usage("usage: keycab unit vacant UNIT yes|no");
	req = cli_call_req(cmd->op);
	json_object_set_new(req, "unit", json_string(o->pos[1]));
	json_object_set_new(req, "vacant", json_boolean(v));
	return cli_call_simple(req, "unit vacancy recorded", NULL);
}

int cli_admin_test_clock(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req, *rep;
	char now[64];
	long long s;

	if (o->npos != 2 || strcmp(o->pos[0], "advance") != 0 ||
	    kc_parse_long(o->pos[1], 0, 10LL * 365 * 86400, &s) < 0)
		cli_die_usage("usage: keycab test-clock advance SECONDS");
	req = cli_call_req(cmd->op);
	json_object_set_new(req, "advance_s", json_integer(s));
	rep = cli_call_ok(req);
	cli_table_cell(now, sizeof(now), "now", json_object_get(rep, "now"));
	printf(cli_tr("test clock now %s (offset %lld s)\n"), now, cli_call_int(rep, "offset_s"));
	json_decref(rep);
	return 0;
}
