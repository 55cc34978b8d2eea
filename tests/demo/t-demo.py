#!/usr/bin/env python3
"""make demo as CI and a pipe run it (stdin not a terminal, stdout a pipe):
the whole system (keycab-sim, keyauditd, keycabd, keycab-kiosk), the
estate, the walkthrough and the office's reports, once in English
(LANG=C.UTF-8) and once in Chinese (LANG=zh_CN.UTF-8). Each line is
stamped as it arrives, so the test measures the demo's wait itself. In
each run:

- the wait for the office ends promptly (within WAIT_LIMIT s of part 6's
  heading) and says the office holds every event of the cabinet: the
  count it names is the head and the checked count of the chain report
  printed right after it; nothing says events are still to be sent;
- the demo says it is stopping, and prints no address or password after
  that; the addresses it printed no longer answer once it has exited.

The narration's texts (every literal given to _, msg, say, chapter,
terminal or fail in tests/demo/*.sh, extracted with xgettext) each have
their Chinese in the built catalogue; in the Chinese run no English
sentence of the narration appears, and the lines checked above are
matched in the language of the run (their formats read from the
catalogue).
"""
import os
import re
import socket
import subprocess
import sys
import time

SRC = os.environ["KEYCAB_SRC"]
BUILD = os.environ["BUILD"]
DEMO = os.path.join(SRC, "tests/demo")
SCRIPTS = [os.path.join(DEMO, f) for f in ("demo.sh", "walkthrough.sh", "estate/setup.sh")]
KEYWORDS = ("_", "msg", "say", "chapter", "terminal", "fail")
WAIT_LIMIT = 5.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def narration_pot():
    """The narration's msgids (xgettext over the demo's scripts) as a .pot."""
    pot = os.path.join(BUILD, "test-logs", "demo-narration.pot")
    subprocess.run(["xgettext", "-L", "Shell", "--from-code=UTF-8", "-k"] + [f"-k{k}" for k in KEYWORDS] +
                   ["-o", pot] + SCRIPTS, check=True)
    return pot


def msgids(pot):
    txt = open(pot, encoding="utf-8").read()
    out = []
    for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr', txt, re.M):
        raw = "".join(re.findall(r'"(.*)"', m.group(1)))
        if raw:
            out.append(raw.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return out


def tr(lang, s):
    """s in lang, from the built catalogue, as the demo reads it."""
    if lang == "en":
        return s
    env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="zh_CN", TEXTDOMAIN="keycab",
               TEXTDOMAINDIR=os.path.join(BUILD, "locale"))
    return subprocess.run(["gettext", "--", s], env=env, check=True, capture_output=True, text=True).stdout


def pattern(lang, fmt):
    """A regex for the line printf makes of fmt (in lang); %s captures."""
    return re.escape(tr(lang, fmt).replace("%%", "%")).replace("%s", "(.+?)")


def run_demo(env_lang, tag):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "CI")}
    env.update(env_lang)
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(SRC, "tests/demo/demo.sh")], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines = []
    for raw in p.stdout:
        lines.append((time.monotonic() - t0, ANSI.sub("", raw.decode("utf-8", "replace").rstrip("\n"))))
    rc = p.wait()
    with open(os.path.join(BUILD, "test-logs", f"demo-piped-{tag}.out"), "w") as f:
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


def check_run(lang, env_lang, ids):
    rc, lines, total = run_demo(env_lang, lang)
    print(f"[{lang}] demo ran {total:.1f} s, {len(lines)} lines (test-logs/demo-piped-{lang}.out)")
    check(rc == 0, f"[{lang}] the demo exits 0 (exit {rc})")

    part6 = index_of(lines, pattern(lang, "Part 6 of 6: What the supervisor sees at the office "
                                          "(keyauditd, computed from the forwarded events)"))
    check(part6 >= 0, f"[{lang}] part 6 (the office's reports) is reached")
    held_re = pattern(lang, "The office holds all %s events of cabinet %s (waited %s.%s s).")
    held = index_of(lines, held_re, max(part6, 0))
    chain = index_of(lines, r"^\s+demo-desk\s+\d+\s+\d+\s+intact", max(part6, 0))
    check(held > part6 >= 0, f"[{lang}] the wait says the office holds every event of the cabinet")
    check(chain > part6 >= 0, f"[{lang}] the chain report shows the cabinet's stored chain intact")
    if held > part6 >= 0 and chain > 0:
        waited = lines[held][0] - lines[part6][0]
        check(waited <= WAIT_LIMIT, f"[{lang}] the wait ends within {WAIT_LIMIT} s of part 6's heading ({waited:.2f} s)")
        n = int(re.search(held_re, lines[held][1]).group(1))
        head, checked = map(int, lines[chain][1].split()[1:3])
        check(n > 100 and n == head == checked,
              f"[{lang}] the count named ({n}) is the stored head ({head}) and the events checked ({checked})")
    waiting = pattern(lang, "the office holds %s of the %s events of cabinet %s ...")
    check(all(re.search(r"^\d+$", m.group(1)) and int(m.group(1)) < int(m.group(2))
              for m in (re.search(waiting, line) for _, line in lines) if m),
          f"[{lang}] each progress line counts fewer events held than written")
    check(index_of(lines, r"still has|to send") < 0, f"[{lang}] nothing says events are still to be sent")

    stop = index_of(lines, pattern(lang, "Stopping the demo: the services stop now, and the addresses "
                                         "printed above no longer answer."))
    check(stop > part6 >= 0, f"[{lang}] the demo says it is stopping")
    if stop >= 0:
        after = [line for _, line in lines[stop:]]
        check(not any("http" in line for line in after), f"[{lang}] no address after the stopping line: " +
              repr([line for line in after if "http" in line]))
        check(not any("demo-password" in line for line in after), f"[{lang}] no password after the stopping line")
    ports = {int(m) for _, line in lines for m in re.findall(r"http://127\.0\.0\.1:(\d+)", line)}
    check(len(ports) >= 2, f"[{lang}] the demo printed the addresses of its services while they ran ({sorted(ports)})")
    live = [port for port in ports if answers(port)]
    check(not live, f"[{lang}] no address it printed answers after it exits ({live})")

    if lang == "zh":
        text = "\n".join(line for _, line in lines)
        english = []
        for s in ids:
            for frag in re.split(r"%s|%%|\n", s):
                frag = frag.strip()
                if len(frag) >= 12 and re.search(r"[A-Za-z]{3} [A-Za-z]{2,}", frag) and frag in text:
                    english.append(frag)
        check(not english, f"[zh] no English sentence of the narration is shown: {english[:5]}")
        check(index_of(lines, r"[\u4e00-\u9fff]") >= 0 and part6 >= 0 and
              re.search(r"[\u4e00-\u9fff]", lines[part6][1]), "[zh] the headings are in Chinese")


def main():
    pot = narration_pot()
    ids = msgids(pot)
    r = subprocess.run(["msgcmp", os.path.join(BUILD, "locale", "zh_CN.po"), pot], capture_output=True, text=True)
    check(len(ids) > 80 and r.returncode == 0,
          f"each of the narration's {len(ids)} texts has its Chinese in the catalogue"
          + ("" if r.returncode == 0 else ": " + r.stderr.strip()[:600]))
    check_run("en", {"LANG": "C.UTF-8"}, ids)
    check_run("zh", {"LANG": "zh_CN.UTF-8"}, ids)
    if FAILS:
        print(f"{len(FAILS)} failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
