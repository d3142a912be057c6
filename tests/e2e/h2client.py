"""HTTP/2 test clients on python3-h2 (Debian): H2Client, a state-machine
client that checks what the server sends; RawH2, a frame-level client that
sends whatever frames a test builds (floods, bad sequences) and records
what comes back; H2Conn, which gives the HTTP/1.1 Conn interface of
conftest over one HTTP/2 connection, so the HTTP semantics tests run over
HTTP/2 unchanged (see the over_h2 marker in conftest.py)."""

import socket
import ssl
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack

from conftest import Headers, Response, SocketClient, req

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SOCK_TIMEOUT = 10.0

# Frame types and flags (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

# Error codes (RFC 9113 §7).
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, \
    STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, \
    CONNECT_ERROR, ENHANCE_YOUR_CALM = range(12)

# eisd's limits (src/http/h2_session.h); the tests check them exactly.
MAX_STREAMS = 128
RESET_SLACK = 100
CONTINUATIONS = 64
CTRL_SLACK = 8192


def alpn_h2_context(base):
    """A client context trusting what base trusts, offering h2 then
    http/1.1 (base itself is left alone: HTTP/1.1 tests share it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for der in base.get_ca_certs(binary_form=True):
        ctx.load_verify_locations(cadata=der)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def connect(port, host="127.0.0.1", timeout=SOCK_TIMEOUT, tls=None, rcvbuf=None):
    """A TCP socket to the server; with tls (an ssl.SSLContext trusting the
    server), TLS with ALPN h2, which the server must choose."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if tls is not None:
        sock = alpn_h2_context(tls).wrap_socket(sock, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
    return sock


def frame(ftype, flags, stream, payload=b""):
    """One raw frame."""
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags, stream & 0x7FFFFFFF) + payload


def request_fields(path="/", method="GET", authority="localhost", scheme="http", extra=()):
    return [(":method", method), (":scheme", scheme), (":authority", authority),
            (":path", path)] + list(extra)


class Closed(Exception):
    pass


class H2Socket(SocketClient):
    """What both HTTP/2 clients share: the connection (connect()), reading
    what arrives, and waiting for a condition or for the server to close.
    A subclass takes the bytes in _received(chunk)."""

    def __init__(self, port, host, timeout, tls, rcvbuf):
        self.sock = connect(port, host, timeout, tls, rcvbuf)
        self.timeout = timeout
        self.eof = False

    def read_some(self, timeout=None):
        """Reads what arrives within timeout; False once the server closed."""
        if self.eof:
            return False
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except (socket.timeout, BlockingIOError, ssl.SSLWantReadError):
            return True
        except (ConnectionResetError, ssl.SSLError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self._received(chunk)
        return True

    def wait(self, pred, timeout=SOCK_TIMEOUT):
        """Reads until pred() is true or the server closes; returns it."""
        end = time.monotonic() + timeout
        while not pred():
            left = end - time.monotonic()
            if left <= 0 or not self.read_some(min(left, 1.0)):
                break
        return pred()

    def wait_closed(self, timeout=SOCK_TIMEOUT):
        end = time.monotonic() + timeout
        while not self.eof and time.monotonic() < end:
            self.read_some(min(end - time.monotonic(), 1.0))
        return self.eof


class RawH2(H2Socket):
    """A frame-level client: sends the preface and an empty SETTINGS, then
    whatever the test builds; records every frame the server sends.
    Nothing is validated on the way out."""

    def __init__(self, port, host="127.0.0.1", timeout=SOCK_TIMEOUT, settings=b"", tls=None,
                 rcvbuf=None):
        super().__init__(port, host, timeout, tls, rcvbuf)
        self.enc = hpack.Encoder()
        self.buf = bytearray()
        self.frames = []       # (type, flags, stream, payload), in order
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))

    def send(self, data):
        """Sends bytes; False when the server already closed (a flood
        test's sender may outrun the GOAWAY)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.eof = True
            return False

    def block(self, fields):
        return self.enc.encode(fields)

    def headers(self, stream, fields, end_stream=True, end_headers=True):
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        return frame(HEADERS, flags, stream, self.block(fields))

    def _parse(self):
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[0:3], "big")
            if len(self.buf) < 9 + n:
                return
            ftype, flags = self.buf[3], self.buf[4]
            stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload = bytes(self.buf[9:9 + n])
            del self.buf[:9 + n]
            self.frames.append((ftype, flags, stream, payload))
            if ftype == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))

    def _received(self, chunk):
        self.buf += chunk
        self._parse()

    def wait(self, pred, timeout=SOCK_TIMEOUT):
        """Reads until pred(self) is true or the server closes; returns it."""
        return super().wait(lambda: pred(self), timeout)

    def goaway(self):
        """(last_stream_id, error_code) of the server's GOAWAY, or None."""
        for t, _, _, p in self.frames:
            if t == GOAWAY:
                return (int.from_bytes(p[0:4], "big") & 0x7FFFFFFF, int.from_bytes(p[4:8], "big"))
        return None

    def rst(self, stream):
        """The error code of the server's RST_STREAM on stream, or None."""
        for t, _, s, p in self.frames:
            if t == RST_STREAM and s == stream:
                return int.from_bytes(p, "big")
        return None

    def of_type(self, ftype, stream=None):
        return [f for f in self.frames if f[0] == ftype and (stream is None or f[2] == stream)]

    def ended(self, stream):
        """The server finished stream: END_STREAM on its last frame, or RST."""
        return any(s == stream and (t == RST_STREAM or (t in (HEADERS, DATA) and fl & END_STREAM))
                   for t, fl, s, _ in self.frames)


