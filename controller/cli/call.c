/* keycab's requests: one connection per request (libkcclient), the
 * session attached, the reply checked; refusals and errors end keycab. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"
#include "controller/client/client.h"

json_t *cli_call_req(const char *op)
{
	return json_pack("{s:s}", "op", op);
}

json_t *cli_call(json_t *req)
{
	const char *tok = cli_session_token();
	struct kc_client c;
	char err[256];
	json_t *rep = NULL;
	int r;

	if (!json_object_get(req, "session")) {
		if (!cli_call_session)
			json_object_set_new(req, "session", json_null());
		else if (tok)
			json_object_set_new(req, "session", json_string(tok));
	}
	r = kc_client_open(&c, cli_socket);
	if (r < 0)
		cli_die("cannot reach keycabd at %s: %s (is it running? --socket or $KEYCAB_SOCKET)",
			cli_socket, cli_tr(strerror(-r)));
	r = kc_client_call(&c, req, &rep, err, sizeof(err));
	kc_client_close(&c);
	kc_secret_wipe_request(req);
	json_decref(req);
	if (r == -ENOMEM)
		cli_die("out of memory");
	if (r < 0)
		cli_die("%s", cli_tr(err));
	return rep;
}

void cli_call_check(json_t *rep)
{
	if (json_is_true(json_object_get(rep, "ok")))
		return;
	if (cli_json) {
		char *s = json_dumps(rep, JSON_INDENT(2));

		printf("%s\n", s ? s : "{}");
		free(s);
	}
	cli_lang_print_failure(stderr, rep, cli_lang);
	exit(json_is_true(json_object_get(rep, "refused")) ? CLI_EXIT_REFUSED : CLI_EXIT_ERROR);
}

json_t *cli_call_ok(json_t *req)
{
	json_t *rep = cli_call(req);

	cli_call_check(rep);
	return rep;
}

void cli_call_print_json(json_t *rep)
{
	char *s;

	json_object_del(rep, "ok");
	s = json_dumps(rep, JSON_INDENT(2));
	printf("%s\n", s ? s : "{}");
	free(s);
}

const char *cli_call_str(const json_t *rep, const char *member)
{
	return json_string_value(json_object_get(rep, member));
}

long long cli_call_int(const json_t *rep, const char *member)
{
	return (long long)json_integer_value(json_object_get(rep, member));
}

int cli_call_simple(json_t *req, const char *done, const char *member)
{
	json_t *rep = cli_call_ok(req);

	if (cli_json)
		cli_call_print_json(rep);
	else if (member)
		printf("%s %lld\n", cli_tr(done), cli_call_int(rep, member));
	else
		printf("%s\n", cli_tr(done));
	json_decref(rep);
	return 0;
}

/* The secrets read, wiped when keycab ends. */
static char call_secrets[4][KC_SECRET_LEN];

static void call_wipe_secrets(void)
{
	explicit_bzero(call_secrets, sizeof(call_secrets));
}

const char *cli_call_secret(const char *prompt, bool from_stdin)
{
	static unsigned next;
	char *buf = call_secrets[next++ % KC_ARRAY_SIZE(call_secrets)];
	int r;

	prompt = cli_tr(prompt);
	if (next == 1)
		atexit(call_wipe_secrets);
	r = kc_secret_read(prompt, from_stdin, buf, sizeof(call_secrets[0]));
	if (r == -ENXIO)
		cli_die("%s needs a terminal to ask, or the matching --...-stdin option", prompt);
	if (r < 0)
		cli_die("no %s given (end of input)", prompt);
	return buf;
}
