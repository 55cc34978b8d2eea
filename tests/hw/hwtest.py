"""Shared helpers of the hw integration tests: a keycab-sim per test on
fresh ports in a fresh directory, its control socket, keycab-hw runs, and
a JSON event watcher (keycab-hw --json scan --watch). Python stdlib only."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import simctl  # noqa: E402  (tests/simctl.py)

# SIGTERM (a CI time limit) ends the test through its finally: clauses,
# which stop the simulator and keycab-hw by pid and remove the temp dir.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

BIN = os.environ.get("KEYCAB_BIN") or os.path.join(os.getcwd(), "build", "bin")
FAILED = []


def say(msg):
    print(msg, flush=True)


def check(cond, what):
    """Prints what is checked and whether it holds; failures are counted."""
    say(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)
    return cond


def finish():
    if FAILED:
        say("%d check(s) failed:" % len(FAILED))
        for f in FAILED:
            say("  " + f)
        sys.exit(1)
    say("all checks passed")
    sys.exit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout=10.0, step=0.02):
    """Polls pred() until it is true or the deadline passes."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return v
        time.sleep(step)


class Sim:
    """keycab-sim for one cabinet file, stopped by its pid."""

    def __init__(self, conf, tmp):
        self.ctl_path = os.path.join(tmp, "sim.ctl")
        self.log = open(os.path.join(tmp, "sim.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "keycab-sim"), "-c", conf, "--control", self.ctl_path, "--quiet"],
            stdout=self.log, stderr=subprocess.STDOUT)
        ok = wait_until(lambda: self._try_ping(), timeout=15)
        if not ok:
            raise RuntimeError("keycab-sim did not come up")

    def _try_ping(self):
        try:
            return self.cmd("ping").startswith("OK")
        except OSError:
            if self.proc.poll() is not None:
                raise RuntimeError("keycab-sim exited with %s" % self.proc.returncode)
            return False

    def cmd(self, line):
        reply = simctl.command(self.ctl_path, line)
        if reply.startswith("ERR"):
            raise RuntimeError("sim: %s -> %s" % (line, reply))
        return reply

    def coil(self, slot):
        return self.cmd("coil " + slot) == "OK on"

    def history(self, slot):
        """[(True/False, us), ...] oldest first."""
        out = []
        for item in self.cmd("history " + slot).split()[1:]:
            what, at = item.split("@")
            out.append((what == "ON", int(at)))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def hw(conf, *args, timeout=60):
    """Runs keycab-hw to its end: (exit code, stdout, stderr)."""
    p = subprocess.run([os.path.join(BIN, "keycab-hw"), "-c", conf] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def hw_start(conf, *args):
    return subprocess.Popen([os.path.join(BIN, "keycab-hw"), "-c", conf] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Watch:
    """keycab-hw --json scan --watch: the snapshot, then one event a line."""

    def __init__(self, conf):
        self.proc = hw_start(conf, "--json", "scan", "--watch")
        self.lock = threading.Lock()
        self.snapshot = None
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                if self.snapshot is None and "slots" in obj:
                    self.snapshot = obj
                else:
                    self.events.append(obj)

    def mark(self):
        with self.lock:
            return len(self.events)

    def since(self, mark):
        with self.lock:
            return list(self.events[mark:])

    def wait(self, mark, pred, timeout=10.0):
        """The first event after mark for which pred holds, or None."""
        def find():
            for e in self.since(mark):
                if pred(e):
                    return e
            return None
        return wait_until(find, timeout)

    def wait_all(self, mark, event, slots, timeout=10.0):
        def have():
            seen = {e["slot"] for e in self.since(mark) if e["event"] == event}
            return set(slots) <= seen
        return wait_until(have, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        return self.proc.returncode


def tmpdir():
    return tempfile.mkdtemp(prefix="keycab-hw-test.")
