#!/usr/bin/env python3
"""Ingest over real HTTP into a real SQLite file: a good batch, an identical
replay, a differing replay, a gap, a chain break, malformed JSON, wrong and
missing tokens, another cabinet's events, a body over the limit, and filter
values that look like SQL. Each answer is a clear 4xx, and the stored log
stays exactly as it was (nothing lost, nothing stored that should not be)."""
import json
import sys
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say, seal, section

svc = Service(body_limit=64 * 1024)
try:
    tok = svc.add_cabinet("CAB1")
    tok2 = svc.add_cabinet("CAB2")
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    parts = [{"type": "operator.login", "actor": "S001", "data": {"method": "pin"}}] + \
            [{"type": "slot.removed", "slot": "A%d" % i, "key": "K%d" % i, "data": {}} for i in range(1, 20)]
    ev = seal("CAB1", parts)

    def stored():
        return svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB1' ORDER BY seq")

    def chain_ok():
        r = svc.cmd("verify-chain", "CAB1")
        return r.returncode == 0

    say("== a good batch of 10")
    st, r = svc.post_events(tok, ev[:10])
    say("  answer:", r)
    check(st == 200 and r["ok"] and r["stored"] == 10 and r["last_seq"] == 10, "200, 10 stored, last_seq 10")
    check(len(stored()) == 10, "10 rows in events")

    say("== the same batch again (replay)")
    st, r = svc.post_events(tok, ev[:10])
    say("  answer:", r)
    check(st == 200 and r["stored"] == 0 and r["duplicates"] == 10 and r["last_seq"] == 10,
          "200, acknowledged as 10 duplicates")
    check(len(stored()) == 10, "still 10 rows")

    say("== overlap: 5 already stored + 5 new")
    st, r = svc.post_events(tok, ev[5:15])
    say("  answer:", r)
    check(st == 200 and r["stored"] == 5 and r["duplicates"] == 5 and r["last_seq"] == 15, "5 new, 5 duplicates")

    say("== a replay whose content differs (a validly sealed other chain)")
    other = seal("CAB1", [{"type": "operator.login", "actor": "EVIL", "data": {"method": "pin"}}])
    st, r = svc.post_events(tok, other)
    say("  answer:", st, r)
    check(st == 409 and r["error"] == "conflict" and "different content" in r["message"], "409 conflict")
    check(r["last_seq"] == 15 and len(stored()) == 15, "nothing changed: 15 rows")

    say("== a sequence gap (16 missing)")
    before = stored()
    st, r = svc.post_events(tok, ev[16:18])
    say("  answer:", st, r)
    check(st == 409 and r["error"] == "gap" and "expected event 16, got 17" in r["message"], "409 gap, names 16/17")
    check(stored() == before, "nothing stored past the gap")

    say("== a chain break (event 16 altered after sealing)")
    bad = json.loads(ev[15])
    bad["key"] = "K-SWAPPED"
    st, r = svc.post_events(tok, [ev[15].replace(ev[15], json.dumps(bad))] + ev[16:18])
    say("  answer:", st, r)
    check(st == 409 and r["error"] == "chain_break" and "event 16" in r["message"], "409 chain_break at 16")
    check(stored() == before, "nothing stored")

    say("== a batch whose middle breaks: the valid prefix is stored, nothing past the break")
    b2 = json.loads(ev[17])
    b2["prev"] = "f" * 64
    st, r = svc.post_events(tok, [ev[15], ev[16], json.dumps(b2), ev[18]])
    say("  answer:", st, r)
    check(st == 409 and r["error"] == "chain_break" and r["stored"] == 2 and r["last_seq"] == 17,
          "409, 16 and 17 stored, 18 refused, 19 not looked at")
    check([s for s, _ in stored()] == list(range(1, 18)), "events 1..17 stored, in order")

    say("== the alarms were raised, once each")
    al = svc.sql("SELECT kind, seq FROM ingest_alarms ORDER BY id")
    say("  ingest_alarms:", al)
    check(("conflict", 1) in al and ("gap", 17) in al and ("chain_break", 16) in al and ("chain_break", 18) in al,
          "conflict/gap/chain_break alarms recorded")
    st, r = svc.post_events(tok, ev[18:19])
    check(st == 409 and len(svc.sql("SELECT 1 FROM ingest_alarms")) == len(al) + 1, "a new gap, one new alarm")
    svc.post_events(tok, ev[18:19])
    check(len(svc.sql("SELECT 1 FROM ingest_alarms")) == len(al) + 1, "the same gap again: no second alarm")
    st, rep = svc.report("now", SUP)
    check(len(section(rep, "ingest_alarms")["rows"]) == len(al) + 1, "alarms shown in the Now report")

    say("== malformed JSON")
    for raw, what in (('[{"v":1,', "truncated"), ("not json", "garbage"), ('{"v":1}', "an object, not an array"),
                      ("[1,2]", "numbers"), ('[{"seq":"x"}]', "seq a string")):
        st, r = svc.post_events(tok, None, raw=raw)
        say("  %s -> %s %s" % (what, st, r.get("message")))
        check(st == 400 and r["error"] in ("malformed", "invalid"), "%s: 400" % what)
    check(len(stored()) == 17, "still 17 rows")

    say("== an event with a bad member (kind a number)")
    bad = seal("CAB1", [{"type": "slot.removed", "kind": 5}], 18, stored()[-1][1])
    st, r = svc.post_events(tok, bad)
    say("  answer:", st, r)
    check(st == 400 and r["error"] == "invalid" and "kind" in r["message"], "400 invalid, names the member")

    say("== tokens")
    st, r = svc.post_events(None, ev[17:19])
    say("  missing:", st, r)
    check(st == 401 and r["error"] == "unauthorized", "missing token: 401")
    st, r = svc.post_events("0" * 64, ev[17:19])
    say("  wrong:", st, r)
    check(st == 401, "wrong token: 401")
    st, r = svc.post_events(tok2, ev[17:19])
    say("  another cabinet's token:", st, r)
    check(st == 403 and r["error"] == "cabinet", "events of CAB1 with CAB2's token: 403")
    check(len(stored()) == 17 and not svc.sql("SELECT 1 FROM events WHERE cabinet = 'CAB2'"), "nothing stored")

    say("== a body over the limit (64 KiB here)")
    big = seal("CAB1", [{"type": "slot.removed", "data": {"pad": "x" * 1000}}] * 100, 18, stored()[-1][1])
    st, r = svc.post_events(tok, big)
    say("  answer:", st, r)
    check(st == 413 and r["error"] == "too_large", "413")
    check(len(stored()) == 17, "nothing stored")
    st, r = svc.post_events(tok, big[:10])
    check(st == 200 and r["last_seq"] == 27, "a smaller batch of the same goes through")
    st, r = svc.post_events(tok, ev[17:19])
    check(st == 409 and r["error"] == "conflict", "the old 18/19 are now a conflict (the other 18 is stored)")

    say("== filter values that look like SQL")
    n = len(svc.sql("SELECT 1 FROM events"))
    for v in ("' OR 1=1 --", "K1'; DROP TABLE events; --", "\" OR \"\"=\"", "1) UNION SELECT * FROM users --"):
        st, rep = svc.report("keylog", SUP, key=v)
        check(st == 200 and section(rep, "events")["total"] == 0, "keylog key=%r: 200, no rows" % v)
        st, rep = svc.report("vacant", SUP, site=v)
        check(st == 200 and section(rep, "sites")["rows"] == [], "vacant site=%r: no rows" % v)
    st, rep = svc.report("keylog", SUP, **{"from": "2026-01-01' OR '1'='1"})
    say("  from=...:", st, rep.get("message"))
    check(st == 400 and rep["error"] == "bad_parameter", "a bad time: 400 bad_parameter")
    st, rep = svc.report("vacant", SUP, month="2026-13")
    check(st == 400 and "month" in rep["message"], "a bad month: 400")
    check(len(svc.sql("SELECT 1 FROM events")) == n and len(svc.sql("SELECT 1 FROM users")) == 1,
          "events and users intact")
    st, rep = svc.report("keylog", SUP, key="K1")
    check(st == 200 and section(rep, "events")["total"] == 1, "keylog key=K1: its one event")

    say("== the chain is intact after all that")
    r = svc.cmd("verify-chain", "CAB1")
    say("  " + r.stdout.strip())
    check(r.returncode == 0 and "27 events" in r.stdout, "verify-chain: intact, 27 events")

    say("== an event sealed in the chain but lacking a member the reports need (fuzz finding F1)")
    ev2 = seal("CAB2", [
        {"type": "id.held", "person": "P1", "key": "K1", "data": {"id_type": "id_card"}},  # no data.loan
        {"type": "id.held", "person": "P2", "key": "K2",
         "data": {"loan": 7, "id_type": "id_card", "id_masked": "**************002X"}},
    ])
    st, r = svc.post_events(tok2, ev2)
    say("  answer:", st, r)
    check(st == 200 and r["stored"] == 2 and r["last_seq"] == 2,
          "200: both stored, the cabinet's log goes on past it")
    check(len(svc.sql("SELECT 1 FROM events WHERE cabinet = 'CAB2'")) == 2, "both in the log")
    alarms = svc.sql("SELECT kind, seq, message FROM ingest_alarms WHERE cabinet = 'CAB2'")
    say("  alarm:", alarms)
    check(len(alarms) == 1 and alarms[0][0] == "underivable" and alarms[0][1] == 1
          and "left out of the reports" in alarms[0][2], "an 'underivable' alarm names event 1")
    held = svc.sql("SELECT loan FROM ids_held WHERE cabinet = 'CAB2'")
    check(held == [(7,)], "only the complete event is in the report tables (IDs held: loan 7)")
    check(svc.cmd("verify-chain", "CAB2").returncode == 0, "CAB2's chain is intact")

    say("== a real number in data, sealed with a right hash: refused, nothing stored")
    head = svc.sql("SELECT last_seq, last_hash FROM cabinets WHERE id = 'CAB2'")[0]
    ev3 = seal("CAB2", [{"type": "release.granted", "key": "K3", "data": {"loan": 8, "window_ms": 10000.5}}],
               3, head[1])
    st, r = svc.post_events(tok2, ev3)
    say("  answer:", st, r)
    check(st == 400 and r.get("error") == "invalid" and "data.window_ms" in r.get("message", "")
          and "integers only" in r.get("message", ""), "400 invalid, naming data.window_ms: integers only")
    check(svc.sql("SELECT last_seq, last_hash FROM cabinets WHERE id = 'CAB2'")[0] == head and
          len(svc.sql("SELECT 1 FROM events WHERE cabinet = 'CAB2'")) == 2 and
          svc.sql("SELECT count(*) FROM loans WHERE cabinet = 'CAB2'") == [(0,)],
          "nothing stored: head, events and loans as before")

    say("== report auth")
    st, _, _ = svc.request("GET", "/api/v1/reports/now")
    check(st == 401, "reports without credentials: 401")
    st, _, _ = svc.request("GET", "/api/v1/reports/now", user=("sup", "wrong-password"))
    check(st == 401, "wrong password: 401")
    st, _, _ = svc.request("POST", "/api/v1/cabinets", {"id": "X"}, user=SUP)
    check(st == 403, "a supervisor cannot register cabinets: 403")

    say("== the shared HTTP layer: headers on every answer, a log line per refusal")
    st, h, _ = svc.request("GET", "/api/v1/reports/now", user=SUP)
    want = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin", "cache-control": "no-store"}
    check(st == 200 and all(h.get(k) == v for k, v in want.items()) and "frame-ancestors 'none'" in
          h.get("content-security-policy", ""), "a JSON answer carries the security headers: %s" % h)
    st, _, _ = svc.request("POST", "/api/v1/cabinets", {"id": "Y"}, user=SUP,
                           headers={"Content-Type": "application/json; charset=latin1"})
    check(st == 415, "an API write with another charset than utf-8: 415 (%s)" % st)
    log = svc.log_text()
    check("POST /api/v1/events 413" in log, "the 413 is logged: POST /api/v1/events 413")
    check("GET /api/v1/reports/keylog 400" in log, "a bad filter is logged: GET /api/v1/reports/keylog 400")
    check("OR '1'='1" not in log and "2026-01-01" not in log, "without its query")

    say("== secrets never in the log")
    log = svc.log_text()
    check(tok not in log and tok2 not in log, "no cabinet token in the log")
    check("sup-password-1" not in log and "wrong-password" not in log, "no password in the log")
finally:
    svc.stop()
finish()
