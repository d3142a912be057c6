"""Directory listings (--listing) and --index: HTML for people (sorted,
directories first, sizes, UTC times, parent link, every name escaped and
every link percent-encoded, hidden entries left out) and JSON for scripts
(Accept: application/json)."""

import html
import json
import os
import re
import tempfile
import textwrap
import urllib.parse

import pytest

from conftest import EISD_BIN, fetch, path_impl_env, req, run_eisd, run_in_netns
from semantics import set_mtime

# The HTTP semantics are the same over HTTP/2 (h2c): every test runs over both.
pytestmark = pytest.mark.over_h2

T = 1700000000  # 2023-11-14 22:13:20 UTC
T_HTML = "2023-11-14 22:13"
T_JSON = "2023-11-14T22:13:20Z"

TRICKY = '<b>x&y<b>"q\'.txt'

# Name -> (is_dir, size, human size), in the order the listing must show.
EXPECTED = [
    ("Adir", True, None, "-"),
    ("zdir", True, None, "-"),
    ("100%.txt", False, 5, "5 B"),
    (TRICKY, False, 6, "6 B"),
    # Names without regard to case (issue 15): C between b and g.
    ("a.txt", False, 0, "0 B"),
    ("b.txt", False, 1023, "1023 B"),
    ("C.txt", False, 1536, "1.5 KiB"),
    ("gib.bin", False, 3 * 1024 ** 3, "3.0 GiB"),
    ("in.txt", False, 13, "13 B"),
    ("javascript:alert(1)", False, 2, "2 B"),
    ("mib.bin", False, 2 * 1024 ** 2, "2.0 MiB"),
    ("nl\nname", False, 3, "3 B"),
    ("sp ace.txt", False, 4, "4 B"),
    ("\u00fcn\u00ef.txt", False, 7, "7 B"),
]


