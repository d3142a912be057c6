"""Pages of a site (issue 15): --error-page, --fallback (single-page
apps), --redirect, the default X-Content-Type-Options and
--security-headers, --cors. Every path rule is decided on the decoded,
normalised path that opens the file (docs/site.md)."""

import os
import subprocess

import pytest

from conftest import assert_common_headers, exchange, fetch, req, run_eisd


def w(site, rel, data):
    p = os.path.join(site.root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- error pages

NOT_FOUND = b"<!doctype html><title>gone</title><p>Nothing here. ERRPAGE-404\n"
GONE_403 = b"forbidden, in plain text ERRPAGE-403\n"


@pytest.fixture
def epserver(site, start_server):
    w(site, "errors/404.html", NOT_FOUND)
    w(site, "errors/403.txt", GONE_403)
    return start_server(site.root, "--error-page", "404=/errors/404.html",
                        "--error-page", "403=/errors/403.txt")


def test_error_page_body_with_original_status_and_its_own_type(epserver):
    r = fetch(epserver, "/missing.txt")
    assert r.status == 404
    assert r.body == NOT_FOUND
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(r.headers["Content-Length"]) == len(NOT_FOUND)
    assert_common_headers(r)
    # No validators: it is not the representation of /missing.txt.
    assert "ETag" not in r.headers and "Last-Modified" not in r.headers


def test_error_page_other_status_other_type(epserver):
    r = fetch(epserver, "/noindex/")          # a directory without index
    assert r.status == 403
    assert r.body == GONE_403
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_error_page_head_has_no_body(epserver):
    c = epserver.connect()
    c.send(req("/missing.txt", method="HEAD"))
    r = c.read_response(head=True)
    assert r.status == 404
    assert int(r.headers["Content-Length"]) == len(NOT_FOUND)
    # The next response comes right after the head: no body was sent.
    c.answered_next("/a.txt", b"AAAA file a\n")
    c.close()


def test_error_page_keeps_alive_and_statuses_without_page_stay_builtin(epserver):
    c = epserver.connect()
    c.send(req("/missing", method="POST", headers=["Content-Length: 0"]))
    r = c.read_response()
    assert r.status == 405 and b"405" in r.body and b"ERRPAGE" not in r.body
    assert r.headers["Allow"] == "GET, HEAD"
    c.send(req("/missing.txt"))
    assert c.read_response().body == NOT_FOUND
    c.close()


def test_error_page_missing_file_falls_back_to_builtin(site, start_server):
    s = start_server(site.root, "--error-page", "404=/nothere.html")
    r = fetch(s, "/missing.txt")
    assert r.status == 404 and b"404 Not Found" in r.body


def test_error_page_path_is_confined_like_any_file(site, start_server):
    # A symlink out of the root is never the page: the built-in one stays.
    os.symlink(os.path.join(site.base, "canary.txt"), os.path.join(site.root, "out.html"))
    s = start_server(site.root, "--error-page", "404=/out.html")
    r = fetch(s, "/missing.txt")
    assert r.status == 404 and site.canary not in r.body and b"404 Not Found" in r.body


@pytest.mark.parametrize("value,msg", [
    ("404", "invalid --error-page '404' (expected CODE=PATH, e.g. 404=/404.html)"),
    ("200=/x.html", "invalid --error-page code '200' (expected 400-599)"),
    ("404=/../x.html", "invalid --error-page path '/../x.html'"),
    ("404=/.hidden", "invalid --error-page path '/.hidden'"),
    ("404=x.html", "invalid --error-page path 'x.html'"),
    ("404=/dir/", "invalid --error-page path '/dir/'"),
])
def test_error_page_bad_values(site, value, msg):
    rc, out, err = run_eisd(["--error-page", value, site.root])
    assert rc == 2
    assert err.startswith("eisd: " + msg), err


# ---------------------------------------------------------------- fallback

APP = b"<!doctype html><title>app</title><div id=app>SPA-ENTRY</div>\n"
HTML = ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")


@pytest.fixture
def spa(site, start_server):
    w(site, "app.html", APP)
    return start_server(site.root, "--fallback", "/app.html")


@pytest.mark.parametrize("path", ["/users/42", "/deep/link/here/", "/settings", "/a.txt/more"])
def test_fallback_serves_the_app_for_missing_html_routes(spa, path):
    r = fetch(spa, path, headers=[HTML])
    assert r.status == 200, (path, r)
    assert r.body == APP
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in [v.strip() for h in r.headers.get_all("Vary") for v in h.split(",")]


def test_fallback_head_and_conditional(spa):
    r = fetch(spa, "/route", method="HEAD", headers=[HTML])
    assert r.status == 200 and int(r.headers["Content-Length"]) == len(APP)
    etag = r.headers["ETag"]
    r = fetch(spa, "/route", headers=[HTML, ("If-None-Match", etag)])
    assert r.status == 304


@pytest.mark.parametrize("path,headers,status", [
    ("/missing.js", [HTML], 404),                  # has an extension: an asset
    ("/img/logo.png", [HTML], 404),
    ("/route", [("Accept", "application/json")], 404),   # not a page load
    ("/route", [("Accept", "*/*")], 404),          # fetch() and curl: no text/html named
    ("/route", [("Accept", "text/html;q=0")], 404),
    ("/route", [], 404),                            # no Accept at all
    ("/.env", [HTML], 404),                         # dotfiles are never routes
    ("/sub/.secret", [HTML], 404),
    ("/sub/../../etc/passwd", [HTML], 400),         # traversal stays 400
    ("/%2e%2e/x", [HTML], 400),
    ("/hello.txt", [HTML], 200),                    # existing files are themselves
])
def test_fallback_does_not_apply(spa, site, path, headers, status):
    r = fetch(spa, path, headers=headers)
    assert r.status == status, (path, r)
    assert r.body != APP
    if path == "/hello.txt":
        assert r.body == site.read("hello.txt")


def test_fallback_directory_without_index(site, start_server):
    w(site, "app.html", APP)
    # Without a listing, a directory that has no index is a route too.
    s = start_server(site.root, "--fallback", "/app.html")
    r = fetch(s, "/noindex/", headers=[HTML])
    assert (r.status, r.body) == (200, APP)
    # With --listing on, the directory is listed instead.
    s2 = start_server(site.root, "--fallback", "/app.html", "--listing")
    r = fetch(s2, "/noindex/", headers=[HTML])
    assert r.status == 200 and b"file.txt" in r.body and r.body != APP


def test_fallback_missing_file_keeps_404(site, start_server):
    s = start_server(site.root, "--fallback", "/nope.html")
    r = fetch(s, "/route", headers=[HTML])
    assert r.status == 404


# ---------------------------------------------------------------- redirects

@pytest.fixture
def rserver(site, start_server):
    return start_server(site.root,
                        "--redirect", "/old/=/new/",
                        "--redirect", "/old/keep/=/kept/:308",
                        "--redirect", "/blog=https://blog.example.org/",
                        "--redirect", "/a.txt=/b.txt:308")


@pytest.mark.parametrize("path,status,location", [
    ("/old/x.html", 301, "/new/x.html"),
    ("/old/", 301, "/new/"),
    ("/old", 301, "/new/"),                          # the directory itself
    ("/old/a/b?q=1&r=%20", 301, "/new/a/b?q=1&r=%20"),
    ("/old/keep/z", 308, "/kept/z"),                 # longest prefix
    ("/blog", 301, "https://blog.example.org/"),     # an absolute URL written by the operator
    ("/a.txt", 308, "/b.txt"),
    ("//old/x", 301, "/new/x"),                      # judged on the normalised path
    ("/./old/x", 301, "/new/x"),
    ("/sub/../old/x", 301, "/new/x"),
    ("/%6fld/x", 301, "/new/x"),                     # decoded first
    ("/old/a%20b", 301, "/new/a%20b"),               # the rest re-encoded
    ("/old/%0d%0aSet-Cookie:x", 301, "/new/%0D%0ASet-Cookie:x"),
    ("/old/%2f%2fevil.example", 301, "/new/evil.example"),   # "//" collapses: never a host
    ("/old/a%5cb", 301, "/new/a%5Cb"),
])
def test_redirects(rserver, path, status, location):
    r, c = exchange(rserver, req(path))
    c.close()
    assert r.status == status, (path, r)
    assert r.headers["Location"] == location
    assert b"\r\nSet-Cookie" not in r.head_bytes


@pytest.mark.parametrize("path", ["/older/x", "/Old/x", "/blog/x", "/a.txt.bak"])
def test_redirects_do_not_match(rserver, path):
    r = fetch(rserver, path)
    assert r.status == 404, (path, r)
    assert "Location" not in r.headers


def test_redirect_head(rserver):
    r = fetch(rserver, "/old/x", method="HEAD")
    assert r.status == 301 and r.headers["Location"] == "/new/x"


@pytest.mark.parametrize("value,msg", [
    ("/old", "invalid --redirect '/old' (expected FROM=TO[:301|:308])"),
    ("/a=//evil.example/", "invalid --redirect TO '//evil.example/'"),
    ("/a=evil.example", "invalid --redirect TO 'evil.example'"),
    ("/a=javascript:alert(1)", "invalid --redirect TO 'javascript:alert(1)'"),
    ("/a=/b c", "invalid --redirect TO '/b c'"),
    ("/a=/b\\c", "invalid --redirect TO '/b\\c'"),
    ("/a=https:///x", "invalid --redirect TO 'https:///x'"),
    ("/a/=/b", "invalid --redirect '/a/=/b': FROM ends with '/' (a prefix), so TO must too"),
    ("/../a=/b", "invalid --redirect FROM '/../a'"),
    ("/a=/b:302", "invalid --redirect '/a=/b:302': the code must be 301 or 308"),
])
def test_redirect_bad_values(site, value, msg):
    rc, out, err = run_eisd(["--redirect", value, site.root])
    assert rc == 2
    assert err.startswith("eisd: " + msg), err


def test_redirect_control_characters_refused(site):
    rc, out, err = run_eisd(["--redirect", "/a=/b\r\nX: y", site.root])
    assert rc == 2 and "invalid --redirect TO" in err


# ---------------------------------------------------------------- security headers

STRICT = {
    "Content-Security-Policy": "default-src 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@pytest.mark.parametrize("raw", [
    req("/hello.txt"), req("/missing"), req("/sub"), req("/", method="OPTIONS"),
    b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",     # a 400 from the parser
])
def test_nosniff_on_every_response(server, raw):
    r, c = exchange(server, raw)
    c.close()
    assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"], r
    for name in STRICT:
        assert name not in r.headers


