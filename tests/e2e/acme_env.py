"""A real ACME server for the tests: Debian's pebble (the test CA Let's
Encrypt's own clients are tested against) with real challenge validation,
and pebble-challtestsrv as the DNS server pebble resolves names with, so
every test name points at 127.0.0.1 (or wherever a test says). Both are
started on free loopback ports and stopped by PID."""

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

from conftest import free_port


def _wait_port(port, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


class Pebble:
    """pebble + challtestsrv. validate_http / validate_tls: the ports
    pebble's validation connects to (eisd's redirect and TLS listeners)."""

    def __init__(self, workdir, certs, validate_http, validate_tls, nonce_reject=None):
        self.dir = str(workdir)
        self.certs = certs
        self.acme_port = free_port()
        self.mgmt_port = free_port()
        self.dns_port = free_port()
        self.cts_mgmt_port = free_port()
        self.log_path = os.path.join(self.dir, "pebble.log")
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme_port}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
            "certificate": certs.path("ec.crt"),
            "privateKey": certs.path("ec.key"),
            "httpPort": validate_http,
            "tlsPort": validate_tls,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}
        self.config = os.path.join(self.dir, "pebble.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        self.procs = []
        self.cts = self._spawn(
            ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns_port}",
             "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{self.cts_mgmt_port}",
             "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
            os.path.join(self.dir, "challtestsrv.log"), {})
        _wait_port(self.cts_mgmt_port, self.cts, "pebble-challtestsrv")
        env = {"PEBBLE_VA_NOSLEEP": "1"}
        if nonce_reject is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = str(nonce_reject)
        self.env = env
        self.start()

    def _spawn(self, cmd, log, env):
        out = open(log, "ab")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             env=dict(os.environ, **env), start_new_session=True)
        out.close()
        self.procs.append(p)
        return p

    def start(self):
        self.proc = self._spawn(["pebble", "-config", self.config, "-dnsserver",
                                 f"127.0.0.1:{self.dns_port}"], self.log_path, self.env)
        _wait_port(self.acme_port, self.proc, "pebble")
        _wait_port(self.mgmt_port, self.proc, "pebble")

    def stop_ca(self):
        """Stops pebble only (the DNS server stays)."""
        self._kill(self.proc)

    @property
    def directory(self):
        return f"https://127.0.0.1:{self.acme_port}/dir"

    def root_pem(self):
        """The root that pebble's issued chains lead to (pebble makes a
        new one at every start)."""
        ctx = ssl.create_default_context(cafile=self.certs.ca)
        with urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt_port}/roots/0",
                                    context=ctx, timeout=10) as r:
            return r.read().decode()

    def set_address(self, host, address):
        """Points host's A record at address (challtestsrv's API)."""
        body = json.dumps({"host": host, "addresses": [address]}).encode()
        r = urllib.request.Request(f"http://127.0.0.1:{self.cts_mgmt_port}/add-a", data=body,
                                   method="POST")
        with urllib.request.urlopen(r, timeout=10) as resp:
            assert resp.status == 200

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def count(self, needle):
        return self.log().count(needle)

    def orders(self):
        """How many orders pebble created. Not its "POST /order-plz" lines:
        a POST whose nonce pebble refused (5% by default) is logged too, and
        eisd rightly sends it again."""
        return self.count("Added order ")

    @staticmethod
    def _kill(p):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=5)

    def close(self):
        for p in reversed(self.procs):
            self._kill(p)
