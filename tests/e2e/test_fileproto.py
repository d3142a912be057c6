"""eisd --protocol file: the lecture's file service. A client sends a file
name; the reply is the raw content or one "ERROR: ..." line; the connection
stays open for the next name. Same safe resolver as HTTP."""

import os
import re
import socket
import struct
import threading

import pytest

from conftest import Conn, path_impl_env, read_until, run_eisd


def fetch_file(c, name, size):
    """Sends a newline-terminated name and reads exactly size bytes."""
    c.send(name + b"\n")
    return c.read_exact(size)


def ask_error(c, name):
    """Sends a name whose answer is an error line; returns that line."""
    c.send(name + b"\n")
    return read_until(c, b"\n")


@pytest.fixture
def fsrv(site, start_service):
    return start_service("file", root=site.root)


@pytest.fixture
def fsrv_paths(site, start_service, path_impl):
    """The file service with each path implementation (openat2, and the
    fallback forced by the test-only switch), for the path-safety tests."""
    return start_service("file", root=site.root, env=path_impl_env(path_impl))


def test_startup_line(site, start_service):
    s = start_service("file", root=site.root, threads=1)
    assert s.startup_line == f"eisd: file service for {site.root} on 127.0.0.1:{s.port} (1 thread)"


def test_text_file_and_connection_stays_open(site, fsrv):
    with fsrv.connect() as c:
        for _ in range(3):
            # Each answer is exactly the file: extra bytes would come
            # before the next one.
            assert fetch_file(c, b"hello.txt", 13) == b"hello, world\n"
        assert fetch_file(c, b"sub/file.txt", 12) == b"file in sub\n"
        assert fetch_file(c, b"a..b.txt", 19) == b"dots in the middle\n"
        assert fetch_file(c, b"hello world.txt", 14) == b"space in name\n"
        # No percent-decoding: the name is taken as it is.
        assert fetch_file(c, b"%41.txt", 21) == b"literal percent name\n"
        assert fetch_file(c, b"./sub//file.txt", 12) == b"file in sub\n"
        assert fetch_file(c, b"link_in.html", len(site.read("index.html"))) == site.read("index.html")


def test_bare_name_like_the_lecture_client(site, fsrv):
    """The lecture's client sends the name with no newline and waits."""
    with fsrv.connect() as c:
        c.send(b"hello.txt")
        assert c.read_exact(13) == b"hello, world\n"
        c.send(b"c.txt")
        assert c.read_exact(2) == b"C\n"
        c.send(b"a.txt")
        assert c.read_exact(12) == b"AAAA file a\n"


def test_after_a_newline_names_must_end_with_one(site, fsrv):
    """Once a client has used newlines, half a name waits for the rest."""
    with fsrv.connect() as c:
        c.send(b"hello.txt\nhel")
        assert c.read_exact(13) == b"hello, world\n"
        # Had "hel" been answered, its error line would come before this.
        c.send(b"lo.txt\n")
        assert c.read_exact(13) == b"hello, world\n"


def test_pipelined_names_answered_in_order(site, fsrv):
    with fsrv.connect() as c:
        c.send(b"a.txt\nb.txt\nnope\nc.txt\n")
        assert c.read_exact(12) == b"AAAA file a\n"
        assert c.read_exact(16) == b"BBBBBBBB file b\n"
        assert read_until(c, b"\n") == b"ERROR: File 'nope' not found\n"
        assert c.read_exact(2) == b"C\n"


@pytest.mark.parametrize("raw", [
    b"  hello.txt  \n", b"\thello.txt\r\n", b"hello.txt \t \r\n", b" \x0bhello.txt\x0c\n",
])
def test_whitespace_is_stripped(fsrv, raw):
    with fsrv.connect() as c:
        c.send(raw)
        assert c.read_exact(13) == b"hello, world\n"
        assert fetch_file(c, b"c.txt", 2) == b"C\n"


def test_binary_file_byte_exact(site, fsrv):
    data = os.urandom(3 * 1024 * 1024 + 7)
    with open(os.path.join(site.root, "blob.bin"), "wb") as f:
        f.write(data)
    with fsrv.connect() as c:
        assert fetch_file(c, b"blob.bin", len(data)) == data
        png = site.read("pic.png")
        assert fetch_file(c, b"pic.png", len(png)) == png


