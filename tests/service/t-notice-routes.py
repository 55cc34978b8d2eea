#!/usr/bin/python3
"""Who gets what: one of each notice kind through a real keyauditd
configured as a property company would, the cabinet's events through the
forwarder, the channels' local servers of gateways.py (WeCom robots for
the desk and for 工程部, Aliyun SMS with its signature checked, SMTP with
STARTTLS). Phone numbers leave the "cabinet" sealed (PyNaCl SealedBox) to
the notice key; the notifier opens them.

- before_end, end, reminder: the owner by SMS, to the owner's number;
- loan_overdue: the borrower's department's group (工程部), the borrower
  mentioned, and the borrower by SMS to the borrower's number;
- alarm, board_fault, board_ok, cabinet_offline, cabinet_online: the
  desk's group, and the manager by e-mail;
- key_out, key_back: the owner by SMS;
- daily_summary: the supervisors by e-mail;
- ingest_refused: the manager by e-mail.

Each kind reaches its channels and recipients and no other; its Chinese
text names the site, the unit and the person by name, the event's local
time, and carries no code.

Debian's python3 for python3-nacl and python3-aiosmtpd."""
import base64
import datetime
import email
import json
import os
import re
import subprocess
import sys
import time
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, fill, finish, forward, iso, say, seal  # noqa: E402
from gateways import (ALI_SECRET, SMTP_PASS, WECOM_KEY, WECOM_KEY2, aliyun_section, smtp_section, ali, bad_sigs, mail,  # noqa: E402
                      start_http, start_smtp, wecom)

from nacl.public import PublicKey, SealedBox  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
OWNER, BORROWER = "13800138001", "13700137007"
HOUR = 3600000
SMS_KINDS = {"before_end": "SMS_100001", "end": "SMS_100002", "reminder": "SMS_100003",
             "loan_overdue": "SMS_100004", "key_out": "SMS_100005", "key_back": "SMS_100006"}
DESK_KINDS = ("alarm", "board_fault", "board_ok", "cabinet_offline", "cabinet_online")


def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, SH).strftime("%Y-%m-%d %H:%M")


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


