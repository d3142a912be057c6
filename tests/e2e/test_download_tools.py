"""Real download tools: wget -c resumes a partial 20 MiB download
byte-exact through a Range request; curl -r and curl -C - get exact
bytes."""

import os
import subprocess

import pytest

from semantics import curl, log_status_bytes, parse_multipart, poll_log_lines

MIB = 1024 * 1024
BIG = 20 * MIB
PARTIAL = 7 * MIB + 12345


@pytest.fixture
def big(site):
    data = os.urandom(BIG)
    with open(os.path.join(site.root, "big.bin"), "wb") as f:
        f.write(data)
    return data


def wget(cwd, *args, timeout=120):
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(k, None)
    p = subprocess.run(["wget", "--no-proxy", "--tries=1", "--timeout=30", "--no-config"]
                       + list(args), cwd=str(cwd), capture_output=True, timeout=timeout,
                       env=env)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def test_wget_resumes_byte_exact(site, big, start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(site.root, "--access-log", log, quiet=False, threads=1)
    dl = tmp_path / "dl"
    dl.mkdir()
    (dl / "big.bin").write_bytes(big[:PARTIAL])
    rc, _, err = wget(dl, "-c", s.url("/big.bin"))
    assert rc == 0, err
    assert "206 Partial Content" in err, err
    got = (dl / "big.bin").read_bytes()
    assert len(got) == BIG
    assert got == big
    lines = poll_log_lines(log, 1)
    assert [log_status_bytes(ln) for ln in lines] == [
        ("GET /big.bin HTTP/1.1", 206, BIG - PARTIAL)]

    # Already complete: wget asks for the bytes after the end, gets 416
    # and leaves the file alone.
    rc, _, err = wget(dl, "-c", s.url("/big.bin"))
    assert rc == 0, err
    assert (dl / "big.bin").read_bytes() == big
    lines = poll_log_lines(log, 2)
    assert log_status_bytes(lines[1])[:2] == ("GET /big.bin HTTP/1.1", 416)


def test_curl_continue_at(site, big, start_server, tmp_path):
    s = start_server(site.root)
    out = tmp_path / "out.bin"
    out.write_bytes(big[:PARTIAL])
    rc, so, err = curl("-C", "-", "-o", str(out), "-w", "%{http_code}", s.url("/big.bin"))
    assert rc == 0, err
    assert so == b"206"
    assert out.read_bytes() == big


def test_curl_range(site, big, start_server, tmp_path):
    s = start_server(site.root)
    out = tmp_path / "part"
    for rng, first, last in (
            ("0-99", 0, 99),
            ("100-", 100, BIG - 1),
            ("-500", BIG - 500, BIG - 1),
            (f"{BIG - 10}-{BIG + 1000}", BIG - 10, BIG - 1),
            (f"{5 * MIB}-{5 * MIB + 65535}", 5 * MIB, 5 * MIB + 65535)):
        rc, so, err = curl("-r", rng, "-o", str(out), "-w", "%{http_code} %{size_download}",
                           s.url("/big.bin"))
        assert rc == 0, err
        assert so.decode() == f"206 {last - first + 1}", rng
        assert out.read_bytes() == big[first:last + 1], rng


def test_curl_multiple_ranges(site, big, start_server, tmp_path):
    s = start_server(site.root)
    out, hdr = tmp_path / "parts", tmp_path / "hdr"
    rc, _, err = curl("-r", "0-9,1000-1999,-16", "-D", str(hdr), "-o", str(out),
                      s.url("/big.bin"))
    assert rc == 0, err
    ctype = [ln.split(":", 1)[1].strip() for ln in hdr.read_bytes().decode().split("\r\n")
             if ln.lower().startswith("content-type:")]
    parts = parse_multipart(out.read_bytes(), ctype[0])
    assert [(p[1], p[2], p[4]) for p in parts] == [
        (0, 9, big[0:10]), (1000, 1999, big[1000:2000]), (BIG - 16, BIG - 1, big[-16:])]


def test_curl_unsatisfiable(site, big, start_server):
    s = start_server(site.root)
    rc, so, err = curl("-r", f"{BIG}-", "-o", "/dev/null", "-w", "%{http_code}",
                       s.url("/big.bin"))
    assert rc == 0, err
    assert so == b"416"
