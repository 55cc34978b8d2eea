#!/usr/bin/env python3
"""The estate at the office through its JSON API (/api/v1/estate/...) and
its pages' forms, against a real keyauditd and its SQLite file: route by
route and role by role (an admin, a supervisor of site SA, a supervisor of
SB, no credentials) who may do what, a refusal 401/403 with nothing
changed (master tables, feeds, office chain); bad input answered with its
message code and a Chinese and an English sentence, nothing changed; each
change on the feeds of the managed cabinets it concerns only (a standalone
cabinet gets nothing, a key put in one is refused 409 with a sentence), a
key moved to another cabinet removed at the old one, a cabinet given a
site getting the whole site in order, a person taken off a site
deactivated at that site's cabinets; a new person's enrolment code shown
once, kept as its SHA-256 only, never logged; a card hashed with the
estate's card key and masked, a phone sealed to the notice key and masked,
neither in clear in the database, the log or the office chain; the
cabinets' estate.applied events shown on the console (when each cabinet
took a deactivation); ?check=1 checks without writing; the estate seeded
from the cabinets' events; `verify-chain @office` intact with one event a
change; every text of the estate's pages in po/zh_CN/estate-office.po."""
import hashlib
import json
import urllib.parse
import os
import re
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_client import Client, message, text
from svc import Service, check, finish, say, seal

SRC = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN = ("adm", "adm-password-1")
SUPA = ("supa", "supa-password-1")
SUPB = ("supb", "supb-password-1")
CARD = "AB12CD34EF"
PHONE = "13812345678"


def po_ids(path):
    ids = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith('msgid "'):
            ids.add(line[7:-2])
    return ids


say("== every text of the estate's pages has its Chinese")
ids = set()
for f in os.listdir(os.path.join(SRC, "po", "zh_CN")):
    ids |= po_ids(os.path.join(SRC, "po", "zh_CN", f))
lits = set()
for f in ("web_estate.c", "web_estate_places.c", "web_estate_cabinets.c"):
    src = open(os.path.join(SRC, "service", f), encoding="utf-8").read()
    for m in re.finditer(r'(?:ET\(&?p,|kc_web_t\([^,]+,|KC_N_\()\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', src):
        lits.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
    for m in re.finditer(r'est_(?:input|select|td|form_end)\(p, "([^"]+)"', src):
        lits.add(m.group(1))
    for m in re.finditer(r'cols\[\] = \{([^}]*)\}', src):
        lits |= set(re.findall(r'"([^"]+)"', m.group(1)))
missing = sorted(x for x in lits if x not in ids)
check(len(lits) > 60 and not missing, "%d texts, each in the catalogue (missing: %s)" % (len(lits), missing))

svc = Service()
keyfile = os.path.join(svc.tmp, "card.key")
with open(keyfile, "wb") as f:
    f.write(os.urandom(32))
os.chmod(keyfile, 0o600)
nkfile = os.path.join(svc.tmp, "notice.keys")
with open(svc.conf, "a") as f:
    f.write("[estate]\ncard_key_file = %s\nenrol_code_valid = 48h\n[notify]\nnotice_key_file = %s\n" % (keyfile, nkfile))
