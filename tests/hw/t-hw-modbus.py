#!/usr/bin/env python3
"""Integration test of the slot layer and keycab-hw against keycab-sim,
over Modbus TCP and over Modbus RTU on a pseudo-terminal, both profiles:
  - check / scan / open / off and their exit codes, text and --json;
  - a start with a board offline; insert and removal seen, with tags;
  - each injected fault (timeout, exception, slow, drop, bad CRC) puts only
    that board's slots in FAULT while the other boards keep scanning, and
    the board recovers when the fault clears;
  - pulses: host-timed (generic) and board-timed (Waveshare flash-on), the
    Waveshare start-up reset;
  - fail-secure: SIGTERM / SIGINT to `keycab-hw open` mid-pulse leaves the
    coil off (the simulator's coil history shows it); after a SIGKILL
    `keycab-hw off` switches the coil off; a board-timed pulse ends by
    itself when the host is gone."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hwtest import (Sim, Watch, check, finish, free_port, hw, hw_start, say,  # noqa: E402
                    tmpdir, wait_until)

CONF = """
[cabinet]
id = t-modbus
scan_ms = 50
debounce = 2
pulse_ms = 1000
pulse_max_ms = 30000
timeout_ms = 200
retry_min_ms = 200
retry_max_ms = 800

[bus rs]
device = {tmp}/tty
baud = 115200

[board tcpa]
type = modbus-tcp
host = 127.0.0.1
port = {p1}

[board tcpb]
type = modbus-tcp
host = 127.0.0.1
port = {p2}

[board tcpw]
type = modbus-tcp
host = 127.0.0.1
port = {p3}
profile = waveshare-relay-d

[board rtua]
type = modbus-rtu
bus = rs
unit = 1

[board rtuw]
type = modbus-rtu
bus = rs
unit = 2
profile = waveshare-relay-d

[slot A1]
board = tcpa
lock = 0
sense = 0
tag = 0

[slot A2]
board = tcpa
lock = 1
sense = 1
tag = 2

[slot B1]
board = tcpb
lock = 0
sense = 0
tag = 0

[slot W1]
board = tcpw
lock = 2
sense = 2

[slot R1]
board = rtua
lock = 0
sense = 0
tag = 0

[slot R2]
board = rtua
lock = 1
sense = 1

[slot S1]
board = rtuw
lock = 3
sense = 3
"""

BOARDS = {"tcpa": ["A1", "A2"], "tcpb": ["B1"], "tcpw": ["W1"], "rtua": ["R1", "R2"],
          "rtuw": ["S1"]}
SLOT_BOARD = {s: b for b, ss in BOARDS.items() for s in ss}
TAGGED = {"A1", "A2", "B1", "R1"}


def pulse_ms(sim, slot):
    """Length of the last ON..OFF of the slot's coil in ms, or None."""
    h = sim.history(slot)
    if len(h) < 2 or not h[-2][0] or h[-1][0]:
        return None
    return (h[-1][1] - h[-2][1]) / 1000.0


def test_no_sim(conf):
    say("-- no simulator running: every board unreachable")
    rc, out, err = hw(conf, "check")
    check(rc == 4, "check exits 4 when no board answers (got %d)" % rc)
    check("NOT ANSWERING" in out and "tcpa" in out, "check names the boards that do not answer")
    rc, out, err = hw(conf, "open", "A1")
    check(rc == 4, "open exits 4 when the slot's board does not answer (got %d)" % rc)
    check("board tcpa does not answer" in err, "open says why: " + err.strip())


def test_bad_file(tmp):
    say("-- bad cabinet files: exit 3 with FILE:LINE: [section] key")
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[cabinet]\nid = x\n[board b]\ntype = modbus-tcp\nhost = h\n"
                "[slot A]\nboard = b\nlock = 0\nsense = 0\n"
                "[slot B]\nboard = b\nsense = 1\nlock = 0\n")
    for cmd in (["check"], ["scan"], ["open", "A"], ["off"]):
        rc, out, err = hw(bad, *cmd)
        check(rc == 3, "%s on a bad file exits 3 (got %d)" % (cmd[0], rc))
    want = "%s:13: [slot B] lock: coil 0 of board b is slot A's already (line 8)" % bad
    check(want in err, "the message names file, line, section and key: " + err.strip())
    rc, out, err = hw(bad, "--json", "check")
    check(rc == 3 and '"exit":3' in out and "[slot B] lock" in out,
          "--json: the error as JSON: " + out.strip())
    rc, out, err = hw(os.path.join(tmp, "none.conf"), "check")
    check(rc == 3 and "cannot open" in err, "a missing file exits 3: " + err.strip())
    rc, out, err = hw(bad, "frobnicate")
    check(rc == 2, "an unknown command exits 2 (got %d)" % rc)


