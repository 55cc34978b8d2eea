#!/usr/bin/env bash
# Taking keys in by touch (tests/kiosk/t-intake.js) in a real headless
# Chromium with touch at 1024x600: an owner's two keys entrusted, a key
# enrolled, an entrustment extended and ended early, an authorisation
# letter filed, each to its receipt, and the refusals (a bad ID check
# digit, a period past the bound, no free slot); against keycabd on
# keycab-sim with the demo estate and four free slots, served by
# keycab-kiosk. Screenshots: $BUILD/test-logs/kiosk/t-intake/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/intake-cabinet.sh"
kiosk_browser
KC_WINDOW=3s
INTAKE_AUDIT=1 intake_cabinet_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/t-intake.js" && ok "t-intake.js" || bad "t-intake.js"
"$KEYCAB_BIN/keycab-chaincheck" "$T/keycab.db" >/dev/null 2>&1 && ok "the outbox chain is whole" || bad "keycab-chaincheck"

# The receipt printable from the office: keyauditd's page of the
# entrustment, made from its events, for a supervisor signed in with the
# console's form (Chinese, then English).
KAD=http://127.0.0.1:$(cat "$T/kad.port")
echo "sup-password-1" | "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-user --role supervisor sup 2>>"$T/keyauditd.log" ||
	bad "keyauditd add-user"
ENT=$(kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['owner_name'] == '李明'][0]")
curl -s -c "$T/cookies" -o /dev/null --data-urlencode user=sup --data-urlencode password=sup-password-1 "$KAD/login"
page() { curl -s -b "$T/cookies" "$KAD/r/receipt?cabinet=demo-desk&entrustment=$ENT"; }
wait_for 15 sh -c "curl -s -b '$T/cookies' '$KAD/r/receipt?cabinet=demo-desk&entrustment=$ENT' | grep -q 'rc-owner'" ||
	bad "keyauditd has the entrustment's events"
P=$(page)
echo "$P" >"$T/receipt-zh.html"
for want in 持钥凭证 李明 '139\*\*\*\*5678' 居民身份证 '\*\*\*\*' 华苑新城 107 业主托管 王芳 业主签字 续期 授权委托书 赵雷; do
	echo "$P" | grep -q "$want" && ok "the office's receipt (zh-CN) shows $want" || bad "the office's receipt lacks $want"
done
echo "$P" | grep -q '13912345678' && bad "the office's receipt shows the phone in full" || ok "no phone in full"
echo "$P" | grep -q '>S01<' && bad "the office's receipt names the clerk by code" || ok "the clerk by name, not code"
echo "$P" | grep -Eq '20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}' && ok "the registration's local time" || bad "no local time"
CSRF=$(curl -s -b "$T/cookies" "$KAD/" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -s -b "$T/cookies" -o /dev/null --data-urlencode lang=en --data-urlencode csrf="$CSRF" --data-urlencode back=/ "$KAD/lang"
P=$(page)
for want in 'Key custody receipt' 'Resident ID card' 'Entrusted by the owner' "Owner’s signature" Extended; do
	echo "$P" | grep -q "$want" && ok "the office's receipt (English) shows $want" || bad "the English receipt lacks $want"
done
kc_finish
