#!/usr/bin/env bash
# make demo: the whole keycab system on a simulated cabinet.
#
#   keycab-sim   three boards, 24 slots (hw/examples/demo-cabinet.conf)
#   keyauditd    the audit service, with a webhook receiver for its notices
#   keycabd      the cabinet controller
#   keycab-forward  its events to keyauditd, through keycabd's socket
#   keycab-kiosk the cabinet's touchscreen pages, on a free 127.0.0.1 port
#                (the URL that pairs a browser as its screen is printed, in
#                Chinese and English)
#
# then imports a sample estate (tests/demo/estate/setup.sh), walks through
# the custody rules with the real `keycab` commands
# (tests/demo/walkthrough.sh), and shows the supervisors' reports.
# In a terminal it keeps running until Enter or Ctrl-C, so the web pages
# can be read; otherwise (CI, pipes) it stops after the reports and
# prints no address. It says when it stops the services.
set -euo pipefail
: "${BUILD:?run it as: make demo}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export KEYCAB_BIN="$BUILD/bin"
export KEYCAB_LOCALEDIR="$BUILD/locale"
DEMO_DIR=$(mktemp -d /tmp/keycab-demo.XXXXXX)
export DEMO_DIR
export SIM_CONTROL="$DEMO_DIR/sim.sock"
export KEYCAB_SOCKET="$DEMO_DIR/keycabd.sock"
SUPERVISOR=supervisor
SUPERVISOR_PASSWORD=demo-password-1
# shellcheck source=tests/demo/narrate.sh
source "$SRC/tests/demo/narrate.sh"

pids=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ ${#pids[@]} -gt 0 ]; then
		echo
		msg "Stopping the demo: the services stop now, and the addresses printed above no longer answer."
	fi
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || true
		wait "${pids[i]}" 2>/dev/null || true
	done
	[ ${#pids[@]} -eq 0 ] || msg "Stopped."
	if [ "$rc" -ne 0 ]; then
		echo
		msg "The demo stopped with an error (exit %s). Logs are kept in %s:" "$rc" "$DEMO_DIR"
		for f in "$DEMO_DIR"/*.log; do
			[ -s "$f" ] || continue
			echo "--- ${f##*/} (last lines)"
			tail -n 15 "$f"
		done
	else
		rm -rf "$DEMO_DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# say FORMAT [ARG...]: a heading
say() {
	local f
	f=$(_ "$1")
	shift
	# shellcheck disable=SC2059 # the format is the catalogue's
	printf "\n\033[1m== $f\033[0m\n" "$@"
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_until() { # SECONDS CMD...: polls CMD until it succeeds
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}
# The cabinet's chain head, "CABINET LAST_SEQ", from keycabd's database.
cabinet_head() { sqlite3 -separator ' ' "$DEMO_DIR/keycab.db" 'SELECT cabinet, last_seq FROM chain WHERE id = 1'; }
# The last seq the office holds for cabinet $1: the head of its stored
# chain in the chain report (0 before its first event).
office_head() {
	curl -fsS -u "$SUPERVISOR:$SUPERVISOR_PASSWORD" \
		"http://127.0.0.1:$AUDIT_PORT/api/v1/reports/chain?cabinet=$1" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["sections"][0]["rows"][0]["head"])'
}
# wait_for_office SECONDS: until the office holds every event the cabinet
# has written, both ends read afresh each time, with the progress shown
# (in place on a terminal, a line per change otherwise). 1 on time-out.
wait_for_office() {
	local limit=$1 start=${EPOCHREALTIME/./} cab='' seq=0 held=-1 shown='' line ms
	while :; do
		read -r cab seq < <(cabinet_head) || true
		held=$(office_head "$cab" 2>/dev/null) || held=0
		[ -n "$cab" ] && [ "$held" -ge "$seq" ] && break
		line=$(msg "the office holds %s of the %s events of cabinet %s ..." "$held" "$seq" "$cab")
		if [ "$line" != "$shown" ]; then
			if [ -t 1 ]; then printf '\r%s' "$line"; else echo "$line"; fi
			shown=$line
		fi
		if (( ${EPOCHREALTIME/./} - start >= limit * 1000000 )); then
			[ -t 1 ] && echo
			msg "After %s s the office holds %s of the %s events of cabinet %s: the reports below lack the rest." \
				"$limit" "$held" "$seq" "$cab"
			return 1
		fi
		sleep 0.2
	done
	[ -t 1 ] && [ -n "$shown" ] && printf '\r\033[K'
	ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	msg "The office holds all %s events of cabinet %s (waited %s.%s s)." "$seq" "$cab" $((ms / 1000)) $((ms % 1000 / 100))
}
# table REPORT SECTION [QUERY]: one section of a report, as a table with
# its column titles in the narration's language
table() {
	curl -fsS -u "$SUPERVISOR:$SUPERVISOR_PASSWORD" \
		"http://127.0.0.1:$AUDIT_PORT/api/v1/reports/$1?${3:+$3&}page_size=1000" |
		python3 -c '
import json, sys, unicodedata
section, lang, none = sys.argv[1:4]
sec = [s for s in json.load(sys.stdin)["sections"] if s["name"] == section][0]
if not sec["rows"]:
    print("    " + none)
    sys.exit()
def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if isinstance(v, float):
        return "%.1f" % v
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)
cols = sec["columns"]
rows = [[c["zh"] if lang == "zh" else c["name"] for c in cols]]
rows += [[cell(r.get(c["name"])) for c in cols] for r in sec["rows"]]
def width(c):  # columns on a terminal: CJK characters take two
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in c)
w = [max(width(r[i]) for r in rows) for i in range(len(cols))]
for r in rows:
    print("    " + "  ".join(c + " " * (w[i] - width(c)) for i, c in enumerate(r)).rstrip())' \
		"$2" "$NARRATE_LANG" "$(_ "(none)")"
}

