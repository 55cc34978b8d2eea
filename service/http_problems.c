/* The problems page's forms (web_problems.c): a problem forwarded or
 * resolved, recorded as an office-chain event (office_acts.c), then back
 * to the page or a page saying why nothing was recorded. */
#include <errno.h>
#include <stdint.h>

#include "common/log.h"
#include "common/util.h"
#include "service/http_impl.h"
#include "service/office_acts.h"
#include "service/problem_state.h"
#include "service/scope.h"
#include "service/web.h"

/* A form field's text, "" when it is missing. */
static void form_text(const struct req *rq, const char *name, char *out, size_t len)
{
	if (http_request_form(rq->body, rq->len, name, out, len) < 0)
		out[0] = '\0';
}

/* The form's problem: its cabinet and inspection (0 when missing). */
static void form_problem(const struct req *rq, char *cab, size_t len, int64_t *inspection)
{
	char seq[32];
	long long n = 0;

	form_text(rq, "cabinet", cab, len);
	if (http_request_form(rq->body, rq->len, "inspection", seq, sizeof(seq)) < 0 ||
	    kc_parse_long(seq, 1, INT64_MAX, &n) < 0)
		n = 0;
	*inspection = n;
}

/* Answers a problem's act: back to the problems page, or why nothing was
 * recorded. */
static enum MHD_Result act_reply(struct call *k, const struct kc_web_page *pg, int r, json_t *msg)
{
	enum MHD_Result ret;

	if (r == -EIO)
		kc_err("problem follow-up by %s: database error", k->rq->user);
	ret = r == 0 ? http_reply_redirect(k->c, "/r/problems", NULL) : http_web_act_refused(k, pg, r, msg);
	json_decref(msg);
	return ret;
}

/* A problem's next step from its form: forwarded (department, to) or
 * resolved (note). */
static enum MHD_Result problem_step(struct call *k, enum kc_problem_state next)
{
	char cab[256], text[1024], to[256], csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);
	int64_t inspection;
	json_t *msg = NULL;
	int r;

	if (!http_request_csrf_ok(k->rq))
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Not recorded"),
						      kc_web_t(&pg, "The form has expired: open the page again and retry.")),
				       NULL);
	form_problem(k->rq, cab, sizeof(cab), &inspection);
	if (cab[0] && !kc_scope_cabinet(k->scope, cab))
		return http_reply_html(k->c, 403,
				       kc_web_message(&pg, kc_web_t(&pg, "Not recorded"),
						      kc_web_t(&pg, "This cabinet is outside the sites of your account")),
				       NULL);
	if (next == KC_PROBLEM_FORWARDED) {
		form_text(k->rq, "department", text, sizeof(text));
		form_text(k->rq, "to", to, sizeof(to));
		r = kc_office_problem_forward(k->db, k->rq->user, cab, inspection, text, to, &msg);
	} else {
		form_text(k->rq, "note", text, sizeof(text));
		r = kc_office_problem_resolve(k->db, k->rq->user, cab, inspection, text, &msg);
	}
	return act_reply(k, &pg, r, msg);
}

enum MHD_Result http_web_problem_forward(struct call *k)
{
	return problem_step(k, KC_PROBLEM_FORWARDED);
}

enum MHD_Result http_web_problem_resolve(struct call *k)
{
	return problem_step(k, KC_PROBLEM_RESOLVED);
}
