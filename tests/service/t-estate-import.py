#!/usr/bin/env python3
"""Bulk import of people, units and keys from a spreadsheet against a real
keyauditd (service/import_*.c, web_import.c): CSV and XLSX files (written
by kc-sheet-fixture with libxlsxwriter, shared and inline strings) with
good and bad rows. The preview names each rejected row by its line and
why (a duplicate code, an unknown site, a bad role, a text too long, an
empty required cell, a bad phone, a slot or tag given twice, an unknown
unit or cabinet, a bad yes/no or number), in English and Chinese, and
changes nothing; the apply with the preview's token writes exactly the
accepted rows, each an office-chain event, with the changes on the
managed cabinets' feeds; a token works once, for the same file and
account; a supervisor imports units and keys of their sites only, no
people. Bad files are refused with a clear message: GBK, UTF-16, .xls, a
damaged or cut XLSX, a zip bomb, an XML entity bomb, too many rows, a
missing column, the wrong media type. The browser half (the page in
Chinese, the file chosen with the file input, the preview, the
confirmation) is tests/service/estate-import.js."""
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_client import Client
from svc import BIN, Service, browser, check, fill, finish, forward, iso, say

ADMIN = ("adm", "adm-password-1")
SUP = ("supsn", "supsn-password-1")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIXTURE = os.path.join(BIN, "kc-sheet-fixture")
TMP = tempfile.mkdtemp(prefix="t-estate-import-")


def xlsx(rows, inline=False):
    """A workbook of rows (lists of cells; see kc-sheet-fixture) as bytes."""
    path = os.path.join(TMP, "f.xlsx")
    tsv = "".join("\t".join(str(c) for c in r) + "\n" for r in rows)
    subprocess.run([FIXTURE] + (["--inline"] if inline else []) + [path], input=tsv.encode(), check=True)
    with open(path, "rb") as f:
        return f.read()


