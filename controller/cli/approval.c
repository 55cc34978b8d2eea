/* keycab approval ask|cancel: a manager's approval asked for from the
 * office (controller/estate_approval.c). */
#include <string.h>

#include "controller/cli/cli.h"

int cli_desk_approval(const struct cli_cmd *cmd, const struct cli_opts *o)
{
	json_t *req;

	if (strcmp(cmd->op, "approval.ask") == 0 && o->npos == 2) {
		req = cli_call_req(cmd->op);
		json_object_set_new(req, "key", json_string(o->pos[1]));
		cli_opts_set(req, o, "manager", "manager");
		cli_opts_set(req, o, "reason", "reason");
		return cli_call_simple(req, "approval asked for, request", "request");
	}
	if (strcmp(cmd->op, "approval.cancel") == 0 && o->npos == 2) {
		req = cli_call_req(cmd->op);
		json_object_set_new(req, "request", json_integer(cli_opts_int(o->pos[1], "N")));
		return cli_call_simple(req, "approval request withdrawn:", "request");
	}
	cli_die_usage("usage: keycab approval ask KEY --manager M --reason TEXT | approval cancel N");
}