def main():
    tmp = subprocess.run(["mktemp", "-d", "/tmp/keyauditd-routes-XXXXXX"], capture_output=True,
                         text=True).stdout.strip()
    smtp, smtp_port, crt = start_smtp(tmp)
    gw = start_http()
    base = "http://127.0.0.1:%d" % gw.server_address[1]
    keyfile = os.path.join(tmp, "notice.key")
    secrets = os.path.join(tmp, "secrets.conf")
    with open(secrets, "w") as f:
        f.write("[channel desk]\nsecret = %s\n[channel eng]\nsecret = %s\n[channel sms]\nsecret = %s\n"
                "[channel mail]\nsecret = %s\n" % (WECOM_KEY, WECOM_KEY2, ALI_SECRET, SMTP_PASS))
    os.chmod(secrets, 0o600)
    templates = "".join("template.%s = %s %s\n" % (k, code, "site unit owner_name" if k != "loan_overdue"
                                                   else "site unit person")
                        for k, code in SMS_KINDS.items())
    conf = """[notify]
backoff_min_ms = 300
backoff_max_ms = 2000
max_attempts = 4
timeout_ms = 3000
secrets_file = %(secrets)s
notice_key_file = %(keyfile)s
offline_after_s = 5
key_use_sites = YG
daily_summary_at = 00:00
[channel desk]
type = wecom
url = %(base)s/cgi-bin/webhook/send
format = text
[channel eng]
type = wecom
url = %(base)s/cgi-bin/webhook/send
format = text
%(sections)s[departments]
工程部 = eng
[route]
before_end = sms:person
end = sms:person
reminder = sms:person
loan_overdue = department:person, sms:person
alarm = desk, mail:manager@example.com
board_fault = desk, mail:manager@example.com
board_ok = desk, mail:manager@example.com
cabinet_offline = desk, mail:manager@example.com
cabinet_online = desk, mail:manager@example.com
key_out = sms:person
key_back = sms:person
daily_summary = mail:supervisor@example.com
ingest_refused = mail:manager@example.com
""" % dict(secrets=secrets, keyfile=keyfile, base=base,
           sections=aliyun_section("sms", base, templates) + smtp_section("mail", smtp_port, crt))
    svc = Service(conf_extra=conf, tmp=tmp)
    r = svc.cmd("check-config")
    check(r.returncode == 0, "the configuration is taken (%s)" % r.stderr.strip())
    r = svc.cmd("notice-key", "new")
    check(r.returncode == 0, "notice-key new")
    pub = PublicKey(base64.b64decode(r.stdout.strip()))

    def sealed(phone):
        return base64.b64encode(SealedBox(pub).encrypt(phone.encode())).decode()

    tok = svc.add_cabinet("CAB-YG")
    svc.start()
    try:
        now = int(time.time() * 1000)
        t0 = now - 10 * 24 * HOUR
        t_alarm, t_fault, t_out = now - 5 * HOUR, now - 4 * HOUR, now - 3 * HOUR
        end = now + 3 * 24 * HOUR

        def ev(ts, type_, data=None, **m):
            e = {"type": type_, "ts": iso(ts), "data": data or {}}
            e.update(m)
            return e

        owner = {"owner_name": "刘建国", "owner_phone": masked(OWNER), "phone_masked": masked(OWNER),
                 "phone_sealed": sealed(OWNER)}
        ent = dict(owner, entrustment=1, start=iso(t0), end=iso(end))
        evs = [
            ev(t0, "controller.started", {"version": "test", "time_zone": "Asia/Shanghai"}),
            ev(t0 + 1000, "site.registered", {"name": "阳光花园", "age": "old"}, site="YG"),
            ev(t0 + 2000, "unit.registered", {"vacant": False, "building": "1", "room": "101"}, unit="YG-1-101", site="YG"),
            ev(t0 + 2100, "unit.registered", {"vacant": False, "building": "2", "room": "202"}, unit="YG-2-202", site="YG"),
            ev(t0 + 3000, "key.registered", {"tag": 0}, key="K-YG-1-101", kind="entrusted", unit="YG-1-101",
               site="YG", slot="C01"),
            ev(t0 + 3100, "key.registered", {"tag": 0}, key="K-YG-2-202", kind="common", unit="YG-2-202",
               site="YG", slot="C02"),
            ev(t0 + 4000, "person.registered", {"role": "engineer", "name": "张伟", "department": "工程部"}, person="E01"),
            ev(t0 + 5000, "entrustment.registered", ent, actor="S01", person="O01", key="K-YG-1-101",
               unit="YG-1-101", site="YG"),
            # sealed in the chain but lacking the loan the reports need: stored, left out of the reports
            ev(t0 + 6000, "id.held", {"id_type": "id_card"}, person="E01", key="K-YG-2-202"),
        ]
        for n, stage in enumerate(("before_end", "end", "reminder")):
            evs.append(ev(now - (6 - n) * HOUR, "notice.due",
                          dict(owner, notice=n + 1, entrustment=1, stage=stage, end=iso(end)),
                          person="O01", key="K-YG-1-101", unit="YG-1-101", site="YG"))
        evs += [
            ev(t_alarm, "alarm.raised", {"alarm": 7, "alarm_type": "tamper",
                                         "detail": "key K-YG-1-101 left slot C01 with no release open (tamper)"},
               key="K-YG-1-101", slot="C01", unit="YG-1-101", site="YG"),
            ev(t_fault, "alarm.raised", {"alarm": 8, "alarm_type": "fault", "board": "relays",
                                         "slots": ["C01", "C02"], "detail": "board relays of slot C01: timeout"}),
            ev(t_fault + 5 * 60000, "alarm.cleared", {"alarm": 8, "alarm_type": "fault", "board": "relays",
                                                      "slots": ["C01", "C02"], "reason": "board answers again"}),
            # the entrusted key lent and back: its owner told
            ev(t_out - 5000, "release.granted", {"loan": 11, "purpose": "borrow", "due": iso(t_out + HOUR),
                                                 "window_ms": 10000},
               actor="S01", person="E01", key="K-YG-1-101", kind="entrusted", unit="YG-1-101", site="YG", slot="C01"),
            ev(t_out, "release.taken", {"loan": 11}, key="K-YG-1-101", slot="C01"),
            ev(t_out + 1800000, "loan.returned", {"loan": 11, "purpose": "borrow", "overdue": False},
               person="E01", key="K-YG-1-101", kind="entrusted", unit="YG-1-101", site="YG", slot="C01"),
            # a common key lent to the engineer and not back
            ev(t_out + 10000, "release.granted", {"loan": 12, "purpose": "repair", "due": iso(t_out + HOUR),
                                                  "window_ms": 10000, "contact": "*******" + BORROWER[-4:],
                                                  "phone_masked": masked(BORROWER),
                                                  "phone_sealed": sealed(BORROWER)},
               actor="S01", person="E01", key="K-YG-2-202", kind="common", unit="YG-2-202", site="YG", slot="C02"),
            ev(t_out + 11000, "release.taken", {"loan": 12}, key="K-YG-2-202", slot="C02"),
            ev(t_out + HOUR + 60000, "loan.overdue", {"loan": 12, "purpose": "repair", "due": iso(t_out + HOUR)},
               person="E01", key="K-YG-2-202", unit="YG-2-202", site="YG"),
        ]
        cdb = os.path.join(tmp, "c.db")
        fill(cdb, "CAB-YG", evs)
        r = forward(cdb, svc.url, tok, 60)
        check(r.returncode == 0, "the cabinet's %d events stored through the forwarder" % len(evs))

        # events out of the cabinet's chain, each refused at ingest with its reason: a gap, a
        # stored event offered again with other content, a "prev" that is not the last event's hash
        login = [{"type": "operator.login", "actor": "S01", "data": {"method": "pin"}}]
        for start in (10 ** 6, 3, len(evs) + 1):
            st, res = svc.post_events(tok, seal("CAB-YG", login, start, "00" * 32))
            check(st == 409, "event %d refused: %s" % (start, res))

        say("== the link stops, then comes back")
        deadline = time.time() + 40
        while time.time() < deadline and not svc.sql("SELECT count(*) FROM notices WHERE payload LIKE"
                                                      " '%\"notice\":\"cabinet_offline\"%'")[0][0]:
            time.sleep(0.3)
        fill(cdb, "CAB-YG", [ev(int(time.time() * 1000), "operator.login", {"method": "pin"}, actor="S01")])
        forward(cdb, svc.url, tok, 60)

        say("== waiting for every delivery to settle")
        deadline = time.time() + 90
        while time.time() < deadline:
            kinds = {json.loads(p)["notice"] for p, in svc.sql("SELECT payload FROM notices")}
            left = svc.sql("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'unclear')")[0][0]
            if not left and "cabinet_online" in kinds:
                break
            time.sleep(0.5)
        check(not left, "every delivery settled (%d left)" % left)
        notices = {}
        for nid, p in svc.sql("SELECT id, payload FROM notices ORDER BY id"):
            p = json.loads(p)
            notices.setdefault(p["notice"], []).append((nid, p))
        rows = svc.sql("SELECT d.notice_id, d.channel, d.recipient, d.state, d.last_error FROM deliveries d ORDER BY d.id")
        got = {}
        for nid, ch, rcpt, state, err in rows:
            kind = next(k for k, v in notices.items() if any(i == nid for i, _ in v))
            got.setdefault(kind, set()).add((ch, rcpt, state in ("sent", "delivered")))
            if state not in ("sent", "delivered"):
                say("  %s: %s %s %s (%s)" % (kind, ch, rcpt, state, err))
        for k in sorted(notices):
            say("  %s → %s" % (k, sorted(got.get(k, ()))))
            for _, p in notices[k][:1]:
                say("      " + p["text_zh"])

        expect = {}
        for k in ("before_end", "end", "reminder", "key_out", "key_back"):
            expect[k] = {("sms", masked(OWNER), True)}
        # the loan's recipient as the loan register masks a contact
        expect["loan_overdue"] = {("eng", "*******7007", True), ("sms", "*******7007", True)}
        for k in DESK_KINDS:
            expect[k] = {("desk", "-", True), ("mail", "m***@example.com", True)}
        expect["daily_summary"] = {("mail", "s***@example.com", True)}
        expect["ingest_refused"] = {("mail", "m***@example.com", True)}
        check(len(notices.get("ingest_refused", [])) == 4, "ingest_refused: one notice a reason (%d)"
              % len(notices.get("ingest_refused", [])))

        say("== each kind: its channels and recipients only, sent")
        for k, want in sorted(expect.items()):
            check(k in notices, "%s: a notice made (%d)" % (k, len(notices.get(k, []))))
            check(got.get(k) == want, "%s: %s (got %s)" % (k, sorted(want), sorted(got.get(k, ()))))
        check(set(notices) == set(expect), "no other kind: %s" % sorted(set(notices) - set(expect)))

        say("== the SMS: to the right number, its kind's template, Chinese parameters")
        sends = [p for a, p in ali if a == "SendSms"]
        by_code = {}
        for p in sends:
            by_code.setdefault(p["TemplateCode"], []).append(p)
        for k, code in SMS_KINDS.items():
            want = BORROWER if k == "loan_overdue" else OWNER
            ps = by_code.get(code, [])
            check(len(ps) == 1 and ps[0]["PhoneNumbers"] == want and ps[0]["SignName"] == "阳光物业",
                  "%s: one SMS (%s) to %s" % (k, code, masked(want)))
            par = json.loads(ps[0]["TemplateParam"]) if ps else {}
            who = "张伟" if k == "loan_overdue" else "刘建国"
            check(par.get("site") == "阳光花园" and par.get("unit") in ("1栋101", "2栋202") and who in par.values(),
                  "%s: site, unit and person by name: %s" % (k, json.dumps(par, ensure_ascii=False)))
        check(len(sends) == len(SMS_KINDS), "no other SMS (%d)" % len(sends))
        check(not bad_sigs, "every SMS request's signature checks out (%s)" % bad_sigs)

        say("== WeCom: the desk's group and 工程部's")
        desk = [b["text"] for t, k, b in wecom if k == WECOM_KEY]
        eng = [b["text"] for t, k, b in wecom if k == WECOM_KEY2]
        check(len(desk) == len(DESK_KINDS), "the desk's group: one message a desk kind (%d)" % len(desk))
        check(len(eng) == 1 and "钥匙逾期未还" in eng[0]["content"] and "张伟" in eng[0]["content"] and
              eng[0]["mentioned_mobile_list"] == [BORROWER], "工程部's group: the overdue key, the borrower mentioned")
        check(not [t for t in desk if "逾期" in t["content"]], "the overdue key not at the desk's group")

        say("== e-mail: the manager, the supervisors")
        letters = {}
        for rcpt, content in mail:
            m = email.message_from_bytes(content)
            letters.setdefault(rcpt, []).append((str(make_header(decode_header(m["Subject"]))),
                                                 m.get_payload(decode=True).decode("utf-8")))
        check(set(letters) == {"manager@example.com", "supervisor@example.com"}, "mail to %s" % sorted(letters))
        check(len(letters.get("manager@example.com", [])) == len(DESK_KINDS) + 4,
              "the manager: the desk's kinds and the refused record (%d)" % len(letters.get("manager@example.com", [])))
        sup = letters.get("supervisor@example.com", [])
        check(len(sup) == 1 and "钥匙日报" in sup[0][1] and "阳光花园" in sup[0][1],
              "the supervisors: the daily summary in Chinese")

        say("== each text in Chinese: names, site, local time, no codes")
        times = {"alarm": t_alarm, "board_fault": t_fault, "board_ok": t_fault + 5 * 60000,
                 "key_out": t_out, "key_back": t_out + 1800000, "loan_overdue": t_out + HOUR}   # an overdue loan: its due time
        for k in ("before_end", "end", "reminder"):
            times[k] = end   # an entrustment's notice: its end, in the site's time
        names = {"before_end": "刘建国", "end": "刘建国", "reminder": "刘建国", "key_out": "张伟", "key_back": "张伟",
                 "loan_overdue": "张伟"}
        # a key by its unit (1栋101), never by its code (K-YG-1-101)
        codes = re.compile(r"YG-\d|E01|O01|S01|tamper|fault|relays of|slot |[A-Za-z]{4,} [a-z]{3,}")
        for k in sorted(expect):
            for _, p in notices.get(k, []):
                zh = p["text_zh"]
                ok = "阳光花园" in zh and not codes.search(zh)
                if k in times:
                    ok = ok and local(times[k]) in zh
                if k in names:
                    ok = ok and names[k] in zh
                if k not in ("daily_summary", "ingest_refused", "cabinet_offline", "cabinet_online", "board_fault",
                             "board_ok"):
                    ok = ok and ("1栋101" in zh or "2栋202" in zh)
                check(ok, "%s: %s" % (k, zh))

        say("== ingest_refused: each reason in Chinese, no English left in it")
        reasons = {p["fields"]["seq"]: p["text_zh"] for _, p in notices.get("ingest_refused", [])}
        want = {"1000000": "事件序号不连续", "3": "已以不同内容保存", str(len(evs) + 1): "断链",
                "9": "缺少报表所需"}
        for seq, words in want.items():
            zh = reasons.get(seq, "")
            check(words in zh and not re.search(r"[a-z]{3,}", zh), "record %s: %s" % (seq, zh))

        say("== no clear phone number in the log or the database")
        svc.stop()
        log = svc.log_text()
        dump = subprocess.run(["sqlite3", svc.db, ".dump"], capture_output=True, text=True).stdout
        for ph in (OWNER, BORROWER):
            check(ph not in log and ph not in dump, "%s... in neither" % ph[:5])
    finally:
        svc.stop()
        gw.shutdown()
        smtp.stop()


main()
finish()
