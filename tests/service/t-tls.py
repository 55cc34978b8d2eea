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
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
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
    # renewed.pem: the certificate that replaces good.pem (an RSA key, CN renewed)
    with open(os.path.join(d, "renewed.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "renewed.key", "-out", "renewed.csr",
            "-subj", "/CN=renewed", cwd=d)
    openssl("x509", "-req", "-in", "renewed.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "renewed.ext", "-out", "renewed.pem", cwd=d)


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


def s_client(*args):
    """openssl s_client to the service: (handshake done, the cipher)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % svc.port, "-CAfile",
                        os.path.join(pki, "ca.pem"), "-verify_return_error"] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    m = [l for l in r.stdout.splitlines() if "Cipher is" in l]
    return r.returncode == 0 and bool(m) and "(NONE)" not in m[0], (m[0].strip() if m else r.stderr.strip()[-80:])


def suites(cases):
    """Each (what, cipher or ciphersuite option, accepted?) tried; checks the outcome."""
    for what, args, want in cases:
        done, cipher = s_client(*args)
        say("  %-52s %s: %s" % (what, "handshake" if done else "refused", cipher))
        check(done == want, "%s: %s" % (what, "accepted" if want else "refused"))


def peer_cn(conn):
    return dict(x[0] for x in conn.sock.getpeercert()["subject"]).get("commonName")


def install(cert, key):
    """The live files replaced the way a renewal does: a new file renamed
    over the old one."""
    for src, dst in ((cert, "live.pem"), (key, "live.key")):
        tmp = os.path.join(pki, dst + ".new")
        shutil.copyfile(os.path.join(pki, src), tmp)
        os.replace(tmp, os.path.join(pki, dst))


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

    say("== TLS 1.2 offers AEAD suites only (an ECDSA certificate)")
    suites([("TLS 1.2 ECDHE-ECDSA-AES128-SHA (CBC, SHA-1)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], False),
            ("TLS 1.2 ECDHE-ECDSA-AES256-SHA (CBC, SHA-1)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"], False),
            ("TLS 1.2 ECDHE-ECDSA-AES128-SHA256 (CBC)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"], False),
            ("TLS 1.2 ECDHE-ECDSA-AES256-SHA384 (CBC)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"], False),
            ("TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], True),
            ("TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"], True),
            ("TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305", ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], True),
            ("TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], False),
            ("TLS 1.3", ["-tls1_3"], True)])

    say("== the certificate renewed: SIGHUP loads it, open connections go on")
    svc.stop()
    install("good.pem", "good.key")
    use_tls("live.pem", "live.key")
    svc.start(port=port)
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    kept = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=ctx)
    kept.request("GET", "/healthz")
    st = kept.getresponse()
    st.read()
    sock = kept.sock
    check(st.status == 200 and peer_cn(kept) == "good", "a kept connection: 200, certificate CN=%s" % peer_cn(kept))
    install("renewed.pem", "renewed.key")
    os.kill(svc.proc.pid, signal.SIGHUP)
    time.sleep(0.5)
    check(svc.proc.poll() is None, "keyauditd still runs after SIGHUP")
    kept.request("GET", "/healthz")
    st = kept.getresponse()
    st.read()
    check(st.status == 200 and kept.sock is sock and peer_cn(kept) == "good",
          "the kept connection still answers (200) on its socket, its handshake's certificate CN=good")
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=ctx)
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    check(r.status == 200 and peer_cn(c) == "renewed", "a new handshake presents the renewed certificate (CN=%s)"
          % peer_cn(c))
    c.close()
    log = svc.log_text()
    check("renewed" in log or "live.pem" in log, "the reload is logged: %s"
          % ([l for l in log.splitlines() if "live.pem" in l][-1:] or ["-"])[0])
    say("== TLS 1.2 with the renewed (RSA) certificate: AEAD suites with ECDHE only")
    suites([("TLS 1.2 ECDHE-RSA-AES128-SHA (CBC, SHA-1)", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], False),
            ("TLS 1.2 AES128-SHA (RSA key exchange, CBC)", ["-tls1_2", "-cipher", "AES128-SHA"], False),
            ("TLS 1.2 AES128-GCM-SHA256 (RSA key exchange)", ["-tls1_2", "-cipher", "AES128-GCM-SHA256"], False),
            ("TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], True)])

    for what, cert, key, words in (
            ("a certificate file that is no PEM", "good.ext", "renewed.key", ["tls_cert", "live.pem", "PEM"]),
            ("a key that is not the certificate's", "good.pem", "renewed.key", ["tls_key", "live.key", "match"]),
            ("a missing key file", "good.pem", None, ["tls_key", "live.key", "No such file"])):
        say("== SIGHUP with %s: the renewed certificate stays" % what)
        install(cert, key or "renewed.key")
        if key is None:
            os.unlink(os.path.join(pki, "live.key"))
        n = len(svc.log_text().splitlines())
        os.kill(svc.proc.pid, signal.SIGHUP)
        time.sleep(0.5)
        new = svc.log_text().splitlines()[n:]
        err = [l for l in new if all(w in l for w in words)]
        say("  log: %s" % (err[0] if err else new))
        check(svc.proc.poll() is None and err, "keyauditd runs and logs a clear error naming %s" % ", ".join(words))
        kept.request("GET", "/healthz")
        st = kept.getresponse()
        st.read()
        check(st.status == 200 and kept.sock is sock, "the kept connection still answers")
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=ctx)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        check(r.status == 200 and peer_cn(c) == "renewed", "a new handshake still presents CN=%s" % peer_cn(c))
        c.close()
    kept.close()
finally:
    svc.stop()
finish()
