"""SIGHUP reload (issue 14): the config file read again; live settings
apply to the next request, on connections already open too; what needs a
restart is named and kept; a bad file changes nothing; no connection is
dropped."""

import os
import signal
import threading
import time

import pytest

from conftest import fetch, req


def wait_stderr(s, text, count=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if s.stderr_text().count(text) >= count:
            return True
        time.sleep(0.02)
    return False


def reload(s, count):
    """SIGHUP, then wait for the count-th outcome line."""
    s.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        t = s.stderr_text()
        if t.count("eisd: reloaded ") + t.count("eisd: reload failed") >= count:
            return t
        time.sleep(0.02)
    raise AssertionError(f"no reload outcome on stderr: {s.stderr_text()!r}")


@pytest.fixture
def conf(tmp_path):
    p = tmp_path / "eisd.conf"
    p.write_text("header = X-Version: 1\ncache-max-age = 60\n")
    return p


def test_live_settings_apply_to_open_and_new_connections(site, start_server, conf):
    (open(os.path.join(site.root, "notes.md"), "w")).write("# hi\n")
    s = start_server(site.root, "--config", str(conf))
    c = s.connect()
    try:
        c.send(req("/a.txt"))
        r = c.read_response()
        assert r.headers.get_all("X-Version") == ["1"]
        assert r.headers["Cache-Control"] == "public, max-age=60"
        assert fetch(s, "/noindex/").status == 403
        conf.write_text("header = X-Version: 2\ncache-max-age = 7\nlisting\n"
                        "mime-type = md=text/x-eisd-test\n"
                        "[location /sub/]\ncache-max-age = 99\n")
        out = reload(s, 1)
        assert f"eisd: reloaded {conf}" in out
        # The same keep-alive connection: not dropped, new settings.
        c.send(req("/a.txt"))
        r = c.read_response()
        assert r.headers.get_all("X-Version") == ["2"]
        assert r.headers["Cache-Control"] == "public, max-age=7"
    finally:
        c.close()
    assert fetch(s, "/sub/file.txt").headers["Cache-Control"] == "public, max-age=99"
    assert fetch(s, "/noindex/").status == 200
    assert fetch(s, "/notes.md").headers["Content-Type"].startswith("text/x-eisd-test")
    assert "needs a restart" not in s.stderr_text()


def test_restart_only_settings_are_named_and_kept(site, start_server, conf, tmp_path):
    conf.write_text(f"root = {site.root}\n")
    s = start_server(None, "--config", str(conf))
    port = s.port
    conf.write_text(f"header = X-Version: 2\nmax-connections = 5\nmax-request-bytes = 4096\n"
                    f"root = {tmp_path}\n")
    out = reload(s, 1)
    assert ("eisd: reload: --root, --max-connections, --max-request-bytes cannot change while "
            "running (needs a restart); kept as it was") in out, out
    r = fetch(s, "/a.txt")
    assert r.status == 200 and r.body == b"AAAA file a\n"     # the old root
    assert r.headers.get_all("X-Version") == ["2"]             # the live part applied
    assert s.port == port


@pytest.mark.parametrize("bad,why", [
    ("header = X-Version: 3\nport = nope\n", "{conf}:2: invalid port 'nope' (expected 0-65535)"),
    ("header = X-Version: 3\n[location x]\n", "{conf}:2: invalid location prefix 'x'"),
    ("header = X-Version: 3\nmime-type = md=not a type\n", "invalid --mime-type 'md=not a type'"),
])
def test_bad_file_changes_nothing_and_says_why(site, start_server, conf, bad, why):
    s = start_server(site.root, "--config", str(conf))
    conf.write_text(bad)
    out = reload(s, 1)
    assert "eisd: reload failed, nothing changed: " + why.format(conf=conf) in out, out
    r = fetch(s, "/a.txt")
    assert r.headers.get_all("X-Version") == ["1"]
    assert r.headers["Cache-Control"] == "public, max-age=60"
    # A good file afterwards applies.
    conf.write_text("header = X-Version: 4\n")
    reload(s, 2)
    assert fetch(s, "/a.txt").headers.get_all("X-Version") == ["4"]


def test_reload_changes_the_log_file(site, start_server, conf, tmp_path):
    log1, log2 = tmp_path / "one.log", tmp_path / "two.log"
    conf.write_text(f"access-log = {log1}\n")
    s = start_server(site.root, "--config", str(conf), quiet=False)
    fetch(s, "/a.txt")
    deadline = time.monotonic() + 5          # the worker's buffer is written each second
    while "/a.txt" not in log1.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    conf.write_text(f"access-log = {log2}\n")
    reload(s, 1)
    fetch(s, "/b.txt")
    assert s.stop() == 0
    assert "/a.txt" in log1.read_text() and "/b.txt" not in log1.read_text()
    assert "/b.txt" in log2.read_text() and "/a.txt" not in log2.read_text()


def test_no_request_fails_across_reloads(site, start_server, conf):
    s = start_server(site.root, "--config", str(conf))
    stop = threading.Event()
    results = {"ok": 0, "fail": []}

    def client():
        while not stop.is_set():
            try:
                with s.connect() as c:
                    for _ in range(20):
                        c.send(req("/a.txt"))
                        r = c.read_response()
                        if r.status != 200 or r.body != b"AAAA file a\n":
                            results["fail"].append(r.status)
                        results["ok"] += 1
            except Exception as e:  # a dropped connection is a failure
                results["fail"].append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(1, 11):
            conf.write_text(f"header = X-Version: {i + 1}\ncache-max-age = {i}\n")
            reload(s, i)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert results["fail"] == [] and results["ok"] > 100, results
    assert fetch(s, "/a.txt").headers.get_all("X-Version") == ["11"]


def test_sighup_without_config_file_only_reopens(site, start_server):
    s = start_server(site.root)
    s.send_signal(signal.SIGHUP)
    assert fetch(s, "/a.txt").status == 200
    assert "reload" not in s.stderr_text()
