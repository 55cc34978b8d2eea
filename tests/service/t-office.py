#!/usr/bin/env python3
"""The office's own acts (service/office.c, office_acts.c), in Chromium
(tests/service/office.js) against keyauditd holding the data set of
dataset.py:

- a handover review signed at the office: the sheet shows it reviewed, by
  whom and where; a second review is refused with a message; the office
  chain (@office) verifies; the cabinet's own review of the same handover,
  arriving afterwards, leaves one review (the office's) and verify-chain
  still finds the report tables as the events give;
- a problem through open -> forwarded -> resolved with names and times,
  bad input (no department, no note, an unknown problem) refused with a
  message and nothing recorded;
- the vacant report printed to PDF while the problem is unresolved lists
  it with its follow-up state and age (pdftotext);
- verify-chain @office finds an office event changed in the database."""
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, browser, check, fill, finish, forward, say, section

LOGS = os.path.join(os.environ["BUILD"], "test-logs")
svc = Service(conf_extra="[report]\nestate = 示范物业服务中心\n")
try:
    toks = {c: svc.add_cabinet(c) for c in ("CAB-NEW", "CAB-OLD")}
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, evs in (("CAB-NEW", new), ("CAB-OLD", old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, toks[cab], 60).returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))

    pdf = os.path.join(LOGS, "office-vacant.pdf")
    if os.path.exists(pdf):
        os.unlink(pdf)
    rc = browser("office.js", svc, "sup", "sup-password-1", "office", MONTH=month, PDF=pdf)
    check(rc == 0, "the browser's checks (office.js) held")

    say("== the office chain")
    r = svc.cmd("verify-chain", "@office")
    say("  $ keyauditd verify-chain @office -> exit %d\n    %s" % (r.returncode, r.stdout.strip().replace("\n", "\n    ")))
    types = [t for (t,) in svc.sql("SELECT type FROM events WHERE cabinet = '@office' ORDER BY seq")]
    say("  office events: %s" % types)
    check(types == ["office.handover_reviewed", "office.problem_forwarded", "office.problem_resolved"],
          "one event per act recorded, none for the refused ones")
    check(r.returncode == 0 and "chain intact, 3 events" in r.stdout and "report tables: as the" in r.stdout,
          "verify-chain @office: intact, and the report tables are what the events give")
    st, rep = svc.report("keylog", SUP, type="office.handover_reviewed")
    ev = section(rep, "events")
    check(st == 200 and ev["total"] == 1, "the review is in the key log like any event")

    say("== the cabinet's review of the same handover arrives afterwards")
    db = os.path.join(svc.tmp, "CAB-OLD.db")
    fill(db, "CAB-OLD", [{"type": "handover.reviewed", "ts": dataset.iso(int(time.time() * 1000)),
                          "data": {"handover": 2}, "actor": "Q01"}])
    check(forward(db, svc.url, toks["CAB-OLD"], 60).returncode == 0, "forwarded")
    st, rep = svc.report("handovers", SUP, cabinet="CAB-OLD")
    s = section(rep, "handovers")
    rows = [dict(zip([c["name"] for c in s["columns"]], row)) if isinstance(row, list) else row for row in s["rows"]]
    h2 = [x for x in rows if x["handover"] == 2]
    say("  handover 2: %s" % [(x["reviewed_by"], x["reviewed_at"], x["review_note"]) for x in h2])
    check(len(h2) == 1 and h2[0]["reviewed_by"] == "sup" and h2[0]["reviewed_at"] == "office",
          "one handover 2, reviewed once: the office's review is the fact, the later one changes nothing")
    r = svc.cmd("verify-chain", "CAB-OLD")
    check(r.returncode == 0 and "report tables: as the" in r.stdout, "verify-chain CAB-OLD: exit 0 (%s)" % r.stdout.strip().splitlines()[-1])

    say("== the vacant report as printed while O1's problem was unresolved")
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout if os.path.exists(pdf) else ""
    with open(os.path.join(LOGS, "office-vacant.txt"), "w") as f:
        f.write(text)
    flat = re.sub(r"\s+", " ", text)
    found = [x for x in svc.sql("SELECT ts_ms FROM inspections WHERE cabinet = 'CAB-OLD' AND result = 'problems'")]
    age = (now - found[0][0]) // 86400000 if found else -1
    part = flat[flat.find("尚未解决的问题"):]
    say("  %s" % part[:400])
    check("尚未解决的问题" in flat, "the report has its part of unresolved problems")
    check(re.search(r"O1 [^。]*?墙面开裂[^已]*已转呈，跟进中 工程部 王工 %d\b" % age, part) is not None,
          "O1's problem: forwarded to 工程部 王工, being followed up, %d days old" % age)
    check(re.search(r"N2 .*卫生间漏水 .*已转呈，跟进中 工程部", part) is not None,
          "N2's problem, forwarded at the cabinet, is listed too")

    say("== an office event changed in the database")
    con = sqlite3.connect(svc.db, timeout=10)
    con.execute("UPDATE events SET body = replace(body, '738B', '674E') WHERE cabinet = '@office' AND seq = 2")
    con.commit()
    con.close()
    r = svc.cmd("verify-chain", "@office")
    say("  $ keyauditd verify-chain @office -> exit %d\n    %s" % (r.returncode, r.stdout.strip().replace("\n", "\n    ")))
    check(r.returncode == 3 and "chain BROKEN at event 2" in r.stdout, "exit 3: the chain is broken at event 2")
finally:
    svc.stop()
finish()
