#!/bin/sh
# Writes the C table of the notices' built-in templates
# (templates.h's kc_template_defaults) from the shipped template
# files, service/templates/<kind>.<lang>.txt: the same text an admin
# edits, read as templates.c reads a file (its first lines, those
# starting with #, left out; the rest joined by new lines, the last new line dropped).
#   templates-gen.sh OUT.c FILE...
set -eu
out=$1
shift
tmp=$out.tmp
{
	echo "/* made by service/templates-gen.sh from service/templates/ */"
	echo '#include "service/templates.h"'
	echo "const struct kc_template_default kc_template_defaults[] = {"
	for f in "$@"; do
		b=$(basename "$f" .txt)
		kind=${b%.*}
		lang=${b##*.}
		printf '\t{ "%s", "%s", "' "$kind" "$lang"
		LC_ALL=C sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$f" |
			LC_ALL=C awk 'n == 0 && /^#/ { next } n++ > 0 { printf "\\n" } { printf "%s", $0 }'
		printf '" },\n'
	done
	echo "};"
	echo "const size_t kc_template_ndefaults = sizeof(kc_template_defaults) / sizeof(kc_template_defaults[0]);"
} >"$tmp"
mv "$tmp" "$out"
