"""Precompressed sidecars: FILE.br / FILE.gz served with Content-Encoding
when the client accepts them, with their own ETag, the original's type,
Vary: Accept-Encoding on every response for such a file, the copy's bytes for
ranges; and the same through curl --compressed. (Compression on the fly
is test_compress.py.)"""

import gzip
import os
import subprocess

import pytest

from conftest import fetch, req
from semantics import curl, expected_etag

# The HTTP semantics are the same over HTTP/2 (h2c): every test runs over both.
pytestmark = pytest.mark.over_h2

TEXT = b"body { color: #123456; }\n" * 200  # compresses well


@pytest.fixture
def enc_site(site):
    root = site.root
    with open(os.path.join(root, "both.css"), "wb") as f:
        f.write(TEXT)
    with open(os.path.join(root, "both.css.gz"), "wb") as f:
        f.write(gzip.compress(TEXT, mtime=0))
    with open(os.path.join(root, "both.css.br"), "wb") as f:
        f.write(b"BROTLI-SIDECAR-BYTES")  # eisd never looks inside
    with open(os.path.join(root, "gz.js"), "wb") as f:
        f.write(b"console.log('plain');\n")
    with open(os.path.join(root, "gz.js.gz"), "wb") as f:
        f.write(gzip.compress(b"console.log('plain');\n", mtime=0))
    with open(os.path.join(root, "plain.txt"), "wb") as f:
        f.write(b"no sidecar\n")
    return site


@pytest.fixture
def eserver(enc_site, start_server):
    return start_server(enc_site.root)


def get(server, path, ae=None, method="GET", headers=()):
    h = list(headers)
    if ae is not None:
        h.append(("Accept-Encoding", ae))
    return fetch(server, path, method=method, headers=h)


def sidecar(site, name):
    with open(os.path.join(site.root, name), "rb") as f:
        return f.read()


def assert_gzip(r, site, name="both.css", ctype="text/css; charset=utf-8"):
    assert r.status == 200, r
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == ctype
    assert r.headers["Vary"] == "Accept-Encoding"
    body = sidecar(site, name + ".gz")
    assert r.headers["Content-Length"] == str(len(body))
    assert r.headers["ETag"] == expected_etag(os.path.join(site.root, name + ".gz"), "gz")
    assert r.body == body
    return r


def assert_identity(r, site, name="both.css", vary=True):
    assert r.status == 200, r
    assert "Content-Encoding" not in r.headers
    assert r.body == sidecar(site, name)
    assert r.headers["ETag"] == expected_etag(os.path.join(site.root, name))
    if vary:
        assert r.headers["Vary"] == "Accept-Encoding"
    else:
        assert "Vary" not in r.headers
    return r


# ------------------------------------------------------------ choosing


def test_gzip_when_accepted(eserver, enc_site):
    r = assert_gzip(get(eserver, "/both.css", "gzip"), enc_site)
    assert gzip.decompress(r.body) == TEXT


@pytest.mark.parametrize("ae", ["gzip, deflate", "GZIP", "x-gzip", "gzip;q=0.5",
                                "deflate, gzip;q=1.0", "br;q=0, gzip", "br;q=0.3, gzip;q=0.9"])
def test_gzip_variants(eserver, enc_site, ae):
    assert_gzip(get(eserver, "/both.css", ae), enc_site)


@pytest.mark.parametrize("ae", ["br", "gzip, br", "br, gzip", "gzip, deflate, br, zstd", "*",
                                "gzip;q=0.5, br;q=0.5", "gzip;q=0, *"])
def test_br_preferred(eserver, enc_site, ae):
    r = get(eserver, "/both.css", ae)
    assert r.status == 200
    assert r.headers["Content-Encoding"] == "br"
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.body == b"BROTLI-SIDECAR-BYTES"
    assert r.headers["ETag"] == expected_etag(os.path.join(enc_site.root, "both.css.br"), "br")


@pytest.mark.parametrize("ae", [None, "", "identity", "deflate", "gzip;q=0", "GZIP;Q=0.000",
                                "*;q=0", "gzip;q=0, br;q=0", "gzip;q=2"])
def test_identity_when_nothing_acceptable(eserver, enc_site, ae):
    assert_identity(get(eserver, "/both.css", ae), enc_site)


def test_only_existing_sidecar_is_used(eserver, enc_site):
    # br wanted most, but gz.js has only a .gz: gzip.
    r = get(eserver, "/gz.js", "br, gzip")
    assert_gzip(r, enc_site, "gz.js", "text/javascript; charset=utf-8")
    # br only: the file itself, and still Vary.
    assert_identity(get(eserver, "/gz.js", "br"), enc_site, "gz.js")


def test_no_vary_without_sidecar(eserver, enc_site):
    assert_identity(get(eserver, "/plain.txt", "gzip, br"), enc_site, "plain.txt", vary=False)


def test_sidecar_etags_differ(eserver, enc_site):
    tags = {get(eserver, "/both.css", ae).headers["ETag"] for ae in (None, "gzip", "br")}
    assert len(tags) == 3


def test_index_file_sidecar(enc_site, start_server):
    with open(os.path.join(enc_site.root, "index.html.gz"), "wb") as f:
        f.write(gzip.compress(sidecar(enc_site, "index.html"), mtime=0))
    s = start_server(enc_site.root)
    r = get(s, "/", "gzip")
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert gzip.decompress(r.body) == sidecar(enc_site, "index.html")


def test_sidecar_itself_is_a_plain_file(eserver, enc_site):
    r = get(eserver, "/both.css.gz", "gzip")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in r.headers
    assert r.body == sidecar(enc_site, "both.css.gz")


