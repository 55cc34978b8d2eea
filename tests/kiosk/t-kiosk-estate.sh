#!/usr/bin/env bash
# The terminal of a cabinet the office manages (controller/README.md, "The
# terminal": a first sign-in, a deactivated account, the site's settings;
# tests/kiosk/t-kiosk-estate.js) in Chromium with touch, against keycabd
# on keycab-sim with [estate] mode = managed. The estate comes as the
# office sends it: each change applied through keycabd's estate.apply with
# the forward key, as keycab-forward applies the feed (apply below):
# - a site, a unit, a key in A01, three people with enrolment codes from
#   the office (one of them already expired), the site's settings;
# - t-kiosk-estate.js, by taps: the first sign-in's wrong code, expired
#   code and PINs typed differently each said in a sentence with nothing
#   changed (checked here in keycabd's database: no PIN, the code still
#   waiting), then the code and a new PIN: logged in, and in again with
#   that PIN; a person deactivated by the office refused at the PIN login
#   with what to do; the quick phrases of a settings.set shown in the
#   on-screen keyboard's bar, and again after another settings.set;
#   the office's feed in the header, as keycab-forward reports it: up to
#   date, then offline once keyauditd is stopped.
# Screenshots at 1024x600 in Chinese: $BUILD/test-logs/kiosk/t-kiosk-estate/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
KC_WINDOW=5s
kc_cabinet
kc_config
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
# the office: a real keyauditd that has this cabinet managed (its feed is
# empty: the changes below come straight to estate.apply); keycab-forward
# (started with keycabd) holds its long-poll and reports the feed's state
kad_setup 500ms
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" cabinet-mode demo-desk managed >/dev/null || bad "cabinet-mode"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start

# apply TYPE DATA: the office's next change applied as keycab-forward
# applies it (estate.apply, the forward key); keycabd's reply on stdout.
echo 0 >"$T/change"
apply() {
	local n=$(($(cat "$T/change") + 1))
	echo "$n" >"$T/change"
	python3 - "$KEYCAB_SOCKET" "$FORWARD_KEY" "$n" "$1" "$2" <<'PY'
import datetime, json, socket, sys
sock, keyfile, change, typ, data = sys.argv[1:]
req = {"op": "estate.apply", "forward_key": open(keyfile).read().strip(), "change": int(change),
       "type": typ, "data": json.loads(data), "by": "alice",
       "made": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
s = socket.socket(socket.AF_UNIX); s.connect(sock); s.sendall(json.dumps(req).encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    buf += c
print(buf.decode().strip())
PY
}
# applied TYPE DATA: apply, and a check that keycabd applied it
applied() {
	local r
	r=$(apply "$1" "$2")
	case $r in
	*'"ok": true'* | *'"ok":true'*) ok "the office's $1 applied: $(cut -c1-100 <<<"$2")" ;;
	*) bad "the office's $1 not applied: $r" ;;
	esac
}
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

settings() { # settings PHRASE...: the site's settings with these problem/alarm phrases
	local list
	list=$(printf '"%s",' "$@")
	printf '{"site": "HY", "max_loan": {"borrow": 259200, "inspection": 86400, "repair": 86400, "emergency": 14400},
		"due_presets": [3600, 7200, 86400], "notice_lead_s": 604800, "notice_reminder_s": 86400,
		"phrases": {"problem": [%s], "alarm": [%s], "repair": ["更换门锁"]}}' "${list%,}" "${list%,}"
}

applied site.set '{"site": "HY", "name": "和园小区", "age": "new", "time_zone": "Asia/Shanghai"}'
applied unit.set '{"unit": "HY-1-101", "site": "HY", "building": "1", "room": "101", "vacant": true}'
applied key.set '{"key": "K-HY-1-101", "unit": "HY-1-101", "kind": "vacant", "slot": "A01", "tag": 4097}'
person() { # person CODE NAME ROLE [ACTIVE]
	applied person.set "{\"person\": \"$1\", \"name\": \"$2\", \"role\": \"$3\", \"phone\": \"13800001234\",
		\"department\": \"客服\", \"active\": ${4:-true}, \"enrolled_by\": null}"
}
person W01 王芳 staff
person W02 李强 staff
person W03 赵敏 staff
applied person.enrol "{\"person\": \"W01\", \"code_hash\": \"$(sha 38475610)\", \"until\": \"$(iso '+72 hours')\"}"
applied person.enrol "{\"person\": \"W02\", \"code_hash\": \"$(sha 11223344)\", \"until\": \"$(iso '-1 hour')\"}"
applied person.enrol "{\"person\": \"W03\", \"code_hash\": \"$(sha 55667788)\", \"until\": \"$(iso '+72 hours')\"}"
applied settings.set "$(settings 门锁损坏 已到现场核实)"
# the key into its slot: in
sim insert A01 4097 >/dev/null && wait_key K-HY-1-101 in && ok "K-HY-1-101 in A01" || bad "K-HY-1-101 not in"

kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID

pin_of() { sqlite3 "$T/keycab.db" "SELECT pin_hash IS NOT NULL FROM people WHERE code = '$1'"; }
# What the page asks of the shell (kiosk_node).
act() {
	case $1 in
	unchanged-W01 | unchanged-W02)
		p=${1#unchanged-}
		[ "$(pin_of "$p")" = 0 ] && ok "$p: still no PIN at keycabd after the refusals" ||
			bad "$p: a PIN was set by a refused first sign-in"
		;;
	set-W01)
		[ "$(pin_of W01)" = 1 ] && ok "W01: keycabd holds the PIN set at the terminal" || bad "W01: no PIN"
		;;
	deactivate-W03)
		person W03 赵敏 staff false
		;;
	settings-2)
		applied settings.set "$(settings 柜门未关好 钥匙标签破损)"
		;;
	office-down)
		kad_stop
		;;
	lift)
		sim remove A01 >/dev/null && wait_key K-HY-1-101 missing && ok "K-HY-1-101 lifted: an alarm" ||
			bad "K-HY-1-101 lifted: no alarm"
		;;
	*) return 1 ;;
	esac
}
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-kiosk-estate.js

# the enrolment: one event of keycabd's for W01's PIN, none for W02
got=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') = 'estate.applied'")
[ "$got" -ge 9 ] && ok "keycabd's chain holds the office's changes ($got estate.applied)" || bad "estate.applied events: $got"
if grep -q -e 38475610 -e 11223344 -e 55667788 "$T/kiosk.log" "$T/keycabd.log"; then
	bad "an enrolment code in a log"
else
	ok "no enrolment code in keycab-kiosk's or keycabd's log"
fi
chain_ok && ok "keycabd's chain unbroken" || bad "keycabd's chain"
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
