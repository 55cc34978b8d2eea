#!/usr/bin/env python3
"""A manager's approval from the office, keyauditd's end (service/approvals.c,
service/web_approvals.c): a cabinet's approval.asked events become requests
for the manager they name; an admin makes manager accounts linked to a
person code on /accounts; the manager, on a phone (390x844) in Chromium,
sees only their own requests (who asks by name, the key by unit and kind,
the site, why, when in the site's time), approves one and refuses another
with a reason, by clicks (approvals.js). Four eyes at the office: the
asker's own request and a manager the asker registered are refused, and
nothing is recorded for them. Each answer is an office-chain event and a
change on the cabinet's feed (approval.grant with valid_to [estate]
approval_valid after the answer; approval.refuse with the reason); a
withdrawn request (approval.cancelled) leaves the page; a supervisor
answers nothing; a standalone cabinet's request is answered 409, nothing
recorded; verify-chain @office holds."""
import json
import os
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_client import Client, text
from svc import Service, browser, check, fill, finish, forward, iso, say

ADMIN = ("adm", "adm-password-1")
CHEN = ("chen", "chen-password-1")   # M01
LI = ("li", "li-password-1")         # M02, whom S01 registered
SUP = ("sup", "sup-password-1")
now = int(time.time() * 1000)
MIN = 60000


def ev(ts, type_, data=None, **members):
    e = {"type": type_, "ts": iso(ts), "data": data or {}}
    e.update(members)
    return e


key = dict(key="K-LJ-3-203", kind="sealed", unit="LJ-3-203", site="LJ", slot="A05")
events = [
    ev(now - 90 * MIN, "site.registered", {"name": "丽景花园", "age": "old"}, site="LJ"),
    ev(now - 90 * MIN, "unit.registered", {"building": "3", "room": "203"}, unit="LJ-3-203", site="LJ"),
    ev(now - 90 * MIN, "key.registered", {"slot": "A05", "tag": "0x1005"}, **key),
    ev(now - 89 * MIN, "person.registered", {"role": "staff", "name": "王芳 Wang Fang"}, actor=None, person="S01"),
    ev(now - 89 * MIN, "person.registered", {"role": "manager", "name": "陈经理 Manager Chen"}, actor=None,
       person="M01"),
    ev(now - 88 * MIN, "person.registered", {"role": "manager", "name": "李经理 Manager Li"}, actor="S01",
       person="M02"),
    ev(now - 30 * MIN, "approval.asked", {"request": 1, "manager": "M01", "reason": "业主家漏水，需紧急进入"},
       actor="S01", **key),
    ev(now - 20 * MIN, "approval.asked", {"request": 2, "manager": "M01", "reason": "查看燃气表"}, actor="S01",
       **key),
    ev(now - 15 * MIN, "approval.asked", {"request": 3, "manager": "M01", "reason": "自己批"}, actor="M01", **key),
    ev(now - 10 * MIN, "approval.asked", {"request": 4, "manager": "M02", "reason": "找李经理"}, actor="S01",
       **key),
    ev(now - 9 * MIN, "approval.asked", {"request": 5, "manager": "M01", "reason": "撤回的申请"}, actor="S01",
       **key),
    ev(now - 8 * MIN, "approval.cancelled", {"request": 5}, actor="S01", **key),
]

