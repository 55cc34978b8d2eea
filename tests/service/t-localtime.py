#!/usr/bin/env python3
"""Local time in keyauditd, over HTTP on a real SQLite file: every from/to
filter, day and month is the site's, and a site's zone is its cabinets'
(the time_zone of their controller.started events; keyauditd's [server]
time_zone for a cabinet that names none, Asia/Shanghai by default).

Two cabinets, each with its site: CAB-SH names no zone (so Shanghai,
+08:00), CAB-UR names Asia/Urumqi (+06:00). Events around local midnight
and the month's end: 2026-11-30T15:30Z is 23:30 on 30 November in
Shanghai, 2026-11-30T16:30Z is 00:30 on 1 December there, and both are
still 30 November in Urumqi.

- a date is the whole local day (from and to), for each site in its zone;
- a time typed as the page shows it returns the row shown with that time
  (the page's shown time is read back from the HTML and typed in);
- the vacant report's month is counted in the site's zone: the
  inspection at 16:30Z is December's in Shanghai and November's in
  Urumqi; the report names the zone it used;
- a time that is not one is refused with a message, not read as UTC."""
import datetime
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, fill, finish, forward, say, section

ISO = "%Y-%m-%dT%H:%M:%S"


def events(site, unit, key, zone):
    """A site with one vacant unit, one inspection at 16:30Z on 30 November
    (00:30 on 1 December in Shanghai) and a release at 15:30Z."""
    out = []

    def ev(ts, type_, data=None, **members):
        e = {"type": type_, "ts": ts, "data": data or {}}
        e.update(members)
        out.append(e)

    ev("2026-10-01T00:00:00.000Z", "controller.started", dict({"version": "test"}, **({"time_zone": zone} if zone else {})))
    ev("2026-10-01T00:00:01.000Z", "site.registered", {"name": "站点" + site, "age": "old"}, site=site)
    ev("2026-10-01T00:00:02.000Z", "unit.registered", {"vacant": True, "building": "1", "room": "101"},
       unit=unit, site=site)
    ev("2026-10-01T00:00:03.000Z", "key.registered", {"tag": 0}, key=key, kind="vacant", unit=unit, site=site,
       slot="A01")
    m = dict(key=key, kind="vacant", unit=unit, site=site)
    # a refused release at 23:30 local on 30 November (Shanghai)
    ev("2026-11-30T15:30:00.000Z", "release.refused", {"rule": 1, "reason": "no operator", "missing": ["login"]},
       person="E01", slot="A01", **m)
    # an inspection loan out at 16:00Z, back at 16:20Z, recorded at 16:30Z
    ev("2026-11-30T16:00:00.000Z", "release.granted",
       {"loan": 1, "purpose": "inspection", "due": "2026-11-30T20:00:00.000Z", "work_order": None, "letter": None,
        "approval": None, "window_ms": 10000}, actor="S01", person="E01", slot="A01", **m)
    ev("2026-11-30T16:00:05.000Z", "release.taken", {"loan": 1}, key=key, slot="A01")
    ev("2026-11-30T16:20:00.000Z", "loan.returned",
       {"loan": 1, "purpose": "inspection", "out_at": "2026-11-30T16:00:00.000Z",
        "due": "2026-11-30T20:00:00.000Z", "overdue": False}, person="E01", slot="A01", **m)
    ev("2026-11-30T16:30:12.345Z", "inspection.recorded", {"loan": 1, "result": "ok", "problems": "",
                                                          "forwarded_to": ""},
       actor="S01", person="E01", key=key, unit=unit, site=site)
    return out


def rows(rep, name):
    s = section(rep, name)
    cols = [c["name"] for c in s["columns"]]
    return [dict(zip(cols, r)) if isinstance(r, list) else r for r in s["rows"]]


