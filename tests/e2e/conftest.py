"""Shared machinery for the end-to-end tests: start the real eisd binary on a
free port with a temporary ROOT, talk HTTP to it over raw sockets, and always
stop it by PID, even when a test fails.

Only the standard library, pytest and the curl binary are used."""

import calendar
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

import pytest

# `make e2e` passes EISD_BIN; by default the binary `make` builds at the
# top of this checkout (tests/e2e/../../eisd).
EISD_BIN = os.environ.get(
    "EISD_BIN",
    os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "eisd")))

# A command that runs eisd, e.g. "valgrind -q --error-exitcode=99 ..." (make
# valgrind). It must exec eisd in the same process, so the PID is eisd's.
EISD_WRAPPER = shlex.split(os.environ.get("EISD_WRAPPER", ""))

# Where sanitizer (ASAN_OPTIONS/UBSAN_OPTIONS log_path) or valgrind
# (--log-file) reports land. A report appearing during a test fails it:
# a server's stderr alone would go unread. Lines valgrind writes as
# "--PID-- ..." are its own notices (an unhandled syscall), not errors.
EISD_REPORT_DIR = os.environ.get("EISD_REPORT_DIR", "")

# Every socket operation in the suite is bounded by this.
SOCK_TIMEOUT = 10.0
# Under a wrapper eisd starts, answers and exits (a leak check) slowly.
START_TIMEOUT = 60.0 if EISD_WRAPPER else 15.0
STOP_GRACE = 30.0 if EISD_WRAPPER else 5.0

STARTUP_RE = re.compile(
    r"^eisd: serving (?P<root>.+) on (?P<scheme>https?)://(?P<host>\[[^\]]+\]|[^:/]+):(?P<port>\d+)/"
    r" \((?P<threads>\d+) threads?\)$"
)

DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) GMT$"
)

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

TOKEN_RE = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def parse_http_date(value):
    """IMF-fixdate -> seconds since the epoch (UTC); AssertionError if the
    value is not exactly an IMF-fixdate."""
    m = DATE_RE.match(value)
    assert m, f"not an IMF-fixdate: {value!r}"
    day, mon, year = int(m.group(2)), MONTHS.index(m.group(3)) + 1, int(m.group(4))
    hh, mm, ss = int(m.group(5)), int(m.group(6)), int(m.group(7))
    t = calendar.timegm((year, mon, day, hh, mm, ss, 0, 0, 0))
    # The weekday must agree with the date.
    wday = time.gmtime(t).tm_wday
    assert ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][wday] == m.group(1), value
    return t


# --------------------------------------------------------------------------
# The server process


class ServerStartError(Exception):
    pass


def server_env(**extra):
    """The environment a server runs with: ours, plus a local time zone far
    from UTC (a Date or log stamp taken in local time but labelled GMT
    shows up as wrong), plus extra."""
    env = dict(os.environ, TZ="XST-5:30")
    env.pop(PATH_FALLBACK_VAR, None)
    env.update(extra)
    return env


# Path confinement has two implementations (docs/files.md): openat2 with
# RESOLVE_BENEATH, and the fallback for kernels before 5.6, which this
# test-only variable forces. Path-safety tests run against both (the
# path_impl fixture).
PATH_FALLBACK_VAR = "EISD_TEST_PATH_FALLBACK"
PATH_IMPLS = ("openat2", "fallback")


def path_impl_env(impl):
    """server_env() that makes eisd resolve paths with impl."""
    assert impl in PATH_IMPLS, impl
    return server_env(**({PATH_FALLBACK_VAR: "1"} if impl == "fallback" else {}))


