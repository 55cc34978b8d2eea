#!/usr/bin/env bash
# Desk time: a date is a whole local day at the cabinet, in keycabd's
# [cabinet] time_zone (default Asia/Shanghai), whatever TZ keycabd and
# keycab run with. Run twice: TZ unset (as under systemd) with the default
# zone, and TZ=UTC in the environment with the zone named in the
# configuration. keycabd's test clock walks through the days.
if [ -z "${DESK_TZ_RUN:-}" ]; then
	rc=0
	echo "=== TZ unset, [cabinet] time_zone left at its default"
	env -u TZ DESK_TZ_RUN=unset bash "$0" || rc=1
	echo "=== TZ=UTC in the environment, [cabinet] time_zone = Asia/Shanghai"
	env TZ=UTC DESK_TZ_RUN=utc bash "$0" || rc=1
	exit $rc
fi
source "$KEYCAB_SRC/tests/controller/lib.sh"
ZONE=Asia/Shanghai
estate=$KEYCAB_SRC/tests/demo/estate

echo "== a time zone keycabd does not know stops it at start, naming the line"
kc_cabinet
kc_config
printf '[cabinet]\ntime_zone = Mars/Olympus_Mons\n' >>"$T/keycabd.conf"
expect 1 "keycabd --check-config with time_zone = Mars/Olympus_Mons" \
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --check-config
has "  ... the message names the file and line" "$T/keycabd.conf:$(wc -l <"$T/keycabd.conf"): " "$ERR"
has "  ... and the key" 'time_zone: "Mars/Olympus_Mons" is not a time zone' "$ERR"
sed -i 's|^time_zone = .*|time_zone = ../../etc/passwd|' "$T/keycabd.conf"
expect 1 "keycabd --check-config with a path for a zone" "$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --check-config
has "  ... refused as no zone name" "is not a time zone name" "$ERR"

kc_config
[ "$DESK_TZ_RUN" = utc ] && sed -i "s|^file = $T/cabinet.conf|&\ntime_zone = $ZONE|" "$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
expect 0 "keycabd tells clients its zone" kc --json ping
has "  ... time_zone $ZONE" "\"time_zone\": \"$ZONE\"" "$OUT"

for t in sites units owners keys; do kc import "$t" "$estate/$t.csv" >/dev/null || bad "import $t"; done
printf '1111\n' | kc person add S01 --name "王芳 Wang Fang" --role staff --phone 13900000001 --pin-stdin >/dev/null
printf '3333\n' | kc person add E01 --name "张伟 Zhang Wei" --role engineer --phone 13900000003 --pin-stdin >/dev/null
for s in A01:0x1001 A03:0x1003 B01:0 B06:0 B07:0; do "$KEYCAB_SRC/tests/simctl.py" insert "${s%%:*}" "${s#*:}" >/dev/null; done
for k in K-HY-1-101 K-HY-2-101 K-HY-1-108 K-HY-1-105 K-HY-1-106; do wait_key "$k" in || bad "$k not in its slot"; done
S01=$(token S01 1111) || { bad "login S01"; exit 1; }
as() { KEYCAB_SESSION=$S01 "$@"; }

# Days at the desk: E is the day after tomorrow, local; the clock only
# moves forward, so every step below lies ahead whenever the test runs.
lday() { TZ=$ZONE date -d "$1" +%Y-%m-%d; }
E=$(lday '+2 days')
E1=$(lday "$E + 1 day")
E2=$(lday "$E + 2 days")
Eprev=$(lday "$E - 1 day")
# at "YYYY-MM-DD HH:MM:SS": the test clock moves to that local time (or up
# to a second after it)
at() {
	local off target
	off=$(kc test-clock advance 0 | sed -n 's/.*(offset \(-\{0,1\}[0-9]*\) s).*/\1/p')
	target=$(TZ=$ZONE date -d "$1" +%s)
	kc test-clock advance $((target - $(date +%s) - off)) >/dev/null || bad "test clock to $1"
	echo "   (test clock at $1 $ZONE)"
}
utc_of() { date -u -d "TZ=\"$ZONE\" $1" +%Y-%m-%dT%H:%M:%S; }

echo "== an entrustment ending on $E, letters valid to $E"
entrust_id() { kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['key']=='$1'][0]"; }
expect 0 "K-HY-1-101 entrusted by O01 to $E" kc entrust K-HY-1-101 --owner O01 --end "$E"
EB=$(entrust_id K-HY-1-101)
expect 0 "K-HY-2-101 entrusted by O03 to $(lday "$E + 30 days")" kc entrust K-HY-2-101 --owner O03 --end "$(lday "$E + 30 days")"
EC=$(entrust_id K-HY-2-101)
expect 0 "keycab entrustments shows the end as the date typed" kc entrustments
has "  ... $E" "$E" "$OUT"
letter() { # letter ENTRUSTMENT BORROWER
	printf 'E7654321\n' | as kc --json letter file "$1" --borrower "$2" --id-type passport --id-stdin --to "$E" --ref "WT-$1" |
		json 'd["letter"]'
}
LB=$(letter "$EB" "Tan Tenant") || bad "letter for K-HY-1-101"
LC=$(letter "$EC" "Ma Tenant") || bad "letter for K-HY-2-101"
for l in $LB $LC; do expect 0 "the owner confirms letter $l" as kc letter confirm "$l" --channel phone; done
expect 0 "keycab --json entrustments keeps ISO UTC: the end is the start of $E1 local" kc --json entrustments
has "  ... end $(utc_of "$E1 00:00")" "$(utc_of "$E1 00:00").000Z" "$OUT"
wait_for 5 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM notices WHERE entrustment=$EB AND stage='before_end'\") = 1 ]" &&
	ok "a notice before the end (lead 7 days)" || bad "no before_end notice"
