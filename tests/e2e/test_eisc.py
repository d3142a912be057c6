"""eisc, the client: interactive on a terminal (driven here through a
pseudo-terminal), raw in pipe mode, and a clear message and exit status
for every failure."""

import errno
import fcntl
import os
import pty
import re
import select
import signal
import socket
import subprocess
import termios
import threading
import time

import pytest

from conftest import EISC_BIN, free_port, run_eisc

PROMPT = b"Enter message (or 'quit' to exit): "


class PtyClient:
    """eisc running on a pseudo-terminal that is its controlling terminal
    (so ^C from the "keyboard" is a real SIGINT). All output, with the
    terminal's CRLF turned back into LF, collects in self.out."""

    def __init__(self, args, env=None):
        assert os.path.exists(EISC_BIN), f"eisc binary not found at {EISC_BIN}"
        self.master, slave = pty.openpty()

        def controlling_tty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([EISC_BIN] + list(args), stdin=slave, stdout=slave,
                                     stderr=slave, preexec_fn=controlling_tty, close_fds=True,
                                     env=env)
        os.close(slave)
        self.out = b""
        self._cr = b""

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:   # the other side is gone
                return None
            raise
        if not data:
            return None
        # A CRLF may straddle two reads: keep a trailing CR for the next.
        data = self._cr + data
        self._cr = b"\r" if data.endswith(b"\r") else b""
        if self._cr:
            data = data[:-1]
        self.out += data.replace(b"\r\n", b"\n")
        return True

    def expect(self, pattern, timeout=10):
        """Waits until pattern (bytes, or a compiled bytes regex) is in the
        output; returns the output up to its end and drops that much."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(pattern, bytes):
                i = self.out.find(pattern)
                end = i + len(pattern) if i >= 0 else -1
            else:
                m = pattern.search(self.out)
                end = m.end() if m else -1
            if end >= 0:
                seen, self.out = self.out[:end], self.out[end:]
                return seen
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {pattern!r}; output so far {self.out!r}"
            if self._read(left) is None:
                assert False, f"eisc's terminal closed before {pattern!r}; output {self.out!r}"

    def type(self, data):
        os.write(self.master, data)

    def wait(self, timeout=10):
        """Exit status; drains the terminal meanwhile."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.05)
        while self._read(0.05):
            pass
        return self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))

    def close(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        try:
            os.close(self.master)
        except OSError:
            pass


@pytest.fixture
def tty_eisc(eisc_bin):
    clients = []

    def start(*args, env=None):
        c = PtyClient(args, env)
        clients.append(c)
        return c

    yield start
    for c in clients:
        c.close()


class FakeServer:
    """A TCP server on 127.0.0.1 whose behaviour a test scripts: handler(conn)
    runs in a thread for each accepted connection."""

    def __init__(self, handler):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.stop_flag = threading.Event()
        self.conns = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(10)
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handler(c)
        except OSError:
            pass

    def close(self):
        self.stop_flag.set()
        self.thread.join(timeout=5)
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


@pytest.fixture
def fake_server():
    servers = []

    def start(handler):
        s = FakeServer(handler)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


# ---------------------------------------------------------------- interactive

def test_interactive_echo_session(start_service, tty_eisc):
    s = start_service("echo")
    c = tty_eisc("-p", str(s.port))
    assert c.expect(PROMPT) == f"Connected to 127.0.0.1:{s.port}\n".encode() + PROMPT
    c.type(b"hello\n")
    # The terminal echoes the typed line; then the reply, then a new prompt.
    assert c.expect(PROMPT) == b"hello\nServer: Echo: hello\n" + PROMPT
    c.type("grüße ✓\n".encode())
    assert c.expect(PROMPT) == "grüße ✓\nServer: Echo: grüße ✓\n".encode() + PROMPT
    c.type(b"\n")   # an empty line is not sent: just a new prompt
    assert c.expect(PROMPT) == b"\n" + PROMPT
    c.type(b"quit\n")
    assert c.expect(b"Connection closed\n") == b"quit\nConnection closed\n"
    assert c.wait() == 0
    assert c.out == b""


def test_interactive_file_service_multiline_and_long_reply(site, start_service, tty_eisc):
    text = "".join(f"line {i:05d} of a long text file\n" for i in range(4000)).encode()
    with open(os.path.join(site.root, "long.txt"), "wb") as f:
        f.write(text)
    s = start_service("file", root=site.root)
    # A generous gap: a busy machine must not split the long reply.
    c = tty_eisc("-p", str(s.port), "--gap", "1000")
    c.expect(PROMPT)
    c.type(b"index.html\n")
    index = site.read("index.html")
    assert c.expect(PROMPT) == b"index.html\nServer: " + index + PROMPT
    c.type(b"nope\n")
    assert c.expect(PROMPT) == b"nope\nServer: ERROR: File 'nope' not found\n" + PROMPT
    # About 130 KB: many reads, printed whole as one reply.
    c.type(b"long.txt\n")
    assert c.expect(PROMPT, timeout=20) == b"long.txt\nServer: " + text + PROMPT
    c.type(b"quit\n")
    c.expect(b"Connection closed\n")
    assert c.wait() == 0


def test_interactive_end_of_input_closes(start_service, tty_eisc):
    s = start_service("echo")
    c = tty_eisc("-p", str(s.port))
    c.expect(PROMPT)
    c.type(b"\x04")   # ^D at the start of a line: end of input
    assert c.expect(b"Connection closed\n") == b"\nConnection closed\n"
    assert c.wait() == 0


def test_interactive_ctrl_c_closes_cleanly(start_service, tty_eisc):
    s = start_service("echo")
    c = tty_eisc("-p", str(s.port))
    c.expect(PROMPT)
    c.type(b"abc\n")
    c.expect(PROMPT)
    c.type(b"\x03")   # ^C: SIGINT from the terminal
    c.expect(b"Connection closed\n")
    assert c.wait() == 0
    assert b"Traceback" not in c.out and b"Server closed" not in c.out


def test_interactive_request_timed_out_session_continues(fake_server, tty_eisc):
    lines = []

    def silent_then_answer(conn):
        f = conn.makefile("rb")
        lines.append(f.readline())          # first line: no answer at all
        lines.append(f.readline())
        conn.sendall(b"late but fine\n")    # second line: answered
        f.readline()

    srv = fake_server(silent_then_answer)
    c = tty_eisc("-p", str(srv.port), "--timeout", "1")
    c.expect(PROMPT)
    c.type(b"anyone?\n")
    assert c.expect(PROMPT, timeout=10) == b"anyone?\nRequest timed out\n" + PROMPT
    c.type(b"again\n")
    assert c.expect(PROMPT) == b"again\nServer: late but fine\n" + PROMPT
    assert lines == [b"anyone?\n", b"again\n"]
    c.type(b"quit\n")
    c.expect(b"Connection closed\n")
    assert c.wait() == 0


def test_interactive_server_closes_while_idle(fake_server, tty_eisc):
    gate = threading.Event()

    def close_on_signal(conn):
        gate.wait(10)
        conn.close()

    srv = fake_server(close_on_signal)
    c = tty_eisc("-p", str(srv.port))
    c.expect(PROMPT)
    gate.set()
    # Noticed at the prompt, without typing anything.
    assert c.expect(b"Server closed connection\n") == b"\nServer closed connection\n"
    assert c.wait() == 1


def test_interactive_server_closes_instead_of_answering(fake_server, tty_eisc):
    def read_then_close(conn):
        conn.makefile("rb").readline()
        conn.close()

    srv = fake_server(read_then_close)
    c = tty_eisc("-p", str(srv.port))
    c.expect(PROMPT)
    c.type(b"hello\n")
    assert c.expect(b"Server closed connection\n") == b"hello\nServer closed connection\n"
    assert c.wait() == 1


def test_interactive_reply_in_pieces_is_one_reply(fake_server, tty_eisc):
    """The reply ends after a quiet --gap; shorter pauses inside a reply do
    not split it, longer ones do. (A wide margin on both sides, so a busy
    machine cannot blur them.)"""

    def pieces(conn):
        f = conn.makefile("rb")
        f.readline()
        for part in (b"one ", b"two ", b"three\n"):
            conn.sendall(part)
            time.sleep(0.05)
        f.readline()
        conn.sendall(b"first")
        time.sleep(2.5)
        conn.sendall(b"second\n")
        f.readline()

    srv = fake_server(pieces)
    c = tty_eisc("-p", str(srv.port), "--gap", "800")
    c.expect(PROMPT)
    c.type(b"x\n")
    assert c.expect(PROMPT) == b"x\nServer: one two three\n" + PROMPT
    c.type(b"y\n")
    # "first" is a reply of its own; "second" arrives at the prompt later
    # and is shown as a reply too.
    assert c.expect(PROMPT) == b"y\nServer: first\n" + PROMPT
    assert c.expect(PROMPT) == b"\nServer: second\n" + PROMPT
    c.type(b"quit\n")
    c.expect(b"Connection closed\n")
    assert c.wait() == 0


def test_interactive_control_characters_are_shown_not_obeyed(fake_server, tty_eisc):
    def evil(conn):
        conn.makefile("rb").readline()
        conn.sendall(b"\x1b]0;pwned\x07\x1b[2Jok\tdone\n")
        conn.makefile("rb").readline()

    srv = fake_server(evil)
    c = tty_eisc("-p", str(srv.port))
    c.expect(PROMPT)
    c.type(b"x\n")
    assert c.expect(PROMPT) == b"x\nServer: ^[]0;pwned^G^[[2Jok\tdone\n" + PROMPT


def shown(data, utf8):
    """What eisc shows on a terminal for reply bytes: C0 but tab and newline
    as ^X, DEL as ^?, C1 controls (a raw byte 0x80-0x9F, or U+0080-U+009F
    in UTF-8 on a UTF-8 terminal) as M-^X; everything else unchanged."""
    def ctl(b):
        return (b"M-" if b >= 0x80 else b"") + b"^" + (b"?" if b == 0x7f else bytes([(b & 0x7f) + 64]))
    out, i = b"", 0
    text = data.decode("utf-8", "surrogateescape") if utf8 else None
    if utf8:
        for ch in text:
            o = ord(ch)
            if 0xdc80 <= o <= 0xdcff:            # a byte that is not UTF-8
                b = o - 0xdc00
                out += ctl(b) if b <= 0x9f else bytes([b])
            elif (o < 0x20 and ch not in "\t\n") or 0x7f <= o <= 0x9f:
                out += ctl(o)
            else:
                out += ch.encode()
        return out
    for b in data:
        out += ctl(b) if (b < 0x20 and b not in (9, 10)) or 0x7f <= b <= 0x9f else bytes([b])
    return out


# Every C0 control (CR too), DEL, the raw C1 bytes, the C1 controls in
# UTF-8, then text a UTF-8 terminal shows as is: an accent, a quotation
# mark whose UTF-8 bytes include 0x80 and 0x9C, and a stray byte.
CONTROLS = (bytes(b for b in range(0x20) if b not in (9, 10)) + b"\x7f"
            + bytes(range(0x80, 0xa0))
            + "".join(chr(c) for c in range(0x80, 0xa0)).encode()
            + "caf\u00e9 \u201cq\u201d".encode() + b" \xc2x \xe2\x9b.\n")


@pytest.mark.parametrize("locale,utf8", [("C.UTF-8", True), ("C", False)])
def test_interactive_every_control_character_is_escaped(fake_server, tty_eisc, locale, utf8):
    def evil(conn):
        conn.makefile("rb").readline()
        conn.sendall(b"<" + CONTROLS)
        conn.makefile("rb").readline()

    srv = fake_server(evil)
    env = dict(os.environ, LC_ALL=locale)
    c = tty_eisc("-p", str(srv.port), env=env)
    c.expect(PROMPT)
    c.type(b"x\n")
    got = c.expect(PROMPT)
    assert got == b"x\nServer: <" + shown(CONTROLS, utf8) + PROMPT
    # Spelled out for a few, so the helper above cannot hide a mistake.
    assert b"^@^A" in got and b"^M" in got and b"^[^\\^]^^^_^?M-^@M-^A" in got
    assert b"\x1b" not in got and b"\r" not in got and b"\x9b" not in got
    if utf8:
        assert b"^_^?M-^@" in got and "caf\u00e9 \u201cq\u201d".encode() in got
        assert b" \xc2x \xe2M-^[." in got
    else:
        assert b"caf\xc3\xa9 \xe2M-^@M-^\\q" in got


def test_interactive_c1_control_split_across_reads_is_escaped(fake_server, tty_eisc):
    """U+009B (CSI) whose two UTF-8 bytes arrive in separate reads."""
    second = threading.Event()

    def evil(conn):
        conn.makefile("rb").readline()
        conn.sendall(b"before\xc2")
        assert second.wait(10)
        conn.sendall(b"\x9b2Jafter\n")
        conn.makefile("rb").readline()

    srv = fake_server(evil)
    c = tty_eisc("-p", str(srv.port), "--gap", "3000", env=dict(os.environ, LC_ALL="C.UTF-8"))
    c.expect(PROMPT)
    c.type(b"x\n")
    c.expect(b"Server: before")
    second.set()
    assert c.expect(PROMPT) == b"M-^[2Jafter\n" + PROMPT


# ---------------------------------------------------------------- pipe mode

def test_pipe_mode_fetches_binary_file_byte_exact(site, start_service, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 3)
    with open(os.path.join(site.root, "blob.bin"), "wb") as f:
        f.write(data)
    s = start_service("file", root=site.root)
    rc, out, err = run_eisc(["-p", str(s.port), "--gap", "1000"], stdin=b"blob.bin\n")
    assert rc == 0, err
    assert err == ""
    assert out == data


def test_pipe_mode_shell_redirect_like_the_readme(site, start_service, tmp_path):
    s = start_service("file", root=site.root)
    out = tmp_path / "out"
    r = subprocess.run(f"printf 'pic.png\\n' | {EISC_BIN} -p {s.port} > {out}", shell=True,
                       timeout=20, capture_output=True)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == site.read("pic.png")


def test_pipe_mode_several_lines_raw(site, start_service):
    s = start_service("file", root=site.root)
    rc, out, err = run_eisc(["-p", str(s.port)], stdin=b"a.txt\nnope\nc.txt")
    assert rc == 0, err
    # No prompts, no "Server:"; a last line without newline still counts.
    assert out == b"AAAA file a\nERROR: File 'nope' not found\nC\n"
    assert err == ""


def test_pipe_mode_echo(start_service):
    s = start_service("echo")
    rc, out, err = run_eisc(["-p", str(s.port)], stdin="one\ntwo ✓\n\nthree\n".encode())
    assert rc == 0, err
    assert out == "Echo: one\nEcho: two ✓\nEcho: \nEcho: three\n".encode()


def test_pipe_mode_timeout_reported_and_exit_1(fake_server):
    def never(conn):
        f = conn.makefile("rb")
        f.readline()
        f.readline()
        conn.sendall(b"second answered\n")
        f.readline()

    srv = fake_server(never)
    rc, out, err = run_eisc(["-p", str(srv.port), "--timeout", "0.5"], stdin=b"first\nsecond\n")
    assert out == b"second answered\n"
    assert err == "Request timed out\n"
    assert rc == 1


def test_ipv6_host(start_service):
    s = start_service("echo", bind="::1")
    rc, out, err = run_eisc(["-H", "::1", "-p", str(s.port)], stdin=b"over six\n")
    assert rc == 0, err
    assert out == b"Echo: over six\n"


def test_ipv6_connected_line(start_service, tty_eisc):
    s = start_service("echo", bind="::1")
    c = tty_eisc("-H", "::1", "-p", str(s.port))
    assert c.expect(PROMPT) == f"Connected to [::1]:{s.port}\n".encode() + PROMPT
    c.type(b"quit\n")
    assert c.wait() == 0


# ---------------------------------------------------------------- failures

def test_refused(tty_eisc):
    port = free_port()
    c = tty_eisc("-p", str(port))
    assert c.expect(b"\n") == f"Could not connect to 127.0.0.1:{port} - server not running?\n".encode()
    assert c.wait() == 1


def test_refused_pipe_mode_message_on_stderr():
    port = free_port()
    rc, out, err = run_eisc(["-p", str(port)], stdin=b"x\n")
    assert rc == 1
    assert out == b""
    assert err == f"Could not connect to 127.0.0.1:{port} - server not running?\n"


def test_refused_ipv6():
    port = free_port()
    rc, out, err = run_eisc(["-H", "::1", "-p", str(port)], stdin=b"")
    assert rc == 1
    assert err == f"Could not connect to [::1]:{port} - server not running?\n"


def test_connect_timeout():
    """A listener whose accept queue is full drops new SYNs: connect()
    hangs until eisc gives up."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            f = socket.socket()
            f.setblocking(False)
            try:
                f.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(f)
        time.sleep(0.2)
        t0 = time.monotonic()
        rc, out, err = run_eisc(["-p", str(port), "--timeout", "1"], stdin=b"x\n")
        took = time.monotonic() - t0
        assert rc == 1, (rc, err)
        assert err == f"Connection to 127.0.0.1:{port} timed out\n"
        assert took >= 0.9, "gave up before the timeout"
    finally:
        for f in fillers:
            f.close()
        lst.close()


def test_server_closed_pipe_mode(fake_server):
    def read_then_close(conn):
        conn.makefile("rb").readline()
        conn.close()

    srv = fake_server(read_then_close)
    rc, out, err = run_eisc(["-p", str(srv.port)], stdin=b"hello\nmore\n")
    assert rc == 1
    assert err == "Server closed connection\n"


def test_unknown_host():
    # A label over 63 bytes is refused by the resolver itself, so no DNS
    # query leaves the machine.
    host = "x" * 70 + ".invalid"
    rc, out, err = run_eisc(["-H", host, "-p", "9"], stdin=b"")
    assert rc == 1
    assert re.match(rf"^Unknown host {host} - .+\n$", err), err
    assert out == b""


@pytest.mark.parametrize("args", [
    ["--bogus"], ["-x"], ["-p"], ["-p", "0"], ["-p", "65536"], ["-p", "http"],
    ["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "soon"], ["--timeout", "nan"],
    ["--gap", "0"], ["-H", ""], ["extra"],
], ids=lambda a: " ".join(a) or "empty")
def test_usage_errors_exit_2(args):
    rc, out, err = run_eisc(args, stdin=b"")
    assert rc == 2, (rc, err)
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("eisc: "), lines
    assert lines[1] == "usage: eisc [-H HOST] [-p PORT] [--timeout SEC] [--gap MS]"
    assert out == b""


def test_help_and_version():
    rc, out, err = run_eisc(["--help"])
    assert rc == 0 and err == ""
    text = out.decode()
    for opt in ("--host", "--port", "--timeout", "--gap", "usage: eisc"):
        assert opt in text
    rc, out, err = run_eisc(["--version"])
    assert rc == 0
    assert re.match(rb"^eisc \d+\.\d+\S*\n$", out), out
