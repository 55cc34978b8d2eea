#!/usr/bin/env python3
"""An acknowledged ingest is durable. keyauditd fsyncs before it answers
(synchronous = FULL): strace, attached to the running service, counts an
fsync/fdatasync for every acknowledged batch. And kill -9 between an
answer and the next batch, in a loop: after each restart every
acknowledged event is there exactly once, and the same batch sent again
is all duplicates."""
import os
import shutil
import signal
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say, seal

LOGIN = {"type": "operator.login", "actor": "A1", "data": {"method": "pin"}}
BATCHES, SIZE = 20, 25
svc = Service()
try:
    token = svc.add_cabinet("CAB1")
    svc.start()
    events = seal("CAB1", [LOGIN] * (BATCHES * SIZE * 2))

    say("== an fsync for every acknowledged batch")
    if not shutil.which("strace"):
        say("  strace is not installed: skipped")
        base = 0
    else:
        trace = os.path.join(svc.tmp, "strace.out")
        st = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace,
                               "-p", str(svc.proc.pid)], stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # attached
        acked = 0
        for b in range(BATCHES):
            code, body = svc.post_events(token, events[b * SIZE:(b + 1) * SIZE])
            if code == 200 and body.get("last_seq") == (b + 1) * SIZE:
                acked += 1
        time.sleep(0.3)
        st.send_signal(signal.SIGINT)
        st.wait(10)
        with open(trace) as f:
            syncs = [l for l in f if "fsync(" in l or "fdatasync(" in l]
        say("  %d batches acknowledged, %d fsync/fdatasync calls" % (acked, len(syncs)))
        check(acked == BATCHES, "every batch acknowledged")
        check(len(syncs) >= acked, "at least one fsync per acknowledged batch")
        base = BATCHES * SIZE

    say("== kill -9 after each answer, restart, check")
    rounds = 8
    next_seq = base
    for k in range(rounds):
        batch = events[next_seq:next_seq + SIZE]
        code, body = svc.post_events(token, batch)
        os.kill(svc.proc.pid, signal.SIGKILL)
        svc.proc.wait()
        svc.proc = None
        svc.logf.close()
        acked = body.get("last_seq") if code == 200 else None
        if acked:
            next_seq = acked
        svc.start()
        n, distinct, top = svc.sql("SELECT count(*), count(DISTINCT seq), max(seq) FROM events WHERE cabinet = 'CAB1'")[0]
        ok = code == 200 and n == distinct == top == acked
        code2, body2 = svc.post_events(token, batch)
        ok = ok and code2 == 200 and body2.get("duplicates") == SIZE and body2.get("stored") == 0
        check(ok, "round %d: acknowledged up to %s; stored %d events, %d distinct, head %s; resent: %d duplicates"
              % (k + 1, acked, n, distinct, top, body2.get("duplicates", -1)))
finally:
    svc.stop()
finish()