@pytest.fixture
def lsite(site):
    """site.root/list with assorted entries, all stamped T."""
    d = os.path.join(site.root, "list")
    os.mkdir(d)

    def w(name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    w("100%.txt", b"12345")
    w(TRICKY, b"tricky")
    w("C.txt", b"c" * 1536)
    w("a.txt", b"")
    w("b.txt", b"b" * 1023)
    w("javascript:alert(1)", b"js")
    w("nl\nname", b"n\nl")
    w("sp ace.txt", b"spac")
    w("\u00fcn\u00ef.txt", b"unicode")
    for name, size in (("gib.bin", 3 * 1024 ** 3), ("mib.bin", 2 * 1024 ** 2)):
        with open(os.path.join(d, name), "wb") as f:
            f.truncate(size)
    os.mkdir(os.path.join(d, "Adir"))
    os.mkdir(os.path.join(d, "zdir"))
    w(".hidden", b"HIDDEN")
    os.mkdir(os.path.join(d, ".hdir"))
    os.symlink("../hello.txt", os.path.join(d, "in.txt"))
    os.symlink("../../canary.txt", os.path.join(d, "out.txt"))
    os.symlink("/etc/passwd", os.path.join(d, "abs.txt"))
    os.symlink("nowhere", os.path.join(d, "broken.txt"))
    os.mkfifo(os.path.join(d, "fifo"))
    for name in os.listdir(d):
        p = os.path.join(d, name)
        if not os.path.islink(p):
            set_mtime(p, T)
    set_mtime(os.path.join(site.root, "hello.txt"), T)
    return site


@pytest.fixture
def lserver(lsite, start_server):
    return start_server(lsite.root, "--listing")


ROW_RE = re.compile(
    r'<tr(?: class="d")?><td class="n"><a href="([^"]*)">([^<]*)</a></td>'
    r'<td class="s"(?: title="(\d+) bytes")?>([^<]*)</td><td class="t">([^<]*)</td></tr>')


def rows(body):
    """[(href, text, exact size or None, human size, time)] in page order,
    all unescaped."""
    text = body.decode("utf-8")
    return [(html.unescape(h), html.unescape(n), int(b) if b else None, s, t)
            for h, n, b, s, t in ROW_RE.findall(text)]


def get(server, path, accept=None, method="GET"):
    headers = [("Accept", accept)] if accept else []
    return fetch(server, path, method=method, headers=headers)


# ------------------------------------------------------------ HTML


@pytest.mark.over_tls
def test_html_listing_exact_rows(lserver):
    r = get(lserver, "/list/")
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Vary"] == "Accept"
    assert r.headers["Content-Length"] == str(len(r.body))
    got = rows(r.body)
    assert got[0] == ("../", "../", None, "-", "")
    want = []
    for name, is_dir, size, human in EXPECTED:
        href = urllib.parse.quote(name, safe="") + ("/" if is_dir else "")
        want.append((href, name + ("/" if is_dir else ""), size, human, T_HTML))
    assert got[1:] == want


def test_html_is_a_styled_page(lserver):
    body = get(lserver, "/list/").body.decode()
    assert body.startswith("<!DOCTYPE html>\n")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "<style>" in body and "@media" in body
    assert "<title>Index of /list/</title>" in body
    # The heading is a breadcrumb: every parent a link (issue 15).
    assert '<h1>Index of <a href="/">/</a><span>list/</span></h1>' in body
    assert "2 directories, 12 files" in body
    assert body.endswith("</html>\n")


def test_names_are_escaped_and_links_encoded(lserver, lsite):
    r = get(lserver, "/list/")
    body = r.body.decode()
    assert "&lt;b&gt;x&amp;y&lt;b&gt;&quot;q&#39;.txt" in body
    assert '<a href="%3Cb%3Ex%26y%3Cb%3E%22q%27.txt">' in body
    assert "<b>x" not in body
    assert 'href="javascript:' not in body
    assert '<a href="javascript%3Aalert%281%29">' in body
    # Every link in the page leads to the right bytes.
    for href, name, size, _, _ in rows(r.body):
        if href.endswith("/"):
            continue
        target = urllib.parse.urljoin("/list/", href)
        if size > 1 << 20:  # the sparse giants: their length is enough
            f = fetch(lserver, target, method="HEAD")
            assert (f.status, f.headers["Content-Length"]) == (200, str(size)), name
            continue
        f = fetch(lserver, target)
        assert f.status == 200, (name, target, f)
        with open(os.path.join(lsite.root, "list", name), "rb") as fh:
            assert f.body == fh.read(), name


def test_hidden_and_unservable_entries_left_out(lsite, start_server, path_impl):
    """With either path implementation (openat2, the fallback), entries
    that could not be served are not listed: symlinks out of the root, to
    nowhere, FIFOs, hidden names."""
    server = start_server(lsite.root, "--listing", env=path_impl_env(path_impl))
    body = get(server, "/list/").body
    assert b"in.txt" in body  # the symlink that stays inside is listed
    for name in (b".hidden", b".hdir", b"out.txt", b"abs.txt", b"broken.txt", b"fifo",
                 b"HIDDEN", lsite.canary):
        assert name not in body, name


def test_dir_links_work(lserver):
    r = get(lserver, "/list/zdir/")
    assert r.status == 200
    got = rows(r.body)
    assert got == [("../", "../", None, "-", "")]
    assert b"0 directories, 0 files" in r.body


def test_root_listing_has_no_parent(lsite, start_server):
    s = start_server(os.path.join(lsite.root, "list"), "--listing")
    r = get(s, "/")
    assert r.status == 200
    got = rows(r.body)
    assert got[0][0] == "Adir/"
    assert all(href != "../" for href, *_ in got)
    assert b"<title>Index of /</title>" in r.body


def test_directory_title_is_escaped(lsite, start_server):
    os.mkdir(os.path.join(lsite.root, "list", "<i>d&"))
    s = start_server(lsite.root, "--listing")
    r = get(s, "/list/%3Ci%3Ed%26/")
    assert r.status == 200
    assert b"<title>Index of /list/&lt;i&gt;d&amp;/</title>" in r.body
    assert b"<i>d" not in r.body


def test_index_wins_over_listing(lserver):
    r = get(lserver, "/sub/")
    assert r.status == 200
    assert r.body == b"<!doctype html><title>sub</title><p>sub index</p>\n"


def test_head_listing(lserver):
    g = get(lserver, "/list/")
    with lserver.connect() as c:
        c.send(req("/list/", method="HEAD"))
        h = c.read_response(head=True)
        c.answered_next("/c.txt", b"C\n")
    assert h.status == 200
    assert h.headers["Content-Length"] == g.headers["Content-Length"]
    assert h.headers["Content-Type"] == g.headers["Content-Type"]


def test_redirect_to_slash_then_listing(lserver):
    r = get(lserver, "/list")
    assert r.status == 301
    assert r.headers["Location"] == "/list/"


def test_without_listing_still_403(lsite, start_server):
    s = start_server(lsite.root)
    assert get(s, "/list/").status == 403
    assert get(s, "/noindex/").status == 403
    assert get(s, "/list/", accept="application/json").status == 403


@pytest.mark.over_tls
def test_listing_keepalive_sequence(lserver):
    """The listing body is exactly Content-Length long: a pipelined request
    after it is answered correctly."""
    with lserver.connect() as c:
        c.send(req("/list/") + req("/list/", headers=[("Accept", "application/json")]) +
               req("/hello.txt"))
        a = c.read_response()
        b = c.read_response()
        h = c.read_response()
    assert a.headers["Content-Type"].startswith("text/html")
    json.loads(b.body)
    assert h.body == b"hello, world\n"


# ------------------------------------------------------------ JSON


@pytest.mark.over_tls
def test_json_listing(lserver):
    r = get(lserver, "/list/", accept="application/json")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Vary"] == "Accept"
    doc = json.loads(r.body)  # strict: raw control characters would fail
    assert doc["path"] == "/list/"
    assert doc["truncated"] is False
    want = []
    for name, is_dir, size, _ in EXPECTED:
        want.append({"name": name, "type": "directory" if is_dir else "file",
                     "size": size, "mtime": T_JSON,
                     "href": urllib.parse.quote(name, safe="") + ("/" if is_dir else "")})
    assert doc["entries"] == want


def test_json_escapes_control_and_invalid_utf8(lsite, start_server):
    d = os.path.join(lsite.root, "list", "zdir")
    for raw in (b"q\"b\\s\tt\x01\x1f.txt", b"bad\xff\xfe.txt"):
        with open(os.path.join(os.fsencode(d), raw), "wb") as f:
            f.write(b"x")
    s = start_server(lsite.root, "--listing")
    r = get(s, "/list/zdir/", accept="application/json")
    assert b'"q\\"b\\\\s\\tt\\u0001\\u001f.txt"' in r.body
    doc = json.loads(r.body)
    names = [e["name"] for e in doc["entries"]]
    assert names == ["bad\ufffd\ufffd.txt", "q\"b\\s\tt\x01\x1f.txt"]
    hrefs = [e["href"] for e in doc["entries"]]
    assert hrefs[0] == "bad%FF%FE.txt"
    assert fetch(s, "/list/zdir/" + hrefs[0]).body == b"x"
    assert fetch(s, "/list/zdir/" + hrefs[1]).body == b"x"


@pytest.mark.parametrize("accept,is_json", [
    ("application/json", True),
    ("application/json, text/plain;q=0.5", True),
    ("application/*", True),
    ("text/html;q=0.5, application/json", True),
    ("*/*", False),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
     False),
    ("application/json;q=0.5, text/html", False),
    ("application/json;q=0", False),
    ("text/html, application/json", False),
])
def test_accept_negotiation(lserver, accept, is_json):
    r = get(lserver, "/list/", accept=accept)
    assert r.status == 200
    if is_json:
        assert r.headers["Content-Type"] == "application/json"
        json.loads(r.body)
    else:
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"


