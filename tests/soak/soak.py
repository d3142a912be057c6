#!/usr/bin/python3
"""Soak test: for SOAK_SECONDS (default 60) eisd takes, all at once,
  - a steady load of normal requests from wrk (and a checker that verifies
    the bytes of a page every 0.2 s),
  - 300 slowloris connections trickling a header byte every 0.5 s
    (reconnecting when dropped),
  - clients that abort 10 MiB downloads at a random point (FIN or RST),
  - clients that send random garbage,
  - clients opening and closing connections as fast as they can,
  - an access log (stdout) and a stderr that nobody reads (pipes held open,
    never read), with a SIGUSR1 status report asked for every 50 ms,
  - a client pipelining HEADs of a 20,000-entry directory listing, and 20
    clients that ask for a capped 2 MiB listing page and never read it.
  - HTTP/2 (h2c, or h2 by ALPN over TLS): a checker verifying every byte
    over many streams, and hostile HTTP/2 clients (rapid resets, PING
    floods, zero-window stalls, garbage after the preface, streams reset
    mid-download).
With SOAK_TLS=1 the same runs over TLS (eisd with a throw-away
certificate; make soak runs both): the slowloris clients then trickle a
ClientHello (stalled handshakes), the garbage clients send it to the TLS
layer, and a handshake storm adds full handshakes as fast as they go (the
unread log and the listing attackers run in the plain soak only).
Pass: zero failed normal requests (wrk: no non-2xx/3xx, no socket errors;
checker: every body right), slowloris connections answered 408 once the
header deadline (a third of the run, at most 10 s) passes, and after a settle period the server's open
descriptors and RSS are back at their starting level (small tolerance),
and the process is alive and answering.

Run: make soak, or SOAK_SECONDS=15 /usr/bin/python3 tests/soak/soak.py (EISD_BIN
names the binary; default ./eisd of this tree).
Every load loop is bounded by the deadline; the server is stopped by PID."""

import errno
import json
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("EISD_BIN", os.path.normpath(os.path.join(HERE, "..", "..", "eisd")))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from conftest import EISD_BIN, Conn, Server, make_site, req, tls_client_context  # noqa: E402

# SOAK_TLS=1: the whole soak over TLS. TLS_CTX is the clients' context.
SOAK_TLS = os.environ.get("SOAK_TLS") == "1"
TLS_CTX = None


def conn(port, **kw):
    """A client connection, in TLS when the soak is."""
    return Conn(port, tls=TLS_CTX, **kw)

MIB = 1024 * 1024
SLOWLORIS = 300
BIG_DIR_ENTRIES = 20000
LISTING_HOARDERS = 20
PEAK_RSS_MARGIN = 96 * MIB  # 20 unread copies of the uncapped page would pass it
SETTLE_SECONDS = 20
RSS_TOLERANCE = 1 * MIB  # allocator slack: arenas keep some freed memory
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(msg):
    print(f"soak: {msg}", flush=True)


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fds_by_kind(pid, root):
    """(descriptors of files under root, by file; all the others). The
    files are what the workers' open-file caches keep: each worker may
    keep each file it served open once, for good."""
    files, others = {}, 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(root + "/"):
            files[target] = files.get(target, 0) + 1
        else:
            others += 1
    return files, others


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


class Load:
    """Shared deadline, counters and failures of the load threads."""

    def __init__(self, port, seconds):
        self.port = port
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []

    def running(self):
        return time.monotonic() < self.deadline

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)


def checker(load, expect):
    """A normal client that checks every byte, on a keep-alive connection
    renewed now and then."""
    while load.running():
        try:
            with conn(load.port, timeout=10) as c:
                for _ in range(20):
                    if not load.running():
                        break
                    c.send(req("/index.html"))
                    r = c.read_response()
                    if r.status != 200 or r.body != expect:
                        load.fail(f"checker: {r.status} {r.body[:60]!r}")
                    else:
                        load.count("checker ok")
                    time.sleep(0.2)
        except Exception as e:
            load.fail(f"checker: {e!r}")


