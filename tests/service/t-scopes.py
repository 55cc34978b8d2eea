#!/usr/bin/env python3
"""Site scopes, route by route: a supervisor limited to one site (SN,
新城花园, cabinet CAB-NEW) walks EVERY route of service/http_route.c's
table, read from the source, so a route added without a check here fails
this test. On each route the other site's data (SO, 老街小区, cabinet
CAB-OLD, its units, keys and people) is absent, and asking for the other
site or its cabinet by name is refused with 403. The same routes read by
an admin show that data, so the markers looked for are real. The
supervisor is created with its site by the admin's accounts page."""
import io
import json
import os
import re
import sys
import time
import zipfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from console_client import Client, text
from svc import Service, check, fill, finish, forward, say

SRC = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN = ("adm", "adm-password-1")
SUPN = ("supn", "supn-password-1")
# what only the other site's data holds
OTHER = [re.compile(p) for p in (r"CAB-OLD", r"老街小区", r"\bK[OER]\d\b", r"\bO[1-6]\b", r"\bSO\b")]


def route_table():
    """The rows of the route table: (methods, access, path, prefix, handler)."""
    src = open(os.path.join(SRC, "service", "http_route.c")).read()
    table = src[src.index("static const struct route routes[]"):]
    table = table[:table.index("};")]
    return re.findall(r'\{ (M_[A-Z_| ]+?), (ROUTE_\w+), "([^"]*)", (true|false), BODY_\w+, (\w+) \}', table)


def report_names():
    src = open(os.path.join(SRC, "service", "reports.c")).read()
    return re.findall(r'\{ "(\w+)", KC_N_\("[^"]*"\) \}', src[src.index("kc_reports[] ="):])


def others(data):
    """The other site's markers found in data (bytes or text)."""
    t = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return sorted({m.group(0) for p in OTHER for m in p.finditer(t)})


