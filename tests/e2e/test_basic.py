"""GET and HEAD, response headers, content types, methods."""

import os
import re
import time

import pytest

from conftest import (INDEX_HTML, SUB_INDEX_HTML, assert_common_headers,
                      assert_error_page, fetch, parse_http_date, req, run_eisd)

# The HTTP semantics are the same over HTTP/2 (h2c): every test runs over both.
pytestmark = pytest.mark.over_h2


@pytest.mark.over_tls
@pytest.mark.smoke
def test_get_index_exact(server, site):
    r = fetch(server, "/index.html")
    assert r.status == 200
    assert r.reason == "OK"
    assert r.body == INDEX_HTML
    assert r.headers["Content-Length"] == str(len(INDEX_HTML))
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_common_headers(r)


def test_get_root_serves_index(server):
    r = fetch(server, "/")
    assert r.status == 200
    assert r.body == INDEX_HTML
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.h1_only
def test_status_line_is_http11(server):
    r = fetch(server, "/hello.txt")
    assert r.version == "HTTP/1.1"
    assert r.body == b"hello, world\n"


def test_no_duplicate_core_headers(server):
    r = fetch(server, "/hello.txt")
    for name in ("Date", "Server", "Content-Length", "Content-Type"):
        assert len(r.headers.get_all(name)) == 1, r.headers.raw


def test_empty_file(server):
    r = fetch(server, "/empty.txt")
    assert r.status == 200
    assert r.headers["Content-Length"] == "0"
    assert r.body == b""


def test_server_header_matches_version(server):
    rc, out, _ = run_eisd(["--version"])
    assert rc == 0
    version = out.strip().split()[-1]
    r = fetch(server, "/hello.txt")
    assert r.headers["Server"] == f"eisd/{version}"


def test_date_is_real_gmt_now(server):
    before = time.time()
    r = fetch(server, "/hello.txt")
    after = time.time()
    t = parse_http_date(r.headers["Date"])
    # Whole seconds: allow the truncation plus a little slack.
    assert before - 2 <= t <= after + 2, (r.headers["Date"], before, after)


def test_date_on_error_response(server):
    r = fetch(server, "/does-not-exist")
    assert r.status == 404
    assert_common_headers(r)


@pytest.mark.over_tls
@pytest.mark.smoke
def test_head_same_headers_no_body(server):
    with server.connect() as c:
        c.send(req("/index.html"))
        g = c.read_response()
        c.send(req("/index.html", method="HEAD"))
        h = c.read_response(head=True)
        # If HEAD had sent a body, it would show up here instead of a
        # status line.
        c.send(req("/hello.txt"))
        nxt = c.read_response()
    assert g.status == h.status == 200
    assert h.headers.as_dict(exclude=["date"]) == g.headers.as_dict(exclude=["date"])
    assert h.headers["Content-Length"] == str(len(INDEX_HTML))
    assert h.body == b""
    assert nxt.status == 200 and nxt.body == b"hello, world\n"


def test_head_no_body_nothing_trailing(server):
    with server.connect() as c:
        c.send(req("/sub/file.txt", method="HEAD"))
        h = c.read_response(head=True)
        assert h.status == 200
        assert h.headers["Content-Length"] == str(len(b"file in sub\n"))
        c.answered_next("/c.txt", b"C\n")  # a HEAD body would come first


