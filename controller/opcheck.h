/* The one check of a request against its op's spec (controller/ops.def),
 * made before any handler runs, as Redis's processCommand checks a
 * command's arity: every text's length (opcheck.c's member limits) and
 * each op's arguments (their presence and json_unpack type). */
#ifndef KC_CTL_OPCHECK_H
#define KC_CTL_OPCHECK_H
#include <jansson.h>

/* A member ops.def gives no limit holds at most this many characters. */
#define KC_MEMBER_MAX_DEFAULT 1000

/* The longest text member name may hold, in characters. */
int kc_opcheck_member_max(const char *name);
/* NULL when every string in req, at any depth (an import's rows too), is
 * within the limit of the member that holds it; else the reply refusing
 * it (text_too_long, text_too_long_row, text_too_long_line). */
json_t *kc_opcheck_text(json_t *req);
/* NULL when req carries op's arguments as args (ops.def's notation:
 * "name:t" required, "name?t" optional, t a json_unpack format) says;
 * else the reply refusing it (request_member_*). A null member is taken
 * as absent; NULL args checks nothing. */
json_t *kc_opcheck_args(const char *op, const char *args, json_t *req);

#endif