def slowloris(load):
    sel = selectors.DefaultSelector()
    conns = {}
    head = b"GET / HTTP/1.1\r\nHost: soak\r\n" + b"X-Drip: 1\r\n" * 400
    if SOAK_TLS:
        head = client_hello()

    def open_one():
        sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sk.setblocking(False)
        try:
            sk.connect(("127.0.0.1", load.port))
        except BlockingIOError:
            pass
        except OSError:
            sk.close()
            return
        conns[sk] = 0
        sel.register(sk, selectors.EVENT_READ)
        load.count("slowloris connections")

    def drop(sk):
        sel.unregister(sk)
        del conns[sk]
        sk.close()

    try:
        for _ in range(SLOWLORIS):
            open_one()
        next_drip = time.monotonic()
        while load.running():
            for key, _ in sel.select(timeout=0.05):
                sk = key.fileobj
                try:
                    chunk = sk.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if chunk.startswith(b"HTTP/1.1 408 "):
                    load.count("slowloris 408")
                if not chunk:
                    load.count("slowloris closed")
                    drop(sk)
                    if load.running():
                        open_one()
            if time.monotonic() >= next_drip:
                next_drip += 0.5
                for sk, pos in list(conns.items()):
                    try:
                        sk.send(head[pos % len(head):pos % len(head) + 1])
                        conns[sk] = pos + 1
                    except (BlockingIOError, OSError):
                        pass
    finally:
        for sk in list(conns):
            sk.close()
        sel.close()


def aborter(load, size, seed):
    rnd = random.Random(seed)
    buf = bytearray(256 * 1024)
    while load.running():
        try:
            c = conn(load.port, timeout=10)
            try:
                c.send(req("/big.bin"))
                stop_at = rnd.randrange(0, size)
                got = 0
                while got < stop_at and load.running():
                    k = c.sock.recv_into(buf, min(len(buf), stop_at - got))
                    if k == 0:
                        load.fail("aborter: server closed a download early")
                        break
                    got += k
                if rnd.random() < 0.5:
                    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                load.count("aborted downloads")
            finally:
                c.close()
        except Exception as e:
            load.fail(f"aborter: {e!r}")


def garbage(load, seed):
    rnd = random.Random(seed)
    while load.running():
        try:
            with Conn(load.port, timeout=5) as c:
                n = rnd.choice([1, 7, 100, 1000, 5000, 20000])
                data = bytes(rnd.getrandbits(8) for _ in range(n))
                if rnd.random() < 0.3:
                    data = b"GET /" + data  # start like a request
                try:
                    c.send(data)
                    c.sock.shutdown(socket.SHUT_WR)
                    while c.sock.recv(65536):
                        pass
                except (ConnectionResetError, BrokenPipeError):
                    pass
                except OSError as e:
                    # TLS refuses garbage after its first bytes and may
                    # reset before this client is done talking.
                    if e.errno != errno.ENOTCONN:
                        raise
                load.count("garbage clients")
        except socket.timeout:
            load.fail("garbage: no answer or close within 5 s")
        except Exception as e:
            load.fail(f"garbage: {e!r}")


