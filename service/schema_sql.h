#ifndef KC_SERVICE_SCHEMA_SQL_H
#define KC_SERVICE_SCHEMA_SQL_H
/* schema/audit-001.sql, NUL-terminated */
extern const char kc_audit_sql_001[];
/* schema/audit-002.sql */
extern const char kc_audit_sql_002[];
/* schema/audit-003.sql */
extern const char kc_audit_sql_003[];
/* schema/audit-004.sql */
extern const char kc_audit_sql_004[];
/* schema/audit-005.sql */
extern const char kc_audit_sql_005[];
#endif
