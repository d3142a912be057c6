"""Virtual hosts (issue 15): --vhost NAME=DIR picks the root by Host,
without port, case-insensitively, validated as a host name first;
"*.example.org" one label deep; unknown hosts get ROOT, or 421 with
--vhost-strict. Each vhost has its own root and file cache."""

import os

import pytest

from conftest import exchange, fetch, req, run_eisd


def w(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


@pytest.fixture
def roots(tmp_path, site):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    w(os.path.join(a, "index.html"), b"SITE-A\n")
    w(os.path.join(a, "same.txt"), b"same name in A\n")
    w(os.path.join(a, "404.html"), b"A's own 404\n")
    w(os.path.join(b, "index.html"), b"SITE-B\n")
    w(os.path.join(b, "same.txt"), b"same name in B, longer\n")
    w(os.path.join(site.root, "same.txt"), b"same name in the default root\n")
    return a, b


@pytest.fixture
def vserver(site, start_server, roots):
    a, b = roots
    return start_server(site.root, "--vhost", "A.Example.org=" + a, "--vhost", "*.b.example=" + b,
                        "--error-page", "404=/404.html")


@pytest.mark.parametrize("host,body", [
    ("a.example.org", b"same name in A\n"),
    ("A.EXAMPLE.ORG", b"same name in A\n"),
    ("a.example.org:8080", b"same name in A\n"),
    ("a.example.org.", b"same name in A\n"),
    ("x.b.example", b"same name in B, longer\n"),
    ("X-1.B.Example:1", b"same name in B, longer\n"),
    ("y.x.b.example", b"same name in the default root\n"),   # one label deep only
    ("b.example", b"same name in the default root\n"),
    ("example.org", b"same name in the default root\n"),
    ("localhost", b"same name in the default root\n"),
    ("127.0.0.1", b"same name in the default root\n"),
    ("[::1]:80", b"same name in the default root\n"),
    ("..", b"same name in the default root\n"),              # never a path
    ("a.example.org..", b"same name in the default root\n"),
    ("-a.example.org", b"same name in the default root\n"),
    ("a_b.example.org", b"same name in the default root\n"),
])
def test_host_picks_root(vserver, host, body):
    r = fetch(vserver, "/same.txt", host=host)
    assert (r.status, r.body) == (200, body), (host, r)


def test_same_path_different_roots_on_one_connection(vserver):
    # The file cache keys by root: the same path on one keep-alive
    # connection gives each vhost its own file, again and again.
    c = vserver.connect()
    for _ in range(3):
        for host, body in (("a.example.org", b"same name in A\n"),
                           ("x.b.example", b"same name in B, longer\n"),
                           ("other", b"same name in the default root\n")):
            c.send(req("/same.txt", host=host))
            r = c.read_response()
            assert (r.status, r.body) == (200, body), host
            assert int(r.headers["Content-Length"]) == len(body)
    c.close()


def test_index_and_error_pages_per_vhost(vserver, site):
    assert fetch(vserver, "/", host="a.example.org").body == b"SITE-A\n"
    assert fetch(vserver, "/", host="z.b.example").body == b"SITE-B\n"
    assert fetch(vserver, "/", host="other").body == site.read("index.html")
    # --error-page names a path: each vhost serves its own file there.
    r = fetch(vserver, "/missing", host="a.example.org")
    assert (r.status, r.body) == (404, b"A's own 404\n")
    r = fetch(vserver, "/missing", host="z.b.example")   # B has none: built-in
    assert r.status == 404 and b"404 Not Found" in r.body


def test_vhost_root_is_confined(vserver, roots, site):
    a, _ = roots
    os.symlink(os.path.join(site.base, "canary.txt"), os.path.join(a, "out.txt"))
    r = fetch(vserver, "/out.txt", host="a.example.org")
    assert r.status == 403 and site.canary not in r.body
    r = fetch(vserver, "/../b/same.txt", host="a.example.org")
    assert r.status == 400


def test_strict(site, start_server, roots):
    a, _ = roots
    s = start_server(site.root, "--vhost", "a.example.org=" + a, "--vhost-strict")
    assert fetch(s, "/same.txt", host="a.example.org").body == b"same name in A\n"
    for host in ("b.example.org", "..", "127.0.0.1"):
        r = fetch(s, "/same.txt", host=host)
        assert r.status == 421, host
        assert b"421 Misdirected Request" in r.body
    # HTTP/1.0 without Host: no name, so no vhost.
    r, c = exchange(s, b"GET /same.txt HTTP/1.0\r\n\r\n")
    c.close()
    assert r.status == 421


@pytest.mark.parametrize("value,msg", [
    ("example.org", "invalid --vhost 'example.org' (expected NAME=DIR, e.g. example.org=/srv/example)"),
    ("exa mple.org=/tmp", "invalid --vhost name 'exa mple.org'"),
    ("../x=/tmp", "invalid --vhost name '../x'"),
    ("a/b=/tmp", "invalid --vhost name 'a/b'"),
    ("*.org=/tmp", "invalid --vhost name '*.org'"),
    ("*.*.example.org=/tmp", "invalid --vhost name '*.*.example.org'"),
    ("a.*.org=/tmp", "invalid --vhost name 'a.*.org'"),
])
def test_bad_names(site, value, msg):
    rc, out, err = run_eisd(["--vhost", value, site.root])
    assert rc == 2
    assert err.startswith("eisd: " + msg), err


def test_twice_and_missing_dir(site, tmp_path):
    rc, out, err = run_eisd(["--vhost", "a.org=/tmp", "--vhost", "A.org=/tmp", site.root])
    assert (rc, err) == (2, "eisd: --vhost 'a.org' given twice\n")
    rc, out, err = run_eisd(["--port", "0", "--vhost", f"a.org={tmp_path}/none", site.root])
    assert (rc, err) == (1, f"eisd: --vhost a.org: root '{tmp_path}/none': No such file or directory\n")
    rc, out, err = run_eisd(["--vhost-strict", site.root])
    assert (rc, err) == (2, "eisd: --vhost-strict needs --vhost NAME=DIR\n")


# ---------------------------------------------------------------- over TLS

from conftest import Conn, tls_client_context  # noqa: E402


@pytest.fixture
def tls_vserver(site, start_server, roots, tls_certs):
    a, b = roots
    return start_server(site.root, *tls_certs.pair("ec"), *tls_certs.pair("other"),
                        "--vhost", "other.test=" + a, "--vhost", "*.wild.test=" + b, tls=True)


def tls_get(srv, certs, sni, host, path="/same.txt"):
    c = Conn(srv.port, tls=tls_client_context(certs), server_hostname=sni)
    try:
        c.send(req(path, host=host))
        return c.read_response()
    finally:
        c.close()


@pytest.mark.parametrize("sni,host,status,body", [
    ("other.test", "other.test", 200, b"same name in A\n"),
    ("other.test", "OTHER.test:443", 200, b"same name in A\n"),
    ("x.wild.test", "x.wild.test", 200, b"same name in B, longer\n"),
    ("localhost", "localhost", 200, b"same name in the default root\n"),
    # One certificate covers other.test and *.wild.test: a connection set
    # up for one name never serves another vhost (no domain fronting).
    ("other.test", "x.wild.test", 421, None),
    ("x.wild.test", "other.test", 421, None),
    ("x.wild.test", "y.wild.test", 421, None),
    ("localhost", "other.test", 421, None),
])
def test_host_must_match_sni(tls_vserver, tls_certs, sni, host, status, body):
    r = tls_get(tls_vserver, tls_certs, sni, host)
    assert r.status == status, (sni, host, r)
    if body is not None:
        assert r.body == body


def test_security_headers_add_hsts_over_tls(site, start_server, tls_certs):
    s = start_server(site.root, "--security-headers", tls=True)
    r = tls_get(s, tls_certs, "localhost", "localhost", "/hello.txt")
    assert r.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
    assert r.headers["X-Frame-Options"] == "DENY"
    s2 = start_server(site.root, "--security-headers", "--hsts", "60", tls=True)
    r = tls_get(s2, tls_certs, "localhost", "localhost", "/hello.txt")
    assert r.headers.get_all("Strict-Transport-Security") == ["max-age=60"]
    s3 = start_server(site.root, "--security-headers", "--header",
                      "Strict-Transport-Security: max-age=5; includeSubDomains", tls=True)
    r = tls_get(s3, tls_certs, "localhost", "localhost", "/hello.txt")
    assert r.headers.get_all("Strict-Transport-Security") == ["max-age=5; includeSubDomains"]
