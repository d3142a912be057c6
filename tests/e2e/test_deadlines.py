"""Slow clients: the three deadlines (request head, idle keep-alive,
stalled reader), each end to end with small values, and a slowloris crowd
that must not delay a normal client."""

import os
import resource
import selectors
import socket
import threading
import time

import pytest

from conftest import Conn, assert_error_page, open_files, req, run_eisd

MIB = 1024 * 1024


def raise_nofile():
    """The tests below hold hundreds of sockets: soft limit up to hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def trickle_until_answer(c, data, every, limit):
    """Sends data one byte per `every` seconds (cycling when it runs out)
    until the server sends something or closes, or `limit` seconds pass.
    Returns the seconds elapsed."""
    t0 = time.monotonic()
    i = 0
    c.sock.setblocking(False)
    try:
        while time.monotonic() - t0 < limit:
            try:
                chunk = c.sock.recv(65536)
                if not chunk:
                    c.eof = True
                    break
                c.buf += chunk
                break
            except BlockingIOError:
                pass
            except ConnectionResetError:
                c.eof = True
                break
            try:
                c.sock.send(data[i % len(data):i % len(data) + 1])
            except (BrokenPipeError, ConnectionResetError):
                pass
            i += 1
            time.sleep(every)
    finally:
        c.sock.setblocking(True)
        c.sock.settimeout(c.timeout)
    return time.monotonic() - t0


# ---------------------------------------------------------------- request head

def test_header_deadline_is_for_the_whole_head(start_server, site):
    """Trickling a byte every 0.2 s does not move the deadline: 408 with
    Connection: close after --header-timeout, then the server closes."""
    s = start_server(site.root, "--header-timeout", "2", "--keepalive-timeout", "60",
                     "--send-timeout", "60")
    head = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200
    with s.connect() as c:
        elapsed = trickle_until_answer(c, head, every=0.2, limit=15)
        # Refreshed per byte, the deadline would never come (15 s limit).
        assert elapsed < 10, f"no answer after {elapsed:.1f}s of trickling"
        assert elapsed > 1.0, f"answered after only {elapsed:.1f}s (header timeout is 2 s)"
        r = c.read_response()
        assert_error_page(r, 408)
        assert r.reason == "Request Timeout"
        assert r.keep_alive_denied
        assert c.closed_by_server(timeout=5)
    # Others are served as before.
    with s.connect() as c2:
        c2.send(req("/a.txt"))
        assert c2.read_response().body == b"AAAA file a\n"


def test_header_deadline_runs_from_connection_start(start_server, site):
    """A connection that never sends a byte gets 408 and is closed."""
    s = start_server(site.root, "--header-timeout", "1", "--keepalive-timeout", "60")
    with s.connect() as c:
        t0 = time.monotonic()
        r = c.read_response()
        assert time.monotonic() - t0 < 8
        assert_error_page(r, 408)
        assert r.keep_alive_denied
        assert c.closed_by_server(timeout=5)


def test_header_deadline_starts_at_first_byte_of_next_request(start_server, site):
    """Idle between requests is governed by the keep-alive timeout, not the
    header one; the header clock starts with the next request's first
    byte."""
    s = start_server(site.root, "--header-timeout", "1", "--keepalive-timeout", "4")
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"
        # Idle for longer than the header timeout: still open.
        assert not c.closed_by_server(timeout=2.0), "idle connection closed by the header deadline"
        t0 = time.monotonic()
        c.send(b"GET /b.txt HTTP/1.1\r\n")
        r = c.read_response()
        # The keep-alive deadline (4 s) would have closed it silently.
        assert_error_page(r, 408)
        assert time.monotonic() - t0 < 8
        assert c.closed_by_server(timeout=5)


def test_after_a_discarded_body_the_connection_is_idle_not_mid_head(start_server, site):
    """Once a request body has been read and thrown away, the connection
    is between requests: the keep-alive deadline applies (silent close),
    not the header one (408)."""
    s = start_server(site.root, "--header-timeout", "1", "--keepalive-timeout", "4")
    with s.connect() as c:
        c.send(req("/a.txt", method="POST", headers=[("Content-Length", "10")]))
        assert c.read_response().status == 405
        time.sleep(0.2)
        c.send(b"0123456789")
        assert c.nothing_more(timeout=2.0), f"idle connection got {bytes(c.buf[:60])!r}"
        assert not c.eof, "closed before the keep-alive deadline"
        assert c.closed_by_server(timeout=8), "idle connection not closed"
        assert c.buf == b"", f"idle connection got {bytes(c.buf[:60])!r}"


# ---------------------------------------------------------------- keep-alive

def test_keepalive_deadline_closes_silently(start_server, site):
    s = start_server(site.root, "--header-timeout", "60", "--keepalive-timeout", "2")
    with s.connect() as c:
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"
        t0 = time.monotonic()
        # Not before the keep-alive timeout (generous margin)...
        assert not c.closed_by_server(timeout=1.0)
        # ...then closed without a byte (no 408 for an idle connection).
        assert c.closed_by_server(timeout=10), "idle keep-alive connection not closed"
        assert c.buf == b""
        assert time.monotonic() - t0 < 10


def test_keepalive_deadline_restarts_after_each_request(start_server, site):
    """Requests every 1.2 s on a connection with a 2 s keep-alive deadline
    keep it open for longer than the deadline in total."""
    s = start_server(site.root, "--keepalive-timeout", "2")
    with s.connect() as c:
        for _ in range(4):
            c.send(req("/c.txt"))
            assert c.read_response().body == b"C\n"
            assert not c.closed_by_server(timeout=1.2)


# ---------------------------------------------------------------- stalled reader

def _sockets(pid):
    """The server's open sockets: its listener and its clients."""
    out = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                out += 1
        except OSError:
            pass
    return out


