#!/usr/bin/python3
"""The estate's change feed (service/feed.c, http_feed.c) on a real
keyauditd, its cabinets simulated by asyncio clients, each with its own
token, holding GET /api/v1/feed long-polls as keycab-forward does and
answering each change with the cabinet's estate.applied event (sealed
beforehand by kc-forward-test: the cabinet's own apply is not timed).

1. A change made at the office (POST /api/v1/estate/sites, one cabinet
   serving the site) to the cabinet's estate.applied event stored at
   keyauditd (its ingest answered): p50/p99 of KC_BENCH_CHANGES changes,
   beside a plain GET /healthz in the same run (one after each change).
2. KC_BENCH_CABINETS (1,000) cabinets holding polls: keyauditd's CPU and
   RSS while they are held beside idle; one site.set fanned to all of them
   (the site's name changed: one change on each feed, one transaction):
   the time until all have fetched it and until all their estate.applied
   events are stored."""
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.environ.get("KEYCAB_SRC", "."), "tests", "service"))
import svc as S  # noqa: E402
from svc import Service, seal  # noqa: E402

S.say = lambda *a: None  # the service's own checks speak only when they fail
N = int(os.environ.get("KC_BENCH_CABINETS", "1000"))
CHANGES = int(os.environ.get("KC_BENCH_CHANGES", "100"))
ADMIN = ("admin", "Bench-pass-1")
SITE = "BF"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def proc_cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_share(pid, seconds):
    c0, t0 = proc_cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return (proc_cpu_s(pid) - c0) / (time.monotonic() - t0)


async def http(port, method, path, headers=None, body=None):
    """One request on its own connection: (status, body bytes)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    data = body.encode() if isinstance(body, str) else (body or b"")
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n" % (method, path, len(data))
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    w.write(head.encode() + b"\r\n" + data)
    await w.drain()
    resp = await r.read()
    w.close()
    status = int(resp.split(b" ", 2)[1])
    return status, resp.partition(b"\r\n\r\n")[2]


class Cabinet:
    """A cabinet's feed link: poll, apply (its event posted), poll again."""

    def __init__(self, cid, token, events, after):
        self.cid, self.token, self.events, self.after = cid, token, events, after
        self.seq = 0  # events posted
        self.fetched = {}  # change -> monotonic time fetched
        self.stored = {}   # change -> monotonic time its event was stored

    async def run(self, port, stop):
        auth = {"Authorization": "Bearer " + self.token}
        while not stop.is_set():
            st, body = await http(port, "GET", "/api/v1/feed?after=%d&wait=30" % self.after, auth)
            now = time.monotonic()
            if st != 200:
                raise RuntimeError("%s: feed answered %d %s" % (self.cid, st, body[:200]))
            for c in json.loads(body)["changes"]:
                self.fetched[c["change"]] = now
                ev = self.events[self.seq]
                st, ans = await http(port, "POST", "/api/v1/events", dict(auth, **{"Content-Type": "application/json"}),
                                     "[" + ev + "]")
                if st != 200:
                    raise RuntimeError("%s: ingest answered %d %s" % (self.cid, st, ans[:200]))
                self.seq += 1
                self.stored[c["change"]] = time.monotonic()
                self.after = c["change"]


def sealed(cid, first_change, count):
    return seal(cid, [{"type": "estate.applied", "site": SITE,
                       "data": {"change": first_change + i, "change_type": "site.set", "by": ADMIN[0],
                                "site": SITE, "name": "bench", "age": "new", "time_zone": "Asia/Shanghai"}}
                      for i in range(count)])


async def part_one(svc, cab, out):
    stop = asyncio.Event()
    task = asyncio.create_task(cab.run(svc.port, stop))
    basic = {"Authorization": "Basic " + __import__("base64").b64encode(("%s:%s" % ADMIN).encode()).decode(),
             "Content-Type": "application/json"}
    change_ms, health_ms = [], []
    await asyncio.sleep(0.5)
    for i in range(CHANGES):
        n = cab.after + 1
        t0 = time.monotonic()
        st, body = await http(svc.port, "POST", "/api/v1/estate/sites", basic,
                              json.dumps({"site": SITE, "name": "名%d" % i, "age": "new", "time_zone": "Asia/Shanghai"}))
        if st != 200:
            raise RuntimeError("estate/sites: %d %s" % (st, body[:300]))
        while n not in cab.stored:
            await asyncio.sleep(0.0005)
        change_ms.append((cab.stored[n] - t0) * 1000)
        t0 = time.monotonic()
        st, _ = await http(svc.port, "GET", "/healthz")
        health_ms.append((time.monotonic() - t0) * 1000)
    stop.set()
    await http(svc.port, "POST", "/api/v1/estate/sites", basic,
               json.dumps({"site": SITE, "name": "bench", "age": "new", "time_zone": "Asia/Shanghai"}))
    await asyncio.wait_for(task, 40)
    out.update(change_ms=change_ms, health_ms=health_ms)


