#!/usr/bin/env python3
"""The office's changes applied at the cabinet (controller/estate.c), for
t-estate.sh: keycabd on keycab-sim with the demo estate, [estate] mode =
managed, driven over its socket as keycab-forward drives it (the forward
key).

    estatecheck.py SCENARIO   (apply, refusals, order, access, people,
                               enrol, move, settings)

Environment: KEYCAB_SOCKET, SIM_CONTROL, T (keycab.db and its .key),
FORWARD_KEY, TERMINAL_KEY (the files of keycabd's keys). Prints "ok   -
..." or "FAIL - ..." lines like lib.sh; exit 1 when a check failed."""
import datetime
import hashlib
import json
import os
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockask import ask  # noqa: E402

T = os.environ["T"]
DB = os.path.join(T, "keycab.db")
SIM = os.environ["SIM_CONTROL"]
FORWARD_KEY = open(os.environ["FORWARD_KEY"]).read().strip()
TERMINAL_KEY = open(os.environ["TERMINAL_KEY"]).read().strip()
# what the refusals say (common/msgs/estate.def), as t-codes.sh reads them
fails = 0


def check(cond, desc, detail=None):
    global fails
    print(("ok   - " if cond else "FAIL - ") + desc, flush=True)
    if not cond:
        fails += 1
        if detail is not None:
            print("       " + json.dumps(detail, ensure_ascii=False)[:600])