say "keycab demo: everything runs in %s, on this machine only" "$DEMO_DIR"

say "Part 1 of 6: The simulated cabinet (keycab-sim): Modbus TCP board with tag readers, Waveshare relay board and a generic board on one RS485 bus (a pseudo-terminal)"
SIM_PORT=$(free_port)
sed -e "s|^device = .*|device = $DEMO_DIR/ttyRS485|" -e "s|^port = 15020|port = $SIM_PORT|" \
	"$SRC/hw/examples/demo-cabinet.conf" >"$DEMO_DIR/cabinet.conf"
"$KEYCAB_BIN/keycab-sim" -c "$DEMO_DIR/cabinet.conf" --control "$SIM_CONTROL" >"$DEMO_DIR/sim.log" 2>&1 &
pids+=($!)
wait_until 10 grep -q ready "$DEMO_DIR/sim.log"
cat "$DEMO_DIR/sim.log"
msg "The installer's view before the controller takes over the boards:"
"$KEYCAB_BIN/keycab-hw" -c "$DEMO_DIR/cabinet.conf" check

say "Part 2 of 6: The audit service (keyauditd) and a webhook receiver standing in for the SMS/WeChat gateway"
HOOK_PORT=$(free_port)
python3 - "$HOOK_PORT" "$DEMO_DIR/notices.log" >"$DEMO_DIR/webhook.log" 2>&1 <<'PY' &
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            n = json.loads(body)
            line = n.get("text_zh") or n.get("text") or json.dumps(n, ensure_ascii=False)
            en = n.get("text_en")
            with open(out, "a") as f:
                f.write(line + (f"\n    {en}" if en else "") + "\n")
        except ValueError:
            pass
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)
cat >"$DEMO_DIR/keyauditd.conf" <<CONF
[server]
listen = 127.0.0.1
port = 0
[database]
path = $DEMO_DIR/audit.db
[notify]
webhook = http://127.0.0.1:$HOOK_PORT/notices
backoff_min_ms = 200
[report]
estate = 示范物业服务中心
CONF
echo "$SUPERVISOR_PASSWORD" | "$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" add-user --role supervisor "$SUPERVISOR"
"$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" add-cabinet demo-desk >"$DEMO_DIR/token"
chmod 600 "$DEMO_DIR/token"
msg "cabinet %s registered; its token is in %s (the service keeps only its hash)" demo-desk "$DEMO_DIR/token"
"$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" --port-file "$DEMO_DIR/audit.port" serve \
	>"$DEMO_DIR/keyauditd.log" 2>&1 &
