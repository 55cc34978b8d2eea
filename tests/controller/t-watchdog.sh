#!/usr/bin/env bash
# keycabd feeds the systemd watchdog only while its hardware threads
# deliver: with every bus thread stopped (ptrace-interrupted, the process
# and its socket still alive) WATCHDOG=1 stops, and it comes back when the
# threads run again. A NOTIFY_SOCKET of our own stands in for systemd.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
kc_config
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null
python3 - "$T" "$KEYCAB_BIN" <<'PY' && ok "WATCHDOG=1 while the bus threads scan, none while they are stopped, again after" || bad "watchdog follows the bus threads"
import ctypes, json, os, signal, socket, subprocess, sys, time
t, bin_ = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
sys.path.insert(0, os.environ["KEYCAB_SRC"] + "/tests/controller")
from notifysock import Notify
notify = Notify(t + "/notify.sock")
env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="600000")
p = subprocess.Popen([bin_ + "/keycabd", "-c", t + "/keycabd.conf"], env=env,
                     stdout=open(t + "/keycabd.log", "a"), stderr=subprocess.STDOUT)

feeds = notify.feeds

def ping():
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(t + "/keycabd.sock")
    c.sendall(b'{"op":"ping"}\n')
    rep = c.recv(4096)
    c.close()
    return json.loads(rep).get("ok") is True

before = feeds(3)
threads = [int(x) for x in os.listdir("/proc/%d/task" % p.pid) if int(x) != p.pid]
print("watchdog feeds in 3 s, threads running:", before, "bus threads:", len(threads))
stopped = []
for tid in threads:
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        print("ptrace seize", tid, os.strerror(ctypes.get_errno()))
        continue
    libc.ptrace(PTRACE_INTERRUPT, tid, None, None)
    os.waitpid(tid, WALL)
    stopped.append(tid)
feeds(1.5)  # a feed may be under way
during = feeds(3)
alive = ping()
print("feeds in 3 s with the bus threads stopped:", during, "socket answers:", alive)
for tid in stopped:
    libc.ptrace(PTRACE_DETACH, tid, None, None)
after = feeds(3)
print("feeds in 3 s after they run again:", after)
p.send_signal(signal.SIGTERM)
rc = p.wait(20)
sys.exit(0 if stopped and len(stopped) == len(threads) and before >= 3 and during == 0 and alive and after >= 3 and rc == 0 else 1)
PY
kc_finish
