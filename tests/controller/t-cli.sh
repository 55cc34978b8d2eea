#!/usr/bin/env bash
# keycab's own parsing and rendering: the help lists every command, usage
# errors exit 2 with their message before anything reaches keycabd, secrets
# come only from stdin or a terminal, an unreachable keycabd is an error
# (exit 1); against a real keycabd: a session file of the wrong mode is
# refused, tables line up Chinese names by display width, --json keeps ISO
# times, a refusal exits 3, rejected import rows exit 1.
source "$KEYCAB_SRC/tests/controller/lib.sh"
estate=$KEYCAB_SRC/tests/demo/estate

# holds DESC TEXT OUTPUT: TEXT literally (brackets and all) in OUTPUT
holds() {
	[[ $3 == *"$2"* ]] && ok "$1" || bad "$1: no \"$2\" in: $3"
}

# usage CMD... MESSAGE: exit 2, MESSAGE then the pointer to --help on stderr
usage() {
	local msg=${*: -1}
	expect 2 "keycab ${*:1:$#-1}" kc "${@:1:$#-1}"
	[ "$ERR" = "keycab: $msg"$'\n'"(keycab --help lists the commands)" ] ||
		bad "  ... stderr: $ERR (wanted keycab: $msg)"
}

echo "== the help: every command, from one table"
expect 0 "keycab --help" kc --help
help=$OUT
for c in "login PERSON [--pin-stdin] | login --card-stdin   [--print-token]" "logout | whoami" \
	"release KEY --purpose borrow|inspection|repair|emergency [--borrower WHO]" \
	"          [--approver MANAGER --approver-pin-stdin]" \
	"collect KEY --signature REF [--id-stdin]         owner collection (rule 8)" \
	"id release LOAN                                  give back the ID held (rule 3)" \
	"handover start | handover confirm N | handover review N" "alarm clear N --note TEXT" \
	"  status | keys | slots | loans [--all] | ids | alarms [--all] | entrustments" \
	"  letters | people | handovers | notices | approvals" "import sites|units|owners|keys FILE.csv" \
	"letter confirm LETTER --channel phone|in_person|wechat|sms [--at TIME]" \
	"unit vacant UNIT yes|no" "Exit: 0 done, 1 error, 2 usage, 3 refused."; do
	holds "  ... $c" "$c" "$help"
done
case $help in *ping* | *test-clock*) bad "  ... lists a command kept for tests" ;; esac
expect 0 "keycab help" kc help
[ "$OUT" = "$help" ] || bad "  ... not the same text as --help"
expect 2 "keycab with no command" kc
[ "$ERR" = "$help" ] || bad "  ... not the help on stderr"

echo "== usage errors: exit 2 before any request"
export KEYCAB_SOCKET=$T/nobody.sock
usage --bogus "unknown option --bogus"
usage frobnicate "unknown command \"frobnicate\""
usage release "the key's code is missing"
usage release K1 "--purpose is needed: borrow, inspection, repair or emergency"
usage release K1 --purpose "--purpose needs a value"
usage release K1 --bogus x "unknown option --bogus for this command"
usage release K1 --purpose borrow --letter x "--letter must be a number (got \"x\")"
usage release K1 --purpose borrow --approval 0 "--approval must be a number (got \"0\")"
usage release K1 --purpose borrow --due-in soon "--due-in must be a duration like 90m, 4h or 2d"
usage release a b c d e "too many arguments at \"e\""
usage approve K1 "--for is needed: how long the approval holds, 1s to 24h (e.g. 30m)"
usage approve K1 --for 25h "--for is needed: how long the approval holds, 1s to 24h (e.g. 30m)"
usage id "usage: keycab id release LOAN"
usage id release x "LOAN must be a number (got \"x\")"
usage inspect "LOAN is missing"
usage inspect 1 "--result is needed: ok or problems"
usage handover "usage: keycab handover start | confirm N | review N"
usage handover foo "usage: keycab handover start | confirm N | review N"
usage handover confirm "N is missing"
usage alarm clear "usage: keycab alarm clear N --note TEXT | alarm reseat N"
usage alarm reseat "usage: keycab alarm clear N --note TEXT | alarm reseat N"
usage import units "usage: keycab import sites|units|owners|keys FILE.csv"
usage person "usage: keycab person add CODE --name NAME --role ROLE [--department D] [--pin-stdin] [--card-stdin]"
usage entrust "the key's code is missing"
usage letter "usage: keycab letter file ENTRUSTMENT ... | letter confirm LETTER --channel C"
usage letter file x "ENTRUSTMENT must be a number (got \"x\")"
usage unit vacant U maybe "usage: keycab unit vacant UNIT yes|no"
usage test-clock advance -1 "usage: keycab test-clock advance SECONDS"
usage keys --all --bogus "unknown option --bogus for this command"
usage status --socket x "unknown option --socket for this command"

