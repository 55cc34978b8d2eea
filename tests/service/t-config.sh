#!/usr/bin/env bash
# Configuration: every bad value is refused with a message naming the file,
# the line and the key, and a non-zero exit; defaults -> file -> command
# line; the schema is migrated at start and a database newer than the code
# is refused; channels and routes ([channel NAME], [route]) likewise.
set -u
: "${KEYCAB_BIN:?}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; fail=1; }
K="$KEYCAB_BIN/keyauditd"

# expect_bad "conf text" "expected message part"
n=0
expect_bad() {
	n=$((n + 1))
	local f="$tmp/bad$n.conf"
	printf '%b' "$1" >"$f"
	out=$("$K" -c "$f" check-config 2>&1); rc=$?
	echo "    $out"
	if [ $rc -ne 0 ] && [[ "$out" == *"$2"* ]]; then ok "refused (exit $rc): $2"; else bad "expected \"$2\", exit $rc"; fi
}
echo "== bad values"
expect_bad "[server]\nport = 70000\n" "bad1.conf:2: [server] port: 70000 is out of range (0 to 65535)"
expect_bad "[server]\nlisten = 127.0.0.1\nport = http\n" "bad2.conf:3: [server] port: \"http\" is not a number"
expect_bad "[server]\nbody_limit = 10\n" "bad3.conf:2: [server] body_limit: 10 is out of range"
expect_bad "[server]\nthreads = 0\n" "bad4.conf:2: [server] threads: 0 is out of range"
expect_bad "[server]\nportt = 1\n" "bad5.conf:2: [server] portt: unknown key"
expect_bad "[srever]\nport = 1\n" "bad6.conf:2: [srever] port: unknown section"
expect_bad "[notify]\n\nwebhook = ftp://x\n" "bad7.conf:3: [notify] webhook: \"ftp://x\" is not an http:// or https:// URL"
expect_bad "[notify]\nbackoff_min_ms = 5000\nbackoff_max_ms = 1000\n" "backoff_max_ms (1000) is below backoff_min_ms (5000)"
expect_bad "[templates]\nalarm.zh = 报警 {nonsense}\n" "bad9.conf:2: [templates] alarm.zh: unknown field {nonsense}; notices of kind alarm have: site cabinet time"
expect_bad "[templates]\nfoo.zh = x\n" "bad10.conf:2: [templates] foo.zh: unknown key"
expect_bad "[server]\nthis line has no equals sign\n" "bad11.conf:2: syntax error"
expect_bad "[database]\npath =\n" "bad12.conf:2: [database] path: the database path is empty"
expect_bad "[server]\nlisten = localhost\n" "bad13.conf:2: [server] listen: \"localhost\" is not a numeric IPv4 or IPv6 address"
expect_bad "[notify]\noffline_after_s = 2\n" "bad14.conf:2: [notify] offline_after_s: 2 is out of range (5 to 604800)"
expect_bad "[templates]\nboard_fault.zh = {owner_name}：{board}\n" "bad15.conf:2: [templates] board_fault.zh: unknown field {owner_name}; notices of kind board_fault have"
expect_bad "[channel desk]\nurl = https://qyapi.weixin.qq.com/cgi-bin/webhook/send\n" "bad16.conf:1: [channel desk]: no type"
expect_bad "[channel desk]\ntype = pager\n" "bad17.conf:2: [channel desk] type: \"pager\" is no channel type"
expect_bad "[channel sms]\ntype = sms_aliyun\nurl = https://dysmsapi.aliyuncs.com/\nkey_id = k\nsign_name = s\n" \
	"bad18.conf:1: [channel sms]: no secret (the AccessKey secret or SecretKey, in [notify] secrets_file)"
expect_bad "[channel m]\ntype = smtp\nurl = smtp://127.0.0.1:587\nfrom = a@example.com\n[route]\nalarm = m\n" \
	"bad19.conf:6: [route] alarm: m is an smtp channel: name the address (m:manager@example.com)"
expect_bad "[route]\nalarm = desk\n" "bad20.conf:2: [route] alarm: no channel \"desk\" ([channel desk] is not in the file)"
expect_bad "[route]\nalarms = desk\n" "bad21.conf:2: [route] alarms: no notice kind alarms"
expect_bad "[channel a]\ntype = webhook\nurl = https://h/x\n[channel a]\n" "bad22.conf:4: [channel a]: a second [channel a] (the first at line 1)"
expect_bad "[channel eng]\ntype = webhook\nurl = https://h/x\n[departments]\n工程部 = eng\n客服部 = wecom_cs\n" \
	"bad23.conf:6: [departments] 客服部: no channel \"wecom_cs\" ([channel wecom_cs] is not in the file)"
expect_bad "[channel m]\ntype = smtp\nurl = smtp://127.0.0.1:587\nfrom = a@example.com\n[departments]\n工程部 = m\n" \
	"bad24.conf:6: [departments] 工程部: m is an smtp channel: it sends to an address, not to a group"
expect_bad "[channel eng]\ntype = webhook\nurl = https://h/x\n[route]\nloan_overdue = department\n" \
	"bad25.conf:5: [route] loan_overdue: department: no [departments] section names a department's group"
expect_bad "[channel eng]\ntype = webhook\nurl = https://h/x\n[departments]\n工程部 = eng\n[route]\nloan_overdue = department|desk\n" \
	"bad26.conf:7: [route] loan_overdue: no channel \"desk\" ([channel desk] is not in the file)"

