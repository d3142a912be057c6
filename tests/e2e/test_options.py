"""--header, --mime-type, media types from /etc/mime.types, and the
usage errors of the HTTP-semantics options."""

import os

import pytest

from conftest import fetch, req, run_eisd

HDR = ("--header", "X-Frame-Options: DENY",
       "--header", "Strict-Transport-Security:   max-age=63072000; includeSubDomains  ",
       "--header", "X-Empty:")
WANT = [("X-Frame-Options", "DENY"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Empty", "")]


def extra(r):
    names = {n.lower() for n, _ in WANT}
    return [(n, v) for n, v in r.headers.raw if n.lower() in names]


@pytest.fixture
def hserver(site, start_server):
    return start_server(site.root, *HDR)


def test_header_on_every_kind_of_response(hserver, site):
    etag = fetch(hserver, "/hello.txt").headers["ETag"]
    cases = [
        (req("/hello.txt"), 200, False),
        (req("/hello.txt", method="HEAD"), 200, True),
        (req("/hello.txt", headers=[("If-None-Match", etag)]), 304, False),
        (req("/hello.txt", headers=[("If-Match", '"x"')]), 412, False),
        (req("/hello.txt", headers=[("Range", "bytes=0-1")]), 206, False),
        (req("/hello.txt", headers=[("Range", "bytes=0-1,3-4")]), 206, False),
        (req("/hello.txt", headers=[("Range", "bytes=100-")]), 416, False),
        (req("/missing"), 404, False),
        (req("/sub"), 301, False),
        (req("/noindex/"), 403, False),
        (req("/", method="OPTIONS"), 204, False),
        (req("/", method="POST", body=b""), 405, False),
        (req("/", method="BREW"), 501, False),
    ]
    for raw, status, head in cases:
        with hserver.connect() as c:
            c.send(raw)
            r = c.read_response(head=head)
        assert r.status == status, (raw, r)
        assert extra(r) == WANT, (status, r.headers.raw)
    # Even a request that does not parse.
    with hserver.connect() as c:
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n")
        r = c.read_response()
    assert r.status == 400
    assert extra(r) == WANT


def test_header_on_listing(site, start_server):
    s = start_server(site.root, "--listing", *HDR)
    r = fetch(s, "/noindex/")
    assert r.status == 200
    assert extra(r) == WANT


@pytest.mark.parametrize("value,msg", [
    ("NoColon", "expected 'Name: value'"),
    (": value", "expected 'Name: value'"),
    ("Bad Name: x", "must be a token"),
    ("Bad(Name): x", "must be a token"),
    ("X-Ok: a\rb", "control characters"),
    ("X-Ok: a\nInjected: 1", "control characters"),
    ("X-Ok: a\x00b", None),
    ("X-Ok: bell\x07", "control characters"),
    ("Content-Length: 5", "sets that header itself"),
    ("transfer-encoding: chunked", "sets that header itself"),
    ("Connection: close", "sets that header itself"),
    ("Server: other", "sets that header itself"),
    ("Date: x", "sets that header itself"),
    ("ETag: \"x\"", "sets that header itself"),
    ("Content-Type: text/plain", "sets that header itself"),
])
def test_bad_header_is_usage_error(site, value, msg):
    if "\x00" in value:
        # A NUL cannot be passed in argv: the value simply ends there.
        rc, out, err = run_eisd(["--port", "0", "--header", "X-Ok", site.root])
        msg = "expected 'Name: value'"
    else:
        rc, out, err = run_eisd(["--port", "0", "--header", value, site.root])
    assert rc == 2, (value, err)
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("eisd: ")
    assert msg in lines[0]
    assert "Injected" not in err


def test_too_many_headers(site):
    args = ["--port", "0"]
    for i in range(33):
        args += ["--header", f"X-H{i}: v"]
    rc, _, err = run_eisd(args + [site.root])
    assert rc == 2
    assert "too many --header" in err


def test_thirty_two_headers_allowed(site, start_server):
    args = []
    for i in range(32):
        args += ["--header", f"X-H{i}: v{i}"]
    s = start_server(site.root, *args)
    r = fetch(s, "/hello.txt")
    assert [(n, v) for n, v in r.headers.raw if n.startswith("X-H")] == \
        [(f"X-H{i}", f"v{i}") for i in range(32)]


# ------------------------------------------------------------ media types


def system_type(ext):
    """The type /etc/mime.types gives ext (first line wins), or None."""
    with open("/etc/mime.types", encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.split("#")[0].split()
            if len(fields) > 1 and ext in fields[1:]:
                return fields[0]
    return None


def test_types_from_etc_mime_types(site, start_server):
    # Extensions the built-in table lacks, as Debian's media-types has them.
    assert os.path.exists("/etc/mime.types"), "install media-types (make deps)"
    cases = {"xyz": "chemical/x-xyz", "dvi": "application/x-dvi", "ogx": "application/ogg"}
    for ext, want in cases.items():
        assert system_type(ext) == want
        with open(os.path.join(site.root, "f." + ext), "wb") as f:
            f.write(b"x")
    s = start_server(site.root)
    for ext, want in cases.items():
        assert fetch(s, "/f." + ext).headers["Content-Type"] == want
    # The built-in table still wins where both define an extension:
    # charset on text, and JavaScript's modern type.
    assert fetch(s, "/index.html").headers["Content-Type"] == "text/html; charset=utf-8"
    assert fetch(s, "/app.js").headers["Content-Type"] == "text/javascript; charset=utf-8"


def test_mime_type_option(site, start_server):
    for name in ("doc.md", "x.custom", "y.CUSTOM", "pic2.png", "z.ext2"):
        with open(os.path.join(site.root, name), "wb") as f:
            f.write(b"x")
    s = start_server(site.root, "--mime-type", "md=text/markdown",
                     "--mime-type", "custom=application/x-custom",
                     "--mime-type", "png=image/x-test-png",
                     "--mime-type", ".ext2=text/plain; charset=latin1")
    assert fetch(s, "/doc.md").headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert fetch(s, "/x.custom").headers["Content-Type"] == "application/x-custom"
    assert fetch(s, "/y.CUSTOM").headers["Content-Type"] == "application/x-custom"
    assert fetch(s, "/pic2.png").headers["Content-Type"] == "image/x-test-png"
    assert fetch(s, "/z.ext2").headers["Content-Type"] == "text/plain; charset=latin1"
    # Others unchanged.
    assert fetch(s, "/hello.txt").headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("value", ["md", "=text/plain", "md=", "md=text", "md=text/plain\r\nX: y",
                                   "a/b=text/plain", "md=text /plain", "md=text/plain;"])
def test_bad_mime_type_is_usage_error(site, value):
    rc, _, err = run_eisd(["--port", "0", "--mime-type", value, site.root])
    assert rc == 2, (value, err)
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("eisd: ") and "--mime-type" in lines[0]


@pytest.mark.parametrize("value", ["-1", "x", "", "2147483648", "1.5"])
def test_bad_cache_max_age_is_usage_error(site, value):
    rc, _, err = run_eisd(["--port", "0", "--cache-max-age", value, site.root])
    assert rc == 2, (value, err)
    assert err.startswith("eisd: ") and "--cache-max-age" in err


def test_help_lists_new_options():
    rc, out, _ = run_eisd(["--help"])
    assert rc == 0
    for opt in ("--index", "--listing", "--cache-max-age", "--mime-type", "--header"):
        assert opt in out
