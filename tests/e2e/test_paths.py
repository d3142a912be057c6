"""Mapping targets to files safely: traversal in many encodings against a
canary next to ROOT, symlink escapes, hidden files, FIFOs and other
non-regular files, directories and the redirect."""

import os
import socket
import time

import pytest

from conftest import (INDEX_HTML, SUB_INDEX_HTML, assert_closed_after_error,
                      assert_error_page, path_impl_env, req)


@pytest.fixture
def server(site, start_server, path_impl):
    """Every test here runs against both path implementations: openat2 and
    the fallback of kernels without it (forced by a test-only switch)."""
    return start_server(site.root, env=path_impl_env(path_impl))


def test_path_implementation_in_effect(server, site, path_impl):
    """The switch really selects the implementation: a symlink that leaves
    the root and comes back in ("../www/a.txt") is refused by openat2
    (RESOLVE_BENEATH sees the climb) and allowed by the fallback (which
    only checks where the path ends; path.h). Without this, a switch that
    stopped working would leave the fallback untested."""
    assert os.path.basename(site.root) == "www"
    os.symlink("../www/a.txt", os.path.join(site.root, "out_and_back.txt"))
    with server.connect() as c:
        c.send(req("/out_and_back.txt"))
        r = c.read_response()
    if path_impl == "openat2":
        assert_error_page(r, 403)
    else:
        assert (r.status, r.body) == (200, b"AAAA file a\n")

# The HTTP semantics are the same over HTTP/2 (h2c): every test runs over both.
pytestmark = pytest.mark.over_h2

# ROOT is tmp/www; the canary is tmp/canary.txt. A path that climbs above the
# root with ".." (after percent-decoding) is 400; anything else that cannot
# be a file under ROOT is 404 (no such file, or a hidden segment).
CLIMB = {400}
NOFILE = {404}

TRAVERSALS = [
    ("/../canary.txt", CLIMB),
    ("/%2e%2e/canary.txt", CLIMB),
    ("/%2E%2E/canary.txt", CLIMB),
    ("/%2E%2E%2Fcanary.txt", CLIMB),
    ("/..%2fcanary.txt", CLIMB),
    ("/..%2Fcanary.txt", CLIMB),
    ("/.%2e/canary.txt", CLIMB),
    ("/%2e./canary.txt", CLIMB),
    ("/./../canary.txt", CLIMB),
    ("//../canary.txt", CLIMB),
    ("/a/../../canary.txt", CLIMB),
    ("/sub/../../canary.txt", CLIMB),
    ("/sub/%2e%2e/%2e%2e/canary.txt", CLIMB),
    ("/sub/..%2f..%2fcanary.txt", CLIMB),
    ("/%2e%2e%2f%2e%2e%2fcanary.txt", CLIMB),
    ("/../www/../canary.txt", CLIMB),
    ("/../../../../../../../../canary.txt", CLIMB),
    ("/..", CLIMB),
    ("/../", CLIMB),
    ("/%2e%2e", CLIMB),
    ("/sub/../..", CLIMB),
    # Double encoding decodes once: "%2e%2e" stays a literal name.
    ("/%252e%252e/canary.txt", NOFILE),
    ("/%252e%252e%252fcanary.txt", NOFILE),
    ("/..%252fcanary.txt", NOFILE),
    # Backslash is an ordinary byte on Linux: "..\canary.txt" is a hidden
    # segment name, "sub\..\..\canary.txt" a file name that does not exist.
    ("/..\\canary.txt", NOFILE),
    ("/%2e%2e%5ccanary.txt", NOFILE),
    ("/%2e%2e%5c%2e%2e%5ccanary.txt", NOFILE),
    ("/sub\\..\\..\\canary.txt", NOFILE),
    ("/..;/canary.txt", NOFILE),
    ("/....//canary.txt", NOFILE),
    ("/.../canary.txt", NOFILE),
    # Overlong UTF-8 dots are just bytes, never ".": names that do not
    # exist ("..\xc0\xafcanary.txt" starts with a dot: hidden, also 404).
    ("/%c0%ae%c0%ae/canary.txt", NOFILE),
    ("/%c0%2e%c0%2e/canary.txt", NOFILE),
    ("/%2e%2e%c0%afcanary.txt", NOFILE),
    ("/%e0%80%ae%e0%80%ae/canary.txt", NOFILE),
    ("/..%00/canary.txt", {400}),
    ("/canary.txt", NOFILE),
    # Folds to "canary.txt" under the root, where there is none.
    ("/www/../canary.txt", NOFILE),
]

