#!/usr/bin/env python3
"""keycab-sim over Modbus TCP, checked with mbpoll (a libmodbus client of
its own) and a raw MBAP client: presence inputs, tag registers, coil writes
and their history, unit ids on a shared endpoint, and the faults."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import (Sim, TcpClient, cabinet, check, finish, free_port, mbpoll, mbpoll_values,
                    now_us, wait_for)

port = free_port()
sim = Sim(cabinet(port))
TCP = ["-m", "tcp", "-p", port, "-o", "1"]


def read(kind, ref, count, unit=1, extra=()):
    return mbpoll(*TCP, "-a", unit, "-t", kind, "-r", ref, "-c", count, *extra, "127.0.0.1")


try:
    rc, out = read(1, 1, 8)
    check("mbpoll reads 8 presence inputs, all off at start",
          rc == 0 and mbpoll_values(out) == {i: 0 for i in range(1, 9)}, out)

    check("insert T2 with a hex tag", sim.ctl("insert T2 0x12345678") == "OK")
    rc, out = read(1, 1, 8)
    v = mbpoll_values(out)
    check("T2's presence input (sense 1) reads 1, the others 0",
          rc == 0 and v.get(2) == 1 and sum(v.values()) == 1, out)
    rc, out = read(3, 3, 2)
    v = mbpoll_values(out)
    check("T2's tag registers 2,3 read 0x1234, 0x5678 (high word first)",
          rc == 0 and v.get(3) == 0x1234 and v.get(4) == 0x5678, out)
    rc, out = read("3:int", 3, 1, extra=["-B"])
    check("mbpoll reads the tag as one 32-bit value", rc == 0 and "305419896" in out, out)
    rc, out = read(3, 1, 2)
    check("T1's tag registers read 0 (no key)", rc == 0 and mbpoll_values(out) == {1: 0, 2: 0},
          out)
    check("insert T1 with a decimal tag", sim.ctl("insert T1 70000") == "OK")
    rc, out = read(3, 1, 2)
    check("T1's tag reads 70000 as 1, 4464", mbpoll_values(out) == {1: 1, 2: 4464}, out)
    check("remove T2", sim.ctl("remove T2") == "OK")
    rc, out = read(3, 3, 2)
    v = mbpoll_values(out)
    rc2, out2 = read(1, 2, 1)
    check("after remove, T2's tag is 0 and its input off",
          v == {3: 0, 4: 0} and mbpoll_values(out2) == {2: 0}, out + out2)
    check("state shows both slots",
          "T1=present,tag=70000,coil=off T2=absent,tag=0,coil=off" in sim.ctl("state"))

    # coils: T2's lock is coil 3 (reference 4)
    t0 = now_us()
    rc, out = mbpoll(*TCP, "-a", 1, "-t", 0, "-r", 4, "127.0.0.1", 1)
    t1 = now_us()
    check("mbpoll writes coil 3 on", rc == 0, out)
    check("coil T2 is on", sim.ctl("coil T2") == "OK on")
    h = sim.history("T2")
    check("history T2 has one ON, timed within the write",
          len(h) == 1 and h[0][0] == "ON" and t0 <= h[0][1] <= t1, (h, t0, t1))
    rc, out = mbpoll(*TCP, "-a", 1, "-t", 0, "-r", 4, "127.0.0.1", 1)
    check("writing on again is no change: history still one entry", len(sim.history("T2")) == 1)
    rc, out = mbpoll(*TCP, "-a", 1, "-t", 0, "-r", 4, "127.0.0.1", 0)
    h = sim.history("T2")
    check("writing it off: coil off, history ON then OFF, in order",
          sim.ctl("coil T2") == "OK off" and [x[0] for x in h] == ["ON", "OFF"] and
          h[0][1] <= h[1][1], h)
    check("clear-history empties it", sim.ctl("clear-history") == "OK" and
          sim.ctl("history T2") == "OK")
    rc, out = read(0, 17, 1)
    check("a coil beyond the table (16 coils) is exception 02",
          rc != 0 and "Illegal data address" in out, out)

    # shared endpoint: unit 7 is another board
    sim.ctl("insert G1")
    rc, out = read(1, 1, 8, unit=7)
    v = mbpoll_values(out)
    check("unit 7 on the same port is board gw7: its input 4 is G1's",
          rc == 0 and v.get(5) == 1 and sum(v.values()) == 1, out)
    c = TcpClient(port)
    r = c.request(9, bytes([2, 0, 0, 0, 8]))
    check("unit 9 (no such board) answers exception 0x0B, gateway target",
          r == bytes([0x82, 0x0B]), r)
    c.close()

    # stats: MBAP + PDU bytes
    sim.ctl("reset-stats")
    read(1, 1, 8)
    check("stats tags after one read of 8 inputs: 1 request, 12 bytes in, 10 out",
          sim.ctl("stats tags") == "OK requests=1 bytes_in=12 bytes_out=10", sim.ctl("stats tags"))

    # faults
    check("fault tags exception 2", sim.ctl("fault tags exception 2") == "OK")
    rc, out = read(1, 1, 8)
    check("mbpoll sees exception 02 (illegal data address)",
          rc != 0 and "Illegal data address" in out, out)
    check("fault tags exception (default 4)", sim.ctl("fault tags exception") == "OK")
    rc, out = read(1, 1, 8)
    check("mbpoll sees exception 04 (slave device failure)",
          rc != 0 and "failure" in out.lower(), out)
    rc, out = read(1, 1, 8, unit=7)
    check("gw7 on the same endpoint still answers", rc == 0 and mbpoll_values(out).get(5) == 1,
          out)
    check("fault tags timeout", sim.ctl("fault tags timeout") == "OK")
    rc, out = mbpoll("-m", "tcp", "-p", port, "-o", "0.3", "-a", 1, "-t", 1, "-c", 8,
                     "127.0.0.1")
    check("mbpoll times out on tags", rc != 0 and "timed out" in out, out)
    rc, out = read(1, 1, 8, unit=7)
    check("gw7 still answers while tags is silent", rc == 0, out)
    # 1 read + 2 exception answers + 1 unanswered, 12 bytes each; answers 10 + 9 + 9
    check("stats count exception answers, and the unanswered request's bytes in only",
          sim.ctl("stats tags") == "OK requests=3 bytes_in=48 bytes_out=28", sim.ctl("stats tags"))

    # slow: the answer comes late, other boards do not wait for it
    sim.ctl("fault tags slow 1500")
    slow = TcpClient(port)
    fast = TcpClient(port)
    t0 = time.monotonic()
    slow.tid += 1
    slow.s.sendall(struct.pack(">HHHB", slow.tid, 0, 6, 1) + bytes([2, 0, 0, 0, 8]))
    r = fast.request(7, bytes([2, 0, 0, 0, 8]))
    t_fast = time.monotonic() - t0
    slow.s.settimeout(0)
    try:
        early = slow.s.recv(64)
    except BlockingIOError:
        early = None
    check("gw7 answers while tags' slow answer is pending", r == bytes([2, 1, 0x10]) and
          early is None and t_fast < 1.5, (r, early, t_fast))
    slow.s.settimeout(10)
    buf = slow.s.recv(64)
    t_slow = time.monotonic() - t0
    check("tags' answer arrives, 1.5 s late or more", len(buf) == 10 and t_slow >= 1.5,
          (buf, t_slow))
    slow.close()
    fast.close()

    # drop: connections close, new ones are refused, until none
    held = TcpClient(port)
    check("fault tags drop", sim.ctl("fault tags drop") == "OK")
    held.s.settimeout(5)
    try:
        gone = held.s.recv(16) == b""
    except (ConnectionResetError, socket.timeout):
        gone = True
    check("an open connection is closed by the drop", gone)
    rc, out = read(1, 1, 8)
    check("mbpoll's connection is refused", rc != 0 and "refused" in out.lower(), out)
    check("fault tags none", sim.ctl("fault tags none") == "OK")
    rc, out = read(1, 1, 8)
    check("tags answers again after none", rc == 0 and mbpoll_values(out).get(1) == 1, out)

    # garbage: a non-Modbus stream is closed, the rest goes on
    g = socket.create_connection(("127.0.0.1", port), timeout=5)
    g.sendall(b"GET / HTTP/1.0\r\n\r\n")
    try:
        closed = g.recv(16) == b""
    except ConnectionResetError:
        closed = True
    check("a connection sending garbage (HTTP) is closed", closed)
    g.close()
    c = TcpClient(port)
    r = c.request(1, bytes([3, 0, 0, 0, 1]))
    check("a raw connection still works (holding register 0 reads 0)",
          r == bytes([3, 2, 0, 0]), r)
    r = c.request(1, bytes([3, 0, 0]))
    check("a PDU shorter than its function needs is exception 03", r == bytes([0x83, 3]), r)
    r = c.request(1, bytes([0x2B, 0x0E, 1, 0]))
    check("an unknown function is exception 01", r == bytes([0xAB, 1]), r)
    c.close()
    check("the simulator is still up", sim.ctl("ping") == "OK")
    check("SIGTERM: exit 0", sim.stop() == 0, sim.stderr_text())
finally:
    sim.cleanup()
finish()
