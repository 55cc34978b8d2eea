#!/usr/bin/python3
"""An overdue key to the borrower's department's WeCom group: two
departments (工程部, 客服部), each its own local WeCom robot
([departments] 工程部 = eng, 客服部 = cs), and the rule
"loan_overdue = department:person". People are registered at the cabinet
with their department (person.registered carries it); an engineer's
overdue loan reaches 工程部's robot only, a text in Chinese that names the
borrower and mentions their number (sealed at the cabinet, opened by the
notifier). A borrower whose department has no group (保安部): the rule's
target is recorded as failed and why; [route SX]'s "department|cs" sends
that site's to the fallback, 客服部's robot. The notice carries the
department as a field; no clear phone number in the log or the database.

Debian's python3 for python3-nacl."""
import base64
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, finish, say, seal  # noqa: E402
from gateways import WECOM_KEY, WECOM_KEY2, start_http, wecom  # noqa: E402

from nacl.public import PublicKey, SealedBox  # noqa: E402

ENG_PHONE, CS_PHONE, GUARD_PHONE = "13900139001", "13900139002", "13900139003"


def main():
    tmp = subprocess.run(["mktemp", "-d", "/tmp/keyauditd-dept-XXXXXX"], capture_output=True,
                         text=True).stdout.strip()
    gw = start_http()
    base = "http://127.0.0.1:%d" % gw.server_address[1]
    keyfile = os.path.join(tmp, "notice.key")
    secrets = os.path.join(tmp, "secrets.conf")
    with open(secrets, "w") as f:
        f.write("[channel eng]\nsecret = %s\n[channel cs]\nsecret = %s\n" % (WECOM_KEY, WECOM_KEY2))
    os.chmod(secrets, 0o600)
    conf = """[notify]
backoff_min_ms = 300
backoff_max_ms = 2000
secrets_file = %(secrets)s
notice_key_file = %(keyfile)s
[channel eng]
type = wecom
url = %(base)s/cgi-bin/webhook/send
format = text
[channel cs]
type = wecom
url = %(base)s/cgi-bin/webhook/send
format = text
[departments]
工程部 = eng
客服部 = cs
[route]
loan_overdue = department:person
[route SX]
loan_overdue = department|cs
""" % dict(secrets=secrets, keyfile=keyfile, base=base)
    svc = Service(conf_extra=conf, tmp=tmp)

    say("== the configuration: a department mapped to a channel not in the file")
    os.mkdir(os.path.join(tmp, "bad"))
    bad = Service(conf_extra=conf.replace("客服部 = cs", "客服部 = wecom_cs"), tmp=os.path.join(tmp, "bad"))
    r = bad.cmd("check-config")
    line = [i + 1 for i, t in enumerate(open(bad.conf).read().splitlines()) if t.startswith("客服部 =")][0]
    check(r.returncode != 0 and ("keyauditd.conf:%d: [departments] 客服部: " % line) in r.stderr and
          'no channel "wecom_cs"' in r.stderr, "refused with file:line: " + r.stderr.strip().splitlines()[-1])
    r = svc.cmd("check-config")
    check(r.returncode == 0, "the good configuration is taken (%s)" % r.stderr.strip())

    r = svc.cmd("notice-key", "new")
    check(r.returncode == 0, "notice-key new")
    pub = PublicKey(base64.b64decode(r.stdout.strip()))

    def sealed(phone):
        return base64.b64encode(SealedBox(pub).encrypt(phone.encode())).decode()

    def masked(phone):
        return phone[:3] + "****" + phone[-4:]

    def overdue(person, key, site, loan, phone):
        return {"type": "loan.overdue", "person": person, "key": key, "unit": "O6", "site": site,
                "data": {"loan": loan, "purpose": "repair", "due": "2026-12-01T02:00:00.000Z",
                         "phone_sealed": sealed(phone), "phone_masked": masked(phone)}}

    tok = svc.add_cabinet("CAB-DP")
    svc.start()
    try:
        evs = [{"type": "person.registered", "person": "E01",
                "data": {"role": "engineer", "name": "王工", "department": "工程部"}},
               {"type": "person.registered", "person": "C01",
                "data": {"role": "staff", "name": "张客服", "department": "客服部"}},
               {"type": "person.registered", "person": "G01",
                "data": {"role": "staff", "name": "赵保安", "department": "保安部"}},
               overdue("E01", "KR1", "SO", 7, ENG_PHONE),
               overdue("C01", "KR2", "SO", 8, CS_PHONE),
               overdue("G01", "KR3", "SO", 9, GUARD_PHONE),
               overdue("G01", "KR4", "SX", 10, GUARD_PHONE)]
        st, _ = svc.post_events(tok, None, raw=("[" + ",".join(seal("CAB-DP", evs)) + "]").encode())
        check(st == 200, "the cabinet's %d events stored (%s)" % (len(evs), st))

        deadline = time.time() + 60
        while time.time() < deadline:
            left = svc.sql("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'unclear')")[0][0]
            if not left:
                break
            time.sleep(0.3)
        check(not left, "every delivery settled (%d left)" % left)
        rows = svc.sql("SELECT n.key, d.channel, d.recipient, d.state, d.last_error FROM deliveries d"
                       " JOIN notices n ON n.id = d.notice_id ORDER BY n.key, d.id")
        for row in rows:
            say("  " + repr(row))

        say("== 工程部's overdue key: 工程部's robot, not 客服部's")
        eng = [b for t, k, b in wecom if k == WECOM_KEY]
        cs = [b for t, k, b in wecom if k == WECOM_KEY2]
        kr1 = [b for b in eng if "王工" in b["text"]["content"]]
        check(len(kr1) == 1, "KR1 reached 工程部's robot once (%d)" % len(kr1))
        text = kr1[0]["text"]["content"] if kr1 else ""
        say("  " + text)
        check("钥匙逾期未还" in text and "王工" in text and "E01" not in text,
              "in Chinese, the borrower by name")
        check(kr1 and kr1[0]["text"]["mentioned_mobile_list"] == [ENG_PHONE], "the borrower mentioned by number")
        check(not [b for b in cs if "王工" in b["text"]["content"]], "KR1 not at 客服部's robot")
        kr2 = [b for b in cs if "张客服" in b["text"]["content"]]
        check(len(kr2) == 1 and "张客服" in kr2[0]["text"]["content"] and
              kr2[0]["text"]["mentioned_mobile_list"] == [CS_PHONE] and
              not [b for b in eng if "张客服" in b["text"]["content"]],
              "客服部's overdue key: 客服部's robot only")
        fields = json.loads(svc.sql("SELECT payload FROM notices WHERE key = 'KR1'")[0][0])["fields"]
        check(fields.get("department") == "工程部", "the notice carries the department (%s)" % fields.get("department"))

        say("== a department with no group: recorded; the rule's fallback where it has one")
        kr3 = [r for r in rows if r[0] == "KR3"]
        check(len(kr3) == 1 and kr3[0][1] == "department" and kr3[0][3] == "failed" and
              "保安部" in (kr3[0][4] or ""), "保安部 (no group, no fallback): failed, why recorded: %s" % kr3)
        check(not [b for t, k, b in wecom if "KR3" in json.dumps(b, ensure_ascii=False)],
              "KR3 sent to no robot")
        kr4 = [r for r in rows if r[0] == "KR4"]
        check(sorted((r[1], r[3]) for r in kr4) == [("cs", "delivered"), ("department", "failed")],
              "site SX: [route] records no group, [route SX] sends to its fallback cs (%s)" % kr4)
        check(len([b for b in cs if "赵保安" in b["text"]["content"]]) == 1, "KR4 at 客服部's robot, the fallback")

        say("== no clear phone number in the log or the database")
        svc.stop()
        log = svc.log_text()
        dump = subprocess.run(["sqlite3", svc.db, ".dump"], capture_output=True, text=True).stdout
        for p in (ENG_PHONE, CS_PHONE, GUARD_PHONE):
            check(p not in log and p not in dump, "%s... in neither" % p[:5])
    finally:
        svc.stop()
        gw.shutdown()


main()
finish()
