#!/usr/bin/python3
"""eisd against nginx, lighttpd and h2o, side by side, on this machine.

Every server runs with one worker pinned to CPU 0; wrk (one thread; h2load
for the HTTP/2 scenarios) runs pinned to CPU 1; everything is on loopback with ephemeral ports. For each
run the bench records throughput, the server's CPU time per request
(utime+stime of all its processes from /proc/PID/stat), the server's and
the client's core utilisation, latency percentiles and errors. Rounds
interleave the servers. The fairness scenario measures a paced wrk
(bench/paced.lua) alone and beside one greedy pipeliner (bench/pipeliner.c,
built here with cc). Output: bench/results/latest.{md,json,png}.

Usage: /usr/bin/python3 bench/run.py [--duration S] [--rounds N]
       [--servers eisd,nginx,lighttpd,h2o] [--scenarios a,b] [--no-log-pass]
       [--out DIR] [--eisd PATH]

Only the standard library is used. Every server is stopped by PID in a
finally block; every wait is bounded."""

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import re
import resource
import select
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

SERVER_CPU = "0"
CLIENT_CPU = "1"
START_TIMEOUT = 10.0
STOP_GRACE = 5.0
IDLE_CONNS = 10000

FILES = {
    "small": ("index.html", 1024),
    "medium": ("medium.bin", 64 * 1024),
    "large": ("large.bin", 10 * 1024 * 1024),
    "js": ("app.js", 200 * 1024),
}

# name -> (file, connections, extra wrk headers, unit)
SCENARIOS = {
    "small-keepalive": ("small", 64, [], "req/s"),
    "small-close": ("small", 64, ["Connection: close"], "req/s"),
    "medium": ("medium", 64, [], "req/s"),
    "large": ("large", 8, [], "MiB/s"),
    "idle": ("small", IDLE_CONNS, [], "KiB/conn"),
    # A legitimate client (wrk, 4 connections, each pausing
    # FAIR_PAUSE_MS between its requests) alone, then beside one greedy
    # pipeliner (bench/pipeliner.c) on the same worker: its p99 with the
    # pipeliner against its p99 alone (target: within FAIR_TARGET times).
    "fairness": ("small", 4, [], "p99 ×"),
    # The same over TLS (ECDSA P-256 certificate, same suites and session
    # tickets on both servers). https-small-close uses openssl s_time -new:
    # a full handshake per connection (wrk would resume its sessions).
    "https-small-keepalive": ("small", 64, [], "req/s"),
    "https-small-close": ("small", 1, [], "req/s"),
    "https-large": ("large", 8, [], "MiB/s"),
    "https-idle": ("small", 2000, [], "KiB/conn"),
    # A 200 KiB script to a browser-like client: eisd sends the result it
    # compressed once (zstd here, its tie order); nginx (gzip on, level 1)
    # compresses every response again; lighttpd sends it as it is.
    "compressed-js": ("js", 64, ["Accept-Encoding: br, gzip, zstd"], "req/s"),
    # HTTP/2 with h2load (connections here, streams per connection in
    # H2_STREAMS): over TLS (ALPN h2) beside nginx (`listen ... ssl http2`)
    # and h2o, the same certificate and suites; h2c (prior knowledge) on a
    # plain port beside nginx (`listen ... http2` without ssl).
    "h2-small": ("small", 8, [], "req/s"),
    "h2-large": ("large", 8, [], "MiB/s"),
    "h2c-small": ("small", 8, [], "req/s"),
}
H2_STREAMS = {"h2-small": 16, "h2-large": 1, "h2c-small": 16}
TLS_SCENARIOS = {"https-small-keepalive", "https-small-close", "https-large", "https-idle",
                 "h2-small", "h2-large"}
# Each server instance serves one mode: nginx with http2 on its listen line
# speaks only HTTP/2 on a plain port, so h2c gets instances of its own (and
# h2 over TLS too, so the https-* figures stay those of an HTTP/1.1 setup).
MODES = ("plain", "tls", "h2", "h2c")
MODE_SERVERS = {"plain": {"eisd", "nginx", "lighttpd"}, "tls": {"eisd", "nginx"},
                "h2": {"eisd", "nginx", "h2o"}, "h2c": {"eisd", "nginx"}}
WARM_UP = {"plain": "small-keepalive", "tls": "https-small-keepalive",
           "h2": "h2-small", "h2c": "h2c-small"}
IDLE_SCENARIOS = {"idle", "https-idle"}
# Scenarios whose rows are not throughput and cost beside nginx's (no
# bars in the chart).
OWN_ROW_SCENARIOS = IDLE_SCENARIOS | {"fairness"}
FAIR_PAUSE_MS = 1      # each legitimate connection: one request, then 1 ms pause
FAIR_TARGET = 3.0      # p99 with the pipeliner ÷ p99 alone
FAIR_BATCH = 128       # requests per write of the pipeliner
FAIR_MAX_REQUESTS = 50_000_000  # the pipeliner's bound in count (time bounds it first)
FAIR_LEAD_S = 2.0      # the pipeliner runs this much longer than the measuring window
FAIR_DRAIN_S = 20      # bench/pipeliner.c DRAIN_S


def scenario_mode(scen):
    if scen in H2_STREAMS:
        return "h2" if scen in TLS_SCENARIOS else "h2c"
    return "tls" if scen in TLS_SCENARIOS else "plain"

LOG_PASS_SCENARIOS = ["small-keepalive", "small-close"]


class BenchError(Exception):
    pass


def log(msg):
    print(f"bench: {msg}", flush=True)


# --------------------------------------------------------------------------
# Setup

