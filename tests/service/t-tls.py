#!/usr/bin/env python3
"""keyauditd serving HTTPS itself ([server] tls_cert, tls_key), with a CA
and certificates made here with openssl: a missing, unreadable or
mismatched file is a clear error at start and changes nothing; the
forwarder (kc-forward-test run --ca-file) forwards every event to the
right certificate, refuses a certificate for another name and a
self-signed one while keeping every event in its outbox, and once the
right certificate is back everything arrives exactly once."""
import http.client
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc import FWD, Service, check, fill, finish, say

if not shutil.which("openssl"):
    say("openssl is not installed (make deps-test)")
    sys.exit(77)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """ca.pem; good.pem (IP:127.0.0.1, localhost), wrong-name.pem
    (audit.example.org), all signed by the CA; self.pem self-signed for
    127.0.0.1; other.key, a key that belongs to none of them."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=keycab test CA", cwd=d)
    for name, san in (("good", "IP:127.0.0.1,DNS:localhost"), ("wrong-name", "DNS:audit.example.org")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        openssl("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=%s" % name, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem", cwd=d)
    openssl("req", "-x509", *ec, "-keyout", "self.key", "-out", "self.pem", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", cwd=d)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key", cwd=d)


svc = Service(body_limit=65536)
pki = os.path.join(svc.tmp, "pki")
os.mkdir(pki)
make_pki(pki)
base_conf = open(svc.conf).read()


def use_tls(cert, key):
    with open(svc.conf, "w") as f:
        f.write(base_conf.replace("[server]\n", "[server]\ntls_cert = %s\ntls_key = %s\n" % (
            os.path.join(pki, cert), os.path.join(pki, key)), 1))


def https_get(path, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    c = http.client.HTTPSConnection("127.0.0.1", svc.port, timeout=20, context=ctx)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def run_fwd(timeout):
    return subprocess.run([FWD, "run", cdb, "https://127.0.0.1:%d" % port, tok, "--until-empty", str(timeout),
                           "--backoff-min", "100", "--backoff-max", "400", "--ca-file",
                           os.path.join(pki, "ca.pem")], capture_output=True, text=True)


def outbox():
    """Events the service has not acknowledged (acknowledged ones are kept
    for the retention window)."""
    con = sqlite3.connect(cdb, timeout=10)
    n = con.execute("SELECT count(*) FROM outbox WHERE acked_ms IS NULL").fetchone()[0]
    con.close()
    return n


def stored():
    return svc.sql("SELECT seq, hash FROM events WHERE cabinet = 'CAB-T' ORDER BY seq")


def sealed():
    out = subprocess.run([FWD, "hashes", cdb], capture_output=True, text=True, check=True).stdout
    return [(int(a), b) for a, b in (l.split() for l in out.splitlines())]


try:
    tok = svc.add_cabinet("CAB-T")
    cdb = os.path.join(svc.tmp, "controller.db")

    say("== bad certificate or key files: a clear error at start, nothing changes")
    cabinets_before = svc.sql("SELECT id, token_hash FROM cabinets")
    cases = [
        ("a missing certificate", ("nonexistent.pem", "good.key"), ["tls_cert", "nonexistent.pem", "No such file"]),
        ("an unreadable key (a directory)", ("good.pem", "."), ["tls_key", "Is a directory"]),
        ("a file that is no PEM certificate", ("good.ext", "good.key"), ["tls_cert", "PEM"]),
        ("a key that is not the certificate's", ("good.pem", "other.key"), ["tls_key", "tls_cert", "match"]),
    ]
    for what, (cert, key), words in cases:
        use_tls(cert, key)
        r = subprocess.run([os.path.join(os.path.dirname(FWD), "keyauditd"), "-c", svc.conf, "--port", "0",
                            "serve"], capture_output=True, text=True, timeout=30)
        msg = (r.stderr + r.stdout).strip().splitlines()
        say("  %s: exit %d: %s" % (what, r.returncode, msg[-1] if msg else ""))
        check(r.returncode != 0 and all(w in r.stderr for w in words),
              "%s: refused with a message naming %s" % (what, ", ".join(words)))
    with open(svc.conf, "w") as f:
        f.write(base_conf.replace("[server]\n", "[server]\ntls_cert = %s\n" % os.path.join(pki, "good.pem"), 1))
    r = svc.cmd("check-config")
    say("  tls_cert without tls_key: " + r.stderr.strip())
    check(r.returncode != 0 and "tls_key" in r.stderr, "tls_cert without tls_key is a configuration error")
    check(svc.sql("SELECT id, token_hash FROM cabinets") == cabinets_before and
          svc.sql("SELECT count(*) FROM events")[0][0] == 0, "the database is unchanged")

    say("== the right certificate: HTTPS only, every event forwarded")
    use_tls("good.pem", "good.key")
    svc.start()
    port = svc.port
    st, body = https_get("/healthz", os.path.join(pki, "ca.pem"))
    check(st == 200, "GET /healthz over HTTPS, the certificate checked against the CA: %d" % st)
    plain_ok = True
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        plain_ok = c.getresponse().status == 200
        c.close()
    except (OSError, http.client.HTTPException) as e:
        say("  plain HTTP to the TLS port: %s" % type(e).__name__)
        plain_ok = False
    check(not plain_ok, "plain HTTP to the HTTPS port gets no answer")
    fill(cdb, "CAB-T", count=200)
    r = run_fwd(60)
    say("  " + r.stdout.strip().splitlines()[-1])
    check(r.returncode == 0 and outbox() == 0 and len(stored()) == 200, "200 events forwarded over HTTPS")

    for cert, what in (("wrong-name", "a certificate for another name (audit.example.org)"),
                       ("self", "a self-signed certificate for 127.0.0.1")):
        say("== %s: refused, the events stay in the outbox" % what)
        svc.stop()
        use_tls(cert + ".pem", cert + ".key")
        svc.start(port=port)
        fill(cdb, "CAB-T", count=50)
        before = outbox()
        r = run_fwd(3)
        last = r.stdout.strip().splitlines()[-1]
        say("  " + last)
        check(r.returncode != 0 and ("certificate" in last.lower() or "SSL" in last),
              "the forwarder refuses the certificate and says why")
        check(outbox() == before and len(stored()) == 200,
              "nothing deleted from the outbox (%d), nothing stored (%d)" % (outbox(), len(stored())))

    say("== the right certificate back: everything arrives, once")
    svc.stop()
    use_tls("good.pem", "good.key")
    svc.start(port=port)
    r = run_fwd(60)
    say("  " + r.stdout.strip().splitlines()[-1])
    check(r.returncode == 0 and outbox() == 0, "outbox drained")
    s, e = stored(), sealed()
    check(len(e) == 300 and s == e, "300 sealed, 300 stored, the same seqs and hashes, none twice")
    r = svc.cmd("verify-chain", "CAB-T")
    check(r.returncode == 0, "verify-chain: " + r.stdout.strip())
    check(tok not in svc.log_text(), "the token is not in the service log")
finally:
    svc.stop()
finish()
