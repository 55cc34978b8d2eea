/* The admin's accounts page (/accounts) and the page where a one-time
 * code sets a new password (/reset). Every change is a POST of a form of
 * the page, with the session's form token; the page answers with the
 * list and what was done. A reset code is shown once, to the admin who
 * asked for it, and never logged. */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "service/accounts.h"
#include "service/sbuf.h"
#include "service/web.h"

/* A POSTed form of the accounts page. */
struct acct_form {
	char action[16], user[KC_NAME_MAX + 2], role[16], password[KC_AUTH_PASSWORD_MAX + 2];
	char person[KC_NAME_MAX + 2]; /* a manager's person code on the cabinets */
	json_t *sites; /* the "site" values */
	bool has_user, has_role, has_password;
};

/* What an action did: the status, the sentence (a msgid), its detail
 * (a name or site, shown after it), and a reset code. */
struct acct_out {
	unsigned status;
	const char *msg;
	char detail[KC_NAME_MAX + 1];
	char code[KC_TOKEN_LEN];
};

static struct kc_web_page acct_pg(const struct call *k, char *csrf)
{
	struct kc_web_page pg = { .user = k->rq->user, .role = kc_auth_role_name(k->rq->role), .csrf = csrf,
				  .estate = k->s->cfg->estate };

	csrf[0] = '\0';
	if (k->rq->session[0])
		http_request_csrf(k->rq->session, csrf);
	return pg;
}

static void form_read(const struct req *rq, struct acct_form *f)
{
	const char *b = rq->body ? rq->body : "";

	memset(f, 0, sizeof(*f));
	http_request_form(b, rq->len, "action", f->action, sizeof(f->action));
	f->has_user = http_request_form(b, rq->len, "user", f->user, sizeof(f->user)) == 0 && f->user[0];
	f->has_role = http_request_form(b, rq->len, "role", f->role, sizeof(f->role)) == 0;
	f->has_password = http_request_form(b, rq->len, "password", f->password, sizeof(f->password)) == 0;
	if (http_request_form(b, rq->len, "person", f->person, sizeof(f->person)) < 0)
		f->person[0] = '\0';
	f->sites = http_request_form_all(b, rq->len, "site", KC_NAME_MAX + 2);
}

static void out_set(struct acct_out *o, unsigned status, const char *msg, const char *detail)
{
	o->status = status;
	o->msg = msg;
	kc_strlcpy(o->detail, detail ? detail : "", sizeof(o->detail));
}

/* The answer to an account that cannot be changed: not found, the last
 * admin, a database error. */
static void out_refused(struct acct_out *o, int r, const char *user)
{
	if (r == -ENOENT)
		out_set(o, 404, "No such account:", user);
	else if (r == -EBUSY)
		out_set(o, 409, "The last enabled admin cannot be disabled or given another role:", user);
	else
		out_set(o, 500, "Database error: nothing was changed.", NULL);
}

/* The sites of the form, checked: 0, or the answer set. */
static int sites_ok(struct call *k, const struct acct_form *f, struct acct_out *o)
{
	const char *bad = NULL;
	int r = f->sites ? kc_account_sites_check(k->db, f->sites, &bad) : -ENOMEM;

	if (r == -ENOENT || r == -EINVAL)
		out_set(o, 400, "No such site:", bad ? bad : "?");
	else if (r < 0)
		out_set(o, 500, "Database error: nothing was changed.", NULL);
	return r;
}

static int act_create(struct call *k, struct acct_form *f, struct acct_out *o)
{
	enum kc_role role;
	int r;

	if (!f->has_user) {
		out_set(o, 400, "Give the account a name.", NULL);
		return -EINVAL;
	}
	if (kc_auth_name_check(f->user) < 0) {
		out_set(o, 400, "A user name is 1 to 64 of A-Z a-z 0-9 . _ -:", f->user);
		return -EINVAL;
	}
	if (kc_auth_role_parse(f->role, &role) < 0) {
		out_set(o, 400, "Choose a role: supervisor, admin or manager.", NULL);
		return -EINVAL;
	}
	if (role == KC_ROLE_MANAGER && (!f->person[0] || kc_auth_name_check(f->person) < 0)) {
		out_set(o, 400, "A manager's account names its person code on the cabinets (M01):", f->person);
		return -EINVAL;
	}
	if (kc_auth_password_check(f->user, f->has_password ? f->password : "") < 0) {
		out_set(o, 400,
			"The password is too weak: 8 to 128 characters, with letters and digits or signs, not the user name.",
			NULL);
		return -EINVAL;
	}
	if (sites_ok(k, f, o) < 0)
		return -EINVAL;
	r = kc_account_create(k->db, k->rq->user, f->user, role, f->password, f->sites,
			      role == KC_ROLE_MANAGER ? f->person : NULL);
	if (r == -EEXIST)
		out_set(o, 409, "An account of that name exists already:", f->user);
	else if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "Account created:", f->user);
	return r;
}

