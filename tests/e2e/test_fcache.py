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


def test_precompressed_copy_appears_changes_and_goes(tmp_path, start_server):
    """A missing FILE.gz / FILE.br is remembered by the cache, yet one
    created, rewritten or removed later is seen by the very next request:
    while the file is fresh, once it is settled in memory, and through a
    symlinked directory (whose lookups are checked on every request)."""
    root = tmp_path / "www"
    os.mkdir(root)
    os.mkdir(root / "d")
    os.symlink("d", root / "link")
    plain = b"p { margin: 0 }\n" * 20
    write(root / "d" / "page.css", plain)
    gz = root / "d" / "page.css.gz"
    br = root / "d" / "page.css.br"
    s = start_server(root, threads=1)

    def expect(c, path, coding, body, accept="gzip, br"):
        for conn in (c, None):
            headers = [("Accept-Encoding", accept)] if accept else []
            if conn is None:
                with s.connect() as fresh:
                    fresh.send(req(path, headers=headers))
                    r = fresh.read_response()
            else:
                conn.send(req(path, headers=headers))
                r = conn.read_response()
            assert r.status == 200, (path, r)
            assert r.headers.get("Content-Encoding") == coding, (path, r)
            assert r.body == body, (path, coding, r.body[:40])
            # Vary exactly when a copy exists, identity answers included.
            copies = os.path.exists(gz) or os.path.exists(br)
            assert r.headers.get("Vary") == ("Accept-Encoding" if copies else None), r

    for path in ("/d/page.css", "/link/page.css"):
        with s.connect() as c:
            for settled in (False, True):
                # Missing copies, asked for again and again (cached misses).
                for _ in range(3):
                    expect(c, path, None, plain)
                    expect(c, path, None, plain, accept=None)
                if settled:
                    time.sleep(SETTLE)
                    expect(c, path, None, plain)
                write(gz, b"gzip one")
                expect(c, path, "gzip", b"gzip one")
                expect(c, path, None, plain, accept=None)
                write(gz, b"gzip two")  # in place, same size
                expect(c, path, "gzip", b"gzip two")
                write(br, b"brotli")    # preferred on a tie
                expect(c, path, "br", b"brotli")
                os.unlink(br)
                expect(c, path, "gzip", b"gzip two")
                os.unlink(gz)
                expect(c, path, None, plain)
                expect(c, path, None, plain, accept=None)
                write(root / "d" / "tmp", b"gzip by rename")
                os.replace(root / "d" / "tmp", gz)
                expect(c, path, "gzip", b"gzip by rename")
                os.unlink(gz)
                expect(c, path, None, plain)
