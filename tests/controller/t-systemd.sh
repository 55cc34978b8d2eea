#!/usr/bin/env bash
# systemd/keycabd.service: `systemd-analyze verify` passes on it (a temp
# copy with ExecStart and ExecStopPost pointing at the built binaries),
# it has what the cabinet needs (Type=notify, watchdog, the locks switched
# off after any stop, hardening), and keycabd speaks the notify protocol:
# READY=1 once up, WATCHDOG=1 from its loop, STOPPING=1 on the way out.
source "$KEYCAB_SRC/tests/controller/lib.sh"
unit=$KEYCAB_SRC/systemd/keycabd.service
sed -e "s|/usr/bin/keycabd|$KEYCAB_BIN/keycabd|" -e "s|/usr/bin/keycab-hw|$KEYCAB_BIN/keycab-hw|" "$unit" >"$T/keycabd.service"
out=$(systemd-analyze verify --man=no "$T/keycabd.service" 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify: clean" || bad "systemd-analyze verify (exit $rc): $out"
# the check can fail: a broken copy is reported
sed 's/^Type=notify/Type=notifyy/' "$T/keycabd.service" >"$T/broken.service"
out=$(systemd-analyze verify --man=no "$T/broken.service" 2>&1)
[[ $out == *"Failed to parse service type"* ]] && ok "a broken copy is reported: ${out%%$'\n'*}" || bad "broken copy not reported: $out"
for want in "Type=notify" "WatchdogSec=30s" "ExecStopPost=$KEYCAB_BIN/keycab-hw -c /etc/keycab/cabinet.conf off" \
	"NoNewPrivileges=yes" "ProtectSystem=strict" "StateDirectory=keycabd" "SupplementaryGroups=gpio dialout" \
	"DeviceAllow=/dev/gpiochip0 rw" "DeviceAllow=/dev/ttyUSB0 rw" "User=keycabd"; do
	grep -qxF "$want" "$T/keycabd.service" && ok "has $want" || bad "no $want"
done

echo "== the notify protocol, with a NOTIFY_SOCKET of our own"
kc_cabinet
kc_config
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null
python3 - "$T" "$KEYCAB_BIN" <<'PY' && ok "READY=1 when up, WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM" || bad "notify protocol"
import os, signal, socket, subprocess, sys, time
t, bin_ = sys.argv[1], sys.argv[2]
path = t + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
p = subprocess.Popen([bin_ + "/keycabd", "-c", t + "/keycabd.conf"], env=env,
                     stdout=open(t + "/keycabd.log", "a"), stderr=subprocess.STDOUT)
seen = []
deadline = time.monotonic() + 20
while time.monotonic() < deadline and seen.count("WATCHDOG=1") < 3:
    seen += s.recv(4096).decode().split("\n")
print("before stop:", sorted(set(seen)))
ok = "READY=1" in seen and seen.count("WATCHDOG=1") >= 3
p.send_signal(signal.SIGTERM)
while True:
    try:
        msg = s.recv(4096).decode().split("\n")
    except socket.timeout:
        break
    seen += msg
    if "STOPPING=1" in msg:
        break
rc = p.wait(20)
print("keycabd exit", rc, "STOPPING=1" in seen)
sys.exit(0 if ok and "STOPPING=1" in seen and rc == 0 else 1)
PY
kc_finish