def test_security_headers_preset(site, start_server):
    s = start_server(site.root, "--security-headers")
    for path in ("/hello.txt", "/missing"):
        r = fetch(s, path)
        assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"]
        for name, value in STRICT.items():
            assert r.headers.get_all(name) == [value], (path, name, r)
        # Plain HTTP: no HSTS (a browser ignores it there anyway).
        assert "Strict-Transport-Security" not in r.headers


def test_security_headers_overridden_by_header(site, start_server):
    s = start_server(site.root, "--security-headers",
                     "--header", "X-Frame-Options: SAMEORIGIN",
                     "--header", "Content-Security-Policy: default-src 'none'",
                     "--header", "x-content-type-options: nosniff")
    r = fetch(s, "/hello.txt")
    assert r.headers.get_all("X-Frame-Options") == ["SAMEORIGIN"]
    assert r.headers.get_all("Content-Security-Policy") == ["default-src 'none'"]
    assert r.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert r.headers.get_all("Referrer-Policy") == ["strict-origin-when-cross-origin"]


# ---------------------------------------------------------------- CORS

ORIGIN = "https://app.example.org"


@pytest.fixture
def cors(site, start_server):
    return start_server(site.root, "--cors", ORIGIN, "--cors", "http://localhost:3000")


def vary(r):
    return [v.strip() for h in r.headers.get_all("Vary") for v in h.split(",")]


