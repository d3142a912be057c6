"""HTTP/2 at the frame level (python3-h2 and raw frames): the entry by prior
knowledge, SETTINGS, PING, unknown frames, many streams, flow control,
request validation (RFC 9113 §8) with its exact stream errors, and every
defence (src/http/h2_session.h) with its exact error code. The HTTP
semantics over HTTP/2 are the over_h2 runs of the semantics tests."""

import hashlib
import os
import struct
import time

import pytest

import h2.settings
import h2client
from h2client import (CANCEL, CONTINUATION, DATA, ENHANCE_YOUR_CALM, END_HEADERS, END_STREAM,
                      GOAWAY, HEADERS, NO_ERROR, PING, PRIORITY, PROTOCOL_ERROR, REFUSED_STREAM,
                      RST_STREAM, SETTINGS, WINDOW_UPDATE, H2Client, RawH2, frame, request_fields)

PER_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}


@pytest.fixture
def big(site):
    """A 20 MiB file of random bytes under the root, and its SHA-256."""
    data = os.urandom(1 << 20) * 20
    with open(os.path.join(site.root, "big.bin"), "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def test_prior_knowledge_get(server):
    with H2Client(server.port) as c:
        r = c.get("/hello.txt")
        assert r.status == 200
        assert bytes(r.body) == b"hello, world\n"
        names = [n for n, _ in r.headers]
        assert names[0] == ":status"
        assert all(n == n.lower() for n in names), names
        assert not PER_HOP & set(names), names
        assert r.header("content-length") == "13"
        assert r.header("content-type") == "text/plain; charset=utf-8"
        assert r.header("server").startswith("eisd/")
        assert r.header("date").endswith(" GMT")
        # Same connection, next stream.
        assert c.get("/a.txt").body == b"AAAA file a\n"
        assert c.goaway is None


def test_no_http2_flag(site, start_server):
    s = start_server(site.root, "--no-http2")
    with s.connect() as c:
        c.send(h2client.PREFACE)
        r = c.read_response()
        assert r.version == "HTTP/1.1" and r.status in (400, 505), r


def test_settings_advertised(site, start_server):
    s = start_server(site.root, "--max-request-bytes", "16384")
    with H2Client(s.port) as c:
        c.get("/hello.txt")
        rs = c.remote_settings
        assert rs[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] == 128
        assert rs[h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE] == 16384
        assert rs[h2.settings.SettingCodes.ENABLE_PUSH] == 0
        assert rs[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] == 65535
        assert c.settings_acked >= 1  # ours were acknowledged


def test_settings_honoured_window_and_frame_size(server, site):
    with open(os.path.join(site.root, "w.bin"), "wb") as f:
        f.write(bytes(range(256)) * 400)  # 102400 bytes
    s = h2.settings.SettingCodes
    with H2Client(server.port, settings={s.INITIAL_WINDOW_SIZE: 1000}, auto_ack=False) as c:
        sid = c.request("/w.bin")
        r = c.responses[sid]
        assert c.wait(lambda: len(r.body) >= 1000)
        # Exactly the window, then nothing until the client opens it.
        assert not c.wait(lambda: len(r.body) > 1000, timeout=0.5)
        assert len(r.body) == 1000
        c.conn.acknowledge_received_data(1000, sid)
        c.flush()
        c.auto_ack = True
        c.conn.increment_flow_control_window(1 << 20, stream_id=sid)
        c.flush()
        r = c.response(sid)
        assert bytes(r.body) == bytes(range(256)) * 400


def test_ping_answered(server):
    with H2Client(server.port) as c:
        c.ping(b"abcdefgh")
        assert c.wait(lambda: b"abcdefgh" in c.pongs)


def test_unknown_frames_ignored(server):
    with RawH2(server.port) as c:
        c.send(frame(0x42, 0, 0, b"whatever") + frame(0xfa, 0xff, 3, b"x" * 100))
        c.send(c.headers(1, request_fields("/hello.txt")))
        assert c.wait(lambda c: c.ended(1))
        data = b"".join(p for _, _, _, p in c.of_type(DATA, 1))
        assert data == b"hello, world\n"
        assert c.goaway() is None


def test_100_concurrent_streams_byte_exact(server, site):
    files = {}
    for i in range(100):
        body = os.urandom(1000 + 997 * i)
        files[f"/s{i}.bin"] = body
        with open(os.path.join(site.root, f"s{i}.bin"), "wb") as f:
            f.write(body)
    with H2Client(server.port) as c:
        sids = {c.request(p): p for p in files}
        for sid, p in sids.items():
            r = c.response(sid, timeout=20)
            assert r.status == 200 and r.reset is None
            assert bytes(r.body) == files[p], p
        assert c.goaway is None


def test_16k_window_slow_updates_20mib(server, big):
    s = h2.settings.SettingCodes
    with H2Client(server.port, settings={s.INITIAL_WINDOW_SIZE: 16384}, auto_ack=False) as c:
        sid = c.request("/big.bin")
        r = c.responses[sid]
        acked = 0
        deadline = time.monotonic() + 120
        while not r.ended:
            assert time.monotonic() < deadline, f"stalled at {len(r.body)}"
            assert r.reset is None and c.goaway is None
            if len(r.body) - acked >= 16384 or (len(r.body) > acked and not c.read_some(0.05)):
                n = len(r.body) - acked
                time.sleep(0.001)  # a slow reader
                c.conn.acknowledge_received_data(n, sid)
                c.flush()
                acked += n
            else:
                c.read_some(1.0)
        assert len(r.body) == 20 << 20
        assert hashlib.sha256(bytes(r.body)).hexdigest() == big
        assert c.goaway is None


# --------------------------------------------------------------------------
# RFC 9113 §8 validation: stream errors, the connection goes on.

MALFORMED = {
    "connection": request_fields("/", extra=[("connection", "close")]),
    "keep-alive": request_fields("/", extra=[("keep-alive", "5")]),
    "proxy-connection": request_fields("/", extra=[("proxy-connection", "x")]),
    "transfer-encoding": request_fields("/", extra=[("transfer-encoding", "chunked")]),
    "upgrade": request_fields("/", extra=[("upgrade", "h2c")]),
    "te-gzip": request_fields("/", extra=[("te", "gzip")]),
    "uppercase": request_fields("/", extra=[("Accept", "*/*")]),
    "pseudo-after-regular": [(":method", "GET"), ("accept", "*/*"), (":scheme", "http"),
                             (":authority", "localhost"), (":path", "/")],
    "duplicate-path": request_fields("/") + [(":path", "/")],
    "missing-path": [(":method", "GET"), (":scheme", "http"), (":authority", "localhost")],
    "missing-method": [(":scheme", "http"), (":authority", "localhost"), (":path", "/")],
    "missing-scheme": [(":method", "GET"), (":authority", "localhost"), (":path", "/")],
    "empty-path": request_fields(""),
    "unknown-pseudo": request_fields("/", extra=[(":foo", "x")]),
    "status-in-request": request_fields("/", extra=[(":status", "200")]),
    "authority-host-differ": request_fields("/", authority="a.example",
                                            extra=[("host", "b.example")]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_request_is_protocol_error(server, case):
    with RawH2(server.port) as c:
        c.send(c.headers(1, MALFORMED[case]))
        assert c.wait(lambda c: c.rst(1) is not None), c.frames
        assert c.rst(1) == PROTOCOL_ERROR
        assert not c.of_type(HEADERS, 1), "a malformed request was answered"
        # The connection goes on.
        c.send(c.headers(3, request_fields("/hello.txt")))
        assert c.wait(lambda c: c.ended(3))
        assert c.of_type(HEADERS, 3) and c.goaway() is None


def test_authority_and_host_agreeing_ok(server):
    with H2Client(server.port) as c:
        r = c.get("/hello.txt", headers=[("host", "localhost")])
        assert r.status == 200


def test_request_body_discarded_and_405(server):
    with H2Client(server.port) as c:
        sid = c.request("/hello.txt", method="POST", body=b"x" * 60000)
        r = c.response(sid)
        assert r.status == 405 and r.header("allow") == "GET, HEAD"
        assert c.get("/hello.txt").status == 200
        assert c.get("/hello.txt", method="BREW").status == 501


# --------------------------------------------------------------------------
# Defences: each limit with its exact answer.

def test_more_than_128_streams_refused(server, site):
    with RawH2(server.port) as c:
        burst = b"".join(c.headers(1 + 2 * i, request_fields("/hello.txt")) for i in range(140))
        c.send(burst)
        last = 1 + 2 * 139
        assert c.wait(lambda c: all(c.ended(1 + 2 * i) for i in range(140)))
        refused = [1 + 2 * i for i in range(140) if c.rst(1 + 2 * i) == REFUSED_STREAM]
        answered = [1 + 2 * i for i in range(140) if c.of_type(HEADERS, 1 + 2 * i)]
        assert refused == list(range(1 + 2 * 128, last + 1, 2)), refused
        assert answered == list(range(1, 1 + 2 * 128, 2))
        assert c.goaway() is None


def test_rapid_reset_goaway(server):
    with RawH2(server.port) as c:
        burst = b"".join(c.headers(1 + 2 * i, request_fields("/hello.txt"))
                         + frame(RST_STREAM, 0, 1 + 2 * i, CANCEL.to_bytes(4, "big"))
                         for i in range(300))
        c.send(burst)
        assert c.wait(lambda c: c.goaway() is not None)
        last, code = c.goaway()
        assert code == ENHANCE_YOUR_CALM
        assert last <= 1 + 2 * 299
        assert c.wait_closed()


def test_made_you_reset_goaway(server):
    """Resets the server sends because of the peer's bad frames count too
    (CVE-2025-8671)."""
    with RawH2(server.port) as c:
        for i in range(300):
            if not c.send(c.headers(1 + 2 * i, request_fields("/", extra=[("te", "gzip")]))):
                break
        assert c.wait(lambda c: c.goaway() is not None)
        assert c.goaway()[1] == ENHANCE_YOUR_CALM
        resets = [s for t, _, s, _ in c.frames if t == RST_STREAM]
        assert h2client.RESET_SLACK <= len(resets) <= h2client.RESET_SLACK + 2, len(resets)
        assert c.wait_closed()


def test_continuation_flood_goaway(server):
    with RawH2(server.port) as c:
        c.send(frame(HEADERS, 0, 1, c.block(request_fields("/hello.txt"))))
        for _ in range(200):
            if not c.send(frame(CONTINUATION, 0, 1, c.block([("x-a", "b")]))):
                break
        assert c.wait(lambda c: c.goaway() is not None)
        assert c.goaway()[1] == ENHANCE_YOUR_CALM
        assert not c.of_type(HEADERS, 1)
        assert c.wait_closed()


def test_header_block_over_max_request_bytes_goaway(server):
    """More header-block bytes than --max-request-bytes (8192), in few
    frames: refused before they are decoded."""
    with RawH2(server.port) as c:
        c.send(frame(HEADERS, 0, 1, c.block(request_fields("/hello.txt"))))
        pad = c.block([("x-pad", "v" * 3000)])
        for _ in range(4):
            c.send(frame(CONTINUATION, 0, 1, pad))
        assert c.wait(lambda c: c.goaway() is not None)
        assert c.goaway()[1] == ENHANCE_YOUR_CALM
        assert not c.of_type(HEADERS, 1)


def test_hpack_bomb_is_431(server):
    """A 3000-byte field in the dynamic table, then referenced 40 times by
    one-byte indices: a tiny block that decodes to 120 KB. The request is
    answered 431 and nothing past the bound is kept; the connection goes
    on."""
    with RawH2(server.port) as c:
        bomb = ("x-bomb", "b" * 3000)
        c.send(c.headers(1, request_fields("/hello.txt", extra=[bomb])))
        assert c.wait(lambda c: c.ended(1))
        block = c.block(request_fields("/hello.txt"))
        entries = list(c.enc.header_table.dynamic_entries)
        index = 62 + entries.index((bomb[0].encode(), bomb[1].encode()))
        block += bytes([0x80 | index]) * 40  # 40 x 3 KB from 40 bytes
        assert len(block) < 100
        c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, block))
        assert c.wait(lambda c: c.ended(3))
        assert c.rst(3) is None
        dec = h2client.hpack.Decoder()
        dec.max_allowed_table_size = 65536
        first = dec.decode(c.of_type(HEADERS, 1)[0][3])
        assert dict(first)[":status"] == "200"
        status = dict(dec.decode(c.of_type(HEADERS, 3)[0][3]))[":status"]
        assert status == "431"
        assert c.goaway() is None


FLOODS = {
    "ping": lambda c, i: frame(PING, 0, 0, i.to_bytes(8, "big")),
    "settings": lambda c, i: frame(SETTINGS, 0, 0, b""),
    "window-update": lambda c, i: frame(WINDOW_UPDATE, 0, 0, (1).to_bytes(4, "big")),
    "priority": lambda c, i: frame(PRIORITY, 0, 3, bytes([0, 0, 0, 0, 16])),
    "empty-data": lambda c, i: frame(DATA, 0, 1, b""),
    "unknown": lambda c, i: frame(0x42, 0, 0, b"x"),
}


@pytest.mark.parametrize("kind", sorted(FLOODS))
def test_control_frame_flood_goaway(server, kind):
    """A connection whose bytes are mostly control frames is told to calm
    down and closed (CVE-2019-9512/9514/9515/9516/9518 family)."""
    # A zero window keeps stream 1's response (and so the stream) open.
    with RawH2(server.port, settings=struct.pack(">HI", 4, 0)) as c:
        if kind == "empty-data":
            c.send(c.headers(1, request_fields("/hello.txt"), end_stream=False))
        make = FLOODS[kind]
        sent = 0
        for chunk in range(400):
            if c.goaway() is not None or not c.send(b"".join(make(c, chunk * 100 + k)
                                                             for k in range(100))):
                break
            sent += 100
            c.read_some(0)
        assert c.wait(lambda c: c.goaway() is not None)
        assert c.goaway()[1] == ENHANCE_YOUR_CALM
        # Not before the slack: honest traffic has room.
        assert sent * 9 >= h2client.CTRL_SLACK // 4
        assert c.wait_closed()


def test_zero_window_stall_ends_at_deadline(site, start_server, big):
    s = start_server(site.root, "--timeout", "2")
    st = h2.settings.SettingCodes
    with H2Client(s.port, settings={st.INITIAL_WINDOW_SIZE: 0}, auto_ack=False) as c:
        sid = c.request("/big.bin")
        assert c.wait(lambda: c.responses[sid].status == 200)
        t0 = time.monotonic()
        assert c.wait_closed(timeout=10), "a stalled stream kept the connection"
        assert time.monotonic() - t0 >= 1.0
        assert len(c.responses[sid].body) == 0


def test_idle_connection_closed_at_keepalive_despite_pings(site, start_server):
    s = start_server(site.root, "--keepalive-timeout", "2")
    with H2Client(s.port) as c:
        assert c.get("/hello.txt").status == 200
        t0 = time.monotonic()
        next_ping = t0
        while not c.eof and time.monotonic() - t0 < 10:
            if c.goaway is None and time.monotonic() >= next_ping:
                c.ping(os.urandom(8))  # one every 0.3 s: a keep-alive, not a flood
                next_ping += 0.3
            c.read_some(max(0.01, next_ping - time.monotonic()))
        assert c.eof, "PINGs kept an idle HTTP/2 connection open"
        assert 1.5 <= time.monotonic() - t0 <= 5
        assert c.goaway == (NO_ERROR, 1)


def test_idle_connection_closed_at_keepalive(site, start_server):
    s = start_server(site.root, "--keepalive-timeout", "1")
    with H2Client(s.port) as c:
        assert c.get("/hello.txt").status == 200
        t0 = time.monotonic()
        assert c.wait_closed(timeout=5)
        assert time.monotonic() - t0 >= 0.8


def test_graceful_shutdown_goaway_and_streams_finish(site, start_server, big):
    """SIGTERM: every HTTP/2 connection gets GOAWAY(NO_ERROR) naming its
    last stream; a stream under way finishes within --shutdown-grace; an
    idle connection closes; the server exits 0. (Raw frames: python3-h2
    takes no DATA after a GOAWAY.)"""
    import signal
    s = start_server(site.root, "--shutdown-grace", "20")
    idle = H2Client(s.port)
    assert idle.get("/hello.txt").status == 200
    with RawH2(s.port) as c:
        c.send(c.headers(1, request_fields("/a.txt")) + c.headers(3, request_fields("/big.bin")))
        # The windows (65535 each) run out; the stream waits.
        assert c.wait(lambda c: sum(len(p) for _, _, _, p in c.of_type(DATA, 3)) >= 65535 - 12)
        s.send_signal(signal.SIGTERM)
        assert c.wait(lambda c: c.goaway() is not None)
        assert c.goaway() == (3, NO_ERROR)
        more = (40 << 20).to_bytes(4, "big")
        c.send(frame(WINDOW_UPDATE, 0, 0, more) + frame(WINDOW_UPDATE, 0, 3, more))
        assert c.wait(lambda c: c.ended(3), timeout=60)
        body = b"".join(p for _, _, _, p in c.of_type(DATA, 3))
        assert len(body) == 20 << 20
        assert hashlib.sha256(body).hexdigest() == big
        assert c.rst(3) is None
        assert c.wait_closed()
    assert idle.wait(lambda: idle.goaway is not None)
    assert idle.goaway == (NO_ERROR, 1)
    assert idle.wait_closed()
    idle.close()
    assert s.wait(20) == 0


def test_idle_h2_connection_memory(site, start_server):
    """1000 HTTP/2 connections, each idle after one request, cost the
    server under 20 KB of RSS each (libnghttp2's session is most of it:
    docs/http2.md has the figure beside nginx's); streams leave nothing."""
    from test_limits import raise_nofile, rss_bytes, sanitized_build
    raise_nofile()
    s = start_server(site.root, threads=1)
    warm = [H2Client(s.port) for _ in range(20)]
    for c in warm:
        assert c.get("/index.html").status == 200
    for c in warm:
        c.close()
    assert s.alive()
    base = rss_bytes(s.pid)
    conns = []
    try:
        for _ in range(1000):
            c = H2Client(s.port)
            assert c.get("/index.html").status == 200
            conns.append(c)
        one = rss_bytes(s.pid)
        per_conn = (one - base) / len(conns)
        print(f"\nidle HTTP/2 connection: {per_conn:.0f} bytes of server RSS")
        assert per_conn < 20000 or sanitized_build(), f"{per_conn:.0f} bytes per idle h2 connection"
        # Ten more streams on each of 200: no growth.
        for c in conns[:200]:
            for _ in range(10):
                assert c.get("/a.txt").status == 200
        more = rss_bytes(s.pid)
        assert more - one < 200 * 1024 or sanitized_build(), f"grew {more - one} bytes"
    finally:
        for c in conns:
            c.close()


def test_streams_share_the_connection_fairly(server, site):
    """Two 2 MiB downloads on one connection go out interleaved: the
    second gets DATA long before the first ends (round robin), both
    byte-exact."""
    bodies = {1: os.urandom(2 << 20), 3: os.urandom(2 << 20)}
    for sid, body in bodies.items():
        with open(os.path.join(site.root, f"f{sid}.bin"), "wb") as f:
            f.write(body)
    big = (64 << 20).to_bytes(4, "big")
    with RawH2(server.port, settings=struct.pack(">HI", 4, 16 << 20)) as c:
        c.send(frame(WINDOW_UPDATE, 0, 0, big))
        c.send(c.headers(1, request_fields("/f1.bin")) + c.headers(3, request_fields("/f3.bin")))
        assert c.wait(lambda c: c.ended(1) and c.ended(3), timeout=60)
        order = [s for t, _, s, _ in c.frames if t == DATA]
        end1 = max(i for i, s in enumerate(order) if s == 1)
        first3 = order.index(3)
        assert first3 < end1 // 4, f"stream 3 waited: first DATA at {first3}, stream 1 ended at {end1}"
        for sid, body in bodies.items():
            assert b"".join(p for t, _, s, p in c.frames if t == DATA and s == sid) == body