echo "== secrets: one line from stdin, never an argument"
expect 1 "login --pin-stdin with stdin at its end" kc login P01 --pin-stdin </dev/null
[ "$ERR" = "keycab: error: no PIN given (end of input)" ] || bad "  ... stderr: $ERR"
expect 1 "release --id-stdin with stdin at its end" \
	kc release K1 --purpose borrow --id-type id_card --id-stdin </dev/null
[ "$ERR" = "keycab: error: no borrower's ID number given (end of input)" ] || bad "  ... stderr: $ERR"

echo "== keycabd unreachable: an error, exit 1"
expect 1 "keycab keys with no keycabd" kc keys
[ "$ERR" = "keycab: error: cannot reach keycabd at $T/nobody.sock: No such file or directory (is it running? --socket or \$KEYCAB_SOCKET)" ] ||
	bad "  ... stderr: $ERR"
expect 1 "keycab --socket elsewhere" kc --socket "$T/other.sock" ping
has "  ... names the socket given" "cannot reach keycabd at $T/other.sock:" "$ERR"
export KEYCAB_SOCKET=$T/keycabd.sock

echo "== against keycabd"
kc_start
expect 0 "keycab ping" kc ping
[ "$OUT" = "keycabd answers" ] || bad "  ... stdout: $OUT"
for t in sites units owners keys; do kc import "$t" "$estate/$t.csv" >/dev/null || bad "import $t"; done
printf '1111\n' | kc person add S01 --name "王芳 Wang Fang" --role staff --phone 13900000001 --pin-stdin >/dev/null ||
	bad "person add S01"
printf '4444\n' | kc person add M01 --name "Li Na" --role manager --pin-stdin >/dev/null || bad "person add M01"

echo "-- a person's department: kept, and carried in person.registered"
printf '5555\n' | kc person add E01 --name "王工" --role engineer --department 工程部 --pin-stdin >/dev/null ||
	bad "person add E01 --department 工程部"
