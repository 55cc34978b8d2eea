#!/usr/bin/env bash
# The terminal serves one screen, the one its display paired
# (controller/README.md, "The terminal": pairing), against keycabd on
# keycab-sim with the demo estate. What a local process without the
# screen's cookie gets (curl: these are attack tests, the cookies and
# requests made up by hand on purpose): the refusal page, 401 for every
# API route, PIN guesses that cost the staff nothing at keycabd (no
# failure counted, no lockout, no event), a cookie it made up that a
# login never binds (fixation), 8 event streams that are refused at once
# instead of filling the pages' places, a pairing with a wrong key. Then
# in Chromium (t-kiosk-pair.js): pairing as the display does, the paired
# screen's stream and login beside those streams, an unpaired browser
# shown the refusal in Chinese and English, the Content-Type of a write
# compared exactly, a second pairing that takes the screen over.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID= STREAMS=()
cleanup() {
	for p in "${STREAMS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	kc_cleanup
}
trap cleanup EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
URL=${KURL%/}

# A cookie of the kiosk's form (43 characters of base64url) that it never issued.
made_up() { head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n'; }
FAKE=$(made_up)
req() { # req METHOD PATH [CURL ARGS...]: the status code; the body in $T/body
	local m=$1 p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$URL$p"
}
code_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("code"))' "$T/body" 2>/dev/null; }

echo "== a local process without the screen's cookie (attack: cookies made up by hand)"
code=$(req GET /)
body=$(cat "$T/body")
if [ "$code" = 401 ] && [[ $body == *"不是本钥匙柜的终端屏幕"* ]] && [[ $body == *"not this cabinet's terminal screen"* ]]; then
	ok "GET / without a cookie: 401, the refusal page in Chinese and English"
else bad "GET / without a cookie: $code ${body:0:200}"; fi
code=$(req GET / -H "Cookie: kcterm=$FAKE")
[ "$code" = 401 ] && ok "GET / with a made-up cookie: 401" || bad "GET / with a made-up cookie: $code"
grep -qi '^set-cookie' <(curl -s -D - -o /dev/null "$URL/") && bad "GET / gives a cookie to a browser not paired" ||
	ok "no cookie is given to a browser not paired"
for route in "GET /api/events" "GET /api/roster" "POST /api/logout" "POST /api/op/ping" "POST /api/op/whoami"; do
	if [ "${route% *}" = GET ]; then code=$(req GET "${route#* }" -H "Cookie: kcterm=$FAKE" -m 3)
	else code=$(req POST "${route#* }" -H "Cookie: kcterm=$FAKE" -H 'Content-Type: application/json' --data-binary '{}'); fi
	[ "$code" = 401 ] && [ "$(code_of)" = kiosk_not_paired ] && ok "$route with a made-up cookie: 401 kiosk_not_paired" ||
		bad "$route with a made-up cookie: $code $(head -c 200 "$T/body")"
done

echo "== a cookie it made up is never bound (fixation)"
code=$(req POST /api/login -H "Cookie: kcterm=$FAKE" -H 'Content-Type: application/json' --data-binary '{"person":"S01","pin":"1111"}')
[ "$code" = 401 ] && ok "S01's right PIN with a made-up cookie: 401, no login" || bad "a login with a made-up cookie: $code $(cat "$T/body")"
code=$(req POST /api/op/whoami -H "Cookie: kcterm=$FAKE" -H 'Content-Type: application/json' --data-binary '{}')
[ "$code" = 401 ] && ok "whoami with that cookie: 401" || bad "whoami with the made-up cookie: $code $(cat "$T/body")"
n=$(events operator.login)
[ "$n" = 0 ] && ok "no login at keycabd" || bad "$n operator.login events"