def ensure_tools(want_h2o=True):
    """Installs nginx, lighttpd, h2o (when benched), wrk, h2load, curl and
    gnuplot from Debian when missing."""
    need = []
    if want_h2o and not (shutil.which("h2o") or os.path.exists("/usr/bin/h2o")):
        need.append("h2o")
    if not shutil.which("h2load"):
        need.append("nghttp2-client")
    if not shutil.which("curl"):
        need.append("curl")
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        need.append("nginx-light")
    if not (shutil.which("lighttpd") or os.path.exists("/usr/sbin/lighttpd")):
        need.append("lighttpd")
    if not shutil.which("wrk"):
        need.append("wrk")
    if not shutil.which("gnuplot"):
        need.append("gnuplot-nox")
    if not shutil.which("taskset"):
        need.append("util-linux")
    if not need:
        return
    if os.geteuid() != 0:
        raise BenchError("missing packages: %s (run as root: apt-get install -y %s)"
                         % (" ".join(need), " ".join(need)))
    log("installing " + " ".join(need))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env,
                   stdout=subprocess.DEVNULL, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + need,
                   check=True, env=env, stdout=subprocess.DEVNULL, timeout=600)
    # Debian starts the services it installs; the bench wants the ports
    # and CPUs to itself, so stop them again (by their init script).
    for svc in ("nginx", "lighttpd", "h2o"):
        subprocess.run(["service", svc, "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)


def tool(name):
    p = shutil.which(name) or os.path.join("/usr/sbin", name)
    if not os.path.exists(p):
        raise BenchError(f"{name} not found")
    return p


def make_docroot(base):
    root = os.path.join(base, "www")
    os.mkdir(root)
    os.chmod(base, 0o755)
    os.chmod(root, 0o755)
    digests = {}
    for key, (name, size) in FILES.items():
        # Deterministic content, not all one byte (so a wrong offset shows).
        block = hashlib.sha256(name.encode()).digest() * 2048  # 64 KiB
        data = (block * (size // len(block) + 1))[:size]
        if name.endswith(".js"):
            # Script-like text: compresses about 8:1, like real bundles.
            rnd = random.Random(7)
            out = []
            while sum(len(x) for x in out) < size:
                out.append(f"function f{len(out)}(a, b) {{ return a * {rnd.randint(0, 99999)} + b; }}\n")
            data = "".join(out).encode()[:size]
        if name.endswith(".html"):
            head = b"<!doctype html><title>eisd bench</title>\n"
            data = head + bytes(0x61 + (b % 26) for b in data[len(head):])
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(root, name), 0o644)
        digests[key] = hashlib.sha256(data).hexdigest()
    return root, digests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_nofile():
    """The descriptor limit the servers get: the hard limit (raising it
    needs CAP_SYS_RESOURCE, which a container often lacks)."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def raise_own_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def preexec_server():
    n = server_nofile()
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


# --------------------------------------------------------------------------
# /proc

def proc_cpu_ticks(pid):
    """utime + stime of one process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def proc_children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except FileNotFoundError:
        pass
    return kids


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])


# --------------------------------------------------------------------------
# Servers

class Server:
    """One running server. pids() lists the processes whose CPU and memory
    count (nginx: master and workers)."""

    name = "?"

    def __init__(self, exe, root, workdir, access_log, tls=None, h2=False):
        self.exe = exe
        self.h2 = h2  # the instance is for HTTP/2 (h2 over TLS, or h2c)
        self.root = root
        self.dir = workdir
        self.access_log = access_log
        self.tls = tls  # None, or a TlsCerts (tests/e2e/tlscerts.py)
        self.proc = None
        self.port = None
        self.extra_pids = []

    def command(self):
        raise NotImplementedError

    def start(self):
        cmd = ["taskset", "-c", SERVER_CPU] + self.command()
        self.stdout = open(os.path.join(self.dir, f"{self.name}.out"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=preexec_server)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}: "
                                 + self.output_tail())
            self.discover_port()
            if self.port and self.answers():
                self.extra_pids = proc_children(self.proc.pid)
                return
            time.sleep(0.05)
        raise BenchError(f"{self.name} did not start within {START_TIMEOUT}s: "
                         + self.output_tail())

    def output_tail(self):
        try:
            with open(os.path.join(self.dir, f"{self.name}.out"), "rb") as f:
                return f.read()[-500:].decode("utf-8", "replace")
        except OSError:
            return ""

    def discover_port(self):
        pass

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def pids(self):
        return [self.proc.pid] + self.extra_pids

    def cpu_ticks(self):
        return sum(proc_cpu_ticks(p) for p in self.pids())

    def rss_kib(self):
        return sum(proc_rss_kib(p) for p in self.pids())

    def stop(self):
        """SIGTERM to the main PID, bounded wait, then SIGKILL to every PID
        we know (by PID, never by name)."""
        if not self.proc:
            return
        try:
            if self.proc.poll() is None:
                try:
                    os.kill(self.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=STOP_GRACE)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for pid in [self.proc.pid] + self.extra_pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.stdout.close()


class Eisd(Server):
    name = "eisd"

    def command(self):
        args = [self.exe, "--port", "0", "--threads", "1", "--timeout", "120"]
        if self.tls:
            args += self.tls.pair("ec")
        if self.access_log:
            args += ["--access-log", self.access_log]
        else:
            args.append("--quiet")
        return args + [self.root]

    def discover_port(self):
        if self.port:
            return
        with open(os.path.join(self.dir, "eisd.out"), "rb") as f:
            m = re.search(rb"on https?://127\.0\.0\.1:(\d+)/", f.read())
        if m:
            self.port = int(m.group(1))


def fill_template(name, values):
    with open(os.path.join(HERE, name)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    if "@" in re.sub(r"#.*", "", text):
        raise BenchError(f"unfilled placeholder in {name}")
    return text


class Nginx(Server):
    name = "nginx"

    def command(self):
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(fill_template("nginx.conf.in", {
                "USER": "user root;" if os.geteuid() == 0 else "",
                "DIR": self.dir, "ROOT": self.root, "PORT": self.port,
                "NOFILE": server_nofile(), "MAXCONN": IDLE_CONNS * 2,
                "ACCESS_LOG": self.access_log or "off",
                "SSL": (" ssl" if self.tls else "") + (" http2" if self.h2 else ""),
                "TLS": nginx_tls(self.tls),
            }))
        return [self.exe, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "nginx-error.log")]

    def pids(self):
        # The worker may be re-forked; look again every time.
        self.extra_pids = proc_children(self.proc.pid)
        return [self.proc.pid] + self.extra_pids


class Lighttpd(Server):
    name = "lighttpd"

    def command(self):
        self.port = free_port()
        conf = os.path.join(self.dir, "lighttpd.conf")
        logline = ""
        if self.access_log:
            logline = ('server.modules += ( "mod_accesslog" )\n'
                       f'accesslog.filename = "{self.access_log}"')
        with open(conf, "w") as f:
            f.write(fill_template("lighttpd.conf.in", {
                "DIR": self.dir, "ROOT": self.root, "PORT": self.port,
                "NOFILE": server_nofile(), "MAXCONN": IDLE_CONNS * 2,
                "ACCESS_LOG": logline,
            }))
        return [self.exe, "-D", "-f", conf]


class H2o(Server):
    """h2o in worker mode (one process, num-threads 1); its config is
    written here. Its children (the neverbleed process that holds the
    private key, the backtrace annotator) count too."""
    name = "h2o"

    def command(self):
        self.port = free_port()
        conf = os.path.join(self.dir, "h2o.conf")
        lines = ["num-threads: 1", f"max-connections: {IDLE_CONNS * 2}"]
        if os.geteuid() == 0:
            lines.append("user: root")  # as nginx's "user root" (it reads the key first anyway)
        lines.append(f"access-log: {self.access_log}" if self.access_log else "")
        lines += ["listen:", "  host: 127.0.0.1", f"  port: {self.port}"]
        if self.tls:
            lines += ["  ssl:",
                      f"    certificate-file: {self.tls.path('ec.crt')}",
                      f"    key-file: {self.tls.path('ec.key')}",
                      "    minimum-version: TLSv1.2",
                      f"    cipher-suite: {TLS12_CIPHERS}",
                      "    ocsp-update-interval: 0"]
        lines += ["hosts:", "  default:", "    paths:", '      "/":', f"        file.dir: {self.root}"]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [self.exe, "-m", "worker", "-c", conf]

    def pids(self):
        self.extra_pids = proc_children(self.proc.pid)
        return [self.proc.pid] + self.extra_pids


