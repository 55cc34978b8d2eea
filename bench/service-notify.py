#!/usr/bin/python3
"""Notices through the channels, against the local servers of the tests
(tests/service/gateways.py): for each channel, the notices a minute one
keyauditd sends (N alarms routed to it alone; WeCom unpaced here, the real
robot takes 20 a minute); and the ingest rate of a keyauditd whose
notifier works through 10,000 queued notices (to a webhook answering in
20 ms) beside one with none queued (10,000 events that make no notice
ingested first instead), in the same run, each first in turn, best of 4
(target: within 5 %).
KC_BENCH_NOTICES sets N (default 1000), KC_BENCH_QUEUED the queue (10000).
Debian's python3 for python3-nacl and python3-aiosmtpd."""
import base64
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("KEYCAB_SRC", "."), "tests", "service"))
import svc as S  # noqa: E402
from svc import Service, seal  # noqa: E402
import gateways  # noqa: E402
from gateways import (ALI_SECRET, SMTP_PASS, TC_SECRET, WECOM_KEY, start_http, aliyun_section, tencent_section, smtp_section,  # noqa: E402
                      start_smtp)
from nacl.public import PublicKey, SealedBox  # noqa: E402

S.say = lambda *a: None   # the service's own checks speak only when they fail
gateways.WECOM_PER_MINUTE = 10 ** 9   # keyauditd's own rate, not the robot's
N = int(os.environ.get("KC_BENCH_NOTICES", "1000"))
QUEUED = int(os.environ.get("KC_BENCH_QUEUED", "10000"))
MEASURED = 20000

tmp = tempfile.mkdtemp(prefix="bench-notify-")
smtp, smtp_port, crt = start_smtp(tmp)
gw = start_http()
base = "http://127.0.0.1:%d" % gw.server_address[1]
secrets = os.path.join(tmp, "secrets.conf")
with open(secrets, "w") as f:
    f.write("[channel desk]\nsecret = %s\n[channel ali]\nsecret = %s\n[channel tsms]\nsecret = %s\n"
            "[channel mail]\nsecret = %s\n" % (WECOM_KEY, ALI_SECRET, TC_SECRET, SMTP_PASS))
os.chmod(secrets, 0o600)
keyfile = os.path.join(tmp, "notice.key")
CHANNELS = """[channel hook]
type = webhook
url = %(base)s/hook
[channel slowhook]
type = webhook
url = %(base)s/slowhook
[channel desk]
type = wecom
url = %(base)s/cgi-bin/webhook/send
per_minute = 0
""" % dict(base=base) + aliyun_section("ali", base, "template.alarm = SMS_1 key slot\n") + \
    tencent_section("tsms", base, "template.alarm = 1 key slot\n") + smtp_section("mail", smtp_port, crt)


def service(name, route):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    conf = ("[notify]\nbackoff_min_ms = 10\nbackoff_max_ms = 1000\nmax_attempts = 20\ntimeout_ms = 5000\n"
            "secrets_file = %s\nnotice_key_file = %s\n%s[route]\nalarm = %s\n" % (secrets, keyfile, CHANNELS, route))
    return Service(conf_extra=conf, tmp=d)


def alarms(cab, n, pub):
    sealed = base64.b64encode(SealedBox(pub).encrypt(b"13800138001")).decode()
    return seal(cab, [{"type": "alarm.raised", "key": "K%05d" % i, "slot": "A%02d" % (i % 60), "site": "S1",
                       "data": {"alarm": i + 1, "alarm_type": "tamper", "detail": "钥匙未经放行离开钥匙位",
                                "phone_sealed": sealed, "phone_masked": "138****8001"}} for i in range(n)])


def post(s, tok, evs, batch=100):
    for i in range(0, len(evs), batch):
        st, res = s.post_events(tok, None, raw=("[" + ",".join(evs[i:i + batch]) + "]").encode())
        if st != 200:
            raise SystemExit("ingest answered %s: %s" % (st, res))


os.mkdir(os.path.join(tmp, "key"))
first = Service(tmp=os.path.join(tmp, "key"), conf_extra="[notify]\nnotice_key_file = %s\n" % keyfile)
pub = PublicKey(base64.b64decode(first.cmd("notice-key", "new").stdout.strip()))

print("notices a minute, %d alarms routed to one channel at a time (one keyauditd each):" % N)
for name, route in (("webhook", "hook"), ("wecom", "desk"), ("sms_aliyun", "ali:person"),
                    ("sms_tencent", "tsms:person"), ("smtp", "mail:manager@example.com")):
    s = service(name, route)
    tok = s.add_cabinet("CAB-B")
    evs = alarms("CAB-B", N, pub)
    s.start()
    t0 = time.time()
    post(s, tok, evs)
    while s.sql("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'unclear')")[0][0]:
        time.sleep(0.05)
    dt = time.time() - t0
    done = s.sql("SELECT count(*) FROM deliveries WHERE state IN ('sent', 'delivered')")[0][0]
    s.stop()
    print("  %-12s %6.0f a minute (%d of %d taken in %.1f s)" % (name, done / dt * 60, done, N, dt))

print("ingest of %d events (batches of 100) beside a notifier with %d notices queued, and with none:"
      % (MEASURED, QUEUED))
plain = seal("CAB-I", [{"type": "slot.removed", "slot": "A%02d" % (i % 60), "key": "K-0042", "site": "S1",
                        "data": {"tag": i}} for i in range(MEASURED)])
queue_alarms = alarms("CAB-Q", QUEUED, pub)
queue_plain = seal("CAB-Q", [{"type": "slot.removed", "slot": "A%02d" % (i % 60), "key": "K-0043", "site": "S1",
                              "data": {"tag": i}} for i in range(QUEUED)])
rates = {"queued": [], "none": []}
for rnd in range(4):
    for what in (("none", "queued"), ("queued", "none"))[rnd % 2]:   # each first in turn
        s = service("%s%d" % (what, rnd), "slowhook")
        tok = s.add_cabinet("CAB-I")
        qt = s.add_cabinet("CAB-Q")
        s.start()
        # the same number of events first, alarms (notices) or not: both
        # services warmed alike, their databases of a size
        post(s, qt, queue_alarms if what == "queued" else queue_plain)
        waiting = s.sql("SELECT count(*) FROM deliveries WHERE state = 'pending'")[0][0]
        t0 = time.time()
        post(s, tok, plain)
        dt = time.time() - t0
        if what == "queued":
            left = s.sql("SELECT count(*) FROM deliveries WHERE state = 'pending'")[0][0]
            print("  round %d: %d notices waiting when ingest began, %d still waiting when it ended"
                  % (rnd + 1, waiting, left))
        s.stop()
        rates[what].append(MEASURED / dt)
for k in ("none", "queued"):
    print("  %-6s each round: %s events/s" % (k, ", ".join("%.0f" % r for r in rates[k])))
best = {k: max(v) for k, v in rates.items()}
print("  none queued:   %7.0f events/s (best of 4)" % best["none"])
print("  %d queued: %7.0f events/s (best of 4)" % (QUEUED, best["queued"]))
print("  ratio %.3f (target >= 0.95)" % (best["queued"] / best["none"]))
gw.shutdown()
smtp.stop()
subprocess.run(["rm", "-rf", tmp])