static int act_disable(struct call *k, struct acct_form *f, struct acct_out *o)
{
	int r = kc_account_set_disabled(k->db, k->rq->user, f->user, true);

	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "Account disabled; its sessions are ended:", f->user);
	return r;
}

static int act_enable(struct call *k, struct acct_form *f, struct acct_out *o)
{
	int r = kc_account_set_disabled(k->db, k->rq->user, f->user, false);

	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "Account enabled:", f->user);
	return r;
}

static int act_role(struct call *k, struct acct_form *f, struct acct_out *o)
{
	enum kc_role role;
	int r;

	if (kc_auth_role_parse(f->role, &role) < 0) {
		out_set(o, 400, "Choose a role: supervisor, admin or manager.", NULL);
		return -EINVAL;
	}
	r = kc_account_set_role(k->db, k->rq->user, f->user, role);
	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "Role changed:", f->user);
	return r;
}

static int act_sites(struct call *k, struct acct_form *f, struct acct_out *o)
{
	int r;

	if (sites_ok(k, f, o) < 0)
		return -EINVAL;
	r = kc_account_set_sites(k->db, k->rq->user, f->user, f->sites);
	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "Sites saved:", f->user);
	return r;
}

static int act_reset(struct call *k, struct acct_form *f, struct acct_out *o)
{
	int r = kc_account_reset_issue(k->db, f->user, k->rq->user, o->code);

	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, "A one-time link to set a new password (valid 24 hours, once) for:", f->user);
	return r;
}

static int act_unlock(struct call *k, struct acct_form *f, struct acct_out *o)
{
	int r = kc_account_unlock(k->db, k->rq->user, f->user);

	if (r < 0)
		out_refused(o, r, f->user);
	else
		out_set(o, 200, r ? "Account unlocked:" : "The account was not locked:", f->user);
	return r < 0 ? r : 0;
}

/* The actions of the page's forms; the log line names each for the
 * acting admin. */
static const struct {
	const char *action, *logged;
	bool needs_user;
	int (*fn)(struct call *k, struct acct_form *f, struct acct_out *o);
} acts[] = {
	{ "create", "created", false, act_create },	{ "disable", "disabled", true, act_disable },
	{ "enable", "enabled", true, act_enable },	{ "role", "role changed", true, act_role },
	{ "sites", "sites changed", true, act_sites },	{ "reset", "password reset issued", true, act_reset },
	{ "unlock", "unlocked", true, act_unlock },
};

static const char *role_word(const struct kc_web_page *pg, const char *role)
{
	if (strcmp(role, "manager") == 0)
		return kc_web_t(pg, "Manager");
	return strcmp(role, "admin") == 0 ? kc_web_t(pg, "Admin") : kc_web_t(pg, "Supervisor");
}

static void hidden(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(b, value);
	sbuf_add(b, "\">");
}

/* A form of the page: its start, with the form token, action and user. */
static void form_start(struct sbuf *b, const struct kc_web_page *pg, const char *cls, const char *action,
		       const char *user)
{
	sbuf_printf(b, "<form method=\"post\" action=\"/accounts\" class=\"%s\">", cls);
	hidden(b, "csrf", pg->csrf);
	hidden(b, "action", action);
	if (user)
		hidden(b, "user", user);
}

static void role_select(struct sbuf *b, const struct kc_web_page *pg, const char *cur)
{
	static const char *const roles[] = { "supervisor", "admin", "manager" };

	sbuf_add(b, "<select name=\"role\">");
	for (size_t i = 0; i < KC_ARRAY_SIZE(roles); i++) {
		sbuf_printf(b, "<option value=\"%s\"%s>", roles[i], cur && strcmp(cur, roles[i]) == 0 ? " selected" : "");
		sbuf_html(b, role_word(pg, roles[i]));
		sbuf_add(b, "</option>");
	}
	sbuf_add(b, "</select>");
}