SERVER_CLASSES = {"eisd": Eisd, "nginx": Nginx, "lighttpd": Lighttpd, "h2o": H2o}


def start_with_retry(srv, tries=3):
    """nginx and lighttpd get a port picked just before they bind it;
    another process may take it meanwhile: try again on a new one."""
    for attempt in range(tries):
        try:
            srv.start()
            return
        except BenchError:
            if attempt == tries - 1:
                raise
            srv.stop()
            srv.port = None
            log(f"{srv.name} did not start; trying another port")


# --------------------------------------------------------------------------
# Checks and scenarios

TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")


def nginx_tls(certs):
    """nginx's TLS settings matching eisd's defaults (docs/tls.md)."""
    if not certs:
        return ""
    return "\n".join([
        f"ssl_certificate {certs.path('ec.crt')};",
        f"ssl_certificate_key {certs.path('ec.key')};",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        f"ssl_ciphers {TLS12_CIPHERS};",
        "ssl_prefer_server_ciphers on;",
        "ssl_ecdh_curve X25519:prime256v1;",
        "ssl_session_tickets on;",
        "ssl_session_cache off;",
    ])


def connect(srv, timeout):
    """A connection to srv, in TLS when it speaks TLS."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    if srv.tls:
        ctx = ssl.create_default_context(cafile=srv.tls.ca)
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    return sock


def http_get(srv, path, timeout=10.0, sock=None):
    """One GET on a new (or the given) connection. Returns (status,
    headers dict, body)."""
    own = sock is None
    if own:
        sock = connect(srv, timeout)
    try:
        sock.settimeout(timeout)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        return read_response(sock)
    finally:
        if own:
            sock.close()


def read_response(sock, head_only=False):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError("connection closed before the response head")
        buf += chunk
        if len(buf) > 65536:
            raise BenchError("response head too large")
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if head_only:
        return status, headers, b""
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            raise BenchError("connection closed mid-body")
        body += chunk
    if len(body) != length:
        raise BenchError("more bytes than Content-Length")
    return status, headers, body


def check_bytes(srv, digests):
    """Every file: 200, the right Content-Length, the right SHA-256."""
    for key, (name, size) in FILES.items():
        status, headers, body = http_get(srv, "/" + name)
        got = hashlib.sha256(body).hexdigest()
        if status != 200 or int(headers.get("content-length", -1)) != size or got != digests[key]:
            raise BenchError(f"{srv.name} answered /{name} wrongly: status {status}, "
                             f"length {headers.get('content-length')}, sha256 {got[:16]}")


def check_bytes_h2(srv, digests, workdir):
    """check_bytes over HTTP/2 with curl (ALPN h2, or prior knowledge on a
    plain port): every file 200 over HTTP/2, whole."""
    for key, (name, size) in FILES.items():
        scheme = "https" if srv.tls else "http"
        out = os.path.join(workdir, "check.body")
        cmd = ["curl", "-sS", "--max-time", "30", "-o", out, "-w", "%{http_version} %{http_code}",
               "--http2" if srv.tls else "--http2-prior-knowledge"]
        if srv.tls:
            cmd += ["--cacert", srv.tls.ca]
        p = subprocess.run(cmd + [f"{scheme}://localhost:{srv.port}/{name}"],
                           capture_output=True, timeout=60)
        with open(out, "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        os.unlink(out)
        if p.stdout != b"2 200" or got != digests[key]:
            raise BenchError(f"{srv.name} answered /{name} wrongly over HTTP/2: "
                             f"{p.stdout!r} sha256 {got[:16]} {p.stderr[-200:]!r}")


def tls_counts(srv):
    """eisd's full and resumed handshakes so far (its SIGUSR1 report);
    None for other servers."""
    if srv.name != "eisd" or not srv.tls:
        return None
    path = os.path.join(srv.dir, "eisd.out")
    size = os.path.getsize(path)
    os.kill(srv.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            f.seek(size)
            m = re.search(rb'"tls":(\{[^}]*\})', f.read())
        if m:
            t = json.loads(m.group(1))
            return t["handshakes"], t["resumed"]
        time.sleep(0.05)
    raise BenchError("eisd printed no status report on SIGUSR1")


def run_s_time(srv, scenario, duration):
    """openssl s_time -new: one full handshake and one small GET per
    connection, back to back. Server CPU per connection like run_wrk."""
    key = SCENARIOS[scenario][0]
    cmd = ["taskset", "-c", CLIENT_CPU, "openssl", "s_time", "-connect",
           f"127.0.0.1:{srv.port}", "-new", "-www", "/" + FILES[key][0],
           "-time", str(duration), "-CAfile", srv.tls.ca]
    counts0 = tls_counts(srv)
    cpu0 = srv.cpu_ticks()
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, timeout=duration + 60)
    wall = time.monotonic() - t0
    cpu1 = srv.cpu_ticks()
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r"(\d+) connections in (\d+) real seconds, (\d+) bytes read per connection", out)
    if p.returncode != 0 or not m:
        raise BenchError(f"s_time failed ({p.returncode}): {out[-400:]} {p.stderr[-300:]!r}")
    n, secs = int(m.group(1)), max(int(m.group(2)), 1)
    server_s = (cpu1 - cpu0) / CLK_TCK
    res = {
        "requests": n, "seconds": secs, "req_s": n / secs, "mib_s": 0.0,
        "server_us_per_req": server_s * 1e6 / max(n, 1), "server_util": server_s / wall,
        "p50_us": 0, "p99_us": 0,
        "errors": 0 if int(m.group(3)) > FILES[key][1] else 1, "non2xx": 0,
        "_machine_s": 0.0, "client_util": 0.0, "_other_s": 0.0, "_wall": wall,
    }
    return with_handshakes(res, srv, counts0)
def warm_compressed(srv, scenario, timeout=20.0):
    """Asks with the scenario's headers until the answer is compressed
    (eisd compresses on a helper thread after the first request); a
    server that never compresses (lighttpd here) answers as it is."""
    key, _, extra_headers, _ = SCENARIOS[scenario]
    head = "".join(h + "\r\n" for h in extra_headers)
    deadline = time.monotonic() + timeout
    coding = None
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            # The head is enough (nginx's gzip answer is chunked).
            s.sendall(f"HEAD /{FILES[key][0]} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                      "Connection: close\r\n\r\n".encode())
            status, headers, _ = read_response(s, head_only=True)
        coding = headers.get("content-encoding")
        if status != 200:
            raise BenchError(f"{srv.name}: {scenario} warm-up got {status}")
        if coding or srv.name == "lighttpd":
            return coding
        time.sleep(0.05)
    raise BenchError(f"{srv.name}: /{FILES[key][0]} never came compressed")


def load_result(done, secs, nbytes, p50_us, p99_us, errors, non2xx, times):
    """One run's record, from what the load tool (wrk or h2load) counted
    and the CPU times measured() took (wall, server, machine, client)."""
    wall, server_s, machine_s, client_s = times
    return {
        "requests": done,
        "seconds": round(secs, 3),
        "req_s": done / secs,
        "mib_s": nbytes / secs / (1 << 20),
        "server_us_per_req": server_s * 1e6 / max(done, 1),
        "server_util": server_s / wall,
        "p50_us": p50_us,
        "p99_us": p99_us,
        "errors": errors,
        "non2xx": non2xx,
        "bytes_per_req": nbytes / max(done, 1),
        "_machine_s": machine_s,
        "client_util": client_s / wall,
        "_other_s": max(0.0, machine_s - server_s - client_s),
        "_wall": wall,
    }


def with_handshakes(res, srv, counts0):
    """Adds the full and resumed TLS handshakes since counts0 (tls_counts
    before the run) to res, when the server reports them."""
    counts1 = tls_counts(srv)
    if counts0 and counts1:
        res["full_handshakes"] = (counts1[0] - counts1[1]) - (counts0[0] - counts0[1])
        res["resumed_handshakes"] = counts1[1] - counts0[1]
    return res


def measured(srv, cmd, duration):
    """Runs the load generator cmd; returns (rc, output, wall seconds,
    server CPU s, machine busy s, client CPU s)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, _ = machine_busy_ticks()
    cpu0 = srv.cpu_ticks()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    out = b""
    try:
        out, _ = p.communicate(timeout=duration + 30)
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    wall = time.monotonic() - t0
    cpu1 = srv.cpu_ticks()
    busy1, _ = machine_busy_ticks()
    # Client CPU: the client (taskset execs it) is our direct child, reaped
    # just now, so the children's rusage grew by exactly its CPU time.
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_s = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return (p.returncode, out, wall, (cpu1 - cpu0) / CLK_TCK, (busy1 - busy0) / CLK_TCK,
            client_s)


