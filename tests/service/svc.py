"""Helpers for the keyauditd tests: a fresh service on a free port with a
fresh config and database in a temp dir, stopped by its pid; HTTP calls;
sealing events with kc-forward-test. Python standard library only."""
import base64
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("KEYCAB_BIN") or os.path.join(os.environ["BUILD"], "bin")
KEYAUDITD = os.path.join(BIN, "keyauditd")
FWD = os.path.join(BIN, "kc-forward-test")
failures = 0


def say(*a):
    print(*a, flush=True)


def check(cond, what):
    """Prints what is checked and whether it held."""
    global failures
    if cond:
        say("  ok   " + what)
    else:
        failures += 1
        say("  FAIL " + what)
    return cond


def finish():
    if failures:
        say("%d check(s) failed" % failures)
        sys.exit(1)
    say("all checks passed")
    sys.exit(0)


class Service:
    def __init__(self, conf_extra="", body_limit=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="keyauditd-test-")
        self.db = os.path.join(self.tmp, "audit.db")
        self.conf = os.path.join(self.tmp, "keyauditd.conf")
        self.log = os.path.join(self.tmp, "keyauditd.log")
        self.portfile = os.path.join(self.tmp, "port")
        with open(self.conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1\nport = 0\nthreads = 4\n")
            if body_limit:
                f.write("body_limit = %d\n" % body_limit)
            f.write("[database]\npath = %s\n" % self.db)
            f.write(conf_extra)
        self.proc = None
        self.port = None

    def cmd(self, *args, stdin=None):
        return subprocess.run([KEYAUDITD, "-c", self.conf] + list(args), input=stdin,
                              capture_output=True, text=True)

    def add_cabinet(self, cid):
        r = self.cmd("add-cabinet", cid)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def add_user(self, name, role, password):
        r = self.cmd("add-user", "--role", role, name, stdin=password + "\n")
        assert r.returncode == 0, r.stderr

    def start(self, port=None):
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        args = [KEYAUDITD, "-c", self.conf, "--port-file", self.portfile]
        if port:
            args += ["--port", str(port)]
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen(args + ["serve"], stdout=self.logf, stderr=self.logf,
                                     env=dict(os.environ, KEYCAB_LOG_LEVEL="7"))
        for _ in range(200):
            if os.path.exists(self.portfile) and open(self.portfile).read().strip():
                self.port = int(open(self.portfile).read())
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("keyauditd exited: " + open(self.log).read())
            time.sleep(0.05)
        raise RuntimeError("keyauditd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.logf.close()
            log = self.log_text()
            check(self.proc.returncode == 0, "keyauditd stopped by SIGTERM exits 0 (was %s)" % self.proc.returncode)
            check("Sanitizer" not in log and "runtime error:" not in log, "no sanitizer report in its log")
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, user=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if user:
            h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % user).encode()).decode()
        if isinstance(body, (list, dict)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def post_events(self, token, events, raw=None):
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        body = raw if raw is not None else "[" + ",".join(events) + "]"
        st, _, data = self.request("POST", "/api/v1/events", body, h)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, {"raw": data.decode(errors="replace")}

    def report(self, name, user, **params):
        from urllib.parse import urlencode
        q = urlencode(params)
        st, h, data = self.request("GET", "/api/v1/reports/%s?%s" % (name, q), user=user)
        if params.get("format") == "csv":
            return st, data.decode("utf-8-sig")
        return st, json.loads(data)

    def sql(self, q, *args):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            return con.execute(q, args).fetchall()
        finally:
            con.close()

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def section(rep, name):
    for s in rep["sections"]:
        if s["name"] == name:
            return s
    raise KeyError(name)


def browser(script, svc, user, password, name, **env):
    """Runs tests/service/<script> (console.js: playwright-core from
    tests/kiosk/npm-setup.sh, Debian's chromium) against svc as user, its
    screenshots in $BUILD/test-logs/service/<name>/; prints what it printed
    and returns its exit status. Exits 77 when chromium or node is missing."""
    import shutil
    src = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    if not shutil.which("chromium") or not shutil.which("node"):
        say("chromium or node is not installed (make check installs them)")
        sys.exit(77)
    npm = subprocess.run([os.path.join(src, "tests", "kiosk", "npm-setup.sh")], capture_output=True, text=True)
    if npm.returncode != 0:
        say(npm.stderr)
        say("npm ci failed")
        sys.exit(1)
    env = dict(os.environ, NODE_PATH=npm.stdout.strip(), KC_URL=svc.url, KC_USER=user, KC_PASS=password,
               KC_SHOTS=os.path.join(os.environ["BUILD"], "test-logs", "service", name), **env)
    r = subprocess.run(["node", os.path.join(src, "tests", "service", script)], env=env, capture_output=True,
                       text=True, timeout=300)
    for line in (r.stdout + r.stderr).splitlines():
        say("  " + line)
    return r.returncode


def seal(cabinet, partials, start_seq=None, prev=None):
    """Seals partial events (dicts) as cabinet's chain; returns JSON texts."""
    args = [FWD, "seal", cabinet]
    if start_seq:
        args += [str(start_seq), prev]
    inp = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in partials)
    r = subprocess.run(args, input=inp, capture_output=True, text=True, check=True)
    return r.stdout.splitlines()


def fill(db, cabinet, partials=None, count=None):
    args = [FWD, "fill", db, cabinet]
    if count:
        args += ["--count", str(count)]
    inp = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in (partials or []))
    subprocess.run(args, input=inp, capture_output=True, text=True, check=True)


def forward(db, url, token, timeout=60, *extra):
    return subprocess.run([FWD, "run", db, url, token, "--until-empty", str(timeout)] + list(extra),
                          capture_output=True, text=True)


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)
