"""Faults: SIGTERM while 50 downloads are running, and files removed or
truncated while they are being sent."""

import os
import re
import signal
import socket
import threading
import time

import pytest

from conftest import Conn, open_files, req, wait_for

MIB = 1024 * 1024
ROOT_WARNING = "eisd: warning: running as root; use --user NAME to drop privileges"
CLF_LINE = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "(?P<req>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+)$')


def expected_stderr_head():
    return [ROOT_WARNING] if os.geteuid() == 0 else []


# ---------------------------------------------------------------- graceful shutdown

@pytest.fixture(scope="module")
def site20(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    root = base / "www"
    root.mkdir()
    data = os.urandom(20 * MIB)
    (root / "big.bin").write_bytes(data)
    (root / "a.txt").write_bytes(b"AAAA file a\n")
    return str(root), data


class Download(threading.Thread):
    """Reads /big.bin at a modest pace until told otherwise; records how
    many bytes arrived, whether they were right, and how it ended."""

    def __init__(self, port, data, fast_after_signal, signalled, exited):
        super().__init__(daemon=True)
        self.port, self.data = port, data
        self.fast_after_signal = fast_after_signal
        self.signalled, self.exited = signalled, exited
        self.got = 0
        self.wrong_at = None
        self.ended = None  # "complete", "eof", "reset" or an error
        self.started_body = threading.Event()

    def run(self):
        try:
            with Conn(self.port, rcvbuf=65536, timeout=30) as c:
                c.send(req("/big.bin"))
                _, status, _, headers, _ = c.read_head()
                assert status == 200 and headers["Content-Length"] == str(len(self.data))
                self._check(bytes(c.buf))
                c.buf.clear()
                buf = bytearray(MIB)
                while self.got < len(self.data):
                    fast = self.exited.is_set() or (self.fast_after_signal and self.signalled.is_set())
                    want = min(len(buf) if fast else 32768, len(self.data) - self.got)
                    try:
                        k = c.sock.recv_into(buf, want)
                    except ConnectionResetError:
                        self.ended = "reset"
                        return
                    if k == 0:
                        self.ended = "eof"
                        return
                    self._check(bytes(buf[:k]))
                    if self.got >= 256 * 1024:
                        self.started_body.set()
                    if not fast:
                        time.sleep(0.05)  # ~640 KB/s
                self.ended = "complete"
        except BaseException as e:  # reported by the test
            self.ended = repr(e)
        finally:
            self.started_body.set()

    def _check(self, chunk):
        if self.wrong_at is None and chunk != self.data[self.got:self.got + len(chunk)]:
            self.wrong_at = self.got
        self.got += len(chunk)


def test_sigterm_with_50_downloads_in_flight(start_server, site20):
    """10 readers speed up when the signal comes and finish within the
    grace period; 40 keep a pace that cannot, and are closed cleanly at
    its end. Nobody new gets in after the signal. Exit status 0, and the
    output ends with the shutdown line and the access log of the 50."""
    root, data = site20
    grace = 5
    s = start_server(root, "--shutdown-grace", str(grace), quiet=False)
    signalled, exited = threading.Event(), threading.Event()
    downloads = [Download(s.port, data, i < 10, signalled, exited) for i in range(50)]
    try:
        for d in downloads:
            d.start()
        for d in downloads:
            assert d.started_body.wait(timeout=30)
        assert all(d.ended is None for d in downloads), [d.ended for d in downloads if d.ended]
        t_sig = time.monotonic()
        signalled.set()
        s.send_signal(signal.SIGTERM)

        # From the signal on, new clients are refused, not queued.
        def refused():
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
                return False
            except (ConnectionRefusedError, ConnectionResetError):
                # A SYN that raced the listener's shutdown is reset
                # instead of refused: not accepted either way.
                return True
        assert wait_for(refused, timeout=3, step=0.1), "new connections still accepted after SIGTERM"

        rc = s.wait(timeout=grace + 10)
        exited.set()
        took = time.monotonic() - t_sig
        for d in downloads:
            d.join(timeout=30)
        assert rc == 0, f"exit status {rc} (None: still running {grace + 10}s after SIGTERM)"
        assert took < grace + 8, took
        fast, slow = downloads[:10], downloads[10:]
        assert [d.ended for d in fast] == ["complete"] * 10, [(d.ended, d.got) for d in fast]
        for d in slow:
            assert d.ended in ("eof", "reset"), (d.ended, d.got)
            assert d.got < len(data)
        assert [d.wrong_at for d in downloads] == [None] * 50, "wrong bytes in a download"
    finally:
        exited.set()
        signalled.set()

    # Nothing after the shutdown line but the final log flush.
    assert s.stderr_lines == expected_stderr_head() + ["eisd: shutting down"], s.stderr_lines
    assert s.stdout_lines[0] == s.startup_line
    log = s.stdout_lines[1:]
    assert len(log) == 50, log[-5:]
    for line in log:
        m = CLF_LINE.match(line)
        assert m, line
        assert (m.group("req"), m.group("status"), m.group("bytes")) == \
            ("GET /big.bin HTTP/1.1", "200", str(len(data))), line


# ---------------------------------------------------------------- disk faults

@pytest.fixture
def fault_site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    data = os.urandom(16 * MIB)
    (root / "f.bin").write_bytes(data)
    (root / "a.txt").write_bytes(b"AAAA file a\n")
    return str(root), str(root / "f.bin"), data


def _start_slow_download(s, data, first):
    c = Conn(s.port, rcvbuf=16384, timeout=15)
    c.send(req("/f.bin"))
    _, status, _, headers, _ = c.read_head()
    assert status == 200 and headers["Content-Length"] == str(len(data))
    got = bytearray(c.buf)
    c.buf.clear()
    while len(got) < first:
        chunk = c.sock.recv(16384)
        assert chunk
        got += chunk
    return c, got


def _read_to_end(c, got, limit):
    deadline = time.monotonic() + 20
    while len(got) <= limit:
        assert time.monotonic() < deadline, f"neither complete nor closed after 20 s ({len(got)} bytes)"
        try:
            chunk = c.sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        got += chunk
    return got


def same_or_zeroed(got, original):
    """sendfile() queues page-cache pages, not copies, and truncating zeroes
    the part past the new end of the page (or large folio) holding it,
    bytes that may still be in flight: past the new size, each byte is the
    original or 0."""
    for off in range(0, len(got), 4096):
        a, b = got[off:off + 4096], original[off:off + 4096]
        if a != b and any(x != y and x != 0 for x, y in zip(a, b)):
            return False
    return True


@pytest.mark.parametrize("new_size", [0, MIB + 123])
def test_file_truncated_while_sent(start_server, fault_site, new_size):
    """sendfile() finds the end early: the connection closes (the client
    sees fewer bytes than announced, all of them right), the worker goes
    on serving."""
    root, path, data = fault_site
    s = start_server(root, threads=1)
    c, got = _start_slow_download(s, data, 256 * 1024)
    try:
        os.truncate(path, new_size)
        got = _read_to_end(c, got, len(data))
        assert len(got) < len(data), "the whole original file arrived after truncation"
        assert bytes(got[:new_size]) == data[:min(len(got), new_size)]
        assert same_or_zeroed(bytes(got[new_size:]), data[new_size:len(got)])
    finally:
        c.close()
    assert wait_for(lambda: open_files(s.pid, path) == 0, timeout=5), "file still open"
    assert s.alive()
    with s.connect() as c2:
        c2.send(req("/a.txt") + req("/f.bin"))
        assert c2.read_response().body == b"AAAA file a\n"
        r = c2.read_response()
        assert r.status == 200 and r.body == data[:new_size]


def test_file_removed_while_sent(start_server, fault_site):
    """An open file outlives its name: the download completes byte-exact,
    then the descriptor is closed (no deleted file held open), and the
    name is 404 from then on."""
    root, path, data = fault_site
    s = start_server(root, threads=1)
    c, got = _start_slow_download(s, data, 256 * 1024)
    try:
        os.unlink(path)
        got = _read_to_end(c, got, len(data) - 1)
        assert len(got) == len(data)
        assert bytes(got) == data
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"
    finally:
        c.close()
    assert wait_for(lambda: open_files(s.pid, path) == 0, timeout=5), "deleted file still held open"
    with s.connect() as c2:
        c2.send(req("/f.bin"))
        assert c2.read_response().status == 404
