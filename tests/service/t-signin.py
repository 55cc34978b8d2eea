#!/usr/bin/env python3
"""A supervisor signs in to keyauditd's console and out again in a real
headless Chromium (tests/service/signin.js, playwright-core with Debian's
chromium): / shows the sign-in form without a basic-auth challenge, a
wrong password is told so, the right one lands on the console, a report
and its filter form work, sign-out ends the session at the service (the
old cookie is refused from a second client). Screenshots:
$BUILD/test-logs/service/t-signin/."""
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say

SRC = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if not shutil.which("chromium") or not shutil.which("node"):
    print("chromium or node is not installed (make check installs them)")
    sys.exit(77)
npm = subprocess.run([os.path.join(SRC, "tests", "kiosk", "npm-setup.sh")], capture_output=True, text=True)
if npm.returncode != 0:
    print(npm.stderr)
    print("npm ci failed")
    sys.exit(1)

USER, PASS = "sup", "signin-pass-1234"
svc = Service()
try:
    svc.add_user(USER, "supervisor", PASS)
    svc.start()
    env = dict(os.environ, NODE_PATH=npm.stdout.strip(), KC_URL=svc.url, KC_USER=USER, KC_PASS=PASS,
               KC_SHOTS=os.path.join(os.environ["BUILD"], "test-logs", "service", "t-signin"))
    r = subprocess.run(["node", os.path.join(SRC, "tests", "service", "signin.js")], env=env,
                       capture_output=True, text=True, timeout=300)
    for line in (r.stdout + r.stderr).splitlines():
        say("  " + line)
    check(r.returncode == 0, "signin.js: every check in the browser held")
    log = svc.log_text()
    check(PASS not in log and "not-the-password" not in log, "no password in the log")
finally:
    svc.stop()
finish()
