#!/usr/bin/env bash
# The terminal's on-screen keyboard (controller/kiosk/www/keyboard.js,
# tests/kiosk/t-osk.js) in a real headless Chromium with touch, against
# keycabd on keycab-sim with the demo estate, served by keycab-kiosk with
# Debian's luna_pinyin dictionary and the quick phrases of
# systemd/keycab-kiosk.conf.example:
# - [phrases] with a fault: keycab-kiosk refuses to start, naming the
#   file, the line and the key;
# - /api/pinyin answers the paired screen only;
# - t-osk.js: every text field opens the keyboard, its keys inside
#   1024x600 and 1280x800, ASCII by taps, Chinese by pinyin and a
#   candidate (paged), a quick phrase, an alarm cleared with a note
#   typed on it (the note checked in keycabd's event here);
# - keycab-kiosk again with no dictionary file: a clear line at start,
#   and the keyboard still types letters and digits (t-osk.js).
# Screenshots: $BUILD/test-logs/kiosk/t-osk/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
[ -r /usr/share/rime-data/build/luna_pinyin.table.txt ] ||
	{ echo "no luna_pinyin dictionary (apt-get install rime-data-luna-pinyin)"; exit 77; }
KC_WINDOW=3s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
PHRASES=$(sed -n '/^\[phrases\]/,$p' "$KEYCAB_SRC/systemd/keycab-kiosk.conf.example")

# [phrases] with a fault: refused at start with FILE:LINE: [phrases] key: what
bad_phrases() { # bad_phrases WHAT LINE EXPECTED
	printf '[kiosk]\nport = 0\npairing_key = /nonexistent\n[phrases]\nproblem = 卫生间漏水\n%s\n' "$1" >"$T/bad.conf"
	if "$KEYCAB_BIN/keycab-kiosk" -c "$T/bad.conf" --check-config >"$T/bad.out" 2>&1; then
		bad "[phrases] $1: taken"
	elif grep -qF "$T/bad.conf:$2: [phrases] $3" "$T/bad.out"; then
		ok "[phrases] $1: refused: $(cat "$T/bad.out")"
	else
		bad "[phrases] $1: refused without FILE:$2: [phrases] $3: $(cat "$T/bad.out")"
	fi
}
bad_phrases 'problem = 墙面渗水 |  | 门锁损坏' 6 'problem: an empty phrase'
bad_phrases 'alarm = 一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三' 6 'alarm: "一二三'
bad_phrases 'complaint = 太吵' 6 'complaint: unknown key'
bad_phrases "repair = $(seq -s ' | ' 1 25)" 6 'repair: more than 24 phrases'

kiosk_start kiosk "idle_timeout = 5m" "$PHRASES" || exit 1
KIOSK_PID=$KPID
grep -q "pinyin dictionary /usr/share/rime-data/build/luna_pinyin.table.txt: [0-9]* words" "$T/kiosk.log" &&
	ok "keycab-kiosk loaded the pinyin dictionary: $(grep -o '[0-9]* words' "$T/kiosk.log")" ||
	{ bad "no dictionary loaded"; cat "$T/kiosk.log"; }
code=$(curl -s -o "$T/pinyin.out" -w '%{http_code}' "${KURL}api/pinyin?q=zhang")
[ "$code" = 401 ] && ! grep -q 张 "$T/pinyin.out" && ok "/api/pinyin without the screen's cookie: 401" ||
	bad "/api/pinyin without the screen's cookie: $code $(cat "$T/pinyin.out")"

# a key lifted without a release: a tamper alarm to clear with a note
sim remove A02 >/dev/null && wait_key K-HY-1-102 missing || bad "K-HY-1-102 lifted: no alarm"

# What the page asks of the shell (kiosk_node).
act() {
	case $1 in
	nodict)
		kiosk_stop "$KIOSK_PID"
		KIOSK_PID=
		kiosk_start nodict "idle_timeout = 5m" "pinyin_dictionary = $T/no-such-dictionary.txt" "$PHRASES" ||
			return 1
		KIOSK_PID=$KPID
		grep -F "$T/no-such-dictionary.txt: No such file or directory" "$T/nodict.log" |
			grep -q "letters and digits only" &&
			ok "no dictionary file: keycab-kiosk says so at start: $(grep -F 'pinyin dictionary' "$T/nodict.log")" ||
			{ bad "no dictionary file: no clear line at start"; cat "$T/nodict.log"; }
		;;
	*) return 1 ;;
	esac
}
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-osk.js

# the alarm's note typed on the keyboard (a quick phrase, then pinyin), as keycabd recorded it
got=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') = 'alarm.cleared'
	AND json_extract(body, '\$.data.note') = '已到柜机现场核实，门窗'")
[ "$got" = 1 ] && ok "keycabd recorded the alarm's note 已到柜机现场核实，门窗 (alarm.cleared)" || {
	bad "alarm.cleared events with the note: $got"
	sqlite3 "$T/keycab.db" "SELECT body FROM outbox WHERE json_extract(body, '\$.type') = 'alarm.cleared'"
}
kiosk_end "$KIOSK_PID" nodict
KIOSK_PID=
kc_finish
