#!/usr/bin/env python3
"""Clients for keycabd's unix socket that misbehave, for t-socket.sh.

    sockcheck.py SCENARIO   (oversize, flood, idle, greedy)

Environment: KEYCAB_SOCKET, KEYCAB_BIN, KCD_PID (keycabd's pid), DB (its
database), IDLE_S (the socket's idle timeout), SUMMARY_S (the failed-login
summary interval). Prints "ok   - ..." or "FAIL - ..." lines like lib.sh.
"""
import hashlib
import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import time

SOCK = os.environ["KEYCAB_SOCKET"]
BIN = os.environ["KEYCAB_BIN"]
PID = int(os.environ["KCD_PID"])
DB = os.environ["DB"]
IDLE_S = float(os.environ.get("IDLE_S", "3"))
SUMMARY_S = float(os.environ.get("SUMMARY_S", "3"))
LIMIT = 32  # KC_PROTO_MAX_CLIENTS
fails = 0


def check(cond, desc):
    global fails
    print(("ok   - " if cond else "FAIL - ") + desc, flush=True)
    if not cond:
        fails += 1


def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    return s


class Lines:
    """Request/reply over one connection."""

    def __init__(self, s=None):
        self.s = s or conn()
        self.buf = b""

    def send(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout=20):
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            c = self.s.recv(1 << 20)
            if not c:
                raise EOFError("keycabd closed the connection")
            self.buf += c
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def ask(self, obj, timeout=20):
        self.send(obj)
        return self.recv(timeout)


