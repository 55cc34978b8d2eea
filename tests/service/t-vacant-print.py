#!/usr/bin/env python3
"""The monthly vacant-unit report as it is filed: keyauditd with the known
data set (dataset.py: 新城花园 SN and 老街小区 SO) plus a large site whose
60 vacant units were not inspected (so its table runs over pages), printed
to PDF by Chromium (tests/service/vacant-print.js: sign in, click the
report, pick the month, click the printable page, print) and read back
with pdftotext, page by page:

- the estate ([report] estate), each site by name, the month as 2026年11月,
  when it was generated in local time (Asia/Shanghai);
- coverage against target per site (83.3 % of 80 %, met; 80.0 % of 100 %,
  not met), the units not inspected, the problems with their follow-up
  (forwarded to 工程部 / not forwarded) and the overdue inspection keys;
- names, not codes: the inspector and borrower by name, results and
  states as words (no "problems", "true", "E01");
- signature lines (制表人, 审核主管, 日期) for each site;
- page numbers "第 N 页 / 共 M 页" on every page, M the PDF's page count,
  and the long table's header repeated on each page it runs over.

The PDF, its text and a screenshot are kept in the test logs."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, check, fill, finish, forward, say

SRC = os.environ["KEYCAB_SRC"]
LOGS = os.path.join(os.environ["BUILD"], "test-logs")
ESTATE = "示范物业服务中心"
DAY = 86400000


def big_site(now_ms):
    """Site SL, 大型小区: 60 vacant units, none inspected this month."""
    _, ms, _ = dataset.month_bounds(now_ms)
    pre = ms - 20 * DAY
    out = [{"type": "controller.started", "ts": dataset.iso(pre), "data": {"version": "test"}},
           {"type": "site.registered", "ts": dataset.iso(pre + 1000), "data": {"name": "大型小区", "age": "old"},
            "site": "SL"}]
    for i in range(1, 61):
        out.append({"type": "unit.registered", "ts": dataset.iso(pre + 2000 + i),
                    "data": {"vacant": True, "building": str(1 + i // 20), "room": "%d" % (100 + i)},
                    "unit": "L%02d" % i, "site": "SL"})
    return out


node_path = subprocess.run([os.path.join(SRC, "tests/kiosk/npm-setup.sh")], capture_output=True, text=True)
if node_path.returncode != 0:
    say("npm ci failed: " + node_path.stderr)
    sys.exit(1)

svc = Service(conf_extra="[report]\nestate = %s\n" % ESTATE)
try:
    toks = {c: svc.add_cabinet(c) for c in ("CAB-NEW", "CAB-OLD", "CAB-BIG")}
    svc.add_user("sup", "supervisor", "sup-password-1")
    svc.start()
    now = int(time.time() * 1000)
    month, new, old = dataset.build(now)
    for cab, evs in (("CAB-NEW", new), ("CAB-OLD", old), ("CAB-BIG", big_site(now))):
        db = os.path.join(svc.tmp, cab + ".db")
        fill(db, cab, evs)
        r = forward(db, svc.url, toks[cab], 60)
        check(r.returncode == 0, "%s: %d events forwarded" % (cab, len(evs)))

    pdf = os.path.join(LOGS, "vacant-report.pdf")
    shot = os.path.join(LOGS, "vacant-report-print.png")
    env = dict(os.environ, NODE_PATH=node_path.stdout.strip(), URL=svc.url, KC_USER="sup",
               KC_PASS="sup-password-1", MONTH=month, PDF=pdf, SHOT=shot)
    if os.path.exists(pdf):
        os.unlink(pdf)
    t0 = time.time()
    r = subprocess.run(["node", os.path.join(SRC, "tests/service/vacant-print.js")], env=env,
                       capture_output=True, text=True, timeout=180)
    say("  browser (%.1f s): %s %s" % (time.time() - t0, r.stdout.strip(), r.stderr.strip()[-800:]))
    check(r.returncode == 0 and os.path.exists(pdf) and os.path.getsize(pdf) > 1000,
          "Chromium printed the report to PDF")
    how = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
    if how.get("signin") == "basic":
        say("  NOTE: the sign-in form was refused (%r); the page was reached with HTTP basic credentials"
            % how.get("refused"))
    check("print=1" in how.get("url", "") and "month=" + month in how.get("url", ""),
          "the printable page of the month picked: %s" % how.get("url"))

    info = re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout)
    pages = int(info.group(1)) if info else 0
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), pdf, "-"], capture_output=True,
                            text=True).stdout for p in range(1, pages + 1)]
    text = "\n".join(texts)
    with open(os.path.join(LOGS, "vacant-report.txt"), "w") as f:
        f.write(text)
    flat = re.sub(r"\s+", " ", text)
    say("  %d pages; page 1:\n    " % pages + "\n    ".join(texts[0].splitlines()[:40] if texts else []))

    y, m = month.split("-")
    check(ESTATE in text, "the estate: " + ESTATE)
    check("%s年%d月" % (y, int(m)) in text, "the month: %s年%d月" % (y, int(m)))
    for name in ("新城花园", "老街小区", "大型小区"):
        check(name in text, "the site by name: " + name)
    gen = re.search(r"生成时间[:：]?\s*(\d{4}-\d\d-\d\d \d\d:\d\d)", text)
    local_now = datetime.datetime.utcfromtimestamp(now / 1000) + datetime.timedelta(hours=8)
    check(gen is not None and
          abs((datetime.datetime.strptime(gen.group(1), "%Y-%m-%d %H:%M") - local_now).total_seconds()) < 600,
          "generated at %s, local time (+08:00; now %s)" % (gen.group(1) if gen else None,
                                                             local_now.strftime("%Y-%m-%d %H:%M")))
    check(re.search(r"83\.3\s*%", text) and re.search(r"80\.0\s*%", text) and "达标" in text and "未达标" in text,
          "coverage against target: 83.3 % (target met) and 80.0 % (not met)")
    for unit in ("N5", "O5", "L01", "L60"):
        check(re.search(r"\b%s\b" % unit, text), "not inspected: " + unit)
    check("卫生间漏水" in flat and "墙面开裂" in flat, "the problems found")
    check(re.search(r"已转呈\s*工程部", flat) and "未转呈" in flat,
          "each problem's follow-up: forwarded to 工程部, not forwarded")
    check(re.search(r"\bN3\b", text) and re.search(r"\bO2\b", text) and "KN3" in text,
          "the overdue inspection keys: N3 (KN3), O2")
    check("王工" in text, "the inspector and borrower by name (王工)")
    for code in ("E01", "problems", "inspection", "true", "false", "vacant"):
        check(not re.search(r"\b%s\b" % code, text), "no code %r on the page" % code)
    sig = [t for t in texts if "制表人" in t and "审核主管" in t and "日期" in t]
    check(len(sig) >= 3 and len(re.findall("制表人", text)) == 3, "signature lines (制表人, 审核主管, 日期) for each of "
          "the 3 sites (%d pages carry them)" % len(sig))

    numbered = [i + 1 for i, t in enumerate(texts) if re.search(r"第\s*%d\s*页\s*/\s*共\s*%d\s*页" % (i + 1, pages), t)]
    check(pages >= 3 and numbered == list(range(1, pages + 1)),
          "every page numbered 第 N 页 / 共 %d 页 (%s)" % (pages, numbered))
    big = [i + 1 for i, t in enumerate(texts) if re.search(r"\bL\d\d\b", t)]
    head = [p for p in big if re.search(r"房号\s+楼栋\s+房间", texts[p - 1])]
    check(len(big) >= 2 and head == big, "the long table runs over pages %s, its header on each (%s)" % (big, head))
    shutil.copy(pdf, os.path.join(LOGS, "vacant-report-%s.pdf" % month))
finally:
    svc.stop()
finish()
