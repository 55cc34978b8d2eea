#!/usr/bin/python3
"""Notices through the channels people read, against local servers this
test runs, each speaking its vendor's documented request and answer:
a WeCom group robot (two: one with a good key, one with a revoked key),
Aliyun SMS (SendSms, QuerySendDetails; ACS3-HMAC-SHA256), Tencent Cloud
SMS (SendSms, PullSmsSendStatusByPhoneNumber; TC3-HMAC-SHA256), and an
SMTP server (aiosmtpd, STARTTLS required). Every SMS request's signature
is checked here with Python's hmac/hashlib, independently of the C.

Phone numbers leave the "cabinet" sealed (PyNaCl SealedBox) to the notice
key keyauditd made (keyauditd notice-key new); the key is rotated half-way
and numbers sealed to either key are sent. Each SMS gateway sees four
numbers: one taken, one over its per-number limit, one whose answer comes
after keyauditd's time-out (the message was taken: it is looked up, never
sent twice), one refused. Checks the routing of each notice kind, the
Chinese texts, the WeCom pacing (25 alarms in a minute: 20, then the rest
a minute later, none lost, never over the robot's limit), a text cut
whole at the robot's limit, every attempt recorded, and that no secret,
clear phone number or ID number is in the log or the database.

Debian's python3 for python3-nacl and python3-aiosmtpd."""
import base64
import email
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say, seal  # noqa: E402
from gateways import (PHONES, aliyun_section, tencent_section, smtp_section, SECRETS, SMTP_PASS, TC_SECRET, ALI_SECRET, TIMEOUT_MS,  # noqa: E402
                      WECOM_BAD_KEY, WECOM_KEY, WECOM_KEY2, ali, bad_sigs, mail, start_http, start_smtp, tc, wecom)

from nacl.public import PublicKey, SealedBox  # noqa: E402


