#!/bin/sh
# Writes a C file holding each migration (schema/controller-NNN.sql, in
# order) as a string, so keycabd carries its schema. Usage: embed-sql.sh OUT FILE...
set -e
out=$1
shift
{
	echo '/* Generated from schema/controller-*.sql by controller/embed-sql.sh. */'
	echo '#include "controller/schema_sql.h"'
	echo 'const char *const kc_controller_migrations[] = {'
	for f in "$@"; do
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
		echo '	,'
	done
	echo '};'
	echo "const int kc_controller_migration_count = $#;"
} >"$out.tmp"
mv "$out.tmp" "$out"