echo "== PIN guesses from it cost the staff nothing"
before=$(sqlite3 "$T/keycab.db" "SELECT failures || '|' || lockouts || '|' || locked_until FROM people WHERE code = 'S01'")
# as a patient guesser would: waiting out keycabd's slowing of the
# terminal's failed logins (retry_after_s) between two guesses
guess() { # guess PIN [CURL ARGS...]: its status code; waits as the answer says
	local pin=$1 code wait
	shift
	code=$(req POST /api/login "$@" -H 'Content-Type: application/json' --data-binary "{\"person\":\"S01\",\"pin\":\"$pin\"}")
	wait=$(python3 -c 'import json,sys; print(min(5, json.load(open(sys.argv[1])).get("retry_after_s", 0)))' "$T/body" 2>/dev/null)
	[ "${wait:-0}" -gt 0 ] && sleep "$wait.3"
	echo "$code"
}
codes=
for pin in 0000 1234 9999 4321 1112 2111; do codes+="$(guess $pin -H "Cookie: kcterm=$FAKE") "; done
codes+="$(guess 5555)"
[ "$codes" = "401 401 401 401 401 401 401" ] && ok "7 wrong PINs for S01 (6 with a made-up cookie, 1 with none): each 401" ||
	bad "wrong PINs for S01 answered: $codes"
after=$(sqlite3 "$T/keycab.db" "SELECT failures || '|' || lockouts || '|' || locked_until FROM people WHERE code = 'S01'")
[ "$after" = "$before" ] && [ "$after" = "0|0|0" ] && ok "keycabd counted none of them (S01: failures|lockouts|locked_until $after)" ||
	bad "keycabd counted them: S01 $before -> $after"
n=$(events operator.login_failed)
[ "$n" = 0 ] && ok "no operator.login_failed event" || bad "$n operator.login_failed events"

echo "== pairing with a wrong key"
code=$(req GET "/pair?key=$(made_up)")
body=$(cat "$T/body")
[ "$code" = 401 ] && [[ $body == *"配对密钥不正确"* ]] && [[ $body == *"pairing key is wrong"* ]] &&
	ok "a wrong pairing key: 401, said in Chinese and English" || bad "a wrong pairing key: $code ${body:0:200}"
code=$(req GET /pair)
[ "$code" = 401 ] && ok "no key: 401" || bad "/pair without a key: $code"
grep -q "a pairing with a wrong key was refused" "$T/kiosk.log" && ok "the kiosk logs the refused pairing" ||
	bad "no refused pairing in the kiosk's log"

echo "== 8 event streams of local processes (4 with made-up cookies, 4 with none)"
for i in 1 2 3 4 5 6 7 8; do
	c=()
	[ "$i" -le 4 ] && c=(-H "Cookie: kcterm=$(made_up)")
	curl -s -N -m 120 -o "$T/stream$i.out" -w '%{http_code}' "${c[@]}" "$URL/api/events" >"$T/stream$i.code" &
	STREAMS+=($!)
done
sleep 2
codes=
for i in 1 2 3 4 5 6 7 8; do codes+="$(cat "$T/stream$i.code") "; done
[ "$codes" = "401 401 401 401 401 401 401 401 " ] && ok "each refused at once (401): none holds a page's place" ||
	bad "the streams: $codes(held open: $(grep -l 'event:' "$T"/stream*.out 2>/dev/null | wc -l))"
grep -q '"up"' "$T"/stream*.out && bad "a stream without the screen's cookie got the cabinet's state" ||
	ok "none got anything of the cabinet's state"

echo "== in Chromium (the streams still held where they were not refused)"
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR FAKE=$FAKE node "$KEYCAB_SRC/tests/kiosk/t-kiosk-pair.js" && ok "t-kiosk-pair.js" ||
	bad "t-kiosk-pair.js"
for p in "${STREAMS[@]}"; do kill "$p" 2>/dev/null; done
STREAMS=()

echo "== the log"
grep -qF "$(cat "$T/kiosk.pairing")" "$T/kiosk.log" && bad "the pairing key in the kiosk's log" ||
	ok "the pairing key is not in the kiosk's log"
grep -q "a screen was paired" "$T/kiosk.log" && ok "the kiosk logs each pairing" || bad "no pairing in the kiosk's log"
grep -E -q "1111|9999|4321" "$T/kiosk.log" && bad "a PIN in the kiosk's log" || ok "no PIN in the kiosk's log"
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
