"""Compression on the fly (--compress, the default): zstd, br and gzip by
Accept-Encoding q-values (ties: zstd, br, gzip), each file compressed once
per coding on a helper thread (the first request gets the file as it is),
for compressible types of 1 KiB to 8 MiB; a precompressed sidecar beats
compressing at equal q; each coding its own strong ETag; Vary on every
answer about such a file; ranges of the encoded bytes; HEAD like GET.
Bodies are decoded with real decoders (zlib, brotli, zstandard) and with
curl --compressed."""

import gzip
import os
import random
import time
import zlib

import brotli
import pytest
import zstandard

from conftest import fetch
from semantics import curl, expected_etag

CODINGS = ("zstd", "br", "gzip")
ZTAG = {"zstd": "zzst", "br": "zbr", "gzip": "zgz"}


def js_text(n, seed=1):
    """n bytes of JavaScript-looking text that compresses well but not
    trivially."""
    rnd = random.Random(seed)
    out, size = [], 0
    i = 0
    while size < n:
        line = f"function f{i}(a, b) {{ return a * {rnd.randint(0, 99999)} + b; }}\n"
        out.append(line)
        size += len(line)
        i += 1
    return "".join(out).encode()[:n]


def decode(coding, body):
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return brotli.decompress(body)
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    assert coding is None
    return body


APP = js_text(200 * 1024)


