"""The service manager (issue 14): socket activation through Debian's
systemd-socket-activate, the sd_notify protocol to a NOTIFY_SOCKET
listener, the contrib units checked by systemd-analyze, and the binary
upgrade on SIGUSR2 under load."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import EISD_BIN, Conn, Server, free_port, req

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRIB = os.path.join(HERE, "..", "..", "contrib")


def get(port, path="/a.txt", timeout=5):
    with Conn(port, timeout=timeout) as c:
        c.send(req(path, headers=[("Connection", "close")]))
        return c.read_response()


class Notify:
    """A NOTIFY_SOCKET listener, as systemd would be."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(5)

    def next(self):
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(tmp_path):
    n = Notify(tmp_path / "notify.sock")
    yield n
    n.close()


def test_socket_activation_uses_the_inherited_socket(site, tmp_path):
    port = free_port()
    cmd = ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "--fdname=http",
           EISD_BIN, "--quiet", "--threads", "2", "--port", "1", "--bind", "10.1.2.3", site.root]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        # It listens at once and starts eisd on the first connection.
        deadline = time.monotonic() + 10
        r = None
        while time.monotonic() < deadline:
            try:
                r = get(port)
                break
            except (ConnectionRefusedError, ConnectionResetError):
                time.sleep(0.05)
        assert r is not None and r.status == 200 and r.body == b"AAAA file a\n"
        line = p.stdout.readline().decode()
        # --port 1 and --bind 10.1.2.3 are ignored: the socket wins.
        assert line == f"eisd: serving {site.root} on http://127.0.0.1:{port}/ (2 threads)\n", line
        assert get(port, "/b.txt").body == b"BBBBBBBB file b\n"
    finally:
        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=10)
    assert rc == 0, p.stderr.read()


def test_socket_activation_picks_the_socket_named_http(site, start_server):
    """Two sockets passed: the one named http is served, the other closed."""
    p1, p2 = free_port(), free_port()
    cmd = ["systemd-socket-activate", "-l", f"127.0.0.1:{p1}", "-l", f"127.0.0.1:{p2}",
           "--fdname=other:http", EISD_BIN, "--quiet", site.root]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", p1), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        line = p.stdout.readline().decode()
        assert f"127.0.0.1:{p2}/" in line, line
        assert get(p2).status == 200
    finally:
        os.kill(p.pid, signal.SIGTERM)
        p.wait(timeout=10)


def test_listen_pid_of_another_process_is_ignored(site, start_server):
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID="1")
    s = start_server(site.root, env=env)
    assert get(s.port).status == 200


