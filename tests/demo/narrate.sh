# shellcheck shell=bash
# The demo's narration in the reader's language; sourced by demo.sh,
# walkthrough.sh and estate/setup.sh. Chinese under a Chinese locale,
# chosen as keycab chooses (common/msg.c): the first entry of LANGUAGE
# unless the locale is C, then LC_ALL, LC_MESSAGES, LANG; English
# otherwise. The Chinese comes from the "keycab" gettext catalogue
# (po/zh_CN/demo.po, built into $KEYCAB_LOCALEDIR), read in C.UTF-8 as
# keycab reads it, so zh_CN.UTF-8 need not be generated. The English
# text is the msgid itself.
#
# Every narrated text is a literal first argument of _, msg, say, chapter
# or terminal (tests/demo/t-demo.py extracts them with xgettext and
# checks each has its Chinese): a printf format, values as %s, a percent
# sign as %%.

narrate_lang() {
	local lc='' v first
	for v in "${LC_ALL:-}" "${LC_MESSAGES:-}" "${LANG:-}"; do
		[ -n "$v" ] && { lc=$v; break; }
	done
	if [ -n "${LANGUAGE:-}" ] && [ "$lc" != C ]; then
		first=${LANGUAGE%%:*}
		case $first in
		[zZ][hH] | [zZ][hH][_.-]*) echo zh; return ;;
		[eE][nN]*) echo en; return ;;
		esac
	fi
	case $lc in
	[zZ][hH] | [zZ][hH][_.-]*) echo zh ;;
	*) echo en ;;
	esac
}
NARRATE_LANG=${NARRATE_LANG:-$(narrate_lang)}
export NARRATE_LANG

# _ FORMAT: FORMAT in the narration's language (no newline).
_() {
	if [ "$NARRATE_LANG" = zh ]; then
		LC_ALL=C.UTF-8 LANGUAGE=zh_CN TEXTDOMAIN=keycab TEXTDOMAINDIR="${KEYCAB_LOCALEDIR:-}" gettext -- "$1"
	else
		printf '%s' "$1"
	fi
}
# msg FORMAT [ARG...]: one line of narration.
msg() {
	local f
	f=$(_ "$1")
	shift
	# shellcheck disable=SC2059 # the format is the catalogue's
	printf "$f\n" "$@"
}
