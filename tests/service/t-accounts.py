#!/usr/bin/env python3
"""Office accounts managed by an admin: bad input to the new-account form
(a duplicate, an empty or bad name, an unknown site, a weak password) is
told in a clear sentence and changes nothing; a supervisor gets 403 on the
admin's routes; a one-time reset code sets a new password once and not
twice, is kept hashed and never logged; a disabled account cannot sign in
and its sessions end; an account locked out by the login backoff is
unlocked by the admin; a role change and a scope change take effect; the
last admin cannot be disabled; the CLI's add-user keeps working. Every
new text of the accounts page has its Chinese in po/zh_CN/accounts.po.
The browser half (an admin fills the form, the supervisor sees only its
site, a reset link used in the page) is tests/service/accounts.js."""
import json
import os
import re
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from console_client import Client, message, text
from svc import Service, browser, check, fill, finish, forward, say

SRC = os.environ.get("KEYCAB_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN = ("adm", "adm-password-1")
SUP = ("supa", "supa-password-1")


def po_ids(path):
    ids, cur = set(), None
    for line in open(path, encoding="utf-8"):
        if line.startswith('msgid "'):
            cur = line[7:-2]
            ids.add(cur)
    return ids


say("== every text of the accounts page has its Chinese (po/zh_CN/accounts.po)")
ids = po_ids(os.path.join(SRC, "po", "zh_CN", "accounts.po"))
src = open(os.path.join(SRC, "service", "web_accounts.c"), encoding="utf-8").read()
lits = set()
for m in re.finditer(r'(?:kc_web_t\([^,]+,|out_set\([^,]+,\s*\d+,|msg = |\? |: )\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', src):
    s = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
    if re.search(r"[A-Z]", s[:1]) or s[:1].isdigit() or s.startswith("none"):
        lits.add(s)
missing = sorted(x for x in lits if x not in ids)
check(len(lits) > 30 and not missing, "%d texts, each in accounts.po (missing: %s)" % (len(lits), missing))

svc = Service()
try:
    tn, to = svc.add_cabinet("CAB-NEW"), svc.add_cabinet("CAB-OLD")
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    say("== the CLI: add-user keeps working, with the password rule")
    r = svc.cmd("add-user", "--role", "supervisor", "cli-sup", stdin="cli-sup-pass-1\n")
    check(r.returncode == 0, "add-user with a good password: exit 0")
    r = svc.cmd("add-user", "--role", "supervisor", "cli-weak", stdin="abcdefghij\n")
    check(r.returncode == 2 and "letters and digits" in r.stderr, "add-user with a weak password: exit 2, told why")
    svc.start()
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, tok, evs in (("CAB-NEW", tn, new), ("CAB-OLD", to, old)):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        check(forward(db, svc.url, tok, 60).returncode == 0, "%s loaded" % cab)

    adm = Client(svc, *ADMIN)
    check(adm.login() == 303, "the admin signs in")
    users = lambda: svc.sql("SELECT name, role, disabled_ms IS NULL FROM users ORDER BY name")
    scopes = lambda: svc.sql("SELECT user, site FROM user_sites ORDER BY user, site")

    say("== a new account, and bad input that changes nothing")
    st, t = adm.account("create", SUP[0], role="supervisor", password=SUP[1], site="SN")
    check(st == 200 and "账号已创建" in t, "supa created (%d)" % st)
    before = (users(), scopes())
    bad = [
        ("a duplicate name", dict(user=SUP[0], role="supervisor", password="other-pass-12"), 409, "同名账号已存在"),
        ("an empty name", dict(user="", role="supervisor", password="other-pass-12"), 400, "请填写账号名称"),
        ("a name with a space", dict(user="a b", role="supervisor", password="other-pass-12"), 400, "用户名须为1至64个字符"),
        ("an unknown site", dict(user="newsup", role="supervisor", password="other-pass-12", site=["SN", "XX"]), 400,
         "没有这个项目： XX"),
        ("a weak password (short)", dict(user="newsup", role="supervisor", password="ab1"), 400, "密码太弱"),
        ("a weak password (letters only)", dict(user="newsup", role="supervisor", password="abcdefghijk"), 400,
         "密码太弱"),
        ("the name as password", dict(user="newsup1", role="supervisor", password="newsup1"), 400, "密码太弱"),
        ("no role", dict(user="newsup", role="root", password="other-pass-12"), 400, "请选择角色"),
    ]
    for what, form, want, words in bad:
        u = form.pop("user")
        st, _, body = adm.post("/accounts", [("action", "create"), ("user", u)] +
                               [(k, x) for k, v in form.items() for x in (v if isinstance(v, list) else [v])],
                               "/accounts")
        msg = message(body)
        check(st == want and words in msg, "%s: %d, %r" % (what, st, msg))
    check((users(), scopes()) == before, "nothing changed by the bad input")
    st, t = adm.account("sites", "nobody", site="SN")
    check(st == 404 and "没有这个账号" in t, "sites of an unknown account: 404 (%d)" % st)
    st, t = adm.account("drop-table", SUP[0])
    check(st == 400 and "没有这个操作" in t, "an unknown action: 400 (%d)" % st)
    st, _, body = svc.request("POST", "/accounts", "action=disable&user=supa&csrf=bad",
                              {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "kcsid=" + adm.cookie})
    check(st == 403 and users() == before[0], "a form without the session's form token: 403, nothing changed")

    say("== a supervisor on the admin's routes: 403")
    sup = Client(svc, *SUP)
    check(sup.login() == 303, "supa signs in")
    st, _, body = sup.get("/accounts")
    check(st == 403 and "此页面仅供管理员使用" in text(body), "GET /accounts: 403, said so (%d)" % st)
    st, _, body = sup.post("/accounts", [("action", "role"), ("user", SUP[0]), ("role", "admin")])
    check(st == 403 and users() == before[0], "POST /accounts (making itself admin): 403, nothing changed")
    st, _, _ = svc.request("GET", "/api/v1/cabinets", user=SUP)
    check(st == 403, "GET /api/v1/cabinets: 403")
    st, _, body = sup.get("/")
    check("/accounts" not in body.decode(), "no accounts link in a supervisor's navigation")
    st, _, body = adm.get("/")
    check('href="/accounts"' in body.decode(), "the admin's navigation links the accounts page")

    say("== scope and role changes take effect")
    st, _, body = sup.get("/r/now")
    check(st == 200 and b"CAB-OLD" not in body and b"CAB-NEW" in body, "supa (SN) sees CAB-NEW only")
    st, t = adm.account("sites", SUP[0])
    check(st == 200 and scopes() == [], "sites cleared: every site (%d)" % st)
    st, _, body = sup.get("/r/now")
    check(b"CAB-OLD" in body, "supa now sees CAB-OLD too")
    st, t = adm.account("sites", SUP[0], site="SO")
    st, _, body = sup.get("/r/now")
    check(b"CAB-OLD" in body and b"CAB-NEW" not in body, "scope SO: CAB-OLD only")
    st, t = adm.account("role", SUP[0], role="admin")
    check(st == 200 and ("supa", "admin", 1) in users(), "role changed to admin")
    st, _, _ = sup.get("/accounts")
    check(st == 200, "supa opens /accounts as an admin (%d)" % st)
    st, t = adm.account("role", SUP[0], role="supervisor")
    st, _, _ = sup.get("/accounts")
    check(st == 403, "back to supervisor: 403 again (%d)" % st)
    st, t = adm.account("sites", SUP[0], site="SN")

    say("== the last admin stays")
    st, t = adm.account("disable", ADMIN[0])
    check(st == 409 and ("adm", "admin", 1) in users(), "disabling the last admin: 409, still enabled (%d)" % st)
    st, t = adm.account("role", ADMIN[0], role="supervisor")
    check(st == 409 and ("adm", "admin", 1) in users(), "demoting the last admin: 409 (%d)" % st)

    say("== a password reset by a one-time code")
    st, _, body = adm.post("/accounts", [("action", "reset"), ("user", SUP[0])], "/accounts")
    m = re.search(r'id="reset-link" href="/reset\?code=([0-9a-f]{64})"', body.decode())
    check(st == 200 and m, "the admin gets a one-time link (%d)" % st)
    code = m.group(1) if m else "0" * 64
    hashes = [h for (h,) in svc.sql("SELECT code_hash FROM reset_codes WHERE user = 'supa'")]
    check(len(hashes) == 1 and code not in hashes, "the code is stored hashed, not as it is")
    check(SUP[1] not in body.decode(), "no password on the page")
    st, _, body = svc.request("GET", "/reset?code=" + code)
    check(st == 200 and 'id="reset-user">supa<' in body.decode(), "GET /reset: the form names the account")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    st, _, body = svc.request("POST", "/reset", "code=%s&password=new-pass-123&password2=new-pass-124" % code, form)
    check(st == 400 and "两次输入的密码不一致" in message(body), "two different passwords: 400, said so")
    st, _, body = svc.request("POST", "/reset", "code=%s&password=short1&password2=short1" % code, form)
    check(st == 400 and "密码太弱" in message(body), "a weak password: 400, said so; the code still works")
    st, _, body = svc.request("POST", "/reset", "code=%s&password=new-pass-123&password2=new-pass-123" % code, form)
    check(st == 200 and "新密码已设置" in message(body), "the code sets the new password (%d)" % st)
    st, _, _ = sup.get("/r/now")
    check(st == 303, "the account's old session is ended (%d)" % st)
    check(Client(svc, SUP[0], SUP[1]).login() == 401, "the old password no longer works")
    sup = Client(svc, SUP[0], "new-pass-123")
    check(sup.login() == 303, "the new password works")
    st, _, body = svc.request("POST", "/reset", "code=%s&password=again-pass-1&password2=again-pass-1" % code, form)
    check(st == 404 and "此链接已使用" in message(body), "the code a second time: 404, told it is used (%d)" % st)
    st, _, _ = svc.request("GET", "/reset?code=" + code)
    check(st == 404, "GET /reset with the used code: 404")
    check(Client(svc, SUP[0], "again-pass-1").login() == 401, "the second try set nothing")

    say("== a disabled account cannot sign in; its sessions end")
    st, t = adm.account("disable", SUP[0])
    check(st == 200 and ("supa", "supervisor", 0) in users(), "supa disabled (%d)" % st)
    st, _, _ = sup.get("/r/now")
    check(st == 303, "its open session is refused: 303 to the login (%d)" % st)
    check(svc.sql("SELECT count(*) FROM sessions WHERE user = 'supa'") == [(0,)], "its sessions are deleted")
    st, _, body = svc.request("POST", "/login", "user=supa&password=new-pass-123", form)
    check(st == 403 and "此账号已停用" in text(body) and "set-cookie" not in _, "signing in: 403, told it is disabled")
    st, _, _ = svc.request("GET", "/api/v1/reports/now", user=(SUP[0], "new-pass-123"))
    check(st == 401, "HTTP basic: 401")
    st, t = adm.account("enable", SUP[0])
    check(st == 200 and sup.login() == 303, "enabled again: signs in")

    say("== an account locked out by the login backoff, unlocked by the admin")
    for i in range(5):
        svc.request("POST", "/login", "user=supa&password=wrong-%d-xx" % i, form)
    for wait in (1.1, 2.1, 4.1):  # each failure past the fifth locks twice as long
        time.sleep(wait)
        svc.request("POST", "/login", "user=supa&password=wrong-later-x1", form)
    st, _, _ = svc.request("POST", "/login", "user=supa&password=new-pass-123", form)
    check(st == 429, "the right password while locked: 429 (%d)" % st)
    st, _, body = adm.get("/accounts")
    row = re.search(r'<tr data-user="supa">.*?</tr>', body.decode(), re.S)
    check(row and "已锁定" in row.group(0) and 'value="unlock"' in row.group(0), "the page shows it locked, with Unlock")
    st, t = adm.account("unlock", SUP[0])
    check(st == 200 and "账号已解锁" in t, "unlocked (%d)" % st)
    check(sup.login() == 303, "the right password works at once")

    log = svc.log_text()
    check(code not in log, "the reset code is not in the log")
    check(all(p not in log for p in (SUP[1], "new-pass-123", ADMIN[1])), "no password in the log")
    check("account supa: password reset issued by adm" in log and "account supa: disabled by adm" in log,
          "the log names each act and the acting admin")

    say("== each act is an event of the office chain, naming the acting admin")
    evs = svc.sql("SELECT type, actor, json_extract(body, '$.data.account'), body FROM events"
                  " WHERE cabinet = '@office' ORDER BY seq")
    acts = [(t, a, acc) for t, a, acc, _ in evs if acc == "supa"]
    want = [("office.account_created", "adm", "supa"), ("office.account_sites_changed", "adm", "supa"),
            ("office.account_sites_changed", "adm", "supa"), ("office.account_role_changed", "adm", "supa"),
            ("office.account_role_changed", "adm", "supa"), ("office.account_sites_changed", "adm", "supa"),
            ("office.password_reset_issued", "adm", "supa"), ("office.password_reset_used", "supa", "supa"),
            ("office.account_disabled", "adm", "supa"), ("office.account_enabled", "adm", "supa"),
            ("office.account_unlocked", "adm", "supa")]
    check(acts == want, "the acts on supa, in order: %s" % [a[0] for a in acts])
    created = [json.loads(b)["data"] for t, _, acc, b in evs if t == "office.account_created" and acc == "supa"]
    check(created == [{"account": "supa", "role": "supervisor", "sites": ["SN"]}], "created: role and sites recorded")
    bodies = " ".join(b for _, _, _, b in evs)
    check(all(x not in bodies for x in (code, SUP[1], "new-pass-123")), "no password or code in any event")
    check(not any(t.startswith("office.account") for t, _, acc, _ in evs if acc in ("adm",)),
          "the refused acts on the last admin are not recorded")
    r = svc.cmd("verify-chain", "@office")
    check(r.returncode == 0, "verify-chain @office: intact (%d %s)" % (r.returncode, (r.stdout + r.stderr)[-200:]))
    st, _, body = adm.get("/r/keylog?type=office.account_disabled")
    check(st == 200 and "adm 停用账号 supa" in text(body), "the admin's key log: 「adm 停用账号 supa」")
    st, _, body = sup.get("/r/keylog")
    check(st == 200 and "adm 停用账号 supa" not in text(body) and "adm 创建主管账号" not in text(body),
          "a supervisor of SN does not see the account acts")

    say("== in Chromium: the admin creates a supervisor of SN by the form; it sees only SN")
    check(browser("accounts.js", svc, ADMIN[0], ADMIN[1], "t-accounts") == 0, "accounts.js: every check held")
finally:
    svc.stop()
finish()
