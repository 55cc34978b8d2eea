#!/usr/bin/env bash
# The terminal's footprint: bytes per page load (every request, headers
# and bodies; target under 100 KB, no request elsewhere) and keycab-kiosk's
# RSS (target under 10 MB) when it starts, after the page loads 20 times
# with its event stream open, and after 200 API requests (logins and
# reads). keycabd on keycab-sim with the demo estate, a real Chromium.
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}" "${BUILD:?}"
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || exit 1
export NODE_PATH
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
# without the pinyin dictionary: its RSS is bench/kiosk-osk.sh's
kiosk_start kiosk "pinyin_dictionary =" || exit 1
KIOSK_PID=$KPID
URL=${KURL%/}
PORT=${URL##*:}
rss() { awk '/VmRSS/ {print $2}' "/proc/$KIOSK_PID/status"; }
rss0=$(rss)
# each load pairs first (the pairing's own requests are not counted)
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/bench/kiosk-page.js" | tee "$T/page.txt"
rss1=$(rss)
# curl as the screen: paired with the key (the cookie the kiosk gives, in a
# jar), its event stream open all along the requests
key=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read().strip(), safe=""))' "$T/kiosk.pairing")
j=(-H "Host: 127.0.0.1:$PORT" -H 'Content-Type: application/json' -c "$T/jar" -b "$T/jar")
curl -s -o /dev/null -c "$T/jar" "$URL/pair?key=$key"
curl -sN -b "$T/jar" "$URL/api/events" >/dev/null &
CURL=$!
for i in $(seq 1 100); do
	curl -s "${j[@]}" --data '{"person":"S01","pin":"1111"}' "$URL/api/login" >/dev/null
	curl -s "${j[@]}" --data '{}' "$URL/api/op/keys" >/dev/null
done
rss2=$(rss)
kill "$CURL"
figures=$(sed -n 's/^FIGURES //p' "$T/page.txt")
bytes=$(json 'd["bytes"]' <<<"$figures")
foreign=$(json 'd["foreign"]' <<<"$figures")
echo
echo "| keycab-kiosk | value | target |"
echo "|---|---|---|"
echo "| bytes per page load (nothing cached) | $bytes | < 102400 |"
echo "| requests elsewhere | $foreign | 0 |"
echo "| RSS at start | $rss0 kB | |"
echo "| RSS after the page loads | $rss1 kB | < 10240 kB |"
echo "| RSS after 100 logins + 100 reads (one stream open) | $rss2 kB | < 10240 kB |"
[ "$bytes" -lt 102400 ] && [ "$foreign" = 0 ] && [ "$rss1" -lt 10240 ] && [ "$rss2" -lt 10240 ]
