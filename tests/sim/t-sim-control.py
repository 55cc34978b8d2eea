#!/usr/bin/env python3
"""keycab-sim's control socket and start-up checks: every bad command gets
an ERR naming what is wrong and the simulator goes on; several clients at
once; a bad cabinet file, a host that is not loopback and a device path that
is not a symlink are refused with a clear message."""
import os
import socket
import stat
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simlib import SIM, Sim, cabinet, check, finish, free_port, wait_for

GPIO = """
[board g]
type = gpio
chip = gpio-sim-test

[slot P1]
board = g
lock = 0
sense = 1
"""

port = free_port()
sim = Sim(cabinet(port, GPIO))
try:
    st = os.stat(sim.ctl_path)
    check("the control socket is a socket with mode 0600",
          stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode))
    sim.out.seek(0)
    check("the ready line counts the simulated boards and slots (gpio left out)",
          "keycab-sim: ready: 4 boards, 8 slots; control " + sim.ctl_path in sim.out.read())

    errs = [
        ("bogus", "unknown command 'bogus'"),
        ("PING", "unknown command 'PING'"),
        ("", "empty command"),
        ("ping extra", "usage: ping"),
        ("insert", "usage: insert SLOT [TAG]"),
        ("insert NOPE", "no slot NOPE in " + sim.conf),
        ("insert T1 12x", "TAG 12x is not a number"),
        ("insert T1 4294967296", "TAG 4294967296 is not a number"),
        ("insert T1 -1", "TAG -1 is not a number"),
        ("insert P1", "slot P1 is on gpio board g, which keycab-sim does not simulate"),
        ("coil", "usage: coil SLOT"),
        ("history NOPE", "no slot NOPE"),
        ("remove T1 T2", "usage: remove SLOT"),
        ("stats nope", "no board nope in " + sim.conf),
        ("stats g", "board g is a gpio board"),
        ("fault tags", "usage: fault BOARD"),
        ("fault tags sideways", "unknown fault mode 'sideways'"),
        ("fault tags slow", "MS must be milliseconds"),
        ("fault tags slow 0", "MS must be milliseconds"),
        ("fault tags slow 99999", "MS must be milliseconds"),
        ("fault tags exception 12", "CODE 12 is not an exception code 1 to 11"),
        ("fault tags exception 0", "CODE 0 is not an exception code"),
        ("fault tags crc", "not a modbus-rtu board"),
        ("fault tags none now", "too many arguments"),
        ("fault Tags none", "no board Tags"),
        ("a b c d e", "too many arguments"),
        ("ping\x01", "control character"),
    ]
    for line, want in errs:
        r = sim.ctl(line)
        check("%r -> ERR %s" % (line, want), r.startswith("ERR ") and want in r, r)
    check("after all that the state is untouched",
          all("absent,tag=0,coil=off" in x for x in sim.ctl("state").split()[1:]))

    r = sim.ctl("x" * 600)
    check("a 600-byte line -> ERR line too long", r == "ERR line too long (over 512 bytes)", r)
    check("the connection goes on after it", sim.ctl("ping") == "OK")
    r = sim.ctl("insert T1 " + "9" * 502)  # exactly 512 bytes
    check("a 512-byte line is read as a command (here: a bad TAG, not too long)",
          r.startswith("ERR insert: TAG"), r)
    r = sim.ctl("ping\r")
    check("CRLF line ends are fine", r == "OK", r)

    # several commands in one write, replies in order
    sim.sock.sendall(b"ping\ninsert T1 7\ncoil T1\n")
    buf = b""
    while buf.count(b"\n") < 3:
        buf += sim.sock.recv(4096)
    check("three commands in one write: three replies in order",
          buf == b"OK\nOK\nOK off\n", buf)

    # several clients at once, interleaved
    a, b = sim.connect(), sim.connect()
    a.sendall(b"ins")
    check("client B is served while client A is mid-line", sim.ctl("ping", b) == "OK")
    a.sendall(b"ert T2 0x10\n")
    check("client A's line completes", a.recv(64) == b"OK\n")
    check("both see the same state", "T2=present,tag=16" in sim.ctl("state", b))
    b.close()
    a.close()

    # garbage: binary noise and a client that vanishes mid-line
    g = sim.connect()
    g.sendall(bytes(range(256)) * 8)
    g.close()
    g = sim.connect()
    g.sendall(b"insert T1")
    g.close()
    check("after binary noise and half a line, a new client is served",
          sim.ctl("ping", sim.connect()) == "OK")
    r = sim.ctl("state")
    check("state: T1 and T2 as inserted", " T1=present,tag=7,coil=off T2=present,tag=16,coil=off " in r, r)
    check("SIGTERM: exit 0", sim.stop() == 0, sim.stderr_text())
