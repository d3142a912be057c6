"""HAProxy (Debian's) in front of eisd instances, on loopback: writes the
config, starts haproxy in the foreground, waits until it listens, and stops
it by PID. Used by test_proxy.py and the scale-out test."""

import os
import signal
import socket
import subprocess
import time

HAPROXY = "/usr/sbin/haproxy"


def config(port, servers, health=None, source="127.0.0.3", extra_server=""):
    """servers: [(name, port)]. Each gets send-proxy-v2 (connecting from
    source, so eisd can tell HAProxy from the client), and with health an
    `option httpchk GET health` every 100 ms."""
    lines = [
        "global",
        "    maxconn 2000",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 20s",
        "    timeout server 20s",
        "    timeout http-keep-alive 5s",
        # a connection refused during a restart is tried on another server
        "    retries 3",
        "    option redispatch 1",
        "frontend fe",
        f"    bind 127.0.0.1:{port}",
        "    default_backend be",
        "backend be",
        "    balance roundrobin",
    ]
    if health:
        lines += [f"    option httpchk GET {health}", "    http-check expect status 200"]
    for name, p in servers:
        chk = " check inter 100ms fall 1 rise 2" if health else ""
        lines.append(f"    server {name} 127.0.0.1:{p} send-proxy-v2 source {source}{chk}{extra_server}")
    return "\n".join(lines) + "\n"


class HAProxy:
    def __init__(self, tmp_path, port, cfg_text):
        self.port = port
        self.cfg = os.path.join(str(tmp_path), "haproxy.cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg_text)
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", self.cfg], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.log = open(os.path.join(str(tmp_path), "haproxy.log"), "w+")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, self.output()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "haproxy does not listen: " + self.output()
                time.sleep(0.05)

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
