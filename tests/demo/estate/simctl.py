#!/usr/bin/env python3
"""simctl.py COMMAND...: sends one command line to keycab-sim's control
socket ($SIM_CONTROL) and prints the reply; exit 1 on an ERR reply.
Used by the demo and the tests to put keys in and take them out."""
import os
import socket
import sys

path = os.environ.get("SIM_CONTROL")
if not path or len(sys.argv) < 2:
    sys.exit("usage: SIM_CONTROL=SOCKET simctl.py COMMAND [ARGS]")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(path)
s.sendall((" ".join(sys.argv[1:]) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
reply = buf.decode().strip()
print(reply)
sys.exit(0 if reply.startswith("OK") else 1)