def percentile(sorted_vals, q):
    if not sorted_vals:
        return 0
    return sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def run_h2load(srv, scenario, duration):
    """h2load, one thread: the scenario's connections x H2_STREAMS streams
    for duration seconds. The protocol must be HTTP/2 (h2 by ALPN, or h2c);
    latencies come from its per-request log."""
    key, conns, _, _ = SCENARIOS[scenario]
    scheme = "https" if srv.tls else "http"
    url = f"{scheme}://127.0.0.1:{srv.port}/{FILES[key][0]}"
    reqlog = os.path.join(srv.dir, "h2load.log")
    counts0 = tls_counts(srv)
    cmd = ["taskset", "-c", CLIENT_CPU, "h2load", "-t1", f"-c{conns}",
           f"-m{H2_STREAMS[scenario]}", f"-D{duration}", f"--log-file={reqlog}", url]
    rc, out, wall, server_s, machine_s, client_s = measured(srv, cmd, duration)
    text = out.decode("utf-8", "replace")
    fin = re.search(r"finished in ([\d.]+)(m?s),", text)
    reqs = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    traffic = re.search(r"traffic: \S+ \((\d+)\) total", text)
    proto = re.search(r"Application protocol: (\S+)", text)
    want = "h2" if srv.tls else "h2c"
    if rc != 0 or not (fin and reqs and codes and traffic):
        raise BenchError(f"h2load failed ({rc}): {text[-400:]}")
    if not proto or proto.group(1) != want:
        raise BenchError(f"{srv.name}: h2load negotiated {proto and proto.group(1)}, not {want}")
    secs = float(fin.group(1)) / (1000 if fin.group(2) == "ms" else 1)
    done = int(reqs.group(3))
    lat = []
    with open(reqlog) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                lat.append(int(parts[2]))
    os.unlink(reqlog)
    lat.sort()
    res = load_result(done, secs, int(traffic.group(1)), percentile(lat, 0.50),
                      percentile(lat, 0.99),
                      int(reqs.group(5)) + int(reqs.group(6)) + int(reqs.group(7)),
                      int(codes.group(2)) + int(codes.group(3)) + int(codes.group(4)),
                      (wall, server_s, machine_s, client_s))
    return with_handshakes(res, srv, counts0)


def run_wrk(srv, scenario, duration):
    if scenario == "https-small-close":
        return run_s_time(srv, scenario, duration)
    if scenario in H2_STREAMS:
        return run_h2load(srv, scenario, duration)
    key, conns, extra_headers, unit = SCENARIOS[scenario]
    scheme = "https" if srv.tls else "http"
    url = f"{scheme}://127.0.0.1:{srv.port}/{FILES[key][0]}"
    counts0 = tls_counts(srv)
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration}s",
           "--timeout", "5s", "--latency", "-s", os.path.join(HERE, "report.lua")]
    for h in extra_headers:
        cmd += ["-H", h]
    cmd.append(url)

    rc, out, wall, server_s, machine_s, client_s = measured(srv, cmd, duration)
    m = re.search(rb"EISD-BENCH (\{.*\})", out)
    if rc != 0 or not m:
        raise BenchError(f"wrk failed ({rc}): {out[-400:].decode('utf-8', 'replace')}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    res = load_result(r["requests"], secs, r["bytes"], r["p50_us"], r["p99_us"],
                      r["connect"] + r["read"] + r["write"] + r["timeout"], r["status"],
                      (wall, server_s, machine_s, client_s))
    return with_handshakes(res, srv, counts0)


