#!/usr/bin/env python3
"""Cross-site writes through a signed-in browser. An admin signs in to
keyauditd with the login form in a real headless Chromium (driven over the
DevTools pipe, cdp.py: clicks and typing, as a person does); the same
browser opens a page on another site (a second HTTP server, evil.test)
that auto-submits forms and fetches to keyauditd's write routes. Every one
is refused and the database is unchanged, while API clients (no Origin, a
JSON body, basic auth) and the service's own forms (sign-out, clicked)
keep working.

ATTACK SET-UP, marked where it is done: the session cookie is SameSite=
Strict and keyauditd never asks a browser for basic credentials, so a
browser sends no credential to another site's form by itself; to test
the cross-site guard on its own, the attack phase adds the admin's basic
credentials to every request of the browser by hand (as a browser that
had them cached would), and a section forges Origin and Sec-Fetch-Site
headers without a browser."""
import base64
import http.server
import json
import os
import re
import sys
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say

try:
    from cdp import Browser
    browser = Browser(["--host-resolver-rules=MAP evil.test 127.0.0.1"])
except FileNotFoundError:
    print("chromium is not installed (make check installs it)")
    sys.exit(77)

ADMIN = ("root-admin", "admin-pass-1234")
svc = Service()
evil = None

# Each attack page is opened on its own: a form that submits itself to the
# top window (a top-level navigation carries the credentials cached for
# keyauditd), or fetches and forms in frames.
FORM = """<!doctype html><html><head><title>prize</title></head><body>
<form id="f" method="POST" enctype="%(enctype)s" action="%(svc)s%(path)s">%(inputs)s</form>
<script>document.getElementById("f").submit();</script></body></html>"""
JSON_INPUT = """<input name='{"id":"%s","x":"' value='"}'>"""
ATTACKS = {
    "/register": {"path": "/api/v1/cabinets", "enctype": "text/plain", "inputs": JSON_INPUT % "EVIL-FORM"},
    "/rotate": {"path": "/api/v1/cabinets/token", "enctype": "text/plain", "inputs": JSON_INPUT % "CAB-REAL"},
    "/register-urlenc": {"path": "/api/v1/cabinets", "enctype": "application/x-www-form-urlencoded",
                         "inputs": '<input name="id" value="EVIL-URLENC">'},
    "/review": {"path": "/r/handovers/review", "enctype": "application/x-www-form-urlencoded",
                "inputs": '<input name="cabinet" value="CAB-REAL"><input name="handover" value="1">'},
}
FETCH = """<!doctype html><html><head><title>prize</title></head><body>
<script>
const S = "%(svc)s";
Promise.allSettled([
  fetch(S + "/api/v1/cabinets", {method: "POST", mode: "no-cors", credentials: "include",
        body: '{"id":"EVIL-FETCH"}'}),
  fetch(S + "/api/v1/cabinets/token", {method: "POST", mode: "no-cors", credentials: "include",
        headers: {"Content-Type": "text/plain"}, body: '{"id":"CAB-REAL"}'}),
  fetch(S + "/api/v1/cabinets", {method: "POST", mode: "cors", credentials: "include",
        headers: {"Content-Type": "application/json"}, body: '{"id":"EVIL-CORS"}'}),
]).then(() => { document.title = "done"; });
</script></body></html>"""


class EvilHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        a = ATTACKS.get(self.path)
        body = ((FORM % dict(a, svc=svc.url)) if a else (FETCH % {"svc": svc.url})).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def db_state():
    return svc.sql("SELECT id, token_hash FROM cabinets ORDER BY id")


def evaluate(session, expr):
    r = browser.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
    return r.get("result", {}).get("value")


def basic(cred):
    return "Basic " + base64.b64encode(("%s:%s" % cred).encode()).decode()


