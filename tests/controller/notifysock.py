"""A NOTIFY_SOCKET of the test's own in place of systemd's, for the tests
of keycabd's watchdog (t-watchdog.sh, t-watchdog-bus.sh): bind it, give
its path to keycabd, count the WATCHDOG=1 it sends."""
import socket
import time


class Notify:
    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)

    def feeds(self, seconds):
        """How many WATCHDOG=1 arrive within seconds."""
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                n += self.s.recv(4096).decode().split("\n").count("WATCHDOG=1")
            except socket.timeout:
                pass
        return n