def test_check_scan(conf, sim):
    say("-- check and scan with every board up")
    rc, out, err = hw(conf, "check")
    check(rc == 0 and "every board answers" in out, "check exits 0: " + out.strip().replace("\n", " | "))
    sim.cmd("insert A2 0xCAFE")
    sim.cmd("insert R2")
    rc, out, err = hw(conf, "scan")
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:] if ln.strip()}
    check(rc == 0, "scan exits 0 (got %d)" % rc)
    check(rows.get("A2", [])[2:4] == ["present", str(0xCAFE)], "scan: A2 present with tag 51966")
    check(rows.get("R2", [])[2:3] == ["present"], "scan: R2 (RTU) present")
    check(rows.get("B1", [])[2:3] == ["absent"], "scan: B1 absent")
    rc, out, err = hw(conf, "--json", "scan")
    check(rc == 0 and '"slot":"A2","board":"tcpa","presence":"present","tag":51966' in out,
          "scan --json gives every slot")
    sim.cmd("remove A2")
    sim.cmd("remove R2")


def test_watch(conf, sim):
    say("-- a start with board tcpb offline, then events")
    sim.cmd("fault tcpb drop")
    w = Watch(conf)
    try:
        wait_until(lambda: w.snapshot is not None, 15)
        snap = {s["slot"]: s for s in (w.snapshot or {}).get("slots", [])}
        check(snap.get("B1", {}).get("presence") == "fault",
              "at start the offline board's slot is FAULT")
        check(all(snap.get(s, {}).get("presence") == "absent" for s in SLOT_BOARD if s != "B1"),
              "at start every other slot is ABSENT")
        rc, out, err = hw(conf, "check")
        check(rc == 4 and "Device or resource busy" in out and "rtua" in out,
              "while another process holds the RS485 line, check finds it busy")
        m = w.mark()
        sim.cmd("fault tcpb none")
        e = w.wait(m, lambda e: e["slot"] == "B1" and e["event"] == "recovered")
        check(e is not None and e["presence"] == "absent",
              "the offline board recovers when it comes up: %s" % e)

        say("-- insert and removal, with tags, over TCP and RTU")
        for slot, tag in (("A1", 0x12345678), ("R1", 77), ("S1", None), ("W1", None),
                          ("B1", 4000000000)):
            m = w.mark()
            sim.cmd("insert %s %s" % (slot, tag if tag is not None else ""))
            e = w.wait(m, lambda e, s=slot: e["slot"] == s and e["event"] == "inserted")
            check(e is not None and e["presence"] == "present" and e["tag"] == (tag or 0),
                  "insert %s seen with tag %s: %s" % (slot, tag or 0, e))
        for slot in ("A1", "R1", "S1", "W1"):
            m = w.mark()
            sim.cmd("remove " + slot)
            e = w.wait(m, lambda e, s=slot: e["slot"] == s and e["event"] == "removed")
            check(e is not None and e["presence"] == "absent", "removal of %s seen" % slot)

        say("-- tags are read on a change only: one request per scan per board")
        time.sleep(0.3)
        sim.cmd("reset-stats")
        time.sleep(1.0)
        st = dict(kv.split("=") for kv in sim.cmd("stats tcpb").split()[1:])
        check(5 <= int(st["requests"]) <= 22,
              "board tcpb with a tagged key in: %s requests in 1 s at 20 scans/s"
              % st["requests"])
        m = w.mark()
        sim.cmd("remove B1")
        w.wait(m, lambda e: e["slot"] == "B1" and e["event"] == "removed")

        faults = [("tcpa", "timeout", "B1"), ("tcpa", "exception 4", "R1"),
                  ("tcpa", "slow 600", "W1"), ("tcpa", "drop", "B1"),
                  ("tcpw", "exception 2", "A1"), ("rtua", "crc", "S1"),
                  ("rtua", "timeout", "S1"), ("rtuw", "exception 3", "R2"),
                  ("rtuw", "timeout", "A2")]
        for board, mode, other in faults:
            say("-- fault %s on board %s" % (mode, board))
            mine = BOARDS[board]
            m = w.mark()
            sim.cmd("fault %s %s" % (board, mode))
            ok = w.wait_all(m, "fault", mine)
            check(ok, "%s: every slot of board %s goes FAULT" % (mode, board))
            det = [e["detail"] for e in w.since(m) if e["event"] == "fault"]
            check(all(("board " + board) in d for d in det),
                  "%s: the fault says which board and why: %s" % (mode, det[:1]))
            # the other boards keep scanning meanwhile
            m2 = w.mark()
            sim.cmd("insert %s 9" % other)
            e = w.wait(m2, lambda e: e["slot"] == other and e["event"] == "inserted")
            check(e is not None and e["tag"] == (9 if other in TAGGED else 0),
                  "%s on %s: slot %s of board %s still seen inserted"
                  % (mode, board, other, SLOT_BOARD[other]))
            sim.cmd("remove " + other)
            e = w.wait(m2, lambda e: e["slot"] == other and e["event"] == "removed")
            check(e is not None, "%s on %s: and removed" % (mode, board))
            stray = [e for e in w.since(m) if e["event"] == "fault" and e["slot"] not in mine]
            check(not stray, "%s on %s: no other board's slot went FAULT %s"
                  % (mode, board, stray[:1]))
            # a key arrives while the board is silent: RECOVERED tells
            sim.cmd("insert %s 7" % mine[0])
            m = w.mark()
            sim.cmd("fault %s none" % board)
            check(w.wait_all(m, "recovered", mine),
                  "%s: board %s recovers when the fault clears" % (mode, board))
            rec = [e for e in w.since(m) if e["event"] == "recovered" and e["slot"] == mine[0]]
            check(rec and rec[0]["presence"] == "present"
                  and rec[0]["tag"] == (7 if mine[0] in TAGGED else 0),
                  "%s: %s RECOVERED present (tag read) after a key came during the fault"
                  % (mode, mine[0]))
            m = w.mark()
            sim.cmd("remove " + mine[0])
            check(w.wait(m, lambda e: e["slot"] == mine[0] and e["event"] == "removed"),
                  "%s: %s then seen removed" % (mode, mine[0]))
    finally:
        rc = w.stop()
    check(rc == 128 + signal.SIGTERM, "scan --watch ends on SIGTERM (exit %s)" % rc)


