"""The same behaviours through a real client: curl."""

import shutil
import subprocess

import pytest

from conftest import INDEX_HTML, SUB_INDEX_HTML



@pytest.fixture(autouse=True)
def _curl_installed():
    assert shutil.which("curl"), "curl not installed (tests/deps.sh installs it)"


def curl(*args, timeout=30):
    p = subprocess.run(["curl", "-s", "--max-time", "20"] + list(args),
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_curl_get_file(server, tmp_path):
    out = tmp_path / "out"
    rc, so, _ = curl("-o", str(out), "-w", "%{http_code} %{content_type}", server.url("/index.html"))
    assert rc == 0
    assert so == b"200 text/html; charset=utf-8"
    assert out.read_bytes() == INDEX_HTML


def test_curl_binary(server, site, tmp_path):
    out = tmp_path / "out"
    rc, so, _ = curl("-o", str(out), "-w", "%{http_code}", server.url("/pic.png"))
    assert (rc, so) == (0, b"200")
    assert out.read_bytes() == site.read("pic.png")


def test_curl_head(server):
    rc, so, _ = curl("-I", server.url("/index.html"))
    assert rc == 0
    lines = so.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    hdrs = {}
    for ln in lines[1:]:
        if ln:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
    assert hdrs["content-length"] == str(len(INDEX_HTML))
    assert hdrs["content-type"] == "text/html; charset=utf-8"
    assert hdrs["server"].startswith("eisd/")
    assert hdrs["date"].endswith(" GMT")


def test_curl_404(server):
    rc, so, _ = curl("-o", "/dev/null", "-w", "%{http_code}", server.url("/nope.html"))
    assert (rc, so) == (0, b"404")


def test_curl_redirect(server):
    rc, so, _ = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", server.url("/sub"))
    assert rc == 0
    assert so.decode() == f"301 {server.url('/sub/')}"


def test_curl_follows_redirect(server):
    rc, so, _ = curl("-L", server.url("/sub"))
    assert rc == 0
    assert so == SUB_INDEX_HTML


@pytest.mark.smoke
def test_curl_reuses_connection(server):
    rc, so, _ = curl("-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code}:%{num_connects}\n",
                     server.url("/a.txt"), server.url("/b.txt"))
    assert rc == 0
    assert so.decode().split() == ["200:1", "200:0"]


def test_curl_http10(server):
    rc, so, _ = curl("--http1.0", "-w", "\n%{http_code}", server.url("/hello.txt"))
    assert rc == 0
    assert so == b"hello, world\n\n200"


def test_curl_traversal_path_as_is(server, site):
    for path in ("/../canary.txt", "/%2e%2e/canary.txt", "/sub/../../canary.txt"):
        rc, so, _ = curl("--path-as-is", "-w", "\n%{http_code}", server.url(path))
        assert rc == 0
        assert site.canary not in so
        assert so.endswith(b"\n400"), (path, so)


def test_curl_post_405(server):
    rc, so, _ = curl("-D", "-", "-o", "/dev/null", "-d", "x=1", server.url("/index.html"))
    assert rc == 0
    assert so.startswith(b"HTTP/1.1 405 ")
    assert b"\r\nAllow: GET, HEAD\r\n" in so


def test_curl_unknown_method_501(server):
    rc, so, _ = curl("-X", "FOO", "-o", "/dev/null", "-w", "%{http_code}", server.url("/index.html"))
    assert (rc, so) == (0, b"501")


def test_curl_options_204(server):
    rc, so, _ = curl("-X", "OPTIONS", "-o", "/dev/null", "-w", "%{http_code}", server.url("/index.html"))
    assert (rc, so) == (0, b"204")


def test_curl_hidden_404(server):
    rc, so, _ = curl("-o", "/dev/null", "-w", "%{http_code}", server.url("/.git/config"))
    assert (rc, so) == (0, b"404")
