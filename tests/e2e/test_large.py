"""Bodies: binary files byte-exact, a 100 MiB file by SHA-256, a file over
4 GiB, slow readers, clients that vanish mid-file, SIGTERM mid-download."""

import hashlib
import os
import pathlib
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Conn, req

MIB = 1024 * 1024
BIG_SIZE = 100 * MIB


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    """A ROOT with a random 1 MiB file and a random 100 MiB file (SHA-256
    computed while writing). Shared by the tests of this module; each test
    starts its own server on it."""
    base = tmp_path_factory.mktemp("large")
    root = base / "www"
    root.mkdir()
    one = os.urandom(MIB)
    (root / "one.bin").write_bytes(one)
    h = hashlib.sha256()
    with open(root / "big.bin", "wb") as f:
        for i in range(BIG_SIZE // MIB):
            chunk = os.urandom(MIB)
            h.update(chunk)
            f.write(chunk)
    (root / "a.txt").write_bytes(b"AAAA file a\n")
    return {"root": str(root), "one": one, "big_sha": h.hexdigest(), "big": str(root / "big.bin")}


def stream_body(conn, n, on_chunk, deadline=None):
    """Reads up to n body bytes fast with recv_into; returns how many arrived
    before the server closed (== n when complete)."""
    got = 0
    if conn.buf:
        take = min(n, len(conn.buf))
        on_chunk(memoryview(bytes(conn.buf[:take])))
        del conn.buf[:take]
        got += take
    buf = bytearray(4 * MIB)
    mv = memoryview(buf)
    while got < n:
        if deadline is not None and time.monotonic() > deadline:
            raise AssertionError(f"body not complete before deadline ({got}/{n})")
        try:
            k = conn.sock.recv_into(mv[:min(len(buf), n - got)])
        except ConnectionResetError:
            k = 0
        if k == 0:
            break
        on_chunk(mv[:k])
        got += k
    return got


@pytest.mark.smoke
def test_binary_1mib_byte_exact(start_server, big_site):
    s = start_server(big_site["root"])
    with s.connect() as c:
        c.send(req("/one.bin"))
        r = c.read_response()
    assert r.status == 200
    assert r.headers["Content-Length"] == str(MIB)
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.body == big_site["one"]


def test_binary_keep_alive_twice(start_server, big_site):
    s = start_server(big_site["root"])
    with s.connect() as c:
        c.send(req("/one.bin") + req("/a.txt") + req("/one.bin"))
        assert c.read_response().body == big_site["one"]
        assert c.read_response().body == b"AAAA file a\n"
        assert c.read_response().body == big_site["one"]


def test_100mib_sha256(start_server, big_site):
    s = start_server(big_site["root"])
    with s.connect(timeout=30) as c:
        c.send(req("/big.bin"))
        version, status, reason, headers, _ = c.read_head()
        assert status == 200
        assert headers["Content-Length"] == str(BIG_SIZE)
        h = hashlib.sha256()
        got = stream_body(c, BIG_SIZE, h.update, deadline=time.monotonic() + 60)
        assert got == BIG_SIZE
        assert h.hexdigest() == big_site["big_sha"]
        # Keep-alive still works after a big body.
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"


def test_100mib_with_curl(start_server, big_site, tmp_path):
    s = start_server(big_site["root"])
    out = tmp_path / "big.out"
    p = subprocess.run(["curl", "-s", "-o", str(out), "-w", "%{http_code} %{size_download}",
                        "--max-time", "60", s.url("/big.bin")],
                       capture_output=True, text=True, timeout=90)
    assert p.stdout == f"200 {BIG_SIZE}", (p.stdout, p.stderr)
    h = hashlib.sha256()
    with open(out, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MIB), b""):
            h.update(chunk)
    assert h.hexdigest() == big_site["big_sha"]


def test_head_of_big_file(start_server, big_site):
    s = start_server(big_site["root"])
    with s.connect() as c:
        c.send(req("/big.bin", method="HEAD"))
        r = c.read_response(head=True)
        assert r.status == 200 and r.headers["Content-Length"] == str(BIG_SIZE)
        c.answered_next("/a.txt", b"AAAA file a\n")


