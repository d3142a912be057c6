"""Byte ranges (RFC 9110 §14): single ranges in all three forms, clamping,
416, invalid ranges ignored, multipart/byteranges, coalescing and the cap
on range count, If-Range, HEAD, and the access log's byte count."""

import os
import random
import time

import pytest

from conftest import fetch, parse_http_date, req
from semantics import (expected_etag, http_date, log_status_bytes, parse_multipart,
                       poll_log_lines, set_mtime)

SIZE = 1000
PAST = 1600000000


@pytest.fixture
def data(site):
    """r.bin: 1000 bytes, all positions distinguishable, mtime in the past."""
    rnd = random.Random(1234)
    blob = bytes(rnd.randrange(256) for _ in range(SIZE))
    path = os.path.join(site.root, "r.bin")
    with open(path, "wb") as f:
        f.write(blob)
    set_mtime(path, PAST)
    return blob


@pytest.fixture
def rserver(site, data, start_server):
    return start_server(site.root)


def get(server, rng=None, path="/r.bin", method="GET", headers=()):
    h = list(headers)
    if rng is not None:
        h.append(("Range", rng))
    return fetch(server, path, method=method, headers=h)


def assert_partial(r, blob, first, last):
    assert r.status == 206, r
    assert r.reason == "Partial Content"
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{len(blob)}"
    assert r.headers["Content-Length"] == str(last - first + 1)
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.body == blob[first:last + 1]


def assert_full(r, blob):
    assert r.status == 200, r
    assert "Content-Range" not in r.headers
    assert r.headers["Content-Length"] == str(len(blob))
    assert r.body == blob


# ------------------------------------------------------------ single ranges


@pytest.mark.parametrize("rng,first,last", [
    ("bytes=0-0", 0, 0),
    ("bytes=0-99", 0, 99),
    ("bytes=10-19", 10, 19),
    ("bytes=999-999", 999, 999),
    ("bytes=500-", 500, 999),
    ("bytes=0-", 0, 999),
    ("bytes=-1", 999, 999),
    ("bytes=-100", 900, 999),
    # clamped
    ("bytes=900-5000", 900, 999),
    ("bytes=-5000", 0, 999),
    ("bytes=0-99999999999999999999999", 0, 999),
    # case, whitespace, empty list elements
    ("Bytes=1-2", 1, 2),
    ("bytes= 3-4 ", 3, 4),
    ("bytes=,5-6,", 5, 6),
])
def test_single_range(rserver, data, rng, first, last):
    r = get(rserver, rng)
    assert_partial(r, data, first, last)


def test_accept_ranges_on_full_response(rserver, data):
    r = get(rserver)
    assert_full(r, data)
    assert r.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("rng", ["bytes=1000-", "bytes=1000-2000", "bytes=-0",
                                 "bytes=5000-,2000-3000", "bytes=18446744073709551616-"])
def test_unsatisfiable_is_416(rserver, data, rng):
    r = get(rserver, rng)
    assert r.status == 416, r
    assert r.reason == "Range Not Satisfiable"
    assert r.headers["Content-Range"] == f"bytes */{SIZE}"
    assert int(r.headers["Content-Length"]) == len(r.body)
    assert data[:20] not in r.body


@pytest.mark.parametrize("rng", [
    "bytes=5-2", "bytes=abc", "items=0-5", "bytes=0-1,x", "bytes=", "bytes",
    "bytes=--5", "bytes=1-2-3", "bytes 0-5", "bytes=0x10-20", "bytes=+5-6",
])
def test_invalid_range_is_ignored(rserver, data, rng):
    assert_full(get(rserver, rng), data)


def test_range_on_empty_file_is_200(rserver, site):
    for rng in ("bytes=0-", "bytes=-5", "bytes=0-0"):
        r = get(rserver, rng, path="/empty.txt")
        assert r.status == 200, (rng, r)
        assert r.headers["Content-Length"] == "0"
        assert r.body == b""


def test_range_beyond_4gib(site, start_server):
    """64-bit offsets end to end: a sparse 5 GiB file with markers."""
    path = os.path.join(site.root, "huge.bin")
    size = 5 * 1024 ** 3
    off = 4 * 1024 ** 3 + 7
    with open(path, "wb") as f:
        f.truncate(size)
        f.seek(off)
        f.write(b"MARKER-4GiB")
        f.seek(size - 4)
        f.write(b"TAIL")
    s = start_server(site.root)
    r = get(s, f"bytes={off}-{off + 10}", path="/huge.bin")
    assert r.status == 206
    assert r.headers["Content-Range"] == f"bytes {off}-{off + 10}/{size}"
    assert r.body == b"MARKER-4GiB"
    r = get(s, "bytes=-4", path="/huge.bin")
    assert r.headers["Content-Range"] == f"bytes {size - 4}-{size - 1}/{size}"
    assert r.body == b"TAIL"
    r = get(s, f"bytes={off}-{off + 3},-4", path="/huge.bin")
    parts = parse_multipart(r.body, r.headers["Content-Type"])
    assert [(p[1], p[2], p[3], p[4]) for p in parts] == [
        (off, off + 3, size, b"MARK"), (size - 4, size - 1, size, b"TAIL")]
    h = get(s, method="HEAD", path="/huge.bin")
    assert h.headers["Content-Length"] == str(size)


