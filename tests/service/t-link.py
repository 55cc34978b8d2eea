#!/usr/bin/env python3
"""The link between a cabinet's outbox and keyauditd (controller/forward.c
run by kc-forward-test, a real keyauditd over HTTP, real SQLite files):

- only a 2xx whose last_seq lies within the batch acknowledges: a rogue
  endpoint answering 500 or 200 with a huge last_seq deletes nothing;
- a refusal (409, 413 for one event) is a stuck state, nothing deleted;
- a service restored from an older backup gets the events it lost again
  (acknowledged events are kept for a retention window); past the window
  that is a stuck state, not a silent gap;
- a cabinet re-initialised under the same id, and one restored from an
  older backup: stuck and visible, then `keyauditd new-epoch`, then every
  event of both chains stored once and verified;
- repeated ingest alarms of a cabinet coalesce into one open alarm and
  one notice;
- an idle connection is let go; plain http:// to another machine is
  refused unless allowed."""
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import FWD, Service, check, fill, finish, forward, say, seal, section

SUP = ("sup", "sup-password-1")


def rows(db, q, *a):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(q, a).fetchall()
    finally:
        con.close()


def unacked(db):
    try:
        return rows(db, "SELECT count(*) FROM outbox WHERE acked_ms IS NULL")[0][0]
    except sqlite3.OperationalError:  # an outbox without retention: every row waits
        return rows(db, "SELECT count(*) FROM outbox")[0][0]


def outbox_all(db):
    return rows(db, "SELECT seq, body FROM outbox ORDER BY seq")


def sealed(db):
    out = subprocess.run([FWD, "hashes", db], capture_output=True, text=True, check=True).stdout
    return [(int(a), b) for a, b in (l.split() for l in out.splitlines())]


def run_for(db, url, tok, seconds, *extra):
    """The forwarder for a while; returns its last status line."""
    p = subprocess.Popen([FWD, "run", db, url, tok, "--backoff-min", "50", "--backoff-max", "200"] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)
    p.terminate()
    out, _ = p.communicate(20)
    return out.strip().splitlines()[-1] if out.strip() else ""


def copy_db(src, dst):
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(dst + ext):
            os.unlink(dst + ext)
        if os.path.exists(src + ext):
            shutil.copy(src + ext, dst + ext)


class Rogue(http.server.BaseHTTPRequestHandler):
    answer = (500, {"last_seq": 1000000000})
    posts = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Rogue.posts += 1
        st, body = Rogue.answer
        data = json.dumps(body).encode()
        self.send_response(st)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


