#!/usr/bin/env python3
"""keycabd emits every event type as a KC_EVT_* value of common/event_types.h,
which the compiler checks, never as a string.

The emit calls are those anywhere under controller/ of a function whose
name holds "event" (kc_store_event, slot_event, lifecycle_event, ...) or
"refused". The test fails when such a call has an event type's string
literal ("release.granted") on its line, when a KC_EVT_* name used there is
not in the list, and when it finds too few emit sites to be looking at the
right calls (a renamed emit function: update EMIT_CALL)."""
import os
import re
import sys

SRC = os.environ.get("KEYCAB_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
EMIT_CALL = re.compile(r"\b\w*(?:event|refused)\w*\s*\(", re.I)
LITERAL = re.compile(r'"([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)"')
CONSTANT = re.compile(r"\bKC_EVT_([A-Z0-9_]+)\b")
LISTED = re.compile(r'^\s*X\(\s*([A-Z0-9_]+)\s*,\s*"([^"]+)"\s*,\s*KC_EVT_(?:DERIVED|LOG_ONLY)\s*\)', re.M)
MIN_EMITTED = 25  # keycabd emits 35 types today


def listed_types():
    """{"RELEASE_GRANTED": "release.granted", ...}"""
    with open(os.path.join(SRC, "common", "event_types.h"), encoding="utf-8") as f:
        return dict(LISTED.findall(f.read()))


def emitted_types():
    """The KC_EVT_* names and the string literals on emit lines, each with
    its first place."""
    found, literals = {}, {}
    for root, _dirs, files in os.walk(os.path.join(SRC, "controller")):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                for no, line in enumerate(f, 1):
                    if not EMIT_CALL.search(line):
                        continue
                    where = "%s:%d" % (os.path.relpath(path, SRC), no)
                    for t in CONSTANT.findall(line):
                        found.setdefault(t, where)
                    for t in LITERAL.findall(line):
                        literals.setdefault(t, where)
    return found, literals


def main():
    listed = listed_types()
    emitted, literals = emitted_types()
    print("%d types listed in common/event_types.h, %d emitted by keycabd" % (len(listed), len(emitted)))
    bad = 0
    if len(listed) < MIN_EMITTED:
        print("FAIL: common/event_types.h: only %d types parsed" % len(listed))
        bad += 1
    if len(emitted) < MIN_EMITTED:
        print("FAIL: only %d emitted types found under controller/: the emit calls no longer match %s"
              % (len(emitted), EMIT_CALL.pattern))
        bad += 1
    for t, where in sorted(emitted.items()):
        if t not in listed and t not in ("DERIVED", "LOG_ONLY"):
            print("FAIL: %s: keycabd emits KC_EVT_%s, which common/event_types.h does not list" % (where, t))
            bad += 1
    for t, where in sorted(literals.items()):
        print("FAIL: %s: keycabd emits %s as a string, not as its KC_EVT_* value" % (where, t))
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