def click(session, selector, wait_load=False):
    """A mouse click in the middle of the element, as a person clicks;
    with wait_load, true once the page it leads to has loaded."""
    box = evaluate(session, "(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                  "clickCount": 1}, session=session)
    if wait_load:
        return browser.pump(20, lambda b, m: m.get("method") == "Page.loadEventFired")
    return True


def open_page(session, url, seconds=20):
    """Navigates to url; true once the page has loaded."""
    browser.post("Page.navigate", {"url": url}, session=session)
    return browser.pump(seconds, lambda b, m: m.get("method") == "Page.loadEventFired")


try:
    real_token = svc.add_cabinet("CAB-REAL")
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.start()
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EvilHandler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    evil_url = "http://evil.test:%d/" % evil.server_address[1]

    t = browser.send("Target.createTarget", {"url": "about:blank"})
    sess = browser.send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})["sessionId"]
    browser.send("Page.enable", session=sess)

    say("== the admin opens keyauditd and signs in with the form")
    check(open_page(sess, svc.url + "/"), "the console's address opens")
    check(evaluate(sess, "location.pathname") == "/login", "it shows the sign-in form (/login)")
    click(sess, 'input[name="user"]')
    browser.send("Input.insertText", {"text": ADMIN[0]}, session=sess)
    click(sess, 'input[name="password"]')
    browser.send("Input.insertText", {"text": ADMIN[1]}, session=sess)
    check(click(sess, 'form[action="/login"] button', wait_load=True), "the sign-in button pressed, a page loaded")
    text = evaluate(sess, "document.body.innerText") or ""
    check(evaluate(sess, "location.pathname") == "/" and "退出 (%s)" % ADMIN[0] in text,
          "the console shows the admin signed in")
    check(open_page(sess, svc.url + "/r/now") and ADMIN[0] in (evaluate(sess, "document.body.innerText") or ""),
          "another page opens in the same session")
    before = db_state()

    say("== the same browser opens pages on another site: forms and fetches to the write routes")
    # ATTACK SET-UP: the admin's basic credentials on every request the
    # browser makes, set by hand (a browser holding cached credentials would
    # add them itself), so that only the cross-site guard stands in the way.
    browser.send("Network.enable", session=sess)
    browser.send("Network.setExtraHTTPHeaders", {"headers": {"Authorization": basic(ADMIN)}}, session=sess)
    for path in list(ATTACKS) + ["/fetch"]:
        open_page(sess, evil_url.rstrip("/") + path)
        if path == "/fetch":
            for _ in range(100):
                if evaluate(sess, "document.title") == "done":
                    break
                time.sleep(0.1)
        else:
            # the form's own navigation to keyauditd
            browser.pump(5, lambda b, m: m.get("method") == "Page.loadEventFired")
        where = evaluate(sess, "location.href") or ""
        answer = (evaluate(sess, "document.body ? document.body.innerText : ''") or "").replace("\n", " ")
        say("  %-18s -> %s: %s" % (path, where, answer[:150]))
    browser.send("Network.setExtraHTTPHeaders", {"headers": {}}, session=sess)
    after = db_state()
    say("  cabinets before: %s" % [r[0] for r in before])
    say("  cabinets after:  %s" % [r[0] for r in after])
    check(after == before, "no cabinet registered, no token replaced")
    st, _ = svc.post_events(real_token, [], raw="[]")
    check(st == 200, "the real cabinet's token still works (%d)" % st)
    log = svc.log_text()
    refusals = re.findall(r".*cross-site.*", log)
    for line in refusals[:3]:
        say("  log: " + line)
    check(len(refusals) >= 1, "the refusals are logged")

    say("== write requests a browser can make, without a browser (ATTACK: Origin, Sec-Fetch-Site forged)")
    hdr = {"Origin": "http://evil.test", "Content-Type": "application/json"}
    st, _, body = svc.request("POST", "/api/v1/cabinets", '{"id":"EVIL-ORIGIN"}', hdr, user=ADMIN)
    say("  foreign Origin: %d %s" % (st, body.decode()[:160]))
    check(st == 403 and b"cross_site" in body, "a foreign Origin: 403 cross_site")
    st, _, body = svc.request("POST", "/api/v1/cabinets", '{"id":"EVIL-PLAIN"}',
                              {"Content-Type": "text/plain"}, user=ADMIN)
    say("  text/plain body: %d %s" % (st, body.decode()[:160]))
    check(st == 415, "a text/plain body: 415")
    st, _, body = svc.request("POST", "/api/v1/cabinets", "id=EVIL-FORM2",
                              {"Content-Type": "application/x-www-form-urlencoded"}, user=ADMIN)
    check(st == 415, "a form body: 415")
    st, _, body = svc.request("POST", "/api/v1/cabinets", '{"id":"EVIL-SFS"}',
                              {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, user=ADMIN)
    check(st == 403, "Sec-Fetch-Site: cross-site: 403")
    for what, h in (("Origin: null (a sandboxed frame, a data: page)", {"Origin": "null"}),
                    ("Origin: null, Sec-Fetch-Site: cross-site", {"Origin": "null", "Sec-Fetch-Site": "cross-site"}),
                    ("Origin: null, Sec-Fetch-Site: same-site (a sibling host)",
                     {"Origin": "null", "Sec-Fetch-Site": "same-site"}),
                    ("another Origin, Sec-Fetch-Site: same-origin", {"Origin": "http://evil.test",
                                                                     "Sec-Fetch-Site": "same-origin"})):
        h["Content-Type"] = "application/json"
        st, _, body = svc.request("POST", "/api/v1/cabinets", '{"id":"EVIL-NULL"}', h, user=ADMIN)
        check(st == 403 and b"cross_site" in body, "%s: 403 cross_site" % what)
        st, h2, _ = svc.request("POST", "/login", "user=%s&password=%s" % ADMIN,
                                dict(h, **{"Content-Type": "application/x-www-form-urlencoded"}))
        check(st == 403 and "set-cookie" not in h2, "%s, the login form: 403, no session" % what)
    st, _, body = svc.request("POST", "/login", "user=%s&password=%s" % ADMIN,
                              {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.test"})
    check(st == 403 and b"set-cookie" not in body.lower(), "a login form posted from another site: 403")
    check(db_state() == before, "nothing changed in the database")

    say("== what legitimately writes keeps working")
    st, _, body = svc.request("POST", "/api/v1/cabinets", {"id": "CAB-CURL"}, user=ADMIN)
    check(st == 201, "curl-like client: basic auth, JSON body, no Origin: 201")
    st, _, body = svc.request("POST", "/api/v1/cabinets/token", {"id": "CAB-CURL"},
                              {"Content-Type": "application/json; charset=utf-8"}, user=ADMIN)
    check(st == 200, "JSON with a charset parameter: 200")
    check(open_page(sess, svc.url + "/r/now") and ADMIN[0] in (evaluate(sess, "document.body.innerText") or ""),
          "back at the console, still signed in")
    check(click(sess, 'form[action="/logout"] button', wait_load=True) and
          evaluate(sess, "location.pathname") == "/login", "the sign-out button (the service's own form): signed out")
    st, _ = svc.post_events(real_token, [], raw="[]")
    check(st == 200, "ingest with the bearer token (the forwarder): 200")
finally:
    browser.close()
    if evil:
        evil.shutdown()
    svc.stop()
finish()
