#!/usr/bin/env bash
# keycabd against a baseline keycabd (another commit, main by default):
# release latency and RSS measured in the same run, in alternating rounds
# (A B A B ...: baseline, then this build), each round a fresh keycabd on a
# copy of the same database, BENCH_AB_RELEASES releases of vacant keys over
# the demo cabinet's 24 slots against one keycab-sim. Reports, per build, the
# median over all its releases of request -> reply on the socket and request
# -> coil on at keycab-sim, the median of the rounds' VmRSS and VmHWM, and
# the ratio of the medians (this build / baseline). Machines here are shared
# and noisy: the rounds interleave so that a slow minute slows both builds.
#   BENCH_AB_ROUNDS    rounds per build (default 8)
#   BENCH_AB_RELEASES  releases per round (default 150)
#   BENCH_BASE_BIN     a directory holding the baseline keycabd; else
#   BENCH_BASE_REF     the commit to build it from (default main), built
#                      into $BUILD/bench-base (kept for the next run)
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}" "${BUILD:?}"
ROUNDS=${BENCH_AB_ROUNDS:-8}
N=${BENCH_AB_RELEASES:-150}

base_build() {
	local ref=${BENCH_BASE_REF:-main} dir=$BUILD/bench-base commit
	commit=$(git -C "$KEYCAB_SRC" rev-parse --verify "$ref^{commit}") || return 1
	if [ "$(cat "$dir/commit" 2>/dev/null)" != "$commit" ] || [ ! -x "$dir/b/bin/keycabd" ]; then
		rm -rf "$dir" && mkdir -p "$dir/src" || return 1
		git -C "$KEYCAB_SRC" archive "$commit" | tar -x -C "$dir/src" || return 1
		make -C "$dir/src" -j2 BUILD="$dir/b" "$dir/b/bin/keycabd" >"$dir/build.log" 2>&1 ||
			{ tail "$dir/build.log"; return 1; }
		echo "$commit" >"$dir/commit"
	fi
	echo "baseline: $ref ($commit)"
	BASE_BIN=$dir/b/bin
}
if [ -n "${BENCH_BASE_BIN:-}" ]; then
	BASE_BIN=$BENCH_BASE_BIN
	echo "baseline: $BASE_BIN/keycabd"
else
	base_build || { echo "the baseline keycabd could not be built"; exit 1; }
fi

source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/bench/estate.sh"
KC_WINDOW=1s
kc_cabinet
kc_config
sed -i -e 's/^grace = .*/grace = 0s/' "$T/keycabd.conf"
sim_start

# the database every round starts from: a vacant key in every slot, in
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
bench_estate || exit 1
kcd_stop
mkdir -p "$T/template"
cp "$T"/keycab.db* "$T/template/"

# one round: build $1 (base or new) from binary directory $2
round() {
	local name=$1 bin=$2 r=$3
	rm -f "$T"/keycab.db*
	cp "$T"/template/keycab.db* "$T/"
	"$bin/keycabd" -c "$T/keycabd.conf" --test-clock >>"$T/keycabd-$name.log" 2>&1 &
	KCD_PID=$!
	wait_for 15 kc ping || { echo "keycabd ($name) did not start"; tail -20 "$T/keycabd-$name.log"; exit 1; }
	sim clear-history >/dev/null
	python3 "$KEYCAB_SRC/bench/releases.py" "$T" "$N" "$T/ab-$name-$r.txt" >/dev/null || exit 1
	for s in $(awk '{print $1}' "$T/ab-$name-$r.txt" | sort -u); do echo "$s $(sim history "$s")"; done \
		>"$T/ab-$name-$r.hist"
	awk '/^VmRSS|^VmHWM/ {print $1, $2}' "/proc/$KCD_PID/status" >"$T/ab-$name-$r.mem"
	kcd_stop
}

echo "$ROUNDS rounds per build, A B A B ..., $N releases each (each window 1 s, not taken)"
for r in $(seq 1 "$ROUNDS"); do
	round base "$BASE_BIN" "$r"
	round new "$KEYCAB_BIN" "$r"
done

python3 - "$T" "$ROUNDS" <<'PY'
import statistics, sys
T, R = sys.argv[1], int(sys.argv[2])
def coil_on(releases, hist):
    """request -> the first coil-on of its slot at or after it, in ms"""
    ons = {}
    for line in open(hist):
        slot, ok, *parts = line.split()
        ons[slot] = sorted(int(p.split("@")[1]) for p in parts if p.startswith("ON@"))
    nxt, lat = {}, []
    for slot, t0, _ in releases:
        k = nxt.get(slot, 0)
        while k < len(ons.get(slot, [])) and ons[slot][k] < t0:
            k += 1
        if k < len(ons.get(slot, [])):
            lat.append((ons[slot][k] - t0) / 1000.0)
            nxt[slot] = k + 1
    return lat
fig = {}
for name in ("base", "new"):
    reply, coil, rss, hwm, p50s = [], [], [], [], []
    for r in range(1, R + 1):
        rel = [(s, int(a), int(b)) for s, a, b in (l.split() for l in open("%s/ab-%s-%d.txt" % (T, name, r)))]
        rr = [(b - a) / 1000.0 for _, a, b in rel]
        reply += rr
        p50s.append(statistics.median(rr))
        coil += coil_on(rel, "%s/ab-%s-%d.hist" % (T, name, r))
        mem = dict(l.split() for l in open("%s/ab-%s-%d.mem" % (T, name, r)))
        rss.append(int(mem["VmRSS:"]))
        hwm.append(int(mem["VmHWM:"]))
    fig[name] = {"reply": reply, "coil": coil, "rss": rss, "hwm": hwm, "p50s": p50s}
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]
print("%-44s %12s %12s %8s" % ("", "baseline", "this build", "ratio"))
rows = (("release request -> reply, median ms", lambda f: statistics.median(f["reply"])),
        ("release request -> reply, p90 ms", lambda f: q(f["reply"], 90)),
        ("release request -> coil on, median ms", lambda f: statistics.median(f["coil"])),
        ("median of the rounds' reply medians, ms", lambda f: statistics.median(f["p50s"])),
        ("keycabd VmRSS after a round, median kB", lambda f: statistics.median(f["rss"])),
        ("keycabd VmHWM after a round, median kB", lambda f: statistics.median(f["hwm"])))
for label, fn in rows:
    a, b = fn(fig["base"]), fn(fig["new"])
    print("%-44s %12.3f %12.3f %8.3f" % (label, a, b, b / a if a else float("nan")))
print("releases: %d baseline, %d this build (coil-on matched: %d, %d)" %
      (len(fig["base"]["reply"]), len(fig["new"]["reply"]), len(fig["base"]["coil"]), len(fig["new"]["coil"])))
for label, i in (("latency (reply median)", 0), ("RSS (VmRSS median)", 4)):
    a, b = rows[i][1](fig["base"]), rows[i][1](fig["new"])
    print("%s within 10 %% of the baseline: %s" % (label, "met" if b <= a * 1.10 else "NOT met"))
PY
