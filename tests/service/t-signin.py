#!/usr/bin/env python3
"""A supervisor signs in to keyauditd's console and out again in a real
headless Chromium (tests/service/signin.js, playwright-core with Debian's
chromium): / shows the sign-in form without a basic-auth challenge, a
wrong password is told so, the right one lands on the console, a report
and its filter form work, sign-out ends the session at the service (the
old cookie is refused from a second client). Screenshots:
$BUILD/test-logs/service/t-signin/."""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, browser, check, finish

USER, PASS = "sup", "signin-pass-1234"
svc = Service()
try:
    svc.add_user(USER, "supervisor", PASS)
    svc.start()
    check(browser("signin.js", svc, USER, PASS, "t-signin") == 0, "signin.js: every check in the browser held")
    log = svc.log_text()
    check(PASS not in log and "not-the-password" not in log, "no password in the log")
finally:
    svc.stop()
finish()
