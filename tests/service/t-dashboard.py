#!/usr/bin/env python3
"""The console's home page, the dashboard, in a real headless Chromium
(tests/service/dashboard-page.js): keyauditd with the known data set
(dataset.py: 新城花园 SN on CAB-NEW, 老街小区 SO on CAB-OLD) plus a board
fault on each cabinet (CAB-NEW's recovered, CAB-OLD's not) and a batch
CAB-OLD sent with a gap (refused, an open ingest alarm). A supervisor
signs in with the form and lands on the dashboard; the page shows per
site, by name:

- this month's coverage against target (0.0 % of 80 % and of 100 %: no
  inspection yet this month), with the SVG bar's width, and the 12-month
  trend whose points sit at the month's coverage (83.3 % / 80.0 % in the
  data set's month, 0.0 % / 20.0 % the month before);
- keys out and overdue, IDs held, unreviewed handovers, open alarms by
  kind as words (非法取出 1);
- each cabinet's health: last seen, the refused backlog (CAB-OLD: at
  least 3), boards in fault (CAB-OLD 1, CAB-NEW 0), chain intact.

Screenshots at 1366x768 and 390x844 (the cards stacked) are kept in
$BUILD/test-logs/service/t-dashboard/. Then, with the page open, CAB-NEW
sends an inspection of N1 and a key taken out: the page shows 20.0 % and
one key out without being reloaded."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import FWD, Service, browser, check, finish

DAY, HOUR = dataset.DAY, dataset.HOUR
USER, PASS = "sup", "dash-pass-1234"

svc = Service()
try:
    now = int(time.time() * 1000)
    # a board fault on each cabinet, CAB-NEW's recovered; CAB-OLD then offers
    # events 3 past its head: refused as a gap
    month, toks, dbs = dataset.serve(svc, USER, PASS, now, {
        "CAB-NEW": [{"type": "slot.fault", "ts": dataset.iso(now - 6 * HOUR), "data": {"board": 1, "detail": "no answer"},
                     "slot": "A-N1"},
                    {"type": "slot.recovered", "ts": dataset.iso(now - 5 * HOUR), "data": {"board": 1}, "slot": "A-N1"}],
        "CAB-OLD": [{"type": "slot.fault", "ts": dataset.iso(now - 30 * 60000),
                     "data": {"board": 2, "detail": "no answer"}, "slot": "B-O1"}]})

    # the expected figures, from the data set
    expect = {
        "SN": dict(name="新城花园", target=80, vacant=5, inspected=0, pct="0.0", keys_out=0, overdue=0, ids_held=0,
                   unreviewed=0, alarms={}, cabinets={"CAB-NEW": dict(backlog=0, faults=0, chain="intact")},
                   trend={month: 83.3, "before": 0.0, "after": 0.0}),
        "SO": dict(name="老街小区", target=100, vacant=5, inspected=0, pct="0.0", keys_out=2, overdue=1, ids_held=1,
                   unreviewed=2, alarms={"tamper": ("非法取出", 1)},
                   cabinets={"CAB-OLD": dict(backlog=3, faults=1, chain="intact")},
                   trend={month: 80.0, "before": 20.0, "after": 0.0}),
    }
    # then, with the page open: N1 inspected this month, and a key of SN taken out
    live = [
        {"type": "release.granted", "ts": dataset.iso(now), "actor": "S01", "person": "E01", "key": "KN1",
         "kind": "vacant", "unit": "N1", "site": "SN", "slot": "A-N1",
         "data": {"loan": 700, "purpose": "inspection", "due": dataset.iso(now + 4 * HOUR), "work_order": None,
                  "letter": None, "approval": None, "window_ms": 10000}},
        {"type": "release.taken", "ts": dataset.iso(now + 1000), "key": "KN1", "slot": "A-N1", "data": {"loan": 700}},
        {"type": "inspection.recorded", "ts": dataset.iso(now + 2000), "actor": "S01", "person": "E01", "key": "KN1",
         "unit": "N1", "site": "SN", "data": {"loan": 700, "result": "ok", "problems": "", "forwarded_to": ""}},
    ]
    # and, late, an inspection of N5 in the data set's month (vacant until its
    # day 20): that month's point moves to 6 of 6, 100 %
    _, ms, _ = dataset.month_bounds(now)
    t5 = ms + 14 * DAY + 9 * HOUR
    live += [
        {"type": "release.granted", "ts": dataset.iso(t5), "actor": "S01", "person": "E01", "key": "KN5",
         "kind": "vacant", "unit": "N5", "site": "SN", "slot": "A-N5",
         "data": {"loan": 701, "purpose": "inspection", "due": dataset.iso(t5 + 4 * HOUR), "work_order": None,
                  "letter": None, "approval": None, "window_ms": 10000}},
        {"type": "release.taken", "ts": dataset.iso(t5 + 1000), "key": "KN5", "slot": "A-N5", "data": {"loan": 701}},
        {"type": "loan.returned", "ts": dataset.iso(t5 + HOUR), "person": "E01", "key": "KN5", "kind": "vacant",
         "unit": "N5", "site": "SN", "slot": "A-N5",
         "data": {"loan": 701, "purpose": "inspection", "out_at": dataset.iso(t5), "due": dataset.iso(t5 + 4 * HOUR),
                  "overdue": False}},
        {"type": "inspection.recorded", "ts": dataset.iso(t5 + HOUR + 60000), "actor": "S01", "person": "E01",
         "key": "KN5", "unit": "N5", "site": "SN",
         "data": {"loan": 701, "result": "ok", "problems": "", "forwarded_to": ""}},
    ]
    env = dict(EXPECT=json.dumps(expect, ensure_ascii=False), MONTH=month, FWD=FWD, LIVE_DB=dbs["CAB-NEW"],
               LIVE_CABINET="CAB-NEW", LIVE_TOKEN=toks["CAB-NEW"],
               LIVE_EVENTS="".join(json.dumps(e, ensure_ascii=False) + "\n" for e in live))
    check(browser("dashboard-page.js", svc, USER, PASS, "t-dashboard", **env) == 0,
          "dashboard-page.js: every check in the browser held")
finally:
    svc.stop()
finish()
