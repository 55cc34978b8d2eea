/* The SQL files of schema/ linked into the binary, so that the schema has
 * one source (schema/audit-NNN.sql) and the daemon needs no data files. */
#include "service/schema_sql.h"

__asm__(".section .rodata\n"
	".global kc_audit_sql_001\n"
	".type kc_audit_sql_001, @object\n"
	"kc_audit_sql_001:\n"
	".incbin \"schema/audit-001.sql\"\n"
	".byte 0\n"
	".previous\n");

__asm__(".section .rodata\n"
	".global kc_audit_sql_002\n"
	".type kc_audit_sql_002, @object\n"
	"kc_audit_sql_002:\n"
	".incbin \"schema/audit-002.sql\"\n"
	".byte 0\n"
	".previous\n");
__asm__(".section .rodata\n"
	".global kc_audit_sql_003\n"
	".type kc_audit_sql_003, @object\n"
	"kc_audit_sql_003:\n"
	".incbin \"schema/audit-003.sql\"\n"
	".byte 0\n"
	".previous\n");
__asm__(".section .rodata\n"
	".global kc_audit_sql_004\n"
	".type kc_audit_sql_004, @object\n"
	"kc_audit_sql_004:\n"
	".incbin \"schema/audit-004.sql\"\n"
	".byte 0\n"
	".previous\n");
__asm__(".section .rodata\n"
	".global kc_audit_sql_005\n"
	".type kc_audit_sql_005, @object\n"
	"kc_audit_sql_005:\n"
	".incbin \"schema/audit-005.sql\"\n"
	".byte 0\n"
	".previous\n");