@pytest.fixture
def zsite(site):
    def w(rel, data):
        with open(os.path.join(site.root, rel), "wb") as f:
            f.write(data)

    w("app.js", APP)
    w("small.js", js_text(1000))          # under 1 KiB: as it is
    w("edge.css", js_text(1024, seed=2))  # exactly 1 KiB: compressed
    w("data.json", b'{"k": [' + b'1, ' * 2000 + b'2]}\n')
    w("pic.svg", b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g/>" * 1000 + b"</svg>\n")
    w("mod.wasm", b"\0asm\1\0\0\0" + bytes(4000))
    w("font.ttf", bytes(range(64)) * 64)
    w("font.woff2", b"wOF2" + bytes(4000))
    w("font.woff", b"wOFF" + bytes(4000))
    w("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(8000))
    w("random.txt", random.Random(3).randbytes(8000))  # does not shrink
    w("side.js", APP)
    w("side.js.gz", gzip.compress(APP, mtime=0))
    return site


@pytest.fixture
def zserver(zsite, start_server):
    return start_server(zsite.root)


def get(server, path, ae=None, method="GET", headers=()):
    h = list(headers)
    if ae is not None:
        h.append(("Accept-Encoding", ae))
    return fetch(server, path, method=method, headers=h)


def wait_encoded(server, path, ae, coding, timeout=30.0, interim=None):
    """Asks until the answer comes in coding (the helper thread finished);
    the answers before are the file itself (or in coding interim), with
    Vary."""
    deadline = time.monotonic() + timeout
    while True:
        r = get(server, path, ae)
        assert r.status == 200, r
        assert r.headers["Vary"] == "Accept-Encoding"
        if r.headers.get("Content-Encoding") == coding:
            return r
        assert r.headers.get("Content-Encoding") == interim, r
        assert time.monotonic() < deadline, f"{path} never came in {coding}"
        time.sleep(0.02)


# ------------------------------------------------------------ each coding


@pytest.mark.parametrize("coding", CODINGS)
def test_each_coding_decodes_to_the_file(zserver, zsite, coding):
    first = get(zserver, "/app.js", coding)
    # Never a worker waiting for the compressor: the first answer is the
    # file as it is, already marked as varying.
    assert first.status == 200
    assert "Content-Encoding" not in first.headers
    assert first.headers["Vary"] == "Accept-Encoding"
    assert first.body == APP
    assert first.headers["ETag"] == expected_etag(os.path.join(zsite.root, "app.js"))
    r = wait_encoded(zserver, "/app.js", coding, coding)
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert int(r.headers["Content-Length"]) == len(r.body) < len(APP) // 4
    assert decode(coding, r.body) == APP
    assert r.headers["ETag"] == expected_etag(os.path.join(zsite.root, "app.js"), ZTAG[coding])
    assert not r.headers["ETag"].startswith("W/")
    # Compressed once: the same bytes every time.
    assert get(zserver, "/app.js", coding).body == r.body


@pytest.mark.parametrize("coding", CODINGS)
def test_curl_compressed_each_coding(zserver, coding):
    wait_encoded(zserver, "/app.js", coding, coding)
    rc, out, err = curl("--compressed", "-H", f"Accept-Encoding: {coding}", "-D", "-",
                        zserver.url("/app.js"))
    assert rc == 0, err
    head, _, body = out.partition(b"\r\n\r\n")
    assert f"content-encoding: {coding}".encode() in head.lower()
    assert body == APP


def test_curl_compressed_default_header(zserver):
    # curl's own Accept-Encoding (deflate, gzip, br, zstd): zstd wins the tie.
    rc, out, err = curl("--compressed", "-o", "/dev/null", "-w", "%{size_download}",
                        zserver.url("/app.js"))
    assert rc == 0, err
    wait_encoded(zserver, "/app.js", "deflate, gzip, br, zstd", "zstd")
    rc, out, err = curl("--compressed", "-D", "-", zserver.url("/app.js"))
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"content-encoding: zstd" in head.lower()
    assert body == APP


# ------------------------------------------------------------ choosing


@pytest.mark.parametrize("ae,want", [
    ("br, gzip, zstd", "zstd"),
    ("gzip, br", "br"),
    ("gzip", "gzip"),
    ("*", "zstd"),
    ("gzip;q=1, br;q=0.5, zstd;q=0.1", "gzip"),
    ("zstd;q=0.3, br;q=0.9, gzip;q=0.5", "br"),
    ("zstd;q=0, br;q=0, *", "gzip"),
    ("gzip, identity;q=0", "gzip"),
    ("br, *;q=0", "br"),
    ("X-GZIP", "gzip"),
])
def test_q_values_decide(zserver, ae, want):
    r = wait_encoded(zserver, "/app.js", ae, want)
    assert decode(want, r.body) == APP


@pytest.mark.parametrize("ae", [None, "", "identity", "gzip;q=0", "*;q=0, identity",
                                "deflate", "gzip;q=0.5, identity", "br;q=0.2, identity;q=0.3"])
def test_identity_when_no_coding_is_wanted(zserver, ae):
    # The codings become ready for other clients meanwhile: still identity.
    wait_encoded(zserver, "/app.js", "gzip", "gzip")
    wait_encoded(zserver, "/app.js", "br", "br")
    for _ in range(2):
        r = get(zserver, "/app.js", ae)
        assert r.status == 200
        assert "Content-Encoding" not in r.headers
        assert r.headers["Vary"] == "Accept-Encoding"
        assert r.body == APP


def test_identity_excluded_but_nothing_ready_yet(zserver):
    # "identity;q=0" with nothing compressed yet: the file as it is (RFC
    # 9110 §12.5.3 lets a server do that rather than 406), then gzip.
    r = get(zserver, "/app.js", "gzip, identity;q=0")
    assert r.status == 200 and "Content-Encoding" not in r.headers
    wait_encoded(zserver, "/app.js", "gzip, identity;q=0", "gzip")


@pytest.mark.parametrize("path", ["/data.json", "/pic.svg", "/mod.wasm", "/font.ttf", "/edge.css"])
def test_compressible_types(zserver, zsite, path):
    r = wait_encoded(zserver, path, "gzip", "gzip")
    assert decode("gzip", r.body) == zsite.read(path[1:])


@pytest.mark.parametrize("path", ["/small.js", "/font.woff2", "/font.woff", "/photo.png"])
def test_not_compressed_and_no_vary(zserver, zsite, path):
    for _ in range(3):
        r = get(zserver, path, "zstd, br, gzip")
        assert r.status == 200
        assert "Content-Encoding" not in r.headers
        assert "Vary" not in r.headers
        assert r.body == zsite.read(path[1:])


def test_file_that_does_not_shrink_stays_identity(zserver, zsite):
    # Compressible by type, but random bytes: tried once, then remembered.
    for _ in range(20):
        r = get(zserver, "/random.txt", "gzip")
        assert r.status == 200
        assert "Content-Encoding" not in r.headers
        assert r.headers["Vary"] == "Accept-Encoding"
        assert r.body == zsite.read("random.txt")


def test_over_the_size_limit_is_sent_as_it_is(zsite, start_server):
    big = js_text(8 * 1024 * 1024 + 1)
    with open(os.path.join(zsite.root, "big.js"), "wb") as f:
        f.write(big)
    s = start_server(zsite.root)
    for _ in range(3):
        r = get(s, "/big.js", "gzip")
        assert r.status == 200
        assert "Content-Encoding" not in r.headers
        assert "Vary" not in r.headers
        assert r.body == big


def test_no_compress(zsite, start_server):
    s = start_server(zsite.root, "--no-compress")
    for _ in range(5):
        r = get(s, "/app.js", "zstd, br, gzip")
        assert "Content-Encoding" not in r.headers
        assert "Vary" not in r.headers
        assert r.body == APP


def test_compress_flag_is_accepted(zsite, start_server):
    s = start_server(zsite.root, "--compress")
    wait_encoded(s, "/app.js", "br", "br")


def test_no_compress_per_location(zsite, start_server, tmp_path):
    os.mkdir(os.path.join(zsite.root, "raw"))
    with open(os.path.join(zsite.root, "raw", "app.js"), "wb") as f:
        f.write(APP)
    conf = tmp_path / "eisd.conf"
    conf.write_text("[location /raw/]\nno-compress\n")
    s = start_server(zsite.root, "--config", str(conf))
    wait_encoded(s, "/app.js", "gzip", "gzip")
    for _ in range(5):
        r = get(s, "/raw/app.js", "gzip")
        assert "Content-Encoding" not in r.headers and "Vary" not in r.headers


# ------------------------------------------------------------ sidecars


def test_sidecar_wins_at_equal_q(zserver, zsite):
    # zstd wins ties among codings made on the fly, but a copy on disk
    # beats compressing when the client values both the same.
    # Until zstd is ready, the copy (wanted less, but better than none).
    wait_encoded(zserver, "/side.js", "zstd, gzip;q=0.5", "zstd", interim="gzip")
    r = get(zserver, "/side.js", "zstd, gzip")
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.body == zsite.read("side.js.gz")
    assert r.headers["ETag"] == expected_etag(os.path.join(zsite.root, "side.js.gz"), "gz")
    # q-values first: zstd wanted more, made on the fly.
    r = get(zserver, "/side.js", "zstd, gzip;q=0.5")
    assert r.headers["Content-Encoding"] == "zstd"
    assert decode("zstd", r.body) == APP


# ------------------------------------------------------------ validators


def test_etags_differ_per_coding_and_validate(zserver, zsite):
    tags = {}
    for coding in CODINGS:
        tags[coding] = wait_encoded(zserver, "/app.js", coding, coding).headers["ETag"]
    tags[None] = get(zserver, "/app.js").headers["ETag"]
    assert len(set(tags.values())) == 4
    for coding in CODINGS:
        r = get(zserver, "/app.js", coding, headers=[("If-None-Match", tags[coding])])
        assert r.status == 304
        assert r.headers["ETag"] == tags[coding]
        assert r.headers["Vary"] == "Accept-Encoding"
        assert r.body == b""
        # A list naming every variant a cache holds: 304.
        r = get(zserver, "/app.js", coding,
                headers=[("If-None-Match", ", ".join(t for t in tags.values()))])
        assert r.status == 304
    # The identity ETag still validates for a client that accepts
    # identity: its copy is current (it got it before br was ready).
    r = get(zserver, "/app.js", "br", headers=[("If-None-Match", tags[None])])
    assert r.status == 304
    assert r.headers["ETag"] == tags[None]
    # Another coding the client accepts: 304 naming that one.
    r = get(zserver, "/app.js", "br, gzip", headers=[("If-None-Match", tags["gzip"])])
    assert r.status == 304
    assert r.headers["ETag"] == tags["gzip"]
    # A coding the client does not accept never validates.
    r = get(zserver, "/app.js", None, headers=[("If-None-Match", tags["br"])])
    assert r.status == 200 and r.body == APP
    r = get(zserver, "/app.js", "gzip", headers=[("If-None-Match", tags["br"])])
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    # Identity refused: its ETag does not validate.
    r = get(zserver, "/app.js", "br, identity;q=0", headers=[("If-None-Match", tags[None])])
    assert r.status == 200 and r.headers["Content-Encoding"] == "br"


def test_precondition_failed_varies(zserver):
    r = get(zserver, "/app.js", "gzip", headers=[("If-Match", '"nope"')])
    assert r.status == 412
    assert r.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("coding", CODINGS)
def test_head_length_equals_get(zserver, coding):
    g = wait_encoded(zserver, "/app.js", coding, coding)
    h = get(zserver, "/app.js", coding, method="HEAD")
    assert h.status == 200
    assert h.headers["Content-Length"] == g.headers["Content-Length"]
    assert h.headers["Content-Encoding"] == coding
    assert h.headers["ETag"] == g.headers["ETag"]
    assert h.headers["Vary"] == "Accept-Encoding"
    assert h.body == b""


@pytest.mark.parametrize("coding", CODINGS)
def test_ranges_of_the_encoded_bytes(zserver, coding):
    whole = wait_encoded(zserver, "/app.js", coding, coding).body
    r = get(zserver, "/app.js", coding, headers=[("Range", "bytes=10-109")])
    assert r.status == 206
    assert r.headers["Content-Encoding"] == coding
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Content-Range"] == f"bytes 10-109/{len(whole)}"
    assert r.body == whole[10:110]
    r = get(zserver, "/app.js", coding, headers=[("Range", f"bytes=-{len(whole) + 5}")])
    assert r.status == 206 and r.body == whole
    r = get(zserver, "/app.js", coding, headers=[("Range", f"bytes={len(whole)}-")])
    assert r.status == 416
    assert r.headers["Content-Range"] == f"bytes */{len(whole)}"
    assert r.headers["Vary"] == "Accept-Encoding"
    # If-Range with the coding's ETag keeps the range; the identity's does not.
    etag = get(zserver, "/app.js", coding).headers["ETag"]
    r = get(zserver, "/app.js", coding, headers=[("Range", "bytes=0-9"), ("If-Range", etag)])
    assert r.status == 206 and r.body == whole[:10]
    ident = get(zserver, "/app.js").headers["ETag"]
    r = get(zserver, "/app.js", coding, headers=[("Range", "bytes=0-9"), ("If-Range", ident)])
    assert r.status == 200 and r.body == whole


def test_multipart_ranges_of_the_encoded_bytes(zserver):
    whole = wait_encoded(zserver, "/app.js", "br", "br").body
    r = get(zserver, "/app.js", "br", headers=[("Range", "bytes=0-4,100-104")])
    assert r.status == 206
    assert r.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert r.headers["Content-Encoding"] == "br"
    assert whole[0:5] in r.body and whole[100:105] in r.body
    assert f"bytes 100-104/{len(whole)}".encode() in r.body


# ------------------------------------------------------------ freshness


def test_changed_file_is_compressed_again(zserver, zsite):
    wait_encoded(zserver, "/app.js", "gzip", "gzip")
    new = js_text(150 * 1024, seed=9)
    path = os.path.join(zsite.root, "app.js")
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(new)
    os.rename(tmp, path)
    # Never the old compressed bytes: the file itself, then the new result.
    deadline = time.monotonic() + 30
    while True:
        r = get(zserver, "/app.js", "gzip")
        assert decode(r.headers.get("Content-Encoding"), r.body) == new
        if r.headers.get("Content-Encoding") == "gzip":
            assert r.headers["ETag"] == expected_etag(path, "zgz")
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_compressing_a_big_file_blocks_no_one(zsite, start_server):
    # One worker: while the helper compresses a 7 MiB file, the worker
    # answers the big file itself at once and every other request too.
    big = js_text(7 * 1024 * 1024, seed=5)
    with open(os.path.join(zsite.root, "big.js"), "wb") as f:
        f.write(big)
    s = start_server(zsite.root, threads=1)
    r = get(s, "/big.js", "br")
    # Answered with the file itself, not after compressing it.
    assert "Content-Encoding" not in r.headers and r.body == big
    for _ in range(20):
        assert get(s, "/hello.txt", "br").body == b"hello, world\n"
    r = wait_encoded(s, "/big.js", "br", "br", timeout=60)
    assert decode("br", r.body) == big