def idle_scenario(srv, nconns):
    """Up to nconns keep-alive connections, each having made one request:
    the server's RSS growth per connection, and a fresh request still
    answered. A server that stops answering (its connection limit) caps
    the count; the cap is reported."""
    rss0 = srv.rss_kib()
    cpu0 = srv.cpu_ticks()
    socks = []
    capped = None
    req = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    t0 = time.monotonic()
    deadline = t0 + 60
    try:
        for _ in range(nconns):
            if time.monotonic() > deadline:
                capped = f"time: {len(socks)} connections in 60 s"
                break
            try:
                s = connect(srv, 3)
            except (OSError, ssl.SSLError) as e:
                capped = f"connection {len(socks) + 1}: {e!r}"
                break
            try:
                s.sendall(req)
                status, _, body = read_response(s)
            except (OSError, BenchError) as e:
                s.close()
                capped = f"connection {len(socks) + 1}: {e!r}"
                break
            if status != 200 or len(body) != FILES["small"][1]:
                s.close()
                capped = f"connection {len(socks) + 1}: status {status}"
                break
            socks.append(s)
        if capped:
            log(f"idle: {srv.name} stopped answering at {capped}")
        time.sleep(0.5)  # let the server settle (freeing buffers, timers)
        rss1 = srv.rss_kib()
        if capped:
            # At its limit: make room for the fresh request.
            for s in socks[-10:]:
                s.close()
            del socks[-10:]
            time.sleep(0.2)
        fresh_ok = reuse_ok = False
        try:
            status, _, body = http_get(srv, "/index.html", timeout=5)
            fresh_ok = status == 200 and len(body) == FILES["small"][1]
            # ... and on one of the idle connections too.
            status, _, body = http_get(srv, "/index.html", timeout=5, sock=socks[0])
            reuse_ok = status == 200 and len(body) == FILES["small"][1]
        except (OSError, BenchError, IndexError) as e:
            log(f"idle: {srv.name}: fresh request failed: {e!r}")
    finally:
        n = len(socks) + (10 if capped else 0)
        for s in socks:
            s.close()
    cpu1 = srv.cpu_ticks()
    return {
        "conns": n,
        "capped": capped,
        "kib_per_conn": (rss1 - rss0) / max(n, 1),
        "rss_before_kib": rss0,
        "rss_after_kib": rss1,
        "fresh_ok": fresh_ok and reuse_ok,
        "errors": 0 if fresh_ok and reuse_ok else 1,
        "non2xx": 0,
        "server_us_per_req": (cpu1 - cpu0) / CLK_TCK * 1e6 / (n + 2),
        "open_seconds": time.monotonic() - t0,
    }


def build_pipeliner(workdir):
    """Compiles bench/pipeliner.c (the fairness scenario's greedy client)
    with the system's cc into workdir; returns the executable's path."""
    exe = os.path.join(workdir, "pipeliner")
    cc = os.environ.get("CC") or "cc"
    p = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-o", exe,
                        os.path.join(HERE, "pipeliner.c")], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise BenchError(f"building bench/pipeliner.c failed: {p.stderr[-400:]!r}")
    return exe


def rt_prefix():
    """["chrt", "-f", "1"] when this process may run a client at real-time
    priority, else []. The fairness scenario's legitimate client shares the
    client core with the pipeliner; with it, a waking request does not
    wait for the pipeliner's time slice to end, so its latency is the
    server's (as for a client on a machine of its own)."""
    try:
        p = subprocess.run(["chrt", "-f", "1", "true"], capture_output=True, timeout=10)
        return ["chrt", "-f", "1"] if p.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):
        return []


def run_paced(srv, duration, rt):
    """The fairness scenario's legitimate client: wrk, one thread, the
    scenario's keep-alive connections, each asking for the small file, then
    pausing FAIR_PAUSE_MS (bench/paced.lua). p50/p99 are wrk's percentiles
    of its per-request latencies."""
    key, conns, _, _ = SCENARIOS["fairness"]
    url = f"http://127.0.0.1:{srv.port}/{FILES[key][0]}"
    cmd = rt + ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration}s",
                "--timeout", "5s", "-s", os.path.join(HERE, "paced.lua"), url,
                "--", str(FAIR_PAUSE_MS)]
    t0 = time.monotonic()
    rc, out, wall, server_s, machine_s, client_s = measured(srv, cmd, duration)
    t1 = time.monotonic()
    m = re.search(rb"EISD-BENCH (\{.*\})", out)
    if rc != 0 or not m:
        raise BenchError(f"wrk failed ({rc}): {out[-400:].decode('utf-8', 'replace')}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    return {
        "requests": r["requests"], "req_s": r["requests"] / secs,
        "p50_us": r["p50_us"], "p99_us": r["p99_us"], "max_us": r["max_us"],
        "errors": r["connect"] + r["read"] + r["write"] + r["timeout"], "non2xx": r["status"],
        "server_s": server_s, "machine_s": machine_s, "client_s": client_s,
        "wall": wall, "t0": t0, "t1": t1,
    }


def read_line_until(fd, want, deadline):
    """Reads fd (a pipe) until the bytes want arrive or deadline passes;
    returns everything read."""
    buf = b""
    while want not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    return buf


def fairness_scenario(srv, duration, pipeliner, rt):
    """The legitimate client alone, then the same beside one greedy
    pipeliner on the same worker. The pipeliner must be answered from
    before the second window opens to after it closes, and in full."""
    quiet = run_paced(srv, duration, rt)
    key = SCENARIOS["fairness"][0]
    cmd = ["taskset", "-c", CLIENT_CPU, pipeliner, str(srv.port), "/" + FILES[key][0],
           str(duration + FAIR_LEAD_S), str(FAIR_MAX_REQUESTS), str(FAIR_BATCH)]
    greedy = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        head = read_line_until(greedy.stdout.fileno(), b"STARTED\n", time.monotonic() + 10)
        if b"STARTED\n" not in head:
            raise BenchError(f"{srv.name}: the pipeliner was not answered: {head[-300:]!r}")
        g0 = proc_cpu_ticks(greedy.pid)
        loaded = run_paced(srv, duration, rt)
        g1 = proc_cpu_ticks(greedy.pid)
        rest, _ = greedy.communicate(timeout=duration + FAIR_LEAD_S + FAIR_DRAIN_S + 30)
    finally:
        if greedy.poll() is None:
            os.kill(greedy.pid, signal.SIGKILL)
            greedy.wait(timeout=10)
        greedy.stdout.close()
    m = re.search(rb"EISD-PIPELINER (\{.*\})", head + rest)
    if not m:
        raise BenchError(f"{srv.name}: the pipeliner printed no report: {(head + rest)[-300:]!r}")
    g = json.loads(m.group(1))
    span = g["last_answer"] - g["first_answer"]
    covered = g["first_answer"] <= loaded["t0"] and g["last_answer"] >= loaded["t1"]
    # Every request answered but those left unanswered when the server
    # closed the connection (lighttpd: after 65,535 requests), all 200.
    greedy_ok = (not g["error"] and g["answers"] + g["lost"] == g["sent"]
                 and g["ok"] == g["answers"] and covered)
    if not greedy_ok:
        log(f"fairness: {srv.name}: pipeliner {g} (window {loaded['t0']:.3f}–{loaded['t1']:.3f})")
    ratio = loaded["p99_us"] / quiet["p99_us"] if quiet["p99_us"] else None
    wall = loaded["wall"]
    return {
        # The table's usual columns: the legitimate client's rate alone,
        # its p50/p99 alone, the server's core under the pipeliner.
        "requests": quiet["requests"],
        "req_s": quiet["req_s"],
        "p50_us": quiet["p50_us"],
        "p99_us": quiet["p99_us"],
        "loaded_requests": loaded["requests"],
        "loaded_req_s": loaded["req_s"],
        "loaded_p50_us": loaded["p50_us"],
        "loaded_p99_us": loaded["p99_us"],
        "loaded_max_us": loaded["max_us"],
        "p99_ratio": ratio,
        "target": FAIR_TARGET,
        "target_met": ratio is not None and ratio <= FAIR_TARGET,
        "greedy_sent": g["sent"],
        "greedy_answers": g["answers"],
        "greedy_req_s": g["answers"] / span if span > 0 else 0.0,
        "greedy_reconnects": g["reconnects"],
        "greedy_ok": greedy_ok,
        "greedy_client_util": (g1 - g0) / CLK_TCK / wall,
        "quiet_server_util": quiet["server_s"] / quiet["wall"],
        "server_util": loaded["server_s"] / wall,
        "client_util": loaded["client_s"] / wall,
        "client_rt": bool(rt),
        "errors": quiet["errors"] + loaded["errors"] + (0 if greedy_ok else 1),
        "non2xx": quiet["non2xx"] + loaded["non2xx"],
        "_other_s": max(0.0, loaded["machine_s"] - loaded["server_s"]
                        - loaded["client_s"] - (g1 - g0) / CLK_TCK),
        "_wall": wall,
    }


