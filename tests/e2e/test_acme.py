"""Automatic HTTPS against a real ACME server (pebble, real validation, 5%
of nonces refused): certificates issued through TLS-ALPN-01 and HTTP-01
and verified by curl with pebble's root, reuse of stored certificates
without a word to the CA, renewal under load, an unreachable CA, a failing
challenge, storage permissions, a corrupt stored file, the terms of
service."""

import os
import re
import ssl
import stat
import subprocess
import threading
import time

import pytest

from acme_env import Pebble
from conftest import Server, free_port, run_eisd
from tlscerts import make_certs

ISSUE_TIMEOUT = 90  # first start: the whole ACME flow before the start line


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("acme-certs"))


@pytest.fixture(scope="module")
def ports():
    return {"tls": free_port(), "http": free_port()}


@pytest.fixture(scope="module")
def pebble(tmp_path_factory, certs, ports):
    p = Pebble(tmp_path_factory.mktemp("pebble"), certs, validate_http=ports["http"],
               validate_tls=ports["tls"])
    yield p
    p.close()


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("hello over acme\n")
    return root


def acme_args(pebble, certs, storage, names, port, extra=()):
    args = ["-p", str(port), "-q"]
    for n in names:
        args += ["--acme", n]
    args += ["--acme-directory", pebble.directory, "--acme-ca-file", certs.ca,
             "--acme-storage", str(storage), "--acme-email", "ops@example.org", *extra]
    return args


def start(site, args, timeout=ISSUE_TIMEOUT):
    s = Server(site, [*args, str(site)])
    try:
        s.wait_started(timeout=timeout)
    except Exception:
        s.stop()
        raise
    return s


def curl_verified(pebble, tmp_path, name, port, path="/"):
    """curl with only pebble's root trusted, name resolved to 127.0.0.1."""
    root = tmp_path / f"pebble-root-{name}.pem"
    root.write_text(pebble.root_pem())
    p = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", str(root), "--resolve",
                        f"{name}:{port}:127.0.0.1", f"https://{name}:{port}{path}"],
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def issued_lines(server, name):
    return [l for l in server.stderr_lines if l.startswith(f"eisd: acme: {name}: ")]


def test_tls_alpn_01_issues_a_certificate_per_name(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    orders = pebble.orders()
    s = start(site, acme_args(pebble, certs, storage, ["a.test", "b.test"], ports["tls"],
                              ["--acme-agree-tos"]))
    try:
        assert s.startup_line.endswith(f"on https://127.0.0.1:{ports['tls']}/ (%d threads)" % s.threads)
        for name in ("a.test", "b.test"):
            lines = issued_lines(s, name)
            assert f"eisd: acme: {name}: order placed" in lines
            assert f"eisd: acme: {name}: challenge tls-alpn-01 validated" in lines
            assert any(re.fullmatch(rf"eisd: acme: {re.escape(name)}: certificate issued, valid "
                                    r"until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", l) for l in lines)
            rc, out, err = curl_verified(pebble, tmp_path, name, ports["tls"])
            assert rc == 0, err
            assert out == "hello over acme\n"
        assert pebble.orders() == orders + 2
        # No validation is under way now: a handshake offering only
        # acme-tls/1 is refused (no_application_protocol), so the
        # validation certificate is never shown to anyone else.
        ctx = ssl.create_default_context(cafile=certs.ca)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["acme-tls/1"])
        import socket
        with socket.create_connection(("127.0.0.1", ports["tls"]), timeout=10) as raw:
            with pytest.raises(ssl.SSLError, match="no application protocol"):
                ctx.wrap_socket(raw, server_hostname="a.test")
    finally:
        s.stop()

    # Storage: the directory 0700, every key 0600, the chains beside them.
    assert stat.S_IMODE(os.stat(storage).st_mode) == 0o700
    for f in ("account.key", "a.test.key", "b.test.key"):
        assert stat.S_IMODE(os.stat(storage / f).st_mode) == 0o600, f
    for f in ("a.test.crt", "b.test.crt"):
        assert (storage / f).read_text().startswith("-----BEGIN CERTIFICATE-----")

    # A restart with good stored certificates starts at once and asks the
    # CA nothing: no order, no account look-up, not even the directory.
    orders = pebble.orders()
    dirs = pebble.count("GET /dir")
    s = start(site, acme_args(pebble, certs, storage, ["a.test", "b.test"], ports["tls"]),
              timeout=10)
    try:
        assert issued_lines(s, "a.test") == [] and issued_lines(s, "b.test") == []
        rc, out, err = curl_verified(pebble, tmp_path, "b.test", ports["tls"])
        assert rc == 0, err
        assert pebble.orders() == orders
        assert pebble.count("GET /dir") == dirs
    finally:
        s.stop()


