#!/usr/bin/env python3
"""The key log as a supervisor reads it, against a real keyauditd over
HTTP: newest first; keyset paging (after/before/last cursors) that walks
the whole log both ways with no row lost or repeated; the person filter by
(part of) the name that person.registered gives, by its pinyin (whole,
spaced, initials, partial from a syllable's start, any case, every reading
of a polyphone), by code too; SQL-ish and over-long text refused or
finding nobody; building,
unit, key, kind, type, cabinet and site filters; each event as a Chinese
sentence naming people and units, a refusal's reason in Chinese from the
catalogue; the total capped at 10,000 without counting the rest. Then in
Chromium (keylog.js): a supervisor types part of a name, reads that
person's rows newest first, pages to the end and back; types "zhangmin" and "zm" and gets 张敏's
rows only; and every report
page at 390x844 fits the phone's width."""
import json
import os
import re
import sys
import time
import urllib.parse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, browser, check, fill, finish, forward, iso, say, section

SRC = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MIN = 60000
PEOPLE = {"S01": ("张敏", "staff"), "S02": ("王芳", "staff"), "E01": ("李娜", "engineer"), "E02": ("张伟", "engineer"),
          "E03": ("单明", "engineer")}
UNITS = {"U103": ("1", "103"), "U201": ("2", "201"), "U202": ("2", "202")}
KEYS = {"KA1": ("entrusted", "U103", "A1"), "KB1": ("vacant", "U201", "B1"), "KB2": ("vacant", "U202", "B2")}
OUT_ON_LOAN = "Key KA1 is out on loan; it cannot be released now."


def catalogue(msgid):
    """The Chinese of msgid in po/zh_CN/rules.po."""
    text = open(os.path.join(SRC, "po", "zh_CN", "rules.po"), encoding="utf-8").read()
    m = re.search(r'msgid "%s"\nmsgstr "([^"]*)"' % re.escape(msgid), text)
    return m.group(1) if m else None


def build(base):
    """Two cabinets of one site; E02 (张伟) inspects 2栋 often enough for
    three pages; some events of both cabinets share a time (ties broken by
    cabinet and seq)."""
    cabs = {"CAB-A": [], "CAB-B": []}

    def ev(cab, ts, type_, data=None, **m):
        e = {"type": type_, "ts": iso(ts), "data": data or {}}
        e.update(m)
        cabs[cab].append(e)

    for cab in cabs:
        ev(cab, base, "controller.started", {"version": "test", "time_zone": "Asia/Shanghai"})
    ev("CAB-A", base + 1000, "site.registered", {"name": "阳光花园", "age": "new"}, site="SY")
    for u, (b, r) in UNITS.items():
        ev("CAB-A", base + 2000, "unit.registered", {"vacant": b == "2", "building": b, "room": r}, unit=u, site="SY")
    for k, (kind, u, slot) in KEYS.items():
        cab = "CAB-A" if kind == "entrusted" else "CAB-B"
        ev(cab, base + 3000, "key.registered", {"tag": 0}, key=k, kind=kind, unit=u, site="SY", slot=slot)
    for p, (name, role) in PEOPLE.items():
        ev("CAB-A", base + 4000, "person.registered", {"role": role, "name": name}, person=p)
    t = base + 10 * MIN
    ev("CAB-A", t, "release.granted", {"loan": 1, "purpose": "borrow", "due": iso(t + 86400000), "window_ms": 10000},
       actor="S01", person="E01", key="KA1", kind="entrusted", unit="U103", site="SY", slot="A1")
    ev("CAB-A", t + 5000, "release.taken", {"loan": 1}, key="KA1", slot="A1")
    ev("CAB-A", t + MIN, "release.refused", {"rule": 0, "reason": OUT_ON_LOAN, "missing": []},
       actor="S02", person="E02", key="KA1", kind="entrusted", unit="U103", site="SY", slot="A1")
    # 单 reads shan and dan (a polyphone): every reading finds him
    ev("CAB-A", t + 2 * MIN, "release.refused", {"rule": 0, "reason": OUT_ON_LOAN, "missing": []},
       actor="S02", person="E03", key="KA1", kind="entrusted", unit="U103", site="SY", slot="A1")
    loan = 1
    for i in range(70):
        loan += 1
        key = "KB1" if i % 2 else "KB2"
        kind, unit, slot = KEYS[key]
        who, clerk = ("E02", "S02") if i % 5 else ("E01", "S01")
        t = base + (20 + i * 30) * MIN
        m = dict(key=key, kind=kind, unit=unit, site="SY")
        ev("CAB-B", t, "release.granted", {"loan": loan, "purpose": "inspection", "due": iso(t + 4 * 3600000),
                                             "window_ms": 10000}, actor=clerk, person=who, slot=slot, **m)
        ev("CAB-B", t + 5000, "release.taken", {"loan": loan}, key=key, slot=slot)
        ev("CAB-B", t + 20 * MIN, "loan.returned", {"loan": loan, "purpose": "inspection", "out_at": iso(t),
                                                    "due": iso(t + 4 * 3600000), "overdue": False},
           person=who, slot=slot, **m)
        ev("CAB-B", t + 21 * MIN, "inspection.recorded", {"loan": loan, "result": "ok", "problems": "",
                                                           "forwarded_to": ""},
           actor=clerk, person=who, key=key, unit=unit, site="SY")
        # the same instant at the other cabinet: a tie on the time
        ev("CAB-A", t + 21 * MIN, "operator.login", {"method": "pin"}, actor=clerk)
    return cabs


