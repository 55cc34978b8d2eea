#!/usr/bin/env bash
# The office console speaks through one catalogue (po/zh_CN/*.po):
# - every text keyauditd shows (service/*.c: kc_web_t, kc_msg_gettext,
#   kc_report_bad, kc_report_section, kc_report_column, KC_N_ in tables),
#   as xgettext extracts it, has a Chinese translation;
# - each translation takes the printf arguments its English does
#   (msgfmt --check-format on the texts, flagged c-format by xgettext),
#   and names the {placeholders} its English does (the key log's
#   sentences);
# - no text is translated differently in two files of the catalogue (the
#   build joins them with msgcat --use-first, which would keep one silently);
# - no string literal of service/*.c is Chinese (or both languages side by
#   side): the Chinese is the catalogue's. Allowed: the language toggle
#   naming Chinese in Chinese (web_page.c), the 栋 and （） of unit and key labels
#   in SQL (report_keylog.c). The notices' shipped templates are files of
#   their own (service/templates/), not literals.
# Every message code of common/msgs/ is checked by t-msg; the words of
# service/words.c and the reports' run-time headings by t-service-unit.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; fail=1; }
SRC=${KC_CATALOGUE_SRC:-service}
PO=${KC_CATALOGUE_PO:-po/zh_CN}

echo "== the service's texts (xgettext over $SRC/*.c)"
xgettext --from-code=UTF-8 -k --keyword=kc_web_t:2 --keyword=kc_msg_gettext:2 --keyword=kc_report_bad:2 \
	--keyword=kc_report_section:3 --keyword=kc_report_column:2 --keyword=KC_N_ \
	-o "$tmp/service.pot" "$SRC"/*.c || bad "xgettext failed"
n=$(grep -c '^msgid "[^"]' "$tmp/service.pot")
[ "$n" -ge 100 ] && ok "$n texts extracted" || bad "only $n texts extracted (the keywords find nothing?)"

msgcat --use-first -o "$tmp/all.po" "$PO"/*.po || bad "msgcat of $PO/*.po failed"
msgmerge --no-fuzzy-matching -q -o "$tmp/merged.po" "$tmp/all.po" "$tmp/service.pot" || bad "msgmerge failed"
msgattrib --no-obsolete -o "$tmp/used.po" "$tmp/merged.po"
msgattrib --untranslated --no-obsolete "$tmp/used.po" | grep -A1 '^#:' >"$tmp/untranslated" || true
if [ -s "$tmp/untranslated" ]; then
	bad "texts without a Chinese translation in $PO/*.po:"
	sed 's/^/      /' "$tmp/untranslated"
else
	ok "every text has its Chinese"
fi
# msgmerge marks fuzzy a translation whose printf arguments differ
msgattrib --only-fuzzy --no-obsolete "$tmp/used.po" | grep -A2 '^#:' >"$tmp/fuzzy" || true
if [ -s "$tmp/fuzzy" ]; then
	bad "translations whose printf arguments differ from their English's (or marked fuzzy):"
	sed 's/^/      /' "$tmp/fuzzy"
elif msgfmt --check-format -o /dev/null "$tmp/used.po" 2>"$tmp/format"; then
	ok "every translation takes its English's printf arguments ($(grep -c 'c-format' "$tmp/used.po") formats)"
else
	bad "a translation's printf arguments differ from its English:"
	sed 's/^/      /' "$tmp/format"
fi

# a sentence's {placeholders} (the key log's): the same in both languages
msgexec -i "$tmp/used.po" sh -c '[ -z "$MSGEXEC_MSGID" ] && exit 0
	zh=$(grep -o "{[a-z_]*}" | sort -u | tr -d "\n")
	en=$(printf "%s" "$MSGEXEC_MSGID" | grep -o "{[a-z_]*}" | sort -u | tr -d "\n")
	[ "$zh" = "$en" ] || printf "%s: the Chinese names %s\n" "$MSGEXEC_MSGID" "${zh:-nothing}"' >"$tmp/ph" ||
	bad "msgexec failed"
if [ -s "$tmp/ph" ]; then
	bad "translations naming other {placeholders} than their English:"
	sed 's/^/      /' "$tmp/ph"
else
	ok "every sentence's {placeholders} are its English's"
fi

echo "== one translation per text across $PO/*.po"
# msgcat without --use-first joins differing translations of one msgid
# between "#-#-#-#-#  file  #-#-#-#-#" lines: the build's --use-first would
# keep the first file's silently
msgcat -o "$tmp/joined.po" "$PO"/*.po 2>/dev/null || bad "msgcat of $PO/*.po failed"
msggrep --msgstr -F -e '#-#-#-#-#' "$tmp/joined.po" 2>/dev/null | grep '^msgid "[^"]' >"$tmp/conflicts" || true
if [ -s "$tmp/conflicts" ]; then
	bad "texts translated differently in two files (keep one translation, in one file):"
	sed 's/^/      /' "$tmp/conflicts"
else
	ok "none translated twice differently"
fi

echo "== no Chinese literal in $SRC/*.c"
# string literals holding CJK, outside comments
grep -nP '^(?!\s*(/?\*|//)).*"[^"]*[\x{3000}-\x{303f}\x{4e00}-\x{9fff}\x{ff00}-\x{ffef}]' "$SRC"/*.c |
	grep -vP '^[^:]*/web_page\.c:.*"中文"' |
	grep -vP "^[^:]*/report_keylog\.c:.*'[栋（）]'" >"$tmp/cjk" || true
if [ -s "$tmp/cjk" ]; then
	bad "Chinese in string literals (put the English in the code, the Chinese in $PO/):"
	sed 's/^/      /' "$tmp/cjk"
else
	ok "none"
fi
exit $fail