# ------------------------------------------------------------ multipart


def check_multipart(r, blob, expected, ctype="application/octet-stream"):
    assert r.status == 206, r
    assert "Content-Range" not in r.headers
    assert r.headers["Content-Length"] == str(len(r.body))
    parts = parse_multipart(r.body, r.headers["Content-Type"])
    assert [(p[1], p[2]) for p in parts] == expected
    for headers, first, last, total, body in parts:
        assert set(headers) == {"content-type", "content-range"}
        assert headers["content-type"] == ctype
        assert total == len(blob)
        assert body == blob[first:last + 1]
    return parts


def test_multipart_two_ranges(rserver, data):
    r = get(rserver, "bytes=0-9,20-29")
    check_multipart(r, data, [(0, 9), (20, 29)])


def test_multipart_all_forms(rserver, data):
    r = get(rserver, "bytes=-5, 100-199, 950-")
    # Parts are in ascending order; -5 and 950- merge.
    check_multipart(r, data, [(100, 199), (950, 999)])


def test_multipart_text_type(rserver, site):
    blob = site.read("hello.txt")
    r = get(rserver, "bytes=0-1,5-6", path="/hello.txt")
    check_multipart(r, blob, [(0, 1), (5, 6)], ctype="text/plain; charset=utf-8")


def test_multipart_exact_layout(rserver, data):
    """The whole body, byte for byte."""
    r = get(rserver, "bytes=0-2,10-12")
    boundary = r.headers["Content-Type"].split("boundary=")[1]
    expected = (
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Range: bytes 0-2/1000\r\n\r\n").encode() + data[0:3] + (
        f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Range: bytes 10-12/1000\r\n\r\n").encode() + data[10:13] + (
        f"\r\n--{boundary}--\r\n").encode()
    assert r.body == expected


def test_boundary_is_fresh_per_response(rserver):
    a = get(rserver, "bytes=0-1,5-6").headers["Content-Type"]
    b = get(rserver, "bytes=0-1,5-6").headers["Content-Type"]
    assert a != b


def test_overlapping_ranges_are_coalesced(rserver, data):
    # Overlapping and adjacent ranges merge into one: a single-part 206.
    assert_partial(get(rserver, "bytes=0-10,5-20"), data, 0, 20)
    assert_partial(get(rserver, "bytes=0-9,10-19"), data, 0, 19)
    assert_partial(get(rserver, "bytes=100-199,150-160,-900"), data, 100, 999)
    # The whole file asked for many times is sent once.
    r = get(rserver, "bytes=0-,0-,0-,0-,0-,0-,0-,0-")
    assert_partial(r, data, 0, 999)


def test_sixteen_ranges_allowed(rserver, data):
    rng = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 2}" for i in range(16))
    r = get(rserver, rng)
    check_multipart(r, data, [(i * 10, i * 10 + 2) for i in range(16)])


def test_more_than_sixteen_ranges_is_full_body(rserver, data):
    rng = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 2}" for i in range(17))
    assert_full(get(rserver, rng), data)
    # Even when they would all coalesce, or are unsatisfiable.
    assert_full(get(rserver, "bytes=" + ",".join(["0-"] * 17)), data)
    assert_full(get(rserver, "bytes=" + ",".join(["5000-"] * 17)), data)


def test_ranges_never_amplify(rserver, data):
    """Ranges that repeat or overlap the whole file send it once."""
    for rng in ("bytes=" + ",".join(["0-999"] * 16),
                "bytes=" + ",".join(["-1000"] * 16),
                "bytes=" + ",".join(f"{i}-{i + 500}" for i in range(16))):
        r = get(rserver, rng)
        last = 515 if "500" in rng else 999
        assert_partial(r, data, 0, last)


# ------------------------------------------------------------ HEAD


def test_head_with_range_same_headers(rserver, data):
    for rng in ("bytes=10-19", "bytes=-5", "bytes=2000-", "bytes=5-2"):
        with rserver.connect() as c:
            c.send(req("/r.bin", headers=[("Range", rng)]))
            g = c.read_response()
            c.send(req("/r.bin", method="HEAD", headers=[("Range", rng)]))
            h = c.read_response(head=True)
            c.answered_next("/c.txt", b"C\n")  # a HEAD body would come first
        assert h.status == g.status
        assert h.headers.as_dict(exclude=("date",)) == g.headers.as_dict(exclude=("date",))


