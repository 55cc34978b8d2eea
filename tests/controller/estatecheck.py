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


def main():
    for name in sys.argv[1:]:
        globals()["scenario_" + name]()
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