@pytest.fixture
def big_file(site):
    data = os.urandom(32 * MIB)
    path = os.path.join(site.root, "big.bin")
    with open(path, "wb") as f:
        f.write(data)
    return path, data


def test_send_deadline_drops_a_client_that_stops_reading(start_server, site, big_file):
    path, data = big_file
    s = start_server(site.root, "--send-timeout", "2", "--header-timeout", "60",
                     "--keepalive-timeout", "60", threads=1)
    c = Conn(s.port, rcvbuf=4096, timeout=10)
    try:
        c.send(req("/big.bin"))
        # The response is under way: the server holds the file open (and
        # its file cache keeps it open afterwards)...
        deadline = time.monotonic() + 5
        while open_files(s.pid, path) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert open_files(s.pid, path) == 1, "file not opened for the response"
        assert _sockets(s.pid) == 2, "not the listener and this client"
        t0 = time.monotonic()
        # ...and drops the client once it has not read for --send-timeout.
        while _sockets(s.pid) > 1 and time.monotonic() - t0 < 15:
            time.sleep(0.1)
        assert _sockets(s.pid) == 1, "stalled client still connected after 15 s"
        # What the client gets is a correct prefix, then the end.
        _, status, _, headers, _ = c.read_head()
        assert status == 200 and headers["Content-Length"] == str(len(data))
        got = bytearray(c.buf)
        c.buf.clear()
        while True:
            try:
                chunk = c.sock.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
            assert len(got) < len(data), "the whole file arrived: the client was not dropped"
        assert len(got) < len(data)
        assert bytes(got) == data[:len(got)]
    finally:
        c.close()
    with s.connect() as c2:
        c2.send(req("/a.txt"))
        assert c2.read_response().body == b"AAAA file a\n"


def test_send_deadline_refreshed_by_progress(start_server, site):
    """A slow but steady reader takes several times --send-timeout in all
    and still gets every byte."""
    data = os.urandom(4 * MIB)
    with open(os.path.join(site.root, "four.bin"), "wb") as f:
        f.write(data)
    s = start_server(site.root, "--send-timeout", "1", threads=1)
    with Conn(s.port, rcvbuf=16384, timeout=10) as c:
        c.send(req("/four.bin"))
        _, status, _, headers, _ = c.read_head()
        assert status == 200
        got = bytearray(c.buf)
        c.buf.clear()
        t0 = time.monotonic()
        while len(got) < len(data):
            chunk = c.sock.recv(16384)
            assert chunk, f"closed after {len(got)} bytes, {time.monotonic() - t0:.1f}s"
            got += chunk
            time.sleep(0.02)  # ~800 KB/s: about 5 s in all
        assert bytes(got) == data


