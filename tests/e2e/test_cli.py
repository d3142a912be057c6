"""The command line: every error message and exit status, --help,
--version, the startup line, signals, the access log."""

import calendar
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import Conn, Server, req, run_eisd
from semantics import poll_log_lines

CLF_RE = re.compile(
    r'^(?P<addr>\S+) - - \[(?P<day>\d{2})/(?P<mon>[A-Z][a-z]{2})/(?P<year>\d{4}):'
    r'(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) (?P<tz>[+-]\d{4})\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)$'
)


def one_error_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected exactly one line on stderr, got {lines!r}"
    assert lines[0].startswith("eisd: "), lines[0]
    return lines[0]


# ---------------------------------------------------------------- usage errors (exit 2)

@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["-Z"],
    ["--port", "70000"],
    ["--port", "65536"],
    ["--port", "abc"],
    ["--port", "-1"],
    ["--port", "80x"],
    ["--port", ""],
    ["--port"],
    ["--threads", "0"],
    ["--threads", "-3"],
    ["--threads", "abc"],
    ["-t", "0"],
    ["--timeout", "abc"],
    ["--timeout", "-1"],
    ["--max-request-bytes", "abc"],
    ["--max-request-bytes", "-5"],
], ids=lambda a: " ".join(a) or "empty")
def test_usage_error_exit_2(tmp_path, args):
    rc, out, err = run_eisd(["--bind", "127.0.0.1"] + args + [str(tmp_path)])
    assert rc == 2, (rc, out, err)
    one_error_line(err)


def test_bad_port_message_names_value(tmp_path):
    rc, out, err = run_eisd(["--port", "70000", str(tmp_path)])
    assert rc == 2
    assert "70000" in one_error_line(err)


def test_unknown_flag_message_names_flag(tmp_path):
    rc, out, err = run_eisd(["--frobnicate", str(tmp_path)])
    assert rc == 2
    assert "frobnicate" in one_error_line(err)


# ---------------------------------------------------------------- runtime errors (exit 1)

def test_missing_root(tmp_path):
    missing = str(tmp_path / "no-such-dir")
    rc, out, err = run_eisd(["--port", "0", "--quiet", missing])
    assert rc == 1, (rc, out, err)
    line = one_error_line(err)
    assert missing in line
    assert "No such file or directory" in line


def test_missing_root_via_flag(tmp_path):
    missing = str(tmp_path / "nope")
    rc, out, err = run_eisd(["--port", "0", "--quiet", "--root", missing])
    assert rc == 1, (rc, out, err)
    assert missing in one_error_line(err)


def test_root_is_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_bytes(b"x")
    rc, out, err = run_eisd(["--port", "0", "--quiet", str(f)])
    assert rc == 1, (rc, out, err)
    line = one_error_line(err)
    assert str(f) in line
    assert "not a directory" in line.lower()


