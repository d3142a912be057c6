"""--proxy-protocol and --trusted-proxy: the PROXY v1/v2 header is read at
connection start, only from a trusted peer, and the client it names is what
the access log and the status report's loopback rule see. Anything else
(no header, a bad, truncated, oversized or late one, an untrusted peer)
closes the connection without a byte."""

import struct
import time

import pytest

from conftest import Conn, req, run_eisd
from semantics import CLF_TAIL_RE, poll_log_lines

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src="192.0.2.1", dst="198.51.100.7", sport=12345, dport=80, fam="TCP4"):
    return f"PROXY {fam} {src} {dst} {sport} {dport}\r\n".encode()


def v2(cmd=1, fam=0x11, addr=None, tlvs=b""):
    if addr is None:
        addr = bytes([192, 0, 2, 1, 198, 51, 100, 7]) + struct.pack("!HH", 12345, 80)
    body = addr + tlvs
    return V2_SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body


def v2_tcp6():
    import socket
    a = socket.inet_pton(socket.AF_INET6, "2001:db8::17")
    b = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
    return v2(fam=0x21, addr=a + b + struct.pack("!HH", 4711, 443))


def start(start_server, site, tmp_path, *extra, trusted="127.0.0.1"):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--proxy-protocol", "--trusted-proxy", trusted,
                     "--access-log", log, *extra, quiet=False, threads=1)
    return s, log


def log_clients(log, n):
    lines = poll_log_lines(log, n)
    assert len(lines) == n, lines
    for line in lines:
        assert CLF_TAIL_RE.search(line), line
    return [line.split(" ", 1)[0] for line in lines]


@pytest.mark.parametrize("header,client", [
    (v1(), "192.0.2.1"),
    (v1(src="2001:db8::5", dst="::1", fam="TCP6"), "2001:db8::5"),
    (b"PROXY UNKNOWN\r\n", "127.0.0.1"),
    (v2(), "192.0.2.1"),
    (v2_tcp6(), "2001:db8::17"),
    # LOCAL: the proxy's own connection (a health check): it stays the peer
    (v2(cmd=0, fam=0, addr=b""), "127.0.0.1"),
    # TLVs are skipped (ALPN "h2", authority)
    (v2(tlvs=b"\x01\x00\x02h2" + b"\x02\x00\x0bexample.org"), "192.0.2.1"),
])
def test_header_names_the_client(site, start_server, tmp_path, header, client):
    s, log = start(start_server, site, tmp_path)
    with s.connect() as c:
        # header and request in one segment: the request is not lost
        c.send(header + req("/hello.txt"))
        r = c.read_response()
        assert r.status == 200 and r.body == site.read("hello.txt")
        # keep-alive: the next request needs no header
        c.send(req("/a.txt"))
        assert c.read_response().status == 200
    assert log_clients(log, 2) == [client, client]


def test_header_byte_by_byte(site, start_server, tmp_path):
    s, log = start(start_server, site, tmp_path)
    for header in (v1(), v2()):
        with s.connect() as c:
            c.send_slowly(header, delay=0.01)
            c.send(req("/hello.txt"))
            assert c.read_response().status == 200
    assert log_clients(log, 2) == ["192.0.2.1", "192.0.2.1"]


@pytest.mark.parametrize("data", [
    req("/hello.txt"),                                   # no header at all
    b"PROXY TCP4 192.0.2.1 198.51.100.7 12345 80\n" + req("/"),  # LF only
    b"PROXY TCP4 192.0.2.999 198.51.100.7 1 2\r\n" + req("/"),
    b"PROXY TCP4 192.0.2.1 198.51.100.7 65536 80\r\n" + req("/"),
    b"PROXY UNKNOWN " + b"x" * 120 + b"\r\n" + req("/"),  # longer than 107
    v2(fam=0x12) + req("/"),                             # UDP
    v2(addr=b"\xc0\x00\x02\x01") + req("/"),             # length < addresses
    v2(tlvs=b"\x01\x00\x09h2") + req("/"),              # TLV past the end
    v2(tlvs=b"\xe0" + struct.pack("!H", 3000) + b"x" * 3000) + req("/"),  # oversized
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",    # a TLS ClientHello
])
def test_bad_header_closes(site, start_server, tmp_path, data):
    s, log = start(start_server, site, tmp_path)
    with s.connect() as c:
        c.send(data)
        assert c.closed_by_server(timeout=5), c.buf
    # still serving the well-behaved
    with s.connect() as c:
        c.send(v1() + req("/hello.txt"))
        assert c.read_response().status == 200
    assert log_clients(log, 1) == ["192.0.2.1"]


