"""Listings cost once and stay bounded (issue 16 item 2): a directory is
read at most once per change (per worker), however many GETs and HEADs
ask for it; a page is at most 2 MiB, with the entries past that counted
in one "N more entries not shown" line; clients that do not read a big
page share one copy of it; and a client pipelining HEADs of a 100,000-entry
directory does not starve a normal client."""

import ctypes
import ctypes.util
import json
import os
import re
import struct
import tempfile
import threading
import time

import pytest

from conftest import Conn, fetch, req

PAGE_MAX = 2 << 20
IN_ACCESS = 0x1
IN_NONBLOCK = os.O_NONBLOCK


def fast_tmp(tmp_path_factory, name):
    """A directory on tmpfs when there is one (creating 100,000 files on
    disk costs seconds), else under pytest's tmp."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix=name, dir=base or str(tmp_path_factory.mktemp(name)))


@pytest.fixture(scope="module")
def big_root(tmp_path_factory):
    """root/big: 100,000 files; root/a.txt."""
    with fast_tmp(tmp_path_factory, "eisd-big-") as root:
        d = os.path.join(root, "big")
        os.mkdir(d)
        for i in range(100000):
            os.close(os.open(os.path.join(d, f"file-{i:06d}.txt"), os.O_CREAT | os.O_WRONLY, 0o644))
        with open(os.path.join(root, "a.txt"), "wb") as f:
            f.write(b"AAAA file a\n")
        yield root


@pytest.fixture(scope="module")
def quote_root(tmp_path_factory):
    """root/huge: 10,000 names of 250 bytes, mostly '"' (each is 6 bytes
    in HTML and 3 in a link: 24 MB of page uncapped)."""
    with fast_tmp(tmp_path_factory, "eisd-quotes-") as root:
        d = os.path.join(root, "huge")
        os.mkdir(d)
        for i in range(10000):
            name = '"' * 244 + f"{i:06d}"
            os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_WRONLY, 0o644))
        yield root


class DirReads:
    """Counts the reads (getdents) of a directory through inotify's
    IN_ACCESS, which the kernel queues for every read of it."""

    def __init__(self, path):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(IN_NONBLOCK)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        wd = libc.inotify_add_watch(self.fd, os.fsencode(path), IN_ACCESS)
        assert wd >= 0, os.strerror(ctypes.get_errno())
        self.count = 0

    def take(self):
        """Reads the queued events; identical ones queued back to back are
        merged by the kernel, so call this after each request."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.count
            off = 0
            while off + 16 <= len(data):
                _, mask, _, ln = struct.unpack_from("iIII", data, off)
                if mask & IN_ACCESS:
                    self.count += 1
                off += 16 + ln

    def close(self):
        os.close(self.fd)


def rows(body):
    """Entries on an HTML page (the parent link is not one)."""
    return (body.count(b'<tr><td class="n"><a href="') + body.count(b'<tr class="d"><td class="n"><a href="')
            - body.count(b'<a href="../">'))


def test_a_directory_is_read_once_per_change(site, start_server):
    d = os.path.join(site.root, "sub")
    s = start_server(site.root, "--listing", "--index", "none.html", threads=1)
    reads = DirReads(d)
    try:
        for i in range(30):
            r = fetch(s, "/sub/", method="HEAD" if i % 3 == 0 else "GET",
                      headers=[("Accept", "application/json")] if i % 2 else [])
            assert r.status == 200
            reads.take()
        assert reads.count == 1, f"{reads.count} reads for 30 requests"
        def entries():
            r = fetch(s, "/sub/", headers=[("Accept", "application/json")])
            reads.take()
            return {e["name"]: e for e in json.loads(r.body)["entries"]}

        # A change is seen by the very next request, and costs one read.
        p = os.path.join(d, "new.txt")
        with open(p, "wb") as f:
            f.write(b"12345")
        assert entries()["new.txt"]["size"] == 5
        assert reads.count == 2
        # A file written in place (the directory's mtime stays) is seen too.
        with open(p, "ab") as f:
            f.write(b"678")
        assert entries()["new.txt"]["size"] == 8
        os.utime(p, (1700000000, 1700000000))
        assert entries()["new.txt"]["mtime"] == "2023-11-14T22:13:20Z"
        os.unlink(p)
        assert "new.txt" not in entries()
        for _ in range(10):
            assert fetch(s, "/sub/").status == 200
            reads.take()
        assert reads.count == 5, "one read per change, none for the requests between"
    finally:
        reads.close()


