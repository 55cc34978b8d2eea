#include "controller/words.h"

#include <string.h>

/* name##_from_string over name##_table, whose entries are max (as
 * systemd's DEFINE_STRING_TABLE_LOOKUP; name##_to_string is words.h's). */
#define KC_STRING_TABLE_LOOKUP(name, type, max)                                   \
	type name##_from_string(const char *s)                                    \
	{                                                                         \
		for (int i = 0; s && i < (max); i++)                              \
			if (name##_table[i] && strcmp(s, name##_table[i]) == 0)   \
				return (type)i;                                   \
		return (type)-1;                                                  \
	}

const char *const kc_role_table[KC_ROLE_MAX] = {
	[KC_ROLE_STAFF] = "staff",
	[KC_ROLE_ENGINEER] = "engineer",
	[KC_ROLE_MANAGER] = "manager",
	[KC_ROLE_SUPERVISOR] = "supervisor",
};
KC_STRING_TABLE_LOOKUP(kc_role, enum kc_role, KC_ROLE_MAX)

const char *const kc_key_kind_table[KC_KIND_MAX] = {
	[KC_KIND_ENTRUSTED] = "entrusted",
	[KC_KIND_SEALED] = "sealed",
	[KC_KIND_VACANT] = "vacant",
	[KC_KIND_REPAIR] = "repair",
};
KC_STRING_TABLE_LOOKUP(kc_key_kind, enum kc_key_kind, KC_KIND_MAX)

const char *const kc_key_state_table[KC_KEY_STATE_MAX] = {
	[KC_KEY_AWAITING] = "awaiting", [KC_KEY_IN] = "in",           [KC_KEY_RELEASING] = "releasing",
	[KC_KEY_OUT] = "out",           [KC_KEY_MISSING] = "missing", [KC_KEY_COLLECTED] = "collected",
};
KC_STRING_TABLE_LOOKUP(kc_key_state, enum kc_key_state, KC_KEY_STATE_MAX)

const char *const kc_loan_state_table[KC_LOAN_STATE_MAX] = {
	[KC_LOAN_GRANTED] = "granted",     [KC_LOAN_OUT] = "out",
	[KC_LOAN_RETURNED] = "returned",   [KC_LOAN_NOT_TAKEN] = "not_taken",
	[KC_LOAN_COLLECTED] = "collected",
};
KC_STRING_TABLE_LOOKUP(kc_loan_state, enum kc_loan_state, KC_LOAN_STATE_MAX)

const char *const kc_purpose_table[KC_PURPOSE_MAX] = {
	[KC_PURPOSE_BORROW] = "borrow",       [KC_PURPOSE_INSPECTION] = "inspection",
	[KC_PURPOSE_REPAIR] = "repair",       [KC_PURPOSE_EMERGENCY] = "emergency",
	[KC_PURPOSE_OWNER_COLLECT] = "owner_collect",
};
KC_STRING_TABLE_LOOKUP(kc_purpose, enum kc_purpose, KC_PURPOSE_MAX)

const char *const kc_alarm_type_table[KC_ALARM_TYPE_MAX] = {
	[KC_ALARM_TAMPER] = "tamper", [KC_ALARM_WRONG_SLOT] = "wrong_slot", [KC_ALARM_OVERDUE] = "overdue",
	[KC_ALARM_FAULT] = "fault",   [KC_ALARM_AUDIT_LINK] = "audit_link",
};
KC_STRING_TABLE_LOOKUP(kc_alarm_type, enum kc_alarm_type, KC_ALARM_TYPE_MAX)
