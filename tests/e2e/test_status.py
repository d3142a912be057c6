"""The status report: --status PATH over HTTP (JSON and a self-refreshing
HTML page, checked in headless Chromium), loopback-only unless
--status-public, and SIGUSR1 printing the same JSON in every mode."""

import calendar
import json
import os
import signal
import textwrap
import time

import pytest

from browser import decode_png, run_chromium
from conftest import EISD_BIN, fetch, read_until, req, run_eisd, run_in_netns

STATUS = "/_status"


def get_status(server, path=STATUS + "?format=json", headers=()):
    r = fetch(server, path, headers=headers)
    assert r.status == 200, r
    return r


def get_json(server):
    r = get_status(server)
    assert r.headers["Content-Type"] == "application/json", r.headers.raw
    assert r.body.endswith(b"}\n") and r.body.count(b"\n") == 1, r.body[-50:]
    return json.loads(r.body)


def iso_to_epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture
def ssrv(site, start_server):
    return start_server(site.root, "--status", STATUS)


# ---------------------------------------------------------------- JSON

def test_json_fields(ssrv):
    now = time.time()
    j = get_json(ssrv)
    assert j["running"] is True
    assert j["protocol"] == "http"
    assert j["port"] == ssrv.port
    assert j["address"] == f"127.0.0.1:{ssrv.port}"
    assert j["threads"] == 2
    assert abs(iso_to_epoch(j["started_at"]) - now) <= 10
    assert 0 <= j["uptime"] <= 10
    assert set(j["responses"]) == {"1xx", "2xx", "3xx", "4xx", "5xx"}
    assert j["clients"] >= 1 and j["connections"] >= 1
    assert j["client_list_truncated"] is False
    # The lecture's get_status keys: a number and a list (issue 15).
    assert isinstance(j["clients"], int) and isinstance(j["client_list"], list)
    assert "client_count" not in j and "clients_truncated" not in j
    for c in j["client_list"]:
        assert set(c) == {"address", "port", "connected_at", "uptime", "state", "requests"}


def test_numbers_move(ssrv):
    j0 = get_json(ssrv)
    conns = []
    try:
        for _ in range(3):
            c = ssrv.connect()
            c.send(req("/a.txt"))
            assert c.read_response().body == b"AAAA file a\n"
            conns.append(c)
        j1 = get_json(ssrv)
        # Three kept-alive clients, plus the one asking.
        assert j1["clients"] >= 4
        assert j1["connections"] >= 4 and j1["peak_connections"] >= 4
        assert len(j1["client_list"]) == j1["clients"]
        listed = {(c["address"], c["port"]) for c in j1["client_list"]}
        for c in conns:
            assert ("127.0.0.1", c.sock.getsockname()[1]) in listed, (listed, c.sock.getsockname())
        for c in j1["client_list"]:
            assert abs(iso_to_epoch(c["connected_at"]) - time.time()) <= 10
            assert 0 <= c["uptime"] <= 10
        # Exactly: j0's own request, then three file requests.
        assert j1["requests"] == j0["requests"] + 4
        assert j1["responses"]["2xx"] == j0["responses"]["2xx"] + 4
        assert j1["bytes_sent"] >= j0["bytes_sent"] + 3 * 12 + 200
        assert j1["accepted"] >= j0["accepted"] + 4

        assert fetch(ssrv, "/no-such-file").status == 404
        j2 = get_json(ssrv)
        assert j2["responses"]["4xx"] == j1["responses"]["4xx"] + 1
        assert j2["requests"] == j1["requests"] + 2
    finally:
        for c in conns:
            c.close()
    # The clients go away from the list as they close.
    deadline = time.monotonic() + 5
    while True:
        j3 = get_json(ssrv)
        if j3["clients"] == 1:
            break
        assert time.monotonic() < deadline, j3["client_list"]
        time.sleep(0.05)
    assert j3["peak_connections"] >= 4
    assert len(j3["client_list"]) == 1


