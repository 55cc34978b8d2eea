#!/usr/bin/env python3
"""keycab-sim under noise: seeded random bytes and malformed requests on the
RTU line, over TCP (bad MBAP headers, wrong lengths, unknown functions and
units) and on the control socket, mixed with fault changes. Afterwards it
must still answer correctly on every transport, exit 0 on SIGTERM, and (in
a SANITIZE=1 build) have reported no memory error."""
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import RtuClient, Sim, TcpClient, cabinet, check, finish, free_port, rtu_frame

FCS = [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 22, 23, 43, 99, 0x81]
CMDS = ["fault tags drop", "fault tags none", "fault relays timeout", "fault relays none",
        "fault bank crc", "fault bank slow 5", "fault bank none", "insert T1 5", "remove T1",
        "history R1", "state", "clear-history", "fault tags exception 3", "fault gw7 slow 3",
        "reset-stats", "stats bank"]

port = free_port()
sim = Sim(cabinet(port))
rnd = random.Random(20261122)
c = RtuClient(os.path.join(sim.tmp, "tty"))


def noise(n):
    return bytes(rnd.randrange(256) for _ in range(n))


try:
    sim.ctl("insert K1")
    for op in range(600):
        k = rnd.randrange(5)
        if k == 0:
            c.send_raw(noise(rnd.randrange(1, 300)))
        elif k == 1:
            pdu = bytes([rnd.choice(FCS)]) + noise(rnd.randrange(0, 40))
            c.send_raw(rtu_frame(rnd.choice([0, 1, 2, 3]), pdu))
        elif k == 2:
            try:
                t = socket.create_connection(("127.0.0.1", port), timeout=0.05)
                pdu = bytes([rnd.choice(FCS)]) + noise(rnd.randrange(0, 40))
                length = rnd.choice([len(pdu) + 1, rnd.randrange(0, 300)])
                t.sendall(struct.pack(">HHHB", op, rnd.choice([0, 0, 0, 1]), length,
                                      rnd.choice([1, 7, 9, 0])) + pdu)
                try:
                    t.recv(300)
                except OSError:
                    pass
                t.close()
            except OSError:
                pass  # refused while 'drop' is on
        elif k == 3:
            s = sim.connect()
            s.sendall(noise(rnd.randrange(1, 1200)) + b"\n")
            s.close()
        else:
            r = sim.ctl(rnd.choice(CMDS))
            if not r.startswith("OK"):
                check("a valid command during the noise is answered OK", False, r)
        if op % 50 == 0:
            c.read_for(0.001)  # keep the pty's buffer drained
    c.read_for(0.2)

    for b in ("relays", "bank", "tags", "gw7"):
        sim.ctl("fault %s none" % b)
    read8 = struct.pack(">BHH", 2, 0, 8)
    r = c.request(2, read8)
    check("after the noise, unit 2 answers a read over RTU with K1's input on",
          r == rtu_frame(2, bytes([2, 1, 1])), r)
    r = c.request(1, read8)
    check("... and unit 1 too", r is not None and r[:2] == bytes([1, 2]), r)
    t = TcpClient(port)
    r = t.request(7, read8)
    check("TCP unit 7 answers", r == bytes([2, 1, 0]), r)
    t.close()
    check("the control socket answers", sim.ctl("ping") == "OK")
    check("SIGTERM: exit 0", sim.stop() == 0, sim.stderr_text()[-2000:])
    err = sim.stderr_text()
    check("no sanitizer report on stderr",
          "AddressSanitizer" not in err and "runtime error" not in err, err[-2000:])
finally:
    c.close()
    sim.cleanup()
finish()