def test_http_01_on_the_redirect_listener(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    s = start(site, acme_args(pebble, certs, storage, ["h.test"], ports["tls"],
                              ["--acme-agree-tos", "--acme-challenge", "http-01",
                               "--redirect-http", str(ports["http"])]))
    try:
        assert "eisd: acme: h.test: challenge http-01 validated" in issued_lines(s, "h.test")
        rc, out, err = curl_verified(pebble, tmp_path, "h.test", ports["tls"])
        assert rc == 0, err
        assert out == "hello over acme\n"
        # The challenge path answers only while a token is awaited: now
        # it is a 404 like any other dot-directory, never a file listing.
        p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            f"http://127.0.0.1:{ports['http']}/.well-known/acme-challenge/x"],
                           capture_output=True, timeout=30)
        assert p.stdout.decode() == "404"
    finally:
        s.stop()


def test_http_01_needs_the_redirect_listener(pebble, certs, ports, site, tmp_path):
    rc, out, err = run_eisd(acme_args(pebble, certs, tmp_path / "acme", ["h.test"], ports["tls"],
                                      ["--acme-agree-tos", "--acme-challenge", "http-01",
                                       str(site)]))
    assert rc == 2
    assert err == "eisd: --acme-challenge http-01 needs --redirect-http PORT\n"


def test_terms_of_service_must_be_agreed_on_first_use(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    rc, out, err = run_eisd(acme_args(pebble, certs, storage, ["t.test"], ports["tls"], [str(site)]),
                            timeout=60)
    assert rc == 1
    assert ("eisd: acme: the CA's terms of service (data:text/plain,Do%20what%20thou%20wilt) "
            "must be agreed to first: add --acme-agree-tos\n") in err
    # Nothing was registered: the next start is still a first use.
    assert not (storage / "account.key").exists()


def test_failing_challenge_reports_the_problem(pebble, certs, ports, site, tmp_path):
    pebble.set_address("bad.test", "127.0.0.2")  # nobody listens there
    rc, out, err = run_eisd(acme_args(pebble, certs, tmp_path / "acme", ["bad.test"], ports["tls"],
                                      ["--acme-agree-tos", str(site)]), timeout=ISSUE_TIMEOUT)
    assert rc == 1
    line = [l for l in err.splitlines() if l.startswith("eisd: acme: bad.test: ")][-1]
    assert "challenge tls-alpn-01 failed: urn:ietf:params:acme:error:unauthorized: Failed to connect to 127.0.0.2:" in line
    assert "127.0.0.2" in line


def test_corrupt_stored_certificate_is_set_aside(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    storage.mkdir(mode=0o700)
    (storage / "c.test.crt").write_text("not a certificate\n")
    (storage / "c.test.key").write_text("not a key either\n")
    s = start(site, acme_args(pebble, certs, storage, ["c.test"], ports["tls"],
                              ["--acme-agree-tos"]))
    try:
        aside = [f for f in os.listdir(storage) if f.startswith("c.test.crt.corrupt-")]
        assert len(aside) == 1
        assert (storage / aside[0]).read_text() == "not a certificate\n"
        assert any(l == f"eisd: acme: {storage}/c.test.crt: not a PEM certificate; set aside as "
                        f"{storage}/{aside[0]}" for l in s.stderr_lines)
        rc, out, err = curl_verified(pebble, tmp_path, "c.test", ports["tls"])
        assert rc == 0, err
    finally:
        s.stop()


def near_expiry(certs, storage, name):
    """A stored certificate for name from the test CA, two days old with
    one day left: past two thirds of its life, so due for renewal."""
    d = certs.dir
    key = storage / f"{name}.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(key)], check=True, capture_output=True)
    os.chmod(key, 0o600)
    csr = storage / "tmp.csr"
    subprocess.run(["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-out", str(csr)], check=True,
                   capture_output=True)
    start = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() - 2 * 86400))
    end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() + 86400))
    subprocess.run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-extensions", "leaf",
                    "-notext", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", str(csr),
                    "-out", str(storage / f"{name}.crt"), "-startdate", start, "-enddate", end],
                   cwd=d, check=True, capture_output=True)
    csr.unlink()


def issuer_cn(ctx, name, port):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            cert = s.getpeercert()
            s.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    issuer = dict(x[0] for x in cert["issuer"])
    return issuer.get("commonName", ""), data