svc = Service(conf_extra="[estate]\napproval_valid = 20m\n")
try:
    tok, tok2 = svc.add_cabinet("CAB"), svc.add_cabinet("CAB2")
    r = svc.cmd("cabinet-mode", "CAB", "managed")
    check(r.returncode == 0, "CAB is managed by the office (%s)" % r.stderr.strip())
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.add_user(SUP[0], "supervisor", SUP[1])
    r = svc.cmd("add-user", "--role", "manager", "mgr-cli", stdin="mgr-cli-pass-1\n")
    check(r.returncode == 2, "add-user does not make a manager (it needs a person: /accounts)")
    svc.start()
    db = os.path.join(svc.tmp, "CAB.db")
    fill(db, "CAB", events)
    check(forward(db, svc.url, tok, 60).returncode == 0, "CAB's events ingested")
    reqs = lambda: svc.sql("SELECT request, asker, manager, state FROM approval_requests WHERE cabinet = 'CAB'"
                           " ORDER BY request")
    check(reqs() == [(1, "S01", "M01", "pending"), (2, "S01", "M01", "pending"), (3, "M01", "M01", "pending"),
                     (4, "S01", "M02", "pending"), (5, "S01", "M01", "cancelled")],
          "approval.asked and approval.cancelled derived into requests: %s" % reqs())

    say("== the admin makes the managers' accounts")
    adm = Client(svc, *ADMIN)
    check(adm.login() == 303, "the admin signs in")
    st, t = adm.account("create", "nobody", role="manager", password="nobody-pass-12")
    check(st == 400 and "人员编号" in t, "a manager without a person code is refused (%d)" % st)
    for (name, pw), person in ((CHEN, "M01"), (LI, "M02")):
        st, t = adm.account("create", name, role="manager", password=pw, person=person)
        check(st == 200, "manager %s created, linked to %s (%d)" % (name, person, st))
    check(svc.sql("SELECT name, role, person FROM users WHERE role = 'manager' ORDER BY name") ==
          [("chen", "manager", "M01"), ("li", "manager", "M02")], "users: role manager, person linked")

    say("== the manager answers on the phone (Chromium, by clicks)")
    rc = browser("approvals.js", svc, CHEN[0], CHEN[1], "approvals", KC_LI_USER=LI[0], KC_LI_PASS=LI[1])
    check(rc == 0, "approvals.js: exit %d" % rc)

    say("== what the office recorded")
    check(reqs() == [(1, "S01", "M01", "granted"), (2, "S01", "M01", "refused"), (3, "M01", "M01", "pending"),
                     (4, "S01", "M02", "pending"), (5, "S01", "M01", "cancelled")],
          "request 1 granted, 2 refused; the self-approval (3) and the registered-by-asker (4) still wait: %s"
          % reqs())
    feed = svc.sql("SELECT change, type, data, made_by FROM feed WHERE cabinet = 'CAB' ORDER BY change")
    check(len(feed) == 2, "two changes on CAB's feed (%d)" % len(feed))
    if len(feed) == 2:
        g, f = json.loads(feed[0][2]), json.loads(feed[1][2])
        check(feed[0][1] == "approval.grant" and feed[0][3] == "chen" and g.get("request") == 1 and
              g.get("key") == "K-LJ-3-203" and g.get("manager") == "M01" and g.get("asker") == "S01",
              "change 1: approval.grant of request 1 by chen: %s" % feed[0][2])
        vt = g.get("valid_to", "")
        try:
            vt_ms = int(time.mktime(time.strptime(vt[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1000
        except ValueError:
            vt_ms = 0
        check(abs(vt_ms - (int(time.time() * 1000) + 20 * MIN)) < 3 * MIN,
              "  ... valid_to %s: [estate] approval_valid (20m) after the answer" % vt)
        check(feed[1][1] == "approval.refuse" and f.get("request") == 2 and f.get("reason") == "燃气表不用开封存钥匙",
              "change 2: approval.refuse of request 2 with the reason: %s" % feed[1][2])
    off = svc.sql("SELECT type, actor, json_extract(body, '$.data.request') FROM events WHERE cabinet = '@office'"
                  " AND type LIKE 'office.approval_%' ORDER BY seq")
    check(off == [("office.approval_granted", "chen", 1), ("office.approval_refused", "chen", 2)],
          "the office chain holds the grant and the refusal, by chen: %s" % off)

    say("== a supervisor answers nothing")
    sup = Client(svc, *SUP)
    check(sup.login() == 303, "the supervisor signs in")
    st, _, body = sup.get("/approvals")
    check(st == 200 and "只有关联了柜上人员的经理账号才能审批" in text(body), "the page tells the supervisor why")
    st, _, body = sup.post("/approvals", [("action", "grant"), ("cabinet", "CAB"), ("request", "3")], "/approvals")
    check(st == 403 and reqs()[2][3] == "pending", "a supervisor's answer is refused, 403 (%d)" % st)
    say("== a standalone cabinet's request: the office cannot send the answer")
    db2 = os.path.join(svc.tmp, "CAB2.db")
    fill(db2, "CAB2", events[:7])
    check(forward(db2, svc.url, tok2, 60).returncode == 0, "CAB2's events ingested (a standalone cabinet)")
    chen = Client(svc, *CHEN)
    check(chen.login() == 303, "chen signs in")
    n_office = len(svc.sql("SELECT seq FROM events WHERE cabinet = '@office'"))
    st, _, body = chen.post("/approvals", [("action", "grant"), ("cabinet", "CAB2"), ("request", "1")], "/approvals")
    check(st == 409 and "独立运行" in text(body), "409, the page says CAB2 is standalone (%d)" % st)
    check(svc.sql("SELECT state FROM approval_requests WHERE cabinet = 'CAB2'") == [("pending",)] and
          len(svc.sql("SELECT seq FROM events WHERE cabinet = '@office'")) == n_office and
          svc.sql("SELECT count(*) FROM feed WHERE cabinet = 'CAB2'") == [(0,)],
          "  ... nothing recorded: still pending, no office event, no change")
    r = svc.cmd("verify-chain", "@office")
    check(r.returncode == 0, "verify-chain @office: intact (%s)" % r.stdout.strip().splitlines()[-1:])
finally:
    svc.stop()
finish()