def test_bad_listen_fds_is_one_line_exit_1(site):
    env = dict(os.environ, LISTEN_FDS="1")
    p = subprocess.run(["sh", "-c", f'LISTEN_PID=$$ exec "$0" "$@"', EISD_BIN, "--port", "0",
                        "--quiet", site.root], env=env, capture_output=True, text=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    # fd 3 is not a listening socket here.
    assert p.returncode == 1, p
    assert re.fullmatch(r"eisd: inherited descriptor 3 is not a listening TCP socket\n"
                        r"|eisd: inherited socket 3: .*\n", p.stderr), p.stderr


def test_sd_notify_ready_reloading_stopping(site, start_server, notify, tmp_path):
    conf = tmp_path / "eisd.conf"
    conf.write_text("listing = no\n")
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    s = start_server(site.root, "--config", str(conf), env=env)
    msg = notify.next()
    assert "READY=1" in msg.split("\n") and f"MAINPID={s.pid}" in msg, msg
    assert f"STATUS=serving on 127.0.0.1:{s.port}" in msg
    before = time.clock_gettime(time.CLOCK_MONOTONIC)
    s.send_signal(signal.SIGHUP)
    msg = notify.next()
    lines = msg.split("\n")
    assert "RELOADING=1" in lines, msg
    usec = int([ln for ln in lines if ln.startswith("MONOTONIC_USEC=")][0].split("=")[1])
    after = time.clock_gettime(time.CLOCK_MONOTONIC)
    assert before * 1e6 - 1e5 <= usec <= after * 1e6 + 1e5
    msg = notify.next()
    assert "READY=1" in msg.split("\n"), msg
    s.send_signal(signal.SIGTERM)
    msg = notify.next()
    assert "STOPPING=1" in msg.split("\n"), msg
    assert s.wait(timeout=10) == 0


def test_sd_notify_abstract_socket(site, start_server):
    name = f"eisd-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        start_server(site.root, env=dict(os.environ, NOTIFY_SOCKET="@" + name))
        assert "READY=1" in sock.recv(4096).decode()
    finally:
        sock.close()


def units(tmp_path):
    d = tmp_path / "units"
    d.mkdir()
    for name in ("eisd.service", "eisd.socket"):
        text = open(os.path.join(CONTRIB, name)).read()
        (d / name).write_text(text.replace("/usr/local/bin/eisd", EISD_BIN))
    return d


def test_contrib_units_verify_and_are_hardened(tmp_path):
    d = units(tmp_path)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", "./eisd.socket", "./eisd.service"],
                       cwd=d, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", (p.stdout, p.stderr)
    service = (d / "eisd.service").read_text()
    for want in ("Type=notify", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                 "CapabilityBoundingSet=\n", "DynamicUser=yes", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert want in service, want
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", "./eisd.service"],
                       cwd=d, capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for eisd.service: (\d+\.\d+)", p.stdout)
    assert m and float(m.group(1)) <= 2.0, p.stdout[-500:]


# ---------------------------------------------------------------- binary upgrade

def copy_binary(tmp_path):
    exe = tmp_path / "bin" / "eisd"
    exe.parent.mkdir()
    shutil.copy(EISD_BIN, exe)
    return str(exe)


def kill_pid(pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def new_pid(s):
    m = re.search(r"upgrade: new process (\d+) is ready", s.stderr_text())
    return int(m.group(1)) if m else None


def start_from(exe, tmp_path, *args):
    """exe started with stdout/stderr to files: a new process from an
    upgrade shares them and outlives this one, so pipes would never end."""
    out, err = open(tmp_path / "out.txt", "wb"), open(tmp_path / "err.txt", "wb")
    p = subprocess.Popen([exe, "--port", "0", "--quiet"] + list(args), stdin=subprocess.DEVNULL,
                         stdout=out, stderr=err, start_new_session=True)
    out.close()
    err.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(r":(\d+)/", (tmp_path / "out.txt").read_text())
        if m:
            return p, int(m.group(1))
        time.sleep(0.02)
    p.kill()
    raise AssertionError("no startup line: " + (tmp_path / "err.txt").read_text())


def wait_text(path, pattern, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, path.read_text())
        if m:
            return m
        time.sleep(0.02)
    raise AssertionError(f"{pattern!r} not in {path.read_text()!r}")


def test_upgrade_under_load_loses_nothing(site, tmp_path):
    exe = copy_binary(tmp_path)
    p, port = start_from(exe, tmp_path, "--threads", "2", site.root)
    child = None
    stop = threading.Event()
    threads = []
    try:
        # "Install" a new binary over the old file (rename, as package
        # managers do); the upgrade must start the file now at that path.
        shutil.copy(EISD_BIN, exe + ".new")
        with open(exe + ".new", "ab") as f:
            f.write(b"\0new")            # a different file, same program
        os.rename(exe + ".new", exe)
        stats = {"ok": 0, "fail": []}
        lock = threading.Lock()

        def load():
            while not stop.is_set():
                try:
                    r = get(port)
                    good = r.status == 200 and r.body == b"AAAA file a\n"
                    what = r.status
                except Exception as e:
                    good, what = False, repr(e)
                with lock:
                    if good:
                        stats["ok"] += 1
                    else:
                        stats["fail"].append(what)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGUSR2)
        assert p.wait(timeout=20) == 0         # the old one drained and left
        m = wait_text(tmp_path / "err.txt",
                      r"upgrade: new process (\d+) is ready; this one \((\d+)\) stops accepting")
        child = int(m.group(1))
        assert int(m.group(2)) == p.pid
        with lock:
            ok_at_handover = stats["ok"]
        time.sleep(0.5)                        # the new one alone
        stop.set()
        for t in threads:
            t.join(timeout=20)
        assert stats["fail"] == [], stats["fail"][:5]
        assert stats["ok"] > ok_at_handover > 20, stats
        # The new process runs the new file.
        assert os.readlink(f"/proc/{child}/exe") == exe
        assert get(port).status == 200
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
        if p.poll() is None:
            p.kill()
            p.wait()
        if child is None:       # a failed assertion before it was read
            m = re.search(r"upgrade: new process (\d+)", (tmp_path / "err.txt").read_text())
            child = int(m.group(1)) if m else None
        if child:
            kill_pid(child)


def test_upgrade_failure_keeps_serving(site, tmp_path):
    exe = copy_binary(tmp_path)
    p, port = start_from(exe, tmp_path, site.root)
    try:
        os.remove(exe)
        with open(exe, "w") as f:
            f.write("#!/bin/sh\nexit 3\n")
        os.chmod(exe, 0o755)
        os.kill(p.pid, signal.SIGUSR2)
        wait_text(tmp_path / "err.txt", re.escape(
            "eisd: upgrade failed, still serving: the new process exited (status 3) before it was ready"))
        assert get(port).status == 200
        assert p.poll() is None
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