svc = Service()
try:
    tokens = {cab: svc.add_cabinet(cab) for cab in ("CAB-SH", "CAB-UR")}
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    for cab, site, zone in (("CAB-SH", "SH", None), ("CAB-UR", "UR", "Asia/Urumqi")):
        db = os.path.join(svc.tmp, cab + ".db")
        evs = events(site, site + "-101", "K-" + site, zone)
        fill(db, cab, evs)
        r = forward(db, svc.url, tokens[cab], 60)
        check(r.returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))

    def keylog(**params):
        st, rep = svc.report("keylog", SUP, **params)
        if st != 200:
            say("  %s -> %d %s" % (params, st, rep.get("message")))
            return st, []
        return st, [(r["type"], r["ts"]) for r in rows(rep, "events")][::-1]  # oldest first, as the data

    say("== a date is the whole local day, in the site's zone")

    def on_day(site, offset_h, day):
        """The site's events (those that name it) whose local date is day."""
        out = []
        for e in events(site, site + "-101", "K-" + site, None):
            t = datetime.datetime.strptime(e["ts"][:19], ISO) + datetime.timedelta(hours=offset_h)
            if e.get("site") == site and t.strftime("%Y-%m-%d") == day:
                out.append((e["type"], e["ts"]))
        return out

    for site, off, day in (("SH", 8, "2026-12-01"), ("SH", 8, "2026-11-30"), ("UR", 6, "2026-11-30"),
                           ("UR", 6, "2026-12-01")):
        st, got = keylog(site=site, **{"from": day, "to": day})
        want = on_day(site, off, day)
        say("  %s %s: %s" % (site, day, [t for t, _ in got]))
        check(st == 200 and got == want, "%s, %s (UTC%+d): %d events, those of that local day" %
              (site, day, off, len(want)))
    check(on_day("SH", 8, "2026-11-30") == [("release.refused", "2026-11-30T15:30:00.000Z")] and
          len(on_day("UR", 6, "2026-11-30")) == 4 and on_day("UR", 6, "2026-12-01") == [],
          "(the data: 30 November in Shanghai holds only the refusal at 23:30; in Urumqi all 4)")

    say("== what the page shows is what is typed")
    st, h, data = svc.request("GET", "/r/keylog?site=SH&type=inspection.recorded", user=SUP)
    page = data.decode()
    shown = re.findall(r"<td[^>]*>(20\d\d-\d\d-\d\d \d\d:\d\d)</td>", page)
    say("  the page shows: %s" % shown)
    check(st == 200 and shown == ["2026-12-01 00:30"], "the inspection is shown at 2026-12-01 00:30 (+08:00)")
    if shown:
        st, got = keylog(site="SH", **{"from": shown[0], "to": shown[0]})
        check(st == 200 and got == [("inspection.recorded", "2026-11-30T16:30:12.345Z")],
              "from = to = the time shown (%s): that row (%s)" % (shown[0], got))
        q = urllib.parse.urlencode({"site": "SH", "from": shown[0], "to": shown[0]})
        st, h, data = svc.request("GET", "/r/keylog?" + q, user=SUP)
        check(st == 200 and re.findall(r"<td[^>]*>(20\d\d-\d\d-\d\d \d\d:\d\d)</td>", data.decode()) == shown,
              "the page filtered by that time shows that row")
    st, h, data = svc.request("GET", "/r/keylog?site=UR&type=inspection.recorded", user=SUP)
    shown = re.findall(r"<td[^>]*>(20\d\d-\d\d-\d\d \d\d:\d\d)</td>", data.decode())
    check(shown == ["2026-11-30 22:30"] and "Asia/Urumqi" in data.decode(),
          "site UR's page shows the same inspection at 2026-11-30 22:30, and says its zone (%s)" % shown)
    if shown:
        st, got = keylog(site="UR", **{"from": shown[0], "to": shown[0]})
        check(got == [("inspection.recorded", "2026-11-30T16:30:12.345Z")], "typed at UR: that row")
    st, got = keylog(site="SH", **{"from": "2026-12-01 00:31", "to": "2026-12-01 08:00"})
    check(st == 200 and got == [], "from 00:31 local: not the row of 00:30 (%s)" % got)
    st, got = keylog(site="SH", **{"from": "2026-11-30T16:30:00Z", "to": "2026-11-30T16:31:00Z"})
    check(st == 200 and got == [("inspection.recorded", "2026-11-30T16:30:12.345Z")],
          "a time with Z is UTC, as before (%s)" % got)
    st, rep = svc.report("keylog", SUP, site="SH", **{"from": "30/11/2026"})
    check(st == 400 and "from" in rep.get("message", ""), "a time that is not one: 400 naming the parameter (%s)" %
          rep.get("message"))
    st, rep = svc.report("keylog", SUP, site="SH")
    check(rep.get("time_zone") == "Asia/Shanghai", "the report names its zone: %s" % rep.get("time_zone"))
    st, rep = svc.report("keylog", SUP, site="UR")
    check(rep.get("time_zone") == "Asia/Urumqi", "site UR: its cabinet's zone, %s" % rep.get("time_zone"))

    say("== the vacant report's month is the site's")
    for site, month, n in (("SH", "2026-12", 1), ("SH", "2026-11", 0), ("UR", "2026-11", 1), ("UR", "2026-12", 0)):
        st, rep = svc.report("vacant", SUP, site=site, month=month)
        s = {r["site"]: r for r in rows(rep, "sites")}.get(site, {})
        insp = rows(rep, "inspections") if st == 200 else []
        say("  %s %s: %s" % (site, month, {k: s.get(k) for k in ("vacant", "inspected", "coverage_pct")}))
        check(st == 200 and s.get("inspected") == n and len(insp) == n and s.get("vacant") == 1,
              "%s, %s: %d inspected of 1 vacant" % (site, month, n))
    st, rep = svc.report("vacant", SUP, month="2026-12")
    s = {r["site"]: r for r in rows(rep, "sites")}
    check(st == 200 and s["SH"]["inspected"] == 1 and s["UR"]["inspected"] == 0,
          "both sites in one report, each in its own zone: SH %s, UR %s in December" %
          (s["SH"]["inspected"], s["UR"]["inspected"]))
    st, rep = svc.report("vacant", SUP, site="SH", month="2026-12")
    ins = rows(rep, "inspections")
    check(ins and ins[0]["ts"] == "2026-11-30T16:30:12.345Z", "JSON keeps ISO UTC")
    st, h, data = svc.request("GET", "/r/vacant?site=SH&month=2026-12", user=SUP)
    check(st == 200 and "2026-12-01 00:30" in data.decode(), "the vacant page shows the inspection at 00:30 local")
    st, rep = svc.report("vacant", SUP, month="2026-13")
    check(st == 400, "month 2026-13: 400")

    say("== [server] time_zone: the zone of cabinets that name none")
    other = Service(conf_extra="[server]\ntime_zone = Asia/Nowhere\n")
    r = other.cmd("check-config")
    check(r.returncode == 2 and "time_zone" in r.stderr and "Asia/Nowhere" in r.stderr,
          "a zone that is not one is refused at start: " + r.stderr.strip())
    other = Service(conf_extra="[server]\ntime_zone = Asia/Urumqi\n")
    tok = other.add_cabinet("CAB-SH")
    other.add_user("sup", "supervisor", "sup-password-1")
    other.start()
    try:
        db = os.path.join(other.tmp, "CAB-SH.db")
        fill(db, "CAB-SH", events("SH", "SH-101", "K-SH", None))
        forward(db, other.url, tok, 60)
        st, rep = other.report("vacant", SUP, site="SH", month="2026-11")
        s = rows(rep, "sites")
        check(rep.get("time_zone") == "Asia/Urumqi" and s and s[0]["inspected"] == 1,
              "with time_zone = Asia/Urumqi, a cabinet that names no zone is read in it: November's")
    finally:
        other.stop()
finally:
    svc.stop()
finish()
