"""--config FILE and --check-config (issue 14): name = value lines, the
command line winning, FILE:LINE errors, [location PREFIX] sections
decided on the decoded, normalised path."""

import os
import socket

import pytest

from conftest import fetch, req, run_eisd

CONF = """\
# eisd test config
cache-max-age = 60
header = "X-Site: yes"
header = X-Frame-Options: DENY

[location /sub/]
cache-max-age = 31536000
header = X-Frame-Options: SAMEORIGIN

[location /sub/deeper]
listing

[location /index.html]
header = 'Cache-Control: no-cache'

[location /noindex/]
listing = yes
"""


def write_conf(tmp_path, text, name="eisd.conf"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.fixture
def cserver(site, start_server, tmp_path):
    return start_server(site.root, "--config", write_conf(tmp_path, CONF))


def hdrs(r, name):
    return r.headers.get_all(name)


@pytest.mark.parametrize("path,cache,frame", [
    ("/a.txt", ["public, max-age=60"], ["DENY"]),
    ("/sub/file.txt", ["public, max-age=31536000"], ["SAMEORIGIN"]),
    ("/sub/", ["public, max-age=31536000"], ["SAMEORIGIN"]),
    ("/sub/deeper/x.txt", ["public, max-age=60"], ["DENY"]),   # longest prefix: the site's age
    ("/index.html", ["no-cache"], ["DENY"]),
    ("/", ["public, max-age=60"], ["DENY"]),
])
def test_location_settings_by_longest_prefix(cserver, path, cache, frame):
    r = fetch(cserver, path)
    assert r.status == 200, (path, r.status)
    assert hdrs(r, "Cache-Control") == cache, path
    assert hdrs(r, "X-Frame-Options") == frame, path
    assert hdrs(r, "X-Site") == ["yes"]


@pytest.mark.parametrize("raw", [
    "/sub/../index.html", "/sub/%2e%2e/index.html", "//index.html", "/./index.html",
    "/sub//..//index.html",
])
def test_location_decided_on_the_normalised_path(cserver, raw):
    r = fetch(cserver, raw)
    assert r.status == 200, raw
    assert hdrs(r, "Cache-Control") == ["no-cache"], raw
    assert hdrs(r, "X-Frame-Options") == ["DENY"], raw


def test_location_listing_and_headers_on_errors(cserver):
    r = fetch(cserver, "/noindex/")
    assert r.status == 200 and b"file.txt" in r.body
    r = fetch(cserver, "/sub/deeper/")
    assert r.status == 200 and b"x.txt" in r.body
    r = fetch(cserver, "/sub/missing.txt")
    assert r.status == 404
    assert hdrs(r, "X-Frame-Options") == ["SAMEORIGIN"]


def test_without_the_location_listing_is_off(site, start_server):
    s = start_server(site.root)
    assert fetch(s, "/noindex/").status == 403


def test_command_line_wins_over_the_file(site, start_server, tmp_path):
    conf = write_conf(tmp_path, "cache-max-age = 60\nheader = X-File: 1\nindex = nope.html\n")
    s = start_server(site.root, "--config", conf, "--cache-max-age", "5", "--header", "X-Cli: 1")
    r = fetch(s, "/a.txt")
    assert hdrs(r, "Cache-Control") == ["public, max-age=5"]
    assert hdrs(r, "X-Cli") == ["1"] and hdrs(r, "X-File") == []
    assert fetch(s, "/sub/").status == 403      # index = nope.html from the file still applies


def test_root_and_port_from_the_file(site, start_server, tmp_path):
    conf = write_conf(tmp_path, f"root = {site.root}\nthreads = 1\n")
    s = start_server(None, "--config", conf, threads=None)
    assert s.threads == 1
    assert fetch(s, "/a.txt").body == b"AAAA file a\n"


@pytest.mark.parametrize("text,line,msg", [
    ("port = 80000\n", 1, "invalid port '80000' (expected 0-65535)"),
    ("# ok\nlisting = yes\nfrobnicate = 1\n", 3,
     "unknown setting 'frobnicate' (the names are those of the long options, see --help)"),
    ("[location /a/]\nthreads = 2\n", 2,
     "'threads' cannot be set per path (in [location /a/]); put it before the first section"),
    ("header = \"X: unterminated\n", 1, "unterminated quoted value"),
])
def test_file_errors_exit_2_with_file_and_line(site, tmp_path, text, line, msg):
    conf = write_conf(tmp_path, text)
    rc, out, err = run_eisd(["--port", "0", "--config", conf, site.root])
    assert (rc, err) == (2, f"eisd: {conf}:{line}: {msg}\n"), (rc, err)


def test_missing_config_file_exits_1(site, tmp_path):
    conf = str(tmp_path / "none.conf")
    rc, out, err = run_eisd(["--port", "0", "--config", conf, site.root])
    assert (rc, err) == (1, f"eisd: cannot read config file '{conf}': No such file or directory\n")


def test_check_config_ok_without_binding(site, tmp_path):
    # Sections come last: a name after them is per-path, so the log
    # goes before them.
    conf = write_conf(tmp_path, f"access-log = {tmp_path}/new.log\n" + CONF)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        rc, out, err = run_eisd(["--port", str(port), "--config", conf, "--check-config", site.root])
    finally:
        busy.close()
    assert (rc, out, err) == (0, f"eisd: configuration OK ({conf})\n", ""), (rc, out, err)
    assert not os.path.exists(tmp_path / "new.log")   # a check creates nothing


@pytest.mark.parametrize("case", ["root", "log", "value", "mime", "user"])
def test_check_config_failures_exit_1(site, tmp_path, case):
    root, extra, text = site.root, [], "listing = yes\n"
    if case == "root":
        root = str(tmp_path / "missing")
        want = f"eisd: root '{root}': No such file or directory\n"
    elif case == "log":
        text += f"access-log = {tmp_path}/no/dir/a.log\n"
        want = f"eisd: cannot open access log '{tmp_path}/no/dir/a.log': No such file or directory\n"
    elif case == "value":
        text += "cache-max-age = soon\n"
        want = None
    elif case == "mime":
        extra = ["--mime-type", "md=not a type"]
        want = ("eisd: invalid --mime-type 'md=not a type' (expected EXT=TYPE: EXT without '.' or '/', "
                "TYPE like text/markdown)\n")
    else:
        text += "user = no-such-user-eisd\n"
        want = None
    conf = write_conf(tmp_path, text)
    rc, out, err = run_eisd(["--config", conf, "--check-config"] + extra + [root])
    assert rc == 1, (rc, out, err)
    assert out == ""
    if want:
        assert err == want
    else:
        assert err.startswith("eisd: ") and err.count("\n") == 1, err
    if case == "value":
        assert err == f"eisd: {conf}:2: invalid --cache-max-age 'soon' (expected 0-2147483647 seconds)\n"


def test_help_and_man_page_list_config_options():
    rc, out, _ = run_eisd(["--help"])
    assert "--config FILE" in out and "--check-config" in out