def test_sidecar_without_original_is_404(enc_site, start_server):
    with open(os.path.join(enc_site.root, "ghost.css.gz"), "wb") as f:
        f.write(gzip.compress(b"x"))
    s = start_server(enc_site.root)
    assert get(s, "/ghost.css", "gzip").status == 404


def test_unsafe_sidecars_are_ignored(enc_site, start_server):
    root = enc_site.root
    with open(os.path.join(root, "d.css"), "wb") as f:
        f.write(b"d\n")
    os.mkdir(os.path.join(root, "d.css.gz"))  # a directory, not a file
    with open(os.path.join(root, "l.css"), "wb") as f:
        f.write(b"l\n")
    os.symlink("../canary.txt", os.path.join(root, "l.css.gz"))  # leaves the root
    os.symlink("/dev/zero", os.path.join(root, "l.css.br"))
    s = start_server(root)
    r = get(s, "/d.css", "gzip")
    assert_identity(r, enc_site, "d.css", vary=False)
    r = get(s, "/l.css", "gzip, br")
    assert_identity(r, enc_site, "l.css", vary=False)
    assert enc_site.canary not in r.body


# ------------------------------------------------------------ HEAD, 304, ranges


def test_head_matches_get(eserver):
    for ae in (None, "gzip", "br"):
        g = get(eserver, "/both.css", ae)
        h = get(eserver, "/both.css", ae, method="HEAD")
        assert h.body == b""
        assert h.headers.as_dict(exclude=("date",)) == g.headers.as_dict(exclude=("date",))


def test_not_modified_keeps_vary(eserver, enc_site):
    etag = get(eserver, "/both.css", "gzip").headers["ETag"]
    r = get(eserver, "/both.css", "gzip", headers=[("If-None-Match", etag)])
    assert r.status == 304
    assert r.headers["ETag"] == etag
    assert r.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in r.headers
    # The gzip ETag does not validate the identity representation.
    r = get(eserver, "/both.css", None, headers=[("If-None-Match", etag)])
    assert_identity(r, enc_site)


def test_range_applies_to_the_encoded_copy(eserver, enc_site):
    # Issue 15: ranges apply to the representation chosen (RFC 9110
    # §14.1.2): the bytes of the gzip copy, with its ETag, Vary and
    # Content-Encoding.
    gz = sidecar(enc_site, "both.css.gz")
    r = get(eserver, "/both.css", "gzip", headers=[("Range", "bytes=0-9")])
    assert r.status == 206
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Content-Range"] == f"bytes 0-9/{len(gz)}"
    assert r.body == gz[:10]
    assert r.headers["ETag"] == expected_etag(os.path.join(enc_site.root, "both.css.gz"), "gz")
    # Without gzip accepted, the same Range is of the file itself.
    r = get(eserver, "/both.css", None, headers=[("Range", "bytes=0-9")])
    assert r.status == 206
    assert "Content-Encoding" not in r.headers
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Content-Range"] == f"bytes 0-9/{len(TEXT)}"
    assert r.body == TEXT[:10]
    r = get(eserver, "/both.css", "gzip", headers=[("Range", f"bytes={len(gz)}-")])
    assert r.status == 416
    assert r.headers["Content-Range"] == f"bytes */{len(gz)}"
    assert r.headers["Vary"] == "Accept-Encoding"


def test_precondition_failed_keeps_vary(eserver):
    r = get(eserver, "/both.css", "gzip", headers=[("If-Match", '"nope"')])
    assert r.status == 412
    assert r.headers["Vary"] == "Accept-Encoding"


def test_keepalive_mixed(eserver, enc_site):
    with eserver.connect() as c:
        c.send(req("/both.css", headers=[("Accept-Encoding", "gzip")]) +
               req("/both.css") +
               req("/both.css", method="HEAD", headers=[("Accept-Encoding", "br")]) +
               req("/both.css", headers=[("Accept-Encoding", "br")]))
        assert_gzip(c.read_response(), enc_site)
        assert_identity(c.read_response(), enc_site)
        h = c.read_response(head=True)
        assert h.headers["Content-Length"] == str(len(b"BROTLI-SIDECAR-BYTES"))
        assert c.read_response().body == b"BROTLI-SIDECAR-BYTES"


# ------------------------------------------------------------ real clients


def test_curl_compressed_gzip(eserver, enc_site, tmp_path):
    out, hdr = tmp_path / "out", tmp_path / "hdr"
    rc, _, err = curl("--compressed", "-H", "Accept-Encoding: gzip", "-D", str(hdr),
                      "-o", str(out), eserver.url("/both.css"))
    assert rc == 0, err
    assert out.read_bytes() == TEXT
    head = hdr.read_bytes().decode().lower()
    assert "content-encoding: gzip\r\n" in head
    assert "vary: accept-encoding\r\n" in head


def test_curl_compressed_br(enc_site, start_server, tmp_path):
    src = os.path.join(enc_site.root, "real.css")
    with open(src, "wb") as f:
        f.write(TEXT)
    subprocess.run(["brotli", "-k", "-q", "5", src], check=True, timeout=30)
    s = start_server(enc_site.root)
    out, hdr = tmp_path / "out", tmp_path / "hdr"
    rc, _, err = curl("--compressed", "-D", str(hdr), "-o", str(out), s.url("/real.css"))
    assert rc == 0, err
    assert "content-encoding: br\r\n" in hdr.read_bytes().decode().lower()
    assert out.read_bytes() == TEXT


def test_no_precompressed_option(enc_site, start_server):
    # --no-compress too: both.css would otherwise be compressed on the
    # fly (test_compress.py), and vary for that reason.
    s = start_server(enc_site.root, "--no-precompressed", "--no-compress")
    for ae in ("gzip", "br", None):
        assert_identity(get(s, "/both.css", ae), enc_site, vary=False)