def _vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_large_file_is_streamed_not_read_whole(site, fsrv):
    """A 256 MiB (sparse) file comes back whole while the server's peak
    memory stays far below the file's size."""
    size = 256 * 1024 * 1024
    path = os.path.join(site.root, "huge.bin")
    with open(path, "wb") as f:
        f.truncate(size)
        f.seek(size - 4)
        f.write(b"TAIL")
    before = _vm_hwm_kib(fsrv.pid)
    with fsrv.connect() as c:
        c.send(b"huge.bin\n")
        got = 0
        last = b""

        def sink(chunk):
            nonlocal got, last
            got += len(chunk)
            last = (last + chunk)[-4:]

        c.read_exact(size, sink=sink)
        assert got == size and last == b"TAIL"
    peak = _vm_hwm_kib(fsrv.pid)
    assert peak < before + 64 * 1024, f"peak RSS grew from {before} to {peak} KiB"


ERROR_CASES = [
    # (name, exact reply)
    (b"../canary.txt", b"ERROR: Invalid path\n"),
    (b"..", b"ERROR: Invalid path\n"),
    (b"../", b"ERROR: Invalid path\n"),
    (b"sub/..", b"ERROR: Invalid path\n"),
    (b"sub/../hello.txt", b"ERROR: Invalid path\n"),
    (b"sub/../../canary.txt", b"ERROR: Invalid path\n"),
    (b"./../canary.txt", b"ERROR: Invalid path\n"),
    (b"/etc/passwd", b"ERROR: Invalid path\n"),
    (b"/hello.txt", b"ERROR: Invalid path\n"),
    (b"//hello.txt", b"ERROR: Invalid path\n"),
    (b"hello\x00.txt", b"ERROR: Invalid path\n"),
    (b"nope.txt", b"ERROR: File 'nope.txt' not found\n"),
    (b"sub/nope", b"ERROR: File 'sub/nope' not found\n"),
    (b"hello.txt/", b"ERROR: File 'hello.txt/' not found\n"),
    (b"%2e%2e/canary.txt", b"ERROR: File '%2e%2e/canary.txt' not found\n"),
    # Hidden files: not found, so their existence is not confirmed.
    (b".hidden", b"ERROR: File '.hidden' not found\n"),
    (b".git/config", b"ERROR: File '.git/config' not found\n"),
    (b"sub/.secret", b"ERROR: File 'sub/.secret' not found\n"),
    (b".dotdir/visible.txt", b"ERROR: File '.dotdir/visible.txt' not found\n"),
    (b"...x", b"ERROR: File '...x' not found\n"),
    # Symlinks out of the root, FIFOs, devices.
    (b"link_out.txt", b"ERROR: File 'link_out.txt' is not accessible\n"),
    (b"link_abs.txt", b"ERROR: File 'link_abs.txt' is not accessible\n"),
    (b"dirlink_out/canary2.txt", b"ERROR: File 'dirlink_out/canary2.txt' is not accessible\n"),
    (b"dirlink_abs/canary2.txt", b"ERROR: File 'dirlink_abs/canary2.txt' is not accessible\n"),
    (b"devnull", b"ERROR: File 'devnull' is not accessible\n"),
    (b"fifo", b"ERROR: File 'fifo' is not accessible\n"),
    # Directories, empty files, no name at all.
    (b"sub", b"ERROR: 'sub' is a directory\n"),
    (b"sub/", b"ERROR: 'sub/' is a directory\n"),
    (b".", b"ERROR: '.' is a directory\n"),
    (b"empty.txt", b"ERROR: File 'empty.txt' is empty\n"),
    (b"", b"ERROR: No file name given\n"),
    (b"   ", b"ERROR: No file name given\n"),
]


@pytest.mark.parametrize("name, reply", ERROR_CASES, ids=lambda v: repr(v)[:40])
def test_error_lines(site, fsrv_paths, name, reply):
    with fsrv_paths.connect() as c:
        assert ask_error(c, name) == reply
        # The connection survives every error, and the next answer is
        # exactly the file: anything after the error line would come first.
        assert fetch_file(c, b"hello.txt", 13) == b"hello, world\n"


def test_no_canary_ever_leaks(site, fsrv_paths):
    names = [n for n, _ in ERROR_CASES] + [
        b"link_out.txt/", b"dirlink_out/../canary.txt", b"sub/../../outside/canary2.txt",
        b"\\..\\canary.txt", b"..\\canary.txt", b"....//canary.txt"]
    with fsrv_paths.connect() as c:
        for n in names:
            c.send(n + b"\n")
            read_until(c, b"\n")
        c.send(b"hello.txt\n")
        assert c.read_exact(13) == b"hello, world\n"
        assert fetch_file(c, b"c.txt", 2) == b"C\n"
    everything = b""
    with fsrv_paths.connect() as c:
        for n in names:
            c.send(n + b"\n")
            everything += read_until(c, b"\n")
    assert site.canary not in everything
    assert site.canary2 not in everything
    assert b"HIDDEN" not in everything and b"SECRET" not in everything


