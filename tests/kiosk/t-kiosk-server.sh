#!/usr/bin/env bash
# keycab-kiosk against keycabd on keycab-sim with the demo estate: its
# configuration errors, what curl sees (127.0.0.1 only, the Host and
# write checks, CSP on every answer), then the page in a real Chromium
# (t-kiosk-server.js), keycabd stopped and started under it.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH T
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
kiosk_cleanup() {
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	kc_cleanup
}
trap kiosk_cleanup EXIT

echo "== configuration"
kconf() { printf '%s\n' "$@" >"$T/bad.conf"; "$KEYCAB_BIN/keycab-kiosk" -c "$T/bad.conf" --check-config 2>&1; }
for case in 'idle_timeout = 1s|[kiosk] idle_timeout: "1s" is out of range' \
	"port = 70000|[kiosk] port: 70000 is out of range" \
	'language = fr|[kiosk] language: "fr": say zh-CN or en' \
	"colour = blue|[kiosk] colour: unknown key" \
	'pairing_key = keys/pairing|[kiosk] pairing_key: "keys/pairing" is neither an absolute path nor a credential name' \
	'terminal_key = ./terminal|[kiosk] terminal_key: "./terminal" is neither an absolute path nor a credential name' \
	'speech = loud|[kiosk] speech: "loud" is not yes or no' \
	'espeak = |[kiosk] espeak: must not be empty'; do
	want="bad.conf:2: ${case#*|}"
	out=$(kconf "[kiosk]" "${case%%|*}") && bad "${case%%|*} taken" ||
		{ [[ $out == *"$want"* ]] && ok "${case%%|*}: $want" || bad "${case%%|*}: no \"$want\" in: $out"; }
done
out=$(kconf "[card_reader]" "device = input/event3") && bad "a relative device taken" ||
	has "a card reader path that is not absolute" "device: \"input/event3\" is not an absolute path" "$out"

echo "== the pairing key, read at start"
# each stops the kiosk before it serves, saying why
startfail() { # startfail DESC WANT [CONF LINES...]
	local desc=$1 want=$2 out
	shift 2
	printf '[kiosk]\nport = 0\nsocket = %s\n' "$KEYCAB_SOCKET" >"$T/bad.conf"
	printf '%s\n' "$@" >>"$T/bad.conf"
	out=$(env -u CREDENTIALS_DIRECTORY timeout 10 "$KEYCAB_BIN/keycab-kiosk" -c "$T/bad.conf" 2>&1) &&
		bad "$desc: started" || has "$desc: $want" "$want" "$out"
}
(umask 077 && echo short >"$T/short.key" && echo "$(head -c 24 /dev/urandom | base64) $(head -c 24 /dev/urandom | base64)" >"$T/space.key")
head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n' >"$T/open.key"
chmod 644 "$T/open.key"
startfail "no key file" "pairing_key: $T/none.key: cannot open it: No such file or directory" "pairing_key = $T/none.key"
startfail "a key too short" "pairing_key: $T/short.key: the key is 5 characters long; it must be 32 to 256" "pairing_key = $T/short.key"
startfail "a key with a space in it" "pairing_key: $T/space.key: the key must be one line of printable characters without spaces" "pairing_key = $T/space.key"
startfail "a key every user can read" "pairing_key: $T/open.key: others may read it or its group may write it (mode 0644)" "pairing_key = $T/open.key"
startfail "a credential name outside systemd" 'pairing_key: "kiosk-pairing" is a credential name, but $CREDENTIALS_DIRECTORY is not set'
(umask 077 && head -c 32 /dev/urandom | base64 >"$T/good.key")
startfail "a terminal key too short" "terminal_key: $T/short.key: the key is 5 characters long" "pairing_key = $T/good.key" "terminal_key = $T/short.key"
mkdir -p "$T/creds"
cp "$T/open.key" "$T/creds/kiosk-pairing"
chmod 400 "$T/creds/kiosk-pairing"
printf '[kiosk]\nport = 0\nsocket = %s\n' "$KEYCAB_SOCKET" >"$T/cred.conf"
CREDENTIALS_DIRECTORY=$T/creds "$KEYCAB_BIN/keycab-kiosk" -c "$T/cred.conf" --pairing-page "$T/cred.html" 2>"$T/cred.err" &&
	bad "--pairing-page with port 0 taken" || has "--pairing-page needs a port" "port is 0; the display needs the port it opens" "$(cat "$T/cred.err")"
sed -i 's/^port = 0/port = 8470/' "$T/cred.conf"
CREDENTIALS_DIRECTORY=$T/creds "$KEYCAB_BIN/keycab-kiosk" -c "$T/cred.conf" --pairing-page "$T/cred.html" &&
	grep -qF "http://127.0.0.1:8470/pair?key=$(cat "$T/open.key")" "$T/cred.html" &&
	[ "$(stat -c %a "$T/cred.html")" = 600 ] &&
	ok "the default pairing_key is the credential kiosk-pairing; the page has its key, mode 0600" ||
	bad "the pairing page from the credential: $(cat "$T/cred.html" 2>&1)"