@pytest.mark.parametrize("path, headers, json_wanted", [
    (STATUS + "?format=json", (), True),
    (STATUS + "?x=1&format=json", (), True),
    (STATUS, [("Accept", "application/json")], True),
    # One negotiator for the report and the listings (issue 9): the
    # higher weight wins, HTML on a tie.
    (STATUS, [("Accept", "text/html, application/json;q=0.5")], False),
    (STATUS, [("Accept", "text/html, application/json;q=0.9")], False),
    (STATUS, [("Accept", "text/html;q=0.5, application/json")], True),
    (STATUS, [("Accept", "application/json;q=0")], False),
    (STATUS, [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")], False),
    (STATUS, (), False),
    (STATUS + "?format=html", [("Accept", "application/json")], False),
])
def test_form_negotiation(ssrv, path, headers, json_wanted):
    r = get_status(ssrv, path, headers=headers)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Vary"] == "Accept"
    assert int(r.headers["Content-Length"]) == len(r.body)
    if json_wanted:
        assert r.headers["Content-Type"] == "application/json"
        assert json.loads(r.body)["port"] == ssrv.port
    else:
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.body.startswith(b"<!DOCTYPE html>")
        assert b'<meta http-equiv="refresh" content="5">' in r.body
        assert b'<table id="server">' in r.body and b'<table id="clients">' in r.body


def test_head(ssrv):
    r = fetch(ssrv, STATUS, method="HEAD")
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(r.headers["Content-Length"]) > 500
    assert r.body == b""


def test_only_the_exact_path_and_get_head(ssrv):
    assert fetch(ssrv, STATUS + "/").status == 404
    assert fetch(ssrv, STATUS + "x").status == 404
    assert fetch(ssrv, "/%5Fstatus").status == 404   # matched as sent, never decoded
    assert fetch(ssrv, STATUS, method="POST").status == 405
    # Everything else is still served.
    assert fetch(ssrv, "/a.txt").body == b"AAAA file a\n"


def test_off_by_default(server):
    assert fetch(server, STATUS).status == 404
    assert fetch(server, STATUS + "?format=json").status == 404


def test_keep_alive_after_status(ssrv):
    with ssrv.connect() as c:
        for _ in range(3):
            c.send(req(STATUS + "?format=json"))
            r = c.read_response()
            assert r.status == 200 and json.loads(r.body)["running"] is True
        c.send(req("/a.txt"))
        assert c.read_response().body == b"AAAA file a\n"


@pytest.mark.parametrize("args, word", [
    (["--status", "_status"], "_status"),
    (["--status", ""], "status"),
    (["--status", "/a b"], "status"),
    (["--status", "/s?x=1"], "status"),
    (["--status"], "status"),
    (["--status-public"], "--status"),
    (["--protocol", "echo", "--status", "/_s"], "--protocol http"),
    (["--protocol", "file", "--status", "/_s"], "--protocol http"),
])
def test_usage_errors(tmp_path, args, word):
    root = [] if "echo" in args else ["--root", str(tmp_path)]
    rc, out, err = run_eisd(["--port", "0"] + root + args)
    assert rc == 2, (rc, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("eisd: "), lines
    assert word in lines[0], lines[0]


# ---------------------------------------------------------------- SIGUSR1

def _status_line(server, after, timeout=5):
    """The first JSON line on the server's stderr after index after."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with server._lock:
            lines = list(server.stderr_lines[after:])
        for ln in lines:
            if ln.startswith("{"):
                return json.loads(ln)
        time.sleep(0.02)
    raise AssertionError(f"no JSON report on stderr: {server.stderr_text()!r}")


def _usr1(server):
    with server._lock:
        n = len(server.stderr_lines)
    os.kill(server.pid, signal.SIGUSR1)
    return _status_line(server, n)


def test_sigusr1_http(ssrv):
    with ssrv.connect() as c:
        c.send(req("/a.txt"))
        c.read_response()
        j = _usr1(ssrv)
        assert j["protocol"] == "http" and j["running"] is True and j["port"] == ssrv.port
        assert j["requests"] == 1 and j["responses"]["2xx"] == 1
        assert j["clients"] == 1
        assert j["client_list"][0]["port"] == c.sock.getsockname()[1]
    assert ssrv.alive()
    assert fetch(ssrv, "/a.txt").status == 200


def test_sigusr1_echo(start_service):
    s = start_service("echo")
    with s.connect() as c1, s.connect() as c2:
        for c in (c1, c2):
            c.send(b"ping\n")
            assert c.read_exact(11) == b"Echo: ping\n"
        j = _usr1(s)
        assert j["protocol"] == "echo"
        assert j["requests"] == 2 and j["clients"] == 2
        # A worker counts bytes right after send() returns, which may be a
        # moment after the client has them: allow the count to catch up.
        deadline = time.monotonic() + 5
        while j["bytes_sent"] < 22 and time.monotonic() < deadline:
            time.sleep(0.05)
            j = _usr1(s)
        assert j["bytes_sent"] == 22
        ports = sorted(c["port"] for c in j["client_list"])
        assert ports == sorted(c.sock.getsockname()[1] for c in (c1, c2))
        c1.send(b"still here")
        assert c1.read_exact(16) == b"Echo: still here"


def test_sigusr1_file(site, start_service):
    s = start_service("file", root=site.root)
    with s.connect() as c:
        c.send(b"a.txt\n")
        assert c.read_exact(12) == b"AAAA file a\n"
        c.send(b"nope\n")
        read_until(c, b"\n")
        j = _usr1(s)
    assert j["protocol"] == "file"
    assert j["requests"] == 2
    assert j["responses"]["2xx"] == 1 and j["responses"]["4xx"] == 1
    assert s.alive()


# ---------------------------------------------------------------- loopback rule

NETNS_SCRIPT = textwrap.dedent(r"""
    import json, os, re, signal, socket, subprocess, sys, time
    eisd = sys.argv[1]
    root = sys.argv[2]
    out = {}
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "10.9.9.1/32", "dev", "lo"], check=True)
    subprocess.run(["ip", "-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad"], check=True)
    # Wait until both addresses can be bound (bounded, no fixed sleep).
    for fam, addr in [(socket.AF_INET, "10.9.9.1"), (socket.AF_INET6, "2001:db8::1")]:
        deadline = time.monotonic() + 5
        while True:
            s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.bind((addr, 0))
                break
            except OSError:
                assert time.monotonic() < deadline, f"{addr} never became usable"
                time.sleep(0.01)
            finally:
                s.close()

    def status_of(fam, src, dst, port):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(b"GET /_status?format=json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), body.decode("latin-1")

    for name, bind, public in [("private", "::", False), ("public", "::", True),
                               ("private4", "0.0.0.0", False)]:
        args = [eisd, "--port", "0", "--bind", bind, "--threads", "1", "--quiet",
                "--status", "/_status"] + (["--status-public"] if public else []) + [root]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline().decode()
            port = int(re.search(r":(\d+)/ ", line).group(1))
            res = {}
            for client, fam, addr in [("127.0.0.1", socket.AF_INET, "127.0.0.1"),
                                      ("10.9.9.1", socket.AF_INET, "10.9.9.1"),
                                      ("::1", socket.AF_INET6, "::1"),
                                      ("2001:db8::1", socket.AF_INET6, "2001:db8::1")]:
                if fam == socket.AF_INET6 and bind == "0.0.0.0":
                    continue
                res[client] = status_of(fam, addr, addr, port)
            out[name] = res
        finally:
            p.kill()
            p.wait()
    print(json.dumps(out))
""")


def test_loopback_only_unless_public(site):
    """In a private network namespace (so nothing is exposed, whatever it
    binds), a dual-stack eisd sees 127.0.0.1 as ::ffff:127.0.0.1 (allowed),
    10.9.9.1 as ::ffff:10.9.9.1 (refused), ::1 (allowed) and 2001:db8::1
    (refused); --status-public lets all in; an IPv4 listener refuses
    10.9.9.1 too."""
    out = run_in_netns(NETNS_SCRIPT, EISD_BIN, site.root, timeout=30)
    res = json.loads(out)
    private, public = res["private"], res["public"]
    assert private["127.0.0.1"][0] == 200
    assert private["::1"][0] == 200
    assert private["10.9.9.1"][0] == 404
    assert private["2001:db8::1"][0] == 404
    for name in ("10.9.9.1", "2001:db8::1"):
        assert "running" not in private[name][1] and "404" in private[name][1]
    # The mapped address is what the server saw (and what it lists).
    assert '"address":"::ffff:127.0.0.1"' in private["127.0.0.1"][1]
    for name in ("127.0.0.1", "10.9.9.1", "::1", "2001:db8::1"):
        assert public[name][0] == 200, (name, public[name])
    assert '"address":"::ffff:10.9.9.1"' in public["10.9.9.1"][1]
    assert '"address":"2001:db8::1"' in public["2001:db8::1"][1]
    # An IPv4-only listener: plain IPv4 peers.
    private4 = res["private4"]
    assert private4["127.0.0.1"][0] == 200 and '"address":"127.0.0.1"' in private4["127.0.0.1"][1]
    assert private4["10.9.9.1"][0] == 404


# ---------------------------------------------------------------- HTML in a browser

def test_html_page_in_headless_chromium(ssrv, tmp_path):
    idle = [ssrv.connect() for _ in range(2)]
    try:
        for c in idle:
            c.send(req("/a.txt"))
            c.read_response()
        url = ssrv.url(STATUS)

        rc, dom, err = run_chromium(tmp_path, "--dump-dom", url, name="dom")
        assert rc == 0, err[-2000:]
        assert '<meta http-equiv="refresh" content="5">' in dom
        assert '<table id="server">' in dom and '<table id="clients">' in dom
        assert f'<th scope="row">Port</th><td>{ssrv.port}</td>' in dom
        assert '<th scope="row">Running</th><td><span class="up">yes</span></td>' in dom
        assert '<th scope="row">Threads</th><td>2</td>' in dom
        clients_table = dom.split('<table id="clients">', 1)[1].split("</table>", 1)[0]
        for c in idle:
            assert f'<td>127.0.0.1</td><td class="n">{c.sock.getsockname()[1]}</td>' in clients_table

        shot = tmp_path / "status.png"
        rc, _, err = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=800,700", url, name="shot")
        assert rc == 0, err[-2000:]
        data = shot.read_bytes()
        w, h, rows = decode_png(data)
        pixels = [px for row in rows for px in row]
        assert (w, h) == (800, 700)
        counts = {}
        for p in pixels:
            counts[p] = counts.get(p, 0) + 1
        background, most = max(counts.items(), key=lambda kv: kv[1])
        assert background == bytes((0xfa, 0xfa, 0xfa)), background   # the page's own background
        drawn = len(pixels) - most
        # Text, borders and shaded header cells: a real page, not blank.
        assert len(counts) >= 20, f"only {len(counts)} colours"
        assert 0.03 * len(pixels) < drawn < 0.9 * len(pixels), drawn / len(pixels)
        assert counts.get(bytes((0xe8, 0xee, 0xf7)), 0) > 5000, "no shaded header cells"
    finally:
        for c in idle:
            c.close()
