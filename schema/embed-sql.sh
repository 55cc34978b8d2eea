#!/bin/sh
# Writes a C file holding each migration of one database, in order, as a
# string, so that the daemon carries its schema:
#   const char *const kc_KIND_migrations[];  (migration N: version N-1 -> N)
#   const int kc_KIND_migration_count;       (the schema version)
# Usage: embed-sql.sh OUT KIND HEADER FILE...  (FILE: schema/KIND-NNN.sql,
# sorted; schema/module.mk passes every one there is)
set -e
out=$1 kind=$2 header=$3
shift 3
{
	echo "/* Generated from schema/$kind-*.sql by schema/embed-sql.sh. */"
	echo "#include \"$header\""
	echo "const char *const kc_${kind}_migrations[] = {"
	for f in "$@"; do
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
		echo '	,'
	done
	echo '};'
	echo "const int kc_${kind}_migration_count = $#;"
} >"$out.tmp"
mv "$out.tmp" "$out"
