#!/usr/bin/env python3
"""Notices to webhooks: a receiver in this test fails the first two
attempts of every notice on one hook (then takes it), always fails on a
second hook, and is slow on the first request, to show ingest does not
wait on webhooks. Checks the bodies (JSON with Chinese and English texts
from the templates), the retries with backoff, every attempt recorded,
and the delivery state in the entrustments report."""
import http.server
import json
import os
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, check, fill, finish, forward, say, section, seal

got = []            # (path, time, body)
seen = {}           # (path, notice key) -> attempts so far
lock = threading.Lock()
slow_once = threading.Event()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = (self.path, body["cabinet"], body["seq"], body["type"])
        with lock:
            n = seen[key] = seen.get(key, 0) + 1
            got.append((self.path, time.time(), body, n))
        if self.path == "/flaky" and not slow_once.is_set():
            slow_once.set()
            time.sleep(2)
        ok = self.path == "/flaky" and n > 2
        self.send_response(200 if ok else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=srv.serve_forever, daemon=True).start()
rport = srv.server_address[1]
conf = ("[notify]\nwebhook = http://127.0.0.1:%d/flaky\nwebhook = http://127.0.0.1:%d/down\n"
        "backoff_min_ms = 100\nbackoff_max_ms = 400\nmax_attempts = 3\ntimeout_ms = 5000\n"
        "[templates]\nalarm.en = ALARM {alarm_type} at slot {slot} of cabinet {cabinet}\n") % (rport, rport)
svc = Service(conf_extra=conf)
try:
    to = svc.add_cabinet("CAB-OLD")
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    SUP = ("sup", "sup-password-1")
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    cdb = os.path.join(svc.tmp, "c.db")
    fill(cdb, "CAB-OLD", old)
    r = forward(cdb, svc.url, to, 60)
    check(r.returncode == 0, "the data set's %d events stored" % len(old))

    say("== ingest does not wait on a slow webhook")
    deadline = time.time() + 10
    while not slow_once.is_set() and time.time() < deadline:
        time.sleep(0.02)
    head = svc.sql("SELECT last_seq, last_hash FROM cabinets WHERE id = 'CAB-OLD'")[0]
    extra = seal("CAB-OLD", [{"type": "operator.login", "actor": "S01", "data": {"method": "pin"}}], head[0] + 1, head[1])
    t0 = time.time()
    st, res = svc.post_events(to, extra)
    dt = time.time() - t0
    check(slow_once.is_set() and st == 200 and dt < 1.0, "a batch stored in %.3f s while a webhook hangs for 2 s" % dt)

    say("== waiting for every delivery to finish")
    deadline = time.time() + 60
    while svc.sql("SELECT count(*) FROM deliveries WHERE state = 'pending'")[0][0] and time.time() < deadline:
        time.sleep(0.2)
    d = svc.sql("SELECT d.webhook, d.state, d.attempts, d.last_error, n.type FROM deliveries d"
                " JOIN notices n ON n.id = d.notice_id ORDER BY d.id")
    flaky = [x for x in d if x[0].endswith("/flaky")]
    down = [x for x in d if x[0].endswith("/down")]
    check(len(flaky) == 7 and len(down) == 7, "7 notices, a delivery to each of the 2 hooks")
    check(all(x[1] == "delivered" and x[2] == 3 and x[3] is None for x in flaky),
          "flaky hook: each delivered on the 3rd attempt")
    check(all(x[1] == "failed" and x[2] == 3 and x[3] == "HTTP 500" for x in down),
          "failing hook: each given up after 3 attempts, last error HTTP 500")
    at = svc.sql("SELECT count(*), sum(http_status = 500), sum(http_status = 200) FROM attempts")[0]
    say("  attempts recorded: %d (%d x 500, %d x 200)" % at)
    check(at == (42, 35, 7), "42 attempts recorded: 35 failed, 7 succeeded")

    say("== retries spaced by the backoff (100 ms, then 200 ms)")
    with lock:
        by = {}
        for path, t, body, n in got:
            by.setdefault((path, body["seq"], body["type"]), []).append(t)
    gaps_ok = all(len(ts) == 3 and ts[1] - ts[0] >= 0.09 and ts[2] - ts[1] >= 0.19 for ts in by.values())
    check(gaps_ok, "each notice tried 3 times per hook, gaps >= 100 ms then >= 200 ms")

    say("== what the receiver got")
    bodies = {(b["type"], b["fields"].get("stage")): b for p, t, b, n in got if p == "/flaky"}
    nd = bodies[("notice.due", "before_end")]
    say("  zh: " + nd["text_zh"])
    say("  en: " + nd["text_en"])
    check(nd["notice"] == "before_end" and "业主1" in nd["text_zh"] and "2栋206" in nd["text_zh"] and
          "O6" not in nd["text_zh"] and "Dear 业主1" in nd["text_en"] and "2栋206" in nd["text_en"],
          "entrustment notice: owner and unit (by name, 2栋206, not its code O6) in both languages")
    import re
    check(re.search(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", nd["text_en"]) and "T" not in
          re.search(r"\d{4}-\d\d-\d\d\S*", nd["text_en"]).group(0) and ".000Z" not in nd["text_zh"],
          "the end shows as a date people read (2026-11-25 or 2026-11-25 14:30), not ISO")
    check(nd["fields"]["owner_phone"] == "138****0001" and nd["cabinet"] == "CAB-OLD",
          "the JSON carries the fields, the owner's phone masked (the notifier reads phone_sealed)")
    al = list({b["seq"]: b for p, t, b, n in got if p == "/flaky" and b["type"] == "alarm.raised"}.values())
    say("  alarm en: " + "; ".join(b["text_en"] for b in al))
    check(sorted(b["text_en"] for b in al) == ["ALARM Key in the wrong slot at slot B-O5 of cabinet CAB-OLD",
                                              "ALARM Key taken without a release at slot B-O3 of cabinet CAB-OLD"],
          "alarm notices with the configured English template, the alarm's type as words")
    check(sorted(b["fields"]["alarm_type"] for b in al) == ["tamper", "wrong_slot"],
          "the JSON's fields keep the alarm types' codes")
    check(any(b["type"] == "loan.overdue" and "2栋206" in b["text_zh"] and "KR1" not in b["text_zh"] + b["text_en"]
              for b in bodies.values()), "overdue-loan notice: the key by its unit (2栋206), not its code")
    check(all("123X" not in json.dumps(b) for p, t, b, n in got), "no ID number fragment in any notice")

    say("== delivery state in report 3")
    st, rep = svc.report("entrustments", SUP, type="notice.due")
    s = section(rep, "notices")
    rows = s["rows"]
    say("  " + "; ".join("%s %s %s x%s" % (r["stage"], r["webhook"][-6:], r["state"], r["attempts"]) for r in rows))
    check(len(rows) == 6 and sorted(r["state"] for r in rows) == ["delivered"] * 3 + ["failed"] * 3 and
          all(r["attempts"] == 3 for r in rows), "3 due notices x 2 hooks: delivered / failed, 3 attempts each")
finally:
    svc.stop()
    srv.shutdown()
finish()