# --------------------------------------------------------------------------
# Summaries

def med_range(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}


def summarise(runs, servers):
    """runs: list of dicts (pass, scenario, server, round, result)."""
    out = {}
    for r in runs:
        key = (r["pass"], r["scenario"])
        out.setdefault(key, {}).setdefault(r["server"], []).append(r["result"])
    summary = []
    for (pas, scen), by_server in out.items():
        entry = {"pass": pas, "scenario": scen, "servers": {}}
        for name in servers:
            res = by_server.get(name)
            if not res:
                continue
            fields = {}
            for k in res[0]:
                if k.startswith("_") or not isinstance(res[0][k], (int, float)) or isinstance(res[0][k], bool):
                    continue
                fields[k] = med_range([x[k] for x in res])
            fields["rounds"] = len(res)
            if scen == "fairness" and fields.get("p99_ratio"):
                fields["target_met"] = fields["p99_ratio"]["median"] <= FAIR_TARGET
            fields["failures"] = sum(1 for x in res if x.get("errors") or x.get("non2xx")
                                     or x.get("fresh_ok") is False)
            entry["servers"][name] = fields
        ng = entry["servers"].get("nginx")
        for name, f in entry["servers"].items():
            if not ng:
                continue
            if scen in IDLE_SCENARIOS:
                a, b = ng["kib_per_conn"]["median"], f["kib_per_conn"]["median"]
                f["mem_vs_nginx"] = b / a if a else None
            elif scen == "fairness":
                pass  # judged against its own target, not against nginx
            else:
                a, b = ng["server_us_per_req"]["median"], f["server_us_per_req"]["median"]
                f["cost_ratio"] = a / b if b else None  # > 1: cheaper than nginx
                tput = "mib_s" if SCENARIOS[scen][3] == "MiB/s" else "req_s"
                f["throughput_ratio"] = f[tput]["median"] / ng[tput]["median"]
        summary.append(entry)
    return summary


TARGETS = {
    ("nolog", "small-keepalive"): 1.5,
    ("nolog", "small-close"): 1.15,
    ("nolog", "medium"): 1.2,
    ("nolog", "large"): 1.0,
    ("log", "small-keepalive"): 1.3,
    ("nolog", "h2-small"): 1.3,  # and not above h2o's (the table shows both)
}


def fmt_range(m, fmt="{:.0f}"):
    if m is None:
        return "–"
    return f"{fmt.format(m['median'])} ({fmt.format(m['min'])}–{fmt.format(m['max'])})"


def fairness_row(pas, name, f):
    """The fairness row: the legitimate client's rate, its p99 with the
    pipeliner ÷ alone against the target, the server's core under the
    pipeliner, and p50/p99 alone → with the pipeliner."""
    ratio = f.get("p99_ratio")
    verdict = "–"
    if ratio:
        met = ratio["median"] <= FAIR_TARGET
        verdict = (f"p99 {fmt_range(ratio, '{:.2f}')}× alone "
                   f"(target ≤ {FAIR_TARGET:g}×{' ✓ met' if met else ' ✗ not met'})")
    errs = f"{f['errors']['median']:.0f}/{f['non2xx']['median']:.0f}"
    if f["failures"]:
        errs += " FAILED"
    return (f"| {pas} | fairness (1 greedy pipeliner) | {name} | "
            f"legit {fmt_range(f['req_s'])} req/s; pipeliner {fmt_range(f['greedy_req_s'])} req/s | – | "
            f"{verdict} | {f['server_util']['median'] * 100:.0f}% | "
            f"{f['client_util']['median'] * 100:.0f}% | "
            f"{f['p50_us']['median'] / 1000:.2f} → {f['loaded_p50_us']['median'] / 1000:.2f} ms | "
            f"{f['p99_us']['median'] / 1000:.2f} → {f['loaded_p99_us']['median'] / 1000:.2f} ms | "
            f"{errs} |")