def client_hello():
    """The first flight of a real TLS client (for the slowloris drip)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = TLS_CTX.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def handshake_storm(load):
    """Full TLS handshakes back to back (a fresh session each), some
    abandoned right after the ClientHello."""
    rnd = random.Random(5)
    while load.running():
        try:
            if rnd.random() < 0.3:
                sk = socket.create_connection(("127.0.0.1", load.port), timeout=5)
                sk.sendall(client_hello())
                sk.close()
                load.count("abandoned handshakes")
                continue
            with socket.create_connection(("127.0.0.1", load.port), timeout=5) as sk:
                with TLS_CTX.wrap_socket(sk, server_hostname="localhost"):
                    load.count("full handshakes")
        except Exception as e:
            load.fail(f"handshake storm: {e!r}")


def churn(load, seed):
    rnd = random.Random(seed)
    while load.running():
        try:
            sk = socket.create_connection(("127.0.0.1", load.port), timeout=5)
            r = rnd.random()
            if r < 0.3:
                sk.send(b"GET /index.html HTTP/1.1\r\nHo")
            elif r < 0.5:
                sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sk.close()
            load.count("churned connections")
        except Exception as e:
            load.fail(f"churn: {e!r}")


def head_pipeliner(load):
    """Pipelines HEAD /big/ in batches of 100, reading every answer."""
    batch = req("/big/", method="HEAD") * 100
    while load.running():
        try:
            with Conn(load.port, timeout=10) as c:
                for _ in range(20):
                    if not load.running():
                        break
                    c.send(batch)
                    for _ in range(100):
                        r = c.read_response(head=True)
                        if r.status != 200:
                            load.fail(f"head pipeliner: {r.status}")
                    load.count("pipelined listing HEADs", 100)
        except Exception as e:
            load.fail(f"head pipeliner: {e!r}")


def listing_hoarders(load):
    """Clients that ask for a big listing page and never read it; one that
    the send deadline drops is replaced."""
    conns = []
    try:
        while load.running():
            while len(conns) < LISTING_HOARDERS and load.running():
                c = Conn(load.port, timeout=10, rcvbuf=4096)
                c.send(req("/huge/"))
                conns.append(c)
                load.count("unread listings")
            time.sleep(0.5)
            for c in list(conns):
                c.sock.setblocking(False)
                try:
                    if c.sock.recv(1, socket.MSG_PEEK) == b"":
                        conns.remove(c)
                        c.close()
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    conns.remove(c)
                    c.close()
                c.sock.setblocking(True)
    except Exception as e:
        load.fail(f"listing hoarders: {e!r}")
    finally:
        for c in conns:
            c.close()


def report_storm(load, server):
    """SIGUSR1 every 50 ms while stderr is not read: each report must be
    dropped rather than block the thread that takes signals."""
    while load.running():
        server.send_signal(signal.SIGUSR1)
        load.count("status reports asked")
        time.sleep(0.05)


def status_json(port):
    with Conn(port) as c:
        c.send(req("/_status?format=json"))
        r = c.read_response()
        assert r.status == 200, r
        return json.loads(r.body)
def h2checker(load, expect):
    """A normal HTTP/2 client: 8 streams at a time, every byte checked."""
    import h2client
    while load.running():
        try:
            with h2client.H2Client(load.port, timeout=10, tls=TLS_CTX) as c:
                for _ in range(10):
                    if not load.running():
                        break
                    sids = [c.request("/index.html") for _ in range(8)]
                    for sid in sids:
                        r = c.response(sid)
                        if r.status != 200 or bytes(r.body) != expect:
                            load.fail(f"h2checker: {r.status} reset={r.reset} {bytes(r.body)[:60]!r}")
                        else:
                            load.count("h2 checker ok")
                    time.sleep(0.2)
        except Exception as e:
            load.fail(f"h2checker: {e!r}")


def h2attacker(load, seed):
    """Hostile HTTP/2 clients, one kind at a time; the server may answer
    GOAWAY and close, it must never stall the others or grow."""
    import h2client
    from h2client import CANCEL, PING, RST_STREAM, RawH2, frame, request_fields
    rnd = random.Random(seed)
    while load.running():
        kind = rnd.choice(["rapid-reset", "ping-flood", "stall", "garbage", "abort"])
        try:
            settings = struct.pack(">HI", 4, 0) if kind == "stall" else b""
            with RawH2(load.port, timeout=5, settings=settings, tls=TLS_CTX) as c:
                if kind == "rapid-reset":
                    c.send(b"".join(c.headers(1 + 2 * i, request_fields("/index.html"))
                                    + frame(RST_STREAM, 0, 1 + 2 * i, CANCEL.to_bytes(4, "big"))
                                    for i in range(300)))
                elif kind == "ping-flood":
                    c.send(b"".join(frame(PING, 0, 0, i.to_bytes(8, "big")) for i in range(3000)))
                elif kind == "stall":
                    c.send(c.headers(1, request_fields("/big.bin")))
                    c.read_some(1.0)
                elif kind == "garbage":
                    c.send(bytes(rnd.getrandbits(8) for _ in range(rnd.choice([9, 100, 5000]))))
                else:
                    c.send(c.headers(1, request_fields("/big.bin")))
                    c.wait(lambda c: len(c.frames) > 5, timeout=2)
                    c.send(frame(RST_STREAM, 0, 1, CANCEL.to_bytes(4, "big")))
                c.wait(lambda c: c.goaway() is not None, timeout=1)
                load.count(f"h2 {kind}")
        except (OSError, socket.timeout):
            load.count(f"h2 {kind}")
        except Exception as e:
            load.fail(f"h2attacker {kind}: {e!r}")


def run_wrk(port, seconds, out):
    """wrk for the whole run; returns its stdout."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("soak: wrk not found (apt-get install wrk)")
    scheme = "https" if SOAK_TLS else "http"
    p = subprocess.run([wrk, "-t1", "-c16", f"-d{seconds}s", "--timeout", "5s",
                        f"{scheme}://127.0.0.1:{port}/index.html"],
                       capture_output=True, text=True, timeout=seconds + 30)
    out.append(p)


