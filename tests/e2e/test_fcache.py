"""The open-file cache never serves a stale file: whatever happens to a
file between two requests, the second one gets the file as it is now.

One worker thread, so every request meets the same cache; one keep-alive
connection per check plus a fresh one."""

import os
import time

from conftest import req

# fcache.h FCACHE_SETTLE_SEC: files whose ctime is this old are copied into
# memory; waiting it out puts the cache in its in-memory state.
SETTLE = 2.2


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def get(conn, path):
    conn.send(req(path))
    return conn.read_response()


def check(server, conn, path, status, body=None):
    """The answer on the kept connection and on a fresh one."""
    for c in (conn, None):
        if c is None:
            with server.connect() as fresh:
                r = get(fresh, path)
        else:
            r = get(c, path)
        assert r.status == status, (path, r)
        if body is not None:
            assert r.body == body, (path, r.body[:80])
            assert int(r.headers["Content-Length"]) == len(body)


def test_changes_seen_by_next_request(tmp_path, start_server):
    root = tmp_path / "www"
    os.mkdir(root)
    os.mkdir(root / "dir")
    files = {
        "grow.txt": b"small\n",
        "same.txt": b"0123456789\n",
        "renamed.txt": b"before rename\n",
        "gone.txt": b"about to go\n",
        "dir/inner.txt": b"inside the old dir\n",
        "big.bin": bytes(range(256)) * 100,  # over the in-memory limit
        "mtime.txt": b"mtime first\n",
    }
    for name, data in files.items():
        write(root / name, data)
    s = start_server(root, threads=1)
    with s.connect() as c:
        # Fresh files (ctime too recent to copy), then settled ones.
        for name, data in files.items():
            check(s, c, "/" + name, 200, data)
        time.sleep(SETTLE)
        for name, data in files.items():
            check(s, c, "/" + name, 200, data)

        write(root / "grow.txt", b"now a good deal longer than before\n")
        check(s, c, "/grow.txt", 200, b"now a good deal longer than before\n")

        # Same size, rewritten in place, twice in quick succession.
        write(root / "same.txt", b"abcdefghij\n")
        check(s, c, "/same.txt", 200, b"abcdefghij\n")
        write(root / "same.txt", b"ABCDEFGHIJ\n")
        check(s, c, "/same.txt", 200, b"ABCDEFGHIJ\n")

        # Replaced by rename, as editors and deploy tools do.
        write(root / "renamed.tmp", b"after rename!\n")
        os.replace(root / "renamed.tmp", root / "renamed.txt")
        check(s, c, "/renamed.txt", 200, b"after rename!\n")

        os.unlink(root / "gone.txt")
        check(s, c, "/gone.txt", 404)

        # A directory on the path swapped for another.
        os.rename(root / "dir", root / "dir.old")
        os.mkdir(root / "dir")
        write(root / "dir" / "inner.txt", b"the new dir\n")
        check(s, c, "/dir/inner.txt", 200, b"the new dir\n")

        # A large file served from the cached descriptor, changed in place.
        big = bytearray(files["big.bin"])
        big[100:110] = b"X" * 10
        write(root / "big.bin", bytes(big))
        check(s, c, "/big.bin", 200, bytes(big))

        # Same size, content and mtime set back: the ctime still moved.
        st = os.stat(root / "mtime.txt")
        write(root / "mtime.txt", b"mtime other\n")
        os.utime(root / "mtime.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
        check(s, c, "/mtime.txt", 200, b"mtime other\n")

        # Made unreadable-as-a-file: replaced by a directory.
        os.unlink(root / "grow.txt")
        os.mkdir(root / "grow.txt")
        r = get(c, "/grow.txt")
        assert r.status == 301, r


def test_more_files_than_the_cache_holds(tmp_path, start_server):
    """Over FCACHE_MAX_ENTRIES (512) files: evicted entries, reopened ones
    and entries evicted while in use all answer their own bytes."""
    root = tmp_path / "www"
    os.mkdir(root)
    n = 600
    for i in range(n):
        write(root / f"f{i}.txt", f"file number {i}\n".encode() * (1 + i % 7))
    s = start_server(root, threads=1)
    with s.connect() as c:
        for rnd in range(2):
            for i in range(n):
                r = get(c, f"/f{i}.txt")
                assert r.status == 200
                assert r.body == f"file number {i}\n".encode() * (1 + i % 7), (rnd, i)
        # Pipelined: responses queued together while the cache turns over.
        batch = b"".join(req(f"/f{i}.txt") for i in range(0, n, 3))
        c.send(batch)
        for i in range(0, n, 3):
            r = c.read_response()
            assert r.body == f"file number {i}\n".encode() * (1 + i % 7), i