def q(sql, *args):
    c = sqlite3.connect(DB, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def position():
    return q("SELECT position FROM estate_position")[0][0]


def events(type_=None):
    rows = q("SELECT body FROM outbox ORDER BY seq")
    evs = [json.loads(r[0]) for r in rows]
    return [e for e in evs if type_ is None or e["type"] == type_]


def last_event():
    return json.loads(q("SELECT body FROM outbox ORDER BY seq DESC LIMIT 1")[0][0])


def registry():
    """Every table a change writes, as it is now."""
    out = {}
    for t in ("sites", "units", "keys", "people", "site_settings", "sessions"):
        out[t] = q("SELECT * FROM %s ORDER BY 1" % t)
    return out


def iso(dt_s):
    return datetime.datetime.fromtimestamp(dt_s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def apply(ctype, data, change=None, **extra):
    """estate.apply of the next change (or change), as keycab-forward sends it."""
    n = position() + 1 if change is None else change
    req = {"op": "estate.apply", "forward_key": FORWARD_KEY, "change": n, "type": ctype, "data": data,
           "made": iso(time.time()), "by": "alice"}
    req.update(extra)
    return ask(req)


def card_hash(card):
    """The estate's card key's keyed hash (common/pdata.c keyed_hex)."""
    key = open(DB + ".key", "rb").read()
    h = hashlib.blake2b(key=key, digest_size=32)
    h.update(b"card\0")
    h.update(card.encode())
    return h.hexdigest()


def sim(line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SIM)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode().strip()


def wait(cond, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def login(person, pin):
    return ask({"op": "login", "person": person, "pin": pin})


def applied(rep, ctype, desc):
    """rep applied the change: ok, the position moved to it, and its
    estate.applied event is the last one, naming it."""
    ev = last_event()
    ok = rep.get("ok") is True and rep.get("position") == position() and "duplicate" not in rep
    check(ok and ev["type"] == "estate.applied" and ev["data"]["change"] == rep.get("position")
          and ev["data"]["change_type"] == ctype and ev["data"]["by"] == "alice" and ev.get("actor") is None,
          desc + ": applied, estate.applied (change %s)" % rep.get("position"), rep if not ok else ev)
    return ev


def refused(ctype, data, code, desc, params=None):
    """The change is refused with code: answered refused with its
    messages, recorded as estate.refused with code and params, the
    position moved, and nothing else written."""
    before, seq, pos = registry(), len(events()), position()
    rep = apply(ctype, data)
    ev = last_event()
    check(rep.get("ok") is False and rep.get("refused") is True and rep.get("code") == code
          and rep.get("position") == pos + 1 and rep.get("messages") and rep.get("reason"),
          "%s: refused %s (%s)" % (desc, code, rep.get("reason")), rep)
    if params:
        check(all(rep.get("params", {}).get(k) == v for k, v in params.items()),
              "  ... with params %s" % params, rep.get("params"))
    check(ev["type"] == "estate.refused" and ev["data"]["code"] == code and ev["data"]["change"] == pos + 1
          and ev["data"]["params"] == rep.get("params", {}) and len(events()) == seq + 1,
          "  ... one estate.refused event with its code and params", ev)
    check(registry() == before and position() == pos + 1,
          "  ... nothing else written, the position at %d" % (pos + 1))
    return rep


def scenario_apply():
    """Every change type applied, and its event."""
    rep = ask({"op": "estate.position", "forward_key": FORWARD_KEY})
    check(rep.get("ok") and rep.get("position") == 0 and rep.get("mode") == "managed",
          "estate.position: 0, managed", rep)
    rep = apply("site.set", {"site": "XS", "name": "西山 Xishan", "age": "new", "time_zone": "Asia/Urumqi"})
    applied(rep, "site.set", "site.set of a new site")
    check(q("SELECT name, age, time_zone FROM sites WHERE code = 'XS'") == [("西山 Xishan", "new", "Asia/Urumqi")],
          "  ... the site with its time zone stored")
    rep = apply("site.set", {"site": "HY", "name": "华苑新城 Huayuan", "age": "old", "time_zone": "Asia/Shanghai"})
    applied(rep, "site.set", "site.set of a known site")
    check(q("SELECT age FROM sites WHERE code = 'HY'") == [("old",)], "  ... its age changed")
    rep = apply("site.set", {"site": "HY", "name": "华苑新城 Huayuan", "age": "old", "time_zone": ""})
    applied(rep, "site.set", "site.set with no time zone (empty)")

    n = len(events("unit.vacancy"))
    rep = apply("unit.set", {"unit": "XS-1-101", "site": "XS", "building": "1", "room": "101", "vacant": False})
    ev = applied(rep, "unit.set", "unit.set of a new unit")
    check(ev.get("unit") == "XS-1-101" and ev.get("site") == "XS", "  ... the event names unit and site", ev)
    rep = apply("unit.set", {"unit": "HY-1-101", "site": "HY", "building": "1", "room": "101", "vacant": True})
    ev = applied(rep, "unit.set", "unit.set making HY-1-101 vacant")
    vac = events("unit.vacancy")
    check(len(vac) == n + 1 and vac[-1]["unit"] == "HY-1-101" and vac[-1]["data"]["vacant"] is True
          and vac[-1]["seq"] == ev["seq"] - 1,
          "  ... and a unit.vacancy event, as the desk's unit vacant writes", vac[-1:])
    rep = apply("unit.set", {"unit": "HY-1-101", "site": "HY", "building": "1", "room": "101a", "vacant": True})
    applied(rep, "unit.set", "unit.set changing the room only")
    check(len(events("unit.vacancy")) == n + 1, "  ... no unit.vacancy when the vacancy stays")

    rep = apply("person.set", {"person": "P01", "name": "周新 Zhou Xin", "role": "staff", "phone": "13911112222",
                               "department": "客服部", "active": True, "enrolled_by": None})
    ev = applied(rep, "person.set", "person.set of a new person")
    check(q("SELECT name, role, department, active, pin_hash FROM people WHERE code = 'P01'")
          == [("周新 Zhou Xin", "staff", "客服部", 1, None)], "  ... on the roll, no PIN yet")
    check("13911112222" not in json.dumps(ev) and ev["data"].get("phone_masked") == "139****2222",
          "  ... the event has the phone masked, never in clear", ev["data"])
    rep = apply("person.set", {"person": "P01", "name": "周新 Zhou Xin", "role": "supervisor", "phone": "",
                               "department": "", "active": True, "enrolled_by": "M01",
                               "card_hash": card_hash("CARD-7001"), "card_masked": "****7001"})
    ev = applied(rep, "person.set", "person.set: role, card, enrolled_by")
    check(q("SELECT role, enrolled_by, card_hash, card_masked FROM people WHERE code = 'P01'")
          == [("supervisor", "M01", card_hash("CARD-7001"), "****7001")], "  ... stored")
    check("card_hash" not in ev["data"] and ev["data"].get("card_masked") == "****7001",
          "  ... the event has the card's masked form, not its hash", ev["data"])
    rep = ask({"op": "login", "card": "CARD-7001"})
    check(rep.get("ok") and rep.get("person") == "P01", "P01 logs in with the card the office set", rep)
    rep = apply("person.set", {"person": "P01", "name": "周新 Zhou Xin", "role": "supervisor", "active": True,
                               "enrolled_by": "M01", "card_hash": None})
    applied(rep, "person.set", "person.set withdrawing the card")
    rep = ask({"op": "login", "card": "CARD-7001"})
    check(rep.get("ok") is False and rep.get("code") == "card_unknown", "  ... the card no longer logs in", rep)

    rep = apply("key.set", {"key": "K-XS-1", "unit": "XS-1-101", "kind": "vacant", "slot": "C08", "tag": 0})
    refused_c = rep.get("code")
    check(refused_c == "estate_slot_taken", "key.set into another key's home slot is refused", rep)
    rep = apply("key.remove", {"key": "K-LJ-5-110"})
    ev = applied(rep, "key.remove", "key.remove of K-LJ-5-110 (C08)")
    check(ev.get("key") == "K-LJ-5-110" and ev.get("slot") == "C08" and q("SELECT 1 FROM keys WHERE code = 'K-LJ-5-110'") == [],
          "  ... the key is gone, its event names key and slot", ev)
    n = len(events("slot.removed"))
    sim("remove C08")
    check(wait(lambda: len(events("slot.removed")) > n), "C08 emptied at the sim")
    rep = apply("key.set", {"key": "K-XS-1", "unit": "XS-1-101", "kind": "vacant", "slot": "C08", "tag": 0})
    ev = applied(rep, "key.set", "key.set of a new key into the freed slot C08")
    check(q("SELECT unit, kind, home_slot, state FROM keys WHERE code = 'K-XS-1'")
          == [("XS-1-101", "vacant", "C08", "awaiting")] and ev["data"].get("state") == "awaiting"
          and ev.get("site") == "XS" and ev.get("slot") == "C08",
          "  ... awaiting in C08 (the slot reads empty), the event names key, unit, site, slot", ev)
    sim("insert C08 0")
    check(wait(lambda: q("SELECT state, slot FROM keys WHERE code = 'K-XS-1'") == [("in", "C08")]),
          "  ... in custody once C08 reads it")
    rep = apply("key.set", {"key": "K-XS-1", "unit": "XS-1-101", "kind": "repair", "slot": "C08", "tag": 0})
    applied(rep, "key.set", "key.set changing the kind")
    check(q("SELECT kind, state FROM keys WHERE code = 'K-XS-1'") == [("repair", "in")], "  ... repair, still in")
    # a key with a history (a loan) keeps its row, out of custody
    rep = apply("person.unlock", {"person": "S01"})
    applied(rep, "person.unlock", "person.unlock of S01")
    code_hash = hashlib.sha256(b"13579").hexdigest()
    rep = apply("person.enrol", {"person": "P01", "code_hash": code_hash, "until": iso(time.time() + 3600)})
    ev = applied(rep, "person.enrol", "person.enrol for P01")
    check("code_hash" not in ev["data"] and code_hash not in json.dumps(ev), "  ... the event holds no code hash", ev)
    check(q("SELECT enrol_code_hash FROM people WHERE code = 'P01'") == [(code_hash,)], "  ... the code's hash stored")
    data = {"site": "LJ", "max_loan": {"borrow": 86400, "inspection": 3600}, "due_presets": [1800, 3600, 86400],
            "notice_lead_s": 3 * 86400, "notice_reminder_s": 43200,
            "phrases": {"problem": ["漏水", "门锁坏"], "alarm": ["误报"], "repair": ["换锁"]}}
    rep = apply("settings.set", data)
    applied(rep, "settings.set", "settings.set of LJ")
    check(json.loads(q("SELECT body FROM site_settings WHERE site = 'LJ'")[0][0])
          == {k: v for k, v in data.items() if k != "site"}, "  ... stored for the site")


def scenario_refusals():
    """Every refusal code with its message, nothing written but the
    refusal's event and the position."""
    refused("site.set", {"site": "XT", "name": "X", "age": "new", "time_zone": "Asia/Beijing"}, "estate_bad_value",
            "site.set with a zone that does not exist", {"field": "time_zone"})
    refused("site.set", {"site": "XT", "name": "X", "age": "middle"}, "estate_bad_value", "site.set with a bad age",
            {"field": "age"})
    refused("unit.set", {"unit": "ZZ-1", "site": "ZZ", "vacant": False}, "estate_site_unknown",
            "unit.set on an unknown site", {"site": "ZZ"})
    refused("key.set", {"key": "K-N1", "unit": "HY-1-101", "kind": "vacant", "slot": "Z99", "tag": 0},
            "estate_slot_unknown", "key.set into a slot not in the cabinet file", {"slot": "Z99"})
    refused("key.set", {"key": "K-N1", "unit": "HY-1-101", "kind": "vacant", "slot": "A01", "tag": 0},
            "estate_slot_taken", "key.set into another key's home", {"slot": "A01", "other": "K-HY-1-101"})
    refused("key.set", {"key": "K-N1", "unit": "NOPE", "kind": "vacant", "slot": "A01", "tag": 0},
            "estate_unit_unknown", "key.set of an unknown unit", {"unit": "NOPE"})
    refused("key.set", {"key": "K-N1", "unit": "HY-1-101", "kind": "golden", "slot": "A01", "tag": 0},
            "estate_bad_value", "key.set of a bad kind", {"field": "kind"})
    refused("key.set", {"key": "K-N1", "unit": "HY-1-101", "kind": "vacant", "slot": "Z01", "tag": 0x1001},
            "estate_slot_unknown", "key.set checks the slot first")
    refused("key.set", {"key": "K-HY-1-101", "unit": "HY-1-101", "kind": "entrusted", "slot": "A01", "tag": 0x1002},
            "estate_tag_taken", "key.set giving a key another key's tag", {"tag": "0x1002", "other": "K-HY-1-102"})
    refused("key.remove", {"key": "K-NOPE"}, "estate_key_unknown", "key.remove of an unknown key", {"key": "K-NOPE"})
    refused("key.remove", {"key": "K-HY-1-102"}, "estate_key_entrusted", "key.remove of an entrusted key",
            {"key": "K-HY-1-102"})
    # a key out on loan is neither moved nor removed
    s = login("S01", "1111")
    rep = ask({"op": "release", "session": s["session"], "key": "K-HY-1-104", "purpose": "inspection",
               "borrower": "E01", "due_in_s": 3600})
    check(rep.get("ok"), "K-HY-1-104 released for the next checks", rep)
    sim("remove A08")
    wait(lambda: q("SELECT state FROM keys WHERE code = 'K-HY-1-104'") == [("out",)])
    refused("key.remove", {"key": "K-HY-1-104"}, "estate_key_out", "key.remove of a key out",
            {"key": "K-HY-1-104", "state": "out"})
    refused("key.set", {"key": "K-HY-1-104", "unit": "HY-1-104", "kind": "vacant", "slot": "C08", "tag": 0x1008},
            "estate_key_out", "key.set moving a key out", {"key": "K-HY-1-104"})
    refused("person.set", {"person": "S09", "name": "X", "role": "staff", "active": True,
                           "card_hash": card_hash("CARD-0042"), "card_masked": "****0042"},
            "estate_card_taken", "person.set with another's card", {"other": "P02"})
    refused("person.set", {"person": "S09", "name": "X", "role": "boss", "active": True}, "estate_bad_value",
            "person.set with a bad role", {"field": "role"})
    refused("person.enrol", {"person": "NOBODY", "code_hash": "0" * 64, "until": iso(time.time() + 60)},
            "estate_person_unknown", "person.enrol of an unknown person", {"person": "NOBODY"})
    refused("person.unlock", {"person": "NOBODY"}, "estate_person_unknown", "person.unlock of an unknown person")
    refused("settings.set", {"site": "HY", "max_loan": {"borrow": 10}}, "estate_bad_value",
            "settings.set with a loan of 10 s", {"field": "max_loan"})
    refused("settings.set", {"site": "HY", "phrases": {"problem": [""]}}, "estate_bad_value",
            "settings.set with an empty phrase", {"field": "phrases"})
    refused("settings.set", {"site": "ZZ"}, "estate_site_unknown", "settings.set of an unknown site")
    refused("thing.set", {}, "estate_type_unknown", "a change type the cabinet does not know", {"type": "thing.set"})
    refused("unit.set", ["HY-1-101"], "estate_bad_value", "a change whose data is no object", {"field": "data"})
    refused("unit.set", {"unit": "HY-1-101", "site": "HY", "vacant": True, "area": 81.5}, "estate_bad_value",
            "a change holding a real number (events hold integers only)", {"field": "data"})


def scenario_order():
    """A duplicate writes nothing; a gap is an error that writes nothing."""
    pos, before, n = position(), registry(), len(events())
    rep = apply("unit.set", {"unit": "HY-1-102", "site": "HY", "vacant": True}, change=pos)
    check(rep.get("ok") is True and rep.get("duplicate") is True and rep.get("position") == pos,
          "change %d again: a duplicate" % pos, rep)
    rep = apply("unit.set", {"unit": "HY-1-102", "site": "HY", "vacant": True}, change=1)
    check(rep.get("ok") is True and rep.get("duplicate") is True, "change 1 again: a duplicate", rep)
    check(registry() == before and len(events()) == n and position() == pos, "  ... nothing written")
    rep = apply("unit.set", {"unit": "HY-1-102", "site": "HY", "vacant": True}, change=pos + 2)
    check(rep.get("ok") is False and rep.get("code") == "estate_gap" and "refused" not in rep
          and rep.get("params") == {"change": pos + 2, "expected": pos + 1}, "change %d before %d: estate_gap"
          % (pos + 2, pos + 1), rep)
    check(registry() == before and len(events()) == n and position() == pos, "  ... nothing written")
    rep = apply("unit.set", {"unit": "HY-1-102", "site": "HY", "vacant": True}, change=0)
    check(rep.get("ok") is False and rep.get("code") == "estate_bad_value", "change 0: estate_bad_value", rep)
    rep = apply("unit.set", {"unit": "HY-1-102", "site": "HY", "vacant": True}, change=pos + 1)
    check(rep.get("ok") is True and position() == pos + 1, "change %d in order: applied" % (pos + 1), rep)


def nothing_written(before, n, pos, desc):
    check(registry() == before and len(events()) == n and position() == pos, desc)


def scenario_standalone():
    """A standalone cabinet: estate.* refused with estate_standalone, the
    local registry ops allowed."""
    before, n = registry(), len(events())
    rep = ask({"op": "estate.position", "forward_key": FORWARD_KEY})
    check(rep.get("ok") is False and rep.get("code") == "estate_standalone", "estate.position: estate_standalone", rep)
    rep = ask({"op": "estate.apply", "forward_key": FORWARD_KEY, "change": 1, "type": "unit.set",
               "data": {"unit": "HY-1-102", "site": "HY", "vacant": True}, "made": iso(time.time()), "by": "alice"})
    check(rep.get("ok") is False and rep.get("code") == "estate_standalone" and "position" not in rep,
          "estate.apply: estate_standalone", rep)
    nothing_written(before, n, 0, "  ... nothing written, the position 0")
    rep = ask({"op": "unit.vacancy", "unit": "HY-2-102", "vacant": True})
    check(rep.get("ok") is True, "unit.vacancy at the console: allowed", rep)
    rep = ask({"op": "person.add", "code": "L01", "name": "Local", "role": "staff", "pin": "7777"})
    check(rep.get("ok") is True, "person.add at the console: allowed", rep)
    rep = ask({"op": "import", "table": "units", "rows": [{"code": "HY-9-901", "site": "HY", "vacant": "no"}]})
    check(rep.get("ok") is True and rep.get("added") == 1, "import at the console: allowed", rep)
    s = login("Q01", "6666")
    rep = ask({"op": "unit.vacancy", "session": s["session"], "unit": "HY-2-102", "vacant": False})
    check(rep.get("ok") is True, "unit.vacancy by a supervisor: allowed", rep)


def scenario_access():
    """Op by op: the estate ops only with the forward key; the local
    registry ops refused on a managed cabinet, whoever sends them."""
    s = login("Q01", "6666")["session"]
    senders = {"the console": {}, "a session (Q01)": {"session": s}, "the terminal key": {"terminal_key": TERMINAL_KEY}}
    ops = {"estate.position": {}, "estate.apply": {"change": position() + 1, "type": "unit.set",
                                                   "data": {"unit": "HY-1-102", "site": "HY", "vacant": True}}}
    before, n, pos = registry(), len(events()), position()
    for op, args in ops.items():
        for who, cred in senders.items():
            rep = ask(dict({"op": op}, **args, **cred))
            check(rep.get("ok") is False and rep.get("code") == "estate_office_only",
                  "%s from %s: estate_office_only" % (op, who), rep)
        rep = ask(dict({"op": op, "forward_key": "x" * 44}, **args))
        check(rep.get("ok") is False and rep.get("code") == "forward_key_wrong", "%s with a wrong key: refused" % op, rep)
    nothing_written(before, n, pos, "  ... nothing written")
    local = {"person.add": {"code": "L02", "name": "Local", "role": "staff", "pin": "7777"},
             "import": {"table": "units", "rows": [{"code": "HY-9-902", "site": "HY"}]},
             "unit.vacancy": {"unit": "HY-2-102", "vacant": True}}
    for op, args in local.items():
        for who, cred in dict(senders, **{"the forward key": {"forward_key": FORWARD_KEY}}).items():
            rep = ask(dict({"op": op}, **args, **cred))
            check(rep.get("ok") is False and rep.get("refused") is True
                  and rep.get("code") == "registry_managed_by_office" and rep.get("params") == {"op": op},
                  "%s from %s on a managed cabinet: registry_managed_by_office" % (op, who), rep)
    nothing_written(before, n, pos, "  ... nothing written")
    # the desk's acts go on: an entrustment, an intake
    rep = ask({"op": "entrust", "session": s, "key": "K-HY-2-101", "owner": "O03", "end": "2099-01-01"})
    check(rep.get("code") != "registry_managed_by_office", "entrust is the desk's: not refused by the mode", rep)
    rep = ask({"op": "intake.open", "session": s, "kind": "vacant", "unit": "HY-1-104"})
    check(rep.get("code") != "registry_managed_by_office", "intake.open is the desk's: not refused by the mode", rep)


def roster():
    rep = ask({"op": "roster", "terminal_key": TERMINAL_KEY})
    return [p["person"] for p in rep.get("people", [])]


def scenario_people():
    """A person deactivated: sessions end at once, PIN and card refused,
    off the roster; active again, they log in."""
    person = {"person": "S02", "name": "李娜 Li Na", "role": "staff", "phone": "13900000002", "active": True,
              "enrolled_by": None, "card_hash": card_hash("CARD-S02"), "card_masked": "****-S02"}
    applied(apply("person.set", person), "person.set", "person.set giving S02 a card")
    by_pin, by_card = login("S02", "2222"), ask({"op": "login", "card": "CARD-S02"})
    check(by_pin.get("ok") and by_card.get("ok") and "S02" in roster(), "S02 logs in by PIN and by card, on the roster")
    rep = apply("person.set", dict(person, active=False))
    ev = applied(rep, "person.set", "person.set deactivating S02")
    check(ev["data"].get("active") is False and ev.get("person") == "S02", "  ... the event says so", ev)
    for how, tok in (("PIN", by_pin), ("card", by_card)):
        rep = ask({"op": "whoami", "session": tok["session"]})
        check(rep.get("ok") is False, "  ... the %s session ended at once" % how, rep)
    check(q("SELECT count(*) FROM sessions WHERE person = 'S02'") == [(0,)], "  ... no session of S02 left")
    rep = login("S02", "2222")
    check(rep.get("ok") is False and rep.get("code") == "login_person_inactive", "  ... the PIN refused: login_person_inactive", rep)
    rep = ask({"op": "login", "card": "CARD-S02"})
    check(rep.get("ok") is False and rep.get("code") == "login_person_inactive", "  ... the card refused: login_person_inactive", rep)
    check("S02" not in roster(), "  ... off the roster")
    check(q("SELECT failures FROM people WHERE code = 'S02'") == [(0,)], "  ... the refusals count no failure")
    applied(apply("person.set", dict(person, active=True)), "person.set", "person.set making S02 active again")
    check(login("S02", "2222").get("ok") is True and "S02" in roster(), "  ... S02 logs in again, on the roster")


def enrol(person, code, pin, **cred):
    return ask(dict({"op": "person.enrol", "person": person, "code": code, "pin": pin}, **cred))


def scenario_enrol():
    """A PIN set at the terminal with the office's one-time code."""
    tk = {"terminal_key": TERMINAL_KEY}
    applied(apply("person.set", {"person": "P05", "name": "吴新 Wu Xin", "role": "staff", "active": True,
                                 "enrolled_by": "M01"}), "person.set", "person.set of P05 without a PIN")
    rep = enrol("P05", "246810", "2468", **tk)
    check(rep.get("ok") is False and rep.get("code") == "enrol_code_none", "enrol before any code: enrol_code_none", rep)
    until = time.time() + 3600
    applied(apply("person.enrol", {"person": "P05", "code_hash": hashlib.sha256(b"246810").hexdigest(),
                                   "until": iso(until)}), "person.enrol", "person.enrol: a code for P05")
    n = len(events("operator.login_failed"))
    rep = enrol("P05", "111111", "2468", **tk)
    check(rep.get("ok") is False and rep.get("code") == "enrol_code_wrong" and rep["params"]["failures"] == 1,
          "a wrong code at the terminal: enrol_code_wrong (%s)" % rep.get("reason"), rep)
    evs = events("operator.login_failed")
    check(q("SELECT failures FROM people WHERE code = 'P05'") == [(1,)] and len(evs) == n + 1
          and evs[-1]["data"].get("purpose") == "enrol", "  ... counted towards the lockout, with its event", evs[-1:])
    rep = enrol("P05", "246810", "12", **tk)
    check(rep.get("ok") is False and rep.get("code") == "person_add_pin_form", "a PIN of 2 digits: person_add_pin_form", rep)
    rep = enrol("P05", "246810", "2468", **tk)
    check(rep.get("ok") is True, "the right code and a PIN, with the terminal key: enrolled", rep)
    ev = last_event()
    check(ev["type"] == "person.enrolled" and ev.get("person") == "P05" and "246810" not in json.dumps(ev)
          and "2468" not in json.dumps(ev["data"]), "  ... person.enrolled, no code nor PIN in it", ev)
    check(login("P05", "2468").get("ok") is True and "P05" in roster(), "  ... P05 logs in with the new PIN")
    check(q("SELECT failures, enrol_code_hash FROM people WHERE code = 'P05'") == [(0, None)], "  ... the code used up")
    rep = enrol("P05", "246810", "1357", **tk)
    check(rep.get("ok") is False and rep.get("code") == "enrol_code_none", "the code a second time: enrol_code_none", rep)
    applied(apply("person.enrol", {"person": "P05", "code_hash": hashlib.sha256(b"999999").hexdigest(),
                                   "until": iso(time.time() - 60)}), "person.enrol", "person.enrol: an expired code")
    rep = enrol("P05", "999999", "1357", **tk)
    check(rep.get("ok") is False and rep.get("code") == "enrol_code_expired", "an expired code: enrol_code_expired", rep)
    check(login("P05", "2468").get("ok") is True, "  ... the old PIN still holds")
    applied(apply("person.enrol", {"person": "P05", "code_hash": hashlib.sha256(b"555555").hexdigest(),
                                   "until": iso(time.time() + 600)}), "person.enrol", "person.enrol: a new code")
    for i in range(5):
        rep = enrol("P05", "00000%d" % i, "1357")
    check(rep.get("ok") is False and rep.get("code") == "pin_wrong_locked", "5 wrong codes (no login, no key): locked out", rep)
    rep = enrol("P05", "555555", "1357")
    check(rep.get("ok") is False and rep.get("code") == "login_locked_out", "  ... the right code refused while locked", rep)
    applied(apply("person.unlock", {"person": "P05"}), "person.unlock", "person.unlock of P05")
    check(q("SELECT failures, locked_until FROM people WHERE code = 'P05'") == [(0, 0)], "  ... the lockout lifted")
    rep = enrol("P05", "555555", "1357")
    check(rep.get("ok") is True and login("P05", "1357").get("ok") is True, "  ... the code sets the PIN now", rep)


def coil(slot):
    return sim("coil " + slot)


def scenario_move():
    """A key moved to another slot: awaited there, released at the new slot."""
    applied(apply("key.remove", {"key": "K-XS-1"}), "key.remove", "key.remove of K-XS-1 (frees C08)")
    n = len(events("slot.removed"))
    sim("remove C08")
    check(wait(lambda: len(events("slot.removed")) > n), "C08 emptied at the sim")
    tamper = q("SELECT count(*) FROM alarms WHERE type = 'tamper'")
    rep = apply("key.set", {"key": "K-HY-2-109", "unit": "HY-2-109", "kind": "vacant", "slot": "C08", "tag": 0})
    ev = applied(rep, "key.set", "key.set moving K-HY-2-109 from C06 to C08")
    check(ev["data"].get("moved_from") == "C06" and ev["data"].get("state") == "awaiting"
          and ev["data"].get("slot_now") == "C06" and ev.get("slot") == "C08",
          "  ... the event says moved from C06, awaiting, in C06 now", ev["data"])
    check(q("SELECT home_slot, state, slot FROM keys WHERE code = 'K-HY-2-109'") == [("C08", "awaiting", "C06")],
          "  ... home C08, awaited there, recorded in C06 where it sits")
    s = login("S01", "1111")["session"]
    rep = ask({"op": "release", "session": s, "key": "K-HY-2-109", "purpose": "inspection", "borrower": "E01",
               "due_in_s": 3600})
    check(rep.get("ok") is False, "no release while it is on its way (%s)" % rep.get("code"), rep)
    rep = ask({"op": "slot.reseat", "session": s, "key": "K-HY-2-109"})
    check(rep.get("ok") is True, "a re-seat of the key opens C06, where it sits", rep)
    check(wait(lambda: "on" in coil("C06")), "  ... C06's coil on at the sim")
    n = len(events("slot.removed"))
    sim("remove C06")
    check(wait(lambda: len(events("slot.removed")) > n), "  ... the key taken out of C06")
    check(q("SELECT state, slot FROM keys WHERE code = 'K-HY-2-109'") == [("awaiting", None)],
          "  ... out of C06, still awaited")
    sim("insert C08 0")
    check(wait(lambda: q("SELECT state, slot FROM keys WHERE code = 'K-HY-2-109'") == [("in", "C08")]),
          "  ... put into C08: in, in its new home")
    check(q("SELECT count(*) FROM alarms WHERE cleared_ms IS NULL AND (key = 'K-HY-2-109' OR slot IN ('C06', 'C08'))")
          == [(0,)], "  ... no alarm of the key or its slots")
    check(q("SELECT count(*) FROM alarms WHERE type = 'tamper'") == tamper, "  ... no tamper alarm on the way")
    check(wait(lambda: "off" in coil("C06")), "  ... C06 locked again")
    rep = ask({"op": "release", "session": s, "key": "K-HY-2-109", "purpose": "inspection", "borrower": "E01",
               "due_in_s": 3600})
    check(rep.get("ok") is True and rep.get("slot") == "C08", "K-HY-2-109 released at C08", rep)
    check(wait(lambda: "on" in coil("C08")), "  ... C08's coil on at the sim (%s)" % coil("C08"))
    check("on" not in coil("C06"), "  ... C06's coil stays off")
    # a key with a history (K-HY-1-104's loan) removed: its row stays for
    # the loan, out of custody, its slot free
    sim("insert A08 %d" % 0x1008)
    check(wait(lambda: q("SELECT state FROM keys WHERE code = 'K-HY-1-104'") == [("in",)]), "K-HY-1-104 back in A08")
    ev = applied(apply("key.remove", {"key": "K-HY-1-104"}), "key.remove", "key.remove of K-HY-1-104 (a loan names it)")
    check(q("SELECT state, slot, tag, home_slot FROM keys WHERE code = 'K-HY-1-104'")
          == [("collected", None, 0, "removed:K-HY-1-104")] and ev.get("slot") == "A08",
          "  ... kept for its loan as collected, A08 and its tag free", ev)
    rep = ask({"op": "release", "session": s, "key": "K-HY-1-104", "purpose": "inspection", "borrower": "E01",
               "due_in_s": 3600})
    check(rep.get("ok") is False, "  ... no release of it any more (%s)" % rep.get("code"), rep)


def scenario_settings():
    """A site's settings: the settings read, the loan bound the desk uses."""
    rep = ask({"op": "settings", "terminal_key": TERMINAL_KEY})
    sites = {x["site"]: x for x in rep.get("sites", [])}
    lj, hy = sites.get("LJ", {}), sites.get("HY", {})
    check(rep.get("ok") and rep.get("mode") == "managed" and lj.get("office") is True
          and lj.get("max_loan", {}).get("inspection") == 3600 and lj.get("due_presets") == [1800, 3600, 86400]
          and lj.get("phrases", {}).get("problem") == ["漏水", "门锁坏"] and lj.get("notice_lead_s") == 3 * 86400,
          "settings (terminal key): LJ's as the office set them", lj)
    check(hy.get("office") is False and hy.get("max_loan", {}).get("inspection") == 2 * 86400
          and hy.get("notice_lead_s") == 7 * 86400 and hy.get("phrases") == {},
          "  ... HY's from keycabd.conf ([desk], [notice])", hy)
    s = login("S01", "1111")["session"]
    rep = ask({"op": "release", "session": s, "key": "K-LJ-3-202", "purpose": "inspection", "borrower": "E01",
               "due_in_s": 7200})
    check(rep.get("ok") is False and rep.get("code") == "due_beyond_limit", "an LJ key due in 2 h: beyond LJ's 1 h", rep)
    rep = ask({"op": "release", "session": s, "key": "K-HY-1-108", "purpose": "inspection", "borrower": "E01",
               "due_in_s": 7200})
    check(rep.get("ok") is True, "an HY key due in 2 h: within [desk]'s 2 d", rep)
    # the site's notice lead: K-LJ-5-102's entrustment ends in 20 days,
    # beyond [notice] lead (7 d) and LJ's 3 d: no notice; with 25 d, one
    time.sleep(1)
    notices = lambda: [e for e in events("notice.due") if e.get("key") == "K-LJ-5-102"]  # noqa: E731
    check(notices() == [], "no notice for K-LJ-5-102 (ends in 20 days, LJ's lead 3 d)")
    data = {"site": "LJ", "max_loan": {"inspection": 3600}, "notice_lead_s": 25 * 86400}
    applied(apply("settings.set", data), "settings.set", "settings.set: LJ's notice lead 25 d")
    check(wait(lambda: len(notices()) == 1), "  ... the notice before the end for K-LJ-5-102 comes",
          [e["data"] for e in notices()])


def main():
    for name in sys.argv[1:]:
        globals()["scenario_" + name]()
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