static void account_row(struct sbuf *b, const struct kc_web_page *pg, const json_t *a, const json_t *choices)
{
	const char *name = json_string_value(json_object_get(a, "name"));
	const char *role = json_string_value(json_object_get(a, "role"));
	const json_t *sites = json_object_get(a, "sites");
	bool disabled = json_is_true(json_object_get(a, "disabled"));
	json_int_t locked = json_integer_value(json_object_get(a, "locked_s"));

	sbuf_add(b, "<tr data-user=\"");
	sbuf_html(b, name);
	sbuf_printf(b, "\"><td data-label=\"%s\">", kc_web_t(pg, "Account"));
	sbuf_html(b, name);
	sbuf_printf(b, "</td><td data-label=\"%s\">", kc_web_t(pg, "Role"));
	form_start(b, pg, "role", "role", name);
	role_select(b, pg, role);
	sbuf_printf(b, " <button type=\"submit\">%s</button></form>", kc_web_t(pg, "Change role"));
	if (json_is_string(json_object_get(a, "person"))) {
		sbuf_printf(b, " <span class=\"meta person\">%s ", kc_web_t(pg, "Person on the cabinets:"));
		sbuf_html(b, json_string_value(json_object_get(a, "person")));
		sbuf_add(b, "</span>");
	}
	sbuf_printf(b, "</td><td data-label=\"%s\" class=\"state\">", kc_web_t(pg, "State"));
	sbuf_printf(b, "<span class=\"%s\">%s</span>", disabled ? "bad" : "ok",
		    disabled ? kc_web_t(pg, "Disabled") : kc_web_t(pg, "Enabled"));
	if (locked > 0)
		sbuf_printf(b, " <span class=\"bad locked\">%s</span>", kc_web_t(pg, "Locked out"));
	sbuf_printf(b, "</td><td data-label=\"%s\">", kc_web_t(pg, "Sites"));
	form_start(b, pg, "sites", "sites", name);
	kc_web_checkboxes(b, "site", choices, sites);
	sbuf_printf(b, "<small class=\"meta\">%s</small> <button type=\"submit\">%s</button></form>",
		    kc_web_t(pg, "none ticked: every site"), kc_web_t(pg, "Save sites"));
	sbuf_printf(b, "</td><td data-label=\"%s\">", kc_web_t(pg, "Actions"));
	form_start(b, pg, "state", disabled ? "enable" : "disable", name);
	sbuf_printf(b, "<button type=\"submit\">%s</button></form> ",
		    disabled ? kc_web_t(pg, "Enable") : kc_web_t(pg, "Disable"));
	form_start(b, pg, "reset", "reset", name);
	sbuf_printf(b, "<button type=\"submit\">%s</button></form> ", kc_web_t(pg, "Reset password"));
	if (locked > 0) {
		form_start(b, pg, "unlock", "unlock", name);
		sbuf_printf(b, "<button type=\"submit\">%s</button></form>", kc_web_t(pg, "Unlock"));
	}
	sbuf_add(b, "</td></tr>\n");
}

/* The page: what was done (o, NULL for none), the accounts, the form of a
 * new account. NULL on a database error or no memory. */