pids+=($!)
wait_until 10 test -s "$DEMO_DIR/audit.port"
AUDIT_PORT=$(cat "$DEMO_DIR/audit.port")
wait_until 10 curl -fsS "http://127.0.0.1:$AUDIT_PORT/healthz"
msg "keyauditd listens on %s" "http://127.0.0.1:$AUDIT_PORT/"

say "Part 3 of 6: The cabinet controller (keycabd), forwarding its events to keyauditd"
audit_section=$(printf '[audit]\\nurl = http://127.0.0.1:%s\\ntoken_file = %s' "$AUDIT_PORT" "$DEMO_DIR/token")
# The terminal key: keycabd and the kiosk read it; nothing else follows the
# cabinet without a login (controller/README.md, "Live state").
(umask 077 && head -c 32 /dev/urandom | base64 >"$DEMO_DIR/terminal.key")
# The forward key: keycabd and keycab-forward read it; with it keycab-forward
# reads the outbox and reports the audit link through keycabd's socket.
(umask 077 && head -c 32 /dev/urandom | base64 >"$DEMO_DIR/forward.key")
sed -e "s|@CABINET@|$DEMO_DIR/cabinet.conf|" -e "s|@DB@|$DEMO_DIR/keycab.db|" \
	-e "s|@SOCKET@|$KEYCAB_SOCKET|" -e "s|@TERMINAL_KEY@|$DEMO_DIR/terminal.key|" \
	-e "s|@FORWARD_KEY@|$DEMO_DIR/forward.key|" \
	-e "s|@AUDIT@|$audit_section|" \
	"$SRC/tests/demo/estate/keycabd.conf.in" >"$DEMO_DIR/keycabd.conf"
