#!/usr/bin/env python3
"""Password guessing against a running keyauditd: a per-user and a
per-address backoff (429 with Retry-After and the time left), the name's
lock not holding a clean address (the real user signs in from another
address while a guesser has the name locked; a new address gets one guess),
an unknown user costs what a known one does, guesses a second measured; and a
newline in a login name or a URL writes one escaped log line, not a
forged one."""
import http.client
import re
import base64
import os
import statistics
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say

USER, PASS = "sup", "login-pass-1234"
USER2, PASS2 = "sup2", "login-pass-5678"
CLEAN_SPACING_S = 1.05  # service/auth.c LOGIN_CLEAN_SPACING_MS
svc = Service(body_limit=1024)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def login(user, password, source="127.0.0.1"):
    """POST /login from a source address; (status, headers, body, seconds)."""
    c = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=60, source_address=(source, 0))
    t = time.perf_counter()
    c.request("POST", "/login", body="user=%s&password=%s" % (user, password), headers=FORM)
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body.decode(errors="replace"), dt


def basic(user, password, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=60, source_address=(source, 0))
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    c.request("GET", "/api/v1/reports/now", headers={"Authorization": "Basic " + tok})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders())


def guess_rate(user, source, seconds=5.0, threads=4):
    """Wrong passwords for user from 4 threads: checked guesses (401) and
    refusals (429) a second."""
    counts = {"checked": 0, "refused": 0}
    lock = threading.Lock()
    end = time.time() + seconds

    def run(k):
        n = 0
        while time.time() < end:
            st, _, _, _ = login(user, "guess-%d-%d" % (k, n), source)
            n += 1
            with lock:
                counts["checked" if st == 401 else "refused"] += 1

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return counts["checked"] / seconds, counts["refused"] / seconds


