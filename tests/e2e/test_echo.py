"""eisd --protocol echo: every chunk read comes back as b"Echo: " + chunk,
byte for byte, for many clients at once, on the same engine as HTTP."""

import random
import re
import resource
import select
import ssl
import subprocess
import threading
import time

import pytest

from conftest import EISD_BIN, SERVICE_RE, Conn, ConnectionClosed, run_eisd

PREFIX = b"Echo: "


def echo_once(c, msg):
    """Sends msg and reads exactly its echo. A client that waits for each
    reply before sending again gets one reply per message: the server
    reads the whole small message in one go."""
    c.send(msg)
    return c.read_exact(len(PREFIX) + len(msg))


def test_startup_line(start_service):
    s = start_service("echo", threads=3)
    assert s.startup_line == f"eisd: echo service on 127.0.0.1:{s.port} (3 threads)"


@pytest.mark.over_tls
def test_echo_one_message_exactly(start_service):
    s = start_service("echo")
    with s.connect() as c:
        assert echo_once(c, b"hello\n") == b"Echo: hello\n"
        # The connection stays open for the next message, and its reply
        # comes next: extra bytes after the first echo would come first.
        assert echo_once(c, b"second") == b"Echo: second"
        assert echo_once(c, b"third") == b"Echo: third"


def test_utf8_round_trip(start_service):
    s = start_service("echo")
    msg = "héllo wörld — ✓ 日本語 🙂\n".encode("utf-8")
    with s.connect() as c:
        assert echo_once(c, msg) == PREFIX + msg


def test_each_chunk_gets_its_own_prefix(start_service):
    """TCP has no message boundaries; the server answers what each read
    returned. Waiting for each echo keeps the chunks apart."""
    s = start_service("echo")
    with s.connect() as c:
        for piece in (b"a", b"bc", b"\x00\xff", b"\r\n"):
            assert echo_once(c, piece) == PREFIX + piece


def _payload_without_prefix(n, seed):
    """n random bytes (all 256 values occur) in which b"Echo: " never
    occurs, so the reply stream can be split unambiguously."""
    rnd = random.Random(seed)
    data = bytearray(rnd.getrandbits(8) for _ in range(n))
    while True:
        i = data.find(PREFIX)
        if i < 0:
            return bytes(data)
        data[i] = ord("e")


def _strip_prefixes(stream, payload):
    """Splits the reply stream into prefix + piece runs and checks that the
    pieces, joined, are exactly payload. Returns the number of pieces.

    Unambiguous because the payload never contains the prefix and the
    prefix cannot overlap itself (no proper suffix of b"Echo: " is also
    its start): wherever the stream shows b"Echo: ", a piece begins."""
    p = q = pieces = 0
    while p < len(stream):
        if stream.startswith(PREFIX, p):
            p += len(PREFIX)
            pieces += 1
            continue
        assert pieces > 0, "the reply does not start with the prefix"
        assert q < len(payload), f"more bytes than were sent at stream offset {p}"
        assert stream[p] == payload[q], f"byte {q} of the payload differs (stream offset {p})"
        p += 1
        q += 1
    assert q == len(payload), f"only {q} of {len(payload)} bytes came back"
    return pieces


def _send_while_reading(c, payload, seconds=20):
    """Sends payload on c while reading the echo, in one thread: the echo
    comes back while the rest is still going out, so neither side may wait
    for the other. One thread, not a sender thread beside a reader: an
    OpenSSL session must not be written and read from two threads at once.
    Returns the bytes read once every payload byte is back next to its
    prefixes."""
    sock, timeout = c.sock, c.sock.gettimeout()
    stream, off = bytearray(c.buf), 0
    c.buf.clear()
    deadline = time.monotonic() + seconds
    would_block = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
    sock.setblocking(False)
    try:
        while len(stream) != len(payload) + len(PREFIX) * stream.count(PREFIX):
            assert time.monotonic() < deadline, "echo of 100 KiB did not finish"
            assert len(stream) < 2 * len(payload), "far more bytes than were sent"
            sending = off < len(payload)
            select.select([sock], [sock] if sending else [], [], 0.5)
            if sending:
                try:
                    off += sock.send(payload[off:off + 16384])
                except would_block:
                    pass
            while True:
                try:
                    chunk = sock.recv(65536)
                except would_block:
                    break
                if not chunk:
                    raise ConnectionClosed(f"server closed the connection after {len(stream)} bytes")
                stream += chunk
    finally:
        sock.settimeout(timeout)
    return stream