echo "== template files ([templates] dir)"
mkdir -p "$tmp/tpl"
# a kind's file: comment lines first, then the text; a field the kind does
# not have is refused at start with the file and its line
printf '# 钥匙柜报警\n# 字段：{site} {cabinet} {slot}\n【{site}】钥匙柜{cabinet}报警：\n{slot}号格，请处理 {sloot}。\n' >"$tmp/tpl/alarm.zh.txt"
expect_bad "[templates]\ndir = $tmp/tpl\n" "[templates] dir: $tmp/tpl/alarm.zh.txt:4: unknown field {sloot}; notices of kind alarm have: site cabinet time seq"
printf '{site}: board {board} of {cabinet} is down since {time}; slots {slots}; call {owner_name}\n' >"$tmp/tpl/alarm.zh.txt"
mv "$tmp/tpl/alarm.zh.txt" "$tmp/tpl/board_fault.en.txt"
expect_bad "[templates]\ndir = $tmp/tpl\n" "[templates] dir: $tmp/tpl/board_fault.en.txt:1: unknown field {owner_name}"
printf '# nothing but a comment\n' >"$tmp/tpl/board_fault.en.txt"
expect_bad "[templates]\ndir = $tmp/tpl\n" "[templates] dir: $tmp/tpl/board_fault.en.txt:1: the template is empty"
rm "$tmp/tpl/board_fault.en.txt"
expect_bad "[templates]\ndir = $tmp/tpl-typo\n" "[templates] dir: $tmp/tpl-typo: No such file or directory"
printf '# 控制板故障\n【{site}】{cabinet}的控制板{board}（{slots}号格）自{time}起故障。\n' >"$tmp/tpl/board_fault.zh.txt"
printf '[templates]\ndir = %s\n' "$tmp/tpl" >"$tmp/tpl.conf"
out=$("$K" -c "$tmp/tpl.conf" check-config 2>&1) && ok "a directory of good template files: taken" || bad "good template files refused: $out"
out=$("$K" -c "$tmp/missing.conf" check-config 2>&1); rc=$?
echo "    $out"
[ $rc -ne 0 ] && [[ "$out" == *"missing.conf: No such file"* ]] && ok "a missing file: refused" || bad "missing file"
out=$("$K" --port 99999 check-config 2>&1); rc=$?
echo "    $out"
[ $rc -ne 0 ] && [[ "$out" == *"command line: --port 99999: 99999 is out of range"* ]] && ok "a bad --port" || bad "bad --port"

echo "== defaults -> file -> command line"
cat >"$tmp/good.conf" <<EOC
[server]
listen = 127.0.0.1
port = 1
body_limit = 2048
[database]
path = $tmp/file.db
EOC
"$K" -c "$tmp/good.conf" --db "$tmp/cli.db" --port 0 --port-file "$tmp/port" serve 2>"$tmp/d.log" &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port" 2>/dev/null)
[ -n "$port" ] && [ "$port" != 1 ] && ok "--port 0 wins over the file's port 1 (got $port)" || bad "port"
[ -f "$tmp/cli.db" ] && [ ! -f "$tmp/file.db" ] && ok "--db wins over the file's path" || bad "db path"
code=$(head -c 4000 /dev/zero | tr '\0' 'x' | curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @- \
	-H 'Authorization: Bearer x' "http://127.0.0.1:$port/api/v1/events")
[ "$code" = 413 ] && ok "the file's body_limit 2048 over the default 4 MiB (4000 bytes -> 413)" || bad "body_limit ($code)"
kill $pid; wait $pid; pid=

echo "== schema version"
# one migration per schema/audit-*.sql
N=$(ls "$KEYCAB_SRC"/schema/audit-*.sql | wc -l)
v=$(sqlite3 "$tmp/cli.db" "PRAGMA user_version")
[ "$v" = "$N" ] && ok "a new database is at schema version $N" || bad "user_version $v"
j=$(sqlite3 "$tmp/cli.db" "PRAGMA journal_mode")
[ "$j" = wal ] && ok "WAL mode" || bad "journal_mode $j"
echo "== migration of a version-1 database"
sqlite3 "$tmp/v1.db" <"$KEYCAB_SRC/schema/audit-001.sql"
sqlite3 "$tmp/v1.db" "PRAGMA user_version = 1; INSERT INTO cabinets (id, token_hash, created_ms) VALUES ('OLD', 'x', 1);
	INSERT INTO loans (cabinet, loan, key, purpose, out_ms, state) VALUES ('OLD', 1, 'K1', 'owner_collect', 1, 'out'), ('OLD', 2, 'K2', 'borrow', 1, 'out')"
out=$("$K" --db "$tmp/v1.db" rotate-token OLD 2>&1 >/dev/null); rc=$?
echo "    $out"
v=$(sqlite3 "$tmp/v1.db" "PRAGMA user_version")
idx=$(sqlite3 "$tmp/v1.db" "SELECT count(*) FROM sqlite_master WHERE name = 'loans_insp'")
states=$(sqlite3 "$tmp/v1.db" "SELECT group_concat(state, ',') FROM (SELECT state FROM loans ORDER BY loan)")
[ $rc -eq 0 ] && [ "$v" = "$N" ] && [ "$idx" = 1 ] && [ "$states" = collected,out ] &&
	ok "migrated 1 -> $N at start, data kept, a collected owner loan no longer out" ||
	bad "migration (rc $rc, v $v, loans $states)"
sqlite3 "$tmp/cli.db" "PRAGMA user_version = 99"
out=$("$K" --db "$tmp/cli.db" --port 0 serve 2>&1); rc=$?
echo "    $out"
[ $rc -ne 0 ] && [[ "$out" == *"schema version 99 is newer than this keyauditd ($N); refusing to start"* ]] \
	&& ok "a database newer than the code: refused" || bad "newer database started (exit $rc)"
exit $fail