def main():
    tmp = subprocess.run(["mktemp", "-d", "/tmp/keyauditd-channels-XXXXXX"], capture_output=True,
                         text=True).stdout.strip()
    smtp, smtp_port, crt = start_smtp(tmp)
    gw = start_http()
    gport = gw.server_address[1]

    keyfile = os.path.join(tmp, "notice.key")
    secrets = os.path.join(tmp, "secrets.conf")
    with open(secrets, "w") as f:
        f.write("[channel desk]\nsecret = %s\n[channel oldrobot]\nsecret = %s\n[channel ali]\nsecret = %s\n"
                "[channel tsms]\nsecret = %s\n[channel mail]\nsecret = %s\n[channel unpaced]\nsecret = %s\n" %
                (WECOM_KEY, WECOM_BAD_KEY, ALI_SECRET, TC_SECRET, SMTP_PASS, WECOM_KEY2))
    os.chmod(secrets, 0o600)
    base = "http://127.0.0.1:%d" % gport
    conf = """[notify]
backoff_min_ms = 300
backoff_max_ms = 2000
max_attempts = 8
timeout_ms = %(to)d
secrets_file = %(secrets)s
notice_key_file = %(keyfile)s
[channel desk]
type = wecom
url = %(base)s/cgi-bin/webhook/send
[channel unpaced]
type = wecom
url = %(base)s/cgi-bin/webhook/send
per_minute = 0
[channel oldrobot]
type = wecom
url = %(base)s/cgi-bin/webhook/send
format = text
%(sections)s[route]
before_end = ali:person, tsms:person
loan_overdue = desk:person
alarm = desk, unpaced
ingest_refused = oldrobot, mail:manager@example.com, mail:refused@example.com, mail:slow@example.com, mail:limited@example.com
[route SO]
loan_overdue = mail:so-manager@example.com
[route SX]
alarm = mail:sx-manager@example.com
[templates]
alarm.zh = 钥匙柜报警（{alarm_type}）：{cabinet}的{slot}号格：{detail}
alarm.en = Cabinet alarm ({alarm_type}): slot {slot} of {cabinet}: {detail}
""" % dict(to=TIMEOUT_MS, secrets=secrets, keyfile=keyfile, base=base,
           sections=aliyun_section("ali", base, "template.before_end = SMS_154950909 owner_name unit end\n") +
           tencent_section("tsms", base, "template.before_end = 1110001 owner_name unit end\n") +
           smtp_section("mail", smtp_port, crt))
    svc = Service(conf_extra=conf, tmp=tmp)

    say("== the configuration: a rule naming an unknown channel, a secrets file others may read")
    os.mkdir(os.path.join(tmp, "bad"))
    bad = Service(conf_extra=conf.replace("alarm = desk", "alarm = desk, wecomm"), tmp=os.path.join(tmp, "bad"))
    r = bad.cmd("check-config")
    line = [i + 1 for i, text in enumerate(open(bad.conf).read().splitlines()) if text.startswith("alarm =")][0]
    check(r.returncode != 0 and ("keyauditd.conf:%d: [route] alarm: " % line) in r.stderr and 'no channel "wecomm"' in r.stderr,
          "unknown channel refused with file:line: " + r.stderr.strip().splitlines()[-1])
    os.chmod(secrets, 0o644)
    r = svc.cmd("check-config")
    check(r.returncode != 0 and "others may read it" in r.stderr, "a secrets file others may read is refused")
    os.chmod(secrets, 0o600)

    say("== the notice key: made, then rotated")
    r = svc.cmd("notice-key", "new")
    check(r.returncode == 0 and len(base64.b64decode(r.stdout.strip())) == 32, "notice-key new prints a public key")
    pub1 = PublicKey(base64.b64decode(r.stdout.strip()))
    check(oct(os.stat(keyfile).st_mode & 0o777) == "0o600", "the key file is 0600")
    r = svc.cmd("notice-key", "new")
    pub2 = PublicKey(base64.b64decode(r.stdout.strip()))
    check(r.returncode == 0 and pub2 != pub1 and len(open(keyfile).read().splitlines()) == 2,
          "a second key added after the first (rotation keeps the old one)")

    def sealed(phone, pub):
        return base64.b64encode(SealedBox(pub).encrypt(phone.encode())).decode()

    def masked(phone):
        return phone[:3] + "****" + phone[-4:]

    tok = svc.add_cabinet("CAB-CH")
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    try:
        now = int(time.time() * 1000)
        end = time.strftime("%Y-%m-%dT16:00:00.000Z", time.gmtime(now / 1000 + 5 * 86400))
        evs = []
        # an entrustment notice per phone: ok and limit sealed to the old key, slow and bad to the new one
        for n, (what, phone) in enumerate(sorted(PHONES.items())):
            pub = pub1 if what in ("ok", "limit") else pub2
            evs.append({"type": "notice.due", "person": "OWN%d" % n, "key": "KE%d" % n, "unit": "3-%d01" % n,
                        "site": "SO", "data": {"notice": n + 1, "entrustment": n + 1, "stage": "before_end",
                                               "end": end, "owner_name": "业主" + what,
                                               "phone_sealed": sealed(phone, pub), "phone_masked": masked(phone)}})
        # an overdue loan: the desk's group, the borrower mentioned
        evs.append({"type": "loan.overdue", "person": "李四", "key": "KR1", "unit": "O6", "site": "SO",
                    "data": {"loan": 7, "purpose": "repair", "due": "2026-12-01T02:00:00.000Z",
                             "phone_sealed": sealed("13900139000", pub2), "phone_masked": masked("13900139000")}})
        # 25 alarms in a minute, one of them far longer than the robot takes
        long_detail = "钥匙离开了钥匙位而没有放行" * 120
        for i in range(25):
            evs.append({"type": "alarm.raised", "key": "KA%02d" % i, "slot": "A%02d" % i, "unit": "O1", "site": "SO",
                        "data": {"alarm": 100 + i, "alarm_type": "tamper",
                                 "detail": long_detail if i == 3 else "钥匙 KA%02d 未经放行离开钥匙位" % i}})
        t0 = time.time()
        st, res = svc.post_events(tok, None, raw=("[" + ",".join(seal("CAB-CH", evs)) + "]").encode())
        check(st == 200, "the cabinet's %d events stored (%s)" % (len(evs), st))
        # an event out of the chain: an ingest_refused notice, to the old robot and by mail
        bad_ev = seal("CAB-CH", [{"type": "operator.login", "actor": "S01", "data": {"method": "pin"}}], 10 ** 6, "00" * 32)
        svc.post_events(tok, bad_ev)

        say("== waiting for every delivery to settle")
        deadline = time.time() + 150
        while time.time() < deadline:
            left = svc.sql("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'unclear')"
                           " OR (state = 'sent' AND next_ms < 9000000000000000000)")[0][0]
            if not left:
                break
            time.sleep(0.5)
        rows = svc.sql("SELECT d.channel, n.type, d.recipient, d.state, d.attempts, d.last_error, d.template,"
                       " d.gateway_id, d.out_id FROM deliveries d JOIN notices n ON n.id = d.notice_id ORDER BY d.id")
        for row in rows[:12]:
            say("  " + repr(row))
        check(not left, "every delivery settled (%d left)" % left)

        say("== routing: who got what")
        routes = dict(svc.sql("SELECT n.type, group_concat(DISTINCT d.channel) FROM deliveries d"
                              " JOIN notices n ON n.id = d.notice_id GROUP BY n.type"))
        say("  " + repr(routes))
        check(set(routes.get("notice.due", "").split(",")) == {"ali", "tsms"},
              "before_end: the owner, by both SMS gateways, nothing else")
        check(set(routes.get("loan.overdue", "").split(",")) == {"desk", "mail"} and
              set(routes.get("alarm.raised", "").split(",")) == {"desk", "unpaced"},
              "loan_overdue: the desk's WeCom group, and by [route SO] its manager; alarm: both robots,"
              " none by [route SX] (another site)")
        so = [c for r, c in mail if r == "so-manager@example.com"]
        check(len(so) == 1 and "钥匙逾期未还" in email.message_from_bytes(so[0]).get_payload(decode=True).decode(),
              "site SO's manager got the overdue loan by mail")
        refused = [v for k, v in routes.items() if k not in ("notice.due", "loan.overdue", "alarm.raised")]
        check(len(refused) == 1 and set(refused[0].split(",")) == {"oldrobot", "mail"},
              "ingest_refused: the other robot and mail")

        say("== Aliyun SMS")
        sends = [p for a, p in ali if a == "SendSms"]
        for what, phone in PHONES.items():
            n = len([p for p in sends if p["PhoneNumbers"] == phone])
            check(n == 1, "%s: one SendSms to the number (%d)" % (what, n))
        p = [p for p in sends if p["PhoneNumbers"] == PHONES["ok"]][0]
        check(p["TemplateCode"] == "SMS_154950909" and p["SignName"] == "阳光物业" and
              json.loads(p["TemplateParam"]) == {"owner_name": "业主ok", "unit": "3-201", "end": end[:10]} and
              p["OutId"].startswith("kc-"),
              "template code, sign, parameters in Chinese and OutId: %s" % p["TemplateParam"])
        st = {r[2]: r for r in rows if r[0] == "ali"}
        check(st[masked(PHONES["ok"])][3] == "delivered" and st[masked(PHONES["ok"])][7] == "900619746936498440^0",
              "ok: delivered (QuerySendDetails), BizId recorded")
        check(st[masked(PHONES["limit"])][3] == "failed" and "BUSINESS_LIMIT_CONTROL" in st[masked(PHONES["limit"])][5]
              and st[masked(PHONES["limit"])][4] == 1, "limit: failed after one attempt, the limit recorded")
        check(st[masked(PHONES["bad"])][3] == "failed" and "MOBILE_NUMBER_ILLEGAL" in st[masked(PHONES["bad"])][5],
              "refused: failed, the gateway's code recorded")
        slow = st[masked(PHONES["slow"])]
        q = [p for a, p in ali if a == "QuerySendDetails" and p["PhoneNumber"] == PHONES["slow"]]
        check(slow[3] == "delivered" and q and q[0]["SendDate"] == time.strftime("%Y%m%d", time.gmtime(time.time() + 8 * 3600)),
              "time-out: looked up with QuerySendDetails (its Beijing day), found by OutId, delivered, not sent again")

        say("== Tencent Cloud SMS")
        sends = [b for a, b in tc if a == "SendSms"]
        for what, phone in PHONES.items():
            n = len([b for b in sends if b["PhoneNumberSet"] == ["+86" + phone]])
            check(n == 1, "%s: one SendSms to the number (%d)" % (what, n))
        b = [b for b in sends if b["PhoneNumberSet"] == ["+86" + PHONES["ok"]]][0]
        check(b["TemplateId"] == "1110001" and b["TemplateParamSet"] == ["业主ok", "3-201", end[:10]] and
              b["SmsSdkAppId"] == "1400006666" and b["SessionContext"].startswith("kc-"),
              "template, parameters in order, app id, SessionContext")
        st = {r[2]: r for r in rows if r[0] == "tsms"}
        check(st[masked(PHONES["ok"])][3] == "delivered", "ok: delivered (PullSmsSendStatusByPhoneNumber)")
        check(st[masked(PHONES["limit"])][3] == "failed" and "PhoneNumberDailyLimit" in st[masked(PHONES["limit"])][5],
              "limit: failed, LimitExceeded.PhoneNumberDailyLimit recorded")
        check(st[masked(PHONES["bad"])][3] == "failed", "refused: failed")
        check(st[masked(PHONES["slow"])][3] == "delivered", "time-out: its receipt found by SessionContext, not sent again")
        check(not bad_sigs, "every SMS request's signature checks out (%s)" % bad_sigs)

        say("== WeCom: pacing, the person mentioned, the robot's limit, a long text cut whole")
        got = [(t, b) for t, k, b in wecom if k == WECOM_KEY]
        alarms = [(t, b) for t, b in got if "钥匙柜报警" in json.dumps(b, ensure_ascii=False)]
        limited = [b for t, k, b in wecom if k == "LIMITED:" + WECOM_KEY]
        check(len(alarms) == 25, "25 alarms arrived, none lost (%d)" % len(alarms))
        check(not limited, "never over the robot's 20 a minute (%d answered 45009)" % len(limited))
        ts = sorted(t for t, b in got)
        window = max(len([u for u in ts if t <= u < t + 60]) for t in ts)
        check(window <= 20 and ts[-1] - t0 >= 59, "at most 20 in any minute; the last %.0f s after ingest" % (ts[-1] - t0))
        loan = [b for t, b in got if b["msgtype"] == "text"]
        check(len(loan) == 1 and loan[0]["text"]["mentioned_mobile_list"] == ["13900139000"] and
              "李四" in loan[0]["text"]["content"] and "KR1" not in loan[0]["text"]["content"], "overdue loan: a text message mentioning the borrower")
        md = [b["markdown"]["content"] for t, b in got if b["msgtype"] == "markdown"]
        longest = max(md, key=lambda c: len(c.encode()))
        check(4093 < len(longest.encode()) <= 4096,
              "a long alarm cut to %d bytes at a character boundary" % len(longest.encode()))
        one = [c for c in md if "KA05" in c][0]
        say("  " + one.replace("\n", " / "))
        check(one.startswith("钥匙柜报警（非法取出）") and "CAB-CH" in one, "the alarm in Chinese, its type in words")
        # a robot not paced here (per_minute = 0) answers its 21st message of the minute 45009:
        # the whole channel waits a minute, then the rest go; none lost, the robot not hammered
        un = [(t, b) for t, k, b in wecom if k == WECOM_KEY2]
        un_limited = [t for t, k, b in wecom if k == "LIMITED:" + WECOM_KEY2]
        un_rows = [r for r in rows if r[0] == "unpaced"]
        check(len(un) == 25 and all(r[3] == "delivered" for r in un_rows) and 1 <= len(un_limited) <= 2,
              "unpaced robot: 25 arrived, %d answers 45009, then the channel held (not one per message)"
              % len(un_limited))
        check(un_limited and min(t for t, b in un[20:]) - un_limited[0] >= 59,
              "the rest sent a minute after the robot's 45009")
        old = [r for r in rows if r[0] == "oldrobot"]
        check(old and old[0][3] == "failed" and "93000" in old[0][5], "the revoked robot: failed, errcode 93000")

        say("== e-mail over STARTTLS")
        got_mail = {r: c for r, c in mail if c != b"LIMITED"}
        check("manager@example.com" in got_mail, "the manager's mail arrived")
        from email.header import decode_header, make_header
        m = email.message_from_bytes(got_mail["manager@example.com"])
        subj = str(make_header(decode_header(m["Subject"])))
        body = m.get_payload(decode=True).decode("utf-8")
        say("  subject: " + subj)
        check("审计服务告警" in subj and "=?UTF-8?B?" in m["Subject"], "a UTF-8 subject in RFC 2047 words")
        check("审计服务告警" in body and "Audit service alarm" in body, "the body in Chinese, then English")
        st = {r[2]: r for r in rows if r[0] == "mail"}
        for r in st.values():
            say("  " + repr(r[2:6]))
        check(st["r***@example.com"][3] == "failed" and "550" in st["r***@example.com"][5], "refused (550): failed")
        errs = [e for e, in svc.sql("SELECT a.error FROM attempts a JOIN deliveries d ON d.id = a.delivery_id"
                                    " WHERE d.recipient = 'l***@example.com' ORDER BY a.id")]
        check(st["l***@example.com"][3] == "delivered" and any(e and "451" in e for e in errs) and
              "limited@example.com" in got_mail, "a 451 (rate): sent again, delivered (%s)" % errs)
        check(st["s***@example.com"][3] == "delivered" and "slow@example.com" in got_mail,
              "a time-out: sent again (mail is no SMS), delivered")

        say("== every attempt recorded")
        att = svc.sql("SELECT count(*), count(answer), count(gateway_id) FROM attempts")[0]
        check(att[0] >= len(rows) and att[1] > 0 and att[2] > 0, "attempts: %d, with answers %d, gateway ids %d" % att)

        say("== the supervisor's report and page: per notice, queued, sent, delivered or failed, and why")
        SUP = ("sup", "sup-password-1")
        st, rep = svc.report("deliveries", SUP)
        states = {(r["via"], r["state"]): r["count"] for r in next(x for x in rep["sections"] if x["name"] == "states")["rows"]}
        say("  " + repr(states))
        check(st == 200 and states.get(("ali", "delivered")) == 2 and states.get(("ali", "failed")) == 2 and
              states.get(("desk", "delivered")) == 26 and states.get(("unpaced", "delivered")) == 25, "the report counts each channel's deliveries by state")
        each = next(x for x in rep["sections"] if x["name"] == "deliveries")["rows"]
        lim = [r for r in each if r["via"] == "tsms" and r["recipient"] == masked(PHONES["limit"])]
        check(lim and lim[0]["state"] == "failed" and lim[0]["answer"] == "LimitExceeded.PhoneNumberDailyLimit" and
              lim[0]["notice"] == "before_end", "a delivery's row: kind, masked recipient, state, the gateway's answer")
        st, _, page = svc.request("GET", "/r/deliveries", user=SUP)
        page = page.decode()
        check(st == 200 and "通知送达" in page and "托管即将到期" in page and "已送达" in page and "发送失败" in page
              and "138****8002" in page and PHONES["limit"] not in page,
              "the page in Chinese: kinds and states as words, numbers masked")

        say("== no secret, clear phone number or ID number in the log or the database")
        svc.stop()
        log = svc.log_text()
        dump = subprocess.run(["sqlite3", svc.db, ".dump"], capture_output=True, text=True).stdout
        for s in SECRETS + list(PHONES.values()) + ["13900139000"]:
            check(s not in log and s not in dump, "%s... in neither" % s[:5])
    finally:
        svc.stop()
        gw.shutdown()
        smtp.stop()


main()
finish()
