"""Real HTTP/2 clients against eisd: curl (prior knowledge), nghttp with 50
concurrent streams, h2load with no errors, and the access log's HTTP/2.0."""

import hashlib
import os
import re
import subprocess

from semantics import curl, log_status_bytes, poll_log_lines


def run(cmd, timeout=120):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


def test_curl_prior_knowledge(server, site):
    data = os.urandom(3 << 20)
    with open(os.path.join(site.root, "c.bin"), "wb") as f:
        f.write(data)
    rc, out, err = curl("--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                        server.url("/hello.txt"))
    assert rc == 0, err
    head = out.decode("latin-1")
    assert head.startswith("HTTP/2 200"), head
    assert re.search(r"^content-length: 13\r$", head, re.M), head
    rc, body, err = curl("--http2-prior-knowledge", server.url("/c.bin"))
    assert rc == 0, err
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    # (Several URLs on one prior-knowledge connection trip curl 7.88's own
    # connection-reuse bug, curl/curl#10634; nghttp below multiplexes.)


def test_nghttp_50_concurrent_streams(server, site):
    urls = []
    for i in range(50):
        with open(os.path.join(site.root, f"n{i}.txt"), "wb") as f:
            f.write(b"%d\n" % i * (100 + i))
        urls.append(server.url(f"/n{i}.txt"))
    rc, out, err = run(["nghttp", "-nv", "-m", "1"] + urls)
    assert rc == 0, err
    assert out.count(":status: 200") == 50, out[-2000:]
    assert "GOAWAY" not in out.split("[  0.", 1)[0] or "error_code=NO_ERROR" in out
    # The 50 streams were open at once: all HEADERS sent before the first END_STREAM.
    sends = [m.start() for m in re.finditer(r"send HEADERS frame", out)]
    first_end = out.find("recv DATA frame")
    assert len(sends) == 50 and sends[-1] < first_end, "streams were not concurrent"


def test_h2load_no_errors(server):
    rc, out, err = run(["h2load", "-n", "2000", "-c", "4", "-m", "32", server.url("/hello.txt")])
    assert rc == 0, err
    assert re.search(r"requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, "
                     r"0 failed, 0 errored, 0 timeout", out), out
    assert "status codes: 2000 2xx" in out, out


def test_access_log_says_http2(site, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False, threads=1)
    rc, _, err = curl("--http2-prior-knowledge", "-o", "/dev/null", s.url("/hello.txt"))
    assert rc == 0, err
    rc, _, err = curl("--http2-prior-knowledge", "-o", "/dev/null", s.url("/nope"))
    assert rc == 0, err
    lines = poll_log_lines(log, 2)
    assert log_status_bytes(lines[0]) == ("GET /hello.txt HTTP/2.0", 200, 13), lines
    assert log_status_bytes(lines[1])[:2] == ("GET /nope HTTP/2.0", 404), lines


def test_h2_over_tls_by_alpn(site, start_server):
    """ALPN offers h2 before http/1.1: curl --http2, nghttp and the frame
    client get HTTP/2 over TLS; with --no-http2 ALPN says http/1.1."""
    import socket

    import h2client
    s = start_server(site.root, tls=True)
    resolve = f"localhost:{s.port}:127.0.0.1"
    url = f"https://localhost:{s.port}/hello.txt"
    rc, out, err = curl("--http2", "--resolve", resolve, "-D", "-", "-o", "/dev/null", url)
    assert rc == 0, err
    assert out.decode("latin-1").startswith("HTTP/2 200"), out
    # nghttp does not verify certificates: it just needs h2 by ALPN.
    rc, out, err = run(["nghttp", "-nv", f"https://127.0.0.1:{s.port}/hello.txt"])
    assert rc == 0, err
    assert ":status: 200" in out and "h2" in out, out[-1500:]
    with h2client.H2Client(s.port, tls=s.tls) as c:
        r = c.get("/hello.txt", scheme="https")
        assert r.status == 200 and bytes(r.body) == b"hello, world\n"
    s2 = start_server(site.root, "--no-http2", tls=True)
    ctx = h2client.alpn_h2_context(s2.tls)
    with socket.create_connection(("127.0.0.1", s2.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "http/1.1"