def csv(rows, bom=True):
    text = "".join(",".join(r) + "\r\n" for r in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def api(svc, table, body, ctype="text/csv", user=ADMIN, **q):
    from urllib.parse import urlencode
    st, _, data = svc.request("POST", "/api/v1/estate/import?" + urlencode(dict(table=table, **q)), body,
                              {"Content-Type": ctype}, user=user)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, {"raw": data.decode(errors="replace")}


def rejected(rep):
    """{line: [codes]} of a preview's rejected rows."""
    return {r["line"]: [w["code"] for w in r["why"]] for r in rep.get("rejected", [])}


def accepted(rep):
    return {r["line"]: r["action"] for r in rep.get("accepted", [])}


def estate_state(svc):
    """What an import may change: the master rows, the feeds, the office chain."""
    return (svc.sql("SELECT * FROM estate_people ORDER BY person"), svc.sql("SELECT * FROM estate_units ORDER BY unit"),
            svc.sql("SELECT * FROM estate_keys ORDER BY key"), svc.sql("SELECT count(*) FROM feed"),
            svc.sql("SELECT count(*) FROM events WHERE cabinet = '@office'"))


def feed(svc, cabinet):
    return [(t, json.loads(d)) for t, d in svc.sql("SELECT type, data FROM feed WHERE cabinet = ? ORDER BY change",
                                                   cabinet)]


svc = Service()
try:
    svc.add_user(ADMIN[0], "admin", ADMIN[1])
    svc.add_user(SUP[0], "supervisor", SUP[1])
    tokens = {}
    for cab in ("CAB-A", "CAB-B"):
        r = svc.cmd("add-cabinet", cab, "--managed")
        assert r.returncode == 0, r.stderr
        tokens[cab] = r.stdout.strip()
    svc.add_cabinet("CAB-S")  # standalone
    svc.start()
    # each site as its cabinet registered it (what the accounts' scopes name)
    now = int(time.time() * 1000)
    for cab, site, name in (("CAB-A", "SN", "新城花园"), ("CAB-B", "SO", "老街小区")):
        db = os.path.join(TMP, cab + ".db")
        fill(db, cab, [{"type": "site.registered", "ts": iso(now - 60000), "site": site,
                        "data": {"name": name, "age": "new"}}])
        check(forward(db, svc.url, tokens[cab], 60).returncode == 0, "%s registered %s" % (cab, site))
    st, _, body = svc.request("POST", "/api/v1/estate/sites", json.dumps([
        {"site": "SN", "name": "新城花园", "age": "new", "time_zone": "Asia/Shanghai"},
        {"site": "SO", "name": "老街小区", "age": "old", "time_zone": "Asia/Shanghai"}]),
        {"Content-Type": "application/json"}, user=ADMIN)
    check(st == 200, "two sites registered through the estate API (%d %s)" % (st, body[:200]))
    st, _, body = svc.request("POST", "/api/v1/estate/cabinets", json.dumps([
        {"cabinet": "CAB-A", "sites": ["SN"]}, {"cabinet": "CAB-B", "sites": ["SO"]}]),
        {"Content-Type": "application/json"}, user=ADMIN)
    check(st == 200, "CAB-A serves SN, CAB-B serves SO (%d %s)" % (st, body[:200]))
    adm = Client(svc, *ADMIN)
    check(adm.login() == 303, "the admin signs in")
    st, _ = adm.account("sites", SUP[0], site="SN")
    check(st == 200, "supsn is limited to SN")

    say("== people from a CSV (UTF-8 with a BOM, Chinese headers): the preview")
    long_name = "长" * 121
    people = csv([
        ["编号", "姓名", "角色", "手机", "部门", "小区", "备注"],
        ["E01", "张伟", "客服", "13800138000", "客服部", "SN", "x"],          # 2: good
        ["E02", "李娜", "engineer", "139-0013-9000", "工程部", "SN、SO", ""],  # 3: good, two sites
        ["E01", "王五", "staff", "13700137000", "", "SN", ""],              # 4: E01 again
        ["E03", "赵六", "cook", "13600136000", "", "SN", ""],               # 5: bad role
        ["E04", long_name, "staff", "13500135000", "", "SN", ""],          # 6: name too long
        ["E05", "", "staff", "13400134000", "", "SN", ""],                 # 7: empty name
        ["E06", "孙七", "staff", "12ab", "", "SN", ""],                    # 8: bad phone
        ["E07", "周八", "manager", "13300133000", "", "XX", ""],           # 9: unknown site
    ])
    before = estate_state(svc)
    st, rep = api(svc, "people", people, preview=1)
    check(st == 200 and rep.get("ok") and rep["rows"] == 8, "preview: 200, 8 rows read (%d %s)" % (st, str(rep)[:300]))
    check(accepted(rep) == {2: "add", 3: "add"}, "lines 2 and 3 to add (%s)" % accepted(rep))
    rj = rejected(rep)
    want = {4: "estimport_code_twice", 5: "office_estate_role_bad", 6: "office_estate_text_bad",
            7: "estimport_cell_empty", 8: "office_estate_phone_bad", 9: "office_estate_site_unknown"}
    check({k: v[0] for k, v in rj.items()} == want, "each rejected line with its reason: %s" % rj)
    why = {r["line"]: r["why"][0] for r in rep["rejected"]}
    check("line 2" in why[4]["message"] and "第 2 行" in why[4]["message_zh"],
          "line 4 names line 2, in English and Chinese: %s / %s" % (why[4]["message"], why[4]["message_zh"]))
    check("“姓名”为空" in why[7]["message_zh"], "line 7: 姓名 is empty (%s)" % why[7]["message_zh"])
    check("XX" in why[9]["message"] and "XX" in why[9]["message_zh"], "line 9 names the site XX")
    check(rep["ignored"] == ["备注"], "the column 备注 is listed as not read (%s)" % rep["ignored"])
    phones = [r["fields"].get("phone") for r in rep["accepted"]]
    check(all(p and "*" in p for p in phones) and "13800138000" not in json.dumps(rep),
          "phones masked in the preview (%s)" % phones)
    check(estate_state(svc) == before, "the preview changed nothing (people, feeds, office chain)")
    token = rep["token"]

    say("== a supervisor may not import people; another account's token is refused")
    st, r2 = api(svc, "people", people, user=SUP, preview=1)
    check(st == 403 and r2.get("code") == "estimport_people_admin", "supsn: 403 (%d %s)" % (st, r2.get("code")))
    st, r2 = api(svc, "people", people, user=SUP, token=token)
    check(st == 403, "supsn applying the admin's people preview: 403 (%d)" % st)

    say("== the file changed between preview and apply is refused")
    changed = people.replace(b"13800138000", b"13800138001")
    st, r2 = api(svc, "people", changed, token=token)
    check(st == 409 and r2.get("code") == "estimport_file_changed", "409 file changed (%d %s)" % (st, r2.get("code")))
    check("预览" in r2.get("message_zh", ""), "in Chinese: %s" % r2.get("message_zh"))
    check(estate_state(svc) == before, "nothing changed")
    st, r2 = api(svc, "people", people, token=token)
    check(st == 409 and r2.get("code") == "estimport_token_unknown",
          "the token is spent by the refused apply: preview again (%d %s)" % (st, r2.get("code")))

    say("== preview again, apply: exactly the accepted rows")
    st, rep = api(svc, "people", people, preview=1)
    st, res = api(svc, "people", people, token=rep["token"])
    check(st == 200 and res.get("applied") == 2 and res.get("rejected") == 6, "apply: 200, 2 applied, 6 rejected (%d %s)"
          % (st, str(res)[:300]))
    got = svc.sql("SELECT person, name, role, department, phone_masked FROM estate_people ORDER BY person")
    check(got == [("E01", "张伟", "staff", "客服部", "138****8000"), ("E02", "李娜", "engineer", "工程部", "139-****-9000")],
          "estate_people holds E01 and E02 as imported (%s)" % got)
    sites = svc.sql("SELECT person, site FROM estate_person_sites ORDER BY person, site")
    check(sites == [("E01", "SN"), ("E02", "SN"), ("E02", "SO")], "their sites (%s)" % sites)
    codes = [r.get("enrol_code") for r in res["rows"]]
    check(all(c and c.isdigit() for c in codes), "each new person has a one-time enrolment code in the answer")
    fa, fb = feed(svc, "CAB-A"), feed(svc, "CAB-B")
    pa = sorted(d["person"] for t, d in fa if t == "person.set")
    pb = sorted(d["person"] for t, d in fb if t == "person.set")
    check(pa == ["E01", "E02"] and pb == ["E02"], "person.set on CAB-A's feed: %s, on CAB-B's: %s" % (pa, pb))
    check(not feed(svc, "CAB-S"), "nothing for the standalone cabinet")
    office = svc.sql("SELECT type, person FROM events WHERE cabinet = '@office' AND type LIKE 'office.estate_person%'"
                     " ORDER BY seq")
    check([p for t, p in office if t == "office.estate_person_saved"] == ["E01", "E02"],
          "an office-chain event per person saved (%s)" % office)
    log = svc.log_text()
    check(not any(c in log for c in codes) and "13800138000" not in log, "no enrolment code or phone in the log")
    st, r2 = api(svc, "people", people, token=rep["token"])
    check(st == 409 and r2.get("code") == "estimport_token_unknown", "the same token again: 409 (%d)" % st)

    say("== units from an XLSX (shared strings) by a supervisor of SN")
    units_rows = [["房屋编号", "小区", "楼栋", "房号", "空置"],
                  ["U1", "SN", "1", "#n:101", "是"],      # 2: good (a room as a number)
                  ["U2", "SN", "1", "#n:102", "#b:0"],    # 3: good (a boolean cell)
                  ["U3", "SO", "2", "201", "否"],          # 4: not supsn's site
                  ["U4", "XX", "2", "202", "否"],          # 5: unknown site
                  ["U5", "SN", "3", "301", "也许"],        # 6: not yes or no
                  ["U1", "SN", "1", "103", "否"],          # 7: U1 again
                  [],                                      # 8: blank, skipped
                  ["U6", "SN", "", "", ""]]                # 9: good, building and room empty
    units = xlsx(units_rows)
    before = estate_state(svc)
    st, rep = api(svc, "units", units, XLSX, user=SUP, preview=1)
    check(st == 200 and rep.get("format") == "xlsx", "preview (%d %s)" % (st, str(rep)[:300]))
    check(accepted(rep) == {2: "add", 3: "add", 9: "add"}, "lines 2, 3, 9 to add (%s)" % accepted(rep))
    rj = {k: v[0] for k, v in rejected(rep).items()}
    check(rj == {4: "office_estate_not_yours", 5: "office_estate_site_unknown", 6: "estimport_cell_yes_no",
                 7: "estimport_code_twice"}, "rejected with reasons: %s" % rj)
    check(estate_state(svc) == before, "the preview changed nothing")
    st, res = api(svc, "units", units, XLSX, user=SUP, token=rep["token"])
    check(st == 200 and res.get("applied") == 3, "apply by supsn: 3 units (%d %s)" % (st, str(res)[:200]))
    got = svc.sql("SELECT unit, site, building, room, vacant, updated_by FROM estate_units ORDER BY unit")
    check(got == [("U1", "SN", "1", "101", 1, "supsn"), ("U2", "SN", "1", "102", 0, "supsn"),
                  ("U6", "SN", "", "", 0, "supsn")], "estate_units: %s" % got)
    ua = sorted(d["unit"] for t, d in feed(svc, "CAB-A") if t == "unit.set")
    check(ua == ["U1", "U2", "U6"] and not [1 for t, d in feed(svc, "CAB-B") if t == "unit.set"],
          "unit.set on CAB-A's feed only (%s)" % ua)
    st, rep = api(svc, "units", units, XLSX, user=SUP, preview=1)
    check(accepted(rep) == {2: "same", 3: "same", 9: "same"}, "the same file again: every row unchanged (%s)"
          % accepted(rep))

    say("== keys from an XLSX of inline strings")
    keys_rows = [["钥匙", "房屋", "类型", "柜", "格口", "标签"],
                 ["K1", "U1", "封存", "CAB-A", "A01", "0x1234"],   # 2: good (kind in Chinese, hex tag)
                 ["K2", "U2", "entrusted", "CAB-A", "A02", ""],    # 3: good, no tag
                 ["K3", "U2", "vacant", "CAB-A", "A01", "#n:7"],   # 4: A01 again
                 ["K4", "U9", "repair", "CAB-A", "A04", ""],       # 5: unknown unit
                 ["K5", "U1", "sealed", "CAB-X", "A05", ""],       # 6: unknown cabinet
                 ["K6", "U1", "sealed", "CAB-A", "A06", "abc"],    # 7: tag not a number
                 ["K7", "U1", "sealed", "CAB-A", "A07", "0x1234"],  # 8: tag again
                 ["K8", "U1", "", "CAB-A", "A08", ""],             # 9: no kind
                 ["K11", "U1", "sealed", "CAB-S", "S01", ""]]      # 10: a standalone cabinet
    keys = xlsx(keys_rows, inline=True)
    st, rep = api(svc, "keys", keys, XLSX, preview=1)
    check(st == 200 and accepted(rep) == {2: "add", 3: "add"}, "lines 2 and 3 to add (%d %s)" % (st, accepted(rep)))
    rj = {k: v[0] for k, v in rejected(rep).items()}
    check(rj == {4: "estimport_slot_twice", 5: "office_estate_unit_unknown", 6: "office_estate_cabinet_unknown",
                 7: "estimport_cell_number", 8: "estimport_tag_twice", 9: "estimport_cell_empty",
                 10: "office_estate_cabinet_standalone"},
          "rejected with reasons: %s" % rj)
    st, res = api(svc, "keys", keys, XLSX, token=rep["token"])
    check(st == 200 and res.get("applied") == 2, "apply: 2 keys (%d)" % st)
    got = svc.sql("SELECT key, unit, kind, cabinet, slot, tag FROM estate_keys ORDER BY key")
    check(got == [("K1", "U1", "sealed", "CAB-A", "A01", 0x1234), ("K2", "U2", "entrusted", "CAB-A", "A02", 0)],
          "estate_keys: %s" % got)
    ka = sorted(d["key"] for t, d in feed(svc, "CAB-A") if t == "key.set")
    check(ka == ["K1", "K2"], "key.set on CAB-A's feed (%s)" % ka)

    say("== the estate changed between preview and apply")
    more = xlsx([["钥匙", "房屋", "类型", "柜", "格口"], ["K9", "U1", "sealed", "CAB-A", "A09"]])
    st, rep = api(svc, "keys", more, XLSX, preview=1)
    st, _, _ = svc.request("POST", "/api/v1/estate/keys", json.dumps([{"key": "K10", "unit": "U1", "kind": "sealed",
                                                                         "cabinet": "CAB-A", "slot": "A09", "tag": 0}]),
                           {"Content-Type": "application/json"}, user=ADMIN)
    check(st == 200, "meanwhile K10 takes slot A09 through the estate API")
    before = estate_state(svc)
    st, r2 = api(svc, "keys", more, XLSX, token=rep["token"])
    check(st == 409 and r2.get("code") == "estimport_estate_changed", "apply: 409, the estate changed (%d %s)"
          % (st, r2.get("code")))
    check(estate_state(svc) == before, "nothing written")

    say("== bad files: a clear message each, nothing changed")
    before = estate_state(svc)
    good = xlsx([["编号", "姓名"], ["E09", "x"]])
    entity = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
            z.writestr(name, zipfile.ZipFile(io.BytesIO(good)).read(name))
        z.writestr("xl/worksheets/sheet1.xml", b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
                   b'/2006/main"><sheetData>' + b" " * (64 * 1024 * 1024) + b"</sheetData></worksheet>")
    laughs = io.BytesIO()
    with zipfile.ZipFile(laughs, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            z.writestr(name, zipfile.ZipFile(io.BytesIO(good)).read(name))
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                   '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet><sheetData><row r="1"><c t="inlineStr">'
                   '<is><t>&b;</t></is></c></row></sheetData></worksheet>')
    no_book = io.BytesIO()
    with zipfile.ZipFile(no_book, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml"))
    too_many = csv([["编号", "姓名", "角色", "小区"]] + [["P%d" % i, "x", "staff", "SN"] for i in range(10001)])
    bad = [
        ("a GBK CSV", "姓名,角色\n张伟,staff\n".encode("gbk"), "text/csv", 400, "sheet_gbk", "GBK"),
        ("a UTF-16 CSV", "\ufeff姓名\t角色\n".encode("utf-16-le"), "text/csv", 400, "sheet_utf16", "UTF-16"),
        ("an .xls workbook", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, XLSX, 400, "sheet_xls", ".xls"),
        ("an XLSX cut in half", good[:len(good) // 2], XLSX, 400, "sheet_xlsx_damaged", "XLSX"),
        ("a zip bomb (64 MB of XML in %d KB)" % (len(bomb.getvalue()) // 1024), bomb.getvalue(), XLSX, 413,
         "sheet_xlsx_too_big", "32 MB"),
        ("an XML entity bomb", laughs.getvalue(), XLSX, 400, "sheet_xlsx_xml", "XML"),
        ("a zip without its workbook", no_book.getvalue(), XLSX, 400, "sheet_xlsx_part", "xl/workbook.xml"),
        ("10,001 rows", too_many, "text/csv", 413, "sheet_too_many_rows", "10000"),
        ("no 角色 column", csv([["编号", "姓名"], ["E09", "x"]]), "text/csv", 400, "estimport_column_missing", "角色"),
        ("an empty file", b"", "text/csv", 400, "sheet_empty", "empty"),
    ]
    for what, body, ctype, want_st, code, word in bad:
        st, r2 = api(svc, "people", body, ctype, preview=1)
        check(st == want_st and r2.get("code") == code and word in r2.get("message", "") + r2.get("message_zh", ""),
              "%s: %d %s (%d %s: %s)" % (what, want_st, code, st, r2.get("code"), r2.get("message_zh")))
    st, r2 = api(svc, "people", people, "application/json", preview=1)
    check(st == 415, "a body sent as JSON: 415 (%d)" % st)
    st, r2 = api(svc, "rooms", people, preview=1)
    check(st == 400 and r2.get("code") == "estimport_table_bad", "an unknown table: 400 (%d)" % st)
    check(estate_state(svc) == before, "nothing changed by any of them")
    st, _, _ = svc.request("GET", "/healthz")
    check(st == 200, "keyauditd still answers")

    say("== in Chromium: the admin imports people by the page, in Chinese")
    page_file = os.path.join(TMP, "people.xlsx")
    with open(page_file, "wb") as f:
        f.write(xlsx([["人员编号", "姓名", "角色", "手机", "小区"],
                      ["E20", "钱多多", "经理", "13812345678", "SN"],
                      ["E21", "孙小小", "厨师", "13812345679", "SN"],
                      ["E20", "重复", "staff", "", "SN"]]))
    rc = browser("estate-import.js", svc, ADMIN[0], ADMIN[1], "t-estate-import", KC_FILE=page_file)
    check(rc == 0, "estate-import.js passed")
    got = svc.sql("SELECT person, name, role FROM estate_people WHERE person >= 'E20' ORDER BY person")
    check(got == [("E20", "钱多多", "manager")], "the page imported E20 only (%s)" % got)
finally:
    svc.stop()
finish()
