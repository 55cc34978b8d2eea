/* The words of keycabd's vocabulary that decisions test: roles, key
 * kinds, key states, loan states, purposes and alarm types, each an enum
 * with one string table
 * (the words as the database and the protocol write them, schema/
 * controller-001.sql). X_to_string gives a value's word (NULL out of
 * range), X_from_string the value a word names (-1: none). */
#ifndef KC_CTL_WORDS_H
#define KC_CTL_WORDS_H

enum kc_role {
	KC_ROLE_STAFF,
	KC_ROLE_ENGINEER,
	KC_ROLE_MANAGER,
	KC_ROLE_SUPERVISOR,
	KC_ROLE_MAX,
	KC_ROLE_INVALID = -1,
};

enum kc_key_kind {
	KC_KIND_ENTRUSTED,
	KC_KIND_SEALED,
	KC_KIND_VACANT,
	KC_KIND_REPAIR,
	KC_KIND_MAX,
	KC_KIND_INVALID = -1,
};

enum kc_key_state {
	KC_KEY_AWAITING,
	KC_KEY_IN,
	KC_KEY_RELEASING,
	KC_KEY_OUT,
	KC_KEY_MISSING,
	KC_KEY_COLLECTED,
	KC_KEY_STATE_MAX,
	KC_KEY_STATE_INVALID = -1,
};

enum kc_loan_state {
	KC_LOAN_GRANTED,
	KC_LOAN_OUT,
	KC_LOAN_RETURNED,
	KC_LOAN_NOT_TAKEN,
	KC_LOAN_COLLECTED,
	KC_LOAN_STATE_MAX,
	KC_LOAN_STATE_INVALID = -1,
};

/* What a loan is for (custody-rules.md): the purposes a release names,
 * which index [desk] max_loan_<purpose> (below KC_PURPOSE_COUNT), and a
 * collection's loan, the owner's. */
enum kc_purpose {
	KC_PURPOSE_BORROW,
	KC_PURPOSE_INSPECTION,
	KC_PURPOSE_REPAIR,
	KC_PURPOSE_EMERGENCY,
	KC_PURPOSE_COUNT,
	KC_PURPOSE_OWNER_COLLECT = KC_PURPOSE_COUNT,
	KC_PURPOSE_MAX,
	KC_PURPOSE_INVALID = -1,
};

enum kc_alarm_type {
	KC_ALARM_TAMPER,
	KC_ALARM_WRONG_SLOT,
	KC_ALARM_OVERDUE,
	KC_ALARM_FAULT,
	KC_ALARM_AUDIT_LINK,
	KC_ALARM_TYPE_MAX,
	KC_ALARM_TYPE_INVALID = -1,
};

/* The tables, indexed by value (row.c reads a column of words through
 * them); X_to_string is an index into its table, X_from_string a search. */
#define KC_WORD_OF(table, max, i) ((int)(i) >= 0 && (int)(i) < (max) ? (table)[(int)(i)] : NULL)
#define KC_STRING_TABLE_DECLARE(name, type)                     \
	extern const char *const name##_table[];                \
	type name##_from_string(const char *s);

KC_STRING_TABLE_DECLARE(kc_role, enum kc_role)
KC_STRING_TABLE_DECLARE(kc_key_kind, enum kc_key_kind)
KC_STRING_TABLE_DECLARE(kc_key_state, enum kc_key_state)
KC_STRING_TABLE_DECLARE(kc_loan_state, enum kc_loan_state)
KC_STRING_TABLE_DECLARE(kc_purpose, enum kc_purpose)
KC_STRING_TABLE_DECLARE(kc_alarm_type, enum kc_alarm_type)
#define kc_role_to_string(i) KC_WORD_OF(kc_role_table, KC_ROLE_MAX, i)
#define kc_key_kind_to_string(i) KC_WORD_OF(kc_key_kind_table, KC_KIND_MAX, i)
#define kc_key_state_to_string(i) KC_WORD_OF(kc_key_state_table, KC_KEY_STATE_MAX, i)
#define kc_loan_state_to_string(i) KC_WORD_OF(kc_loan_state_table, KC_LOAN_STATE_MAX, i)
#define kc_purpose_to_string(i) KC_WORD_OF(kc_purpose_table, KC_PURPOSE_MAX, i)
#define kc_alarm_type_to_string(i) KC_WORD_OF(kc_alarm_type_table, KC_ALARM_TYPE_MAX, i)

#endif
