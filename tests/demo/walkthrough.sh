#!/usr/bin/env bash
# A walk through the key custody rules at the cabinet, for a newcomer to
# read along: each step says what happens and why, then runs the real
# keycab command and shows its output. Keys go in and out of the
# simulated cabinet (keycab-sim) as a person's hand would. The steps the
# cabinet's touchscreen terminal (keycab-kiosk) offers too are marked
# [终端 terminal] with the taps that do them there.
# Env: KEYCAB_BIN, KEYCAB_SOCKET, SIM_CONTROL, DEMO_DIR (a temp dir);
# KIOSK_URL when make demo runs the terminal.
# Run after tests/demo/estate/setup.sh on a fresh keycabd.
set -uo pipefail
: "${KEYCAB_BIN:?}" "${KEYCAB_SOCKET:?}" "${SIM_CONTROL:?}" "${DEMO_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/demo/narrate.sh
source "$here/narrate.sh"
export KEYCAB_SOCKET SIM_CONTROL
export XDG_RUNTIME_DIR=$DEMO_DIR/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset KEYCAB_SESSION
export PATH="$KEYCAB_BIN:$PATH"
bold= dim= norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null) dim=$(tput dim 2>/dev/null) norm=$(tput sgr0 2>/dev/null); fi
step=0

# fail FORMAT [ARG...]: the walk cannot go on
fail() { msg "$@"; exit 1; }
# wrap: English folded at spaces to 100 columns; Chinese, which has no
# spaces to fold at, as the terminal wraps it
wrap() { if [ "$NARRATE_LANG" = zh ]; then cat; else fold -s -w 100; fi; }
# chapter, say, terminal FORMAT [ARG...]: narration (tests/demo/narrate.sh)
chapter() { step=$((step + 1)); printf '\n%s== %d. %s ==%s\n' "$bold" "$step" "$(msg "$@")" "$norm"; }
say() { msg "$@" | wrap; }
# terminal: the same step at the touchscreen terminal
terminal() { printf '%s[%s%s] %s%s\n' "$bold" "$(_ "终端 terminal")" "${KIOSK_URL:+ $KIOSK_URL}" "$(msg "$@")" "$norm" | wrap; }
# show CMD...: the command as one would type it (an `sh -c` shows its script)
show() {
	local line= a
	if [ "$1" = sh ] && [ "$2" = -c ]; then line=$3; else
		for a in "$@"; do
			case $a in *[[:space:]]*) line+="'$a' " ;; *) line+="$a " ;; esac
		done
	fi
	printf '%s$ %s%s\n' "$dim" "${line% }" "$norm"
}
# run CMD...: a step that must work
run() {
	show "$@"
	"$@" 2>&1 | sed 's/^/    /'
	local rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || fail "walkthrough: \"%s\" failed (exit %s)" "$*" "$rc"
}
# refuse CMD...: a step the rules must refuse (exit 3)
refuse() {
	show "$@"
	"$@" 2>&1 | sed 's/^/    /'
	local rc=${PIPESTATUS[0]}
	[ "$rc" = 3 ] || fail "walkthrough: \"%s\" should have been refused (exit %s)" "$*" "$rc"
}
# hand remove SLOT | insert SLOT TAG: what a hand does at the cabinet
# (keycab-sim; tag 0: a slot that reads no tag)
hand() {
	local line
	case $1 in
	remove) line=$(msg "[cabinet] a hand takes the key out of slot %s" "$2") ;;
	insert) if [ "$3" = 0 ]; then line=$(msg "[cabinet] a hand puts the key into slot %s" "$2")
		else line=$(msg "[cabinet] a hand puts the key with tag %s into slot %s" "$3" "$2"); fi ;;
	esac
	printf '%s%s%s\n' "$dim" "$line" "$norm"
	"$here/../simctl.py" "$@" >/dev/null || fail "walkthrough: keycab-sim refused: %s" "$*"
}
wait_until() { # wait_until SECONDS CMD...
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
key_is() { keycab --json keys | python3 -c "import json,sys; sys.exit(0 if [k for k in json.load(sys.stdin)['keys'] if k['key']=='$1' and k['state']=='$2'] else 1)"; }
coil_on() { "$here/../simctl.py" coil "$1" | grep -q 'OK on'; }
# take KEY SLOT: the slot opens, the person takes the key
take() {
	wait_until 10 coil_on "$2" || fail "walkthrough: slot %s never opened" "$2"
	hand remove "$2"
	wait_until 10 key_is "$1" out || wait_until 1 key_is "$1" collected || fail "walkthrough: %s not seen out" "$1"
}
# put KEY SLOT [TAG]: a key goes back into a slot
put() {
	hand insert "$2" "${3:-0}"
	wait_until 10 key_is "$1" in || fail "walkthrough: %s not seen back" "$1"
}
loan_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["loan"])'; }

