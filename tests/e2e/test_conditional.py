"""Validators and conditional requests (RFC 9110 §8.8, §13): ETag and
Last-Modified on every file, 304 for If-None-Match / If-Modified-Since, 412
for If-Match / If-Unmodified-Since in §13.2.2 order, --cache-max-age."""

import os
import time

import pytest

from conftest import assert_common_headers, fetch, parse_http_date, req
from semantics import expected_etag, http_date, set_mtime

PAST = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT
PAST_TEXT = "Tue, 14 Nov 2023 22:13:20 GMT"


@pytest.fixture
def cond_site(site):
    """hello.txt with a known mtime well in the past."""
    set_mtime(os.path.join(site.root, "hello.txt"), PAST)
    return site


@pytest.fixture
def cserver(cond_site, start_server):
    return start_server(cond_site.root)


def get(server, path="/hello.txt", method="GET", headers=()):
    return fetch(server, path, method=method, headers=headers)


def assert_not_modified(r, etag):
    """A 304: no body, no Content-Length, validators and Date kept."""
    assert r.status == 304, r
    assert r.reason == "Not Modified"
    assert r.body == b""
    assert "Content-Length" not in r.headers, r.headers.raw
    assert "Content-Type" not in r.headers, r.headers.raw
    assert r.headers["ETag"] == etag
    assert r.headers["Last-Modified"] == PAST_TEXT
    assert_common_headers(r)


# ------------------------------------------------------------ validators


def test_file_has_strong_etag_and_last_modified(cserver, cond_site):
    r = get(cserver)
    assert r.status == 200
    assert r.body == b"hello, world\n"
    assert r.headers["ETag"] == expected_etag(os.path.join(cond_site.root, "hello.txt"))
    assert not r.headers["ETag"].startswith("W/")
    assert r.headers["Last-Modified"] == PAST_TEXT
    assert r.headers["Accept-Ranges"] == "bytes"


def test_validators_on_head_and_index(cserver, cond_site):
    h = get(cserver, method="HEAD")
    g = get(cserver)
    assert h.headers["ETag"] == g.headers["ETag"]
    assert h.headers["Last-Modified"] == g.headers["Last-Modified"]
    # A directory's index is a file like any other.
    r = get(cserver, "/")
    assert r.headers["ETag"] == expected_etag(os.path.join(cond_site.root, "index.html"))


def test_etag_follows_version_not_content(cserver, cond_site):
    path = os.path.join(cond_site.root, "hello.txt")
    first = get(cserver).headers["ETag"]
    # Same bytes, new mtime (even within the same second): a new ETag.
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    second = get(cserver).headers["ETag"]
    assert second != first
    assert second == expected_etag(path)
    # Two files with identical content are different resources.
    with open(os.path.join(cond_site.root, "twin.txt"), "wb") as f:
        f.write(b"hello, world\n")
    assert get(cserver, "/twin.txt").headers["ETag"] != second


def test_future_mtime_is_clamped_to_date(cond_site, start_server):
    path = os.path.join(cond_site.root, "hello.txt")
    set_mtime(path, time.time() + 86400 * 30)
    s = start_server(cond_site.root)
    r = get(s)
    assert r.status == 200
    lm = parse_http_date(r.headers["Last-Modified"])
    assert lm <= parse_http_date(r.headers["Date"])
    assert abs(lm - time.time()) < 10


# ------------------------------------------------------------ If-None-Match


def test_if_none_match_exact_is_304(cserver, cond_site):
    etag = get(cserver).headers["ETag"]
    r = get(cserver, headers=[("If-None-Match", etag)])
    assert_not_modified(r, etag)


@pytest.mark.parametrize("fmt", [
    "{etag}",
    "W/{etag}",
    '"nope", {etag}',
    '"a",W/{etag} , "b"',
    "*",
])
def test_if_none_match_forms_are_304(cserver, fmt):
    etag = get(cserver).headers["ETag"]
    r = get(cserver, headers=[("If-None-Match", fmt.format(etag=etag))])
    assert_not_modified(r, etag)


@pytest.mark.parametrize("value", ['"nope"', 'W/"nope"', "garbage", '""'])
def test_if_none_match_other_is_200(cserver, value):
    r = get(cserver, headers=[("If-None-Match", value)])
    assert r.status == 200
    assert r.body == b"hello, world\n"


def test_304_body_really_absent_on_keepalive(cserver):
    """If a 304 carried a body, the next response on the connection would
    be corrupted."""
    etag = get(cserver).headers["ETag"]
    with cserver.connect() as c:
        c.send(req("/hello.txt", headers=[("If-None-Match", etag)]))
        r = c.read_response()
        assert_not_modified(r, etag)
        c.send(req("/a.txt"))
        r2 = c.read_response()
        assert r2.status == 200 and r2.body == b"AAAA file a\n"


def test_head_conditional_is_304(cserver):
    etag = get(cserver).headers["ETag"]
    with cserver.connect() as c:
        c.send(req("/hello.txt", method="HEAD", headers=[("If-None-Match", etag)]))
        r = c.read_response(head=True)
        assert_not_modified(r, etag)
        c.answered_next("/c.txt", b"C\n")


