#!/usr/bin/env python3
"""A stand-in for keycab-kiosk while the pages are developed and tested
apart from it: serves controller/kiosk/www/ with the kiosk's API
(controller/README.md, "The terminal") over keycabd's real socket.

Not part of the product. Where keycabd lacks what the kiosk will use, it
approximates from what exists, and says so:
  - /api/events: keycabd's `subscribe` when it answers; otherwise events
    read from the outbox table of keycabd's database (--db) and the link
    state from `status`, polled every 50 ms / 1 s.
  - /api/roster: keycabd's `roster` when it answers; otherwise `people`
    read on the console (this server runs as keycabd's user or root).
Usage: devserver.py --www DIR --socket KEYCAB_SOCKET [--db FILE] [--port N]
Prints "listening PORT" when ready.
"""
import argparse
import http.server
import json
import os
import secrets
import socket
import sqlite3
import sys
import threading
import time

ALLOWED_OPS = {
    "whoami", "status", "keys", "slots", "loans", "ids", "alarms",
    "entrustments", "letters", "people", "handovers", "approvals",
    "release", "collect", "approve", "id.release", "inspect",
    "handover.start", "handover.confirm", "alarm.clear", "letter.confirm",
}
CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json"}


def keycabd(sock_path, req, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("keycabd closed the connection")
            buf += chunk
        return json.loads(buf)
    finally:
        s.close()


class State:
    def __init__(self, args):
        self.args = args
        self.sessions = {}  # cookie -> keycabd session token
        self.lock = threading.Lock()


def make_handler(st):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # no request log: bodies hold PINs
            pass

        def head(self, code, ctype, length=None, extra=()):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            for k, v in extra:
                self.send_header(k, v)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()

        def reply(self, obj, code=200, extra=()):
            body = json.dumps(obj, ensure_ascii=False).encode()
            self.head(code, "application/json; charset=utf-8", len(body), extra)
            self.wfile.write(body)

        def token(self):
            for part in self.headers.get("Cookie", "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "kcs":
                    return st.sessions.get(v), v
            return None, None

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/":
                return self.file("index.html")
            if path.startswith("/static/"):
                return self.file(path[len("/static/"):])
            if path == "/api/roster":
                return self.roster()
            if path == "/api/events":
                return self.events()
            self.reply({"ok": False, "error": "not found"}, 404)

        def file(self, name):
            if "/" in name or name.startswith("."):
                return self.reply({"ok": False, "error": "not found"}, 404)
            p = os.path.join(st.args.www, name)
            try:
                with open(p, "rb") as f:
                    body = f.read()
            except OSError:
                return self.reply({"ok": False, "error": "not found"}, 404)
            self.head(200, TYPES.get(os.path.splitext(name)[1], "application/octet-stream"), len(body))
            self.wfile.write(body)

        def body(self):
            n = int(self.headers.get("Content-Length", "0"))
            try:
                return json.loads(self.rfile.read(n) or b"{}")
            except ValueError:
                return None

        def do_POST(self):
            path = self.path.split("?")[0]
            req = self.body()
            if not isinstance(req, dict):
                return self.reply({"ok": False, "error": "the body is a JSON object"}, 400)
            tok, cookie = self.token()
            try:
                if path == "/api/login":
                    rep = keycabd(st.args.socket, {"op": "login", "person": req.get("person", ""),
                                                   "pin": req.get("pin", "")})
                    extra = ()
                    if rep.get("ok"):
                        c = secrets.token_urlsafe(24)
                        st.sessions[c] = rep.pop("session")
                        extra = (("Set-Cookie", f"kcs={c}; Path=/; HttpOnly; SameSite=Strict"),)
                    return self.reply(rep, 200, extra)
                if path == "/api/logout":
                    if tok:
                        keycabd(st.args.socket, {"op": "logout", "session": tok})
                        st.sessions.pop(cookie, None)
                    return self.reply({"ok": True}, 200,
                                      (("Set-Cookie", "kcs=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),))
                if path.startswith("/api/op/"):
                    op = path[len("/api/op/"):]
                    if op not in ALLOWED_OPS:
                        return self.reply({"ok": False, "error": f"op {op} is not allowed here"}, 403)
                    req["op"] = op
                    req["session"] = tok or ""
                    return self.reply(keycabd(st.args.socket, req))
            except (OSError, ConnectionError, ValueError) as e:
                return self.reply({"ok": False, "error": f"keycabd: {e}"}, 502)
            self.reply({"ok": False, "error": "not found"}, 404)

        def roster(self):
            try:
                rep = keycabd(st.args.socket, {"op": "roster"})
                if not rep.get("ok"):
                    ppl = keycabd(st.args.socket, {"op": "people"})
                    rep = {"ok": True, "people": [
                        {"person": p["person"], "name": p["name"], "role": p["role"]}
                        for p in ppl.get("people", [])]}
                self.reply(rep)
            except (OSError, ConnectionError, ValueError) as e:
                self.reply({"ok": False, "error": f"keycabd: {e}"}, 502)

        def send_ev(self, name, data):
            msg = f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(msg), msg))
            self.wfile.flush()

        def events(self):
            self.head(200, "text/event-stream; charset=utf-8", None, (("Transfer-Encoding", "chunked"),))
            up = None
            last_seq = 0
            link = None
            next_link = 0
            try:
                while True:
                    try:
                        if up is not True:
                            status = keycabd(st.args.socket, {"op": "status"})
                            self.send_ev("keycabd", {"up": True})
                            self.send_ev("status", status)
                            up = True
                            last_seq = status.get("last_seq", 0)
                            link = status.get("forward")
                        if st.args.db:
                            db = sqlite3.connect(f"file:{st.args.db}?mode=ro", uri=True, timeout=2)
                            rows = db.execute("SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq",
                                              (last_seq,)).fetchall()
                            db.close()
                            for seq, body in rows:
                                self.send_ev("ev", json.loads(body))
                                last_seq = seq
                        if time.monotonic() > next_link:
                            next_link = time.monotonic() + 1
                            f = keycabd(st.args.socket, {"op": "status"}).get("forward")
                            if f != link and (f or {}).get("state") != (link or {}).get("state"):
                                self.send_ev("link", f)
                            link = f
                    except (OSError, ConnectionError, ValueError, sqlite3.Error):
                        if up is not False:
                            self.send_ev("keycabd", {"up": False})
                        up = False
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                return

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--www", required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--db")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args)))
    srv.daemon_threads = True
    print("listening", srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
