#!/usr/bin/env python3
"""verify-chain covers what the reports read: the known data set of
dataset.py is loaded through the forwarder, then the stored database is
changed behind the service's back (sqlite3) the way the reports would not
notice: an extracted event column edited, an inspections row inserted (a
site's coverage lifted to 100 %), a derived row deleted, a derived column
edited. Each is found and named by table and key while the hash chain
itself stays intact, and verify-chain exits non-zero."""
import os
import sqlite3
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, check, fill, finish, forward, say, section

svc = Service()
try:
    tn, to = svc.add_cabinet("CAB-NEW"), svc.add_cabinet("CAB-OLD")
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, tok, evs in (("CAB-NEW", tn, new), ("CAB-OLD", to, old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, tok, 60).returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))
    total = len(new) + len(old)

    def verify(cab="CAB-OLD"):
        r = svc.cmd("verify-chain", cab)
        say("  $ keyauditd verify-chain %s -> exit %d\n    %s" % (cab, r.returncode,
                                                                  r.stdout.strip().replace("\n", "\n    ")))
        if r.stderr.strip():
            say("  stderr: " + r.stderr.strip())
        return r

    def tamper(sql, *args):
        con = sqlite3.connect(svc.db, timeout=10)
        con.execute(sql, args)
        con.commit()
        con.close()

    def coverage(site):
        st, rep = svc.report("vacant", SUP, month=month, site=site)
        s = section(rep, "sites")
        cols = [c["name"] for c in s["columns"]]
        row = s["rows"][0]
        return (dict(zip(cols, row)) if isinstance(row, list) else row)["coverage_pct"]

    say("== untouched: intact, and the report tables are what the events give")
    r = verify()
    check(r.returncode == 0 and "chain intact" in r.stdout and
          "as the %d stored events give" % total in r.stdout, "exit 0, all %d events re-derived, no difference" % total)

    say("== 1. an extracted column of events edited (person of an inspection loan)")
    seq = svc.sql("SELECT min(seq) FROM events WHERE cabinet = 'CAB-NEW' AND type = 'release.granted'")[0][0]
    tamper("UPDATE events SET person = 'E99' WHERE cabinet = 'CAB-NEW' AND seq = ?", seq)
    st, rep = svc.report("keylog", SUP, person="E99")
    check(section(rep, "events")["total"] == 1, "the key log now shows E99 borrowing a key")
    r = verify("CAB-NEW")
    check(r.returncode == 3 and "chain intact" in r.stdout, "exit 3, although the hash chain is intact")
    check('events (cabinet=CAB-NEW, seq=%d): column person: stored "E99", the event body gives "E01"' % seq
          in r.stdout, "names events (CAB-NEW, %d), column person, both values" % seq)
    tamper("UPDATE events SET person = 'E01' WHERE cabinet = 'CAB-NEW' AND seq = ?", seq)
    check(verify("CAB-NEW").returncode == 0, "put back: exit 0")

    say("== 2. an inspections row inserted: SO's coverage lifted to 100 %")
    before = coverage("SO")
    ms = dataset.month_bounds(now)[1] + 15 * dataset.DAY
    tamper("INSERT INTO inspections (cabinet, seq, loan, ts_ms, key, unit, site, actor, result, problems,"
           " forwarded_to) VALUES ('CAB-OLD', 9999, 77, ?, 'KO5', 'O5', 'SO', 'E01', 'ok', '', '')", ms)
    after = coverage("SO")
    say("  SO coverage: %s %% -> %s %%" % (before, after))
    check(before == 80.0 and after == 100.0, "the report believes it: 80.0 -> 100.0 %")
    r = verify()
    check(r.returncode == 3, "exit 3")
    check("inspections (cabinet=CAB-OLD, seq=9999): a stored row that no event gives" in r.stdout,
          "names inspections (CAB-OLD, 9999) as a row no event gives")
    tamper("DELETE FROM inspections WHERE cabinet = 'CAB-OLD' AND seq = 9999")

    say("== 3. a derived row deleted (the ID held for loan 100)")
    tamper("DELETE FROM ids_held WHERE cabinet = 'CAB-OLD' AND loan = 100")
    st, rep = svc.report("now", SUP)
    check(section(rep, "ids_held")["rows"] == [], "the Now report shows no ID held")
    r = verify()
    check(r.returncode == 3 and "ids_held (cabinet=CAB-OLD, loan=100): the events give this row but it is not "
          "stored (deleted)" in r.stdout, "exit 3, names ids_held (CAB-OLD, 100) as deleted")
    check("123X" not in r.stdout, "the masked ID is not printed")

    say("== 4. a derived column edited (a handover marked reviewed behind the log)")
    tamper("UPDATE handovers SET reviewed_by = 'sup', reviewed_ms = 1 WHERE cabinet = 'CAB-OLD' AND handover = 2")
    r = verify()
    check(r.returncode == 3 and 'handovers (cabinet=CAB-OLD, handover=2): column reviewed_by: stored "sup", '
          'the events give NULL' in r.stdout, "exit 3, names handovers (CAB-OLD, 2), column reviewed_by")
    check("ids_held (cabinet=CAB-OLD, loan=100)" in r.stdout, "and still the deleted ID row: every difference listed")
finally:
    svc.stop()
finish()