notices() { sqlite3 "$T/keycab.db" "SELECT count(*) FROM notices WHERE entrustment=$EB AND stage='$1'"; }

borrow() { # borrow KEY LETTER BORROWER
	printf 'E7654321\n' | as kc release "$1" --purpose borrow --borrower "$3" --contact 13700000000 \
		--signature "SIG-$2" --letter "$2" --id-type passport --id-stdin
}

echo "== the notices come on the local days"
at "$Eprev 23:30:00"
sleep 0.5
[ "$(notices end)" = 0 ] && ok "$Eprev 23:30: no end-date notice yet" || bad "$Eprev 23:30: an end-date notice a day early"
at "$E 00:00:00"
wait_for 5 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM notices WHERE entrustment=$EB AND stage='end'\") = 1 ]" &&
	ok "$E 00:00: the notice on the end date" || bad "$E 00:00: no end-date notice on the end date"
[ "$(notices reminder)" = 0 ] && ok "$E: no reminder while the entrustment runs" || bad "$E: a reminder before the end"

echo "== the last day is a whole day: letter and entrustment hold at 23:00 local"
at "$E 23:00:00"
expect 0 "$E 23:00: K-HY-1-101 to Tan Tenant with letter $LB (entrustment ends $E)" borrow K-HY-1-101 "$LB" "Tan Tenant"
has "  ... granted" "GRANTED" "$OUT"
expect 0 "$E 23:00: K-HY-2-101 to Ma Tenant with letter $LC (valid to $E)" borrow K-HY-2-101 "$LC" "Ma Tenant"
wait_key K-HY-1-101 in && wait_key K-HY-2-101 in && ok "keys not taken: back in custody" || bad "keys not back in"

echo "== and end at midnight local"
at "$E1 00:00:00"
refused 2 "$E1 00:00: letter $LC (valid to $E) no longer covers now" borrow K-HY-2-101 "$LC" "Ma Tenant"
has "  ... the letter's last day shown as $E" "to $E, which does not cover now" "$ERR"
refused 7 "$E1 00:00: the entrustment of K-HY-1-101 has ended" borrow K-HY-1-101 "$LB" "Tan Tenant"
has "  ... ended on $E" "ended on $E:" "$ERR"
at "$E1 00:01:00"
wait_for 5 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM notices WHERE entrustment=$EB AND stage='reminder'\") -ge 1 ]" &&
	ok "reminders once the end has passed" || bad "no reminder after the end"

echo "== a repair key taken at 19:58 is due by the end of that local day"
E01=$(token E01 3333) || bad "login E01"
at "$E1 19:58:00"
expect 0 "$E1 19:58: K-HY-1-105 to E01 against WO-77, due the same day" \
	as kc release K-HY-1-105 --purpose repair --borrower E01 --work-order WO-77
has "  ... due back $E1 23:59 (local)" "due back $E1 23:59" "$OUT"
"$KEYCAB_SRC/tests/simctl.py" remove B06 >/dev/null
wait_key K-HY-1-105 out && ok "the engineer takes it" || bad "K-HY-1-105 not out"
expect 0 "keycab --json loans: due $(utc_of "$E1 23:59:59").999Z" as kc --json loans
has "  ... in UTC" "\"due\": \"$(utc_of "$E1 23:59:59").999Z\"" "$OUT"
expect 0 "keycab loans shows local times" as kc loans
has "  ... due $E1 23:59" "$E1 23:59" "$OUT"
has "  ... out at $E1 19:58" "$E1 19:58" "$OUT"
refused 6 "a repair key due after midnight is refused" \
	as kc release K-HY-1-106 --purpose repair --borrower E01 --work-order WO-78 --due "$E2 00:30"
at "$E1 23:59:30"
sleep 0.5
[ "$(events loan.overdue)" = 0 ] && ok "$E1 23:59:30: not overdue yet" || bad "$E1 23:59:30: overdue before the day ended"
at "$E2 00:00:01"
wait_for 5 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM outbox WHERE json_extract(body,'\\\$.type')='loan.overdue'\") = 1 ]" &&
	ok "$E2 00:00: overdue once the local day is over" || bad "$E2 00:00: not overdue"
expect 0 "alarms" as kc --json alarms
has "  ... the alarm says the local due time" "was due back at $E1 23:59" "$OUT"

echo "== a time typed at the desk is the cabinet's local time"
expect 0 "a vacant key due \"$E2 10:30\"" as kc --json release K-HY-1-108 --purpose inspection --borrower E01 --due "$E2 10:30"
has "  ... is $(utc_of "$E2 10:30") UTC" "\"due\": \"$(utc_of "$E2 10:30").000Z\"" "$OUT"
expect 1 "a date that is none" as kc release K-HY-1-108 --purpose inspection --borrower E01 --due "$E2 25:30"
has "  ... keycabd says which zone it reads" "$ZONE time" "$ERR"

events_ts_utc() {
	sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body,'\$.ts') NOT LIKE '%Z'"
}
[ "$(events_ts_utc)" = 0 ] && ok "event timestamps stay UTC" || bad "an event timestamp not in UTC"
chain_ok && ok "outbox chain unbroken" || bad "chain"
kc_finish