def test_truncated_header_times_out(site, start_server, tmp_path):
    s, _ = start(start_server, site, tmp_path, "--header-timeout", "1")
    for part in (b"PROXY TCP4 192.0.2.1", V2_SIG[:7], v2()[:20]):
        with s.connect() as c:
            c.send(part)
            assert c.closed_by_server(timeout=4), c.buf


def test_silent_connection_times_out(site, start_server, tmp_path):
    s, _ = start(start_server, site, tmp_path, "--header-timeout", "1")
    with s.connect() as c:
        assert c.closed_by_server(timeout=4), c.buf


def test_untrusted_peer_is_refused(site, start_server, tmp_path):
    # only 127.0.0.2 may send headers; we connect from 127.0.0.1
    s, log = start(start_server, site, tmp_path, trusted="127.0.0.2")
    with s.connect() as c:
        c.send(v1() + req("/hello.txt"))
        assert c.closed_by_server(timeout=5), c.buf
    with Conn(s.port, source="127.0.0.2") as c:
        c.send(v1(src="203.0.113.9") + req("/hello.txt"))
        assert c.read_response().status == 200
    assert log_clients(log, 1) == ["203.0.113.9"]


def test_trusted_range(site, start_server, tmp_path):
    s, log = start(start_server, site, tmp_path, trusted="127.0.0.0/30")
    for src in ("127.0.0.2", "127.0.0.3"):
        with Conn(s.port, source=src) as c:
            c.send(v1(src="203.0.113.9") + req("/hello.txt"))
            assert c.read_response().status == 200
    with Conn(s.port, source="127.0.0.4") as c:
        c.send(v1(src="203.0.113.9") + req("/hello.txt"))
        assert c.closed_by_server(timeout=5), c.buf


def test_status_loopback_rule_sees_named_client(site, start_server, tmp_path):
    s, _ = start(start_server, site, tmp_path, "--status", "/_status")
    with s.connect() as c:
        c.send(v1(src="192.0.2.1") + req("/_status"))
        assert c.read_response().status == 404
    with s.connect() as c:
        c.send(v1(src="127.0.0.1") + req("/_status?format=json"))
        r = c.read_response()
        assert r.status == 200
    # the report lists the client by the address the header named
    with s.connect() as c:
        c.send(v1(src="198.51.100.33") + req("/hello.txt"))
        assert c.read_response().status == 200
        with s.connect() as c2:
            c2.send(v1(src="127.0.0.1") + req("/_status?format=json"))
            r = c2.read_response()
            assert r.status == 200
            assert b'"198.51.100.33"' in r.body, r.body


@pytest.mark.parametrize("args,msg", [
    (["--proxy-protocol"], "--proxy-protocol needs --trusted-proxy"),
    (["--trusted-proxy", "10.0.0.1/8"], "invalid --trusted-proxy '10.0.0.1/8'"),
    (["--trusted-proxy", "example.org"], "invalid --trusted-proxy 'example.org'"),
    (["--trusted-proxy", "::/129"], "invalid --trusted-proxy '::/129'"),
])
def test_bad_options(site, args, msg):
    rc, out, err = run_eisd(["--port", "0"] + args + [site.root])
    assert rc == 2, (rc, err)
    assert err.startswith("eisd: " + msg), err
    assert err.count("\n") == 1, err


# ---------------------------------------------------------------- X-Forwarded-For / Forwarded

def xff_server(start_server, site, tmp_path, *trusted):
    log = str(tmp_path / "access.log")
    args = []
    for t in trusted:
        args += ["--trusted-proxy", t]
    # one worker: one log buffer, so lines come in request order
    s = start_server(site.root, "--access-log", log, *args, quiet=False, threads=1)
    return s, log


def get_with(s, headers, source=None):
    with Conn(s.port, source=source) as c:
        c.send(req("/hello.txt", headers=headers))
        assert c.read_response().status == 200