ABSOLUTE_FORM = [
    ("http://x/../canary.txt", CLIMB),
    ("http://x/%2e%2e/canary.txt", CLIMB),
    ("http://x/..%2fcanary.txt", CLIMB),
    ("http://localhost:80/sub/../../canary.txt", CLIMB),
    ("http://x/%252e%252e/canary.txt", NOFILE),
]


def check_no_canary(site, r, conn):
    for secret in (site.canary, site.canary2):
        assert secret not in r.body and secret not in r.head_bytes, f"CANARY LEAKED: {r}"
        assert secret not in bytes(conn.buf), "CANARY LEAKED after the response"


def send_target(server, target):
    c = server.connect()
    c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1"))
    return c.read_response(), c


@pytest.mark.over_tls
@pytest.mark.parametrize("target,statuses", TRAVERSALS, ids=[t for t, _ in TRAVERSALS])
def test_traversal(server, site, target, statuses):
    r, c = send_target(server, target)
    with c:
        check_no_canary(site, r, c)
        assert r.status != 200
        assert r.status in statuses, f"{target}: expected {statuses}, got {r}"
        assert_error_page(r, r.status)
        if r.status == 400:
            assert_closed_after_error(r, c)


@pytest.mark.parametrize("target,statuses", ABSOLUTE_FORM, ids=[t for t, _ in ABSOLUTE_FORM])
def test_traversal_absolute_form(server, site, target, statuses):
    r, c = send_target(server, target)
    with c:
        check_no_canary(site, r, c)
        assert r.status in statuses, f"{target}: expected {statuses}, got {r}"
        if r.status == 400:
            assert_closed_after_error(r, c)


@pytest.mark.parametrize("target", ["/../canary.txt", "/%2e%2e/canary.txt", "/..%2fcanary.txt"])
@pytest.mark.h1_only  # HTTP/1.0 without Host has no HTTP/2 form
def test_traversal_with_head_and_http10(server, site, target):
    for raw in (f"HEAD {target} HTTP/1.1\r\nHost: x\r\n\r\n", f"GET {target} HTTP/1.0\r\n\r\n"):
        with server.connect() as c:
            c.send(raw.encode())
            r = c.read_response(head=raw.startswith("HEAD"))
            assert r.status == 400, r
            check_no_canary(site, r, c)


@pytest.mark.over_tls
def test_traversal_byte_by_byte(server, site):
    with server.connect() as c:
        c.send_slowly(b"GET /%2e%2e/canary.txt HTTP/1.1\r\nHost: x\r\n\r\n", delay=0.001)
        r = c.read_response()
        assert r.status == 400
        check_no_canary(site, r, c)


@pytest.mark.smoke
def test_etc_passwd_unreachable(server):
    for target in ("/../../../../../../../../etc/passwd", "/%2e%2e/" * 12 + "etc/passwd",
                   "http://x/../../../../../../etc/passwd"):
        r, c = send_target(server, target)
        with c:
            assert r.status == 400, (target, r)
            assert b"root:" not in r.body


@pytest.mark.parametrize("target,expected", [
    ("/a..b.txt", b"dots in the middle\n"),
    ("/...x", None),  # starts with '.': hidden
    ("/sub/../a.txt", b"AAAA file a\n"),
    ("/sub/%2e%2e/a.txt", b"AAAA file a\n"),
    ("/./a.txt", b"AAAA file a\n"),
    ("//a.txt", b"AAAA file a\n"),
    ("/sub//file.txt", b"file in sub\n"),
    ("/sub/./file.txt", b"file in sub\n"),
    ("/%61.txt", b"AAAA file a\n"),
    ("/a%2Etxt", b"AAAA file a\n"),
])
def test_names_and_normalisation_inside_root(server, target, expected):
    r, c = send_target(server, target)
    with c:
        if expected is None:
            assert r.status == 404, r
        else:
            assert r.status == 200, r
            assert r.body == expected