svc = Service(body_limit=65536)
try:
    svc.add_user("sup", "supervisor", SUP[1])
    toks = {c: svc.add_cabinet(c) for c in ("CAB-R", "CAB-S", "CAB-E", "CAB-B", "CAB-G", "CAB-O")}
    svc.start()
    port = svc.port
    tmp = svc.tmp

    say("== a rogue endpoint at the audit URL: 500 / 200 with last_seq 1000000000")
    rdb = os.path.join(tmp, "rogue.db")
    fill(rdb, "CAB-R", count=40)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Rogue)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rurl = "http://127.0.0.1:%d" % srv.server_address[1]
    before = outbox_all(rdb)
    for st in (500, 200, 409, 201):
        Rogue.answer = (st, {"last_seq": 1000000000, "error": "conflict", "message": "rogue"})
        Rogue.posts = 0
        line = run_for(rdb, rurl, toks["CAB-R"], 1.0)
        say("  %d: %s" % (st, line))
        check(Rogue.posts > 0 and outbox_all(rdb) == before and unacked(rdb) == 40,
              "HTTP %d with last_seq 1000000000: all 40 events still in the outbox, none acknowledged" % st)
        check(" state online" not in line, "the forwarder does not call that online")
    Rogue.answer = (200, {"ok": True})
    run_for(rdb, rurl, toks["CAB-R"], 0.6)
    check(unacked(rdb) == 40, "a 200 without last_seq acknowledges nothing either")
    Rogue.answer = (200, {"last_seq": 20})
    line = run_for(rdb, rurl, toks["CAB-R"], 0.6, "--batch", "30")
    say("  200 with last_seq 20 for 1..30:", line)
    check(unacked(rdb) == 20 and rows(rdb, "SELECT count(*) FROM outbox")[0][0] == 40,
          "a 200 with last_seq 20 within 1..30 acknowledges 1..20, and they are kept (retention)")
    srv.shutdown()

    say("== one event over the service's body limit: stuck too_large, nothing deleted")
    odb = os.path.join(tmp, "oversize.db")
    fill(odb, "CAB-O", [{"type": "operator.login", "actor": "S01"},
                        {"type": "slot.fault", "slot": "A1", "data": {"board": 1, "detail": "x" * 80000}},
                        {"type": "operator.login", "actor": "S01"}])
    before = outbox_all(odb)
    line = run_for(odb, svc.url, toks["CAB-O"], 1.5)
    say("  " + line)
    check("state stuck too_large" in line, "a single event the service refuses as too large: stuck too_large")
    check(outbox_all(odb) == before and unacked(odb) == 2,
          "the event before it is acknowledged; the oversize one and the one after stay, unacknowledged")
    check(svc.sql("SELECT count(*) FROM events WHERE cabinet = 'CAB-O'")[0][0] == 1,
          "the service stored only the event before it")

    say("== the real service has none of them: a gap, and with no retention 1..20 are gone here")
    line = run_for(rdb, svc.url, toks["CAB-R"], 1.5, "--keep", "0")
    say("  " + line)
    check("state stuck not_retained" in line or "state stuck gap" in line,
          "the service lacks 1..20 and the cabinet no longer keeps them: stuck, not a silent gap")
    check(unacked(rdb) == 20, "the 20 unacknowledged stay")

    say("== 300 crafted gaps in a burst: one open alarm, one notice, the repeats counted")
    ev = seal("CAB-G", [{"type": "operator.login", "actor": "S01"}] * 5)
    st, r = svc.post_events(toks["CAB-G"], ev[:2])
    check(st == 200 and r["last_seq"] == 2, "2 stored")
    gaps = seal("CAB-G", [{"type": "operator.login", "actor": "S01"}] * 300, 10, "0" * 64)
    t0 = time.time()
    for g in gaps:  # events 10..309, each alone: 300 different gaps
        st, r = svc.post_events(toks["CAB-G"], [g])
    say("  300 gaps in %.2f s; last answer %s %s" % (time.time() - t0, st, r.get("error")))
    al = svc.sql("SELECT kind, seq, repeats, cleared_ms FROM ingest_alarms WHERE cabinet = 'CAB-G'")
    say("  alarms:", al)
    check(al == [("gap", 10, 299, None)], "one open gap alarm with 299 repeats")
    n = svc.sql("SELECT count(*) FROM notices WHERE cabinet = 'CAB-G'")[0][0]
    check(n == 1, "one webhook notice (%d)" % n)
    st, rep = svc.report("now", SUP)
    cab = [x for x in section(rep, "cabinets")["rows"] if x["cabinet"] == "CAB-G"][0]
    say("  Now report:", cab)
    check(cab["link"] == "stuck: gap", "the Now report shows the cabinet stuck on a gap")
    st, r = svc.post_events(toks["CAB-G"], ev[2:5])
    check(st == 200 and r["last_seq"] == 5, "the missing event comes: 3..5 stored")
    al = svc.sql("SELECT kind, cleared_ms IS NOT NULL FROM ingest_alarms WHERE cabinet = 'CAB-G'")
    check(al == [("gap", 1)], "the gap alarm is cleared")
    st, rep = svc.report("now", SUP)
    cab = [x for x in section(rep, "cabinets")["rows"] if x["cabinet"] == "CAB-G"][0]
    check(cab["link"] == "ok", "the Now report shows the link ok again")

    say("== a service restored from an older backup")
    sdb = os.path.join(tmp, "cab-s.db")
    fill(sdb, "CAB-S", count=100)
    r = forward(sdb, svc.url, toks["CAB-S"], 30)
    check(r.returncode == 0 and unacked(sdb) == 0, "100 acknowledged")
    svc.stop()
    copy_db(svc.db, os.path.join(tmp, "audit-backup.db"))
    svc.start(port=port)
    fill(sdb, "CAB-S", count=100)
    r = forward(sdb, svc.url, toks["CAB-S"], 30)
    check(r.returncode == 0 and unacked(sdb) == 0, "100 more acknowledged (the backup does not have them)")
    svc.stop()
    copy_db(os.path.join(tmp, "audit-backup.db"), svc.db)
    svc.start(port=port)
    check(svc.sql("SELECT last_seq FROM cabinets WHERE id = 'CAB-S'")[0][0] == 100, "the restored service has 100")
    fill(sdb, "CAB-S", count=10)
    r = forward(sdb, svc.url, toks["CAB-S"], 30)
    say("  " + r.stdout.strip().splitlines()[-1])
    s = svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-S' ORDER BY seq")
    check(r.returncode == 0 and s == sealed(sdb) and len(s) == 210,
          "the cabinet sent again what the service lost: 210 stored once each, same hashes")
    check(svc.cmd("verify-chain", "CAB-S").returncode == 0, "verify-chain intact")

    say("== a cabinet re-initialised under the same id (a lost SD card)")
    edb = os.path.join(tmp, "cab-e.db")
    fill(edb, "CAB-E", count=60)
    check(forward(edb, svc.url, toks["CAB-E"], 30).returncode == 0, "60 events of the first chain stored")
    old = sealed(edb)
    edb2 = os.path.join(tmp, "cab-e-new.db")
    fill(edb2, "CAB-E", count=45)
    line = run_for(edb2, svc.url, toks["CAB-E"], 1.5)
    say("  " + line)
    check("state stuck conflict" in line and unacked(edb2) == 45, "stuck on a conflict; all 45 new events kept")
    st, rep = svc.report("now", SUP)
    cab = [x for x in section(rep, "cabinets")["rows"] if x["cabinet"] == "CAB-E"][0]
    check(cab["link"] == "stuck: conflict", "the Now report shows it stuck")
    r = svc.cmd("new-epoch", "CAB-E")
    say("  " + (r.stdout + r.stderr).strip())
    check(r.returncode == 0, "keyauditd new-epoch CAB-E")
    r2 = svc.cmd("new-epoch", "CAB-E")
    check(r2.returncode == 1 and "no event yet" in r2.stderr, "a second new-epoch before any event: refused")
    r = forward(edb2, svc.url, toks["CAB-E"], 30)
    say("  " + r.stdout.strip().splitlines()[-1])
    check(r.returncode == 0 and unacked(edb2) == 0, "the new chain drains")
    check(svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-E' ORDER BY seq") == old,
          "the first chain: 60 events, unchanged")
    check(svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-E~2' ORDER BY seq") == sealed(edb2),
          "the new chain: 45 events, stored once, as epoch 2")
    r = svc.cmd("verify-chain", "CAB-E")
    say("  " + r.stdout.strip())
    check(r.returncode == 0 and "105 events" in r.stdout and "epoch 2: events 1..45" in r.stdout,
          "verify-chain: both epochs intact")
    st, rep = svc.report("now", SUP)
    cab = [x for x in section(rep, "cabinets")["rows"] if x["cabinet"] == "CAB-E"][0]
    check(cab["link"] == "ok" and cab["last_seq"] == 45, "the Now report: link ok, head 45")

    say("== a cabinet restored from an older backup (its chain forks)")
    bdb = os.path.join(tmp, "cab-b.db")
    fill(bdb, "CAB-B", count=30)
    check(forward(bdb, svc.url, toks["CAB-B"], 30).returncode == 0, "30 stored")
    copy_db(bdb, os.path.join(tmp, "cab-b-backup.db"))
    fill(bdb, "CAB-B", count=20)
    check(forward(bdb, svc.url, toks["CAB-B"], 30).returncode == 0, "50 stored")
    first = sealed(bdb)
    copy_db(os.path.join(tmp, "cab-b-backup.db"), bdb)
    rows_db = sqlite3.connect(bdb)
    rows_db.execute("DELETE FROM sealed WHERE seq > 30")  # the test's own log follows the restored file
    rows_db.commit()
    rows_db.close()
    fill(bdb, "CAB-B", count=25)  # 31..55, a different chain from 31 on
    line = run_for(bdb, svc.url, toks["CAB-B"], 1.5)
    say("  " + line)
    check("state stuck conflict" in line and unacked(bdb) == 25, "stuck on a conflict; the 25 new events kept")
    check(svc.cmd("new-epoch", "CAB-B").returncode == 0, "keyauditd new-epoch CAB-B")
    r = forward(bdb, svc.url, toks["CAB-B"], 30)
    check(r.returncode == 0 and unacked(bdb) == 0, "the forked chain drains")
    check(svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-B' ORDER BY seq") == first,
          "epoch 1 keeps its 50 events")
    check(svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-B~2' ORDER BY seq") == sealed(bdb)[30:],
          "epoch 2 holds 31..55 of the restored cabinet, once each")
    r = svc.cmd("verify-chain", "CAB-B")
    say("  " + r.stdout.strip())
    check(r.returncode == 0 and "75 events" in r.stdout and "epoch 2: events 31..55" in r.stdout,
          "verify-chain: both epochs intact, the second anchored at 31")

    say("== an idle connection is let go")
    fill(sdb, "CAB-S", count=5)
    p = subprocess.Popen([FWD, "run", sdb, svc.url, toks["CAB-S"], "--idle-close", "1000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def conns():
        out = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%d )" % port],
                             capture_output=True, text=True).stdout
        return len([l for l in out.splitlines() if l.strip()])
    time.sleep(0.7)
    busy = conns()
    time.sleep(2.5)
    idle = conns()
    p.terminate()
    p.wait(20)
    say("  connections to the service: %d after sending, %d after 3 s idle" % (busy, idle))
    check(unacked(sdb) == 0 and busy == 1 and idle == 0, "the connection is closed once idle")

    say("== plain http:// to another machine")
    r = subprocess.run([FWD, "run", sdb, "http://192.0.2.1:8080", "x", "--until-empty", "1"],
                       capture_output=True, text=True)
    say("  " + r.stderr.strip())
    check(r.returncode != 0 and "allow_plain_http" in r.stderr, "refused, naming allow_plain_http")
    r = subprocess.run([FWD, "run", sdb, "http://192.0.2.1:8080", "x", "--plain-http", "1", "--until-empty", "1"],
                       capture_output=True, text=True)
    check("allow_plain_http" not in r.stderr and "final:" in r.stdout, "allowed when configured")
finally:
    svc.stop()
finish()
