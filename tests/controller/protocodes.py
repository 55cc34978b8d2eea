#!/usr/bin/env python3
"""keycabd's failed replies over its unix socket carry a message code and
its parameters beside the English text, for t-proto-codes.sh.

Environment: KEYCAB_SOCKET, KEYCAB_LOCALEDIR (the built catalogue),
SESSION_IDLE_S (keycabd's [session] idle_timeout), CARD (a card id nobody
holds). Prints "ok   - ..." or "FAIL - ..." lines like lib.sh.
"""
import gettext
import json
import os
import re
import time

from sockask import ask_line as ask

IDLE_S = int(os.environ["SESSION_IDLE_S"])
CARD = os.environ["CARD"]
fails = 0
zh = gettext.translation("keycab", os.environ["KEYCAB_LOCALEDIR"], ["zh_CN"])


def check(cond, desc, detail=None):
    global fails
    print(("ok   - " if cond else "FAIL - ") + desc, flush=True)
    if not cond:
        fails += 1
        if detail is not None:
            print("       " + json.dumps(detail, ensure_ascii=False))


def req(**kw):
    return ask(json.dumps(kw))


def render(msg, lang):
    """A message as a client renders it: the template from the catalogue,
    the placeholders filled from the params."""
    tmpl = TEMPLATES.get(msg.get("code"), "")
    params = msg.get("params") or {}

    def value(m):
        name = m.group(1)
        if name not in params:
            return m.group(0)
        v = params[name]
        if lang == "zh" and name in WORDS and isinstance(v, str):
            return zh.pgettext(name, v)
        return str(v)
    if lang == "zh":
        tmpl = zh.gettext(tmpl)
    tmpl = re.sub(r"\{(\w+)\}", value, tmpl)
    return re.sub(r"\{=([^}]*)\}", r"\1", tmpl)  # a command-line hint (it may hold a parameter), as keycab shows it


WORDS = ("purpose", "kind", "state", "role", "id_type", "result", "method", "link", "what", "field")


def load_templates():
    out = {}
    src = os.environ["KEYCAB_SRC"]
    for name in os.listdir(os.path.join(src, "common/msgs")):
        with open(os.path.join(src, "common/msgs", name), encoding="utf-8") as f:
            for m in re.finditer(r'KC_MSG\((\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', f.read()):
                out[m.group(1)] = "".join(json.loads(p) for p in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(2)))
    return out


TEMPLATES = load_templates()


def coded(rep, code, desc, text_member):
    """rep fails with code; its English text is what the code renders to."""
    ok = rep.get("ok") is False and rep.get("code") == code and isinstance(rep.get("params"), dict)
    check(ok, f"{desc}: code {code} with params {json.dumps(rep.get('params'), ensure_ascii=False)}", rep)
    if not ok:
        return False
    text = rep.get(text_member, "")
    if rep.get("messages"):
        en = " ".join(render(m, "en") for m in rep["messages"])
    else:
        en = render(rep, "en")
    check(en == text, f"  ... its English renders as the {text_member} sent: {text}", [en, text])
    return True


def chinese(rep, desc):
    msgs = rep.get("messages") or [rep]
    if not all(m.get("code") in TEMPLATES for m in msgs):
        check(False, f"  ... in Chinese: no code for {desc}", rep)
        return ""
    text = "".join(render(m, "zh") for m in msgs)
    han = re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"\{\w+\}", text)
    check(bool(han), f"  ... in Chinese: {text}", rep)
    return text


# a bad request
rep = ask('[1, 2]')
coded(rep, "request_not_object", "a JSON array, not an object", "error")
rep = ask('{"op": ')
coded(rep, "request_bad_json", "a line that is not JSON", "error")
check("detail" in rep.get("params", {}), "  ... jansson's complaint in params.detail", rep)
rep = req(person="S01")
coded(rep, "request_no_op", "an object without an \"op\"", "error")
chinese(rep, "no op")
rep = req(op="login", person="S01")
coded(rep, "login_bad_request", "a login with neither a PIN nor a card", "error")
rep = req(op="keys", who="x" * 5000)
coded(rep, "text_too_long", "a text member over its limit", "error")
check(rep.get("params", {}).get("field") == "who" and rep["params"].get("chars") == 5000,
      "  ... names the member and its length", rep)

# an unknown op: to someone who may read (the console, this user) ...
rep = req(op="fly")
coded(rep, "op_unknown", "an unknown op at the console", "error")
check(rep.get("params") == {"op": "fly"}, "  ... params.op names it", rep)
chinese(rep, "unknown op")

