#!/usr/bin/env python3
"""The supervisors' web pages: a client without credentials is sent to
the login form (no basic-auth challenge), the form login's cookie
(HttpOnly, SameSite), the report pages in a real headless Chromium
(tests/service/pages.js: signed in with the form, as a person does) with
their content checked, the printable page and its screenshot, the review
route (a review signed at the office) with and without the page's form token,
logout. Passwords never reach the log."""
import json
import os
import re
import sys
import time
from urllib.parse import urlencode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, browser, check, fill, finish, forward, say

svc = Service()
SUP = ("sup", "web-pass-1234")


def cells(dom, section):
    """Rows of a table (data-section) as lists of cell texts."""
    m = re.search(r'<table[^>]*data-section="%s".*?</table>' % section, dom, re.S)
    if not m:
        return None
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", m.group(0), re.S):
        tds = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if tds:
            out.append([re.sub(r"<[^>]+>", "", t).strip() for t in tds])
    return out


try:
    tn, to = svc.add_cabinet("CAB-NEW"), svc.add_cabinet("CAB-OLD")
    svc.add_user(SUP[0], "supervisor", SUP[1])
    svc.start()
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, tok, evs in (("CAB-NEW", tn, new), ("CAB-OLD", to, old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, tok, 60).returncode == 0, "%s loaded" % cab)

    say("== without credentials: sent to the login form, no basic-auth challenge")
    st, h, body = svc.request("GET", "/r/vacant")
    check(st == 303 and h.get("location") == "/login" and "www-authenticate" not in h, "303 to /login")
    st, h, body = svc.request("GET", "/login")
    check(st == 200 and b'action="/login"' in body and "www-authenticate" not in h, "the login form")
    st, h, body = svc.request("GET", "/api/v1/reports/now")
    check(st == 401 and b'"unauthorized"' in body and "www-authenticate" not in h, "the API: 401 JSON, no challenge")

    say("== form login (a client without a browser)")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    st, h, body = svc.request("POST", "/login", "user=sup&password=wrong-pass", form)
    check(st == 401 and "set-cookie" not in h, "wrong password: 401, no cookie")
    st, h, body = svc.request("POST", "/login", "user=sup&password=web-pass-1234", form)
    cookie = h.get("set-cookie", "")
    say("  Set-Cookie: " + re.sub(r"=[0-9a-f]{64}", "=<token>", cookie))
    check(st == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie, "303 with an HttpOnly SameSite cookie")

    say("== the pages in headless Chromium, signed in with the form")
    PAGES = {"vacant": "/r/vacant?month=" + month, "keylog": "/r/keylog?" + urlencode({"key": "KN2"}),
             "now": "/r/now", "handovers": "/r/handovers?unreviewed=1", "entrustments": "/r/entrustments?days=30",
             "chain": "/r/chain", "print": "/r/keylog?print=1&type=inspection.recorded",
             "vacant_print": "/r/vacant?print=1&month=" + month}
    out_file = os.path.join(svc.tmp, "pages.json")
    rc = browser("pages.js", svc, SUP[0], SUP[1], "t-web", KC_OUT=out_file,
                 KC_PAGES=json.dumps([[p, "vacant-print" if k == "vacant_print" else None] for k, p in PAGES.items()]))
    check(rc == 0, "pages.js: signed in, every page opened, signed out")
    with open(out_file) as f:
        out = json.load(f)
    pages = out.get("pages", {})

    def browse(what):
        return pages.get(PAGES[what], {}).get("html", "")

    say("== the handovers page and the review route")
    page = browse("handovers")
    forms = re.findall(r'<form method="post" action="/r/handovers/review">.*?name="handover" value="(\d+)"', page)
    check(forms == ["2"], "sheet 2 (confirmed, not reviewed) has the review form; 3 (not confirmed) has none")
    rv = out.get("review", {})
    check(rv.get("without", {}).get("status") == 403, "a review without the form token: 403")
    check(rv.get("with", {}).get("status") == 303, "a review with the form token: recorded (303 back to the sheets)")
    rv = svc.sql("SELECT reviewed_by, review_note, reviewed_at FROM handovers WHERE handover = 2")
    check(rv == [("sup", "已审阅 fine", "office")], "sheet 2 reviewed by sup at the office, with its note")

    say("== the report pages")
    dom = browse("vacant")
    sites = cells(dom, "sites")
    say("  vacant sites rows: %s" % sites)
    check(sites is not None and len(sites) == 2, "vacant report: 2 site rows")
    if sites:
        sn = dict(zip(["site", "name", "age", "target", "vacant", "inspected", "coverage", "met"], sites[0]))
        so = dict(zip(["site", "name", "age", "target", "vacant", "inspected", "coverage", "met"], sites[1]))
        check((sn["site"], sn["vacant"], sn["inspected"], sn["coverage"], sn["target"]) == ("SN", "6", "5", "83.3", "80")
              and "是" in sn["met"], "SN: 6 vacant, 5 inspected, 83.3 % of 80 %, met")
        check((so["site"], so["vacant"], so["inspected"], so["coverage"], so["target"]) == ("SO", "5", "4", "80.0", "100")
              and "否" in so["met"], "SO: 5 vacant, 4 inspected, 80.0 % of 100 %, not met")
    check("空置房检查" in dom and "Vacant-unit inspections" not in dom, "the Chinese title, no English beside it")
    ni = cells(dom, "not_inspected")
    check(ni is not None and [r[:2] for r in ni] == [["SN", "N5"], ["SO", "O5"]], "units not inspected listed")

    dom = browse("keylog")
    ev = cells(dom, "events")
    check(ev is not None and [r[4].split(" #")[0] for r in ev] == ["inspection.recorded", "loan.returned",
                                                                     "release.taken", "release.granted",
                                                                     "key.registered"],
          "key log of KN2 in the browser, newest first, the codes in their column")
    check(ev is not None and "已转呈工程部" in ev[0][1] and "王工" in ev[0][1],
          "the inspection's sentence names the inspector and where the problem went (%s)" % (ev[0][1] if ev else None))

    dom = browse("now")
    ko = cells(dom, "keys_out")
    check(ko is not None and sorted(r[2] for r in ko) == ["KO6", "KR1"], "now: keys out KO6 and KR1")
    ids = cells(dom, "ids_held")
    check(ids is not None and ids[0][6] == "**************123X", "now: the ID held, masked")

    dom = browse("handovers")
    ho = re.findall(r'<section class="sheet" data-cabinet="CAB-OLD" data-handover="(\d+)"', dom)
    check(sorted(ho) == ["2", "3"], "handovers not yet reviewed (as sheets): 2 and 3")

    dom = browse("entrustments")
    check(cells(dom, "expiring") is not None and cells(dom, "expiring")[0][1] == "1" and
          cells(dom, "expired")[0][1] == "2", "entrustments: 1 expiring, 2 expired")

    dom = browse("chain")
    ch = cells(dom, "chains")
    check(ch is not None and [(r[0], r[3]) for r in ch] == [("@office", "完整"), ("CAB-NEW", "完整"),
                                                             ("CAB-OLD", "完整")],
          "chain verification: both cabinets and the office chain intact")

    say("== printable page")
    dom = browse("print")
    check(cells(dom, "events") is not None and "<form" not in dom and "<nav" not in dom,
          "print=1: the tables, no forms, no navigation")
    iso = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dom)
    local = re.findall(r"<td[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</td>", dom)
    check("Asia/Shanghai（时区 +08:00）" in dom and not iso and len(local) >= 10,
          "times read as local time (Asia/Shanghai, +08:00, %d cells like %s), none as ISO UTC (%d)"
          % (len(local), local[0] if local else "-", len(iso)))
    dom = browse("vacant_print")
    check("空置房巡检月报" in dom and "<form" not in dom and "<nav" not in dom and
          not re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dom),
          "the vacant report's printable page: the monthly report as filed, local times, no forms "
          "(tests/service/t-vacant-print.py prints it)")
    now_dom = browse("now")
    over = re.findall(r'<table class="report" data-section="overdue">.*?</table>', now_dom, re.S)
    check(over and '<span class="bad">是</span>' in over[0] and 'class="ok">是' not in over[0],
          "an overdue key's \"yes\" is marked as bad, not ok")
    png = pages.get(PAGES["vacant_print"], {}).get("shot")
    size = os.path.getsize(png) if png and os.path.exists(png) else 0
    check(size > 10000, "a screenshot of the printable page rendered (%d bytes)" % size)

    say("== logout (the button)")
    check(out.get("after_logout", "").endswith("/login"), "after logout a page opens the login form (%s)"
          % out.get("after_logout"))

    say("== no password in the log")
    log = svc.log_text()
    check("web-pass-1234" not in log and "wrong-pass" not in log, "passwords are not logged")
finally:
    svc.stop()
finish()
