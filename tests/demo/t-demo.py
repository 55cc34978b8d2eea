#!/usr/bin/env python3
"""make demo as CI and a pipe run it (stdin not a terminal, stdout a pipe):
the whole system (keycab-sim, keyauditd, keycabd, keycab-kiosk), the
estate, the walkthrough and the office's reports. Each line is stamped
as it arrives, so the test measures the demo's wait itself:

- the wait for the office ends promptly (within WAIT_LIMIT s of part 6's
  heading) and says the office holds every event of the cabinet: the
  count it names is the head and the checked count of the chain report
  printed right after it; nothing says events are still to be sent;
- the demo says it is stopping, and prints no address or password after
  that; the addresses it printed no longer answer once it has exited.
"""
import os
import re
import socket
import subprocess
import sys
import time

SRC = os.environ["KEYCAB_SRC"]
WAIT_LIMIT = 5.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def run_demo(env_lang):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "CI")}
    env.update(env_lang)
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(SRC, "tests/demo/demo.sh")], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines = []
    for raw in p.stdout:
        lines.append((time.monotonic() - t0, ANSI.sub("", raw.decode("utf-8", "replace").rstrip("\n"))))
    rc = p.wait()
    with open(os.path.join(os.environ.get("BUILD", "/tmp"), "test-logs", "demo-piped.out"), "w") as f:
        for t, line in lines:
            f.write(f"{t:7.2f} {line}\n")
    return rc, lines, time.monotonic() - t0


def index_of(lines, pattern, start=0):
    for i in range(start, len(lines)):
        if re.search(pattern, lines[i][1]):
            return i
    return -1


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def main():
    rc, lines, total = run_demo({"LANG": "C.UTF-8"})
    print(f"demo ran {total:.1f} s, {len(lines)} lines (build/test-logs/demo-piped.out)")
    check(rc == 0, f"the demo exits 0 (exit {rc})")

    part6 = index_of(lines, r"Part 6 of 6")
    check(part6 >= 0, "part 6 (the office's reports) is reached")
    held = index_of(lines, r"holds all \d+ events of cabinet", max(part6, 0))
    chain = index_of(lines, r"^\s+demo-desk\s+\d+\s+\d+\s+intact", max(part6, 0))
    check(held > part6 >= 0, "the wait says the office holds every event of the cabinet")
    check(chain > part6 >= 0, "the chain report shows the cabinet's stored chain intact")
    if held > part6 >= 0 and chain > 0:
        waited = lines[held][0] - lines[part6][0]
        check(waited <= WAIT_LIMIT, f"the wait ends within {WAIT_LIMIT} s of part 6's heading ({waited:.2f} s)")
        n = int(re.search(r"holds all (\d+) events", lines[held][1]).group(1))
        head, checked = map(int, lines[chain][1].split()[1:3])
        check(n > 100 and n == head == checked,
              f"the count named ({n}) is the stored head ({head}) and the events checked ({checked})")
    check(index_of(lines, r"still has|to send") < 0, "nothing says events are still to be sent")

    stop = index_of(lines, r"[Ss]topping")
    check(stop > part6 >= 0, "the demo says it is stopping")
    if stop >= 0:
        after = [line for _, line in lines[stop:]]
        check(not any("http" in line for line in after), "no address after the stopping line: " +
              repr([line for line in after if "http" in line]))
        check(not any("demo-password" in line for line in after), "no password after the stopping line")
    ports = {int(m) for _, line in lines for m in re.findall(r"http://127\.0\.0\.1:(\d+)", line)}
    check(len(ports) >= 2, f"the demo printed the addresses of its services while they ran ({sorted(ports)})")
    live = [port for port in ports if answers(port)]
    check(not live, f"no address it printed answers after it exits ({live})")

    if FAILS:
        print(f"{len(FAILS)} failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
