#!/usr/bin/env python3
"""The estate's pages in Chromium (tests/service/estate.js, by clicks, no
header or cookie set by hand): an admin creates a person on
/estate/people, sees the enrolment code once, deactivates them. Here: the
cabinet's feed holds person.set, person.enrol with the SHA-256 of the very
code the page showed, then person.set with active false; the standalone
cabinet's feed nothing; the code in neither the log nor the database;
the office chain intact."""
import hashlib
import json
import os
import re
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, browser, check, finish, say

ADMIN = ("adm", "adm-password-1")
svc = Service()
try:
    svc.cmd("add-cabinet", "--managed", "CAB-A")
    svc.add_cabinet("CAB-S")
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.start()
    for path, row in (("sites", {"site": "SA", "name": "阳光花园", "age": "new", "time_zone": "Asia/Shanghai"}),
                      ("cabinets", {"cabinet": "CAB-A", "sites": ["SA"]}),
                      ("cabinets", {"cabinet": "CAB-S", "sites": ["SA"]})):
        st, _, _ = svc.request("POST", "/api/v1/estate/" + path, row, user=ADMIN)
        check(st == 200, "the estate: %s %s" % (path, st))
    rc = browser("estate.js", svc, ADMIN[0], ADMIN[1], "t-estate-pages")
    check(rc == 0, "the browser's checks held")
    log = open(svc.log).read()
    cf = os.path.join(os.environ["BUILD"], "test-logs", "service", "t-estate-pages", "code.txt")
    shown = open(cf).read().strip() if os.path.exists(cf) else ""
    check(re.fullmatch(r"\d{8}", shown) is not None and shown not in log, "the code the page showed is not in the log")
    feed = [(t, json.loads(d)) for t, d in svc.sql("SELECT type, data FROM feed WHERE cabinet = 'CAB-A' ORDER BY change")]
    types = [t for t, d in feed if d.get("person") == "E05"]
    check(types == ["person.set", "person.enrol", "person.set"], "CAB-A's feed: person.set, person.enrol, person.set: %s" % types)
    enrol = next((d for t, d in feed if t == "person.enrol"), {})
    sets = [d for t, d in feed if t == "person.set"]
    check(len(sets) == 2 and sets[0]["active"] is True and sets[1]["active"] is False and sets[0]["phone"] == "139 0000 2222"
          and sets[0]["name"] == "周敏", "created active with the typed phone, then deactivated")
    check(svc.sql("SELECT count(*) FROM feed WHERE cabinet = 'CAB-S'") == [(0,)], "the standalone cabinet: nothing")
    dump = "\n".join(str(r) for r in svc.sql("SELECT * FROM estate_people") + svc.sql("SELECT body FROM events"))
    check(enrol.get("code_hash") == hashlib.sha256(shown.encode()).hexdigest(),
          "person.enrol carries the SHA-256 of the code the page showed")
    check(shown not in dump, "the code is in no table or event")
    svc.stop()
    r = svc.cmd("verify-chain", "@office")
    check(r.returncode == 0, "verify-chain @office intact")
finally:
    svc.stop()
finish()
