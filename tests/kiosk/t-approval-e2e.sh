#!/usr/bin/env bash
# A manager's approval from the phone, end to end (t-approval-e2e.js):
# keycabd (managed) on keycab-sim, keycab-forward linked to a real
# keyauditd, the terminal (keycab-kiosk) and the office's console each in
# Chromium, driven by taps and clicks. An admin makes manager 陈经理's
# account (M01) on /accounts; S01 asks for the sealed key K-LJ-3-203 at the
# terminal; the request reaches the manager's phone page; the manager
# approves and the slot opens (the sim's coil), the time from the tap to
# the coil measured; a second request is refused and the terminal shows
# the reason. Then: the feed's two changes applied, the office chain and
# the cabinet's chain verify at keyauditd.
# Screenshots: $BUILD/test-logs/kiosk/t-approval-e2e/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
KC_WINDOW=5s
kc_link_start
kad() { "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" "$@"; }
kad cabinet-mode demo-desk managed >/dev/null || { bad "cabinet-mode managed"; exit 1; }
printf 'adm-password-1\n' | kad add-user --role admin adm >/dev/null || { bad "add-user"; exit 1; }
# managed at both ends; keycab-forward started again to follow the feed
kfw_stop
kcd_stop
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kcd_start
wait_for 20 link_drained && ok "the cabinet's events reached keyauditd" || bad "link not drained: $(link_st)"
act() { :; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
sim clear-history >/dev/null
KC_URL=http://127.0.0.1:$(cat "$T/kad.port") KC_USER=adm KC_PASS=adm-password-1 \
	KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-approval-e2e.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
ad() { sqlite3 "$T/audit.db" "$1"; }
wait_for 20 test "$(ad "SELECT count(*) FROM feed WHERE cabinet='demo-desk' AND state='applied'")" = 2
[ "$(ad "SELECT group_concat(type||':'||state, ' ') FROM (SELECT type, state FROM feed WHERE cabinet='demo-desk' ORDER BY change)")" = \
	"approval.grant:applied approval.refuse:applied" ] && ok "the feed's grant and refusal marked applied at the office" ||
	bad "feed: $(ad "SELECT change, type, state, code FROM feed")"
[ "$(ad "SELECT group_concat(request||':'||state, ' ') FROM (SELECT request, state FROM approval_requests ORDER BY request)")" = \
	"1:granted 2:refused" ] && ok "the office's requests: 1 granted, 2 refused" || bad "requests: $(ad "SELECT * FROM approval_requests")"
[ "$(events approval.used)" = 1 ] && ok "the release used the remote approval" || bad "approval.used: $(events approval.used)"
wait_for 20 link_drained
expect 0 "verify-chain @office" kad verify-chain @office
expect 0 "verify-chain demo-desk" kad verify-chain demo-desk
chain_ok && ok "the cabinet's outbox chain is whole" || bad "chain"
kc_finish
