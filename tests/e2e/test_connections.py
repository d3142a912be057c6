"""Persistent connections, pipelining, partial reads, HTTP/1.0, request
bodies (read and discarded), 413, timeouts."""

import socket
import time

import pytest

from conftest import assert_closed_after_error, assert_error_page, req

MIB = 1024 * 1024


def test_keep_alive_several_requests(server, site):
    names = ["a.txt", "b.txt", "c.txt", "hello.txt", "index.html", "sub/file.txt"]
    with server.connect() as c:
        for name in names:
            c.send(req("/" + name))
            r = c.read_response()
            assert r.status == 200
            assert r.body == site.read(name)
            assert not r.keep_alive_denied
        # Still open: one more request on it is answered.
        c.answered_next("/hello.txt", b"hello, world\n")


def test_pipelining_three_in_one_write(server, site):
    data = req("/a.txt") + req("/b.txt") + req("/c.txt")
    with server.connect() as c:
        c.send(data)
        bodies = [c.read_response().body for _ in range(3)]
        assert bodies == [site.read("a.txt"), site.read("b.txt"), site.read("c.txt")]
        c.answered_next("/hello.txt", b"hello, world\n")


@pytest.mark.smoke
def test_pipelining_mixed_in_order(server, site):
    data = (req("/a.txt", method="HEAD") + req("/missing") + req("/b.txt")
            + req("/x", method="DELETE") + req("/sub") + req("/c.txt"))
    with server.connect() as c:
        c.send(data)
        r1 = c.read_response(head=True)
        r2 = c.read_response()
        r3 = c.read_response()
        r4 = c.read_response()
        r5 = c.read_response()
        r6 = c.read_response()
    assert (r1.status, r1.body) == (200, b"")
    assert r1.headers["Content-Length"] == str(len(site.read("a.txt")))
    assert r2.status == 404
    assert (r3.status, r3.body) == (200, site.read("b.txt"))
    assert r4.status == 405
    assert r5.status == 301 and r5.headers["Location"] == "/sub/"
    assert (r6.status, r6.body) == (200, site.read("c.txt"))


def test_pipelining_many(server, site):
    names = ["a.txt", "b.txt", "c.txt"] * 30
    with server.connect() as c:
        c.send(b"".join(req("/" + n) for n in names))
        for n in names:
            r = c.read_response()
            assert r.status == 200 and r.body == site.read(n)


def test_request_one_byte_at_a_time(server):
    with server.connect() as c:
        c.send_slowly(req("/hello.txt", headers=[("User-Agent", "byte-by-byte"), ("Accept", "*/*")]))
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"hello, world\n"
        # And a pipelined pair, byte by byte, with bare LF endings.
        c.send_slowly(b"GET /a.txt HTTP/1.1\nHost: x\n\nGET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n", delay=0.001)
        assert c.read_response().body == b"AAAA file a\n"
        assert c.read_response().body == b"BBBBBBBB file b\n"


def test_request_in_two_pieces_split_in_crlf(server):
    data = req("/hello.txt")
    cut = data.index(b"\r\n\r\n") + 2
    with server.connect() as c:
        c.send(data[:cut])
        time.sleep(0.2)
        c.send(data[cut:])
        r = c.read_response()
    assert r.status == 200 and r.body == b"hello, world\n"


def test_http10_closes_by_default(server):
    with server.connect() as c:
        c.send(req("/hello.txt", version="1.0", host=None))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello, world\n"
        assert "keep-alive" not in r.headers.get("Connection", "").lower()
        assert c.closed_by_server(timeout=3), "HTTP/1.0 connection without keep-alive left open"


def test_http10_keep_alive(server):
    with server.connect() as c:
        c.send(req("/a.txt", version="1.0", headers=[("Connection", "keep-alive")]))
        r = c.read_response()
        assert r.status == 200 and r.body == b"AAAA file a\n"
        assert r.headers["Connection"].lower() == "keep-alive"
        c.send(req("/b.txt", version="1.0", headers=[("Connection", "Keep-Alive")]))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"BBBBBBBB file b\n"
        assert r2.headers["Connection"].lower() == "keep-alive"
        # A third request without keep-alive: answered, then closed.
        c.send(req("/c.txt", version="1.0"))
        r3 = c.read_response()
        assert r3.status == 200 and r3.body == b"C\n"
        assert c.closed_by_server(timeout=3)