# ------------------------------------------------------------ bounds


def test_listing_is_capped(tmp_path, start_server):
    # 10,005 files: on tmpfs when there is one, as creating them on disk
    # costs seconds.
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=base or str(tmp_path)) as root:
        d = os.path.join(root, "many")
        os.mkdir(d)
        for i in range(10005):
            open(os.path.join(d, f"f{i:05d}"), "wb").close()
        s = start_server(root, "--listing")
        r = get(s, "/many/", accept="application/json")
        doc = json.loads(r.body)
        assert doc["truncated"] is True
        assert len(doc["entries"]) == 10000
        names = [e["name"] for e in doc["entries"]]
        assert names == sorted(names)
        r = get(s, "/many/")
        assert b"at most 10000 entries are shown" in r.body
        assert len(rows(r.body)) == 1 + 10000
        s.stop()


# ------------------------------------------------------------ --index


def test_index_option(lsite, start_server):
    with open(os.path.join(lsite.root, "sub", "home.htm"), "wb") as f:
        f.write(b"home page\n")
    s = start_server(lsite.root, "--index", "home.htm", "--listing")
    r = get(s, "/sub/")
    assert r.status == 200
    assert r.body == b"home page\n"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    # The root has only index.html, which is no index now: a listing.
    r = get(s, "/")
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    names = [n for _, n, *_ in rows(r.body)]
    assert "index.html" in names and "hello.txt" in names
    s2 = start_server(lsite.root, "--index", "home.htm")
    assert get(s2, "/").status == 403