def rows_of(rep):
    s = section(rep, "events")
    cols = [c["name"] for c in s["columns"]]
    return [dict(zip(cols, r)) if isinstance(r, list) else r for r in s["rows"]]


svc = Service()
try:
    toks = {c: svc.add_cabinet(c) for c in ("CAB-A", "CAB-B", "CAB-C")}
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    base = int(time.time() * 1000) - 40 * 86400000
    base -= base % 1000
    cabs = build(base)
    every = []
    for cab, evs in cabs.items():
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        r = forward(db, svc.url, toks[cab], 60)
        check(r.returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))
        for i, e in enumerate(evs):
            every.append(dict(e, cabinet=cab, seq=i + 1))
    every.sort(key=lambda e: (e["ts"], e["cabinet"], e["seq"]), reverse=True)

    def ids(lst):
        return [(e["cabinet"], e["seq"]) for e in lst]

    def api(**params):
        st, rep = svc.report("keylog", SUP, **params)
        if st != 200:
            say("  %s -> %d %s" % (params, st, rep))
        return st, rep

    say("== newest first, the whole log by keyset pages, forwards and back")
    st, rep = api(page_size=50)
    got = rows_of(rep)
    check(st == 200 and ids(got) == ids(every)[:50], "page 1: the 50 newest, newest first")
    check(section(rep, "events").get("total") == len(every) and not section(rep, "events").get("total_more"),
          "total: %d" % len(every))
    seen, pages, nxt = [], 0, None
    while pages < 100:
        st, rep = api(page_size=50, **({"after": nxt} if nxt else {}))
        pages += 1
        seen += ids(rows_of(rep))
        nxt = section(rep, "events").get("next")
        if not nxt:
            break
    check(seen == ids(every), "after= cursors: %d pages, every event once, in order (%d of %d)" %
          (pages, len(seen), len(every)))
    st, rep = api(page_size=50, last="1")
    tail = ids(rows_of(rep))
    check(tail == ids(every)[-50:] and section(rep, "events").get("next") is None and section(rep, "events").get("prev"),
          "last=1: the 50 oldest, still newest first; no page after it")
    back, prev = list(tail), section(rep, "events").get("prev")
    while prev:
        st, rep = api(page_size=50, before=prev)
        back = ids(rows_of(rep)) + back
        prev = section(rep, "events").get("prev")
    check(back == ids(every), "before= cursors from the last page back to the first: every event once")
    st, rep = api(page_size=50, order="asc")
    check(ids(rows_of(rep)) == ids(every)[::-1][:50], "order=asc: oldest first")
    for bad in ({"after": "x"}, {"before": "12.x"}, {"after": "1.2.CAB-A", "last": "1"}, {"last": "2"}):
        st, rep = api(**bad)
        check(st == 400, "%s: 400 (%s)" % (bad, rep.get("message")))

    say("== a person by name, part of a name, or code")
    e02 = [e for e in every if "E02" in (e.get("actor"), e.get("person"))]
    for q in ("张伟", "伟", "E02"):
        st, rep = api(person=q, page_size=5000)
        check(ids(rows_of(rep)) == ids(e02) and section(rep, "events").get("total") == len(e02),
              "person=%s: 张伟's %d events (as operator or person), newest first" % (q, len(e02)))
    want = [e for e in e02 if e["type"] == "inspection.recorded" and e.get("unit") == "U202"]
    st, rep = api(person="伟", building="2", unit="U202", type="inspection.recorded", page_size=7)
    got, nxt = ids(rows_of(rep)), section(rep, "events").get("next")
    while nxt:
        st, rep = api(person="伟", building="2", unit="U202", type="inspection.recorded", page_size=7, after=nxt)
        got, nxt = got + ids(rows_of(rep)), section(rep, "events").get("next")
    check(got == ids(want) and section(rep, "events").get("total") == len(want),
          "person=伟 with building, unit and type, 7 a page: %d events" % len(want))
    st, rep = api(person="张")
    zh = [e for e in every if {e.get("actor"), e.get("person")} & {"S01", "E02"}]
    check(section(rep, "events").get("total") == len(zh), "person=张: 张敏's and 张伟's %d events" % len(zh))
    st, rep = api(person="赵")
    check(st == 200 and section(rep, "events").get("total") == 0, "person=赵: nobody, no rows")

    say("== a person by pinyin: whole, spaced, initials, partial, any case, every reading of a polyphone")

    def of(*codes):
        return [e for e in every if set(codes) & {e.get("actor"), e.get("person")}]

    for q, codes in (("zhangmin", ("S01",)), ("zhang min", ("S01",)), ("zm", ("S01",)), ("ZM", ("S01",)),
                     ("zhangm", ("S01",)), ("ZhangMin", ("S01",)), ("敏", ("S01",)), ("min", ("S01", "E03")),
                     ("zhang", ("S01", "E02")), ("zw", ("E02",)), ("li", ("E01",)), ("lina", ("E01",)),
                     ("wf", ("S02",)), ("shanming", ("E03",)), ("danming", ("E03",)), ("dm", ("E03",)),
                     ("sm", ("E03",)), ("张m", ("S01",))):
        want = of(*codes)
        st, rep = api(person=q, page_size=5000)
        check(st == 200 and want and ids(rows_of(rep)) == ids(want) and section(rep, "events").get("total") == len(want),
              "person=%s: %s's %d events" % (q, "、".join(PEOPLE[c][0] for c in codes), len(want)))
    for q in ("hangmin", "zhangmn", "mz", "xyz", "zhangminx"):
        st, rep = api(person=q)
        check(st == 200 and section(rep, "events").get("total") == 0, "person=%s: nobody (not from a syllable's"
              " start, or letters no reading has), no rows" % q)
    for q in ("' OR 1=1 --", "%", "_", "\"'; DROP TABLE events; --", "*"):
        st, rep = api(person=q)
        check(st == 200 and section(rep, "events").get("total") == 0, "person=%r: SQL-ish text finds nobody" % q)
    st, rep = api(person="z" * 201)
    check(st == 400 and "person" in str(rep.get("message")) and "太长" in str(rep.get("message")),
          "person of 201 letters: 400, %s" % rep.get("message"))
    st, rep = api()
    check(st == 200 and section(rep, "events").get("total") == len(every), "the log is whole after them: %d events"
          % len(every))

    say("== building, unit, key, kind, type, cabinet, site")

    def of_units(units):
        keys = {k for k, v in KEYS.items() if v[1] in units}
        slots = {v[2] for v in KEYS.values() if v[1] in units}
        return [e for e in every if e.get("unit") in units or (not e.get("unit") and (
            e.get("key") in keys or (not e.get("key") and e.get("slot") in slots)))]

    for params, want, what in (
            ({"building": "2"}, of_units({"U201", "U202"}), "building 2: its units' events, key-only ones too"),
            ({"unit": "U103"}, of_units({"U103"}), "unit U103"),
            ({"key": "KB1"}, [e for e in every if e.get("key") == "KB1"], "key KB1"),
            ({"kind": "entrusted"}, [e for e in every if e.get("kind") == "entrusted"], "kind entrusted"),
            ({"type": "inspection.recorded"}, [e for e in every if e["type"] == "inspection.recorded"], "type"),
            ({"cabinet": "CAB-A"}, [e for e in every if e["cabinet"] == "CAB-A"], "cabinet CAB-A"),
            ({"site": "SY", "type": "release.granted"},
             [e for e in every if e.get("site") == "SY" and e["type"] == "release.granted"], "site SY releases")):
        st, rep = api(page_size=5000, **params)
        check(st == 200 and ids(rows_of(rep)) == ids(want), "%s: %d events" % (what, len(want)))

    say("== each event a sentence")
    st, rep = api(key="KA1", page_size=5000)
    by_type = {r["type"]: r for r in rows_of(rep)}
    g = by_type.get("release.granted", {})
    say("  " + " / ".join(r["text"] for r in rows_of(rep)))
    check(g.get("text") == "张敏 为 李娜 取出 1栋103 的业主托管钥匙（业主授权借用）",
          "release: 「%s」" % g.get("text"))
    check(g.get("type_zh") == "取出钥匙" and g.get("actor_name") == "张敏" and g.get("unit_label") == "1栋103",
          "its event word, operator's name, unit as people name it")
    ref = by_type.get("release.refused", {})
    reason = (catalogue("Key {key} is out on loan; it cannot be released now.") or "?").replace("{key}", "KA1")
    check(ref.get("text") == "王芳 为 张伟 取 1栋103 的业主托管钥匙被拒绝：" + reason,
          "refusal, its reason in Chinese from the catalogue: 「%s」" % ref.get("text"))
    tk = by_type.get("release.taken", {})
    check(tk.get("text") == "1栋103 的钥匙 KA1 已从钥匙位 A1 取走", "a take names the unit of its key: 「%s」" %
          tk.get("text"))
    st, rep = api(type="inspection.recorded", person="张伟", page_size=1)
    r = rows_of(rep)[0] if rows_of(rep) else {}
    check(r.get("text") == "王芳 记录 张伟 对 2栋%s 的巡检：正常" % UNITS[r.get("unit", "U201")][1],
          "inspection: 「%s」" % r.get("text"))

    say("== the page: sentences, codes only in their column, local times")
    q = urllib.parse.urlencode({"person": "张伟"})
    st, h, data = svc.request("GET", "/r/keylog?" + q, user=SUP)
    page = data.decode()
    outside = re.sub(r'<td data-label="事件代码" class="code">[^<]*</td>', "", page)
    outside = re.sub(r"<select.*?</select>", "", outside, flags=re.S)
    check(st == 200 and "王芳 记录 张伟 对" in page, "the page shows the sentences")
    check(not re.search(r"\b(release|loan|inspection|operator)\.[a-z_]+", outside),
          "no event code outside the code column and the type select's values")
    check(not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", outside), "no UTC time")
    check('<meta name="viewport" content="width=device-width, initial-scale=1">' in page, "a viewport meta tag")
    check(re.search(r'<option value="release.granted"[^>]*>取出钥匙</option>', page) is not None and
          '<option value="2">2栋</option>' in page and '<datalist id="people">' in page and
          re.search(r'<option value="张伟"[^>]*>[^<]*zhang wei', page) is not None,
          "filters offer event words, buildings and people by name, with their pinyin")

    say("== the total is capped, not counted to the end")
    db = os.path.join(svc.tmp, "CAB-C.db")
    fill(db, "CAB-C", count=10100)
    r = forward(db, svc.url, toks["CAB-C"], 300)
    check(r.returncode == 0, "CAB-C: 10100 generated events forwarded")
    st, rep = api()
    s = section(rep, "events")
    check(s.get("total") == 10000 and s.get("total_more"), "whole log: more than 10000 (total %s, more %s)" %
          (s.get("total"), s.get("total_more")))
    st, h, data = svc.request("GET", "/r/keylog", user=SUP)
    check("超过 10000 条" in data.decode(), "the page says 超过 10000 条")
    st, rep = api(cabinet="CAB-A")
    check(section(rep, "events").get("total") == len(cabs["CAB-A"]) and not section(rep, "events").get("total_more"),
          "a filter under the cap: its exact total")

    say("== in Chromium: a supervisor finds 张伟's events and pages through them")
    out_file = os.path.join(svc.tmp, "keylog.json")
    rc = browser("keylog.js", svc, SUP[0], SUP[1], "t-keylog", KC_OUT=out_file, KC_TYPE="伟",
                 KC_ALSO="zhangmin,zm", KC_ALSO_NAME="张敏")
    check(rc == 0, "keylog.js: signed in, searched, paged, every report page at 390x844")
    with open(out_file) as f:
        out = json.load(f)
    want = [list(x) for x in ids(e02)]
    fwd = [row for p in out.get("forward", []) for row in p]
    check(out.get("person") == "伟" and fwd == want, "pages to the end: 张伟's %d events newest first (%d pages, %d rows)"
          % (len(want), len(out.get("forward", [])), len(fwd)))
    bwd = [row for p in reversed(out.get("backward", [])) for row in p]
    check(bwd == want, "and back to the first page: the same rows (%d)" % len(bwd))
    check(out.get("last") == want[-len(out.get("last") or [1]):] and out.get("last"), "最早: the oldest page")
    s01 = [list(x) for x in ids(of("S01"))]
    for q in ("zhangmin", "zm"):
        check(out.get("also", {}).get(q) == s01, "typed %s: 张敏's %d events only, newest first (%d rows)"
              % (q, len(s01), len(out.get("also", {}).get(q) or [])))
finally:
    svc.stop()
finish()