# a wrong PIN, with the tries left
rep = req(op="login", person="S02", pin="864209")
if coded(rep, "pin_wrong", "a wrong PIN", "reason"):
    p = rep["params"]
    check(p.get("person") == "S02" and p.get("failures") == 1 and p.get("attempts") == 5
          and p.get("tries_left") == 4, "  ... person, failures 1, attempts 5, tries_left 4", rep)
    check(p.get("name") == "李娜 Li Na", "  ... and the person's name", rep)
    chinese(rep, "wrong PIN")
check(rep.get("rule") == 1 and rep.get("refused") is True and rep.get("messages", [{}])[0].get("code") == "pin_wrong",
      "  ... a refusal by rule 1 with its messages", rep)

# the lockout
for _ in range(3):
    req(op="login", person="S02", pin="864209")
rep = req(op="login", person="S02", pin="864209")
until_re = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
if coded(rep, "pin_wrong_locked", "the 5th wrong PIN locks S02 out", "reason"):
    p = rep["params"]
    check(bool(until_re.match(str(p.get("until")))) and isinstance(p.get("seconds_left"), int)
          and 0 < p["seconds_left"] <= 60, f"  ... until {p.get('until')}, seconds_left {p.get('seconds_left')}", rep)
    check(p["until"] in rep["reason"], "  ... the until the English text names", rep)
    chinese(rep, "lockout")
rep = req(op="login", person="S02", pin="2222")
if coded(rep, "login_locked_out", "the right PIN while locked out", "reason"):
    p = rep["params"]
    check(p.get("person") == "S02" and bool(until_re.match(str(p.get("until"))))
          and isinstance(p.get("seconds_left"), int) and p["seconds_left"] > 0,
          f"  ... until {p.get('until')}, seconds_left {p.get('seconds_left')}", rep)
    zh_text = chinese(rep, "locked out")
    check(p["until"] in zh_text, "  ... the Chinese names the time too", zh_text)

# a card the cabinet does not know: its own code, never the card id
rep = req(op="login", card=CARD)
coded(rep, "card_unknown", "a card nobody holds", "reason")
check(CARD not in json.dumps(rep), "  ... the card id is nowhere in the reply", rep)
chinese(rep, "unknown card")

# a person not on the roll
rep = req(op="login", person="X77", pin="1234")
coded(rep, "login_person_unknown", "a person not on the roll", "reason")
check(rep.get("params") == {"person": "X77"}, "  ... params.person", rep)

# sessions: none, unknown, ended by the idle timeout
rep = req(op="handover.start")
coded(rep, "login_needed_operator", "a handover with no session", "reason")
codes = [m["code"] for m in rep.get("messages", [])]
check(codes == ["login_needed_operator", "session_none"], f"  ... why: {codes}", rep)
rep = req(op="whoami", session="0" * 64)
coded(rep, "login_needed_whoami", "whoami with a session keycabd does not know", "reason")
check([m["code"] for m in rep.get("messages", [])][1:] == ["session_unknown"], "  ... why: session_unknown", rep)
login = req(op="login", person="S01", pin="1111")
check(login.get("ok") is True, "S01 logs in", login)
time.sleep(IDLE_S + 1.5)
rep = req(op="inspect", session=login.get("session", ""))
coded(rep, "login_needed_anyone", "an inspection after the session's idle timeout", "reason")
msgs = rep.get("messages", [])
check(len(msgs) == 2 and msgs[1]["code"] == "session_expired" and msgs[1]["params"].get("idle_s") == IDLE_S,
      f"  ... why: session_expired, idle_s {IDLE_S}", rep)
check("session" in rep.get("reason", ""), "  ... the English still says \"session\" (the kiosk ends its login on it)", rep)
chinese(rep, "expired")
eng = req(op="login", person="E01", pin="3333")
rep = req(op="handover.start", session=eng.get("session", ""))
if coded(rep, "engineer_not_operator", "an engineer starting a handover", "reason"):
    check(rep["params"].get("person") == "E01" and rep["params"].get("name") == eng.get("name"),
          "  ... names E01 and their name", rep)
    chinese(rep, "engineer")
rep = req(op="logout")
coded(rep, "logout_no_session", "a logout without a session", "error")

print(f"{fails} failed" if fails else "all protocol codes as expected", flush=True)
raise SystemExit(1 if fails else 0)