def test_port_in_use(tmp_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        rc, out, err = run_eisd(["--port", str(port), "--bind", "127.0.0.1", "--quiet", str(tmp_path)])
        assert rc == 1, (rc, out, err)
        line = one_error_line(err)
        assert "Address already in use" in line
        assert f"127.0.0.1:{port}" in line
    finally:
        s.close()


def test_bad_bind_address(tmp_path):
    rc, out, err = run_eisd(["--port", "0", "--bind", "not-an-address", "--quiet", str(tmp_path)])
    assert rc in (1, 2), (rc, out, err)
    assert "not-an-address" in one_error_line(err)


# ---------------------------------------------------------------- help and version

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    rc, out, err = run_eisd([flag])
    assert rc == 0, (rc, err)
    assert "usage" in out.lower()
    for opt in ("--port", "--bind", "--root", "--threads", "--timeout",
                "--max-request-bytes", "--access-log", "--quiet", "--version"):
        assert opt in out, f"--help does not mention {opt}"
    assert err == ""


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    rc, out, err = run_eisd([flag])
    assert rc == 0, (rc, err)
    assert re.match(r"^eisd \d+\.\d+\S*\n?$", out), out


# ---------------------------------------------------------------- startup line and flags

def test_startup_line_and_short_flags(site):
    s = Server(site.root, ["-p", "0", "-b", "127.0.0.1", "-t", "3", "-q", "-r", site.root])
    try:
        s.wait_started()
        assert s.threads == 3
        assert s.port > 0
        assert s.startup_line == f"eisd: serving {site.root} on http://127.0.0.1:{s.port}/ (3 threads)"
        with s.connect() as c:
            c.send(req("/a.txt"))
            assert c.read_response().body == b"AAAA file a\n"
    finally:
        s.stop()


def test_default_threads_is_online_cpus(site, start_server):
    s = start_server(site.root, threads=None)
    assert s.threads == os.cpu_count()


@pytest.mark.parametrize("addr", ["::1", "::"])
def test_ipv6_bind(site, start_server, addr):
    # The IPv6 loopback must exist (the suite uses only 127.0.0.1 and ::1).
    s = start_server(site.root, bind=addr)
    assert s.host == addr
    with Conn(s.port, host="::1") as c:
        c.send(req("/a.txt", host="[::1]"))
        assert c.read_response().body == b"AAAA file a\n"


# ---------------------------------------------------------------- signals

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_shuts_down_cleanly(site, start_server, sig):
    s = start_server(site.root)
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().status == 200
        s.send_signal(sig)
        rc = s.wait(timeout=10)
    assert rc == 0, (rc, s.stderr_text())
    assert "eisd: shutting down" in s.stderr_text()


def test_sigpipe_does_not_kill(site, start_server):
    """A client that disconnects while its response is being written costs
    only that connection."""
    big = os.path.join(site.root, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(4 * 1024 * 1024))
    s = start_server(site.root)
    for _ in range(10):
        c = s.connect()
        c.send(req("/big.bin") * 3)
        c.sock.recv(1000)
        c.close()
    time.sleep(0.3)
    assert s.alive()
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"


# ---------------------------------------------------------------- access log

def _check_clf(line, request, status, nbytes):
    m = CLF_RE.match(line)
    assert m, f"not Common Log Format: {line!r}"
    assert m.group("addr") == "127.0.0.1"
    assert m.group("request") == request, line
    assert int(m.group("status")) == status, line
    if nbytes == 0:
        assert m.group("bytes") in ("0", "-"), line
    else:
        assert m.group("bytes") == str(nbytes), line
    t = time.strptime(f"{m.group('day')}/{m.group('mon')}/{m.group('year')}:"
                      f"{m.group('h')}:{m.group('m')}:{m.group('s')}", "%d/%b/%Y:%H:%M:%S")
    tz = m.group("tz")
    off = (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60) * (1 if tz[0] == "+" else -1)
    when = calendar.timegm(t) - off
    assert abs(when - time.time()) < 10, line


def test_access_log_file(site, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    with s.connect() as c:
        c.send(req("/index.html"))
        r1 = c.read_response()
        c.send(req("/a.txt", method="HEAD"))
        c.read_response(head=True)
        c.send(req("/missing.txt"))
        r3 = c.read_response()
    lines = poll_log_lines(log, 3, timeout=3.0)
    assert len(lines) == 3, lines
    _check_clf(lines[0], "GET /index.html HTTP/1.1", 200, len(r1.body))
    _check_clf(lines[1], "HEAD /a.txt HTTP/1.1", 200, 0)
    _check_clf(lines[2], "GET /missing.txt HTTP/1.1", 404, len(r3.body))
    assert "eisd: serving" in s.stdout_text()
    assert "GET /index.html" not in s.stdout_text()


def test_access_log_flushed_at_shutdown(site, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    with s.connect() as c:
        c.send(req("/b.txt"))
        r = c.read_response()
    assert s.stop() == 0
    with open(log) as f:
        lines = [ln for ln in f.read().splitlines() if ln]
    assert len(lines) == 1, lines
    _check_clf(lines[0], "GET /b.txt HTTP/1.1", 200, len(r.body))


def _check_stdout_log(site, start_server, *args):
    """With args, a request's access-log line is the line on stdout after
    the startup line."""
    s = start_server(site.root, *args, quiet=False)
    with s.connect() as c:
        c.send(req("/c.txt"))
        c.read_response()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(s.stdout_lines) < 2:
        time.sleep(0.1)
    assert len(s.stdout_lines) >= 2, s.stdout_lines
    _check_clf(s.stdout_lines[1], "GET /c.txt HTTP/1.1", 200, 2)


def test_access_log_default_stdout(site, start_server):
    _check_stdout_log(site, start_server)


def test_access_log_dash_is_stdout(site, start_server):
    _check_stdout_log(site, start_server, "--access-log", "-")


def test_quiet_logs_nothing(site, start_server):
    s = start_server(site.root, quiet=True)
    with s.connect() as c:
        c.send(req("/c.txt"))
        c.read_response()
    time.sleep(1.5)
    assert s.stdout_lines == [s.startup_line], s.stdout_lines


def test_access_log_does_not_break_on_hostile_request_line(site, start_server, tmp_path):
    """A bad request may be logged, but never as more than one line."""
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False)
    with s.connect() as c:
        c.send(b'GET /a"b%0a\\x HTTP/1.1\r\nHost: x\r\n\r\n')
        c.read_response()
    with s.connect() as c:
        c.send(req("/a.txt"))
        c.read_response()
    s.stop()
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = [ln for ln in f.read().splitlines() if ln]
    # Two workers flush their own buffers, so the order of lines is free.
    assert len(lines) == 2, lines
    good = [ln for ln in lines if '"GET /a.txt HTTP/1.1"' in ln]
    assert len(good) == 1, lines
    _check_clf(good[0], "GET /a.txt HTTP/1.1", 200, len(b"AAAA file a\n"))
    hostile = [ln for ln in lines if ln is not good[0]][0]
    assert '\\x22' in hostile and '"' not in hostile.split('"GET ')[1].split(' HTTP/1.1"')[0], hostile


def test_cannot_open_access_log(site, tmp_path):
    bad = str(tmp_path / "no" / "such" / "dir" / "access.log")
    rc, out, err = run_eisd(["--port", "0", "--access-log", bad, site.root])
    assert rc == 1, (rc, out, err)  # a runtime failure, not a usage error
    assert bad in one_error_line(err)


def test_no_root_and_no_www_says_what_to_do(tmp_path):
    # The first thing people try: eisd in the folder they want to share.
    rc, out, err = run_eisd(["--port", "0", "--quiet"], cwd=str(tmp_path))
    assert rc == 1, (rc, out, err)
    line = one_error_line(err)
    assert "no ROOT given" in line and "'www'" in line
    assert "eisd ." in line and "--root DIR" in line
    assert "--listing" in line


def test_missing_named_root_has_no_hint(tmp_path):
    # A ROOT the user named: the plain error, not the first-run hint.
    rc, out, err = run_eisd(["--port", "0", "--quiet", "www"], cwd=str(tmp_path))
    assert rc == 1
    line = one_error_line(err)
    assert "root 'www': No such file or directory" in line
    assert "--listing" not in line


def test_make_run_takes_port_and_root():
    # make run PORT=N ROOT=DIR overrides the defaults (8080, www); -n
    # prints the command without building or running anything.
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run(["make", "-n", "-C", repo, "run", "PORT=9099", "ROOT=/tmp/a dir",
                        "ARGS=--listing"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    run = [ln for ln in p.stdout.splitlines() if ln.startswith("./eisd ")]
    assert run == ["./eisd --port 9099 --listing '/tmp/a dir'"], p.stdout
    p = subprocess.run(["make", "-n", "-C", repo, "run"], capture_output=True, text=True,
                       timeout=60, env={k: v for k, v in os.environ.items()
                                        if k not in ("PORT", "ROOT", "ARGS")})
    run = [ln for ln in p.stdout.splitlines() if ln.startswith("./eisd ")]
    assert run == ["./eisd --port 8080  'www'"], p.stdout
