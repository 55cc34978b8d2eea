#!/usr/bin/env python3
"""The forwarder (controller/forward.c, run by kc-forward-test against a
controller-like outbox) through a service restart, a service crash, a
forwarder restart and a long outage: in the end every sealed event is
stored once, in order, with the same hashes, the chain intact, the outbox
empty."""
import os
import signal
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import FWD, Service, check, fill, finish, forward, say

svc = Service(body_limit=65536)
fwd = None
try:
    tok = svc.add_cabinet("CAB-F")
    svc.start()
    port = svc.port
    cdb = os.path.join(svc.tmp, "controller.db")

    def stored():
        return svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-F' ORDER BY seq")

    def sealed():
        out = subprocess.run([FWD, "hashes", cdb], capture_output=True, text=True, check=True).stdout
        return [(int(a), b) for a, b in (l.split() for l in out.splitlines())]

    def outbox():
        import sqlite3
        con = sqlite3.connect(cdb, timeout=10)
        n = con.execute("SELECT count(*) FROM outbox WHERE acked_ms IS NULL").fetchone()[0]
        con.close()
        return n

    say("== 300 events, service up")
    fill(cdb, "CAB-F", count=300)
    r = forward(cdb, svc.url, tok, 60)
    say("  " + r.stdout.strip().splitlines()[-1])
    check(r.returncode == 0 and outbox() == 0, "outbox drained")
    check(stored() == sealed() and len(stored()) == 300, "300 stored, same hashes")

    say("== 50 big events (3 KB each) with a 64 KiB body limit: the forwarder halves its batch on 413")
    fill(cdb, "CAB-F", [{"type": "slot.fault", "slot": "A1", "data": {"board": 1, "detail": "x" * 3000}}] * 50)
    r = forward(cdb, svc.url, tok, 60)
    say("  " + r.stdout.strip().splitlines()[-1])
    check(r.returncode == 0 and outbox() == 0 and len(stored()) == 350, "all 350 stored")
    check("413" in svc.log_text(), "the service answered 413 first")

    say("== a forwarder in the background, events added all along")
    flog = open(os.path.join(svc.tmp, "fwd.log"), "w")

    def start_fwd():
        return subprocess.Popen([FWD, "run", cdb, svc.url, tok, "--batch", "50", "--backoff-min", "100",
                                 "--backoff-max", "800"], stdout=flog, stderr=flog)
    fwd = start_fwd()
    fill(cdb, "CAB-F", count=500)
    time.sleep(0.5)

    say("== service restart (SIGTERM) while events keep coming")
    svc.stop()
    fill(cdb, "CAB-F", count=400)
    time.sleep(1.0)
    svc.start(port=port)
    fill(cdb, "CAB-F", count=400)
    time.sleep(0.5)

    say("== service crash (SIGKILL) in the middle of a stream")
    before = len(stored())
    fill(cdb, "CAB-F", count=2000)
    deadline = time.time() + 10
    while len(stored()) == before and time.time() < deadline:
        time.sleep(0.002)
    os.kill(svc.proc.pid, signal.SIGKILL)
    svc.proc.wait()
    svc.logf.close()
    svc.proc = None
    n_at_crash = len(stored())
    say("  stored at the crash: %d (%d of the 2000 new ones), outbox %d" % (n_at_crash, n_at_crash - before,
                                                                         outbox()))

    say("== a long outage: 8 s, many backoff periods; the forwarder restarts during it")
    fill(cdb, "CAB-F", count=300)
    time.sleep(3)
    os.kill(fwd.pid, signal.SIGTERM)
    check(fwd.wait(20) == 0, "the forwarder stops cleanly on SIGTERM, mid-outage")
    fwd = start_fwd()
    time.sleep(5)
    pending_in_outage = outbox()
    check(pending_in_outage > 0, "events wait in the outbox during the outage (%d)" % pending_in_outage)
    svc.start(port=port)

    say("== service back: the forwarder drains the outbox")
    deadline = time.time() + 90
    while outbox() and time.time() < deadline:
        time.sleep(0.2)
    os.kill(fwd.pid, signal.SIGTERM)
    check(fwd.wait(20) == 0, "the forwarder stops cleanly")
    fwd = None
    flog.close()
    text = open(os.path.join(svc.tmp, "fwd.log")).read()
    fails = [l for l in text.splitlines() if "failures" in l and " failures 0" not in l]
    say("  a failure line from the outage:", fails[-1] if fails else None)
    check(len(fails) > 0, "the forwarder saw the outage (consecutive failures, error recorded)")
    check(outbox() == 0, "outbox empty")
    s, e = stored(), sealed()
    check(len(e) == 3950, "3950 events sealed")
    check(len(s) == len(e), "as many stored as sealed: %d / %d (nothing lost, nothing twice)" % (len(s), len(e)))
    check(s == e, "the stored seqs and hashes are exactly the sealed ones, in order")
    r = svc.cmd("verify-chain", "CAB-F")
    say("  " + r.stdout.strip())
    check(r.returncode == 0, "verify-chain: intact")
    check(svc.sql("SELECT last_seq FROM cabinets WHERE id = 'CAB-F'")[0][0] == 3950, "cabinet head is 3950")
    check(tok not in svc.log_text(), "the token is not in the service log")
finally:
    if fwd and fwd.poll() is None:
        fwd.kill()
    svc.stop()
finish()