async def part_two(svc, cabs, out):
    stop = asyncio.Event()
    basic = {"Authorization": "Basic " + __import__("base64").b64encode(("%s:%s" % ADMIN).encode()).decode(),
             "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    idle_cpu = await loop.run_in_executor(None, cpu_share, svc.proc.pid, 5.0)
    idle_rss = proc_rss_kib(svc.proc.pid)
    tasks = [asyncio.create_task(c.run(svc.port, stop)) for c in cabs]
    await asyncio.sleep(3.0)
    held_cpu = await loop.run_in_executor(None, cpu_share, svc.proc.pid, 5.0)
    held_rss = proc_rss_kib(svc.proc.pid)
    want = {c.cid: c.after + 1 for c in cabs}
    t0 = time.monotonic()
    st, body = await http(svc.port, "POST", "/api/v1/estate/sites", basic,
                          json.dumps({"site": SITE, "name": "全部", "age": "new", "time_zone": "Asia/Shanghai"}))
    post_ms = (time.monotonic() - t0) * 1000
    if st != 200:
        raise RuntimeError("estate/sites: %d %s" % (st, body[:300]))
    stop.set()
    deadline = time.monotonic() + 120
    while any(want[c.cid] not in c.stored for c in cabs) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    fetched = [c.fetched.get(want[c.cid]) for c in cabs]
    stored = [c.stored.get(want[c.cid]) for c in cabs]
    if None in stored:
        raise RuntimeError("%d cabinets never applied the change" % stored.count(None))
    out.update(idle_cpu=idle_cpu, idle_rss=idle_rss, held_cpu=held_cpu, held_rss=held_rss, post_ms=post_ms,
               all_fetched_ms=(max(fetched) - t0) * 1000, all_stored_ms=(max(stored) - t0) * 1000,
               p50_fetched_ms=(pct(fetched, 50) - t0) * 1000)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="bench-feed-")
    svc = Service(tmp=tmp, conf_extra="[server]\nper_address_limit = 20000\nmax_connections = 20000\n"
                  "threads = 4\n[estate]\nfeed_held_max = 20000\n")
    try:
        run(svc, tmp)
    finally:
        svc.stop()


def run(svc, tmp):
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    ids = ["C%04d" % i for i in range(N)]
    toks = []
    for c in ids:
        r = svc.cmd("add-cabinet", c, "--managed")
        assert r.returncode == 0, r.stderr
        toks.append(r.stdout.strip())
    svc.start()
    api = lambda path, row: svc.request("POST", "/api/v1/estate/" + path, row, user=ADMIN)  # noqa: E731
    st, _, data = api("sites", {"site": SITE, "name": "bench", "age": "new", "time_zone": "Asia/Shanghai"})
    assert st == 200, data
    # 1. one cabinet serving the site
    st, _, data = api("cabinets", {"cabinet": ids[0], "sites": [SITE]})
    assert st == 200, data
    first = Cabinet(ids[0], toks[0], sealed(ids[0], 1, CHANGES + 10), 0)
    one = {}
    asyncio.run(part_one(svc, first, one))
    # 2. all of them: each given the site (its first change), already applied
    for c in ids[1:]:
        st, _, data = api("cabinets", {"cabinet": c, "sites": [SITE]})
        assert st == 200, data
    with ThreadPoolExecutor(2) as ex:
        evs = list(ex.map(lambda c: sealed(c, 2, 1), ids[1:]))
    cabs = [first] + [Cabinet(c, t, e, 1) for c, t, e in zip(ids[1:], toks[1:], evs)]
    two = {}
    asyncio.run(part_two(svc, cabs, two))
    applied = svc.sql("SELECT count(*) FROM feed f WHERE state = 'applied' AND change ="
                      " (SELECT max(change) FROM feed WHERE cabinet = f.cabinet)")[0][0]
    ch, he = one["change_ms"], one["health_ms"]
    print("estate feed: change at the office -> the cabinet's estate.applied stored: p50 %.1f ms, p99 %.1f ms"
          " (%d changes); GET /healthz in the same run: p50 %.2f ms, p99 %.2f ms; ratio p50 %.0fx"
          % (pct(ch, 50), pct(ch, 99), len(ch), pct(he, 50), pct(he, 99), pct(ch, 50) / max(pct(he, 50), 0.001)))
    print("estate feed: %d cabinets holding polls: keyauditd CPU %.1f %% of a core (idle %.1f %%), RSS %.1f MiB"
          " (idle %.1f MiB, ratio %.2f)" % (N, two["held_cpu"] * 100, two["idle_cpu"] * 100, two["held_rss"] / 1024,
                                            two["idle_rss"] / 1024, two["held_rss"] / max(two["idle_rss"], 1)))
    print("estate feed: one site.set fanned to %d cabinets: the office's request %.0f ms; all fetched it in %.0f ms"
          " (half in %.0f ms); all their estate.applied stored in %.0f ms; %d feed rows applied"
          % (N, two["post_ms"], two["all_fetched_ms"], two["p50_fetched_ms"], two["all_stored_ms"], applied))
    if applied != N:
        print("estate feed: %d of %d cabinets' changes marked applied" % (applied, N))
        sys.exit(1)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
