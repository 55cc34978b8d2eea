/* The ops a page may send to keycabd through POST /api/op/<op>, one table.
 * Everything else (imports, people, entrustments, vacancy changes, the
 * test clock, login and subscribe) is not the terminal's to send. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/kiosk/kiosk.h"

struct kiosk_op {
	const char *op;
	enum kiosk_op_access access;
};

static const struct kiosk_op kiosk_ops[] = {
	{ "ping", KIOSK_OP_ANYONE },
	{ "whoami", KIOSK_OP_PROBE }, /* also keeps the login alive */
	/* at the cabinet: the custody decisions */
	{ "release", KIOSK_OP_SESSION },
	{ "collect", KIOSK_OP_SESSION },
	{ "approve", KIOSK_OP_SESSION },
	{ "id.release", KIOSK_OP_SESSION },
	{ "inspect", KIOSK_OP_SESSION },
	{ "letter.confirm", KIOSK_OP_SESSION },
	{ "handover.start", KIOSK_OP_SESSION },
	{ "handover.confirm", KIOSK_OP_SESSION },
	{ "handover.review", KIOSK_OP_SESSION },
	{ "alarm.clear", KIOSK_OP_SESSION },
	{ "slot.reseat", KIOSK_OP_SESSION },
	/* reads */
	{ "status", KIOSK_OP_SESSION },
	{ "keys", KIOSK_OP_SESSION },
	{ "slots", KIOSK_OP_SESSION },
	{ "loans", KIOSK_OP_SESSION },
	{ "ids", KIOSK_OP_SESSION },
	{ "alarms", KIOSK_OP_SESSION },
	{ "entrustments", KIOSK_OP_SESSION },
	{ "letters", KIOSK_OP_SESSION },
	{ "handovers", KIOSK_OP_SESSION },
	{ "approvals", KIOSK_OP_SESSION },
};

enum kiosk_op_access kiosk_ops_access(const char *op)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(kiosk_ops); i++)
		if (strcmp(kiosk_ops[i].op, op) == 0)
			return kiosk_ops[i].access;
	return 0;
}

static char kiosk_ops_text[512];
static pthread_once_t kiosk_ops_once = PTHREAD_ONCE_INIT;

static void kiosk_ops_make_list(void)
{
	size_t n = 0;

	for (size_t i = 0; i < KC_ARRAY_SIZE(kiosk_ops) && n < sizeof(kiosk_ops_text); i++)
		n += (size_t)snprintf(kiosk_ops_text + n, sizeof(kiosk_ops_text) - n, "%s%s", i ? ", " : "",
				      kiosk_ops[i].op);
}

const char *kiosk_ops_list(void)
{
	pthread_once(&kiosk_ops_once, kiosk_ops_make_list);
	return kiosk_ops_text;
}
