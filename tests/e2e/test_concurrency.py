"""Many clients at once on a fixed pool of worker threads."""

import os
import re
import threading

import pytest

from conftest import Conn, req

NFILES = 20


@pytest.fixture
def many_files(site):
    files = {}
    for i in range(NFILES):
        data = os.urandom(64 * 1024 + i * 1013)
        name = f"f{i:02d}.bin"
        with open(os.path.join(site.root, name), "wb") as f:
            f.write(data)
        files[name] = data
    return files


@pytest.mark.over_tls
def test_200_concurrent_clients(site, start_server, many_files):
    s = start_server(site.root, threads=2)
    n = 200
    barrier = threading.Barrier(n, timeout=30)
    errors = []
    done = []
    lock = threading.Lock()

    def client(i):
        try:
            first = f"f{i % NFILES:02d}.bin"
            second = f"f{(i + 7) % NFILES:02d}.bin"
            with s.connect(timeout=30) as c:
                barrier.wait()
                c.send(req("/" + first) + req("/" + second, headers=[("Connection", "close")]))
                r1 = c.read_response()
                r2 = c.read_response()
                assert (r1.status, r2.status) == (200, 200), (r1, r2)
                assert r1.body == many_files[first], f"client {i}: wrong bytes for {first}"
                assert r2.body == many_files[second], f"client {i}: wrong bytes for {second}"
                assert c.closed_by_server(timeout=10)
            with lock:
                done.append(i)
        except BaseException as e:  # collected and reported below
            with lock:
                errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, f"{len(errors)} clients failed, e.g. {errors[:5]}"
    assert len(done) == n


@pytest.mark.over_tls
@pytest.mark.smoke
def test_concurrent_mixed_good_and_bad_clients(site, start_server, many_files):
    """Broken requests and slow clients on the same workers do not disturb
    well-behaved ones."""
    s = start_server(site.root, threads=2)
    errors = []
    lock = threading.Lock()

    def good(i):
        try:
            name = f"f{i % NFILES:02d}.bin"
            with s.connect(timeout=30) as c:
                for _ in range(3):
                    c.send(req("/" + name))
                    r = c.read_response()
                    assert r.status == 200 and r.body == many_files[name]
        except BaseException as e:
            with lock:
                errors.append(f"good {i}: {e!r}")

    def bad(i):
        try:
            with s.connect(timeout=30) as c:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
                r = c.read_response()
                assert r.status == 400
        except BaseException as e:
            with lock:
                errors.append(f"bad {i}: {e!r}")

    def slow(i):
        try:
            with s.connect(timeout=30) as c:
                c.send_slowly(req("/a.txt"), delay=0.005)
                assert c.read_response().body == b"AAAA file a\n"
        except BaseException as e:
            with lock:
                errors.append(f"slow {i}: {e!r}")

    threads = []
    for i in range(60):
        threads.append(threading.Thread(target=[good, bad, slow][i % 3], args=(i,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors[:5]


def test_threads_are_a_fixed_pool(site, start_server):
    """No thread per connection: holding many connections does not grow the
    thread count, and a new client is still served."""
    s = start_server(site.root, threads=2)

    def nthreads():
        with open(f"/proc/{s.pid}/status") as f:
            return int(re.search(r"^Threads:\s+(\d+)", f.read(), re.M).group(1))

    base = nthreads()
    conns = []
    try:
        for _ in range(1000):
            conns.append(s.connect())
        for c in conns[::20]:
            c.send(req("/a.txt"))
        for c in conns[::20]:
            assert c.read_response().body == b"AAAA file a\n"
        assert nthreads() <= base + 1, (base, nthreads())
        assert nthreads() <= s.threads + 4, nthreads()
        with s.connect() as c:
            c.send(req("/b.txt"))
            assert c.read_response().body == b"BBBBBBBB file b\n"
    finally:
        for c in conns:
            c.close()
