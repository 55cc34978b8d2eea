#!/usr/bin/env bash
# keycab-kiosk on the HTTP layer it shares with keyauditd (common/httpd/):
# what curl and a raw socket see (attack tests: the headers below are made
# up by hand on purpose). A body over the limit by its Content-Length is
# refused (413) before any of it is sent; every answer carries the shared
# security headers; a write with Origin "null" is taken only with
# Sec-Fetch-Site: same-origin (a browser that withholds its origin); each
# refused request leaves one log line with its path and status, and no
# query (the pairing key).
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kc_start
KIOSK_PID=
cleanup() {
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	kc_cleanup
}
trap cleanup EXIT
kiosk_start kiosk || exit 1
KIOSK_PID=$KPID
URL=${KURL%/}
PORT=${URL##*:}

echo "== a body over the limit by its Content-Length: 413 before the body"
out=$(python3 - "$PORT" <<'PY'
import json, socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
t0 = time.monotonic()
s.sendall(b"POST /api/op/ping HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % (port, 10 * 1024 * 1024))
data = b""
try:
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("timeout after %.1f s, got %r" % (time.monotonic() - t0, data[:80]))
    sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode() if head else "none"
code = json.loads(body).get("code") if body.strip().startswith(b"{") else None
print(status, code, "%.1f" % (time.monotonic() - t0))
PY
)
read -r status code secs <<<"$out"
[ "$status" = 413 ] && [ "$code" = kiosk_too_large ] && ok "10 MiB announced, none sent: 413 kiosk_too_large in $secs s" ||
	bad "10 MiB announced, none sent: $out"

echo "== the security headers on every answer"
for u in / /static/index.html /nothing /api/roster; do
	h=$(curl -s -D - -o /dev/null "$URL$u" | tr -d '\r')
	miss=
	for want in "Content-Security-Policy: default-src 'self';" "X-Content-Type-Options: nosniff" \
		"X-Frame-Options: DENY" "Referrer-Policy: same-origin" "Cross-Origin-Opener-Policy: same-origin"; do
		grep -qiF "$want" <<<"$h" || miss+=" [$want]"
	done
	[ -z "$miss" ] && ok "GET $u: CSP, nosniff, frame denial, Referrer-Policy same-origin, COOP" || bad "GET $u lacks$miss"
done

echo "== the same-origin guard of writes"
key=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read().strip(), safe=""))' "$T/kiosk.pairing")
curl -s -o /dev/null -c "$T/jar" "$URL/pair?key=$key"
grep -q kcterm "$T/jar" && ok "paired by /pair?key=..." || bad "no cookie from the pairing"
post() { curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST -H 'Content-Type: application/json' --data '{}' "$@"; }
code=$(post -H 'Origin: null' -H 'Sec-Fetch-Site: same-origin' "$URL/api/op/ping")
[ "$code" = 200 ] && ok "Origin null with Sec-Fetch-Site same-origin: taken (200)" || bad "Origin null, same-origin: $code $(cat "$T/body")"
code=$(post -H 'Origin: null' "$URL/api/op/ping")
[ "$code" = 403 ] && ok "Origin null without Sec-Fetch-Site: refused (403)" || bad "Origin null alone: $code"
code=$(post -H 'Origin: null' -H 'Sec-Fetch-Site: cross-site' "$URL/api/op/ping")
[ "$code" = 403 ] && ok "Sec-Fetch-Site cross-site: refused (403)" || bad "cross-site: $code"
code=$(post -H "Origin: http://127.0.0.1:$PORT" "$URL/api/op/ping")
[ "$code" = 200 ] && ok "the page's own Origin: taken (200)" || bad "own Origin: $code $(cat "$T/body")"

echo "== the request log"
curl -s -o /dev/null "$URL/pair?key=WRONGKEY12345"
curl -s -o /dev/null "$URL/nothing"
sleep 0.3
grep -E -q 'GET /pair 401' "$T/kiosk.log" && ok "a refused pairing is logged: GET /pair 401" || bad "no request line for /pair"
grep -E -q 'GET /nothing 404' "$T/kiosk.log" && ok "an unknown page is logged: GET /nothing 404" || bad "no request line for /nothing"
grep -q -e WRONGKEY12345 -e "$(head -c 12 "$T/kiosk.pairing")" "$T/kiosk.log" && bad "a pairing key in the log" ||
	ok "no pairing key in the log"
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
