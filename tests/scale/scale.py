#!/usr/bin/python3
"""Scale-out on loopback: Debian's HAProxy in front of 3 eisd instances
(send-proxy-v2, `option httpchk GET /_health`, round robin). A bounded
load runs for SCALE_SECONDS (default 20) from client address 127.0.0.2;
meanwhile instance 1 is stopped gracefully (SIGTERM: its health check
turns 503, HAProxy takes it out, it drains and exits) and started again on
the same port, instance 0 is upgraded in place (SIGUSR2: a new process
takes the listening socket over, the old one drains and exits), and then
instance 2 is restarted like instance 1.

Pass: zero failed requests (every response a 200 with the right bytes);
every instance served clients; each instance's access log names the
client (127.0.0.2) for every client request and HAProxy (127.0.0.3, its
PROXY LOCAL health checks) only for /_health; and the logs together hold
exactly as many client requests as the clients got answers.

Run: make scale-test (SCALE_SECONDS=8 in make test). EISD_BIN names the
binary. Every loop is bounded; every process is stopped by PID."""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("EISD_BIN", os.path.normpath(os.path.join(HERE, "..", "..", "eisd")))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from conftest import Server, free_port  # noqa: E402
from haproxy import HAProxy, config  # noqa: E402

SECONDS = float(os.environ.get("SCALE_SECONDS", "20"))
CLIENTS = int(os.environ.get("SCALE_CLIENTS", "6"))
CLIENT_ADDR = "127.0.0.2"
PROXY_ADDR = "127.0.0.3"
HEALTH = "/_health"
FILES = {f"/f{i}.txt": (f"file {i} ".encode() * (i * 37 + 1)) for i in range(8)}


def log(msg):
    print(f"scale: {msg}", flush=True)


class Instance:
    def __init__(self, name, root, port, logdir):
        self.name, self.root, self.port = name, root, port
        self.log = os.path.join(logdir, f"{name}.log")
        self.server = None
        self.upgraded_pid = None  # the process that took over (not our child)

    def start(self):
        self.server = Server(self.root, [
            "--port", str(self.port), "--bind", "127.0.0.1", "--threads", "1",
            "--proxy-protocol", "--trusted-proxy", PROXY_ADDR,
            "--health", HEALTH, "--health-drain", "1",
            "--access-log", self.log, self.root])
        self.server.wait_started()

    def stop(self):
        """Graceful stop; waits for exit (drain 1 s + the requests in flight)."""
        self.server.send_signal(signal.SIGTERM)
        rc = self.server.wait(timeout=15)
        assert rc == 0, f"{self.name} exited with {rc}: {self.server.stderr_text()}"

    def upgrade(self):
        """SIGUSR2; waits for the new process's readiness and the old
        one's exit. The new one serves on the same socket from then on."""
        self.server.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 15
        pat = re.compile(r"eisd: upgrade: new process (\d+) is ready")
        while time.monotonic() < deadline:
            m = pat.search(self.server.stderr_text())
            if m:
                break
            assert "upgrade failed" not in self.server.stderr_text(), self.server.stderr_text()
            time.sleep(0.05)
        assert m, f"{self.name}: no upgrade: {self.server.stderr_text()}"
        self.upgraded_pid = int(m.group(1))
        rc = self.server.wait(timeout=15)
        assert rc == 0, f"{self.name}: the old process exited with {rc}"
        assert os.path.exists(f"/proc/{self.upgraded_pid}"), "the new process is gone"

    def kill(self):
        if self.server and self.server.alive():
            self.server.stop()
        pid, self.upgraded_pid = self.upgraded_pid, None
        if pid and os.path.exists(f"/proc/{pid}"):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.05)
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)


def client(port, deadline, stats, lock, errors):
    """Requests in a loop over keep-alive connections (reconnecting after
    every 20, so connections come and go through HAProxy too)."""
    names = sorted(FILES)
    i = 0
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                          source_address=(CLIENT_ADDR, 0))
        try:
            for _ in range(20):
                if time.monotonic() >= deadline:
                    break
                path = names[i % len(names)]
                i += 1
                try:
                    conn.request("GET", path)
                    r = conn.getresponse()
                    body = r.read()
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        stats["failed"] += 1
                        errors.append(f"{path}: {e!r}")
                    break
                with lock:
                    if r.status == 200 and body == FILES[path]:
                        stats["ok"] += 1
                    else:
                        stats["failed"] += 1
                        errors.append(f"{path}: {r.status} {body[:80]!r}")
        finally:
            conn.close()