# ---------------------------------------------------------------- symlinks

@pytest.mark.parametrize("target", [
    "/link_out.txt",
    "/link_abs.txt",
    "/dirlink_out/canary2.txt",
    "/dirlink_abs/canary2.txt",
    "/dirlink_out/",
])
@pytest.mark.smoke
def test_symlink_escape_forbidden(server, site, target):
    r, c = send_target(server, target)
    with c:
        check_no_canary(site, r, c)
        assert_error_page(r, 403)
        # 403 keeps the connection.
        assert not r.keep_alive_denied
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"


def test_symlink_to_device_forbidden(server):
    r, c = send_target(server, "/devnull")
    with c:
        assert_error_page(r, 403)


def test_symlink_inside_root_served(server):
    r, c = send_target(server, "/link_in.html")
    with c:
        assert r.status == 200
        assert r.body == INDEX_HTML
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"


def test_dir_symlink_inside_root_served(server):
    r, c = send_target(server, "/dirlink_in/file.txt")
    with c:
        assert r.status == 200
        assert r.body == b"file in sub\n"


def test_symlink_created_while_running(server, site):
    """Resolution happens per request: a symlink swapped in later is still
    confined."""
    os.symlink("../canary.txt", os.path.join(site.root, "late.txt"))
    r, c = send_target(server, "/late.txt")
    with c:
        check_no_canary(site, r, c)
        assert r.status == 403


# ---------------------------------------------------------------- hidden

@pytest.mark.over_tls
@pytest.mark.parametrize("target", [
    "/.hidden", "/.git/config", "/.git/", "/.git", "/sub/.secret",
    "/.dotdir/visible.txt", "/%2ehidden", "/%2Egit/config", "/sub/%2esecret",
    "/sub/../.hidden", "/./.hidden",
])
def test_hidden_is_404(server, target):
    r, c = send_target(server, target)
    with c:
        assert_error_page(r, 404)
        for secret in (b"HIDDEN", b"SECRET"):
            assert secret not in r.body
        assert not r.keep_alive_denied


# ---------------------------------------------------------------- special files

@pytest.mark.smoke
def test_fifo_is_403_at_once(server):
    t0 = time.monotonic()
    r, c = send_target(server, "/fifo")
    with c:
        assert_error_page(r, 403)
        assert time.monotonic() - t0 < 2
        c.send(req("/a.txt"))
        r2 = c.read_response()
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")


def test_fifo_never_blocks_workers(server):
    """More FIFO requests than worker threads, all at once: none may block a
    worker, so a normal request right after is answered promptly."""
    conns = []
    try:
        for _ in range(server.threads * 3):
            c = server.connect()
            c.send(req("/fifo"))
            conns.append(c)
        t0 = time.monotonic()
        with server.connect(timeout=3) as c:
            c.send(req("/a.txt"))
            r = c.read_response()
            assert (r.status, r.body) == (200, b"AAAA file a\n")
        assert time.monotonic() - t0 < 2
        for c in conns:
            assert c.read_response().status == 403
    finally:
        for c in conns:
            c.close()


def test_fifo_with_writer_still_403(server, site):
    """Even with a writer attached, a FIFO is not a regular file."""
    path = os.path.join(site.root, "fifo")
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        os.write(fd, b"FIFO-DATA")
        r, c = send_target(server, "/fifo")
        with c:
            assert r.status == 403
            assert b"FIFO-DATA" not in r.body
    finally:
        os.close(fd)


