/* keycab's parts: the command table (keycab.c, from controller/ops.def),
 * its globals (globals.c), how it ends on an error (die.c), option
 * parsing (opts.c), requests and replies over libkcclient (call.c), the
 * session file (session.c), tables (table.c), the desk's language
 * (lang.c), and the handlers by area: at the cabinet (desk.c), reading
 * (read.c), administration (admin.c). */
#ifndef KC_CLI_H
#define KC_CLI_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/msg.h"

#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_REFUSED 3

/* Options of one command: "--name value" or "--flag". */
#define CLI_OPTS_MAX 24
#define CLI_POS_MAX 4
struct cli_opts {
	const char *names[CLI_OPTS_MAX];
	const char *values[CLI_OPTS_MAX]; /* NULL for a flag not given; "" for a flag given */
	int n;
	const char *pos[CLI_POS_MAX];
	int npos;
};

/* Who a command is for: its heading in the help. */
enum cli_group {
	CLI_DESK,   /* at the cabinet */
	CLI_READ,   /* reading */
	CLI_ADMIN,  /* administration */
	CLI_HIDDEN, /* not in the help: ping, help, test-clock */
};

/* A command: a KC_CLI line of controller/ops.def, in keycab.c's table. */
struct cli_cmd {
	const char *name;
	/* the op it sends (NULL for help) */
	const char *op;
	enum cli_group group;
	/* false: sent without the stored session (a login starts afresh) */
	bool login;
	/* its options: "name=" takes a value, "name," is a flag */
	const char *spec;
	int (*run)(const struct cli_cmd *cmd, const struct cli_opts *o);
	/* the help: its forms (continuation lines start with spaces), and a
	 * note beside a one-line form */
	const char *synopsis, *note;
	/* for a read: what to say when the list (the reply's member named as
	 * the op) is empty */
	const char *empty;
};

/* globals.c: every global of keycab. The options that hold for the whole
 * run, set by main (keycab.c; --json also by opts.c); cli_lang and
 * cli_call_session below. */
extern const char *cli_socket;
extern bool cli_json;
/* die.c: how keycab ends on an error (exit 2 for a usage error, else 1) */
void cli_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* the desk's language, from LANG (kc_msg_env_lang), set by main */
extern enum kc_lang cli_lang;
/* lang.c */
/* keycab's own words in cli_lang (po/zh_CN/cli.po); a printf format stays
 * one, with the same conversions. */
const char *cli_tr(const char *en) __attribute__((format_arg(1)));
/* A word of the vocabulary in context ctx (a column's name), translated. */
const char *cli_word(const char *ctx, const char *word);
/* true for a column whose values are words of the vocabulary */
bool cli_word_column(const char *name);
/* A refusal ("REFUSED (custody rule N): ...", what is missing) or an
 * error ("keycab: error: ...") from keycabd, in lang: rendered from its
 * code, or as sent (English, or a code this build does not know). */
void cli_lang_print_failure(FILE *f, const json_t *rep, enum kc_lang lang);

/* opts.c */
void cli_opts_parse(struct cli_opts *o, int argc, char **argv, const char *spec);
const char *cli_opts_get(const struct cli_opts *o, const char *name);
long long cli_opts_int(const char *s, const char *what);
const char *cli_opts_pos(const struct cli_opts *o, int i, const char *what);
/* req[member] = the option's value, when given */
void cli_opts_set(json_t *req, const struct cli_opts *o, const char *opt_name, const char *member);

/* cli_call_session false: requests go without the stored session (the
 * command's login is false; set by keycab.c's dispatcher) */
extern bool cli_call_session;
/* call.c: a request to keycabd and its reply */
json_t *cli_call_req(const char *op);
/* Sends req (consumed) and returns the reply; exits on an error. */
json_t *cli_call(json_t *req);
/* Prints a refusal (exit 3) or an error (exit 1) and exits; returns on success. */
void cli_call_check(json_t *rep);
/* cli_call + cli_call_check */
json_t *cli_call_ok(json_t *req);
void cli_call_print_json(json_t *rep);
/* A reply's member: a string (NULL when it is none), a number (0). */
const char *cli_call_str(const json_t *rep, const char *member);
long long cli_call_int(const json_t *rep, const char *member);
/* Prints the reply as JSON with --json, else "done" (and rep[member]). */
int cli_call_simple(json_t *req, const char *done, const char *member);
/* A secret from stdin (from_stdin) or a prompt; exits when there is none. */
const char *cli_call_secret(const char *prompt, bool from_stdin);

/* session.c: the session file of the one operator at this shell */
void cli_session_path(char *out, size_t len, bool make_dir);
const char *cli_session_token(void);
void cli_session_save(const char *token);

/* table.c: an array of objects as aligned columns; a reply's member as
 * the desk reads it (a time in the cabinet's zone, asked of keycabd once) */
void cli_table_print(json_t *arr, const char *empty);
void cli_table_cell(char *out, size_t len, const char *name, json_t *v);

/* the handlers */
int cli_desk_login(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_logout(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_whoami(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_release(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_collect(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_approve(const struct cli_cmd *cmd, const struct cli_opts *o);
/* approval.c: approval ask|cancel */
int cli_desk_approval(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_id(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_inspect(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_handover(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_desk_alarm(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_read_list(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_read_status(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_import(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_person(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_entrust(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_letter(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_unit(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_intake(const struct cli_cmd *cmd, const struct cli_opts *o);
int cli_admin_test_clock(const struct cli_cmd *cmd, const struct cli_opts *o);

#endif