chapter "Logging in (rule 1: every release has an authenticated operator)"
say "Wang Fang (王芳, customer-service desk 客服) starts her shift. Nothing opens without a staff member identified by PIN or card. The PIN is read from stdin or a prompt without echo, never from the command line, where ps would show it."
refuse keycab release K-HY-1-108 --purpose inspection --due-in 4h
run sh -c 'echo 1111 | keycab login S01 --pin-stdin'
terminal "输入密码登录 → 王芳 → 1111 → 确定 (Log in with PIN → Wang Fang → 1111 → OK); a card reader logs in with a tap of the card."
run keycab status

chapter "Importing the registry: every rejected row says why"
say "Administrators import sites, units, owners and keys from CSV. A row that cannot be taken is reported with its line and the reason; the good rows go in. (keycab only: the terminal does no administration.)"
cat >"$DEMO_DIR/units-extra.csv" <<'CSV'
code,site,building,room,vacant
LJ-6-101,LJ,6,101,yes
LJ-6-102,XX,6,102,no
LJ-6-103,LJ,6,103,maybe
CSV
show cat units-extra.csv; sed 's/^/    /' "$DEMO_DIR/units-extra.csv"
show keycab import units units-extra.csv
keycab import units "$DEMO_DIR/units-extra.csv" 2>&1 | sed 's/^/    /'

chapter "A vacant-unit key for an inspection (rule 5, 空置房检查)"
say "Vacant units are inspected every month: 80 %% of them on a new site, all of them on an old one. Engineer Zhang Wei (张伟) borrows the key of vacant unit HY-1-108 for an inspection. A vacant key goes out for an inspection or a repair, and always with a due time."
refuse keycab release K-HY-1-108 --purpose inspection --borrower E01
run keycab release K-HY-1-108 --purpose inspection --borrower E01 --due-in 4h
terminal "空房检查 → K-HY-1-108 → 张伟 → 开格 (Vacant inspection → the key → Zhang Wei → Open slot): 4 taps; the screen says the slot is open, counts the window down and turns to 已取走 taken when the key leaves."
take K-HY-1-108 B01
say "Slot B01 opened for a bounded window and relocked; the sensor saw the key leave, so the loan is out."
run keycab loans
say "Zhang Wei comes back and puts the key in its slot. The return is seen by the slot sensor, not typed in. Because it was an inspection, the desk now records the result (《空置房检查记录》)."
put K-HY-1-108 B01
L=$(keycab --json loans --all | python3 -c 'import json,sys; print([l["loan"] for l in json.load(sys.stdin)["loans"] if l["key"]=="K-HY-1-108"][-1])')
run keycab loans --all
say "He found a water stain on the ceiling: problems found are forwarded to a department (发现问题及时转呈相关部门) and followed up in the monthly report."
refuse keycab inspect "$L" --result problems --problems "water stain on the bedroom ceiling"
run keycab inspect "$L" --result problems --problems "water stain on the bedroom ceiling" --forwarded-to 工程部
terminal "Zhang Wei logs in himself (PIN 3333): 在外钥匙与证件 → 记录检查结果 → 发现问题, the text, 工程部 → 保存 (Keys out and IDs held → Record the inspection → Problems found → Engineering → Save)."