def keycab(*args, stdin=None, session=None, timeout=20):
    env = dict(os.environ)
    if session:
        env["KEYCAB_SESSION"] = session
    try:
        return subprocess.run([BIN + "/keycab", *args], input=stdin, env=env, timeout=timeout,
                              capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", "timed out after %d s" % timeout)


def token(person, pin):
    r = keycab("login", person, "--pin-stdin", "--print-token", stdin=pin + "\n")
    return r.stdout.strip() if r.returncode == 0 else None


def db_rows(sql):
    d = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    try:
        return d.execute(sql).fetchall()
    finally:
        d.close()


def events(etype):
    return db_rows("SELECT count(*) FROM outbox WHERE json_extract(body, '$.type') = '%s'"
                   % etype)[0][0]


def state_digest():
    """Everything a request could change, sessions (touched on use) aside."""
    d = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    h = hashlib.sha256()
    for line in d.iterdump():
        if "INTO \"sessions\"" in line or "INTO \"people\"" in line:
            continue
        h.update(line.encode())
    d.close()
    return h.hexdigest()


def rss_kib():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nfds():
    return len(os.listdir("/proc/%d/fd" % PID))


def wait_until(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def oversize():
    tok = token("S01", "1111")
    check(tok is not None, "S01 logs in")
    before = state_digest()
    c = Lines()
    release = {"op": "release", "session": tok, "key": "K-HY-1-104", "purpose": "inspection",
               "borrower": "E01", "due_in_s": 3600}
    r = c.ask(dict(release, work_order="W" * 4_000_000), timeout=60)
    err = r.get("error", "")
    check(r.get("ok") is False and "work_order" in err and "64" in err,
          "a release with a 4,000,000-character work order is refused: %.200s" % json.dumps(r))
    r = c.ask(dict(release, purpose="borrow", borrower="借" * 101, contact="13900000009"))
    err = r.get("error", "")
    check(r.get("ok") is False and "borrower" in err and "100" in err,
          "a borrower's name of 101 characters is refused: %s" % err)
    r = c.ask(dict(release, key="K" * 65))
    err = r.get("error", "")
    check(r.get("ok") is False and '"key"' in err and "64" in err,
          "a 65-character key code is refused: %s" % err)
    r = c.ask({"op": "inspect", "session": tok, "loan": 999999, "result": "problems",
               "forwarded_to": "工程部", "problems": "漏" * 1001})
    err = r.get("error", "")
    check(r.get("ok") is False and "problems" in err and "1000" in err and "1001" in err,
          "1,001 characters of problems (3,003 bytes) are refused: %s" % err)
    r = c.ask({"op": "inspect", "session": tok, "loan": 999999, "result": "problems",
               "forwarded_to": "工程部", "problems": "漏" * 1000})
    check(r.get("ok") is False and "1000" not in json.dumps(r) and r.get("refused"),
          "1,000 characters (3,000 bytes) pass the length check: %s" % r.get("reason"))
    r = c.ask({"op": "import", "table": "sites",
               "rows": [{"code": "S9", "name": "ok", "age": "new"},
                        {"code": "S10", "name": "名" * 101, "age": "new", "_line": 3}]})
    err = r.get("error", "")
    check(r.get("ok") is False and "name" in err and "100" in err and "line 3" in err,
          "an import row with a 101-character name is refused whole: %s" % err)
    r = c.ask({"op": "alarm.clear", "session": tok, "alarm": 1, "note": "n" * 1001})
    err = r.get("error", "")
    check(r.get("ok") is False and "note" in err and "1000" in err,
          "a 1,001-character alarm note is refused: %s" % err)
    r = c.ask({"op": "ping", "whatever": "x" * 5000})
    err = r.get("error", "")
    check(r.get("ok") is False and "whatever" in err,
          "an unlisted member gets the default limit: %s" % err)
    # a request line over the maximum: an error, then the connection closes
    big = Lines()
    try:
        big.s.sendall(b'{"op":"ping","x":"' + b"y" * (5 << 20))
    except OSError:
        pass  # keycabd stopped reading at the limit and closed
    try:
        r = big.recv(timeout=30)
        check(r.get("ok") is False and "longer than" in r.get("error", ""),
              "a 5 MiB request line is refused: %s" % r.get("error"))
    except (EOFError, OSError) as e:
        check(False, "a 5 MiB request line: no reply (%s)" % e)
    check(c.ask({"op": "ping"}).get("ok") is True, "keycabd still answers")
    check(state_digest() == before, "database and outbox unchanged by the refused requests")
    biggest = db_rows("SELECT max(length(body)) FROM outbox")[0][0]
    check(biggest < 20000, "the largest event in the outbox is %d bytes" % biggest)


def flood():
    before = events("operator.login_failed")
    c = Lines()
    n = 2000
    t0 = time.time()
    for i in range(n):
        c.send({"op": "login", "card": "FLOOD%06d" % i})
    reps = [c.recv() for _ in range(n)]
    secs = time.time() - t0
    unknown = sum("not registered" in (r.get("reason") or "") for r in reps)
    limited = [r for r in reps if "retry_after_s" in r]
    check(all(r.get("ok") is False for r in reps), "%d unknown-card logins all refused" % n)
    check(len(limited) >= n - 10,
          "one connection: %d checked, %d refused by the rate limit" % (unknown, len(limited)))
    if limited:
        print("       e.g.: %s" % json.dumps(limited[-1], ensure_ascii=False))
        check(limited[-1].get("retry_after_s", 0) >= 1 and "try again" in limited[-1]["reason"],
              "the wait is in the reply (retry_after_s and the reason)")
    # many connections, each trying a few
    many = [Lines() for _ in range(20)]
    for k, m in enumerate(many):
        for i in range(10):
            m.send({"op": "login", "card": "MANY%02d%02d" % (k, i)})
    for m in many:
        for _ in range(10):
            m.recv()
        m.s.close()
    tok = token("S02", "2222")
    check(tok is not None, "a real operator still logs in during the flood")
    during = events("operator.login_failed") - before
    check(during <= 4, "%d + 200 failed logins in %.1f s wrote %d login_failed events"
          % (n, secs, during))
    time.sleep(SUMMARY_S + 1.5)
    rows = db_rows("SELECT body FROM outbox WHERE json_extract(body, '$.type') ="
                   " 'operator.login_failed' ORDER BY seq")
    new = [json.loads(b)["data"] for (b,) in rows[before:]]
    total = sum(d.get("count", 0) for d in new)
    for d in new[:6]:
        print("       %s" % json.dumps(d, ensure_ascii=False))
    check(len(new) <= 6, "%d events after the summary interval" % len(new))
    check(total == n + 200, "their counts add up to every failed login (%d)" % total)


def idle():
    base = nfds()
    held = [conn() for _ in range(LIMIT + 8)]
    time.sleep(0.3)
    t0 = time.time()
    tok = token("S01", "1111")
    check(tok is not None, "with %d idle connections open a new operator logs in (%.2f s)"
          % (len(held), time.time() - t0))
    r = keycab("release", "K-HY-1-108", "--purpose", "inspection", "--borrower", "E01",
               "--due-in", "1h", session=tok)
    check(r.returncode == 0, "... and releases a key: %s" % (r.stdout + r.stderr).strip())
    open_at = time.time()

    def closed(s):
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        try:
            return s.recv(1) == b""
        except OSError:
            return True

    time.sleep(max(IDLE_S - 1.5, 0.2))
    early = sum(closed(s) for s in held)
    check(early < len(held) - 8, "%d of %d still open %.1f s before the idle timeout"
          % (len(held) - early, len(held), IDLE_S - (time.time() - open_at)))
    ok = wait_until(lambda: all(closed(s) for s in held), IDLE_S + 5)
    check(ok, "every idle connection closed after the %.0f s idle timeout (%.1f s)"
          % (IDLE_S, time.time() - open_at))
    for s in held:
        s.close()
    check(wait_until(lambda: nfds() <= base, 5), "keycabd's descriptors back to %d" % base)


def greedy():
    base = nfds()
    rss0 = rss_kib()
    s = conn()
    s.setblocking(False)
    line = b'{"op":"status"}\n'
    want = 60000
    sent = 0
    chunk = line * 500
    pending = b""
    stuck_since = None
    t0 = time.time()
    while sent < want and time.time() - t0 < 60:
        if not pending:
            pending = chunk
        try:
            k = s.send(pending)
            pending = pending[k:]
            if not pending:
                sent += 500
            stuck_since = None
        except BlockingIOError:
            if stuck_since is None:
                stuck_since = time.time()
            elif time.time() - stuck_since > 2:
                break
            time.sleep(0.01)
    time.sleep(0.5)
    rss1 = rss_kib()
    grew = (rss1 - rss0) / 1024
    print("       %d status requests written unread in %.1f s; VmRSS %d -> %d KiB"
          % (sent, time.time() - t0, rss0, rss1))
    check(grew < 64, "keycabd's RSS grew %.1f MiB" % grew)
    t1 = time.time()
    r = keycab("status", "--json", timeout=10)
    check(r.returncode == 0, "another client is served meanwhile (%.2f s)" % (time.time() - t1))
    tok = token("S01", "1111")
    check(tok is not None, "and a login works")
    check(wait_until(lambda: nfds() <= base, IDLE_S + 8),
          "the client that never reads is closed (descriptors back to %d)" % base)
    s.close()


if __name__ == "__main__":
    globals()[sys.argv[1]]()
    sys.exit(1 if fails else 0)