@pytest.mark.parametrize("origin", [ORIGIN, "HTTPS://APP.example.org", "http://localhost:3000"])
def test_cors_allowed_origin(cors, origin):
    r = fetch(cors, "/hello.txt", headers=[("Origin", origin)])
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] in (ORIGIN, "http://localhost:3000")
    assert r.headers["Access-Control-Allow-Origin"].lower() == origin.lower()
    assert "Origin" in vary(r)
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.org.evil.example",
                                    "http://app.example.org", "null"])
def test_cors_other_origin(cors, origin):
    r = fetch(cors, "/hello.txt", headers=[("Origin", origin)])
    assert r.status == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Origin" in vary(r)


def test_cors_vary_without_origin_and_on_errors(cors):
    r = fetch(cors, "/hello.txt")
    assert "Origin" in vary(r) and "Access-Control-Allow-Origin" not in r.headers
    r = fetch(cors, "/missing", headers=[("Origin", ORIGIN)])
    assert r.status == 404 and r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_preflight(cors):
    r = fetch(cors, "/hello.txt", method="OPTIONS",
              headers=[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET"),
                       ("Access-Control-Request-Headers", "range")])
    assert r.status == 204
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Range" in r.headers["Access-Control-Allow-Headers"]
    assert r.headers["Access-Control-Max-Age"] == "7200"
    assert "Origin" in vary(r)
    assert "Content-Length" not in r.headers
    r = fetch(cors, "/hello.txt", method="OPTIONS",
              headers=[("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
    assert r.status == 204
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers


def test_cors_any(site, start_server):
    s = start_server(site.root, "--cors", "*")
    r = fetch(s, "/hello.txt", headers=[("Origin", "https://whoever.example")])
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Origin" not in vary(r)


def test_no_cors_by_default(server):
    r = fetch(server, "/hello.txt", headers=[("Origin", ORIGIN)])
    assert "Access-Control-Allow-Origin" not in r.headers and "Vary" not in r.headers
    r = fetch(server, "/hello.txt", method="OPTIONS",
              headers=[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")])
    assert r.status == 204 and "Access-Control-Allow-Origin" not in r.headers


@pytest.mark.parametrize("value", ["app.example.org", "https://a.example/", "https://a.example/path",
                                   "ftp://a.example", "https://", "https://a b"])
def test_cors_bad_values(site, value):
    rc, out, err = run_eisd(["--cors", value, site.root])
    assert rc == 2
    assert err.startswith(f"eisd: invalid --cors '{value}'"), err


def test_config_file_names_and_reload(site, start_server, tmp_path):
    from test_reload import reload
    w(site, "e404.html", b"custom 404\n")
    w(site, "app.html", APP)
    conf = tmp_path / "eisd.conf"
    conf.write_text("error-page = 404=/e404.html\nredirect = /old/=/new/:308\n"
                    "fallback = /app.html\ncors = https://a.example\nsecurity-headers\n")
    s = start_server(site.root, "--config", str(conf))
    assert fetch(s, "/x.txt").body == b"custom 404\n"
    assert fetch(s, "/old/a").headers["Location"] == "/new/a"
    assert fetch(s, "/route", headers=[HTML]).body == APP
    r = fetch(s, "/a.txt", headers=[("Origin", "https://a.example")])
    assert r.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert r.headers["X-Frame-Options"] == "DENY"
    conf.write_text("redirect = /old/=/newer/\n")
    assert f"eisd: reloaded {conf}" in reload(s, 1)
    r = fetch(s, "/old/a")
    assert (r.status, r.headers["Location"]) == (301, "/newer/a")
    r = fetch(s, "/x.txt", headers=[("Origin", "https://a.example")])
    assert r.status == 404 and b"404 Not Found" in r.body
    assert "Access-Control-Allow-Origin" not in r.headers and "X-Frame-Options" not in r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(s, "/route", headers=[HTML]).status == 404