def test_http11_connection_close_honoured(server):
    with server.connect() as c:
        c.send(req("/hello.txt", headers=[("Connection", "close")]))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello, world\n"
        assert r.headers["Connection"].lower() == "close"
        assert c.closed_by_server(timeout=3)


def test_http11_connection_close_case_insensitive(server):
    with server.connect() as c:
        c.send(req("/hello.txt", headers=[("connection", "Close")]))
        r = c.read_response()
        assert r.status == 200
        assert r.headers["Connection"].lower() == "close"
        assert c.closed_by_server(timeout=3)


def test_pipelined_after_connection_close_not_answered(server):
    with server.connect() as c:
        c.send(req("/a.txt", headers=[("Connection", "close")]) + req("/b.txt"))
        r = c.read_response()
        assert r.body == b"AAAA file a\n"
        assert c.closed_by_server(timeout=3), f"answered past Connection: close: {bytes(c.buf[:100])!r}"


def test_post_body_content_length_discarded(server):
    # The body looks like a request: if it were not discarded it would be
    # answered as one (a smuggled GET).
    # Ends in "Z", not a newline: skipped one byte short, the body would
    # leave "Z" before the next request (a lone newline would be allowed).
    smuggled = req("/b.txt") + b"Z"
    data = req("/index.html", method="POST",
               headers=[("Content-Length", str(len(smuggled))), ("Content-Type", "text/plain")],
               body=smuggled) + req("/a.txt")
    with server.connect() as c:
        c.send(data)
        r1 = c.read_response()
        r2 = c.read_response()
        assert r1.status == 405
        assert r1.headers["Allow"] == "GET, HEAD"
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")
        c.answered_next("/c.txt", b"C\n")  # the smuggled /b.txt would come first


def test_post_body_chunked_discarded(server):
    # Ends in "Z", not a newline: skipped one byte short, the body would
    # leave "Z" before the next request (a lone newline would be allowed).
    smuggled = req("/b.txt") + b"Z"
    body = (b"%x\r\n" % len(smuggled)) + smuggled + b"\r\n" + b"3;ext=1\r\nabc\r\n0\r\n\r\n"
    data = req("/index.html", method="POST", headers=[("Transfer-Encoding", "chunked")],
               body=body) + req("/a.txt")
    with server.connect() as c:
        c.send(data)
        r1 = c.read_response()
        r2 = c.read_response()
        assert r1.status == 405
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")
        c.answered_next("/c.txt", b"C\n")  # the smuggled /b.txt would come first


@pytest.mark.smoke
def test_post_body_chunked_with_trailer_discarded(server):
    body = b"5\r\nhello\r\n0\r\nX-Trailer: GET /b.txt\r\n\r\n"
    data = req("/x", method="PUT", headers=[("Transfer-Encoding", "chunked")], body=body) + req("/a.txt")
    with server.connect() as c:
        c.send(data)
        assert c.read_response().status == 405
        r2 = c.read_response()
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")
        c.answered_next("/c.txt", b"C\n")


def test_post_body_arrives_late_and_slowly(server):
    # Ends in "Z", not a newline: skipped one byte short, the body would
    # leave "Z" before the next request (a lone newline would be allowed).
    smuggled = req("/b.txt") + b"Z"
    head = req("/index.html", method="POST", headers=[("Content-Length", str(len(smuggled)))])
    with server.connect() as c:
        c.send(head)
        time.sleep(0.2)
        c.send_slowly(smuggled, delay=0.001, step=3)
        time.sleep(0.1)
        c.send(req("/a.txt"))
        r1 = c.read_response()
        r2 = c.read_response()
        assert r1.status == 405
        assert (r2.status, r2.body) == (200, b"AAAA file a\n")
        c.answered_next("/c.txt", b"C\n")


def test_get_with_body_discarded(server):
    # Ends in "Z", not a newline: skipped one byte short, the body would
    # leave "Z" before the next request (a lone newline would be allowed).
    smuggled = req("/b.txt") + b"Z"
    data = req("/a.txt", headers=[("Content-Length", str(len(smuggled)))], body=smuggled) + req("/c.txt")
    with server.connect() as c:
        c.send(data)
        assert c.read_response().body == b"AAAA file a\n"
        assert c.read_response().body == b"C\n"
        c.answered_next("/hello.txt", b"hello, world\n")