def xlsx_text(data):
    """The values of a workbook's cells (its strings and numbers)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        return "\n".join(re.findall(r"<(?:t|v)(?: [^>]*)?>([^<]*)</(?:t|v)>", xml))
    except zipfile.BadZipFile:
        return "(not a workbook)"


svc = Service()
try:
    tn, to = svc.add_cabinet("CAB-NEW"), svc.add_cabinet("CAB-OLD")
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.start()
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, tok, evs in (("CAB-NEW", tn, new), ("CAB-OLD", to, old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, tok, 60).returncode == 0, "%s loaded" % cab)

    say("== the admin creates a supervisor of SN on the accounts page")
    adm = Client(svc, *ADMIN)
    check(adm.login() == 303, "the admin signs in")
    st, t = adm.account("create", SUPN[0], role="supervisor", password=SUPN[1], site="SN")
    check(st == 200 and "supn" in t, "supervisor supn created with site SN (%d)" % st)
    check(svc.sql("SELECT site FROM user_sites WHERE user = 'supn'") == [("SN",)], "its scope is stored: SN")
    sup = Client(svc, *SUPN)
    check(sup.login() == 303, "supn signs in")
    basic = SUPN

    routes = route_table()
    reports = report_names()
    check(len(routes) >= 15 and "keylog" in reports and "vacant" in reports,
          "the route table (%d rows) and the reports (%s) are read from the source" % (len(routes), ", ".join(reports)))

    def page(client, path):
        st, _, body = client.get(path)
        return st, body

    def absent(what, st, body, want=200):
        found = others(body)
        check(st == want and not found, "%s: %d, no other site's data%s" % (what, st, (" (found %s)" % found) if found else ""))

    def refused(what, st, body, asked=("SO", "CAB-OLD")):
        """403, and nothing of the other site but the name asked for."""
        t = body.decode("utf-8", "replace")
        for a in asked:
            t = t.replace(a, "")
        found = others(t)
        check(st == 403 and not found, "%s: 403 (%d)%s" % (what, st, (" found %s" % found) if found else ""))

    def shown_to_admin(what, path):
        st, body = page(adm, path)
        check(st == 200 and others(body), "%s: the admin sees the other site's data (%d)" % (what, st))

    # ---- a check per route; a route of the table without one fails
    def r_healthz():
        st, _, body = svc.request("GET", "/healthz")
        absent("GET /healthz", st, body)

    def r_ingest():
        st, _, body = svc.request("POST", "/api/v1/events", "[]", {"Content-Type": "application/json"}, user=basic)
        check(st == 401 and not others(body), "POST /api/v1/events with the supervisor's credentials: 401 (%d)" % st)

    def r_ingest_method():
        st, _, body = svc.request("GET", "/api/v1/events", user=basic)
        check(st in (401, 405) and not others(body), "GET /api/v1/events: refused (%d)" % st)

    def r_login_post():
        st, _, body = svc.request("POST", "/login", "user=supn&password=wrong-pass-1",
                                  {"Content-Type": "application/x-www-form-urlencoded"})
        check(st == 401 and not others(body), "POST /login (a wrong password): 401, no data (%d)" % st)

    def r_login_form():
        st, _, body = svc.request("GET", "/login")
        absent("GET /login", st, body)

    def r_api_reports():
        for name in reports:
            st, _, body = svc.request("GET", "/api/v1/reports/" + name, user=basic)
            absent("GET /api/v1/reports/%s" % name, st, body)
            st, _, body = svc.request("GET", "/api/v1/reports/%s?format=csv" % name, user=basic)
            absent("GET /api/v1/reports/%s?format=csv" % name, st, body)
            st, _, body = svc.request("GET", "/api/v1/reports/%s?site=SO" % name, user=basic)
            refused("GET /api/v1/reports/%s?site=SO" % name, st, body)
            st, _, body = svc.request("GET", "/api/v1/reports/%s?cabinet=CAB-OLD" % name, user=basic)
            refused("GET /api/v1/reports/%s?cabinet=CAB-OLD" % name, st, body)
        st, _, body = svc.request("GET", "/api/v1/reports/now", user=ADMIN)
        check(st == 200 and others(body), "the admin's /api/v1/reports/now holds the other site's data")
        st, _, body = svc.request("GET", "/api/v1/reports/now", user=basic)
        check(b"CAB-NEW" in body, "the supervisor's holds its own cabinet")

    def r_api_review():
        st, _, body = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-OLD", "handover": 1}, user=basic)
        refused("POST /api/v1/handovers/review of CAB-OLD", st, body)
        st, _, body = svc.request("POST", "/api/v1/handovers/review", {"cabinet": "CAB-NEW", "handover": 1}, user=basic)
        check(st != 403, "POST /api/v1/handovers/review of CAB-NEW: not refused for its site (%d)" % st)

    def r_api_cabinets():
        for m in ("GET", "POST"):
            st, _, body = svc.request(m, "/api/v1/cabinets", {"id": "X"} if m == "POST" else None, user=basic)
            refused("%s /api/v1/cabinets (admin only)" % m, st, body)

    def r_logout():
        st, _, body = svc.request("POST", "/logout", "csrf=not-the-token",
                                  {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "kcsid=" + sup.cookie})
        check(st == 403 and not others(body), "POST /logout with a wrong form token: 403, no data (%d)" % st)

    def r_home():
        st, body = page(sup, "/")
        absent("GET /", st, body)
        check("新城花园" in body.decode(), "the dashboard shows its own site")
        shown_to_admin("GET /", "/")

    def r_dashboard():
        for p in ("/dashboard/figures", "/dashboard/version", "/dashboard.js"):
            st, body = page(sup, p)
            absent("GET " + p, st, body)
        shown_to_admin("GET /dashboard/figures", "/dashboard/figures")

    def r_web_review():
        st, _, body = sup.post("/r/handovers/review", [("cabinet", "CAB-OLD"), ("handover", "1")])
        refused("POST /r/handovers/review of CAB-OLD", st, body)

    def r_web_problems():
        for step, fields in (("forward", [("department", "工程部"), ("to", "王工")]), ("resolve", [("note", "已修复")])):
            st, _, body = sup.post("/r/problems/" + step, [("cabinet", "CAB-OLD"), ("inspection", "1")] + fields)
            refused("POST /r/problems/%s of CAB-OLD" % step, st, body)

    def r_lang():
        # the account's own language: no site's data on its answer
        st, _, body = sup.post("/lang", [("lang", "zh"), ("back", "/r/now")])
        absent("POST /lang", st, body, st if st in (200, 303) else 200)

    def r_web_reports():
        for name in reports:
            for q in ("", "?print=1"):
                st, body = page(sup, "/r/%s%s" % (name, q))
                absent("GET /r/%s%s" % (name, q), st, body)
            st, body = page(sup, "/r/%s?site=SO" % name)
            refused("GET /r/%s?site=SO" % name, st, body)
            st, body = page(sup, "/r/%s?cabinet=CAB-OLD" % name)
            refused("GET /r/%s?cabinet=CAB-OLD" % name, st, body)
        shown_to_admin("GET /r/keylog", "/r/keylog")
        shown_to_admin("GET /r/vacant", "/r/vacant")

    def r_export():
        for name in reports:
            st, body = page(sup, "/export/%s.csv" % name)
            if st == 200:
                absent("GET /export/%s.csv" % name, st, body)
                st, body = page(sup, "/export/%s.xlsx" % name)
                absent("GET /export/%s.xlsx" % name, st, xlsx_text(body))
            else:
                check(st == 400 and not others(body), "GET /export/%s.csv: no export of it (%d)" % (name, st))
            st, body = page(sup, "/export/%s.csv?site=SO" % name)
            refused("GET /export/%s.csv?site=SO" % name, st, body)
            st, body = page(sup, "/export/%s.xlsx?cabinet=CAB-OLD" % name)
            refused("GET /export/%s.xlsx?cabinet=CAB-OLD" % name, st, body)
        st, body = page(adm, "/export/keylog.csv")
        check(st == 200 and others(body), "the admin's key log export holds the other site's data")

    def r_accounts_get():
        st, body = page(sup, "/accounts")
        refused("GET /accounts (admin only)", st, body)

    def r_accounts_post():
        st, _, body = sup.post("/accounts", [("action", "sites"), ("user", "supn")])
        refused("POST /accounts (admin only)", st, body)
        check(svc.sql("SELECT site FROM user_sites WHERE user = 'supn'") == [("SN",)], "its scope is unchanged")

    def r_reset_form():
        st, _, body = svc.request("GET", "/reset?code=" + "0" * 64)
        check(st == 404 and not others(body), "GET /reset with an unknown code: 404, no data (%d)" % st)

    def r_reset_post():
        st, _, body = svc.request("POST", "/reset", "code=%s&password=x1234567&password2=x1234567" % ("0" * 64),
                                  {"Content-Type": "application/x-www-form-urlencoded"})
        check(st == 404 and not others(body), "POST /reset with an unknown code: 404, no data (%d)" % st)

    def r_not_found():
        st, body = page(sup, "/no/such/page")
        absent("GET /no/such/page", st, body, 404)

    def estate_of_so():
        """The other site in the office's estate (the admin's API): SO, its
        unit O1 and cabinet CAB-OLD, so their absence means something."""
        for path, row in (("sites", {"site": "SO", "name": "老街小区", "age": "old"}),
                          ("units", {"unit": "O1", "site": "SO", "building": "9栋", "room": "901"}),
                          ("cabinets", {"cabinet": "CAB-OLD", "sites": ["SO"]}),
                          ("people", {"person": "E-SO", "name": "老街员工", "role": "staff", "sites": ["SO"]})):
            st, _, _ = svc.request("POST", "/api/v1/estate/" + path, row, user=ADMIN)
            check(st == 200, "the admin puts %s of SO in the estate (%d)" % (path, st))

    def r_api_estate():
        estate_of_so()
        basic = SUPN
        for path in ("people", "sites", "units", "keys", "settings", "cabinets"):
            st, _, body = svc.request("GET", "/api/v1/estate/" + path, user=basic)
            absent("GET /api/v1/estate/" + path, st, body)
        st, _, body = svc.request("GET", "/api/v1/estate/units", user=ADMIN)
        check(st == 200 and others(body), "GET /api/v1/estate/units: the admin sees SO's unit")
        st, _, body = svc.request("POST", "/api/v1/estate/units", {"unit": "O1", "vacant": True}, user=basic)
        refused("POST /api/v1/estate/units (SO's unit)", st, body, ("SO", "O1"))

    def r_feed():
        st, _, body = svc.request("GET", "/api/v1/feed?after=0&wait=0", user=SUPN)
        absent("GET /api/v1/feed with a supervisor's credentials", st, body, 401)

    def r_web_estate():
        for path in ("people", "sites", "keys", "settings", "cabinets"):
            st, body = page(sup, "/estate/" + path)
            absent("GET /estate/" + path, st, body)
            shown_to_admin("GET /estate/" + path, "/estate/" + path) if path != "keys" else None
        st, _, body = sup.post("/estate/sites", [("action", "unit"), ("unit", "O1"), ("site", "SO"), ("vacant", "1")],
                               "/estate/sites")
        refused("POST /estate/sites (SO's unit)", st, body, ("SO", "O1"))

    def import_file(client, table, data, token_path="/estate/import"):
        """The import page's form posted as the browser posts it
        (multipart/form-data, the form token, the file)."""
        b = "----keycabscopes"
        parts = [("csrf", client.csrf(token_path).encode(), None), ("table", table.encode(), None),
                 ("file", data, "units.csv")]
        body = b"".join(b"--" + b.encode() + b'\r\nContent-Disposition: form-data; name="' + n.encode() + b'"' +
                        ((b'; filename="' + f.encode() + b'"\r\nContent-Type: text/csv') if f else b"") +
                        b"\r\n\r\n" + v + b"\r\n" for n, v, f in parts) + b"--" + b.encode() + b"--\r\n"
        return svc.request("POST", "/estate/import", body, {"Content-Type": "multipart/form-data; boundary=" + b,
                                                             "Cookie": "kcsid=" + client.cookie})

    IMPORT_SO = "房屋编号,小区,楼栋,房号\r\nO1,SO,9,902\r\n".encode()

    def r_api_import():
        estate_of_so()
        q = "/api/v1/estate/import?table=%s&preview=1"
        st, _, body = svc.request("POST", q % "people", IMPORT_SO, {"Content-Type": "text/csv"}, user=SUPN)
        refused("POST /api/v1/estate/import?table=people (admins only)", st, body)
        st, _, body = svc.request("POST", q % "units", IMPORT_SO, {"Content-Type": "text/csv"}, user=SUPN)
        rep = json.loads(body)
        check(st == 200 and [(r["line"], r["why"][0]["code"]) for r in rep["rejected"]] ==
              [(2, "office_estate_not_yours")], "POST /api/v1/estate/import?table=units: SO's unit O1 rejected (%d)" % st)
        t = body.decode().replace("SO", "").replace("O1", "")
        check(not others(t), "the preview holds nothing of SO but what the file names (%s)" % others(t))
        st, _, body = svc.request("POST", "/api/v1/estate/import?table=units&token=" + rep["token"], IMPORT_SO,
                                  {"Content-Type": "text/csv"}, user=SUPN)
        check(st == 200 and json.loads(body)["applied"] == 0, "its apply writes nothing (%d)" % st)
        check(svc.sql("SELECT site, room FROM estate_units WHERE unit = 'O1'") == [("SO", "901")], "O1 unchanged")

    def r_web_import():
        st, body = page(sup, "/estate/import")
        absent("GET /estate/import", st, body)
        check(b'value="people"' not in body and b'value="units"' in body, "supn is offered units and keys, not people")

    def r_web_import_preview():
        st, _, body = import_file(sup, "people", IMPORT_SO)
        refused("POST /estate/import of people (admins only)", st, body)
        st, _, body = import_file(sup, "units", IMPORT_SO)
        t = body.decode().replace("SO", "").replace("O1", "")
        check(st == 200 and "data-line=\"2\"" in body.decode() and not others(t),
              "POST /estate/import of SO's unit: its line rejected, nothing else of SO (%d %s)" % (st, others(t)))

    def r_web_import_apply():
        st, _, body = sup.post("/estate/import/apply", [("table", "units"), ("token", "0" * 64)], "/estate/import")
        absent("POST /estate/import/apply with nobody's token", st, body, 409)

    def r_approvals_get():
        st, body = page(sup, "/approvals")
        absent("GET /approvals (requests are shown to the manager they name only)", st, body)

    def r_approvals_post():
        before = svc.sql("SELECT count(*) FROM events WHERE cabinet = '@office'")
        st, _, body = sup.post("/approvals", [("action", "grant"), ("cabinet", "CAB-OLD"), ("request", "1"),
                                              ("reason", "")], "/approvals")
        refused("POST /approvals answering CAB-OLD's request as a supervisor", st, body)
        check(svc.sql("SELECT count(*) FROM events WHERE cabinet = '@office'") == before,
              "POST /approvals by a supervisor: nothing recorded in the office chain")

    checks = {
        "/healthz": r_healthz, "POST /api/v1/events": r_ingest, "/api/v1/events": r_ingest_method,
        "POST /login": r_login_post, "/login": r_login_form, "/api/v1/reports/": r_api_reports,
        "/api/v1/handovers/review": r_api_review, "/api/v1/cabinets": r_api_cabinets, "/logout": r_logout,
        "/": r_home, "/dashboard": r_dashboard, "/r/handovers/review": r_web_review, "/r/": r_web_reports,
        "/r/problems/forward": r_web_problems, "/r/problems/resolve": r_web_problems, "/lang": r_lang,
        "/export/": r_export, "GET /accounts": r_accounts_get, "POST /accounts": r_accounts_post,
        "GET /reset": r_reset_form, "POST /reset": r_reset_post, "": r_not_found,
        "/api/v1/estate/": r_api_estate, "/estate/": r_web_estate, "/api/v1/feed": r_feed,
        "POST /api/v1/estate/import": r_api_import, "GET /estate/import": r_web_import,
        "POST /estate/import": r_web_import_preview, "POST /estate/import/apply": r_web_import_apply,
        "GET /approvals": r_approvals_get, "POST /approvals": r_approvals_post,
    }
    done = set()
    for methods, access, path, prefix, fn in routes:
        key = next((k for k in ("%s %s" % (m, path) for m in ("GET", "POST")) if k in checks and
                    ("M_" + k.split()[0]) in methods), path)
        say("== route %s %s%s (%s, %s)" % (methods, path or '""', "*" if prefix == "true" else "", access, fn))
        if not check(key in checks, "route %r has a scope check in t-scopes.py" % (key,)):
            continue
        if key not in done:
            checks[key]()
            done.add(key)
    check(done == set(checks), "every check is of a route in the table (unused: %s)" % sorted(set(checks) - done))
finally:
    svc.stop()
finish()