def markdown(info, summary):
    lines = [
        f"# eisd benchmark — {info['date']}",
        "",
        f"Machine: {info['cpu']} × {info['cpus']} cores, {info['mem_gib']} GiB, "
        f"Linux {info['kernel']}, {info['distro']}. "
        f"Servers: eisd {info['eisd']}, {info['nginx']}, {info['lighttpd']}, {info.get('h2o', '?')}; "
        f"clients {info['wrk']}, {info.get('h2load', '?')}.",
        f"Each server: one worker pinned to CPU {SERVER_CPU}; wrk one thread pinned to CPU "
        f"{CLIENT_CPU}; loopback. {info['rounds']} rounds × {info['duration']} s per run, "
        "servers interleaved. Cells: median (min–max over rounds).",
        f"Load average at start {info['load_start']}, at end {info['load_end']}; "
        f"other processes used {info['other_cpu_pct']:.0f}% of a core on average during the runs.",
        "",
        "| pass | scenario | server | throughput | server µs/req | ratio nginx÷server µs | "
        "server core | client core | p50 | p99 | errors/non-2xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in summary:
        scen = e["scenario"]
        for name, f in e["servers"].items():
            if scen in IDLE_SCENARIOS:
                tput = f"{fmt_range(f['kib_per_conn'], '{:.2f}')} KiB/conn"
                ratio = (f"mem {f['mem_vs_nginx']:.2f}× nginx" if f.get("mem_vs_nginx") is not None else "–")
                lines.append(f"| {e['pass']} | {scen} ({f['conns']['median']:.0f} conns) | {name} | {tput} | "
                             f"– | {ratio} | – | – | – | – | "
                             f"{'fresh request OK' if not f['failures'] else 'FAILED'} |")
                continue
            if scen == "fairness":
                lines.append(fairness_row(e["pass"], name, f))
                continue
            unit = SCENARIOS[scen][3]
            tput = (f"{fmt_range(f['mib_s'])} MiB/s" if unit == "MiB/s"
                    else f"{fmt_range(f['req_s'])} req/s")
            ratio = f"{f['cost_ratio']:.2f}" if f.get("cost_ratio") else "–"
            target = TARGETS.get((e["pass"], scen))
            if name == "eisd" and target and f.get("cost_ratio"):
                cost_ok = f["cost_ratio"] >= target
                tput_ok = f.get("throughput_ratio", 0) >= 1.0
                ratio += f" (target ≥ {target}{' ✓' if cost_ok else ' ✗'}"
                ratio += f"; {unit} {f.get('throughput_ratio', 0):.2f}× nginx{' ✓' if tput_ok else ' ✗'})"
            errs = f"{f['errors']['median']:.0f}/{f['non2xx']['median']:.0f}"
            if f["failures"]:
                errs += " FAILED"
            if f.get("full_handshakes"):
                errs += (f" (TLS handshakes full {f['full_handshakes']['median']:.0f}, "
                         f"resumed {f['resumed_handshakes']['median']:.0f})")
            lines.append(
                f"| {e['pass']} | {scen} | {name} | {tput} | "
                f"{fmt_range(f['server_us_per_req'], '{:.1f}')} | {ratio} | "
                f"{f['server_util']['median'] * 100:.0f}% | {f['client_util']['median'] * 100:.0f}% | "
                f"{f['p50_us']['median'] / 1000:.2f} ms | {f['p99_us']['median'] / 1000:.2f} ms | {errs} |")
    lines.append("")
    if any(e["scenario"] == "fairness" for e in summary):
        lines += [
            f"fairness: a legitimate client (wrk, {SCENARIOS['fairness'][1]} keep-alive connections, "
            f"each pausing {FAIR_PAUSE_MS} ms after every answer, 1 KiB file) alone, then beside "
            f"one connection pipelining GETs of the same file {FAIR_BATCH} at a time and reading as "
            "fast as it can, on the same one-thread worker. p50/p99: wrk's percentiles of the "
            "legitimate client's per-request latencies, alone → with the pipeliner; server core: "
            "with the pipeliner.",
            "",
        ]
    return "\n".join(lines)


def chart(summary, servers, path, workdir, info):
    """Two panels: server CPU cost relative to nginx (higher is cheaper), and
    throughput relative to nginx."""
    rows = []
    for e in summary:
        if e["scenario"] in OWN_ROW_SCENARIOS:
            continue
        label = e["scenario"] + (" (logs)" if e["pass"] == "log" else "")
        cost = [e["servers"].get(s, {}).get("cost_ratio") or 0 for s in servers]
        tput = [e["servers"].get(s, {}).get("throughput_ratio") or 0 for s in servers]
        rows.append((label, cost, tput))
    for e in summary:
        if e["scenario"] in IDLE_SCENARIOS:
            mem = [e["servers"].get(s, {}).get("mem_vs_nginx") for s in servers]
            rows.append((e["scenario"] + " memory/conn", [1 / m if m else 0 for m in mem], None))
    if not rows:
        log(f"no scenario for the chart; {path} not drawn")
        return
    data = os.path.join(workdir, "chart.dat")
    with open(data, "w") as f:
        for label, cost, tput in rows:
            tp = tput if tput else ["NaN"] * len(servers)
            f.write('"%s" %s %s\n' % (label, " ".join(f"{c:.3f}" for c in cost),
                                       " ".join(str(t) if t == "NaN" else f"{t:.3f}" for t in tp)))
    n = len(servers)
    cost_plots = ", ".join(
        f"'{data}' using {2 + i}:xtic(1) title '{s}'" for i, s in enumerate(servers))
    tput_plots = ", ".join(
        f"'{data}' using {2 + n + i}:xtic(1) title '{s}'" for i, s in enumerate(servers))
    script = f"""
set terminal pngcairo size 1100,800 font 'sans,10'
set output '{path}'
set multiplot layout 2,1 title "eisd vs nginx vs lighttpd vs h2o — {info['date']} — {info['cpu']}, server on 1 core" font 'sans,12'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key outside top center horizontal
set xtics rotate by -15
set ylabel "nginx CPU/req ÷ server CPU/req"
set title "Server CPU efficiency relative to nginx (higher = cheaper per request; idle: nginx KiB/conn ÷ server KiB/conn)"
plot {cost_plots}, 1 with lines lc rgb '#888888' dt 2 notitle
set ylabel "throughput ÷ nginx's"
set title "Throughput relative to nginx (req/s; MiB/s for large)"
plot {tput_plots}, 1 with lines lc rgb '#888888' dt 2 notitle
unset multiplot
"""
    gp = os.path.join(workdir, "chart.gp")
    with open(gp, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", gp], check=True, timeout=60)


def version_of(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=10)
        return (p.stdout + p.stderr).decode("utf-8", "replace").splitlines()[0].strip()
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def machine_info(args):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / (1 << 20)
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
            distro = m.group(1) if m else "?"
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                             capture_output=True, timeout=10).stdout.decode().strip()
    except OSError:
        rev = "?"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_gib": round(mem),
        "kernel": platform.release(),
        "distro": distro,
        "eisd": rev,
        "nginx": version_of([tool("nginx"), "-v"]).replace("nginx version: ", ""),
        "lighttpd": version_of([tool("lighttpd"), "-v"]).split(" - ")[0],
        "wrk": version_of(["wrk", "-v"]).split(" [")[0],
        "h2o": version_of(["h2o", "-v"]),
        "h2load": "h2load " + version_of(["h2load", "--version"]).split()[-1],
        "duration": args.duration,
        "rounds": args.rounds,
        "load_start": " ".join(open("/proc/loadavg").read().split()[:3]),
    }


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="eisd vs nginx vs lighttpd vs h2o")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, servers interleaved (default 3)")
    ap.add_argument("--servers", default="eisd,nginx,lighttpd,h2o")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-log-pass", action="store_true", help="skip the pass with access logs on")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--name", default="latest", help="output file stem (default latest)")
    ap.add_argument("--eisd", default=os.path.join(REPO, "eisd"))
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--render", metavar="JSON",
                    help="only redraw the table and chart from a results JSON")
    args = ap.parse_args()

    if args.render:
        with open(args.render) as f:
            saved = json.load(f)
        servers = list(dict.fromkeys(r["server"] for r in saved["runs"]))
        stem = os.path.splitext(args.render)[0]
        with open(stem + ".md", "w") as f:
            f.write(markdown(saved["info"], saved["summary"]))
        with tempfile.TemporaryDirectory(prefix="eisd-chart-") as td:
            chart(saved["summary"], servers, stem + ".png", td, saved["info"])
        return 0

    servers = [s for s in args.servers.split(",") if s]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in servers:
        if s not in SERVER_CLASSES:
            raise BenchError(f"unknown server {s}")
    for s in scenarios:
        if s not in SCENARIOS:
            raise BenchError(f"unknown scenario {s}")
    if not os.path.exists(args.eisd):
        raise BenchError(f"{args.eisd} not found (run make first)")
    if not args.no_install:
        ensure_tools("h2o" in servers)
    own_limit = raise_own_nofile()
    idle_conns = min(IDLE_CONNS, own_limit - 200)
    if "idle" in scenarios and idle_conns < IDLE_CONNS:
        log(f"RLIMIT_NOFILE hard limit {own_limit}: idle uses {idle_conns} connections")

    exes = {"eisd": os.path.abspath(args.eisd), "nginx": tool("nginx"), "lighttpd": tool("lighttpd")}
    if "h2o" in servers:
        exes["h2o"] = tool("h2o")
    info = machine_info(args)
    passes = [("nolog", scenarios)]
    if not args.no_log_pass:
        lp = [s for s in LOG_PASS_SCENARIOS if s in scenarios]
        if lp:
            passes.append(("log", lp))

    base = tempfile.mkdtemp(prefix="eisd-bench-")
    runs = []
    other_s = 0.0
    wall_s = 0.0
    t_start = time.monotonic()
    try:
        root, digests = make_docroot(base)
        pipeliner = rt = None
        if "fairness" in scenarios:
            pipeliner = build_pipeliner(base)
            rt = rt_prefix()
            if not rt:
                log("fairness: chrt -f refused; the legitimate client runs at normal priority")
        certs = None
        if any(s in TLS_SCENARIOS for s in scenarios):
            sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
            import tlscerts
            certs = tlscerts.make_certs(os.path.join(base, "certs"))
            os.chmod(os.path.join(base, "certs"), 0o755)
        # eisd copies a small file into memory only once its ctime is two
        # seconds old (src/files/fcache.h); let the fresh files settle first.
        time.sleep(2.5)
        for pas, scens in passes:
            for rnd in range(args.rounds):
                for name, mode in [(n, m) for m in MODES for n in servers]:
                    group = [s for s in scens if scenario_mode(s) == mode]
                    if not group or name not in MODE_SERVERS[mode]:
                        continue
                    tls = mode in ("tls", "h2")
                    h2 = mode in ("h2", "h2c")
                    wd = os.path.join(base, f"{name}-{pas}-{rnd}{'' if mode == 'plain' else '-' + mode}")
                    os.mkdir(wd)
                    os.chmod(wd, 0o755)
                    access = os.path.join(wd, "access.log") if pas == "log" else None
                    srv = SERVER_CLASSES[name](exes[name], root, wd, access,
                                               tls=certs if tls else None, h2=h2)
                    try:
                        start_with_retry(srv)
                        if h2:
                            check_bytes_h2(srv, digests, wd)
                        else:
                            check_bytes(srv, digests)
                        # Warm up: caches, allocator, page cache.
                        run_wrk(srv, WARM_UP[mode], 1)
                        for scen in group:
                            if scen in IDLE_SCENARIOS:
                                res = idle_scenario(srv, idle_conns if scen == "idle"
                                                    else min(idle_conns, SCENARIOS[scen][1]))
                                log(f"{pas} r{rnd + 1} {scen:15} {name:8} "
                                    f"{res['kib_per_conn']:.2f} KiB/conn fresh_ok={res['fresh_ok']}")
                            elif scen == "fairness":
                                res = fairness_scenario(srv, args.duration, pipeliner, rt)
                                other_s += res["_other_s"]
                                wall_s += res["_wall"]
                                log(f"{pas} r{rnd + 1} {scen:15} {name:8} "
                                    f"p99 {res['p99_us'] / 1000:.2f} ms alone, "
                                    f"{res['loaded_p99_us'] / 1000:.2f} ms beside the pipeliner "
                                    f"({res['p99_ratio'] or 0:.2f}×, target ≤ {FAIR_TARGET:g}×"
                                    f"{' met' if res['target_met'] else ' not met'}); pipeliner "
                                    f"{res['greedy_req_s']:.0f} req/s, server "
                                    f"{res['server_util'] * 100:.0f}%  err {res['errors']}/{res['non2xx']}")
                            else:
                                coding = None
                                if scen == "compressed-js":
                                    coding = warm_compressed(srv, scen)
                                res = run_wrk(srv, scen, args.duration)
                                res["coding"] = coding
                                other_s += res["_other_s"]
                                wall_s += res["_wall"]
                                unit = SCENARIOS[scen][3]
                                tp = res["mib_s"] if unit == "MiB/s" else res["req_s"]
                                log(f"{pas} r{rnd + 1} {scen:15} {name:8} {tp:9.0f} {unit:5} "
                                    f"{res['server_us_per_req']:8.1f} µs/req  "
                                    f"server {res['server_util'] * 100:3.0f}%  "
                                    f"p99 {res['p99_us'] / 1000:.2f} ms  "
                                    f"err {res['errors']}/{res['non2xx']}"
                                    + (f"  handshakes full {res['full_handshakes']} resumed "
                                       f"{res['resumed_handshakes']}" if "full_handshakes" in res else "")
                                    + (f"  {res['coding'] or 'identity'} "
                                       f"{res['bytes_per_req'] / 1024:.1f} KiB/resp"
                                       if scen == "compressed-js" else ""))
                            runs.append({"pass": pas, "scenario": scen, "server": name,
                                         "round": rnd + 1, "result": res})
                        if access and os.path.getsize(access) == 0 and name != "nginx":
                            raise BenchError(f"{name}: access log stayed empty in the log pass")
                    finally:
                        srv.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    info["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    info["elapsed_s"] = round(time.monotonic() - t_start)
    info["idle_conns"] = idle_conns
    info["other_cpu_pct"] = 100 * other_s / wall_s if wall_s else 0.0
    summary = summarise(runs, servers)
    os.makedirs(args.out, exist_ok=True)
    md = markdown(info, summary)
    with open(os.path.join(args.out, f"{args.name}.md"), "w") as f:
        f.write(md)
    for r in runs:
        for k in [k for k in r["result"] if k.startswith("_")]:
            del r["result"][k]
    with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
        json.dump({"info": info, "summary": summary, "runs": runs}, f, indent=1)
    with tempfile.TemporaryDirectory(prefix="eisd-chart-") as td:
        chart(summary, servers, os.path.join(args.out, f"{args.name}.png"), td, info)
    print(md)
    failed = [(r["pass"], r["scenario"], r["server"], r["round"]) for r in runs
              if r["result"].get("errors") or r["result"].get("non2xx")
              or r["result"].get("fresh_ok") is False]
    if failed:
        log(f"runs with errors or non-2xx answers: {failed}")
    # The bench is about eisd: its failures fail the run; the others'
    # are reported (e.g. lighttpd at its descriptor limit in idle).
    return 1 if any(f[2] == "eisd" for f in failed) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
