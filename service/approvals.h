/* A manager's approval from the office (service/README.md, "A manager's
 * approval from the phone"): the requests the cabinets' approval.asked
 * events made (derive.c), as the manager they name reads them, and the
 * manager's answer: an office-chain event (office.approval_granted or
 * office.approval_refused) and the change that carries it to the cabinet
 * (approval.grant or approval.refuse on its feed, service/feed.h), in one
 * transaction. Four eyes is checked here on what the office knows (the
 * approver is not the asker, nor someone the asker registered), and again
 * by the cabinet. */
#ifndef KC_SERVICE_APPROVALS_H
#define KC_SERVICE_APPROVALS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service/store.h"

/* The cabinet person an office account answers for: a manager's account
 * linked to a person code (users.person), into person (len bytes).
 * 0, -EPERM (not a manager, or linked to no person), -EIO. */
int kc_approvals_person(struct kc_db *db, const char *account, char *person, size_t len);

/* The requests addressed to person that wait for an answer, oldest
 * first: [{"cabinet", "request", "asked_ms", "asker", "asker_name",
 * "key", "kind", "unit", "unit_label", "site", "site_name", "reason"}].
 * NULL on a database error. */
json_t *kc_approvals_pending(struct kc_db *db, const char *person);

/* account's answer to request of cabinet: granted (valid for valid_ms
 * from now_ms) or refused with reason. Returns 0, -EPERM (the account
 * answers for no manager, or the request names another), -EACCES (four
 * eyes: the asker, or registered by the asker), -ENOENT (no such
 * request), -EALREADY (answered or withdrawn), -EAGAIN (the cabinet is
 * standalone: no feed takes the answer), -EINVAL (a refusal without a
 * reason), -EIO; *msg gets the message saying what was done or
 * why nothing was (common/msgs/approve.def; NULL when out of memory);
 * kc_office_status (office_acts.h) gives r's HTTP status. */
int kc_approvals_answer(struct kc_db *db, const char *account, const char *cabinet, int64_t request, bool grant,
			const char *reason, int64_t valid_ms, int64_t now_ms, json_t **msg);

#endif
