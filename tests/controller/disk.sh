# Shared by the tests of the cabinet's own disk (bash; source it after
# lib.sh): keycabd's database on a file system of the test's own, a small
# tmpfs (disk_tmpfs) or an ext4 image on a loop device (disk_ext4), at
# $MNT; the trap stops keycabd and takes the mount and the loop device
# down whatever happens. Needs root: a test that cannot mount exits 77.
MNT=$T/disk
LOOP=
DB=$MNT/keycab.db
SUB_PID=

disk_cleanup() {
	[ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null && wait "$SUB_PID" 2>/dev/null
	[ -n "$KCD_PID" ] && kill "$KCD_PID" 2>/dev/null && wait "$KCD_PID" 2>/dev/null
	KCD_PID=
	if mountpoint -q "$MNT" 2>/dev/null; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	kc_cleanup
}
trap disk_cleanup EXIT

disk_skip() {
	echo "skipped: $*"
	exit 77
}

# disk_tmpfs SIZE: a tmpfs of SIZE (e.g. 8m) at $MNT
disk_tmpfs() {
	mkdir -p "$MNT"
	mount -t tmpfs -o "size=$1,mode=0700" keycab-test "$MNT" 2>"$T/mount.err" ||
		disk_skip "cannot mount a tmpfs ($(cat "$T/mount.err")); the test needs root"
}

# disk_ext4 SIZE: an ext4 image of SIZE on a loop device, mounted at $MNT
# with errors=remount-ro, as an SD card's file system is
disk_ext4() {
	mkdir -p "$MNT"
	truncate -s "$1" "$T/disk.img"
	mkfs.ext4 -q -F "$T/disk.img" >"$T/mount.err" 2>&1 || disk_skip "mkfs.ext4: $(cat "$T/mount.err")"
	LOOP=$(losetup -f --show "$T/disk.img" 2>"$T/mount.err") ||
		disk_skip "no loop device ($(cat "$T/mount.err")); the test needs root and /dev/loop-control"
	mount -t ext4 -o errors=remount-ro "$LOOP" "$MNT" 2>"$T/mount.err" ||
		disk_skip "cannot mount an ext4 image ($(cat "$T/mount.err"))"
}

# disk_fill: another file takes every free block of $MNT
disk_fill() {
	dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$MNT/filler2" bs=4k 2>/dev/null
	sync -f "$MNT" 2>/dev/null
	return 0
}
disk_free() { rm -f "$MNT/filler" "$MNT/filler2"; }

# keycabd's configuration with its database (and hash key) on $MNT
disk_config() {
	kc_config
	sed -i "s|^path = $T/keycab.db|path = $DB|" "$T/keycabd.conf"
	grep -qxF "path = $DB" "$T/keycabd.conf" || { echo "disk_config: no database path"; exit 1; }
}

# The demo estate in a fresh database on $MNT, keycabd running; then
# keycabd is started again, so its WAL starts empty (each write grows it).
disk_estate() {
	kc_cabinet
	disk_config
	sim_start
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
	kcd_start
	DEMO_DIR=$T "$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
	kcd_stop
	kcd_start
}

# storage EXPR: a python expression over the status reply's storage (s)
storage() {
	kc status --json | python3 -c "import json,sys; s=json.load(sys.stdin).get('storage') or {}; print($1)"
}
# key_state KEY; loan_of KEY (the newest); loan_state LOAN
key_state() {
	kc keys --json | python3 -c "import json,sys; print([k['state'] for k in json.load(sys.stdin)['keys'] if k['key']=='$1'][0])"
}
loan_of() {
	kc loans --all --json | python3 -c "import json,sys; print(max([l['loan'] for l in json.load(sys.stdin)['loans'] if l['key']=='$1'] or [0]))"
}
loan_state() {
	kc loans --all --json | python3 -c "import json,sys; print([l['state'] for l in json.load(sys.stdin)['loans'] if l['loan']==$1][0])"
}
# until_eq SECONDS WANT CMD...: polls CMD until it prints WANT
until_eq() {
	local deadline=$((SECONDS + $1)) want=$2
	shift 2
	until [ "$("$@" 2>/dev/null)" = "$want" ]; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# coil_on_ms SLOT: the slot's coil, summed over its history in ms; "on"
# when it is still on
coil_on_ms() {
	sim history "$1" | python3 -c '
import sys
parts = sys.stdin.read().split()[1:]
on, total = None, 0
for p in parts:
    what, t = p.split("@")
    if what == "ON":
        on = int(t)
    elif on is not None:
        total += int(t) - on
        on = None
print("on" if on is not None else total // 1000)'
}

# The keys the tests move: K1 goes out on loan, comes back while the disk
# takes no writes; K2 is granted just before, its window ends meanwhile;
# K3 is asked for meanwhile.
K1=K-LJ-5-103 K1_SLOT=C04 K2=K-LJ-5-106 K2_SLOT=C05 K3=K-HY-2-109 K3_SLOT=C06
rel() { KEYCAB_SESSION=$S kc release "$1" --purpose inspection --borrower E01 --due-in 1h; }

# disk_before: K1 out on loan (L1), K2 granted and its window open (L2)
disk_before() {
	S=$(token S01 1111) || { bad "login S01"; kc_finish; }
	echo "== before: $K1 out on loan, $K2 granted and its window open"
	rel "$K1" >/dev/null && wait_coil "$K1_SLOT" on && sim remove "$K1_SLOT" >/dev/null &&
		wait_key "$K1" out && ok "$K1 taken (out)" || bad "$K1 not out"
	L1=$(loan_of "$K1")
	sim clear-history >/dev/null
	rel "$K2" >/dev/null && ok "$K2 granted" || bad "$K2 not granted"
	L2=$(loan_of "$K2")
}

# disk_while STATE EN ZH: the disk takes no writes; K1 comes back, K2's
# window ends. The status says STATE and how many changes wait, keycab
# status says EN (and ZH in Chinese), the slots read K1, K3 is refused and
# its slot never opens.
disk_while() {
	local present on out since
	sim insert "$K1_SLOT" 0 >/dev/null
	until_eq 10 "$1" storage 's.get("state")' && ok "status: storage $1" || bad "status storage: $(storage 's')"
	wait_coil "$K2_SLOT" off && ok "$K2_SLOT's coil went off at the window's end" || bad "$K2_SLOT's coil still on"
	on=$(coil_on_ms "$K2_SLOT")
	[ "$on" != on ] && [ "$on" -le 3300 ] && ok "$K2_SLOT's coil was on $on ms (window 3 s)" || bad "$K2_SLOT's coil on: $on"
	# the window's grace ends: its end is decided, and cannot be written
	until_eq 10 True storage 's.get("pending", 0) >= 2' && ok "status: $(storage 's["pending"]') changes wait to be written" ||
		bad "status storage: $(storage 's')"
	since=$(storage 's.get("since")')
	[[ $since == 20*Z ]] && ok "status: $1 since $since" || bad "status storage since: $since"
	present=$(kc slots --json | json "[s['presence'] for s in d['slots'] if s['slot']=='$K1_SLOT'][0]")
	[ "$present" = present ] && ok "keycab slots: $K1_SLOT reads its key" || bad "keycab slots: $K1_SLOT $present"
	out=$(kc status)
	has "keycab status says \"$2\"" "$2" "$out"
	has "keycab status says how many changes wait" "changes wait to be written" "$out"
	out=$(LANGUAGE= LC_ALL= LC_MESSAGES= LANG=zh_CN.UTF-8 kc status)
	has "keycab status in Chinese says \"$3\"" "$3" "$out"
	expect 1 "a release meanwhile is refused" rel "$K3"
	has "  ... saying why" "write failed" "$ERR"
	sleep 0.3
	[ "$(sim history "$K3_SLOT")" = OK ] && ok "$K3_SLOT never opened" || bad "$K3_SLOT: $(sim history "$K3_SLOT")"
	kill -0 "$KCD_PID" && ok "keycabd kept running" || bad "keycabd is gone"
}

# disk_subscribe: a subscriber (with S's session) writes what keycabd
# pushes to $T/pushes
disk_subscribe() {
	python3 - "$KEYCAB_SOCKET" "$T/pushes" "$S" <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"op": "subscribe", "session": sys.argv[3]}) + "\n").encode())