class H2Response:
    def __init__(self, stream):
        self.stream = stream
        self.status = None
        self.headers = []     # [(name, value)] as received, str
        self.body = bytearray()
        self.ended = False
        self.reset = None     # error code when the server reset the stream
        self.trailers = None

    def header(self, name):
        vals = [v for n, v in self.headers if n == name]
        assert len(vals) <= 1, f"{name} appears {len(vals)} times"
        return vals[0] if vals else None


class H2Client(H2Socket):
    """An HTTP/2 client on the python3-h2 state machine: it checks the
    server's frames against RFC 9113 as they arrive. Received DATA is
    acknowledged (WINDOW_UPDATE) at once unless auto_ack is False."""

    def __init__(self, port, host="127.0.0.1", timeout=SOCK_TIMEOUT, tls=None,
                 settings=None, auto_ack=True, rcvbuf=None):
        super().__init__(port, host, timeout, tls, rcvbuf)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="latin-1",
                                        validate_outbound_headers=False,
                                        normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.auto_ack = auto_ack
        self.responses = {}
        self.goaway = None    # (error_code, last_stream_id)
        self.pongs = []
        self.settings_acked = 0
        self.remote_settings = {}
        self.received = bytearray()  # every byte the server sent
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path="/", method="GET", headers=(), body=None, authority="localhost",
                scheme="http", fields=None):
        """Opens a stream with a request; returns its id."""
        sid = self.conn.get_next_available_stream_id()
        if fields is None:
            fields = request_fields(path, method, authority, scheme, headers)
        self.responses[sid] = H2Response(sid)
        self.conn.send_headers(sid, fields, end_stream=body is None)
        if body is not None:
            step = self.conn.max_outbound_frame_size
            for i in range(0, max(len(body), 1), step):
                last = i + step >= len(body)
                self.conn.send_data(sid, body[i:i + step], end_stream=last)
        self.flush()
        return sid

    def _event(self, ev):
        if isinstance(ev, h2.events.ResponseReceived):
            r = self.responses[ev.stream_id]
            r.headers = [(n, v) for n, v in ev.headers]
            r.status = int(dict(r.headers)[":status"])
        elif isinstance(ev, h2.events.TrailersReceived):
            self.responses[ev.stream_id].trailers = list(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            self.responses[ev.stream_id].body += ev.data
            if self.auto_ack and ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            self.responses[ev.stream_id].ended = True
        elif isinstance(ev, h2.events.StreamReset):
            if ev.stream_id in self.responses:
                self.responses[ev.stream_id].reset = ev.error_code
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = (ev.error_code, ev.last_stream_id)
        elif isinstance(ev, h2.events.PingAckReceived):
            self.pongs.append(ev.ping_data)
        elif isinstance(ev, h2.events.SettingsAcknowledged):
            self.settings_acked += 1
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                self.remote_settings[k] = v.new_value

    def _received(self, data):
        self.received += data
        for ev in self.conn.receive_data(data):
            self._event(ev)
        try:
            self.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.eof = True

    def response(self, sid, timeout=SOCK_TIMEOUT):
        """Waits for stream sid to end (or be reset); returns its H2Response."""
        r = self.responses[sid]
        if not self.wait(lambda: r.ended or r.reset is not None, timeout):
            raise Closed(f"stream {sid} did not end (eof={self.eof}, goaway={self.goaway})")
        return r

    def get(self, path="/", **kw):
        return self.response(self.request(path, **kw))

    def ping(self, data=b"12345678"):
        self.conn.ping(data)
        self.flush()


# --------------------------------------------------------------------------
# The HTTP/1.1 Conn interface over HTTP/2, for the semantics tests.

REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
           304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 412: "Precondition Failed", 413: "Content Too Large",
           414: "URI Too Long", 416: "Range Not Satisfiable",
           431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented", 505: "HTTP Version Not Supported"}


def parse_requests(data):
    """Splits HTTP/1.1 request bytes into [(method, target, [(name, value)],
    body)] by their heads and Content-Length; returns (requests, rest)."""
    out = []
    while True:
        idx = data.find(b"\r\n\r\n")
        if idx < 0:
            return out, data
        lines = data[:idx].split(b"\r\n")
        method, target, _version = lines[0].decode("latin-1").split(" ", 2)
        fields = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            fields.append((name.strip(), value.strip(" \t")))
        n = 0
        for name, value in fields:
            if name.lower() == "content-length":
                n = int(value)
        if len(data) < idx + 4 + n:
            return out, data
        out.append((method, target, fields, data[idx + 4:idx + 4 + n]))
        data = data[idx + 4 + n:]


class H2Conn(SocketClient):
    """conftest.Conn's interface over one HTTP/2 connection: send() takes
    HTTP/1.1 request bytes and sends each request as a stream (the
    request-target as :path, or split into :scheme/:authority/:path in
    absolute form; Host as :authority; other fields lower-cased, the
    per-hop ones dropped); read_response() returns the streams' responses
    in order as conftest Responses (version "HTTP/2"; the reason is the
    status's usual phrase, since HTTP/2 has none)."""

    h2 = True
    PER_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"}

    def __init__(self, port, host="127.0.0.1", timeout=SOCK_TIMEOUT, tls=None, **kw):
        self.client = H2Client(port, host, timeout=timeout, tls=tls)
        self.scheme = "https" if tls else "http"
        self.pending = b""
        self.order = []
        self.timeout = timeout

    def close(self):
        self.client.close()

    @property
    def buf(self):
        return self.client.received

    @property
    def eof(self):
        return self.client.eof

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        reqs, self.pending = parse_requests(self.pending + data)
        for method, target, fields, body in reqs:
            authority = None
            scheme = self.scheme
            path = target
            if "://" in target:
                scheme, _, rest = target.partition("://")
                authority, slash, path = rest.partition("/")
                path = slash + path if slash else "/"
            extra = []
            for name, value in fields:
                if name.lower() == "host":
                    authority = authority or value
                elif name.lower() not in self.PER_HOP:
                    extra.append((name.lower(), value))
            # RFC 9113 §8.5: CONNECT has neither :scheme nor :path.
            head = [(":method", method)]
            if method != "CONNECT":
                head.append((":scheme", scheme))
            if authority is not None:
                head.append((":authority", authority))
            if method != "CONNECT":
                head.append((":path", path))
            self.order.append(self.client.request(fields=head + extra, body=body or None))

    def send_slowly(self, data, delay=0.002, step=1):
        self.send(data)

    def read_response(self, head=False, sink=None):
        sid = self.order.pop(0)
        r = self.client.response(sid, self.timeout)
        assert r.reset is None, f"stream {sid} reset with error {r.reset}"
        raw = [(n, v) for n, v in r.headers if not n.startswith(":")]
        head_bytes = "".join(f"{n}: {v}\r\n" for n, v in r.headers).encode("latin-1")
        body = bytes(r.body)
        if sink is not None:
            sink(body)
            body = b""
        resp = Response("HTTP/2", r.status, REASONS.get(r.status, ""), Headers(raw), body, head_bytes)
        resp.body_len = len(r.body)
        return resp

    def closed_by_server(self, timeout=3.0):
        return self.client.wait_closed(timeout)

    def nothing_more(self, timeout=0.5):
        n = len(self.client.received)
        self.client.wait(lambda: len(self.client.received) > n, timeout)
        return len(self.client.received) == n

    def answered_next(self, path, body, host="localhost"):
        """conftest.Conn.answered_next over HTTP/2: a GET for path sent
        now is answered on its stream with exactly body, and nothing else
        arrived on the streams asked before (a HEAD body, say)."""
        for sid, r in self.client.responses.items():
            assert r.ended or r.reset is not None or sid in self.order, f"stream {sid} still open"
        before = {sid: len(r.body) for sid, r in self.client.responses.items()}
        self.send(req(path, host=host))
        r = self.read_response()
        assert (r.status, r.body) == (200, body), f"not the follow-up's answer next: {r}"
        for sid, n in before.items():
            assert len(self.client.responses[sid].body) == n, f"stream {sid} got more bytes"
        return r
