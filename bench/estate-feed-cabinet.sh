#!/usr/bin/env bash
# The estate feed with a real cabinet: keycabd (managed) on keycab-sim,
# keycab-forward and keyauditd, as tests/forward/t-feed-kill.sh sets them
# up. KC_BENCH_CHANGES (default 50) unit changes made one at a time at the
# office (POST /api/v1/estate/units); for each, the time from the admin's
# request to the cabinet's estate.applied event stored at keyauditd (the
# feed's long-poll, keycabd's apply, the outbox forwarded), beside a plain
# GET /healthz in the same run. p50 and p99.
source "$KEYCAB_SRC/tests/controller/lib.sh"
N=${KC_BENCH_CHANGES:-50}

kc_cabinet
kc_config
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kad_setup 500ms
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" cabinet-mode demo-desk managed >/dev/null || exit 1
printf 'Bench-pass-1\n' | "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-user --role admin admin >/dev/null || exit 1
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
python3 - "$T/audit.db" "$(cat "$T/kad.port")" "$N" <<'PY' || exit 1
import base64, json, sqlite3, sys, time, urllib.request
db, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = "http://127.0.0.1:%d" % port
auth = "Basic " + base64.b64encode(b"admin:Bench-pass-1").decode()


def post(path, row):
    req = urllib.request.Request(base + "/api/v1/estate/" + path, json.dumps(row).encode(),
                                 {"Authorization": auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)


def stored(change):
    return con.execute("SELECT 1 FROM events WHERE cabinet = 'demo-desk' AND type = 'estate.applied'"
                       " AND json_extract(body, '$.data.change') = ?", (change,)).fetchone()


def wait_stored(change, limit=30):
    deadline = time.monotonic() + limit
    while not stored(change):
        if time.monotonic() > deadline:
            raise SystemExit("change %d never came back as an estate.applied event" % change)
        time.sleep(0.002)


post("sites", {"site": "SA", "name": "Bench", "age": "new", "time_zone": "Asia/Shanghai"})
post("cabinets", {"cabinet": "demo-desk", "sites": ["SA"]})
wait_stored(1)
change, health = [], []
for i in range(n):
    t0 = time.monotonic()
    post("units", {"unit": "U%d" % i, "site": "SA", "building": "1", "room": str(100 + i), "vacant": False})
    wait_stored(i + 2)
    change.append((time.monotonic() - t0) * 1000)
    t0 = time.monotonic()
    urllib.request.urlopen(base + "/healthz", timeout=10).read()
    health.append((time.monotonic() - t0) * 1000)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


print("estate feed, a real cabinet: the admin's request -> the cabinet's estate.applied stored at keyauditd:"
      " p50 %.1f ms, p99 %.1f ms (%d changes); GET /healthz in the same run: p50 %.2f ms, p99 %.2f ms"
      % (pct(change, 50), pct(change, 99), n, pct(health, 50), pct(health, 99)))
PY
