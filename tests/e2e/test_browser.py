"""A real browser against eisd: headless Chromium loads www/ (the page's
script writes id="eisd-ready" only once its stylesheet applied and its
image decoded), and takes a screenshot of a --listing page, which must be
a real PNG with real content."""

import os
import time

import pytest

import tlscerts
from browser import decode_png, run_chromium
from semantics import poll_log_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WWW = os.path.join(REPO, "www")


@pytest.mark.over_tls
def test_page_loads_with_css_and_image(start_server, tmp_path, transport, request):
    log = str(tmp_path / "access.log")
    s = start_server(WWW, "--access-log", log, quiet=False)
    trust = []
    if transport == "tls":
        # The test certificate trusted by its key (Chromium has no CA
        # file flag; this pin works with a profile of its own).
        leaf = request.getfixturevalue("tls_certs").path("ec.crt")
        trust = [f"--ignore-certificate-errors-spki-list={tlscerts.spki_pin(leaf)}"]
    rc, dom, err = run_chromium(tmp_path, *trust, "--dump-dom", s.url("/"))
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
    rc, _, err = run_chromium(tmp_path, "--window-size=800,600", "--hide-scrollbars",
                          f"--screenshot={shot}", s.url("/files/"))
    assert rc == 0, err[-2000:]
    data = shot.read_bytes()
    assert len(data) > 5000, "screenshot suspiciously small"
    width, height, rows = decode_png(data)
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
