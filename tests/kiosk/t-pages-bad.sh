#!/usr/bin/env bash
# Bad input at the terminal (tests/kiosk/t-pages-bad.js) in a real headless
# Chromium with touch at 1024x600: two terminals (two keycab-kiosk
# processes) racing for one key, the audit link down (keyauditd stopped)
# and keycabd restarting under open pages; against keycabd on keycab-sim
# with the demo estate, forwarding to a real keyauditd. Screenshots:
# $BUILD/test-logs/kiosk/t-pages-bad/.
# Not here: a card the cabinet does not know. A card reaches the kiosk only
# from its reader (libevdev, [card_reader] device); a page cannot send one
# (/api/login takes person and pin), and faking the reader would test the
# fake. The reader is tested against uinput in the VM (tests/gpio), an
# unknown card's refusal by keycabd in t-rules-sim.sh.
# A wrong PIN with the lockout's time left and a mistyped ID number: pages.js.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH T
KIOSK_A= KIOSK_B=
cleanup() {
	for p in $KIOSK_A $KIOSK_B; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	kc_cleanup
}
trap cleanup EXIT

KC_WINDOW=6s
kc_cabinet
kc_config
kad_setup 1s
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }

# two terminals at the desk: two kiosks on the one keycabd, each with its screen
kiosk_start kiosk-a "idle_timeout = 5m" || exit 1
KIOSK_A=$KPID
kiosk_start kiosk-b "idle_timeout = 5m" || exit 1
KIOSK_B=$KPID

# What the page asks of the shell (lib.js shell()): req-WHAT -> done-WHAT.
act() {
	case $1 in
	kad-stop) sqlite3 "$T/keycab.db" "SELECT max(seq) FROM outbox" >"$T/seq-kad-stop"; kad_stop ;;
	kad-start) sqlite3 "$T/keycab.db" "SELECT max(seq) FROM outbox" >"$T/seq-kad-start"; kad_start ;;
	kcd-stop) kcd_stop ;;
	# while keycabd is down: S02's session is lost (its database restored
	# from a backup), and a key leaves its slot without a release
	kcd-while-down) sqlite3 "$T/keycab.db" "DELETE FROM sessions WHERE person = 'S02'" && sim remove B02 >/dev/null ;;
	kcd-start) kcd_start ;;
	*) echo "unknown request $1"; return 1 ;;
	esac
}
KIOSK_A_URL=$(cat "$T/kiosk-a.url") KIOSK_B_URL=$(cat "$T/kiosk-b.url") \
	KIOSK_A_PAIR=$(cat "$T/kiosk-a.pair") KIOSK_B_PAIR=$(cat "$T/kiosk-b.pair") \
	kiosk_node t-pages-bad.js

echo "== the audit link: every event at keyauditd exactly once"
fwd() { kc --json status | json "d['forward']['pending'], d['forward']['last_acked_seq'], d['last_seq']"; }
drained() { kc --json status | json "int(d['forward']['pending'] == 0 and d['forward']['last_acked_seq'] == d['last_seq'])" | grep -qx 1; }
wait_for 30 drained && ok "the outbox drained to keyauditd: $(fwd)" || bad "not drained: $(fwd)"
cab=$(sqlite3 "$T/keycab.db" "SELECT seq || ' ' || json_extract(body, '\$.hash') FROM outbox ORDER BY seq")
srv=$(sqlite3 "$T/audit.db" "SELECT seq || ' ' || hash FROM events WHERE cabinet = 'demo-desk' ORDER BY seq")
n=$(wc -l <<<"$cab")
if [ -n "$cab" ] && [ "$cab" = "$srv" ]; then ok "keyauditd holds the cabinet's $n events, each once, hashes equal"
else bad "keyauditd differs from the outbox: $(diff <(echo "$cab") <(echo "$srv") | head -5)"; fi
s0=$(cat "$T/seq-kad-stop" 2>/dev/null) s1=$(cat "$T/seq-kad-start" 2>/dev/null)
if [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" -gt "$s0" ]; then
	m=$(sqlite3 "$T/audit.db" "SELECT count(DISTINCT seq) FROM events WHERE cabinet = 'demo-desk' AND seq > $s0 AND seq <= $s1")
	[ "$m" = $((s1 - s0)) ] && ok "the $m events written while keyauditd was down arrived" || bad "offline events: $m of $((s1 - s0))"
else bad "no events written while keyauditd was down ($s0, $s1)"; fi
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"

for k in kiosk-a kiosk-b; do
	grep -E -q "1111|2222|5555" "$T/$k.log" && bad "a PIN in $k's log"
	grep -q -e "Sanitizer" -e "runtime error:" "$T/$k.log" && { bad "a sanitizer report in $k's log"; grep -A20 Sanitizer "$T/$k.log" | head -30; }
done
tail -n 8 "$T/kiosk-a.log"
kc_finish
