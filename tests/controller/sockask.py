"""One request to keycabd over its unix socket ($KEYCAB_SOCKET), on a
connection of its own (the socket slows down a connection's logins after
a few failures), and its reply: for the tests that send what the keycab
CLI would not (protocodes.py, t-due-bounds.sh, t-idcard-doors.sh)."""
import json
import os
import socket


def ask_line(line):
    """line as sent (it may be no JSON at all); the reply parsed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["KEYCAB_SOCKET"])
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


def ask(req):
    return ask_line(json.dumps(req))