def wrk_failures(text):
    """(requests, non-2xx/3xx, socket errors) from wrk's report."""
    m = re.search(r"^\s*(\d+) requests in ", text, re.M)
    requests = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = sum(int(x) for x in m.groups()) if m else 0
    return requests, bad, errors


def warm_up(port, expect, big):
    """Touch every code path once so lazily grown state exists before the
    baseline is taken."""
    for _ in range(3):
        with conn(port) as c:
            c.send(req("/index.html"))
            assert c.read_response().body == expect
    with conn(port, timeout=30) as c:
        c.send(req("/big.bin"))
        assert c.read_response().body_len == big
    # Compression on the fly: the helper thread (and its allocator arena)
    # and each coding's compressed copy exist before the baseline.
    for coding in ("zstd", "br", "gzip"):
        deadline = time.monotonic() + 10
        while True:
            with conn(port) as c:
                c.send(req("/index.html", headers=[("Accept-Encoding", coding)]))
                r = c.read_response()
            if r.headers.get("content-encoding") == coding or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    # HTTP/2: a session and its streams, once.
    import h2client
    with h2client.H2Client(port, timeout=10, tls=TLS_CTX) as c:
        sids = [c.request("/index.html") for _ in range(8)]
        for sid in sids:
            assert bytes(c.response(sid).body) == expect
    for data in (b"\x00\xff garbage\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n") + (
            (client_hello(),) if SOAK_TLS else ()):
        with Conn(port) as c:
            c.send(data)
            c.sock.shutdown(socket.SHUT_WR)
            try:
                while c.sock.recv(65536):
                    pass
            except ConnectionResetError:
                pass


