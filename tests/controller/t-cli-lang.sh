#!/usr/bin/env bash
# keycab in the desk's language: LANG=zh_CN.UTF-8 (or LANGUAGE=zh_CN with
# LANG=C.UTF-8) gives Chinese: its own errors and usage, the help, tables
# (headers and words such as states and kinds), keycabd's refusals with
# the custody rule named and what is missing, keycabd's errors (rendered
# from their codes); --json stays as keycabd sent it. en_US.UTF-8 gives
# the English of today. Against a real keycabd on keycab-sim.
source "$KEYCAB_SRC/tests/controller/lib.sh"
estate=$KEYCAB_SRC/tests/demo/estate
unset LC_ALL LC_MESSAGES LANGUAGE

zh1() { env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" "$@"; }
zh2() { env LANGUAGE=zh_CN LANG=C.UTF-8 "$KEYCAB_BIN/keycab" "$@"; }
en() { env LANG=en_US.UTF-8 "$KEYCAB_BIN/keycab" "$@"; }
# no_ascii_words DESC TEXT: no English word (3+ letters) left in TEXT,
# keycab's and keycabd's names, commands, people's names, key codes and options aside
no_english() {
	local left
	left=$(printf '%s' "$2" | sed -E -e 's/keycab [a-z]+|Wang Fang|keycabd?|KEYCAB_SOCKET|--[a-z-]+|K-[A-Z0-9-]+|[a-z]+\.sock|\/[^ ）]*//g' |
		grep -oE '[A-Za-z]{3,}' | sort -u | tr '\n' ' ')
	[ -z "$left" ] && ok "$1" || bad "$1: English left ($left) in: $2"
}

echo "== keycab's own words, before keycabd is up"
export KEYCAB_SOCKET=$T/nobody.sock
for zh in zh1 zh2; do
	expect 1 "$zh: keys with no keycabd" $zh keys
	has "  ... says it in Chinese" "keycab：错误：无法连接 keycabd（$T/nobody.sock）：套接字不存在。" "$ERR"
	no_english "  ... no English" "$ERR"
	expect 2 "$zh: release without a key" $zh release
	[ "$ERR" = "keycab：缺少钥匙编号。"$'\n'"（keycab --help 可查看全部命令）" ] && ok "  ... usage in Chinese" ||
		bad "  ... stderr: $ERR"
	expect 0 "$zh: --help" $zh --help
	has "  ... headings" "柜台操作：" "$OUT"
	has "  ... notes" "id release LOAN                                  退还留存证件（规则 3）" "$OUT"
	has "  ... the footer" "退出码：0 完成，1 出错，2 用法有误，3 被拒绝。" "$OUT"
done
expect 1 "en: keys with no keycabd" en keys
[ "$ERR" = "keycab: error: cannot reach keycabd at $T/nobody.sock: No such file or directory (is it running? --socket or \$KEYCAB_SOCKET)" ] &&
	ok "  ... in English as before" || bad "  ... stderr: $ERR"
expect 0 "en: --help" en --help
has "  ... English headings" "At the cabinet:" "$OUT"
expect 0 "C: --help" env LANG=C "$KEYCAB_BIN/keycab" --help
has "  ... English in the C locale" "At the cabinet:" "$OUT"
expect 0 "LANGUAGE=zh_CN is ignored in the C locale (as gettext does)" env LANGUAGE=zh_CN LC_ALL=C "$KEYCAB_BIN/keycab" --help
has "  ... English" "At the cabinet:" "$OUT"
export KEYCAB_SOCKET=$T/keycabd.sock

echo "== against keycabd"
kc_start
for t in sites units owners keys; do kc import "$t" "$estate/$t.csv" >/dev/null || bad "import $t"; done
printf '1111\n' | kc person add S01 --name "王芳 Wang Fang" --role staff --pin-stdin >/dev/null || bad "person add S01"

echo "-- a table"
for zh in zh1 zh2; do
	expect 0 "$zh: keys" $zh keys
	head=${OUT%%$'\n'*}
	for h in 钥匙 类别 房屋 状态 本位; do has "  ... header $h" "$h" "$head"; done
	case $head in *state* | *kind*) bad "  ... an English header: $head" ;; esac
	has "  ... a kind in Chinese" "业主托管" "$OUT"
	has "  ... a state in Chinese" "待入柜" "$OUT"
	has "  ... a key code as it is" "K-HY-1-101" "$OUT"
	expect 0 "$zh: loans with none" $zh loans
	[ "$OUT" = "目前没有借出的钥匙" ] && ok "  ... says so in Chinese" || bad "  ... stdout: $OUT"
	expect 0 "$zh: keys --json" $zh keys --json
	has "  ... JSON as sent" '"state": "awaiting"' "$OUT"