def test_head_on_404_has_no_body(server):
    with server.connect() as c:
        c.send(req("/missing", method="HEAD"))
        h = c.read_response(head=True)
        assert h.status == 404
        assert int(h.headers["Content-Length"]) > 0
        c.send(req("/hello.txt"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello, world\n"


@pytest.mark.parametrize("name,ctype", [
    ("index.html", "text/html; charset=utf-8"),
    ("pic.png", "image/png"),
    ("blob.unknownext", "application/octet-stream"),
    ("blob.xyz", "chemical/x-xyz"),  # only in /etc/mime.types
    ("noext", "application/octet-stream"),
    ("hello.txt", "text/plain; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("pic.jpg", "image/jpeg"),
    ("anim.gif", "image/gif"),
    ("doc.pdf", "application/pdf"),
])
def test_content_type_exact(server, site, name, ctype):
    r = fetch(server, "/" + name)
    assert r.status == 200
    assert r.headers["Content-Type"] == ctype
    assert r.body == site.read(name)


@pytest.mark.parametrize("name,types", [
    ("app.js", {"text/javascript", "application/javascript"}),
    ("data.json", {"application/json"}),
    ("icon.svg", {"image/svg+xml"}),
])
def test_content_type_textual(server, site, name, types):
    r = fetch(server, "/" + name)
    assert r.status == 200
    ct = r.headers["Content-Type"]
    media = ct.split(";")[0].strip()
    assert media in types, ct
    if media.startswith("text/"):
        assert re.search(r";\s*charset=utf-8$", ct), ct
    assert r.body == site.read(name)


# The issue's list of the web's common types: the media type must be one of
# the registered spellings; text types carry charset=utf-8.
COMMON_TYPES = [
    ("mjs", {"text/javascript", "application/javascript"}),
    ("xml", {"application/xml", "text/xml"}),
    ("webp", {"image/webp"}),
    ("avif", {"image/avif"}),
    ("ico", {"image/x-icon", "image/vnd.microsoft.icon"}),
    ("wasm", {"application/wasm"}),
    ("woff", {"font/woff", "application/font-woff"}),
    ("woff2", {"font/woff2"}),
    ("mp4", {"video/mp4"}),
    ("webm", {"video/webm"}),
    ("mp3", {"audio/mpeg"}),
    ("zip", {"application/zip"}),
    ("jpeg", {"image/jpeg"}),
    ("htm", {"text/html"}),
]


@pytest.mark.parametrize("ext,types", COMMON_TYPES, ids=[e for e, _ in COMMON_TYPES])
def test_content_type_table(server, site, ext, types):
    name = f"file.{ext}"
    with open(os.path.join(site.root, name), "wb") as f:
        f.write(b"data\n")
    r = fetch(server, "/" + name)
    assert r.status == 200
    ct = r.headers["Content-Type"]
    assert ct.split(";")[0].strip() in types, ct
    if ct.startswith("text/"):
        assert re.search(r";\s*charset=utf-8$", ct), ct


def test_content_type_uses_last_extension(server, site):
    with open(os.path.join(site.root, "archive.html.zip"), "wb") as f:
        f.write(b"PK")
    r = fetch(server, "/archive.html.zip")
    assert r.headers["Content-Type"] == "application/zip"


def test_unreadable_file_403(start_server, site):
    """A file the server may not read is 403. Root reads any file, so as
    root the server runs as nobody (--user) to make the file unreadable."""
    p = os.path.join(site.root, "secret.txt")
    with open(p, "wb") as f:
        f.write(b"UNREADABLE")
    os.chmod(p, 0)
    args = []
    if os.geteuid() == 0:
        os.chmod(site.root, 0o755)
        args = ["--user", "nobody"]
    s = start_server(site.root, *args)
    r = fetch(s, "/secret.txt")
    assert_error_page(r, 403)
    assert b"UNREADABLE" not in r.body


def test_percent_encoded_name(server):
    r = fetch(server, "/hello%20world.txt")
    assert r.status == 200
    assert r.body == b"space in name\n"


def test_double_encoding_stays_literal(server):
    # %2541 decodes once to "%41", a file that exists under that literal name.
    r = fetch(server, "/%2541.txt")
    assert r.status == 200
    assert r.body == b"literal percent name\n"


def test_query_string_ignored(server):
    r = fetch(server, "/hello.txt?x=1&y=../../canary.txt")
    assert r.status == 200
    assert r.body == b"hello, world\n"


def test_absolute_form_target(server):
    r = fetch(server, "http://localhost/hello.txt")
    assert r.status == 200
    assert r.body == b"hello, world\n"


@pytest.mark.h1_only
def test_bare_lf_line_endings(server):
    with server.connect() as c:
        c.send(b"GET /hello.txt HTTP/1.1\nHost: x\n\n")
        r = c.read_response()
    assert r.status == 200
    assert r.body == b"hello, world\n"


@pytest.mark.h1_only
def test_http10_without_host_ok(server):
    r = fetch(server, "/hello.txt", version="1.0", host=None)
    assert r.status == 200
    assert r.body == b"hello, world\n"


def test_sub_directory_index(server):
    r = fetch(server, "/sub/")
    assert r.status == 200
    assert r.body == SUB_INDEX_HTML
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.over_tls
def test_404_page_keeps_alive(server):
    marker = "nosuchfile-7f3a9c"
    with server.connect() as c:
        c.send(req("/" + marker))
        r = c.read_response()
        assert_error_page(r, 404, marker=marker)
        assert not r.keep_alive_denied
        c.send(req("/hello.txt"))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"hello, world\n"


def test_error_page_does_not_echo_html(server):
    marker = "<script>alert(7)</script>"
    r = fetch(server, "/%3Cscript%3Ealert(7)%3C/script%3E")
    assert r.status == 404
    assert b"<script>" not in r.body and b"alert(7)" not in r.body
    assert_error_page(r, 404, marker=marker)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "CONNECT", "TRACE"])
@pytest.mark.smoke
def test_405_with_allow(server, method):
    with server.connect() as c:
        c.send(req("/index.html", method=method))
        r = c.read_response()
        assert_error_page(r, 405)
        assert r.headers["Allow"] == "GET, HEAD"
        # 405 does not close the connection.
        assert not r.keep_alive_denied
        c.send(req("/hello.txt"))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"hello, world\n"


def test_options_204_with_allow(server):
    with server.connect() as c:
        c.send(req("/index.html", method="OPTIONS"))
        r = c.read_response()
        assert r.status == 204
        allow = [m.strip() for m in r.headers["Allow"].split(",")]
        assert "GET" in allow and "HEAD" in allow
        assert "Content-Length" not in r.headers or r.headers["Content-Length"] == "0"
        c.send(req("/hello.txt"))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"hello, world\n"


@pytest.mark.parametrize("method", ["FOO", "get", "Get", "PROPFIND", "BREW"])
def test_501_unknown_method(server, method):
    """Methods are case-sensitive: "get" is a valid token but not GET."""
    with server.connect() as c:
        c.send(req("/index.html", method=method))
        r = c.read_response()
        assert_error_page(r, 501)
        assert r.body != INDEX_HTML
        # 501 keeps the connection alive (the request itself was well-formed).
        assert not r.keep_alive_denied, r.headers.raw
        c.send(req("/hello.txt"))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"hello, world\n"


@pytest.mark.h1_only
@pytest.mark.parametrize("minor", ["2", "9"])
def test_later_http1_minor_is_served_as_11(server, minor):
    # RFC 9112 §2.3: a later HTTP/1.x is answered as HTTP/1.1 (keep-alive
    # by default), not 505; only another major version is.
    with server.connect() as c:
        c.send(f"GET /hello.txt HTTP/1.{minor}\r\nHost: x\r\n\r\n".encode())
        r = c.read_response()
        assert r.version == "HTTP/1.1"
        assert r.status == 200 and r.body == b"hello, world\n"
        assert not r.keep_alive_denied
        c.send(f"GET /a.txt HTTP/1.{minor}\r\nHost: x\r\n\r\n".encode())
        r = c.read_response()
        assert r.status == 200 and r.body == b"AAAA file a\n"
    with server.connect() as c:
        c.send(f"GET /hello.txt HTTP/1.{minor}\r\n\r\n".encode())
        assert c.read_response().status == 400  # Host is required, as in 1.1


@pytest.mark.parametrize("path,status", [("/nosuch.txt", 404), ("/.hidden", 404)])
def test_error_pages_share_the_listing_look(server, path, status):
    # Not the browser's default Times: the listings' fonts and dark mode,
    # and a link to /.
    r = fetch(server, path)
    assert_error_page(r, status)
    page = r.body.decode()
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta name="viewport"' in page
    assert "font:16px/1.5 system-ui" in page
    assert "@media (prefers-color-scheme:dark)" in page
    assert '<a href="/">Home</a>' in page
    assert f"<h1>{status} " in page and page.endswith("</html>\n")
    h = fetch(server, path, method="HEAD")
    assert h.headers["Content-Length"] == r.headers["Content-Length"] and h.body == b""
