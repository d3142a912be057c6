"""Every parser rejection over the wire: the exact status, a small HTML error
page that does not echo the request, Connection: close, then the server
closes the connection and keeps serving others."""

import pytest

from conftest import assert_closed_after_error, assert_error_page, req

MARK = "zq-marker-91c7"
H = f"Host: x\r\nX-Marker: {MARK}\r\n"

# (id, raw request, allowed statuses)
CASES = [
    # RFC 9112 §5.1: no whitespace between field name and colon.
    ("space-before-colon", f"GET /a.txt HTTP/1.1\r\n{H}X-A : b\r\n\r\n", {400}),
    ("tab-before-colon", f"GET /a.txt HTTP/1.1\r\n{H}X-A\t: b\r\n\r\n", {400}),
    ("space-before-colon-host", f"GET /a.txt HTTP/1.1\r\nHost : x\r\nX-Marker: {MARK}\r\n\r\n", {400}),
    # §5.2: obs-fold is rejected.
    ("obs-fold-space", f"GET /a.txt HTTP/1.1\r\n{H}X-A: a\r\n b\r\n\r\n", {400}),
    ("obs-fold-tab", f"GET /a.txt HTTP/1.1\r\n{H}X-A: a\r\n\tb\r\n\r\n", {400}),
    ("missing-host-http11", f"GET /a.txt HTTP/1.1\r\nX-Marker: {MARK}\r\n\r\n", {400}),
    ("two-hosts", f"GET /a.txt HTTP/1.1\r\n{H}Host: y\r\n\r\n", {400}),
    ("two-identical-hosts", f"GET /a.txt HTTP/1.1\r\n{H}Host: x\r\n\r\n", {400}),
    ("differing-content-length", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 5\r\nContent-Length: 6\r\n\r\n", {400}),
    ("content-length-list-differing", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 5, 6\r\n\r\n", {400}),
    ("content-length-alpha", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: abc\r\n\r\n", {400}),
    ("content-length-negative", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: -1\r\n\r\n", {400}),
    ("content-length-trailing-junk", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 5x\r\n\r\n", {400}),
    ("content-length-plus", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: +5\r\n\r\n", {400}),
    ("content-length-empty", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length:\r\n\r\n", {400}),
    ("content-length-hex", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 0x10\r\n\r\n", {400}),
    ("content-length-inner-space", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 1 2\r\n\r\n", {400}),
    ("content-length-overflow", f"GET /a.txt HTTP/1.1\r\n{H}Content-Length: 99999999999999999999999\r\n\r\n", {400}),
    ("cl-and-te", f"POST /a.txt HTTP/1.1\r\n{H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", {400}),
    ("te-and-cl", f"POST /a.txt HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", {400}),
    ("no-colon", f"GET /a.txt HTTP/1.1\r\n{H}X-NoColon\r\n\r\n", {400}),
    ("empty-field-name", f"GET /a.txt HTTP/1.1\r\n{H}: value\r\n\r\n", {400}),
    ("nul-in-value", f"GET /a.txt HTTP/1.1\r\n{H}X-A: a\x00b\r\n\r\n", {400}),
    ("bare-cr-in-value", f"GET /a.txt HTTP/1.1\r\n{H}X-A: a\rb\r\n\r\n", {400}),
    ("nul-in-name", f"GET /a.txt HTTP/1.1\r\n{H}X-\x00A: b\r\n\r\n", {400}),
    ("bad-char-in-name", f"GET /a.txt HTTP/1.1\r\n{H}X(A): b\r\n\r\n", {400}),
    ("method-not-a-token", f"G@T /a.txt HTTP/1.1\r\n{H}\r\n", {400}),
    ("double-space-request-line", f"GET  /a.txt HTTP/1.1\r\n{H}\r\n", {400}),
    ("extra-request-line-field", f"GET /a.txt HTTP/1.1 extra\r\n{H}\r\n", {400}),
    ("control-char-in-target", f"GET /a\x01b.txt HTTP/1.1\r\n{H}\r\n", {400}),
    ("garbage-request-line", f"HELLO\r\n{H}\r\n", {400}),
    # A wrong HTTP-name is a malformed request line (400), not a version (505).
    ("lowercase-http-name", f"GET /a.txt http/1.1\r\n{H}\r\n", {400}),
    ("bad-http-name", f"GET /a.txt HTTX/1.1\r\n{H}\r\n", {400}),
    # Any major version but 1 (a later 1.x is served as 1.1: test_basic).
    ("http-2.0", f"GET /a.txt HTTP/2.0\r\n{H}\r\n", {505}),
    ("http-3.0", f"GET /a.txt HTTP/3.0\r\n{H}\r\n", {505}),
    ("http-0.9", f"GET /a.txt HTTP/0.9\r\n{H}\r\n", {505}),
    # Percent-decoding of the path.
    ("pct-00", f"GET /a%00.txt HTTP/1.1\r\n{H}\r\n", {400}),
    ("pct-invalid-hex", f"GET /a%zz.txt HTTP/1.1\r\n{H}\r\n", {400}),
    ("pct-truncated", f"GET /a.txt%4 HTTP/1.1\r\n{H}\r\n", {400}),
    ("pct-at-end", f"GET /a.txt% HTTP/1.1\r\n{H}\r\n", {400}),
    ("pct-g0", f"GET /%g0 HTTP/1.1\r\n{H}\r\n", {400}),
    # Target longer than the head limit (default 8192).
    ("target-too-long", f"GET /{'a' * 9000} HTTP/1.1\r\n{H}\r\n", {414}),
    # Head over the limit (default 8192).
    ("head-too-large", f"GET /a.txt HTTP/1.1\r\n{H}X-Big: {'b' * 10000}\r\n\r\n", {431}),
    # More field lines than the parser keeps (64), in a head far below the
    # byte limit: 431 too (RFC 6585 §5), never a generic 400.
    ("too-many-headers", f"GET /a.txt HTTP/1.1\r\n{H}" + "".join(f"X-H{i}: v\r\n" for i in range(200)) + "\r\n", {431}),
    ("header-65-fields", f"GET /a.txt HTTP/1.1\r\n{H}" + "".join(f"X-H{i}: v\r\n" for i in range(63)) + "\r\n", {431}),
]


def check_rejected(server, raw, statuses, slowly=False):
    data = raw.encode("latin-1")
    with server.connect() as c:
        if slowly:
            c.send_slowly(data, delay=0.0005)
        else:
            c.send(data)
        r = c.read_response()
        assert r.status in statuses, f"expected {statuses}, got {r}"
        assert_error_page(r, r.status, marker=MARK)
        assert b"AAAA" not in r.body, "file served despite a bad request"
        assert_closed_after_error(r, c)
    # The server still serves other clients.
    with server.connect() as c2:
        c2.send(req("/a.txt"))
        r2 = c2.read_response()
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")


@pytest.mark.parametrize("raw,statuses", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejected(server, raw, statuses):
    check_rejected(server, raw, statuses)


@pytest.mark.parametrize("name", ["obs-fold-space", "two-hosts", "http-2.0", "nul-in-value", "cl-and-te"])
@pytest.mark.smoke
def test_rejected_byte_by_byte(server, name):
    raw, statuses = next(c[1:] for c in CASES if c[0] == name)
    check_rejected(server, raw, statuses, slowly=True)


@pytest.mark.smoke
def test_bad_request_after_good_one_on_same_connection(server):
    with server.connect() as c:
        c.send(req("/a.txt") + f"GET /b.txt HTTP/1.1\r\n{H}X-A : b\r\n\r\n".encode() + req("/c.txt"))
        r1 = c.read_response()
        assert (r1.status, r1.body) == (200, b"AAAA file a\n")
        r2 = c.read_response()
        assert_error_page(r2, 400, marker=MARK)
        # The third request is never answered: the connection closes.
        assert_closed_after_error(r2, c)


@pytest.fixture
def small_server(start_server, site):
    return start_server(site.root, "--max-request-bytes", "1024")


def test_431_with_max_request_bytes(small_server):
    check_rejected(small_server, f"GET /a.txt HTTP/1.1\r\n{H}X-Big: {'b' * 2000}\r\n\r\n", {431})


def test_431_many_small_headers(small_server):
    hdrs = "".join(f"X-Header-{i:03d}: {'v' * 20}\r\n" for i in range(40))
    check_rejected(small_server, f"GET /a.txt HTTP/1.1\r\n{H}{hdrs}\r\n", {431})


def test_414_with_max_request_bytes(small_server):
    check_rejected(small_server, f"GET /{'t' * 2000} HTTP/1.1\r\n{H}\r\n", {414})


def _head_of_size(n):
    base = "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
    pad = n - len(base)
    assert pad >= 0
    return f"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Pad: {'p' * pad}\r\n\r\n"


def test_head_exactly_at_limit_accepted(small_server):
    raw = _head_of_size(1024)
    assert len(raw) == 1024
    with small_server.connect() as c:
        c.send(raw.encode())
        r = c.read_response()
        assert (r.status, r.body) == (200, b"AAAA file a\n")


def test_head_one_over_limit_rejected(small_server):
    raw = _head_of_size(1025)
    assert len(raw) == 1025
    with small_server.connect() as c:
        c.send(raw.encode())
        r = c.read_response()
        assert_error_page(r, 431)
        assert_closed_after_error(r, c)


def test_64_header_fields_accepted(server):
    """The field-count limit is 64 lines, Host included: exactly 64 is
    served (65 is the 431 case above)."""
    raw = f"GET /a.txt HTTP/1.1\r\n{H}" + "".join(f"X-H{i}: v\r\n" for i in range(62)) + "\r\n"
    assert raw.count("\r\n") - 2 == 64
    with server.connect() as c:
        c.send(raw.encode())
        r = c.read_response()
        assert (r.status, r.body) == (200, b"AAAA file a\n")


def test_keep_alive_requests_each_under_limit(small_server):
    """The limit is per request head, not per connection."""
    raw = _head_of_size(900).encode()
    with small_server.connect() as c:
        c.send(raw * 5)
        for _ in range(5):
            r = c.read_response()
            assert (r.status, r.body) == (200, b"AAAA file a\n")
