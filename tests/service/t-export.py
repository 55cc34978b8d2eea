#!/usr/bin/env python3
"""Whole filtered reports as downloads, from a real keyauditd over HTTP.

A cabinet in Asia/Shanghai forwards 100,000 sign-ins a minute apart, each
naming an owner's phone number (13812345678) and a Chinese note, far more
rows than a page (100) or a printable page (5000) holds. Then:

- /export/keylog.csv has every row the filter selects (all of them, and
  exactly the 10,000 of a local from/to range), a UTF-8 BOM, Chinese
  headers (English ones with lang=en), local times, the phone masked;
- /export/keylog.xlsx holds the same rows with the time cells numbers in a
  date format (read from the sheet's XML), text cells as strings, a frozen
  header row and column widths; LibreOffice (headless) converts it, and
  the CSV, to CSV with the Chinese and the local dates intact;
- the printable key log holds every row of a filter up to 5000, and says
  so when the filter selects more;
- keyauditd's peak RSS (VmHWM) after exporting 100,000 rows (CSV and
  XLSX) grows over its peak after exporting 10,000 by less than the size
  of the CSV sent (what holding the rows or the file would cost);
- in Chromium, a supervisor signed in with the form filters the key log
  and clicks its CSV link: the download is the whole filtered report."""
import calendar
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import Service, browser, check, fill, finish, forward, iso, say

N = 100000
USER = ("sup", "sup-password-1")
PHONE, MASKED = "13812345678", "138****5678"
# a local (UTC+8) midnight, so the minutes below are whole local minutes
BASE = calendar.timegm((2026, 9, 30, 16, 0, 0)) * 1000
TZ = 8 * 3600000


