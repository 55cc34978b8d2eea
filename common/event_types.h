/* The event types, one list (schema/events.md describes each). keycabd
 * emits them; keyauditd stores every one and derives the report tables
 * from those marked KC_EVT_DERIVED (service/derive.c); the others are kept
 * in the log only. A new type is a line here, a row in schema/events.md
 * and, when the reports read it, a function in derive.c. */
#ifndef KC_EVENT_TYPES_H
#define KC_EVENT_TYPES_H
#include <stddef.h>

enum kc_event_use { KC_EVT_LOG_ONLY, KC_EVT_DERIVED };

/* X(ID, "name", use) */
#define KC_EVENT_TYPES(X)                                                  \
	/* registry */                                                     \
	X(SITE_REGISTERED, "site.registered", KC_EVT_DERIVED)              \
	X(UNIT_REGISTERED, "unit.registered", KC_EVT_DERIVED)              \
	X(UNIT_VACANCY, "unit.vacancy", KC_EVT_DERIVED)                    \
	X(KEY_REGISTERED, "key.registered", KC_EVT_DERIVED)                \
	X(PERSON_REGISTERED, "person.registered", KC_EVT_LOG_ONLY)         \
	X(ENTRUSTMENT_REGISTERED, "entrustment.registered", KC_EVT_DERIVED) \
	X(LETTER_FILED, "letter.filed", KC_EVT_LOG_ONLY)                   \
	X(LETTER_CONFIRMED, "letter.confirmed", KC_EVT_LOG_ONLY)           \
	/* at the cabinet */                                               \
	X(OPERATOR_LOGIN, "operator.login", KC_EVT_LOG_ONLY)               \
	X(OPERATOR_LOGIN_FAILED, "operator.login_failed", KC_EVT_LOG_ONLY) \
	X(RELEASE_GRANTED, "release.granted", KC_EVT_DERIVED)              \
	X(RELEASE_REFUSED, "release.refused", KC_EVT_LOG_ONLY)             \
	X(RELEASE_TAKEN, "release.taken", KC_EVT_DERIVED)                  \
	X(RELEASE_NOT_TAKEN, "release.not_taken", KC_EVT_DERIVED)          \
	X(LOAN_RETURNED, "loan.returned", KC_EVT_DERIVED)                  \
	X(LOAN_OVERDUE, "loan.overdue", KC_EVT_DERIVED)                    \
	X(INSPECTION_RECORDED, "inspection.recorded", KC_EVT_DERIVED)      \
	X(ID_HELD, "id.held", KC_EVT_DERIVED)                              \
	X(ID_RELEASED, "id.released", KC_EVT_DERIVED)                      \
	X(ID_RELEASE_REFUSED, "id.release_refused", KC_EVT_LOG_ONLY)       \
	X(APPROVAL_ISSUED, "approval.issued", KC_EVT_LOG_ONLY)             \
	X(APPROVAL_USED, "approval.used", KC_EVT_LOG_ONLY)                 \
	X(COLLECTION_COMPLETED, "collection.completed", KC_EVT_DERIVED)    \
	X(ENTRUSTMENT_CLOSED, "entrustment.closed", KC_EVT_DERIVED)        \
	X(HANDOVER_STARTED, "handover.started", KC_EVT_DERIVED)            \
	X(HANDOVER_CONFIRMED, "handover.confirmed", KC_EVT_DERIVED)        \
	X(HANDOVER_REVIEWED, "handover.reviewed", KC_EVT_DERIVED)          \
	X(APPROVAL_ASKED, "approval.asked", KC_EVT_DERIVED)                \
	X(APPROVAL_CANCELLED, "approval.cancelled", KC_EVT_DERIVED)        \
	/* notices, alarms, hardware */                                    \
	X(NOTICE_DUE, "notice.due", KC_EVT_DERIVED)                        \
	X(ALARM_RAISED, "alarm.raised", KC_EVT_DERIVED)                    \
	X(ALARM_CLEARED, "alarm.cleared", KC_EVT_DERIVED)                  \
	X(SLOT_INSERTED, "slot.inserted", KC_EVT_LOG_ONLY)                 \
	X(SLOT_REMOVED, "slot.removed", KC_EVT_LOG_ONLY)                   \
	X(SLOT_FAULT, "slot.fault", KC_EVT_LOG_ONLY)                       \
	X(SLOT_RECOVERED, "slot.recovered", KC_EVT_LOG_ONLY)               \
	X(KEY_RESEATED, "key.reseated", KC_EVT_LOG_ONLY)                   \
	X(INTAKE_SLOT_OPENED, "intake.slot_opened", KC_EVT_LOG_ONLY)       \
	X(ENTRUSTMENT_CHANGED, "entrustment.changed", KC_EVT_DERIVED)      \
	X(CONTROLLER_STARTED, "controller.started", KC_EVT_LOG_ONLY)       \
	X(CONTROLLER_STOPPING, "controller.stopping", KC_EVT_LOG_ONLY)     \
	/* the office's own acts, sealed by keyauditd (service/office.c) */ \
	X(OFFICE_HANDOVER_REVIEWED, "office.handover_reviewed", KC_EVT_DERIVED) \
	X(OFFICE_PROBLEM_FORWARDED, "office.problem_forwarded", KC_EVT_DERIVED) \
	X(OFFICE_PROBLEM_RESOLVED, "office.problem_resolved", KC_EVT_DERIVED) \
	X(OFFICE_APPROVAL_GRANTED, "office.approval_granted", KC_EVT_DERIVED) \
	X(OFFICE_APPROVAL_REFUSED, "office.approval_refused", KC_EVT_DERIVED) \
	/* an admin's acts on office accounts (service/accounts.c) */       \
	X(OFFICE_ACCOUNT_CREATED, "office.account_created", KC_EVT_LOG_ONLY) \
	X(OFFICE_ACCOUNT_DISABLED, "office.account_disabled", KC_EVT_LOG_ONLY) \
	X(OFFICE_ACCOUNT_ENABLED, "office.account_enabled", KC_EVT_LOG_ONLY) \
	X(OFFICE_ACCOUNT_ROLE_CHANGED, "office.account_role_changed", KC_EVT_LOG_ONLY) \
	X(OFFICE_ACCOUNT_SITES_CHANGED, "office.account_sites_changed", KC_EVT_LOG_ONLY) \
	X(OFFICE_PASSWORD_RESET_ISSUED, "office.password_reset_issued", KC_EVT_LOG_ONLY) \
	X(OFFICE_PASSWORD_RESET_USED, "office.password_reset_used", KC_EVT_LOG_ONLY) \
	X(OFFICE_ACCOUNT_UNLOCKED, "office.account_unlocked", KC_EVT_LOG_ONLY) \
	/* the estate from the office: a change of the feed applied or refused */ \
	X(ESTATE_APPLIED, "estate.applied", KC_EVT_DERIVED)                \
	X(ESTATE_REFUSED, "estate.refused", KC_EVT_DERIVED)                \
	/* the estate as the office manages it (service/estate.c) */       \
	X(OFFICE_ESTATE_PERSON_SAVED, "office.estate_person_saved", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_PERSON_ENROL_ISSUED, "office.estate_person_enrol_issued", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_PERSON_UNLOCKED, "office.estate_person_unlocked", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_SITE_SAVED, "office.estate_site_saved", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_UNIT_SAVED, "office.estate_unit_saved", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_KEY_SAVED, "office.estate_key_saved", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_KEY_REMOVED, "office.estate_key_removed", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_SETTINGS_SAVED, "office.estate_settings_saved", KC_EVT_LOG_ONLY) \
	X(OFFICE_ESTATE_CABINET_SITES_CHANGED, "office.estate_cabinet_sites_changed", KC_EVT_LOG_ONLY) \
	/* a person set their PIN with an enrolment code at the cabinet (controller/estate.c) */ \
	X(PERSON_ENROLLED, "person.enrolled", KC_EVT_LOG_ONLY)

enum kc_event_type {
#define KC_EVT_ENUM(id, name, use) KC_EVT_##id,
	KC_EVENT_TYPES(KC_EVT_ENUM)
#undef KC_EVT_ENUM
	KC_EVT_COUNT
};

/* The type's name ("release.granted"), NULL out of range. */
const char *kc_event_type_name(enum kc_event_type t);
/* Whether the service derives report rows from it. */
enum kc_event_use kc_event_type_use(enum kc_event_type t);
/* The type named name: 0 with *out set, or -ENOENT for a name not in the
 * list (an event of an unknown type is stored, never derived). */
int kc_event_type_find(const char *name, enum kc_event_type *out);

#endif
