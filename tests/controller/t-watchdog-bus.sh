#!/usr/bin/env bash
# The watchdog sees each bus: with two buses (the demo cabinet: the TCP
# board on one, the RS485 line on the other), one bus thread wedged
# (ptrace-stopped, as a driver stuck in a call) stops WATCHDOG=1 although
# the other bus scans on; keycabd names the wedged bus, and a key put into
# a slot of the other bus is still seen. When the thread runs again the
# feeds come back. A board that does not answer is no wedge: its bus
# thread goes on (the board is FAULT) and the watchdog is fed.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
# a board that answers again is tried again within a second
sed -i -e 's/^scan_ms = .*/&\nretry_max_ms = 1000/' "$T/cabinet.conf"
kc_config
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null
python3 - "$T" "$KEYCAB_BIN" "$SIM_CONTROL" <<'PY' || bad "the watchdog sees each bus"
import ctypes, os, signal, subprocess, sys, time
t, bin_, simctl_path = sys.argv[1], sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
fails = 0

def check(cond, what):
    global fails
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        fails += 1

sys.path.insert(0, os.environ["KEYCAB_SRC"] + "/tests/controller")
from notifysock import Notify
from sockask import ask
sys.path.insert(0, os.environ["KEYCAB_SRC"] + "/tests")
import simctl
notify = Notify(t + "/notify.sock")
env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="600000")
log = t + "/keycabd.log"
p = subprocess.Popen([bin_ + "/keycabd", "-c", t + "/keycabd.conf"], env=env,
                     stdout=open(log, "a"), stderr=subprocess.STDOUT)

feeds = notify.feeds

def presence(slot):
    return [x["presence"] for x in ask({"op": "slots"})["slots"] if x["slot"] == slot][0]

def sim(cmd):
    return simctl.command(simctl_path, cmd)

def wait(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if cond():
                return True
        except (OSError, ValueError):
            pass  # keycabd not listening yet
        time.sleep(0.05)
    return False

# slots on each bus: the TCP board "tags" (bus 0), the RS485 line (bus 1)
check(wait(lambda: presence("A01") == "absent" and presence("B01") == "absent", 10),
      "both buses scan: A01 (tcp) and B01 (rs485) absent")
before = feeds(3)
# the bus threads by name: hw-bus0 (tcp), hw-bus1 (rs485)
threads = {}
for x in os.listdir("/proc/%d/task" % p.pid):
    with open("/proc/%d/task/%s/comm" % (p.pid, x)) as f:
        threads[f.read().strip()] = int(x)
check("hw-bus0" in threads and "hw-bus1" in threads and before >= 3,
      "two bus threads, the watchdog fed while both scan (%d feeds in 3 s)" % before)

# a board that does not answer: its bus thread goes on, the watchdog is fed
sim("fault tags timeout")
check(wait(lambda: presence("A01") == "fault", 10), "the silent TCP board's slot A01 is FAULT")
feeds(1)
silent = feeds(3)
check(silent >= 3, "a silent board is no wedge: the watchdog is fed (%d feeds in 3 s)" % silent)
sim("fault tags none")
check(wait(lambda: presence("A01") == "absent", 10), "the TCP board answers again")

# the RS485 bus thread wedged; the TCP bus goes on
wedged = threads["hw-bus1"]
check(libc.ptrace(PTRACE_SEIZE, wedged, None, None) == 0, "ptrace the RS485 bus thread")
libc.ptrace(PTRACE_INTERRUPT, wedged, None, None)
os.waitpid(wedged, WALL)
with open(log) as f:
    f.seek(0, 2)
    log_at = f.tell()
feeds(1.5)  # a feed may be under way
during = feeds(3)
check(during == 0, "one bus wedged among two: no WATCHDOG=1 (%d feeds in 3 s)" % during)
sim("insert A01")
sim("insert B01")
check(wait(lambda: presence("A01") == "present", 5),
      "the other bus keeps working: a key put into A01 (tcp) is seen")
time.sleep(1)
check(presence("B01") == "absent", "the wedged bus sees nothing: B01 (rs485) still absent")
with open(log) as f:
    f.seek(log_at)
    said = f.read()
print(said.strip())
check("serial " + t + "/ttyRS485" in said and "tcp 127.0.0.1" not in said,
      "keycabd names the wedged bus, and only that one")
libc.ptrace(PTRACE_DETACH, wedged, None, None)
after = feeds(3)
check(after >= 3, "fed again once the bus thread runs (%d feeds in 3 s)" % after)
check(wait(lambda: presence("B01") == "present", 5), "B01's key is seen once its bus runs")
p.send_signal(signal.SIGTERM)
check(p.wait(20) == 0, "keycabd stops cleanly")
sys.exit(1 if fails else 0)
PY
kc_finish
