"""A known data set: two sites, one new (SN, target 80 %) and one old (SO,
target 100 %), with their vacant units, the inspections of the previous
calendar month, loans, IDs, alarms, entrustments, notices and handovers.
Times are relative to now, so the "now" figures hold on any date.

Expected figures for the month (see EXPECT):
  SN: 6 vacant (N1-N5 vacant before; N6 became vacant on day 10; N5 occupied
      on day 20 still counts), 5 inspected (N1 N2 N3 N4 N6; N7 was inspected
      but is not vacant), 83.3 %, target met; N5 not inspected; 1 problem
      (N2) forwarded; 1 overdue inspection loan (N3).
  SO: 5 vacant (O1-O5), 4 inspected (O1-O4; O5 only in the month before),
      80.0 %, target 100 % not met; O5 not inspected; 1 problem (O1) not
      forwarded; 1 overdue inspection loan (O2)."""
import calendar
import time

DAY = 86400000
HOUR = 3600000


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def month_bounds(now_ms):
    t = time.gmtime(now_ms // 1000)
    y, m = (t.tm_year, t.tm_mon - 1) if t.tm_mon > 1 else (t.tm_year - 1, 12)
    start = calendar.timegm((y, m, 1, 0, 0, 0)) * 1000
    ny, nm = (y, m + 1) if m < 12 else (y + 1, 1)
    return "%04d-%02d" % (y, m), start, calendar.timegm((ny, nm, 1, 0, 0, 0)) * 1000


EXPECT = {
    "SN": dict(name="新城花园", age="new", target_pct=80, vacant=6, inspected=5, coverage_pct=83.3,
               target_met=True, not_inspected=1, problems=1, forwarded=1, overdue=1),
    "SO": dict(name="老街小区", age="old", target_pct=100, vacant=5, inspected=4, coverage_pct=80.0,
               target_met=False, not_inspected=1, problems=1, forwarded=0, overdue=1),
}
NOT_INSPECTED = [("SN", "N5"), ("SO", "O5")]


def build(now_ms):
    month, ms, me = month_bounds(now_ms)
    pre = ms - 10 * DAY
    new, old = [], []
    loan = [0]

    def ev(lst, ts, type_, data=None, **members):
        e = {"type": type_, "ts": iso(ts), "data": data or {}}
        e.update(members)
        lst.append(e)

    def inspect(lst, site, unit, key, day, result="ok", problems="", fwd="", late=False, overdue_event=False,
                at=None):
        loan[0] += 1
        t = at if at is not None else ms + (day - 1) * DAY + 9 * HOUR
        due = t + 4 * HOUR
        back = due + 2 * HOUR if late else t + 2 * HOUR
        m = dict(key=key, kind="vacant", unit=unit, site=site)
        ev(lst, t, "release.granted", {"loan": loan[0], "purpose": "inspection", "due": iso(due), "work_order": None,
                                       "letter": None, "approval": None, "window_ms": 10000},
           actor="S01", person="E01", slot="A-" + unit, **m)
        ev(lst, t + 5000, "release.taken", {"loan": loan[0]}, key=key, slot="A-" + unit)
        if overdue_event:
            ev(lst, due + 60000, "loan.overdue", {"loan": loan[0], "purpose": "inspection", "due": iso(due)},
               person="E01", **m)
        ev(lst, back, "loan.returned", {"loan": loan[0], "purpose": "inspection", "out_at": iso(t), "due": iso(due),
                                        "overdue": late}, person="E01", slot="A-" + unit, **m)
        ev(lst, back + 60000, "inspection.recorded", {"loan": loan[0], "result": result, "problems": problems,
                                                      "forwarded_to": fwd},
           actor="S01", person="E01", key=key, unit=unit, site=site)

    # ---- the new site, cabinet CAB-NEW
    ev(new, pre, "controller.started", {"version": "test"})
    ev(new, pre + 1000, "site.registered", {"name": "新城花园", "age": "new"}, site="SN")
    for i in range(1, 9):
        ev(new, pre + 2000 + i, "unit.registered", {"vacant": i <= 5, "building": "1", "room": "10%d" % i},
           unit="N%d" % i, site="SN")
        ev(new, pre + 3000 + i, "key.registered", {"tag": 100 + i}, key="KN%d" % i, kind="vacant",
           unit="N%d" % i, site="SN", slot="A-N%d" % i)
    ev(new, pre + 4000, "person.registered", {"role": "engineer", "name": "王工"}, person="E01")
    ev(new, ms + 9 * DAY, "unit.vacancy", {"vacant": True}, unit="N6", site="SN")
    ev(new, ms + 19 * DAY, "unit.vacancy", {"vacant": False}, unit="N5", site="SN")
    inspect(new, "SN", "N1", "KN1", 2)
    inspect(new, "SN", "N2", "KN2", 3, "problems", "卫生间漏水 bathroom leak", "工程部")
    inspect(new, "SN", "N3", "KN3", 4, late=True)
    inspect(new, "SN", "N4", "KN4", 5)
    inspect(new, "SN", "N6", "KN6", 12)
    inspect(new, "SN", "N7", "KN7", 13)

    # ---- the old site, cabinet CAB-OLD
    ev(old, pre, "controller.started", {"version": "test"})
    ev(old, pre + 1000, "site.registered", {"name": "老街小区", "age": "old"}, site="SO")
    for i in range(1, 7):
        ev(old, pre + 2000 + i, "unit.registered", {"vacant": i <= 5, "building": "2", "room": "20%d" % i},
           unit="O%d" % i, site="SO")
        ev(old, pre + 3000 + i, "key.registered", {"tag": 0}, key="KO%d" % i,
           kind="vacant" if i <= 5 else "entrusted", unit="O%d" % i, site="SO", slot="B-O%d" % i)
    for k, kind, unit in (("KE2", "entrusted", "O4"), ("KE3", "entrusted", "O3"), ("KR1", "repair", "O6")):
        ev(old, pre + 3100, "key.registered", {"tag": 0}, key=k, kind=kind, unit=unit, site="SO", slot="C-" + k)
    inspect(old, "SO", "O5", "KO5", 0, at=ms - 5 * DAY)          # the month before: does not count
    inspect(old, "SO", "O1", "KO1", 6, "problems", "墙面开裂 cracked wall", "")
    inspect(old, "SO", "O2", "KO2", 7, late=True, overdue_event=True)
    inspect(old, "SO", "O3", "KO3", 8)
    inspect(old, "SO", "O4", "KO4", 9)

    # entrustments: 1 expires in 5 days, 2 expired 3 days ago, 3 collected
    for n, key, unit, end in ((1, "KO6", "O6", now_ms + 5 * DAY), (2, "KE2", "O4", now_ms - 3 * DAY),
                              (3, "KE3", "O3", now_ms - 10 * DAY)):
        ev(old, now_ms - 300 * DAY + n, "entrustment.registered",
           {"entrustment": n, "owner_name": "业主%d" % n, "owner_phone": "1380000000%d" % n,
            "start": iso(now_ms - 300 * DAY), "end": iso(end)},
           actor="S01", person="OWN%d" % n, key=key, unit=unit, site="SO")
    # the owner collects it as keycabd records it: a release to the owner,
    # taken, and the collection naming that loan (it never comes back)
    ev(old, now_ms - 9 * DAY - 2, "release.granted",
       {"loan": 90, "purpose": "owner_collect", "due": None, "window_ms": 10000},
       actor="S01", person="OWN3", key="KE3", kind="entrusted", unit="O3", site="SO", slot="C-KE3")
    ev(old, now_ms - 9 * DAY - 1, "release.taken", {"loan": 90}, key="KE3", slot="C-KE3")
    ev(old, now_ms - 9 * DAY, "collection.completed", {"entrustment": 3, "signature": "SIG-3", "loan": 90},
       actor="S01", person="OWN3", key="KE3", unit="O3", site="SO")
    ev(old, now_ms - 9 * DAY + 1, "entrustment.closed", {"entrustment": 3, "reason": "collected"},
       actor="S01", person="OWN3", key="KE3", unit="O3", site="SO")
    for n, ent, stage, at in ((1, 1, "before_end", now_ms - 2 * DAY), (2, 2, "end", now_ms - 3 * DAY),
                              (3, 2, "reminder", now_ms - 1 * DAY)):
        ev(old, at, "notice.due", {"notice": n, "entrustment": ent, "stage": stage,
                                   "end": iso(now_ms + 5 * DAY if ent == 1 else now_ms - 3 * DAY),
                                   "owner_name": "业主%d" % ent, "owner_phone": "1380000000%d" % ent},
           person="OWN%d" % ent, key="KO6" if ent == 1 else "KE2", unit="O6" if ent == 1 else "O4", site="SO")

    # keys out now: 100 borrowed (due in 2 days, ID held), 101 repair overdue
    ev(old, now_ms - 2 * HOUR, "release.granted",
       {"loan": 100, "purpose": "borrow", "due": iso(now_ms + 2 * DAY), "letter": 7, "window_ms": 10000,
        "contact": "*******0000", "signature": "SIG-100"},
       actor="S01", person="李四", key="KO6", kind="entrusted", unit="O6", site="SO", slot="B-O6")
    ev(old, now_ms - 2 * HOUR + 3000, "release.taken", {"loan": 100}, key="KO6", slot="B-O6")
    ev(old, now_ms - 2 * HOUR + 4000, "id.held", {"loan": 100, "id_type": "身份证", "id_masked": "**************123X"},
       actor="S01", person="李四", key="KO6")
    ev(old, now_ms - 5 * HOUR, "release.granted",
       {"loan": 101, "purpose": "repair", "due": iso(now_ms - 1 * HOUR), "work_order": "WO-9", "window_ms": 10000},
       actor="S01", person="E01", key="KR1", kind="repair", unit="O6", site="SO", slot="C-KR1")
    ev(old, now_ms - 5 * HOUR + 3000, "release.taken", {"loan": 101}, key="KR1", slot="C-KR1")
    ev(old, now_ms - 1 * HOUR + 60000, "loan.overdue", {"loan": 101, "purpose": "repair", "due": iso(now_ms - HOUR)},
       person="E01", key="KR1", kind="repair", unit="O6", site="SO")
    # alarms: 1 tamper open, 2 wrong slot cleared
    ev(old, now_ms - 3 * HOUR, "alarm.raised", {"alarm": 1, "alarm_type": "tamper", "detail": "key KO3 left slot B-O3 with no release open (tamper)"},
       key="KO3", slot="B-O3", unit="O3", site="SO", person=None)
    ev(old, now_ms - 4 * HOUR, "alarm.raised", {"alarm": 2, "alarm_type": "wrong_slot", "detail": "key KO4 was put in slot B-O5; its slot is B-O4"},
       key="KO4", slot="B-O5", unit="O4", site="SO", person=None)
    ev(old, now_ms - 4 * HOUR + 60000, "alarm.cleared", {"alarm": 2, "alarm_type": "wrong_slot"},
       actor="S01", key="KO4", slot="B-O5")
    # handovers: 1 and 2 confirmed, 3 not yet
    for h in (1, 2, 3):
        t = now_ms - (4 - h) * 8 * HOUR
        ev(old, t, "handover.started",
           {"handover": h, "keys_out": [{"key": "KO6", "person": "李四", "due": iso(now_ms + 2 * DAY)}],
            "ids_held": [{"person": "李四", "id_type": "身份证", "id_masked": "**************123X"}],
            "alarms": [{"alarm": 1, "type": "tamper", "key": "KO3", "slot": "B-O3"}]}, actor="S0%d" % h)
        if h < 3:
            ev(old, t + 600000, "handover.confirmed", {"handover": h}, actor="S0%d" % (h + 1))
        if h == 1:  # signed by the supervisor at the cabinet
            ev(old, t + 1200000, "handover.reviewed", {"handover": h}, actor="Q01")
    return month, new, old


def serve(svc, user, password, now_ms, extra=None):
    """Starts svc with the cabinets CAB-NEW and CAB-OLD and user a
    supervisor, forwards the data set (and extra {"CAB-NEW": [...]}
    events after it) from each cabinet's outbox, then has CAB-OLD offer a
    batch 3 past its head, refused as a gap (an open ingest alarm).
    Returns (month, tokens, outbox databases), each by cabinet."""
    import os
    from svc import check, fill, forward, seal
    toks = {c: svc.add_cabinet(c) for c in ("CAB-NEW", "CAB-OLD")}
    svc.add_user(user, "supervisor", password)
    svc.start()
    month, new, old = build(now_ms)
    dbs = {}
    for cab, evs in (("CAB-NEW", new), ("CAB-OLD", old)):
        evs = evs + (extra or {}).get(cab, [])
        dbs[cab] = os.path.join(svc.tmp, cab + ".db")
        fill(dbs[cab], cab, evs)
        r = forward(dbs[cab], svc.url, toks[cab], 60)
        check(r.returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))
    head = svc.sql("SELECT last_seq, last_hash FROM cabinets WHERE id = 'CAB-OLD'")[0]
    gap = seal("CAB-OLD", [{"type": "slot.inserted", "ts": iso(now_ms - 60000), "slot": "B-O1", "data": {}}],
               head[0] + 3, head[1])
    st, ans = svc.post_events(toks["CAB-OLD"], gap)
    check(st == 409, "a batch past CAB-OLD's head is refused as a gap (%d %s)" % (st, ans))
    return month, toks, dbs
