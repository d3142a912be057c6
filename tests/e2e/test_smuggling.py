"""Request smuggling: every way two HTTP parsers could disagree about where a
request body ends (RFC 9112 §6.1, §6.3, §7.1, §11.2).

Each ambiguous request must get exactly one answer (400, or 501 for a
transfer coding we cannot undo, 413 for a chunk too big), `Connection:
close`, and then the connection closes; a request hidden in its body is
never answered (so the tests count responses exactly), and the next
connection is served normally. Requests that are unusual but unambiguous
(`Transfer-Encoding: Chunked`, identical Content-Length values, chunk
extensions) are served, and a request inside their body is still never
answered on its own."""

import pytest

from conftest import ConnectionClosed, assert_closed_after_error, assert_error_page, req

A = b"AAAA file a\n"
B = b"BBBBBBBB file b\n"
C = b"C\n"

MARK = "smug-8d41"
# The request a smuggler wants a back-end to see: it must never be answered.
HIDDEN = f"GET /b.txt HTTP/1.1\r\nHost: x\r\nX-Marker: {MARK}\r\n\r\n"
# A body that ends a chunked message at once, then carries HIDDEN.
CHUNKED_THEN_HIDDEN = "0\r\n\r\n" + HIDDEN


def head(*lines, request_line="GET /a.txt HTTP/1.1", host="Host: x"):
    """A request head from raw field lines (str), CRLF-terminated."""
    fields = ([host] if host else []) + list(lines)
    return request_line + "\r\n" + "".join(f + "\r\n" for f in fields) + "\r\n"


def cl(body):
    return f"Content-Length: {len(body)}"


def read_all_responses(conn, limit=8):
    """Reads responses until the server closes; returns them all."""
    out = []
    while len(out) < limit:
        try:
            out.append(conn.read_response())
        except ConnectionClosed:
            break
    assert not conn.buf, f"partial bytes after the last response: {bytes(conn.buf)!r}"
    return out


def follow_up_works(server):
    with server.connect() as c:
        c.send(req("/c.txt"))
        r = c.read_response()
        assert (r.status, r.body) == (200, C)


def check_rejected(server, raw, status, slowly=False):
    """One error answer with Connection: close, then the server closes
    without a further byte (a second, smuggled response would be caught
    here), and a new connection is served."""
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    with server.connect() as c:
        if slowly:
            c.send_slowly(data, delay=0.0005)
        else:
            c.send(data)
        r = c.read_response()
        assert r.status == status, f"expected {status}, got {r}"
        assert_error_page(r, status, marker=MARK)
        assert A not in r.body and B not in r.body
        assert_closed_after_error(r, c)
    follow_up_works(server)