# ---------------------------------------------------------------- slowloris

def test_slowloris_does_not_delay_a_normal_client(start_server, site):
    """300 connections trickle a header byte every 0.5 s (reconnecting when
    dropped) while a normal client fetches files: every normal request is
    answered with the right bytes, and every slowloris connection that the
    server ends gets a 408 first."""
    raise_nofile()
    n_slow = 300
    run_for = 7.0
    s = start_server(site.root, "--header-timeout", "3", "--keepalive-timeout", "60")
    stop = threading.Event()
    stats = {"connected": 0, "answered_408": 0, "other": [], "errors": []}
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: 1\r\n" * 300

    def slowloris():
        sel = selectors.DefaultSelector()
        state = {}

        def open_one():
            sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sk.setblocking(False)
            try:
                sk.connect(("127.0.0.1", s.port))
            except BlockingIOError:
                pass
            state[sk] = [0, bytearray()]
            sel.register(sk, selectors.EVENT_READ)
            stats["connected"] += 1

        def finish(sk):
            got = bytes(state[sk][1])
            if got.startswith(b"HTTP/1.1 408 Request Timeout\r\n"):
                stats["answered_408"] += 1
            else:
                stats["other"].append(got[:80])
            sel.unregister(sk)
            del state[sk]
            sk.close()

        try:
            for _ in range(n_slow):
                open_one()
            next_drip = time.monotonic()
            while not stop.is_set():
                for key, _ in sel.select(timeout=0.05):
                    sk = key.fileobj
                    try:
                        chunk = sk.recv(4096)
                    except BlockingIOError:
                        continue
                    except ConnectionResetError:
                        chunk = b""
                    if chunk:
                        state[sk][1] += chunk
                    else:
                        finish(sk)
                        open_one()
                if time.monotonic() >= next_drip:
                    next_drip += 0.5
                    for sk, st in list(state.items()):
                        try:
                            sk.send(head[st[0]:st[0] + 1])
                            st[0] += 1
                        except (BlockingIOError, OSError):
                            pass
        except BaseException as e:  # reported by the test
            stats["errors"].append(repr(e))
        finally:
            for sk in list(state):
                sk.close()
            sel.close()

    t = threading.Thread(target=slowloris, daemon=True)
    t.start()
    normal = 0
    try:
        time.sleep(1.0)  # the crowd is connected and dripping
        t_end = time.monotonic() + run_for
        while time.monotonic() < t_end:
            with s.connect(timeout=5) as c:
                c.send(req("/index.html") + req("/hello.txt"))
                r1 = c.read_response()
                r2 = c.read_response()
            assert r1.status == 200 and r1.body == site.read("index.html")
            assert r2.status == 200 and r2.body == b"hello, world\n"
            normal += 1
            time.sleep(0.2)
    finally:
        stop.set()
        t.join(timeout=10)
    assert not stats["errors"], stats["errors"]
    assert normal >= 10, normal
    # The first 300 were all dropped (3 s deadline, 8 s run), each with a 408.
    assert stats["answered_408"] >= n_slow, stats
    assert stats["other"] == [], stats["other"][:5]
    assert s.alive()


# ---------------------------------------------------------------- flags

@pytest.mark.parametrize("args", [
    ["--header-timeout", "0"],
    ["--keepalive-timeout", "abc"],
    ["--send-timeout", "-2"],
    ["--shutdown-grace", "x"],
    ["--max-connections", "0"],
    ["--chroot"],
], ids=lambda a: " ".join(a))
def test_bad_deadline_and_limit_flags_exit_2(tmp_path, args):
    rc, out, err = run_eisd(["--port", "0", "--quiet"] + args + [str(tmp_path)])
    assert rc == 2, (rc, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("eisd: "), lines
    assert args[0] in lines[0], lines


def test_help_names_the_new_flags():
    rc, out, err = run_eisd(["--help"])
    assert rc == 0
    for flag in ("--header-timeout", "--keepalive-timeout", "--send-timeout", "--timeout",
                 "--shutdown-grace", "--max-connections", "--user", "--chroot"):
        assert flag in out, flag
