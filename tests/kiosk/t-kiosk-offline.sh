#!/usr/bin/env bash
# The audit link shown offline within one heartbeat, as the README
# promises: an idle cabinet ([forward] heartbeat = 2s) forwarding to a real
# keyauditd through a relay (relay.py) that the test cuts right after a
# heartbeat's answer has gone through, the worst moment; the screen
# (t-kiosk-offline.js, the idle screen's link line) says 审计链路离线 within
# the heartbeat of the cut, three times. Then keycabd stopped: the screen
# says so within the heartbeat too.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
HEARTBEAT_MS=2000
kc_cabinet
kc_config
kad_setup 500ms
RELAY_PORT=$(free_port)
sed -i "s|^url = http://127.0.0.1:.*|url = http://127.0.0.1:$RELAY_PORT|" "$T/keycabd.conf"
printf '[forward]\nheartbeat = %sms\n' "$HEARTBEAT_MS" >>"$T/keycabd.conf"
python3 "$KEYCAB_SRC/tests/kiosk/relay.py" "$RELAY_PORT" "$(cat "$T/kad.port")" "$T/cut" >>"$T/relay.log" 2>&1 &
RELAY_PID=$!
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kill $RELAY_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
act() {
	case $1 in
	cut-*) rm -f "$T/cut"; kill -USR1 "$RELAY_PID" && wait_for 10 test -s "$T/cut" ;;
	mend-*) kill -USR2 "$RELAY_PID" ;;
	kcd-stop) date +%s%3N >"$T/cut" && kcd_stop ;;
	*) echo "unknown request $1"; return 1 ;;
	esac
}
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR HEARTBEAT_MS=$HEARTBEAT_MS kiosk_node t-kiosk-offline.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
