#!/usr/bin/env python3
"""Every report checked against the known data set of dataset.py (two
sites, one new and one old), loaded through the forwarder; JSON and CSV;
filters and paging; the handover review sign-off; chain verification,
also of a tampered database."""
import csv
import io
import os
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
        r = forward(db, svc.url, tok, 60)
        check(r.returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))

    def rows(rep, name):
        s = section(rep, name)
        cols = [c["name"] for c in s["columns"]]
        return [dict(zip(cols, r)) if isinstance(r, list) else r for r in s["rows"]]

    say("== 4. vacant-unit inspections for %s" % month)
    st, rep = svc.report("vacant", SUP, month=month)
    check(st == 200, "200")
    sites = {r["site"]: r for r in rows(rep, "sites")}
    for site, exp in dataset.EXPECT.items():
        got = {k: sites.get(site, {}).get(k) for k in exp}
        say("  %s: %s" % (site, got))
        check(got == exp, "%s: vacant/inspected/coverage/target/problems/overdue as expected" % site)
    ni = [(r["site"], r["unit"]) for r in rows(rep, "not_inspected")]
    check(ni == dataset.NOT_INSPECTED, "not inspected: %s" % ni)
    pr = rows(rep, "problems")
    check([(r["unit"], r["forwarded_to"]) for r in pr] == [("N2", "工程部"), ("O1", "")],
          "problems: N2 forwarded to 工程部, O1 not forwarded")
    check(sorted(r["unit"] for r in rows(rep, "overdue")) == ["N3", "O2"], "overdue inspection loans: N3, O2")
    check(len(rows(rep, "inspections")) == 10, "10 inspections in the month (O5's is the month before)")
    check({(r["inspector"], r["actor"]) for r in rows(rep, "inspections")} == {("E01", "S01")},
          "inspector: E01, who borrowed the key; recorded by S01, the clerk")
    st, rep = svc.report("vacant", SUP, month=month, site="SO")
    check([r["site"] for r in rows(rep, "sites")] == ["SO"] and len(rows(rep, "inspections")) == 4,
          "site=SO: only SO")
    st, text = svc.report("vacant", SUP, month=month, format="csv", section="sites")
    say("  CSV:\n    " + text.strip().replace("\r\n", "\n    "))
    c = list(csv.DictReader(io.StringIO(text)))
    check(st == 200 and [(r["site"], r["vacant"], r["inspected"], r["coverage_pct"], r["target_met"]) for r in c] ==
          [("SN", "6", "5", "83.3", "true"), ("SO", "5", "4", "80.0", "false")], "CSV of the sites section")

    say("== 1. key log")
    st, rep = svc.report("keylog", SUP, key="KN1")
    ev = rows(rep, "events")
    say("  KN1: " + ", ".join(r["type"] for r in ev))
    check(section(rep, "events")["total"] == 5 and [r["type"] for r in ev] ==
          ["inspection.recorded", "loan.returned", "release.taken", "release.granted", "key.registered"],
          "key KN1: its 5 events, newest first")
    g = [r for r in ev if r["type"] == "release.granted"][0]
    check(g["actor"] == "S01" and g["person"] == "E01" and g["unit"] == "N1" and g["slot"] == "A-N1" and
          g["why"] == "inspection" and g["data"]["purpose"] == "inspection", "who, unit, slot, why of the release")
    st, rep = svc.report("keylog", SUP, person="E01", type="release.granted")
    check(section(rep, "events")["total"] == 12, "person E01, type release.granted: 12")
    _, ms, me = dataset.month_bounds(now)
    st, rep = svc.report("keylog", SUP, type="inspection.recorded", **{"from": dataset.iso(ms), "to": dataset.iso(me)})
    check(section(rep, "events")["total"] == 10, "inspections in the month by time range: 10")
    st, rep = svc.report("keylog", SUP, type="inspection.recorded", site="SN")
    check(section(rep, "events")["total"] == 6, "site SN inspections: 6")
    st, rep = svc.report("keylog", SUP, kind="vacant", type="loan.returned")
    check(section(rep, "events")["total"] == 11, "kind vacant, loan.returned: 11")
    st, rep = svc.report("keylog", SUP, unit="O6", type="release.granted")
    check(section(rep, "events")["total"] == 2, "unit O6 releases: 2")
    st, rep = svc.report("keylog", SUP, unit="O6")
    types = [r["type"] for r in rows(rep, "events")]
    say("  unit O6: " + ", ".join(types))
    check("id.held" in types and types.count("release.taken") == 2,
          "unit O6's log has its keys' events that name only the key: the ID held, both takes")
    st, rep = svc.report("keylog", SUP, unit="O6", type="id.held")
    check(section(rep, "events")["total"] == 1, "unit O6, type id.held: 1 (the count agrees)")
    st, p1 = svc.report("keylog", SUP, key="KN1", page_size=4)
    st, p2 = svc.report("keylog", SUP, key="KN1", page_size=4, after=section(p1, "events")["next"])
    check(len(section(p1, "events")["rows"]) == 4 and len(section(p2, "events")["rows"]) == 1 and
          section(p2, "events")["total"] == 5 and section(p2, "events")["rows"][0]["type"] == "key.registered",
          "paging: 4 + 1 of 5, the second page after the first's last row")
    st, text = svc.report("keylog", SUP, key="KN2", type="inspection.recorded", format="csv")
    c = list(csv.DictReader(io.StringIO(text)))
    check(len(c) == 1 and c[0]["why"] == "problems" and "工程部" in c[0]["data"], "CSV key log row with details")
    # the API's CSV is the whole filtered report, whatever page is asked
    # for: every row of the section, as the JSON gives them on one page
    st, whole = svc.report("keylog", SUP, key="KN1", page_size=100)
    st2, text = svc.report("keylog", SUP, key="KN1", page_size=2, format="csv", section="events")
    c = list(csv.DictReader(io.StringIO(text)))
    ev = section(whole, "events")["rows"]
    say("  key KN1: %d rows in the JSON, %d in the CSV of page_size=2" % (len(ev), len(c)))
    check(st2 == 200 and len(ev) == 5 and [(r["seq"], r["ts"], r["type"]) for r in c] ==
          [(str(r["seq"]), r["ts"], r["type"]) for r in ev],
          "CSV of page_size=2: all 5 of key KN1's events, in the JSON's order, column names and UTC times as the JSON's")
    st, whole = svc.report("vacant", SUP, month=month, page_size=1000)
    st2, text = svc.report("vacant", SUP, month=month, page_size=3, page=2, format="csv", section="inspections")
    c = list(csv.DictReader(io.StringIO(text)))
    cols = [x["name"] for x in section(whole, "inspections")["columns"]]
    ins = [[("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for v in
            (r if isinstance(r, list) else [r[k] for k in cols])] for r in section(whole, "inspections")["rows"]]
    say("  vacant inspections: %d rows in the JSON, %d in the CSV of page 2 of 3-row pages" % (len(ins), len(c)))
    check(st2 == 200 and len(ins) == 10 and [[r[k] for k in cols] for r in c] == ins,
          "CSV of page=2&page_size=3: all 10 inspections of the month, as the JSON's rows")
    st, rep = svc.report("keylog", SUP, cabinet="CAB-NEW")
    check(section(rep, "events")["total"] == len(new), "cabinet CAB-NEW: all %d of its events" % len(new))

    say("== 2. now")
    st, rep = svc.report("now", SUP)
    cabs = {r["cabinet"]: r for r in rows(rep, "cabinets")}
    say("  per cabinet:", cabs)
    co = cabs["CAB-OLD"]
    check((co["keys_out"], co["overdue"], co["ids_held"], co["open_alarms"]) == (2, 1, 1, 1),
          "CAB-OLD: 2 out, 1 overdue, 1 ID held, 1 open alarm")
    cn = cabs["CAB-NEW"]
    check((cn["keys_out"], cn["overdue"], cn["ids_held"], cn["open_alarms"]) == (0, 0, 0, 0),
          "CAB-NEW: nothing out")
    ko = rows(rep, "keys_out")
    check(sorted((r["key"], r["person"], r["overdue"]) for r in ko) == [("KO6", "李四", False), ("KR1", "E01", True)],
          "keys out with borrower and overdue flag")
    check([(r["contact"], r["signature"]) for r in ko if r["key"] == "KO6"] == [("*******0000", "SIG-100")],
          "the loan register's masked contact and signature reference (rule 2)")
    check([r["key"] for r in rows(rep, "overdue")] == ["KR1"], "overdue: KR1")
    ids = rows(rep, "ids_held")
    check(len(ids) == 1 and ids[0]["id_masked"] == "**************123X" and ids[0]["person"] == "李四",
          "ID held: masked only")
    al = rows(rep, "alarms")
    check([(a["alarm"], a["alarm_type"]) for a in al] == [(1, "tamper")], "open alarms: the tamper one")
    st, rep = svc.report("now", SUP, site="SN")
    check([r["cabinet"] for r in rows(rep, "cabinets")] == ["CAB-NEW"] and rows(rep, "keys_out") == [],
          "site=SN: only CAB-NEW")

    say("== 3. entrustments")
    st, rep = svc.report("entrustments", SUP, days=30)
    ex = rows(rep, "expiring")
    check([(r["entrustment"], r["key"], r["notices"]) for r in ex] == [(1, "KO6", 1)],
          "expiring within 30 days: entrustment 1, 1 notice")
    ed = rows(rep, "expired")
    check([(r["entrustment"], r["key"], r["notices"]) for r in ed] == [(2, "KE2", 2)],
          "expired, not collected: entrustment 2 (3 was collected), 2 notices")
    st, rep = svc.report("entrustments", SUP, days=3)
    check(rows(rep, "expiring") == [], "within 3 days: none")
    nt = rows(rep, "notices")
    say("  notices:", [(n["type"], n["stage"], n["state"]) for n in nt])
    check(len(nt) == 7 and all(n["state"] == "no webhook" for n in nt),
          "7 notices (3 due, 2 overdue loans, tamper and wrong slot), no webhook configured")
    st, rep = svc.report("entrustments", SUP, type="notice.due")
    check([(n["entrustment"], n["stage"]) for n in rows(rep, "notices")] ==
          [(1, "before_end"), (2, "end"), (2, "reminder")], "type=notice.due: the 3, in the order received")
    check("业主1" in rows(rep, "notices")[0]["text_zh"], "the Chinese text names the owner")

    say("== 5. handovers and review sign-off (at the cabinet from its event, or at the office)")
    st, rep = svc.report("handovers", SUP)
    s = section(rep, "handovers")
    check(s["total"] == 3 and s["unreviewed"] == 2, "3 sheets, 2 not reviewed")
    h1 = [r for r in rows(rep, "handovers") if r["handover"] == 1][0]
    check(h1["keys_out"][0]["key"] == "KO6" and h1["incoming"] == "S02" and h1["outgoing"] == "S01",
          "sheet 1: keys out, outgoing S01, incoming S02")
    check(h1["reviewed_by"] == "Q01" and h1["reviewed"] is not None and h1["reviewed_at"] == "cabinet",
          "sheet 1 reviewed by Q01 at the cabinet, from its handover.reviewed event")
    before = svc.sql("SELECT * FROM handovers ORDER BY handover")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 1}, user=SUP)
    check(st == 409 and b"reviewed already, by Q01" in b, "sheet 1 again: 409 reviewed already, by Q01")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 3}, user=SUP)
    check(st == 409 and b"not yet confirmed" in b, "sheet 3 not confirmed by the incoming staff: 409")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 99}, user=SUP)
    check(st == 404, "no sheet 99: 404")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD"}, user=SUP)
    check(st == 400 and b"lacks handover" in b, "no handover named: 400")
    check(svc.sql("SELECT * FROM handovers ORDER BY handover") == before, "no handover row changed")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 2, "note": "已核对"},
                           user=SUP)
    say("  review 2 at the office:", st, b.decode())
    check(st == 200 and b"reviewed and signed" in b, "a review at the office: 200, signed")
    st, _, b = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 2}, user=SUP)
    check(st == 409 and b"reviewed already, by sup" in b, "sheet 2 again: 409 reviewed already, by sup")
    st, rep = svc.report("handovers", SUP, unreviewed=1)
    r = rows(rep, "handovers")
    check(section(rep, "handovers")["unreviewed"] == 1 and sorted(x["handover"] for x in r) == [3],
          "not reviewed: 3")
    h2 = [x for x in rows(svc.report("handovers", SUP)[1], "handovers") if x["handover"] == 2][0]
    check(h2["reviewed_by"] == "sup" and h2["reviewed_at"] == "office" and h2["review_note"] == "已核对",
          "sheet 2 reviewed by sup at the office, with the note")

    say("== 6. chain verification")
    st, rep = svc.report("chain", SUP)
    ch = {r["cabinet"]: r for r in rows(rep, "chains")}
    check(ch["CAB-NEW"]["status"] == "intact" and ch["CAB-NEW"]["checked"] == len(new) and
          ch["CAB-OLD"]["status"] == "intact", "both chains intact, every event checked")
    bad = svc.sql("SELECT min(seq) FROM events WHERE cabinet = 'CAB-OLD' AND body LIKE '%\"actor\":\"S01\"%'")[0][0]
    say("  tampering with the stored CAB-OLD event %d (sqlite3, behind the service's back: actor S01 -> S99)" % bad)
    svc.sql("SELECT 1")
    import sqlite3
    con = sqlite3.connect(svc.db)
    con.execute("UPDATE events SET body = replace(body, '\"S01\"', '\"S99\"') WHERE cabinet = 'CAB-OLD' AND seq = ?",
                (bad,))
    con.commit()
    con.close()
    st, rep = svc.report("chain", SUP, cabinet="CAB-OLD")
    r = rows(rep, "chains")[0]
    say("  ", r)
    check(r["status"] == "broken" and r["bad_seq"] == bad and r["checked"] == bad - 1,
          "broken at event %d, %d good" % (bad, bad - 1))
    res = svc.cmd("verify-chain", "CAB-OLD")
    say("  " + res.stdout.strip())
    check(res.returncode == 3 and "event %d" % bad in res.stdout, "verify-chain exits 3 naming event %d" % bad)
    st, rep = svc.report("chain", SUP, cabinet="NOPE")
    check(st == 400, "an unknown cabinet: 400")

    say("== personal data")
    log = svc.log_text()
    check("123X" not in log and "sup-password-1" not in log and tn not in log and to not in log,
          "no ID number (not even its masked tail), password or token in the service log")
finally:
    svc.stop()
finish()
