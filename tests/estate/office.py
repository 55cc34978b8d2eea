#!/usr/bin/env python3
"""The office's JSON API (/api/v1/estate/..., service/README.md "The
estate") as the estate's end-to-end test uses it, as the admin:

  office.py seed      the estate the test starts from: site HY, the cabinet
                      serving it, ten units, seven keys in slots of the demo
                      cabinet, an engineer; then the keys put in their slots
                      at keycab-sim
  office.py many N    N new units of building 9 of HY, 50 a request: a feed
                      of N changes

Env: OFFICE (keyauditd's URL), ADMIN, ADMIN_PASS, CABINET, SIM_CONTROL."""
import base64
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse

URL = urllib.parse.urlparse(os.environ["OFFICE"])
AUTH = "Basic " + base64.b64encode(("%s:%s" % (os.environ["ADMIN"], os.environ["ADMIN_PASS"])).encode()).decode()
CABINET = os.environ["CABINET"]

# The keys of the seed: code, unit, kind, slot, tag (the A slots read tags).
KEYS = [
    ("K-HY-1-101", "HY-1-101", "vacant", "A01", 0x1001),
    ("K-HY-1-102", "HY-1-102", "vacant", "A02", 0x1002),
    ("K-HY-1-103", "HY-1-103", "vacant", "B01", 0),
    ("K-HY-1-104", "HY-1-104", "vacant", "B02", 0),
    ("K-HY-1-105", "HY-1-105", "repair", "B03", 0),
    ("K-HY-1-106", "HY-1-106", "vacant", "B04", 0),
    ("K-HY-1-109", "HY-1-109", "sealed", "B06", 0),
]

conn = None


def post(path, rows):
    """POSTs rows to /api/v1/estate/PATH on one kept-alive connection; the
    answer, or an exception naming what the office said."""
    global conn
    for attempt in (1, 2):
        if conn is None:
            conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
        try:
            conn.request("POST", "/api/v1/estate/" + path, body=json.dumps(rows),
                         headers={"Authorization": AUTH, "Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            break
        except (ConnectionError, http.client.HTTPException):
            conn.close()
            conn = None
            if attempt == 2:
                raise
    ans = json.loads(body)
    if r.status != 200 or not ans.get("ok"):
        raise RuntimeError("%s: %d %s" % (path, r.status, body.decode(errors="replace")))
    return ans


def sim(cmd):
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["SIM_CONTROL"])
    s.sendall((cmd + "\n").encode())
    out = s.recv(4096).decode().strip()
    s.close()
    return out


def seed():
    post("sites", [{"site": "HY", "name": "海悦花园", "age": "new", "time_zone": "Asia/Shanghai"}])
    post("cabinets", [{"cabinet": CABINET, "sites": ["HY"]}])
    post("units", [{"unit": "HY-1-1%02d" % i, "site": "HY", "building": "1", "room": "1%02d" % i, "vacant": True}
                   for i in range(1, 11)])
    post("keys", [{"key": k, "unit": u, "kind": kind, "cabinet": CABINET, "slot": slot, "tag": tag}
                  for k, u, kind, slot, tag in KEYS])
    post("people", [{"person": "E01", "name": "张伟", "role": "engineer", "phone": "13900000003",
                     "department": "工程部", "active": True, "sites": ["HY"]}])
    for _, _, _, slot, tag in KEYS:
        sim("insert %s %d" % (slot, tag))
    print("seed: site HY, %d units, %d keys in their slots, engineer E01" % (10, len(KEYS)))


def many(n):
    t0 = time.monotonic()
    changes = 0
    for first in range(1, n + 1, 50):
        ans = post("units", [{"unit": "HY-9-%03d" % i, "site": "HY", "building": "9", "room": "%03d" % i,
                              "vacant": i % 2 == 1} for i in range(first, min(first + 50, n + 1))])
        changes += ans.get("changes", 0)
    ms = (time.monotonic() - t0) * 1000
    print("%d changes in %.0f ms" % (changes, ms))


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed()
    elif sys.argv[1] == "many":
        many(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