# ------------------------------------------------------------ If-Modified-Since


@pytest.mark.parametrize("date", [
    PAST_TEXT,
    http_date(PAST + 1),
    http_date(PAST + 86400 * 365),
    "Tuesday, 14-Nov-23 22:13:20 GMT",  # RFC 850
    "Tue Nov 14 22:13:20 2023",         # asctime
])
def test_if_modified_since_not_newer_is_304(cserver, date):
    etag = get(cserver).headers["ETag"]
    r = get(cserver, headers=[("If-Modified-Since", date)])
    assert_not_modified(r, etag)


@pytest.mark.parametrize("date", [
    http_date(PAST - 1),
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "not a date",
    "Tue, 14 Nov 2023 22:13:20 UTC",
    "",
])
def test_if_modified_since_older_or_invalid_is_200(cserver, date):
    r = get(cserver, headers=[("If-Modified-Since", date)])
    assert r.status == 200
    assert r.body == b"hello, world\n"


def test_if_modified_since_ignored_with_if_none_match(cserver):
    etag = get(cserver).headers["ETag"]
    # If-None-Match does not match: 200 although IMS alone would be 304.
    r = get(cserver, headers=[("If-None-Match", '"other"'), ("If-Modified-Since", PAST_TEXT)])
    assert r.status == 200
    assert r.body == b"hello, world\n"
    # If-None-Match matches: 304 although IMS alone would be 200.
    r = get(cserver, headers=[("If-None-Match", etag), ("If-Modified-Since", http_date(PAST - 10))])
    assert_not_modified(r, etag)


# ------------------------------------------------------------ If-Match, If-Unmodified-Since


@pytest.mark.parametrize("fmt", ["{etag}", "*", '"x", {etag}'])
def test_if_match_passes(cserver, fmt):
    etag = get(cserver).headers["ETag"]
    r = get(cserver, headers=[("If-Match", fmt.format(etag=etag))])
    assert r.status == 200
    assert r.body == b"hello, world\n"


@pytest.mark.parametrize("fmt", ['"nope"', "W/{etag}", "garbage", '"x", W/{etag}'])
def test_if_match_fails_412(cserver, fmt):
    etag = get(cserver).headers["ETag"]
    r = get(cserver, headers=[("If-Match", fmt.format(etag=etag))])
    assert r.status == 412
    assert r.reason == "Precondition Failed"
    assert b"412" in r.body
    assert int(r.headers["Content-Length"]) == len(r.body)
    assert b"hello, world" not in r.body


def test_if_unmodified_since(cserver):
    r = get(cserver, headers=[("If-Unmodified-Since", http_date(PAST - 1))])
    assert r.status == 412
    for ok in (PAST_TEXT, http_date(PAST + 100), "bogus date"):
        r = get(cserver, headers=[("If-Unmodified-Since", ok)])
        assert r.status == 200, ok
        assert r.body == b"hello, world\n"


def test_evaluation_order(cserver):
    etag = get(cserver).headers["ETag"]
    # 1. If-Match fails: 412, even though If-None-Match would give 304.
    r = get(cserver, headers=[("If-Match", '"other"'), ("If-None-Match", etag)])
    assert r.status == 412
    # 2. If-Match passes: If-Unmodified-Since is not evaluated.
    r = get(cserver, headers=[("If-Match", etag), ("If-Unmodified-Since", http_date(PAST - 1))])
    assert r.status == 200
    # 2'. If-Unmodified-Since fails before If-Modified-Since could 304.
    r = get(cserver, headers=[("If-Unmodified-Since", http_date(PAST - 1)),
                              ("If-Modified-Since", PAST_TEXT)])
    assert r.status == 412
    # 3. Preconditions pass, then If-None-Match gives 304.
    r = get(cserver, headers=[("If-Match", etag), ("If-None-Match", etag)])
    assert_not_modified(r, etag)


def test_conditionals_do_not_apply_to_errors(cserver):
    r = get(cserver, "/missing.txt", headers=[("If-None-Match", "*")])
    assert r.status == 404
    r = get(cserver, "/missing.txt", headers=[("If-Match", '"x"')])
    assert r.status == 404


# ------------------------------------------------------------ Cache-Control


def test_no_cache_control_by_default(cserver):
    r = get(cserver)
    assert "Cache-Control" not in r.headers


def test_cache_max_age(cond_site, start_server):
    s = start_server(cond_site.root, "--cache-max-age", "3600")
    r = get(s)
    assert r.status == 200
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    etag = r.headers["ETag"]
    r = get(s, headers=[("If-None-Match", etag)])
    assert_not_modified(r, etag)
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    r = get(s, headers=[("Range", "bytes=0-1")])
    assert r.status == 206
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    # Errors are not cacheable for an hour.
    r = get(s, "/missing")
    assert r.status == 404
    assert "Cache-Control" not in r.headers


def test_cache_max_age_zero(cond_site, start_server):
    s = start_server(cond_site.root, "--cache-max-age", "0")
    assert get(s).headers["Cache-Control"] == "public, max-age=0"