"$KEYCAB_BIN/keycabd" -c "$DEMO_DIR/keycabd.conf" --init-db
"$KEYCAB_BIN/keycabd" -c "$DEMO_DIR/keycabd.conf" >"$DEMO_DIR/keycabd.log" 2>&1 &
pids+=($!)
wait_until 15 "$KEYCAB_BIN/keycab" ping
msg "keycabd is up on %s" "$KEYCAB_SOCKET"
# keycab-forward: the one process of the cabinet that talks to the network
# (controller/README.md, "keycab-forward")
"$KEYCAB_BIN/keycab-forward" -c "$DEMO_DIR/keycabd.conf" >"$DEMO_DIR/keycab-forward.log" 2>&1 &
pids+=($!)
wait_until 10 grep -q 'forwarding the outbox' "$DEMO_DIR/keycab-forward.log"
msg "keycab-forward sends keycabd's events to keyauditd"
# The terminal: keycab-kiosk on a free port of 127.0.0.1 (port 0: it picks
# one and logs it), talking to keycabd over the same socket as keycab, with
# its terminal key. It serves one screen: the browser that opens the
# pairing URL (its key, a file here as the display's credential on a
# cabinet; controller/README.md, "The terminal").
(umask 077 && head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n' >"$DEMO_DIR/kiosk-pairing.key")
cat >"$DEMO_DIR/kiosk.conf" <<CONF
[kiosk]
port = 0
socket = $KEYCAB_SOCKET
idle_timeout = 5m
pairing_key = $DEMO_DIR/kiosk-pairing.key
terminal_key = $DEMO_DIR/terminal.key
CONF
"$KEYCAB_BIN/keycab-kiosk" -c "$DEMO_DIR/kiosk.conf" >"$DEMO_DIR/kiosk.log" 2>&1 &
pids+=($!)
wait_until 10 grep -q 'serving the terminal on http://127.0.0.1:' "$DEMO_DIR/kiosk.log"
KIOSK_URL=$(sed -n 's|.*serving the terminal on \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$DEMO_DIR/kiosk.log" | head -1)
KIOSK_PAIR_URL="${KIOSK_URL}pair?key=$(cat "$DEMO_DIR/kiosk-pairing.key")"
export KIOSK_URL
wait_until 10 curl -fsS -o /dev/null "${KIOSK_URL}static/app.css"
kiosk_url() {
	echo "柜面终端（触摸屏页面）：请在本机浏览器打开 $KIOSK_PAIR_URL"
	echo "  该浏览器即成为终端屏幕；在另一个浏览器打开此地址，屏幕随之转到那里。"
	echo "The cabinet's terminal (touchscreen pages): open $KIOSK_PAIR_URL in a browser on this machine;"
	echo "  that browser becomes the terminal's screen (opened in another browser, the screen moves there)."
}
kiosk_url

say "Part 4 of 6: The estate: sites, units, owners, keys, people, entrustments"
"$SRC/tests/demo/estate/setup.sh"

say "Part 5 of 6: A walk through the custody rules at the cabinet"
kiosk_url
msg "Open it now and the idle screen follows the cabinet as the walk goes (returns, alarms, the audit link);"
msg "the steps marked [%s] can be done there as well as with keycab." "$(_ "终端 terminal")"
"$SRC/tests/demo/walkthrough.sh"

say "Part 6 of 6: What the supervisor sees at the office (keyauditd, computed from the forwarded events)"
# The cabinet forwards in the background: wait until the office holds
# every event the cabinet has written.
wait_for_office 30 || true
msg "Chain check of the cabinet's log as stored by the service (architecture decision 3):"
table chain chains
# this month, as the office counts it: in the sites' local time
month=$(curl -fsS -u "$SUPERVISOR:$SUPERVISOR_PASSWORD" "http://127.0.0.1:$AUDIT_PORT/api/v1/reports/vacant?page_size=1" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["params"]["month"])')
msg "Vacant-unit inspections for %s, per site (rule 5: target 80 %% on a new site, 100 %% on an old one):" "$month"
table vacant sites "month=$month"
msg "Vacant units not yet inspected this month:"
table vacant not_inspected "month=$month"
msg "Now: keys out, with borrower and due time (rule 13):"
table now keys_out
msg "Now: IDs held at the desk (rule 3; masked, never in clear):"
table now ids_held
msg "Now: open alarms:"
table now alarms
msg "Shift handovers and their review (rule 12):"
table handovers handovers
msg "Notices the service delivered to the webhook (rule 7 and alarms):"
wait_until 10 test -s "$DEMO_DIR/notices.log" || true
cat "$DEMO_DIR/notices.log" 2>/dev/null || msg "(none yet)"

say "Done"
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
	msg "The system keeps running until you press Enter; meanwhile:"
	kiosk_url
	msg "  登录 log in: 王芳 Wang Fang (staff) PIN 1111, 张伟 Zhang Wei (engineer) 3333, 陈经理 Manager Chen 5555, 李娜 Li Na 2222"
	msg "Web pages:   %s   user %s, password %s" "http://127.0.0.1:$AUDIT_PORT/" "$SUPERVISOR" "$SUPERVISOR_PASSWORD"
	msg "Monthly vacant-unit report, printable: %s" "http://127.0.0.1:$AUDIT_PORT/r/vacant?print=1"
	msg "CSV export:  %s" "curl -u $SUPERVISOR:$SUPERVISOR_PASSWORD 'http://127.0.0.1:$AUDIT_PORT/api/v1/reports/keylog?format=csv&section=events'"
	msg "The cabinet: %s" "KEYCAB_SOCKET=$KEYCAB_SOCKET $KEYCAB_BIN/keycab slots"
	echo
	read -r -p "$(_ "Press Enter to stop it. ")" _ || true
else
	msg "Not run from a terminal (or CI is set), so the demo does not keep the system running:"
	msg "run make demo in a terminal to open the web pages while it runs."
fi
