"""Local servers speaking the notice channels' protocols, for t-channels
and the notify bench: a WeCom group robot (20 messages a minute), Aliyun
SMS (SendSms, QuerySendDetails; ACS3-HMAC-SHA256 checked here) and
Tencent Cloud SMS (SendSms, PullSmsSendStatusByPhoneNumber;
TC3-HMAC-SHA256 checked here), over one HTTP server; an SMTP server
(aiosmtpd) with STARTTLS required and a login. Each signature is computed
here with hmac/hashlib, independently of keyauditd's C. Numbers in PHONES
answer as their names say: ok taken, limit over the per-number limit,
slow taken but answered after TIMEOUT_MS, bad refused."""
import asyncio
import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer

WECOM_KEY = "wecom-robot-key-7f3a9c"
WECOM_KEY2 = "wecom-second-robot-5d6e"
WECOM_BAD_KEY = "wecom-revoked-key-1b2c"
ALI_ID, ALI_SECRET = "LTAI5tTestKeyId", "aliyun-secret-Q9w8e7r6"
TC_ID, TC_SECRET = "AKIDtestSecretId", "tencent-secret-Z1x2c3v4"
SMTP_PASS = "smtp-password-p4ss"
SECRETS = [WECOM_KEY, WECOM_KEY2, WECOM_BAD_KEY, ALI_SECRET, TC_SECRET, SMTP_PASS]
PHONES = {"ok": "13800138001", "limit": "13800138002", "slow": "13800138003", "bad": "13800138004"}
TIMEOUT_MS = 1500
WECOM_PER_MINUTE = 20   # the robot's limit (the bench lifts it to measure keyauditd alone)

lock = threading.Lock()
wecom = []      # (time, key, body)
ali = []        # (action, params)
tc = []         # (action, body)
bad_sigs = []   # what failed a signature check
mail = []       # (rcpt, content bytes)


def aliyun_section(name, base, templates=""):
    """keyauditd.conf's [channel NAME] of Aliyun SMS at the local server base;
    templates: its template.<kind> lines."""
    return ("[channel %s]\ntype = sms_aliyun\nurl = %s/aliyun/\nkey_id = %s\nsign_name = 阳光物业\n%s"
            % (name, base, ALI_ID, templates))


def tencent_section(name, base, templates=""):
    """[channel NAME] of Tencent Cloud SMS at the local server base."""
    return ("[channel %s]\ntype = sms_tencent\nurl = %s/tencent/\nkey_id = %s\napp_id = 1400006666\n"
            "region = ap-guangzhou\nsign_name = 阳光物业\n%s" % (name, base, TC_ID, templates))


def smtp_section(name, smtp_port, crt):
    """[channel NAME] of e-mail through the local SMTP server (STARTTLS, crt its CA)."""
    return ("[channel %s]\ntype = smtp\nurl = smtp://127.0.0.1:%d\nkey_id = keycab@example.com\n"
            "from = keycab@example.com\nca_file = %s\n" % (name, smtp_port, crt))


def reply(h, code, obj):
    data = json.dumps(obj).encode()
    h.send_response(code)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    try:
        h.wfile.write(data)
    except BrokenPipeError:
        pass   # keyauditd gave up waiting (the time-out cases)


def pct(s):
    return urllib.parse.quote(s, safe="-_.~")


def acs3_ok(method, path, query, headers, body):
    """ACS3-HMAC-SHA256 as Aliyun documents it, computed here."""
    m = re.match(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$",
                 headers.get("authorization", ""))
    if not m or m.group(1) != ALI_ID:
        return False
    signed = m.group(2).split(";")
    if not {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
            "x-acs-version"} <= set(signed) or signed != sorted(signed):
        return False
    hp = hashlib.sha256(body).hexdigest()
    if headers.get("x-acs-content-sha256") != hp:
        return False
    cq = "&".join(pct(k) + "=" + pct(v) for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)))
    ch = "".join("%s:%s\n" % (h, headers.get(h, "").strip()) for h in signed)
    cr = "\n".join([method, path, cq, ch, ";".join(signed), hp])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(cr.encode()).hexdigest()
    return hmac.compare_digest(hmac.new(ALI_SECRET.encode(), sts.encode(), hashlib.sha256).hexdigest(), m.group(3))