def test_pipelined_heads_of_a_huge_directory_do_not_starve_a_normal_client(big_root,
                                                                            start_server):
    """One worker; a client pipelines HEAD /big/ (100,000 entries: 70-120 ms
    each to read and render here before the cache) without pause, and a
    normal client beside it must get its 20 answers while the pipeliner
    is still sending and being answered."""
    s = start_server(big_root, "--listing", threads=1)
    greedy = Conn(s.port, timeout=60)
    sent, got = [0], [0]
    stop = threading.Event()
    failed = []
    batch = req("/big/", method="HEAD") * 200

    def writer():
        try:
            while not stop.is_set() and sent[0] < 5_000_000:
                greedy.sock.sendall(batch)
                sent[0] += 200
        except OSError as e:
            if not stop.is_set():
                failed.append(repr(e))

    def reader():
        try:
            while not stop.is_set():
                r = greedy.read_response(head=True)
                assert r.status == 200, r
                got[0] += 1
        except Exception as e:  # noqa: BLE001 (reported below)
            if not stop.is_set():
                failed.append(repr(e))

    threads = [threading.Thread(target=f, daemon=True) for f in (writer, reader)]
    for t in threads:
        t.start()
    try:
        # The pipeliner is under way before the normal client starts.
        deadline = time.monotonic() + 30
        while got[0] == 0 and not failed:
            assert time.monotonic() < deadline, "the pipeliner got no answer in 30 s"
            time.sleep(0.01)
        with Conn(s.port, timeout=10) as c:
            for _ in range(20):
                c.send(req("/a.txt"))
                r = c.read_response()
                assert r.status == 200 and r.body == b"AAAA file a\n"
        assert not failed, failed
        # Still going: the normal client was served beside the pipeliner,
        # not after it.
        assert sent[0] - got[0] > 0 and threads[0].is_alive(), (sent[0], got[0])
        answered_then = got[0]
        deadline = time.monotonic() + 30
        while got[0] == answered_then:
            assert time.monotonic() < deadline and not failed, failed
            time.sleep(0.01)
    finally:
        stop.set()
        greedy.close()
        for t in threads:
            t.join(timeout=10)


def test_page_is_capped_with_a_line_for_the_rest(quote_root, start_server):
    s = start_server(quote_root, "--listing")
    r = fetch(s, "/huge/")
    assert r.status == 200
    assert len(r.body) <= PAGE_MAX
    shown = rows(r.body)
    m = re.search(rb'<tr class="more"><td class="n" colspan="3">(\d+) more entries not shown</td></tr>',
                  r.body)
    assert m, r.body[-600:]
    assert 0 < shown < 10000 and shown + int(m.group(1)) == 10000
    assert b"10000 files" in r.body  # the footer counts them all
    doc = json.loads(fetch(s, "/huge/", headers=[("Accept", "application/json")]).body)
    assert doc["truncated"] is True
    assert 0 < len(doc["entries"]) < 10000
    assert len(doc["entries"]) + doc["not_shown"] == 10000
    names = [e["name"] for e in doc["entries"]]
    assert names == sorted(names)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


RSS_BOUND = 32 << 20


def test_sixty_clients_not_reading_a_huge_listing_share_one_page(quote_root, start_server):
    """Before: each held its own 24 MB page (1.4 GB for 60). Now the page
    is at most 2 MiB, kept once per worker and sent in place: RSS grows by
    less than RSS_BOUND (32 MiB) with 60 such clients."""
    s = start_server(quote_root, "--listing")
    base = rss(s.pid)
    clients = []
    try:
        for _ in range(60):
            c = Conn(s.port, rcvbuf=4096)
            c.send(req("/huge/"))
            clients.append(c)
        starts = []
        for c in clients:  # every response under way
            data = b""
            while len(data) < 12:
                chunk = c.sock.recv(12 - len(data))
                assert chunk, "closed"
                data += chunk
            assert data == b"HTTP/1.1 200"
            starts.append(data)
        grown = rss(s.pid) - base
        assert grown < RSS_BOUND, f"RSS grew by {grown >> 20} MiB with 60 clients not reading"
        # And they all get the same page when they do read.
        first = None
        for c, data in zip(clients[:3], starts):
            c.buf += data
            body = c.read_response().body
            first = first or body
            assert body == first and len(body) <= PAGE_MAX
    finally:
        for c in clients:
            c.close()
