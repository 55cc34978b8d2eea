#!/usr/bin/env python3
"""keyauditd's front door under floods, over real sockets:
- 150 connections without a valid credential each sending a 4 MiB body:
  answered before the body is read, the service's peak memory stays small;
- a body over the limit by its Content-Length gets 413 before any of it is
  sent; a login form is small;
- connections per client address are capped ([server] per_address_limit):
  the next few get 503 with a message, more are closed at once, other
  addresses are served;
- 3,000 connections at once (more than libmicrohttpd's default limit of
  about 1,020) are all served;
- an idle connection is closed after [server] idle_timeout_s;
- SIGTERM with 3,200 connections open, some in the middle of a body, stops
  the service in a couple of seconds."""
import os
import socket
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say

MiB = 1 << 20


def rss_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def connect(port, src="127.0.0.1", timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_answer(s):
    """The status and body of one answer, or None if the connection was
    closed or reset first."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(head.split()[1]), body.decode(errors="replace")
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        return None


def get(s, path="/healthz"):
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    return read_answer(s)


def section(name, conf_extra, fn):
    say("== " + name)
    svc = Service(conf_extra="[server]\n" + conf_extra if conf_extra else "")
    try:
        tok = svc.add_cabinet("CAB-FL")
        svc.start()
        fn(svc, tok)
    except Exception as e:  # a service that does not start fails the section
        check(False, "%s: %s: %s" % (name, type(e).__name__, str(e).strip().splitlines()[-1][:300]))
    finally:
        svc.stop()


def flood_unauthenticated(svc, tok):
    """150 connections over 10 loopback addresses, each POSTing 4 MiB with
    a wrong token, all at once."""
    body = b"[" + b" " * (4 * MiB - 2) + b"]"
    answers = []
    before = rss_kib(svc.proc.pid, "VmRSS")

    def one(i):
        try:
            s = connect(svc.port, "127.0.0.%d" % (2 + i % 10), timeout=30)
        except OSError:
            answers.append(None)
            return
        try:
            s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + b"0" * 64 + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            s.sendall(body)
        except OSError:
            pass
        answers.append(read_answer(s))
        s.close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(150)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    took = time.monotonic() - t0
    peak = rss_kib(svc.proc.pid, "VmHWM")
    n401 = sum(1 for a in answers if a and a[0] == 401)
    say("  RSS before %d MiB, peak %d MiB; %d of 150 answered 401, the rest closed; %.1f s"
        % (before // 1024, peak // 1024, n401, took))
    check(peak - before < 64 * 1024, "the peak memory grew by less than 64 MiB (%d MiB)" % ((peak - before) // 1024))
    check(svc.sql("SELECT count(*) FROM events")[0][0] == 0, "nothing stored")
    st, body = get(connect(svc.port))
    check(st == 200, "the service still answers")


def early_413(svc, tok):
    s = connect(svc.port)
    s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode()
              + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (5 * MiB))
    t0 = time.monotonic()
    a = read_answer(s)
    s.close()
    say("  a valid token, Content-Length 5 MiB, no body sent: %s after %.2f s" % (a and a[0], time.monotonic() - t0))
    check(a is not None and a[0] == 413 and "4194304" in a[1], "413 naming the limit, before any body byte is sent")
    s = connect(svc.port)
    s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: %d\r\n\r\n" % MiB)
    a = read_answer(s)
    s.close()
    check(a is not None and a[0] == 413, "a 1 MiB login form: 413 before the body (%s)" % (a and a[0]))
    s = connect(svc.port)
    s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (5 * MiB))
    a = read_answer(s)
    s.close()
    check(a is not None and a[0] == 200, "/healthz takes no body: answered without reading one (%s)" % (a and a[0]))
    s = connect(svc.port)
    s.sendall(b"POST /api/v1/cabinets HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % MiB)
    a = read_answer(s)
    s.close()
    check(a is not None and a[0] == 401, "an API write with a wrong password: 401 before the body (%s)" % (a and a[0]))
    check(svc.sql("SELECT count(*) FROM cabinets WHERE id NOT LIKE '@%'")[0][0] == 1, "no cabinet added (the office's own chain aside)")


def per_address(svc, tok):
    held = [connect(svc.port) for _ in range(8)]
    answers = [get(s) for s in held]
    check(all(a is not None and a[0] == 200 for a in answers), "8 connections, the limit, are served")
    extra = connect(svc.port)
    a = get(extra)
    say("  the 9th connection from 127.0.0.1: %s" % str(a and (a[0], a[1].split('"message": ')[-1].strip()[:120])))
    check(a is not None and a[0] == 503 and "too many connections" in a[1].lower(), "the 9th gets 503 with a message")
    extra.close()
    more = []
    for _ in range(20):
        try:
            more.append(connect(svc.port))
        except OSError:
            pass
    closed = 0
    for s in more:
        if get(s) is None:
            closed += 1
        s.close()
    check(closed >= 15, "beyond a few more, connections are closed at once (%d of 20)" % closed)
    a = get(connect(svc.port, "127.0.0.2"))
    check(a is not None and a[0] == 200, "another address is served meanwhile")
    for s in held:
        s.close()
    time.sleep(0.5)
    a = get(connect(svc.port))
    check(a is not None and a[0] == 200, "once its connections are closed, 127.0.0.1 is served again")
    log = svc.log_text()
    check("over the limit of 8 per address" in log, "the refusals are logged, counted")
    check(log.count("over the limit of 8 per address") <= 2, "not once per connection")


def many_connections(svc, tok, n=3000):
    socks = []
    for i in range(n):
        socks.append(connect(svc.port, "127.0.%d.%d" % (1 + i // 50, 1 + i % 50), timeout=30))
    ok = 0
    for s in socks:
        a = get(s)
        ok += a is not None and a[0] == 200
    say("  %d connections open at once, %d answered 200" % (n, ok))
    check(ok == n, "all %d connections are served" % n)
    return socks


def idle_timeout(svc, tok):
    s = connect(svc.port)
    check(get(s)[0] == 200, "a first request on the connection")
    time.sleep(3.5)
    try:
        gone = s.recv(1) == b""
    except OSError:
        gone = True
    check(gone, "idle for 3.5 s with idle_timeout_s = 2: the service closed it")


def stop_under_load(svc, tok):
    socks = many_connections(svc, tok)
    half = []
    for i in range(50):
        s = connect(svc.port, "127.1.0.%d" % (1 + i))
        s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode()
                  + b"\r\nContent-Length: 1000000\r\n\r\n[" + b" " * 50000)
        half.append(s)
    for i in range(200):
        socks.append(connect(svc.port, "127.2.%d.%d" % (i // 50, 1 + i % 50)))
    time.sleep(0.5)
    t0 = time.monotonic()
    svc.proc.terminate()
    try:
        svc.proc.wait(60)
    except Exception:
        pass
    took = time.monotonic() - t0
    say("  3,200 idle connections and 50 in the middle of a body: stopped %.2f s after SIGTERM" % took)
    check(took < 3, "keyauditd stops in under 3 s (%.2f s)" % took)
    for s in socks + half:
        s.close()


section("150 unauthenticated 4 MiB bodies at once", "", flood_unauthenticated)
section("413 and 401 before the body", "", early_413)
section("per-address limit", "per_address_limit = 8\n", per_address)
section("more connections than libmicrohttpd's default limit", "",
        lambda svc, tok: [s.close() for s in many_connections(svc, tok)])
section("idle connections time out", "idle_timeout_s = 2\n", idle_timeout)
section("stopping with many connections open", "", stop_under_load)
finish()