def main():
    seconds = int(os.environ.get("SOAK_SECONDS", "60"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="eisd-soak-")
    server = None
    try:
        site = make_site(tmp)
        big = 10 * MIB
        with open(os.path.join(site["root"], "big.bin"), "wb") as f:
            f.write(os.urandom(big))
        with open(os.path.join(site["root"], "index.html"), "rb") as f:
            expect = f.read()
        os.mkdir(os.path.join(site["root"], "big"))
        for i in range(BIG_DIR_ENTRIES):
            os.close(os.open(os.path.join(site["root"], "big", f"f{i:06d}"), os.O_CREAT | os.O_WRONLY))
        os.mkdir(os.path.join(site["root"], "huge"))
        for i in range(2000):  # 4.6 MB of page uncapped
            os.close(os.open(os.path.join(site["root"], "huge", '"' * 244 + f"{i:06d}"),
                             os.O_CREAT | os.O_WRONLY))
        nthreads = 2
        tls_args = []
        if SOAK_TLS:
            global TLS_CTX
            import tlscerts
            certs = tlscerts.make_certs(os.path.join(tmp, "certs"))
            TLS_CTX = tls_client_context(certs)
            tls_args = certs.pair("ec")
        # The slowloris crowd must meet the header deadline within the run
        # (the default 10 s is longer than make test's 15 s soak): a third
        # of the run, 1 to 10 s.
        header_timeout = max(1, min(10, seconds // 3))
        # The access log is on, and neither it (stdout) nor stderr is
        # read after the startup line: a log nobody reads.
        server = Server(site["root"], ["--port", "0", "--bind", "127.0.0.1", "--threads", str(nthreads),
                                       "--header-timeout", str(header_timeout),
                                       "--status", "/_status", "--listing", *tls_args, site["root"]],
                        stall=("stdout", "stderr"), tls=TLS_CTX)
        server.wait_started()
        pid, port = server.pid, server.port
        warm_up(port, expect, big)
        time.sleep(2.5)  # lingering closes of the warm-up end
        base_fds, base_rss = fd_count(pid), rss_bytes(pid)
        root = os.path.realpath(site["root"])
        base_others = fds_by_kind(pid, root)[1]
        log(f"{seconds}s against pid {pid} port {port}: start {base_fds} fds, RSS {base_rss // 1024} KiB")

        load = Load(port, seconds)
        wrk_out = []
        threads = [threading.Thread(target=run_wrk, args=(port, seconds, wrk_out)),
                   threading.Thread(target=checker, args=(load, expect)),
                   threading.Thread(target=slowloris, args=(load,)),
                   threading.Thread(target=aborter, args=(load, big, 1)),
                   threading.Thread(target=aborter, args=(load, big, 2)),
                   threading.Thread(target=garbage, args=(load, 3)),
                   threading.Thread(target=churn, args=(load, 4)),
                   threading.Thread(target=h2checker, args=(load, expect)),
                   threading.Thread(target=h2attacker, args=(load, 5))]
        if SOAK_TLS:
            threads.append(threading.Thread(target=handshake_storm, args=(load,)))
        else:
            threads += [threading.Thread(target=report_storm, args=(load, server)),
                        threading.Thread(target=head_pipeliner, args=(load,)),
                        threading.Thread(target=listing_hoarders, args=(load,))]
        for t in threads:
            t.daemon = True
            t.start()
        peak_fds = peak_rss = 0
        while load.running():
            peak_fds = max(peak_fds, fd_count(pid))
            peak_rss = max(peak_rss, rss_bytes(pid))
            time.sleep(0.5)
        for t in threads:
            t.join(timeout=60)
        stuck = [t.name for t in threads if t.is_alive()]

        problems = list(load.failures[:10])
        if stuck:
            problems.append(f"load threads still running: {stuck}")
        if not wrk_out:
            problems.append("wrk did not finish")
        else:
            p = wrk_out[0]
            requests, bad, errors = wrk_failures(p.stdout)
            log(f"wrk: {requests} requests, {bad} non-2xx/3xx, {errors} socket errors")
            if p.returncode != 0 or requests == 0:
                problems.append(f"wrk failed: rc {p.returncode} {p.stdout!r} {p.stderr!r}")
            if bad or errors:
                problems.append(f"wrk: {bad} failed responses, {errors} socket errors:\n{p.stdout}")
        log("load: " + ", ".join(f"{k} {v}" for k, v in sorted(load.counts.items())))
        log(f"peak: {peak_fds} fds, RSS {peak_rss // 1024} KiB")
        if peak_rss > base_rss + PEAK_RSS_MARGIN:
            problems.append(f"peak RSS {peak_rss // MIB} MiB, more than {PEAK_RSS_MARGIN // MIB} MiB "
                            f"over the start ({base_rss // MIB} MiB)")
        for what in ("checker ok", "slowloris connections", "aborted downloads", "garbage clients",
                     "churned connections") + (("full handshakes", "abandoned handshakes")
                                               if SOAK_TLS else ("status reports asked",
                                                                 "pipelined listing HEADs",
                                                                 "unread listings")):
            if not load.counts.get(what):
                problems.append(f"no {what}: the load did not run")
        if not SOAK_TLS:
            st = status_json(port)
            log(f"unread log: {st['log_lines_dropped']} access-log lines and "
                f"{st['stderr_messages_dropped']} stderr messages dropped")
            if not st["log_lines_dropped"] or not st["stderr_messages_dropped"]:
                problems.append("the unread log attacker did not fill the pipes")
        # Slowloris connections that trickle past the header deadline must
        # be answered 408 Request Timeout, not just dropped; over TLS their
        # handshake never ends, so they are closed without a word.
        if SOAK_TLS and not load.counts.get("slowloris closed"):
            problems.append(f"no stalled handshake closed (--header-timeout {header_timeout}, "
                            f"{seconds} s run)")
        elif not SOAK_TLS and not load.counts.get("slowloris 408"):
            problems.append(f"no 408 for any slowloris connection (--header-timeout {header_timeout}, "
                            f"{seconds} s run)")

        # Settle: everything the load opened must be let go, but for the
        # files the workers' caches keep (at most one per file and worker;
        # the warm-up may not have reached every worker).
        def settled():
            files, others = fds_by_kind(pid, root)
            return others <= base_others and all(n <= nthreads for n in files.values())
        t0 = time.monotonic()
        while time.monotonic() - t0 < SETTLE_SECONDS:
            if settled() and rss_bytes(pid) <= base_rss + RSS_TOLERANCE:
                break
            time.sleep(0.25)
        fds, rss = fd_count(pid), rss_bytes(pid)
        files, others = fds_by_kind(pid, root)
        log(f"after {time.monotonic() - t0:.1f}s settling: {fds} fds ({sum(files.values())} "
            f"cached files), RSS {rss // 1024} KiB")
        if others > base_others:
            problems.append(f"descriptors other than cached files: {base_others} before, "
                            f"{others} after the load")
        over = {f: n for f, n in files.items() if n > nthreads}
        if over:
            problems.append(f"files open more often than once per worker after the load: {over}")
        # AddressSanitizer's allocator keeps freed memory in quarantine:
        # RSS says nothing about eisd there (descriptors still count).
        with open(EISD_BIN, "rb") as f:
            sanitized = b"__asan_init" in f.read()
        if rss > base_rss + RSS_TOLERANCE and not sanitized:
            problems.append(f"RSS: {base_rss // 1024} KiB before, {rss // 1024} KiB after the load")
        if not server.alive():
            problems.append(f"server died: {server.proc.returncode} {server.stderr_text()!r}")
        else:
            with conn(port) as c:
                c.send(req("/index.html"))
                r = c.read_response()
                if r.status != 200 or r.body != expect:
                    problems.append(f"not answering after the load: {r!r}")
        t_stop = time.monotonic()
        rc = server.stop()
        took = time.monotonic() - t_stop
        log(f"SIGTERM with stdout and stderr unread: exit {rc} in {took:.2f}s")
        if took > 5 + 1:  # --shutdown-grace (default 5) + 1 s
            problems.append(f"SIGTERM took {took:.1f}s with the log unread")
        if rc != 0:
            problems.append(f"exit status {rc} after SIGTERM; stderr {server.stderr_text()!r}")
        if problems:
            for p in problems:
                log("FAIL: " + p)
            return 1
        log("PASS")
        return 0
    finally:
        if server is not None:
            server.stop(sig=signal.SIGTERM)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
