#!/usr/bin/env python3
"""The crash test's driver: release and return cycles against keycabd on
keycab-sim, with keycabd killed (SIGKILL) at random moments and restarted
each time, as systemd would (ExecStopPost=keycab-hw off, then a restart).

Env: KEYCAB_BIN, KEYCAB_SOCKET, SIM_CONTROL, KCD_CONF, CAB_CONF, DB,
KCD_LOG, CRASH_CYCLES (500), CRASH_KILLS (50), CRASH_SEED.
Prints what it did; the invariants are checked by t-crash.sh afterwards."""
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import simctl  # noqa: E402  (tests/simctl.py)

BIN = os.environ["KEYCAB_BIN"]
SOCK = os.environ["KEYCAB_SOCKET"]
SIM = os.environ["SIM_CONTROL"]
CONF = os.environ["KCD_CONF"]
CAB = os.environ["CAB_CONF"]
DB = os.environ["DB"]
LOG = os.environ["KCD_LOG"]
CYCLES = int(os.environ.get("CRASH_CYCLES", "500"))
KILLS = int(os.environ.get("CRASH_KILLS", "50"))
rng = random.Random(int(os.environ.get("CRASH_SEED", str(int(time.time())))))

# vacant keys: tag slots (Modbus TCP), Waveshare RTU and generic RTU slots
KEYS = {"K-HY-1-103": ("A07", 0x1007), "K-HY-1-104": ("A08", 0x1008),
        "K-HY-1-108": ("B01", 0), "K-HY-2-102": ("B02", 0), "K-HY-2-105": ("B03", 0),
        "K-LJ-5-103": ("C04", 0), "K-LJ-5-106": ("C05", 0), "K-HY-2-109": ("C06", 0)}


def sim(cmd):
    return simctl.command(SIM, cmd, timeout=5)


def request(req):
    """One request to keycabd; None when it is not there (killed)."""
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(SOCK)
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            c = s.recv(65536)
            if not c:
                return None
            buf += c
        s.close()
        return json.loads(buf)
    except OSError:
        return None


def key_state(key):
    db = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    try:
        r = db.execute("SELECT state, coalesce(slot, '') FROM keys WHERE code = ?", (key,)).fetchone()
    finally:
        db.close()
    return r


def present(slot):
    for part in sim("state").split()[1:]:
        name, rest = part.split("=", 1)
        if name == slot:
            return "present" in rest
    return False


def wait(cond, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


class Daemon:
    def __init__(self):
        self.proc = None
        self.kills = 0

    def start(self):
        log = open(LOG, "a")
        self.proc = subprocess.Popen([BIN + "/keycabd", "-c", CONF], stdout=log, stderr=log)
        if not wait(lambda: request({"op": "ping"}) is not None, 20):
            sys.exit("keycabd did not come back after a restart")
        # the first scan of every board, so slots are known again
        wait(lambda: all(s["presence"] != "unknown"
                         for s in (request({"op": "slots"}) or {}).get("slots", [{"presence": "unknown"}])), 10)

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.kills += 1
        # what systemd's ExecStopPost does: every lock off, whatever state
        subprocess.run([BIN + "/keycab-hw", "-c", CAB, "off"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        self.start()

    def stop(self):
        self.proc.terminate()
        return self.proc.wait()


def login():
    r = request({"op": "login", "person": "S01", "pin": "1111"})
    return r["session"]


def reconcile(d):
    """After a restart: put back every key that is out (a return), so the
    next cycles have keys to release; keys mid-release settle by themselves."""
    for key, (slot, tag) in KEYS.items():
        st = key_state(key)
        if st and st[0] in ("out", "missing") and not present(slot):
            sim("insert %s %d" % (slot, tag))
            wait(lambda: key_state(key)[0] == "in", 5)


def main():
    d = Daemon()
    d.start()
    session = login()
    kill_at = {}
    for c in rng.sample(range(CYCLES), min(KILLS, CYCLES)):
        kill_at[c] = (rng.choice(["release", "taken", "returned"]), rng.random() * 0.03)
    granted = refused = lost = 0
    reasons = {}
    t0 = time.monotonic()
    carried = None
    for cycle in range(CYCLES):
        # a kill planned for a cycle that did not get that far moves on
        plan = kill_at.get(cycle) or carried
        carried = plan
        candidates = [k for k in KEYS if (key_state(k) or ("",))[0] == "in" and present(KEYS[k][0])
                      and sim("coil " + KEYS[k][0]) == "OK off"]
        if not candidates:
            # every key is on its way; one comes free within a window
            time.sleep(0.1)
            continue
        key = rng.choice(candidates)
        slot, tag = KEYS[key]

        def maybe_kill(phase):
            nonlocal carried
            if plan and plan[0] == phase:
                carried = None
                time.sleep(plan[1])
                d.kill()
                reconcile(d)
                return True
            return False

        req = {"op": "release", "session": session, "key": key, "purpose": "inspection",
               "borrower": "E01", "due_in_s": 3600}
        if plan and plan[0] == "release":
            carried = None
            # the kill lands while the request is being decided and committed
            import threading
            t = threading.Timer(plan[1] / 3, d.kill)
            t.start()
            r = request(req)
            t.join()
            reconcile(d)
            lost += r is None
            continue
        r = request(req)
        if r is None:
            lost += 1
            continue
        if not r.get("ok"):
            refused += 1
            reasons[r.get("reason", r.get("error", "?"))[:70]] = reasons.get(r.get("reason", r.get("error", "?"))[:70], 0) + 1
            continue
        granted += 1
        if not wait(lambda: sim("coil " + slot) == "OK on", 3):
            continue
        sim("remove " + slot)
        if maybe_kill("taken"):
            continue
        wait(lambda: key_state(key)[0] == "out", 5)
        sim("insert %s %d" % (slot, tag))
        if maybe_kill("returned"):
            continue
        wait(lambda: key_state(key)[0] == "in", 5)
        if (cycle + 1) % 100 == 0:
            print("%d cycles, %d kills, %.0f s" % (cycle + 1, d.kills, time.monotonic() - t0), flush=True)
    # let every window settle, every key come home, then stop cleanly
    reconcile(d)
    wait(lambda: all(key_state(k)[0] == "in" for k in KEYS), 15)
    print("cycles %d: granted %d, refused %d, requests lost to a kill %d, kills %d" %
          (CYCLES, granted, refused, lost, d.kills))
    for why, n in sorted(reasons.items(), key=lambda x: -x[1]):
        print("  refused %d x: %s" % (n, why))
    rc = d.stop()
    if rc != 0:
        sys.exit("keycabd exited %d on SIGTERM" % rc)


main()