def test_pulses(conf, sim):
    say("-- pulses")
    sim.cmd("clear-history")
    for slot, ms in (("A2", 1000), ("R2", 600)):
        t0 = time.monotonic()
        rc, out, err = hw(conf, "open", slot, "--pulse", str(ms))
        took = time.monotonic() - t0
        p = pulse_ms(sim, slot)
        check(rc == 0 and "lock off" in out, "open %s (host-timed) exits 0 once the lock is off" % slot)
        check(p is not None and ms - 50 <= p <= ms + 400,
              "%s: coil on for %s ms (asked %d), then off" % (slot, p, ms))
        check(took >= ms / 1000.0, "%s: open returns after the pulse (%.2f s)" % (slot, took))
    for slot in ("W1", "S1"):
        sim.cmd("reset-stats")
        rc, out, err = hw(conf, "--json", "open", slot, "--pulse", "700")
        check(rc == 0 and '"ok":true' in out, "open %s (board-timed) exits 0: %s" % (slot, out.strip()))
        p = pulse_ms(sim, slot)
        check(p is not None and 650 <= p <= 1100,
              "%s: the board timed a %s ms pulse (asked 700 = 7 steps)" % (slot, p))
    rc, out, err = hw(conf, "open", "A1", "--pulse", "40000")
    check(rc == 2 and "pulse_max_ms" in err, "a pulse above pulse_max_ms exits 2: " + err.strip())
    rc, out, err = hw(conf, "open", "Z9")
    check(rc == 2 and "no slot Z9" in err, "an unknown slot exits 2: " + err.strip())


