"""Drives Debian's Chromium headless through the DevTools protocol over a
pipe (--remote-debugging-pipe: commands on fd 3, answers on fd 4), with
the Python standard library only."""
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class Browser:
    def __init__(self, extra_args=()):
        chrome = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chrome:
            raise FileNotFoundError("chromium")
        self.profile = tempfile.mkdtemp(prefix="kc-cdp-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile] + list(extra_args) + ["about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=fds, pass_fds=(3, 4, to_r, from_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, timeout):
        r, _, _ = select.select([self.from_r], [], [], timeout)
        if not r:
            return False
        data = os.read(self.from_r, 65536)
        if not data:
            raise EOFError("chromium closed the pipe")
        self.buf += data
        return True

    def _messages(self):
        while b"\0" in self.buf:
            msg, self.buf = self.buf.split(b"\0", 1)
            yield json.loads(msg)

    def post(self, method, params=None, session=None):
        """Sends a command without waiting for its answer (which pump
        then skips): for commands that wait on events, like a navigation
        that waits on paused requests."""
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_w, json.dumps(m).encode() + b"\0")
        return self.next_id

    def send(self, method, params=None, session=None, timeout=30):
        mid = self.post(method, params, session)
        end = time.time() + timeout
        while time.time() < end:
            for msg in self._messages():
                if msg.get("id") == mid:
                    if "error" in msg:
                        raise RuntimeError("%s: %s" % (method, msg["error"]))
                    return msg.get("result", {})
                self.events.append(msg)
            self._read(0.2)
        raise TimeoutError(method)

    def pump(self, seconds, handler):
        """Hands every event to handler(browser, msg) for seconds, or until
        handler returns True."""
        end = time.time() + seconds
        while True:
            pending, self.events = self.events, []
            for msg in pending + list(self._messages()):
                if "method" in msg and handler(self, msg):
                    return True
            if time.time() >= end:
                return False
            self._read(0.1)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)
        shutil.rmtree(self.profile, ignore_errors=True)
