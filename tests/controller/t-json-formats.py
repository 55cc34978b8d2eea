#!/usr/bin/env python3
"""Every json_pack / json_unpack format in the tree against the types of
its arguments, read by libclang from the sources compiled as the build
compiles them: 'i' and 'b' take an int, 'I' a json_int_t, 's' a string,
'f' a double, 'o'/'O' a json_t *; json_unpack the pointers to those (an
object's keys are strings either way). A
json_int_t given to 'i' (a tag above 2^31 shown negative, undefined on a
32-bit board) is a finding. The same for the wrappers that pass a
json_pack format on (kc_msg_new, kc_reply_fail, kc_reply_refuse,
kc_decision_refuse; NULL for none), and for the SQL bind letters of
kc_store_q/_x/_int and kc_db_q/_x/_int ('s' a string, 'I' an int64_t, 'i' an
int; as many as the statement has '?'). A json_unpack_ex with
JSON_VALIDATE_ONLY and a format from controller/ops.def takes no
arguments; every argument format of ops.def is one json_unpack
conversion. First the checker is shown a file with such calls and must
find each, so it cannot pass by finding nothing."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-clang-14
try:
    from clang import cindex
except ImportError:
    print("python3-clang is not installed (DEBS_TEST)")
    sys.exit(77)

for lib in ("/usr/lib/llvm-14/lib/libclang.so.1", "/usr/lib/llvm-14/lib/libclang-14.so.1"):
    if os.path.exists(lib):
        cindex.Config.set_library_file(lib)
        break

SRC = os.environ.get("KEYCAB_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKGS = "libgpiod libmodbus sqlite3 libcurl libmicrohttpd libsystemd jansson libsodium inih".split()
try:
    PKG_CFLAGS = subprocess.run(["pkg-config", "--cflags"] + PKGS, capture_output=True, text=True,
                                check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):
    PKG_CFLAGS = []
ARGS = ["-std=gnu11", "-D_GNU_SOURCE", "-I" + SRC, "-pthread"] + PKG_CFLAGS

# name -> (index of the format argument, unpack?)
CALL_EXPR = cindex.CursorKind.CALL_EXPR.value
CALLS = {"json_pack": (0, False), "json_pack_ex": (2, False),
         "json_unpack": (1, True), "json_unpack_ex": (3, True),
         # the wrappers that pass a json_pack format on
         "kc_msg_new": (1, False), "kc_reply_fail": (1, False), "kc_reply_refuse": (3, False),
         "kc_decision_refuse": (3, False)}
# SQL bind letters: name -> (index of the SQL, index of the letters)
BINDS = {"kc_store_q": (1, 2), "kc_store_x": (1, 2), "kc_store_int": (2, 3),
         "kc_db_q": (1, 2), "kc_db_x": (1, 2), "kc_db_int": (2, 3)}
BIND_KINDS = {"s": "str", "I": "jint", "i": "int"}


def c_string(tokens):
    out = ""
    for t in tokens:
        s = t.spelling
        if not s.startswith('"'):
            return None
        out += bytes(s[1:-1], "utf-8").decode("unicode_escape")
    return out


def wants(fmt, unpack):
    """The argument kinds the format takes, in order."""
    out, i, depth_obj, key = [], 0, [], False
    while i < len(fmt):
        c = fmt[i]
        i += 1
        if c in " \t\n,:":
            continue
        if c in "{[":
            depth_obj.append(c == "{")
            key = c == "{"
            continue
        if c in "}]":
            depth_obj.pop()
            key = False
            continue
        if c in "!*" and unpack:
            continue
        in_obj = bool(depth_obj) and depth_obj[-1]
        if in_obj and key:
            out.append("key")  # the key: a string in both directions
            while i < len(fmt) and fmt[i] in "?":
                i += 1
            key = False
            continue
        if c == "s":
            out.append("str")
            while i < len(fmt) and fmt[i] in "#%+?*":
                m = fmt[i]
                i += 1
                if m == "#":
                    out.append("int")
                elif m == "%":
                    out.append("size")
                elif m == "+" and not unpack:
                    out.append("str")
        elif c in "ib":
            out.append("int")
        elif c == "I":
            out.append("jint")
        elif c in "fF":
            out.append("double")
        elif c in "oO":
            out.append("json")
        elif c == "n":
            pass
        else:
            raise ValueError("unknown conversion %r in %r" % (c, fmt))
        while i < len(fmt) and fmt[i] in "?*":
            i += 1
        if in_obj:
            key = True
    return out


def type_ok(kind, t, unpack):
    t = t.get_canonical()
    if kind == "key":
        return type_ok("str", t, False)
    if unpack:
        if t.kind != cindex.TypeKind.POINTER:
            return False
        t = t.get_pointee().get_canonical()
    k = t.kind
    ints = (cindex.TypeKind.INT, cindex.TypeKind.UINT, cindex.TypeKind.BOOL, cindex.TypeKind.CHAR_S,
            cindex.TypeKind.SCHAR, cindex.TypeKind.UCHAR, cindex.TypeKind.SHORT, cindex.TypeKind.USHORT,
            cindex.TypeKind.ENUM)
    if kind == "int":
        return k in ints and (not unpack or t.get_size() == 4)
    if kind == "jint":
        return k in (cindex.TypeKind.LONGLONG, cindex.TypeKind.ULONGLONG, cindex.TypeKind.LONG,
                     cindex.TypeKind.ULONG) and t.get_size() == 8
    if kind == "size":
        return k in (cindex.TypeKind.ULONG, cindex.TypeKind.ULONGLONG) and t.get_size() == 8
    if kind == "double":
        return k == cindex.TypeKind.DOUBLE
    if kind == "str":
        if k in (cindex.TypeKind.CONSTANTARRAY, cindex.TypeKind.INCOMPLETEARRAY):
            return not unpack and t.element_type.get_canonical().kind in (cindex.TypeKind.CHAR_S,)
        if k != cindex.TypeKind.POINTER:
            return False
        p = t.get_pointee().get_canonical()
        if unpack:  # the pointer to the string's pointer is gone already
            return p.kind == cindex.TypeKind.CHAR_S
        return p.kind in (cindex.TypeKind.CHAR_S, cindex.TypeKind.VOID)
    if kind == "json":
        if k != cindex.TypeKind.POINTER:
            return False
        p = t.get_pointee().get_canonical()
        if unpack:
            if p.kind != cindex.TypeKind.POINTER:
                return False
            p = p.get_pointee().get_canonical()
        return p.kind == cindex.TypeKind.RECORD and "json_t" in p.spelling
    return False


def check_binds(cur, where):
    """A call with SQL bind letters: the letters against the arguments'
    types, their count against the statement's '?'."""
    qi, fi = BINDS[cur.spelling]
    args = list(cur.get_arguments())
    if len(args) <= fi:
        return ["%s: %s with %d arguments" % (where, cur.spelling, len(args))]
    toks = [t.spelling for t in args[fi].get_tokens()]
    letters = "" if toks == ["NULL"] else c_string(args[fi].get_tokens())
    if letters is None:
        return ["%s: %s with bind letters that are not a string literal" % (where, cur.spelling)]
    out, rest = [], args[fi + 1:]
    if any(c not in BIND_KINDS for c in letters):
        return ["%s: %s(\"%s\"): a letter that is not s, I or i" % (where, cur.spelling, letters)]
    if len(letters) != len(rest):
        return ["%s: %s(\"%s\") takes %d arguments, %d given" % (where, cur.spelling, letters, len(letters), len(rest))]
    for n, (c, a) in enumerate(zip(letters, rest)):
        if not type_ok(BIND_KINDS[c], a.type, False):
            out.append("%s: %s(\"%s\") argument %d is %s where the letter wants %s" %
                       (where, cur.spelling, letters, n + 1, a.type.spelling, BIND_KINDS[c]))
    sql = c_string(args[qi].get_tokens())
    if sql is not None and not re.search(r"\?\d", sql):
        marks = len(re.findall(r"\?", re.sub(r"'[^']*'", "", sql)))
        if marks != len(letters):
            out.append("%s: %s(\"%s\") binds %d values to a statement with %d '?'" %
                       (where, cur.spelling, letters, len(letters), marks))
    return out


