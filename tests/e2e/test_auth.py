"""Password protection (issue 15): --auth-file (htpasswd: bcrypt and
SHA-crypt only), --auth PREFIX, 401 with the challenge, failed attempts
limited per client address (429), refusals at start, and every rule on
the decoded, normalised path."""

import base64
import os
import socket
import subprocess
import time

import pytest

from conftest import assert_error_page, fetch, req, run_eisd

PASSWORD = "s3cret:with colon"


def htpasswd_line(user, password, cost=5):
    out = subprocess.run(["htpasswd", "-nbB", "-C", str(cost), user, password],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def sha_crypt(kind, password):
    return subprocess.run(["openssl", "passwd", f"-{kind}", password], check=True,
                          capture_output=True, text=True).stdout.strip()


def basic(user, password):
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


@pytest.fixture
def pwfile(tmp_path):
    bcrypt = htpasswd_line("alice", PASSWORD)
    lines = [
        "# users of the test site",
        bcrypt,                                                   # $2y$
        "bob:" + htpasswd_line("x", "bobpw").split(":", 1)[1].replace("$2y$", "$2b$", 1),
        "carol:" + sha_crypt(5, "carolpw"),
        "dave:" + sha_crypt(6, "davepw"),
        "",
    ]
    p = tmp_path / "users.htpasswd"
    p.write_text("\n".join(lines))
    return str(p)


def w(site, rel, data):
    p = os.path.join(site.root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


@pytest.fixture
def aserver(site, start_server, pwfile):
    """Everything protected."""
    return start_server(site.root, "--auth-file", pwfile)


@pytest.fixture
def pserver(site, start_server, pwfile):
    """Only /private/ protected."""
    w(site, "private/secret.txt", b"TOP-SECRET\n")
    w(site, "public/open.txt", b"open\n")
    return start_server(site.root, "--auth-file", pwfile, "--auth", "/private/")


CHALLENGE = 'Basic realm="eisd", charset="UTF-8"'


def test_no_credentials_401_with_challenge(aserver):
    r = fetch(aserver, "/hello.txt")
    assert_error_page(r, 401)
    assert r.headers["WWW-Authenticate"] == CHALLENGE
    r = fetch(aserver, "/hello.txt", method="HEAD")
    assert r.status == 401 and r.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("user,password", [
    ("alice", PASSWORD), ("bob", "bobpw"), ("carol", "carolpw"), ("dave", "davepw")])
def test_each_hash_kind_verifies(aserver, site, user, password):
    r = fetch(aserver, "/hello.txt", headers=[basic(user, password)])
    assert r.status == 200 and r.body == site.read("hello.txt")


@pytest.mark.parametrize("auth", [
    basic("alice", "wrong"),
    basic("alice", PASSWORD + "x"),
    basic("alice", PASSWORD[:-1]),
    basic("nobody", PASSWORD),
    basic("carol", "davepw"),
    ("Authorization", "Basic !!!notbase64"),
    ("Authorization", "Bearer abc"),
    ("Authorization", "Basic " + base64.b64encode(b"alicenocolon").decode()),
])
def test_wrong_credentials_401(aserver, auth):
    r = fetch(aserver, "/hello.txt", headers=[auth])
    assert r.status == 401 and r.headers["WWW-Authenticate"] == CHALLENGE


def test_realm_flag(site, start_server, pwfile):
    s = start_server(site.root, "--auth-file", pwfile, "--auth-realm", "Team docs")
    r = fetch(s, "/")
    assert r.headers["WWW-Authenticate"] == 'Basic realm="Team docs", charset="UTF-8"'


@pytest.mark.parametrize("path,status", [
    ("/public/open.txt", 200),
    ("/hello.txt", 200),
    ("/private/secret.txt", 401),
    ("/private/", 401),
    ("/private", 401),                     # the directory (its redirect tells nothing)
    ("//private/secret.txt", 401),
    ("/./private/secret.txt", 401),
    ("/public/../private/secret.txt", 401),
    ("/public/%2e%2e/private/secret.txt", 401),
    ("/public/..%2fprivate/secret.txt", 401),
    ("/%70rivate/secret.txt", 401),
    ("/private%2fsecret.txt", 401),
    ("/private/..%2fpublic/open.txt", 200),   # opens /public/open.txt: not protected
    ("/private/%2e%2e/public/open.txt", 200),
    ("/Private/secret.txt", 404),          # another name on a case-sensitive file system
    ("/private\\secret.txt", 404),         # '\' is part of a name: a file that is not there
    ("/public\\..\\private/secret.txt", 404),
])
def test_prefix_rules_on_normalised_path(pserver, path, status):
    r = fetch(pserver, path)
    assert r.status == status, (path, r)
    if status != 200:
        assert b"TOP-SECRET" not in r.body


def test_prefix_with_credentials(pserver):
    r = fetch(pserver, "/private/secret.txt", headers=[basic("dave", "davepw")])
    assert (r.status, r.body) == (200, b"TOP-SECRET\n")


def test_error_page_for_401_keeps_the_challenge(site, start_server, pwfile):
    w(site, "401.html", b"<p>please log in</p>\n")
    s = start_server(site.root, "--auth-file", pwfile, "--auth", "/sub/",
                     "--error-page", "401=/401.html")
    r = fetch(s, "/sub/file.txt")
    assert r.status == 401 and r.body == b"<p>please log in</p>\n"
    assert r.headers["WWW-Authenticate"] == CHALLENGE


def test_status_report_is_behind_auth(site, start_server, pwfile):
    s = start_server(site.root, "--auth-file", pwfile, "--status", "/_status")
    assert fetch(s, "/_status").status == 401
    assert fetch(s, "/_status", headers=[basic("carol", "carolpw")]).status == 200


def test_failures_limited_per_client_address(site, start_server, pwfile):
    s = start_server(site.root, "--auth-file", pwfile, "--auth-max-failures", "3")
    for _ in range(3):
        assert fetch(s, "/hello.txt", headers=[basic("alice", "bad")]).status == 401
    r = fetch(s, "/hello.txt", headers=[basic("alice", "bad")])
    assert r.status == 429, r
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # Blocked means blocked: even the right password waits (no hash is
    # computed for this address until the window ends)...
    assert fetch(s, "/hello.txt", headers=[basic("alice", PASSWORD)]).status == 429
    # ...but another client address is not affected.
    sk = socket.socket()
    sk.settimeout(10)
    sk.bind(("127.0.0.2", 0))
    sk.connect(("127.0.0.1", s.port))
    sk.sendall(req("/hello.txt", headers=[basic("alice", PASSWORD)]))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sk.recv(4096)
        assert chunk
        data += chunk
    sk.close()
    assert data.startswith(b"HTTP/1.1 200 "), data[:100]


# serial: compares the time of cached requests with one verification's CPU time
@pytest.mark.serial
def test_verified_credentials_are_cached(site, start_server, tmp_path):
    # A slow hash (cost 13): a request that had to verify takes far longer
    # than five that find the verified credentials in the worker's cache.
    p = tmp_path / "slow.htpasswd"
    p.write_text(htpasswd_line("slow", "pw", cost=13) + "\n")
    s = start_server(site.root, "--auth-file", str(p), threads=1)
    c = s.connect(timeout=30)
    t0 = time.monotonic()
    c.send(req("/hello.txt", headers=[basic("slow", "pw")]))
    assert c.read_response().status == 200
    first = time.monotonic() - t0
    t0 = time.monotonic()
    for path in ("/a.txt", "/b.txt", "/c.txt", "/hello.txt", "/a.txt"):
        c.send(req(path, headers=[basic("slow", "pw")]))
        assert c.read_response().status == 200
    five = time.monotonic() - t0
    c.close()
    assert five < first, f"5 cached requests took {five:.3f}s, one verification {first:.3f}s"
    # A wrong password is never served from the cache.
    c = s.connect(timeout=30)
    c.send(req("/hello.txt", headers=[basic("slow", "pX")]))
    assert c.read_response().status == 401
    c.close()


def test_password_never_logged(site, start_server, pwfile, tmp_path):
    log = tmp_path / "access.log"
    s = start_server(site.root, "--auth-file", pwfile, "--access-log", str(log), quiet=False)
    hdr = basic("alice", PASSWORD)
    assert fetch(s, "/hello.txt", headers=[hdr]).status == 200
    assert fetch(s, "/hello.txt", headers=[basic("alice", "WRONG-PW-MARK")]).status == 401
    s.stop()
    text = log.read_text()
    assert text.count("/hello.txt") == 2, text
    for secret in (PASSWORD, "WRONG-PW-MARK", hdr[1].split()[1]):
        assert secret not in text
        assert secret not in s.stdout_text() + s.stderr_text()
    # Nor in ps: eisd is only ever given the file's name.
    assert PASSWORD not in " ".join(s.args)


@pytest.mark.parametrize("entry,why", [
    ("bob:$apr1$abcdefgh$0123456789abcdefghijkl", "MD5 hashes are not accepted"),
    ("bob:$1$abcdefgh$0123456789abcdefghijkl", "MD5 hashes are not accepted"),
    ("bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "SHA-1 ({SHA}) hashes are not accepted"),
    ("bob:plainpassword", "plain-text or unknown password entries are not accepted"),
    ("bob:$2y$05$short", "this hash is not one libcrypt can verify"),
])
def test_weak_entries_refused_with_line(site, tmp_path, entry, why):
    p = tmp_path / "bad.htpasswd"
    p.write_text(htpasswd_line("alice", "x") + "\n# comment\n" + entry + "\n")
    rc, out, err = run_eisd(["--port", "0", "--auth-file", str(p), site.root])
    assert rc == 1
    assert err == f"eisd: {p}:3: user 'bob': {why} (use bcrypt: htpasswd -B)\n", err


@pytest.mark.parametrize("args,msg", [
    (["--auth", "/x/"], "eisd: --auth needs --auth-file FILE\n"),
    (["--auth-file", "F", "--bind", "0.0.0.0"],
     "eisd: --auth-file over plain HTTP on '0.0.0.0' would send passwords in clear: "
     "bind to loopback, or add --auth-insecure\n"),
    (["--auth-file", "F", "--bind", "::"],
     "eisd: --auth-file over plain HTTP on '::' would send passwords in clear: "
     "bind to loopback, or add --auth-insecure\n"),
    (["--auth-file", "F", "--auth", "/../x"],
     "eisd: invalid --auth prefix '/../x' (expected a path like /private/)\n"),
    (["--auth-file", "F", "--auth-realm", 'a"b'],
     "eisd: invalid --auth-realm 'a\"b' (1-64 printable characters, no quote or backslash)\n"),
])
def test_usage_errors(site, pwfile, args, msg):
    args = [pwfile if a == "F" else a for a in args]
    rc, out, err = run_eisd(args + [site.root])
    assert (rc, err) == (2, msg)


def test_missing_auth_file(site, tmp_path):
    rc, out, err = run_eisd(["--auth-file", str(tmp_path / "none"), site.root])
    assert rc == 1
    assert err == f"eisd: --auth-file '{tmp_path / 'none'}': No such file or directory\n"


def test_reload_reads_the_auth_file_again(site, start_server, tmp_path):
    import signal
    from test_reload import reload
    users = tmp_path / "users"
    users.write_text(htpasswd_line("alice", "old-pw") + "\n")
    conf = tmp_path / "eisd.conf"
    conf.write_text(f"auth-file = {users}\nauth = /sub/\n")
    s = start_server(site.root, "--config", str(conf))
    assert fetch(s, "/sub/file.txt", headers=[basic("alice", "old-pw")]).status == 200
    users.write_text(htpasswd_line("alice", "new-pw") + "\n")
    assert f"eisd: reloaded {conf}" in reload(s, 1)
    assert fetch(s, "/sub/file.txt", headers=[basic("alice", "old-pw")]).status == 401
    assert fetch(s, "/sub/file.txt", headers=[basic("alice", "new-pw")]).status == 200
    # A weak file on reload is refused, naming the line; the users stay.
    users.write_text("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")
    out = reload(s, 2)
    assert f"{users}:1: user 'alice': SHA-1 ({{SHA}}) hashes are not accepted" in out, out
    assert fetch(s, "/sub/file.txt", headers=[basic("alice", "new-pw")]).status == 200
    # And the prefix itself is live.
    users.write_text(htpasswd_line("alice", "new-pw") + "\n")
    conf.write_text(f"auth-file = {users}\nauth = /noindex/\n")
    assert reload(s, 3).count("eisd: reloaded") == 2
    assert fetch(s, "/sub/file.txt").status == 200
    assert fetch(s, "/noindex/file.txt").status == 401


# serial: compares waiting time with one verification's CPU time
@pytest.mark.serial
def test_one_verification_per_turn_others_served_between(site, start_server, tmp_path):
    # One worker, slow hashes (cost 13). While it verifies one login, four
    # other users send theirs and a sixth client asks for a public file:
    # all arrive for the same loop turn. The worker runs one crypt in that
    # turn and serves the public file; the other logins come in later
    # turns, one crypt each. So the public file waits about two
    # verifications (the one under way and one more), not five.
    users = [f"u{i}" for i in range(6)]
    p = tmp_path / "slow.htpasswd"
    p.write_text("".join(htpasswd_line(u, "pw-" + u, cost=13) + "\n" for u in users))
    s = start_server(site.root, "--auth-file", str(p), "--auth", "/sub/", threads=1)
    c = s.connect(timeout=60)
    t0 = time.monotonic()
    c.send(req("/sub/file.txt", headers=[basic("u0", "pw-u0")]))
    assert c.read_response().status == 200
    one = time.monotonic() - t0
    busy = s.connect(timeout=60)
    logins = [s.connect(timeout=60) for _ in users[2:]]
    plain = s.connect(timeout=60)
    t0 = time.monotonic()
    busy.send(req("/sub/file.txt", headers=[basic("u1", "pw-u1")]))
    for u, lc in zip(users[2:], logins):
        lc.send(req("/sub/file.txt", headers=[basic(u, "pw-" + u)]))
    plain.send(req("/hello.txt"))
    assert plain.read_response().status == 200
    waited = time.monotonic() - t0
    for lc in [busy] + logins:
        r = lc.read_response()
        assert (r.status, r.body) == (200, b"file in sub\n")
        lc.close()
    plain.close()
    c.close()
    assert waited < 3.2 * one, f"public file waited {waited:.2f}s; one verification {one:.2f}s"