def tc3_ok(headers, body):
    """TC3-HMAC-SHA256 as Tencent Cloud documents it, computed here."""
    m = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/sms/tc3_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", headers.get("authorization", ""))
    if not m or m.group(1) != TC_ID:
        return False
    ts = int(headers.get("x-tc-timestamp", "0"))
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    if date != m.group(2) or abs(ts - time.time()) > 300:
        return False
    signed = m.group(3).split(";")
    if not {"content-type", "host"} <= set(signed):
        return False
    ch = "".join("%s:%s\n" % (h, headers.get(h, "").strip().lower()) for h in signed)
    cr = "\n".join(["POST", "/", "", ch, ";".join(signed), hashlib.sha256(body).hexdigest()])
    sts = "TC3-HMAC-SHA256\n%d\n%s/sms/tc3_request\n%s" % (ts, date, hashlib.sha256(cr.encode()).hexdigest())

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    k = h(h(h(("TC3" + TC_SECRET).encode(), date), "sms"), "tc3_request")
    return hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), m.group(4))


class Gateways(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # the answer's header and body not 40 ms apart

    def log_message(self, *a):
        pass

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        if u.path == "/cgi-bin/webhook/send":
            return self.wecom(urllib.parse.parse_qs(u.query).get("key", [""])[0], body)
        if u.path == "/aliyun/":
            return self.aliyun(u.query, hdrs, body)
        if u.path == "/tencent/":
            return self.tencent(hdrs, body)
        if u.path in ("/hook", "/slowhook"):   # a generic webhook: takes anything
            if u.path == "/slowhook":
                time.sleep(0.02)
            return reply(self, 200, {})
        reply(self, 404, {})

    def wecom(self, key, body):
        msg = json.loads(body)
        now = time.time()
        with lock:
            if key not in (WECOM_KEY, WECOM_KEY2):
                return reply(self, 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
            recent = [t for t, k, b in wecom if now - t < 60 and k == key]
            if len(recent) >= WECOM_PER_MINUTE:   # each robot's 20 a minute
                wecom.append((now, "LIMITED:" + key, msg))
                return reply(self, 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
            wecom.append((now, key, msg))
        reply(self, 200, {"errcode": 0, "errmsg": "ok"})

    def aliyun(self, query, hdrs, body):
        if not acs3_ok("POST", "/", query, hdrs, body):
            bad_sigs.append(("aliyun", hdrs.get("x-acs-action")))
            return reply(self, 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
        p = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        action = hdrs["x-acs-action"]
        if action == "SendSms":
            phone = p["PhoneNumbers"]
            with lock:
                ali.append((action, p))
            if phone == PHONES["limit"]:
                return reply(self, 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控Permits:10",
                                         "RequestId": "r1"})
            if phone == PHONES["bad"]:
                return reply(self, 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r2"})
            if phone == PHONES["slow"]:
                time.sleep(TIMEOUT_MS / 1000 + 1)   # taken, but the answer comes too late
            return reply(self, 200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0",
                                     "RequestId": "r3"})
        if action == "QuerySendDetails":
            with lock:
                ali.append((action, p))
                sent = [q for a, q in ali if a == "SendSms" and q["PhoneNumbers"] == p["PhoneNumber"]]
            dtos = [{"SendStatus": 3, "ErrCode": "DELIVERED", "TemplateCode": q["TemplateCode"],
                     "PhoneNum": q["PhoneNumbers"], "OutId": q["OutId"], "SendDate": "2026-12-07 10:00:00"}
                    for q in sent if q["PhoneNumbers"] in (PHONES["ok"], PHONES["slow"])]
            return reply(self, 200, {"Code": "OK", "Message": "OK", "TotalCount": len(dtos),
                                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}, "RequestId": "r4"})
        reply(self, 400, {"Code": "InvalidAction", "Message": "?"})

    def tencent(self, hdrs, body):
        if not tc3_ok(hdrs, body):
            bad_sigs.append(("tencent", hdrs.get("x-tc-action")))
            return reply(self, 200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                            "Message": "signature"}, "RequestId": "t0"}})
        req = json.loads(body)
        action = hdrs["x-tc-action"]
        with lock:
            tc.append((action, req))
        if action == "SendSms":
            phone = req["PhoneNumberSet"][0]
            st = {"SerialNo": "5000:%d" % len(tc), "PhoneNumber": phone, "Fee": 1,
                  "SessionContext": req.get("SessionContext", ""), "Code": "Ok", "Message": "send success",
                  "IsoCode": "CN"}
            if phone == "+86" + PHONES["limit"]:
                st.update(Code="LimitExceeded.PhoneNumberDailyLimit", Message="单个手机号日下发短信条数超过设定的上限")
            elif phone == "+86" + PHONES["bad"]:
                st.update(Code="InvalidParameterValue.IncorrectPhoneNumber", Message="手机号格式错误")
            elif phone == "+86" + PHONES["slow"]:
                time.sleep(TIMEOUT_MS / 1000 + 1)
            return reply(self, 200, {"Response": {"SendStatusSet": [st], "RequestId": "t1"}})
        if action == "PullSmsSendStatusByPhoneNumber":
            with lock:
                sent = [b for a, b in tc if a == "SendSms" and b["PhoneNumberSet"][0] == req["PhoneNumber"]]
            out = [{"UserReceiveTime": int(time.time()), "CountryCode": "86", "SubscriberNumber": req["PhoneNumber"][3:],
                    "PhoneNumber": req["PhoneNumber"], "SerialNo": "5000:x", "ReportStatus": "SUCCESS",
                    "Description": "DELIVRD", "SessionContext": b["SessionContext"]}
                   for b in sent if req["PhoneNumber"] in ("+86" + PHONES["ok"], "+86" + PHONES["slow"])]
            return reply(self, 200, {"Response": {"PullSmsSendStatusSet": out, "RequestId": "t2"}})
        reply(self, 200, {"Response": {"Error": {"Code": "InvalidAction", "Message": "?"}, "RequestId": "t3"}})