finally:
    sim.cleanup()


def run_sim(conf_text, tmp):
    conf = os.path.join(tmp, "cab.conf")
    with open(conf, "w") as f:
        f.write(conf_text.replace("@TMP@", tmp))
    p = subprocess.run([SIM, "-c", conf, "--control", os.path.join(tmp, "ctl")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    return p.returncode, p.stderr.decode(), conf


tmp = tempfile.mkdtemp(prefix="keycab-sim-test.")
try:
    bad = cabinet(free_port()).replace("unit = 7", "unit = seven")
    rc, err, conf = run_sim(bad, tmp)
    line = bad.splitlines().index("unit = seven") + 1
    check("a bad cabinet file: exit 2", rc == 2, rc)
    check("... with the parser's FILE:LINE: message",
          err.startswith("keycab-sim: %s:%d:" % (conf, line)) and "unit" in err, err)

    rc, err, conf = run_sim(cabinet(free_port()).replace("127.0.0.1", "192.0.2.1"), tmp)
    check("a host that is not loopback: exit 2, named with file and line",
          rc == 2 and "192.0.2.1 is not a loopback address" in err and conf + ":" in err, err)
    rc, err, conf = run_sim(cabinet(free_port()).replace("127.0.0.1", "example.com"), tmp)
    check("a host name other than localhost: refused, not resolved",
          rc == 2 and "example.com is not a loopback address" in err, err)

    with open(os.path.join(tmp, "tty"), "w") as f:
        f.write("keep me")
    rc, err, conf = run_sim(cabinet(free_port()), tmp)
    with open(os.path.join(tmp, "tty")) as f:
        kept = f.read() == "keep me"
    check("a device path that is a regular file: refused and left alone",
          rc != 0 and "exists and is not a symlink" in err and kept, err)
    check("... and no control socket is left behind", not os.path.exists(os.path.join(tmp, "ctl")))
    os.unlink(os.path.join(tmp, "tty"))

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    rc, err, conf = run_sim(cabinet(busy.getsockname()[1]), tmp)
    busy.close()
    check("a TCP port in use: refused with the address named",
          rc == 1 and "cannot listen on 127.0.0.1:" in err, err)
    check("... and the bus symlink it did not get to is absent", not os.path.lexists(
        os.path.join(tmp, "tty")))

    os.symlink("/nonexistent", os.path.join(tmp, "tty"))
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(os.path.join(tmp, "ctl"))  # a socket nobody listens on: a dead simulator's
    dead.close()
    s2 = Sim(cabinet(free_port()), tmp=tmp)
    link = os.readlink(os.path.join(tmp, "tty"))
    check("a stale symlink at the device path and a dead control socket are replaced",
          link.startswith("/dev/pts/") and s2.ctl("ping") == "OK", link)
    rc, err, conf = run_sim(cabinet(free_port()), tmp)
    check("a second simulator on a live control socket is refused",
          rc != 0 and "another process listens on it" in err, err)
    check("... before touching the first one's bus link, which still answers",
          os.path.lexists(os.path.join(tmp, "tty")) and
          os.readlink(os.path.join(tmp, "tty")) == link and s2.ctl("ping") == "OK")
    s2.stop()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
finish()