# (id, raw request, status). Every body carries HIDDEN in some framing.
REJECTED = [
    # Both framings present, in either order (§6.3 item 3): refuse rather
    # than pick one. The hidden request starts where the CL framing ends.
    ("cl-then-te", head("Content-Length: 5", "Transfer-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-then-cl", head("Transfer-Encoding: chunked", "Content-Length: 5") + CHUNKED_THEN_HIDDEN, 400),
    ("te-then-cl-zero", head("Transfer-Encoding: chunked", "Content-Length: 0") + CHUNKED_THEN_HIDDEN, 400),
    ("cl-then-te-gzip-chunked", head("Content-Length: 5", "Transfer-Encoding: gzip, chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("cl-and-te-identity", head("Content-Length: 5", "Transfer-Encoding: identity") + "hello" + HIDDEN, 400),
    # Content-Length that two parsers could read differently (§6.3 item 5).
    ("cl-duplicate-differing", head("Content-Length: 5", f"Content-Length: {len(HIDDEN) + 5}") + "hello" + HIDDEN, 400),
    ("cl-duplicate-differing-case", head("content-length: 5", f"CONTENT-LENGTH: {len(HIDDEN) + 5}") + "hello" + HIDDEN, 400),
    ("cl-list-5-6", head("Content-Length: 5, 6") + "hello" + HIDDEN, 400),
    ("cl-list-6-5-nospace", head("Content-Length: 6,5") + "hello" + HIDDEN, 400),
    ("cl-list-empty-element", head("Content-Length: 5,,5") + "hello" + HIDDEN, 400),
    ("cl-plus", head("Content-Length: +5") + "hello" + HIDDEN, 400),
    ("cl-minus", head("Content-Length: -5") + "hello" + HIDDEN, 400),
    ("cl-inner-space", head("Content-Length: 5 0") + "hello" + HIDDEN, 400),
    ("cl-hex", head("Content-Length: 0x5") + "hello" + HIDDEN, 400),
    ("cl-decimal-point", head("Content-Length: 5.0") + "hello" + HIDDEN, 400),
    ("cl-exponent", head("Content-Length: 5e0") + "hello" + HIDDEN, 400),
    ("cl-underscore", head("Content-Length: 5_0") + "hello" + HIDDEN, 400),
    ("cl-vertical-tab", head("Content-Length: \x0b5") + "hello" + HIDDEN, 400),
    ("cl-arabic-digit", head("Content-Length: \xd9\xa5") + "hello" + HIDDEN, 400),
    ("cl-2^64-plus-5", head("Content-Length: 18446744073709551621") + "hello" + HIDDEN, 400),
    ("cl-space-before-colon", head("Content-Length : 5") + "hello" + HIDDEN, 400),
    # Transfer-Encoding with chunked missing, not last, or twice (§6.3
    # item 4: 400 and close).
    ("te-chunked-then-gzip", head("Transfer-Encoding: chunked, gzip") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-then-identity", head("Transfer-Encoding: chunked, identity") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-twice-in-list", head("Transfer-Encoding: chunked, chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-two-fields", head("Transfer-Encoding: chunked", "Transfer-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-field-then-gzip-field", head("Transfer-Encoding: chunked", "Transfer-Encoding: gzip") + CHUNKED_THEN_HIDDEN, 400),
    ("te-gzip-only", head("Transfer-Encoding: gzip") + CHUNKED_THEN_HIDDEN, 400),
    ("te-identity", head("Transfer-Encoding: identity") + CHUNKED_THEN_HIDDEN, 400),
    ("te-empty", head("Transfer-Encoding:") + CHUNKED_THEN_HIDDEN, 400),
    ("te-quoted", head('Transfer-Encoding: "chunked"') + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-with-parameter", head("Transfer-Encoding: chunked;q=1") + CHUNKED_THEN_HIDDEN, 400),
    ("te-xchunked", head("Transfer-Encoding: xchunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunk", head("Transfer-Encoding: chunk") + CHUNKED_THEN_HIDDEN, 400),
    ("te-chunked-space-junk", head("Transfer-Encoding: chunked x") + CHUNKED_THEN_HIDDEN, 400),
    ("te-vertical-tab", head("Transfer-Encoding: \x0bchunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-form-feed", head("Transfer-Encoding: chunked\x0c") + CHUNKED_THEN_HIDDEN, 400),
    ("te-space-before-colon", head("Transfer-Encoding : chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("te-tab-before-colon", head("Transfer-Encoding\t: chunked") + CHUNKED_THEN_HIDDEN, 400),
    # A coding we do not implement, correctly ending in chunked: 501.
    ("te-gzip-chunked", head("Transfer-Encoding: gzip, chunked") + CHUNKED_THEN_HIDDEN, 501),
    ("te-deflate-field-chunked-field", head("Transfer-Encoding: deflate", "Transfer-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 501),
    # HTTP/1.0 has no Transfer-Encoding (§6.1): its framing is ambiguous.
    ("te-http10", head("Transfer-Encoding: chunked", request_line="GET /a.txt HTTP/1.0", host=None) + CHUNKED_THEN_HIDDEN, 400),
    ("te-http10-with-cl", head("Transfer-Encoding: chunked", "Content-Length: 5", request_line="GET /a.txt HTTP/1.0", host=None) + CHUNKED_THEN_HIDDEN, 400),
    # Obsolete line folding (§5.2), in general and inside the framing
    # fields: a folding-unaware front-end sees other headers than we do.
    ("obs-fold-general", head("X-A: a", " b") + HIDDEN, 400),
    ("obs-fold-te-value-on-next-line", head("Transfer-Encoding:", " chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("obs-fold-te-list-continued", head("Transfer-Encoding: gzip", "\tchunked") + CHUNKED_THEN_HIDDEN, 400),
    ("obs-fold-after-te", head("Transfer-Encoding: chunked", " , gzip") + CHUNKED_THEN_HIDDEN, 400),
    ("obs-fold-cl", head("Content-Length: 1", " 0") + "0123456789" + HIDDEN, 400),
    ("obs-fold-hides-te", head("X-A: a", " Transfer-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("space-before-first-field", "GET /a.txt HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: x\r\n\r\n" + CHUNKED_THEN_HIDDEN, 400),
    # A bare CR, which some parsers take as a line end (§2.2).
    ("bare-cr-in-value", head("X-A: a\rb") + HIDDEN, 400),
    ("bare-cr-as-line-end-te", head("X-A: a\rTransfer-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("bare-cr-as-line-end-cl", head("X-A: a\rContent-Length: 5") + "hello" + HIDDEN, 400),
    ("bare-cr-in-te-value", head("Transfer-Encoding: chunked\r, gzip") + CHUNKED_THEN_HIDDEN, 400),
    ("bare-cr-in-name", head("Transfer\r-Encoding: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("bare-cr-ends-request-line", "GET /a.txt HTTP/1.1\rHost: x\r\n\r\n" + HIDDEN, 400),
    ("bare-cr-in-target", "GET /a.txt\r HTTP/1.1\r\nHost: x\r\n\r\n" + HIDDEN, 400),
    # NUL bytes anywhere in the head.
    ("nul-in-method", "G\x00ET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + HIDDEN, 400),
    ("nul-in-target", "GET /a.txt\x00/b HTTP/1.1\r\nHost: x\r\n\r\n" + HIDDEN, 400),
    ("nul-in-name", head("Transfer-Encoding\x00: chunked") + CHUNKED_THEN_HIDDEN, 400),
    ("nul-in-te-value", head("Transfer-Encoding: chunked\x00") + CHUNKED_THEN_HIDDEN, 400),
    ("nul-in-cl-value", head("Content-Length: 5\x00") + "hello" + HIDDEN, 400),
    ("nul-before-line-end", head("X-A: a\x00") + HIDDEN, 400),
    # Chunk sizes that overflow or that a 64-bit counter would wrap:
    # 2^64 + 5 must not be read as 5.
    ("chunk-size-2^64+5", head("Transfer-Encoding: chunked") + "10000000000000005\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-20-hex-digits", head("Transfer-Encoding: chunked") + "FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-2^60+1", head("Transfer-Encoding: chunked") + "1000000000000001\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    # 2^60 is a well-formed size, just far over the 1 MiB body limit.
    ("chunk-size-2^60", head("Transfer-Encoding: chunked") + "1000000000000000\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 413),
    ("chunk-size-over-body-limit", head("Transfer-Encoding: chunked") + "100001\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 413),
    ("chunk-size-leading-zeros-over-line-limit", head("Transfer-Encoding: chunked") + "0" * 5000 + "5\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    # Chunk extensions: bounded, and no quoting games.
    ("chunk-ext-over-4k", head("Transfer-Encoding: chunked") + "5;" + "e" * 5000 + "\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-ext-many-small", head("Transfer-Encoding: chunked") + "5" + ";a=b" * 1500 + "\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-ext-quoted-crlf", head("Transfer-Encoding: chunked") + '5;a="x\r\n' + HIDDEN + '"\r\nhello\r\n' + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-ext-bare-cr", head("Transfer-Encoding: chunked") + "5;a\rb\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-ext-nul", head("Transfer-Encoding: chunked") + "5;a=\x00\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-space-junk", head("Transfer-Encoding: chunked") + "5 x\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    # Invalid chunks: 400 and close.
    ("chunk-data-longer-than-size", head("Transfer-Encoding: chunked") + "5\r\nhelloX\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-data-shorter-than-size", head("Transfer-Encoding: chunked") + "5\r\nhel\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-missing", head("Transfer-Encoding: chunked") + "\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-not-hex", head("Transfer-Encoding: chunked") + "g\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-negative", head("Transfer-Encoding: chunked") + "-5\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-0x-prefix", head("Transfer-Encoding: chunked") + "0x5\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-leading-space", head("Transfer-Encoding: chunked") + " 5\r\nhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-size-bare-cr", head("Transfer-Encoding: chunked") + "5\rhello\r\n" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-data-bare-cr-end", head("Transfer-Encoding: chunked") + "5\r\nhello\r" + CHUNKED_THEN_HIDDEN, 400),
    ("chunk-last-with-junk", head("Transfer-Encoding: chunked") + "0\r\nhello\r\n\r\n" + HIDDEN, 400),
    ("chunk-trailer-obs-fold", head("Transfer-Encoding: chunked") + "0\r\nX-T: a\r\n b\r\n\r\n" + HIDDEN, 400),
    ("chunk-trailer-nul", head("Transfer-Encoding: chunked") + "0\r\nX-T: a\x00\r\n\r\n" + HIDDEN, 400),
    ("chunk-trailer-no-name", head("Transfer-Encoding: chunked") + "0\r\n: a\r\n\r\n" + HIDDEN, 400),
]


@pytest.mark.parametrize("raw,status", [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_ambiguous_rejected(server, raw, status):
    check_rejected(server, raw, status)


@pytest.mark.smoke
@pytest.mark.parametrize("name", ["cl-then-te", "te-chunked-then-gzip", "obs-fold-te-value-on-next-line",
                                  "chunk-size-2^64+5", "chunk-ext-quoted-crlf"])
def test_ambiguous_rejected_byte_by_byte(server, name):
    raw, status = next(c[1:] for c in REJECTED if c[0] == name)
    check_rejected(server, raw, status, slowly=True)


def test_rejected_with_post_and_keep_alive(server):
    """The method and an explicit keep-alive change nothing."""
    raw = head("Connection: keep-alive", "Content-Length: 5", "Transfer-Encoding: chunked",
               request_line="POST /a.txt HTTP/1.1") + CHUNKED_THEN_HIDDEN
    check_rejected(server, raw, 400)


def test_rejected_after_a_good_request_on_same_connection(server):
    """A good request, then an ambiguous one: two answers, then close."""
    raw = (req("/a.txt") + head("Transfer-Encoding: chunked", "Content-Length: 5").encode()
           + CHUNKED_THEN_HIDDEN.encode())
    with server.connect() as c:
        c.send(raw)
        r1 = c.read_response()
        assert (r1.status, r1.body) == (200, A)
        r2 = c.read_response()
        assert_error_page(r2, 400, marker=MARK)
        assert_closed_after_error(r2, c)
    follow_up_works(server)


# Unusual but unambiguous: served. Each sends the request, a body that
# holds HIDDEN, then a last request for /c.txt with Connection: close:
# exactly two answers (a.txt, c.txt) and a close; never b.txt. The body
# ends in "Z", not in a newline (a blank line before a request is
# allowed, so a lost newline would go unnoticed): a body skipped one byte
# short turns the last request into "ZGET" (501), one skipped a byte long
# into "ET" (501).
BODY = HIDDEN + "Z"
LAST = req("/c.txt", headers=["Connection: close"]).decode()
CHUNKED_HIDDEN_BODY = f"{len(BODY):x}\r\n{BODY}\r\n0\r\n\r\n"

ACCEPTED = [
    ("content-length", head(cl(BODY)) + BODY),
    ("content-length-identical-twice", head(cl(BODY), cl(BODY)) + BODY),
    ("content-length-identical-list", head(f"Content-Length: {len(BODY)}, {len(BODY)}") + BODY),
    ("content-length-leading-zeros", head(f"Content-Length: 000{len(BODY)}") + BODY),
    ("content-length-ows", head(f"Content-Length: \t {len(BODY)} \t") + BODY),
    ("chunked", head("Transfer-Encoding: chunked") + CHUNKED_HIDDEN_BODY),
    # Transfer codings are case-insensitive (RFC 9112 §7).
    ("chunked-capitalised", head("Transfer-Encoding: Chunked") + CHUNKED_HIDDEN_BODY),
    ("chunked-upper", head("TRANSFER-ENCODING: CHUNKED") + CHUNKED_HIDDEN_BODY),
    ("chunked-ows", head("Transfer-Encoding: \t chunked \t") + CHUNKED_HIDDEN_BODY),
    # Empty list elements are ignored (RFC 9110 §5.6.1).
    ("chunked-empty-elements", head("Transfer-Encoding: , chunked ,") + CHUNKED_HIDDEN_BODY),
    ("chunked-bare-lf", head("Transfer-Encoding: chunked") + f"{len(BODY):x}\n{BODY}\n0\n\n"),
    ("chunked-split-hidden", head("Transfer-Encoding: chunked")
     + "".join(f"{len(p):x}\r\n{p}\r\n" for p in (BODY[:7], BODY[7:20], BODY[20:])) + "0\r\n\r\n"),
    ("chunked-extensions", head("Transfer-Encoding: chunked")
     + f"{len(BODY):x};name=value;flag ;q=\"a b\"\r\n{BODY}\r\n0;last\r\n\r\n"),
    ("chunked-size-bws-before-ext", head("Transfer-Encoding: chunked") + f"{len(BODY):x} \t;x=1\r\n{BODY}\r\n0\r\n\r\n"),
    ("chunked-size-leading-zeros", head("Transfer-Encoding: chunked") + f"0000{len(BODY):X}\r\n{BODY}\r\n0\r\n\r\n"),
    # Trailer fields are skipped; framing fields there change nothing.
    ("chunked-trailers", head("Transfer-Encoding: chunked")
     + f"{len(BODY):x}\r\n{BODY}\r\n0\r\nContent-Length: 999\r\nTransfer-Encoding: chunked\r\n\r\n"),
    ("post-405-content-length", head(cl(BODY), request_line="POST /a.txt HTTP/1.1") + BODY),
    ("post-405-chunked", head("Transfer-Encoding: chunked", request_line="POST /a.txt HTTP/1.1") + CHUNKED_HIDDEN_BODY),
    ("http10-keep-alive-content-length",
     head("Connection: keep-alive", cl(BODY), request_line="GET /a.txt HTTP/1.0", host=None) + BODY),
]


def check_accepted(server, raw, slowly=False):
    data = (raw + LAST).encode("latin-1")
    with server.connect() as c:
        if slowly:
            c.send_slowly(data, delay=0.0005)
        else:
            c.send(data)
        rs = read_all_responses(c)
    got = [(r.status, r.body) for r in rs]
    assert all(B not in r.body for r in rs), f"the hidden request was answered: {got}"
    # POST is not served (405, a small page); anything else gets a.txt.
    if raw.startswith("POST"):
        assert [r.status for r in rs] == [405, 200], got
        assert rs[0].headers["Allow"] == "GET, HEAD"
        assert not rs[0].keep_alive_denied
    else:
        assert [(r.status, r.body) for r in rs[:1]] == [(200, A)], got
    assert len(rs) == 2, f"expected exactly 2 responses, got {got}"
    assert (rs[1].status, rs[1].body) == (200, C), got
    assert rs[1].keep_alive_denied


@pytest.mark.parametrize("raw", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_unambiguous_served_and_hidden_request_never_answered(server, raw):
    check_accepted(server, raw)


@pytest.mark.smoke
@pytest.mark.parametrize("name", ["content-length-identical-twice", "chunked-capitalised", "chunked-split-hidden"])
def test_unambiguous_byte_by_byte(server, name):
    raw = next(c[1] for c in ACCEPTED if c[0] == name)
    check_accepted(server, raw, slowly=True)


def test_expect_100_continue_body_never_read_as_request(server):
    """With Expect: 100-continue the body may or may not follow our answer,
    so eisd answers and closes: the hidden request is never answered."""
    raw = head("Expect: 100-continue", cl(HIDDEN)) + HIDDEN + LAST
    with server.connect() as c:
        c.send(raw.encode())
        rs = read_all_responses(c)
    assert [(r.status, r.body) for r in rs] == [(200, A)]
    assert rs[0].keep_alive_denied
    follow_up_works(server)


def test_413_body_with_hidden_request(server):
    """A declared body over the limit: 413, close, nothing after it."""
    raw = head("Content-Length: 2000000") + HIDDEN + LAST
    with server.connect() as c:
        c.send(raw.encode())
        r = c.read_response()
        assert_error_page(r, 413, marker=MARK)
        assert_closed_after_error(r, c)
    follow_up_works(server)
