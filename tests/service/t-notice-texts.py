#!/usr/bin/env python3
"""What is worth a notice, and the truth in it: a real keyauditd, a cabinet
(Asia/Shanghai) whose events go through the forwarder, and a webhook
receiver in this test. Checked, in Chinese and English:

- every text names the site and the unit by name (阳光花园, 1栋101), the
  person by name, the event's time in the site's zone, and what to do;
  the payload carries the event's time in UTC, the recipient kind and the
  site's name;
- the tamper text has no codes and no English in its Chinese;
- an 'end' notice made on the end day says 今日; one that arrives after
  that day says 已于…到期, never 今日;
- one board fault is one notice naming the board and its slots, and its
  clearing is a board_ok notice;
- an entrusted key taken out and put back tells its owner who took it, for
  a site in [notify] key_use_sites only;
- a cabinet whose link stops is an office alarm after offline_after_s
  with a cabinet_offline notice, and cabinet_online when it is back;
- templates from [templates] dir files are the ones used;
- a daily summary per site at [notify] daily_summary_at: keys out,
  overdue, IDs held, handovers not reviewed, to the supervisors."""
import datetime
import http.server
import json
import os
import re
import sys
import threading
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, check, fill, finish, forward, iso, say

SH = ZoneInfo("Asia/Shanghai")
got = []
lock = threading.Lock()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            got.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, SH).strftime("%Y-%m-%d %H:%M")


def local_midnight(days):
    """ms of the local midnight `days` days from today's (Asia/Shanghai)."""
    d = datetime.datetime.now(SH).date() + datetime.timedelta(days=days)
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=SH).timestamp() * 1000)


def day(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, SH).strftime("%Y-%m-%d")


def wait_notices(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with lock:
            hit = [b for b in got if pred(b)]
        if hit:
            return hit
        time.sleep(0.1)
    return []


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=srv.serve_forever, daemon=True).start()
tpl = None
now = int(time.time() * 1000)
HOUR = 3600000
T_TAMPER = now - 3 * HOUR + 17 * 60000
T_FAULT = now - 2 * HOUR
T_OUT = now - HOUR
END_TODAY = local_midnight(1)        # an entrustment to today: ends at the next local midnight
END_PAST = local_midnight(-1)        # one to the day before yesterday
svc_conf = ("[notify]\nwebhook = http://127.0.0.1:%d/hook\nbackoff_min_ms = 100\nmax_attempts = 2\n"
            "offline_after_s = 5\nkey_use_sites = YG\n[templates]\ndir = %%s\n") % srv.server_address[1]
