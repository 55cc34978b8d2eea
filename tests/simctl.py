#!/usr/bin/env python3
"""keycab-sim's control socket (hw/sim/README.md), the one client the
tests, benches and the demo use. Standard library only.

As a module: connect(path), ask(sock, line) on a connection kept open,
command(path, line) for one line on a connection of its own.
As a program: simctl.py COMMAND... sends one command line to the socket
$SIM_CONTROL names and prints the reply; exit 1 on an ERR reply or when the
simulator cannot be reached."""
import os
import socket
import sys


def connect(path, timeout=10):
    """A connection to the control socket at path."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


def ask(sock, line):
    """Sends one command line, returns the reply line (without newline).
    ConnectionError when the simulator closes before the end of its reply."""
    sock.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("control socket closed")
        buf += chunk
    return buf.decode().rstrip("\n")


def command(path, line, timeout=10):
    """One command line on a connection of its own; the reply, stripped."""
    s = connect(path, timeout)
    try:
        return ask(s, line).strip()
    finally:
        s.close()


def main():
    path = os.environ.get("SIM_CONTROL")
    if not path or len(sys.argv) < 2:
        sys.exit("usage: SIM_CONTROL=SOCKET simctl.py COMMAND [ARGS]")
    try:
        reply = command(path, " ".join(sys.argv[1:]), timeout=5)
    except OSError as e:
        sys.exit("simctl.py: %s: %s" % (path, e))
    print(reply)
    sys.exit(0 if reply.startswith("OK") else 1)


if __name__ == "__main__":
    main()