class Mailbox:
    def __init__(self):
        self.slow_once = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 no such user"
        if address.startswith("limited@") and not any(r == address for r, c in mail):
            mail.append((address, b"LIMITED"))
            return "451 4.7.1 too many messages, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if envelope.rcpt_tos[0].startswith("slow@") and not self.slow_once:
            self.slow_once = True
            await asyncio.sleep(TIMEOUT_MS / 1000 + 1.5)
        with lock:
            mail.append((envelope.rcpt_tos[0], envelope.content))
        return "250 2.0.0 queued as Q1"


def mail_auth(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult
    return AuthResult(success=auth_data.login == b"keycab@example.com" and auth_data.password == SMTP_PASS.encode())



def start_http():
    """The robots' and gateways' server; its port."""
    gw = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateways)
    threading.Thread(target=gw.serve_forever, daemon=True).start()
    return gw


def start_smtp(tmp):
    """The SMTP server with its certificate (tmp/smtp.crt): (controller, port, cert)."""
    crt, key = os.path.join(tmp, "smtp.crt"), os.path.join(tmp, "smtp.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)

    class TLSController(Controller):
        def factory(self):
            return SMTPServer(self.handler, require_starttls=True, tls_context=ctx, authenticator=mail_auth,
                              auth_required=True, auth_require_tls=True)
    with socket.socket() as so:   # a free port (this aiosmtpd cannot be given port 0)
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    smtp = TLSController(Mailbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    return smtp, port, crt