def validate_only(cur, args, fi):
    """json_unpack_ex(v, &err, JSON_VALIDATE_ONLY, fmt): a spec's format, no arguments."""
    return len(args) == fi + 1 and any(t.spelling == "JSON_VALIDATE_ONLY" for t in cur.get_tokens())


def check_file(path, index):
    findings, calls = [], 0
    tu = index.parse(path, args=ARGS)
    for d in tu.diagnostics:
        if d.severity >= cindex.Diagnostic.Error:
            findings.append("%s: cannot parse: %s" % (path, d.spelling))
            return findings, calls
    for cur in tu.cursor.walk_preorder():
        if cur._kind_id != CALL_EXPR or (cur.spelling not in CALLS and cur.spelling not in BINDS):
            continue
        if not cur.location.file or cur.location.file.name != path:
            continue
        where = "%s:%d" % (os.path.relpath(path, SRC), cur.location.line)
        if cur.spelling in BINDS:
            calls += 1
            findings += check_binds(cur, where)
            continue
        fi, unpack = CALLS[cur.spelling]
        args = list(cur.get_arguments())
        toks = [t.spelling for t in args[fi].get_tokens()] if len(args) > fi else []
        if toks == ["NULL"] and not unpack and cur.spelling.startswith("kc_"):
            calls += 1
            if len(args) != fi + 1:
                findings.append("%s: %s with no format and %d arguments after it" %
                                (where, cur.spelling, len(args) - fi - 1))
            continue
        fmt = c_string([t for t in args[fi].get_tokens()]) if len(args) > fi else None
        if fmt is None and cur.spelling == "json_unpack_ex" and validate_only(cur, args, fi):
            calls += 1
            continue
        if fmt is None:
            findings.append("%s: %s with a format that is not a string literal" % (where, cur.spelling))
            continue
        calls += 1
        try:
            kinds = wants(fmt, unpack)
        except (ValueError, IndexError) as e:
            findings.append("%s: %s" % (where, e))
            continue
        rest = args[fi + 1:]
        if len(kinds) != len(rest):
            findings.append("%s: %s(\"%s\") takes %d arguments, %d given" %
                            (where, cur.spelling, fmt, len(kinds), len(rest)))
            continue
        for n, (kind, a) in enumerate(zip(kinds, rest)):
            if not type_ok(kind, a.type, unpack):
                findings.append("%s: %s(\"%s\") argument %d is %s where the format wants %s" %
                                (where, cur.spelling, fmt, n + 1, a.type.spelling, kind))
    return findings, calls