def kill_mid_pulse(conf, sim, slot, sig):
    sim.cmd("clear-history")
    p = hw_start(conf, "open", slot, "--pulse", "20000")
    on = wait_until(lambda: sim.coil(slot), 10)
    check(on, "%s: coil on during the pulse" % slot)
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        rc = p.wait(10)
    except Exception:
        p.kill()
        rc = p.wait()
    took = time.monotonic() - t0
    return rc, took


def test_failsecure(conf, sim):
    say("-- fail-secure")
    for slot, sig in (("A1", signal.SIGTERM), ("R1", signal.SIGINT), ("B1", signal.SIGINT),
                      ("S1", signal.SIGTERM)):
        rc, took = kill_mid_pulse(conf, sim, slot, sig)
        h = sim.history(slot)
        check(rc == 128 + sig, "%s: open stopped by signal %d exits %d (got %s)"
              % (slot, sig, 128 + sig, rc))
        check(not sim.coil(slot) and len(h) >= 2 and h[-1][0] is False,
              "%s: coil off after the signal, history %s" % (slot, h))
        check(len(h) >= 2 and (h[-1][1] - h[-2][1]) < 5e6,
              "%s: switched off at once, not after the 20 s pulse (%.2f s)"
              % (slot, (h[-1][1] - h[-2][1]) / 1e6 if len(h) >= 2 else -1))

    say("-- SIGKILL: the host-timed coil stays on until keycab-hw off")
    rc, took = kill_mid_pulse(conf, sim, "A2", signal.SIGKILL)
    time.sleep(0.3)
    check(sim.coil("A2"), "A2: after SIGKILL a generic coil is still on (why off exists)")
    rc, out, err = hw(conf, "off")
    check(rc == 0 and "every lock off" in out, "off exits 0")
    check(not sim.coil("A2"), "A2: coil off after keycab-hw off")

    say("-- SIGKILL: a board-timed pulse ends by itself")
    sim.cmd("clear-history")
    p = hw_start(conf, "open", "W1", "--pulse", "800")
    wait_until(lambda: sim.coil("W1"), 10)
    p.kill()
    p.wait()
    off = wait_until(lambda: not sim.coil("W1"), 5)
    pl = pulse_ms(sim, "W1")
    check(off and pl is not None and pl <= 1100,
          "W1: the Waveshare board switched its relay off after %s ms" % pl)

    say("-- Waveshare start-up reset")
    sim.cmd("clear-history")
    rc, took = kill_mid_pulse(conf, sim, "S1", signal.SIGKILL)
    time.sleep(0.2)
    check(sim.coil("S1"), "S1: relay on, a 20 s board-timed pulse running, no host")
    rc, out, err = hw(conf, "check")
    check(rc == 0, "check (a start) exits 0")
    h = sim.history("S1")
    check(not sim.coil("S1") and len(h) >= 2 and (h[-1][1] - h[-2][1]) < 5e6,
          "S1: the start switched every relay off (function 05 at 0x00FF): %s" % h)

    say("-- off with a board offline")
    sim.cmd("fault rtuw timeout")
    rc, out, err = hw(conf, "off")
    check(rc == 4 and "rtuw" in err, "off exits 4 and names the board: " + err.strip())
    rc, out, err = hw(conf, "--json", "off")
    check(rc == 4 and '"board":"rtuw"' in out, "off --json lists it: " + out.strip())
    sim.cmd("fault rtuw none")


def main():
    tmp = tmpdir()
    conf = os.path.join(tmp, "cab.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(tmp=tmp, p1=free_port(), p2=free_port(), p3=free_port()))
    sim = None
    try:
        test_bad_file(tmp)
        test_no_sim(conf)
        sim = Sim(conf, tmp)
        test_check_scan(conf, sim)
        test_watch(conf, sim)
        test_pulses(conf, sim)
        test_failsecure(conf, sim)
    finally:
        if sim:
            sim.stop()
        for name in os.listdir(tmp):
            try:
                os.unlink(os.path.join(tmp, name))
            except OSError:
                pass
        os.rmdir(tmp)
    finish()


if __name__ == "__main__":
    main()
