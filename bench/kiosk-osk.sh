#!/usr/bin/env bash
# The on-screen keyboard (bench/kiosk-osk.js): a tap on a letter to the
# candidate bar showing the words of the pinyin typed so far, p50 and p99
# (target p99 under 50 ms), beside a tap on a letter in English (the
# letter in the field, no lookup) in the same run; and keycab-kiosk's RSS
# with Debian's luna_pinyin dictionary loaded (target under 30 MB) beside
# a keycab-kiosk without one, started in the same run. keycabd on
# keycab-sim with the demo estate, a real Chromium with touch at 1024x600.
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}" "${BUILD:?}"
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null && wait $p 2>/dev/null; done; kc_cleanup' EXIT
rss() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }
kiosk_start bare "idle_timeout = 1h" "pinyin_dictionary =" || exit 1
BARE=$KPID
PIDS="$PIDS $KPID"
kiosk_start kiosk "idle_timeout = 1h" || exit 1
KIOSK_PID=$KPID
PIDS="$PIDS $KPID"
sleep 1
bare0=$(rss "$BARE" VmRSS) dict0=$(rss "$KIOSK_PID" VmRSS) dicthwm0=$(rss "$KIOSK_PID" VmHWM)
words=$(grep -o 'pinyin dictionary .*: [0-9]* words' "$T/kiosk.log")
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR timeout 900 node "$KEYCAB_SRC/bench/kiosk-osk.js" | tee "$T/osk.txt"
rc=${PIPESTATUS[0]}
dict1=$(rss "$KIOSK_PID" VmRSS) dicthwm1=$(rss "$KIOSK_PID" VmHWM)
echo
echo "$words"
echo "| keycab-kiosk RSS | kB | baseline: no dictionary, same run | ratio | target |"
echo "|---|---|---|---|---|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { [ "$1" -lt 30720 ] && echo "< 30720: met" || echo "< 30720: NOT met"; }
echo "| at start, the dictionary loaded | $dict0 | $bare0 | $(ratio "$dict0" "$bare0") | $(met "$dict0") |"
echo "| peak while loading it (VmHWM) | $dicthwm0 | $bare0 | $(ratio "$dicthwm0" "$bare0") | |"
echo "| after the taps' lookups | $dict1 | $bare0 | $(ratio "$dict1" "$bare0") | $(met "$dict1") |"
echo "| peak (VmHWM) after them | $dicthwm1 | $bare0 | $(ratio "$dicthwm1" "$bare0") | |"
[ "$rc" = 0 ] && [ "$dict1" -lt 30720 ]