def local(ms, fmt="%Y-%m-%d %H:%M:%S"):
    return time.strftime(fmt, time.gmtime((ms + TZ) // 1000))


def events():
    out = [{"type": "controller.started", "ts": iso(BASE - 2000), "data": {"version": "t", "time_zone": "Asia/Shanghai"}},
           {"type": "site.registered", "ts": iso(BASE - 1000), "data": {"name": "阳光花园", "age": "old"}, "site": "YG"}]
    for i in range(N):
        out.append({"type": "operator.login", "ts": iso(BASE + i * 60000), "actor": "S01",
                    "data": {"n": i, "owner_phone": PHONE, "note": "阳光花园 巡检"}})
    return out


def get(path):
    st, h, data = svc.request("GET", path, user=USER)
    return st, h, data


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def hwm():
    with open("/proc/%d/status" % svc.proc.pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


def soffice_csv(path, infilter=None):
    """LibreOffice's CSV (UTF-8) of path, as text."""
    out = tempfile.mkdtemp(dir=svc.tmp)
    args = ["soffice", "-env:UserInstallation=file://" + os.path.join(svc.tmp, "lo-profile"), "--headless"]
    if infilter:
        args.append("--infilter=" + infilter)
    args += ["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", out, path]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    files = os.listdir(out)
    if r.returncode != 0 or not files:
        say("  soffice: " + r.stdout + r.stderr)
        return ""
    with open(os.path.join(out, files[0]), encoding="utf-8") as f:
        return f.read()


if os.environ.get("SANITIZE") == "1":
    # ASan keeps freed memory in a quarantine (256 MB by default), which
    # the peak would measure; a small one keeps the peak keyauditd's
    os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                  ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64").lstrip(":")
svc = Service()
try:
    tok = svc.add_cabinet("CAB-YG")
    svc.add_user(USER[0], "supervisor", USER[1])
    svc.start()
    cdb = os.path.join(svc.tmp, "cab.db")
    fill(cdb, "CAB-YG", events())
    r = forward(cdb, svc.url, tok, 600)
    total = svc.sql("SELECT count(*) FROM events")[0][0]
    check(r.returncode == 0 and total == N + 2, "%d events forwarded and stored (%d)" % (N + 2, total))

    say("== peak memory: 10,000 rows, then 100,000")
    frm, to = local(BASE + 1000 * 60000, "%Y-%m-%d %H:%M"), local(BASE + 10999 * 60000, "%Y-%m-%d %H:%M")
    q = "from=%s&to=%s" % (frm.replace(" ", "+"), to.replace(" ", "+"))
    for fmt_ in ("csv", "xlsx"):
        check(get("/export/keylog.%s?%s" % (fmt_, q))[0] == 200, "%s of 10,000 rows" % fmt_)
    h1 = hwm()
    whole = {}
    for fmt_ in ("csv", "xlsx"):
        whole[fmt_] = get("/export/keylog.%s" % fmt_)
        check(whole[fmt_][0] == 200, "%s of %d rows: %d bytes" % (fmt_, total, len(whole[fmt_][2])))
    h2 = hwm()
    say("  VmHWM after 10,000 rows: %d kB; after 100,000: %d kB" % (h1, h2))
    # holding the rows (or the file) would add at least the CSV's size
    check(h2 - h1 < len(whole["csv"][2]) // 1024,
          "the peak grew by %d kB for 10x the rows, less than the %d kB CSV sent" %
          (h2 - h1, len(whole["csv"][2]) // 1024))

    say("== CSV of the whole key log")
    st, h, data = whole["csv"]
    check(st == 200 and h.get("content-type", "").startswith("text/csv"), "200, text/csv (%s)" % st)
    check("attachment" in h.get("content-disposition", "") and ".csv" in h.get("content-disposition", ""),
          "a download: " + h.get("content-disposition", ""))
    check(data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM")
    rows = csv_rows(data)
    check(rows and rows[0][:3] == ["时间", "钥匙柜", "序号"], "Chinese headers: %s" % rows[0][:4])
    check(len(rows) - 1 == total, "every row: %d of %d (a page holds 100)" % (len(rows) - 1, total))
    # the event n=5 is the cabinet's 8th (after controller.started and site.registered)
    row5 = [x for x in rows if x[2:3] == ["8"]]
    check(len(row5) == 1 and row5[0][0] == local(BASE + 5 * 60000),
          "local time: %s is %s (UTC+8)" % (row5[0][0] if row5 else None, local(BASE + 5 * 60000)))
    check(PHONE.encode() not in data and data.count(MASKED.encode()) == N,
          "the phone number never in full; masked in each of the %d rows" % N)

    say("== CSV of a local from/to range, English headers")
    st, h, data = get("/export/keylog.csv?lang=en&" + q)
    rows = csv_rows(data)
    check(st == 200 and rows[0][:3] == ["Time", "Cabinet", "Seq"], "lang=en: English headers %s" % rows[0][:3])
    check(len(rows) - 1 == 10000 and rows[1][0] == local(BASE + 10999 * 60000) and
          rows[-1][0] == local(BASE + 1000 * 60000),
          "from %s to %s (local, as typed): 10000 rows, newest first as on the page, %s back to %s" % (frm, to, rows[1][0], rows[-1][0]))
    with open(os.path.join(svc.tmp, "range.csv"), "wb") as f:
        f.write(data)
    st, h, data = get("/export/keylog.csv?from=2026-13-01")
    check(st == 400 and "from" in data.decode(), "a bad from: 400 saying so (%s)" % st)
    st, h, data = get("/export/nosuch.csv")
    check(st == 404, "an unknown report: 404 (%s)" % st)

    say("== XLSX of the range")
    st, h, data = get("/export/keylog.xlsx?" + q)
    check(st == 200 and "spreadsheetml" in h.get("content-type", ""), "200, an XLSX (%s)" % st)
    xlsx = os.path.join(svc.tmp, "range.xlsx")
    with open(xlsx, "wb") as f:
        f.write(data)
    try:
        z = zipfile.ZipFile(xlsx)
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    except (zipfile.BadZipFile, KeyError) as e:
        check(False, "the XLSX is a zip with a sheet and styles (%s)" % e)
        sheet, styles = "", "<cellXfs"
    check(sheet != "", "the XLSX is a zip with its sheet")
    fmts = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    xfs = re.findall(r"<xf [^>]*?numFmtId=\"(\d+)\"", styles.split("<cellXfs")[1])
    cells = re.findall(r'<c r="([A-Z]+)(\d+)"([^>]*)>(.*?)</c>', sheet)
    a2 = [c for c in cells if c[0] == "A" and c[1] == "2"]
    s_attr = re.search(r's="(\d+)"', a2[0][2]) if a2 else None
    fmt = fmts.get(xfs[int(s_attr.group(1))]) if s_attr else None
    check(len(set(c[1] for c in cells)) == 10001, "header + 10000 rows (%d)" % len(set(c[1] for c in cells)))
    check(bool(a2) and "t=" not in a2[0][2] and bool(fmt) and "yyyy" in fmt and "hh" in fmt,
          "A2 (time) is a number in a date format %r" % fmt)
    serial = float(re.search(r"<v>([^<]+)</v>", a2[0][3]).group(1)) if a2 else 0
    check(abs((serial - 25569) * 86400000 - (BASE + 10999 * 60000 + TZ)) < 1000,
          "A2's date is the local time of the first row, the newest (%.6f)" % serial)
    c2 = [c for c in cells if c[0] == "C" and c[1] == "2"]
    check(bool(c2) and "t=" not in c2[0][2], "C2 (seq) is a number")
    b2 = [c for c in cells if c[0] == "B" and c[1] == "2"]
    check(bool(b2) and ('t="inlineStr"' in b2[0][2] or 't="s"' in b2[0][2]), "B2 (cabinet) is text")
    check('state="frozen"' in sheet and 'ySplit="1"' in sheet, "the header row is frozen")
    check(len(re.findall(r'<col [^>]*width="', sheet)) >= 13, "each column has a width")
    check(PHONE not in sheet and MASKED in sheet, "the phone masked in the sheet")

    say("== LibreOffice opens both")
    text = soffice_csv(xlsx)
    lines = text.splitlines()
    head = next(csv.reader(lines[:1]), [])
    check(head[:3] == ["时间", "钥匙柜", "序号"], "XLSX: Chinese headers intact: %s" % head[:4])
    check(len(lines) == 10001 and lines[1].startswith(local(BASE + 10999 * 60000)) and "阳光花园" in text,
          "XLSX: 10000 rows, the local date shown as such, the Chinese note intact (%d lines; %s)" %
          (len(lines), lines[1][:40] if len(lines) > 1 else ""))
    text = soffice_csv(os.path.join(svc.tmp, "range.csv"), "CSV:44,34,76")
    lines = text.splitlines()
    check(len(lines) == 10001 and "阳光花园" in text and lines[1].startswith(local(BASE + 10999 * 60000)[:10]),
          "CSV: 10000 rows, the Chinese intact (%d lines; %s)" % (len(lines), lines[1][:40] if len(lines) > 1 else ""))

    say("== the printable key log")
    st, h, data = get("/r/keylog?print=1&" + q)
    page = data.decode()
    check(st == 200 and page.count("<tr>") == 5001 and "打印版只含前 5000 条，共 10000 条" in page,
          "10000 rows: the first 5000 printed and a notice says so (%d rows)" % (page.count("<tr>") - 1))
    frm2 = local(BASE + 200 * 60000, "%Y-%m-%d %H:%M")
    to2 = local(BASE + 3199 * 60000, "%Y-%m-%d %H:%M")
    st, h, data = get("/r/keylog?print=1&from=%s&to=%s" % (frm2.replace(" ", "+"), to2.replace(" ", "+")))
    page = data.decode()
    check(st == 200 and page.count("<tr>") == 3001 and "打印版只含" not in page,
          "3000 rows: all printed, no notice (%d rows)" % (page.count("<tr>") - 1))

    say("== in Chromium: filter, then click CSV")
    # the key log's from and to are date pickers: one whole local day, 1440 minutes
    day = local(BASE + 2 * 86400000, "%Y-%m-%d")
    check(browser("export.js", svc, USER[0], USER[1], "t-export", KC_FROM=day, KC_TO=day, KC_ROWS="1440") == 0,
          "export.js: every check in the browser held")
finally:
    svc.stop()
finish()