def test_forwarded_for_from_trusted_proxy(site, start_server, tmp_path):
    # we are the proxy at 127.0.0.1 (trusted); 127.0.0.5 is another trusted hop
    s, log = xff_server(start_server, site, tmp_path, "127.0.0.1", "127.0.0.5")
    get_with(s, [("X-Forwarded-For", "203.0.113.7")])
    get_with(s, [("X-Forwarded-For", "6.6.6.6, 203.0.113.8, 127.0.0.5")])
    get_with(s, [("Forwarded", 'for="[2001:db8::9]:4711";proto=https')])
    get_with(s, [("X-Forwarded-For", "unknown")])            # nothing usable: the peer
    get_with(s, [("X-Forwarded-For", "203.0.113.7"), ("Forwarded", "for=6.6.6.6")])  # both
    get_with(s, [])
    assert log_clients(log, 6) == ["203.0.113.7", "203.0.113.8", "2001:db8::9",
                                   "127.0.0.1", "127.0.0.1", "127.0.0.1"]


def test_forwarded_for_ignored_from_untrusted_peer(site, start_server, tmp_path):
    s, log = xff_server(start_server, site, tmp_path, "127.0.0.5")
    get_with(s, [("X-Forwarded-For", "203.0.113.7")])                   # from 127.0.0.1
    get_with(s, [("Forwarded", "for=203.0.113.7")])
    get_with(s, [("X-Forwarded-For", "203.0.113.7")], source="127.0.0.5")
    assert log_clients(log, 3) == ["127.0.0.1", "127.0.0.1", "203.0.113.7"]


def test_forwarded_for_never_without_trusted_proxy(site, start_server, tmp_path):
    s, log = xff_server(start_server, site, tmp_path)
    get_with(s, [("X-Forwarded-For", "203.0.113.7")])
    assert log_clients(log, 1) == ["127.0.0.1"]


def test_forwarded_for_behind_proxy_protocol(site, start_server, tmp_path):
    # the PROXY header names the client; its own X-Forwarded-For is not
    # believed (it is not a trusted proxy), unless it is one
    s, log = start(start_server, site, tmp_path)
    with s.connect() as c:
        c.send(v1(src="192.0.2.1") + req("/hello.txt", headers=[("X-Forwarded-For", "6.6.6.6")]))
        assert c.read_response().status == 200
    with s.connect() as c:
        c.send(v1(src="127.0.0.1") + req("/hello.txt", headers=[("X-Forwarded-For", "203.0.113.7")]))
        assert c.read_response().status == 200
    assert log_clients(log, 2) == ["192.0.2.1", "203.0.113.7"]


# ---------------------------------------------------------------- with HAProxy

@pytest.fixture
def haproxy(tmp_path):
    from haproxy import HAProxy
    started = []

    def start(port, cfg_text):
        h = HAProxy(tmp_path, port, cfg_text)
        started.append(h)
        return h

    yield start
    for h in started:
        h.stop()


def test_haproxy_send_proxy_v2(site, start_server, tmp_path, haproxy):
    from conftest import free_port
    from haproxy import config
    # HAProxy connects from 127.0.0.3, the only trusted proxy; the client
    # is 127.0.0.2; the health checks (PROXY LOCAL) come from HAProxy.
    s, log = start(start_server, site, tmp_path, trusted="127.0.0.3")
    port = free_port()
    haproxy(port, config(port, [("s1", s.port)], health="/hello.txt"))
    for _ in range(3):
        with Conn(port, source="127.0.0.2") as c:
            c.send(req("/hello.txt"))
            r = c.read_response()
            assert r.status == 200 and r.body == site.read("hello.txt")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = poll_log_lines(log, 4, timeout=1)
        clients = [line.split(" ", 1)[0] for line in lines]
        if clients.count("127.0.0.2") == 3 and "127.0.0.3" in clients:
            break
    # three client requests under the client's address, the checks under HAProxy's
    assert clients.count("127.0.0.2") == 3, lines
    assert set(clients) == {"127.0.0.2", "127.0.0.3"}, lines


def test_haproxy_untrusted_gets_nothing(site, start_server, tmp_path, haproxy):
    from conftest import free_port
    from haproxy import config
    s, log = start(start_server, site, tmp_path, trusted="127.0.0.4")
    port = free_port()
    haproxy(port, config(port, [("s1", s.port)]))
    with Conn(port, source="127.0.0.2") as c:
        c.send(req("/hello.txt"))
        r = c.read_response()
        # HAProxy's own answer when the server closes without a response
        assert r.status in (502, 503), r
