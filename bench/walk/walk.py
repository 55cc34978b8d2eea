#!/usr/bin/env python3
"""The walk of one release from a -finstrument-functions trace (hook.c):
the main thread's call under main() that holds kc_desk_release (the
socket's request, kc_proto_handle), then every change of source file on a
call and on a return. Usage: walk.py KEYCABD TRACE [--controller] [-v];
--controller counts only controller/ and hw/ files (common/ as leaves)."""
import collections, os, subprocess, sys
binary, trace = sys.argv[1], sys.argv[2]
SRC = os.environ.get("WALK_SRC", "").rstrip("/") + "/"
rows = [l.split() for l in open(trace)]
main_tid = rows[0][0]
rows = [(k, int(a, 16)) for t, k, a in rows if t == main_tid]
addrs = sorted({a for _, a in rows})
out = subprocess.run(["addr2line", "-f", "-e", binary] + ["%x" % a for a in addrs],
                     capture_output=True, text=True).stdout.split("\n")
info = {}
for i, a in enumerate(addrs):
    fn, loc = out[2 * i], out[2 * i + 1]
    f = loc.split(":")[0]
    if SRC and f.startswith(SRC):
        f = f[len(SRC):]
    info[a] = (fn, f)
# find the outermost frame holding kc_desk_release
rel = next(a for a in addrs if info[a][0] == "kc_desk_release")
depth, start, stack = 0, None, []
for i, (k, a) in enumerate(rows):
    if k == "e":
        stack.append((a, i))
        if a == rel:
            start = stack[1][1]
            root = stack[1][0]
            break
    else:
        stack.pop()
# from start, until the root returns
seq, d = [], 0
for k, a in rows[start:]:
    if k == "e":
        d += 1
        seq.append(("call", info[a]))
    else:
        d -= 1
        seq.append(("ret", info[a]))
        if d == 0:
            break
seq = [(k, x) for k, x in seq if not x[1].startswith("/usr/")]
# the file executing after each event
cur = []
stack = []
for k, (fn, f) in seq:
    if k == "call":
        stack.append(f)
        cur.append(("enter", f, fn))
    else:
        stack.pop()
        if stack:
            cur.append(("return", stack[-1], fn))
walk = [cur[0]]
for c in cur[1:]:
    if c[1] != walk[-1][1]:
        walk.append(c)
if "--controller" in sys.argv:  # common/ helpers and hw/conf.c as leaves, like libc
    keep = lambda f: f.startswith(("controller/", "hw/")) and f != "hw/conf.c"
    walk2 = []
    for w in walk:
        if keep(w[1]) and (not walk2 or walk2[-1][1] != w[1]):
            walk2.append(w)
    walk = walk2
entries = collections.Counter(w[1] for w in walk)
calls = collections.Counter(w[1] for w in walk if w[0] == "enter")
returns = sum(1 for w in walk[1:] if w[0] == "return")
print("root: %s (%s)" % info[root])
print("stops: %d in %d files, %d of them returns to a file already left; functions called: %d"
      % (len(walk) - 1, len(entries), returns, sum(1 for s in seq if s[0] == "call")))
for f, n in entries.most_common():
    print("  %-28s entered %3d (%3d by a call, %3d by a return)" % (f, n, calls[f], n - calls[f]))
if "-v" in sys.argv:
    for w in walk:
        print("  %-6s %-26s %s" % w)