dept=$(sqlite3 "$T/keycab.db" "SELECT p.department || '/' || json_extract(o.body, '\$.data.department') FROM people p, outbox o
	WHERE p.code = 'E01' AND json_extract(o.body, '\$.type') = 'person.registered' AND json_extract(o.body, '\$.person') = 'E01'")
[ "$dept" = "工程部/工程部" ] && ok "  ... 工程部 in the people table and the event" || bad "  ... department: $dept"
none=$(sqlite3 "$T/keycab.db" "SELECT p.department || '/' || ifnull(json_extract(o.body, '\$.data.department'), 'none') FROM people p, outbox o
	WHERE p.code = 'M01' AND json_extract(o.body, '\$.type') = 'person.registered' AND json_extract(o.body, '\$.person') = 'M01'")
[ "$none" = "/none" ] && ok "  ... a person with none: none in the event" || bad "  ... no department: $none"
long=$(printf '部%.0s' $(seq 41))
expect 1 "person add with a department too long" bash -c "printf '6666\n' | '$KEYCAB_BIN/keycab' person add E02 --name 李工 --role engineer --department $long --pin-stdin"
holds "  ... says why" "a department is a name of up to 120 characters" "$ERR"

expect 3 "release without a login: refused" kc release K-HY-1-108 --purpose inspection
holds "  ... by rule 1" "REFUSED (custody rule 1): No operator is logged in" "$ERR"
holds "  ... says what is missing" "  missing: operator login" "$ERR"
expect 3 "login with a wrong PIN" bash -c "printf '9999\n' | '$KEYCAB_BIN/keycab' login S01 --pin-stdin"
expect 0 "login S01" bash -c "printf '1111\n' | '$KEYCAB_BIN/keycab' login S01 --pin-stdin"
has "  ... says who" "logged in: S01 (王芳 Wang Fang, staff); the session ends after " "$OUT"
sess=$XDG_RUNTIME_DIR/keycab/session
[ "$(stat -c %a "$sess")" = 600 ] && ok "  ... session file 0600" || bad "  ... session file mode $(stat -c %a "$sess")"
expect 0 "whoami" kc whoami
has "  ... the person" '"person": "S01"' "$OUT"

echo "-- a table: columns line up by display width (a CJK character takes two)"
expect 0 "people" kc people
python3 - "$OUT" <<'PY' && ok "  ... every row's columns start where the header's do" || bad "  ... misaligned: $OUT"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.argv[1].split("\n")
head = lines[0]
starts = [i for i in range(len(head)) if head[i] != " " and (i == 0 or head[i - 1] == " ")]
assert len(lines) >= 3 and "王芳 Wang Fang" in sys.argv[1], lines
for line in lines[1:]:
    # each column starts after two spaces, at the header's column
    cols = [width(line[:i]) for i in range(len(line))
            if line[i] != " " and i >= 2 and line[i - 1] == " " and line[i - 2] == " "]
    assert set(cols) <= set(starts) and len(cols) >= len(starts) - 2, (line, cols, starts)
PY
expect 0 "people --json" kc people --json
has "  ... JSON" '"name": "王芳 Wang Fang"' "$OUT"
case $OUT in *'"ok"'*) bad "  ... \"ok\" left in the JSON" ;; esac
expect 0 "loans with nothing out" kc loans
[ "$OUT" = "no loans open" ] || bad "  ... stdout: $OUT"

echo "-- the session file of the wrong mode is not used"
chmod 644 "$sess"
expect 1 "keys with a 0644 session file" kc keys
has "  ... says why" "$sess: must be a 0600 file of yours; remove it and log in again" "$ERR"
chmod 600 "$sess"

echo "-- times: the cabinet's zone at the desk, ISO UTC with --json"
expect 0 "logout" kc logout
[ "$OUT" = "logged out" ] || bad "  ... stdout: $OUT"
[ -e "$sess" ] && bad "  ... the session file is still there"
M01=$(token M01 4444) || bad "login M01 --print-token"
[ ${#M01} -ge 16 ] && ok "  ... --print-token prints a token" || bad "  ... token: $M01"
[ -e "$sess" ] && bad "  ... --print-token wrote the session file"
expect 0 "approve with a local --from" env KEYCAB_SESSION="$M01" TZ=UTC \
	"$KEYCAB_BIN/keycab" approve K-LJ-3-203 --for 30m --from "2030-01-02 08:00"
has "  ... shown in the cabinet's zone whatever TZ says" "valid from 2030-01-02 08:00 to 2030-01-02 08:30" "$OUT"
expect 0 "approvals --json" env KEYCAB_SESSION="$M01" "$KEYCAB_BIN/keycab" --json approvals
has "  ... ISO UTC" '"valid_from": "2030-01-02T00:00:00.000Z"' "$OUT"

echo "-- exit 1 when an import rejects rows"
printf 'code,name,age\nXX,,new\n' >"$T/bad-sites.csv"
expect 1 "import with a bad row" env KEYCAB_SESSION="$M01" "$KEYCAB_BIN/keycab" import sites "$T/bad-sites.csv"
has "  ... counts" "$T/bad-sites.csv: 0 sites added, 1 rejected" "$OUT"
has "  ... names the line" "$T/bad-sites.csv:2: " "$OUT"
expect 1 "import of a missing file" kc import sites "$T/none.csv"
has "  ... names the file" "$T/none.csv" "$ERR"
kc_finish