static char *accounts_page(struct call *k, const struct kc_web_page *pg, const struct acct_out *o)
{
	json_t *list = kc_account_list(k->db, kc_wall_ms()), *choices = kc_account_site_choices(k->db);
	const json_t *a;
	struct sbuf b = { 0 };
	size_t i;

	if (!list || !choices) {
		json_decref(list);
		json_decref(choices);
		return NULL;
	}
	kc_web_head(&b, kc_web_t(pg, "Office accounts"), pg);
	if (o && o->msg) {
		sbuf_printf(&b, "<p class=\"%s\" id=\"message\">", o->status == 200 ? "ok" : "bad");
		sbuf_html(&b, kc_web_t(pg, o->msg));
		if (o->detail[0]) {
			sbuf_add(&b, " ");
			sbuf_html(&b, o->detail);
		}
		sbuf_add(&b, "</p>\n");
	}
	if (o && o->code[0]) {
		const char *host = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, "Host");

		sbuf_printf(&b, "<p><a id=\"reset-link\" href=\"/reset?code=%s\">%s://", o->code, k->s->tls ? "https" : "http");
		sbuf_html(&b, host ? host : "");
		sbuf_printf(&b, "/reset?code=%s</a></p><p class=\"meta\">%s</p>\n", o->code,
			    kc_web_t(pg, "Give this link to the account's user only; it is shown once."));
	}
	sbuf_printf(&b, "<table class=\"report accounts\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
			"<th>%s</th></tr></thead><tbody>\n",
		    kc_web_t(pg, "Account"), kc_web_t(pg, "Role"), kc_web_t(pg, "State"), kc_web_t(pg, "Sites"),
		    kc_web_t(pg, "Actions"));
	json_array_foreach(list, i, a)
		account_row(&b, pg, a, choices);
	sbuf_add(&b, "</tbody></table>\n");
	sbuf_printf(&b, "<h2>%s</h2>", kc_web_t(pg, "New account"));
	form_start(&b, pg, "create", "create", NULL);
	sbuf_printf(&b, "<p><label>%s <input name=\"user\" autocomplete=\"off\"></label></p>", kc_web_t(pg, "User name"));
	sbuf_printf(&b, "<p><label>%s ", kc_web_t(pg, "Role"));
	role_select(&b, pg, "supervisor");
	sbuf_printf(&b, "</label></p><p><label>%s <input name=\"person\" autocomplete=\"off\">"
			" <small class=\"meta\">%s</small>",
		    kc_web_t(pg, "Person on the cabinets:"), kc_web_t(pg, "a manager's person code (M01): the approvals addressed to it"));
	sbuf_printf(&b, "</label></p><p><label>%s <input name=\"password\" type=\"password\""
			" autocomplete=\"new-password\"></label></p><p>%s ",
		    kc_web_t(pg, "Password"), kc_web_t(pg, "Sites"));
	kc_web_checkboxes(&b, "site", choices, NULL);
	sbuf_printf(&b, "<small class=\"meta\">%s</small></p><p><button type=\"submit\">%s</button></p></form>",
		    kc_web_t(pg, "none ticked: every site"), kc_web_t(pg, "Create account"));
	kc_web_tail(&b);
	json_decref(list);
	json_decref(choices);
	return sbuf_take(&b);
}

static enum MHD_Result accounts_reply(struct call *k, const struct kc_web_page *pg, const struct acct_out *o)
{
	char *html = accounts_page(k, pg, o);

	if (!html) {
		kc_err("accounts page: database error: %s", sqlite3_errmsg(k->db->h));
		return http_reply_html(k->c, 500, kc_web_message(pg, kc_web_t(pg, "Error"), kc_web_t(pg, "Database error.")),
				       NULL);
	}
	return http_reply_html(k->c, o ? o->status : 200, html, NULL);
}

enum MHD_Result http_web_accounts(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = acct_pg(k, csrf);

	return accounts_reply(k, &pg, NULL);
}

enum MHD_Result http_web_accounts_act(struct call *k)
{
	char csrf[65];
	struct kc_web_page pg = acct_pg(k, csrf);
	struct acct_out o = { 400, "No such action.", "", "" };
	struct acct_form f;
	enum MHD_Result ret;

	if (!http_request_csrf_ok(k->rq))
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"),
						      kc_web_t(&pg, "The form has expired; open the page again.")),
				       NULL);
	form_read(k->rq, &f);
	for (size_t i = 0; i < KC_ARRAY_SIZE(acts); i++) {
		if (strcmp(f.action, acts[i].action) != 0)
			continue;
		if (acts[i].needs_user && !f.has_user)
			out_set(&o, 400, "Give the account a name.", NULL);
		else if (acts[i].fn(k, &f, &o) == 0)
			kc_notice("account %s: %s by %s", f.user, acts[i].logged, k->rq->user);
		break;
	}
	memset(f.password, 0, sizeof(f.password));
	json_decref(f.sites);
	ret = accounts_reply(k, &pg, &o);
	memset(o.code, 0, sizeof(o.code));
	return ret;
}

/* ---- /reset: a one-time code sets a new password ---- */