def test_renewal_under_load_drops_nobody(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    storage.mkdir(mode=0o700)
    near_expiry(certs, storage, "r.test")
    # An account already exists for this storage (made by a first start).
    s = start(site, acme_args(pebble, certs, storage, ["x.test"], ports["tls"], ["--acme-agree-tos"]))
    s.stop()
    roots = tmp_path / "roots.pem"
    roots.write_text(open(certs.ca).read() + pebble.root_pem())
    ctx = ssl.create_default_context(cafile=str(roots))

    orders = pebble.orders()
    s = start(site, acme_args(pebble, certs, storage, ["r.test"], ports["tls"]), timeout=10)
    failures, done = [], threading.Event()
    issuers = []  # in request order
    count = [0]

    def load():
        while not done.is_set() and count[0] < 5000:
            try:
                cn, data = issuer_cn(ctx, "r.test", ports["tls"])
                assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"hello over acme\n")
                issuers.append(cn)
                count[0] += 1
            except Exception as e:  # every failure is reported below
                failures.append(repr(e))

    t = threading.Thread(target=load)
    t.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "eisd: acme: r.test: renewed" not in s.stderr_lines:
            time.sleep(0.05)
        assert "eisd: acme: r.test: renewed" in s.stderr_lines, s.stderr_text()
        # Keep loading a little after the swap.
        n = count[0]
        while time.monotonic() < deadline and count[0] < n + 20:
            time.sleep(0.02)
    finally:
        done.set()
        t.join(timeout=30)
        s.stop()
    assert failures == []
    assert pebble.orders() == orders + 1
    # The stored certificate until the swap, pebble's from then on, never
    # back: the order of issuers seen is old* then new+.
    changes = [i for i in range(1, len(issuers)) if issuers[i] != issuers[i - 1]]
    assert len(changes) <= 1, issuers
    assert issuers[-1].startswith("Pebble Intermediate CA"), issuers
    assert set(issuers) <= {"eisd test CA", issuers[-1]}, set(issuers)


def test_unreachable_ca(pebble, certs, ports, site, tmp_path):
    storage = tmp_path / "acme"
    storage.mkdir(mode=0o700)
    near_expiry(certs, storage, "u.test")
    pebble.stop_ca()
    try:
        # First start with nothing stored: one clear line, exit 1.
        rc, out, err = run_eisd(acme_args(pebble, certs, tmp_path / "empty", ["v.test"],
                                          ports["tls"], ["--acme-agree-tos", str(site)]),
                                timeout=60)
        assert rc == 1
        assert re.search(rf"^eisd: acme: https://127\.0\.0\.1:{pebble.acme_port}/dir: .*"
                         r"(Connection refused|Couldn't connect|Failed to connect)", err, re.M), err
        # With a stored certificate eisd serves it, and retries the
        # renewal with back-off (the first wait 60 s plus jitter).
        s = start(site, acme_args(pebble, certs, storage, ["u.test"], ports["tls"]), timeout=10)
        try:
            deadline = time.monotonic() + 30
            pat = re.compile(r"^eisd: acme: u\.test: renewal failed \((.*)\); next try in (\d+) s$")
            found = None
            while time.monotonic() < deadline and not found:
                found = next((pat.match(l) for l in s.stderr_lines if pat.match(l)), None)
                time.sleep(0.05)
            assert found, s.stderr_text()
            assert 60 <= int(found.group(2)) <= 66
            ctx = ssl.create_default_context(cafile=certs.ca)
            cn, data = issuer_cn(ctx, "u.test", ports["tls"])
            assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        finally:
            s.stop()
    finally:
        pebble.start()


def test_bad_nonces_are_retried(tmp_path_factory, certs, site, tmp_path):
    """A CA that refuses half the nonces (RFC 8555 §6.5: each badNonce
    answer carries a fresh nonce to sign again with): issuance still
    succeeds. The flow signs about ten requests, so without the retry the
    odds of getting through are about 1 in 1,000."""
    tls_port = free_port()
    p = Pebble(tmp_path_factory.mktemp("pebble-nonces"), certs, validate_http=free_port(),
               validate_tls=tls_port, nonce_reject=50)
    try:
        s = start(site, acme_args(p, certs, tmp_path / "acme", ["n.test"], tls_port,
                                  ["--acme-agree-tos"]))
        try:
            rc, out, err = curl_verified(p, tmp_path, "n.test", tls_port)
            assert rc == 0, err
        finally:
            s.stop()
        assert "Configured to reject 50% of good nonces" in p.log()
    finally:
        p.close()