try:
    svc.add_user(USER, "supervisor", PASS)
    svc.add_user(USER2, "supervisor", PASS2)
    svc.start()

    say("== an unknown user costs what a known one does")
    known = [login(USER, "wrong-%d" % i)[3] for i in range(4)]
    unknown = [login("nobody-%d" % i, "wrong-%d" % i)[3] for i in range(4)]
    mk, mu = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    say("  wrong password, known user: median %.2f ms; unknown user: median %.2f ms" % (mk, mu))
    check(0.5 <= mu / mk <= 2.0, "unknown / known within 0.5-2 (%.2f)" % (mu / mk))
    st, _, _, _ = login(USER, PASS)
    check(st == 303, "the right password logs in (and clears the address's count)")

    say("== per user: repeated wrong passwords, then 429 with Retry-After")
    statuses = []
    for i in range(8):
        st, h, body, _ = login(USER, "bad-%d" % i)
        statuses.append(st)
        if st == 429:
            break
    say("  statuses: %s" % statuses)
    check(statuses[-1] == 429, "refused with 429 after %d wrong passwords" % (len(statuses) - 1))
    retry = int(h.get("retry-after", "0"))
    check(retry >= 1, "Retry-After: %d" % retry)
    m = re.search(r"(\d+) *秒", body)
    check(m is not None and "后再试" in body and "try again" not in body,
          "the page says how long is left, in Chinese: %s" % (m.group(0) if m else body[:200]))
    st, h2, _, _ = login(USER, PASS)
    check(st == 429 and int(h2.get("retry-after", "0")) >= 1,
          "the right password from the failing address: 429 as well (its password not looked at)")
    st, h2 = basic(USER, PASS)
    check(st == 429, "HTTP basic for that user from the failing address: 429")

    time.sleep(retry + 0.2)
    st, _, _, _ = login(USER, PASS)
    check(st == 303, "after Retry-After the right password logs in from the address that failed")

    say("== lockout abuse: a guesser at 127.0.0.7 keeps %s locked; the real %s is at another address" % (USER2, USER2))
    locked_s, rounds = 0, 0
    while locked_s < 8 and rounds < 30:
        st, h, _, _ = login(USER2, "guess-%d" % rounds, "127.0.0.7")
        rounds += 1
        if st == 429:
            locked_s = int(h.get("retry-after", "0"))
            if locked_s < 8:
                time.sleep(locked_s + 0.1)
    say("  %d guesses; the name is locked for %d s" % (rounds, locked_s))
    t_locked = time.time()
    st, _, _, _ = login(USER2, PASS2, "127.0.0.7")
    check(st == 429, "the right password from the guessing address: 429 (the backoff is kept)")
    st, h2, _, _ = login(USER2, PASS2, "127.0.0.2")
    check(st == 303 and "kcsid=" in h2.get("set-cookie", ""),
          "the right password from an address that has not been failing signs in (%d)" % st)
    st, _, _, _ = login(USER2, PASS2, "127.0.0.7")
    check(st == 429, "the guessing address is still refused after that sign-in (the name's lock is kept)")
    time.sleep(CLEAN_SPACING_S)
    st, _ = basic(USER2, PASS2, "127.0.0.8")
    check(st == 200, "a second later, HTTP basic from another clean address: 200 (%d)" % st)
    time.sleep(CLEAN_SPACING_S)
    st1, _, _, _ = login(USER2, "other-guess", "127.0.0.9")
    st2, h2, _, _ = login(USER2, PASS2, "127.0.0.9")
    say("  a second guessing address: %d, then the right password %d" % (st1, st2))
    check(st1 == 401 and st2 == 429,
          "a second address gets one guess while the name is locked, then the name's lock holds it too")
    st, h2, _, _ = login(USER2, "third-guess", "127.0.0.10")
    check(st == 429 and h2.get("retry-after") == "1",
          "a third address at once: 429, Retry-After 1 (clean addresses get one check a second)")
    check(time.time() - t_locked < locked_s, "all of the above within the lock (%.1f s of %d s)"
          % (time.time() - t_locked, locked_s))

    say("== many addresses guessing the locked name (4 threads, 4 s, a fresh address after each checked guess)")
    counts = {"checked": 0, "refused": 0}
    lock = threading.Lock()
    end = time.time() + 4

    def spray(k):
        n, addr = 0, 1
        while time.time() < end:
            st, _, _, _ = login(USER2, "spray-%d-%d" % (k, n), "127.0.%d.%d" % (10 + k, addr))
            n += 1
            with lock:
                counts["checked" if st == 401 else "refused"] += 1
            if st == 401:
                addr += 1

    ts = [threading.Thread(target=spray, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    say("  %d guesses checked, %d refused (429)" % (counts["checked"], counts["refused"]))
    check(counts["checked"] <= 5, "at most one guess a second reaches the password check (%d in 4 s)"
          % counts["checked"])

    say("== per address: many user names from one address")
    statuses = []
    for i in range(40):
        st, h, _, _ = login("spray-%d" % i, "x", "127.0.0.3")
        statuses.append(st)
        if st == 429:
            break
    check(statuses[-1] == 429, "an address trying %d names is refused (429)" % (len(statuses) - 1))
    st, _, _, _ = login(USER, PASS, "127.0.0.4")
    check(st == 303, "the user still logs in from another address")
    st, _ = basic("spray-x", "x", "127.0.0.3")
    check(st == 429, "HTTP basic from the locked address: 429")

    say("== guesses a second (4 threads, 5 s, one user, one address)")
    checked, refused = guess_rate(USER, "127.0.0.5")
    say("  %.1f guesses checked a second, %.1f refused a second" % (checked, refused))
    check(checked < 5, "fewer than 5 guesses a second reach the password check")

    say("== log injection: a newline in a login name and in a URL")
    forged = "keyauditd: info: web login: %s (admin)" % USER
    login("eve%0A" + forged.replace(" ", "+"), "x", "127.0.0.6")
    c = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=30)
    c.request("POST", "/api/v1/x%0Akeyauditd:%20notice:%20cabinet%20FORGED:%20registered%20by%20root",
              body="x" * 2048, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    time.sleep(0.3)
    lines = svc.log_text().splitlines()
    check(not any(l.startswith(forged) for l in lines), "no forged 'web login' line")
    check(not any(l.startswith("keyauditd: notice: cabinet FORGED") for l in lines), "no forged 'cabinet' line")
    esc = [l for l in lines if "\\x0a" in l]
    for l in esc:
        say("  log: " + l)
    check(len(esc) >= 2, "the login name and the URL are logged escaped, each on one line")
    check(PASS not in svc.log_text() and PASS2 not in svc.log_text(), "no password in the log")
finally:
    svc.stop()
finish()