def test_index_that_is_a_directory_is_403(lsite, start_server):
    os.mkdir(os.path.join(lsite.root, "list", "Adir", "index.html"))
    s = start_server(lsite.root, "--listing")
    assert get(s, "/list/Adir/").status == 403


@pytest.mark.parametrize("bad", ["", ".hidden", "../x", "a/b", "x" * 256])
def test_bad_index_name_is_usage_error(site, bad):
    rc, out, err = run_eisd(["--port", "0", "--index", bad, site.root])
    assert rc == 2
    assert err.startswith("eisd: ") and "--index" in err
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------ slow reader

# Runs in a private network namespace, whose TCP send buffers are capped at
# 64 KiB (net.ipv4.tcp_wmem is per namespace): the listing page is far
# larger, so the kernel takes it in pieces however it is read. Prints the
# raw bytes the client received: the listing, then the answer to a
# follow-up request on the same connection.
NETNS_LISTING = textwrap.dedent(r"""
    import re, socket, subprocess, sys
    eisd, root = sys.argv[1], sys.argv[2]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with open("/proc/sys/net/ipv4/tcp_wmem", "w") as f:
        f.write("4096 16384 65536")
    p = subprocess.Popen([eisd, "--port", "0", "--threads", "1", "--quiet", "--listing", root],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = int(re.search(rb":(\d+)/ ", p.stdout.readline()).group(1))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(20)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /many/ HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        head = data.split(b"\r\n\r\n", 1)[0]
        want = len(head) + 4 + int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
        while len(data) < want:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.sendall(b"GET /c.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        sys.stdout.buffer.write(data)
    finally:
        p.kill()
        p.wait()
""")


def test_big_listing_to_a_slow_reader_is_byte_exact(site):
    """A listing is built in memory and sent with sendmsg. Larger than the
    send buffer, to a client with a 4 KiB receive buffer, it goes out piece
    by piece: every send after the first resumes inside a segment (the
    partial-write offset). The bytes must be exactly the page, each entry
    once and in order, and the connection must go on to the next request."""
    d = os.path.join(site.root, "many")
    os.mkdir(d)
    names = [f"entry-{i:04d}-{'x' * 100}.txt" for i in range(1500)]
    with open(os.path.join(site.root, "one.txt"), "wb") as f:
        f.write(b"z")
    for n in names:  # hard links: many files in a blink
        os.link(os.path.join(site.root, "one.txt"), os.path.join(d, n))
    raw = run_in_netns(NETNS_LISTING, EISD_BIN, site.root)
    head, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep and head.startswith(b"HTTP/1.1 200 OK\r\n"), raw[:200]
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    assert length > 4 * 65536, f"a listing of {length} bytes fits the send buffer"
    body, after = rest[:length], rest[length:]
    assert [g[1] for g in rows(body)] == ["../"] + names
    assert body.endswith(b"</html>\n"), body[-60:]
    # The follow-up's answer comes next, whole: nothing extra, nothing lost.
    fhead, sep, fbody = after.partition(b"\r\n\r\n")
    assert sep and fhead.startswith(b"HTTP/1.1 200 OK\r\n"), after[:200]
    assert fbody == b"C\n", fbody[:200]


def test_403_without_listing_says_how_to_turn_it_on(lsite, start_server):
    # Sharing a folder, the first thing people see: not a bare 403.
    s = start_server(lsite.root)
    r = get(s, "/noindex/")
    assert r.status == 403
    page = r.body.decode()
    assert "listing is off" in page
    assert "<code>--listing</code>" in page
    assert "index.html" in page
    # The same look as the listings, and a way back home.
    assert "system-ui" in page and "prefers-color-scheme:dark" in page
    assert '<a href="/">Home</a>' in page
    # Another 403 (an index that is a directory) has no such advice.
    os.mkdir(os.path.join(lsite.root, "noindex", "index.html"))
    r = get(s, "/noindex/")
    assert r.status == 403 and b"--listing" not in r.body