@pytest.mark.over_tls
def test_binary_100k_round_trip(start_service):
    s = start_service("echo")
    payload = _payload_without_prefix(100 * 1024, seed=4)
    assert set(payload) == set(range(256))
    with s.connect() as c:
        stream = _send_while_reading(c, payload)
        pieces = _strip_prefixes(bytes(stream), payload)
        assert pieces >= 1
        assert not c.buf
        assert echo_once(c, b"after") == b"Echo: after"


@pytest.mark.over_tls
def test_20_clients_20_messages_each(start_service):
    s = start_service("echo", threads=2)
    errors = []
    start = threading.Barrier(20, timeout=10)

    def client(i):
        try:
            with s.connect(timeout=10) as c:
                start.wait()
                for j in range(20):
                    msg = f"client {i:02d} message {j:02d} {'x' * (i * j % 50)}\n".encode()
                    got = echo_once(c, msg)
                    if got != PREFIX + msg:
                        errors.append((i, j, got))
                        return
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "clients still running"
    assert errors == []
    assert s.alive()


def test_client_hanging_up_leaves_others_alone(start_service):
    s = start_service("echo")
    with s.connect() as keep:
        assert echo_once(keep, b"before\n") == b"Echo: before\n"
        for _ in range(5):
            c = s.connect()
            c.send(b"x" * 50000)   # then go away without reading
            c.close()
        assert echo_once(keep, b"after\n") == b"Echo: after\n"
    assert s.alive()


def test_idle_client_is_closed_after_timeout(start_service):
    s = start_service("echo", "--timeout", "1")
    with s.connect() as c:
        assert echo_once(c, b"hi") == b"Echo: hi"
        assert c.closed_by_server(timeout=8), "an idle echo client was never closed"


def test_default_timeout_lets_people_type(start_service):
    """Without --timeout, a silent client is kept well past HTTP's 10 s
    (the default for echo and file is 300 s)."""
    s = start_service("echo")
    with s.connect() as c:
        assert c.nothing_more(11.0), "the server said something unasked"
        assert not c.eof, "closed a client that was silent for 11 s"
        assert echo_once(c, b"still there\n") == b"Echo: still there\n"


def test_access_log_line_per_chunk(start_service, tmp_path):
    log = tmp_path / "access.log"
    s = start_service("echo", "--access-log", str(log), quiet=False)
    with s.connect() as c:
        assert echo_once(c, b"hello") == b"Echo: hello"
    s.stop()
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    assert re.match(r'^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "ECHO" 200 5$',
                    lines[0]), lines[0]


def test_ipv6(start_service):
    s = start_service("echo", bind="::1")
    assert s.startup_line.startswith(f"eisd: echo service on [::1]:{s.port} ")
    with Conn(s.port, host="::1") as c:
        assert echo_once(c, b"six\n") == b"Echo: six\n"


@pytest.mark.parametrize("args, word", [
    (["--protocol", "gopher"], "gopher"),
    (["--protocol", ""], "protocol"),
    (["--protocol"], "protocol"),
    (["--protocol", "echo", "/tmp"], "ROOT"),
    (["--protocol", "echo", "--root", "/tmp"], "ROOT"),
])
def test_bad_protocol_usage(args, word):
    rc, out, err = run_eisd(["--port", "0"] + args)
    assert rc == 2, (rc, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("eisd: "), lines
    assert word in lines[0], lines[0]


@pytest.mark.parametrize("protocol", ["echo", "file"])
def test_over_capacity_closed_at_once_without_reply(site, protocol):
    """With RLIMIT_NOFILE at 100, eisd allows 32 connections; the next is
    closed at once, with no reply (these protocols have no "busy" word),
    and the ones already open keep working."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))

    args = [EISD_BIN, "--protocol", protocol, "--port", "0", "--threads", "1", "--quiet"]
    if protocol == "file":
        args.append(site.root)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, preexec_fn=limit, start_new_session=True)
    conns = []
    try:
        line = p.stdout.readline().decode().rstrip("\n")
        m = SERVICE_RE.match(line)
        assert m, (line, p.stderr.read1(4096) if p.poll() is not None else b"")
        port = int(m.group("port"))
        probe, want = (b"hi\n", b"Echo: hi\n") if protocol == "echo" else (b"c.txt\n", b"C\n")
        for _ in range(32):
            c = Conn(port)
            conns.append(c)
            c.send(probe)
            assert c.read_exact(len(want)) == want
        extra = Conn(port)
        conns.append(extra)
        assert extra.closed_by_server(timeout=5), "connection over the limit was kept"
        assert extra.buf == b""
        conns[0].send(probe)
        assert conns[0].read_exact(len(want)) == want
    finally:
        for c in conns:
            c.close()
        p.kill()
        p.wait(timeout=10)
