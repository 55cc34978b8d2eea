#!/usr/bin/env bash
# A database error is answered as one: with a table keycabd reads from
# gone (renamed by another connection), inspect, handover review and
# alarm clear say "Database read failed", not "There is no loan N" (a
# refusal that would send the operator looking for a loan that exists);
# nothing is written, and with the table back each answers as before.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S=$(token S01 1111) || { bad "login S01"; exit 1; }
Q=$(token Q01 6666) || { bad "login Q01"; exit 1; }
db() { sqlite3 -cmd ".timeout 5000" "$T/keycab.db" "$@"; }
inspect() { KEYCAB_SESSION=$S kc inspect 999 --result ok; }
review() { KEYCAB_SESSION=$Q kc handover review 999; }
clear_alarm() { KEYCAB_SESSION=$S kc alarm clear 999 --note "checked"; }

echo "== with every table there: refusals naming what does not exist"
refused 0 "inspect of no loan" inspect
has "  ... says there is no loan" "There is no loan 999" "$ERR"
refused 0 "review of no handover" review
has "  ... says there is no handover" "There is no handover 999" "$ERR"
refused 0 "clear of no alarm" clear_alarm
has "  ... says there is no alarm" "There is no alarm 999" "$ERR"

# what the three commands would write (the cabinet's own scans may add
# notices or slot events meanwhile: those are not this test's business)
written() { db "SELECT count(*) FROM outbox WHERE body LIKE '%\"type\":\"inspection.recorded\"%'
	OR body LIKE '%\"type\":\"handover.reviewed\"%' OR body LIKE '%\"type\":\"alarm.cleared\"%'"; }
seq0=$(written)
for t in loans:inspect handovers:review alarms:clear_alarm; do
	table=${t%%:*} cmd=${t#*:}
	echo "== $table cannot be read"
	db "ALTER TABLE $table RENAME TO ${table}_away"
	expect 1 "$cmd while $table is gone: an error, not a refusal" "$cmd"
	has "  ... a database error: $ERR" "Database read failed" "$ERR"
	case $ERR in *"There is no"*) bad "  ... answered as a refusal: $ERR" ;; *) ok "  ... no \"There is no\"" ;; esac
	db "ALTER TABLE ${table}_away RENAME TO $table"
done
[ "$(written)" = "$seq0" ] && ok "nothing was written: no inspection, review or clearing in the outbox" ||
	bad "the outbox holds an inspection, review or clearing written meanwhile"
refused 0 "with the tables back, inspect of no loan is a refusal again" inspect
kc ping >/dev/null && ok "keycabd still answers" || bad "keycabd died"
kc_finish
