#!/usr/bin/env python3
"""Every console page in Chinese, then in English, in a real headless
Chromium (tests/service/chinese-pages.js): keyauditd with the known data
set (dataset.py) plus a gap CAB-OLD sent (an ingest alarm) and a batch
refused for it. A supervisor signs in with the form and visits each page
(the dashboard, the six reports, the printable key log and vacant sheet,
an error page and a missing page) by clicking the navigation and links.

A Chinese page fails on any event code (release.granted...), role, kind
or state code (vacant, supervisor...), English sentence, or UTC time ("Z",
"UTC", "+00:00"); codes are allowed only in their secondary column (the
key log's 事件代码) and in commands to type (<code>). Then the supervisor
clicks English in the navigation: every page's headings, labels and
buttons are English, the choice holds after signing out and in again (it
is the account's, users.lang), and the key log's CSV export has English
headers; clicking 中文 turns the console back to Chinese.

Screenshots of each page at 1366x768 and 390x844 are kept in
$BUILD/test-logs/service/t-chinese-pages/."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset
from svc import Service, browser, check, finish

USER, PASS = "sup", "zh-pages-1234"

svc = Service()
try:
    month, toks, dbs = dataset.serve(svc, USER, PASS, int(time.time() * 1000))
    check(svc.sql("SELECT lang FROM users WHERE name = ?", USER) == [(None,)], "a new account reads Chinese")
    rc = browser("chinese-pages.js", svc, USER, PASS, "t-chinese-pages", MONTH=month)
    check(rc == 0, "chinese-pages.js: every check in the browser held")
    check(svc.sql("SELECT lang FROM users WHERE name = ?", USER) == [(None,)],
          "the account reads Chinese again once 中文 is clicked")
finally:
    svc.stop()
finish()