chapter "An entrusted key for a borrower (rules 2 and 3, 托管钥匙借用)"
say "Owner Liu Jianguo (刘建国) left the key of HY-1-101 with the desk. His tenant Tan Wei asks for it. A borrower who is not the owner needs: the owner's signed authorisation letter (委托书) on file, the desk's confirmation of that letter with the owner, the borrower's valid ID held at the desk (留下借用人有效证件), and a registered loan with contact and signature."
refuse keycab release K-HY-1-101 --purpose borrow --borrower "Tan Wei"
ENT=$(keycab --json entrustments | python3 -c 'import json,sys; print([e["entrustment"] for e in json.load(sys.stdin)["entrustments"] if e["key"]=="K-HY-1-101"][0])')
say "Tan Wei hands over the owner's letter. The desk files it, with the borrower's ID number kept only as a salted hash and a masked form."
run sh -c "echo 440301199512125559 | keycab letter file $ENT --borrower 'Tan Wei' --id-type id_card --id-stdin --to $(date -u -d '+14 days' +%Y-%m-%d) --ref WT-2026-001"
LET=$(keycab --json letters | python3 -c 'import json,sys; print(json.load(sys.stdin)["letters"][-1]["letter"])')
refuse sh -c "echo 440301199512125559 | keycab release K-HY-1-101 --purpose borrow --borrower 'Tan Wei' --contact 13700001111 --signature REG-0001 --letter $LET --id-type id_card --id-stdin"
say "Wang Fang calls Mr Liu, who confirms the letter (客服与业主联系确认). She records who confirmed, when and how."
run keycab letter confirm "$LET" --channel phone
terminal "租户借用 → K-HY-1-101 → the letter on file: the owner's name and phone are on screen, one tap records the call. (Filing a letter is keycab's.)"
refuse keycab release K-HY-1-101 --purpose borrow --borrower "Tan Wei" --contact 13700001111 --signature REG-0001 --letter "$LET"
say "Now with the ID card held at the desk:"
run sh -c "echo 440301199512125559 | keycab release K-HY-1-101 --purpose borrow --borrower 'Tan Wei' --contact 13700001111 --signature REG-0001 --letter $LET --id-type id_card --id-stdin"
LB=$(keycab --json loans | python3 -c 'import json,sys; print([l["loan"] for l in json.load(sys.stdin)["loans"] if l["key"]=="K-HY-1-101"][0])')
terminal "then the borrower's ID number, contact and register reference on the digit pad, a due preset, 开格放行 (Release); a mistyped ID number is caught on the spot."
take K-HY-1-101 A01
run keycab ids
say "Tan Wei wants his ID card back before returning the key: the desk keeps it until the key is back in its slot (rule 3)."
refuse keycab id release "$LB"
put K-HY-1-101 A01 0x1001
run keycab id release "$LB"
terminal "on the return the screen says K-HY-1-101 已归还 with a button 归还证件 (Hand the ID back)."

chapter "A sealed key needs a manager's approval (rule 4, 封存钥匙启用审批)"
say "A water pipe bursts in LJ-3-203; its owner's key is sealed (封存). It opens only with the approval of the service manager: a second credential at the cabinet, or an approval issued beforehand for this key and a short window."
refuse keycab release K-LJ-3-203 --purpose emergency --borrower E02
say "Manager Chen (陈经理) enters his own PIN at the cabinet:"
run sh -c 'echo 5555 | keycab release K-LJ-3-203 --purpose emergency --borrower E02 --approver M01 --approver-pin-stdin'
terminal "封存钥匙 → K-LJ-3-203 → 陈经理 enters 5555 on the same screen → 开格放行 (Release). (An approval issued beforehand is keycab's.)"
take K-LJ-3-203 A05
put K-LJ-3-203 A05 0x1005
say "For a planned opening, the manager issues the approval beforehand, from his own session:"
M01=$(echo 5555 | keycab login M01 --pin-stdin --print-token)
run env KEYCAB_SESSION="$M01" keycab approve K-LJ-5-101 --for 30m
AP=$(keycab --json approvals | python3 -c 'import json,sys; print([a["approval"] for a in json.load(sys.stdin)["approvals"] if a["method"]=="issued"][-1])')
run keycab release K-LJ-5-101 --purpose emergency --borrower E02 --approval "$AP"
take K-LJ-5-101 A06
put K-LJ-5-101 A06 0x1006