# ------------------------------------------------------------ sorting


def rows_of(body):
    return [t for _, t, *_ in rows(body.encode())]


def names_json(s, query):
    r = get(s, "/list/" + query, accept="application/json")
    assert r.status == 200
    return [e["name"] for e in json.loads(r.body)["entries"]]


def test_sort_by_name_is_case_insensitive(lserver):
    names = names_json(lserver, "")
    assert names == [n for n, *_ in EXPECTED]
    assert names.index("a.txt") < names.index("b.txt") < names.index("C.txt")
    assert names_json(lserver, "?sort=name&order=desc") == \
        ["zdir", "Adir"] + [n for n, d, *_ in reversed(EXPECTED) if not d]


def test_sort_by_size_and_date(lsite, lserver):
    d = os.path.join(lsite.root, "list")
    files = [(n, s) for n, dr, s, _ in EXPECTED if not dr]
    # Largest first by default; ties by name; directories stay first.
    by_size = sorted(files, key=lambda f: (-f[1], f[0].lower()))
    got = names_json(lserver, "?sort=size")
    assert got[:2] == ["Adir", "zdir"]
    assert got[2:] == [n for n, _ in by_size]
    assert got[2:4] == ["gib.bin", "mib.bin"]
    asc = names_json(lserver, "?sort=size&order=asc")
    assert asc[:2] == ["Adir", "zdir"] and asc[2] == "a.txt" and asc[-1] == "gib.bin"
    # Dates: newest first by default.
    set_mtime(os.path.join(d, "b.txt"), T + 3600)
    set_mtime(os.path.join(d, "sp ace.txt"), T - 3600)
    got = names_json(lserver, "?sort=date")
    assert got[:2] == ["Adir", "zdir"] and got[2] == "b.txt" and got[-1] == "sp ace.txt"
    got = names_json(lserver, "?sort=date&order=asc")
    assert got[2] == "sp ace.txt" and got[-1] == "b.txt"


def test_sort_column_links_and_unknown_values(lserver):
    body = get(lserver, "/list/").body.decode()
    assert '<th aria-sort="ascending"><a href="?sort=name&amp;order=desc">Name' in body
    assert '<a href="?sort=size&amp;order=desc">Size</a>' in body
    assert '<a href="?sort=date&amp;order=desc">Modified (UTC)</a>' in body
    body = get(lserver, "/list/?sort=size").body.decode()
    assert '<th class="s" aria-sort="descending"><a href="?sort=size&amp;order=asc">Size' in body
    assert '<a href="?sort=name&amp;order=asc">Name</a>' in body
    # The HTML rows follow the order too.
    assert rows_of(body)[1:3] == ["Adir/", "zdir/"]
    assert rows_of(body)[3:5] == ["gib.bin", "mib.bin"]
    # Anything else is the default order.
    for q in ("?sort=bogus", "?order=sideways", "?sort=", "?x=1&sort=NAME"):
        assert names_json(lserver, q) == [n for n, *_ in EXPECTED]


def test_sorted_pages_follow_changes(lsite, lserver):
    # Each order is cached once per directory version: a change shows in
    # every order at the next request.
    for q in ("", "?sort=size", "?sort=date&order=asc"):
        assert "new.txt" not in names_json(lserver, q)
    with open(os.path.join(lsite.root, "list", "new.txt"), "wb") as f:
        f.write(b"x" * 100)
    for q in ("", "?sort=size", "?sort=date&order=asc"):
        assert "new.txt" in names_json(lserver, q)
    assert names_json(lserver, "?sort=date&order=asc")[-1] == "new.txt"


def test_breadcrumb_links_each_parent(site, start_server):
    deep = os.path.join(site.root, "a b", "c&d", "e")
    os.makedirs(deep)
    s = start_server(site.root, "--listing")
    body = get(s, "/a%20b/c&d/e/").body.decode()
    assert ('<h1>Index of <a href="/">/</a><a href="/a%20b/">a b/</a>'
            '<a href="/a%20b/c%26d/">c&amp;d/</a><span>e/</span></h1>') in body
    for href in ("/", "/a%20b/", "/a%20b/c%26d/"):
        assert get(s, href).status == 200
    os.remove(os.path.join(site.root, "index.html"))
    assert '<h1>Index of <span>/</span></h1>' in get(s, "/").body.decode()
