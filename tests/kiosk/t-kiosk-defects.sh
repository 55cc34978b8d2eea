#!/usr/bin/env bash
# The terminal's smaller defects, each by taps in Chromium at 1024x600
# with touch (t-kiosk-defects.js), against keycabd on keycab-sim with the
# demo estate, served by keycab-kiosk: the grants name the approver and
# the ID held (holder, type); an owner's collection says the entrustment
# ended; the repair list puts the repair keys first; an ID asked back
# while its key is out shows keycabd's refusal; the handover sheet lists
# units; a lockout names the person without a code; the problem box has
# a limit and a count. Here in the shell: a refusal naming a member over
# its limit names it with the catalogue's word.
# Screenshots: $BUILD/test-logs/kiosk/t-kiosk-defects/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
KC_WINDOW=4s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
login S01 1111
ENT=$(kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['key']=='K-HY-1-101'][0]")
LETTER=$(echo 440301199512125559 | kc --json letter file "$ENT" --borrower '谭伟' --id-type id_card --id-stdin \
	--to "$(date -u -d '+14 days' +%Y-%m-%d)" --ref WT-2026-001 | json "d['letter']")
# an inspection of HY-1-103 by E01, back in its slot: its result to record
INSP=$(kc --json release K-HY-1-103 --purpose inspection --borrower E01 --due-in 1h | json "d['loan']")
sim remove A07 >/dev/null && wait_key K-HY-1-103 out && sim insert A07 $((0x1007)) >/dev/null &&
	wait_key K-HY-1-103 in || bad "the inspection of K-HY-1-103 out and back"

echo "== a member over its limit, refused in Chinese"
long=$(printf '漏%.0s' $(seq 1 1500))
out=$(env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" inspect "$INSP" --result problems --problems "$long" \
	--forwarded-to 工程部 2>&1)
echo "       $out"
has "the refusal names the problem box 问题描述" "“问题描述”长1500个字符，最多允许1000个" "$out"
case $out in *problems*) bad "  ... and not the member's English name: $out" ;; *) ok "  ... not its English name" ;; esac
kc logout >/dev/null

KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
act() { echo "unknown request $1"; return 1; }
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR LETTER=$LETTER INSP=$INSP kiosk_node t-kiosk-defects.js
grep -q -e 1111 -e 2222 -e 5555 "$T/kiosk.log" && bad "a PIN in the kiosk's log"
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