try:
    r = svc.cmd("notice-key", "new")
    check(r.returncode == 0, "a notice key made")
    tokens = {}
    for cab, managed in (("CAB-A", True), ("CAB-B", True), ("CAB-S", False)):
        r = svc.cmd(*(["add-cabinet"] + (["--managed"] if managed else []) + [cab]))
        tokens[cab] = r.stdout.strip()
    # the cabinets' own registrations, before the estate was the office's
    ev = [{"type": "site.registered", "ts": "2026-12-01T08:00:00.000Z", "site": "SO",
           "data": {"name": "老街小区", "age": "old"}},
          {"type": "unit.registered", "ts": "2026-12-01T08:00:01.000Z", "site": "SO", "unit": "O-1",
           "data": {"vacant": True, "building": "3栋", "room": "301"}},
          {"type": "key.registered", "ts": "2026-12-01T08:00:02.000Z", "site": "SO", "unit": "O-1", "key": "KO1",
           "kind": "vacant", "slot": "9", "data": {"tag": 77}},
          {"type": "person.registered", "ts": "2026-12-01T08:00:03.000Z", "person": "E90",
           "data": {"role": "engineer", "name": "王工", "department": "工程部"}}]
    svc.start()
    st, res = svc.post_events(tokens["CAB-S"], None, raw=("[" + ",".join(seal("CAB-S", ev)) + "]").encode())
    check(st == 200, "CAB-S's own registrations stored (%s)" % st)
    svc.stop()
    # the database as it was before audit-013: the migrations run on these events
    import sqlite3
    con = sqlite3.connect(svc.db)
    for t in ("estate_sites", "estate_units", "estate_unit_history", "estate_keys", "estate_people",
              "estate_person_sites", "estate_settings"):
        con.execute("DROP TABLE %s" % t)
    con.execute("DELETE FROM cabinet_sites")
    # and before audit-014 (the approval requests, an account's person)
    con.execute("DROP TABLE approval_requests")
    con.execute("ALTER TABLE users DROP COLUMN person")
    con.execute("PRAGMA user_version = 12")
    con.commit()
    con.close()
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.add_user(SUPA[0], "supervisor", SUPA[1])
    svc.add_user(SUPB[0], "supervisor", SUPB[1])
    svc.start()

    def api(method, path, body=None, user=ADMIN, q=""):
        st, _, data = svc.request(method, "/api/v1/estate/" + path + q, body, user=user)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, {"raw": data.decode(errors="replace")}

    def state():
        """Everything a change may touch: the master tables, the feeds, the office chain."""
        return [svc.sql("SELECT * FROM %s ORDER BY 1, 2" % t) for t in
                ("estate_sites", "estate_units", "estate_keys", "estate_people", "estate_person_sites",
                 "estate_settings", "cabinet_sites", "feed")] + [svc.sql("SELECT count(*) FROM events WHERE cabinet = '@office'")]

    def feed(cab, since=0):
        return [(t, json.loads(d)) for t, d in
                svc.sql("SELECT type, data FROM feed WHERE cabinet = ? AND change > ? ORDER BY change", cab, since)]

    def top(cab):
        return svc.sql("SELECT coalesce(max(change), 0) FROM feed WHERE cabinet = ?", cab)[0][0]

    say("== the estate seeded from what the cabinets told the office")
    check(svc.sql("SELECT site, name, age FROM estate_sites") == [("SO", "老街小区", "old")], "site SO from site.registered")
    check(svc.sql("SELECT unit, site, building, room, vacant FROM estate_units") == [("O-1", "SO", "3栋", "301", 1)],
          "unit O-1 from unit.registered")
    check(svc.sql("SELECT key, unit, kind, cabinet, slot, tag FROM estate_keys") == [("KO1", "O-1", "vacant", "CAB-S", "9", 77)],
          "key KO1 with its cabinet, slot and tag")
    check(svc.sql("SELECT person, name, role, department FROM estate_people") == [("E90", "王工", "engineer", "工程部")],
          "person E90 from person.registered")
    check(svc.sql("SELECT cabinet, site FROM cabinet_sites") == [("CAB-S", "SO")], "CAB-S serves SO")

    say("== the admin builds the estate")
    sa = {"site": "SA", "name": "阳光花园", "age": "new", "time_zone": "Asia/Shanghai"}
    sb = {"site": "SB", "name": "新城花园", "age": "old"}
    for row in (sa, sb):
        st, r = api("POST", "sites", row)
        check(st == 200 and r["changes"] == 0, "site %s saved, no cabinet serves it yet (%s)" % (row["site"], st))
    for cab, sites in (("CAB-A", ["SA"]), ("CAB-B", ["SB"]), ("CAB-S", ["SO", "SA"])):
        st, r = api("POST", "cabinets", {"cabinet": cab, "sites": sites})
        check(st == 200, "%s serves %s" % (cab, sites))
    check(feed("CAB-A") == [("site.set", dict(sa))] and [t for t, _ in feed("CAB-B")] == ["site.set"],
          "a managed cabinet given a site gets it: %s" % feed("CAB-A"))
    check(svc.sql("SELECT count(*) FROM feed WHERE cabinet = 'CAB-S'") == [(0,)], "the standalone cabinet gets nothing")
    for u in ({"unit": "A-101", "site": "SA", "building": "1栋", "room": "101"},
              {"unit": "A-102", "site": "SA", "building": "1栋", "room": "102", "vacant": True},
              {"unit": "B-201", "site": "SB", "building": "2栋", "room": "201"}):
        st, r = api("POST", "units", u)
        check(st == 200, "unit %s saved (%s %s)" % (u["unit"], st, r.get("message")))
    check(feed("CAB-A", 1) == [("unit.set", {"unit": "A-101", "site": "SA", "building": "1栋", "room": "101", "vacant": False}),
                               ("unit.set", {"unit": "A-102", "site": "SA", "building": "1栋", "room": "102", "vacant": True})],
          "the units of SA on CAB-A's feed, as the spec's unit.set")
    st, r = api("POST", "keys", [{"key": "KA1", "unit": "A-101", "kind": "entrusted", "cabinet": "CAB-A", "slot": "1", "tag": 4401},
                                 {"key": "KA2", "unit": "A-102", "kind": "vacant", "cabinet": "CAB-A", "slot": "2"}])
    check(st == 200 and r["changes"] == 2, "two keys in one request: one transaction (%s %s)" % (st, r))
    check(feed("CAB-A")[-2:] == [("key.set", {"key": "KA1", "unit": "A-101", "kind": "entrusted", "slot": "1", "tag": 4401}),
                                 ("key.set", {"key": "KA2", "unit": "A-102", "kind": "vacant", "slot": "2", "tag": 0})],
          "key.set to the key's cabinet")
    st, r = api("POST", "people", {"person": "E01", "name": "张伟", "role": "staff", "phone": PHONE, "department": "客服部",
                                   "card": CARD, "sites": ["SA"]})
    res = r.get("results", [{}])[0]
    code = res.get("enrol_code", "")
    check(st == 200 and re.fullmatch(r"\d{8}", code) is not None, "a new person: an 8-digit enrolment code, once (%s)" % st)
    want_hash = hashlib.sha256(code.encode()).hexdigest()
    fa = feed("CAB-A")[-2:]
    check([t for t, _ in fa] == ["person.set", "person.enrol"] and fa[1][1]["code_hash"] == want_hash and
          fa[1][1]["person"] == "E01", "person.set then person.enrol (the code's SHA-256) to CAB-A")
    ps = fa[0][1]
    check(ps["phone"] == PHONE and ps["active"] is True and ps["role"] == "staff" and re.fullmatch(r"[0-9a-f]{64}", ps["card_hash"])
          and ps["card_masked"].endswith("CD34EF"[-4:]) and "*" in ps["card_masked"],
          "person.set carries the phone for the cabinet, the card's keyed hash and its masked form: %s" % ps["card_masked"])
    check(svc.sql("SELECT count(*) FROM feed WHERE cabinet <> 'CAB-A' AND data LIKE '%E01%'") == [(0,)],
          "a person of SA goes to CAB-A only (not CAB-B, not the standalone CAB-S)")
    row = svc.sql("SELECT phone_masked, phone_sealed, card_hash, card_masked, enrol_hash FROM estate_people WHERE person = 'E01'")[0]
    check(row[0] == "138****5678" and row[1] and PHONE not in row[1] and row[2] == ps["card_hash"] and row[4] == want_hash,
          "the office keeps the phone masked and sealed, the card hashed, the code as its SHA-256")
    adm = Client(svc, *ADMIN)
    check(adm.login() == 303, "the admin signs in")
    _, _, body = adm.get("/estate/people")
    check(code not in body.decode() and "138****5678" in body.decode() and PHONE not in body.decode(),
          "the people page: the phone masked, the code not shown again")

    say("== route by route, role by role: who may do what")
    for sup, site in ((SUPA, "SA"), (SUPB, "SB")):
        st, t = adm.account("sites", sup[0], site=site)
        check(st == 200, "the admin limits %s to %s, a site made at the office (%d)" % (sup[0], site, st))
    sa_key = {"key": "KA3", "unit": "A-101", "kind": "sealed", "cabinet": "CAB-A", "slot": "3"}
    sb_key = {"key": "KB1", "unit": "B-201", "kind": "sealed", "cabinet": "CAB-B", "slot": "1"}
    settings = {"site": "SA", "max_loan": {"borrow": 28800, "inspection": 14400, "repair": 28800, "emergency": 7200},
                "due_presets": [1800, 3600], "notice_lead_s": 259200, "notice_reminder_s": 86400,
                "phrases": {"problem": ["漏水"], "alarm": [], "repair": ["换锁"]}}
    settings_b = dict(settings, site="SB")
    # (path, body, expected status for admin, supa, supb, nobody)
    matrix = [
        ("sites", {"site": "SC", "name": "x", "age": "new"}, (200, 403, 403, 401)),
        ("cabinets", {"cabinet": "CAB-B", "sites": ["SB"]}, (200, 403, 403, 401)),
        ("people", {"person": "E02", "name": "李娜", "role": "engineer", "sites": ["SA"]}, (200, 403, 403, 401)),
        ("people", {"person": "E01", "role": "manager"}, (200, 403, 403, 401)),
        ("people/enrol", {"person": "E01"}, (200, 403, 403, 401)),
        ("people/unlock", {"person": "E01"}, (200, 403, 403, 401)),
        ("units", {"unit": "A-101", "vacant": True}, (200, 200, 403, 401)),
        ("units", {"unit": "B-201", "vacant": True}, (200, 403, 200, 401)),
        ("keys", sa_key, (200, 200, 403, 401)),
        ("keys", sb_key, (200, 403, 200, 401)),
        ("settings", settings, (200, 200, 403, 401)),
        ("settings", settings_b, (200, 403, 200, 401)),
        ("keys/remove", {"key": "KA3"}, (200, 200, 403, 401)),
    ]
    for who_i, who in ((3, None), (2, SUPB), (1, SUPA), (0, ADMIN)):
        for path, body, want in matrix:
            before = state()
            # a key removed by one role is put back for the next
            if path == "keys/remove" and not svc.sql("SELECT 1 FROM estate_keys WHERE key = 'KA3'"):
                api("POST", "keys", sa_key)
                before = state()
            st, r = api("POST", path, body, user=who)
            ok = st == want[who_i]
            if st in (401, 403):
                ok = ok and state() == before
            if st == 403:
                ok = ok and any("\u4e00" <= ch <= "\u9fff" for ch in r.get("message_zh", ""))
            check(ok, "%s POST %s %s: %d (want %d)%s" % (who[0] if who else "nobody", path, json.dumps(body, ensure_ascii=False)[:50],
                                                        st, want[who_i], ", nothing changed" if st in (401, 403) else ""))
    for who, lists in ((None, 401), (SUPA, 200), (SUPB, 200), (ADMIN, 200)):
        for path in ("people", "sites", "units", "keys", "settings", "cabinets"):
            st, r = api("GET", path, user=who)
            check(st == lists, "%s GET %s: %d" % (who[0] if who else "nobody", path, st))
    st, r = api("GET", "units", user=SUPA)
    check({u["site"] for u in r["rows"]} == {"SA"}, "supa reads SA's units only")
    st, r = api("GET", "keys", user=SUPB)
    check({k["site"] for k in r["rows"]} == {"SB"}, "supb reads SB's keys only")
    st, r = api("GET", "people", user=SUPB)
    check(r["rows"] == [], "supb reads no person of SA")
    supa = Client(svc, *SUPA)
    supa.login()
    before = state()
    st, _, body = supa.post("/estate/people", [("action", "deactivate"), ("person", "E01")], "/estate/keys")
    check(st == 403 and "只有管理员" in message(body) and state() == before, "supa's deactivate form: 403, said so, nothing changed")
    st, _, body = supa.post("/estate/sites", [("action", "unit"), ("unit", "B-201"), ("site", "SB"), ("vacant", "0")], "/estate/sites")
    check(st == 403 and "不在您的管辖范围内" in message(body) and state() == before, "supa's unit form for SB: 403, nothing changed")
    st, _, body = supa.get("/estate/people")
    check(st == 200 and 'action="/estate/people"' not in body.decode(), "supa's people page has no forms")
    _, _, body = svc.request("POST", "/estate/people", "action=deactivate&person=E01&csrf=bad",
                             {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "kcsid=" + adm.cookie})
    check(state() == before, "a form without the session's form token changes nothing")

    say("== bad input: its message, nothing changed")
    bad = [
        ("sites", {"site": "S D", "name": "x", "age": "new"}, 400, "office_estate_code_bad", "字母"),
        ("sites", {"site": "SD", "name": "", "age": "new"}, 400, "office_estate_text_bad", "name"),
        ("sites", {"site": "SD", "name": "x", "age": "medium"}, 400, "office_estate_age_bad", "新项目或老项目"),
        ("sites", {"site": "SD", "name": "x", "age": "new", "time_zone": "Mars/Olympus"}, 400, "office_estate_zone_bad", "Mars/Olympus"),
        ("units", {"unit": "A-9", "site": "SX"}, 400, "office_estate_site_unknown", "没有项目 SX"),
        ("units", {"unit": "A-101", "site": "SB"}, 400, "office_estate_unit_site", "已属于项目 SA"),
        ("units", {"unit": "A-9", "site": "SA", "vacant": "yes"}, 400, "office_estate_bool_bad", "是或否"),
        ("keys", dict(sa_key, unit="NOPE"), 400, "office_estate_unit_unknown", "没有房号 NOPE"),
        ("keys", dict(sa_key, kind="gold"), 400, "office_estate_kind_bad", "gold"),
        ("keys", dict(sa_key, slot="1"), 409, "office_estate_slot_taken", "KA1"),
        ("keys", dict(sa_key, cabinet="CAB-S"), 409, "office_estate_cabinet_standalone", "独立管理"),
        ("keys", dict(sa_key, cabinet="CAB-B"), 400, "office_estate_cabinet_site", "不服务项目 SA"),
        ("keys", dict(sa_key, cabinet="CAB-X"), 400, "office_estate_cabinet_unknown", "CAB-X"),
        ("keys", dict(sa_key, tag=-1), 400, "office_estate_number_bad", "tag"),
        ("people", {"person": "E03", "name": "赵六", "role": "boss", "sites": ["SA"]}, 400, "office_estate_role_bad", "boss"),
        ("people", {"person": "E03", "name": "赵六", "role": "staff", "sites": []}, 400, "office_estate_sites_none", "至少"),
        ("people", {"person": "E03", "name": "赵六", "role": "staff", "sites": ["SA"], "phone": "12"}, 400, "office_estate_phone_bad", "电话"),
        ("people", {"person": "E03", "name": "赵六", "role": "staff", "sites": ["SA"], "card": CARD}, 409, "office_estate_card_taken", "E01"),
        ("people", {"person": "E03", "name": "赵六", "role": "staff", "sites": ["SA"], "card": "卡号!"}, 400, "office_estate_card_bad", "卡号"),
        ("people", {"person": "E03", "name": "赵六", "role": "staff", "sites": ["SA"], "enrolled_by": "E99"}, 400, "office_estate_person_unknown", "E99"),
        ("people", {"person": "E01", "enrolled_by": "E01"}, 400, "office_estate_self_enrolled", "自己"),
        ("people/unlock", {"person": "E77"}, 404, "office_estate_person_unknown", "E77"),
        ("keys/remove", {"key": "K-NONE"}, 400, "office_estate_key_unknown", "K-NONE"),
        ("settings", dict(settings, due_presets=[]), 400, "office_estate_list_bad", "due_presets"),
        ("settings", dict(settings, max_loan={"borrow": 5}), 400, "office_estate_number_bad", "max_loan.borrow"),
        ("cabinets", {"cabinet": "CAB-A", "sites": ["SZ"]}, 400, "office_estate_site_unknown", "SZ"),
        # the second row is bad: the first is not kept either
        ("units", [{"unit": "A-201", "site": "SA"}, {"unit": "A-202", "site": "SQ"}], 400, "office_estate_site_unknown", "SQ"),
    ]
    for path, body, want, code_, words in bad:
        before = state()
        st, r = api("POST", path, body)
        check(st == want and r.get("code") == code_ and words in r.get("message_zh", "") + r.get("message", "")
              and r.get("message") and state() == before,
              "%s %s: %d %s «%s», nothing changed" % (path, json.dumps(body, ensure_ascii=False)[:60], st, r.get("code"),
                                                    r.get("message_zh")))
    st, _, data = svc.request("POST", "/api/v1/estate/units", "{not json", {"Content-Type": "application/json"}, user=ADMIN)
    r = json.loads(data)
    check(st == 400 and r.get("error") == "malformed", "a body that is not JSON: 400")
    before = state()
    st, r = api("POST", "keys", [dict(sa_key, key="KA9", slot="9"), dict(sa_key, kind="gold")], q="?check=1")
    check(st == 200 and [x["ok"] for x in r["rows"]] == [True, False] and r["rows"][1]["code"] == "office_estate_kind_bad"
          and state() == before, "?check=1: each row checked, nothing written")

    say("== fan-out: moves, new sites, people taken off a site")
    n = top("CAB-A")
    st, r = api("POST", "cabinets", {"cabinet": "CAB-B", "sites": ["SB", "SA"]})
    got = [t for t, _ in feed("CAB-B", top("CAB-B") - r["changes"])]
    check(st == 200 and got[0] == "site.set" and got[1:3] == ["unit.set", "unit.set"] and "person.set" in got and
          got[-1] == "settings.set" and got.index("person.set") > got.index("unit.set"),
          "CAB-B given SA: the site, its units, its people, its settings, in that order: %s" % got)
    check(feed("CAB-B", top("CAB-B") - r["changes"])[got.index("person.set") + 1][0] == "person.enrol",
          "with the person's still valid enrolment code")
    e01 = next(d for t, d in feed("CAB-B", top("CAB-B") - r["changes"]) if t == "person.set" and d["person"] == "E01")
    check(e01.get("phone") == PHONE, "its person.set has the phone, opened from its sealed form by the notice key")
    nb = top("CAB-B")
    st, r = api("POST", "keys", {"key": "KA2", "cabinet": "CAB-B", "slot": "7"})
    check(st == 200 and feed("CAB-A", n) [-1] == ("key.remove", {"key": "KA2"}) and
          feed("CAB-B", nb) == [("key.set", {"key": "KA2", "unit": "A-102", "kind": "vacant", "slot": "7", "tag": 0})],
          "a key moved to CAB-B: key.remove at CAB-A, key.set at CAB-B")
    na, nb = top("CAB-A"), top("CAB-B")
    st, r = api("POST", "people", {"person": "E01", "sites": ["SB"]})
    check(st == 200 and feed("CAB-A", na) == [("person.set", dict(feed("CAB-A", na)[0][1], active=False))] and
          feed("CAB-A", na)[0][1]["active"] is False and feed("CAB-B", nb)[0][1]["active"] is True,
          "E01 taken off SA: deactivated at CAB-A (SA only), still active at CAB-B (SB)")
    api("POST", "people", {"person": "E01", "sites": ["SA", "SB"]})
    na, nb = top("CAB-A"), top("CAB-B")
    st, _, body = adm.post("/estate/people", [("action", "deactivate"), ("person", "E01")], "/estate/people")
    check(st == 200 and [(t, d["active"]) for t, d in feed("CAB-A", na)] == [("person.set", False)] and
          [(t, d["active"]) for t, d in feed("CAB-B", nb)] == [("person.set", False)],
          "deactivated by the page's form: person.set active false to CAB-A and CAB-B")
    check(svc.sql("SELECT enrol_hash FROM estate_people WHERE person = 'E01'") == [(None,)],
          "and no enrolment code of theirs is kept")

    say("== what the cabinets applied, on the console")
    ca = svc.sql("SELECT change FROM feed WHERE cabinet = 'CAB-A' AND type = 'person.set' ORDER BY change DESC LIMIT 1")[0][0]
    cb = svc.sql("SELECT change FROM feed WHERE cabinet = 'CAB-B' AND type = 'person.set' ORDER BY change DESC LIMIT 1")[0][0]
    kb = svc.sql("SELECT change FROM feed WHERE cabinet = 'CAB-B' AND type = 'key.set' ORDER BY change DESC LIMIT 1")[0][0]
    evs = [{"type": "estate.applied", "ts": "2026-12-07T14:05:00.000Z", "person": "E01",
            "data": {"change": ca, "change_type": "person.set", "by": "adm", "person": "E01", "active": False}}]
    st, _ = svc.post_events(tokens["CAB-A"], None, raw=("[" + ",".join(seal("CAB-A", evs)) + "]").encode())
    evs = [{"type": "estate.refused", "ts": "2026-12-07T14:06:00.000Z", "key": "KA2",
            "data": {"change": kb, "change_type": "key.set", "by": "adm", "code": "estate_slot_taken",
                     "params": {"slot": "7", "other": "KB9"}}}]
    st2, _ = svc.post_events(tokens["CAB-B"], None, raw=("[" + ",".join(seal("CAB-B", evs)) + "]").encode())
    check(st == 200 and st2 == 200, "CAB-A applied the deactivation, CAB-B refused the key")
    # a person the office made has no person.registered event: the key log
    # still knows them by the name the office keeps
    st, _, data = svc.request("GET", "/api/v1/reports/keylog?person=" + urllib.parse.quote("张伟"), user=ADMIN)
    rows = [r for sec in json.loads(data).get("sections", []) for r in sec.get("rows", [])] if st == 200 else []
    check(any(r.get("type") == "estate.applied" and r.get("person_name") == "张伟" for r in rows),
          "the key log by the name 张伟 finds CAB-A's estate.applied, with the name: %s" % ((st, rows[:2]),))
    _, _, body = adm.get("/estate/people")
    t = text(body)
    check("CAB-A: 停用于 2026-12-07 22:05" in t and "CAB-B: 尚未生效" in t,
          "the people page: CAB-A took the deactivation at 22:05 (Shanghai), CAB-B not yet")
    _, _, body = adm.get("/estate/cabinets")
    t = text(body)
    check("7 号格已是钥匙 KB9 的固定格位" in t and "被拒绝" in t,
          "the cabinets page: CAB-B's refusal in Chinese from its code and params")
    check(re.search(r'data-cabinet="CAB-S".*?独立管理', body.decode(), re.S) is not None, "CAB-S shown standalone")
    row = re.search(r'<tr data-change="%d"[^>]*>.*?</tr>' % kb,
                    body.decode().split('data-cabinet="CAB-B"', 1)[-1], re.S)
    row = text(row.group(0).encode()) if row else ""
    check("1栋102 的钥匙：空房，7 号位" in row and "KA2" not in row,
          "the cabinets page names the key by its unit, not its code: %r" % row)

    say("== secrets: nowhere in clear")
    log = svc.log_text()
    dump = "\n".join(str(r) for t in ("estate_people", "feed", "events") for r in svc.sql("SELECT * FROM %s" % t))
    office = "\n".join(b for (b,) in svc.sql("SELECT body FROM events WHERE cabinet = '@office'"))
    check(code not in log and PHONE not in log and CARD not in log, "no enrolment code, phone or card in the log")
    check(CARD not in dump and code not in dump, "no card number or enrolment code in the database")
    check(PHONE not in office and ps["card_hash"] not in office and code not in office,
          "the office chain holds no phone, card hash or code")

    svc.stop()
    say("== the office chain")
    r = svc.cmd("verify-chain", "@office")
    check(r.returncode == 0 and "intact" in r.stdout, "verify-chain @office: %s" % r.stdout.strip().splitlines()[:1])
    types = svc.sql("SELECT type, count(*) FROM events WHERE cabinet = '@office' GROUP BY type ORDER BY type")
    check(dict(types).get("office.estate_person_enrol_issued", 0) >= 2 and dict(types).get("office.estate_key_removed", 0) >= 1
          and dict(types).get("office.estate_cabinet_sites_changed", 0) >= 4, "one office event a change: %s" % types)
    actors = svc.sql("SELECT DISTINCT actor FROM events WHERE cabinet = '@office' ORDER BY actor")
    check(actors == [("adm",), ("supa",), ("supb",)], "each naming its account: %s" % actors)
finally:
    svc.stop()
finish()
