/* The migrations of keycabd's database, from schema/controller-*.sql
 * (generated into the build directory by schema/embed-sql.sh). */
#ifndef KC_CTL_SCHEMA_SQL_H
#define KC_CTL_SCHEMA_SQL_H
extern const char *const kc_controller_migrations[];
extern const int kc_controller_migration_count;
#endif
