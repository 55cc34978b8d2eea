/* The migrations of keyauditd's database, from schema/audit-*.sql
 * (generated into the build directory by schema/embed-sql.sh). */
#ifndef KC_SERVICE_SCHEMA_SQL_H
#define KC_SERVICE_SCHEMA_SQL_H
extern const char *const kc_audit_migrations[];
extern const int kc_audit_migration_count;
#endif
