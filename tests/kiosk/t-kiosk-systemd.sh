#!/usr/bin/env bash
# systemd/keycab-kiosk.service and keycab-kiosk-display.service:
# `systemd-analyze verify` passes on each (a temp copy with ExecStart
# pointing at the built binary), each has what the cabinet needs, a broken
# copy is reported; keycab-kiosk speaks the notify protocol (READY=1 once
# it serves, STOPPING=1 on SIGTERM).
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
	"IPAddressAllow=localhost" "CapabilityBoundingSet=" "ExecStart=$KEYCAB_BIN/keycab-kiosk -c /etc/keycab/kiosk.conf"; do
	grep -qxF "$want" "$T/keycab-kiosk.service" && ok "keycab-kiosk.service has $want" || bad "keycab-kiosk.service: no $want"
done
for want in "User=keycab-display" "PAMName=login" "TTYPath=/dev/tty1" "Conflicts=getty@tty1.service" "Restart=always"; do
	grep -qxF "$want" "$T/keycab-kiosk-display.service" && ok "keycab-kiosk-display.service has $want" ||
		bad "keycab-kiosk-display.service: no $want"
done
exec_line=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$T/keycab-kiosk-display.service" | tr -d '\\\n')
for want in "/usr/bin/cage -d -- /usr/bin/chromium --kiosk" "--ozone-platform=wayland" "--lang=zh-CN" "http://127.0.0.1:8470/"; do
	[[ $exec_line == *"$want"* ]] && ok "the display runs $want" || bad "the display's ExecStart has no $want"
done
# the display opens the port the example configuration sets
grep -qx "port = 8470" "$KEYCAB_SRC/systemd/keycab-kiosk.conf.example" && ok "keycab-kiosk.conf.example: port 8470" ||
	bad "the example configuration's port is not the display's"
expect 0 "keycab-kiosk.conf.example checks" "$KEYCAB_BIN/keycab-kiosk" -c "$KEYCAB_SRC/systemd/keycab-kiosk.conf.example" --check-config

echo "== the notify protocol"
PORT=$(free_port)
printf '[kiosk]\nport = %s\nsocket = %s\n' "$PORT" "$T/none.sock" >"$T/kiosk.conf"
python3 - "$T" "$KEYCAB_BIN" "$PORT" <<'PY' && ok "READY=1 once it serves, STOPPING=1 on SIGTERM, exit 0" || bad "notify protocol"
import os, signal, socket, subprocess, sys, urllib.request
t, bin_, port = sys.argv[1], sys.argv[2], sys.argv[3]
path = t + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
p = subprocess.Popen([bin_ + "/keycab-kiosk", "-c", t + "/kiosk.conf"], env=dict(os.environ, NOTIFY_SOCKET=path),
                     stdout=open(t + "/kiosk.log", "a"), stderr=subprocess.STDOUT)
msg = s.recv(4096).decode()
print("first message:", msg)
served = urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=5).status == 200
p.send_signal(signal.SIGTERM)
stop = s.recv(4096).decode()
rc = p.wait(20)
print("then:", stop, "exit", rc)
sys.exit(0 if "READY=1" in msg and served and "STOPPING=1" in stop and rc == 0 else 1)
PY
kc_finish