def test_body_of_exactly_one_mib_accepted(server):
    body = b"x" * MIB
    with server.connect() as c:
        c.send(req("/index.html", method="POST", headers=[("Content-Length", str(MIB))]))
        c.send(body)
        c.send(req("/a.txt"))
        r1 = c.read_response()
        r2 = c.read_response()
    assert r1.status == 405
    assert (r2.status, r2.body) == (200, b"AAAA file a\n")


def test_413_content_length_over_limit(server):
    with server.connect() as c:
        c.send(req("/index.html", method="POST", headers=[("Content-Length", str(MIB + 1))]))
        r = c.read_response()
        assert_error_page(r, 413)
        assert_closed_after_error(r, c)


def test_413_huge_content_length(server):
    with server.connect() as c:
        c.send(req("/index.html", method="POST", headers=[("Content-Length", "99999999999999")]))
        r = c.read_response()
        assert_error_page(r, 413)
        assert_closed_after_error(r, c)
    # The server is fine afterwards.
    with server.connect() as c2:
        c2.send(req("/a.txt"))
        assert c2.read_response().body == b"AAAA file a\n"


@pytest.mark.smoke
def test_413_chunked_over_limit(server):
    with server.connect() as c:
        c.send(req("/index.html", method="POST", headers=[("Transfer-Encoding", "chunked")]))
        # One chunk announced at 2 MiB, then a little over 1 MiB of it.
        c.send(b"200000\r\n" + b"y" * 65536)
        try:
            for _ in range(18):
                c.send(b"y" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.read_response()
        assert r.status == 413, r
        assert_closed_after_error(r, c)


def test_413_chunk_extensions_count_against_the_body_limit(server, site):
    """A tiny body wrapped in chunk extensions: the 1 MiB limit counts the
    body as sent, so 300 one-byte chunks with 4 KB of extension each (1.2 MB
    on the wire, 300 bytes of data) get 413 and a close."""
    chunk = b"1;" + b"e" * 4000 + b"\r\nx\r\n"
    with server.connect() as c:
        c.send(req("/index.html", method="POST", headers=[("Transfer-Encoding", "chunked")]))
        try:
            for _ in range(300):
                c.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.read_response()
        assert r.status == 413, r
        assert_closed_after_error(r, c)
    with server.connect() as c2:
        c2.send(req("/a.txt"))
        assert c2.read_response().body == site.read("a.txt")


def test_chunked_body_with_its_framing_under_the_limit_is_accepted(server, site):
    """15 chunks of 64 KiB: 983,040 data bytes and 120 bytes of framing,
    under 1 MiB together: read, discarded, and the request answered."""
    body = (b"10000\r\n" + b"z" * 65536 + b"\r\n") * 15 + b"0\r\n\r\n"
    assert len(body) < MIB
    with server.connect() as c:
        c.send(req("/a.txt", method="POST", headers=[("Transfer-Encoding", "chunked")]) + body
               + req("/b.txt"))
        assert c.read_response().status == 405
        assert c.read_response().body == site.read("b.txt")


def test_idle_keep_alive_timeout(start_server, site):
    s = start_server(site.root, "--timeout", "1")
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().status == 200
        t0 = time.monotonic()
        assert c.closed_by_server(timeout=5), "idle keep-alive connection not closed after --timeout"
        assert time.monotonic() - t0 < 4


@pytest.mark.smoke
def test_slow_head_timeout(start_server, site):
    """A client that never finishes its head gets 408 Request Timeout with
    Connection: close after --timeout, then the close; the server keeps
    serving others."""
    s = start_server(site.root, "--timeout", "1")
    with s.connect() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        r = c.read_response()
        assert_error_page(r, 408)
        assert r.reason == "Request Timeout"
        assert_closed_after_error(r, c)
        assert time.monotonic() - t0 < 5
    with s.connect() as c2:
        c2.send(req("/a.txt"))
        assert c2.read_response().body == b"AAAA file a\n"


def test_client_half_close_after_request(server):
    """A client may shut down its write side after the request; the
    response still arrives."""
    with server.connect() as c:
        c.send(req("/hello.txt"))
        c.sock.shutdown(socket.SHUT_WR)
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello, world\n"