static char *reset_page(const struct kc_web_page *pg, const char *code, const char *user, const char *msg, bool ok)
{
	struct sbuf b = { 0 };

	kc_web_head(&b, kc_web_t(pg, "Set a new password"), pg);
	if (msg) {
		sbuf_printf(&b, "<p class=\"%s\" id=\"message\">", ok ? "ok" : "bad");
		sbuf_html(&b, kc_web_t(pg, msg));
		sbuf_add(&b, "</p>");
	}
	if (ok) {
		sbuf_printf(&b, "<p><a href=\"/login\">%s</a></p>", kc_web_t(pg, "Sign in"));
	} else if (user) {
		sbuf_add(&b, "<form method=\"post\" action=\"/reset\">");
		hidden(&b, "code", code);
		sbuf_printf(&b, "<p>%s <b id=\"reset-user\">", kc_web_t(pg, "Account"));
		sbuf_html(&b, user);
		sbuf_printf(&b, "</b></p><p><label>%s <input name=\"password\" type=\"password\" autocomplete=\"new-password\""
				" required></label></p><p><label>%s <input name=\"password2\" type=\"password\""
				" autocomplete=\"new-password\" required></label></p><p class=\"meta\">%s</p>"
				"<p><button type=\"submit\">%s</button></p></form>",
			    kc_web_t(pg, "New password"), kc_web_t(pg, "New password again"),
			    kc_web_t(pg, "8 to 128 characters, with letters and digits or signs, not the user name."),
			    kc_web_t(pg, "Set password"));
	}
	kc_web_tail(&b);
	return sbuf_take(&b);
}

enum MHD_Result http_web_reset_form(struct call *k)
{
	const char *code = http_request_arg(k->c, "code");
	struct kc_web_page pg = { 0 };
	char user[KC_NAME_MAX + 1];
	int r = kc_account_reset_peek(k->db, code, user);

	if (r == -EIO)
		kc_err("reset page: database error: %s", sqlite3_errmsg(k->db->h));
	if (r < 0)
		return http_reply_html(k->c, r == -EIO ? 500 : 404,
				       reset_page(&pg, NULL, NULL,
						  r == -EIO ? "Database error."
							    : "This link is used, expired or unknown; ask an admin for a new one.",
						  false),
				       NULL);
	return http_reply_html(k->c, 200, reset_page(&pg, code, user, NULL, false), NULL);
}

enum MHD_Result http_web_reset(struct call *k)
{
	struct req *rq = k->rq;
	struct kc_web_page pg = { 0 };
	char code[KC_TOKEN_LEN + 1] = "", pass[KC_AUTH_PASSWORD_MAX + 2] = "", pass2[sizeof(pass)] = "";
	char user[KC_NAME_MAX + 1] = "";
	const char *msg = NULL;
	unsigned status = 200;
	int r;

	http_request_form(rq->body ? rq->body : "", rq->len, "code", code, sizeof(code));
	http_request_form(rq->body ? rq->body : "", rq->len, "password", pass, sizeof(pass));
	http_request_form(rq->body ? rq->body : "", rq->len, "password2", pass2, sizeof(pass2));
	r = kc_account_reset_peek(k->db, code, user);
	if (r < 0) {
		status = r == -EIO ? 500 : 404;
		msg = r == -EIO ? "Database error." : "This link is used, expired or unknown; ask an admin for a new one.";
	} else if (strcmp(pass, pass2) != 0) {
		status = 400;
		msg = "The two passwords differ.";
	} else if (kc_auth_password_check(user, pass) < 0) {
		status = 400;
		msg = "The password is too weak: 8 to 128 characters, with letters and digits or signs, not the user name.";
	} else if ((r = kc_account_reset_redeem(k->db, code, pass, user)) < 0) {
		status = r == -ENOENT ? 404 : 500;
		msg = r == -ENOENT ? "This link is used, expired or unknown; ask an admin for a new one." : "Database error.";
	} else {
		kc_auth_login_unlock(user, kc_wall_ms());
		kc_notice("account %s: password set by a reset code", user);
		msg = "Your new password is set; its old sessions are ended.";
	}
	memset(pass, 0, sizeof(pass));
	memset(pass2, 0, sizeof(pass2));
	return http_reply_html(k->c, status, reset_page(&pg, code, status == 400 ? user : NULL, msg, status == 200),
			       NULL);
}