def test_unix_socket_is_403(server, site):
    path = os.path.join(site.root, "sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(path)
        s.listen(1)
        r, c = send_target(server, "/sock")
        with c:
            assert_error_page(r, 403)
    finally:
        s.close()


# ---------------------------------------------------------------- directories

@pytest.mark.over_tls
@pytest.mark.parametrize("target,location", [
    ("/sub", "/sub/"),
    ("/sub?x=1", "/sub/?x=1"),
    ("/sub/deeper", "/sub/deeper/"),
    ("/noindex", "/noindex/"),
    ("/a%20b", "/a%20b/"),
    ("/dirlink_in", "/dirlink_in/"),
])
def test_directory_redirect(server, target, location):
    r, c = send_target(server, target)
    with c:
        assert r.status == 301, r
        assert r.headers["Location"] == location
        assert int(r.headers["Content-Length"]) == len(r.body)
        assert not r.keep_alive_denied
        c.send(req(location))
        r2 = c.read_response()
        assert r2.status in (200, 403)


def test_redirect_head(server):
    with server.connect() as c:
        c.send(req("/sub", method="HEAD"))
        r = c.read_response(head=True)
        assert r.status == 301 and r.headers["Location"] == "/sub/"


def test_redirect_location_cannot_inject_headers(server):
    """A directory named "evil\\r\\nX-Injected: 1" exists; its redirect must
    not let CR/LF reach the header block."""
    r, c = send_target(server, "/evil%0d%0aX-Injected:%201")
    with c:
        assert "X-Injected" not in r.headers, r.headers.raw
        assert r.status in (301, 400, 404), r
        if r.status == 301:
            loc = r.headers["Location"]
            assert "\r" not in loc and "\n" not in loc
            assert loc.startswith("/evil")


@pytest.mark.parametrize("target,location", [
    ("//evil.example/../sub", "/sub/"),
    ("//evil.example/..//sub?x=1", "/sub/?x=1"),
    ("/%2F%2Fevil.example/../sub", "/sub/"),
    ("//sub", "/sub/"),
    ("///sub/deeper", "/sub/deeper/"),
    ("/./sub", "/sub/"),
    ("/sub/.", "/sub/"),
    ("/%73ub", "/sub/"),
    ("/.", "/"),
    ("/sub/..", "/"),
    ("//evil.example/..", "/"),
    # Browsers read "/\\host" as "//host": a backslash is escaped.
    ("/\\evil.example", "/%5Cevil.example/"),
    ("/%5Cevil.example", "/%5Cevil.example/"),
    ("/q%3Fx%23y", "/q%3Fx%23y/"),
    ("/evil%0d%0aX-Injected:%201", "/evil%0D%0AX-Injected:%201/"),
])
def test_directory_redirect_stays_on_site(server, site, target, location):
    """Location comes from the normalised path and starts with exactly one
    '/': "//evil.example/../sub/" would send the client to evil.example."""
    os.mkdir(os.path.join(site.root, "\\evil.example"))
    os.mkdir(os.path.join(site.root, "q?x#y"))
    r, c = send_target(server, target)
    with c:
        assert r.status == 301, r
        assert r.headers["Location"] == location, r.headers.raw
        c.send(req(location))
        assert c.read_response().status in (200, 403)


def test_directory_with_index(server):
    r, c = send_target(server, "/sub/")
    with c:
        assert r.status == 200
        assert r.body == SUB_INDEX_HTML


def test_directory_without_index_403(server):
    r, c = send_target(server, "/noindex/")
    with c:
        assert_error_page(r, 403)
        assert b"file.txt" not in r.body  # no listing in this issue
        assert not r.keep_alive_denied


def test_space_directory_index(server):
    r, c = send_target(server, "/a%20b/")
    with c:
        assert r.status == 200 and r.body == b"space dir\n"


def test_missing_is_404_keeps_alive(server):
    r, c = send_target(server, "/sub/nope.txt")
    with c:
        assert_error_page(r, 404)
        c.send(req("/sub/file.txt"))
        assert c.read_response().body == b"file in sub\n"


@pytest.mark.parametrize("path", ["/hello.txt/", "/sub/file.txt/", "/hello.txt//",
                                  "/sub/file.txt/?x=1", "/hello%2etxt/"])
def test_trailing_slash_after_a_file_is_404(server, path):
    # A slash after a regular file names a directory that does not exist
    # (open(2) says ENOTDIR), never the file.
    with server.connect() as c:
        c.send(req(path))
        r = c.read_response()
    assert_error_page(r, 404)
    with server.connect() as c:
        c.send(req(path.split("?")[0].rstrip("/")))
        assert c.read_response().status == 200