chapter "A repair key against a work order (rule 6, 返修钥匙)"
say "Engineer Zhang Wei repairs a defect in HY-1-105. Repair keys go to engineers against a work-order number and are due back the same day."
refuse keycab release K-HY-1-105 --purpose repair --borrower E01
run keycab release K-HY-1-105 --purpose repair --borrower E01 --work-order WO-2026-0107
terminal "维修 → K-HY-1-105 → 张伟 → the work order on the pad → 开格 (Repair → the key → Zhang Wei → work order → Open slot)."
take K-HY-1-105 B06

chapter "A tamper alarm (rule 10)"
say "Someone forces the key of HY-2-103 out of its locked slot C01, with no release open. The cabinet raises a tamper alarm; the key is missing until it is back."
hand remove C01
wait_until 10 key_is K-HY-2-103 missing
run keycab alarms
hand insert C01 0
wait_until 10 key_is K-HY-2-103 in
TA=$(keycab --json alarms | python3 -c 'import json,sys; print([a["alarm"] for a in json.load(sys.stdin)["alarms"] if a["type"]=="tamper"][0])')
say "The key is back; the alarm stays open until a staff member says what was done about it."
run keycab alarm clear "$TA" --note "key forced by a contractor; checked with the owner, key intact"
terminal "the idle screen shows the open alarm; 告警 → the alarm, what to do about it → a note → 消除告警 (Alarms → a note → Clear alarm)."

chapter "A return to the wrong slot (rule 9)"
say "Two vacant keys go out for inspections. The slots A01-A08 read the key's tag, so when the key of HY-1-103 comes back into slot A08 (the home of HY-1-104's key), the cabinet knows which key it is: the return is recorded, with a wrong-slot alarm."
run keycab release K-HY-1-103 --purpose inspection --borrower E02 --due-in 2h
take K-HY-1-103 A07
run keycab release K-HY-1-104 --purpose inspection --borrower E02 --due-in 2h
take K-HY-1-104 A08
hand insert A08 0x1007
wait_until 10 key_is K-HY-1-103 in
run keycab alarms

chapter "After the end of an entrustment, the key goes only to its owner (rules 7 and 8)"
say "Mr Qian (钱进) entrusted the key of HY-2-104 until yesterday. The system sent notices before the end and on the end date, and sends reminders until he collects it (到期通知业主携带有效证件办理领取)."
run keycab notices
say "A borrower, even with a letter, cannot have it now:"
refuse keycab release K-HY-2-104 --purpose borrow --borrower "Someone"
say "Mr Qian comes himself. His ID is matched against the hash on file; a wrong ID is refused:"
refuse sh -c 'echo 310101197212120001 | keycab collect K-HY-2-104 --signature COL-2026-031 --id-stdin'
run sh -c 'echo 310101197212126665 | keycab collect K-HY-2-104 --signature COL-2026-031 --id-stdin'
terminal "业主领取 → K-HY-2-104 → the owner's ID number and the signature reference on the pad → 开格放行 (Owner collection → Release)."
take K-HY-2-104 C03
say "He signs the collection confirmation and takes the key: the entrustment is closed."
run keycab entrustments

chapter "Shift handover (rule 12, 交接班)"
say "Wang Fang's shift ends. The handover sheet lists the keys out with borrower and due time, the IDs held and the open alarms. Li Na (李娜), coming in, confirms it with her own login; the supervisor reviews and signs it later."
run keycab handover start
HO=$(keycab --json handovers | python3 -c 'import json,sys; print(json.load(sys.stdin)["handovers"][-1]["handover"])')
refuse keycab handover confirm "$HO"
S02=$(echo 2222 | keycab login S02 --pin-stdin --print-token)
run env KEYCAB_SESSION="$S02" keycab handover confirm "$HO"
terminal "交接班 → 生成交接单 (Shift handover → Make the handover sheet: printable); Li Na confirms with her own PIN (2222) on the same screen. (The supervisor's review is keycab's and the office's.)"
Q01=$(echo 6666 | keycab login Q01 --pin-stdin --print-token)
run env KEYCAB_SESSION="$Q01" keycab handover review "$HO"

chapter "Everything is an event (rule 11)"
say "Every decision above, grant or refusal, every hardware event and every notice is an event in the cabinet's outbox, sealed into a hash chain and forwarded to the audit service (keyauditd), where supervisors search and export it (rule 13)."
run keycab status
echo
msg "walkthrough complete"
