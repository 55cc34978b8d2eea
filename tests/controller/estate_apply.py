#!/usr/bin/env python3
"""One change of the office's feed applied at keycabd as keycab-forward
applies it: estate.position, then estate.apply of the next change number,
with the forward key ($FORWARD_KEY) over keycabd's socket ($KEYCAB_SOCKET).
Usage: estate_apply.py TYPE DATA-JSON [BY]. Prints the reply; exits 0
(applied), 3 (refused and recorded) or 1 (an error)."""
import json
import os
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockask import ask

key = open(os.environ["FORWARD_KEY"]).read().strip()
pos = ask({"op": "estate.position", "forward_key": key})
if not pos.get("ok"):
    print(json.dumps(pos, ensure_ascii=False))
    sys.exit(1)
rep = ask({"op": "estate.apply", "forward_key": key, "change": pos["position"] + 1, "type": sys.argv[1],
           "data": json.loads(sys.argv[2]), "made": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
           "by": sys.argv[3] if len(sys.argv) > 3 else "chen"})
print(json.dumps(rep, ensure_ascii=False))
sys.exit(0 if rep.get("ok") else 3 if rep.get("refused") else 1)
