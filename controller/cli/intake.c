/* keycab's side of taking keys in: a free slot opened for a new key
 * (intake open), the key in it registered (intake enrol), an entrustment
 * extended or ended early (entrustment extend|end). */
#include <string.h>

#include "controller/cli/cli.h"

static int intake_enrol(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req = cli_call_req(cmd->op);

	json_object_set_new(req, "slot", json_string(o->pos[1]));
	cli_opts_set(req, o, "kind", "kind");
	cli_opts_set(req, o, "unit", "unit");
	cli_opts_set(req, o, "owner-name", "owner_name");
	cli_opts_set(req, o, "owner-phone", "owner_phone");
	cli_opts_set(req, o, "id-type", "id_type");
	cli_opts_set(req, o, "start", "start");
	cli_opts_set(req, o, "end", "end");
	if (cli_opts_get(o, "owner-name"))
		json_object_set_new(req, "id_number",
				    json_string(cli_call_secret("owner's ID number", cli_opts_get(o, "id-stdin") != NULL)));
	return cli_call_simple(req, "key registered:", "key");
}

int cli_admin_intake(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req;

	if (strcmp(cmd->op, "intake.open") == 0 && o->npos == 1)
		return cli_call_simple(cli_call_req(cmd->op), "slot opened for a new key:", "slot");
	if (strcmp(cmd->op, "intake.enrol") == 0 && o->npos == 2)
		return intake_enrol(cmd, o);
	if (strncmp(cmd->op, "entrust.", 8) == 0 && o->npos == 2) {
		req = cli_call_req(cmd->op);
		json_object_set_new(req, "entrustment", json_integer(cli_opts_int(o->pos[1], "N")));
		cli_opts_set(req, o, "end", "end");
		return cli_call_simple(req, "entrustment changed:", "entrustment");
	}
	cli_die_usage("usage: keycab intake open | intake enrol SLOT ... | entrustment extend|end N");
}
