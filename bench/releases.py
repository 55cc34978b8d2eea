#!/usr/bin/env python3
"""The release benchmarks' loop: releases of the bench estate's vacant
keys (bench/estate.sh) on keycabd's socket ($KEYCAB_SOCKET), K01-K24 in
turn, each once its key is back in (its window not taken). Writes one
line a release to OUT: its slot, when the request was written and when
the reply came (monotonic microseconds). A refusal (the slot still
pulsing) is retried and counted. Usage: releases.py DIR N OUT"""
import json, os, socket, sqlite3, sys, time

T, N, out = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "w")
sock = os.environ["KEYCAB_SOCKET"]


def req(o):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    t0 = time.monotonic_ns() // 1000
    s.sendall((json.dumps(o) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(65536)
    t1 = time.monotonic_ns() // 1000
    s.close()
    return t0, t1, json.loads(buf)


_, _, r = req({"op": "login", "person": "S01", "pin": "1234"})
session = r["session"]
db = sqlite3.connect(T + "/keycab.db", timeout=10)
i = refusals = 0
while i < N:
    k = "K%02d" % (i % 24 + 1)
    while db.execute("SELECT state FROM keys WHERE code=?", (k,)).fetchone()[0] != "in":
        time.sleep(0.002)
    t0, t1, r = req({"op": "release", "session": session, "key": k, "purpose": "inspection",
                     "borrower": "S01", "due_in_s": 3600})
    if not r.get("ok"):
        refusals += 1
        time.sleep(0.01)
        continue
    out.write("%s %d %d\n" % (r["slot"], t0, t1))
    i += 1
out.close()
print("  %d refusals (slot still pulsing) retried" % refusals)
