"""Signals (issue 16 item 5, issue 14): stray signals never kill eisd and
never lose a logged line, SIGHUP reopens the access log for logrotate, a
second SIGINT/SIGTERM ends the shutdown grace at once."""

import os
import signal
import time

import pytest

from conftest import req


def poll_lines(path, n, timeout=5.0):
    """The log's lines once it has at least n (or what it has at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [ln for ln in f.read().splitlines() if ln]
        if len(lines) >= n or time.monotonic() >= deadline:
            return lines
        time.sleep(0.05)


def get_n(s, n, path="/a.txt"):
    with s.connect() as c:
        for _ in range(n):
            c.send(req(path))
            assert c.read_response().status == 200


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGUSR2, signal.SIGQUIT, signal.SIGALRM],
                         ids=lambda s: s.name)
def test_stray_signal_neither_kills_nor_loses_log_lines(site, start_server, tmp_path, sig):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    get_n(s, 50)
    # The 50 lines are still in the workers' buffers (flushed each second).
    s.send_signal(sig)
    get_n(s, 1, "/b.txt")
    assert s.alive(), s.stderr_text()
    assert s.stop() == 0, s.stderr_text()
    lines = poll_lines(log, 51, timeout=0)
    assert len(lines) == 51, len(lines)
    assert sum('"GET /a.txt HTTP/1.1" 200' in ln for ln in lines) == 50


def test_sighup_reopens_the_access_log_for_logrotate(site, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    get_n(s, 5)
    assert len(poll_lines(log, 5)) == 5
    os.rename(log, log + ".1")          # what logrotate does
    s.send_signal(signal.SIGHUP)        # its postrotate
    deadline = time.monotonic() + 5
    while not os.path.exists(log) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(log), s.stderr_text()
    get_n(s, 3, "/b.txt")
    new = poll_lines(log, 3)
    assert len(new) == 3 and all('"GET /b.txt HTTP/1.1" 200' in ln for ln in new), new
    old = poll_lines(log + ".1", 5, timeout=0)
    assert len(old) == 5 and all('"GET /a.txt HTTP/1.1" 200' in ln for ln in old), old
    assert s.stop() == 0


def test_sighup_reopen_failure_keeps_serving_and_logging(site, start_server, tmp_path):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    log = str(logdir / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    get_n(s, 2)
    assert len(poll_lines(log, 2)) == 2
    os.rename(log, str(tmp_path / "moved.log"))
    os.rmdir(logdir)                    # the name cannot be created again
    s.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while "cannot reopen access log" not in s.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert f"eisd: cannot reopen access log '{log}'" in s.stderr_text()
    get_n(s, 1, "/b.txt")
    assert s.stop() == 0
    assert len(poll_lines(str(tmp_path / "moved.log"), 3, timeout=0)) == 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_second_stop_signal_ends_the_grace_at_once(site, start_server, sig):
    with open(os.path.join(site.root, "big.bin"), "wb") as f:
        f.write(os.urandom(32 << 20))
    s = start_server(site.root, "--shutdown-grace", "60", "--send-timeout", "60")
    c = s.connect()
    try:
        c.send(req("/big.bin"))
        assert c.sock.recv(64).startswith(b"HTTP/1.1 200")  # in flight; never read further
        s.send_signal(sig)
        deadline = time.monotonic() + 5
        while "shutting down" not in s.stderr_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert s.wait(timeout=0.5) is None, "exited before the grace: the test proves nothing"
        t0 = time.monotonic()
        s.send_signal(sig)
        rc = s.wait(timeout=5)
        assert rc == 0, (rc, s.stderr_text())
        assert time.monotonic() - t0 < 2
        assert "eisd: stopping now" in s.stderr_text()
    finally:
        c.close()


def test_contrib_logrotate_snippet_rotates_without_losing_a_line(site, start_server, tmp_path):
    """contrib/logrotate, run for real by logrotate(8) with its log path,
    owner and postrotate command pointed at this server."""
    import grp
    import pwd
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    snippet = open(os.path.join(here, "..", "..", "contrib", "logrotate")).read()
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    assert "/var/log/eisd/access.log" in snippet and "create 0640 eisd adm" in snippet
    assert "systemctl reload eisd.service" in snippet
    conf = (snippet.replace("/var/log/eisd/access.log", log)
            .replace("create 0640 eisd adm", f"create 0640 {user} {group}")
            .replace("systemctl reload eisd.service", f"kill -HUP {s.pid}"))
    (tmp_path / "lr.conf").write_text(conf)
    get_n(s, 4)
    assert len(poll_lines(log, 4)) == 4
    p = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "lr.state"), str(tmp_path / "lr.conf")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "error" not in p.stderr, p.stderr
    get_n(s, 2, "/b.txt")
    new = poll_lines(log, 2)
    assert len(new) == 2 and all("/b.txt" in ln for ln in new), new
    old = poll_lines(log + ".1", 4, timeout=0)   # delaycompress: .1 stays plain
    assert len(old) == 4 and all("/a.txt" in ln for ln in old), old
    assert oct(os.stat(log).st_mode & 0o777) == "0o640"
