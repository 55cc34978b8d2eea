#!/usr/bin/env python3
"""keycab-sim over Modbus RTU on its pseudo-terminal, checked with mbpoll
and a raw RTU master (our own CRC): two units on one bus, the Waveshare
Relay (D) flash pulse the board ends by itself, all relays off, faults on
one unit while the other answers, noise on the line, and cleanup."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import (RtuClient, Sim, TcpClient, cabinet, check, crc16, fc05, finish, free_port,
                    mbpoll, mbpoll_values, now_us, rtu_frame, wait_for)

port = free_port()
sim = Sim(cabinet(port))
tty = os.path.join(sim.tmp, "tty")


def rtu(unit, *args, timeout="1", write=()):
    """mbpoll on the bus: reads, or writes the values in write."""
    return mbpoll("-m", "rtu", "-b", 115200, "-P", "none", "-o", timeout, "-a", unit, *args, tty,
                  *write)


try:
    check("the bus device is a symlink to a pty",
          os.path.islink(tty) and os.readlink(tty).startswith("/dev/pts/"), tty)

    sim.ctl("insert R3")
    sim.ctl("insert K20")
    rc, out = rtu(1, "-t", 1, "-r", 1, "-c", 8)
    v = mbpoll_values(out)
    check("mbpoll reads the relay board's 8 inputs: R3's (input 2) on",
          rc == 0 and v.get(3) == 1 and sum(v.values()) == 1, out)
    rc, out = rtu(2, "-t", 1, "-r", 1, "-c", 21)
    v = mbpoll_values(out)
    check("unit 2 on the same bus: K20's input 20 on",
          rc == 0 and v.get(21) == 1 and sum(v.values()) == 1, out)
    rc, out = rtu(1, "-t", 1, "-r", 1, "-c", 9)
    check("the relay board has 8 inputs only: a 9th is exception 02",
          rc != 0 and "Illegal data address" in out, out)

    # coil write through mbpoll (function 05)
    t0 = now_us()
    rc, out = rtu(2, "-t", 0, "-r", 20, write=[1])
    t1 = now_us()
    h = sim.history("K20")
    check("mbpoll writes K20's coil 19: coil on, history ON within the write",
          rc == 0 and sim.ctl("coil K20") == "OK on" and len(h) == 1 and h[0][0] == "ON" and
          t0 <= h[0][1] <= t1, (out, h))
    rtu(2, "-t", 0, "-r", 20, write=[0])
    check("and off again", sim.ctl("coil K20") == "OK off" and len(sim.history("K20")) == 2)

    c = RtuClient(tty)
    # Waveshare flash: function 05 at 0x0200 + channel, value in 100 ms steps
    sim.ctl("clear-history")
    req = fc05(0x0202, 5)
    r = c.request(1, req)
    check("flash-on channel 2 for 500 ms: the board echoes the request",
          r == rtu_frame(1, req), r)
    check("R3's coil is on at once", sim.ctl("coil R3") == "OK on")
    off = wait_for(lambda: sim.ctl("coil R3") == "OK off", timeout=10)
    h = sim.history("R3")
    check("the board turns it off by itself", off, h)
    check("history: ON then OFF, at least 500 ms apart and within 500 ms + 3 s",
          [x[0] for x in h] == ["ON", "OFF"] and 500000 <= h[1][1] - h[0][1] <= 3500000, h)
    rc, out = rtu(1, "-t", 0, "-r", 3, "-c", 1)
    check("mbpoll reads coil 2 off", rc == 0 and mbpoll_values(out) == {3: 0}, out)

    req = fc05(0x0207, 100)
    c.request(1, req)
    check("a 10 s flash on R8 starts", sim.ctl("coil R8") == "OK on")
    r = c.request(1, fc05(7, 0))
    check("writing R8 off ends it early", r == rtu_frame(1, fc05(7, 0)) and
          sim.ctl("coil R8") == "OK off")

    # all relays on, then off, with function 05 at 0x00FF
    rc, out = rtu(1, "-t", 0, "-r", 1, write=[1, 0, 1, 0, 0, 0, 0, 1])
    check("mbpoll writes coils 0, 2, 7 on (function 15)",
          rc == 0 and sim.ctl("coil R1") == "OK on" and sim.ctl("coil R3") == "OK on", out)
    sim.ctl("clear-history")
    r = c.request(1, fc05(0x00FF, 0x0000))
    check("all relays off (0x00FF = 0): echoed", r == rtu_frame(1, fc05(0x00FF, 0)), r)
    rc, out = rtu(1, "-t", 0, "-r", 1, "-c", 8)
    check("every relay reads off", rc == 0 and set(mbpoll_values(out).values()) == {0}, out)
    check("history has one OFF for each slot that was on",
          [x[0] for x in sim.history("R1")] == ["OFF"] and
          [x[0] for x in sim.history("R8")] == ["OFF"] and
          [x[0] for x in sim.history("R3")] == ["OFF"])
    r = c.request(1, fc05(0x00FF, 0xFF00))
    check("all relays on (0x00FF = 0xFF00)", r == rtu_frame(1, fc05(0x00FF, 0xFF00)) and
          "coil=off" not in sim.ctl("state").split("K1=")[0])
    c.request(1, fc05(0x00FF, 0))

    r = c.request(1, fc05(1, 0x1234))
    check("a coil value other than 0xFF00/0 is exception 03", r == rtu_frame(1, b"\x85\x03"), r)
    r = c.request(1, fc05(0x0209, 5))
    check("flash on channel 9 is exception 02", r == rtu_frame(1, b"\x85\x02"), r)
    r = c.request(1, fc05(0x0201, 0x8000))
    check("a flash longer than 0x7FFF steps is exception 03", r == rtu_frame(1, b"\x85\x03"), r)

    # noise on the line: skipped, the next good frame is answered
    read8 = struct.pack(">BHH", 2, 0, 8)
    c.send_raw(b"\x00\xff\x10\x01\x99")
    r = c.request(1, read8)
    check("garbage before a request: the request is still answered",
          r is not None and r[:3] == bytes([1, 2, 1]) and crc16(r[:-2]) == struct.unpack(
              "<H", r[-2:])[0], r)
    c.send_raw(rtu_frame(1, read8)[:5])
    time.sleep(0.3)
    r = c.request(1, read8)
    check("a cut-off frame, silence, then a full one: answered",
          r is not None and r[:3] == bytes([1, 2, 1]), r)
    bad = bytearray(rtu_frame(1, read8))
    bad[-1] ^= 0xFF
    c.send_raw(bytes(bad))
    check("a frame with a wrong CRC gets no answer", c.read_for(0.3) == b"")
    c.send_raw(rtu_frame(9, read8))
    check("a frame for unit 9 (not on this bus) gets no answer", c.read_for(0.3) == b"")
    c.send_raw(rtu_frame(0, fc05(0, 0xFF00)))
    check("a broadcast write: no answer, and unit 2's coil 0 is on",
          c.read_for(0.3) == b"" and sim.ctl("coil K1") == "OK on")
    check("... and the relay board's too", sim.ctl("coil R1") == "OK on")
    c.request(0, fc05(0, 0), timeout=0.1)

    sim.ctl("reset-stats")
    r = c.request(2, read8)
    check("stats bank: 1 request, 8 bytes in, 6 out (address and CRC included)",
          sim.ctl("stats bank") == "OK requests=1 bytes_in=8 bytes_out=6", sim.ctl("stats bank"))

    # faults on one unit; the other on the same bus answers
    check("fault relays timeout", sim.ctl("fault relays timeout") == "OK")
    rc, out = rtu(1, "-t", 1, "-c", 8, timeout="0.3")
    check("mbpoll times out on unit 1", rc != 0 and "timed out" in out, out)
    rc, out = rtu(2, "-t", 1, "-c", 21)
    check("unit 2 on the same bus still answers", rc == 0 and mbpoll_values(out).get(21) == 1,
          out)
    check("fault relays drop: no answer either",
          sim.ctl("fault relays drop") == "OK" and c.request(1, read8, timeout=0.3) is None)
    check("fault bank exception", sim.ctl("fault bank exception") == "OK")
    rc, out = rtu(2, "-t", 1, "-c", 8)
    check("mbpoll sees exception 04 from unit 2", rc != 0 and "failure" in out.lower(), out)
    check("fault bank exception 6", sim.ctl("fault bank exception 6") == "OK")
    r = c.request(2, read8)
    check("the raw answer is 0x82 06", r == rtu_frame(2, b"\x82\x06"), r)
    check("fault bank crc", sim.ctl("fault bank crc") == "OK")
    rc, out = rtu(2, "-t", 1, "-c", 8)
    check("mbpoll sees an invalid CRC", rc != 0 and "CRC" in out, out)
    check("fault relays none", sim.ctl("fault relays none") == "OK")
    rc, out = rtu(1, "-t", 1, "-c", 8)
    check("unit 1 answers again", rc == 0 and mbpoll_values(out).get(3) == 1, out)

    # slow: the RTU answer is late, the TCP board and the control socket are not
    sim.ctl("fault bank none")
    sim.ctl("fault bank slow 1500")
    t0 = time.monotonic()
    c.send_raw(rtu_frame(2, read8))
    tc = TcpClient(port)
    r_tcp = tc.request(1, struct.pack(">BHH", 2, 0, 8))
    pong = sim.ctl("ping")
    early = c.read_for(0.05)
    check("while unit 2's answer is held, TCP and the control socket answer",
          r_tcp is not None and pong == "OK" and early == b"", (r_tcp, pong, early))
    tc.close()
    r = c.read_for(0.1)
    deadline = time.monotonic() + 10
    while len(r) < 6 and time.monotonic() < deadline:
        r += c.read_for(0.1)
    t = time.monotonic() - t0
    check("the slow answer comes, 1.5 s late or more", len(r) == 6 and t >= 1.5, (r, t))
    sim.ctl("fault bank none")

    # a late answer while the client still has the port open reaches it,
    # as on a shared RS485 line (the driver must cope with the stray frame)
    def answered(board):
        return int(sim.ctl("stats " + board).split()[1].split("=")[1])

    sim.ctl("fault relays slow 300")
    n0 = answered("relays")
    check("unit 1 slow 300 ms: a client with a 0.1 s timeout gives up",
          c.request(1, read8, timeout=0.1) is None)
    check("the late answer is sent (stats count it)",
          wait_for(lambda: answered("relays") == n0 + 1, timeout=10))
    sim.ctl("fault relays none")
    got = (c.request(2, read8, expect=6) or b"") + c.read_for(0.3)
    check("the client's next read finds the stray unit-1 answer first, then unit 2's",
          got == rtu_frame(1, bytes([2, 1, 4])) + rtu_frame(2, bytes([2, 1, 0])), got)
    c.close()

    # but once every client has closed the port, what was unread is gone,
    # and an answer nobody can hear is not sent: like a real serial port
    sim.ctl("fault bank slow 300")
    sim.ctl("reset-stats")
    rc, out = rtu(2, "-t", 1, "-c", 8, timeout="0.1")
    check("mbpoll gives up on unit 2 (slow 300 ms) and exits", rc != 0 and "timed out" in out,
          out)
    time.sleep(1.5)  # the late answer is due meanwhile, with nobody listening
    sim.ctl("fault bank none")
    c2 = RtuClient(tty, flush=False)
    r = c2.request(2, read8, expect=6)
    check("a new client (no flush of its own) gets exactly its own answer",
          r == rtu_frame(2, bytes([2, 1, 0])), r)
    check("the unheard answer was not counted as answered", answered("bank") == 1,
          sim.ctl("stats bank"))
    c2.close()

    rc, out = rtu(2, "-t", 1, "-c", 8)
    check("a new client after the others closed: answered", rc == 0, out)

    ctl_path = sim.ctl_path
    check("SIGTERM: exit 0", sim.stop() == 0, sim.stderr_text())
    check("the symlink and the control socket are gone",
          not os.path.lexists(tty) and not os.path.lexists(ctl_path))
finally:
    sim.cleanup()
finish()
