#!/usr/bin/env bash
# systemd/keycab-kiosk.service and keycab-kiosk-display.service:
# `systemd-analyze verify` passes on each (a temp copy with the Exec lines
# pointing at the built binary), each has what the cabinet needs, a broken
# copy is reported; keycab-kiosk speaks the notify protocol (READY=1 once
# it serves, STOPPING=1 on SIGTERM). Then the pairing as the two units do
# it: their LoadCredential= files copied into a credentials directory for
# each, %t a directory here, the kiosk's ExecStart started, the display's
# ExecStartPre run, and the URL of the display's ExecStart opened in
# Chromium: the kiosk takes it as its screen.
source "$KEYCAB_SRC/tests/controller/lib.sh"
for u in keycab-kiosk keycab-kiosk-display; do
	sed -e "s|/usr/bin/keycab-kiosk |$KEYCAB_BIN/keycab-kiosk |" "$KEYCAB_SRC/systemd/$u.service" >"$T/$u.service"
done
for u in keycab-kiosk keycab-kiosk-display; do
	out=$(cd "$T" && systemd-analyze verify --man=no "$T/$u.service" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify $u.service: clean" || bad "verify $u (exit $rc): $out"
done
sed 's/^Type=notify/Type=notifyy/' "$T/keycab-kiosk.service" >"$T/broken.service"
out=$(systemd-analyze verify --man=no "$T/broken.service" 2>&1)
[[ $out == *"Failed to parse service type"* ]] && ok "a broken copy is reported: ${out%%$'\n'*}" || bad "broken copy not reported: $out"
sed 's|^ExecStart=/usr/bin/cage|ExecStart=/usr/bin/cagex|' "$T/keycab-kiosk-display.service" >"$T/broken.service"
out=$(systemd-analyze verify --man=no "$T/broken.service" 2>&1)
[[ $out == *"cagex"* ]] && ok "a display unit without cage is reported: ${out%%$'\n'*}" || bad "missing cage not reported: $out"
for want in "Type=notify" "User=keycab-kiosk" "SupplementaryGroups=keycab" "NoNewPrivileges=yes" \
	"ProtectSystem=strict" "DevicePolicy=closed" "DeviceAllow=char-input r" "IPAddressDeny=any" \
	"IPAddressAllow=localhost" "CapabilityBoundingSet=" "ExecStart=$KEYCAB_BIN/keycab-kiosk -c /etc/keycab/kiosk.conf" \
	"LoadCredential=kiosk-pairing:/etc/keycab/kiosk-pairing.key" "LoadCredential=terminal-key:/etc/keycab/terminal.key"; do
	grep -qxF "$want" "$T/keycab-kiosk.service" && ok "keycab-kiosk.service has $want" || bad "keycab-kiosk.service: no $want"
done
for want in "User=keycab-display" "PAMName=login" "TTYPath=/dev/tty1" "Conflicts=getty@tty1.service" "Restart=always" \
	"PartOf=keycab-kiosk.service" "LoadCredential=kiosk-pairing:/etc/keycab/kiosk-pairing.key" \
	"RuntimeDirectory=keycab-display" "RuntimeDirectoryMode=0700"; do
	grep -qxF "$want" "$T/keycab-kiosk-display.service" && ok "keycab-kiosk-display.service has $want" ||
		bad "keycab-kiosk-display.service: no $want"
done
exec_line=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$T/keycab-kiosk-display.service" | tr -d '\\\n')
for want in "/usr/bin/cage -d -- /usr/bin/chromium --kiosk" "--ozone-platform=wayland" "--lang=zh-CN" \
	"file://%t/keycab-display/pair.html"; do
	[[ $exec_line == *"$want"* ]] && ok "the display runs $want" || bad "the display's ExecStart has no $want"
done
[[ $exec_line == *key=* || $exec_line == *CREDENTIALS* || $exec_line == *pairing.key* ]] &&
	bad "the display's command line holds the key or reads it" || ok "no key on the display's command line"
expect 0 "keycab-kiosk.conf.example checks" "$KEYCAB_BIN/keycab-kiosk" -c "$KEYCAB_SRC/systemd/keycab-kiosk.conf.example" --check-config

# The credentials as systemd loads them for a unit (LoadCredential=NAME:FILE):
# FILE, under $T/etc for /etc/keycab, copied as NAME into DIR, mode 0400.
mkdir -p "$T/etc" "$T/run"
(umask 077 && head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n' >"$T/etc/kiosk-pairing.key" &&
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/etc/terminal.key")
credentials() { # credentials UNIT DIR
	local line name file
	mkdir -p "$2"
	chmod 700 "$2"
	while IFS= read -r line; do
		name=${line#LoadCredential=}
		file=${name#*:}
		name=${name%%:*}
		install -m 0400 "$T/etc/${file#/etc/keycab/}" "$2/$name"
	done < <(grep '^LoadCredential=' "$T/$1.service")
}
credentials keycab-kiosk "$T/cred-kiosk"
credentials keycab-kiosk-display "$T/cred-display"
PORT=$(free_port)
sed -e "s|^port = .*|port = $PORT|" -e "s|^socket = .*|socket = $T/none.sock|" \
	"$KEYCAB_SRC/systemd/keycab-kiosk.conf.example" >"$T/kiosk.conf"
# an Exec line of a unit as the shell runs it: the built binary, the
# configuration here, %t here
exec_of() { # exec_of UNIT KEY
	awk -v k="$2=" 'index($0, k) == 1 { on = 1 } on { c = sub(/\\$/, ""); l = l $0; if (!c) { print l; exit } }' \
		"$T/$1.service" | sed -e "s|^$2=||" -e 's/\t/ /g' \
		-e "s|/etc/keycab/kiosk.conf|$T/kiosk.conf|" -e "s|%t|$T/run|g"
}

echo "== the notify protocol"
python3 - "$T" "$PORT" "$(exec_of keycab-kiosk ExecStart)" <<'PY' && ok "READY=1 once it serves, STOPPING=1 on SIGTERM, exit 0" || bad "notify protocol"
import os, signal, socket, subprocess, sys, urllib.request
t, port, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
path = t + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
p = subprocess.Popen(cmd.split(), env=dict(os.environ, NOTIFY_SOCKET=path, CREDENTIALS_DIRECTORY=t + "/cred-kiosk"),
                     stdout=open(t + "/kiosk.log", "a"), stderr=subprocess.STDOUT)
msg = s.recv(4096).decode()
print("first message:", msg)
served = urllib.request.urlopen("http://127.0.0.1:%s/static/app.css" % port, timeout=5).status == 200
p.send_signal(signal.SIGTERM)
stop = s.recv(4096).decode()
rc = p.wait(20)
print("then:", stop, "exit", rc)
sys.exit(0 if "READY=1" in msg and served and "STOPPING=1" in stop and rc == 0 else 1)
PY

echo "== the display pairs as its unit says"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH
CREDENTIALS_DIRECTORY=$T/cred-kiosk $(exec_of keycab-kiosk ExecStart) >>"$T/kiosk.log" 2>&1 &
KIOSK_PID=$!
trap 'kill $KIOSK_PID 2>/dev/null; wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$PORT/static/app.css" || { bad "the kiosk did not start"; cat "$T/kiosk.log"; }
mkdir -m 0700 "$T/run/keycab-display"
pre=$(exec_of keycab-kiosk-display ExecStartPre)
CREDENTIALS_DIRECTORY=$T/cred-display $pre && ok "ExecStartPre: $pre" || bad "the display's ExecStartPre failed: $pre"
page=$(exec_of keycab-kiosk-display ExecStart | awk '{print $NF}')
f=${page#file://}
[ -f "$f" ] && [ "$(stat -c %a "$f")" = 600 ] && ok "the page it writes, mode 0600, is the one ExecStart opens: $page" ||
	bad "no page at $page: $(ls -l "$T/run/keycab-display")"
grep -qF "http://127.0.0.1:$PORT/pair?key=$(cat "$T/etc/kiosk-pairing.key")" "$f" && ok "it goes to the kiosk's port with the key" ||
	bad "the page: $(cat "$f")"
KIOSK_PAIR=$page node -e '
const { launch, pair, check, failures } = require(process.env.KEYCAB_SRC + "/tests/kiosk/lib.js");
(async () => {
  const { browser, terminal } = await launch({ test: "t-kiosk-systemd" });
  const t = await terminal("display");
  check(await pair(t), "Chromium opening that page is the screen: the terminal at " + t.page.url());
  await t.shot("paired");
  await browser.close();
  process.exit(failures() ? 1 : 0);
})();' && ok "paired" || bad "the display did not pair"
kill "$KIOSK_PID" && wait "$KIOSK_PID"
grep -q "a screen was paired" "$T/kiosk.log" && ok "the kiosk logged the pairing" || bad "no pairing in the kiosk's log"
grep -qF "$(cat "$T/etc/kiosk-pairing.key")" "$T/kiosk.log" && bad "the pairing key in the log" || ok "no key in the log"
kc_finish