def test_head_with_multipart_range(rserver, data):
    g = get(rserver, "bytes=0-1,5-6")
    h = get(rserver, "bytes=0-1,5-6", method="HEAD")
    assert h.status == 206
    assert h.body == b""
    assert h.headers["Content-Length"] == g.headers["Content-Length"]
    assert h.headers["Content-Type"].startswith("multipart/byteranges; boundary=")


# ------------------------------------------------------------ If-Range


def test_if_range_current_etag_is_206(rserver, site, data):
    etag = expected_etag(os.path.join(site.root, "r.bin"))
    assert_partial(get(rserver, "bytes=0-3", headers=[("If-Range", etag)]), data, 0, 3)


def test_if_range_last_modified_is_206(rserver, data):
    r = get(rserver, "bytes=0-3", headers=[("If-Range", http_date(PAST))])
    assert_partial(r, data, 0, 3)


@pytest.mark.parametrize("value", [
    '"stale-etag"', 'W/"{etag}"', http_date(PAST - 1), http_date(PAST + 1),
    "garbage", '"{etag}", "x"',
])
def test_if_range_mismatch_is_200_full(rserver, site, data, value):
    etag = expected_etag(os.path.join(site.root, "r.bin"))[1:-1]
    r = get(rserver, "bytes=0-3", headers=[("If-Range", value.format(etag=etag))])
    assert_full(r, data)


def test_if_range_after_change_is_200(rserver, site, data):
    path = os.path.join(site.root, "r.bin")
    etag = expected_etag(path)
    new = b"N" * SIZE
    with open(path, "r+b") as f:
        f.write(new)
    set_mtime(path, PAST + 50)
    r = get(rserver, "bytes=0-3", headers=[("If-Range", etag)])
    assert_full(r, new)


def test_if_range_fresh_date_is_weak(rserver, site, data):
    """A file stamped now or later: its Last-Modified (clamped to Date)
    cannot vouch for the bytes, so a date If-Range sends everything (RFC
    9110 §13.1.5). The ETag still works."""
    path = os.path.join(site.root, "r.bin")
    set_mtime(path, time.time() + 3600)
    r = get(rserver)
    lm = r.headers["Last-Modified"]
    assert parse_http_date(lm) <= parse_http_date(r.headers["Date"])
    assert_full(get(rserver, "bytes=0-3", headers=[("If-Range", lm)]), data)
    assert_partial(get(rserver, "bytes=0-3", headers=[("If-Range", r.headers["ETag"])]), data, 0, 3)


def test_if_range_without_range_is_ignored(rserver, data):
    assert_full(get(rserver, headers=[("If-Range", '"x"')]), data)


def test_range_with_preconditions(rserver, site, data):
    etag = expected_etag(os.path.join(site.root, "r.bin"))
    # 304 wins over the Range; 412 too.
    r = get(rserver, "bytes=0-3", headers=[("If-None-Match", etag)])
    assert r.status == 304 and r.body == b""
    r = get(rserver, "bytes=0-3", headers=[("If-Match", '"x"')])
    assert r.status == 412
    r = get(rserver, "bytes=0-3", headers=[("If-Match", etag)])
    assert_partial(r, data, 0, 3)


# ------------------------------------------------------------ keep-alive, log


def test_ranges_pipelined_on_one_connection(rserver, data):
    with rserver.connect() as c:
        c.send(req("/r.bin", headers=[("Range", "bytes=0-9")]) +
               req("/r.bin", headers=[("Range", "bytes=0-1,998-")]) +
               req("/r.bin", headers=[("Range", "bytes=5000-")]) +
               req("/r.bin", headers=[("Range", "bytes=-3")]))
        assert_partial(c.read_response(), data, 0, 9)
        check_multipart(c.read_response(), data, [(0, 1), (998, 999)])
        assert c.read_response().status == 416
        assert_partial(c.read_response(), data, 997, 999)


def test_access_log_counts_body_bytes(site, data, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    # One worker, so the lines are in request order.
    s = start_server(site.root, "--access-log", log, quiet=False, threads=1)
    single = get(s, "bytes=0-99")
    multi = get(s, "bytes=0-1,10-11")
    get(s, "bytes=0-99", method="HEAD")
    lines = poll_log_lines(log, 3)
    assert len(lines) == 3, lines
    assert log_status_bytes(lines[0]) == ("GET /r.bin HTTP/1.1", 206, 100)
    assert single.body == data[:100]
    assert log_status_bytes(lines[1]) == ("GET /r.bin HTTP/1.1", 206, len(multi.body))
    assert log_status_bytes(lines[2]) == ("HEAD /r.bin HTTP/1.1", 206, 0)
