"""Attacks on the engine itself (issue 16 items 3 and 4): a greedy
pipeliner must not monopolise a one-thread worker, and a client dropped for
not reading its response must not leave its queued data in the kernel."""

import os
import socket
import threading

import pytest

from conftest import SOCK_TIMEOUT, req, wait_for


def _response_len(server, path):
    """Bytes of one full response to GET path (all alike but the Date,
    which has a fixed width)."""
    with server.connect() as c:
        c.send(req(path))
        r = c.read_response()
        assert r.status == 200
        return len(r.head_bytes) + len(r.body)


def test_greedy_pipeliner_does_not_starve_others(site, start_server):
    """A client pipelining thousands of requests and reading fast, beside a
    normal client on --threads 1: the normal client is answered while most
    of the pipeliner's queue is still unanswered."""
    s = start_server(site.root, threads=1)
    one = _response_len(s, "/hello.txt")
    total = 20000

    normal = s.connect()
    greedy = socket.create_connection(("127.0.0.1", s.port), timeout=SOCK_TIMEOUT)
    got = [0]
    done = threading.Event()
    started = threading.Event()

    def read_greedy():
        try:
            while got[0] < total * one:
                chunk = greedy.recv(16384)
                if not chunk:
                    break
                got[0] += len(chunk)
                if got[0] >= 100 * one:
                    started.set()
        finally:
            started.set()
            done.set()

    def send_greedy():
        greedy.sendall(req("/hello.txt") * total)

    reader = threading.Thread(target=read_greedy, daemon=True)
    sender = threading.Thread(target=send_greedy, daemon=True)
    reader.start()
    sender.start()
    try:
        assert started.wait(SOCK_TIMEOUT), "the pipeliner was never answered"
        answered_before = got[0] // one
        normal.send(req("/a.txt"))
        r = normal.read_response()
        answered_when_normal_got_its_reply = got[0] // one
        assert r.status == 200 and r.body == site.read("a.txt")
        # Fair shares: the normal client waited for a turn or two (a few
        # dozen of the pipeliner's answers; the client reads them in 16 KiB
        # steps), not for a long run of its queue (thousands without).
        meanwhile = answered_when_normal_got_its_reply - answered_before
        assert answered_when_normal_got_its_reply < total, "the flood ended first"
        assert meanwhile < total // 10, (
            f"the pipeliner got {meanwhile} answers while the normal client waited "
            f"(from {answered_before} of {total})")
        # And the pipeliner gets every answer all the same.
        assert done.wait(60), "the pipeliner's queue was not finished"
        assert got[0] == total * one
    finally:
        greedy.close()
        normal.close()
        reader.join(5)
        sender.join(5)


def _sockstat_tcp():
    """(orphan sockets, pages of memory) of TCP, from /proc/net/sockstat."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                vals = dict(zip(fields[1::2], (int(v) for v in fields[2::2])))
                return vals["orphan"], vals["mem"]
    raise AssertionError("no TCP line in /proc/net/sockstat")


# serial: reads the whole machine's TCP memory (/proc/net/sockstat)
@pytest.mark.serial
def test_dropped_readers_free_their_kernel_memory(site, start_server, tmp_path):
    """200 clients ask for a large file and never read: the kernel holds
    what is queued for them. When the send deadline drops them the server
    resets those connections, so the queued data is freed at once, not held
    by orphaned sockets for minutes."""
    # Larger than the most a kernel send buffer holds (tcp_wmem max, 4 MiB
    # by default), so each response stays under way until the drop.
    big = os.path.join(site.root, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(1 << 20) * 8)
    s = start_server(site.root, "--send-timeout", "1", threads=2)
    fds_idle = len(os.listdir(f"/proc/{s.pid}/fd"))
    n = 200
    orphans0, mem0 = _sockstat_tcp()
    clients = []
    try:
        for _ in range(n):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # A small receive window keeps the clients' own share of the
            # kernel's memory small: what is measured is the server's.
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.settimeout(SOCK_TIMEOUT)
            c.connect(("127.0.0.1", s.port))
            c.sendall(req("/big.bin"))
            clients.append(c)
        # While they stall, the server's send queues hold their data.
        peak = [mem0]
        fds = [0]

        def all_dropped():
            peak[0] = max(peak[0], _sockstat_tcp()[1])
            fds[0] = len(os.listdir(f"/proc/{s.pid}/fd"))
            return fds[0] <= fds_idle + 2  # the file itself may stay cached

        assert wait_for(all_dropped, 30), (
            f"the stalled readers were not dropped: {fds[0]} fds, {fds_idle} when idle")
        orphans1, mem1 = _sockstat_tcp()
        grown_peak = peak[0] - mem0
        grown_after = mem1 - mem0
        assert grown_peak > 2 * n, f"the stalled readers held only {grown_peak} pages"
        # Dropped with a reset: nothing is left queued for them (the
        # clients' own small receive queues aside), and no orphan holds on.
        assert grown_after < grown_peak // 4, (
            f"TCP memory {mem0} -> peak {peak[0]} -> {mem1} pages after the drops")
        assert orphans1 - orphans0 < n // 10, f"{orphans1 - orphans0} orphaned sockets"
        # The reset is what the clients see.
        c = clients[0]
        c.settimeout(5)
        try:
            while c.recv(1 << 20):
                pass
            reset = False
        except ConnectionResetError:
            reset = True
        assert reset, "a dropped reader saw a clean close, not a reset"
    finally:
        for c in clients:
            c.close()
    # The server serves on.
    with s.connect() as c:
        c.send(req("/hello.txt"))
        assert c.read_response().status == 200
