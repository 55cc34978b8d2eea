#!/usr/bin/env python3
"""keyauditd's database at start and while running: created 0600 whoever
starts it; a database with a corrupt page, a read-only file and a
read-only directory each refused at start with a clear message and the
file unchanged; /healthz says whether the service can store (200
{"store": "ok"} or 503 with the reason) while the disk fills up under the
running service, and the log carries SQLite's own error text."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import KEYAUDITD, Service, check, finish, say, seal

ROOT = os.geteuid() == 0
LOGIN = {"type": "operator.login", "actor": "A1", "data": {"method": "pin"}}


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def healthz(svc):
    st, _, body = svc.request("GET", "/healthz")
    try:
        return st, json.loads(body)
    except ValueError:
        return st, {"raw": body.decode(errors="replace")}


def run_serve(conf, as_nobody=False):
    """keyauditd serve, expected to refuse: (exit status, stderr)."""
    args = [KEYAUDITD, "-c", conf, "--port", "0", "serve"]
    if as_nobody:
        args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + args
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return r.returncode, r.stderr
    except subprocess.TimeoutExpired as e:
        return "still running", (e.stderr or b"").decode(errors="replace")


def write_conf(d, db):
    conf = os.path.join(d, "keyauditd.conf")
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1\nport = 0\n[database]\npath = %s\n" % db)
    os.chmod(conf, 0o644)
    return conf


services = []
mounts = []
try:
    say("== a database made by the service, with events in it")
    old_umask = os.umask(0o022)
    svc = Service()
    services.append(svc)
    token = svc.add_cabinet("CAB1")
    svc.start()
    events = seal("CAB1", [LOGIN] * 600)
    for i in range(0, 600, 100):
        st, _ = svc.post_events(token, events[i:i + 100])
    check(st == 200, "600 events stored")
    st, h = healthz(svc)
    say("  /healthz: %d %s" % (st, h))
    check(st == 200 and h.get("store") == "ok", "/healthz: 200 with store ok")
    svc.stop()
    os.umask(old_umask)
    for suffix in ("", "-wal", "-shm"):
        p = svc.db + suffix
        if os.path.exists(p):
            mode = stat.S_IMODE(os.stat(p).st_mode)
            check(mode == 0o600, "%s is mode %o (umask 022)" % (os.path.basename(p), mode))

    say("== a corrupt page")
    bad = tempfile.mkdtemp(prefix="keyauditd-bad-")
    db = os.path.join(bad, "audit.db")
    shutil.copy(svc.db, db)
    size = os.path.getsize(db)
    page = 4096
    npages = size // page
    victim = npages // 2
    with open(db, "r+b") as f:
        f.seek(victim * page)
        f.write(b"\xa5" * page)
    say("  page %d of %d overwritten" % (victim + 1, npages))
    before = sha(db)
    rc, err = run_serve(write_conf(bad, db))
    say("  exit %s: %s" % (rc, err.strip()[-300:]))
    check(rc not in (0, "still running"), "refused to start (exit %s)" % rc)
    check("quick_check" in err or "corrupt" in err, "the message names the failed check")
    check(sha(db) == before, "the file is unchanged")

    if ROOT:
        say("== a read-only file (the service runs as nobody, the file is root's, mode 0644)")
        d = tempfile.mkdtemp(prefix="keyauditd-rofile-")
        os.chmod(d, 0o777)
        db = os.path.join(d, "audit.db")
        shutil.copy(svc.db, db)
        os.chmod(db, 0o644)
        before = sha(db)
        rc, err = run_serve(write_conf(d, db), as_nobody=True)
        say("  exit %s: %s" % (rc, err.strip()[-300:]))
        check(rc not in (0, "still running"), "refused to start (exit %s)" % rc)
        check("read-only" in err or "readonly" in err, "the message says read-only")
        check(sha(db) == before, "the file is unchanged")

        say("== a read-only directory (the file is nobody's, the directory root's, mode 0755)")
        d = tempfile.mkdtemp(prefix="keyauditd-rodir-")
        os.chmod(d, 0o755)
        db = os.path.join(d, "audit.db")
        shutil.copy(svc.db, db)
        os.chown(db, 65534, 65534)
        before = sha(db)
        rc, err = run_serve(write_conf(d, db), as_nobody=True)
        say("  exit %s: %s" % (rc, err.strip()[-300:]))
        check(rc not in (0, "still running"), "refused to start (exit %s)" % rc)
        check("read-only" in err or "readonly" in err or "cannot" in err, "the message says why")
        check(sha(db) == before, "the file is unchanged")

        say("== the disk fills up under the running service (a 3 MiB tmpfs)")
        tmp = tempfile.mkdtemp(prefix="keyauditd-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", tmp], capture_output=True, text=True)
        if r.returncode != 0:
            say("  cannot mount a tmpfs (%s): skipped" % r.stderr.strip())
        else:
            mounts.append(tmp)
            svc2 = Service(tmp=tmp)
            services.append(svc2)
            token2 = svc2.add_cabinet("CAB2")
            svc2.start()
            ev2 = seal("CAB2", [LOGIN] * 400)
            st, _ = svc2.post_events(token2, ev2[:100])
            check(st == 200 and healthz(svc2)[0] == 200, "events stored, /healthz 200")
            filler = os.path.join(tmp, "filler")
            subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"], capture_output=True)
            st, h = healthz(svc2)
            say("  /healthz: %d %s" % (st, h))
            check(st == 503 and h.get("store") != "ok" and h.get("message"), "/healthz: 503 with the reason")
            acked = 100
            for i in range(100, 400, 100):
                st, b = svc2.post_events(token2, ev2[i:i + 100])
                if st == 200:
                    acked = i + 100
                say("  ingest on a full disk: %d %s" % (st, b.get("message", "")))
            log = svc2.log_text()
            check("not an error" not in log, "'not an error' is not in the log")
            errs = [l for l in log.splitlines() if "database error" in l or "cannot store" in l]
            for l in errs[:2]:
                say("  log: " + l)
            check(any("full" in l or "I/O" in l for l in errs), "the log carries SQLite's error text")
            os.unlink(filler)
            st, h = healthz(svc2)
            check(st == 200 and h.get("store") == "ok", "space again: /healthz 200 (%d %s)" % (st, h))
            st, b = svc2.post_events(token2, ev2[acked:acked + 100])
            check(st == 200, "ingest works again (%d)" % st)
            svc2.stop()
    else:
        say("  (not root: the read-only and full-disk cases are skipped)")
finally:
    for s in services:
        if s.proc:
            s.stop()
    for m in mounts:
        subprocess.run(["umount", "-l", m])
finish()
