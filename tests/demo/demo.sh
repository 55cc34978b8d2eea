#!/usr/bin/env bash
# make demo: the whole keycab system on a simulated cabinet.
#
#   keycab-sim   three boards, 24 slots (hw/examples/demo-cabinet.conf)
#   keyauditd    the audit service, with a webhook receiver for its notices
#   keycabd      the cabinet controller, forwarding its events to keyauditd
#   keycab-kiosk the cabinet's touchscreen pages, on a free 127.0.0.1 port
#                (the URL that pairs a browser as its screen is printed, in
#                Chinese and English)
#
# then imports a sample estate (tests/demo/estate/setup.sh), walks through
# the custody rules with the real `keycab` commands
# (tests/demo/walkthrough.sh), and shows the supervisors' reports.
# In a terminal it keeps running until Enter or Ctrl-C, so the web pages
# can be read; otherwise (CI, pipes) it stops after the reports.
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

pids=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || true
		wait "${pids[i]}" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ]; then
		echo
		echo "The demo stopped with an error (exit $rc). Logs are kept in $DEMO_DIR:"
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

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
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
table() { # REPORT SECTION [QUERY]: one section of a report, as a table
	curl -fsS -u "$SUPERVISOR:$SUPERVISOR_PASSWORD" \
		"http://127.0.0.1:$AUDIT_PORT/api/v1/reports/$1?format=csv&section=$2${3:+&$3}" |
		python3 -c '
import csv, io, sys, unicodedata
rows = list(csv.reader(io.StringIO(sys.stdin.read().lstrip("\ufeff"))))
if len(rows) < 2:
    print("    (none)")
    sys.exit()
def width(c):  # columns on a terminal: CJK characters take two
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in c)
w = [max(width(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(rows[0]))]
for r in rows:
    print("    " + "  ".join(c + " " * (w[i] - width(c)) for i, c in enumerate(r)).rstrip())'
}

say "keycab demo: everything runs in $DEMO_DIR, on this machine only"

say "Part 1 of 6: The simulated cabinet (keycab-sim): Modbus TCP board with tag readers, Waveshare relay board and a generic board on one RS485 bus (a pseudo-terminal)"
SIM_PORT=$(free_port)
sed -e "s|^device = .*|device = $DEMO_DIR/ttyRS485|" -e "s|^port = 15020|port = $SIM_PORT|" \
	"$SRC/hw/examples/demo-cabinet.conf" >"$DEMO_DIR/cabinet.conf"
"$KEYCAB_BIN/keycab-sim" -c "$DEMO_DIR/cabinet.conf" --control "$SIM_CONTROL" >"$DEMO_DIR/sim.log" 2>&1 &
pids+=($!)
wait_until 10 grep -q ready "$DEMO_DIR/sim.log"
cat "$DEMO_DIR/sim.log"
echo "The installer's view before the controller takes over the boards:"
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
CONF
echo "$SUPERVISOR_PASSWORD" | "$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" add-user --role supervisor "$SUPERVISOR"
"$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" add-cabinet demo-desk >"$DEMO_DIR/token"
chmod 600 "$DEMO_DIR/token"
echo "cabinet demo-desk registered; its token is in $DEMO_DIR/token (the service keeps only its hash)"
"$KEYCAB_BIN/keyauditd" -c "$DEMO_DIR/keyauditd.conf" --port-file "$DEMO_DIR/audit.port" serve \
	>"$DEMO_DIR/keyauditd.log" 2>&1 &
pids+=($!)
wait_until 10 test -s "$DEMO_DIR/audit.port"
AUDIT_PORT=$(cat "$DEMO_DIR/audit.port")
wait_until 10 curl -fsS "http://127.0.0.1:$AUDIT_PORT/healthz"
echo "keyauditd listens on http://127.0.0.1:$AUDIT_PORT/"

say "Part 3 of 6: The cabinet controller (keycabd), forwarding its events to keyauditd"
audit_section=$(printf '[audit]\\nurl = http://127.0.0.1:%s\\ntoken_file = %s' "$AUDIT_PORT" "$DEMO_DIR/token")
# The terminal key: keycabd and the kiosk read it; nothing else follows the
# cabinet without a login (controller/README.md, "Live state").
(umask 077 && head -c 32 /dev/urandom | base64 >"$DEMO_DIR/terminal.key")
sed -e "s|@CABINET@|$DEMO_DIR/cabinet.conf|" -e "s|@DB@|$DEMO_DIR/keycab.db|" \
	-e "s|@SOCKET@|$KEYCAB_SOCKET|" -e "s|@TERMINAL_KEY@|$DEMO_DIR/terminal.key|" \
	-e "s|@AUDIT@|$audit_section|" \
	"$SRC/tests/demo/estate/keycabd.conf.in" >"$DEMO_DIR/keycabd.conf"
"$KEYCAB_BIN/keycabd" -c "$DEMO_DIR/keycabd.conf" --init-db
"$KEYCAB_BIN/keycabd" -c "$DEMO_DIR/keycabd.conf" >"$DEMO_DIR/keycabd.log" 2>&1 &
pids+=($!)
wait_until 15 "$KEYCAB_BIN/keycab" ping
echo "keycabd is up on $KEYCAB_SOCKET"
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
echo "Open it now and the idle screen follows the cabinet as the walk goes (returns, alarms, the audit link);"
echo "the steps marked [终端 terminal] can be done there as well as with keycab."
"$SRC/tests/demo/walkthrough.sh"

say "Part 6 of 6: What the supervisor sees at the office (keyauditd, computed from the forwarded events)"
# The cabinet forwards in the background; wait until the service holds
# everything the cabinet has written.
last_seq() { sqlite3 "$DEMO_DIR/keycab.db" 'SELECT COALESCE(MAX(seq),0) FROM outbox' 2>/dev/null; }
wait_until 30 test "$(last_seq)" = 0 || echo "(the forwarder still has $(last_seq) events to send)"
echo "Chain check of the cabinet's log as stored by the service (architecture decision 3):"
table chain chains
month=$(date -u +%Y-%m)
echo "Vacant-unit inspections for $month, per site (rule 5: target 80 % on a new site, 100 % on an old one):"
table vacant sites "month=$month"
echo "Vacant units not yet inspected this month:"
table vacant not_inspected "month=$month"
echo "Now: keys out, with borrower and due time (rule 13):"
table now keys_out
echo "Now: IDs held at the desk (rule 3; masked, never in clear):"
table now ids_held
echo "Now: open alarms:"
table now alarms
echo "Shift handovers and their review (rule 12):"
table handovers handovers
echo "Notices the service delivered to the webhook (rule 7 and alarms):"
wait_until 10 test -s "$DEMO_DIR/notices.log" || true
cat "$DEMO_DIR/notices.log" 2>/dev/null || echo "(none yet)"

say "Done"
kiosk_url
echo "  登录 log in: 王芳 Wang Fang (staff) PIN 1111, 张伟 Zhang Wei (engineer) 3333, 陈经理 Manager Chen 5555, 李娜 Li Na 2222"
echo "Web pages:   http://127.0.0.1:$AUDIT_PORT/   user $SUPERVISOR, password $SUPERVISOR_PASSWORD"
echo "CSV export:  curl -u $SUPERVISOR:$SUPERVISOR_PASSWORD 'http://127.0.0.1:$AUDIT_PORT/api/v1/reports/keylog?format=csv&section=events'"
echo "The cabinet: KEYCAB_SOCKET=$KEYCAB_SOCKET $KEYCAB_BIN/keycab slots"
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
	echo
	read -r -p "The system keeps running: press Enter to stop it. " _ || true
fi
