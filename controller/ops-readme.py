#!/usr/bin/env python3
"""Writes controller/README.md's op table and member limits from
controller/ops.def (the one spec of every op), between the markers
<!-- ops.def: ops --> / <!-- ops.def: limits --> and <!-- ops.def end -->.

Usage: ops-readme.py [--check] [README]   (default: controller/README.md
beside this script). --check writes nothing and exits 1 when the README
is not what the spec gives (tests/controller/t-ops-readme.sh)."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS = {
    "ANYONE": "anyone",
    "SESSION": "anyone; the handler's rules decide (rule 1)",
    "LOGIN": "anyone logged in",
    "OPERATOR": "an operator logged in (not an engineer)",
    "SUPERVISOR": "a supervisor or manager logged in (rule 12)",
    "MANAGER": "a manager logged in (rule 4)",
    "READER": "anyone logged in, or the console",
    "DESK_ADMIN": "the console, a manager, supervisor or staff member",
    "ADMIN": "the console, a manager or supervisor",
    "REGISTRAR": "the administrator (the console, nobody logged in)",
    "TEST_CLOCK": "anyone, with `keycabd --test-clock`",
    "LIVE": "anyone logged in, the terminal key, or keycab-forward by the forward key",
    "ROSTER": "anyone logged in, the console, or the terminal key",
    "FORWARD": "keycab-forward, by the forward key",
    "OFFICE": "the office's changes: keycab-forward, by the forward key",
}
KIOSK = {"NO": "", "ANYONE": "yes, without a login", "SESSION": "yes", "PROBE": "yes (a probe: no login is no error)"}
TYPES = {"s": "text", "I": "integer", "b": "bool", "[]": "list", "{}": "object", "o": "any"}


def c_strings(text):
    """The C string literals in text, joined (adjacent literals are one)."""
    return "".join(bytes(s, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
                   for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text))


def calls(spec, name):
    """Each NAME(...) of spec at the start of a line, its arguments' text split at top-level commas."""
    out = []
    for m in re.finditer(r"^%s\(" % name, spec, re.M):
        i, depth, args, cur, instr = m.end(), 1, [], "", False
        while depth:
            c = spec[i]
            if instr:
                cur += c
                if c == "\\":
                    cur += spec[i + 1]
                    i += 1
                elif c == '"':
                    instr = False
            elif c == '"':
                instr = True
                cur += c
            elif c == "(":
                depth += 1
                cur += c
            elif c == ")":
                depth -= 1
                if depth:
                    cur += c
            elif c == "," and depth == 1:
                args.append(cur.strip())
                cur = ""
            else:
                cur += c
            i += 1
        args.append(cur.strip())
        out.append(args)
    return out


def cell(s):
    return s.replace("|", "\\|")


def tables(spec):
    cli = {}
    for a in calls(spec, "KC_CLI"):
        op, form = c_strings(a[0]), a[6]
        if form != "NULL" and a[3] != "HIDDEN":
            cli.setdefault(op, []).append(" ".join(c_strings(form).split()))
    rows = ["| op | who may send it | the terminal | arguments (checked before the handler) | keycab |",
            "|---|---|---|---|---|"]
    for a in calls(spec, "KC_OP"):
        op, access, kiosk, args = c_strings(a[0]), a[1], a[2], c_strings(a[4])
        words = []
        for w in args.split():
            n = re.match(r"(\w+)([:?])(.+)$", w)
            words.append("`%s`%s %s" % (n.group(1), "" if n.group(2) == ":" else "?", TYPES[n.group(3)]))
        rows.append("| `%s` | %s | %s | %s | %s |" % (op, ACCESS[access], KIOSK[kiosk], ", ".join(words),
                                                      cell(", ".join("`%s`" % f for f in cli.get(op, [])))))
    limits = {}
    for a in calls(spec, "KC_MEMBER"):
        limits.setdefault(int(a[1]), []).append(a[0])
    lim = ["| members | at most (characters) |", "|---|---|"]
    for mx in sorted(limits, reverse=True):
        lim.append("| %s | %s |" % (", ".join("`%s`" % m for m in limits[mx]), "{:,}".format(mx)))
    lim.append("| any other member | 1,000 |")
    return {"ops": "\n".join(rows), "limits": "\n".join(lim)}


def rewrite(readme, gen):
    for name, body in gen.items():
        pat = re.compile(r"(<!-- ops\.def: %s -->\n).*?(<!-- ops\.def end -->)" % name, re.S)
        if not pat.search(readme):
            raise SystemExit("README: no <!-- ops.def: %s --> ... <!-- ops.def end --> block" % name)
        readme = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), readme)
    return readme


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    path = args[0] if args else os.path.join(HERE, "README.md")
    with open(os.path.join(HERE, "ops.def"), encoding="utf-8") as f:
        spec = f.read()
    with open(path, encoding="utf-8") as f:
        old = f.read()
    new = rewrite(old, tables(spec))
    if check:
        if new != old:
            print("%s: the op table or the limits differ from controller/ops.def; "
                  "run controller/ops-readme.py" % path)
            return 1
        print("%s: the op table and the limits are controller/ops.def's" % path)
        return 0
    if new != old:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