def check_spec(spec, name="controller/ops.def"):
    """Every argument of the spec: name, ':' or '?', one json_unpack
    conversion. The findings and how many arguments there are."""
    fails, n = [], 0
    for m in re.finditer(r'^KC_OP\(("[^"]*"),[^"]*((?:"[^"]*"\s*)+)\)', spec, re.M):
        op, args = m.group(1), "".join(re.findall(r'"([^"]*)"', m.group(2)))
        for w in args.split():
            n += 1
            a = re.match(r"^([a-z_]+)[:?](.+)$", w)
            try:
                ok = a is not None and a.group(2) in ("s", "I", "b", "[]", "{}", "o") and \
                    len(wants(a.group(2), True)) == (0 if a.group(2) in ("[]", "{}") else 1)
            except (ValueError, IndexError):
                ok = False
            if not ok:
                fails.append("%s: %s: argument %r is not name:t or name?t with one conversion" % (name, op, w))
    return fails, n


def main():
    index = cindex.Index.create()
    fails = 0
    # the checker finds the kind of call it is for
    with tempfile.TemporaryDirectory() as d:
        probe = os.path.join(d, "probe.c")
        with open(probe, "w") as f:
            f.write('#include <jansson.h>\n#include <stdint.h>\n'
                    'json_t *kc_reply_fail(int c, const char *fmt, ...);\n'
                    'void *kc_store_q(void *st, const char *sql, const char *fmt, ...);\n'
                    'json_t *probe(uint32_t tag, int n, const char *s);\n'
                    'json_t *probe(uint32_t tag, int n, const char *s)\n{\n'
                    '\tjson_t *a = json_pack("{s:s, s:i}", "slot", s, "tag", (json_int_t)tag);\n'
                    '\tjson_t *b = json_pack("{s:I, s:b}", "n", n, "x", 1);\n'
                    '\tjson_t *c = json_pack("[s, o]", s, json_integer(tag));\n'
                    '\tjson_decref(kc_reply_fail(1, "{s:i}", "tag", (json_int_t)tag));\n'
                    '\tjson_decref(kc_reply_fail(1, NULL));\n'
                    '\tkc_store_q(NULL, "SELECT a FROM t WHERE b = ? AND c = ?", "sI", s, n);\n'
                    '\tkc_store_q(NULL, "SELECT a FROM t WHERE b = ?", "ss", s, s);\n'
                    '\tkc_store_q(NULL, "SELECT a FROM t WHERE b = ? AND c = \'?\'", "s", s);\n'
                    '\tjson_int_t from;\n\tconst char *state;\n'
                    '\tjson_unpack(c, "{s:I, s?s}", "from", &from, "state", &state);\n'
                    '\tjson_unpack(c, "{s:I}", "from", &n);\n'
                    '\tjson_unpack(c, "{s:s}", "state", state);\n'
                    '\tjson_decref(a);\n\tjson_decref(b);\n\treturn c;\n}\n')
        found, _ = check_file(probe, index)
        want = ["probe.c:8: json_pack(\"{s:s, s:i}\") argument 4", "probe.c:9: json_pack(\"{s:I, s:b}\") argument 2",
                "probe.c:11: kc_reply_fail(\"{s:i}\") argument 2",
                "probe.c:13: kc_store_q(\"sI\") argument 2 is int",
                "probe.c:14: kc_store_q(\"ss\") binds 2 values to a statement with 1 '?'",
                "probe.c:19: json_unpack(\"{s:I}\") argument 2", "probe.c:20: json_unpack(\"{s:s}\") argument 2"]
        for w in want:
            if any(w in f for f in found):
                print("ok   - the checker finds", w.split(": ", 1)[1])
            else:
                print("FAIL - the checker misses", w, found)
                fails += 1
        if len(found) != len(want):
            print("FAIL - the checker finds other things in the probe:", found)
            fails += 1
    grep = subprocess.run(["grep", "-rlE", r"json_(un)?pack(_ex)?\(|kc_(msg_new|reply_fail|reply_refuse|decision_refuse|store_(q|x|int)|db_(x|int))\(",
                           "--include=*.c",
                           "common", "controller", "service", "hw", "bench", "tests"],
                          cwd=SRC, capture_output=True, text=True)
    files = sorted(os.path.join(SRC, f) for f in grep.stdout.split())
    total = 0
    for path in files:
        found, calls = check_file(path, index)
        total += calls
        for f in found:
            print("FAIL -", f)
        fails += len(found)
    # the spec's check finds a bad argument
    probe_fails, _ = check_spec('KC_OP("probe", ANYONE, NO, probe, "a:q b?s c:{s:s}")\n', "probe.def")
    if len(probe_fails) == 2 and "'a:q'" in probe_fails[0] and "'c:{s:s}'" in probe_fails[1]:
        print("ok   - the checker finds the probe spec's bad arguments a:q and c:{s:s}")
    else:
        print("FAIL - the checker finds in the probe spec:", probe_fails)
        fails += 1
    with open(os.path.join(SRC, "controller/ops.def"), encoding="utf-8") as f:
        found, n = check_spec(f.read())
    for f in found:
        print("FAIL -", f)
    fails += len(found)
    print("%d arguments of controller/ops.def checked" % n)
    if n == 0:
        print("FAIL - no argument found in controller/ops.def: the search is broken")
        fails += 1
    print("%d formats in %d files checked" % (total, len(files)))
    if total == 0:
        print("FAIL - no format found: the search is broken")
        fails += 1
    print("all checks passed" if not fails else "%d checks failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