with open(sys.argv[2], "wb") as f:
    while True:
        d = s.recv(65536)
        if not d:
            break
        f.write(d)
        f.flush()
PY
	SUB_PID=$!
	wait_for 10 test -s "$T/pushes" || bad "no answer to subscribe"
}
# storage_pushes: the storage pushes so far, "state/pending" each
storage_pushes() {
	python3 -c '
import json, sys
out = []
for line in open(sys.argv[1]):
    p = json.loads(line)
    if p.get("push") == "storage":
        out.append("%s/%d" % (p["storage"]["state"], p["storage"]["pending"]))
print(" ".join(out))' "$T/pushes"
}

# disk_flap SLOT N: the key in SLOT lifted out and put back N times, each
# change seen by keycabd (its slots read) before the next
disk_flap() {
	python3 - "$KEYCAB_SOCKET" "$SIM_CONTROL" "$1" "$2" "$KEYCAB_SRC/tests" <<'PY'
import json, socket, sys, time
sock, simsock, slot, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, sys.argv[5])
import simctl

def presence():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b'{"op":"slots"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(65536)
    s.close()
    return [x["presence"] for x in json.loads(buf)["slots"] if x["slot"] == slot][0]

for i in range(n):
    for cmd, want in (("remove " + slot, "absent"), ("insert %s 0" % slot, "present")):
        simctl.command(simsock, cmd)
        end = time.monotonic() + 5
        while presence() != want:
            if time.monotonic() > end:
                sys.exit("slot %s never read %s" % (slot, want))
            time.sleep(0.01)
PY
}

disk_chain_ok() {
	"$KEYCAB_BIN/keycab-chaincheck" "$DB" && [ "$(sqlite3 "$DB" 'PRAGMA quick_check')" = ok ]
}