done
expect 0 "en: keys" en keys
has "  ... English header" "key " "${OUT%%$'\n'*}"
has "  ... English state" "awaiting" "$OUT"

echo "-- a refusal names its rule and what is missing"
for zh in zh1 zh2; do
	expect 3 "$zh: release without a login" $zh release K-HY-1-108 --purpose inspection
	first=${ERR%%$'\n'*}
	has "  ... rule 1 named" "未能办理（保管规则 1：操作员身份认证）：" "$first"
	has "  ... what is missing" "  缺少：操作员登录" "$ERR"
	# keycabd's own sentence: Chinese once its refusal carries a code
	no_english "  ... the reason in Chinese" "$ERR"
done
expect 3 "en: release without a login" en release K-HY-1-108 --purpose inspection
[[ $ERR == "REFUSED (custody rule 1): No operator is logged in"*$'\n'"  missing: operator login" ]] &&
	ok "  ... English as before" || bad "  ... stderr: $ERR"
expect 3 "zh1: release without a login --json" zh1 --json release K-HY-1-108 --purpose inspection
has "  ... JSON keeps the English reason" '"reason": "No operator is logged in' "$OUT"

expect 3 "zh1: login with a wrong PIN" bash -c "printf '9999\n' | LANG=zh_CN.UTF-8 '$KEYCAB_BIN/keycab' login S01 --pin-stdin"
has "  ... a refusal in Chinese" "未能办理（保管规则 1：操作员身份认证）：" "$ERR"
no_english "  ... the reason in Chinese" "$ERR"

echo "-- an error from keycabd, rendered from its code"
S=$(token S01 1111) || bad "login S01"
sqlite3 -cmd ".timeout 5000" "$T/keycab.db" "ALTER TABLE loans RENAME TO loans_away"
expect 1 "zh1: inspect while loans cannot be read" env KEYCAB_SESSION="$S" LANG=zh_CN.UTF-8 \
	"$KEYCAB_BIN/keycab" inspect 1 --result ok
has "  ... in Chinese" "keycab：错误：数据库读取失败：no such table: loans。" "$ERR"
expect 1 "en: the same" env KEYCAB_SESSION="$S" LANG=en_US.UTF-8 "$KEYCAB_BIN/keycab" inspect 1 --result ok
[ "$ERR" = "keycab: error: Database read failed: no such table: loans." ] && ok "  ... in English" ||
	bad "  ... stderr: $ERR"
sqlite3 -cmd ".timeout 5000" "$T/keycab.db" "ALTER TABLE loans_away RENAME TO loans"

echo "-- an alarm's detail, kept as a code: in the reader's language"
key=K-HY-1-101 slot=A01
"$KEYCAB_SRC/tests/simctl.py" insert $slot 0x1001 >/dev/null
wait_key $key in || bad "$key not in its slot"
"$KEYCAB_SRC/tests/simctl.py" remove $slot >/dev/null
wait_key "$key" missing && ok "a key taken from $slot without a release: a tamper alarm" || bad "no tamper seen"
expect 0 "json: the alarm keeps its message" kc --json alarms
python3 - "$OUT" "$key" "$slot" <<'PY' && ok "  ... detail_msg alarm_tamper with key and slot" || bad "  ... $OUT"
import json, sys
a = [a for a in json.loads(sys.argv[1])["alarms"] if a["type"] == "tamper"][0]
assert a["detail_msg"] == {"code": "alarm_tamper", "params": {"key": sys.argv[2], "slot": sys.argv[3]}}, a
assert a["detail"] == f"key {sys.argv[2]} left slot {sys.argv[3]} with no release open (tamper)", a
PY
expect 0 "zh1: alarms" zh1 alarms
has "  ... the detail in Chinese (cut to the column)" "钥匙 $key 在未放行的情况下离开" "$OUT"
case $OUT in *detail_msg* | *"left slot"*) bad "  ... English or the raw column: $OUT" ;; esac
expect 0 "en: alarms" en alarms
has "  ... the detail in English (cut to the column)" "key $key left slot $slot with no rel" "$OUT"
kc_finish