def test_unreadable_file(site, fsrv):
    if os.geteuid() == 0:
        # Permission bits do not stop root; a socket cannot be opened at
        # all, which takes the same road.
        path = os.path.join(site.root, "sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        try:
            with fsrv.connect() as c:
                assert ask_error(c, b"sock") == b"ERROR: File 'sock' is not accessible\n"
        finally:
            s.close()
    else:
        path = os.path.join(site.root, "secret.txt")
        with open(path, "wb") as f:
            f.write(b"nope")
        os.chmod(path, 0)
        with fsrv.connect() as c:
            assert ask_error(c, b"secret.txt") == b"ERROR: File 'secret.txt' is not accessible\n"


def test_name_longer_than_the_limit_closes(site, start_service):
    s = start_service("file", "--max-request-bytes", "256", root=site.root)
    with s.connect() as c:
        # 255 bytes and a newline fit: an ordinary answer.
        assert ask_error(c, b"n" * 255) == b"ERROR: File '" + b"n" * 255 + b"' not found\n"
        c.send(b"n" * 300 + b"\n")
        assert read_until(c, b"\n") == b"ERROR: File name too long (limit 255 bytes)\n"
        assert c.closed_by_server(timeout=5)
    with s.connect() as c:
        c.send(b"m" * 256)   # no newline at all: the buffer fills
        assert read_until(c, b"\n") == b"ERROR: File name too long (limit 255 bytes)\n"
        assert c.closed_by_server(timeout=5)


def test_ten_concurrent_clients(site, fsrv):
    blob = os.urandom(512 * 1024)
    with open(os.path.join(site.root, "blob.bin"), "wb") as f:
        f.write(blob)
    files = [(b"hello.txt", b"hello, world\n"), (b"blob.bin", blob),
             (b"sub/deeper/x.txt", b"deep\n"), (b"pic.png", site.read("pic.png"))]
    errors = []
    barrier = threading.Barrier(10, timeout=10)

    def client(i):
        try:
            with Conn(fsrv.port, timeout=10) as c:
                barrier.wait()
                for k in range(8):
                    name, data = files[(i + k) % len(files)]
                    got = fetch_file(c, name, len(data))
                    if got != data:
                        errors.append((i, k, name))
                        return
                    if k == 3:
                        line = ask_error(c, b"../canary.txt")
                        if line != b"ERROR: Invalid path\n":
                            errors.append((i, line))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_abrupt_disconnect_leaves_others_unharmed(site, fsrv):
    blob = os.urandom(8 * 1024 * 1024)
    with open(os.path.join(site.root, "big.bin"), "wb") as f:
        f.write(blob)
    with fsrv.connect() as steady:
        assert fetch_file(steady, b"hello.txt", 13) == b"hello, world\n"
        for _ in range(5):
            c = Conn(fsrv.port, rcvbuf=4096)
            c.send(b"big.bin\n")
            c.sock.recv(1000)
            # Reset, not a polite close: the server's sendfile hits ECONNRESET.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        assert fetch_file(steady, b"big.bin", len(blob)) == blob
        assert fetch_file(steady, b"a.txt", 12) == b"AAAA file a\n"
    assert fsrv.alive()


def test_access_log(site, start_service, tmp_path):
    log = tmp_path / "access.log"
    s = start_service("file", "--access-log", str(log), root=site.root, quiet=False)
    with s.connect() as c:
        assert fetch_file(c, b"hello.txt", 13) == b"hello, world\n"
        assert ask_error(c, b"nope") == b"ERROR: File 'nope' not found\n"
        assert ask_error(c, b"../x") == b"ERROR: Invalid path\n"
    s.stop()
    lines = log.read_text().splitlines()
    stamp = r'^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] '
    assert len(lines) == 3, lines
    assert re.match(stamp + r'"FILE hello\.txt" 200 13$', lines[0]), lines[0]
    assert re.match(stamp + r'"FILE nope" 404 0$', lines[1]), lines[1]
    assert re.match(stamp + r'"FILE \.\./x" 400 0$', lines[2]), lines[2]


def test_missing_root_is_a_runtime_error(tmp_path):
    missing = str(tmp_path / "nowhere")
    rc, out, err = run_eisd(["--port", "0", "--quiet", "--protocol", "file", missing])
    assert rc == 1, (rc, out, err)
    assert missing in err and len(err.strip().splitlines()) == 1