IDLE_S=5
kiosk_start kiosk "idle_timeout = ${IDLE_S}s" || exit 1
KIOSK_PID=$KPID
URL=${KURL%/}
expect 0 "the configuration checks" "$KEYCAB_BIN/keycab-kiosk" -c "$T/kiosk.conf" --check-config
ok "keycab-kiosk serves $URL/"
PORT=${URL##*:}

echo "== 127.0.0.1 only"
listen=$(ss -Hltnp "sport = :$PORT" | awk '{print $4}')
[ "$listen" = "127.0.0.1:$PORT" ] && ok "listens on 127.0.0.1:$PORT alone" || bad "listens on: $listen"
other=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
if [ -n "$other" ]; then
	curl -s -m 3 -o /dev/null "http://$other:$PORT/" && bad "answers on $other" || ok "no answer on $other:$PORT"
fi
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Host: kiosk.example.com" "$URL/")
[ "$code" = 421 ] && ok "another Host name (DNS rebinding) is refused (421)" || bad "Host kiosk.example.com: $code"

echo "== every answer has the CSP; writes come from the page"
for u in / /static/index.html /nothing /api/roster /api/op/import; do
	h=$(curl -s -D - -o /dev/null "$URL$u")
	has "GET $u has the CSP" "Content-Security-Policy: default-src 'self';" "$h"
done

echo "== the files of www/: as they are, or gzip-compressed to a client that takes it"
for f in app.js i18n.js app.css index.html screen-borrow.js; do
	# i18n.js is generated from the catalogue at build time
	W=$KEYCAB_SRC/controller/kiosk/www
	[ "$f" = i18n.js ] && W=$BUILD/gen/kiosk/www
	h=$(curl -s -D - -o "$T/plain" "$URL/static/$f")
	cmp -s "$T/plain" "$W/$f" && ! grep -qi '^content-encoding' <<<"$h" &&
		ok "$f without Accept-Encoding: the file itself" || bad "$f without Accept-Encoding: $h"
	h=$(curl -s -D - -o "$T/gz" -H 'Accept-Encoding: gzip, deflate, br' "$URL/static/$f")
	size=$(stat -c %s "$T/gz")
	if grep -qi '^content-encoding: gzip' <<<"$h" && grep -qi '^vary: accept-encoding' <<<"$h" &&
		gunzip -c "$T/gz" | cmp -s - "$W/$f" && [ "$size" -lt "$(stat -c %s "$W/$f")" ]; then
		ok "$f to a client that takes gzip: compressed ($size of $(stat -c %s "$W/$f") bytes), the same file unpacked"
	else
		bad "$f with Accept-Encoding gzip: $h"
	fi
done
W=$KEYCAB_SRC/controller/kiosk/www
etag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$URL/static/app.js" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
plain_etag=$(curl -s -D - -o /dev/null "$URL/static/app.js" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag" "$URL/static/app.js")
[ -n "$etag" ] && [ "$etag" != "$plain_etag" ] && [ "$code" = 304 ] &&
	ok "the compressed file has an ETag of its own ($etag), revalidated: 304" || bad "gzip ETag $etag, plain $plain_etag: $code"
h=$(curl -s -D - -o "$T/plain" -H 'Accept-Encoding: gzip;q=0, identity' "$URL/static/app.js")
cmp -s "$T/plain" "$W/app.js" && ! grep -qi '^content-encoding' <<<"$h" &&
	ok "gzip;q=0: the file itself" || bad "gzip;q=0: $h"

post() { curl -s -o "$T/body" -w '%{http_code}' -X POST "$@"; }
code=$(post -H 'Content-Type: text/plain' --data '{"person":"S01","pin":"1111"}' "$URL/api/login")
[ "$code" = 403 ] && ok "a login that is not JSON is refused (403: a form of another site)" || bad "text/plain login: $code"
code=$(post -H 'Content-Type: application/json' -H 'Origin: http://evil.example' --data '{"person":"S01","pin":"1111"}' "$URL/api/login")
[ "$code" = 403 ] && ok "a login from another origin is refused (403)" || bad "cross-origin login: $code"
code=$(post -H 'Content-Type: application/jsonx' --data '{"person":"S01","pin":"1111"}' "$URL/api/login")
[ "$code" = 403 ] && ok "Content-Type application/jsonx is not JSON (403)" || bad "application/jsonx login: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/login")
[ "$code" = 405 ] && ok "GET /api/login: 405" || bad "GET /api/login: $code"

echo "== in Chromium"
# the browser asks the shell to stop and start keycabd (files in $T)
(
	wait_for 120 test -e "$T/req-stop" || exit 1
	kill "$KCD_PID"
	wait_for 20 bash -c "! kill -0 $KCD_PID" || exit 1
	touch "$T/done-stop"
	wait_for 60 test -e "$T/req-start" || exit 1
	kcd_start
	echo "$KCD_PID" >"$T/kcd.pid"
	touch "$T/done-start"
) &
HELPER=$!
KIOSK_URL=$URL/ KIOSK_PAIR=$KPAIR KIOSK_IDLE_S=$IDLE_S node "$KEYCAB_SRC/tests/kiosk/t-kiosk-server.js" && ok "t-kiosk-server.js" ||
	bad "t-kiosk-server.js"
wait "$HELPER"
KCD_PID=$(cat "$T/kcd.pid" 2>/dev/null)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$KIOSK_PID/status")
echo "       keycab-kiosk RSS after the test: $rss kB"

echo "== the log"
grep -E -q "1111|2222|9999" "$T/kiosk.log" && bad "a PIN in the kiosk's log" || ok "no PIN in the kiosk's log"
grep -q "login by PIN: S01" "$T/kiosk.log" && ok "logins are logged by person code" || bad "no login line in the log"
kill "$KIOSK_PID" && wait "$KIOSK_PID" && ok "keycab-kiosk stops cleanly on SIGTERM" || bad "keycab-kiosk stop"
KIOSK_PID=
if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "LeakSanitizer" "$T/kiosk.log"; then
	bad "a sanitizer report in the kiosk's log"; grep -A20 Sanitizer "$T/kiosk.log" | head -40
fi
tail -n 12 "$T/kiosk.log"
kc_finish
