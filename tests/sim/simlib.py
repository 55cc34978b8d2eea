"""Helpers for the keycab-sim tests: start the simulator on a fresh cabinet
file, talk to its control socket, run mbpoll, and send raw Modbus requests
(RTU with our own CRC, TCP with our own MBAP) for what mbpoll cannot say,
such as the Waveshare flash command. Standard library only."""
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import shutil
import termios
import time
import tty

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import simctl  # noqa: E402  (tests/simctl.py)

BIN = os.environ.get("KEYCAB_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")
SIM = os.path.join(BIN, "keycab-sim")

failures = 0


def check(what, cond, detail=""):
    """Print what is checked and whether it held; count failures."""
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else ": " + str(detail)),
          flush=True)
    if not cond:
        failures += 1
    return cond


def finish():
    print("%d failure(s)" % failures)
    sys.exit(1 if failures else 0)


def wait_for(cond, timeout=10.0, step=0.02):
    """Polls cond() until it is true or the deadline passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def now_us():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Sim:
    """keycab-sim on a cabinet file written to a fresh temp dir."""

    def __init__(self, cabinet_text, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="keycab-sim-test.")
        self.conf = os.path.join(self.tmp, "cabinet.conf")
        self.ctl_path = os.path.join(self.tmp, "ctl")
        with open(self.conf, "w") as f:
            f.write(cabinet_text.replace("@TMP@", self.tmp))
        self.out = open(os.path.join(self.tmp, "sim.out"), "w+")
        self.err = open(os.path.join(self.tmp, "sim.err"), "w+")
        self.proc = subprocess.Popen([SIM, "-c", self.conf, "--control", self.ctl_path],
                                     stdout=self.out, stderr=self.err)
        ready = wait_for(lambda: self._ready() or self.proc.poll() is not None, 15)
        if not self._ready():
            self.err.seek(0)
            raise RuntimeError("keycab-sim did not start: " + self.err.read())
        self.sock = self.connect()

    def _ready(self):
        self.out.seek(0)
        return "keycab-sim: ready:" in self.out.read()

    def connect(self):
        return simctl.connect(self.ctl_path)

    def ctl(self, line, sock=None):
        """Sends one command line, returns the reply line (without newline)."""
        return simctl.ask(sock or self.sock, line)

    def history(self, slot):
        r = self.ctl("history " + slot)
        assert r.startswith("OK"), r
        out = []
        for item in r.split()[1:]:
            what, at = item.split("@")
            out.append((what, int(at)))
        return out

    def stderr_text(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.sock.close()
        except Exception:
            pass
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def mbpoll(*args, timeout=15):
    """Runs mbpoll once; returns (exit code, stdout+stderr)."""
    p = subprocess.run(["mbpoll", "-1"] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace")


def mbpoll_values(output):
    """[n]: value lines of an mbpoll read, as a dict n -> int."""
    vals = {}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("[") and "]:" in line:
            k, v = line[1:].split("]:", 1)
            try:
                vals[int(k)] = int(v.split()[0])
            except (ValueError, IndexError):
                pass
    return vals


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu_frame(unit, pdu):
    body = bytes([unit]) + pdu
    return body + struct.pack("<H", crc16(body))


class RtuClient:
    """A minimal RTU master on the simulator's pty (raw mode, no echo)."""

    def __init__(self, device, flush=True):
        self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd, termios.TCSANOW)
        attrs = termios.tcgetattr(self.fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        if flush:
            termios.tcflush(self.fd, termios.TCIOFLUSH)

    def send_raw(self, data):
        os.write(self.fd, data)

    def read_for(self, seconds):
        """Everything that arrives within the time given."""
        buf = b""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return buf
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                buf += os.read(self.fd, 512)

    def request(self, unit, pdu, timeout=2.0, expect=None):
        """Sends a request; returns the reply frame (bytes) or None on timeout.
        expect: reply length to wait for (default: until the CRC fits)."""
        os.write(self.fd, rtu_frame(unit, pdu))
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            if len(buf) >= 5 and (expect is None or len(buf) >= expect):
                if crc16(buf[:-2]) == struct.unpack("<H", buf[-2:])[0]:
                    return buf
                if expect is not None and len(buf) >= expect:
                    return buf
            left = deadline - time.monotonic()
            if left <= 0:
                return None if not buf else buf
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                buf += os.read(self.fd, 512)

    def close(self):
        os.close(self.fd)


class TcpClient:
    def __init__(self, port, host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=5)
        self.tid = 0

    def request(self, unit, pdu, timeout=2.0):
        """Returns the reply PDU (bytes) or None on timeout."""
        self.tid = (self.tid + 1) & 0xFFFF
        self.s.sendall(struct.pack(">HHHB", self.tid, 0, len(pdu) + 1, unit) + pdu)
        self.s.settimeout(timeout)
        buf = b""
        try:
            while len(buf) < 7 or len(buf) < 6 + struct.unpack(">H", buf[4:6])[0]:
                chunk = self.s.recv(512)
                if not chunk:
                    return None
                buf += chunk
        except socket.timeout:
            return None
        tid, proto, length, uid = struct.unpack(">HHHB", buf[:7])
        assert tid == self.tid and proto == 0, buf
        return buf[7:6 + length]

    def close(self):
        self.s.close()


def fc05(addr, value):
    return struct.pack(">BHH", 5, addr, value)


def cabinet(tcp_port, extra=""):
    """The test cabinet: a Waveshare relay board and a generic board on one
    RTU bus; two generic TCP boards sharing one endpoint (unit 1 and 7)."""
    return """[cabinet]
id = t-sim

[bus rs]
device = @TMP@/tty
baud = 115200
parity = none

[board relays]
type = modbus-rtu
bus = rs
unit = 1
profile = waveshare-relay-d

[board bank]
type = modbus-rtu
bus = rs
unit = 2

[board tags]
type = modbus-tcp
host = 127.0.0.1
port = %(port)d
unit = 1

[board gw7]
type = modbus-tcp
host = 127.0.0.1
port = %(port)d
unit = 7

[slot R1]
board = relays
lock = 0
sense = 0

[slot R3]
board = relays
lock = 2
sense = 2

[slot R8]
board = relays
lock = 7
sense = 7

[slot K1]
board = bank
lock = 0
sense = 0

[slot K20]
board = bank
lock = 19
sense = 20

[slot T1]
board = tags
lock = 0
sense = 0
tag = 0

[slot T2]
board = tags
lock = 3
sense = 1
tag = 2

[slot G1]
board = gw7
lock = 5
sense = 4
""" % {"port": tcp_port} + extra
