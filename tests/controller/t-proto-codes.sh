#!/usr/bin/env bash
# keycabd's failed replies over the real socket carry a message code and
# params beside the English text (tests/controller/protocodes.py): bad
# requests, an unknown op, a wrong PIN with the tries left, the lockout
# with until and seconds_left, a card the cabinet does not know (without
# its id), a person not on the roll, no/unknown/ended sessions; each one's
# English is what its code renders to, and each has a Chinese text. No card
# id or PIN reaches keycabd's log.
source "$KEYCAB_SRC/tests/controller/lib.sh"
export SESSION_IDLE_S=2 CARD=88231907465512 KEYCAB_SRC
: "${KEYCAB_LOCALEDIR:?}"
export KEYCAB_LOCALEDIR
KC_LOCKOUT_BASE=30s
kc_cabinet
kc_config
sed -i -e "s/^idle_timeout = 1h/idle_timeout = ${SESSION_IDLE_S}s/" "$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
python3 "$KEYCAB_SRC/tests/controller/protocodes.py" >"$T/codes.out" 2>&1
rc=$?
cat "$T/codes.out"
FAILS=$((FAILS + $(grep -c '^FAIL' "$T/codes.out")))
[ "$rc" = 0 ] || grep -q '^FAIL' "$T/codes.out" || bad "protocodes.py: exit $rc"
kill -0 "$KCD_PID" 2>/dev/null || bad "keycabd died"
for secret in "$CARD" 864209 1111 2222; do
	if grep -q -- "$secret" "$T/keycabd.log"; then bad "\"$secret\" (a card id or PIN) in keycabd's log"
	else ok "no \"$secret\" in keycabd's log"; fi
done
kc_finish
