#!/bin/sh
# /init of the card login VM (tests/kiosk/t-card-vm.sh), busybox: the
# network (e1000, user networking; the host reaches the kiosk's 127.0.0.1
# through route_localnet), evdev and uinput, then keycab-sim, keycabd with
# the people of /etc/card-vm.env enrolled with their cards, the uinput
# card reader (card-typer on ttyS1, the host's command line) and
# keycab-kiosk reading it. Waits for the host's "quit", stops everything,
# prints every log on the console and powers off. Every line the runner
# looks for starts with CARDVM.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
echo "CARDVM BOOTED $(uname -r)"
die() {
	echo "CARDVM FAIL $*"
	for f in /tmp/kc/*.log; do [ -f "$f" ] && { echo "CARDVM LOG $f"; cat "$f"; }; done
	poweroff -f
}
# Written by the runner: KIOSK_PORT, the people and their cards, the
# sanitizers' options.
. /etc/card-vm.env
for m in evdev uinput e1000; do insmod /lib/modules/$m.ko || die "insmod $m"; done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || die "no eth0"
# packets for 127.0.0.1 from eth0 (QEMU's hostfwd), and ARP for it
for c in all eth0; do echo 1 >/proc/sys/net/ipv4/conf/$c/route_localnet; done

T=/tmp/kc
mkdir -p $T
export KEYCAB_SOCKET=$T/keycabd.sock
wait_for() { # tries (of 0.1 s), command...
	n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
sed -e "s|@T@|$T|g" /etc/keycabd.conf.in >$T/keycabd.conf
sed -e "s|@T@|$T|g" /etc/cabinet.conf.in >$T/cabinet.conf
/bin/keycab-sim -c $T/cabinet.conf --control $T/sim.sock --quiet >$T/sim.log 2>&1 &
SIM=$!
wait_for 200 test -e $T/ttyRS485 || die "keycab-sim did not start"
/bin/keycabd -c $T/keycabd.conf --init-db >>$T/keycabd.log 2>&1 || die "keycabd --init-db"
/bin/keycabd -c $T/keycabd.conf >>$T/keycabd.log 2>&1 &
KCD=$!
wait_for 300 /bin/keycab ping || die "keycabd did not start"
# the people, with a PIN and a card each (read from stdin, never argv)
printf '%s\n%s\n' 1111 "$CARD_S01" |
	/bin/keycab person add S01 --name "$NAME_S01" --role staff --pin-stdin --card-stdin >/dev/null ||
	die "person add S01"
printf '%s\n%s\n' 3333 "$CARD_E01" |
	/bin/keycab person add E01 --name "$NAME_E01" --role engineer --pin-stdin --card-stdin >/dev/null ||
	die "person add E01"
unset CARD_S01 CARD_E01

/card-typer /dev/ttyS1 &
TYPER=$!
wait_for 100 test -e /tmp/by-id/usb-keycab_test_card_reader-event-kbd || die "card-typer made no keyboard"
cat >$T/kiosk.conf <<CONF
[kiosk]
port = $KIOSK_PORT
socket = $KEYCAB_SOCKET
idle_timeout = 60s
pairing_key = /etc/kiosk-pairing
terminal_key = /etc/terminal.key
[card_reader]
device = /tmp/by-id/usb-keycab_test_card_reader-event-kbd
CONF
/bin/keycab-kiosk -c $T/kiosk.conf >$T/kiosk.log 2>&1 &
KIOSK=$!
wait_for 300 wget -q -O /dev/null http://127.0.0.1:$KIOSK_PORT/static/favicon.svg || die "keycab-kiosk did not start"
wait_for 100 grep -q "open and grabbed" $T/kiosk.log || die "the kiosk did not grab the card reader"
echo "CARDVM READY $(cut -d ' ' -f 1 /proc/uptime)"

# The host types cards and drives the page; "quit" ends card-typer.
wait $TYPER
echo "CARDVM TYPER EXIT $?"
rc=0
for p in $KIOSK $KCD $SIM; do
	kill $p
	wait $p || { echo "CARDVM STOP $p exit $?"; rc=1; }
done
for f in kiosk keycabd sim; do
	echo "CARDVM LOG $f"
	cat $T/$f.log
	echo "CARDVM END LOG $f"
done
echo "CARDVM EXIT $rc"
poweroff -f