def wait_serving(inst, since, timeout=10):
    """Until inst's log shows a client request after the line count since."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = read_log(inst.log)
        if any(ln.startswith(CLIENT_ADDR + " ") for ln in lines[since:]):
            return True
        time.sleep(0.1)
    return False


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [ln for ln in f.read().splitlines() if ln]


def main():
    tmp = tempfile.mkdtemp(prefix="eisd-scale-")
    root = os.path.join(tmp, "www")
    os.mkdir(root)
    for path, data in FILES.items():
        with open(root + path, "wb") as f:
            f.write(data)
    insts = [Instance(f"eisd{i}", root, free_port(), tmp) for i in range(3)]
    hap = None
    stats, lock, errors = {"ok": 0, "failed": 0}, threading.Lock(), []
    try:
        for inst in insts:
            inst.start()
        port = free_port()
        hap = HAProxy(tmp, port, config(port, [(i.name, i.port) for i in insts],
                                        health=HEALTH, source=PROXY_ADDR))
        # all three up (rise 2 checks at 100 ms) before the load starts
        for inst in insts:
            assert wait_serving_check(inst), f"{inst.name}: no health check seen"
        time.sleep(0.5)
        log(f"haproxy :{port} -> " + ", ".join(f"{i.name} :{i.port}" for i in insts)
            + f"; {CLIENTS} clients for {SECONDS:.0f}s")
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=client, args=(port, deadline, stats, lock, errors))
                   for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        # the rolling restart, one instance after the other, and an
        # upgrade in place in between
        for k, (inst, how) in enumerate([(insts[1], "restart"), (insts[0], "upgrade"),
                                         (insts[2], "restart")], start=1):
            at = deadline - SECONDS + SECONDS * k / 4
            while time.monotonic() < at:
                time.sleep(0.05)
            before = len(read_log(inst.log))
            if how == "upgrade":
                log(f"{inst.name}: upgrade in place (SIGUSR2)")
                inst.upgrade()
                log(f"{inst.name}: process {inst.upgraded_pid} took over")
            else:
                log(f"{inst.name}: graceful stop")
                inst.stop()
                log(f"{inst.name}: exited; starting again")
                inst.start()
            assert wait_serving(inst, before, timeout=max(5, deadline - time.monotonic())), \
                f"{inst.name} got no clients after its {how}"
            log(f"{inst.name}: serving again")
        for t in threads:
            t.join(timeout=SECONDS + 30)
            assert not t.is_alive(), "a client did not finish"
    finally:
        if hap:
            hap.stop()
        for inst in insts:
            inst.kill()

    log(f"{stats['ok']} requests ok, {stats['failed']} failed")
    for e in errors[:10]:
        log(f"  {e}")
    assert stats["failed"] == 0, f"{stats['failed']} failed requests"
    assert stats["ok"] > 0
    client_lines = 0
    for inst in insts:
        lines = read_log(inst.log)
        mine = [ln for ln in lines if ln.startswith(CLIENT_ADDR + " ")]
        checks = [ln for ln in lines if ln.startswith(PROXY_ADDR + " ")]
        other = [ln for ln in lines if ln not in mine and ln not in checks]
        assert not other, f"{inst.name}: lines from neither the client nor HAProxy: {other[:3]}"
        assert mine, f"{inst.name} served no client"
        assert all(f'"GET {HEALTH} ' in ln for ln in checks), \
            f"{inst.name}: HAProxy's address on a client request: {checks[:3]}"
        assert not any(f'"GET {HEALTH} ' in ln for ln in mine)
        assert all(ln.endswith(" 200 " + str(len(FILES[ln.split('"')[1].split()[1]])))
                   for ln in mine), f"{inst.name}: a client line that is not a whole 200"
        client_lines += len(mine)
        log(f"{inst.name}: {len(mine)} client requests, {len(checks)} health checks")
    assert client_lines == stats["ok"], \
        f"logs hold {client_lines} client requests, clients got {stats['ok']} answers"
    log("PASS")


def wait_serving_check(inst, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(ln.startswith(PROXY_ADDR + " ") for ln in read_log(inst.log)):
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    main()