svc = Service(conf_extra="")
try:
    # an admin's template directory: the shipped alarm text in Chinese
    # replaced by one of their own; every other kind keeps the shipped one
    tpl = os.path.join(svc.tmp, "templates")
    os.mkdir(tpl)
    with open(os.path.join(tpl, "key_out.zh.txt"), "w") as f:
        f.write("# 业主钥匙取出提醒（物业自编）\n【{site}】{owner_name}您好：{unit}的钥匙于{time}由{person}取出。如有疑问请致电客服中心。\n")
    with open(svc.conf, "a") as f:
        f.write(svc_conf % tpl)
    tok = svc.add_cabinet("CAB-YG")
    svc.start()

    def ev(ts, type_, data=None, **m):
        e = {"type": type_, "ts": iso(ts), "data": data or {}}
        e.update(m)
        return e

    base = now - 10 * 24 * HOUR
    evs = [
        ev(base, "controller.started", {"version": "test", "time_zone": "Asia/Shanghai"}),
        ev(base + 1000, "site.registered", {"name": "阳光花园", "age": "old"}, site="YG"),
        ev(base + 1100, "site.registered", {"name": "翠湖苑", "age": "old"}, site="CH"),
        ev(base + 2000, "unit.registered", {"vacant": False, "building": "1", "room": "101"}, unit="YG-1-101", site="YG"),
        ev(base + 2100, "unit.registered", {"vacant": False, "building": "3", "room": "502"}, unit="CH-3-502", site="CH"),
        ev(base + 3000, "key.registered", {"tag": 0}, key="K-YG-1-101", kind="entrusted", unit="YG-1-101", site="YG", slot="C01"),
        ev(base + 3100, "key.registered", {"tag": 0}, key="K-CH-3-502", kind="entrusted", unit="CH-3-502", site="CH", slot="C02"),
        ev(base + 4000, "person.registered", {"role": "engineer", "name": "张伟"}, person="E01"),
        ev(base + 5000, "entrustment.registered",
           {"entrustment": 1, "owner_name": "刘建国", "owner_phone": "13812345678", "start": iso(base), "end": iso(END_TODAY)},
           actor="S01", person="O01", key="K-YG-1-101", unit="YG-1-101", site="YG"),
        ev(base + 5100, "entrustment.registered",
           {"entrustment": 2, "owner_name": "陈静", "owner_phone": "13912345678", "start": iso(base), "end": iso(END_PAST)},
           actor="S01", person="O02", key="K-CH-3-502", unit="CH-3-502", site="CH"),
        # the end day's notice made on the end day, and one that reaches
        # the office a day late (the cabinet was offline on its day)
        ev(now - 60000, "notice.due", {"notice": 1, "entrustment": 1, "stage": "end", "end": iso(END_TODAY),
                                       "owner_name": "刘建国", "owner_phone": "13812345678"},
           person="O01", key="K-YG-1-101", unit="YG-1-101", site="YG"),
        ev(END_PAST - 8 * HOUR, "notice.due", {"notice": 2, "entrustment": 2, "stage": "end", "end": iso(END_PAST),
                                               "owner_name": "陈静", "owner_phone": "13912345678"},
           person="O02", key="K-CH-3-502", unit="CH-3-502", site="CH"),
        ev(T_TAMPER, "alarm.raised", {"alarm": 7, "alarm_type": "tamper",
                                      "detail": "key K-YG-1-101 left slot C01 with no release open (tamper)"},
           key="K-YG-1-101", slot="C01", unit="YG-1-101", site="YG"),
        ev(T_FAULT, "alarm.raised", {"alarm": 8, "alarm_type": "fault", "board": "relays",
                                     "slots": ["C01", "C02", "C03"], "detail": "board relays of slot C01: timeout"}),
        ev(T_FAULT + 5 * 60000, "alarm.cleared", {"alarm": 8, "alarm_type": "fault", "board": "relays",
                                                  "slots": ["C01", "C02", "C03"], "reason": "board answers again"}),
        # the entrusted keys of both sites lent and back: YG's owner is told
        ev(T_OUT - 5000, "release.granted", {"loan": 11, "purpose": "borrow", "due": iso(T_OUT + HOUR), "window_ms": 10000},
           actor="S01", person="E01", key="K-YG-1-101", kind="entrusted", unit="YG-1-101", site="YG", slot="C01"),
        ev(T_OUT, "release.taken", {"loan": 11}, key="K-YG-1-101", slot="C01"),
        ev(T_OUT + 1800000, "loan.returned", {"loan": 11, "purpose": "borrow", "overdue": False},
           person="E01", key="K-YG-1-101", kind="entrusted", unit="YG-1-101", site="YG", slot="C01"),
        ev(T_OUT - 4000, "release.granted", {"loan": 12, "purpose": "borrow", "due": iso(T_OUT + HOUR), "window_ms": 10000},
           actor="S01", person="E01", key="K-CH-3-502", kind="entrusted", unit="CH-3-502", site="CH", slot="C02"),
        ev(T_OUT + 1000, "release.taken", {"loan": 12}, key="K-CH-3-502", slot="C02"),
    ]
    cdb = os.path.join(svc.tmp, "c.db")
    fill(cdb, "CAB-YG", evs)
    r = forward(cdb, svc.url, tok, 60)
    check(r.returncode == 0, "the cabinet's %d events stored through the forwarder" % len(evs))
    wait_notices(lambda b: b["notice"] == "key_back")
    time.sleep(0.5)
    with lock:
        by = {}
        for b in got:
            by.setdefault(b["notice"], []).append(b)
    for k in sorted(by):
        for b in by[k]:
            say("  %s (%s, %s): %s" % (k, b["recipient"], b["event_time"], b["text_zh"]))
            say("      %s" % b["text_en"])

    say("== the payload: event time (UTC), recipient, site")
    tamper = by.get("alarm", [None])[0]
    check(tamper and tamper["event_time"] == iso(T_TAMPER) and tamper["recipient"] == "desk" and
          tamper["site"] == "YG" and tamper["site_name"] == "阳光花园",
          "alarm: event_time %s, recipient desk, site YG 阳光花园" % (tamper and tamper["event_time"]))

    say("== the tamper text")
    zh = tamper["text_zh"] if tamper else ""
    check("阳光花园" in zh and "1栋101" in zh and "非法取出" in zh and local(T_TAMPER) in zh,
          "names the site, the unit, the alarm in words and the local time %s" % local(T_TAMPER))
    check(not re.search(r"tamper|slot|left|release|key ", zh) and "(tamper)" not in zh,
          "no code word and no English in the Chinese text")
    check("请" in zh and "解除报警" in zh, "says what to do")
    check("Key taken without a release" in tamper["text_en"] and "1栋101" in tamper["text_en"],
          "the English text says it in English")

    say("== 'today' only on the day itself")
    ends = {b["fields"]["entrustment"]: b for b in by.get("end", [])}
    check(len(ends) == 2, "two end notices")
    t1 = ends.get("1", {}).get("text_zh", "")
    t2 = ends.get("2", {}).get("text_zh", "")
    check(("今日（%s）到期" % day(END_TODAY - 1)) in t1 and "刘建国" in t1 and "阳光花园" in t1,
          "made on its end day: 今日（%s）到期" % day(END_TODAY - 1))
    check("今日" not in t2 and ("已于%s到期" % day(END_PAST - 1)) in t2 and "翠湖苑" in t2 and "3栋502" in t2,
          "reaching the office after its day: 已于%s到期, no 今日" % day(END_PAST - 1))
    check("ended on %s" % day(END_PAST - 1) in ends.get("2", {}).get("text_en", "") and
          "today" not in ends.get("2", {}).get("text_en", ""), "and in English: ended on, no today")
    check(all(b["recipient"] == "owner" for b in ends.values()), "end notices are for the owner")

    say("== one board fault: one notice, and its end")
    bf, bo = by.get("board_fault", []), by.get("board_ok", [])
    check(len(bf) == 1 and len(bo) == 1, "one board_fault and one board_ok notice (%d, %d)" % (len(bf), len(bo)))
    check(bf and "relays" in bf[0]["text_zh"] and "C01、C02、C03" in bf[0]["text_zh"] and local(T_FAULT) in bf[0]["text_zh"]
          and "工程" in bf[0]["text_zh"], "board_fault names the board, its slots (C01、C02、C03), the time, whom to call")
    check(bf and "C01, C02, C03" in bf[0]["text_en"], "and in English the slots as C01, C02, C03")
    check(bo and "恢复" in bo[0]["text_zh"] and local(T_FAULT + 5 * 60000) in bo[0]["text_zh"],
          "board_ok: the board answers again at %s" % local(T_FAULT + 5 * 60000))
    check(not by.get("alarm") or len(by["alarm"]) == 1, "the fault is no tamper/wrong-slot alarm notice")

    say("== the owner told of the key's use, where the site says so")
    ko, kb = by.get("key_out", []), by.get("key_back", [])
    check(len(ko) == 1 and len(kb) == 1, "YG: key_out and key_back; CH (not in key_use_sites): none")
    check(ko and ko[0]["text_zh"].startswith("【阳光花园】刘建国您好：1栋101的钥匙于%s由张伟取出。" % local(T_OUT)),
          "key_out from the admin's template file: who took it (张伟) and when")
    check(kb and "张伟" in kb[0]["text_zh"] and "放回" in kb[0]["text_zh"] and kb[0]["recipient"] == "owner",
          "key_back: put back by 张伟, to the owner")
    check(ko and "taken out of the cabinet by 张伟" in ko[0]["text_en"], "the English key_out: the shipped template")

    say("== the daily summary to the supervisors, once a day per site")
    svc.stop()
    with open(svc.conf, "a") as f:
        f.write("[notify]\ndaily_summary_at = 00:00\n")
    svc.start(port=svc.port)
    ds = wait_notices(lambda b: b["notice"] == "daily_summary")
    time.sleep(2.5)
    with lock:
        ds = {b["site"]: b for b in got if b["notice"] == "daily_summary"}
        n_ds = len([b for b in got if b["notice"] == "daily_summary"])
    for b in ds.values():
        say("  %s: %s" % (b["site"], b["text_zh"]))
    today = datetime.datetime.now(SH).strftime("%Y-%m-%d")
    check(n_ds == 2 and set(ds) == {"YG", "CH"}, "one summary for each site, not one a tick (%d)" % n_ds)
    check("CH" in ds and ("【翠湖苑】%s钥匙日报：借出未还1把，其中逾期1把" % today) in ds["CH"]["text_zh"] and
          ds["CH"]["recipient"] == "supervisor", "翠湖苑: its key out, overdue, for the supervisors")
    check("YG" in ds and "借出未还0把" in ds["YG"]["text_zh"] and "1 out" in ds["CH"]["text_en"],
          "阳光花园: none out; the English says it too")

    say("== a cabinet whose link stops")
    t0 = time.time()
    off = wait_notices(lambda b: b["notice"] == "cabinet_offline", timeout=30)
    dt = time.time() - t0
    check(len(off) == 1 and "CAB-YG" in off[0]["text_zh"] and "阳光花园" in off[0]["text_zh"] and
          "网络" in off[0]["text_zh"], "cabinet_offline after %.1f s: the cabinet, its site, what to check" % dt)
    al = svc.sql("SELECT kind, cleared_ms FROM ingest_alarms WHERE cabinet = 'CAB-YG' AND kind = 'offline'")
    check(al == [("offline", None)], "an office alarm, open: %s" % al)
    time.sleep(2)
    check(len([b for b in got if b["notice"] == "cabinet_offline"]) == 1, "one notice, however long it lasts")
    fill(cdb, "CAB-YG", [ev(int(time.time() * 1000), "operator.login", {"method": "pin"}, actor="S01")])
    r = forward(cdb, svc.url, tok, 60)
    on = wait_notices(lambda b: b["notice"] == "cabinet_online")
    check(len(on) == 1 and "恢复连接" in on[0]["text_zh"] and on[0]["recipient"] == "desk",
          "back: cabinet_online, %s" % (on and on[0]["text_zh"]))
    al = svc.sql("SELECT count(*) FROM ingest_alarms WHERE kind = 'offline' AND cleared_ms IS NULL")
    check(al == [(0,)], "the offline alarm cleared")
finally:
    svc.stop()
    srv.shutdown()
finish()