@pytest.fixture
def sparse_dir(tmp_path):
    """A directory for a huge sparse file: on tmpfs (/dev/shm) when there is
    one, where reading holes costs no page cache and is ~8x faster."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        d = tempfile.mkdtemp(prefix="eisd-e2e-", dir="/dev/shm")
        try:
            yield pathlib.Path(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path


def test_file_over_4gib(start_server, sparse_dir):
    """Content-Length and offsets past 2 GiB and 4 GiB (sendfile in several
    calls, 64-bit sizes). The file is sparse; markers sit across the
    boundaries and at the end."""
    root = sparse_dir / "www"
    root.mkdir()
    size = 4 * 1024 * MIB + MIB + 7
    markers = {
        0: os.urandom(32),
        2**31 - 16: os.urandom(32),
        2**32 - 16: os.urandom(32),
        size - 40: os.urandom(40),
    }
    path = root / "huge.bin"
    with open(path, "wb") as f:
        f.truncate(size)
        for off, data in markers.items():
            f.seek(off)
            f.write(data)
    st = os.stat(path)
    # The temporary directory's file system must hold it sparsely (tmpfs
    # and ext4 do); otherwise this test would write gigabytes.
    assert st.st_blocks * 512 <= 64 * MIB, "the temporary file system has no sparse files"
    s = start_server(str(root))
    pos = 0
    seen = {off: bytearray() for off in markers}

    def on_chunk(mv):
        nonlocal pos
        end = pos + len(mv)
        for off, data in markers.items():
            lo, hi = max(pos, off), min(end, off + len(data))
            if lo < hi:
                seen[off] += mv[lo - pos:hi - pos]
        pos = end

    with s.connect(timeout=30) as c:
        c.send(req("/huge.bin"))
        _, status, _, headers, _ = c.read_head()
        assert status == 200
        assert headers["Content-Length"] == str(size)
        got = stream_body(c, size, on_chunk, deadline=time.monotonic() + 90)
    assert got == size
    for off, data in markers.items():
        assert bytes(seen[off]) == data, f"wrong bytes at offset {off}"


def test_slow_reader_byte_exact_and_others_served(start_server, big_site):
    """A client reading slowly gets every byte, and does not hold up the
    only worker thread: another client is served meanwhile."""
    s = start_server(big_site["root"], threads=1)
    slow = Conn(s.port, rcvbuf=4096)
    try:
        slow.send(req("/one.bin"))
        version, status, reason, headers, _ = slow.read_head()
        assert status == 200
        got = bytearray(slow.buf)
        slow.buf.clear()
        t_other = None
        while len(got) < MIB:
            chunk = slow.sock.recv(4096)
            assert chunk, "closed early"
            got += chunk
            time.sleep(0.001)
            if t_other is None and len(got) > 64 * 1024:
                t0 = time.monotonic()
                with s.connect(timeout=3) as c:
                    c.send(req("/a.txt"))
                    assert c.read_response().body == b"AAAA file a\n"
                t_other = time.monotonic() - t0
        assert bytes(got) == big_site["one"]
        assert t_other is not None and t_other < 1.0, t_other
    finally:
        slow.close()


def _fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.smoke
def test_clients_vanishing_mid_file(start_server, big_site):
    # One worker, so its open-file cache holds the files below from the
    # warm-up on: the baseline then counts them.
    s = start_server(big_site["root"], threads=1)
    # Warm up so lazily opened fds (log, cached files) exist before the baseline.
    with s.connect() as c:
        c.send(req("/a.txt"))
        c.read_response()
        c.send(req("/big.bin", method="HEAD"))
        c.read_response(head=True)
    time.sleep(0.2)
    base = _fd_count(s.pid)
    for i in range(20):
        c = Conn(s.port)
        c.send(req("/big.bin"))
        c.sock.recv(1)
        if i % 2:
            # Abortive close: RST instead of FIN.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _fd_count(s.pid) > base:
        time.sleep(0.1)
    assert _fd_count(s.pid) <= base, "file or socket descriptors leaked after client disconnects"
    assert s.alive()
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"


GRACE = 3  # --shutdown-grace for the slow reader


def _sigterm_during_download(start_server, big_site, slow_after, grace):
    """Returns (closed early, bytes received, seconds from SIGTERM to the
    close or the last byte)."""
    s = start_server(big_site["root"], "--shutdown-grace", str(grace))
    c = Conn(s.port, rcvbuf=16384, timeout=15)
    ref = open(big_site["big"], "rb")
    try:
        c.send(req("/big.bin"))
        _, status, _, headers, _ = c.read_head()
        assert status == 200 and headers["Content-Length"] == str(BIG_SIZE)
        pos = 0
        mismatch = []

        def check(mv):
            nonlocal pos
            expect = ref.read(len(mv))
            if bytes(mv) != expect and not mismatch:
                mismatch.append(pos)
            pos += len(mv)

        # Slow start: the response is in flight when the signal arrives.
        if c.buf:
            check(memoryview(bytes(c.buf)))
            c.buf.clear()
        while pos < 256 * 1024:
            chunk = c.sock.recv(16384)
            assert chunk
            check(memoryview(chunk))
            time.sleep(0.005)
        exited = []
        t_sig = time.monotonic()
        s.send_signal(signal.SIGTERM)

        def watch():
            try:
                s.proc.wait(timeout=30)
                exited.append(time.monotonic() - t_sig)
            except subprocess.TimeoutExpired:
                pass
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        closed = False
        while pos < BIG_SIZE:
            assert time.monotonic() - t_sig < 30, "download neither finished nor closed"
            try:
                chunk = c.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed = True
                break
            check(memoryview(chunk))
            if slow_after and not exited:
                # Slow until the server is gone; then drain what the
                # kernel still holds at full speed.
                time.sleep(0.02)
        assert not mismatch, f"wrong bytes at offset {mismatch[0]}"
        if not closed:
            assert pos == BIG_SIZE
            # Complete: the connection then closes (shutdown) cleanly.
            assert c.closed_by_server(timeout=10)
        t_closed = time.monotonic() - t_sig
        watcher.join(timeout=max(0.1, 10 - (time.monotonic() - t_sig)))
        assert exited, "eisd still running 10 s after SIGTERM"
        assert exited[0] <= 10, f"eisd took {exited[0]:.1f}s to exit after SIGTERM"
        rc = s.wait(timeout=5)
        assert rc == 0, f"exit status {rc}"
        assert "eisd: shutting down" in s.stderr_text()
        print(f"closed={closed} bytes={pos} t_closed={t_closed:.1f}s t_exit={exited[0]:.1f}s")
        return closed, pos, t_closed
    finally:
        ref.close()
        c.close()


def test_sigterm_during_download_slow_reader(start_server, big_site):
    """A reader at ~3 MB/s cannot take 100 MiB within the grace: the
    response goes on during the grace (not cut at the signal), then the
    server closes it before its end and exits 0 in time."""
    closed, pos, t_closed = _sigterm_during_download(start_server, big_site, slow_after=True, grace=GRACE)
    assert closed, "the slow download was not cut at the end of the grace"
    assert pos < BIG_SIZE, pos
    assert t_closed >= GRACE - 1, f"closed {t_closed:.1f}s after SIGTERM, grace is {GRACE}s"


@pytest.mark.smoke
def test_sigterm_during_download_fast_reader(start_server, big_site):
    """A reader that keeps up gets the whole response in flight, then the
    close: the grace lets it finish (a generous one, so that a loaded
    machine cannot make a fast reader slow; it exits once the download is
    done, not at the grace's end)."""
    closed, pos, t_closed = _sigterm_during_download(start_server, big_site, slow_after=False, grace=20)
    assert not closed, f"cut after {pos} of {BIG_SIZE} bytes, {t_closed:.1f}s after SIGTERM"
    assert pos == BIG_SIZE
