#!/usr/bin/env python3
"""Owners' phone numbers and webhook URLs in keyauditd's pages and
exports. A cabinet registers an entrustment (owner_phone 13812345678) and
its notice falls due; the notice template puts {owner_phone} in its text
(masked: the notifier reads the number from phone_sealed);
the webhook is a WeCom-like robot URL with a secret key. Every report, as
JSON, as CSV (each section) and as its page and printable page, for a
supervisor and an admin:

- never holds the phone number in full, and shows it masked (138****5678)
  where it shows it at all (the key log's details, the notice's text);
- never holds the webhook's key, path or full URL: the delivery's webhook
  is shown as http://127.0.0.1:PORT/…?key=****5aaa;
- nor does keyauditd's log."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, fill, finish, forward, say, section

PHONE = "13812345678"
MASKED = "138****5678"
KEY = "693a91f6-7d2e-4bc4-97a0-0ec2e1f35aaa"
HOOK_PATH = "/cgi-bin/webhook/send"
REPORTS = ("keylog", "now", "entrustments", "vacant", "handovers", "chain")


def events():
    out = []

    def ev(ts, type_, data=None, **members):
        e = {"type": type_, "ts": ts, "data": data or {}}
        e.update(members)
        out.append(e)

    ev("2026-10-01T00:00:00.000Z", "controller.started", {"version": "test"})
    ev("2026-10-01T00:00:01.000Z", "site.registered", {"name": "阳光花园", "age": "old"}, site="YG")
    ev("2026-10-01T00:00:02.000Z", "unit.registered", {"vacant": False, "building": "1", "room": "101"},
       unit="YG-1-101", site="YG")
    ev("2026-10-01T00:00:03.000Z", "key.registered", {"tag": 0}, key="K-YG-1-101", kind="entrusted",
       unit="YG-1-101", site="YG", slot="A01")
    ev("2026-10-02T00:00:00.000Z", "entrustment.registered",
       {"entrustment": 1, "owner_name": "刘建国", "owner_phone": PHONE, "start": "2026-10-01T16:00:00.000Z",
        "end": "2026-12-31T16:00:00.000Z"},
       actor="S01", person="O01", key="K-YG-1-101", unit="YG-1-101", site="YG")
    ev("2026-12-24T01:00:00.000Z", "notice.due",
       {"notice": 1, "entrustment": 1, "stage": "before_end", "end": "2026-12-31T16:00:00.000Z",
        "owner_name": "刘建国", "owner_phone": PHONE},
       person="O01", key="K-YG-1-101", unit="YG-1-101", site="YG")
    return out


svc = Service(conf_extra="[notify]\nwebhook = http://127.0.0.1:9%s?key=%s\nmax_attempts = 1\n"
              "[templates]\nbefore_end.zh = {owner_name}（{owner_phone}）您好：{unit} 的钥匙将于{end}到期\n"
              % (HOOK_PATH, KEY))
try:
    tok = svc.add_cabinet("CAB-YG")
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.add_user("adm", "admin", "adm-password-1")
    svc.start()
    db = os.path.join(svc.tmp, "cab.db")
    fill(db, "CAB-YG", events())
    r = forward(db, svc.url, tok, 60)
    check(r.returncode == 0, "6 events forwarded")
    stored = svc.sql("SELECT count(*) FROM notices WHERE text_zh LIKE ?", "%" + PHONE + "%")[0][0]
    shown = svc.sql("SELECT count(*) FROM notices WHERE text_zh LIKE ?", "%" + MASKED + "%")[0][0]
    check(stored == 0 and shown == 1, "the notice's text holds the number masked, as the template asks: %s" % MASKED)

    outputs = {}
    for who in (("sup", "sup-password-1"), ("adm", "adm-password-1")):
        for name in REPORTS:
            st, h, data = svc.request("GET", "/api/v1/reports/%s?page_size=1000" % name, user=who)
            outputs["%s %s json" % (who[0], name)] = (st, data.decode())
            for s in [x["name"] for x in __import__("json").loads(data)["sections"]] if st == 200 else []:
                st2, h, d2 = svc.request("GET", "/api/v1/reports/%s?format=csv&section=%s&page_size=1000" %
                                         (name, s), user=who)
                outputs["%s %s csv %s" % (who[0], name, s)] = (st2, d2.decode("utf-8-sig"))
            for page in ("/r/%s?page_size=1000" % name, "/r/%s?print=1&page_size=1000" % name):
                st3, h, d3 = svc.request("GET", page, user=who)
                outputs["%s %s" % (who[0], page)] = (st3, d3.decode())
    check(all(st == 200 for st, _ in outputs.values()), "%d outputs, each 200" % len(outputs))
    say("  " + ", ".join(sorted(outputs)))
    full = [k for k, (_, t) in outputs.items() if PHONE in t]
    check(not full, "the phone number in full in none of them (%s)" % full[:6])
    secret = [k for k, (_, t) in outputs.items() if KEY in t or KEY[:8] in t or HOOK_PATH in t]
    check(not secret, "the webhook's key and path in none of them (%s)" % secret[:6])

    st, rep = svc.report("keylog", ("sup", "sup-password-1"), type="entrustment.registered")
    data = section(rep, "events")["rows"][0]["data"] if st == 200 else {}
    check(data.get("owner_phone") == MASKED, "the key log's details: owner_phone %s" % data.get("owner_phone"))
    st, rep = svc.report("entrustments", ("sup", "sup-password-1"))
    rows = section(rep, "notices")["rows"] if st == 200 else []
    say("  notices: %s" % [(r.get("text_zh"), r.get("webhook")) for r in rows])
    check(rows and MASKED in rows[0]["text_zh"], "the notice's text shows the number masked")
    check(rows and re.fullmatch(r"http://127\.0\.0\.1:9/…\?key=\*\*\*\*5aaa", rows[0]["webhook"] or ""),
          "the webhook shown as http://127.0.0.1:9/…?key=****5aaa (%s)" % (rows[0]["webhook"] if rows else None))
    for who in ("sup", "adm"):
        page = outputs["%s /r/keylog?page_size=1000" % who][1]
        check(MASKED in page, "%s: the key log page shows %s" % (who, MASKED))
        page = outputs["%s /r/entrustments?page_size=1000" % who][1]
        check("key=****5aaa" in page, "%s: the entrustments page shows the webhook masked" % who)
finally:
    svc.stop()
    log = svc.log_text()
    check(PHONE not in log and KEY not in log, "neither the number nor the key in keyauditd's log")
finish()