class Server:
    """A running eisd. Attributes: proc, port, root, host, threads, args,
    startup_line. Output of both pipes is drained by reader threads into
    self.stdout_lines / self.stderr_lines so the server never blocks on a
    full pipe. stall: names of pipes ("stdout", "stderr") held open but not
    read (stdout after its startup line) until resume(name)."""

    def __init__(self, root, args, env=None, preexec_fn=None, stall=(), tls=None, h2=False):
        self.root = str(root)
        self.h2 = h2  # connect() speaks HTTP/2 (h2c prior knowledge)
        self.args = list(args)
        # An ssl.SSLContext trusting the test CA when the server speaks
        # TLS: connect() then wraps every socket in it.
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.stdout_lines = []
        self.stderr_lines = []
        self._lock = threading.Lock()
        self._first_line = queue.Queue()
        self._resume = {name: threading.Event() for name in ("stdout", "stderr")}
        for name in ("stdout", "stderr"):
            if name not in stall:
                self._resume[name].set()
        self._stopped = False
        self.signalled = False
        self.returncode = None
        cmd = EISD_WRAPPER + [EISD_BIN] + self.args
        if env is None:
            env = server_env()
        if not os.path.exists(EISD_BIN):
            raise ServerStartError(f"eisd binary not found at {EISD_BIN} (set EISD_BIN or run make)")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, start_new_session=True,
            preexec_fn=preexec_fn)
        self.pid = self.proc.pid
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout_lines, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr_lines, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _drain(self, pipe, sink, is_stdout):
        first = True
        resume = self._resume["stdout" if is_stdout else "stderr"]
        try:
            if not is_stdout:
                resume.wait()
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self._lock:
                    sink.append(line)
                if is_stdout and first:
                    first = False
                    self._first_line.put(line)
                    resume.wait()
        finally:
            if is_stdout and first:
                self._first_line.put(None)

    def wait_started(self, timeout=START_TIMEOUT, pattern=None):
        """Waits for the startup line (pattern: STARTUP_RE unless given)
        and takes the port, host and thread count from it."""
        try:
            line = self._first_line.get(timeout=timeout)
        except queue.Empty:
            raise ServerStartError(
                f"no startup line within {timeout}s; stderr={self.stderr_text()!r}")
        if line is None:
            self.proc.wait(timeout=STOP_GRACE)
            time.sleep(0.1)
            raise ServerStartError(
                f"eisd exited with {self.proc.returncode} before its startup line; "
                f"stderr={self.stderr_text()!r}")
        m = (pattern or STARTUP_RE).match(line)
        if not m:
            raise ServerStartError(f"unexpected startup line {line!r}")
        self.startup_line = line
        self.port = int(m.group("port"))
        self.host = m.group("host").strip("[]")
        self.threads = int(m.group("threads"))
        return self

    def resume(self, name):
        """Starts reading a stalled pipe ("stdout" or "stderr")."""
        self._resume[name].set()

    def stdout_text(self):
        with self._lock:
            return "\n".join(self.stdout_lines)

    def stderr_text(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def alive(self):
        return self.proc.poll() is None

    def url(self, path="/"):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{path}"

    def connect(self, timeout=SOCK_TIMEOUT, **kw):
        """A Conn to the server: TCP, or TLS when the server speaks it (the
        handshake done, SNI "localhost" unless server_hostname= says). In
        the HTTP/2 run of an over_h2 test, an h2client.H2Conn: h2c by prior
        knowledge, or h2 by ALPN over TLS."""
        if self.tls is not None and "tls" not in kw:
            kw["tls"] = self.tls
        if self.h2:
            import h2client
            return h2client.H2Conn(self.port, host=self.host, timeout=timeout,
                                   tls=kw.get("tls"))
        return Conn(self.port, host=self.host, timeout=timeout, **kw)

    def send_signal(self, sig):
        """Sends sig to the server's PID (never by name)."""
        if self.proc.poll() is None:
            self.signalled = True
            os.kill(self.pid, sig)

    def wait(self, timeout):
        """Waits for exit; returns the exit status, or None on timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        for e in self._resume.values():
            e.set()  # what a stalled pipe still holds is read now
        for t in self._threads:
            t.join(timeout=2)
        self.returncode = rc
        return rc

    def stop(self, sig=signal.SIGTERM, grace=STOP_GRACE):
        """SIGTERM, wait up to grace seconds, then SIGKILL. Returns the exit
        status (negative: killed by that signal)."""
        if self._stopped:
            return self.returncode
        self._stopped = True
        try:
            if self.proc.poll() is None:
                self.signalled = True
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if self.proc.poll() is None:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
            for e in self._resume.values():
                e.set()
            for t in self._threads:
                t.join(timeout=2)
            for p in (self.proc.stdout, self.proc.stderr):
                try:
                    p.close()
                except Exception:
                    pass
        self.returncode = self.proc.returncode
        return self.returncode


def run_to_end(argv, stdin, timeout, cwd=None):
    """Runs argv in a session of its own, stdin the bytes given (None: no
    stdin at all), to completion. Returns (exit status, stdout bytes,
    stderr bytes); the exit status is None when it was still running
    after timeout (it is then killed by PID)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, cwd=cwd)
    rc = None
    try:
        out, err = p.communicate(stdin, timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    return rc, out, err


def run_eisd(args, timeout=None, cwd=None):
    """Runs eisd to completion (for CLI errors, --help, --version).
    Returns (exit status, stdout, stderr); exit status None when it was
    still running after timeout (it is then killed by PID)."""
    assert os.path.exists(EISD_BIN), f"eisd binary not found at {EISD_BIN}"
    if timeout is None:
        timeout = START_TIMEOUT
    rc, out, err = run_to_end(EISD_WRAPPER + [EISD_BIN] + list(args), None, timeout, cwd)
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def wait_for(cond, timeout=10.0, step=0.05):
    """Polls cond() every step seconds until it is true or timeout has
    passed; returns True, or cond()'s value at the end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def open_files(pid, path):
    """How many of process pid's descriptors are open on a path starting
    with path (from /proc; a descriptor closed meanwhile is skipped)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(path):
                n += 1
        except OSError:
            pass
    return n


# --------------------------------------------------------------------------
# Raw HTTP over a socket


class ConnectionClosed(Exception):
    pass


class Headers:
    """Case-insensitive view of response headers; .raw keeps every line in
    order (name, value) so duplicates stay visible."""

    def __init__(self, raw):
        self.raw = raw
        self._d = {}
        for name, value in raw:
            self._d.setdefault(name.lower(), []).append(value)

    def __contains__(self, name):
        return name.lower() in self._d

    def __getitem__(self, name):
        vals = self._d[name.lower()]
        assert len(vals) == 1, f"header {name} appears {len(vals)} times: {vals}"
        return vals[0]

    def get(self, name, default=None):
        if name.lower() not in self._d:
            return default
        return self[name]

    def get_all(self, name):
        return list(self._d.get(name.lower(), []))

    def names(self):
        return [n for n, _ in self.raw]

    def as_dict(self, exclude=()):
        ex = {e.lower() for e in exclude}
        return {k: v for k, v in self._d.items() if k not in ex}

    def __repr__(self):
        return f"Headers({self.raw!r})"


class Response:
    def __init__(self, version, status, reason, headers, body, head_bytes):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.head_bytes = head_bytes
        self.body_len = None

    def __repr__(self):
        return (f"<Response {self.status} {self.reason!r} headers={self.headers.raw!r} "
                f"body[{len(self.body) if self.body is not None else self.body_len}]="
                f"{(self.body or b'')[:200]!r}>")

    @property
    def keep_alive_denied(self):
        return "close" in [t.strip().lower() for v in self.headers.get_all("connection") for t in v.split(",")]


class SocketClient:
    """What every test client shares (Conn here, the HTTP/2 clients in
    h2client.py): a socket in self.sock, closed at the end of a with
    block or by close(), which never raises."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Conn(SocketClient):
    """One client connection with a receive buffer, so several pipelined
    responses can be read one after another."""

    def __init__(self, port, host="127.0.0.1", timeout=SOCK_TIMEOUT, nodelay=True, rcvbuf=None,
                 tls=None, server_hostname="localhost", session=None, source=None):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            # Any 127.x.y.z is this machine's: a second "client" address.
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            try:
                self.sock = tls.wrap_socket(self.sock, server_hostname=server_hostname,
                                            session=session)
            except BaseException:
                self.sock.close()
                raise
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def send_slowly(self, data, delay=0.002, step=1):
        if isinstance(data, str):
            data = data.encode("latin-1")
        for i in range(0, len(data), step):
            self.sock.sendall(data[i:i + step])
            time.sleep(delay)

    def _fill(self, maxbytes=1 << 20):
        if self.eof:
            raise ConnectionClosed("connection already closed by server")
        try:
            chunk = self.sock.recv(maxbytes)
        except (ConnectionResetError, ssl.SSLEOFError):
            chunk = b""
        if not chunk:
            self.eof = True
            raise ConnectionClosed(f"server closed the connection; buffered={bytes(self.buf[:200])!r}")
        self.buf += chunk

    def read_head(self):
        """Reads a status line and header block. Returns (version, status,
        reason, Headers, raw head bytes)."""
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx >= 0:
                break
            assert len(self.buf) < 256 * 1024, "response head too large / no CRLFCRLF"
            self._fill()
        head = bytes(self.buf[:idx + 4])
        del self.buf[:idx + 4]
        lines = head[:-4].split(b"\r\n")
        m = re.match(rb"^(HTTP/1\.[01]) (\d{3}) ([^\r\n]*)$", lines[0])
        assert m, f"bad status line {lines[0]!r}"
        raw = []
        for line in lines[1:]:
            assert b"\n" not in line and b"\r" not in line, f"bare CR/LF in response head: {head!r}"
            name, sep, value = line.partition(b":")
            assert sep and TOKEN_RE.match(name), f"malformed header line {line!r}"
            raw.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        return (m.group(1).decode(), int(m.group(2)), m.group(3).decode("latin-1"),
                Headers(raw), head)

    def read_exact(self, n, sink=None):
        """Reads exactly n body bytes. With sink, chunks go to sink(chunk)
        and nothing is kept."""
        out = bytearray() if sink is None else None
        left = n
        while left > 0:
            if not self.buf:
                self._fill(min(left, 1 << 20))
            take = min(left, len(self.buf))
            chunk = bytes(self.buf[:take])
            del self.buf[:take]
            left -= take
            if sink is None:
                out += chunk
            else:
                sink(chunk)
        return bytes(out) if out is not None else None

    def read_response(self, head=False, sink=None):
        """Reads one response. head=True: the request was HEAD, no body."""
        version, status, reason, headers, raw_head = self.read_head()
        body = b""
        no_body = head or status in (204, 304) or 100 <= status < 200
        length = None
        if not no_body:
            cls = headers.get_all("content-length")
            if cls:
                assert len(set(cls)) == 1, f"conflicting Content-Length {cls}"
                assert re.match(r"^\d+$", cls[0]), f"bad Content-Length {cls[0]!r}"
                length = int(cls[0])
                body = self.read_exact(length, sink=sink)
            else:
                assert "chunked" not in headers.get("transfer-encoding", ""), "chunked response not expected"
                data = bytearray(self.buf)
                self.buf.clear()
                while True:
                    try:
                        self._fill()
                    except ConnectionClosed:
                        break
                    data += self.buf
                    self.buf.clear()
                body = bytes(data)
                length = len(body)
        r = Response(version, status, reason, headers, body, raw_head)
        r.body_len = length if length is not None else 0
        return r

    def _wait_end(self, timeout):
        """Waits up to timeout for the stream's next event: "closed" (FIN
        or RST), "data" (bytes arrived; kept in the buffer) or "quiet"."""
        if self.buf:
            return "data"
        if self.eof:
            return "closed"
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return "quiet"
        except (ConnectionResetError, ssl.SSLEOFError):
            self.eof = True
            return "closed"
        finally:
            try:
                self.sock.settimeout(self.timeout)
            except OSError:
                pass
        if not chunk:
            self.eof = True
            return "closed"
        self.buf += chunk
        return "data"

    def closed_by_server(self, timeout=3.0):
        """True when the server closes the connection (FIN or RST) within
        timeout with no further bytes; False when it stays open or sends
        more data (the data stays buffered)."""
        return self._wait_end(timeout) == "closed"

    def nothing_more(self, timeout=0.5):
        """True when no further bytes arrive within timeout (open or closed).
        Only for checks that the server stays silent for a stretch of time
        (a deadline not yet due); "nothing was sent after that reply" is
        answered_next(), which does not pass for a merely slow server."""
        return self._wait_end(timeout) != "data"

    def answered_next(self, path, body, host="localhost"):
        """Asserts that nothing came after the last response read: a GET for
        path sent now is answered next, its status line first and its body
        exactly `body`. Bytes the server sent in between (a HEAD body, a
        smuggled response) come first and break that, however late they
        arrive. path must differ from what the connection asked before."""
        self.send(req(path, host=host))
        r = self.read_response()
        assert (r.status, r.body) == (200, body), f"not the follow-up's answer next: {r}"
        return r


def req(path="/", method="GET", version="1.1", host="localhost", headers=(), body=b""):
    """Builds a request. headers: iterable of (name, value) or raw strings."""
    lines = [f"{method} {path} HTTP/{version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    for h in headers:
        lines.append(h if isinstance(h, str) else f"{h[0]}: {h[1]}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if isinstance(body, str):
        body = body.encode("latin-1")
    return data + body


def exchange(server, raw, head=False, timeout=SOCK_TIMEOUT):
    """One request on a fresh connection; returns (Response, Conn). The
    caller closes the Conn (or uses it further)."""
    c = server.connect(timeout=timeout)
    c.send(raw)
    return c.read_response(head=head), c


def fetch(server, path="/", method="GET", **kw):
    """Sends one request and returns the response; the connection is closed."""
    c = server.connect()
    try:
        c.send(req(path, method=method, **kw))
        return c.read_response(head=(method == "HEAD"))
    finally:
        c.close()


def assert_common_headers(r, now=None):
    """Every response: Date (IMF-fixdate, real GMT, now), Server eisd/...,
    Content-Length (except 204/1xx/304), Content-Type."""
    h = r.headers
    t = parse_http_date(h["Date"])
    now = time.time() if now is None else now
    assert abs(t - now) <= 5, f"Date {h['Date']} is {t - now:+.0f}s from now (not real GMT?)"
    assert re.match(r"^eisd/\S+", h["Server"]), h["Server"]
    if r.status not in (204, 304) and r.status >= 200:
        assert re.match(r"^\d+$", h["Content-Length"]), h.raw
        assert h["Content-Type"], h.raw


def assert_error_page(r, status, marker=None):
    """Error bodies: a small HTML page naming the status, never echoing the
    request (marker: a unique string that was in the request)."""
    assert r.status == status, r
    assert_common_headers(r)
    assert r.headers["Content-Type"].lower().startswith("text/html"), r.headers.raw
    assert int(r.headers["Content-Length"]) == len(r.body)
    assert str(status).encode() in r.body, r.body
    assert len(r.body) < 4096, "error page is not small"
    if marker is not None:
        m = marker.encode() if isinstance(marker, str) else marker
        assert m not in r.body and m not in r.head_bytes, "error response echoes the request"


def assert_closed_after_error(r, conn):
    """After a malformed request: Connection: close, then the server closes.
    Over HTTP/2 the error ends only its stream: the connection goes on (a
    PING is still answered)."""
    if getattr(conn, "h2", False):
        assert "connection" not in r.headers, r.headers.raw
        conn.client.ping(b"stillok!")
        assert conn.client.wait(lambda: b"stillok!" in conn.client.pongs), "connection ended"
        return
    assert r.keep_alive_denied, f"expected Connection: close, got {r.headers.raw}"
    assert conn.closed_by_server(timeout=3), "server kept the connection open after an error"


# --------------------------------------------------------------------------
# A private network namespace


def netns_prefix():
    """The command prefix that runs a program in a private network
    namespace of its own (only a loopback, nothing shared with the host):
    as root a plain one; otherwise one inside a user namespace (-r maps
    us to root there, which Debian allows unprivileged). Fails, never
    skips, when neither works."""
    assert shutil.which("unshare") and shutil.which("ip"), \
        "needs unshare and ip (util-linux, iproute2: tests/deps.sh installs them)"
    errors = []
    for cmd in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        probe = subprocess.run(cmd + ["ip", "link", "set", "lo", "up"], capture_output=True, timeout=10)
        if probe.returncode == 0:
            return cmd
        errors.append(f"{' '.join(cmd)}: {probe.stderr.decode().strip()}")
    raise AssertionError("cannot create a private network namespace: " + "; ".join(errors))


def run_in_netns(script, *args, timeout=60):
    """Runs the Python source `script` with args in a private network
    namespace (the process group is killed if it overruns). Returns its
    stdout bytes; fails with its stderr when it exits non-zero."""
    p = subprocess.Popen(netns_prefix() + [sys.executable, "-c", script] + [str(a) for a in args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    assert p.returncode == 0, err.decode(errors="replace")[-3000:]
    return out


# --------------------------------------------------------------------------
# Fixtures


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "over_h2: run the test twice, over HTTP/1.1 and over HTTP/2 (h2c prior "
        "knowledge: server.connect() returns an h2client.H2Conn taking HTTP/1.1 request bytes)")
    config.addinivalue_line(
        "markers", "h1_only: in a module marked over_h2, a test of HTTP/1.1 framing itself")
    config.addinivalue_line(
        "markers", "smoke: a quick end-to-end check, also run under valgrind (make valgrind)")
    config.addinivalue_line(
        "markers", "serial: measures machine-wide state or CPU time against other work, so "
        "make e2e runs it alone, after the tests it runs side by side")
    config.addinivalue_line(
        "markers", "over_tls: run the test twice, over plain TCP and over TLS "
        "(the server fixtures add --tls-cert/--tls-key, connect() wraps sockets in ssl)")


def pytest_generate_tests(metafunc):
    if "transport" in metafunc.fixturenames and metafunc.definition.get_closest_marker("over_tls"):
        metafunc.parametrize("transport", ["tcp", "tls"], indirect=True)
    if ("http_version" in metafunc.fixturenames and metafunc.definition.get_closest_marker("over_h2")
            and not metafunc.definition.get_closest_marker("h1_only")):
        metafunc.parametrize("http_version", ["1.1", "2"], indirect=True)


@pytest.fixture
def transport(request):
    """"tcp", or "tls" for the TLS run of a test marked over_tls."""
    return getattr(request, "param", "tcp")


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory):
    """Throw-away CA and leaves (tlscerts.make_certs), made once per run.
    curl trusts the CA through CURL_CA_BUNDLE, so tests that run curl on
    server.url() work over both transports."""
    import tlscerts
    certs = tlscerts.make_certs(tmp_path_factory.mktemp("tls"))
    os.environ["CURL_CA_BUNDLE"] = certs.ca
    return certs


def tls_client_context(certs, **kw):
    """An ssl client context trusting the test CA (kw: minimum_version,
    maximum_version, ciphers...)."""
    ctx = ssl.create_default_context(cafile=certs.ca)
    for k, v in kw.items():
        if k == "ciphers":
            ctx.set_ciphers(v)
        else:
            setattr(ctx, k, v)
    return ctx


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test counts as failed: a test that does not run proves
    nothing, and `make test` must not pass without it (a missing tool is
    installed by tests/deps.sh, not skipped)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped, and this suite counts a skip as a failure: {reason}"


def _report_files():
    if not EISD_REPORT_DIR or not os.path.isdir(EISD_REPORT_DIR):
        return {}
    out = {}
    for name in sorted(os.listdir(EISD_REPORT_DIR)):
        path = os.path.join(EISD_REPORT_DIR, name)
        try:
            with open(path, "rb") as f:
                out[name] = f.read()
        except OSError:
            continue
    return out


def _is_report(text):
    return any(line.strip() and not re.match(rb"^--\d+-- ", line)
               for line in text.splitlines())


@pytest.fixture
def http_version(request):
    """"1.1", or "2" for the HTTP/2 run of a test marked over_h2."""
    return getattr(request, "param", "1.1")


@pytest.fixture(autouse=True)
def sanitizer_reports():
    """Fails the test during which a sanitizer or valgrind report appeared
    in EISD_REPORT_DIR (a leak report is written when a server stops, which
    the fixtures below do before this one checks)."""
    before = _report_files()
    yield
    after = _report_files()
    new = {n: t for n, t in after.items() if t != before.get(n) and _is_report(t)}
    if new:
        text = "\n".join(f"== {n}\n{t.decode('utf-8', 'replace')[:6000]}" for n, t in new.items())
        pytest.fail(f"sanitizer/valgrind report(s) in {EISD_REPORT_DIR}:\n{text}")


INDEX_HTML = b"<!doctype html><title>eisd test</title><p>root index</p>\n"
SUB_INDEX_HTML = b"<!doctype html><title>sub</title><p>sub index</p>\n"


def make_site(base):
    """tmp/www (ROOT) with assorted files; tmp/canary.txt and
    tmp/outside/canary2.txt next to it with unique content."""
    base = str(base)
    root = os.path.join(base, "www")
    os.mkdir(root)
    canary = ("CANARY-" + uuid.uuid4().hex).encode()
    canary2 = ("CANARY2-" + uuid.uuid4().hex).encode()
    with open(os.path.join(base, "canary.txt"), "wb") as f:
        f.write(canary)
    os.mkdir(os.path.join(base, "outside"))
    with open(os.path.join(base, "outside", "canary2.txt"), "wb") as f:
        f.write(canary2)

    def w(rel, data):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)

    w("index.html", INDEX_HTML)
    w("hello.txt", b"hello, world\n")
    w("a.txt", b"AAAA file a\n")
    w("b.txt", b"BBBBBBBB file b\n")
    w("c.txt", b"C\n")
    w("a..b.txt", b"dots in the middle\n")
    w("...x", b"three dots\n")
    w("hello world.txt", b"space in name\n")
    w("%41.txt", b"literal percent name\n")
    w("style.css", b"body{color:red}\n")
    w("app.js", b"console.log(1);\n")
    w("data.json", b'{"a":1}\n')
    w("pic.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    w("pic.jpg", b"\xff\xd8\xff\xe0" + bytes(64))
    w("anim.gif", b"GIF89a" + bytes(16))
    w("doc.pdf", b"%PDF-1.4\n")
    w("icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    w("blob.xyz", b"unknown type\n")
    w("blob.unknownext", b"unknown type\n")
    w("noext", b"no extension\n")
    w("empty.txt", b"")
    w("sub/index.html", SUB_INDEX_HTML)
    w("sub/file.txt", b"file in sub\n")
    w("sub/deeper/x.txt", b"deep\n")
    w("sub/.secret", b"SECRET-IN-SUB\n")
    w("noindex/file.txt", b"no index here\n")
    w(".hidden", b"HIDDEN-FILE\n")
    w(".git/config", b"[core] HIDDEN-GIT\n")
    w(".dotdir/visible.txt", b"HIDDEN-DIR-FILE\n")
    os.mkdir(os.path.join(root, "a b"))
    with open(os.path.join(root, "a b", "index.html"), "wb") as f:
        f.write(b"space dir\n")
    os.mkdir(os.path.join(root, "evil\r\nX-Injected: 1"))
    # Symlinks: inside (relative) and escaping ones.
    os.symlink("index.html", os.path.join(root, "link_in.html"))
    os.symlink("sub", os.path.join(root, "dirlink_in"))
    os.symlink("../canary.txt", os.path.join(root, "link_out.txt"))
    os.symlink(os.path.join(base, "canary.txt"), os.path.join(root, "link_abs.txt"))
    os.symlink("../outside", os.path.join(root, "dirlink_out"))
    os.symlink(os.path.join(base, "outside"), os.path.join(root, "dirlink_abs"))
    os.symlink("/dev/null", os.path.join(root, "devnull"))
    os.mkfifo(os.path.join(root, "fifo"))
    return {"base": base, "root": root, "canary": canary, "canary2": canary2}


class Site:
    def __init__(self, d):
        self.__dict__.update(d)

    def read(self, rel):
        with open(os.path.join(self.root, rel), "rb") as f:
            return f.read()


@pytest.fixture
def site(tmp_path):
    s = Site(make_site(tmp_path))
    yield s
    # Unix sockets tests may have bound in the tree; nothing else to clean.


@pytest.fixture
def start_server(request, transport, http_version):
    """Factory: start_server(root, *extra_args, quiet=True, threads=2,
    wait=True, preexec_fn=None, tls=None). Every server it starts is stopped
    by PID at teardown; a server that crashed on a signal during the test
    fails the test. preexec_fn runs in the child before exec (e.g. to set
    rlimits). tls=True (or the TLS run of an over_tls test) adds the test
    certificate (ECDSA, localhost) and makes connect() speak TLS; tls=False
    never does."""
    servers = []

    def start(root, *extra, quiet=True, threads=2, wait=True, port=0, bind="127.0.0.1", positional=True,
              preexec_fn=None, env=None, stall=(), tls=None):
        args = ["--port", str(port), "--bind", bind]
        if threads is not None:
            args += ["--threads", str(threads)]
        if quiet:
            args.append("--quiet")
        ctx = None
        if tls is None:
            tls = transport == "tls"
        if tls:
            certs = request.getfixturevalue("tls_certs")
            if "--tls-cert" not in extra:
                args += certs.pair("ec")
            ctx = tls_client_context(certs)
        args += list(extra)
        if positional and root is not None:
            args.append(str(root))
        s = Server(root, args, env=env, preexec_fn=preexec_fn, stall=stall, tls=ctx,
                   h2=http_version == "2")
        if tls:
            s.tls_ca = certs.ca
        servers.append(s)
        if wait:
            s.wait_started()
        return s

    try:
        yield start
    finally:
        problems = []
        for s in servers:
            rc_before = s.proc.poll()
            if rc_before is not None and rc_before < 0 and not s.signalled:
                problems.append(f"eisd died on signal {-rc_before} during the test "
                                f"(args {s.args}); stderr={s.stderr_text()!r}")
            stopped_by_test = s._stopped or s.signalled
            rc = s.stop()
            # Every server that got to serve must also shut down cleanly on
            # SIGTERM: exit 0 within the grace period.
            if not stopped_by_test and rc_before is None and rc != 0:
                problems.append(f"eisd did not exit 0 on SIGTERM at teardown (status {rc}; "
                                f"-9 means it had to be killed); stderr={s.stderr_text()!r}")
        if problems:
            pytest.fail("\n".join(problems))


@pytest.fixture
def server(site, start_server):
    """eisd serving the standard test site, 2 threads, quiet."""
    return start_server(site.root)


@pytest.fixture(params=PATH_IMPLS)
def path_impl(request):
    """Each path implementation in turn ("openat2", "fallback"); pass
    env=path_impl_env(path_impl) to start_server."""
    return request.param


# --------------------------------------------------------------------------
# The echo and file services (eisd --protocol echo|file) and the eisc client


EISC_BIN = os.environ.get(
    "EISC_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "eisc"))

SERVICE_RE = re.compile(
    r"^eisd: (?:echo service|file service for (?P<root>.+)) on "
    r"(?P<host>\[[^\]]+\]|[^\s:/\[]+):(?P<port>\d+)(?: with TLS)? \((?P<threads>\d+) threads?\)$"
)


def wait_service_started(s, timeout=START_TIMEOUT):
    """Like Server.wait_started, for the startup line of the echo and file
    services ("eisd: echo service on HOST:PORT (N threads)", "eisd: file
    service for ROOT on HOST:PORT (N threads)"). Returns s."""
    return s.wait_started(timeout, pattern=SERVICE_RE)


@pytest.fixture
def start_service(start_server):
    """Factory: start_service(protocol, *extra_args, root=None, **kw) starts
    eisd --protocol PROTOCOL [extra_args] [ROOT] through start_server (same
    keyword arguments; stopped by PID at teardown) and waits for its
    startup line."""

    def start(protocol, *extra, root=None, **kw):
        s = start_server(root, "--protocol", protocol, *extra, wait=False, **kw)
        return wait_service_started(s)

    return start


def read_until(conn, delim, limit=1 << 20):
    """Reads from a Conn until delim arrives; returns everything up to and
    including it (the rest stays buffered). ConnectionClosed if the server
    closes first."""
    while True:
        idx = conn.buf.find(delim)
        if idx >= 0:
            out = bytes(conn.buf[:idx + len(delim)])
            del conn.buf[:idx + len(delim)]
            return out
        assert len(conn.buf) < limit, f"no {delim!r} in {len(conn.buf)} bytes"
        conn._fill()


@pytest.fixture
def eisc_bin():
    """Path of the eisc binary (EISC_BIN, default <repo>/eisc)."""
    assert os.path.exists(EISC_BIN), f"eisc binary not found at {EISC_BIN} (set EISC_BIN or run make)"
    return EISC_BIN


def run_eisc(args, stdin=b"", timeout=20):
    """Runs eisc with stdin from a pipe (so in pipe mode) to completion.
    Returns (exit status, stdout bytes, stderr text); the exit status is
    None when it was still running after timeout (then killed by PID)."""
    assert os.path.exists(EISC_BIN), f"eisc binary not found at {EISC_BIN}"
    rc, out, err = run_to_end([EISC_BIN] + list(args), stdin, timeout)
    return rc, out, err.decode("utf-8", "replace")
