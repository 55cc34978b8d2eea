#!/usr/bin/env bash
# systemd/keyauditd.service passes `systemd-analyze verify` (with ExecStart
# pointed at the built binary), and keyauditd speaks sd_notify: READY=1
# once the database and the listener are up, WATCHDOG=1 while healthy,
# STOPPING=1 on the way out (checked with a notify socket of our own).
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing"; exit 77; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; fail=1; }

echo "== systemd-analyze verify"
sed "s|^ExecStart=/usr/bin/keyauditd|ExecStart=$KEYCAB_BIN/keyauditd|" \
	"$KEYCAB_SRC/systemd/keyauditd.service" >"$tmp/keyauditd.service"
grep '^ExecStart' "$tmp/keyauditd.service"
out=$(systemd-analyze verify "$tmp/keyauditd.service" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
if [ $rc -eq 0 ] && ! echo "$out" | grep -q "keyauditd.service"; then ok "verify passes, no complaint about the unit"
else bad "systemd-analyze verify (rc $rc)"; fi
for k in Type=notify WatchdogSec= DynamicUser=yes StateDirectory=keyauditd ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
	LimitNOFILE= MemoryMax= LoadCredential=tls.key ExecReload=; do
	grep -q "^$k" "$KEYCAB_SRC/systemd/keyauditd.service" && ok "unit has $k" || bad "unit lacks $k"
done

echo "== sd_notify protocol"
python3 - "$tmp/notify.sock" >"$tmp/notify.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
while True:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        break
    print(m.replace("\n", " "), flush=True)
    if "STOPPING=1" in m:
        break
PY
spid=$!
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=600000 \
	"$KEYCAB_BIN/keyauditd" --db "$tmp/a.db" --port 0 --port-file "$tmp/port" serve 2>"$tmp/d.log" &
pid=$!
sleep 2
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
wait "$spid"; spid=
cat "$tmp/notify.log" | sed 's/^/    got: /' | sort | uniq -c | head
grep -q READY=1 "$tmp/notify.log" && ok "READY=1" || bad "no READY=1"
n=$(grep -c WATCHDOG=1 "$tmp/notify.log")
[ "$n" -ge 4 ] && ok "WATCHDOG=1 fed ($n times in 2 s with WatchdogSec=0.6 s)" || bad "WATCHDOG=1 only $n times"
grep -q STOPPING=1 "$tmp/notify.log" && ok "STOPPING=1" || bad "no STOPPING=1"
[ $rc -eq 0 ] && ok "exit 0 on SIGTERM" || bad "exit $rc on SIGTERM"
exit $fail
