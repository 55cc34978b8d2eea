#!/usr/bin/env python3
"""The supervisors' web pages: login (form -> HttpOnly session cookie, or
HTTP basic), the report pages rendered in a real headless Chromium and
their content checked, the printable page, the review sign-off (signed at the cabinet) with
its form token, logout. Passwords never reach the log."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, check, fill, finish, forward, say

chrome = shutil.which("chromium") or shutil.which("chromium-browser")
if not chrome:
    print("chromium is not installed (make check installs it)")
    sys.exit(77)

svc = Service()
profile = tempfile.mkdtemp(prefix="kc-chromium-")


def browse(path, user=None, screenshot=None):
    cred = "%s:%s@" % user if user else ""
    url = "http://%s127.0.0.1:%d%s" % (cred, svc.port, path)
    args = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + profile, "--timeout=15000"]
    if screenshot:
        args += ["--screenshot=" + screenshot, "--window-size=1400,1000"]
    else:
        args += ["--dump-dom"]
    r = subprocess.run(args + [url], capture_output=True, text=True, timeout=90)
    return r.stdout


def cells(dom, section):
    """Rows of a table (data-section) as lists of cell texts."""
    m = re.search(r'<table[^>]*data-section="%s".*?</table>' % section, dom, re.S)
    if not m:
        return None
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", m.group(0), re.S):
        tds = re.findall(r"<td>(.*?)</td>", tr, re.S)
        if tds:
            out.append([re.sub(r"<[^>]+>", "", t).strip() for t in tds])
    return out


try:
    tn, to = svc.add_cabinet("CAB-NEW"), svc.add_cabinet("CAB-OLD")
    svc.add_user("sup", "supervisor", "web-pass-1234")
    svc.start()
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, tok, evs in (("CAB-NEW", tn, new), ("CAB-OLD", to, old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, tok, 60).returncode == 0, "%s loaded" % cab)

    say("== without credentials: the login form, with a basic-auth challenge")
    st, h, body = svc.request("GET", "/r/vacant")
    check(st == 401 and "basic" in h.get("www-authenticate", "").lower() and b'action="/login"' in body,
          "401, WWW-Authenticate, login form")

    say("== form login")
    st, h, body = svc.request("POST", "/login", "user=sup&password=wrong-pass",
                              {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 401 and "set-cookie" not in h, "wrong password: 401, no cookie")
    st, h, body = svc.request("POST", "/login", "user=sup&password=web-pass-1234",
                              {"Content-Type": "application/x-www-form-urlencoded"})
    cookie = h.get("set-cookie", "")
    say("  Set-Cookie: " + re.sub(r"=[0-9a-f]{64}", "=<token>", cookie))
    check(st == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie, "303 with an HttpOnly SameSite cookie")
    sess = {"Cookie": cookie.split(";")[0]}
    st, h, body = svc.request("GET", "/r/handovers", headers=sess)
    page = body.decode()
    check(st == 200 and "default-src 'none'" in h.get("content-security-policy", ""), "handovers page, with a CSP")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    todo = re.findall(r'to be signed at the cabinet: <code>keycab handover review (\d+)</code>', page)
    check(todo == ["2"], "sheet 2 (confirmed, not reviewed) says it is signed at the cabinet, and how")
    check('action="/r/handovers/review"' not in page, "no review form at the office")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    form.update(sess)
    st, h, body = svc.request("POST", "/r/handovers/review", "cabinet=CAB-OLD&handover=2&note=ok", form)
    check(st == 403, "a review without the form token: 403")
    st, h, body = svc.request("POST", "/r/handovers/review",
                              urlencode({"cabinet": "CAB-OLD", "handover": "2", "note": "已审阅 fine", "csrf": csrf}),
                              form)
    check(st == 409 and "在钥匙柜签字" in body.decode(), "a review posted anyway: 409, signed at the cabinet")
    rv = svc.sql("SELECT reviewed_by, review_note FROM handovers WHERE handover = 2")
    check(rv == [(None, None)], "sheet 2 not reviewed")

    say("== the pages in headless Chromium (HTTP basic credentials)")
    SUP = ("sup", "web-pass-1234")
    dom = browse("/r/vacant?month=" + month, SUP)
    sites = cells(dom, "sites")
    say("  vacant sites rows: %s" % sites)
    check(sites is not None and len(sites) == 2, "vacant report: 2 site rows")
    if sites:
        sn = dict(zip(["site", "name", "age", "target", "vacant", "inspected", "coverage", "met"], sites[0]))
        so = dict(zip(["site", "name", "age", "target", "vacant", "inspected", "coverage", "met"], sites[1]))
        check((sn["site"], sn["vacant"], sn["inspected"], sn["coverage"], sn["target"]) == ("SN", "6", "5", "83.3", "80")
              and "yes" in sn["met"], "SN: 6 vacant, 5 inspected, 83.3 % of 80 %, met")
        check((so["site"], so["vacant"], so["inspected"], so["coverage"], so["target"]) == ("SO", "5", "4", "80.0", "100")
              and "no" in so["met"], "SO: 5 vacant, 4 inspected, 80.0 % of 100 %, not met")
    check("空置房检查" in dom and "Vacant-unit inspections" in dom, "Chinese and English title")
    ni = cells(dom, "not_inspected")
    check(ni is not None and [r[:2] for r in ni] == [["SN", "N5"], ["SO", "O5"]], "units not inspected listed")

    dom = browse("/r/keylog?" + urlencode({"key": "KN2"}), SUP)
    ev = cells(dom, "events")
    check(ev is not None and [r[3] for r in ev] == ["key.registered", "release.granted", "release.taken",
                                                     "loan.returned", "inspection.recorded"],
          "key log of KN2 in the browser")
    check(ev is not None and "工程部" in ev[-1][12], "the inspection's details show where the problem went")

    dom = browse("/r/now", SUP)
    ko = cells(dom, "keys_out")
    check(ko is not None and sorted(r[2] for r in ko) == ["KO6", "KR1"], "now: keys out KO6 and KR1")
    ids = cells(dom, "ids_held")
    check(ids is not None and ids[0][6] == "**************123X", "now: the ID held, masked")

    dom = browse("/r/handovers?unreviewed=1", SUP)
    ho = cells(dom, "handovers")
    check(ho is not None and sorted(r[1] for r in ho) == ["2", "3"], "handovers not yet reviewed: 2 and 3")

    dom = browse("/r/entrustments?days=30", SUP)
    check(cells(dom, "expiring") is not None and cells(dom, "expiring")[0][1] == "1" and
          cells(dom, "expired")[0][1] == "2", "entrustments: 1 expiring, 2 expired")

    dom = browse("/r/chain", SUP)
    ch = cells(dom, "chains")
    check(ch is not None and [r[3] for r in ch] == ["intact", "intact"], "chain verification: both intact")

    say("== printable page")
    dom = browse("/r/keylog?print=1&type=inspection.recorded", SUP)
    check(cells(dom, "events") is not None and "<form" not in dom and "<nav" not in dom,
          "print=1: the tables, no forms, no navigation")
    import re
    iso = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dom)
    local = re.findall(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", dom)
    check("(Asia/Shanghai, UTC+08:00)" in dom and not iso and len(local) >= 10,
          "times read as local time (Asia/Shanghai, UTC+08:00, %d cells like %s), none as ISO UTC (%d)"
          % (len(local), local[0] if local else "-", len(iso)))
    dom = browse("/r/vacant?print=1&month=" + month, SUP)
    check("空置房巡检月报" in dom and "<form" not in dom and "<nav" not in dom and
          not re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", dom),
          "the vacant report's printable page: the monthly report as filed, local times, no forms "
          "(tests/service/t-vacant-print.py prints it)")
    now_dom = browse("/r/now", SUP)
    over = re.findall(r'<table class="report" data-section="overdue">.*?</table>', now_dom, re.S)
    check(over and '<span class="bad">是 yes</span>' in over[0] and 'class="ok">是 yes' not in over[0],
          "an overdue key's \"yes\" is marked as bad, not ok")
    png = os.path.join(svc.tmp, "vacant.png")
    browse("/r/vacant?print=1&month=" + month, SUP, screenshot=png)
    size = os.path.getsize(png) if os.path.exists(png) else 0
    check(size > 10000, "a screenshot of the printable page rendered (%d bytes)" % size)

    say("== logout")
    st, h, body = svc.request("POST", "/logout", "csrf=" + csrf, form)
    check(st == 303 and "Max-Age=0" in h.get("set-cookie", ""), "303, cookie cleared")
    st, h, body = svc.request("GET", "/r/now", headers=sess)
    check(st == 401, "the old session no longer works")

    say("== no password in the log")
    log = svc.log_text()
    check("web-pass-1234" not in log and "wrong-pass" not in log, "passwords are not logged")
finally:
    svc.stop()
    shutil.rmtree(profile, ignore_errors=True)
finish()
