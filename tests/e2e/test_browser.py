"""A real browser against eisd: headless Chromium loads www/ (the page's
script writes id="eisd-ready" only once its stylesheet applied and its
image decoded), and takes a screenshot of a --listing page, which must be
a real PNG with real content."""

import os
import shutil
import signal
import struct
import subprocess
import time
import zlib

import pytest

from semantics import poll_log_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WWW = os.path.join(REPO, "www")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(tmp_path, *args, timeout=120):
    """Runs headless Chromium with a fresh profile; returns (rc, stdout,
    stderr). On a timeout its whole process group (started here) is
    killed."""
    assert os.path.exists(CHROMIUM), "chromium not installed (make deps)"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--disable-quic", "--no-proxy-server",
           "--disable-extensions", "--no-default-browser-check",
           f"--user-data-dir={profile}"] + list(args)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
           "LANG": "C.UTF-8"}
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        pytest.fail(f"chromium did not finish within {timeout}s: {err[-2000:]!r}")
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def test_page_loads_with_css_and_image(start_server, tmp_path):
    log = str(tmp_path / "access.log")
    s = start_server(WWW, "--access-log", log, quiet=False)
    rc, dom, err = chromium(tmp_path, "--dump-dom", s.url("/"))
    assert rc == 0, err[-2000:]
    assert "<title>eisd" in dom, dom[:500]
    assert '<p id="eisd-ready" data-css="ok" data-img="ok">assets loaded</p>' in dom, \
        dom[-1500:]
    assert "eisd-failed" not in dom
    # And every asset really came from eisd, whole.
    want = {}
    for path, name in (("/", "index.html"), ("/style.css", "style.css"),
                       ("/app.js", "app.js"), ("/eisd.png", "eisd.png")):
        want[path] = ["200", str(os.path.getsize(os.path.join(WWW, name)))]
    deadline = time.monotonic() + 10
    while True:
        got = {}
        for line in poll_log_lines(log, 1, timeout=1):
            request = line.split('"')[1]
            got.setdefault(request.split()[1], line.rsplit(" ", 2)[1:])
        if all(p in got for p in want) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {p: got.get(p) for p in want} == want, got


def png_pixels(data):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG: (width, height,
    rows of pixel tuples). Enough to judge a Chromium screenshot."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(ctype + chunk) == crc, f"bad CRC in {ctype}"
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"IDAT":
            idat += chunk
        elif ctype == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = ihdr
    assert depth == 8 and color in (2, 6) and interlace == 0, ihdr
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
            else:
                assert f == 0, f"bad filter {f}"
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def test_listing_screenshot(site, start_server, tmp_path):
    d = os.path.join(site.root, "files")
    os.mkdir(d)
    os.mkdir(os.path.join(d, "photos"))
    for i, name in enumerate(["report.pdf", "notes.txt", "data.csv", "archive.tar.gz",
                              "<b>x&y<b>\"q'.txt"]):
        with open(os.path.join(d, name), "wb") as f:
            f.write(b"x" * (i * 1500 + 10))
    s = start_server(site.root, "--listing")
    shot = tmp_path / "listing.png"
    rc, _, err = chromium(tmp_path, "--window-size=800,600", "--hide-scrollbars",
                          f"--screenshot={shot}", s.url("/files/"))
    assert rc == 0, err[-2000:]
    data = shot.read_bytes()
    assert len(data) > 5000, "screenshot suspiciously small"
    width, height, rows = png_pixels(data)
    assert (width, height) == (800, 600)
    # Non-trivial: many colours (anti-aliased text, links, rules), and a
    # fair share of pixels that are not the background.
    counts = {}
    for row in rows:
        for px in row:
            counts[px] = counts.get(px, 0) + 1
    background, bg_count = max(counts.items(), key=lambda kv: kv[1])
    assert len(counts) >= 16, f"only {len(counts)} colours"
    assert bg_count < 0.99 * width * height, "the page is nearly blank"
    # Something is drawn in each of the top rows of the table, where the
    # heading and the first entries are: not a blank or error page.
    inked_rows = sum(1 for row in rows[:300] if any(px != background for px in row))
    assert inked_rows >= 60, inked_rows
